//! Background workers that drain the durable job queues: the outbox (deliver outbound messages through
//! their channel, retrying with exponential backoff) and the bot queue (let the bot answer or hand off).
//!
//! Both follow the same loop: claim due jobs with a lease, process them (jobs of one conversation in
//! order, different conversations concurrently), then sleep until the next job is due, a wake-up signal
//! arrives, or the poll interval passes. A job whose worker died comes back when its lease expires, which
//! is what makes the queues survive restarts.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use frontline_domain::{
    Author, DecisionAction, DecisionStage, HandoffContext, HandoffReason, Lead, NewDecisionRecord,
    OperatorId, Timestamp,
};
use frontline_store::{Job, JobKind, Store};
use rand::Rng;
use tokio::{task::JoinSet, time::sleep};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use crate::{
    Bot, BotDecision, BotInput, BotOutcome, Channels, DecisionTrace, Delivery, Lifecycle,
    LifecycleError, SendError, Stats,
};

/// How the workers pace themselves.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Longest sleep between two looks at the queue when nothing wakes the worker.
    pub poll_interval: Duration,
    /// How long a claimed job stays invisible to other workers.
    pub lease: Duration,
    pub batch: usize,
    /// Delivery attempts before a message is marked `failed`.
    pub max_attempts: i32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// The longest the bot may think about one message before the conversation goes to a person.
    pub bot_timeout: Duration,
    /// Messages of history handed to the bot.
    pub bot_history: usize,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            batch: 32,
            max_attempts: 10,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            bot_timeout: Duration::from_secs(30),
            bot_history: 20,
        }
    }
}

impl WorkerSettings {
    /// Delay before attempt `attempts + 1`: exponential from `backoff_base`, capped, with ±20% jitter so
    /// that many failed messages do not retry in lockstep. A channel's own `Retry-After` wins when longer.
    pub fn backoff(&self, attempts: i32, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .backoff_base
            .saturating_mul(1u32 << attempts.clamp(0, 20).saturating_sub(1) as u32);
        let capped = exp.min(self.backoff_max);
        let jitter = rand::thread_rng().gen_range(0.8..1.2);
        let d = capped.mul_f64(jitter);
        match retry_after {
            Some(hint) if hint > d => hint,
            _ => d,
        }
    }
}

/// Start the outbox and bot workers; they stop when `shutdown` is cancelled.
pub fn spawn_workers(
    lifecycle: Lifecycle,
    bot: Arc<dyn Bot>,
    channels: Channels,
    settings: WorkerSettings,
    shutdown: CancellationToken,
) -> JoinSet<()> {
    let mut set = JoinSet::new();
    let outbox = Outbox {
        lifecycle: lifecycle.clone(),
        channels,
        settings: settings.clone(),
    };
    set.spawn(run_queue(
        JobKind::Deliver,
        lifecycle.clone(),
        settings.clone(),
        shutdown.clone(),
        Arc::new(move |job| {
            let outbox = outbox.clone();
            Box::pin(async move { outbox.deliver(job).await })
        }),
    ));
    let bots = BotRunner {
        lifecycle: lifecycle.clone(),
        bot,
        settings: settings.clone(),
    };
    set.spawn(run_queue(
        JobKind::Bot,
        lifecycle,
        settings,
        shutdown,
        Arc::new(move |job| {
            let bots = bots.clone();
            Box::pin(async move { bots.answer(job).await })
        }),
    ));
    set
}

type Handler = Arc<dyn Fn(Job) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

async fn run_queue(
    kind: JobKind,
    lifecycle: Lifecycle,
    settings: WorkerSettings,
    shutdown: CancellationToken,
    handler: Handler,
) {
    let store = lifecycle.store().clone();
    let signals = lifecycle.signals().clone();
    let wake = match kind {
        JobKind::Deliver => &signals.deliver,
        JobKind::Bot => &signals.bot,
    };
    info!(queue = kind.as_str(), "worker started");
    loop {
        if shutdown.is_cancelled() {
            break;
        }
        let jobs = match store
            .claim_jobs(kind, Timestamp::now(), settings.lease, settings.batch)
            .await
        {
            Ok(jobs) => jobs,
            Err(e) => {
                error!(queue = kind.as_str(), error = %e, "claiming jobs failed");
                Vec::new()
            }
        };
        let full = jobs.len() == settings.batch;
        if !jobs.is_empty() {
            process_batch(jobs, &handler).await;
        }
        if full {
            continue;
        }
        let wait = match store.next_job_at(kind).await {
            Ok(Some(at)) => {
                let ms = (at.millis() - Timestamp::now().millis()).max(0) as u64;
                Duration::from_millis(ms).min(settings.poll_interval)
            }
            _ => settings.poll_interval,
        };
        if wait.is_zero() {
            continue;
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = wake.notified() => {}
            _ = sleep(wait) => {}
        }
    }
    info!(queue = kind.as_str(), "worker stopped");
}

