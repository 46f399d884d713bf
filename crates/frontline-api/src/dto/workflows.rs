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
    pub created_at: String,
    pub updated_at: String,
}

impl From<&d::Workflow> for WorkflowSummary {
    fn from(w: &d::Workflow) -> Self {
        WorkflowSummary {
            id: w.id.0,
            name: w.name.clone(),
            published_version: w.published_version,
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
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowVersion {
    pub version: i32,
    pub published_at: String,
    pub published_by: Option<i64>,
    /// Conversations currently waiting inside this version.
    pub conversations_in_flight: i64,
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

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionStub {
    /// The full URL, after the integration's base URL is applied.
    pub url: String,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub body: Option<serde_json::Value>,
    /// Simulate a timeout instead of answering.
    #[serde(default)]
    pub timeout: bool,
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
    pub turns: Vec<WorkflowTestTurn>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SuiteResult {
    pub version: String,
    pub passed: usize,
    pub failed: usize,
    pub cases: Vec<CaseResult>,
}
