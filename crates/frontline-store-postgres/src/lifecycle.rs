//! The conversation lifecycle: inbound messages, the outbox, answers written in a channel's own app,
//! lead changes, assignment and status.
//!
//! Every function here is one transaction that begins with [`begin_writer`] (the event log lock, see
//! the `events` module) and appends its events before committing.

use frontline_domain::{
    Attachment, Author, Conversation, ConversationId, ConversationStatus, Direction, EventKind,
    ExternalReply, Handoff, HandoffContext, HandoffReason, InboundMessage, Lead, LeadChange,
    Message, MessageId, OperatorId, OutboundMessage, Slots, Timestamp, preview_text,
};
use frontline_store::{ExternalRecorded, Ingested, JobKind, Queued, Result, StoreError};
use sqlx::PgPool;

use crate::channels::message_by_external_id;
use crate::error::{db_err, map_err};
use crate::events::{Tx, append, begin_writer};
use crate::rows::{
    CONVERSATION_COLUMNS, HANDOFF_COLUMNS, MESSAGE_COLUMNS, attachments_json, conversation,
    handoff, message, slots_json,
};

/// Read a conversation and lock its row for the rest of the transaction.
pub(crate) async fn lock_conversation(tx: &mut Tx, id: ConversationId) -> Result<Conversation> {
    let row = sqlx::query(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = $1 FOR UPDATE"
    ))
    .bind(id.0)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    conversation(&row.ok_or(StoreError::NotFound("conversation"))?)
}

/// The fields of a new message row.
pub(crate) struct NewMessage<'a> {
    pub conversation: ConversationId,
    pub account: frontline_domain::AccountId,
    pub direction: Direction,
    pub author: Author,
    pub text: &'a str,
    pub attachments: &'a [Attachment],
    pub external_id: Option<&'a str>,
    pub status: frontline_domain::DeliveryStatus,
    pub created_at: Timestamp,
}

pub(crate) async fn insert_message(tx: &mut Tx, m: NewMessage<'_>) -> Result<Message> {
    let row = sqlx::query(&format!(
        "INSERT INTO messages (conversation_id, account_id, direction, author_kind, \
             author_operator_id, text, attachments, external_id, status, created_at, search_terms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {MESSAGE_COLUMNS}"
    ))
    .bind(m.conversation.0)
    .bind(m.account.0)
    .bind(m.direction.as_str())
    .bind(m.author.kind_str())
    .bind(m.author.operator_id().map(|o| o.0))
    .bind(m.text)
    .bind(attachments_json(m.attachments))
    .bind(m.external_id)
    .bind(m.status.as_str())
    .bind(m.created_at.0)
    .bind(frontline_text::index_terms(m.text))
    .fetch_one(&mut **tx)
    .await
    .map_err(map_err("operator"))?;
    message(&row)
}

pub(crate) async fn insert_job(
    tx: &mut Tx,
    kind: JobKind,
    conversation: ConversationId,
    message: MessageId,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (kind, conversation_id, message_id, attempts, run_at, created_at) \
         VALUES ($1, $2, $3, 0, $4, $4)",
    )
    .bind(kind.as_str())
    .bind(conversation.0)
    .bind(message.0)
    .bind(now.0)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    Ok(())
}

async fn insert_handoff(
    tx: &mut Tx,
    conversation: ConversationId,
    from: Lead,
    to: Lead,
    reason: HandoffReason,
    actor: Author,
    context: &HandoffContext,
    now: Timestamp,
) -> Result<Handoff> {
    let row = sqlx::query(&format!(
        "INSERT INTO handoffs (conversation_id, from_lead, to_lead, reason, actor_kind, \
             actor_operator_id, intent, summary, slots, briefing, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {HANDOFF_COLUMNS}"
    ))
    .bind(conversation.0)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(reason.as_str())
    .bind(actor.kind_str())
    .bind(actor.operator_id().map(|o| o.0))
    .bind(&context.intent)
    .bind(&context.summary)
    .bind(slots_json(&context.slots))
    .bind(&context.briefing)
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(map_err("operator"))?;
    handoff(&row)
}

/// Record a lead change on a locked conversation: the handoff row, the new lead and assignee, and the
/// `conversation.lead_changed` event.
async fn apply_lead_change(
    tx: &mut Tx,
    current: &Conversation,
    change: &LeadChange,
    now: Timestamp,
) -> Result<Handoff> {
    current
        .check_lead_change(change.to)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    let handoff = insert_handoff(
        tx,
        current.id,
        current.lead,
        change.to,
        change.reason,
        change.actor,
        &change.context,
        now,
    )
    .await?;
    let assignee = match (change.to, change.actor) {
        // Back to the bot: nobody is responsible any more.
        (Lead::Bot, _) => None,
        (Lead::Operator, Author::Operator(actor)) => current.assignee.or(Some(actor)),
        (Lead::Operator, _) => current.assignee,
    };
    sqlx::query(
        "UPDATE conversations SET lead = $2, assignee_id = $3, updated_at = $4 WHERE id = $1",
    )
    .bind(current.id.0)
    .bind(change.to.as_str())
    .bind(assignee.map(|a| a.0))
    .bind(now.0)
    .execute(&mut **tx)
    .await
    .map_err(map_err("operator"))?;
    append(
        tx,
        EventKind::LeadChanged,
        current.id,
        None,
        Some(handoff.id),
        now,
    )
    .await?;
    Ok(handoff)
}

