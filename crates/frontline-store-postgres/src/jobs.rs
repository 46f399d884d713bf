//! Background jobs (the outbox and the bot queue) and the delivery state of outbound messages.
//!
//! Claims use `FOR UPDATE SKIP LOCKED`, so concurrent workers each lease different jobs without
//! waiting on one another. Claims append no events and so do not take the event log lock; the
//! delivery outcomes below do (they change messages that the realtime stream must see).

use std::time::Duration;

use frontline_domain::{
    ConversationId, DeliveryStatus, Direction, EventKind, Message, MessageId, Timestamp,
};
use frontline_store::{Job, JobId, JobKind, Result, StoreError};
use sqlx::PgPool;

use crate::error::{db_err, map_err};
use crate::events::{Tx, append, begin_writer, limit_i64};
use crate::lifecycle::insert_job;
use crate::rows::{MESSAGE_COLUMNS, get, message};

pub(crate) async fn claim_jobs(
    pool: &PgPool,
    kind: JobKind,
    now: Timestamp,
    lease: Duration,
    limit: usize,
) -> Result<Vec<Job>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "UPDATE jobs SET attempts = attempts + 1, locked_until = $3 \
         WHERE id IN ( \
             SELECT id FROM jobs \
             WHERE kind = $1 AND run_at <= $2 AND (locked_until IS NULL OR locked_until <= $2) \
             ORDER BY run_at, id LIMIT $4 \
             FOR UPDATE SKIP LOCKED) \
         RETURNING id, kind, conversation_id, message_id, attempts, run_at, last_error",
    )
    .bind(kind.as_str())
    .bind(now.0)
    .bind(now.plus(lease).0)
    .bind(limit_i64(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let mut jobs = rows
        .iter()
        .map(|row| {
            let run_at: i64 = get(row, "run_at")?;
            let job = Job {
                id: JobId(get(row, "id")?),
                kind,
                conversation_id: ConversationId(get(row, "conversation_id")?),
                message_id: MessageId(get(row, "message_id")?),
                attempts: get(row, "attempts")?,
                last_error: get(row, "last_error")?,
            };
            Ok((run_at, job))
        })
        .collect::<Result<Vec<_>>>()?;
    // RETURNING has no order of its own.
    jobs.sort_by_key(|(run_at, job)| (*run_at, job.id));
    Ok(jobs.into_iter().map(|(_, job)| job).collect())
}

pub(crate) async fn next_job_at(pool: &PgPool, kind: JobKind) -> Result<Option<Timestamp>> {
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(GREATEST(run_at, COALESCE(locked_until, run_at))) FROM jobs WHERE kind = $1",
    )
    .bind(kind.as_str())
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    Ok(at.map(Timestamp))
}

pub(crate) async fn count_jobs(pool: &PgPool, kind: JobKind) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind = $1")
        .bind(kind.as_str())
        .fetch_one(pool)
        .await
        .map_err(db_err)
}

pub(crate) async fn complete_job(pool: &PgPool, job: JobId) -> Result<()> {
    let done = sqlx::query("DELETE FROM jobs WHERE id = $1")
        .bind(job.0)
        .execute(pool)
        .await
        .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("job"));
    }
    Ok(())
}

pub(crate) async fn retry_job(
    pool: &PgPool,
    job: JobId,
    run_at: Timestamp,
    error: &str,
) -> Result<()> {
    let done = sqlx::query(
        "UPDATE jobs SET run_at = $2, locked_until = NULL, last_error = $3 WHERE id = $1",
    )
    .bind(job.0)
    .bind(run_at.0)
    .bind(error)
    .execute(pool)
    .await
    .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("job"));
    }
    Ok(())
}

async fn lock_message(tx: &mut Tx, id: MessageId) -> Result<Message> {
    let row = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1 FOR UPDATE"
    ))
    .bind(id.0)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_err)?;
    message(&row.ok_or(StoreError::NotFound("message"))?)
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
         WHERE id = $1 RETURNING {MESSAGE_COLUMNS}"
    ))
    .bind(id.0)
    .bind(status.as_str())
    .bind(external_id)
    .bind(error)
    .fetch_one(&mut *tx)
    .await
    .map_err(map_err("message"))?;
    let updated = message(&row)?;
    append(
        &mut tx,
        EventKind::MessageUpdated,
        updated.conversation_id,
        Some(updated.id),
        None,
        now,
    )
    .await?;
    tx.commit().await.map_err(db_err)?;
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
        .map_err(db_err)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound("job"));
    }
    Ok(())
}

pub(crate) async fn delivery_succeeded(
    pool: &PgPool,
    job: JobId,
    id: MessageId,
    external_id: Option<String>,
) -> Result<Message> {
    let now = Timestamp::now();
    let mut tx = begin_writer(pool).await?;
    lock_message(&mut tx, id).await?;
    drop_job(&mut tx, job, id).await?;
    finish_message_update(
        tx,
        id,
        DeliveryStatus::Sent,
        external_id.as_deref(),
        None,
        now,
    )
    .await
}

pub(crate) async fn delivery_failed(
    pool: &PgPool,
    job: JobId,
    id: MessageId,
    error: &str,
    retry_at: Option<Timestamp>,
) -> Result<Message> {
    let now = Timestamp::now();
    let mut tx = begin_writer(pool).await?;
    lock_message(&mut tx, id).await?;
    let status = match retry_at {
        Some(at) => {
            let done = sqlx::query(
                "UPDATE jobs SET run_at = $2, locked_until = NULL, last_error = $3 \
                 WHERE id = $1 AND message_id = $4",
            )
            .bind(job.0)
            .bind(at.0)
            .bind(error)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound("job"));
            }
            DeliveryStatus::Queued
        }
        None => {
            drop_job(&mut tx, job, id).await?;
            DeliveryStatus::Failed
        }
    };
    finish_message_update(tx, id, status, None, Some(error), now).await
}

pub(crate) async fn retry_message(pool: &PgPool, id: MessageId) -> Result<Message> {
    let now = Timestamp::now();
    let mut tx = begin_writer(pool).await?;
    let current = lock_message(&mut tx, id).await?;
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
    finish_message_update(tx, id, DeliveryStatus::Queued, None, None, now).await
}

pub(crate) async fn set_delivery_status(
    pool: &PgPool,
    id: MessageId,
    status: DeliveryStatus,
) -> Result<Message> {
    let now = Timestamp::now();
    let mut tx = begin_writer(pool).await?;
    let current = lock_message(&mut tx, id).await?;
    finish_message_update(tx, id, status, None, current.error.as_deref(), now).await
}
