//! Mapping SQLite failures onto [`StoreError`], so that callers see `Conflict` for constraint clashes
//! and `Backend` only for real database trouble.

use frontline_store::StoreError;

/// Something stored cannot be read back into a domain value (a bug or a hand-edited database).
#[derive(Debug, thiserror::Error)]
#[error("unreadable row: {0}")]
pub(crate) struct Corrupt(String);

pub(crate) fn corrupt(why: impl Into<String>) -> StoreError {
    StoreError::backend(Corrupt(why.into()))
}

/// Unique violations become `Conflict` (duplicate login, an external message id used twice); anything
/// else is a backend failure.
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e
        && d.is_unique_violation()
    {
        return StoreError::Conflict(d.message().to_owned());
    }
    StoreError::backend(e)
}
