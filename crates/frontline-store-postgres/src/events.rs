//! The durable event log: appending under the ordering lock, tailing, bounds and pruning.
//!
//! Ordering invariant: an event's `seq` is greater than the seq of every event committed before it.
//! A PostgreSQL sequence alone does not give that: two transactions can draw seq 7 and 8, and the one
//! holding 8 can commit first; a reader tailing "seq > 6" then sees 8, moves its position past 7, and
//! never sees 7 when it commits a moment later. So every transaction that appends events first takes
//! the transaction-level advisory lock [`EVENT_LOG_LOCK`] and only then draws seqs. The lock is held
//! until commit (PostgreSQL releases transaction locks after the commit is visible), so the writers
//! that append events run one at a time and seq order is commit order. A rolled-back transaction leaves
//! a gap in the seqs, which readers do not mind: seqs are increasing, not dense.
//!
//! [`PgStore::begin`] is how a transaction takes the lock: every one that appends events, and two that
//! append nothing but must not interleave with those that do: `delete_account` must not race the
//! creation of a conversation for the account it deletes, and `record_external_send` must not race
//! the writers that check an external id is new before inserting a message with it. The lock is also
//! what keeps the conversation writes simple: each reads its conversation (`FOR UPDATE`), applies the
//! domain's rules to the `Conversation` in Rust and writes every column back, and since every writer
//! of conversations holds the lock, none can interleave with another between the read and the write.
//!
//! The lock is taken at the START of such a transaction, before any row lock: a transaction that held
//! a row lock while waiting for the advisory lock could deadlock with the holder of the advisory lock
//! waiting for that row. Transactions that take row locks but append no events (job claims, retries)
//! never wait for the advisory lock, so they cannot close a cycle either.

use async_trait::async_trait;
use frontline_domain::{ConversationId, Event, EventKind, HandoffId, MessageId, Seq, Timestamp};
use frontline_store::rows::{self, EVENT_COLS, corrupt};
use frontline_store::{EventBounds, EventStore, Result};

use crate::error::db;
use crate::{PgStore, Tx, sql_int};

/// Keys of the advisory lock that serialises event writers ([`PgStore::begin`] takes it). The two-key
/// form of `pg_advisory_xact_lock(int, int)` lives in a different key space from the one-key `bigint`
/// form that sqlx's migrator uses, so the two can never collide. The first key spells "fron" in ASCII.
pub(crate) const EVENT_LOG_LOCK: (i32, i32) = (0x6672_6f6e, 1);

/// `meta` key of the highest pruned seq.
const PRUNED_THROUGH: &str = "events_pruned_through";

