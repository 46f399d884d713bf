//! Handoffs: a change of who leads a conversation, why, and the context that travels with it.

use crate::*;

string_enum!(
    /// Why the lead of a conversation changed.
    HandoffReason {
        NoBot => "no_bot",
        LowConfidence => "low_confidence",
        CustomerAsked => "customer_asked",
        TopicPolicy => "topic_policy",
        ActionFailed => "action_failed",
        RepeatedClarify => "repeated_clarify",
        /// The customer reads as upset (angry, repeating themselves, damaged goods) or in a
        /// hurry, in whatever words: [`HandoffContext::briefing`] says which.
        CustomerUpset => "customer_upset",
        LlmUnavailable => "llm_unavailable",
        BotError => "bot_error",
        /// An operator pressed the toggle.
        Manual => "manual",
        /// An operator replied in a bot-led conversation and so took the lead.
        OperatorReplied => "operator_replied",
        /// A person answered from the channel's own app (e.g. Avito), outside frontline.
        ExternalReply => "external_reply",
    }
);

/// A change of who leads a conversation, with the context that travels with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Handoff {
    pub id: HandoffId,
    pub conversation_id: ConversationId,
    pub from: Lead,
    pub to: Lead,
    pub reason: HandoffReason,
    pub actor: Author,
    pub context: HandoffContext,
    pub created_at: Timestamp,
}

/// What the side taking over should know. Filled by the bot on bot → operator handoffs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HandoffContext {
    pub intent: Option<String>,
    pub summary: Option<String>,
    pub slots: Slots,
    pub briefing: Option<String>,
}

/// A request to change the lead.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadChange {
    pub conversation_id: ConversationId,
    pub to: Lead,
    pub reason: HandoffReason,
    pub actor: Author,
    pub context: HandoffContext,
}
