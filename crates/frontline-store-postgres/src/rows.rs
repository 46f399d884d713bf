//! PostgreSQL rows as [`Columns`], so that the shared decoders of `frontline_store::rows` read them.
//!
//! PostgreSQL is strict about types where SQLite is loose: a driver value decodes only into the Rust
//! type of the column's actual type. So each accessor looks at the column's type and decodes
//! accordingly: `INT2`/`INT4`/`INT8` are all integers (`turn`, `attempts` and versions are INTEGER,
//! ids and times BIGINT), `FLOAT4` (a decision's confidence) widens exactly to `f64`, and JSON/JSONB
//! columns (attachments, slots, headers) are handed over as their JSON text. Tags and cited articles
//! are `TEXT[]`.

use frontline_store::rows::{Columns, corrupt};
use frontline_store::{Result, StoreError};
use sqlx::postgres::PgRow;
use sqlx::types::JsonValue;
use sqlx::{Column, Postgres, Row, TypeInfo};

use crate::PgStore;

/// The name of `col`'s type as PostgreSQL reports it (`INT4`, `JSONB`, `TEXT[]`, …).
fn type_name<'r>(row: &'r PgRow, col: &str) -> Result<&'r str> {
    let column = row.try_column(col).map_err(StoreError::backend)?;
    Ok(column.type_info().name())
}

/// `col` decoded as `T`; a type that does not fit the column is an error, never a silent default.
fn get<'r, T>(row: &'r PgRow, col: &str) -> Result<Option<T>>
where
    T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
{
    row.try_get(col).map_err(StoreError::backend)
}

impl Columns<PgStore> for PgRow {
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        Ok(match type_name(self, col)? {
            "INT2" => get::<i16>(self, col)?.map(i64::from),
            "INT4" => get::<i32>(self, col)?.map(i64::from),
            _ => get::<i64>(self, col)?,
        })
    }

    fn opt_real(&self, col: &str) -> Result<Option<f64>> {
        Ok(match type_name(self, col)? {
            "FLOAT4" => get::<f32>(self, col)?.map(f64::from),
            _ => get::<f64>(self, col)?,
        })
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
        match type_name(self, col)? {
            // The driver hands JSON over parsed; the shared decoders want its text.
            "JSON" | "JSONB" => Ok(get::<JsonValue>(self, col)?.map(|v| v.to_string())),
            _ => get(self, col),
        }
    }

    fn strings(&self, col: &str) -> Result<Vec<String>> {
        get::<Vec<String>>(self, col)?.ok_or_else(|| corrupt(format!("{col} is NULL")))
    }
}
