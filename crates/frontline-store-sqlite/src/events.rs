//! The durable event log: appending inside the caller's transaction, tailing by seq, pruning.
//!
//! Invariant: events are only appended through [`append_event`] inside a transaction on the single
//! write connection, so seqs (AUTOINCREMENT, never reused) are assigned in commit order. Readers that
//! resume "after seq N" therefore never miss an event that was still uncommitted when they last
//! looked.

use crate::error::db;
use crate::{SqliteStore, Tx, sql_int};
use async_trait::async_trait;
use frontline_domain::{ConversationId, Event, EventKind, HandoffId, MessageId, Seq, Timestamp};
use frontline_store::rows::{self, EVENT_COLS};
use frontline_store::{EventBounds, EventStore, Result};

const PRUNED_THROUGH: &str = "events_pruned_through";

/// Append one event in `tx`.
pub(crate) async fn append_event(
    tx: &mut Tx,
    kind: EventKind,
    conversation: ConversationId,
    message: Option<MessageId>,
    handoff: Option<HandoffId>,
    now: Timestamp,
) -> Result<Seq> {
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO events (kind, conversation_id, message_id, handoff_id, created_at) \
         VALUES (?, ?, ?, ?, ?) RETURNING seq",
    )
    .bind(kind.as_str())
    .bind(conversation.0)
    .bind(message.map(|m| m.0))
    .bind(handoff.map(|h| h.0))
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?;
    Ok(Seq(seq))
}

fn parse_seq(value: Option<String>) -> i64 {
    value.and_then(|v| v.parse().ok()).unwrap_or(0)
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn events_after(&self, after: Seq, limit: usize) -> Result<Vec<Event>> {
        let sql = format!("SELECT {EVENT_COLS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
        let rows = sqlx::query(&sql)
            .bind(after.0)
            .bind(sql_int(limit))
            .fetch_all(&self.read)
            .await
            .map_err(db)?;
        rows.iter().map(rows::event).collect()
    }

    async fn event_bounds(&self) -> Result<EventBounds> {
        // The latest event is never pruned, so MAX(seq) is the highest seq ever appended.
        let (latest, pruned): (i64, Option<String>) = sqlx::query_as(
            "SELECT (SELECT COALESCE(MAX(seq), 0) FROM events), \
                    (SELECT value FROM meta WHERE key = ?)",
        )
        .bind(PRUNED_THROUGH)
        .fetch_one(&self.read)
        .await
        .map_err(db)?;
        Ok(EventBounds {
            latest: Seq(latest),
            pruned_through: Seq(parse_seq(pruned)),
        })
    }

    async fn prune_events(&self, older_than: Timestamp) -> Result<u64> {
        let mut tx = self.begin().await?;
        // Delete a prefix of the log, never a hole in the middle: everything before the first event that is
        // young enough (and always before the latest one). A reader then only has to compare its position
        // with `pruned_through` to know whether it missed something.
        let bound: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(b) FROM ( \
                 SELECT MIN(seq) AS b FROM events WHERE created_at >= ?1 \
                 UNION ALL SELECT MAX(seq) FROM events)",
        )
        .bind(older_than.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let Some(bound) = bound else {
            return Ok(0);
        };
        let through: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM events WHERE seq < ?")
            .bind(bound)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let Some(through) = through else {
            return Ok(0);
        };
        let deleted = sqlx::query("DELETE FROM events WHERE seq <= ?")
            .bind(through)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = \
                 CAST(MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)",
        )
        .bind(PRUNED_THROUGH)
        .bind(through.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(deleted)
    }
}
