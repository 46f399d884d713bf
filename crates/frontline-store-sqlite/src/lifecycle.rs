//! The conversation lifecycle: inbound messages, the outbox, answers written in a channel's own app,
//! lead changes, assignment, status, and history import. Each public function is one write transaction that appends its events before it
//! commits (see the crate docs for why that keeps the event log gap-free).
//!
//! The conversation row is read, changed in Rust and written back whole: with a single writer there is
//! no lost-update race, and the rules (takeover, preview text) stay in the domain crate instead of
//! being re-expressed in SQL.

use std::collections::{HashMap, HashSet};

use frontline_domain::{
    AccountId, Attachment, Author, Conversation, ConversationId, ConversationStatus,
    CustomerProfile, DeliveryStatus, Direction, EventKind, ExternalReply, Handoff, InboundMessage,
    Lead, LeadChange, Listing, Message, MessageId, MessagePreview, OperatorId, OutboundMessage,
    Slots, Timestamp, preview_text,
};
use frontline_store::{
    ExternalRecorded, ImportStats, ImportedMessage, Ingested, JobKind, Queued, Result, StoreError,
};

use sqlx::{QueryBuilder, Sqlite};

use crate::channels::message_by_external_id;
use crate::error::db;
use crate::events::append;
use crate::rows::{self, CONVERSATION_COLS, HANDOFF_COLS, MESSAGE_COLS};
use crate::{SqliteStore, Tx};

// ---- building blocks ----------------------------------------------------------------------------

pub(crate) async fn load_conversation(tx: &mut Tx, id: ConversationId) -> Result<Conversation> {
    let sql = format!("SELECT {CONVERSATION_COLS} FROM conversations c WHERE c.id = ?");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound("conversation"))?;
    rows::conversation(&row)
}

/// Write back every mutable column of `c`, deriving `activity_at` from it.
async fn save_conversation(tx: &mut Tx, c: &Conversation) -> Result<()> {
    let listing = c.listing.as_ref();
    let last = c.last_message.as_ref();
    let activity = last.map_or(c.created_at, |m| m.at);
    sqlx::query(
        "UPDATE conversations SET customer_id = ?, listing_external_id = ?, listing_title = ?, \
         listing_price = ?, listing_url = ?, listing_image_url = ?, lead = ?, assignee_id = ?, \
         status = ?, intent = ?, slots = ?, unread_count = ?, last_message_id = ?, \
         last_message_text = ?, last_message_direction = ?, last_message_at = ?, activity_at = ?, \
         updated_at = ? WHERE id = ?",
    )
    .bind(c.customer_id.0)
    .bind(listing.map(|l| l.external_id.as_str()))
    .bind(listing.and_then(|l| l.title.as_deref()))
    .bind(listing.and_then(|l| l.price.as_deref()))
    .bind(listing.and_then(|l| l.url.as_deref()))
    .bind(listing.and_then(|l| l.image_url.as_deref()))
    .bind(c.lead.as_str())
    .bind(c.assignee.map(|a| a.0))
    .bind(c.status.as_str())
    .bind(c.intent.as_deref())
    .bind(rows::slots_to_json(&c.slots)?)
    .bind(c.unread_count)
    .bind(last.map(|m| m.message_id.0))
    .bind(last.map(|m| m.text.as_str()))
    .bind(last.map(|m| m.direction.as_str()))
    .bind(last.map(|m| m.at.0))
    .bind(activity.0)
    .bind(c.updated_at.0)
    .bind(c.id.0)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// Make `m` the conversation's last message unless a newer one is already shown (history can arrive
/// out of order; on equal times the later insert wins).
fn show_last_message(c: &mut Conversation, m: &Message) {
    if c.last_message.as_ref().is_some_and(|l| l.at > m.created_at) {
        return;
    }
    c.last_message = Some(MessagePreview {
        message_id: m.id,
        text: preview_text(&m.text, &m.attachments),
        direction: m.direction,
        at: m.created_at,
    });
}

/// A listing the channel sent again: same item → fill in what it now tells us; another item → replace.
fn merge_listing(old: Option<Listing>, new: Listing) -> Listing {
    match old {
        Some(old) if old.external_id == new.external_id => Listing {
            external_id: new.external_id,
            title: new.title.or(old.title),
            price: new.price.or(old.price),
            url: new.url.or(old.url),
            image_url: new.image_url.or(old.image_url),
        },
        _ => new,
    }
}

async fn account_exists(tx: &mut Tx, id: AccountId) -> Result<()> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE id = ?")
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    found.map(|_| ()).ok_or(StoreError::NotFound("account"))
}

