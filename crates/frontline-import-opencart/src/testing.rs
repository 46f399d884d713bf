//! Test support: a fresh MariaDB/MySQL database holding an OpenCart shop, dropped again when the
//! handle goes (also when a test fails), so tests can run in parallel against one server.
//!
//! [`FIXTURE`] is the shop the project's tests import: OpenCart 3 / ocStore tables as OpenCart
//! defines them, with Russian pages, categories and a dozen products stored the way OpenCart
//! stores them (escaped HTML).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::{Connection, MySqlConnection};

/// Environment variable with the URL of a database on the test server whose user may create and
/// drop databases.
pub const ADMIN_URL_ENV: &str = "FRONTLINE_TEST_MARIADB_URL";
/// Used when [`ADMIN_URL_ENV`] is not set: what `scripts/ensure-mariadb` starts.
pub const DEFAULT_ADMIN_URL: &str = "mysql://root@127.0.0.1:3306/test";

/// The «ТехноДом» shop (`fixtures/ocstore.sql`), table prefix `oc_`.
pub const FIXTURE: &str = include_str!("../fixtures/ocstore.sql");

/// The admin URL from [`ADMIN_URL_ENV`], or [`DEFAULT_ADMIN_URL`].
pub fn admin_url() -> String {
    std::env::var(ADMIN_URL_ENV).unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

/// A database made for one test; dropped with the handle.
#[derive(Debug)]
pub struct ShopDatabase {
    /// `mysql://…/oc_test_…`
    pub url: String,
    /// The database's name, e.g. for `mariadb-dump`.
    pub name: String,
    admin: String,
}

/// Create a uniquely named database from `admin_url`'s server and run `sql` in it (the fixture, or
/// any dump). Panics, so that the test fails rather than skips, when the server cannot be reached.
pub async fn fresh_shop(admin_url: &str, sql: &str) -> ShopDatabase {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut admin = MySqlConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot connect to MariaDB for tests: {e}\nstart it with scripts/ensure-mariadb or \
                 point {ADMIN_URL_ENV} at a server where this user may create databases"
            )
        });
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let name = format!(
        "oc_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    sqlx::raw_sql(&format!(
        "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    ))
    .execute(&mut admin)
    .await
    .expect("create the test database");
    let _ = admin.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _)| base);
    let url = format!("{base}/{name}");
    let mut conn = MySqlConnection::connect(&url)
        .await
        .expect("connect to the test database");
    sqlx::raw_sql(sql)
        .execute(&mut conn)
        .await
        .expect("load the shop into the test database");
    let _ = conn.close().await;
    ShopDatabase {
        url,
        name,
        admin: admin_url.to_owned(),
    }
}

impl Drop for ShopDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread of its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = MySqlConnection::connect(&admin).await.ok()?;
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS `{name}`"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        });
        let _ = dropped.join();
    }
}
