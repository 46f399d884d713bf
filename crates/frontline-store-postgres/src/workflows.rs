//! Workflows as stored: drafts, immutable published versions, the workflow each account runs, where
//! each conversation stands in one, and the integrations Action nodes call.
//!
//! None of this appends events, so nothing here takes the event log lock. Concurrency rests on row
//! locks of the `workflows` row instead, chosen so that each writer conflicts with exactly the
//! writers it must not interleave with:
//! - publish and rollback take `FOR NO KEY UPDATE`, as an editor's `UPDATE` does implicitly. Two
//!   concurrent publishes of one workflow therefore run one after the other, and under READ
//!   COMMITTED the second one's `MAX(version)` sees the first one's committed version: distinct
//!   versions, no unique violation to retry. A publish also copies a draft no save is halfway through.
//! - delete takes `FOR UPDATE`, which also conflicts with the `FOR KEY SHARE` that choosing the
//!   workflow for an account or saving a flow state on it takes (explicitly, and implicitly through
//!   their foreign keys). So an account cannot start running the workflow between the delete's "is it
//!   in use?" check and the delete; whichever commits second sees the other's outcome (Conflict, or
//!   `NotFound("workflow")`). Publishing does not block flow-state saves: `NO KEY UPDATE` and
//!   `KEY SHARE` do not conflict.
//!
//! A per-workflow advisory lock would serialise publishes as well, but every other writer would then
//! have to remember to take it; row locks are taken by the statements themselves.
//!
//! Every transaction here locks at most one `workflows` row and one `accounts` row (always the account
//! first), and the event writers never lock workflow rows, so these cannot deadlock with each other or
//! with the lifecycle.

use std::collections::BTreeMap;

use frontline_domain::{
    AccountId, ConversationId, FlowState, Integration, OperatorId, Timestamp, Workflow,
    WorkflowDraft, WorkflowId, WorkflowVersion,
};
use frontline_store::{Result, StoreError};
use sqlx::PgPool;
use sqlx::postgres::PgRow;
use sqlx::types::Json;

use crate::error::{db_err, map_err};
use crate::events::Tx;
use crate::rows::{get, ts};

const WORKFLOW_COLUMNS: &str = "id, name, draft, tests, published_version, created_at, updated_at";

const VERSION_COLUMNS: &str = "workflow_id, version, document, published_at, published_by";

const FLOW_STATE_COLUMNS: &str = "conversation_id, workflow_id, version, state, updated_at";

const INTEGRATION_COLUMNS: &str = "name, base_url, headers, created_at, updated_at";

