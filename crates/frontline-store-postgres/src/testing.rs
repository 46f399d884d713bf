//! Test support: a fresh, empty database for every test, so tests can run in parallel against one
//! PostgreSQL server without seeing each other's rows.
//!
//! Databases are named `frontline_test_<unix seconds>_<pid>_<counter>_<random>` and are not dropped
//! at the end of a test (the conformance tests only hold a `Store`). Instead the first
//! [`fresh_database`] of a process drops, in a background thread, leftovers that are older than a few
//! minutes and that nobody is connected to, so a long run elsewhere is never disturbed.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::{Connection, PgConnection};

/// Environment variable with the URL of a database on the test server that may create and drop
/// databases.
pub const ADMIN_URL_ENV: &str = "FRONTLINE_TEST_POSTGRES_URL";
/// Used when [`ADMIN_URL_ENV`] is not set.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

const PREFIX: &str = "frontline_test_";
/// Leftovers younger than this may belong to a run that is just starting.
const STALE_AFTER: Duration = Duration::from_secs(5 * 60);

/// The admin URL from [`ADMIN_URL_ENV`], or [`DEFAULT_ADMIN_URL`].
pub fn admin_url() -> String {
    std::env::var(ADMIN_URL_ENV).unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// Create a uniquely named empty database and return its URL.
///
/// Panics, so that the test fails rather than skips, when the server cannot be reached or refuses.
pub async fn fresh_database(admin_url: &str) -> String {
    static CLEANED: AtomicBool = AtomicBool::new(false);
    static COUNTER: AtomicU64 = AtomicU64::new(0);

    let mut admin = PgConnection::connect(admin_url).await.unwrap_or_else(|e| {
        panic!(
            "cannot connect to PostgreSQL for tests at {}: {e}\n\
             start PostgreSQL or point {ADMIN_URL_ENV} at a server where this user may create \
             databases",
            redact(admin_url)
        )
    });
    if !CLEANED.swap(true, Ordering::SeqCst) {
        // In the background: DROP DATABASE can take seconds each on a busy server, and no test needs
        // to wait for it. If the process ends first, the next run carries on.
        let url = admin_url.to_owned();
        std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(drop_stale(&url));
            }
        });
    }
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let name = format!(
        "{PREFIX}{}_{}_{}_{:08x}",
        unix_seconds(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        random & 0xffff_ffff
    );
    // The name is ours (digits, letters and underscores), so quoting it is enough.
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let _ = admin.close().await;
    with_database(admin_url, &name)
}

async fn drop_stale(admin_url: &str) {
    let Ok(mut admin) = PgConnection::connect(admin_url).await else {
        return;
    };
    // Databases someone is connected to are left alone: DROP DATABASE would wait for them.
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT d.datname FROM pg_database d WHERE starts_with(d.datname, $1) \
         AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)",
    )
    .bind(PREFIX)
    .fetch_all(&mut admin)
    .await
    .unwrap_or_default();
    let now = unix_seconds();
    for name in names {
        let created = name[PREFIX.len()..]
            .split('_')
            .next()
            .and_then(|s| s.parse::<u64>().ok());
        let stale = created.is_some_and(|t| now.saturating_sub(t) > STALE_AFTER.as_secs());
        if stale && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            // Fails, harmlessly, if someone connected meanwhile.
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\""))
                .execute(&mut admin)
                .await;
        }
    }
    let _ = admin.close().await;
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// `url` with its database name replaced by `name` (query parameters kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

/// The URL without its user info, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}{}", &url[..s + 3], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgresql://u:p@h/db?sslmode=disable", "x"),
            "postgresql://u:p@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(redact("postgres://u:p@h/db"), "postgres://h/db");
    }
}

/// A lock held on a table by another connection, for fault-injection tests: writers that reach the
/// table wait (mid-transaction) until it is dropped or [`TableLock::release`]d.
#[derive(Debug)]
pub struct TableLock {
    conn: PgConnection,
}

impl TableLock {
    /// Take an `ACCESS EXCLUSIVE` lock on `table` of the database at `url`.
    pub async fn take(url: &str, table: &str) -> Self {
        let mut conn = PgConnection::connect(url).await.expect("connect");
        sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
        sqlx::query(&format!("LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
            .execute(&mut conn)
            .await
            .unwrap();
        Self { conn }
    }

    /// Whether some other session of this database waits for a lock in a statement that starts
    /// with `statement` (e.g. `INSERT INTO handoffs`).
    pub async fn blocks(&mut self, statement: &str) -> bool {
        // Statistics views are a snapshot per transaction, and this connection is inside one.
        sqlx::query("SELECT pg_stat_clear_snapshot()")
            .execute(&mut self.conn)
            .await
            .unwrap();
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
               AND wait_event_type = 'Lock' AND ltrim(query) ILIKE $1 || '%'",
        )
        .bind(statement)
        .fetch_one(&mut self.conn)
        .await
        .unwrap();
        n > 0
    }

    pub async fn release(mut self) {
        sqlx::query("ROLLBACK")
            .execute(&mut self.conn)
            .await
            .unwrap();
    }
}