/// Jobs of one conversation run one after another, in queue order; conversations run concurrently.
async fn process_batch(jobs: Vec<Job>, handler: &Handler) {
    let mut by_conversation: BTreeMap<_, Vec<Job>> = BTreeMap::new();
    for job in jobs {
        by_conversation
            .entry(job.conversation_id)
            .or_default()
            .push(job);
    }
    let mut set = JoinSet::new();
    for (_, chain) in by_conversation {
        let handler = handler.clone();
        set.spawn(async move {
            for job in chain {
                handler(job).await;
            }
        });
    }
    while set.join_next().await.is_some() {}
}

#[derive(Clone)]
struct Outbox {
    lifecycle: Lifecycle,
    channels: Channels,
    settings: WorkerSettings,
}

impl Outbox {
    async fn deliver(&self, job: Job) {
        let store = self.lifecycle.store();
        let stats = self.lifecycle.stats();
        let delivery = match load_delivery(&**store, &job).await {
            Ok(d) => d,
            Err(e) => {
                // The rows are gone or unreadable: retrying cannot help, but say so on the message.
                warn!(job = job.id.0, error = %e, "cannot load delivery");
                let _ = store
                    .delivery_failed(job.id, job.message_id, &e.to_string(), None)
                    .await;
                self.lifecycle.signals().events.notify_one();
                return;
            }
        };
        let outcome = match self.channels.sender(delivery.account.kind) {
            None => Err(SendError::Permanent {
                reason: format!(
                    "no channel adapter for `{}` accounts",
                    delivery.account.kind
                ),
            }),
            Some(_) if !delivery.account.enabled => Err(SendError::Retryable {
                reason: "account is disabled".into(),
                retry_after: None,
            }),
            Some(sender) => sender.send(&delivery).await,
        };
        let result = match outcome {
            Ok(sent) => {
                Stats::bump(&stats.outbound_sent);
                debug!(message = job.message_id.0, "delivered");
                store
                    .delivery_succeeded(job.id, job.message_id, sent.external_id)
                    .await
            }
            Err(SendError::Retryable {
                reason,
                retry_after,
            }) if job.attempts < self.settings.max_attempts => {
                Stats::bump(&stats.outbound_retried);
                let delay = self.settings.backoff(job.attempts, retry_after);
                warn!(message = job.message_id.0, attempt = job.attempts, delay_ms = delay.as_millis() as u64, %reason, "delivery failed, will retry");
                store
                    .delivery_failed(
                        job.id,
                        job.message_id,
                        &reason,
                        Some(Timestamp::now().plus(delay)),
                    )
                    .await
            }
            Err(e) => {
                Stats::bump(&stats.outbound_failed);
                let reason = match e {
                    SendError::Retryable { reason, .. } => {
                        format!("gave up after {} attempts: {reason}", job.attempts)
                    }
                    SendError::Permanent { reason } => reason,
                };
                warn!(message = job.message_id.0, %reason, "delivery failed for good");
                store
                    .delivery_failed(job.id, job.message_id, &reason, None)
                    .await
            }
        };
        if let Err(e) = result {
            // The job keeps its lease and comes back after it expires.
            error!(job = job.id.0, error = %e, "recording delivery outcome failed");
        }
        self.lifecycle.signals().events.notify_one();
    }
}

async fn load_delivery(store: &dyn Store, job: &Job) -> Result<Delivery, LifecycleError> {
    let message = store
        .message(job.message_id)
        .await?
        .ok_or(LifecycleError::NotFound("message"))?;
    let conversation = store
        .conversation(job.conversation_id)
        .await?
        .ok_or(LifecycleError::NotFound("conversation"))?;
    let account = store
        .account(conversation.conversation.account_id)
        .await?
        .ok_or(LifecycleError::NotFound("account"))?;
    let operator_name = match message.author {
        Author::Operator(id) => operator_name(store, id).await,
        _ => None,
    };
    Ok(Delivery {
        account,
        conversation,
        message,
        operator_name,
        attempt: job.attempts,
    })
}

async fn operator_name(store: &dyn Store, id: OperatorId) -> Option<String> {
    store
        .operator(id)
        .await
        .ok()
        .flatten()
        .map(|o| o.display_name)
}

#[derive(Clone)]
struct BotRunner {
    lifecycle: Lifecycle,
    bot: Arc<dyn Bot>,
    settings: WorkerSettings,
}

impl BotRunner {
    async fn answer(&self, job: Job) {
        let store = self.lifecycle.store().clone();
        match self.try_answer(&job).await {
            Ok(()) => {
                if let Err(e) = store.complete_job(job.id).await {
                    error!(job = job.id.0, error = %e, "completing bot job failed");
                }
            }
            Err(e) if job.attempts < self.settings.max_attempts => {
                let delay = self.settings.backoff(job.attempts, None);
                warn!(job = job.id.0, error = %e, "bot job failed, will retry");
                let _ = store
                    .retry_job(job.id, Timestamp::now().plus(delay), &e.to_string())
                    .await;
            }
            Err(e) => {
                // Never leave a customer without an answer: give the conversation to a person.
                error!(job = job.id.0, error = %e, "bot job failed for good, handing off");
                let _ = self
                    .lifecycle
                    .set_lead(
                        Author::System,
                        job.conversation_id,
                        Lead::Operator,
                        HandoffReason::BotError,
                        HandoffContext::default(),
                    )
                    .await;
                let _ = store.complete_job(job.id).await;
            }
        }
    }

