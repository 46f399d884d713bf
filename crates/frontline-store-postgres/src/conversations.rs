//! The conversation lifecycle — customers' messages stored, outbound messages queued, the lead
//! changed, conversations assigned, resolved and read — and the reads the inbox is built from.
//!
//! Every write here is one transaction from [`PgStore::begin`] (the event log lock, see the `events`
//! module) with the same shape: [`load_conversation`] reads the row `FOR UPDATE`, the domain's rules
//! change the [`Conversation`] in Rust (`receive`, `show_message`, `change_lead`, `takeover_by`, …),
//! [`save_conversation`] writes every mutable column back, and the events are appended before the
//! commit. The building blocks below are shared with the history import, the channels' external
//! replies and the bot's turns.

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
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder};

use crate::channels::message_by_external_id_in;
use crate::error::{db, db_referencing};
use crate::events::append_event;
use crate::jobs::insert_job;
use crate::{PgStore, Tx, sql_int};

// ---- building blocks ----------------------------------------------------------------------------

/// Read a conversation and lock its row for the rest of the transaction. `NotFound("conversation")`.
pub(crate) async fn load_conversation(tx: &mut Tx, id: ConversationId) -> Result<Conversation> {
    let row = sqlx::query(&format!(
        "SELECT {CONVERSATION_COLS} FROM conversations c WHERE c.id = $1 FOR UPDATE"
    ))
    .bind(id.0)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound("conversation"))?;
    rows::conversation(&row)
}

