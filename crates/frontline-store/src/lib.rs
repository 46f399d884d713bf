//! The storage contract of frontline.
//!
//! [`Store`] is implemented by `frontline-store-sqlite` (the embedded default) and
//! `frontline-store-postgres`, chosen at run time by URL scheme. Its methods are shaped after the use
//! cases rather than after tables: every state change that the realtime stream must see is one method,
//! executed in ONE transaction together with the events it appends to the durable event log. That is what
//! makes "stored before acknowledged" and "no gaps in the stream" hold without distributed bookkeeping.
//!
//! Architecture invariant: only the store crates contain SQL.
//!
//! The contract is split by concept into sub-traits — one file each, here and in every backend —
//! with [`Store`] as their supertrait: [`OperatorStore`], [`AccountStore`], [`ConversationStore`],
//! [`HistoryStore`], [`SearchStore`], [`JobStore`], [`EventStore`], [`ChannelStore`], [`QuickReplyStore`],
//! [`KnowledgeStore`], [`DecisionStore`], [`WorkflowStore`], [`VoiceStore`], [`BotConfigStore`]. Their methods can be
//! called on a `dyn Store` without importing the sub-trait; generic code imports [`prelude`].
//!
//! Unless a method says otherwise: unknown ids give [`StoreError::NotFound`]; every event appended gets
//! a `seq` greater than every event committed before it (commit order = seq order, also under
//! concurrent writers), and the events of one call are appended in the order listed in its docs.
//!
//! [`stored`] holds the JSON shapes the backends keep in text columns, defined once for both;
//! [`write`] the write use cases, sequenced once over the row-level steps each backend implements.
//!
//! The [`conformance`] module (feature `conformance`) is the single test suite that every backend runs
//! unchanged.

#[cfg(feature = "conformance")]
pub mod conformance;

mod accounts;
mod bot_configs;
mod channels;
mod conversations;
mod decisions;
mod events;
mod history;
mod jobs;
mod knowledge;
mod operators;
mod quick_replies;
pub mod rows;
mod search;
pub mod stored;
mod voice;
mod workflows;
pub mod write;

use async_trait::async_trait;

pub use accounts::*;
pub use bot_configs::*;
pub use channels::*;
pub use conversations::*;
pub use decisions::*;
pub use events::*;
pub use history::*;
pub use jobs::*;
pub use knowledge::*;
pub use operators::*;
pub use quick_replies::*;
pub use search::*;
pub use voice::*;
pub use workflows::*;

/// Every sub-trait, for code that calls the store through a generic or concrete type.
pub mod prelude {
    pub use crate::{
        AccountStore, BotConfigStore, ChannelStore, ConversationStore, DecisionStore, EventStore,
        HistoryStore, JobStore, KnowledgeStore, OperatorStore, QuickReplyStore, SearchStore, Store,
        VoiceStore, WorkflowStore,
    };
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named entity does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change conflicts with the current state (duplicate login, lead already set, …).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database failed or returned something we cannot read.
    #[error("storage backend error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn backend(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend(Box::new(e))
    }
}

/// The storage contract: every concept's sub-trait, plus what a health check needs.
#[async_trait]
pub trait Store:
    OperatorStore
    + AccountStore
    + ConversationStore
    + HistoryStore
    + SearchStore
    + JobStore
    + EventStore
    + ChannelStore
    + QuickReplyStore
    + KnowledgeStore
    + DecisionStore
    + WorkflowStore
    + VoiceStore
    + BotConfigStore
    + Send
    + Sync
    + std::fmt::Debug
    + 'static
{
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// A cheap round trip, for health checks.
    async fn ping(&self) -> Result<()>;
}
