//! The durable event log's entries: what changed, in commit order.

use crate::*;

string_enum!(
    /// What happened, as recorded in the durable event log.
    EventKind {
        MessageCreated => "message.created",
        MessageUpdated => "message.updated",
        ConversationCreated => "conversation.created",
        ConversationUpdated => "conversation.updated",
        LeadChanged => "conversation.lead_changed",
        Assigned => "conversation.assigned",
    }
);

/// One entry of the durable event log. It names what changed; readers load the current state.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub seq: Seq,
    pub kind: EventKind,
    pub conversation_id: ConversationId,
    pub message_id: Option<MessageId>,
    pub handoff_id: Option<HandoffId>,
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_enums_round_trip() {
        for l in Lead::ALL {
            assert_eq!(Lead::parse(l.as_str()).unwrap(), *l);
        }
        for r in HandoffReason::ALL {
            assert_eq!(HandoffReason::parse(r.as_str()).unwrap(), *r);
        }
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()).unwrap(), *k);
        }
        assert!(Lead::parse("robot").is_err());
    }
}
