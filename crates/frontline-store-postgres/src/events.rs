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
//! `delete_account` takes the lock too although it appends nothing: it must not race the creation of
//! a conversation for the account it deletes. So does `record_external_send`: it must not race the
//! writers that check an external id is new before inserting a message with it.
//!
//! The lock is taken at the START of such a transaction, before any row lock: a transaction that held
//! a row lock while waiting for the advisory lock could deadlock with the holder of the advisory lock
//! waiting for that row. Transactions that take row locks but append no events (job claims, retries)
//! never wait for the advisory lock, so they cannot close a cycle either.

use frontline_domain::{ConversationId, Event, EventKind, HandoffId, MessageId, Seq, Timestamp};
use frontline_store::{EventBounds, Result};
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Postgres, Transaction};

use crate::error::{corrupt, db_err};
use crate::rows::{get, ts};

/// Keys of the advisory lock that serialises event writers. The two-key form of
/// `pg_advisory_xact_lock(int, int)` lives in a different key space from the one-key `bigint` form that
/// sqlx's migrator uses, so the two can never collide. The first key spells "fron" in ASCII.
const EVENT_LOG_LOCK: (i32, i32) = (0x6672_6f6e, 1);

/// `meta` key of the highest pruned seq.
const PRUNED_THROUGH: &str = "events_pruned_through";

pub(crate) type Tx = Transaction<'static, Postgres>;

/// Begin a transaction that will append events, holding the event log lock (see the module docs).
pub(crate) async fn begin_writer(pool: &PgPool) -> Result<Tx> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(EVENT_LOG_LOCK.0)
        .bind(EVENT_LOG_LOCK.1)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    Ok(tx)
}

/// Append one event. Only valid inside a transaction from [`begin_writer`].
pub(crate) async fn append(
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
    .map_err(db_err)?;
    Ok(())
}

/// Append events for many conversations at once, in the order given (bulk import).
pub(crate) async fn append_many(
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
    .map_err(db_err)?;
    Ok(())
}

fn event(row: &PgRow) -> Result<Event> {
    Ok(Event {
        seq: Seq(get(row, "seq")?),
        kind: EventKind::parse(&get::<String>(row, "kind")?).map_err(corrupt)?,
        conversation_id: ConversationId(get(row, "conversation_id")?),
        message_id: get::<Option<i64>>(row, "message_id")?.map(MessageId),
        handoff_id: get::<Option<i64>>(row, "handoff_id")?.map(HandoffId),
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) async fn events_after(pool: &PgPool, after: Seq, limit: usize) -> Result<Vec<Event>> {
    let rows = sqlx::query(
        "SELECT seq, kind, conversation_id, message_id, handoff_id, created_at \
         FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after.0)
    .bind(limit_i64(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter().map(event).collect()
}

async fn pruned_through(conn: &mut sqlx::PgConnection) -> Result<i64> {
    let value: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
        .bind(PRUNED_THROUGH)
        .fetch_optional(conn)
        .await
        .map_err(db_err)?;
    match value {
        Some(v) => v.parse().map_err(corrupt),
        None => Ok(0),
    }
}

pub(crate) async fn event_bounds(pool: &PgPool) -> Result<EventBounds> {
    let mut conn = pool.acquire().await.map_err(db_err)?;
    // Pruning always keeps the latest event, so the highest seq present is the highest ever appended
    // (unless everything was pruned by hand, which the recorded pruned_through covers).
    let latest: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events")
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    let pruned = pruned_through(&mut conn).await?;
    Ok(EventBounds {
        latest: Seq(latest.max(pruned)),
        pruned_through: Seq(pruned),
    })
}

pub(crate) async fn prune_events(pool: &PgPool, older_than: Timestamp) -> Result<u64> {
    // Under the writer lock, so that "the latest event" cannot change while we decide what to keep.
    let mut tx = begin_writer(pool).await?;
    // Delete the oldest events up to (not including) the first one that is young enough or the
    // latest one. Deleting a prefix rather than every old row keeps `pruned_through` truthful ("every
    // seq ≤ this is gone") even if created_at were not monotonic in seq (clock steps between writers).
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
    .map_err(db_err)?;
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
        .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(u64::try_from(count).unwrap_or_default())
}

/// A `usize` limit as a SQL `LIMIT` value.
pub(crate) fn limit_i64(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PgStore;
    use crate::testing::{admin_url, fresh_database};

    /// A second writer waits for the first one's commit before it can draw a seq, so the later
    /// committer always holds the larger seq.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_wait_for_the_event_log_lock() {
        let store = PgStore::connect(&fresh_database(&admin_url()).await)
            .await
            .unwrap();
        let pool = store.pool().clone();
        let now = Timestamp::now();

        let mut first = begin_writer(&pool).await.unwrap();
        append(
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
            let pool = pool.clone();
            async move {
                let mut tx = begin_writer(&pool).await.unwrap();
                append(
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
            .fetch_one(&pool)
            .await
            .unwrap();
            if waiting == 1 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(!second.is_finished());
        assert!(events_after(&pool, Seq(0), 10).await.unwrap().is_empty());

        first.commit().await.unwrap();
        second.await.unwrap();
        let events = events_after(&pool, Seq(0), 10).await.unwrap();
        let order: Vec<i64> = events.iter().map(|e| e.conversation_id.0).collect();
        assert_eq!(order, vec![1, 2], "seq order is commit order");
    }
}
