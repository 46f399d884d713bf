//! What the lifecycle needs from the outside: a bot that decides, channels that deliver, and the
//! knowledge index that follows the stored articles.

use std::{collections::HashMap, sync::Arc, time::Duration};

use async_trait::async_trait;
use frontline_domain::{
    Account, AccountKind, ConversationView, DecisionAction, DecisionRecord, DecisionStage,
    FlowChange, HandoffContext, HandoffReason, Integration, KbArticle, Message, Slots, WorkflowId,
};

/// Everything the bot may look at when a customer writes. The worker loads all of it, so the bot
/// itself reads no store: it is a pure function of this input (plus the HTTP calls a workflow's
/// Action nodes and the language model make through their own ports).
#[derive(Debug, Clone)]
pub struct BotInput {
    pub conversation: ConversationView,
    /// The customer's message to answer.
    pub message: Message,
    /// Recent history of the conversation, oldest first, including `message`.
    pub history: Vec<Message>,
    /// The bot's recent decisions in this conversation, oldest first: how many clarifying
    /// questions in a row were asked, which value is awaited.
    pub recent_decisions: Vec<DecisionRecord>,
    /// The workflow the conversation runs on, when its account chose one that is published.
    pub workflow: Option<WorkflowInput>,
}

/// A workflow version to run one message through, and where the conversation stands in it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowInput {
    pub workflow_id: WorkflowId,
    /// The version the conversation runs: the one it started on, or the published one.
    pub version: i32,
    /// That version's document (JSON).
    pub document: String,
    /// The interpreter's stored state when the conversation is mid-way through this workflow.
    pub state: Option<String>,
    /// What the workflow's Action nodes may call (base URLs and secret headers).
    pub integrations: Vec<Integration>,
}

/// The bot's decision for one customer message.
#[derive(Debug, Clone, PartialEq)]
pub enum BotDecision {
    /// Answer the customer (the conversation stays with the bot).
    Reply {
        text: String,
        intent: Option<String>,
        slots: Slots,
    },
    /// Hand the conversation to operators, optionally saying something to the customer first.
    Handoff {
        reason: HandoffReason,
        context: HandoffContext,
        farewell: Option<String>,
    },
    /// Nothing to do (e.g. the message carried nothing to answer).
    Ignore,
}

/// How the bot arrived at a decision, recorded for analytics and debugging (the worker adds the
/// conversation, message, reason and latency).
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionTrace {
    pub action: DecisionAction,
    pub stage: Option<DecisionStage>,
    pub intent: Option<String>,
    pub confidence: Option<f32>,
    pub article_ids: Vec<String>,
    pub note: Option<String>,
    /// A workflow's steps as JSON, when one decided.
    pub steps: Option<String>,
}

impl DecisionTrace {
    pub fn new(action: DecisionAction, stage: Option<DecisionStage>) -> Self {
        Self {
            action,
            stage,
            intent: None,
            confidence: None,
            article_ids: Vec::new(),
            note: None,
            steps: None,
        }
    }
}

/// A decision with its trace and what it does to the conversation's place in its workflow; the
/// worker applies all of it in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct BotOutcome {
    pub decision: BotDecision,
    pub trace: DecisionTrace,
    pub flow: FlowChange,
}

/// The dialog engine as the lifecycle sees it.
#[async_trait]
pub trait Bot: Send + Sync + std::fmt::Debug + 'static {
    async fn decide(&self, input: BotInput) -> BotOutcome;
}

/// The bot used when none is configured: every bot-led conversation goes straight to operators.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoBot;

#[async_trait]
impl Bot for NoBot {
    async fn decide(&self, input: BotInput) -> BotOutcome {
        BotOutcome {
            decision: BotDecision::Handoff {
                reason: HandoffReason::NoBot,
                context: HandoffContext {
                    intent: input.conversation.conversation.intent.clone(),
                    summary: None,
                    slots: input.conversation.conversation.slots.clone(),
                    briefing: Some("Бот не настроен: диалог сразу передан операторам.".into()),
                },
                farewell: None,
            },
            trace: DecisionTrace::new(DecisionAction::Handoff, None),
            flow: FlowChange::Keep,
        }
    }
}

/// One outbound message with everything a channel needs to deliver it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub account: Account,
    pub conversation: ConversationView,
    pub message: Message,
    /// Display name of the operator who wrote it, when one did.
    pub operator_name: Option<String>,
    /// 1 on the first attempt. A later attempt may follow one that reached the channel without its
    /// answer reaching us (a crash, a lost response): channels that can look should check before
    /// sending again.
    pub attempt: i32,
}

/// What the channel said about a delivered message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sent {
    /// The channel's id for the message, when it gives one.
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (timeouts, 5xx, 429). `retry_after` is the channel's own hint.
    #[error("temporary failure: {reason}")]
    Retryable {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Trying again cannot help (4xx, misconfiguration).
    #[error("permanent failure: {reason}")]
    Permanent { reason: String },
}

/// A channel adapter's sending side.
#[async_trait]
pub trait ChannelSender: Send + Sync + std::fmt::Debug + 'static {
    async fn deliver(&self, delivery: &Delivery) -> Result<Sent, SendError>;
}

/// The channel adapters by account kind.
#[derive(Debug, Clone, Default)]
pub struct Channels {
    senders: HashMap<AccountKind, Arc<dyn ChannelSender>>,
}

impl Channels {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, kind: AccountKind, sender: Arc<dyn ChannelSender>) -> Self {
        self.senders.insert(kind, sender);
        self
    }

    pub fn sender(&self, kind: AccountKind) -> Option<&Arc<dyn ChannelSender>> {
        self.senders.get(&kind)
    }
}

/// Retrains the bot when its configuration is published.
#[async_trait]
pub trait BotTrainer: Send + Sync + std::fmt::Debug + 'static {
    /// Trains the classifier of `version`'s document and puts it in service once ready (the bot in
    /// service answers until then, and an older version never replaces a newer one); then
    /// measures it and returns the figures to record with the version, as JSON.
    async fn train(&self, version: i32, document: &str) -> Result<String, String>;
}

/// The search index the bot answers from. The admin use cases tell it about every committed change
/// of an article, so it never lags behind what this process wrote; `reload` rebuilds it whole.
pub trait KnowledgeIndex: Send + Sync + std::fmt::Debug + 'static {
    fn article_saved(&self, article: &KbArticle) -> Result<(), String>;
    fn article_deleted(&self, key: &str) -> Result<(), String>;
    fn reload(&self, articles: &[KbArticle]) -> Result<(), String>;
}

/// For a process without a bot: there is nothing to keep in step.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoIndex;

impl KnowledgeIndex for NoIndex {
    fn article_saved(&self, _: &KbArticle) -> Result<(), String> {
        Ok(())
    }
    fn article_deleted(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
    fn reload(&self, _: &[KbArticle]) -> Result<(), String> {
        Ok(())
    }
}