fn workflow_row(row: &PgRow) -> Result<Workflow> {
    Ok(Workflow {
        id: WorkflowId(get(row, "id")?),
        name: get(row, "name")?,
        draft: get(row, "draft")?,
        tests: get(row, "tests")?,
        published_version: get(row, "published_version")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

fn version_row(row: &PgRow) -> Result<WorkflowVersion> {
    Ok(WorkflowVersion {
        workflow_id: WorkflowId(get(row, "workflow_id")?),
        version: get(row, "version")?,
        document: get(row, "document")?,
        published_at: ts(row, "published_at")?,
        published_by: get::<Option<i64>>(row, "published_by")?.map(OperatorId),
    })
}

fn flow_state_row(row: &PgRow) -> Result<FlowState> {
    Ok(FlowState {
        conversation_id: ConversationId(get(row, "conversation_id")?),
        workflow_id: WorkflowId(get(row, "workflow_id")?),
        version: get(row, "version")?,
        state: get(row, "state")?,
        updated_at: ts(row, "updated_at")?,
    })
}

fn integration_row(row: &PgRow) -> Result<Integration> {
    Ok(Integration {
        name: get(row, "name")?,
        base_url: get(row, "base_url")?,
        headers: get::<Json<BTreeMap<String, String>>>(row, "headers")?.0,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

/// `NotFound(what)` unless `sql` (a `SELECT 1 … WHERE id = $1`, possibly locking) finds the row.
async fn exists(
    executor: impl sqlx::PgExecutor<'_>,
    sql: &str,
    id: i64,
    what: &'static str,
) -> Result<()> {
    let found: Option<i32> = sqlx::query_scalar(sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(db_err)?;
    found.map(|_| ()).ok_or(StoreError::NotFound(what))
}

const WORKFLOW_EXISTS: &str = "SELECT 1 FROM workflows WHERE id = $1";
const ACCOUNT_EXISTS: &str = "SELECT 1 FROM accounts WHERE id = $1";
const CONVERSATION_EXISTS: &str = "SELECT 1 FROM conversations WHERE id = $1";

/// Begin a transaction holding `lock` (`FOR …`) on the workflow row; `NotFound("workflow")`.
async fn begin_on_workflow(pool: &PgPool, id: WorkflowId, lock: &str) -> Result<Tx> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    exists(
        &mut *tx,
        &format!("{WORKFLOW_EXISTS} {lock}"),
        id.0,
        "workflow",
    )
    .await?;
    Ok(tx)
}

// ---- workflows ----------------------------------------------------------------------------------

pub(crate) async fn create_workflow(pool: &PgPool, draft: WorkflowDraft) -> Result<Workflow> {
    let row = sqlx::query(&format!(
        "INSERT INTO workflows (name, draft, tests, published_version, created_at, updated_at) \
         VALUES ($1, $2, $3, NULL, $4, $4) RETURNING {WORKFLOW_COLUMNS}"
    ))
    .bind(&draft.name)
    .bind(&draft.draft)
    .bind(&draft.tests)
    .bind(Timestamp::now().0)
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    workflow_row(&row)
}

pub(crate) async fn workflow_by_id(pool: &PgPool, id: WorkflowId) -> Result<Option<Workflow>> {
    let row = sqlx::query(&format!(
        "SELECT {WORKFLOW_COLUMNS} FROM workflows WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    row.as_ref().map(workflow_row).transpose()
}

pub(crate) async fn list_workflows(pool: &PgPool) -> Result<Vec<Workflow>> {
    let rows = sqlx::query(&format!(
        "SELECT {WORKFLOW_COLUMNS} FROM workflows ORDER BY id"
    ))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter().map(workflow_row).collect()
}

pub(crate) async fn update_workflow(
    pool: &PgPool,
    id: WorkflowId,
    draft: WorkflowDraft,
) -> Result<Workflow> {
    // One statement: its implicit row lock orders it against publishes (see the module docs).
    let row = sqlx::query(&format!(
        "UPDATE workflows SET name = $2, draft = $3, tests = $4, updated_at = $5 WHERE id = $1 \
         RETURNING {WORKFLOW_COLUMNS}"
    ))
    .bind(id.0)
    .bind(&draft.name)
    .bind(&draft.draft)
    .bind(&draft.tests)
    .bind(Timestamp::now().0)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    workflow_row(&row.ok_or(StoreError::NotFound("workflow"))?)
}

pub(crate) async fn delete_workflow(pool: &PgPool, id: WorkflowId) -> Result<()> {
    let mut tx = begin_on_workflow(pool, id, "FOR UPDATE").await?;
    let accounts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM account_workflows WHERE workflow_id = $1")
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
    if accounts > 0 {
        return Err(StoreError::Conflict(format!(
            "{accounts} accounts run the workflow; choose another for them first"
        )));
    }
    // Versions and flow states go with it (ON DELETE CASCADE).
    sqlx::query("DELETE FROM workflows WHERE id = $1")
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    tx.commit().await.map_err(db_err)
}

// ---- versions -----------------------------------------------------------------------------------

pub(crate) async fn publish_workflow(
    pool: &PgPool,
    id: WorkflowId,
    by: Option<OperatorId>,
) -> Result<WorkflowVersion> {
    let mut tx = begin_on_workflow(pool, id, "FOR NO KEY UPDATE").await?;
    // Under the row lock this statement's snapshot includes every earlier publish's version.
    let row = sqlx::query(&format!(
        "INSERT INTO workflow_versions (workflow_id, version, document, published_at, published_by) \
         SELECT id, \
                (SELECT COALESCE(MAX(version), 0) + 1 FROM workflow_versions WHERE workflow_id = $1), \
                draft, $2, $3 \
         FROM workflows WHERE id = $1 \
         RETURNING {VERSION_COLUMNS}"
    ))
    .bind(id.0)
    .bind(Timestamp::now().0)
    .bind(by.map(|o| o.0))
    .fetch_one(&mut *tx)
    .await
    // The workflow is locked, so a foreign key violation can only be the operator's.
    .map_err(map_err("operator"))?;
    let version = version_row(&row)?;
    set_published(&mut tx, id, version.version).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(version)
}

/// Point the locked workflow at `version`; `updated_at` stays (it dates the draft, not the choice).
async fn set_published(tx: &mut Tx, id: WorkflowId, version: i32) -> Result<Workflow> {
    let row = sqlx::query(&format!(
        "UPDATE workflows SET published_version = $2 WHERE id = $1 RETURNING {WORKFLOW_COLUMNS}"
    ))
    .bind(id.0)
    .bind(version)
    .fetch_one(&mut **tx)
    .await
    .map_err(db_err)?;
    workflow_row(&row)
}

pub(crate) async fn rollback_workflow(
    pool: &PgPool,
    id: WorkflowId,
    version: i32,
) -> Result<Workflow> {
    let mut tx = begin_on_workflow(pool, id, "FOR NO KEY UPDATE").await?;
    let found: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM workflow_versions WHERE workflow_id = $1 AND version = $2)",
    )
    .bind(id.0)
    .bind(version)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;
    if !found {
        return Err(StoreError::NotFound("workflow version"));
    }
    let workflow = set_published(&mut tx, id, version).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(workflow)
}

pub(crate) async fn workflow_version(
    pool: &PgPool,
    id: WorkflowId,
    version: i32,
) -> Result<Option<WorkflowVersion>> {
    let row = sqlx::query(&format!(
        "SELECT {VERSION_COLUMNS} FROM workflow_versions WHERE workflow_id = $1 AND version = $2"
    ))
    .bind(id.0)
    .bind(version)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    row.as_ref().map(version_row).transpose()
}

pub(crate) async fn list_workflow_versions(
    pool: &PgPool,
    id: WorkflowId,
) -> Result<Vec<WorkflowVersion>> {
    let rows = sqlx::query(&format!(
        "SELECT {VERSION_COLUMNS} FROM workflow_versions WHERE workflow_id = $1 \
         ORDER BY version DESC"
    ))
    .bind(id.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    if rows.is_empty() {
        exists(pool, WORKFLOW_EXISTS, id.0, "workflow").await?;
    }
    rows.iter().map(version_row).collect()
}

// ---- accounts -----------------------------------------------------------------------------------

pub(crate) async fn account_workflow(
    pool: &PgPool,
    account: AccountId,
) -> Result<Option<WorkflowId>> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT workflow_id FROM account_workflows WHERE account_id = $1")
            .bind(account.0)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?;
    if id.is_none() {
        // "Runs none" and "no such account" are different answers.
        exists(pool, ACCOUNT_EXISTS, account.0, "account").await?;
    }
    Ok(id.map(WorkflowId))
}

pub(crate) async fn set_account_workflow(
    pool: &PgPool,
    account: AccountId,
    workflow: Option<WorkflowId>,
) -> Result<()> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    // KEY SHARE: the rows cannot be deleted until this commits (see the module docs), and a
    // concurrent delete that got there first makes these find nothing.
    exists(
        &mut *tx,
        &format!("{ACCOUNT_EXISTS} FOR KEY SHARE"),
        account.0,
        "account",
    )
    .await?;
    match workflow {
        Some(workflow) => {
            exists(
                &mut *tx,
                &format!("{WORKFLOW_EXISTS} FOR KEY SHARE"),
                workflow.0,
                "workflow",
            )
            .await?;
            sqlx::query(
                "INSERT INTO account_workflows (account_id, workflow_id) VALUES ($1, $2) \
                 ON CONFLICT (account_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id",
            )
            .bind(account.0)
            .bind(workflow.0)
            .execute(&mut *tx)
            .await
            .map_err(map_err("workflow"))?;
        }
        None => {
            sqlx::query("DELETE FROM account_workflows WHERE account_id = $1")
                .bind(account.0)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
    }
    tx.commit().await.map_err(db_err)
}

// ---- flow states --------------------------------------------------------------------------------

pub(crate) async fn flow_state(
    pool: &PgPool,
    conversation: ConversationId,
) -> Result<Option<FlowState>> {
    let row = sqlx::query(&format!(
        "SELECT {FLOW_STATE_COLUMNS} FROM flow_states WHERE conversation_id = $1"
    ))
    .bind(conversation.0)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    if row.is_none() {
        exists(pool, CONVERSATION_EXISTS, conversation.0, "conversation").await?;
    }
    row.as_ref().map(flow_state_row).transpose()
}

pub(crate) async fn save_flow_state(pool: &PgPool, state: FlowState) -> Result<FlowState> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    // Conversations are never deleted: once found, a foreign key violation below can only be the
    // workflow's, which KEY SHARE rules out until commit anyway.
    exists(
        &mut *tx,
        CONVERSATION_EXISTS,
        state.conversation_id.0,
        "conversation",
    )
    .await?;
    exists(
        &mut *tx,
        &format!("{WORKFLOW_EXISTS} FOR KEY SHARE"),
        state.workflow_id.0,
        "workflow",
    )
    .await?;
    let row = sqlx::query(&format!(
        "INSERT INTO flow_states (conversation_id, workflow_id, version, state, updated_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (conversation_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id, \
             version = EXCLUDED.version, state = EXCLUDED.state, updated_at = EXCLUDED.updated_at \
         RETURNING {FLOW_STATE_COLUMNS}"
    ))
    .bind(state.conversation_id.0)
    .bind(state.workflow_id.0)
    .bind(state.version)
    .bind(&state.state)
    .bind(Timestamp::now().0)
    .fetch_one(&mut *tx)
    .await
    .map_err(map_err("workflow"))?;
    let saved = flow_state_row(&row)?;
    tx.commit().await.map_err(db_err)?;
    Ok(saved)
}

pub(crate) async fn clear_flow_state(pool: &PgPool, conversation: ConversationId) -> Result<()> {
    sqlx::query("DELETE FROM flow_states WHERE conversation_id = $1")
        .bind(conversation.0)
        .execute(pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn flow_versions_in_use(pool: &PgPool, id: WorkflowId) -> Result<Vec<(i32, i64)>> {
    let counts: Vec<(i32, i64)> = sqlx::query_as(
        "SELECT version, COUNT(*) FROM flow_states WHERE workflow_id = $1 \
         GROUP BY version ORDER BY version",
    )
    .bind(id.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    if counts.is_empty() {
        exists(pool, WORKFLOW_EXISTS, id.0, "workflow").await?;
    }
    Ok(counts)
}

// ---- integrations -------------------------------------------------------------------------------

pub(crate) async fn upsert_integration(
    pool: &PgPool,
    name: &str,
    base_url: &str,
    headers: BTreeMap<String, String>,
) -> Result<Integration> {
    let row = sqlx::query(&format!(
        "INSERT INTO integrations (name, base_url, headers, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (name) DO UPDATE SET base_url = EXCLUDED.base_url, \
             headers = EXCLUDED.headers, updated_at = EXCLUDED.updated_at \
         RETURNING {INTEGRATION_COLUMNS}"
    ))
    .bind(name)
    .bind(base_url)
    .bind(Json(&headers))
    .bind(Timestamp::now().0)
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    integration_row(&row)
}

pub(crate) async fn integration_by_name(pool: &PgPool, name: &str) -> Result<Option<Integration>> {
    let row = sqlx::query(&format!(
        "SELECT {INTEGRATION_COLUMNS} FROM integrations WHERE name = $1"
    ))
    .bind(name)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    row.as_ref().map(integration_row).transpose()
}

pub(crate) async fn list_integrations(pool: &PgPool) -> Result<Vec<Integration>> {
    // The name column is COLLATE "C" (see the migration): code-point order, as on SQLite.
    let rows = sqlx::query(&format!(
        "SELECT {INTEGRATION_COLUMNS} FROM integrations ORDER BY name"
    ))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter().map(integration_row).collect()
}

pub(crate) async fn delete_integration(pool: &PgPool, name: &str) -> Result<()> {
    let done = sqlx::query("DELETE FROM integrations WHERE name = $1")
        .bind(name)
        .execute(pool)
        .await
        .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("integration"));
    }
    Ok(())
}
