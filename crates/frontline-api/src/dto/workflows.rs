//! Wire shapes of workflows, versions, integrations, the tester and regression suites.

use std::collections::BTreeMap;

use frontline_domain as d;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::*;

// ---- workflows --------------------------------------------------------------------------------

/// One reason a workflow cannot run, at its node or edge.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowProblem {
    pub node_id: Option<String>,
    pub edge_id: Option<String>,
    pub message: String,
}

/// A workflow without its documents, for lists.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowSummary {
    pub id: i64,
    pub name: String,
    pub published_version: Option<i32>,
    /// The draft's revision: send it back with `PUT` so a save over someone else's is refused.
    pub revision: i64,
    /// The accounts whose conversations run this workflow.
    pub account_ids: Vec<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl WorkflowSummary {
    /// `links` are every account's choice of workflow.
    pub fn new(w: &d::Workflow, links: &[(d::AccountId, d::WorkflowId)]) -> Self {
        WorkflowSummary {
            id: w.id.0,
            name: w.name.clone(),
            published_version: w.published_version,
            revision: w.revision,
            account_ids: links
                .iter()
                .filter(|(_, wf)| *wf == w.id)
                .map(|(a, _)| a.0)
                .collect(),
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
        }
    }
}

/// A workflow with its draft (a ReactFlow-shaped document) and regression tests; `problems` are
/// what stops the draft from being published (empty when it is valid).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowFull {
    #[serde(flatten)]
    pub summary: WorkflowSummary,
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    #[schema(value_type = Vec<Object>)]
    pub tests: serde_json::Value,
    pub problems: Vec<WorkflowProblem>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowRequest {
    pub name: String,
    /// `{"version": 1, "nodes": [...], "edges": [...]}`; may be incomplete while being edited.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub tests: Option<serde_json::Value>,
    /// `PUT` only: the revision this edit started from. When given and someone saved since, the
    /// save is refused with `409 workflow_conflict` and their version; without it the save wins.
    #[serde(default)]
    pub revision: Option<i64>,
}

/// `409 workflow_conflict`: the draft was saved by someone else since the revision sent; `current`
/// is theirs.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowConflict {
    pub error: crate::error::ErrorDetail,
    pub current: WorkflowFull,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRequest {
    /// What changed, for the versions list.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowVersion {
    pub version: i32,
    pub published_at: String,
    pub published_by: Option<i64>,
    /// The publisher's display name (`null` when published by the system or since deleted).
    pub published_by_name: Option<String>,
    pub note: Option<String>,
    /// Conversations currently waiting inside this version.
    pub conversations_in_flight: i64,
}

/// A published version with its document, read-only.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowVersionFull {
    #[serde(flatten)]
    pub version: WorkflowVersion,
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
}

/// What the editor offers, straight from the engine: every node type with its starting data and
/// outputs, and the choices of its forms.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowCatalogue {
    pub node_types: Vec<NodeTypeSpec>,
    /// The bot's intents, for `intent` nodes.
    pub intents: Vec<CatalogueIntent>,
    /// Slot keys workflows may read and ask for.
    pub slots: Vec<String>,
    /// Built-in slot kinds: an `ask` node's named validators.
    pub slot_kinds: Vec<String>,
    pub handoff_reasons: Vec<String>,
    pub http_methods: Vec<String>,
    /// Names templates and conditions read without a prefix (`text`, `intent`, `hour`, …).
    pub names: Vec<String>,
    /// The built-in template a new workflow can start from (the demo shop's workflow and suite).
    pub template: WorkflowTemplate,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowTemplate {
    pub name: String,
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    #[schema(value_type = Vec<Object>)]
    pub tests: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NodeTypeSpec {
    #[serde(rename = "type")]
    pub node_type: String,
    /// The `data` of a new node, defaults filled in.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub outputs: Vec<String>,
    pub required_outputs: Vec<String>,
    /// One more output per listed intent, before `fallback` (`intent` nodes).
    pub outputs_per_intent: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CatalogueIntent {
    pub name: String,
    pub label: String,
    pub slots: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    pub version: i32,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountWorkflowRequest {
    /// `null` returns the account to the built-in cascade.
    pub workflow_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Integration {
    pub name: String,
    pub base_url: String,
    /// Header names only: their values are secrets.
    pub header_names: Vec<String>,
    pub updated_at: String,
}

impl From<&d::Integration> for Integration {
    fn from(i: &d::Integration) -> Self {
        Integration {
            name: i.name.clone(),
            base_url: i.base_url.clone(),
            header_names: i.headers.keys().cloned().collect(),
            updated_at: rfc3339(i.updated_at),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationRequest {
    pub base_url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// A scripted dialog for the workflow tester.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowTestRequest {
    /// `draft` (default) or a published version number.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub version: Option<serde_json::Value>,
    /// The customer's messages, in order.
    pub messages: Vec<String>,
    /// `api` (default), `avito`, `voice`.
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub customer: Option<TestCustomer>,
    /// Canned answers for Action calls, by the URL they would call.
    #[serde(default)]
    pub stubs: Vec<ActionStub>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestCustomer {
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// A canned answer: for the Action call to `url`, or for the Action or AI Response `node` (which
/// wins over a URL). An HTTP response (`status`, `body`), a `timeout` (an AI Response then fails),
/// or the language model's `reply`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionStub {
    /// The full URL, after the integration's base URL is applied.
    #[serde(default)]
    pub url: Option<String>,
    /// An `action` or `ai_response` node's id.
    #[serde(default)]
    pub node: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub body: Option<serde_json::Value>,
    /// Simulate a timeout instead of answering.
    #[serde(default)]
    pub timeout: bool,
    /// What the language model answers (an `ai_response` node).
    #[serde(default)]
    pub reply: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowTestTurn {
    pub message: String,
    pub replies: Vec<String>,
    /// `waiting`, `handoff` or `ended`.
    pub outcome: String,
    pub waiting_at: Option<String>,
    pub handoff_reason: Option<HandoffReason>,
    pub briefing: Option<String>,
    pub intent: Option<String>,
    pub confidence: Option<f64>,
    pub slots: BTreeMap<String, String>,
    /// Every node run: `node_id`, `node_type`, `input`, `output`, `micros`.
    #[schema(value_type = Vec<Object>)]
    pub trace: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowTestResult {
    /// `draft` or the version number run.
    pub version: String,
    pub turns: Vec<WorkflowTestTurn>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CaseResult {
    pub name: String,
    pub passed: bool,
    /// Every expectation missed, with its turn.
    pub failures: Vec<String>,
    /// The first step where a turn left its expected `path`.
    pub divergence: Option<PathDivergence>,
    pub turns: Vec<WorkflowTestTurn>,
}

/// Turn and step (1-based) where a run left the expected path: the node expected there and the
/// one run instead (`null`: the path ended early, or ran on past its end).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PathDivergence {
    pub turn: usize,
    pub step: usize,
    pub expected: Option<String>,
    pub actual: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SuiteResult {
    pub version: String,
    pub passed: usize,
    pub failed: usize,
    pub cases: Vec<CaseResult>,
}
