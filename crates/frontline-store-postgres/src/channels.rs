//! What channel adapters keep besides conversations: raw webhook deliveries in a leased queue, the
//! channel's ids of what we sent, lookups by the channel's ids, and stored files.
//!
//! Delivery claims use `FOR UPDATE SKIP LOCKED` like job claims, and like them append no events and
//! take no event log lock. Recording a send appends no event either, but it does take the lock: the
//! account's external ids are one namespace that ingestion, import and external replies check under
//! that lock before inserting, so a send recorded concurrently cannot slip between their check and
//! their insert (the echo of our own message would then be stored as a new one).

use std::time::Duration;

use frontline_domain::{
    AccountId, ChannelDelivery, ConversationView, Media, MediaId, Message, MessageId, NewMedia,
    Timestamp,
};
use frontline_store::{Result, StoreError};
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, PgPool};

use crate::error::{db_err, map_err};
use crate::events::{begin_writer, limit_i64};
use crate::rows::{MESSAGE_COLUMNS, get, message, ts, view, view_select};

const DELIVERY_COLUMNS: &str = "id, account_id, body, received_at, attempts, last_error";

const MEDIA_COLUMNS: &str = "id, account_id, mime, name, size, bytes, created_at";

fn delivery(row: &PgRow) -> Result<ChannelDelivery> {
    Ok(ChannelDelivery {
        id: get(row, "id")?,
        account_id: AccountId(get(row, "account_id")?),
        body: get(row, "body")?,
        received_at: ts(row, "received_at")?,
        attempts: get(row, "attempts")?,
        last_error: get(row, "last_error")?,
    })
}

fn media_row(row: &PgRow) -> Result<Media> {
    Ok(Media {
        id: MediaId(get(row, "id")?),
        account_id: get::<Option<i64>>(row, "account_id")?.map(AccountId),
        mime: get(row, "mime")?,
        name: get(row, "name")?,
        size: get(row, "size")?,
        bytes: get(row, "bytes")?,
        created_at: ts(row, "created_at")?,
    })
}

// ---- webhook deliveries -------------------------------------------------------------------------

pub(crate) async fn save_channel_delivery(
    pool: &PgPool,
    account: AccountId,
    body: &str,
) -> Result<ChannelDelivery> {
    let now = Timestamp::now();
    // INSERT … SELECT: an unknown account inserts nothing, which is the NotFound below.
    let row = sqlx::query(&format!(
        "INSERT INTO channel_deliveries (account_id, body, received_at, run_at, attempts) \
         SELECT id, $2, $3, $3, 0 FROM accounts WHERE id = $1 RETURNING {DELIVERY_COLUMNS}"
    ))
    .bind(account.0)
    .bind(body)
    .bind(now.0)
    .fetch_optional(pool)
    .await
    .map_err(map_err("account"))?;
    delivery(&row.ok_or(StoreError::NotFound("account"))?)
}

pub(crate) async fn claim_channel_deliveries(
    pool: &PgPool,
    now: Timestamp,
    lease: Duration,
    limit: usize,
) -> Result<Vec<ChannelDelivery>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(&format!(
        "UPDATE channel_deliveries SET attempts = attempts + 1, leased_until = $2 \
         WHERE id IN ( \
             SELECT id FROM channel_deliveries \
             WHERE run_at <= $1 AND (leased_until IS NULL OR leased_until <= $1) \
             ORDER BY id LIMIT $3 \
             FOR UPDATE SKIP LOCKED) \
         RETURNING {DELIVERY_COLUMNS}"
    ))
    .bind(now.0)
    .bind(now.plus(lease).0)
    .bind(limit_i64(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let mut claimed = rows.iter().map(delivery).collect::<Result<Vec<_>>>()?;
    // RETURNING has no order of its own.
    claimed.sort_by_key(|d| d.id);
    Ok(claimed)
}

pub(crate) async fn next_channel_delivery_at(pool: &PgPool) -> Result<Option<Timestamp>> {
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(GREATEST(run_at, COALESCE(leased_until, run_at))) FROM channel_deliveries",
    )
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    Ok(at.map(Timestamp))
}

pub(crate) async fn finish_channel_delivery(pool: &PgPool, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM channel_deliveries WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn retry_channel_delivery(
    pool: &PgPool,
    id: i64,
    run_at: Timestamp,
    error: &str,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE channel_deliveries SET run_at = $2, leased_until = NULL, last_error = $3 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(run_at.0)
    .bind(error)
    .execute(pool)
    .await
    .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("channel delivery"));
    }
    Ok(())
}

