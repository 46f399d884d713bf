//! The conversation lifecycle's writes: see [`ConversationStore`](crate::ConversationStore) for
//! what each one promises, and the module docs for how a backend runs them.

use frontline_domain::{
    Attachment, Author, Conversation, ConversationId, ConversationStatus, DeliveryStatus,
    Direction, EventKind, Handoff, InboundMessage, Lead, LeadChange, Message, OperatorId,
    OutboundMessage, Slots, Timestamp,
};

use super::{NewMessage, WriteTx};
use crate::{Ingested, JobKind, Queued, Result, StoreError};

/// [`ConversationStore::ingest_inbound`](crate::ConversationStore::ingest_inbound).
pub async fn ingest_inbound(mut tx: impl WriteTx, msg: InboundMessage) -> Result<Ingested> {
    let now = Timestamp::now();
    tx.account_exists(msg.account_id).await?;
    // Idempotency first: a redelivered message (or the echo of one of our sends) changes nothing at
    // all, not even the customer profile. Writers are serialised, so no concurrent ingest can insert
    // the same id between this check and the insert below.
    if let Some(message) = tx
        .message_by_external_id(msg.account_id, &msg.external_message_id)
        .await?
    {
        let conversation = tx.load_conversation(message.conversation_id).await?;
        return Ok(Ingested {
            message,
            conversation,
            new_message: false,
            new_conversation: false,
            bot_job: false,
        });
    }
    let customer = tx
        .upsert_customer(msg.account_id, &msg.customer, now)
        .await?;
    let (mut conv, new_conversation) = match tx
        .find_conversation(msg.account_id, &msg.external_chat_id)
        .await?
    {
        Some(found) => (found, false),
        None => {
            let created = tx
                .create_conversation(msg.account_id, &msg.external_chat_id, customer, now)
                .await?;
            (created, true)
        }
    };
    if let Some(listing) = msg.listing {
        conv.update_listing(listing);
    }
    let message = tx
        .insert_message(NewMessage {
            conversation: &conv,
            author: Author::Customer,
            direction: Direction::In,
            text: &msg.text,
            attachments: &msg.attachments,
            quote: msg.quote.as_ref(),
            link: msg.link.as_ref(),
            external_id: Some(&msg.external_message_id),
            status: DeliveryStatus::Delivered,
            created_at: msg.sent_at.unwrap_or(now),
        })
        .await?;
    conv.receive(&message, now);
    tx.save_conversation(&conv).await?;
    let bot_job = conv.lead == Lead::Bot;
    if bot_job {
        tx.insert_job(JobKind::Bot, conv.id, message.id, now)
            .await?;
    }
    if new_conversation {
        tx.append_event(EventKind::ConversationCreated, conv.id, None, None, now)
            .await?;
    }
    tx.append_event(
        EventKind::MessageCreated,
        conv.id,
        Some(message.id),
        None,
        now,
    )
    .await?;
    tx.append_event(EventKind::ConversationUpdated, conv.id, None, None, now)
        .await?;
    tx.commit().await?;
    Ok(Ingested {
        message,
        conversation: conv,
        new_message: true,
        new_conversation,
        bot_job,
    })
}

/// [`ConversationStore::enqueue_outbound`](crate::ConversationStore::enqueue_outbound).
pub async fn enqueue_outbound(mut tx: impl WriteTx, msg: OutboundMessage) -> Result<Queued> {
    let now = Timestamp::now();
    let mut conv = tx.load_conversation(msg.conversation_id).await?;
    // Checked on the row this transaction holds, so the bot cannot talk over an operator who took
    // the lead while the bot was composing its answer.
    conv.check_may_write(msg.author)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    let takeover = match conv.takeover_by(msg.author) {
        Some(change) => Some(apply_lead_change(&mut tx, &mut conv, &change, now).await?),
        None => None,
    };
    let message = queue_message(
        &mut tx,
        &mut conv,
        msg.author,
        &msg.text,
        &msg.attachments,
        now,
    )
    .await?;
    tx.save_conversation(&conv).await?;
    tx.append_event(EventKind::ConversationUpdated, conv.id, None, None, now)
        .await?;
    tx.commit().await?;
    Ok(Queued { message, takeover })
}