/// Append one event. Only valid inside a transaction from [`PgStore::begin`].
pub(crate) async fn append_event(
    tx: &mut Tx,
    kind: EventKind,
    conversation: ConversationId,
    message: Option<MessageId>,
    handoff: Option<HandoffId>,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO events (kind, conversation_id, message_id, handoff_id, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(kind.as_str())
    .bind(conversation.0)
    .bind(message.map(|m| m.0))
    .bind(handoff.map(|h| h.0))
    .bind(now.0)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

/// Append events for many conversations at once, in the order given (bulk import).
pub(crate) async fn append_events(
    tx: &mut Tx,
    events: &[(EventKind, ConversationId)],
    now: Timestamp,
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    let conversations: Vec<i64> = events.iter().map(|(_, c)| c.0).collect();
    // WITH ORDINALITY + ORDER BY makes the identity follow the order of the arrays.
    sqlx::query(
        "INSERT INTO events (kind, conversation_id, created_at) \
         SELECT e.kind, e.conversation_id, $3 \
         FROM UNNEST($1::text[], $2::bigint[]) WITH ORDINALITY AS e(kind, conversation_id, ord) \
         ORDER BY e.ord",
    )
    .bind(&kinds)
    .bind(&conversations)
    .bind(now.0)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

async fn pruned_through(conn: &mut sqlx::PgConnection) -> Result<i64> {
    let value: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
        .bind(PRUNED_THROUGH)
        .fetch_optional(conn)
        .await
        .map_err(db)?;
    match value {
        Some(v) => v
            .parse()
            .map_err(|e| corrupt(format!("{PRUNED_THROUGH} `{v}`: {e}"))),
        None => Ok(0),
    }
}

#[async_trait]
impl EventStore for PgStore {
    async fn events_after(&self, after: Seq, limit: usize) -> Result<Vec<Event>> {
        let rows = sqlx::query(&format!(
            "SELECT {EVENT_COLS} FROM events WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(after.0)
        .bind(sql_int(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(rows::event).collect()
    }

    async fn event_bounds(&self) -> Result<EventBounds> {
        let mut conn = self.pool.acquire().await.map_err(db)?;
        // Pruning always keeps the latest event, so the highest seq present is the highest ever
        // appended (unless everything was pruned by hand, which the recorded pruned_through covers).
        let latest: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events")
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
        let pruned = pruned_through(&mut conn).await?;
        Ok(EventBounds {
            latest: Seq(latest.max(pruned)),
            pruned_through: Seq(pruned),
        })
    }

    async fn prune_events(&self, older_than: Timestamp) -> Result<u64> {
        // Under the writer lock, so that "the latest event" cannot change while we decide what to keep.
        let mut tx = self.begin().await?;
        // Delete the oldest events up to (not including) the first one that is young enough or the
        // latest one. Deleting a prefix rather than every old row keeps `pruned_through` truthful
        // ("every seq ≤ this is gone") even if created_at were not monotonic in seq (clock steps
        // between writers).
        let (count, max_deleted): (i64, Option<i64>) = sqlx::query_as(
            "WITH bound AS ( \
                 SELECT LEAST( \
                     (SELECT MIN(seq) FROM events WHERE created_at >= $1), \
                     (SELECT MAX(seq) FROM events)) AS keep_from \
             ), gone AS ( \
                 DELETE FROM events WHERE seq < (SELECT keep_from FROM bound) RETURNING seq \
             ) \
             SELECT COUNT(*), MAX(seq) FROM gone",
        )
        .bind(older_than.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        if let Some(max_deleted) = max_deleted {
            let before = pruned_through(&mut tx).await?;
            sqlx::query(
                "INSERT INTO meta (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            )
            .bind(PRUNED_THROUGH)
            .bind(before.max(max_deleted).to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(u64::try_from(count).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::testing::{admin_url, fresh_database};

    /// A second writer waits for the first one's commit before it can draw a seq, so the later
    /// committer always holds the larger seq.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_wait_for_the_event_log_lock() {
        let store = Arc::new(
            PgStore::connect(&fresh_database(&admin_url()).await)
                .await
                .unwrap(),
        );
        let now = Timestamp::now();

        let mut first = store.begin().await.unwrap();
        append_event(
            &mut first,
            EventKind::ConversationUpdated,
            ConversationId(1),
            None,
            None,
            now,
        )
        .await
        .unwrap();

        let second = tokio::spawn({
            let store = store.clone();
            async move {
                let mut tx = store.begin().await.unwrap();
                append_event(
                    &mut tx,
                    EventKind::ConversationUpdated,
                    ConversationId(2),
                    None,
                    None,
                    now,
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }
        });

        // Wait until the second writer is observably blocked on the advisory lock.
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted \
                 AND classid = $1 AND objid = $2",
            )
            .bind(i64::from(EVENT_LOG_LOCK.0))
            .bind(i64::from(EVENT_LOG_LOCK.1))
            .fetch_one(store.pool())
            .await
            .unwrap();
            if waiting == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(!second.is_finished());
        assert!(store.events_after(Seq(0), 10).await.unwrap().is_empty());

        first.commit().await.unwrap();
        second.await.unwrap();
        let events = store.events_after(Seq(0), 10).await.unwrap();
        let order: Vec<i64> = events.iter().map(|e| e.conversation_id.0).collect();
        assert_eq!(order, vec![1, 2], "seq order is commit order");
    }
}
