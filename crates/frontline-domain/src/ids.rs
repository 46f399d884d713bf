//! Typed identifiers. Every entity has its own id type so that a message id can never be passed where a
//! conversation id is expected. Ids are 64-bit integers assigned by the store, increasing with insertion.

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}
pub(crate) use id_type;

id_type!(
    /// A connected channel account: an Avito profile, an API channel, a phone line.
    AccountId
);
id_type!(
    /// A customer, unique per account and external id.
    CustomerId
);
id_type!(
    /// A conversation with one customer on one account.
    ConversationId
);
id_type!(
    /// A message in a conversation.
    MessageId
);
id_type!(
    /// A human operator (or admin) of the messenger.
    OperatorId
);
id_type!(
    /// A recorded change of who leads a conversation.
    HandoffId
);
id_type!(
    /// A quick-reply template.
    QuickReplyId
);
id_type!(
    /// A stored file (an image a channel sent, an attachment an operator uploaded), served by id.
    MediaId
);

/// Position of an event in the durable event log. Strictly increasing in commit order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Seq(pub i64);

impl std::fmt::Display for Seq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
