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
//! first), so these cannot deadlock with each other. The one event writer that touches this module's
//! tables is a bot turn (`apply_bot_turn`): it holds its conversation's row, then shares the
//! workflow's key and writes the flow state. A flow state saved on its own therefore shares the
//! conversation's key before anything else, and so waits for such a turn rather than deadlocking
//! with it; deleting a workflow locks only the workflow before its flow states, in the same order as
//! the turn.

use std::collections::BTreeMap;

use async_trait::async_trait;
use frontline_domain::{
    AccountId, ConversationId, FlowState, Integration, OperatorId, Timestamp, Workflow,
    WorkflowDraft, WorkflowId, WorkflowVersion,
};
use frontline_store::rows::{
    self, FLOW_STATE_COLS, INTEGRATION_COLS, WORKFLOW_COLS, WORKFLOW_VERSION_COLS,
};
use frontline_store::{Result, StoreError, WorkflowStore, revision_conflict};
use sqlx::PgExecutor;
use sqlx::types::Json;

use crate::error::{db, db_referencing};
use crate::{PgStore, Tx};

/// `NotFound(what)` unless `sql` (a `SELECT 1 … WHERE id = $1`, possibly locking) finds the row.
async fn exists(
    executor: impl PgExecutor<'_>,
    sql: &str,
    id: i64,
    what: &'static str,
) -> Result<()> {
    let found: Option<i32> = sqlx::query_scalar(sql)
        .bind(id)
        .fetch_optional(executor)
        .await
        .map_err(db)?;
    found.map(|_| ()).ok_or(StoreError::NotFound(what))
}

const WORKFLOW_EXISTS: &str = "SELECT 1 FROM workflows WHERE id = $1";
const ACCOUNT_EXISTS: &str = "SELECT 1 FROM accounts WHERE id = $1";
const CONVERSATION_EXISTS: &str = "SELECT 1 FROM conversations WHERE id = $1";

/// Begin a transaction holding `lock` (`FOR …`) on the workflow row; `NotFound("workflow")`.
async fn begin_on_workflow(store: &PgStore, id: WorkflowId, lock: &str) -> Result<Tx> {
    let mut tx = store.pool.begin().await.map_err(db)?;
    exists(
        &mut *tx,
        &format!("{WORKFLOW_EXISTS} {lock}"),
        id.0,
        "workflow",
    )
    .await?;
    Ok(Tx::new(tx))
}

/// Point the locked workflow at `version`; `updated_at` stays (it dates the draft, not the choice).
async fn set_published(tx: &mut Tx, id: WorkflowId, version: i32) -> Result<Workflow> {
    let row = sqlx::query(&format!(
        "UPDATE workflows SET published_version = $2 WHERE id = $1 RETURNING {WORKFLOW_COLS}"
    ))
    .bind(id.0)
    .bind(version)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?;
    rows::workflow(&row)
}

/// Insert or replace the flow state of a conversation that exists (the caller checked or locked it).
/// `NotFound("workflow")`. Shared with the bot's turns.
pub(crate) async fn put_flow_state(
    tx: &mut Tx,
    conversation: ConversationId,
    workflow: WorkflowId,
    version: i32,
    state: &str,
) -> Result<FlowState> {
    // KEY SHARE: the workflow cannot be deleted until this commits (see the module docs), so the
    // foreign key below cannot fail; it is mapped anyway.
    exists(
        &mut **tx,
        &format!("{WORKFLOW_EXISTS} FOR KEY SHARE"),
        workflow.0,
        "workflow",
    )
    .await?;
    let row = sqlx::query(&format!(
        "INSERT INTO flow_states (conversation_id, workflow_id, version, state, updated_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (conversation_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id, \
             version = EXCLUDED.version, state = EXCLUDED.state, updated_at = EXCLUDED.updated_at \
         RETURNING {FLOW_STATE_COLS}"
    ))
    .bind(conversation.0)
    .bind(workflow.0)
    .bind(version)
    .bind(state)
    .bind(Timestamp::now().0)
    .fetch_one(&mut **tx)
    .await
    .map_err(db_referencing("workflow"))?;
    rows::flow_state(&row)
}

