//! The bot's configuration: one draft and the published versions.

use async_trait::async_trait;
use frontline_domain::{BotConfigDraft, BotConfigVersion, LlmSettingsRecord, OperatorId};

use crate::*;

/// The bot's configuration as the admin console edits it.
#[async_trait]
pub trait BotConfigStore: Send + Sync {
    /// The draft being edited, if any.
    async fn bot_config_draft(&self) -> Result<Option<BotConfigDraft>>;

    /// Saves the draft. `expected_revision` is the revision the editor loaded (`None` when it
    /// started without a draft): anything else is a [`StoreError::Conflict`], so one admin does not
    /// overwrite another's work unknowingly. A new draft starts at revision 1.
    async fn save_bot_config_draft(
        &self,
        document: &str,
        based_on: Option<i32>,
        expected_revision: Option<i64>,
        by: Option<OperatorId>,
    ) -> Result<BotConfigDraft>;

    /// Throws the draft away; nothing happens without one.
    async fn discard_bot_config_draft(&self) -> Result<()>;

    /// Publishes `document` as the next version (1, 2, …, also under concurrent publishers) and
    /// removes the draft, in one transaction.
    async fn publish_bot_config(
        &self,
        document: &str,
        note: Option<&str>,
        by: Option<OperatorId>,
    ) -> Result<BotConfigVersion>;

    /// Every published version, newest first.
    async fn bot_config_versions(&self) -> Result<Vec<BotConfigVersion>>;

    async fn bot_config_version(&self, version: i32) -> Result<Option<BotConfigVersion>>;

    /// The newest published version: the one the bot runs.
    async fn latest_bot_config(&self) -> Result<Option<BotConfigVersion>>;

    /// Records the figures computed for a version after it was published.
    async fn set_bot_config_report(&self, version: i32, report: &str) -> Result<()>;

    /// The language model's settings, once an admin saved them.
    async fn llm_settings(&self) -> Result<Option<LlmSettingsRecord>>;

    /// Saves the language model's settings; the sealed API key is kept, replaced or removed as
    /// `api_key` says.
    async fn save_llm_settings(
        &self,
        settings: &str,
        api_key: KeyChange<'_>,
        by: Option<OperatorId>,
    ) -> Result<LlmSettingsRecord>;
}

/// What a save does to a sealed secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChange<'a> {
    Keep,
    /// The new value, already sealed.
    Set(&'a str),
    Clear,
}
