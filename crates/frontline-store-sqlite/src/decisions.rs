//! Bot turns and the decisions they record.
//!
//! A turn is `frontline_store::write::apply_bot_turn`, run in one `BEGIN IMMEDIATE` transaction on
//! the single writer; this file holds the decision row in SQL and the reads.

use async_trait::async_trait;
use frontline_domain::{
    ConversationId, DecisionCount, DecisionRecord, NewDecisionRecord, Timestamp,
};
use frontline_store::rows::{self, DECISION_COLS};
use frontline_store::{BotTurn, BotTurnApplied, DecisionStore, Result, StoreError, stored, write};

use crate::error::{db, db_referencing};
use crate::{SqliteStore, Tx, sql_int};

/// Insert one decision; the conversation exists (the caller loaded it), so a foreign-key failure
/// means the message does not.
pub(crate) async fn insert_decision(
    tx: &mut Tx,
    new: &NewDecisionRecord,
    now: Timestamp,
) -> Result<DecisionRecord> {
    let sql = format!(
        "INSERT INTO bot_decisions (conversation_id, message_id, action, stage, intent, \
         confidence, reason, article_ids, latency_us, note, trace, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {DECISION_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(new.conversation_id.0)
        .bind(new.message_id.0)
        .bind(new.action.as_str())
        .bind(new.stage.map(|s| s.as_str()))
        .bind(&new.intent)
        .bind(new.confidence)
        .bind(new.reason.map(|r| r.as_str()))
        .bind(stored::strings_to_json(&new.article_ids)?)
        .bind(new.latency_us)
        .bind(&new.note)
        .bind(&new.trace)
        .bind(now.0)
        .fetch_one(&mut **tx)
        .await
        .map_err(db_referencing("message"))?;
    rows::decision(&row)
}

#[async_trait]
impl DecisionStore for SqliteStore {
    async fn apply_bot_turn(&self, turn: BotTurn) -> Result<BotTurnApplied> {
        write::apply_bot_turn(self.begin().await?, turn).await
    }

    async fn list_decisions(
        &self,
        conversation: ConversationId,
        limit: usize,
    ) -> Result<Vec<DecisionRecord>> {
        let sql = format!(
            "SELECT {DECISION_COLS} FROM bot_decisions WHERE conversation_id = ? \
             ORDER BY id DESC LIMIT ?"
        );
        let rows = sqlx::query(&sql)
            .bind(conversation.0)
            .bind(sql_int(limit))
            .fetch_all(&self.read)
            .await
            .map_err(db)?;
        if rows.is_empty() {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT id FROM conversations WHERE id = ?")
                    .bind(conversation.0)
                    .fetch_optional(&self.read)
                    .await
                    .map_err(db)?;
            if found.is_none() {
                return Err(StoreError::NotFound("conversation"));
            }
        }
        let mut decisions = rows
            .iter()
            .map(rows::decision)
            .collect::<Result<Vec<_>>>()?;
        decisions.reverse();
        Ok(decisions)
    }

    async fn decision_counts(&self, since: Timestamp) -> Result<Vec<DecisionCount>> {
        let rows = sqlx::query(
            "SELECT intent, action, COUNT(*) AS count FROM bot_decisions WHERE created_at >= ? \
             GROUP BY intent, action ORDER BY intent NULLS FIRST, action",
        )
        .bind(since.0)
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter().map(rows::decision_count).collect()
    }
}
