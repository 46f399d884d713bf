//! The embedded SQLite backend of frontline's [`Store`] contract.
//!
//! Concurrency design: every state-changing method runs on a pool of exactly ONE write connection, in a
//! transaction opened with `BEGIN IMMEDIATE`; reads go to a separate pool of several connections. With
//! WAL journaling readers never block the writer nor each other. The single writer is what gives the
//! event log its central invariant, *seq order = commit order*: a transaction appends events only while
//! it holds the only write connection, so no event with a smaller seq can commit after one with a larger
//! seq, and a reader tailing the log by seq never skips an event that commits late. It also means no
//! transaction ever upgrades from a read lock to a write lock, which is where SQLite's `SQLITE_BUSY`
//! deadlocks come from. `BEGIN IMMEDIATE` additionally serialises against other processes (an import
//! from the command line) through `busy_timeout`.
//!
//! Architecture invariant: this crate only translates the contract to SQL; the rules themselves (what a
//! takeover does, what a preview looks like, how text is stemmed) come from `frontline-domain` and
//! `frontline-text`.
//!
//! Layout: one module per sub-trait of the contract, named like the contract's own files (and the
//! PostgreSQL backend's); rows are read through `frontline_store::rows`'s shared decoders, which this
//! crate feeds by implementing `Columns` for SQLite rows (`rows`).

mod accounts;
mod bot_configs;
mod channels;
mod conversations;
mod decisions;
mod error;
mod events;
mod history;
mod jobs;
mod knowledge;
mod operators;
mod quick_replies;
mod rows;
mod search;
pub mod testing;
mod voice;
mod workflows;
mod write;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use frontline_store::{Result, Store, StoreError};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::error::db;

/// How long a statement waits for a lock held by another process before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Page cache per connection, in KiB (negative: a size rather than a page count).
const CACHE_SIZE: &str = "-65536";
/// Address space for memory-mapped reads, per connection.
const MMAP_SIZE: &str = "1073741824";
/// Readers run concurrently under WAL; a handful is plenty for a two-core server.
const READ_CONNECTIONS: u32 = 4;

pub(crate) use write::Tx;

/// frontline's storage in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Exactly one connection: all writes are serialised through it (see the crate docs).
    write: SqlitePool,
    /// Read-only connections (`query_only`), or the write pool itself for in-memory databases, which
    /// cannot be shared between connections the way a WAL file can.
    read: SqlitePool,
}

impl SqliteStore {
    /// Open (creating it and its parent directories when missing) and migrate the database at `url`:
    /// `sqlite://relative/path.db`, `sqlite:///absolute/path.db`, or `sqlite::memory:` for tests.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(db)?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // The default 2 MB page cache thrashes on search and bulk import at a million
            // messages; memory-mapped reads avoid copying pages the OS already caches.
            .pragma("cache_size", CACHE_SIZE)
            .pragma("mmap_size", MMAP_SIZE);
        let in_memory = is_memory_url(url);
        let write_options = if in_memory {
            options.clone()
        } else {
            if let Some(dir) = options.get_filename().parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(StoreError::backend)?;
            }
            options
                .clone()
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
        };
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // An in-memory database lives as long as one of its connections: never let it close.
            .idle_timeout(None)
            .max_lifetime(None)
            .after_release(|conn, _| Box::pin(leave_no_transaction_open(conn)))
            .connect_with(write_options)
            .await
            .map_err(db)?;
        sqlx::migrate!("./migrations")
            .run(&write)
            .await
            .map_err(StoreError::backend)?;
        let read = if in_memory {
            write.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(READ_CONNECTIONS)
                .connect_with(
                    options
                        .synchronous(SqliteSynchronous::Normal)
                        .pragma("query_only", "ON"),
                )
                .await
                .map_err(db)?
        };
        Ok(SqliteStore { write, read })
    }

    /// Close both pools, checkpointing the WAL.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    /// Start a write transaction on the single write connection.
    pub(crate) async fn begin(&self) -> Result<Tx> {
        let tx = self.write.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
        Ok(Tx::new(tx))
    }
}

/// A future dropped while it was beginning a transaction (an HTTP handler whose client went away)
/// can leave the connection inside `BEGIN` with no `Transaction` to roll it back; with one write
/// connection every later write would then fail. Roll such a transaction back as the connection
/// returns to the pool: nothing in it was committed, so nothing is lost.
async fn leave_no_transaction_open(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::{Connection as _, TransactionManager as _};
    while conn.is_in_transaction() {
        tracing::warn!("a write connection came back inside a transaction; rolling it back");
        sqlx::sqlite::SqliteTransactionManager::rollback(conn).await?;
    }
    Ok(true)
}

fn is_memory_url(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(db)?;
        Ok(())
    }
}

/// `usize` limits and offsets as SQLite integers (a limit beyond `i64::MAX` means "all").
pub(crate) fn sql_int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use frontline_store::prelude::*;

    use super::*;

    #[tokio::test]
    async fn creates_parent_directories_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/deeper/frontline.db");
        let url = format!("sqlite://{}", path.display());
        let store = SqliteStore::connect(&url).await.unwrap();
        store.ping().await.unwrap();
        assert_eq!(store.backend(), "sqlite");
        store.close().await;
        assert!(path.exists());
        // Migrations are recorded: connecting again applies nothing twice.
        let again = SqliteStore::connect(&url).await.unwrap();
        assert_eq!(again.count_operators().await.unwrap(), 0);
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&again.read)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn a_transaction_left_open_by_a_dropped_future_does_not_block_writes() {
        use sqlx::{Connection as _, TransactionManager as _};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("f.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        {
            // What a `begin` cancelled after its BEGIN ran leaves behind: a connection inside a
            // transaction and no `Transaction` to roll it back.
            let mut conn = store.write.acquire().await.unwrap();
            sqlx::sqlite::SqliteTransactionManager::begin(
                &mut conn,
                Some("BEGIN IMMEDIATE".into()),
            )
            .await
            .unwrap();
            assert!(conn.is_in_transaction());
        }
        let admin = store
            .create_operator(frontline_domain::NewOperator {
                login: frontline_domain::Login::parse("olga").unwrap(),
                display_name: "Ольга".into(),
                role: frontline_domain::Role::Operator,
                password_hash: "x".into(),
            })
            .await
            .expect("the next write gets a clean connection");
        assert_eq!(
            store.operator(admin.id).await.unwrap().unwrap().login,
            "olga"
        );
        // And the next transaction commits for real.
        let mut tx = store.begin().await.unwrap();
        sqlx::query("DELETE FROM operators")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.count_operators().await.unwrap(), 0);
    }

    #[tokio::test]
    async fn in_memory_store_works() {
        let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
        assert_eq!(store.count_operators().await.unwrap(), 0);
        assert!(store.list_accounts().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn read_connections_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("f.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        let res = sqlx::query("DELETE FROM operators")
            .execute(&store.read)
            .await;
        assert!(res.is_err());
    }
}
