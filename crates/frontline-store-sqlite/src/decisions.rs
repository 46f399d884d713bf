//! Bot turns and the decisions they record.
//!
//! A turn is applied in one `BEGIN IMMEDIATE` transaction on the single writer: the bot job is
//! finished first (so a turn whose job another worker already finished changes nothing), then the
//! decision, what the bot learned, its reply and handoff, and its flow state. Any failure rolls the
//! whole turn back and the job comes back when its lease expires.

use async_trait::async_trait;
use frontline_domain::{
    Author, ConversationId, DecisionCount, DecisionRecord, EventKind, FlowChange, Lead, LeadChange,
    NewDecisionRecord, Timestamp,
};
use frontline_store::rows::{self, DECISION_COLS};
use frontline_store::{BotTurn, BotTurnApplied, DecisionStore, Result, StoreError, stored};

use crate::conversations::{
    apply_lead_change, load_conversation, queue_message, save_conversation,
};
use crate::error::{db, db_referencing};
use crate::events::append_event;
use crate::workflows::{delete_flow_state, put_flow_state};
use crate::{SqliteStore, Tx, sql_int};

/// Insert one decision; the conversation exists (the caller loaded it), so a foreign-key failure
/// means the message does not.
async fn insert_decision(
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

async fn apply(tx: &mut Tx, turn: BotTurn) -> Result<BotTurnApplied> {
    let now = Timestamp::now();
    let finished = sqlx::query("DELETE FROM jobs WHERE id = ? AND kind = 'bot'")
        .bind(turn.job.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    if finished.rows_affected() == 0 {
        return Err(StoreError::Conflict(
            "the bot job was already finished".into(),
        ));
    }
    let id = turn.decision.conversation_id;
    let mut conv = load_conversation(tx, id).await?;
    let decision = insert_decision(tx, &turn.decision, now).await?;
    if let Some(learned) = turn.learned {
        conv.intent = learned.intent;
        conv.slots = learned.slots;
        conv.updated_at = now;
        save_conversation(tx, &conv).await?;
        append_event(tx, EventKind::ConversationUpdated, id, None, None, now).await?;
    }
    let overtaken = conv.lead != Lead::Bot;
    let (mut reply, mut handoff) = (None, None);
    if !overtaken {
        if let Some(text) = &turn.reply {
            reply = Some(queue_message(tx, &mut conv, Author::Bot, text, &[], now).await?);
            save_conversation(tx, &conv).await?;
            append_event(tx, EventKind::ConversationUpdated, id, None, None, now).await?;
        }
        if let Some((reason, context)) = turn.handoff {
            let change = LeadChange {
                conversation_id: id,
                to: Lead::Operator,
                reason,
                actor: Author::Bot,
                context,
            };
            handoff = Some(apply_lead_change(tx, &mut conv, &change, now).await?);
            save_conversation(tx, &conv).await?;
        }
    }
    match turn.flow {
        FlowChange::Keep => {}
        FlowChange::Save {
            workflow_id,
            version,
            state,
        } => {
            put_flow_state(tx, id, workflow_id, version, &state).await?;
        }
        FlowChange::Clear => delete_flow_state(tx, id).await?,
    }
    Ok(BotTurnApplied {
        decision,
        conversation: conv,
        reply,
        handoff,
        overtaken,
    })
}

#[async_trait]
impl DecisionStore for SqliteStore {
    async fn apply_bot_turn(&self, turn: BotTurn) -> Result<BotTurnApplied> {
        let mut tx = self.begin().await?;
        let applied = apply(&mut tx, turn).await?;
        tx.commit().await.map_err(db)?;
        Ok(applied)
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
