//! What the bot decided: one record per customer message it handled, with the stage that settled
//! it, its confidence and a trace, for debugging and analytics.

use crate::{ConversationId, HandoffReason, MessageId, Timestamp};

string_enum!(
    /// What the bot did with one customer message.
    DecisionAction {
        Answer => "answer",
        /// Asked for a value the answer needs (an order number).
        AskSlot => "ask_slot",
        Clarify => "clarify",
        Handoff => "handoff",
        /// Said what it can help with: the message was out of scope.
        Fallback => "fallback",
        Ignore => "ignore",
    }
);

string_enum!(
    /// Which part of the engine settled the decision.
    DecisionStage {
        /// The customer asked for a person.
        Human => "human",
        Trigger => "trigger",
        Classifier => "classifier",
        Llm => "llm",
        /// The knowledge base answered (a fragment or a grounded LLM answer).
        Knowledge => "knowledge",
        /// No stage was sure; the policy chose (clarify, fallback, handoff by count).
        Policy => "policy",
        /// The bot did not decide in time or failed.
        Timeout => "timeout",
        /// A published workflow ran the message (the note names the nodes it passed).
        Workflow => "workflow",
    }
);

crate::ids::id_type!(
    /// One recorded bot decision.
    DecisionId
);

/// A bot decision to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDecisionRecord {
    pub conversation_id: ConversationId,
    /// The customer message decided upon.
    pub message_id: MessageId,
    pub action: DecisionAction,
    pub stage: Option<DecisionStage>,
    pub intent: Option<String>,
    /// The calibrated confidence of the deciding stage, in `[0, 1]`.
    pub confidence: Option<f32>,
    /// Set when `action` is a handoff.
    pub reason: Option<HandoffReason>,
    /// Knowledge-base articles the answer came from.
    pub article_ids: Vec<String>,
    /// Time the engine spent deciding, in microseconds.
    pub latency_us: i64,
    /// A short free-text explanation for debugging ("llm timed out", "slot order_number missing").
    pub note: Option<String>,
    /// When a workflow decided: its steps as a JSON array (node id, type, inputs, outputs, µs).
    pub trace: Option<String>,
}

/// A recorded bot decision.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRecord {
    pub id: DecisionId,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub action: DecisionAction,
    pub stage: Option<DecisionStage>,
    pub intent: Option<String>,
    pub confidence: Option<f32>,
    pub reason: Option<HandoffReason>,
    pub article_ids: Vec<String>,
    pub latency_us: i64,
    pub note: Option<String>,
    /// See [`NewDecisionRecord::trace`].
    pub trace: Option<String>,
    pub created_at: Timestamp,
}

/// Decisions since some time, grouped by intent and action.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionCount {
    pub intent: Option<String>,
    pub action: DecisionAction,
    pub count: i64,
}
