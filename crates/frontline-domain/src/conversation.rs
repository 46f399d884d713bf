//! Conversations: who leads them (the bot or an operator), what the bot understood, and the rules for changing the lead.

use std::collections::BTreeMap;

use crate::*;

string_enum!(
    /// Who leads a conversation: the bot answers, or a human operator does.
    Lead { Bot => "bot", Operator => "operator" }
);

string_enum!(
    ConversationStatus { Open => "open", Resolved => "resolved" }
);

/// Values the bot (or an operator) collected in a conversation: `order_number -> "123456"`.
pub type Slots = BTreeMap<String, String>;

/// The listing (item) a conversation is about, as marketplaces like Avito attach it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    pub external_id: String,
    pub title: Option<String>,
    pub price: Option<String>,
    pub url: Option<String>,
    pub image_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conversation {
    pub id: ConversationId,
    pub account_id: AccountId,
    pub customer_id: CustomerId,
    /// The channel's id for this chat; unique per account.
    pub external_chat_id: String,
    pub listing: Option<Listing>,
    pub lead: Lead,
    pub assignee: Option<OperatorId>,
    pub status: ConversationStatus,
    pub intent: Option<String>,
    pub slots: Slots,
    /// Customer messages since an operator last marked the conversation read.
    pub unread_count: i64,
    pub last_message: Option<MessagePreview>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Denormalised last message, so that the list needs no join per row.
#[derive(Debug, Clone, PartialEq)]
pub struct MessagePreview {
    pub message_id: MessageId,
    pub text: String,
    pub direction: Direction,
    pub at: Timestamp,
}

/// A conversation with what a list row or a header needs about its surroundings.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationView {
    pub conversation: Conversation,
    pub customer: Customer,
    pub account_name: String,
    pub account_kind: AccountKind,
    pub assignee_name: Option<String>,
}

impl Conversation {
    /// Check that `change` is a real change of lead for this conversation.
    pub fn check_lead_change(&self, to: Lead) -> Result<(), LeadError> {
        if self.lead == to {
            return Err(LeadError::Unchanged(to));
        }
        Ok(())
    }

    /// Whether `author` may write into this conversation now: the bot never writes into a conversation
    /// that an operator leads (it may have taken over while the bot was composing its answer).
    pub fn check_may_write(&self, author: Author) -> Result<(), LeadError> {
        match (author, self.lead) {
            (Author::Bot, Lead::Operator) => Err(LeadError::OperatorLeads),
            _ => Ok(()),
        }
    }

    /// Whether a message by `author` must first take the lead: a person writing into a bot-led
    /// conversation takes it over, so the bot never talks over a human. An operator carries the bot's
    /// understanding along; a person answering from the channel's own app is outside frontline and
    /// hands over no context.
    pub fn takeover_by(&self, author: Author) -> Option<LeadChange> {
        match (self.lead, author) {
            (Lead::Bot, Author::External) => Some(LeadChange {
                conversation_id: self.id,
                to: Lead::Operator,
                reason: HandoffReason::ExternalReply,
                actor: author,
                context: HandoffContext::default(),
            }),
            (Lead::Bot, Author::Operator(_)) => Some(LeadChange {
                conversation_id: self.id,
                to: Lead::Operator,
                reason: HandoffReason::OperatorReplied,
                actor: author,
                context: HandoffContext {
                    intent: self.intent.clone(),
                    slots: self.slots.clone(),
                    ..HandoffContext::default()
                },
            }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeadError {
    #[error("the conversation is already led by the {0}")]
    Unchanged(Lead),
    #[error("an operator leads the conversation; the bot may not write into it")]
    OperatorLeads,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(lead: Lead) -> Conversation {
        Conversation {
            id: ConversationId(1),
            account_id: AccountId(1),
            customer_id: CustomerId(1),
            external_chat_id: "c".into(),
            listing: None,
            lead,
            assignee: None,
            status: ConversationStatus::Open,
            intent: Some("order_status".into()),
            slots: Slots::from([("order_number".into(), "123".into())]),
            unread_count: 0,
            last_message: None,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    #[test]
    fn operator_reply_takes_the_lead_from_the_bot() {
        let op = Author::Operator(OperatorId(7));
        let change = conv(Lead::Bot).takeover_by(op).unwrap();
        assert_eq!(change.to, Lead::Operator);
        assert_eq!(change.reason, HandoffReason::OperatorReplied);
        assert_eq!(change.context.slots["order_number"], "123");
        assert!(conv(Lead::Operator).takeover_by(op).is_none());
        assert!(conv(Lead::Bot).takeover_by(Author::Bot).is_none());
    }

    #[test]
    fn an_answer_from_the_channel_app_takes_the_lead_without_context() {
        let change = conv(Lead::Bot).takeover_by(Author::External).unwrap();
        assert_eq!(change.to, Lead::Operator);
        assert_eq!(change.reason, HandoffReason::ExternalReply);
        assert_eq!(change.actor, Author::External);
        assert_eq!(change.context, HandoffContext::default());
        assert!(conv(Lead::Operator).takeover_by(Author::External).is_none());
        assert_eq!(Author::External.direction(), Direction::Out);
    }

    #[test]
    fn the_bot_never_writes_into_an_operator_led_conversation() {
        assert_eq!(
            conv(Lead::Operator).check_may_write(Author::Bot),
            Err(LeadError::OperatorLeads)
        );
        assert!(conv(Lead::Bot).check_may_write(Author::Bot).is_ok());
        let op = Author::Operator(OperatorId(1));
        assert!(conv(Lead::Operator).check_may_write(op).is_ok());
        assert!(conv(Lead::Bot).check_may_write(op).is_ok());
    }

    #[test]
    fn lead_change_must_change() {
        assert!(conv(Lead::Bot).check_lead_change(Lead::Bot).is_err());
        assert!(conv(Lead::Bot).check_lead_change(Lead::Operator).is_ok());
    }
}
