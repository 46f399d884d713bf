//! The PostgreSQL backend of frontline's [`Store`], for production deployments.
//!
//! [`PgStore::connect`] opens a connection pool and applies the embedded migrations
//! (`migrations/*.sql`). Each module implements one sub-trait of the contract, named like the
//! contract's own files; the rules themselves (what a takeover does, what a preview looks like, how
//! rows decode, how text is stemmed) come from `frontline-domain`, `frontline-store` and
//! `frontline-text`, so this crate only translates them to SQL.
//!
//! Two PostgreSQL-specific mechanisms carry the contract's hardest promises:
//! - event order: every write transaction from [`PgStore::begin`] takes a transaction-level advisory
//!   lock first, so the event log's seq order is commit order (see the `events` module for why and
//!   how). The same lock is what makes "lock the conversation row, apply the domain's rules in Rust,
//!   write the row back" safe;
//! - search: a stored generated `tsvector` with a GIN index over the terms that `frontline-text`
//!   computes in Rust (see the `search` module).

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

use std::time::Duration;

use async_trait::async_trait;
use frontline_store::{Result, Store, StoreError};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::error::db;

/// Connections per store. Event writers run one at a time anyway (the event log lock); the rest of the
/// pool serves reads, job claims and the API's concurrent requests.
const POOL_SIZE: u32 = 10;

pub(crate) use write::Tx;

/// frontline's storage on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connect to a `postgres://` or `postgresql://` URL and bring the schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::backend(error::NotPostgresUrl));
        }
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .map_err(db)?;
        // sqlx serialises concurrent migrators with its own advisory lock, so several processes can
        // start against the same database at once.
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(StoreError::backend)?;
        Ok(PgStore { pool })
    }

    /// The underlying pool, for maintenance such as `ANALYZE` after a bulk import.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Begin a write transaction: one that appends events, or must not interleave with those that do.
    /// It holds the event log lock until it commits or rolls back (see the `events` module).
    pub(crate) async fn begin(&self) -> Result<Tx> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
            .bind(events::EVENT_LOG_LOCK.0)
            .bind(events::EVENT_LOG_LOCK.1)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        Ok(Tx::new(tx))
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }
}

/// A `usize` limit or offset as a SQL `BIGINT` (beyond `i64::MAX` means "all").
pub(crate) fn sql_int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
