//! A bot turn applied whole: see [`DecisionStore::apply_bot_turn`](crate::DecisionStore::apply_bot_turn).

use frontline_domain::{Author, EventKind, FlowChange, Lead, LeadChange, Timestamp};

use super::{WriteTx, apply_lead_change, queue_message};
use crate::{BotTurn, BotTurnApplied, Result, StoreError};

/// The bot job is finished first, so a turn whose job another worker already finished changes
/// nothing; then the decision, what the bot learned, its reply and handoff (unless an operator took
/// the lead meanwhile), and its flow state. Any failure rolls the whole turn back, and the job comes
/// back when its lease expires.
pub async fn apply_bot_turn(mut tx: impl WriteTx, turn: BotTurn) -> Result<BotTurnApplied> {
    let now = Timestamp::now();
    if !tx.finish_bot_job(turn.job).await? {
        return Err(StoreError::Conflict(
            "the bot job was already finished".into(),
        ));
    }
    let id = turn.decision.conversation_id;
    let mut conv = tx.load_conversation(id).await?;
    let decision = tx.insert_decision(&turn.decision, now).await?;
    if let Some(learned) = turn.learned {
        conv.intent = learned.intent;
        conv.slots = learned.slots;
        conv.updated_at = now;
        tx.save_conversation(&conv).await?;
        tx.append_event(EventKind::ConversationUpdated, id, None, None, now)
            .await?;
    }
    // Decided on the row this transaction holds: a person who took the lead while the bot was
    // thinking keeps it, and the bot's words are dropped rather than refused (what it decided and
    // learned still counts).
    let overtaken = conv.lead != Lead::Bot;
    let (mut reply, mut handoff) = (None, None);
    if !overtaken {
        if let Some(text) = &turn.reply {
            reply = Some(queue_message(&mut tx, &mut conv, Author::Bot, text, &[], now).await?);
            tx.save_conversation(&conv).await?;
            tx.append_event(EventKind::ConversationUpdated, id, None, None, now)
                .await?;
        }
        if let Some((reason, context)) = turn.handoff {
            let change = LeadChange {
                conversation_id: id,
                to: Lead::Operator,
                reason,
                actor: Author::Bot,
                context,
            };
            handoff = Some(apply_lead_change(&mut tx, &mut conv, &change, now).await?);
            tx.save_conversation(&conv).await?;
        }
    }
    match turn.flow {
        FlowChange::Keep => {}
        FlowChange::Save {
            workflow_id,
            version,
            state,
        } => {
            tx.put_flow_state(id, workflow_id, version, &state).await?;
        }
        FlowChange::Clear => tx.delete_flow_state(id).await?,
    }
    tx.commit().await?;
    Ok(BotTurnApplied {
        decision,
        conversation: conv,
        reply,
        handoff,
        overtaken,
    })
}