async fn operator_exists(tx: &mut Tx, id: OperatorId) -> Result<()> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM operators WHERE id = ?")
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    found.map(|_| ()).ok_or(StoreError::NotFound("operator"))
}

/// Find or create the customer, updating the profile fields the channel sent.
async fn upsert_customer(
    tx: &mut Tx,
    account: AccountId,
    profile: &CustomerProfile,
    now: Timestamp,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO customers (account_id, external_id, name, avatar_url, phone, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) \
         ON CONFLICT (account_id, external_id) DO UPDATE SET \
             name = COALESCE(excluded.name, name), \
             avatar_url = COALESCE(excluded.avatar_url, avatar_url), \
             phone = COALESCE(excluded.phone, phone) \
         RETURNING id",
    )
    .bind(account.0)
    .bind(&profile.external_id)
    .bind(&profile.name)
    .bind(&profile.avatar_url)
    .bind(&profile.phone)
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)
}

/// The conversation of a chat, if there is one.
async fn find_conversation(
    tx: &mut Tx,
    account: AccountId,
    external_chat_id: &str,
) -> Result<Option<Conversation>> {
    let sql = format!(
        "SELECT {CONVERSATION_COLS} FROM conversations c \
         WHERE c.account_id = ? AND c.external_chat_id = ?"
    );
    let found = sqlx::query(&sql)
        .bind(account.0)
        .bind(external_chat_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    found.as_ref().map(rows::conversation).transpose()
}

/// Find the conversation of a chat or create it (bot-led, open). Returns whether it is new.
async fn find_or_create_conversation(
    tx: &mut Tx,
    account: AccountId,
    external_chat_id: &str,
    customer_id: i64,
    now: Timestamp,
) -> Result<(Conversation, bool)> {
    if let Some(found) = find_conversation(tx, account, external_chat_id).await? {
        return Ok((found, false));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO conversations (account_id, customer_id, external_chat_id, lead, status, \
         slots, unread_count, activity_at, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, '{}', 0, ?, ?, ?) RETURNING id",
    )
    .bind(account.0)
    .bind(customer_id)
    .bind(external_chat_id)
    .bind(Lead::Bot.as_str())
    .bind(ConversationStatus::Open.as_str())
    .bind(now.0)
    .bind(now.0)
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?;
    Ok((load_conversation(tx, ConversationId(id)).await?, true))
}

struct NewMessage<'a> {
    conversation: &'a Conversation,
    author: Author,
    direction: Direction,
    text: &'a str,
    attachments: &'a [Attachment],
    external_id: Option<&'a str>,
    status: DeliveryStatus,
    created_at: Timestamp,
}

async fn insert_message(tx: &mut Tx, m: NewMessage<'_>) -> Result<Message> {
    let sql = format!(
        "INSERT INTO messages (conversation_id, account_id, direction, author_kind, \
         author_operator_id, text, attachments, external_id, status, created_at, search_terms) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {MESSAGE_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(m.conversation.id.0)
        .bind(m.conversation.account_id.0)
        .bind(m.direction.as_str())
        .bind(m.author.kind_str())
        .bind(m.author.operator_id().map(|o| o.0))
        .bind(m.text)
        .bind(rows::attachments_to_json(m.attachments)?)
        .bind(m.external_id)
        .bind(m.status.as_str())
        .bind(m.created_at.0)
        .bind(frontline_text::index_terms(m.text))
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::NotFound("operator")
            }
            _ => db(e),
        })?;
    rows::message(&row)
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
         VALUES (?, ?, ?, 0, ?, ?)",
    )
    .bind(kind.as_str())
    .bind(conversation.0)
    .bind(message.0)
    .bind(now.0)
    .bind(now.0)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// Record a handoff and apply it to `c` (lead and assignee rules), appending `conversation.lead_changed`.
