//! The running bot, whose configuration can be replaced while it answers.
//!
//! Publishing a configuration in the admin console trains a new classifier in the background
//! ([`LiveBot::train`], on a blocking thread); the bot in service keeps answering until the new
//! one is ready and then is swapped for it between two messages. Every message is answered by one
//! configuration from start to end: a turn takes its [`EngineBot`] once.

use std::sync::{Arc, Mutex, RwLock};

use async_trait::async_trait;
use frontline_lifecycle::{Bot, BotInput, BotOutcome, BotTrainer};
use serde::Serialize;
use tracing::{info, warn};

use super::EngineBot;
use super::config::{BotConfig, CompiledConfig};
use super::report::evaluate_config;

/// What the admin console shows of the classifier's training.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TrainingStatus {
    /// The published version answering customers (0 before any was published).
    pub running: i32,
    /// A version being trained, if any.
    pub training: Option<i32>,
    /// The last version that could not be trained, and why; cleared by the next success.
    pub failed: Option<(i32, String)>,
}

#[derive(Debug)]
pub struct LiveBot {
    current: RwLock<(i32, Arc<EngineBot>)>,
    status: Mutex<TrainingStatus>,
}

impl LiveBot {
    /// `bot` runs `version` of the configuration.
    pub fn new(bot: EngineBot, version: i32) -> Self {
        Self {
            current: RwLock::new((version, Arc::new(bot))),
            status: Mutex::new(TrainingStatus {
                running: version,
                ..TrainingStatus::default()
            }),
        }
    }

    /// The bot answering now.
    pub fn current(&self) -> Arc<EngineBot> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
    }

    pub fn status(&self) -> TrainingStatus {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Puts `compiled` in service as `version`, unless a newer version already is (two publishes
    /// in quick succession may finish training out of order). True when it was swapped in.
    pub fn install(&self, version: i32, compiled: Arc<CompiledConfig>) -> bool {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if version <= current.0 {
            return false;
        }
        let bot = current.1.with_config(compiled);
        *current = (version, Arc::new(bot));
        drop(current);
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        status.running = version;
        if status.failed.as_ref().is_some_and(|(v, _)| *v <= version) {
            status.failed = None;
        }
        true
    }

    /// Replaces the language-model stage of the bot in service (new LLM settings saved); the
    /// configuration version stays.
    pub fn set_llm(&self, llm: Option<super::LlmStage>) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        let bot = current.1.with_llm(llm);
        current.1 = Arc::new(bot);
    }

    fn set_training(&self, version: Option<i32>) {
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        match version {
            Some(v) => status.training = Some(v),
            None => status.training = None,
        }
    }

    fn set_failed(&self, version: i32, why: String) {
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        status.failed = Some((version, why));
    }
}

#[async_trait]
impl Bot for LiveBot {
    async fn decide(&self, input: BotInput) -> BotOutcome {
        let bot = self.current();
        bot.decide(input).await
    }
}

#[async_trait]
impl BotTrainer for LiveBot {
    async fn train(&self, version: i32, document: &str) -> Result<String, String> {
        let config = BotConfig::from_json(document).map_err(|e| e.to_string())?;
        let encoder = self.current().config().encoder.clone();
        self.set_training(Some(version));
        let started = std::time::Instant::now();
        let trained = {
            let (config, encoder) = (config.clone(), encoder.clone());
            tokio::task::spawn_blocking(move || config.compile_with(encoder)).await
        };
        let compiled = match trained {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                self.set_training(None);
                self.set_failed(version, e.to_string());
                return Err(e.to_string());
            }
            Err(e) => {
                self.set_training(None);
                self.set_failed(version, format!("training stopped: {e}"));
                return Err(format!("training stopped: {e}"));
            }
        };
        let swapped = self.install(version, Arc::new(compiled));
        self.set_training(None);
        info!(
            version,
            swapped,
            train_ms = started.elapsed().as_millis() as u64,
            "bot configuration trained"
        );
        let report =
            tokio::task::spawn_blocking(move || evaluate_config(&config, encoder.as_ref())).await;
        match report {
            Ok(Ok(r)) => Ok(serde_json::to_string(&r).expect("the report has only plain fields")),
            Ok(Err(e)) => {
                warn!(version, error = %e, "no figures for the bot configuration");
                Err(e.to_string())
            }
            Err(e) => Err(format!("measuring stopped: {e}")),
        }
    }
}
