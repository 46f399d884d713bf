//! Translation of sqlx errors into the contract's [`StoreError`].
//!
//! PostgreSQL reports constraint violations by SQLSTATE; the contract wants them as `Conflict` (unique
//! keys) or `NotFound` (a referenced row is missing), so callers can answer 409/404 instead of 500.

use frontline_store::StoreError;

/// SQLSTATE of a unique constraint violation.
const UNIQUE_VIOLATION: &str = "23505";
/// SQLSTATE of a foreign key violation.
const FOREIGN_KEY_VIOLATION: &str = "23503";

/// Map an error of a statement that references `referenced` (the entity a foreign key points at, e.g.
/// `"operator"`): unique violations become `Conflict`, foreign key violations `NotFound(referenced)`.
pub(crate) fn map_err(referenced: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some(UNIQUE_VIOLATION) => {
            StoreError::Conflict(db.message().to_owned())
        }
        sqlx::Error::Database(db) if db.code().as_deref() == Some(FOREIGN_KEY_VIOLATION) => {
            StoreError::NotFound(referenced)
        }
        _ => db_err(e),
    }
}

/// Any other database failure.
pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some(UNIQUE_VIOLATION) => {
            StoreError::Conflict(db.message().to_owned())
        }
        e => StoreError::backend(e),
    }
}

/// A value read from the database that does not parse into its domain type.
pub(crate) fn corrupt(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::backend(e)
}

/// `connect` was given something that is not a PostgreSQL URL.
#[derive(Debug, thiserror::Error)]
#[error("not a PostgreSQL URL (expected postgres:// or postgresql://)")]
pub(crate) struct NotPostgresUrl;
