//! Workflows: drafts, published versions, which one each account runs, where each conversation
//! stands in one, and the integrations its Action nodes call.
//!
//! Documents, tests and states are opaque JSON text here (the engine validates them); drafts
//! arrive cleaned (`WorkflowDraft::cleaned`). No events: workflows are configuration.

use async_trait::async_trait;
use frontline_domain::{
    AccountId, ConversationId, FlowState, Integration, OperatorId, Workflow, WorkflowDraft,
    WorkflowId, WorkflowVersion,
};

use crate::*;

/// Workflows, flow states and integrations.
#[async_trait]
pub trait WorkflowStore: Send + Sync {
    async fn create_workflow(&self, draft: WorkflowDraft) -> Result<Workflow>;

    async fn workflow(&self, id: WorkflowId) -> Result<Option<Workflow>>;

    /// Ordered by id.
    async fn list_workflows(&self) -> Result<Vec<Workflow>>;

    /// Replace name, draft and tests; `updated_at` moves and `revision` goes up by one. Published
    /// versions are untouched. With `expected_revision`, only if the stored revision is that one —
    /// checked and written in one statement, so of two saves from the same revision exactly one
    /// wins — else `Conflict` and nothing changes. `NotFound("workflow")`.
    async fn update_workflow(
        &self,
        id: WorkflowId,
        draft: WorkflowDraft,
        expected_revision: Option<i64>,
    ) -> Result<Workflow>;

    /// `Conflict` while an account runs it. Deletes its versions and the flow states on it.
    async fn delete_workflow(&self, id: WorkflowId) -> Result<()>;

    /// Copy the draft into a new version (previous highest + 1, from 1) with the publisher's
    /// `note`, and make it the published one, in one transaction.
    async fn publish_workflow(
        &self,
        id: WorkflowId,
        by: Option<OperatorId>,
        note: Option<String>,
    ) -> Result<WorkflowVersion>;

    /// Make an existing version the published one again. `NotFound("workflow version")`.
    async fn rollback_workflow(&self, id: WorkflowId, version: i32) -> Result<Workflow>;

    async fn workflow_version(
        &self,
        id: WorkflowId,
        version: i32,
    ) -> Result<Option<WorkflowVersion>>;

    /// Newest first. `NotFound("workflow")`.
    async fn list_workflow_versions(&self, id: WorkflowId) -> Result<Vec<WorkflowVersion>>;

    /// Every account's choice of workflow, `(account, workflow)` by account.
    async fn list_account_workflows(&self) -> Result<Vec<(AccountId, WorkflowId)>>;

    /// The workflow an account runs, if any.
    async fn account_workflow(&self, account: AccountId) -> Result<Option<WorkflowId>>;

    /// Choose (or with `None` clear) the workflow an account runs. `NotFound("account")`,
    /// `NotFound("workflow")`.
    async fn set_account_workflow(
        &self,
        account: AccountId,
        workflow: Option<WorkflowId>,
    ) -> Result<()>;

    async fn flow_state(&self, conversation: ConversationId) -> Result<Option<FlowState>>;

    /// Insert or replace the conversation's state (`updated_at` is set by the store).
    /// `NotFound("conversation")`, `NotFound("workflow")`.
    async fn save_flow_state(&self, state: FlowState) -> Result<FlowState>;

    /// Idempotent.
    async fn clear_flow_state(&self, conversation: ConversationId) -> Result<()>;

    /// How many conversations currently stand in each version of a workflow: `(version, count)`,
    /// by version.
    async fn flow_versions_in_use(&self, id: WorkflowId) -> Result<Vec<(i32, i64)>>;

    /// Create or replace by name (`created_at` kept on replace).
    async fn upsert_integration(
        &self,
        name: &str,
        base_url: &str,
        headers: std::collections::BTreeMap<String, String>,
    ) -> Result<Integration>;

    async fn integration(&self, name: &str) -> Result<Option<Integration>>;

    /// Ordered by name.
    async fn list_integrations(&self) -> Result<Vec<Integration>>;

    /// `NotFound("integration")`.
    async fn delete_integration(&self, name: &str) -> Result<()>;
}

/// The `Conflict` of a save whose `expected_revision` is not the stored one (both backends say it
/// the same way).
pub fn revision_conflict(expected: Option<i64>, current: i64) -> StoreError {
    StoreError::Conflict(format!(
        "the draft was saved meanwhile: revision {current}, not {}",
        expected.map_or_else(|| "-".to_owned(), |e| e.to_string())
    ))
}
