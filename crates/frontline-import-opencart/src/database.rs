//! Reading the OpenCart tables from the shop's own MySQL/MariaDB database.
//!
//! The connection is the admin's input, so it is held to what an import needs: only `mysql://` and
//! `mariadb://` URLs; one connection, opened when the import is asked for and closed after; a
//! read-only transaction (we never write to a shop, and one snapshot gives consistent tables);
//! a time limit for the whole read and for each statement; and a cap on the rows of every table.
//! The URL's password never leaves [`DatabaseUrl`]: its `Display` shows `***`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlRow};
use sqlx::{ConnectOptions, Connection, Row as _};

use crate::{OpencartError, Row, Settings, Shop, Table, TableKind, Tables, Value};

/// A checked MySQL/MariaDB connection URL.
#[derive(Clone)]
pub struct DatabaseUrl {
    options: MySqlConnectOptions,
    redacted: String,
}

impl DatabaseUrl {
    /// `mysql://user:password@host[:port]/database` (`mariadb://` is the same); anything else is
    /// refused.
    pub fn parse(url: &str) -> Result<Self, OpencartError> {
        let rest = url
            .strip_prefix("mysql://")
            .or_else(|| url.strip_prefix("mariadb://"))
            .ok_or_else(|| {
                OpencartError::Invalid(
                    "the database URL must start with mysql:// or mariadb://".into(),
                )
            })?;
        let options = MySqlConnectOptions::from_str(&format!("mysql://{rest}"))
            .map_err(|_| OpencartError::Invalid("the database URL cannot be read".into()))?
            .charset("utf8mb4")
            // Statements go to the log at debug level only; they hold no secrets, but a shop's
            // queries are no business of ours either.
            .disable_statement_logging();
        let database = options.get_database().ok_or_else(|| {
            OpencartError::Invalid("the database URL names no database (…/shop_db)".into())
        })?;
        let redacted = format!(
            "mysql://{}{}@{}:{}/{}",
            options.get_username(),
            if url_has_password(rest) { ":***" } else { "" },
            options.get_host(),
            options.get_port(),
            database
        );
        Ok(DatabaseUrl { options, redacted })
    }
}

fn url_has_password(rest: &str) -> bool {
    rest.rsplit_once('@')
        .is_some_and(|(credentials, _)| credentials.contains(':'))
}

/// Shows the URL with its password as `***`.
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted)
    }
}

/// Bounds of one database read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connecting, reading every table and closing, together.
    pub total: Duration,
    /// One statement, enforced by the server where it can (`max_statement_time` on MariaDB,
    /// `max_execution_time` on MySQL).
    pub statement: Duration,
    /// Rows of any one table.
    pub max_rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            total: Duration::from_secs(60),
            statement: Duration::from_secs(30),
            max_rows: 100_000,
        }
    }
}

/// Connect, read the wanted tables in one read-only transaction, and assemble the shop.
///
/// The read runs on a thread of its own with its own small runtime: an import is rare, it keeps a
/// slow shop off the server's workers, and it spares callers sqlx's MySQL futures, whose `Send`
/// bounds the compiler cannot prove through a handler's future.
pub async fn read_database(
    url: &DatabaseUrl,
    settings: &Settings,
    limits: Limits,
) -> Result<Shop, OpencartError> {
    let (url, settings2) = (url.clone(), settings.clone());
    let tables = tokio::task::spawn_blocking(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| OpencartError::Database(format!("cannot start the reader: {e}")))?;
        rt.block_on(async {
            tokio::time::timeout(limits.total, read_tables(&url, &settings2, limits))
                .await
                .map_err(|_| OpencartError::Timeout(limits.total.as_secs()))?
        })
    })
    .await
    .map_err(|e| OpencartError::Database(format!("the reader failed: {e}")))??;
    Shop::assemble(&tables, settings)
}

async fn read_tables(
    url: &DatabaseUrl,
    settings: &Settings,
    limits: Limits,
) -> Result<Tables, OpencartError> {
    let mut conn = url
        .options
        .connect()
        .await
        .map_err(|e| database_error(&e, url))?;
    let result = read_in(&mut conn, url, settings, limits).await;
    let _ = conn.close().await;
    result
}

