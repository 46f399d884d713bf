//! The bot's configuration as the admin console changes it: the draft, publishing, rollback. A
//! published version is trained in the background ([`BotTrainer`]) and its figures recorded with
//! it; the bot in service answers until the new one is ready. Validation of a document belongs to
//! the engine; the caller validates before publishing.

use frontline_domain::{BotConfigDraft, BotConfigVersion, OperatorId};
use tracing::warn;

use super::Admin;
use crate::{LifecycleError, Result};

impl Admin {
    /// `Conflict` when the draft moved past `expected_revision` (see the store).
    pub async fn save_bot_config_draft(
        &self,
        document: &str,
        based_on: Option<i32>,
        expected_revision: Option<i64>,
        by: OperatorId,
    ) -> Result<BotConfigDraft> {
        Ok(self
            .store
            .save_bot_config_draft(document, based_on, expected_revision, Some(by))
            .await?)
    }

    pub async fn discard_bot_config_draft(&self) -> Result<()> {
        Ok(self.store.discard_bot_config_draft().await?)
    }

    /// Publishes an (already validated) document as the next version, ending the draft, and
    /// starts training it.
    pub async fn publish_bot_config(
        &self,
        document: &str,
        note: Option<&str>,
        by: Option<OperatorId>,
    ) -> Result<BotConfigVersion> {
        let version = self.store.publish_bot_config(document, note, by).await?;
        self.train_bot_config(&version);
        Ok(version)
    }

    /// Publishes `version`'s document again, as the next version: history only grows.
    pub async fn rollback_bot_config(
        &self,
        version: i32,
        by: OperatorId,
    ) -> Result<BotConfigVersion> {
        let old = self
            .store
            .bot_config_version(version)
            .await?
            .ok_or(LifecycleError::NotFound("bot configuration version"))?;
        let note = format!("Откат к версии {version}");
        self.publish_bot_config(&old.document, Some(&note), Some(by))
            .await
    }

    /// Trains `version` in the background and records its figures (or why there are none) with
    /// it. Nothing happens without a trainer (no bot in this process).
    pub fn train_bot_config(&self, version: &BotConfigVersion) {
        let Some(trainer) = self.trainer.clone() else {
            return;
        };
        let store = self.store.clone();
        let (number, document) = (version.version, version.document.clone());
        tokio::spawn(async move {
            let report = match trainer.train(number, &document).await {
                Ok(report) => report,
                Err(why) => serde_json::json!({ "error": why }).to_string(),
            };
            if let Err(e) = store.set_bot_config_report(number, &report).await {
                warn!(version = number, error = %e, "the bot configuration's figures were not recorded");
            }
        });
    }
}

impl Admin {
    /// Saves the language model's settings (the caller validated them and sealed the key).
    pub async fn save_llm_settings(
        &self,
        settings: &str,
        api_key: frontline_store::KeyChange<'_>,
        by: OperatorId,
    ) -> Result<frontline_domain::LlmSettingsRecord> {
        Ok(self
            .store
            .save_llm_settings(settings, api_key, Some(by))
            .await?)
    }
}
