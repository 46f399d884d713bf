//! Reading conversations, messages and handoffs.

use frontline_domain::{ConversationId, ConversationView, Handoff, HandoffId, Message, MessageId};
use frontline_store::{
    AssigneeFilter, ConversationCursor, ConversationFilter, Page, Result, StoreError,
};
use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::error::db_err;
use crate::events::limit_i64;
use crate::rows::{HANDOFF_COLUMNS, MESSAGE_COLUMNS, handoff, message, ts, view, view_select};

pub(crate) async fn conversation(
    pool: &PgPool,
    id: ConversationId,
) -> Result<Option<ConversationView>> {
    let row = sqlx::query(&format!("{} WHERE c.id = $1", view_select()))
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    row.as_ref().map(view).transpose()
}

pub(crate) async fn list_conversations(
    pool: &PgPool,
    filter: &ConversationFilter,
) -> Result<Page<ConversationView>> {
    let empty = Page {
        items: Vec::new(),
        next: None,
    };
    if filter.limit == 0 || filter.account_ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(empty);
    }
    let mut q = QueryBuilder::<Postgres>::new(view_select());
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
                .push_bind(frontline_domain::Lead::Operator.as_str())
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
        .push_bind(limit_i64(filter.limit));
    let rows = q.build().fetch_all(pool).await.map_err(db_err)?;
    let items = rows.iter().map(view).collect::<Result<Vec<_>>>()?;
    let next = match (rows.last(), items.last()) {
        (Some(row), Some(last)) if items.len() == filter.limit => Some(ConversationCursor {
            activity: ts(row, "activity_at")?,
            id: last.conversation.id,
        }),
        _ => None,
    };
    Ok(Page { items, next })
}

async fn require_conversation(pool: &PgPool, id: ConversationId) -> Result<()> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM conversations WHERE id = $1)")
            .bind(id.0)
            .fetch_one(pool)
            .await
            .map_err(db_err)?;
    if exists {
        Ok(())
    } else {
        Err(StoreError::NotFound("conversation"))
    }
}

pub(crate) async fn list_messages(
    pool: &PgPool,
    conversation: ConversationId,
    before: Option<MessageId>,
    limit: usize,
) -> Result<Vec<Message>> {
    let rows = sqlx::query(&format!(
        "SELECT * FROM ( \
             SELECT {MESSAGE_COLUMNS} FROM messages \
             WHERE conversation_id = $1 AND ($2::bigint IS NULL OR id < $2) \
             ORDER BY id DESC LIMIT $3 \
         ) newest ORDER BY id"
    ))
    .bind(conversation.0)
    .bind(before.map(|b| b.0))
    .bind(limit_i64(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    if rows.is_empty() {
        require_conversation(pool, conversation).await?;
    }
    rows.iter().map(message).collect()
}

pub(crate) async fn message_by_id(pool: &PgPool, id: MessageId) -> Result<Option<Message>> {
    let row = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    row.as_ref().map(message).transpose()
}

pub(crate) async fn handoffs(pool: &PgPool, conversation: ConversationId) -> Result<Vec<Handoff>> {
    let rows = sqlx::query(&format!(
        "SELECT {HANDOFF_COLUMNS} FROM handoffs WHERE conversation_id = $1 ORDER BY id"
    ))
    .bind(conversation.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    if rows.is_empty() {
        require_conversation(pool, conversation).await?;
    }
    rows.iter().map(handoff).collect()
}

pub(crate) async fn handoff_by_id(pool: &PgPool, id: HandoffId) -> Result<Option<Handoff>> {
    let row = sqlx::query(&format!(
        "SELECT {HANDOFF_COLUMNS} FROM handoffs WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    row.as_ref().map(handoff).transpose()
}
