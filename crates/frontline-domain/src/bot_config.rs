//! The bot's configuration as the admin console keeps it: one editable draft and the published,
//! immutable versions. The document is the bot configuration's JSON (the engine's `BotConfig`),
//! kept as text so that an export gives back exactly what was imported.

use crate::{OperatorId, Timestamp};

/// One published version. The newest one is what the bot runs.
#[derive(Debug, Clone, PartialEq)]
pub struct BotConfigVersion {
    /// 1, 2, … in publishing order.
    pub version: i32,
    pub document: String,
    /// What the publisher said changed.
    pub note: Option<String>,
    pub published_by: Option<OperatorId>,
    pub published_at: Timestamp,
    /// The cross-validated figures computed after publishing (JSON), once they are.
    pub report: Option<String>,
}

/// The configuration being edited, not yet published.
#[derive(Debug, Clone, PartialEq)]
pub struct BotConfigDraft {
    pub document: String,
    /// Grows by one with every save: a save names the revision it edited, so two admins do not
    /// overwrite each other's changes unknowingly.
    pub revision: i64,
    /// The published version the draft started from.
    pub based_on: Option<i32>,
    pub updated_by: Option<OperatorId>,
    pub updated_at: Timestamp,
}

/// The language model's settings as the admin console saved them: the settings as JSON (the
/// engine's `LlmOptions`) and the API key sealed with the server key, never in the clear.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmSettingsRecord {
    pub settings: String,
    pub sealed_api_key: Option<String>,
    pub updated_by: Option<OperatorId>,
    pub updated_at: Timestamp,
}
