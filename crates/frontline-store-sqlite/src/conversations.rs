//! The conversation lifecycle — inbound messages, the outbox, lead changes, assignment, status — and
//! the reads the inbox is built from. Each write is one transaction on the single writer that
//! appends its events before it commits (see the crate docs for why that keeps the log gap-free).
//!
//! The conversation row is read, changed in Rust by the domain's rules and written back whole: with
//! a single writer there is no lost-update race, and the rules (takeover, last message, unread
//! count, listing merge) stay in `frontline-domain` instead of being re-expressed in SQL. The
//! helpers here (`load_conversation`, `save_conversation`, `insert_message`, `queue_message`,
//! `apply_lead_change`) are shared with the other writers of conversations: channels, history
//! imports and bot turns.

use crate::channels::message_by_external_id_in;
use crate::error::db;
use crate::events::append_event;
use crate::jobs::insert_job;
use crate::{SqliteStore, Tx, sql_int};
use async_trait::async_trait;
use frontline_domain::{
    AccountId, Attachment, Author, Conversation, ConversationId, ConversationStatus,
    ConversationView, CustomerProfile, DeliveryStatus, Direction, EventKind, Handoff, HandoffId,
    InboundMessage, Lead, LeadChange, LinkPreview, Message, MessageId, OperatorId, OutboundMessage,
    Quote, Slots, Timestamp,
};
use frontline_store::rows::{self, CONVERSATION_COLS, HANDOFF_COLS, MESSAGE_COLS, VIEW_SELECT};
use frontline_store::{
    AssigneeFilter, ConversationCursor, ConversationFilter, ConversationStore, Ingested, JobKind,
    Page, Queued, Result, StoreError, stored,
};
use sqlx::{QueryBuilder, Sqlite};

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
pub(crate) async fn save_conversation(tx: &mut Tx, c: &Conversation) -> Result<()> {
    let listing = c.listing.as_ref();
    let last = c.last_message.as_ref();
    let activity = c.activity();
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
    .bind(stored::slots_to_json(&c.slots)?)
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

pub(crate) async fn account_exists(tx: &mut Tx, id: AccountId) -> Result<()> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE id = ?")
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    found.map(|_| ()).ok_or(StoreError::NotFound("account"))
}

pub(crate) async fn operator_exists(tx: &mut Tx, id: OperatorId) -> Result<()> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM operators WHERE id = ?")
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    found.map(|_| ()).ok_or(StoreError::NotFound("operator"))
}