/// The conversation of a chat, if there is one, locked like [`load_conversation`].
pub(crate) async fn find_conversation(
    tx: &mut Tx,
    account: AccountId,
    external_chat_id: &str,
) -> Result<Option<Conversation>> {
    let row = sqlx::query(&format!(
        "SELECT {CONVERSATION_COLS} FROM conversations c \
         WHERE c.account_id = $1 AND c.external_chat_id = $2 FOR UPDATE"
    ))
    .bind(account.0)
    .bind(external_chat_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?;
    row.as_ref().map(rows::conversation).transpose()
}

/// Write back every mutable column of `c`, deriving `activity_at` (the list order) from it.
pub(crate) async fn save_conversation(tx: &mut Tx, c: &Conversation) -> Result<()> {
    save_conversations(tx, std::slice::from_ref(c)).await
}

/// [`save_conversation`] for many conversations in one statement (a history import touches hundreds).
/// The one place that knows which columns a conversation has, so a single save and a bulk one cannot
/// drift apart.
pub(crate) async fn save_conversations(tx: &mut Tx, conversations: &[Conversation]) -> Result<()> {
    if conversations.is_empty() {
        return Ok(());
    }
    let mut a = ConversationArrays::default();
    for c in conversations {
        a.push(c)?;
    }
    sqlx::query(
        "UPDATE conversations c SET customer_id = u.customer_id, \
             listing_external_id = u.listing_external_id, listing_title = u.listing_title, \
             listing_price = u.listing_price, listing_url = u.listing_url, \
             listing_image_url = u.listing_image_url, lead = u.lead, assignee_id = u.assignee_id, \
             status = u.status, intent = u.intent, slots = u.slots::jsonb, \
             unread_count = u.unread_count, last_message_id = u.last_message_id, \
             last_message_text = u.last_message_text, \
             last_message_direction = u.last_message_direction, \
             last_message_at = u.last_message_at, activity_at = u.activity_at, \
             updated_at = u.updated_at \
         FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], \
                 $7::text[], $8::text[], $9::bigint[], $10::text[], $11::text[], $12::text[], \
                 $13::bigint[], $14::bigint[], $15::text[], $16::text[], $17::bigint[], \
                 $18::bigint[], $19::bigint[]) \
             AS u(id, customer_id, listing_external_id, listing_title, listing_price, listing_url, \
                 listing_image_url, lead, assignee_id, status, intent, slots, unread_count, \
                 last_message_id, last_message_text, last_message_direction, last_message_at, \
                 activity_at, updated_at) \
         WHERE c.id = u.id",
    )
    .bind(&a.id)
    .bind(&a.customer_id)
    .bind(&a.listing_external_id)
    .bind(&a.listing_title)
    .bind(&a.listing_price)
    .bind(&a.listing_url)
    .bind(&a.listing_image_url)
    .bind(&a.lead)
    .bind(&a.assignee_id)
    .bind(&a.status)
    .bind(&a.intent)
    .bind(&a.slots)
    .bind(&a.unread_count)
    .bind(&a.last_message_id)
    .bind(&a.last_message_text)
    .bind(&a.last_message_direction)
    .bind(&a.last_message_at)
    .bind(&a.activity_at)
    .bind(&a.updated_at)
    .execute(&mut **tx)
    .await
    // The assignee is the only reference a caller chooses; the rest were just read or written here.
    .map_err(db_referencing("operator"))?;
    Ok(())
}

/// The columns of [`save_conversations`] as parallel arrays, one element per conversation.
#[derive(Default)]
struct ConversationArrays {
    id: Vec<i64>,
    customer_id: Vec<i64>,
    listing_external_id: Vec<Option<String>>,
    listing_title: Vec<Option<String>>,
    listing_price: Vec<Option<String>>,
    listing_url: Vec<Option<String>>,
    listing_image_url: Vec<Option<String>>,
    lead: Vec<&'static str>,
    assignee_id: Vec<Option<i64>>,
    status: Vec<&'static str>,
    intent: Vec<Option<String>>,
    slots: Vec<String>,
    unread_count: Vec<i64>,
    last_message_id: Vec<Option<i64>>,
    last_message_text: Vec<Option<String>>,
    last_message_direction: Vec<Option<&'static str>>,
    last_message_at: Vec<Option<i64>>,
    activity_at: Vec<i64>,
    updated_at: Vec<i64>,
}

impl ConversationArrays {
    fn push(&mut self, c: &Conversation) -> Result<()> {
        let listing = c.listing.as_ref();
        let last = c.last_message.as_ref();
        self.id.push(c.id.0);
        self.customer_id.push(c.customer_id.0);
        self.listing_external_id
            .push(listing.map(|l| l.external_id.clone()));
        self.listing_title
            .push(listing.and_then(|l| l.title.clone()));
        self.listing_price
            .push(listing.and_then(|l| l.price.clone()));
        self.listing_url.push(listing.and_then(|l| l.url.clone()));
        self.listing_image_url
            .push(listing.and_then(|l| l.image_url.clone()));
        self.lead.push(c.lead.as_str());
        self.assignee_id.push(c.assignee.map(|a| a.0));
        self.status.push(c.status.as_str());
        self.intent.push(c.intent.clone());
        self.slots.push(stored::slots_to_json(&c.slots)?);
        self.unread_count.push(c.unread_count);
        self.last_message_id.push(last.map(|m| m.message_id.0));
        self.last_message_text.push(last.map(|m| m.text.clone()));
        self.last_message_direction
            .push(last.map(|m| m.direction.as_str()));
        self.last_message_at.push(last.map(|m| m.at.0));
        // The time of the last message, or of creation while there is none (see the migration).
        self.activity_at.push(c.activity().0);
        self.updated_at.push(c.updated_at.0);
        Ok(())
    }
}

/// The fields of a new message row.
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
    let row = sqlx::query(&format!(
        "INSERT INTO messages (conversation_id, account_id, direction, author_kind, \
             author_operator_id, text, attachments, quote, link_preview, external_id, status, \
             created_at, search_terms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12, $13) \
         RETURNING {MESSAGE_COLS}"
    ))
    .bind(m.conversation.id.0)
    .bind(m.conversation.account_id.0)
    .bind(m.direction.as_str())
    .bind(m.author.kind_str())
    .bind(m.author.operator_id().map(|o| o.0))
    .bind(m.text)
    .bind(Json(stored::stored_attachments(m.attachments)))
    .bind(stored::quote_to_json(m.quote)?)
    .bind(stored::link_to_json(m.link)?)
    .bind(m.external_id)
    .bind(m.status.as_str())
    .bind(m.created_at.0)
    .bind(frontline_text::index_terms(m.text))
    .fetch_one(&mut **tx)
    .await
    .map_err(db_referencing("operator"))?;
    rows::message(&row)
}

