//! Background jobs (the outbox and the bot queue) and the delivery state of outbound messages.
//!
//! Claims use `FOR UPDATE SKIP LOCKED`, so concurrent workers each lease different jobs without
//! waiting on one another. Claims append no events and so do not take the event log lock; the
//! delivery outcomes below do (they change messages that the realtime stream must see).

use std::time::Duration;

use async_trait::async_trait;
use frontline_domain::{
    ConversationId, DeliveryStatus, Direction, EventKind, Message, MessageId, Timestamp,
};
use frontline_store::rows::{self, Columns, JOB_COLS, MESSAGE_COLS};
use frontline_store::{Job, JobId, JobKind, JobStore, Result, StoreError};

use crate::error::{db, db_referencing};
use crate::events::append_event;
use crate::{PgStore, Tx, sql_int};

/// Queue a job for `message`, due now.
/// Delete the bot job `job`: `false` when it is gone (another worker finished it).
pub(crate) async fn finish_bot_job(tx: &mut Tx, job: JobId) -> Result<bool> {
    let finished = sqlx::query("DELETE FROM jobs WHERE id = $1 AND kind = 'bot'")
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
         VALUES ($1, $2, $3, 0, $4, $4)",
    )
    .bind(kind.as_str())
    .bind(conversation.0)
    .bind(message.0)
    .bind(now.0)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}

async fn lock_message(tx: &mut Tx, id: MessageId) -> Result<Message> {
    let row = sqlx::query(&format!(
        "SELECT {MESSAGE_COLS} FROM messages WHERE id = $1 FOR UPDATE"
    ))
    .bind(id.0)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound("message"))?;
    rows::message(&row)
}

/// Update a message's delivery fields, append `message.updated` and commit.
async fn finish_message_update(
    mut tx: Tx,
    id: MessageId,
    status: DeliveryStatus,
    external_id: Option<&str>,
    error: Option<&str>,
    now: Timestamp,
) -> Result<Message> {
    let row = sqlx::query(&format!(
        "UPDATE messages SET status = $2, external_id = COALESCE($3, external_id), error = $4 \
         WHERE id = $1 RETURNING {MESSAGE_COLS}"
    ))
    .bind(id.0)
    .bind(status.as_str())
    .bind(external_id)
    .bind(error)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_referencing("message"))?;
    let updated = rows::message(&row)?;
    append_event(
        &mut tx,
        EventKind::MessageUpdated,
        updated.conversation_id,
        Some(updated.id),
        None,
        now,
    )
    .await?;
    tx.commit().await.map_err(db)?;
    Ok(updated)
}

/// Delete the job that delivered `message`. `NotFound` when it is gone: the report is stale (the lease
/// expired and another worker finished the job), and must change nothing.
async fn drop_job(tx: &mut Tx, job: JobId, message: MessageId) -> Result<()> {
    let done = sqlx::query("DELETE FROM jobs WHERE id = $1 AND message_id = $2")
        .bind(job.0)
        .bind(message.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("job"));
    }
    Ok(())
}

#[async_trait]
impl JobStore for PgStore {
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
        let rows = sqlx::query(&format!(
            "UPDATE jobs SET attempts = attempts + 1, locked_until = $3 \
             WHERE id IN ( \
                 SELECT id FROM jobs \
                 WHERE kind = $1 AND run_at <= $2 AND (locked_until IS NULL OR locked_until <= $2) \
                 ORDER BY run_at, id LIMIT $4 \
                 FOR UPDATE SKIP LOCKED) \
             RETURNING {JOB_COLS}, run_at"
        ))
        .bind(kind.as_str())
        .bind(now.0)
        .bind(now.plus(lease).0)
        .bind(sql_int(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        let mut jobs = rows
            .iter()
            .map(|row| Ok((row.ts("run_at")?, rows::job(row)?)))
            .collect::<Result<Vec<_>>>()?;
        // RETURNING has no order of its own.
        jobs.sort_by_key(|(run_at, job)| (*run_at, job.id));
        Ok(jobs.into_iter().map(|(_, job)| job).collect())
    }

    async fn next_job_at(&self, kind: JobKind) -> Result<Option<Timestamp>> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(GREATEST(run_at, COALESCE(locked_until, run_at))) FROM jobs \
             WHERE kind = $1",
        )
        .bind(kind.as_str())
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        Ok(at.map(Timestamp))
    }

    async fn count_jobs(&self, kind: JobKind) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = $1")
            .bind(kind.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    async fn complete_job(&self, job: JobId) -> Result<()> {
        let done = sqlx::query("DELETE FROM jobs WHERE id = $1")
            .bind(job.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("job"));
        }
        Ok(())
    }

    async fn retry_job(&self, job: JobId, run_at: Timestamp, error: &str) -> Result<()> {
        let done = sqlx::query(
            "UPDATE jobs SET run_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1",
        )
        .bind(job.0)
        .bind(run_at.0)
        .bind(error)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        if done.rows_affected() == 0 {
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
        lock_message(&mut tx, message).await?;
        drop_job(&mut tx, job, message).await?;
        finish_message_update(
            tx,
            message,
            DeliveryStatus::Sent,
            external_id.as_deref(),
            None,
            now,
        )
        .await
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
        lock_message(&mut tx, message).await?;
        let status = match retry_at {
            Some(at) => {
                let done = sqlx::query(
                    "UPDATE jobs SET run_at = $2, locked_until = NULL, last_error = $3 \
                     WHERE id = $1 AND message_id = $4",
                )
                .bind(job.0)
                .bind(at.0)
                .bind(error)
                .bind(message.0)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound("job"));
                }
                DeliveryStatus::Queued
            }
            None => {
                drop_job(&mut tx, job, message).await?;
                DeliveryStatus::Failed
            }
        };
        finish_message_update(tx, message, status, None, Some(error), now).await
    }

    async fn retry_message(&self, message: MessageId) -> Result<Message> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let current = lock_message(&mut tx, message).await?;
        if current.direction != Direction::Out || current.status != DeliveryStatus::Failed {
            return Err(StoreError::Conflict(
                "only a failed outbound message can be retried".into(),
            ));
        }
        insert_job(
            &mut tx,
            JobKind::Deliver,
            current.conversation_id,
            current.id,
            now,
        )
        .await?;
        finish_message_update(tx, message, DeliveryStatus::Queued, None, None, now).await
    }

    async fn set_delivery_status(
        &self,
        message: MessageId,
        status: DeliveryStatus,
    ) -> Result<Message> {
        let now = Timestamp::now();
        let mut tx = self.begin().await?;
        let current = lock_message(&mut tx, message).await?;
        finish_message_update(tx, message, status, None, current.error.as_deref(), now).await
    }
}
