//! Background jobs (the outbox and the bot queue) and the delivery state of outbound messages.
//!
//! A claim is one `UPDATE … RETURNING` on the single write connection, so it is atomic: two claimers
//! are serialised and the second one sees the first one's lease. A job id is also a fencing token:
//! once a job is finished (deleted), reports about it get `NotFound("job")` and change nothing, so a
//! worker whose lease expired cannot undo what the worker that took over already recorded.

use crate::error::db;
use crate::events::append_event;
use crate::{SqliteStore, Tx, sql_int};
use async_trait::async_trait;
use frontline_domain::{
    ConversationId, DeliveryStatus, Direction, EventKind, Message, MessageId, Timestamp,
};
use frontline_store::rows::{self, MESSAGE_COLS};
use frontline_store::{Job, JobId, JobKind, JobStore, Result, StoreError};
use std::time::Duration;

/// Delete the delivery job of `message`; `NotFound("job")` when it is already gone.
async fn finish_job(tx: &mut Tx, job: JobId, message: MessageId) -> Result<()> {
    let res = sqlx::query("DELETE FROM jobs WHERE id = ? AND message_id = ?")
        .bind(job.0)
        .bind(message.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    if res.rows_affected() == 0 {
        return Err(StoreError::NotFound("job"));
    }
    Ok(())
}

/// Run `query` (an `UPDATE messages … RETURNING` of one message) and append `message.updated`.
async fn update_message<'q>(
    tx: &mut Tx,
    query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    now: Timestamp,
) -> Result<Message> {
    let row = query
        .fetch_optional(&mut **tx)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound("message"))?;
    let m = rows::message(&row)?;
    append_event(
        tx,
        EventKind::MessageUpdated,
        m.conversation_id,
        Some(m.id),
        None,
        now,
    )
    .await?;
    Ok(m)
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn claim_jobs(
        &self,
        kind: JobKind,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Job>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "UPDATE jobs SET attempts = attempts + 1, locked_until = ?1 \
             WHERE id IN ( \
                 SELECT id FROM jobs \
                 WHERE kind = ?2 AND run_at <= ?3 AND (locked_until IS NULL OR locked_until <= ?3) \
                 ORDER BY run_at, id LIMIT ?4) \
             RETURNING id, kind, conversation_id, message_id, attempts, last_error, run_at",
        )
        .bind(now.plus(lease).0)
        .bind(kind.as_str())
        .bind(now.0)
        .bind(sql_int(limit))
        .fetch_all(&self.write)
        .await
        .map_err(db)?;
        // RETURNING does not promise an order.
        let mut claimed = rows
            .iter()
            .map(|r| {
                Ok((
                    sqlx::Row::try_get::<i64, _>(r, "run_at").map_err(db)?,
                    rows::job(r)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        claimed.sort_by_key(|(run_at, job)| (*run_at, job.id));
        Ok(claimed.into_iter().map(|(_, job)| job).collect())
    }

    async fn next_job_at(&self, kind: JobKind) -> Result<Option<Timestamp>> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(MAX(run_at, COALESCE(locked_until, run_at))) FROM jobs WHERE kind = ?",
        )
        .bind(kind.as_str())
        .fetch_one(&self.read)
        .await
        .map_err(db)?;
        Ok(at.map(Timestamp))
    }

    async fn count_jobs(&self, kind: JobKind) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = ?")
            .bind(kind.as_str())
            .fetch_one(&self.read)
            .await
            .map_err(db)
    }

    async fn complete_job(&self, job: JobId) -> Result<()> {
        let res = sqlx::query("DELETE FROM jobs WHERE id = ?")
            .bind(job.0)
            .execute(&self.write)
            .await
            .map_err(db)?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound("job"));
        }
        Ok(())
    }

    async fn retry_job(&self, job: JobId, run_at: Timestamp, error: &str) -> Result<()> {
        let res = sqlx::query(
            "UPDATE jobs SET run_at = ?, locked_until = NULL, last_error = ? WHERE id = ?",
        )
        .bind(run_at.0)
        .bind(error)
        .bind(job.0)
        .execute(&self.write)
        .await
        .map_err(db)?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound("job"));
        }
        Ok(())
    }

    async fn delivery_succeeded(
        &self,
        job: JobId,
        message: MessageId,
        external_id: Option<String>,
    ) -> Result<Message> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        finish_job(&mut tx, job, message).await?;
        let sql = format!(
            "UPDATE messages SET status = ?, external_id = COALESCE(?, external_id), error = NULL \
             WHERE id = ? RETURNING {MESSAGE_COLS}"
        );
        let q = sqlx::query(&sql)
            .bind(DeliveryStatus::Sent.as_str())
            .bind(external_id)
            .bind(message.0);
        let m = update_message(&mut tx, q, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(m)
    }

    async fn delivery_failed(
        &self,
        job: JobId,
        message: MessageId,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<Message> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let status = match retry_at {
            Some(at) => {
                let res = sqlx::query(
                    "UPDATE jobs SET run_at = ?, locked_until = NULL, last_error = ? \
                     WHERE id = ? AND message_id = ?",
                )
                .bind(at.0)
                .bind(error)
                .bind(job.0)
                .bind(message.0)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                if res.rows_affected() == 0 {
                    return Err(StoreError::NotFound("job"));
                }
                DeliveryStatus::Queued
            }
            None => {
                finish_job(&mut tx, job, message).await?;
                DeliveryStatus::Failed
            }
        };
        let sql = format!(
            "UPDATE messages SET status = ?, error = ? WHERE id = ? RETURNING {MESSAGE_COLS}"
        );
        let q = sqlx::query(&sql)
            .bind(status.as_str())
            .bind(error)
            .bind(message.0);
        let m = update_message(&mut tx, q, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(m)
    }

    async fn retry_message(&self, message: MessageId) -> Result<Message> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let row: Option<(String, String, i64)> =
            sqlx::query_as("SELECT direction, status, conversation_id FROM messages WHERE id = ?")
                .bind(message.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let (direction, status, conversation) = row.ok_or(StoreError::NotFound("message"))?;
        if direction != Direction::Out.as_str() || status != DeliveryStatus::Failed.as_str() {
            return Err(StoreError::Conflict(format!(
                "only failed outbound messages can be retried (this one is {direction}, {status})"
            )));
        }
        insert_job(
            &mut tx,
            JobKind::Deliver,
            ConversationId(conversation),
            message,
            now,
        )
        .await?;
        let sql = format!(
            "UPDATE messages SET status = ?, error = NULL WHERE id = ? RETURNING {MESSAGE_COLS}"
        );
        let q = sqlx::query(&sql)
            .bind(DeliveryStatus::Queued.as_str())
            .bind(message.0);
        let m = update_message(&mut tx, q, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(m)
    }

    async fn set_delivery_status(
        &self,
        message: MessageId,
        status: DeliveryStatus,
    ) -> Result<Message> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let sql = format!("UPDATE messages SET status = ? WHERE id = ? RETURNING {MESSAGE_COLS}");
        let q = sqlx::query(&sql).bind(status.as_str()).bind(message.0);
        let m = update_message(&mut tx, q, now).await?;
        tx.commit().await.map_err(db)?;
        Ok(m)
    }
}

/// Delete the bot job `job`: `false` when it is gone (another worker finished it).
pub(crate) async fn finish_bot_job(tx: &mut Tx, job: JobId) -> Result<bool> {
    let finished = sqlx::query("DELETE FROM jobs WHERE id = ? AND kind = 'bot'")
        .bind(job.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(finished.rows_affected() > 0)
}

pub(crate) async fn insert_job(
    tx: &mut Tx,
    kind: JobKind,
    conversation: ConversationId,
    message: MessageId,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (kind, conversation_id, message_id, attempts, run_at, created_at) \
         VALUES (?, ?, ?, 0, ?, ?)",
    )
    .bind(kind.as_str())
    .bind(conversation.0)
    .bind(message.0)
    .bind(now.0)
    .bind(now.0)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}
