//! Mapping SQLite failures onto [`StoreError`], so that callers see `Conflict` for constraint clashes,
//! `NotFound` for a missing referenced row, and `Backend` only for real database trouble.

use frontline_store::StoreError;

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

/// Like [`db`], for a statement whose foreign key points at `what`: a violation means that row is
/// missing.
pub(crate) fn db_referencing(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound(what),
        _ => db(e),
    }
}