    async fn try_answer(&self, job: &Job) -> Result<(), LifecycleError> {
        let store = self.lifecycle.store();
        let Some(conversation) = store.conversation(job.conversation_id).await? else {
            return Ok(());
        };
        if conversation.conversation.lead != Lead::Bot {
            // A person took over after the message arrived: the bot stays quiet.
            return Ok(());
        }
        let Some(message) = store.message(job.message_id).await? else {
            return Ok(());
        };
        let history = store
            .list_messages(job.conversation_id, None, self.settings.bot_history)
            .await?;
        let recent_decisions = store
            .list_decisions(job.conversation_id, self.settings.bot_history)
            .await?;
        let input = BotInput {
            conversation,
            message,
            history,
            recent_decisions,
        };
        let started = std::time::Instant::now();
        let outcome =
            match tokio::time::timeout(self.settings.bot_timeout, self.bot.decide(input)).await {
                Ok(o) => o,
                Err(_) => BotOutcome {
                    decision: BotDecision::Handoff {
                        reason: HandoffReason::BotError,
                        context: HandoffContext {
                            summary: Some("the bot did not answer in time".into()),
                            ..HandoffContext::default()
                        },
                        farewell: None,
                    },
                    trace: DecisionTrace {
                        note: Some("the bot did not answer in time".into()),
                        ..DecisionTrace::new(DecisionAction::Handoff, Some(DecisionStage::Timeout))
                    },
                },
            };
        let latency = started.elapsed();
        let trace = outcome.trace;
        let record = NewDecisionRecord {
            conversation_id: job.conversation_id,
            message_id: job.message_id,
            action: trace.action,
            stage: trace.stage,
            intent: trace.intent,
            confidence: trace.confidence,
            reason: match &outcome.decision {
                BotDecision::Handoff { reason, .. } => Some(*reason),
                _ => None,
            },
            article_ids: trace.article_ids,
            latency_us: i64::try_from(latency.as_micros()).unwrap_or(i64::MAX),
            note: trace.note,
            trace: trace.steps,
        };
        // Recorded before acting: a decision whose reply then fails is still worth seeing.
        if let Err(e) = store.record_decision(record).await {
            warn!(job = job.id.0, error = %e, "recording the bot decision failed");
        }
        self.apply(job, outcome.decision).await
    }

    async fn apply(&self, job: &Job, decision: BotDecision) -> Result<(), LifecycleError> {
        let stats = self.lifecycle.stats();
        match decision {
            BotDecision::Ignore => Ok(()),
            BotDecision::Reply {
                text,
                intent,
                slots,
            } => {
                if intent.is_some() || !slots.is_empty() {
                    self.lifecycle
                        .store()
                        .set_intent_and_slots(job.conversation_id, intent, slots)
                        .await?;
                }
                match self
                    .lifecycle
                    .send(Author::Bot, job.conversation_id, &text, Vec::new())
                    .await
                {
                    Ok(_) => {
                        Stats::bump(&stats.bot_replies);
                        Ok(())
                    }
                    // An operator took the lead while the bot was thinking: drop the answer.
                    Err(LifecycleError::Conflict(_)) => Ok(()),
                    Err(e) => Err(e),
                }
            }
            BotDecision::Handoff {
                reason,
                context,
                farewell,
            } => {
                // What the bot learned stays on the conversation, where operators (and the bot,
                // if the conversation comes back) find it.
                if context.intent.is_some() || !context.slots.is_empty() {
                    self.lifecycle
                        .store()
                        .set_intent_and_slots(
                            job.conversation_id,
                            context.intent.clone(),
                            context.slots.clone(),
                        )
                        .await?;
                }
                if let Some(text) = farewell {
                    match self
                        .lifecycle
                        .send(Author::Bot, job.conversation_id, &text, Vec::new())
                        .await
                    {
                        Ok(_) | Err(LifecycleError::Conflict(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                match self
                    .lifecycle
                    .set_lead(
                        Author::Bot,
                        job.conversation_id,
                        Lead::Operator,
                        reason,
                        context,
                    )
                    .await
                {
                    Ok(_) => {
                        Stats::bump(&stats.bot_handoffs);
                        Ok(())
                    }
                    Err(LifecycleError::Conflict(_)) => Ok(()),
                    Err(e) => Err(e),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_honours_retry_after() {
        let s = WorkerSettings {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(2),
            ..WorkerSettings::default()
        };
        let within = |d: Duration, ms: u64| {
            let lo = Duration::from_millis(ms * 8 / 10);
            let hi = Duration::from_millis(ms * 12 / 10);
            assert!(d >= lo && d <= hi, "{d:?} not around {ms}ms");
        };
        within(s.backoff(1, None), 100);
        within(s.backoff(2, None), 200);
        within(s.backoff(4, None), 800);
        within(s.backoff(30, None), 2000);
        assert_eq!(
            s.backoff(1, Some(Duration::from_secs(5))),
            Duration::from_secs(5)
        );
    }
}
