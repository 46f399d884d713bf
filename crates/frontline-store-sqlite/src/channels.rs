//! What channel adapters keep besides conversations: raw webhook deliveries in a leased queue, the
//! channel's ids of what we sent, lookups by the channel's ids, replies written in the channel's own
//! app, and stored files.
//!
//! A claim is one `UPDATE … RETURNING` on the single write connection, so, as for jobs, two claimers
//! are serialised and the second one sees the first one's lease.

use crate::error::db;
use crate::{SqliteStore, sql_int};
use async_trait::async_trait;
use frontline_domain::{
    AccountId, ChannelDelivery, ConversationView, ExternalReply, Media, MediaId, Message,
    MessageId, NewMedia, Timestamp,
};
use frontline_store::rows::{self, CHANNEL_DELIVERY_COLS, MEDIA_COLS, MESSAGE_COLS, VIEW_SELECT};
use frontline_store::{ChannelStore, ExternalRecorded, Result, StoreError, write};
use sqlx::{Sqlite, SqliteExecutor};
use std::time::Duration;

// ---- the channel's ids --------------------------------------------------------------------------

/// The account's message with `external_id` as its own id or, failing that, as a recorded send. One
/// statement, so that it serves both the read pool and a write transaction.
pub(crate) async fn message_by_external_id_in<'e>(
    executor: impl SqliteExecutor<'e>,
    account: AccountId,
    external_id: &str,
) -> Result<Option<Message>> {
    let sql = format!(
        "SELECT {MESSAGE_COLS} FROM messages WHERE id = COALESCE( \
             (SELECT id FROM messages WHERE account_id = ?1 AND external_id = ?2), \
             (SELECT message_id FROM external_sends WHERE account_id = ?1 AND external_id = ?2))"
    );
    let row = sqlx::query::<Sqlite>(&sql)
        .bind(account.0)
        .bind(external_id)
        .fetch_optional(executor)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::message).transpose()
}

#[async_trait]
impl ChannelStore for SqliteStore {
    // ---- webhook deliveries --------------------------------------------------------------------
    async fn save_channel_delivery(
        &self,
        account: AccountId,
        body: &str,
    ) -> Result<ChannelDelivery> {
        let now = Timestamp::now();
        // INSERT … SELECT: an unknown account inserts nothing, which is the NotFound below.
        let sql = format!(
            "INSERT INTO channel_deliveries (account_id, body, received_at, run_at, attempts) \
             SELECT id, ?, ?, ?, 0 FROM accounts WHERE id = ? RETURNING {CHANNEL_DELIVERY_COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(body)
            .bind(now.0)
            .bind(now.0)
            .bind(account.0)
            .fetch_optional(&self.write)
            .await
            .map_err(db)?
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
        let sql = format!(
            "UPDATE channel_deliveries SET attempts = attempts + 1, leased_until = ?1 \
             WHERE id IN ( \
                 SELECT id FROM channel_deliveries \
                 WHERE run_at <= ?2 AND (leased_until IS NULL OR leased_until <= ?2) \
                 ORDER BY id LIMIT ?3) \
             RETURNING {CHANNEL_DELIVERY_COLS}"
        );
        let rows = sqlx::query(&sql)
            .bind(now.plus(lease).0)
            .bind(now.0)
            .bind(sql_int(limit))
            .fetch_all(&self.write)
            .await
            .map_err(db)?;
        let mut claimed = rows
            .iter()
            .map(rows::channel_delivery)
            .collect::<Result<Vec<_>>>()?;
        // RETURNING does not promise an order.
        claimed.sort_by_key(|d| d.id);
        Ok(claimed)
    }

    async fn next_channel_delivery_at(&self) -> Result<Option<Timestamp>> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(MAX(run_at, COALESCE(leased_until, run_at))) FROM channel_deliveries",
        )
        .fetch_one(&self.read)
        .await
        .map_err(db)?;
        Ok(at.map(Timestamp))
    }

    async fn finish_channel_delivery(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM channel_deliveries WHERE id = ?")
            .bind(id)
            .execute(&self.write)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn retry_channel_delivery(&self, id: i64, run_at: Timestamp, error: &str) -> Result<()> {
        let res = sqlx::query(
            "UPDATE channel_deliveries SET run_at = ?, leased_until = NULL, last_error = ? \
             WHERE id = ?",
        )
        .bind(run_at.0)
        .bind(error)
        .bind(id)
        .execute(&self.write)
        .await
        .map_err(db)?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound("channel delivery"));
        }
        Ok(())
    }

    async fn count_channel_deliveries(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM channel_deliveries")
            .fetch_one(&self.read)
            .await
            .map_err(db)
    }

    async fn record_external_send(
        &self,
        message: MessageId,
        part: i32,
        external_id: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let account: i64 = sqlx::query_scalar("SELECT account_id FROM messages WHERE id = ?")
            .bind(message.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound("message"))?;
        // The id may not be another message's own id either: the account's keys are one namespace.
        let owner: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM messages WHERE account_id = ? AND external_id = ? AND id <> ?",
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
             VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
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
            let same: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM external_sends WHERE message_id = ? AND part = ? AND external_id = ?",
            )
            .bind(message.0)
            .bind(part)
            .bind(external_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
            if same.is_none() {
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
            "SELECT part, external_id FROM external_sends WHERE message_id = ? ORDER BY part",
        )
        .bind(message.0)
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        if sends.is_empty() {
            let found: Option<i64> = sqlx::query_scalar("SELECT id FROM messages WHERE id = ?")
                .bind(message.0)
                .fetch_optional(&self.read)
                .await
                .map_err(db)?;
            found.ok_or(StoreError::NotFound("message"))?;
        }
        Ok(sends)
    }

    async fn message_by_external_id(
        &self,
        account: AccountId,
        external_id: &str,
    ) -> Result<Option<Message>> {
        message_by_external_id_in(&self.read, account, external_id).await
    }

    async fn conversation_by_external_chat(
        &self,
        account: AccountId,
        external_chat_id: &str,
    ) -> Result<Option<ConversationView>> {
        let sql = format!("{VIEW_SELECT} WHERE c.account_id = ? AND c.external_chat_id = ?");
        let row = sqlx::query(&sql)
            .bind(account.0)
            .bind(external_chat_id)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::view).transpose()
    }

    async fn record_external_reply(&self, reply: ExternalReply) -> Result<ExternalRecorded> {
        write::record_external_reply(self.begin().await?, reply).await
    }

    // ---- media --------------------------------------------------------------------
    async fn save_media(&self, new: NewMedia) -> Result<Media> {
        let now = Timestamp::now();
        let size = i64::try_from(new.bytes.len()).unwrap_or(i64::MAX);
        // Only the id comes back: the bytes are already here, and may be megabytes.
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO media (account_id, mime, name, size, bytes, created_at) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(new.account_id.map(|a| a.0))
        .bind(&new.mime)
        .bind(&new.name)
        .bind(size)
        .bind(&new.bytes)
        .bind(now.0)
        .fetch_one(&self.write)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::NotFound("account")
            }
            _ => db(e),
        })?;
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
        let sql = format!("SELECT {MEDIA_COLS} FROM media WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::media).transpose()
    }
}