pub(crate) async fn count_channel_deliveries(pool: &PgPool) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM channel_deliveries")
        .fetch_one(pool)
        .await
        .map_err(db_err)
}

// ---- the channel's ids --------------------------------------------------------------------------

/// The account's message with `external_id` as its own id or, failing that, as a recorded send. One
/// statement, so that it serves both the pool and a transaction.
pub(crate) async fn message_by_external_id<'e>(
    executor: impl PgExecutor<'e>,
    account: AccountId,
    external_id: &str,
) -> Result<Option<Message>> {
    let row = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = COALESCE( \
             (SELECT id FROM messages WHERE account_id = $1 AND external_id = $2), \
             (SELECT message_id FROM external_sends WHERE account_id = $1 AND external_id = $2))"
    ))
    .bind(account.0)
    .bind(external_id)
    .fetch_optional(executor)
    .await
    .map_err(db_err)?;
    row.as_ref().map(message).transpose()
}

pub(crate) async fn record_external_send(
    pool: &PgPool,
    id: MessageId,
    part: i32,
    external_id: &str,
) -> Result<()> {
    // Under the event log lock although it appends nothing: see the module docs.
    let mut tx = begin_writer(pool).await?;
    let account: i64 = sqlx::query_scalar("SELECT account_id FROM messages WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound("message"))?;
    // The id may not be another message's own id either: the account's keys are one namespace.
    let owner: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM messages WHERE account_id = $1 AND external_id = $2 AND id <> $3",
    )
    .bind(account)
    .bind(external_id)
    .bind(id.0)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_err)?;
    if let Some(owner) = owner {
        return Err(StoreError::Conflict(format!(
            "external id `{external_id}` is the id of message {owner}"
        )));
    }
    // Either unique key may clash: the id recorded for another message or part, or this part
    // recorded with another id. Only the very same row again is a repeat.
    let inserted = sqlx::query(
        "INSERT INTO external_sends (message_id, account_id, part, external_id) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(id.0)
    .bind(account)
    .bind(part)
    .bind(external_id)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?
    .rows_affected();
    if inserted == 0 {
        let same: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM external_sends \
                 WHERE message_id = $1 AND part = $2 AND external_id = $3)",
        )
        .bind(id.0)
        .bind(part)
        .bind(external_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        if !same {
            return Err(StoreError::Conflict(format!(
                "external id `{external_id}` or part {part} of message {id} is recorded \
                 for another send"
            )));
        }
    }
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn external_sends(pool: &PgPool, id: MessageId) -> Result<Vec<(i32, String)>> {
    let sends: Vec<(i32, String)> = sqlx::query_as(
        "SELECT part, external_id FROM external_sends WHERE message_id = $1 ORDER BY part",
    )
    .bind(id.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    if sends.is_empty() {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM messages WHERE id = $1)")
                .bind(id.0)
                .fetch_one(pool)
                .await
                .map_err(db_err)?;
        if !exists {
            return Err(StoreError::NotFound("message"));
        }
    }
    Ok(sends)
}

pub(crate) async fn conversation_by_external_chat(
    pool: &PgPool,
    account: AccountId,
    external_chat_id: &str,
) -> Result<Option<ConversationView>> {
    let row = sqlx::query(&format!(
        "{} WHERE c.account_id = $1 AND c.external_chat_id = $2",
        view_select()
    ))
    .bind(account.0)
    .bind(external_chat_id)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    row.as_ref().map(view).transpose()
}

// ---- media --------------------------------------------------------------------------------------

pub(crate) async fn save_media(pool: &PgPool, new: NewMedia) -> Result<Media> {
    let now = Timestamp::now();
    let size = i64::try_from(new.bytes.len()).unwrap_or(i64::MAX);
    // Only the id comes back: the bytes are already here, and may be megabytes.
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO media (account_id, mime, name, size, bytes, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(new.account_id.map(|a| a.0))
    .bind(&new.mime)
    .bind(&new.name)
    .bind(size)
    .bind(&new.bytes)
    .bind(now.0)
    .fetch_one(pool)
    .await
    .map_err(map_err("account"))?;
    Ok(Media {
        id: MediaId(id),
        account_id: new.account_id,
        mime: new.mime,
        name: new.name,
        size,
        bytes: new.bytes,
        created_at: now,
    })
}

pub(crate) async fn media(pool: &PgPool, id: MediaId) -> Result<Option<Media>> {
    let row = sqlx::query(&format!("SELECT {MEDIA_COLUMNS} FROM media WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    row.as_ref().map(media_row).transpose()
}
