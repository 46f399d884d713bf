//! The use cases an operator, a channel or the bot triggers. Each validates its input, makes ONE store
//! call (which is one transaction with its events), and wakes whoever waits for the result.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use frontline_domain::{
    Attachment, Author, Conversation, ConversationId, ConversationStatus, Handoff, HandoffContext,
    HandoffReason, InboundMessage, Lead, LeadChange, Message, MessageId, OperatorId,
    OutboundMessage, ParseError, clean_message_text,
};
use frontline_store::{Ingested, Queued, Store, StoreError};
use tokio::sync::Notify;

#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    #[error(transparent)]
    Invalid(#[from] ParseError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
    /// The knowledge index could not take a change (the store has it; a rebuild will catch up).
    #[error("knowledge index: {0}")]
    Index(String),
}

impl From<StoreError> for LifecycleError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => LifecycleError::NotFound(what),
            StoreError::Conflict(why) => LifecycleError::Conflict(why),
            other => LifecycleError::Store(other),
        }
    }
}

pub type Result<T, E = LifecycleError> = std::result::Result<T, E>;

/// Wake-ups for the tasks that tail the database. They also poll, so a missed wake-up only delays.
#[derive(Debug, Default)]
pub struct Signals {
    /// New events were appended to the event log.
    pub events: Notify,
    /// A delivery job was queued.
    pub deliver: Notify,
    /// A bot job was queued.
    pub bot: Notify,
}

/// Counters for `/metrics`, kept here so the use cases need no metrics library.
#[derive(Debug, Default)]
pub struct Stats {
    pub inbound_received: AtomicU64,
    pub inbound_duplicates: AtomicU64,
    pub outbound_queued: AtomicU64,
    pub outbound_sent: AtomicU64,
    pub outbound_retried: AtomicU64,
    pub outbound_failed: AtomicU64,
    pub bot_replies: AtomicU64,
    pub bot_handoffs: AtomicU64,
}

impl Stats {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The use cases, cheap to clone.
#[derive(Debug, Clone)]
pub struct Lifecycle {
    store: Arc<dyn Store>,
    signals: Arc<Signals>,
    stats: Arc<Stats>,
}

impl Lifecycle {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            signals: Arc::default(),
            stats: Arc::default(),
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn signals(&self) -> &Arc<Signals> {
        &self.signals
    }

    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    fn changed(&self) {
        self.signals.events.notify_one();
    }

    /// A customer wrote. Stored (idempotently on the channel's message id) before this returns; the bot
    /// answers later from its queue.
    pub async fn receive(&self, mut msg: InboundMessage) -> Result<Ingested> {
        msg.text = clean_message_text(&msg.text, !msg.attachments.is_empty())?;
        if msg.external_chat_id.trim().is_empty() {
            return Err(ParseError::new("external_chat_id", "must not be empty").into());
        }
        if msg.external_message_id.trim().is_empty() {
            return Err(ParseError::new("external_message_id", "must not be empty").into());
        }
        if msg.customer.external_id.trim().is_empty() {
            return Err(ParseError::new("customer.external_id", "must not be empty").into());
        }
        let ingested = self.store.ingest_inbound(msg).await?;
        if ingested.new_message {
            Stats::bump(&self.stats.inbound_received);
            self.changed();
        } else {
            Stats::bump(&self.stats.inbound_duplicates);
        }
        if ingested.bot_job {
            self.signals.bot.notify_one();
        }
        Ok(ingested)
    }

    /// An operator replies. In a bot-led conversation this takes the lead first (the store does it in the
    /// same transaction), so the bot never talks over a human.
    pub async fn reply(
        &self,
        operator: OperatorId,
        conversation: ConversationId,
        text: &str,
        attachments: Vec<Attachment>,
    ) -> Result<Queued> {
        self.queue_message(Author::Operator(operator), conversation, text, attachments)
            .await
    }

    /// Queue a message on behalf of `author` for the outbox to deliver.
    pub async fn queue_message(
        &self,
        author: Author,
        conversation: ConversationId,
        text: &str,
        attachments: Vec<Attachment>,
    ) -> Result<Queued> {
        if author == Author::Customer {
            return Err(ParseError::new("author", "customers write through channels").into());
        }
        let text = clean_message_text(text, !attachments.is_empty())?;
        let queued = self
            .store
            .enqueue_outbound(OutboundMessage {
                conversation_id: conversation,
                author,
                text,
                attachments,
            })
            .await?;
        Stats::bump(&self.stats.outbound_queued);
        self.changed();
        self.signals.deliver.notify_one();
        Ok(queued)
    }

    /// Change who leads, recording a handoff with who did it.
    pub async fn set_lead(
        &self,
        actor: Author,
        conversation: ConversationId,
        to: Lead,
        reason: HandoffReason,
        context: HandoffContext,
    ) -> Result<Handoff> {
        let handoff = self
            .store
            .change_lead(LeadChange {
                conversation_id: conversation,
                to,
                reason,
                actor,
                context,
            })
            .await?;
        self.changed();
        Ok(handoff)
    }

    pub async fn assign(
        &self,
        conversation: ConversationId,
        assignee: Option<OperatorId>,
    ) -> Result<Conversation> {
        if let Some(id) = assignee {
            match self.store.operator(id).await? {
                Some(op) if op.active => {}
                _ => return Err(LifecycleError::NotFound("operator")),
            }
        }
        let c = self.store.assign(conversation, assignee).await?;
        self.changed();
        Ok(c)
    }

    pub async fn set_status(
        &self,
        conversation: ConversationId,
        status: ConversationStatus,
    ) -> Result<Conversation> {
        let c = self.store.set_status(conversation, status).await?;
        self.changed();
        Ok(c)
    }

    pub async fn mark_read(&self, conversation: ConversationId) -> Result<Conversation> {
        let c = self.store.mark_read(conversation).await?;
        self.changed();
        Ok(c)
    }

    /// Queue a failed outbound message again.
    pub async fn retry_message(&self, message: MessageId) -> Result<Message> {
        let m = self.store.retry_message(message).await?;
        self.changed();
        self.signals.deliver.notify_one();
        Ok(m)
    }
}
