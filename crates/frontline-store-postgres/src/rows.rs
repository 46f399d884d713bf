//! Decoding of database rows into domain types, and the JSON shapes of attachments and slots.
//!
//! The domain has no serde, so the JSON stored in `attachments` columns is this crate's own private
//! struct; keeping it here means a change of the domain type cannot silently change stored data.

use frontline_domain::{
    AccountId, AccountKind, Attachment, AttachmentKind, Author, Conversation, ConversationId,
    ConversationStatus, ConversationView, Customer, CustomerId, DeliveryStatus, Direction, Handoff,
    HandoffContext, HandoffId, HandoffReason, Lead, Listing, Message, MessageId, MessagePreview,
    OperatorId, Slots, Timestamp,
};
use frontline_store::{Result, StoreError};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;

use crate::error::corrupt;

/// One attachment as stored in a message's `attachments` JSONB array.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredAttachment {
    kind: String,
    url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size: Option<i64>,
}

pub(crate) fn attachments_json(attachments: &[Attachment]) -> Json<Vec<StoredAttachment>> {
    Json(
        attachments
            .iter()
            .map(|a| StoredAttachment {
                kind: a.kind.as_str().to_owned(),
                url: a.url.clone(),
                name: a.name.clone(),
                mime: a.mime.clone(),
                size: a.size,
            })
            .collect(),
    )
}

/// The JSON text of `attachments`, for array binds (bulk import), cast to JSONB in SQL.
pub(crate) fn attachments_text(attachments: &[Attachment]) -> Result<String> {
    serde_json::to_string(&attachments_json(attachments).0).map_err(StoreError::backend)
}

fn attachments_from(stored: Vec<StoredAttachment>) -> Result<Vec<Attachment>> {
    stored
        .into_iter()
        .map(|a| {
            Ok(Attachment {
                kind: AttachmentKind::parse(&a.kind).map_err(corrupt)?,
                url: a.url,
                name: a.name,
                mime: a.mime,
                size: a.size,
            })
        })
        .collect()
}

/// Slots are a string map, which serde stores as a JSON object as it is.
pub(crate) fn slots_json(slots: &Slots) -> Json<&Slots> {
    Json(slots)
}

pub(crate) fn get<'r, T>(row: &'r PgRow, column: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(column).map_err(corrupt)
}

pub(crate) fn ts(row: &PgRow, column: &str) -> Result<Timestamp> {
    Ok(Timestamp(get(row, column)?))
}

fn author(row: &PgRow, kind: &str, operator: &str) -> Result<Author> {
    let kind: String = get(row, kind)?;
    let operator: Option<i64> = get(row, operator)?;
    Author::from_parts(&kind, operator.map(OperatorId)).map_err(corrupt)
}

/// Columns read by [`conversation`], qualified by the alias `c`.
pub(crate) const CONVERSATION_COLUMNS: &str = "c.id, c.account_id, c.customer_id, \
    c.external_chat_id, c.listing_external_id, c.listing_title, c.listing_price, c.listing_url, \
    c.listing_image_url, c.lead, c.assignee_id, c.status, c.intent, c.slots, c.unread_count, \
    c.last_message_id, c.last_message_text, c.last_message_direction, c.last_message_at, \
    c.activity_at, c.created_at, c.updated_at";

