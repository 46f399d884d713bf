//! What channel adapters keep besides conversations: raw webhook deliveries in a leased queue, the
//! channel's ids of what we sent, lookups by the channel's ids, stored files — and the answers a
//! person writes in the channel's own app, a change of a conversation written like the lifecycle's
//! (see the `conversations` module).
//!
//! Delivery claims use `FOR UPDATE SKIP LOCKED` like job claims, and like them append no events and
//! take no event log lock. Recording a send appends no event either, but it does take the lock: the
//! account's external ids are one namespace that ingestion, import and external replies check under
//! that lock before inserting, so a send recorded concurrently cannot slip between their check and
//! their insert (the echo of our own message would then be stored as a new one).

use std::time::Duration;

use async_trait::async_trait;
use frontline_domain::{
    AccountId, ChannelDelivery, ConversationView, ExternalReply, Media, MediaId, Message,
    MessageId, NewMedia, Timestamp,
};
use frontline_store::rows::{self, CHANNEL_DELIVERY_COLS, MEDIA_COLS, MESSAGE_COLS, VIEW_SELECT};
use frontline_store::{ChannelStore, ExternalRecorded, Result, StoreError, write};
use sqlx::PgExecutor;

use crate::error::{db, db_referencing};
use crate::{PgStore, sql_int};

/// The account's message with `external_id` as its own id or, failing that, as a recorded send. One
/// statement, so that it serves both the pool and a transaction.
pub(crate) async fn message_by_external_id_in<'e>(
    executor: impl PgExecutor<'e>,
    account: AccountId,
    external_id: &str,
) -> Result<Option<Message>> {
    let row = sqlx::query(&format!(
        "SELECT {MESSAGE_COLS} FROM messages WHERE id = COALESCE( \
             (SELECT id FROM messages WHERE account_id = $1 AND external_id = $2), \
             (SELECT message_id FROM external_sends WHERE account_id = $1 AND external_id = $2))"
    ))
    .bind(account.0)
    .bind(external_id)
    .fetch_optional(executor)
    .await
    .map_err(db)?;
    row.as_ref().map(rows::message).transpose()
}

#[async_trait]
impl ChannelStore for PgStore {
    // ---- webhook deliveries ---------------------------------------------------------------------

    async fn save_channel_delivery(
        &self,
        account: AccountId,
        body: &str,
    ) -> Result<ChannelDelivery> {
        let now = Timestamp::now();
        // INSERT … SELECT: an unknown account inserts nothing, which is the NotFound below.
        let row = sqlx::query(&format!(
            "INSERT INTO channel_deliveries (account_id, body, received_at, run_at, attempts) \
             SELECT id, $2, $3, $3, 0 FROM accounts WHERE id = $1 \
             RETURNING {CHANNEL_DELIVERY_COLS}"
        ))
        .bind(account.0)
        .bind(body)
        .bind(now.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_referencing("account"))?
        .ok_or(StoreError::NotFound("account"))?;
        rows::channel_delivery(&row)
    }

    async fn claim_channel_deliveries(
        &self,
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
             RETURNING {CHANNEL_DELIVERY_COLS}"
        ))
        .bind(now.0)
        .bind(now.plus(lease).0)
        .bind(sql_int(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut claimed = rows
            .iter()
            .map(rows::channel_delivery)
            .collect::<Result<Vec<_>>>()?;
        // RETURNING has no order of its own.
        claimed.sort_by_key(|d| d.id);
        Ok(claimed)
    }

    async fn next_channel_delivery_at(&self) -> Result<Option<Timestamp>> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(GREATEST(run_at, COALESCE(leased_until, run_at))) FROM channel_deliveries",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(at.map(Timestamp))
    }

    async fn finish_channel_delivery(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM channel_deliveries WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn retry_channel_delivery(&self, id: i64, run_at: Timestamp, error: &str) -> Result<()> {
        let done = sqlx::query(
            "UPDATE channel_deliveries SET run_at = $2, leased_until = NULL, last_error = $3 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(run_at.0)
        .bind(error)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("channel delivery"));
        }
        Ok(())
    }

    async fn count_channel_deliveries(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM channel_deliveries")
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    // ---- the channel's ids ----------------------------------------------------------------------

    async fn record_external_send(
        &self,
        message: MessageId,
        part: i32,
        external_id: &str,
    ) -> Result<()> {
        // Under the event log lock although it appends nothing: see the module docs.
        let mut tx = self.begin().await?;
        let account: i64 = sqlx::query_scalar("SELECT account_id FROM messages WHERE id = $1")
            .bind(message.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound("message"))?;
        // The id may not be another message's own id either: the account's keys are one namespace.
        let owner: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM messages WHERE account_id = $1 AND external_id = $2 AND id <> $3",
        )
        .bind(account)
        .bind(external_id)
        .bind(message.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
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
        .bind(message.0)
        .bind(account)
        .bind(part)
        .bind(external_id)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        if inserted == 0 {
            let same: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM external_sends \
                     WHERE message_id = $1 AND part = $2 AND external_id = $3)",
            )
            .bind(message.0)
            .bind(part)
            .bind(external_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            if !same {
                return Err(StoreError::Conflict(format!(
                    "external id `{external_id}` or part {part} of message {message} is recorded \
                     for another send"
                )));
            }
        }
        tx.commit().await.map_err(db)
    }

    async fn external_sends(&self, message: MessageId) -> Result<Vec<(i32, String)>> {
        let sends: Vec<(i32, String)> = sqlx::query_as(
            "SELECT part, external_id FROM external_sends WHERE message_id = $1 ORDER BY part",
        )
        .bind(message.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        if sends.is_empty() {
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM messages WHERE id = $1)")
                    .bind(message.0)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db)?;
            if !exists {
                return Err(StoreError::NotFound("message"));
            }
        }
        Ok(sends)
    }

    async fn message_by_external_id(
        &self,
        account: AccountId,
        external_id: &str,
    ) -> Result<Option<Message>> {
        message_by_external_id_in(&self.pool, account, external_id).await
    }

    async fn conversation_by_external_chat(
        &self,
        account: AccountId,
        external_chat_id: &str,
    ) -> Result<Option<ConversationView>> {
        let row = sqlx::query(&format!(
            "{VIEW_SELECT} WHERE c.account_id = $1 AND c.external_chat_id = $2"
        ))
        .bind(account.0)
        .bind(external_chat_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::view).transpose()
    }

    async fn record_external_reply(&self, reply: ExternalReply) -> Result<ExternalRecorded> {
        write::record_external_reply(self.begin().await?, reply).await
    }

    // ---- media ----------------------------------------------------------------------------------

    async fn save_media(&self, new: NewMedia) -> Result<Media> {
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
        .fetch_one(&self.pool)
        .await
        .map_err(db_referencing("account"))?;
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

    async fn media(&self, id: MediaId) -> Result<Option<Media>> {
        let row = sqlx::query(&format!("SELECT {MEDIA_COLS} FROM media WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::media).transpose()
    }
}