/// The caller saves `c`.
async fn apply_lead_change(
    tx: &mut Tx,
    c: &mut Conversation,
    change: &LeadChange,
    now: Timestamp,
) -> Result<Handoff> {
    c.check_lead_change(change.to)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    if let Some(op) = change.actor.operator_id() {
        operator_exists(tx, op).await?;
    }
    let ctx = &change.context;
    let sql = format!(
        "INSERT INTO handoffs (conversation_id, from_lead, to_lead, reason, actor_kind, \
         actor_operator_id, intent, summary, slots, briefing, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {HANDOFF_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(c.id.0)
        .bind(c.lead.as_str())
        .bind(change.to.as_str())
        .bind(change.reason.as_str())
        .bind(change.actor.kind_str())
        .bind(change.actor.operator_id().map(|o| o.0))
        .bind(&ctx.intent)
        .bind(&ctx.summary)
        .bind(rows::slots_to_json(&ctx.slots)?)
        .bind(&ctx.briefing)
        .bind(now.0)
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    let handoff = rows::handoff(&row)?;
    c.lead = change.to;
    match change.to {
        // Whoever takes the lead themselves also picks the conversation up, unless someone has.
        Lead::Operator => {
            if c.assignee.is_none() {
                c.assignee = change.actor.operator_id();
            }
        }
        Lead::Bot => c.assignee = None,
    }
    c.updated_at = now;
    append(
        tx,
        EventKind::LeadChanged,
        c.id,
        None,
        Some(handoff.id),
        now,
    )
    .await?;
    Ok(handoff)
}

// ---- the trait's methods ------------------------------------------------------------------------

pub(crate) async fn ingest_inbound(s: &SqliteStore, msg: InboundMessage) -> Result<Ingested> {
    let now = Timestamp::now();
    let mut tx = s.begin().await?;
    // A redelivery changes nothing at all, not even the customer profile: it is the same payload again.
    if let Some(message) =
        message_by_external_id(&mut *tx, msg.account_id, &msg.external_message_id).await?
    {
        let conversation = load_conversation(&mut tx, message.conversation_id).await?;
        return Ok(Ingested {
            message,
            conversation,
            new_message: false,
            new_conversation: false,
            bot_job: false,
        });
    }
    account_exists(&mut tx, msg.account_id).await?;
    let customer = upsert_customer(&mut tx, msg.account_id, &msg.customer, now).await?;
    let (mut conv, new_conversation) = find_or_create_conversation(
        &mut tx,
        msg.account_id,
        &msg.external_chat_id,
        customer,
        now,
    )
    .await?;
    if let Some(listing) = msg.listing {
        conv.listing = Some(merge_listing(conv.listing.take(), listing));
    }
    let message = insert_message(
        &mut tx,
        NewMessage {
            conversation: &conv,
            author: Author::Customer,
            direction: Direction::In,
            text: &msg.text,
            attachments: &msg.attachments,
            external_id: Some(&msg.external_message_id),
            status: DeliveryStatus::Delivered,
            created_at: msg.sent_at.unwrap_or(now),
        },
    )
    .await?;
    show_last_message(&mut conv, &message);
    conv.unread_count += 1;
    conv.status = ConversationStatus::Open;
    conv.updated_at = now;
    save_conversation(&mut tx, &conv).await?;
    let bot_job = conv.lead == Lead::Bot;
    if bot_job {
        insert_job(&mut tx, JobKind::Bot, conv.id, message.id, now).await?;
    }
    if new_conversation {
        append(
            &mut tx,
            EventKind::ConversationCreated,
            conv.id,
            None,
            None,
            now,
        )
        .await?;
    }
    append(
        &mut tx,
        EventKind::MessageCreated,
        conv.id,
        Some(message.id),
        None,
        now,
    )
    .await?;
    append(
        &mut tx,
        EventKind::ConversationUpdated,
        conv.id,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await.map_err(db)?;
    Ok(Ingested {
        message,
        conversation: conv,
        new_message: true,
        new_conversation,
        bot_job,
    })
}

pub(crate) async fn enqueue_outbound(s: &SqliteStore, msg: OutboundMessage) -> Result<Queued> {
    let now = Timestamp::now();
    let mut tx = s.begin().await?;
    let mut conv = load_conversation(&mut tx, msg.conversation_id).await?;
    // Checked inside the write transaction, so the bot cannot talk over an operator who took the lead
    // while the bot was composing its answer.
    conv.check_may_write(msg.author)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    let takeover = match conv.takeover_by(msg.author) {
        Some(change) => Some(apply_lead_change(&mut tx, &mut conv, &change, now).await?),
        None => None,
    };
    let message = insert_message(
        &mut tx,
        NewMessage {
            conversation: &conv,
            author: msg.author,
            direction: Direction::Out,
            text: &msg.text,
            attachments: &msg.attachments,
            external_id: None,
            status: DeliveryStatus::Queued,
            created_at: now,
        },
    )
    .await?;
    insert_job(&mut tx, JobKind::Deliver, conv.id, message.id, now).await?;
    show_last_message(&mut conv, &message);
    conv.updated_at = now;
    save_conversation(&mut tx, &conv).await?;
    append(
        &mut tx,
        EventKind::MessageCreated,
        conv.id,
        Some(message.id),
        None,
        now,
    )
    .await?;
    append(
        &mut tx,
        EventKind::ConversationUpdated,
        conv.id,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await.map_err(db)?;
    Ok(Queued { message, takeover })
}

pub(crate) async fn record_external_reply(
    s: &SqliteStore,
    reply: ExternalReply,
) -> Result<ExternalRecorded> {
    let now = Timestamp::now();
    let mut tx = s.begin().await?;
    let mut conv = find_conversation(&mut tx, reply.account_id, &reply.external_chat_id)
        .await?
        .ok_or(StoreError::NotFound("conversation"))?;
    // Seen before, or the channel echoing one of our own sends: nothing changes.
    if let Some(message) =
        message_by_external_id(&mut *tx, reply.account_id, &reply.external_message_id).await?
    {
        return Ok(ExternalRecorded {
            message,
            handoff: None,
            new_message: false,
        });
    }
    let message = insert_message(
        &mut tx,
        NewMessage {
            conversation: &conv,
            author: Author::External,
            direction: Direction::Out,
            text: &reply.text,
            attachments: &reply.attachments,
            external_id: Some(&reply.external_message_id),
            status: DeliveryStatus::Sent,
            created_at: reply.sent_at.unwrap_or(now),
        },
    )
    .await?;
    show_last_message(&mut conv, &message);
    conv.updated_at = now;
    append(
        &mut tx,
        EventKind::MessageCreated,
        conv.id,
        Some(message.id),
        None,
        now,
    )
    .await?;
    // A person has answered: the bot must not talk over them.
    let handoff = match conv.takeover_by(Author::External) {
        Some(change) => Some(apply_lead_change(&mut tx, &mut conv, &change, now).await?),
        None => None,
    };
    save_conversation(&mut tx, &conv).await?;
    append(
        &mut tx,
        EventKind::ConversationUpdated,
        conv.id,
        None,
        None,
        now,
    )
    .await?;
    tx.commit().await.map_err(db)?;
    Ok(ExternalRecorded {
        message,
        handoff,
        new_message: true,
    })
}

pub(crate) async fn change_lead(s: &SqliteStore, change: LeadChange) -> Result<Handoff> {
    let now = Timestamp::now();
    let mut tx = s.begin().await?;
    let mut conv = load_conversation(&mut tx, change.conversation_id).await?;
    let handoff = apply_lead_change(&mut tx, &mut conv, &change, now).await?;
    save_conversation(&mut tx, &conv).await?;
    tx.commit().await.map_err(db)?;
    Ok(handoff)
}

pub(crate) async fn assign(
    s: &SqliteStore,
    conversation: ConversationId,
    assignee: Option<OperatorId>,
) -> Result<Conversation> {
    let now = Timestamp::now();
    let mut tx = s.begin().await?;
    let mut conv = load_conversation(&mut tx, conversation).await?;
    if let Some(op) = assignee {
        operator_exists(&mut tx, op).await?;
    }
    conv.assignee = assignee;
    conv.updated_at = now;
    save_conversation(&mut tx, &conv).await?;
    append(&mut tx, EventKind::Assigned, conv.id, None, None, now).await?;
    tx.commit().await.map_err(db)?;
    Ok(conv)
}

/// Load, let `change` edit the conversation (returning whether it changed anything), and when it did,
/// save it with one `conversation.updated` event.
async fn update_conversation(
    s: &SqliteStore,
    id: ConversationId,
    change: impl FnOnce(&mut Conversation) -> bool,
) -> Result<Conversation> {
    let now = Timestamp::now();
    let mut tx = s.begin().await?;
    let mut conv = load_conversation(&mut tx, id).await?;
    if change(&mut conv) {
        conv.updated_at = now;
        save_conversation(&mut tx, &conv).await?;
        append(
            &mut tx,
            EventKind::ConversationUpdated,
            conv.id,
            None,
            None,
            now,
        )
        .await?;
        tx.commit().await.map_err(db)?;
    }
    Ok(conv)
}

pub(crate) async fn set_status(
    s: &SqliteStore,
    conversation: ConversationId,
    status: ConversationStatus,
) -> Result<Conversation> {
    update_conversation(s, conversation, |c| {
        let changed = c.status != status;
        c.status = status;
        changed
    })
    .await
}

pub(crate) async fn mark_read(
    s: &SqliteStore,
    conversation: ConversationId,
) -> Result<Conversation> {
    update_conversation(s, conversation, |c| {
        let changed = c.unread_count != 0;
        c.unread_count = 0;
        changed
    })
    .await
}

pub(crate) async fn set_intent_and_slots(
    s: &SqliteStore,
    conversation: ConversationId,
    intent: Option<String>,
    slots: Slots,
) -> Result<Conversation> {
    update_conversation(s, conversation, |c| {
        c.intent = intent;
        c.slots = slots;
        true
    })
    .await
}

/// Which `(account, external message id)` keys of `batch` are already stored, as messages' own ids
/// or as recorded sends of ours (an echo of what we sent is not history to import).
async fn stored_external_ids(
    tx: &mut Tx,
    batch: &[ImportedMessage],
) -> Result<HashSet<(AccountId, String)>> {
    const CHUNK: usize = 500;
    let mut by_account: HashMap<AccountId, Vec<&str>> = HashMap::new();
    for m in batch {
        by_account
            .entry(m.account_id)
            .or_default()
            .push(&m.external_message_id);
    }
    let mut found = HashSet::new();
    for (account, ids) in by_account {
        for table in ["messages", "external_sends"] {
            for chunk in ids.chunks(CHUNK) {
                let mut q = QueryBuilder::<Sqlite>::new(format!(
                    "SELECT external_id FROM {table} WHERE account_id = "
                ));
                q.push_bind(account.0).push(" AND external_id IN (");
                let mut list = q.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                q.push(")");
                let rows: Vec<String> = q
                    .build_query_scalar()
                    .fetch_all(&mut **tx)
                    .await
                    .map_err(db)?;
                found.extend(rows.into_iter().map(|id| (account, id)));
            }
        }
    }
    Ok(found)
}

/// A conversation touched by an import batch.
struct Touched {
    conv: Conversation,
    new: bool,
}

pub(crate) async fn import_messages(
    s: &SqliteStore,
    batch: Vec<ImportedMessage>,
) -> Result<ImportStats> {
    let now = Timestamp::now();
    let mut stats = ImportStats::default();
    let mut tx = s.begin().await?;
    let mut accounts: HashSet<AccountId> = HashSet::new();
    let mut customers: HashMap<(AccountId, String), i64> = HashMap::new();
    // Conversations in the order the batch first touched them, so that events come out in that order.
    let mut touched: Vec<Touched> = Vec::new();
    let mut index: HashMap<(AccountId, String), usize> = HashMap::new();

    // Keys already stored (looked up in bulk: one round trip per few hundred messages) plus the
    // ones inserted by this batch, so that a key repeated within the batch is skipped too.
    let mut stored = stored_external_ids(&mut tx, &batch).await?;
    for m in batch {
        if !stored.insert((m.account_id, m.external_message_id.clone())) {
            stats.messages_skipped += 1;
            continue;
        }
        if accounts.insert(m.account_id) {
            account_exists(&mut tx, m.account_id).await?;
        }
        let chat_key = (m.account_id, m.external_chat_id.clone());
        let slot = match index.get(&chat_key) {
            Some(&i) => i,
            None => {
                let customer_key = (m.account_id, m.customer.external_id.clone());
                let customer = match customers.get(&customer_key) {
                    Some(&id) => id,
                    None => {
                        let id = upsert_customer(&mut tx, m.account_id, &m.customer, now).await?;
                        customers.insert(customer_key, id);
                        id
                    }
                };
                let (conv, new) = find_or_create_conversation(
                    &mut tx,
                    m.account_id,
                    &m.external_chat_id,
                    customer,
                    now,
                )
                .await?;
                if new {
                    stats.conversations_created += 1;
                }
                touched.push(Touched { conv, new });
                index.insert(chat_key, touched.len() - 1);
                touched.len() - 1
            }
        };
        let t = &mut touched[slot];
        if let Some(listing) = m.listing {
            t.conv.listing = Some(merge_listing(t.conv.listing.take(), listing));
        }
        let direction = m.author.direction();
        let message = insert_message(
            &mut tx,
            NewMessage {
                conversation: &t.conv,
                author: m.author,
                direction,
                text: &m.text,
                attachments: &m.attachments,
                external_id: Some(&m.external_message_id),
                // History is past: what came in reached us, what went out left through the channel.
                status: match direction {
                    Direction::In => DeliveryStatus::Delivered,
                    Direction::Out => DeliveryStatus::Sent,
                },
                created_at: m.sent_at,
            },
        )
        .await?;
        show_last_message(&mut t.conv, &message);
        stats.messages_created += 1;
    }

    for t in &mut touched {
        t.conv.updated_at = now;
        save_conversation(&mut tx, &t.conv).await?;
        if t.new {
            append(
                &mut tx,
                EventKind::ConversationCreated,
                t.conv.id,
                None,
                None,
                now,
            )
            .await?;
        }
        append(
            &mut tx,
            EventKind::ConversationUpdated,
            t.conv.id,
            None,
            None,
            now,
        )
        .await?;
    }
    tx.commit().await.map_err(db)?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_merge_fills_in_same_item_and_replaces_another() {
        let old = Listing {
            external_id: "1".into(),
            title: Some("Диван".into()),
            price: Some("100".into()),
            url: None,
            image_url: None,
        };
        let same = Listing {
            external_id: "1".into(),
            price: Some("90".into()),
            ..Listing::default()
        };
        let merged = merge_listing(Some(old.clone()), same);
        assert_eq!(merged.title.as_deref(), Some("Диван"));
        assert_eq!(merged.price.as_deref(), Some("90"));
        let other = Listing {
            external_id: "2".into(),
            ..Listing::default()
        };
        assert_eq!(merge_listing(Some(old), other.clone()), other);
    }
}