pub(crate) fn conversation(row: &PgRow) -> Result<Conversation> {
    let listing = get::<Option<String>>(row, "listing_external_id")?
        .map(|external_id| -> Result<Listing> {
            Ok(Listing {
                external_id,
                title: get(row, "listing_title")?,
                price: get(row, "listing_price")?,
                url: get(row, "listing_url")?,
                image_url: get(row, "listing_image_url")?,
            })
        })
        .transpose()?;
    let last_message = match get::<Option<i64>>(row, "last_message_id")? {
        Some(id) => Some(MessagePreview {
            message_id: MessageId(id),
            text: get::<Option<String>>(row, "last_message_text")?.unwrap_or_default(),
            direction: Direction::parse(
                get::<Option<String>>(row, "last_message_direction")?
                    .as_deref()
                    .unwrap_or_default(),
            )
            .map_err(corrupt)?,
            at: Timestamp(get::<Option<i64>>(row, "last_message_at")?.unwrap_or_default()),
        }),
        None => None,
    };
    let slots: Json<Slots> = get(row, "slots")?;
    Ok(Conversation {
        id: ConversationId(get(row, "id")?),
        account_id: AccountId(get(row, "account_id")?),
        customer_id: CustomerId(get(row, "customer_id")?),
        external_chat_id: get(row, "external_chat_id")?,
        listing,
        lead: Lead::parse(&get::<String>(row, "lead")?).map_err(corrupt)?,
        assignee: get::<Option<i64>>(row, "assignee_id")?.map(OperatorId),
        status: ConversationStatus::parse(&get::<String>(row, "status")?).map_err(corrupt)?,
        intent: get(row, "intent")?,
        slots: slots.0,
        unread_count: get(row, "unread_count")?,
        last_message,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

/// The query of a [`ConversationView`]: the conversation with its customer, account and assignee.
pub(crate) fn view_select() -> String {
    format!(
        "SELECT {CONVERSATION_COLUMNS}, \
            cu.external_id AS customer_external_id, cu.name AS customer_name, \
            cu.avatar_url AS customer_avatar_url, cu.phone AS customer_phone, \
            cu.created_at AS customer_created_at, \
            a.name AS account_name, a.kind AS account_kind, o.display_name AS assignee_name \
         FROM conversations c \
         JOIN customers cu ON cu.id = c.customer_id \
         JOIN accounts a ON a.id = c.account_id \
         LEFT JOIN operators o ON o.id = c.assignee_id"
    )
}

pub(crate) fn view(row: &PgRow) -> Result<ConversationView> {
    let conversation = conversation(row)?;
    let customer = Customer {
        id: conversation.customer_id,
        account_id: conversation.account_id,
        external_id: get(row, "customer_external_id")?,
        name: get(row, "customer_name")?,
        avatar_url: get(row, "customer_avatar_url")?,
        phone: get(row, "customer_phone")?,
        created_at: ts(row, "customer_created_at")?,
    };
    Ok(ConversationView {
        conversation,
        customer,
        account_name: get(row, "account_name")?,
        account_kind: AccountKind::parse(&get::<String>(row, "account_kind")?).map_err(corrupt)?,
        assignee_name: get(row, "assignee_name")?,
    })
}

pub(crate) const MESSAGE_COLUMNS: &str = "id, conversation_id, account_id, direction, author_kind, \
    author_operator_id, text, attachments, external_id, status, error, created_at";

pub(crate) fn message(row: &PgRow) -> Result<Message> {
    let attachments: Json<Vec<StoredAttachment>> = get(row, "attachments")?;
    Ok(Message {
        id: MessageId(get(row, "id")?),
        conversation_id: ConversationId(get(row, "conversation_id")?),
        account_id: AccountId(get(row, "account_id")?),
        direction: Direction::parse(&get::<String>(row, "direction")?).map_err(corrupt)?,
        author: author(row, "author_kind", "author_operator_id")?,
        text: get(row, "text")?,
        attachments: attachments_from(attachments.0)?,
        external_id: get(row, "external_id")?,
        status: DeliveryStatus::parse(&get::<String>(row, "status")?).map_err(corrupt)?,
        error: get(row, "error")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) const HANDOFF_COLUMNS: &str = "id, conversation_id, from_lead, to_lead, reason, \
    actor_kind, actor_operator_id, intent, summary, slots, briefing, created_at";

pub(crate) fn handoff(row: &PgRow) -> Result<Handoff> {
    let slots: Json<Slots> = get(row, "slots")?;
    Ok(Handoff {
        id: HandoffId(get(row, "id")?),
        conversation_id: ConversationId(get(row, "conversation_id")?),
        from: Lead::parse(&get::<String>(row, "from_lead")?).map_err(corrupt)?,
        to: Lead::parse(&get::<String>(row, "to_lead")?).map_err(corrupt)?,
        reason: HandoffReason::parse(&get::<String>(row, "reason")?).map_err(corrupt)?,
        actor: author(row, "actor_kind", "actor_operator_id")?,
        context: HandoffContext {
            intent: get(row, "intent")?,
            summary: get(row, "summary")?,
            slots: slots.0,
            briefing: get(row, "briefing")?,
        },
        created_at: ts(row, "created_at")?,
    })
}
