//! Background workers that drain the durable job queues: the outbox (deliver outbound messages through
//! their channel, retrying with exponential backoff) and the bot queue (let the bot answer or hand off).
//!
//! Both follow the same loop: claim due jobs with a lease, process them (jobs of one conversation in
//! order, different conversations concurrently), then sleep until the next job is due, a wake-up signal
//! arrives, or the poll interval passes. A job whose worker died comes back when its lease expires, which
//! is what makes the queues survive restarts.
//!
//! A bot turn reads everything the bot needs first (history, recent decisions, the workflow version
//! and flow state), lets the bot decide without touching the store, and then applies the whole
//! outcome — decision, what it learned, reply, handoff, flow state, and the job itself — with ONE
//! store call in one transaction. A crash at any point leaves either the whole turn or none of it,
//! and a turn is never applied twice: the job's deletion is part of it.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use frontline_domain::{
    Author, DecisionAction, DecisionStage, FlowChange, HandoffContext, HandoffReason, Lead,
    NewDecisionRecord, OperatorId, Slots, Timestamp, flow_position,
};
use frontline_store::{BotTurn, Job, JobKind, Learned, Store};
use tokio::{task::JoinSet, time::sleep};
use tokio_util::sync::CancellationToken;
use tracing::{debug, error, info, warn};