/// [`ConversationStore::change_lead`](crate::ConversationStore::change_lead).
pub async fn change_lead(mut tx: impl WriteTx, change: LeadChange) -> Result<Handoff> {
    let now = Timestamp::now();
    let mut conv = tx.load_conversation(change.conversation_id).await?;
    let handoff = apply_lead_change(&mut tx, &mut conv, &change, now).await?;
    tx.save_conversation(&conv).await?;
    tx.commit().await?;
    Ok(handoff)
}

/// [`ConversationStore::assign`](crate::ConversationStore::assign).
pub async fn assign(
    mut tx: impl WriteTx,
    conversation: ConversationId,
    assignee: Option<OperatorId>,
) -> Result<Conversation> {
    let now = Timestamp::now();
    let mut conv = tx.load_conversation(conversation).await?;
    if let Some(op) = assignee {
        tx.operator_exists(op).await?;
    }
    conv.assignee = assignee;
    conv.updated_at = now;
    tx.save_conversation(&conv).await?;
    tx.append_event(EventKind::Assigned, conv.id, None, None, now)
        .await?;
    tx.commit().await?;
    Ok(conv)
}

/// [`ConversationStore::set_status`](crate::ConversationStore::set_status).
pub async fn set_status(
    tx: impl WriteTx,
    conversation: ConversationId,
    status: ConversationStatus,
) -> Result<Conversation> {
    update_conversation(tx, conversation, |c| {
        let changed = c.status != status;
        c.status = status;
        changed
    })
    .await
}

/// [`ConversationStore::mark_read`](crate::ConversationStore::mark_read).
pub async fn mark_read(tx: impl WriteTx, conversation: ConversationId) -> Result<Conversation> {
    update_conversation(tx, conversation, |c| {
        let changed = c.unread_count != 0;
        c.unread_count = 0;
        changed
    })
    .await
}

/// [`ConversationStore::set_intent_and_slots`](crate::ConversationStore::set_intent_and_slots).
pub async fn set_intent_and_slots(
    tx: impl WriteTx,
    conversation: ConversationId,
    intent: Option<String>,
    slots: Slots,
) -> Result<Conversation> {
    update_conversation(tx, conversation, |c| {
        c.intent = intent;
        c.slots = slots;
        true
    })
    .await
}

/// Load, let `change` edit the conversation (returning whether it changed anything), and when it
/// did, save it with one `conversation.updated` event; otherwise roll back.
async fn update_conversation(
    mut tx: impl WriteTx,
    id: ConversationId,
    change: impl FnOnce(&mut Conversation) -> bool + Send,
) -> Result<Conversation> {
    let now = Timestamp::now();
    let mut conv = tx.load_conversation(id).await?;
    if change(&mut conv) {
        conv.updated_at = now;
        tx.save_conversation(&conv).await?;
        tx.append_event(EventKind::ConversationUpdated, id, None, None, now)
            .await?;
        tx.commit().await?;
    }
    Ok(conv)
}

/// Record a checked lead change of `c`: the handoff row, the domain's lead and assignee rule
/// (`Conversation::change_lead`) applied to `c`, and `conversation.lead_changed`. The caller saves
/// `c`.
pub async fn apply_lead_change(
    tx: &mut impl WriteTx,
    c: &mut Conversation,
    change: &LeadChange,
    now: Timestamp,
) -> Result<Handoff> {
    c.check_lead_change(change.to)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    let handoff = tx.insert_handoff(c, change, now).await?;
    c.change_lead(change, now);
    tx.append_event(EventKind::LeadChanged, c.id, None, Some(handoff.id), now)
        .await?;
    Ok(handoff)
}

/// Queue an outbound message in `conv`: the message (status queued) with its delivery job, shown as
/// the conversation's last message, and `message.created`. The caller saves `conv` and appends
/// `conversation.updated`.
pub async fn queue_message(
    tx: &mut impl WriteTx,
    conv: &mut Conversation,
    author: Author,
    text: &str,
    attachments: &[Attachment],
    now: Timestamp,
) -> Result<Message> {
    let message = tx
        .insert_message(NewMessage {
            conversation: conv,
            author,
            direction: Direction::Out,
            text,
            attachments,
            quote: None,
            link: None,
            external_id: None,
            status: DeliveryStatus::Queued,
            created_at: now,
        })
        .await?;
    tx.insert_job(JobKind::Deliver, conv.id, message.id, now)
        .await?;
    conv.show_message(&message);
    conv.updated_at = now;
    tx.append_event(
        EventKind::MessageCreated,
        conv.id,
        Some(message.id),
        None,
        now,
    )
    .await?;
    Ok(message)
}
