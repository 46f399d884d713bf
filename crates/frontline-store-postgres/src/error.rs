//! Translation of sqlx errors into the contract's [`StoreError`].
//!
//! PostgreSQL reports constraint violations by SQLSTATE; the contract wants them as `Conflict` (unique
//! keys) or `NotFound` (a referenced row is missing), so callers can answer 409/404 instead of 500.
//! Rows that cannot be read back are `frontline_store::rows::corrupt`.

use frontline_store::StoreError;

/// SQLSTATE of a unique constraint violation.
const UNIQUE_VIOLATION: &str = "23505";
/// SQLSTATE of a foreign key violation.
const FOREIGN_KEY_VIOLATION: &str = "23503";

/// Unique violations become `Conflict` (duplicate login, an external message id used twice); anything
/// else is a backend failure.
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some(UNIQUE_VIOLATION) => {
            StoreError::Conflict(d.message().to_owned())
        }
        e => StoreError::backend(e),
    }
}

/// Like [`db`], for a statement whose foreign key points at `what` (e.g. `"operator"`): a foreign key
/// violation means that row is missing.
pub(crate) fn db_referencing(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some(FOREIGN_KEY_VIOLATION) => {
            StoreError::NotFound(what)
        }
        _ => db(e),
    }
}

/// `connect` was given something that is not a PostgreSQL URL.
#[derive(Debug, thiserror::Error)]
#[error("not a PostgreSQL URL (expected postgres:// or postgresql://)")]
pub(crate) struct NotPostgresUrl;
