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

/// The language model's settings (the key apart: it is never returned).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LlmOptions {
    pub enabled: bool,
    /// An OpenAI-compatible API root (OpenRouter: `https://openrouter.ai/api/v1`).
    pub base_url: String,
    pub router_model: String,
    pub answer_model: String,
    pub summary_model: String,
    /// Per HTTP request, 1–300 s.
    pub request_timeout_secs: u64,
    /// Per task (router, answer, summary), retries included, 1–600 s.
    pub task_timeout_secs: u64,
    pub max_retries: u32,
    /// The router's confidence is multiplied by this (0–1) before thresholds apply.
    pub router_trust: f32,
    /// OpenRouter's `provider.require_parameters` with structured outputs.
    pub require_parameters: bool,
}

impl From<frontline_engine::bot::llm_options::LlmOptions> for LlmOptions {
    fn from(o: frontline_engine::bot::llm_options::LlmOptions) -> Self {
        Self {
            enabled: o.enabled,
            base_url: o.base_url,
            router_model: o.router_model,
            answer_model: o.answer_model,
            summary_model: o.summary_model,
            request_timeout_secs: o.request_timeout_secs,
            task_timeout_secs: o.task_timeout_secs,
            max_retries: o.max_retries,
            router_trust: o.router_trust,
            require_parameters: o.require_parameters,
        }
    }
}

impl From<LlmOptions> for frontline_engine::bot::llm_options::LlmOptions {
    fn from(o: LlmOptions) -> Self {
        Self {
            enabled: o.enabled,
            base_url: o.base_url,
            router_model: o.router_model,
            answer_model: o.answer_model,
            summary_model: o.summary_model,
            request_timeout_secs: o.request_timeout_secs,
            task_timeout_secs: o.task_timeout_secs,
            max_retries: o.max_retries,
            router_trust: o.router_trust,
            require_parameters: o.require_parameters,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LlmSettingsView {
    pub settings: LlmOptions,
    /// `file` (the configuration's `[llm]`, until an admin saves) or `console`.
    pub source: String,
    /// Whether a key is set. The key itself is never returned.
    pub has_api_key: bool,
    pub updated_at: Option<String>,
    pub updated_by: Option<i64>,
}

/// Settings to save or check. `api_key`: a new key (kept sealed); absent: keep the current one;
/// `clear_api_key`: remove it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LlmSettingsRequest {
    pub settings: LlmOptions,
    #[serde(default)]
    pub api_key: Option<String>,
    #[serde(default)]
    pub clear_api_key: bool,
}

/// What «Проверить соединение» found: one short request to the router model.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LlmCheckResult {
    pub ok: bool,
    /// The model that answered.
    pub model: Option<String>,
    pub latency_ms: Option<u64>,
    /// `auth`, `payment`, `rate_limited`, `timeout`, `unavailable`, `bad_request`, `provider`,
    /// `malformed`, `network`, `invalid_settings`.
    pub error_kind: Option<String>,
    /// What the server said (keys masked).
    pub error: Option<String>,
}