/// Record a checked lead change of `c`: the handoff row, the domain's lead and assignee rule
/// (`Conversation::change_lead`) applied to `c`, and `conversation.lead_changed`. The caller saves `c`.
pub(crate) async fn apply_lead_change(
    tx: &mut Tx,
    c: &mut Conversation,
    change: &LeadChange,
    now: Timestamp,
) -> Result<Handoff> {
    c.check_lead_change(change.to)
        .map_err(|e| StoreError::Conflict(e.to_string()))?;
    let ctx = &change.context;
    let row = sqlx::query(&format!(
        "INSERT INTO handoffs (conversation_id, from_lead, to_lead, reason, actor_kind, \
             actor_operator_id, intent, summary, slots, briefing, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {HANDOFF_COLS}"
    ))
    .bind(c.id.0)
    .bind(c.lead.as_str())
    .bind(change.to.as_str())
    .bind(change.reason.as_str())
    .bind(change.actor.kind_str())
    .bind(change.actor.operator_id().map(|o| o.0))
    .bind(&ctx.intent)
    .bind(&ctx.summary)
    .bind(Json(&ctx.slots))
    .bind(&ctx.briefing)
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(db_referencing("operator"))?;
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

/// Queue an outbound message in `c`: the message (status queued) with its delivery job, shown as the
/// conversation's last message, and `message.created`. The caller saves `c` and appends
/// `conversation.updated`.
pub(crate) async fn queue_message(
    tx: &mut Tx,
    c: &mut Conversation,
    author: Author,
    text: &str,
    attachments: &[Attachment],
    now: Timestamp,
) -> Result<Message> {
    let message = insert_message(
        tx,
        NewMessage {
            conversation: c,
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
    insert_job(tx, JobKind::Deliver, c.id, message.id, now).await?;
    c.show_message(&message);
    c.updated_at = now;
    append_event(
        tx,
        EventKind::MessageCreated,
        c.id,
        Some(message.id),
        None,
        now,
    )
    .await?;
    Ok(message)
}

/// Find or create the customer, updating the profile fields the channel sent. Returns its id.
async fn upsert_customer(
    tx: &mut Tx,
    account: AccountId,
    profile: &CustomerProfile,
    now: Timestamp,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO customers (account_id, external_id, name, avatar_url, phone, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (account_id, external_id) DO UPDATE SET \
             name = COALESCE(EXCLUDED.name, customers.name), \
             avatar_url = COALESCE(EXCLUDED.avatar_url, customers.avatar_url), \
             phone = COALESCE(EXCLUDED.phone, customers.phone) \
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

/// A new conversation of a chat: bot-led, open, no listing or messages yet. Locked, as it is new.
async fn create_conversation(
    tx: &mut Tx,
    account: AccountId,
    external_chat_id: &str,
    customer_id: i64,
    now: Timestamp,
) -> Result<Conversation> {
    let row = sqlx::query(&format!(
        "INSERT INTO conversations AS c (account_id, customer_id, external_chat_id, lead, status, \
             slots, unread_count, activity_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, '{{}}', 0, $6, $6, $6) RETURNING {CONVERSATION_COLS}"
    ))
    .bind(account.0)
    .bind(customer_id)
    .bind(external_chat_id)
    .bind(Lead::Bot.as_str())
    .bind(ConversationStatus::Open.as_str())
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?;
    rows::conversation(&row)
}

/// Load, let `change` edit the conversation (returning whether it changed anything), and when it did,
/// save it with one `conversation.updated` event.
async fn update_conversation(
    store: &PgStore,
    id: ConversationId,
    change: impl FnOnce(&mut Conversation) -> bool,
) -> Result<Conversation> {
    let now = Timestamp::now();
    let mut tx = store.begin().await?;
    let mut c = load_conversation(&mut tx, id).await?;
    if change(&mut c) {
        c.updated_at = now;
        save_conversation(&mut tx, &c).await?;
        append_event(&mut tx, EventKind::ConversationUpdated, id, None, None, now).await?;
        tx.commit().await.map_err(db)?;
    }
    Ok(c)
}

/// `NotFound("conversation")` unless it exists: an empty list of an unknown conversation would hide a
/// wrong id.
pub(crate) async fn require_conversation(store: &PgStore, id: ConversationId) -> Result<()> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM conversations WHERE id = $1)")
            .bind(id.0)
            .fetch_one(&store.pool)
            .await
            .map_err(db)?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::NotFound("conversation"))
    }
}

// ---- the contract -------------------------------------------------------------------------------

#[async_trait]
impl ConversationStore for PgStore {
    async fn ingest_inbound(&self, msg: InboundMessage) -> Result<Ingested> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let account: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1")
            .bind(msg.account_id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if account.is_none() {
            return Err(StoreError::NotFound("account"));
        }

        // Idempotency first: a redelivered message (or the echo of one of our sends) changes nothing
        // at all. Writers are serialised by the lock `begin` took, so no concurrent ingest can insert
        // the same id between this check and the insert below.
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

        let customer = upsert_customer(&mut tx, msg.account_id, &msg.customer, now).await?;
        let (mut c, new_conversation) =
            match find_conversation(&mut tx, msg.account_id, &msg.external_chat_id).await? {
                Some(c) => (c, false),
                None => {
                    let c = create_conversation(
                        &mut tx,
                        msg.account_id,
                        &msg.external_chat_id,
                        customer,
                        now,
                    )
                    .await?;
                    (c, true)
                }
            };
        if let Some(listing) = msg.listing {
            c.update_listing(listing);
        }
        let message = insert_message(
            &mut tx,
            NewMessage {
                conversation: &c,
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
        c.receive(&message, now);
        save_conversation(&mut tx, &c).await?;

        let bot_job = c.lead == Lead::Bot;
        if bot_job {
            insert_job(&mut tx, JobKind::Bot, c.id, message.id, now).await?;
        }
        if new_conversation {
            append_event(
                &mut tx,
                EventKind::ConversationCreated,
                c.id,
                None,
                None,
                now,
            )
            .await?;
        }
        append_event(
            &mut tx,
            EventKind::MessageCreated,
            c.id,
            Some(message.id),
            None,
            now,
        )
        .await?;
        append_event(
            &mut tx,
            EventKind::ConversationUpdated,
            c.id,
            None,
            None,
            now,
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(Ingested {
            message,
            conversation: c,
            new_message: true,
            new_conversation,
            bot_job,
        })
    }

    async fn enqueue_outbound(&self, msg: OutboundMessage) -> Result<Queued> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let mut c = load_conversation(&mut tx, msg.conversation_id).await?;
        // Checked on the locked row, so the bot cannot talk over an operator who took the lead while
        // the bot was composing its answer.
        c.check_may_write(msg.author)
            .map_err(|e| StoreError::Conflict(e.to_string()))?;
        let takeover = match c.takeover_by(msg.author) {
            Some(change) => Some(apply_lead_change(&mut tx, &mut c, &change, now).await?),
            None => None,
        };
        let message = queue_message(
            &mut tx,
            &mut c,
            msg.author,
            &msg.text,
            &msg.attachments,
            now,
        )
        .await?;
        save_conversation(&mut tx, &c).await?;
        append_event(
            &mut tx,
            EventKind::ConversationUpdated,
            c.id,
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
        let mut c = load_conversation(&mut tx, change.conversation_id).await?;
        let handoff = apply_lead_change(&mut tx, &mut c, &change, now).await?;
        save_conversation(&mut tx, &c).await?;
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
        let mut c = load_conversation(&mut tx, conversation).await?;
        c.assignee = assignee;
        c.updated_at = now;
        // An unknown operator fails the save's foreign key: NotFound("operator").
        save_conversation(&mut tx, &c).await?;
        append_event(&mut tx, EventKind::Assigned, c.id, None, None, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(c)
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
        let row = sqlx::query(&format!("{VIEW_SELECT} WHERE c.id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::view).transpose()
    }

    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
    ) -> Result<Page<ConversationView>> {
        let empty = Page {
            items: Vec::new(),
            next: None,
        };
        if filter.limit == 0 || filter.account_ids.as_ref().is_some_and(Vec::is_empty) {
            return Ok(empty);
        }
        let mut q = QueryBuilder::<Postgres>::new(VIEW_SELECT);
        q.push(" WHERE TRUE");
        if let Some(lead) = filter.lead {
            q.push(" AND c.lead = ").push_bind(lead.as_str());
        }
        match filter.assignee {
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
        if let Some(ids) = &filter.account_ids {
            let ids: Vec<i64> = ids.iter().map(|a| a.0).collect();
            q.push(" AND c.account_id = ANY(").push_bind(ids).push(")");
        }
        if let Some(status) = filter.status {
            q.push(" AND c.status = ").push_bind(status.as_str());
        }
        if let Some(cursor) = filter.cursor {
            // A row comparison matches the (activity_at DESC, id DESC) index order.
            q.push(" AND (c.activity_at, c.id) < (")
                .push_bind(cursor.activity.0)
                .push(", ")
                .push_bind(cursor.id.0)
                .push(")");
        }
        q.push(" ORDER BY c.activity_at DESC, c.id DESC LIMIT ")
            .push_bind(sql_int(filter.limit));
        let rows = q.build().fetch_all(&self.pool).await.map_err(db)?;
        let items = rows.iter().map(rows::view).collect::<Result<Vec<_>>>()?;
        let next = match items.last() {
            // activity_at as `save_conversations` derives it.
            Some(last) if items.len() == filter.limit => Some(ConversationCursor {
                activity: last.conversation.activity(),
                id: last.conversation.id,
            }),
            _ => None,
        };
        Ok(Page { items, next })
    }

    async fn list_messages(
        &self,
        conversation: ConversationId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Vec<Message>> {
        let rows = sqlx::query(&format!(
            "SELECT * FROM ( \
                 SELECT {MESSAGE_COLS} FROM messages \
                 WHERE conversation_id = $1 AND ($2::bigint IS NULL OR id < $2) \
                 ORDER BY id DESC LIMIT $3 \
             ) newest ORDER BY id"
        ))
        .bind(conversation.0)
        .bind(before.map(|b| b.0))
        .bind(sql_int(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        if rows.is_empty() {
            require_conversation(self, conversation).await?;
        }
        rows.iter().map(rows::message).collect()
    }

    async fn message(&self, id: MessageId) -> Result<Option<Message>> {
        let row = sqlx::query(&format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::message).transpose()
    }

    async fn handoffs(&self, conversation: ConversationId) -> Result<Vec<Handoff>> {
        let rows = sqlx::query(&format!(
            "SELECT {HANDOFF_COLS} FROM handoffs WHERE conversation_id = $1 ORDER BY id"
        ))
        .bind(conversation.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        if rows.is_empty() {
            require_conversation(self, conversation).await?;
        }
        rows.iter().map(rows::handoff).collect()
    }

    async fn handoff(&self, id: HandoffId) -> Result<Option<Handoff>> {
        let row = sqlx::query(&format!(
            "SELECT {HANDOFF_COLS} FROM handoffs WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::handoff).transpose()
    }
}
