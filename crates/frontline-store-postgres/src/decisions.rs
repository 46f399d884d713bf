//! Bot turns and the decisions they record.
//!
//! A turn is `frontline_store::write::apply_bot_turn`, run in one transaction from
//! [`PgStore::begin`] (the event log lock); this file holds the decision row in SQL and the reads.

use async_trait::async_trait;
use frontline_domain::{
    ConversationId, DecisionCount, DecisionRecord, NewDecisionRecord, Timestamp,
};
use frontline_store::rows::{self, DECISION_COLS};
use frontline_store::{BotTurn, BotTurnApplied, DecisionStore, Result, write};

use crate::conversations::require_conversation;
use crate::error::{db, db_referencing};
use crate::{PgStore, Tx, sql_int};

/// Insert one decision. The conversation exists (the caller locked it), so a foreign key violation
/// can only be the message's.
pub(crate) async fn insert_decision(
    tx: &mut Tx,
    new: &NewDecisionRecord,
    now: Timestamp,
) -> Result<DecisionRecord> {
    let row = sqlx::query(&format!(
        "INSERT INTO bot_decisions (conversation_id, message_id, action, stage, intent, \
             confidence, reason, article_ids, latency_us, note, trace, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {DECISION_COLS}"
    ))
    .bind(new.conversation_id.0)
    .bind(new.message_id.0)
    .bind(new.action.as_str())
    .bind(new.stage.map(|s| s.as_str()))
    .bind(&new.intent)
    .bind(new.confidence)
    .bind(new.reason.map(|r| r.as_str()))
    .bind(&new.article_ids)
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
impl DecisionStore for PgStore {
    async fn apply_bot_turn(&self, turn: BotTurn) -> Result<BotTurnApplied> {
        write::apply_bot_turn(self.begin().await?, turn).await
    }

    async fn list_decisions(
        &self,
        conversation: ConversationId,
        limit: usize,
    ) -> Result<Vec<DecisionRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT * FROM ( \
                 SELECT {DECISION_COLS} FROM bot_decisions WHERE conversation_id = $1 \
                 ORDER BY id DESC LIMIT $2 \
             ) newest ORDER BY id"
        ))
        .bind(conversation.0)
        .bind(sql_int(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        if rows.is_empty() {
            require_conversation(self, conversation).await?;
        }
        rows.iter().map(rows::decision).collect()
    }

    async fn decision_counts(&self, since: Timestamp) -> Result<Vec<DecisionCount>> {
        // NULLS FIRST: PostgreSQL sorts NULL last by default, SQLite first; the contract wants "no
        // intent" first. COLLATE "C" orders intents by code point, as SQLite does.
        let rows = sqlx::query(
            "SELECT intent, action, COUNT(*) AS count FROM bot_decisions WHERE created_at >= $1 \
             GROUP BY intent, action \
             ORDER BY intent COLLATE \"C\" NULLS FIRST, action COLLATE \"C\"",
        )
        .bind(since.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(rows::decision_count).collect()
    }
}
