//! Workflows: drafts, immutable published versions (numbered inside the single writer), which one
//! each account runs, per-conversation flow states, and integrations.

use crate::error::db;
use crate::{SqliteStore, Tx};
use async_trait::async_trait;
use frontline_domain::{
    AccountId, ConversationId, FlowState, Integration, OperatorId, Timestamp, Workflow,
    WorkflowDraft, WorkflowId, WorkflowVersion,
};
use frontline_store::rows::{
    self, FLOW_STATE_COLS, INTEGRATION_COLS, WORKFLOW_COLS, WORKFLOW_VERSION_COLS,
};
use frontline_store::{Result, StoreError, WorkflowStore, revision_conflict, stored};

const WORKFLOW_EXISTS: &str = "SELECT 1 FROM workflows WHERE id = ?";

const ACCOUNT_EXISTS: &str = "SELECT 1 FROM accounts WHERE id = ?";

const CONVERSATION_EXISTS: &str = "SELECT 1 FROM conversations WHERE id = ?";

// ---- existence checks ---------------------------------------------------------------------------

/// `NotFound(what)` unless `sql` (a `SELECT 1 … WHERE id = ?`) finds the row.
async fn exists<'e>(
    executor: impl sqlx::SqliteExecutor<'e>,
    sql: &str,
    id: i64,
    what: &'static str,
) -> Result<()> {
    let found: Option<i64> = sqlx::query_scalar(sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(db)?;
    found.map(|_| ()).ok_or(StoreError::NotFound(what))
}

/// Point the workflow at `version`; `updated_at` stays (it dates the draft, not the choice).
async fn set_published(tx: &mut Tx, id: WorkflowId, version: i32) -> Result<Workflow> {
    let sql = format!(
        "UPDATE workflows SET published_version = ? WHERE id = ? RETURNING {WORKFLOW_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(version)
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound("workflow"))?;
    rows::workflow(&row)
}

/// Insert or replace a conversation's flow state. `NotFound("workflow")`.
pub(crate) async fn put_flow_state(
    tx: &mut Tx,
    conversation: ConversationId,
    workflow: WorkflowId,
    version: i32,
    state: &str,
) -> Result<FlowState> {
    exists(&mut **tx, WORKFLOW_EXISTS, workflow.0, "workflow").await?;
    let sql = format!(
        "INSERT INTO flow_states (conversation_id, workflow_id, version, state, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (conversation_id) DO UPDATE SET workflow_id = excluded.workflow_id, \
             version = excluded.version, state = excluded.state, updated_at = excluded.updated_at \
         RETURNING {FLOW_STATE_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(conversation.0)
        .bind(workflow.0)
        .bind(version)
        .bind(state)
        .bind(Timestamp::now().0)
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    rows::flow_state(&row)
}

/// Forget where a conversation stands in its workflow. Idempotent.
pub(crate) async fn delete_flow_state(tx: &mut Tx, conversation: ConversationId) -> Result<()> {
    sqlx::query("DELETE FROM flow_states WHERE conversation_id = ?")
        .bind(conversation.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

#[async_trait]
impl WorkflowStore for SqliteStore {
    // ---- workflows --------------------------------------------------------------------
    async fn create_workflow(&self, draft: WorkflowDraft) -> Result<Workflow> {
        let sql = format!(
            "INSERT INTO workflows (name, draft, tests, published_version, created_at, updated_at) \
             VALUES (?1, ?2, ?3, NULL, ?4, ?4) RETURNING {WORKFLOW_COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(&draft.name)
            .bind(&draft.draft)
            .bind(&draft.tests)
            .bind(Timestamp::now().0)
            .fetch_one(&self.write)
            .await
            .map_err(db)?;
        rows::workflow(&row)
    }

    async fn workflow(&self, id: WorkflowId) -> Result<Option<Workflow>> {
        let sql = format!("SELECT {WORKFLOW_COLS} FROM workflows WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::workflow).transpose()
    }

    async fn list_workflows(&self) -> Result<Vec<Workflow>> {
        let sql = format!("SELECT {WORKFLOW_COLS} FROM workflows ORDER BY id");
        let rows = sqlx::query(&sql).fetch_all(&self.read).await.map_err(db)?;
        rows.iter().map(rows::workflow).collect()
    }

    async fn update_workflow(
        &self,
        id: WorkflowId,
        draft: WorkflowDraft,
        expected_revision: Option<i64>,
    ) -> Result<Workflow> {
        // The revision check is in the UPDATE's own WHERE: no window between reading and writing.
        let sql = format!(
            "UPDATE workflows SET name = ?1, draft = ?2, tests = ?3, updated_at = ?4, \
                 revision = revision + 1 \
             WHERE id = ?5 AND (?6 IS NULL OR revision = ?6) \
             RETURNING {WORKFLOW_COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(&draft.name)
            .bind(&draft.draft)
            .bind(&draft.tests)
            .bind(Timestamp::now().0)
            .bind(id.0)
            .bind(expected_revision)
            .fetch_optional(&self.write)
            .await
            .map_err(db)?;
        match row {
            Some(row) => rows::workflow(&row),
            None => {
                // Missing, or saved by someone else since `expected_revision`.
                let current: Option<i64> =
                    sqlx::query_scalar("SELECT revision FROM workflows WHERE id = ?")
                        .bind(id.0)
                        .fetch_optional(&self.write)
                        .await
                        .map_err(db)?;
                match current {
                    None => Err(StoreError::NotFound("workflow")),
                    Some(current) => Err(revision_conflict(expected_revision, current)),
                }
            }
        }
    }

    async fn delete_workflow(&self, id: WorkflowId) -> Result<()> {
        let mut tx = self.begin().await?;
        exists(&mut *tx, WORKFLOW_EXISTS, id.0, "workflow").await?;
        let accounts: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM account_workflows WHERE workflow_id = ?")
                .bind(id.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        if accounts > 0 {
            return Err(StoreError::Conflict(format!(
                "{accounts} accounts run the workflow; choose another for them first"
            )));
        }
        // Versions and flow states go with it (ON DELETE CASCADE).
        sqlx::query("DELETE FROM workflows WHERE id = ?")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    // ---- versions --------------------------------------------------------------------
    async fn publish_workflow(
        &self,
        id: WorkflowId,
        by: Option<OperatorId>,
        note: Option<String>,
    ) -> Result<WorkflowVersion> {
        let mut tx = self.begin().await?;
        exists(&mut *tx, WORKFLOW_EXISTS, id.0, "workflow").await?;
        // The single writer makes "highest + 1" safe: nobody else can insert a version in between.
        let sql = format!(
            "INSERT INTO workflow_versions (workflow_id, version, document, published_at, published_by, note) \
             SELECT id, \
                    (SELECT COALESCE(MAX(version), 0) + 1 FROM workflow_versions WHERE workflow_id = ?1), \
                    draft, ?2, ?3, ?4 \
             FROM workflows WHERE id = ?1 \
             RETURNING {WORKFLOW_VERSION_COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(id.0)
            .bind(Timestamp::now().0)
            .bind(by.map(|o| o.0))
            .bind(note)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match &e {
                // The workflow was found above in this transaction, so the operator is what is missing.
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                    StoreError::NotFound("operator")
                }
                _ => db(e),
            })?;
        let version = rows::workflow_version(&row)?;
        set_published(&mut tx, id, version.version).await?;
        tx.commit().await.map_err(db)?;
        Ok(version)
    }

    async fn rollback_workflow(&self, id: WorkflowId, version: i32) -> Result<Workflow> {
        let mut tx = self.begin().await?;
        exists(&mut *tx, WORKFLOW_EXISTS, id.0, "workflow").await?;
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM workflow_versions WHERE workflow_id = ? AND version = ?",
        )
        .bind(id.0)
        .bind(version)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        if found.is_none() {
            return Err(StoreError::NotFound("workflow version"));
        }
        let workflow = set_published(&mut tx, id, version).await?;
        tx.commit().await.map_err(db)?;
        Ok(workflow)
    }

    async fn workflow_version(
        &self,
        id: WorkflowId,
        version: i32,
    ) -> Result<Option<WorkflowVersion>> {
        let sql = format!(
            "SELECT {WORKFLOW_VERSION_COLS} FROM workflow_versions WHERE workflow_id = ? AND version = ?"
        );
        let row = sqlx::query(&sql)
            .bind(id.0)
            .bind(version)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::workflow_version).transpose()
    }

    async fn list_workflow_versions(&self, id: WorkflowId) -> Result<Vec<WorkflowVersion>> {
        let sql = format!(
            "SELECT {WORKFLOW_VERSION_COLS} FROM workflow_versions WHERE workflow_id = ? \
             ORDER BY version DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(id.0)
            .fetch_all(&self.read)
            .await
            .map_err(db)?;
        if rows.is_empty() {
            exists(&self.read, WORKFLOW_EXISTS, id.0, "workflow").await?;
        }
        rows.iter().map(rows::workflow_version).collect()
    }

    // ---- accounts --------------------------------------------------------------------
    async fn list_account_workflows(&self) -> Result<Vec<(AccountId, WorkflowId)>> {
        let pairs: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT account_id, workflow_id FROM account_workflows ORDER BY account_id",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        Ok(pairs
            .into_iter()
            .map(|(a, w)| (AccountId(a), WorkflowId(w)))
            .collect())
    }

    async fn account_workflow(&self, account: AccountId) -> Result<Option<WorkflowId>> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT workflow_id FROM account_workflows WHERE account_id = ?")
                .bind(account.0)
                .fetch_optional(&self.read)
                .await
                .map_err(db)?;
        if id.is_none() {
            // "Runs none" and "no such account" are different answers.
            exists(&self.read, ACCOUNT_EXISTS, account.0, "account").await?;
        }
        Ok(id.map(WorkflowId))
    }

    async fn set_account_workflow(
        &self,
        account: AccountId,
        workflow: Option<WorkflowId>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        exists(&mut *tx, ACCOUNT_EXISTS, account.0, "account").await?;
        match workflow {
            Some(workflow) => {
                exists(&mut *tx, WORKFLOW_EXISTS, workflow.0, "workflow").await?;
                sqlx::query(
                    "INSERT INTO account_workflows (account_id, workflow_id) VALUES (?1, ?2) \
                     ON CONFLICT (account_id) DO UPDATE SET workflow_id = excluded.workflow_id",
                )
                .bind(account.0)
                .bind(workflow.0)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            }
            None => {
                sqlx::query("DELETE FROM account_workflows WHERE account_id = ?")
                    .bind(account.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
        }
        tx.commit().await.map_err(db)
    }

    // ---- flow states --------------------------------------------------------------------
    async fn flow_state(&self, conversation: ConversationId) -> Result<Option<FlowState>> {
        let sql = format!("SELECT {FLOW_STATE_COLS} FROM flow_states WHERE conversation_id = ?");
        let row = sqlx::query(&sql)
            .bind(conversation.0)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        if row.is_none() {
            exists(
                &self.read,
                CONVERSATION_EXISTS,
                conversation.0,
                "conversation",
            )
            .await?;
        }
        row.as_ref().map(rows::flow_state).transpose()
    }

    async fn save_flow_state(&self, state: FlowState) -> Result<FlowState> {
        let mut tx = self.begin().await?;
        exists(
            &mut *tx,
            CONVERSATION_EXISTS,
            state.conversation_id.0,
            "conversation",
        )
        .await?;
        let saved = put_flow_state(
            &mut tx,
            state.conversation_id,
            state.workflow_id,
            state.version,
            &state.state,
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(saved)
    }

    async fn clear_flow_state(&self, conversation: ConversationId) -> Result<()> {
        let mut tx = self.begin().await?;
        delete_flow_state(&mut tx, conversation).await?;
        tx.commit().await.map_err(db)
    }

    async fn flow_versions_in_use(&self, id: WorkflowId) -> Result<Vec<(i32, i64)>> {
        let counts: Vec<(i32, i64)> = sqlx::query_as(
            "SELECT version, COUNT(*) FROM flow_states WHERE workflow_id = ? \
             GROUP BY version ORDER BY version",
        )
        .bind(id.0)
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        if counts.is_empty() {
            exists(&self.read, WORKFLOW_EXISTS, id.0, "workflow").await?;
        }
        Ok(counts)
    }

    // ---- integrations --------------------------------------------------------------------
    async fn upsert_integration(
        &self,
        name: &str,
        base_url: &str,
        headers: std::collections::BTreeMap<String, String>,
    ) -> Result<Integration> {
        let sql = format!(
            "INSERT INTO integrations (name, base_url, headers, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?4) \
             ON CONFLICT (name) DO UPDATE SET base_url = excluded.base_url, \
                 headers = excluded.headers, updated_at = excluded.updated_at \
             RETURNING {INTEGRATION_COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(name)
            .bind(base_url)
            .bind(stored::headers_to_json(&headers)?)
            .bind(Timestamp::now().0)
            .fetch_one(&self.write)
            .await
            .map_err(db)?;
        rows::integration(&row)
    }

    async fn integration(&self, name: &str) -> Result<Option<Integration>> {
        let sql = format!("SELECT {INTEGRATION_COLS} FROM integrations WHERE name = ?");
        let row = sqlx::query(&sql)
            .bind(name)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::integration).transpose()
    }

    async fn list_integrations(&self) -> Result<Vec<Integration>> {
        let sql = format!("SELECT {INTEGRATION_COLS} FROM integrations ORDER BY name");
        let rows = sqlx::query(&sql).fetch_all(&self.read).await.map_err(db)?;
        rows.iter().map(rows::integration).collect()
    }

    async fn delete_integration(&self, name: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM integrations WHERE name = ?")
            .bind(name)
            .execute(&self.write)
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("integration"));
        }
        Ok(())
    }
}
