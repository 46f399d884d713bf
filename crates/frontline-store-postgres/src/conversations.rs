//! The conversation lifecycle — customers' messages stored, outbound messages queued, the lead
//! changed, conversations assigned, resolved and read — and the reads the inbox is built from.
//!
//! The writes are `frontline_store::write`'s use cases on a transaction from [`PgStore::begin`]
//! (the event log lock, see the `events` module); this file holds their conversation steps in SQL:
//! [`load_conversation`] reads the row `FOR UPDATE`, the domain's rules change the
//! [`Conversation`] in Rust, [`save_conversation`] writes every mutable column back. The steps
//! also serve the history import.

use async_trait::async_trait;
use frontline_domain::{
    AccountId, Conversation, ConversationId, ConversationStatus, ConversationView, CustomerProfile,
    Handoff, HandoffId, InboundMessage, Lead, LeadChange, Message, MessageId, OperatorId,
    OutboundMessage, Slots, Timestamp,
};
use frontline_store::rows::{self, CONVERSATION_COLS, HANDOFF_COLS, MESSAGE_COLS, VIEW_SELECT};
use frontline_store::write::{self, NewMessage};
use frontline_store::{
    AssigneeFilter, ConversationCursor, ConversationFilter, ConversationStore, Ingested, Page,
    Queued, Result, StoreError, stored,
};
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder};

use crate::error::{db, db_referencing};
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

/// `NotFound("account")` unless it exists.
pub(crate) async fn account_exists(tx: &mut Tx, id: AccountId) -> Result<()> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    found.map(|_| ()).ok_or(StoreError::NotFound("account"))
}

/// `NotFound("operator")` unless it exists.
pub(crate) async fn operator_exists(tx: &mut Tx, id: OperatorId) -> Result<()> {
    let found: Option<i64> = sqlx::query_scalar("SELECT id FROM operators WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?;
    found.map(|_| ()).ok_or(StoreError::NotFound("operator"))
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

/// Insert the handoff row of `change` from `c`'s current lead.
pub(crate) async fn insert_handoff(
    tx: &mut Tx,
    c: &Conversation,
    change: &LeadChange,
    now: Timestamp,
) -> Result<Handoff> {
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
    rows::handoff(&row)
}

/// Find or create the customer, updating the profile fields the channel sent. Returns its id.
pub(crate) async fn upsert_customer(
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
pub(crate) async fn create_conversation(
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
        write::ingest_inbound(self.begin().await?, msg).await
    }

    async fn enqueue_outbound(&self, msg: OutboundMessage) -> Result<Queued> {
        write::enqueue_outbound(self.begin().await?, msg).await
    }

    async fn change_lead(&self, change: LeadChange) -> Result<Handoff> {
        write::change_lead(self.begin().await?, change).await
    }

    async fn assign(
        &self,
        conversation: ConversationId,
        assignee: Option<OperatorId>,
    ) -> Result<Conversation> {
        write::assign(self.begin().await?, conversation, assignee).await
    }

    async fn set_status(
        &self,
        conversation: ConversationId,
        status: ConversationStatus,
    ) -> Result<Conversation> {
        write::set_status(self.begin().await?, conversation, status).await
    }

    async fn mark_read(&self, conversation: ConversationId) -> Result<Conversation> {
        write::mark_read(self.begin().await?, conversation).await
    }

    async fn set_intent_and_slots(
        &self,
        conversation: ConversationId,
        intent: Option<String>,
        slots: Slots,
    ) -> Result<Conversation> {
        write::set_intent_and_slots(self.begin().await?, conversation, intent, slots).await
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
