//! Workflows as the studio changes them: drafts, publishing, rollback, which one an account runs,
//! and the integrations their Action nodes call. Validation of a document against the bot's
//! configuration belongs to the engine; the caller validates before publishing.

use std::collections::BTreeMap;

use frontline_domain::{
    AccountId, Integration, OperatorId, Workflow, WorkflowDraft, WorkflowId, WorkflowVersion,
};

use super::Admin;
use crate::Result;

impl Admin {
    pub async fn create_workflow(&self, draft: WorkflowDraft) -> Result<Workflow> {
        Ok(self.store.create_workflow(draft).await?)
    }

    /// `Conflict` when `expected_revision` is given and someone saved since (see the store).
    pub async fn update_workflow(
        &self,
        id: WorkflowId,
        draft: WorkflowDraft,
        expected_revision: Option<i64>,
    ) -> Result<Workflow> {
        Ok(self
            .store
            .update_workflow(id, draft, expected_revision)
            .await?)
    }

    /// `Conflict` while an account runs it.
    pub async fn delete_workflow(&self, id: WorkflowId) -> Result<()> {
        Ok(self.store.delete_workflow(id).await?)
    }

    /// Publish the (already validated) draft as a new version, with the publisher's note.
    pub async fn publish_workflow(
        &self,
        id: WorkflowId,
        by: OperatorId,
        note: Option<String>,
    ) -> Result<WorkflowVersion> {
        Ok(self.store.publish_workflow(id, Some(by), note).await?)
    }

    pub async fn rollback_workflow(&self, id: WorkflowId, version: i32) -> Result<Workflow> {
        Ok(self.store.rollback_workflow(id, version).await?)
    }

    pub async fn set_account_workflow(
        &self,
        account: AccountId,
        workflow: Option<WorkflowId>,
    ) -> Result<()> {
        Ok(self.store.set_account_workflow(account, workflow).await?)
    }

    pub async fn put_integration(
        &self,
        name: &str,
        base_url: &str,
        headers: BTreeMap<String, String>,
    ) -> Result<Integration> {
        Ok(self
            .store
            .upsert_integration(name, base_url, headers)
            .await?)
    }

    pub async fn delete_integration(&self, name: &str) -> Result<()> {
        Ok(self.store.delete_integration(name).await?)
    }
}
