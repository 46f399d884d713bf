//! Test support for fault injection: holding the database's write lock from another connection, as
//! a second process would, so that the server's writers wait at `BEGIN IMMEDIATE`.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};

/// The write lock of a database file, held until dropped or [`WriteLock::release`]d.
#[derive(Debug)]
pub struct WriteLock {
    conn: SqliteConnection,
}

impl WriteLock {
    /// Take the write lock of the database at `url` (`sqlite://…`).
    pub async fn take(url: &str) -> Self {
        let mut conn = SqliteConnectOptions::from_str(url)
            .expect("sqlite url")
            .busy_timeout(Duration::from_secs(10))
            .connect()
            .await
            .expect("connect");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut conn)
            .await
            .expect("take the write lock");
        Self { conn }
    }

    pub async fn release(mut self) {
        sqlx::query("ROLLBACK")
            .execute(&mut self.conn)
            .await
            .unwrap();
    }
}
