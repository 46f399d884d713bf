//! What the bot decided, and applying a bot turn: the decision, what it learned, its reply, its
//! handoff and its place in a workflow, all in ONE transaction.

use async_trait::async_trait;
use frontline_domain::{
    Conversation, ConversationId, DecisionCount, DecisionRecord, FlowChange, Handoff,
    HandoffContext, HandoffReason, Message, NewDecisionRecord, Slots, Timestamp,
};

use crate::*;

/// Everything one bot turn changes, applied by [`DecisionStore::apply_bot_turn`] in ONE transaction:
/// a crash leaves either all of it or none of it, and the bot job is finished with it, so a turn is
/// never applied twice.
#[derive(Debug, Clone, PartialEq)]
pub struct BotTurn {
    /// The bot job this turn answers (its message is `decision.message_id`).
    pub job: JobId,
    /// What the bot decided and why (conversation, message, stage, confidence, trace, latency).
    pub decision: NewDecisionRecord,
    /// What the bot understood, to keep on the conversation; `None` leaves intent and slots alone.
    pub learned: Option<Learned>,
    /// A message for the customer: the answer, or what the bot says before handing off.
    pub reply: Option<String>,
    /// Hand the conversation to the operators, with the context they need.
    pub handoff: Option<(HandoffReason, HandoffContext)>,
    /// The conversation's place in its workflow.
    pub flow: FlowChange,
}

/// The intent and values the bot understood.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Learned {
    pub intent: Option<String>,
    pub slots: Slots,
}

/// What [`DecisionStore::apply_bot_turn`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct BotTurnApplied {
    pub decision: DecisionRecord,
    /// The conversation after the turn.
    pub conversation: Conversation,
    /// The reply queued for delivery.
    pub reply: Option<Message>,
    pub handoff: Option<Handoff>,
    /// `true` when a person had taken the lead before the turn committed: its reply and handoff were
    /// dropped (the bot never talks over a human); the decision, what it learned and the flow state
    /// were still kept.
    pub overtaken: bool,
}

/// Bot turns and their recorded decisions.
#[async_trait]
pub trait DecisionStore: Send + Sync {
    /// Apply one bot turn, all or nothing, in ONE transaction:
    ///
    /// 1. finish the bot job `job` — `Conflict` when it is no longer there (another worker finished
    ///    this turn after the first one's lease ran out), and then nothing else happens;
    /// 2. record the decision (`NotFound("conversation")` when it is gone);
    /// 3. keep what it learned on the conversation (event `conversation.updated`);
    /// 4. when the conversation is still bot-led: queue the reply as a bot message with its delivery
    ///    job (events `message.created`, `conversation.updated`) and then hand the conversation to the
    ///    operators with the reason and context (actor bot; event `conversation.lead_changed`); when
    ///    a person leads it by now, drop both and report `overtaken`;
    /// 5. save or clear the flow state (`NotFound("workflow")` for an unknown workflow).
    ///
    /// Any failure rolls all of it back: the job stays leased and comes back when its lease expires.
    async fn apply_bot_turn(&self, turn: BotTurn) -> Result<BotTurnApplied>;

    /// The newest `limit` decisions of a conversation, returned oldest first.
    async fn list_decisions(
        &self,
        conversation: ConversationId,
        limit: usize,
    ) -> Result<Vec<DecisionRecord>>;

    /// Decisions created at or after `since`, counted by intent and action; ordered by intent
    /// (no intent first) then action name.
    async fn decision_counts(&self, since: Timestamp) -> Result<Vec<DecisionCount>>;
}
