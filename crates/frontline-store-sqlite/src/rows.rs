//! SQLite rows as [`Columns`], so that the shared decoders of `frontline_store::rows` read them.
//!
//! SQLite's columns are loosely typed: integers, reals and text come back as stored, booleans are
//! integers, and JSON (attachments, slots, tags) is kept as TEXT.

use frontline_store::Result;
use frontline_store::rows::Columns;
use frontline_store::stored::strings_from_json;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::SqliteStore;
use crate::error::db;

fn get<'r, T>(row: &'r SqliteRow, col: &str) -> Result<Option<T>>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(col).map_err(db)
}

impl Columns<SqliteStore> for SqliteRow {
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        get(self, col)
    }
    fn opt_real(&self, col: &str) -> Result<Option<f64>> {
        get(self, col)
    }
    fn opt_flag(&self, col: &str) -> Result<Option<bool>> {
        get(self, col)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        get(self, col)
    }
    fn opt_blob(&self, col: &str) -> Result<Option<Vec<u8>>> {
        get(self, col)
    }
    fn opt_json(&self, col: &str) -> Result<Option<String>> {
        get(self, col)
    }
    fn strings(&self, col: &str) -> Result<Vec<String>> {
        strings_from_json(&self.text(col)?)
    }
}
