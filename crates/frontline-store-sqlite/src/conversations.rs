//! The conversation lifecycle — inbound messages, the outbox, lead changes, assignment, status — and
//! the reads the inbox is built from. The writes are `frontline_store::write`'s use cases, run on
//! a transaction of the single writer (see the crate docs for why that keeps the log gap-free);
//! this file holds their conversation steps in SQL and the reads.
//!
//! The conversation row is read, changed in Rust by the domain's rules and written back whole: with
//! a single writer there is no lost-update race, and the rules (takeover, last message, unread
//! count, listing merge) stay in `frontline-domain` instead of being re-expressed in SQL. The
//! steps here (`load_conversation`, `save_conversation`, `insert_message`, …) also serve the
//! history import.

use crate::error::{db, db_referencing};
use crate::{SqliteStore, Tx, sql_int};
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
    let created = create_conversation(tx, account, external_chat_id, customer_id, now).await?;
    Ok((created, true))
}

/// A new conversation of a chat: bot-led, open, no listing or messages yet.
pub(crate) async fn create_conversation(
    tx: &mut Tx,
    account: AccountId,
    external_chat_id: &str,
    customer_id: i64,
    now: Timestamp,
) -> Result<Conversation> {
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
    load_conversation(tx, ConversationId(id)).await
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
        .map_err(db_referencing("operator"))?;
    rows::handoff(&row)
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
