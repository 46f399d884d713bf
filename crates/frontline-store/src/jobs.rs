//! Background jobs kept in the database so that they survive restarts: the outbox (deliver an
//! outbound message) and the bot queue (let the bot answer an inbound one), with the delivery
//! outcomes the outbox records.

use std::time::Duration;

use async_trait::async_trait;
use frontline_domain::{ConversationId, DeliveryStatus, Message, MessageId, Timestamp};

use crate::*;

/// Background work kept in the database so that it survives restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Deliver an outbound message through its channel (the outbox).
    Deliver,
    /// Let the bot answer an inbound message.
    Bot,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Deliver => "deliver",
            JobKind::Bot => "bot",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub i64);

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    /// Attempts so far, including the one this claim starts (so ≥ 1 after a claim).
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// The job queues and delivery outcomes.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Lease up to `limit` due jobs of `kind`: pending, `run_at` ≤ now and not leased (or lease expired,
    /// which is how a crashed worker's jobs come back). Each claim increments `attempts` and leases the
    /// job until `now + lease`. Oldest first. Two concurrent claimers never get the same job.
    async fn claim_jobs(
        &self,
        kind: JobKind,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Job>>;

    /// Earliest `run_at` among pending jobs of `kind` (leased ones count at their lease expiry).
    async fn next_job_at(&self, kind: JobKind) -> Result<Option<Timestamp>>;

    async fn count_jobs(&self, kind: JobKind) -> Result<i64>;

    /// A bot job is done: delete it.
    async fn complete_job(&self, job: JobId) -> Result<()>;

    /// Release a job to run again at `run_at`, keeping `error` as its last error.
    async fn retry_job(&self, job: JobId, run_at: Timestamp, error: &str) -> Result<()>;

    /// The channel accepted the message: delete the job, set status `sent`, the external id (if any) and
    /// clear the error. Event: `message.updated`.
    async fn delivery_succeeded(
        &self,
        job: JobId,
        message: MessageId,
        external_id: Option<String>,
    ) -> Result<Message>;

    /// A delivery attempt failed. With `retry_at`, the job runs again then and the message keeps status
    /// `queued` with `error` visible; without, the job is deleted and the message becomes `failed`.
    /// Event: `message.updated`.
    async fn delivery_failed(
        &self,
        job: JobId,
        message: MessageId,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<Message>;

    /// Queue a `failed` outbound message again (the operator's retry button). `Conflict` unless it is
    /// an outbound message with status failed. Event: `message.updated`.
    async fn retry_message(&self, message: MessageId) -> Result<Message>;

    /// A delivery receipt from the channel (`delivered`, `read`). Event: `message.updated`.
    async fn set_delivery_status(
        &self,
        message: MessageId,
        status: DeliveryStatus,
    ) -> Result<Message>;
}
