//! The bot's configuration in the admin console: the draft, the published versions with their
//! figures, and the training in progress.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One problem of a configuration, at its field (`intents[2].examples`, `knowledge.top_k`; empty
/// for the document as a whole).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BotConfigProblem {
    pub field: String,
    pub message: String,
}

/// What the «Бот» screen opens with.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BotConfigState {
    /// The version answering customers now (0: none yet).
    pub running: i32,
    /// The newest published version; it answers as soon as `training` is done.
    pub latest: Option<BotConfigVersion>,
    /// A published version being trained, while the previous one answers.
    pub training: Option<i32>,
    /// The last version that could not be trained, and why.
    pub failed: Option<BotConfigFailure>,
    pub draft: Option<BotConfigDraft>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BotConfigFailure {
    pub version: i32,
    pub error: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BotConfigDraft {
    /// Send it back with the next save: a save from an older revision is refused.
    pub revision: i64,
    /// The published version it started from.
    pub based_on: Option<i32>,
    pub updated_at: String,
    pub updated_by: Option<i64>,
    /// The bot configuration (the JSON format of `bot.json`).
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    /// What would stop it from publishing (empty: it would publish).
    pub problems: Vec<BotConfigProblem>,
}

/// A published version; `document` only when one version is asked for.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BotConfigVersion {
    pub version: i32,
    pub published_at: String,
    pub published_by: Option<i64>,
    pub published_by_name: Option<String>,
    pub note: Option<String>,
    /// Cross-validated share of the intents' examples recognised right, once measured.
    pub accuracy: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub document: Option<serde_json::Value>,
    /// The figures measured after publishing (see `BotConfigReport`), once they are; or
    /// `{"error": …}` when they could not be.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<BotConfigReport>)]
    pub report: Option<serde_json::Value>,
}

/// A draft to save: the whole document, and the revision it was loaded at (`null` when starting a
/// new draft).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BotConfigDraftRequest {
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    #[serde(default)]
    pub revision: Option<i64>,
    #[serde(default)]
    pub based_on: Option<i32>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct BotConfigPublishRequest {
    #[serde(default)]
    pub note: Option<String>,
}

/// The classifier's figures, cross-validated on the configuration's own examples (a model
/// trained without each example predicts it). Triggers and the LLM are not included.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BotConfigReport {
    pub folds: usize,
    pub n_examples: usize,
    pub n_out_of_scope: usize,
    pub accuracy: f64,
    pub oos_recall: Option<f64>,
    pub intents: Vec<BotReportIntent>,
    /// Which intent's examples were taken for which, most often first (`__oos__`: for nothing).
    pub confusions: Vec<BotReportConfusion>,
    /// One threshold for every intent, from 0 to 1: coverage (share of in-scope examples acted
    /// on) and error (share of those acted on wrongly).
    pub curve: Vec<BotReportPoint>,
    /// The same under the configuration's own thresholds.
    pub chosen: BotReportPoint,
    pub encoder: bool,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BotReportIntent {
    pub intent: String,
    pub examples: usize,
    pub recall: f64,
    pub threshold: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BotReportConfusion {
    pub truth: String,
    pub predicted: String,
    pub count: usize,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BotReportPoint {
    pub threshold: Option<f32>,
    pub coverage: f64,
    pub error: f64,
}
