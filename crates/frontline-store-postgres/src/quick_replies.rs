//! Quick-reply templates, shared or personal to an operator.

use frontline_domain::{OperatorId, QuickReply, QuickReplyId, Timestamp};
use frontline_store::{Result, StoreError};
use sqlx::PgPool;
use sqlx::postgres::PgRow;

use crate::error::{db_err, map_err};
use crate::rows::{get, ts};

const COLUMNS: &str = "id, title, text, owner_id, created_at";

fn quick_reply(row: &PgRow) -> Result<QuickReply> {
    Ok(QuickReply {
        id: QuickReplyId(get(row, "id")?),
        title: get(row, "title")?,
        text: get(row, "text")?,
        owner: get::<Option<i64>>(row, "owner_id")?.map(OperatorId),
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) async fn create(
    pool: &PgPool,
    title: &str,
    text: &str,
    owner: Option<OperatorId>,
) -> Result<QuickReply> {
    let row = sqlx::query(&format!(
        "INSERT INTO quick_replies (title, text, owner_id, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING {COLUMNS}"
    ))
    .bind(title)
    .bind(text)
    .bind(owner.map(|o| o.0))
    .bind(Timestamp::now().0)
    .fetch_one(pool)
    .await
    .map_err(map_err("operator"))?;
    quick_reply(&row)
}

pub(crate) async fn get_by_id(pool: &PgPool, id: QuickReplyId) -> Result<Option<QuickReply>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM quick_replies WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    row.as_ref().map(quick_reply).transpose()
}

pub(crate) async fn list(pool: &PgPool, operator: OperatorId) -> Result<Vec<QuickReply>> {
    // COLLATE "C" orders by code point, like SQLite's default BINARY collation, so both backends
    // list the same way whatever the database's locale.
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM quick_replies WHERE owner_id IS NULL OR owner_id = $1 \
         ORDER BY title COLLATE \"C\", id"
    ))
    .bind(operator.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter().map(quick_reply).collect()
}

pub(crate) async fn update(
    pool: &PgPool,
    id: QuickReplyId,
    title: &str,
    text: &str,
) -> Result<QuickReply> {
    let row = sqlx::query(&format!(
        "UPDATE quick_replies SET title = $2, text = $3 WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id.0)
    .bind(title)
    .bind(text)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    quick_reply(&row.ok_or(StoreError::NotFound("quick reply"))?)
}

pub(crate) async fn delete(pool: &PgPool, id: QuickReplyId) -> Result<()> {
    let done = sqlx::query("DELETE FROM quick_replies WHERE id = $1")
        .bind(id.0)
        .execute(pool)
        .await
        .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("quick reply"));
    }
    Ok(())
}