pub(crate) async fn ingest_inbound(pool: &PgPool, msg: InboundMessage) -> Result<Ingested> {
    let now = Timestamp::now();
    let mut tx = begin_writer(pool).await?;

    let account: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1")
        .bind(msg.account_id.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?;
    if account.is_none() {
        return Err(StoreError::NotFound("account"));
    }

    // Idempotency first: a redelivered message (or the echo of one of our sends) changes nothing at
    // all. Event writers are serialised by the lock taken above, so no concurrent ingest can insert
    // the same id between check and insert.
    let existing =
        message_by_external_id(&mut *tx, msg.account_id, &msg.external_message_id).await?;
    if let Some(message) = existing {
        let conversation = lock_conversation(&mut tx, message.conversation_id).await?;
        tx.commit().await.map_err(db_err)?;
        return Ok(Ingested {
            message,
            conversation,
            new_message: false,
            new_conversation: false,
            bot_job: false,
        });
    }

    let customer_id: i64 = sqlx::query_scalar(
        "INSERT INTO customers (account_id, external_id, name, avatar_url, phone, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (account_id, external_id) DO UPDATE SET \
             name = COALESCE(EXCLUDED.name, customers.name), \
             avatar_url = COALESCE(EXCLUDED.avatar_url, customers.avatar_url), \
             phone = COALESCE(EXCLUDED.phone, customers.phone) \
         RETURNING id",
    )
    .bind(msg.account_id.0)
    .bind(&msg.customer.external_id)
    .bind(&msg.customer.name)
    .bind(&msg.customer.avatar_url)
    .bind(&msg.customer.phone)
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;

    let found = sqlx::query_scalar::<_, i64>(
        "SELECT id FROM conversations WHERE account_id = $1 AND external_chat_id = $2 FOR UPDATE",
    )
    .bind(msg.account_id.0)
    .bind(&msg.external_chat_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    let listing = msg.listing.as_ref();
    let (conversation_id, new_conversation) = match found {
        Some(id) => {
            if let Some(l) = listing {
                set_listing(&mut tx, ConversationId(id), l, now).await?;
            }
            (ConversationId(id), false)
        }
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO conversations (account_id, customer_id, external_chat_id, \
                     listing_external_id, listing_title, listing_price, listing_url, \
                     listing_image_url, lead, status, slots, unread_count, activity_at, \
                     created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '{}', 0, $11, $11, $11) \
                 RETURNING id",
            )
            .bind(msg.account_id.0)
            .bind(customer_id)
            .bind(&msg.external_chat_id)
            .bind(listing.map(|l| &l.external_id))
            .bind(listing.and_then(|l| l.title.as_ref()))
            .bind(listing.and_then(|l| l.price.as_ref()))
            .bind(listing.and_then(|l| l.url.as_ref()))
            .bind(listing.and_then(|l| l.image_url.as_ref()))
            .bind(Lead::Bot.as_str())
            .bind(ConversationStatus::Open.as_str())
            .bind(now.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
            (ConversationId(id), true)
        }
    };
    if new_conversation {
        append(
            &mut tx,
            EventKind::ConversationCreated,
            conversation_id,
            None,
            None,
            now,
        )
        .await?;
    }

    let message = insert_message(
        &mut tx,
        NewMessage {
            conversation: conversation_id,
            account: msg.account_id,
            direction: Direction::In,
            author: Author::Customer,
            text: &msg.text,
            attachments: &msg.attachments,
            external_id: Some(&msg.external_message_id),
            status: frontline_domain::DeliveryStatus::Delivered,
            created_at: msg.sent_at.unwrap_or(now),
        },
    )
    .await?;
    let row = sqlx::query(&format!(
        "UPDATE conversations AS c SET last_message_id = $2, last_message_text = $3, \
             last_message_direction = $4, last_message_at = $5, activity_at = $5, \
             unread_count = c.unread_count + 1, status = $6, updated_at = $7 \
         WHERE c.id = $1 RETURNING {CONVERSATION_COLUMNS}"
    ))
    .bind(conversation_id.0)
    .bind(message.id.0)
    .bind(preview_text(&message.text, &message.attachments))
    .bind(Direction::In.as_str())
    .bind(message.created_at.0)
    .bind(ConversationStatus::Open.as_str())
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;
    let conversation = conversation(&row)?;

    let bot_job = conversation.lead == Lead::Bot;
    if bot_job {
        insert_job(&mut tx, JobKind::Bot, conversation_id, message.id, now).await?;
    }
    append(
        &mut tx,
        EventKind::MessageCreated,
        conversation_id,
        Some(message.id),
        None,
        now,
    )
    .await?;
    append(
        &mut tx,
        EventKind::ConversationUpdated,
        conversation_id,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await.map_err(db_err)?;
    Ok(Ingested {
        message,
        conversation,
        new_message: true,
        new_conversation,
        bot_job,
    })
}

pub(crate) async fn set_listing(
    tx: &mut Tx,
    conversation: ConversationId,
    l: &frontline_domain::Listing,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "UPDATE conversations SET listing_external_id = $2, listing_title = $3, \
             listing_price = $4, listing_url = $5, listing_image_url = $6, updated_at = $7 \
         WHERE id = $1 AND (listing_external_id, listing_title, listing_price, listing_url, \
             listing_image_url) IS DISTINCT FROM ($2, $3, $4, $5, $6)",
    )
    .bind(conversation.0)
    .bind(&l.external_id)
    .bind(&l.title)
    .bind(&l.price)
    .bind(&l.url)
    .bind(&l.image_url)
    .bind(now.0)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn enqueue_outbound(pool: &PgPool, msg: OutboundMessage) -> Result<Queued> {
    let now = Timestamp::now();
    let mut tx = begin_writer(pool).await?;
    let current = lock_conversation(&mut tx, msg.conversation_id).await?;
    // Checked on the locked row, so the bot cannot talk over an operator who took the lead while
    // the bot was composing its answer.
    current
        .check_may_write(msg.author)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    let takeover = match current.takeover_by(msg.author) {
        Some(change) => Some(apply_lead_change(&mut tx, &current, &change, now).await?),
        None => None,
    };
    let message = insert_message(
        &mut tx,
        NewMessage {
            conversation: current.id,
            account: current.account_id,
            direction: Direction::Out,
            author: msg.author,
            text: &msg.text,
            attachments: &msg.attachments,
            external_id: None,
            status: frontline_domain::DeliveryStatus::Queued,
            created_at: now,
        },
    )
    .await?;
    insert_job(&mut tx, JobKind::Deliver, current.id, message.id, now).await?;
    sqlx::query(
        "UPDATE conversations SET last_message_id = $2, last_message_text = $3, \
             last_message_direction = $4, last_message_at = $5, activity_at = $5, updated_at = $5 \
         WHERE id = $1",
    )
    .bind(current.id.0)
    .bind(message.id.0)
    .bind(preview_text(&message.text, &message.attachments))
    .bind(Direction::Out.as_str())
    .bind(message.created_at.0)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    append(
        &mut tx,
        EventKind::MessageCreated,
        current.id,
        Some(message.id),
        None,
        now,
    )
    .await?;
    append(
        &mut tx,
        EventKind::ConversationUpdated,
        current.id,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await.map_err(db_err)?;
    Ok(Queued { message, takeover })
}

pub(crate) async fn record_external_reply(
    pool: &PgPool,
    reply: ExternalReply,
) -> Result<ExternalRecorded> {
    let now = Timestamp::now();
    let mut tx = begin_writer(pool).await?;
    let row = sqlx::query(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations c \
         WHERE c.account_id = $1 AND c.external_chat_id = $2 FOR UPDATE"
    ))
    .bind(reply.account_id.0)
    .bind(&reply.external_chat_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    let current = conversation(&row.ok_or(StoreError::NotFound("conversation"))?)?;
    // Seen before, or the channel echoing one of our own sends: nothing changes.
    if let Some(message) =
        message_by_external_id(&mut *tx, reply.account_id, &reply.external_message_id).await?
    {
        tx.commit().await.map_err(db_err)?;
        return Ok(ExternalRecorded {
            message,
            handoff: None,
            new_message: false,
        });
    }
    let message = insert_message(
        &mut tx,
        NewMessage {
            conversation: current.id,
            account: current.account_id,
            direction: Direction::Out,
            author: Author::External,
            text: &reply.text,
            attachments: &reply.attachments,
            external_id: Some(&reply.external_message_id),
            status: frontline_domain::DeliveryStatus::Sent,
            created_at: reply.sent_at.unwrap_or(now),
        },
    )
    .await?;
    append(
        &mut tx,
        EventKind::MessageCreated,
        current.id,
        Some(message.id),
        None,
        now,
    )
    .await?;
    // A person has answered: the bot must not talk over them.
    let handoff = match current.takeover_by(Author::External) {
        Some(change) => Some(apply_lead_change(&mut tx, &current, &change, now).await?),
        None => None,
    };
    // The channel may report the answer late: it becomes the last message only if nothing newer is
    // shown (on equal times the later insert wins, as everywhere).
    let newest = current
        .last_message
        .as_ref()
        .is_none_or(|last| last.at <= message.created_at);
    let update = if newest {
        sqlx::query(
            "UPDATE conversations SET last_message_id = $3, last_message_text = $4, \
                 last_message_direction = $5, last_message_at = $6, activity_at = $6, \
                 updated_at = $2 \
             WHERE id = $1",
        )
        .bind(current.id.0)
        .bind(now.0)
        .bind(message.id.0)
        .bind(preview_text(&message.text, &message.attachments))
        .bind(Direction::Out.as_str())
        .bind(message.created_at.0)
    } else {
        sqlx::query("UPDATE conversations SET updated_at = $2 WHERE id = $1")
            .bind(current.id.0)
            .bind(now.0)
    };
    update.execute(&mut *tx).await.map_err(db_err)?;
    append(
        &mut tx,
        EventKind::ConversationUpdated,
        current.id,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await.map_err(db_err)?;
    Ok(ExternalRecorded {
        message,
        handoff,
        new_message: true,
    })
}

pub(crate) async fn change_lead(pool: &PgPool, change: LeadChange) -> Result<Handoff> {
    let now = Timestamp::now();
    let mut tx = begin_writer(pool).await?;
    let current = lock_conversation(&mut tx, change.conversation_id).await?;
    let handoff = apply_lead_change(&mut tx, &current, &change, now).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(handoff)
}

pub(crate) async fn assign(
    pool: &PgPool,
    id: ConversationId,
    assignee: Option<OperatorId>,
) -> Result<Conversation> {
    let now = Timestamp::now();
    let mut tx = begin_writer(pool).await?;
    let row = sqlx::query(&format!(
        "UPDATE conversations AS c SET assignee_id = $2, updated_at = $3 \
         WHERE c.id = $1 RETURNING {CONVERSATION_COLUMNS}"
    ))
    .bind(id.0)
    .bind(assignee.map(|a| a.0))
    .bind(now.0)
    .fetch_optional(&mut *tx)
    .await
    .map_err(map_err("operator"))?;
    let conversation = conversation(&row.ok_or(StoreError::NotFound("conversation"))?)?;
    append(&mut tx, EventKind::Assigned, id, None, None, now).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(conversation)
}

pub(crate) async fn set_status(
    pool: &PgPool,
    id: ConversationId,
    status: ConversationStatus,
) -> Result<Conversation> {
    let now = Timestamp::now();
    let mut tx = begin_writer(pool).await?;
    let current = lock_conversation(&mut tx, id).await?;
    if current.status == status {
        tx.commit().await.map_err(db_err)?;
        return Ok(current);
    }
    let row = sqlx::query(&format!(
        "UPDATE conversations AS c SET status = $2, updated_at = $3 \
         WHERE c.id = $1 RETURNING {CONVERSATION_COLUMNS}"
    ))
    .bind(id.0)
    .bind(status.as_str())
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;
    let conversation = conversation(&row)?;
    append(&mut tx, EventKind::ConversationUpdated, id, None, None, now).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(conversation)
}

pub(crate) async fn mark_read(pool: &PgPool, id: ConversationId) -> Result<Conversation> {
    let now = Timestamp::now();
    let mut tx = begin_writer(pool).await?;
    let current = lock_conversation(&mut tx, id).await?;
    if current.unread_count == 0 {
        tx.commit().await.map_err(db_err)?;
        return Ok(current);
    }
    let row = sqlx::query(&format!(
        "UPDATE conversations AS c SET unread_count = 0, updated_at = $2 \
         WHERE c.id = $1 RETURNING {CONVERSATION_COLUMNS}"
    ))
    .bind(id.0)
    .bind(now.0)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_err)?;
    let conversation = conversation(&row)?;
    append(&mut tx, EventKind::ConversationUpdated, id, None, None, now).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(conversation)
}

pub(crate) async fn set_intent_and_slots(
    pool: &PgPool,
    id: ConversationId,
    intent: Option<String>,
    slots: Slots,
) -> Result<Conversation> {
    let now = Timestamp::now();
    let mut tx = begin_writer(pool).await?;
    let row = sqlx::query(&format!(
        "UPDATE conversations AS c SET intent = $2, slots = $3, updated_at = $4 \
         WHERE c.id = $1 RETURNING {CONVERSATION_COLUMNS}"
    ))
    .bind(id.0)
    .bind(&intent)
    .bind(slots_json(&slots))
    .bind(now.0)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    let conversation = conversation(&row.ok_or(StoreError::NotFound("conversation"))?)?;
    append(&mut tx, EventKind::ConversationUpdated, id, None, None, now).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(conversation)
}