use crate::{
    Backoff, Bot, BotDecision, BotInput, BotOutcome, Channels, DecisionTrace, Delivery, Lifecycle,
    LifecycleError, SendError, Stats, WorkflowInput,
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
    /// The retry schedule of both queues; a channel's own `Retry-After` wins when longer.
    pub fn backoff(&self) -> Backoff {
        Backoff::new(self.backoff_base, self.backoff_max)
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
            Some(sender) => sender.deliver(&delivery).await,
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
                let delay = self.settings.backoff().delay(attempt(&job), retry_after);
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

/// What became of a bot job.
enum Turn {
    /// Applied (or nothing to do): the job is finished.
    Done,
    /// Nothing to answer any more (the message or conversation is gone, a person leads): finish the
    /// job without a decision.
    Skip,
}

impl BotRunner {
    async fn answer(&self, job: Job) {
        let store = self.lifecycle.store().clone();
        match self.try_answer(&job).await {
            Ok(Turn::Done) => {}
            Ok(Turn::Skip) => {
                if let Err(e) = store.complete_job(job.id).await {
                    error!(job = job.id.0, error = %e, "completing bot job failed");
                }
            }
            // Another worker finished this turn after our lease ran out: it is applied once, by them.
            Err(LifecycleError::Conflict(why)) => {
                debug!(job = job.id.0, %why, "bot turn already applied elsewhere")
            }
            Err(e) if job.attempts < self.settings.max_attempts => {
                let delay = self.settings.backoff().delay(attempt(&job), None);
                warn!(job = job.id.0, error = %e, "bot job failed, will retry");
                let _ = store
                    .retry_job(job.id, Timestamp::now().plus(delay), &e.to_string())
                    .await;
            }
            Err(e) => {
                // Never leave a customer without an answer: give the conversation to a person, with
                // a decision saying why, in the same one transaction as any turn.
                error!(job = job.id.0, error = %e, "bot job failed for good, handing off");
                let why = format!("the bot failed: {e}");
                let outcome = BotOutcome {
                    decision: BotDecision::Handoff {
                        reason: HandoffReason::BotError,
                        context: HandoffContext {
                            summary: Some(why.clone()),
                            ..HandoffContext::default()
                        },
                        farewell: None,
                    },
                    trace: DecisionTrace {
                        note: Some(why),
                        ..DecisionTrace::new(DecisionAction::Handoff, Some(DecisionStage::Timeout))
                    },
                    flow: FlowChange::Keep,
                };
                if let Err(e) = self.apply(&job, outcome, Duration::ZERO).await {
                    error!(job = job.id.0, error = %e, "handing off after the bot failed also failed");
                }
            }
        }
    }

    /// Everything the bot needs, read before it decides: the conversation, the message, recent
    /// history and decisions, and the workflow version the conversation runs on.
    async fn input(&self, job: &Job) -> Result<Option<BotInput>, LifecycleError> {
        let store = self.lifecycle.store();
        let Some(conversation) = store.conversation(job.conversation_id).await? else {
            return Ok(None);
        };
        if conversation.conversation.lead != Lead::Bot {
            // A person took over after the message arrived: the bot stays quiet.
            return Ok(None);
        }
        let Some(message) = store.message(job.message_id).await? else {
            return Ok(None);
        };
        let history = store
            .list_messages(job.conversation_id, None, self.settings.bot_history)
            .await?;
        let recent_decisions = store
            .list_decisions(job.conversation_id, self.settings.bot_history)
            .await?;
        let workflow = self.workflow(&conversation).await?;
        Ok(Some(BotInput {
            conversation,
            message,
            history,
            recent_decisions,
            workflow,
        }))
    }

    /// The workflow version the conversation runs on: the one it stands in, or its account's
    /// published one (see `frontline_domain::flow_position`).
    async fn workflow(
        &self,
        view: &frontline_domain::ConversationView,
    ) -> Result<Option<WorkflowInput>, LifecycleError> {
        let store = self.lifecycle.store();
        let conversation = &view.conversation;
        let Some(id) = store.account_workflow(conversation.account_id).await? else {
            return Ok(None);
        };
        let Some(workflow) = store.workflow(id).await? else {
            return Ok(None);
        };
        let stored = store.flow_state(conversation.id).await?;
        let Some((version, state)) = flow_position(&workflow, stored.as_ref()) else {
            return Ok(None);
        };
        let Some(v) = store.workflow_version(id, version).await? else {
            return Ok(None);
        };
        Ok(Some(WorkflowInput {
            workflow_id: id,
            version,
            document: v.document,
            state: state.map(str::to_owned),
            integrations: store.list_integrations().await?,
        }))
    }

    async fn try_answer(&self, job: &Job) -> Result<Turn, LifecycleError> {
        let Some(input) = self.input(job).await? else {
            return Ok(Turn::Skip);
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
                    flow: FlowChange::Keep,
                },
            };
        self.apply(job, outcome, started.elapsed()).await?;
        Ok(Turn::Done)
    }

    /// Apply the bot's outcome in one transaction: its decision, what it learned, its reply or
    /// farewell, its handoff and its flow state, and the bot job finished with them.
    async fn apply(
        &self,
        job: &Job,
        outcome: BotOutcome,
        latency: Duration,
    ) -> Result<(), LifecycleError> {
        let BotOutcome {
            decision,
            trace,
            flow,
        } = outcome;
        let record = NewDecisionRecord {
            conversation_id: job.conversation_id,
            message_id: job.message_id,
            action: trace.action,
            stage: trace.stage,
            intent: trace.intent,
            confidence: trace.confidence,
            reason: match &decision {
                BotDecision::Handoff { reason, .. } => Some(*reason),
                _ => None,
            },
            article_ids: trace.article_ids,
            latency_us: i64::try_from(latency.as_micros()).unwrap_or(i64::MAX),
            note: trace.note,
            trace: trace.steps,
        };
        let learned = |intent: Option<String>, slots: Slots| {
            // What the bot learned stays on the conversation, where operators (and the bot, if the
            // conversation comes back) find it.
            (intent.is_some() || !slots.is_empty()).then_some(Learned { intent, slots })
        };
        let turn = match decision {
            BotDecision::Ignore => BotTurn {
                job: job.id,
                decision: record,
                learned: None,
                reply: None,
                handoff: None,
                flow,
            },
            BotDecision::Reply {
                text,
                intent,
                slots,
            } => BotTurn {
                job: job.id,
                decision: record,
                learned: learned(intent, slots),
                reply: Some(text),
                handoff: None,
                flow,
            },
            BotDecision::Handoff {
                reason,
                context,
                farewell,
            } => BotTurn {
                job: job.id,
                decision: record,
                learned: learned(context.intent.clone(), context.slots.clone()),
                reply: farewell,
                handoff: Some((reason, context)),
                flow,
            },
        };
        let applied = self.lifecycle.store().apply_bot_turn(turn).await?;
        let stats = self.lifecycle.stats();
        if applied.handoff.is_some() {
            Stats::bump(&stats.bot_handoffs);
        } else if applied.reply.is_some() {
            Stats::bump(&stats.bot_replies);
        }
        if applied.reply.is_some() {
            Stats::bump(&stats.outbound_queued);
            self.lifecycle.signals().deliver.notify_one();
        }
        self.lifecycle.signals().events.notify_one();
        Ok(())
    }
}

/// The job's attempts so far as a retry number.
fn attempt(job: &Job) -> u32 {
    u32::try_from(job.attempts).unwrap_or(1)
}
