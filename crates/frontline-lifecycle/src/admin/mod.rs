//! The admin use cases: what the admin screens change, and what must happen with each change.
//!
//! Every admin write goes through [`Admin`], which is where its side effects live: the knowledge
//! index told about a committed article, an operator's sessions ended when they are deactivated or
//! their password changes, the rule that an admin cannot lock themselves out. Reads stay plain store
//! reads.

mod accounts;
mod bot_config;
mod knowledge;
mod operators;
mod quick_replies;
mod workflows;

use std::sync::Arc;

use frontline_store::Store;

use crate::{BotTrainer, KnowledgeIndex};

/// The admin use cases, cheap to clone.
#[derive(Debug, Clone)]
pub struct Admin {
    store: Arc<dyn Store>,
    index: Arc<dyn KnowledgeIndex>,
    /// Retrains the bot on a published configuration; none in a process without a bot.
    trainer: Option<Arc<dyn BotTrainer>>,
}

impl Admin {
    pub fn new(store: Arc<dyn Store>, index: Arc<dyn KnowledgeIndex>) -> Self {
        Self {
            store,
            index,
            trainer: None,
        }
    }

    pub fn with_trainer(mut self, trainer: Arc<dyn BotTrainer>) -> Self {
        self.trainer = Some(trainer);
        self
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
