//! Reading conversations, messages and handoffs on the read pool.

use frontline_domain::{ConversationId, ConversationView, Handoff, HandoffId, Message, MessageId};
use frontline_store::{
    AssigneeFilter, ConversationCursor, ConversationFilter, Page, Result, StoreError,
};
use sqlx::{QueryBuilder, Sqlite};

use crate::error::db;
use crate::rows::{self, HANDOFF_COLS, MESSAGE_COLS, VIEW_SELECT};
use crate::{SqliteStore, sql_int};

pub(crate) async fn conversation(
    s: &SqliteStore,
    id: ConversationId,
) -> Result<Option<ConversationView>> {
    let sql = format!("{VIEW_SELECT} WHERE c.id = ?");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&s.read)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::view).transpose()
}

pub(crate) async fn list_conversations(
    s: &SqliteStore,
    f: &ConversationFilter,
) -> Result<Page<ConversationView>> {
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
            q.push(" AND (c.assignee_id = ")
                .push_bind(op.0)
                .push(" OR c.assignee_id IS NULL)");
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
    let rows = q.build().fetch_all(&s.read).await.map_err(db)?;
    let items = rows.iter().map(rows::view).collect::<Result<Vec<_>>>()?;
    let next = if items.len() == f.limit {
        items.last().map(|v| ConversationCursor {
            activity: v
                .conversation
                .last_message
                .as_ref()
                .map_or(v.conversation.created_at, |m| m.at),
            id: v.conversation.id,
        })
    } else {
        None
    };
    Ok(Page { items, next })
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

pub(crate) async fn list_messages(
    s: &SqliteStore,
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
        .fetch_all(&s.read)
        .await
        .map_err(db)?;
    if rows.is_empty() {
        conversation_exists(s, conversation).await?;
    }
    let mut messages = rows.iter().map(rows::message).collect::<Result<Vec<_>>>()?;
    messages.reverse();
    Ok(messages)
}

pub(crate) async fn message(s: &SqliteStore, id: MessageId) -> Result<Option<Message>> {
    let sql = format!("SELECT {MESSAGE_COLS} FROM messages WHERE id = ?");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&s.read)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::message).transpose()
}

pub(crate) async fn handoffs(
    s: &SqliteStore,
    conversation: ConversationId,
) -> Result<Vec<Handoff>> {
    let sql = format!("SELECT {HANDOFF_COLS} FROM handoffs WHERE conversation_id = ? ORDER BY id");
    let rows = sqlx::query(&sql)
        .bind(conversation.0)
        .fetch_all(&s.read)
        .await
        .map_err(db)?;
    if rows.is_empty() {
        conversation_exists(s, conversation).await?;
    }
    rows.iter().map(rows::handoff).collect()
}

pub(crate) async fn handoff(s: &SqliteStore, id: HandoffId) -> Result<Option<Handoff>> {
    let sql = format!("SELECT {HANDOFF_COLS} FROM handoffs WHERE id = ?");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&s.read)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::handoff).transpose()
}
