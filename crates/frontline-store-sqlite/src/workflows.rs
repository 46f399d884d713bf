//! Workflows as stored: drafts, immutable published versions, the workflow each account runs, where
//! each conversation stands in one, and the integrations Action nodes call.
//!
//! None of this appends events: workflows are configuration. Writes that read before they write run
//! on the single write connection in a `BEGIN IMMEDIATE` transaction, so "check, then write" needs no
//! row locks: a publish reads the highest version and inserts the next one with no other writer in
//! between, and a delete cannot race an account choosing the workflow. Single-statement writes run on
//! the write connection directly (autocommit), which is the same thing for one statement.

use std::collections::BTreeMap;

use frontline_domain::{
    AccountId, ConversationId, FlowState, Integration, OperatorId, Timestamp, Workflow,
    WorkflowDraft, WorkflowId, WorkflowVersion,
};
use frontline_store::{Result, StoreError};

use crate::error::db;
use crate::rows::{
    self, FLOW_STATE_COLS, INTEGRATION_COLS, WORKFLOW_COLS, WORKFLOW_VERSION_COLS, headers_to_json,
};
use crate::{SqliteStore, Tx};

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

const WORKFLOW_EXISTS: &str = "SELECT 1 FROM workflows WHERE id = ?";
const ACCOUNT_EXISTS: &str = "SELECT 1 FROM accounts WHERE id = ?";
const CONVERSATION_EXISTS: &str = "SELECT 1 FROM conversations WHERE id = ?";

// ---- workflows ----------------------------------------------------------------------------------

pub(crate) async fn create_workflow(s: &SqliteStore, draft: WorkflowDraft) -> Result<Workflow> {
    let sql = format!(
        "INSERT INTO workflows (name, draft, tests, published_version, created_at, updated_at) \
         VALUES (?1, ?2, ?3, NULL, ?4, ?4) RETURNING {WORKFLOW_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(&draft.name)
        .bind(&draft.draft)
        .bind(&draft.tests)
        .bind(Timestamp::now().0)
        .fetch_one(&s.write)
        .await
        .map_err(db)?;
    rows::workflow(&row)
}

pub(crate) async fn workflow(s: &SqliteStore, id: WorkflowId) -> Result<Option<Workflow>> {
    let sql = format!("SELECT {WORKFLOW_COLS} FROM workflows WHERE id = ?");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&s.read)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::workflow).transpose()
}

pub(crate) async fn list_workflows(s: &SqliteStore) -> Result<Vec<Workflow>> {
    let sql = format!("SELECT {WORKFLOW_COLS} FROM workflows ORDER BY id");
    let rows = sqlx::query(&sql).fetch_all(&s.read).await.map_err(db)?;
    rows.iter().map(rows::workflow).collect()
}

pub(crate) async fn update_workflow(
    s: &SqliteStore,
    id: WorkflowId,
    draft: WorkflowDraft,
) -> Result<Workflow> {
    let sql = format!(
        "UPDATE workflows SET name = ?1, draft = ?2, tests = ?3, updated_at = ?4 WHERE id = ?5 \
         RETURNING {WORKFLOW_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(&draft.name)
        .bind(&draft.draft)
        .bind(&draft.tests)
        .bind(Timestamp::now().0)
        .bind(id.0)
        .fetch_optional(&s.write)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound("workflow"))?;
    rows::workflow(&row)
}

