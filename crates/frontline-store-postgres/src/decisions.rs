//! Bot turns and the decisions they record.
//!
//! A turn is applied in one transaction from [`PgStore::begin`] (the event log lock): the bot job is
//! finished first, so a turn whose job another worker already finished changes nothing; then the
//! conversation is locked and the decision, what the bot learned, its reply and handoff, and its flow
//! state are written with the same building blocks as the lifecycle's (see the `conversations`
//! module). Any failure drops the transaction, which rolls the whole turn back, and the job comes
//! back when its lease expires.

use async_trait::async_trait;
use frontline_domain::{
    Author, ConversationId, DecisionCount, DecisionRecord, EventKind, FlowChange, Lead, LeadChange,
    NewDecisionRecord, Timestamp,
};
use frontline_store::rows::{self, DECISION_COLS};
use frontline_store::{BotTurn, BotTurnApplied, DecisionStore, Result, StoreError};

use crate::conversations::{
    apply_lead_change, load_conversation, queue_message, require_conversation, save_conversation,
};
use crate::error::{db, db_referencing};
use crate::events::append_event;
use crate::workflows::{delete_flow_state, put_flow_state};
use crate::{PgStore, Tx, sql_int};

/// Insert one decision. The conversation exists (the caller locked it), so a foreign key violation
/// can only be the message's.
async fn insert_decision(
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

/// The steps of [`DecisionStore::apply_bot_turn`] inside its transaction, in the contract's order.
async fn apply(tx: &mut Tx, turn: BotTurn) -> Result<BotTurnApplied> {
    let now = Timestamp::now();
    let finished = sqlx::query("DELETE FROM jobs WHERE id = $1 AND kind = 'bot'")
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
    let mut c = load_conversation(tx, id).await?;
    let decision = insert_decision(tx, &turn.decision, now).await?;
    if let Some(learned) = turn.learned {
        c.intent = learned.intent;
        c.slots = learned.slots;
        c.updated_at = now;
        save_conversation(tx, &c).await?;
        append_event(tx, EventKind::ConversationUpdated, id, None, None, now).await?;
    }
    // Decided on the locked row: a person who took the lead while the bot was thinking keeps it, and
    // the bot's words are dropped rather than refused (what it decided and learned still counts).
    let overtaken = c.lead != Lead::Bot;
    let (mut reply, mut handoff) = (None, None);
    if !overtaken {
        if let Some(text) = &turn.reply {
            reply = Some(queue_message(tx, &mut c, Author::Bot, text, &[], now).await?);
            save_conversation(tx, &c).await?;
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
            handoff = Some(apply_lead_change(tx, &mut c, &change, now).await?);
            save_conversation(tx, &c).await?;
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
        FlowChange::Clear => delete_flow_state(&mut **tx, id).await?,
    }
    Ok(BotTurnApplied {
        decision,
        conversation: c,
        reply,
        handoff,
        overtaken,
    })
}

#[async_trait]
impl DecisionStore for PgStore {
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