async fn read_in(
    conn: &mut MySqlConnection,
    url: &DatabaseUrl,
    settings: &Settings,
    limits: Limits,
) -> Result<Tables, OpencartError> {
    let secs = limits.statement.as_secs().max(1);
    // MariaDB knows the first, MySQL the second; each refuses the other's, which is fine.
    let _ = sqlx::raw_sql(&format!("SET SESSION max_statement_time = {secs}"))
        .execute(&mut *conn)
        .await;
    let _ = sqlx::raw_sql(&format!("SET SESSION max_execution_time = {}", secs * 1000))
        .execute(&mut *conn)
        .await;
    sqlx::raw_sql("START TRANSACTION READ ONLY")
        .execute(&mut *conn)
        .await
        .map_err(|e| database_error(&e, url))?;
    let mut tables = Tables::default();
    for kind in TableKind::ALL {
        let name = settings.prefix.table(kind);
        let columns = kind.columns();
        let select: Vec<String> = columns
            .iter()
            .map(|c| format!("CAST(`{c}` AS CHAR)"))
            .collect();
        let by_language = columns.contains(&"language_id");
        // The prefix is checked to be `[A-Za-z0-9_]*`, the rest is ours: nothing of the admin's
        // input but the language id, which is bound, reaches the SQL.
        let sql = format!(
            "SELECT {} FROM `{name}`{} LIMIT {}",
            select.join(", "),
            if by_language {
                " WHERE `language_id` = ?"
            } else {
                ""
            },
            limits.max_rows + 1
        );
        let mut query = sqlx::query(&sql);
        if by_language {
            query = query.bind(settings.language_id);
        }
        let rows: Vec<MySqlRow> = query.fetch_all(&mut *conn).await.map_err(|e| {
            match e.as_database_error().and_then(|d| d.code()) {
                Some(code) if code == "42S02" => OpencartError::MissingTable(name.clone()),
                _ => database_error(&e, url),
            }
        })?;
        if rows.len() > limits.max_rows {
            return Err(OpencartError::TooLarge {
                table: name,
                limit: limits.max_rows,
            });
        }
        let rows = rows
            .iter()
            .map(|row| {
                let values = (0..columns.len())
                    .map(|i| {
                        row.try_get::<Option<String>, _>(i)
                            .map(|v| v.map_or(Value::Null, Value::Text))
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Row { values, line: None })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(|e| database_error(&e, url))?;
        tables.0.insert(
            kind,
            Table {
                columns: columns.iter().map(|c| c.to_string()).collect(),
                rows,
            },
        );
    }
    let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
    Ok(tables)
}

/// What went wrong, in words that name the server but never its password.
fn database_error(e: &sqlx::Error, url: &DatabaseUrl) -> OpencartError {
    let why = match e {
        sqlx::Error::Database(d) => d.message().to_owned(),
        sqlx::Error::Io(io) => format!("cannot connect: {io}"),
        sqlx::Error::Tls(_) => "the TLS handshake failed".to_owned(),
        sqlx::Error::PoolTimedOut => "timed out".to_owned(),
        other => other.to_string(),
    };
    OpencartError::Database(format!("{url}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mysql_urls_and_never_the_password() {
        let url = DatabaseUrl::parse("mysql://shop:s3cr%40t@db.example:3307/ocstore").unwrap();
        assert_eq!(url.to_string(), "mysql://shop:***@db.example:3307/ocstore");
        assert!(!format!("{url:?}").contains("s3cr"));
        let url = DatabaseUrl::parse("mariadb://root@127.0.0.1/test").unwrap();
        assert_eq!(url.to_string(), "mysql://root@127.0.0.1:3306/test");
        for bad in [
            "postgres://u:p@h/db",
            "sqlite:///etc/passwd",
            "http://h/db",
            "mysql://root@127.0.0.1",
            "",
        ] {
            let err = DatabaseUrl::parse(bad).unwrap_err();
            assert!(matches!(err, OpencartError::Invalid(_)), "{bad}: {err}");
        }
    }
}