/// Find or create the customer, updating the profile fields the channel sent.
pub(crate) async fn upsert_customer(
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
pub(crate) async fn find_conversation(
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
pub(crate) async fn find_or_create_conversation(
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

pub(crate) struct NewMessage<'a> {
    pub(crate) conversation: &'a Conversation,
    pub(crate) author: Author,
    pub(crate) direction: Direction,
    pub(crate) text: &'a str,
    pub(crate) attachments: &'a [Attachment],
    pub(crate) quote: Option<&'a Quote>,
    pub(crate) link: Option<&'a LinkPreview>,
    pub(crate) external_id: Option<&'a str>,
    pub(crate) status: DeliveryStatus,
    pub(crate) created_at: Timestamp,
}

pub(crate) async fn insert_message(tx: &mut Tx, m: NewMessage<'_>) -> Result<Message> {
    let sql = format!(
        "INSERT INTO messages (conversation_id, account_id, direction, author_kind, \
         author_operator_id, text, attachments, quote, link_preview, external_id, status, \
         created_at, search_terms) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {MESSAGE_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(m.conversation.id.0)
        .bind(m.conversation.account_id.0)
        .bind(m.direction.as_str())
        .bind(m.author.kind_str())
        .bind(m.author.operator_id().map(|o| o.0))
        .bind(m.text)
        .bind(stored::attachments_to_json(m.attachments)?)
        .bind(stored::quote_to_json(m.quote)?)
        .bind(stored::link_to_json(m.link)?)
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

/// Record a handoff and apply it to `c` (lead and assignee rules), appending `conversation.lead_changed`.
/// The caller saves `c`.
/// Queue an outbound message in `conv`: the message (status queued) with its delivery job, shown as
/// the conversation's last message, and `message.created`. The caller saves `conv` and appends
/// `conversation.updated`.
pub(crate) async fn queue_message(
    tx: &mut Tx,
    conv: &mut Conversation,
    author: Author,
    text: &str,
    attachments: &[Attachment],
    now: Timestamp,
) -> Result<Message> {
    let message = insert_message(
        tx,
        NewMessage {
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
        },
    )
    .await?;
    insert_job(tx, JobKind::Deliver, conv.id, message.id, now).await?;
    conv.show_message(&message);
    conv.updated_at = now;
    append_event(
        tx,
        EventKind::MessageCreated,
        conv.id,
        Some(message.id),
        None,
        now,
    )
    .await?;
    Ok(message)
}

pub(crate) async fn apply_lead_change(
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
        .bind(stored::slots_to_json(&ctx.slots)?)
        .bind(&ctx.briefing)
        .bind(now.0)
        .fetch_one(&mut **tx)
        .await
        .map_err(db)?;
    let handoff = rows::handoff(&row)?;
    c.change_lead(change, now);
    append_event(
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

/// Load, let `change` edit the conversation (returning whether it changed anything), and when it did,
/// save it with one `conversation.updated` event.
pub(crate) async fn update_conversation(
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
        append_event(
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

async fn conversation_exists(s: &SqliteStore, id: ConversationId) -> Result<()> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM conversations WHERE id = ?")
        .bind(id.0)
        .fetch_optional(&s.read)
        .await
        .map_err(db)?;
    found
        .map(|_| ())
        .ok_or(StoreError::NotFound("conversation"))
}

#[async_trait]
impl ConversationStore for SqliteStore {
    async fn ingest_inbound(&self, msg: InboundMessage) -> Result<Ingested> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        // A redelivery changes nothing at all, not even the customer profile: it is the same payload again.
        if let Some(message) =
            message_by_external_id_in(&mut *tx, msg.account_id, &msg.external_message_id).await?
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
            conv.update_listing(listing);
        }
        let message = insert_message(
            &mut tx,
            NewMessage {
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
            },
        )
        .await?;
        conv.receive(&message, now);
        save_conversation(&mut tx, &conv).await?;
        let bot_job = conv.lead == Lead::Bot;
        if bot_job {
            insert_job(&mut tx, JobKind::Bot, conv.id, message.id, now).await?;
        }
        if new_conversation {
            append_event(
                &mut tx,
                EventKind::ConversationCreated,
                conv.id,
                None,
                None,
                now,
            )
            .await?;
        }
        append_event(
            &mut tx,
            EventKind::MessageCreated,
            conv.id,
            Some(message.id),
            None,
            now,
        )
        .await?;
        append_event(
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

    async fn enqueue_outbound(&self, msg: OutboundMessage) -> Result<Queued> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let mut conv = load_conversation(&mut tx, msg.conversation_id).await?;
        // Checked inside the write transaction, so the bot cannot talk over an operator who took the lead
        // while the bot was composing its answer.
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
        save_conversation(&mut tx, &conv).await?;
        append_event(
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

    async fn change_lead(&self, change: LeadChange) -> Result<Handoff> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let mut conv = load_conversation(&mut tx, change.conversation_id).await?;
        let handoff = apply_lead_change(&mut tx, &mut conv, &change, now).await?;
        save_conversation(&mut tx, &conv).await?;
        tx.commit().await.map_err(db)?;
        Ok(handoff)
    }

    async fn assign(
        &self,
        conversation: ConversationId,
        assignee: Option<OperatorId>,
    ) -> Result<Conversation> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let mut conv = load_conversation(&mut tx, conversation).await?;
        if let Some(op) = assignee {
            operator_exists(&mut tx, op).await?;
        }
        conv.assignee = assignee;
        conv.updated_at = now;
        save_conversation(&mut tx, &conv).await?;
        append_event(&mut tx, EventKind::Assigned, conv.id, None, None, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(conv)
    }

    async fn set_status(
        &self,
        conversation: ConversationId,
        status: ConversationStatus,
    ) -> Result<Conversation> {
        update_conversation(self, conversation, |c| {
            let changed = c.status != status;
            c.status = status;
            changed
        })
        .await
    }

    async fn mark_read(&self, conversation: ConversationId) -> Result<Conversation> {
        update_conversation(self, conversation, |c| {
            let changed = c.unread_count != 0;
            c.unread_count = 0;
            changed
        })
        .await
    }

    async fn set_intent_and_slots(
        &self,
        conversation: ConversationId,
        intent: Option<String>,
        slots: Slots,
    ) -> Result<Conversation> {
        update_conversation(self, conversation, |c| {
            c.intent = intent;
            c.slots = slots;
            true
        })
        .await
    }

    async fn conversation(&self, id: ConversationId) -> Result<Option<ConversationView>> {
        let sql = format!("{VIEW_SELECT} WHERE c.id = ?");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::view).transpose()
    }

    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
    ) -> Result<Page<ConversationView>> {
        let f = filter;
        let empty = Page {
            items: Vec::new(),
            next: None,
        };
        if f.limit == 0 || f.account_ids.as_ref().is_some_and(|ids| ids.is_empty()) {
            return Ok(empty);
        }
        let mut q = QueryBuilder::<Sqlite>::new(VIEW_SELECT);
        q.push(" WHERE 1 = 1");
        if let Some(lead) = f.lead {
            q.push(" AND c.lead = ").push_bind(lead.as_str());
        }
        match f.assignee {
            AssigneeFilter::Any => {}
            AssigneeFilter::Is(op) => {
                q.push(" AND c.assignee_id = ").push_bind(op.0);
            }
            AssigneeFilter::IsOrUnassigned(op) => {
                // Mine, plus conversations handed to operators that nobody has picked up yet.
                q.push(" AND (c.assignee_id = ")
                    .push_bind(op.0)
                    .push(" OR (c.assignee_id IS NULL AND c.lead = ")
                    .push_bind(Lead::Operator.as_str())
                    .push("))");
            }
            AssigneeFilter::Unassigned => {
                q.push(" AND c.assignee_id IS NULL");
            }
        }
        if let Some(ids) = &f.account_ids {
            q.push(" AND c.account_id IN (");
            let mut list = q.separated(", ");
            for id in ids {
                list.push_bind(id.0);
            }
            q.push(")");
        }
        if let Some(status) = f.status {
            q.push(" AND c.status = ").push_bind(status.as_str());
        }
        if let Some(cursor) = f.cursor {
            // A row-value comparison, which SQLite turns into a range scan of the (activity_at, id) index.
            q.push(" AND (c.activity_at, c.id) < (")
                .push_bind(cursor.activity.0)
                .push(", ")
                .push_bind(cursor.id.0)
                .push(")");
        }
        q.push(" ORDER BY c.activity_at DESC, c.id DESC LIMIT ")
            .push_bind(sql_int(f.limit));
        let rows = q.build().fetch_all(&self.read).await.map_err(db)?;
        let items = rows.iter().map(rows::view).collect::<Result<Vec<_>>>()?;
        let next = if items.len() == f.limit {
            items.last().map(|v| ConversationCursor {
                activity: v.conversation.activity(),
                id: v.conversation.id,
            })
        } else {
            None
        };
        Ok(Page { items, next })
    }

    async fn list_messages(
        &self,
        conversation: ConversationId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Vec<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE conversation_id = ? AND id < ? \
             ORDER BY id DESC LIMIT ?"
        );
        let rows = sqlx::query(&sql)
            .bind(conversation.0)
            .bind(before.map_or(i64::MAX, |m| m.0))
            .bind(sql_int(limit))
            .fetch_all(&self.read)
            .await
            .map_err(db)?;
        if rows.is_empty() {
            conversation_exists(self, conversation).await?;
        }
        let mut messages = rows.iter().map(rows::message).collect::<Result<Vec<_>>>()?;
        messages.reverse();
        Ok(messages)
    }

    async fn message(&self, id: MessageId) -> Result<Option<Message>> {
        let sql = format!("SELECT {MESSAGE_COLS} FROM messages WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::message).transpose()
    }

    async fn handoffs(&self, conversation: ConversationId) -> Result<Vec<Handoff>> {
        let sql =
            format!("SELECT {HANDOFF_COLS} FROM handoffs WHERE conversation_id = ? ORDER BY id");
        let rows = sqlx::query(&sql)
            .bind(conversation.0)
            .fetch_all(&self.read)
            .await
            .map_err(db)?;
        if rows.is_empty() {
            conversation_exists(self, conversation).await?;
        }
        rows.iter().map(rows::handoff).collect()
    }

    async fn handoff(&self, id: HandoffId) -> Result<Option<Handoff>> {
        let sql = format!("SELECT {HANDOFF_COLS} FROM handoffs WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::handoff).transpose()
    }
}