/// Forget where a conversation stands in its workflow. Idempotent; shared with the bot's turns.
pub(crate) async fn delete_flow_state(
    executor: impl PgExecutor<'_>,
    conversation: ConversationId,
) -> Result<()> {
    sqlx::query("DELETE FROM flow_states WHERE conversation_id = $1")
        .bind(conversation.0)
        .execute(executor)
        .await
        .map_err(db)?;
    Ok(())
}

#[async_trait]
impl WorkflowStore for PgStore {
    // ---- workflows ------------------------------------------------------------------------------

    async fn create_workflow(&self, draft: WorkflowDraft) -> Result<Workflow> {
        let row = sqlx::query(&format!(
            "INSERT INTO workflows (name, draft, tests, published_version, created_at, updated_at) \
             VALUES ($1, $2, $3, NULL, $4, $4) RETURNING {WORKFLOW_COLS}"
        ))
        .bind(&draft.name)
        .bind(&draft.draft)
        .bind(&draft.tests)
        .bind(Timestamp::now().0)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        rows::workflow(&row)
    }

    async fn workflow(&self, id: WorkflowId) -> Result<Option<Workflow>> {
        let row = sqlx::query(&format!(
            "SELECT {WORKFLOW_COLS} FROM workflows WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::workflow).transpose()
    }

    async fn list_workflows(&self) -> Result<Vec<Workflow>> {
        let rows = sqlx::query(&format!(
            "SELECT {WORKFLOW_COLS} FROM workflows ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(rows::workflow).collect()
    }

    async fn update_workflow(
        &self,
        id: WorkflowId,
        draft: WorkflowDraft,
        expected_revision: Option<i64>,
    ) -> Result<Workflow> {
        // One statement: its implicit row lock orders it against publishes (see the module docs)
        // and against another save. Under READ COMMITTED a save blocked on the row re-checks the
        // WHERE against the row the first one committed, so of two saves from one revision the
        // second finds a newer revision and changes nothing.
        let row = sqlx::query(&format!(
            "UPDATE workflows SET name = $2, draft = $3, tests = $4, updated_at = $5, \
                 revision = revision + 1 \
             WHERE id = $1 AND ($6::BIGINT IS NULL OR revision = $6) RETURNING {WORKFLOW_COLS}"
        ))
        .bind(id.0)
        .bind(&draft.name)
        .bind(&draft.draft)
        .bind(&draft.tests)
        .bind(Timestamp::now().0)
        .bind(expected_revision)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        match row {
            Some(row) => rows::workflow(&row),
            None => {
                // Missing, or saved by someone else since `expected_revision`.
                let current: Option<i64> =
                    sqlx::query_scalar("SELECT revision FROM workflows WHERE id = $1")
                        .bind(id.0)
                        .fetch_optional(&self.pool)
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
        let mut tx = begin_on_workflow(self, id, "FOR UPDATE").await?;
        let accounts: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM account_workflows WHERE workflow_id = $1")
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
        sqlx::query("DELETE FROM workflows WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    // ---- versions -------------------------------------------------------------------------------

    async fn publish_workflow(
        &self,
        id: WorkflowId,
        by: Option<OperatorId>,
        note: Option<String>,
    ) -> Result<WorkflowVersion> {
        let mut tx = begin_on_workflow(self, id, "FOR NO KEY UPDATE").await?;
        // Under the row lock this statement's snapshot includes every earlier publish's version.
        let row = sqlx::query(&format!(
            "INSERT INTO workflow_versions (workflow_id, version, document, published_at, \
                 published_by, note) \
             SELECT id, \
                    (SELECT COALESCE(MAX(version), 0) + 1 FROM workflow_versions \
                     WHERE workflow_id = $1), \
                    draft, $2, $3, $4 \
             FROM workflows WHERE id = $1 \
             RETURNING {WORKFLOW_VERSION_COLS}"
        ))
        .bind(id.0)
        .bind(Timestamp::now().0)
        .bind(by.map(|o| o.0))
        .bind(note)
        .fetch_one(&mut *tx)
        .await
        // The workflow is locked, so a foreign key violation can only be the operator's.
        .map_err(db_referencing("operator"))?;
        let version = rows::workflow_version(&row)?;
        set_published(&mut tx, id, version.version).await?;
        tx.commit().await.map_err(db)?;
        Ok(version)
    }

    async fn rollback_workflow(&self, id: WorkflowId, version: i32) -> Result<Workflow> {
        let mut tx = begin_on_workflow(self, id, "FOR NO KEY UPDATE").await?;
        let found: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM workflow_versions \
                 WHERE workflow_id = $1 AND version = $2)",
        )
        .bind(id.0)
        .bind(version)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        if !found {
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
        let row = sqlx::query(&format!(
            "SELECT {WORKFLOW_VERSION_COLS} FROM workflow_versions \
             WHERE workflow_id = $1 AND version = $2"
        ))
        .bind(id.0)
        .bind(version)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::workflow_version).transpose()
    }

    async fn list_workflow_versions(&self, id: WorkflowId) -> Result<Vec<WorkflowVersion>> {
        let rows = sqlx::query(&format!(
            "SELECT {WORKFLOW_VERSION_COLS} FROM workflow_versions WHERE workflow_id = $1 \
             ORDER BY version DESC"
        ))
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        if rows.is_empty() {
            exists(&self.pool, WORKFLOW_EXISTS, id.0, "workflow").await?;
        }
        rows.iter().map(rows::workflow_version).collect()
    }

    // ---- accounts -------------------------------------------------------------------------------

    async fn list_account_workflows(&self) -> Result<Vec<(AccountId, WorkflowId)>> {
        let pairs: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT account_id, workflow_id FROM account_workflows ORDER BY account_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        Ok(pairs
            .into_iter()
            .map(|(a, w)| (AccountId(a), WorkflowId(w)))
            .collect())
    }

    async fn account_workflow(&self, account: AccountId) -> Result<Option<WorkflowId>> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT workflow_id FROM account_workflows WHERE account_id = $1")
                .bind(account.0)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        if id.is_none() {
            // "Runs none" and "no such account" are different answers.
            exists(&self.pool, ACCOUNT_EXISTS, account.0, "account").await?;
        }
        Ok(id.map(WorkflowId))
    }

    async fn set_account_workflow(
        &self,
        account: AccountId,
        workflow: Option<WorkflowId>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db)?;
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
                .map_err(db_referencing("workflow"))?;
            }
            None => {
                sqlx::query("DELETE FROM account_workflows WHERE account_id = $1")
                    .bind(account.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
            }
        }
        tx.commit().await.map_err(db)
    }

    // ---- flow states ----------------------------------------------------------------------------

    async fn flow_state(&self, conversation: ConversationId) -> Result<Option<FlowState>> {
        let row = sqlx::query(&format!(
            "SELECT {FLOW_STATE_COLS} FROM flow_states WHERE conversation_id = $1"
        ))
        .bind(conversation.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        if row.is_none() {
            exists(
                &self.pool,
                CONVERSATION_EXISTS,
                conversation.0,
                "conversation",
            )
            .await?;
        }
        row.as_ref().map(rows::flow_state).transpose()
    }

    async fn save_flow_state(&self, state: FlowState) -> Result<FlowState> {
        let mut tx = Tx::new(self.pool.begin().await.map_err(db)?);
        // KEY SHARE first, before anything else is locked: a bot turn writing this conversation
        // (which holds its row and then writes its flow state) finishes before this starts, instead
        // of the two waiting for each other on the flow state row and the conversation row.
        exists(
            &mut *tx,
            &format!("{CONVERSATION_EXISTS} FOR KEY SHARE"),
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
        delete_flow_state(&self.pool, conversation).await
    }

    async fn flow_versions_in_use(&self, id: WorkflowId) -> Result<Vec<(i32, i64)>> {
        let counts: Vec<(i32, i64)> = sqlx::query_as(
            "SELECT version, COUNT(*) FROM flow_states WHERE workflow_id = $1 \
             GROUP BY version ORDER BY version",
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        if counts.is_empty() {
            exists(&self.pool, WORKFLOW_EXISTS, id.0, "workflow").await?;
        }
        Ok(counts)
    }

    // ---- integrations ---------------------------------------------------------------------------

    async fn upsert_integration(
        &self,
        name: &str,
        base_url: &str,
        headers: BTreeMap<String, String>,
    ) -> Result<Integration> {
        let row = sqlx::query(&format!(
            "INSERT INTO integrations (name, base_url, headers, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (name) DO UPDATE SET base_url = EXCLUDED.base_url, \
                 headers = EXCLUDED.headers, updated_at = EXCLUDED.updated_at \
             RETURNING {INTEGRATION_COLS}"
        ))
        .bind(name)
        .bind(base_url)
        .bind(Json(&headers))
        .bind(Timestamp::now().0)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        rows::integration(&row)
    }

    async fn integration(&self, name: &str) -> Result<Option<Integration>> {
        let row = sqlx::query(&format!(
            "SELECT {INTEGRATION_COLS} FROM integrations WHERE name = $1"
        ))
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::integration).transpose()
    }

    async fn list_integrations(&self) -> Result<Vec<Integration>> {
        // The name column is COLLATE "C" (see the migration): code-point order, as on SQLite.
        let rows = sqlx::query(&format!(
            "SELECT {INTEGRATION_COLS} FROM integrations ORDER BY name"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(rows::integration).collect()
    }

    async fn delete_integration(&self, name: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM integrations WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("integration"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use frontline_store::conformance::{account, flow, ingest, workflow_draft};
    use frontline_store::prelude::*;

    use super::*;
    use crate::conversations::load_conversation;
    use crate::testing::{admin_url, fresh_database};

    /// A flow state saved on its own while a bot turn holds the conversation waits for the turn
    /// instead of deadlocking with it when the turn then writes the flow state too.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flow_state_saved_during_a_bot_turn_waits_for_it() {
        let store = Arc::new(
            PgStore::connect(&fresh_database(&admin_url()).await)
                .await
                .unwrap(),
        );
        let acc = account(&*store, "api").await;
        let conversation = ingest(&*store, acc.id, "chat", "m1", "привет")
            .await
            .conversation
            .id;
        let workflow = store
            .create_workflow(workflow_draft("w", "{}"))
            .await
            .unwrap()
            .id;

        // What `apply_bot_turn` does: lock the conversation, then (later) write its flow state.
        let mut turn = store.begin().await.unwrap();
        load_conversation(&mut turn, conversation).await.unwrap();
        let saving = tokio::spawn({
            let store = store.clone();
            async move {
                store
                    .save_flow_state(flow(conversation, workflow, 1, r#"{"by":"save"}"#))
                    .await
            }
        });
        // Wait until the save is observably blocked behind the turn.
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(store.pool())
            .await
            .unwrap();
            if waiting == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
        put_flow_state(&mut turn, conversation, workflow, 1, r#"{"by":"turn"}"#)
            .await
            .expect("the turn is not blocked by the waiting save");
        turn.commit().await.unwrap();
        saving.await.unwrap().expect("the save runs after the turn");
        let state = store.flow_state(conversation).await.unwrap().unwrap();
        assert_eq!(state.state, r#"{"by":"save"}"#, "the later commit wins");
    }
}
