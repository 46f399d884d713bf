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
    /// Show `m` as the last message unless a newer one is shown already (history can arrive out of
    /// order; on equal times the later write wins).
    pub fn show_message(&mut self, m: &Message) {
        if self
            .last_message
            .as_ref()
            .is_some_and(|l| l.at > m.created_at)
        {
            return;
        }
        self.last_message = Some(MessagePreview {
            message_id: m.id,
            text: preview_text(&m.text, &m.attachments),
            direction: m.direction,
            at: m.created_at,
        });
    }

    /// When the conversation was last active: its last message's time, or its creation. Lists are
    /// ordered by it.
    pub fn activity(&self) -> Timestamp {
        self.last_message.as_ref().map_or(self.created_at, |m| m.at)
    }

    /// A customer wrote `m`: it is shown, counts as unread, and reopens a resolved conversation.
    pub fn receive(&mut self, m: &Message, now: Timestamp) {
        self.show_message(m);
        self.unread_count += 1;
        self.status = ConversationStatus::Open;
        self.updated_at = now;
    }

    /// The channel sent the listing again: the same item fills in what it now tells us, another item
    /// replaces it.
    pub fn update_listing(&mut self, new: Listing) {
        self.listing = Some(match self.listing.take() {
            Some(old) if old.external_id == new.external_id => Listing {
                external_id: new.external_id,
                title: new.title.or(old.title),
                price: new.price.or(old.price),
                url: new.url.or(old.url),
                image_url: new.image_url.or(old.image_url),
            },
            _ => new,
        });
    }

    /// Apply a checked lead change (see [`Conversation::check_lead_change`]): the new lead, and who is
    /// responsible — whoever takes the lead themselves also picks the conversation up unless someone
    /// has; back to the bot, nobody is.
    pub fn change_lead(&mut self, change: &LeadChange, now: Timestamp) {
        self.lead = change.to;
        match change.to {
            Lead::Operator => {
                if self.assignee.is_none() {
                    self.assignee = change.actor.operator_id();
                }
            }
            Lead::Bot => self.assignee = None,
        }
        self.updated_at = now;
    }

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

    fn message_at(at: i64, text: &str) -> Message {
        Message {
            id: MessageId(at),
            conversation_id: ConversationId(1),
            account_id: AccountId(1),
            direction: Direction::In,
            author: Author::Customer,
            text: text.into(),
            attachments: Vec::new(),
            quote: None,
            link: None,
            external_id: None,
            status: DeliveryStatus::Delivered,
            error: None,
            created_at: Timestamp(at),
        }
    }

    #[test]
    fn an_older_message_does_not_replace_the_newer_one_shown() {
        let mut c = conv(Lead::Bot);
        c.show_message(&message_at(20, "новое"));
        c.show_message(&message_at(10, "старое"));
        assert_eq!(c.last_message.as_ref().unwrap().text, "новое");
        c.show_message(&message_at(20, "тогда же"));
        assert_eq!(c.last_message.as_ref().unwrap().text, "тогда же");
    }

    #[test]
    fn a_customer_message_counts_as_unread_and_reopens() {
        let mut c = conv(Lead::Bot);
        c.status = ConversationStatus::Resolved;
        c.receive(&message_at(5, "алло"), Timestamp(6));
        assert_eq!((c.unread_count, c.status), (1, ConversationStatus::Open));
        assert_eq!(c.updated_at, Timestamp(6));
    }

    #[test]
    fn a_listing_sent_again_fills_in_or_replaces() {
        let mut c = conv(Lead::Bot);
        let old = Listing {
            external_id: "1".into(),
            title: Some("Диван".into()),
            price: Some("10 000 ₽".into()),
            url: None,
            image_url: None,
        };
        c.update_listing(old.clone());
        c.update_listing(Listing {
            external_id: "1".into(),
            url: Some("https://x/1".into()),
            ..Listing::default()
        });
        let merged = c.listing.clone().unwrap();
        assert_eq!(merged.title.as_deref(), Some("Диван"));
        assert_eq!(merged.url.as_deref(), Some("https://x/1"));
        let other = Listing {
            external_id: "2".into(),
            ..Listing::default()
        };
        c.update_listing(other.clone());
        assert_eq!(c.listing, Some(other));
    }

    #[test]
    fn taking_the_lead_picks_the_conversation_up_and_the_bot_drops_it() {
        let op = Author::Operator(OperatorId(7));
        let mut c = conv(Lead::Bot);
        let to_operator = c.takeover_by(op).unwrap();
        c.change_lead(&to_operator, Timestamp(9));
        assert_eq!((c.lead, c.assignee), (Lead::Operator, Some(OperatorId(7))));
        let mut back = to_operator.clone();
        back.to = Lead::Bot;
        c.change_lead(&back, Timestamp(10));
        assert_eq!((c.lead, c.assignee), (Lead::Bot, None));
        // The bot handing over leaves the assignee to whoever picks it up.
        let by_bot = LeadChange {
            actor: Author::Bot,
            ..to_operator
        };
        c.change_lead(&by_bot, Timestamp(11));
        assert_eq!((c.lead, c.assignee), (Lead::Operator, None));
    }
}