pub(crate) async fn delete_workflow(s: &SqliteStore, id: WorkflowId) -> Result<()> {
    let mut tx = s.begin().await?;
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

// ---- versions -----------------------------------------------------------------------------------

pub(crate) async fn publish_workflow(
    s: &SqliteStore,
    id: WorkflowId,
    by: Option<OperatorId>,
) -> Result<WorkflowVersion> {
    let mut tx = s.begin().await?;
    exists(&mut *tx, WORKFLOW_EXISTS, id.0, "workflow").await?;
    // The single writer makes "highest + 1" safe: nobody else can insert a version in between.
    let sql = format!(
        "INSERT INTO workflow_versions (workflow_id, version, document, published_at, published_by) \
         SELECT id, \
                (SELECT COALESCE(MAX(version), 0) + 1 FROM workflow_versions WHERE workflow_id = ?1), \
                draft, ?2, ?3 \
         FROM workflows WHERE id = ?1 \
         RETURNING {WORKFLOW_VERSION_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(id.0)
        .bind(Timestamp::now().0)
        .bind(by.map(|o| o.0))
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

pub(crate) async fn rollback_workflow(
    s: &SqliteStore,
    id: WorkflowId,
    version: i32,
) -> Result<Workflow> {
    let mut tx = s.begin().await?;
    exists(&mut *tx, WORKFLOW_EXISTS, id.0, "workflow").await?;
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM workflow_versions WHERE workflow_id = ? AND version = ?")
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

pub(crate) async fn workflow_version(
    s: &SqliteStore,
    id: WorkflowId,
    version: i32,
) -> Result<Option<WorkflowVersion>> {
    let sql = format!(
        "SELECT {WORKFLOW_VERSION_COLS} FROM workflow_versions WHERE workflow_id = ? AND version = ?"
    );
    let row = sqlx::query(&sql)
        .bind(id.0)
        .bind(version)
        .fetch_optional(&s.read)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::workflow_version).transpose()
}

pub(crate) async fn list_workflow_versions(
    s: &SqliteStore,
    id: WorkflowId,
) -> Result<Vec<WorkflowVersion>> {
    let sql = format!(
        "SELECT {WORKFLOW_VERSION_COLS} FROM workflow_versions WHERE workflow_id = ? \
         ORDER BY version DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(id.0)
        .fetch_all(&s.read)
        .await
        .map_err(db)?;
    if rows.is_empty() {
        exists(&s.read, WORKFLOW_EXISTS, id.0, "workflow").await?;
    }
    rows.iter().map(rows::workflow_version).collect()
}

// ---- accounts -----------------------------------------------------------------------------------

pub(crate) async fn account_workflow(
    s: &SqliteStore,
    account: AccountId,
) -> Result<Option<WorkflowId>> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT workflow_id FROM account_workflows WHERE account_id = ?")
            .bind(account.0)
            .fetch_optional(&s.read)
            .await
            .map_err(db)?;
    if id.is_none() {
        // "Runs none" and "no such account" are different answers.
        exists(&s.read, ACCOUNT_EXISTS, account.0, "account").await?;
    }
    Ok(id.map(WorkflowId))
}

pub(crate) async fn set_account_workflow(
    s: &SqliteStore,
    account: AccountId,
    workflow: Option<WorkflowId>,
) -> Result<()> {
    let mut tx = s.begin().await?;
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

// ---- flow states --------------------------------------------------------------------------------

pub(crate) async fn flow_state(
    s: &SqliteStore,
    conversation: ConversationId,
) -> Result<Option<FlowState>> {
    let sql = format!("SELECT {FLOW_STATE_COLS} FROM flow_states WHERE conversation_id = ?");
    let row = sqlx::query(&sql)
        .bind(conversation.0)
        .fetch_optional(&s.read)
        .await
        .map_err(db)?;
    if row.is_none() {
        exists(&s.read, CONVERSATION_EXISTS, conversation.0, "conversation").await?;
    }
    row.as_ref().map(rows::flow_state).transpose()
}

pub(crate) async fn save_flow_state(s: &SqliteStore, state: FlowState) -> Result<FlowState> {
    let mut tx = s.begin().await?;
    exists(
        &mut *tx,
        CONVERSATION_EXISTS,
        state.conversation_id.0,
        "conversation",
    )
    .await?;
    exists(&mut *tx, WORKFLOW_EXISTS, state.workflow_id.0, "workflow").await?;
    let sql = format!(
        "INSERT INTO flow_states (conversation_id, workflow_id, version, state, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (conversation_id) DO UPDATE SET workflow_id = excluded.workflow_id, \
             version = excluded.version, state = excluded.state, updated_at = excluded.updated_at \
         RETURNING {FLOW_STATE_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(state.conversation_id.0)
        .bind(state.workflow_id.0)
        .bind(state.version)
        .bind(&state.state)
        .bind(Timestamp::now().0)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    let saved = rows::flow_state(&row)?;
    tx.commit().await.map_err(db)?;
    Ok(saved)
}

pub(crate) async fn clear_flow_state(s: &SqliteStore, conversation: ConversationId) -> Result<()> {
    sqlx::query("DELETE FROM flow_states WHERE conversation_id = ?")
        .bind(conversation.0)
        .execute(&s.write)
        .await
        .map_err(db)?;
    Ok(())
}

pub(crate) async fn flow_versions_in_use(
    s: &SqliteStore,
    id: WorkflowId,
) -> Result<Vec<(i32, i64)>> {
    let counts: Vec<(i32, i64)> = sqlx::query_as(
        "SELECT version, COUNT(*) FROM flow_states WHERE workflow_id = ? \
         GROUP BY version ORDER BY version",
    )
    .bind(id.0)
    .fetch_all(&s.read)
    .await
    .map_err(db)?;
    if counts.is_empty() {
        exists(&s.read, WORKFLOW_EXISTS, id.0, "workflow").await?;
    }
    Ok(counts)
}

// ---- integrations -------------------------------------------------------------------------------

pub(crate) async fn upsert_integration(
    s: &SqliteStore,
    name: &str,
    base_url: &str,
    headers: BTreeMap<String, String>,
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
        .bind(headers_to_json(&headers)?)
        .bind(Timestamp::now().0)
        .fetch_one(&s.write)
        .await
        .map_err(db)?;
    rows::integration(&row)
}

pub(crate) async fn integration(s: &SqliteStore, name: &str) -> Result<Option<Integration>> {
    let sql = format!("SELECT {INTEGRATION_COLS} FROM integrations WHERE name = ?");
    let row = sqlx::query(&sql)
        .bind(name)
        .fetch_optional(&s.read)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::integration).transpose()
}

pub(crate) async fn list_integrations(s: &SqliteStore) -> Result<Vec<Integration>> {
    let sql = format!("SELECT {INTEGRATION_COLS} FROM integrations ORDER BY name");
    let rows = sqlx::query(&sql).fetch_all(&s.read).await.map_err(db)?;
    rows.iter().map(rows::integration).collect()
}

pub(crate) async fn delete_integration(s: &SqliteStore, name: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM integrations WHERE name = ?")
        .bind(name)
        .execute(&s.write)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("integration"));
    }
    Ok(())
}
