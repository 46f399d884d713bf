//! Entities of first-line support and the invariants between them.

use std::collections::BTreeMap;

use crate::{
    AccountId, ConversationId, CustomerId, HandoffId, MediaId, MessageId, OperatorId, ParseError,
    QuickReplyId, Seq, Timestamp,
};

/// Values the bot (or an operator) collected in a conversation: `order_number -> "123456"`.
pub type Slots = BTreeMap<String, String>;

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Result<Self, ParseError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(ParseError::new(stringify!($name), format!("unknown value `{other}`"))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// The kind of channel an account connects.
    AccountKind { Api => "api", Avito => "avito", Voice => "voice" }
);
string_enum!(
    /// Who leads a conversation: the bot answers, or a human operator does.
    Lead { Bot => "bot", Operator => "operator" }
);
string_enum!(
    ConversationStatus { Open => "open", Resolved => "resolved" }
);
string_enum!(
    Direction { In => "in", Out => "out" }
);
string_enum!(
    /// Delivery state of a message. Inbound messages are `delivered` (to us) as soon as they are stored.
    DeliveryStatus { Queued => "queued", Sent => "sent", Delivered => "delivered", Read => "read", Failed => "failed" }
);
string_enum!(
    AttachmentKind { Image => "image", File => "file", Voice => "voice", Video => "video", Other => "other" }
);
string_enum!(
    Role { Admin => "admin", Operator => "operator" }
);
string_enum!(
    /// Why the lead of a conversation changed.
    HandoffReason {
        NoBot => "no_bot",
        LowConfidence => "low_confidence",
        CustomerAsked => "customer_asked",
        TopicPolicy => "topic_policy",
        ActionFailed => "action_failed",
        RepeatedClarify => "repeated_clarify",
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

/// A connected channel account.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: AccountId,
    pub kind: AccountKind,
    pub name: String,
    pub enabled: bool,
    /// Where outbound messages of an `api` account are POSTed.
    pub callback_url: Option<String>,
    /// SHA-256 (hex) of the inbound bearer token of an `api` account; the token itself is shown once.
    pub inbound_token_hash: Option<String>,
    /// The channel's settings as JSON text (an Avito profile's user id, …): not secret, owned and
    /// parsed by the channel module.
    pub settings: Option<String>,
    /// The channel's secrets as opaque ciphertext sealed by the channel layer; stores never
    /// interpret it.
    pub sealed_secrets: Option<String>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAccount {
    pub kind: AccountKind,
    pub name: String,
    pub callback_url: Option<String>,
    pub inbound_token_hash: Option<String>,
    pub settings: Option<String>,
    pub sealed_secrets: Option<String>,
}

/// `None` leaves a field alone; for the nullable ones `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccountPatch {
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub callback_url: Option<Option<String>>,
    pub inbound_token_hash: Option<Option<String>>,
    pub settings: Option<Option<String>>,
    pub sealed_secrets: Option<Option<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: CustomerId,
    pub account_id: AccountId,
    pub external_id: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub phone: Option<String>,
    pub created_at: Timestamp,
}

/// What the channel told us about the customer; `None` fields leave stored values alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerProfile {
    pub external_id: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub phone: Option<String>,
}

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

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    Customer,
    Bot,
    Operator(OperatorId),
    System,
    /// A person answering from the channel's own app (e.g. Avito's), outside frontline.
    External,
}

impl Author {
    pub fn kind_str(self) -> &'static str {
        match self {
            Author::Customer => "customer",
            Author::Bot => "bot",
            Author::Operator(_) => "operator",
            Author::System => "system",
            Author::External => "external",
        }
    }

    pub fn operator_id(self) -> Option<OperatorId> {
        match self {
            Author::Operator(id) => Some(id),
            _ => None,
        }
    }

    /// Rebuild from the two columns the stores keep.
    pub fn from_parts(kind: &str, operator: Option<OperatorId>) -> Result<Self, ParseError> {
        match (kind, operator) {
            ("customer", _) => Ok(Author::Customer),
            ("bot", _) => Ok(Author::Bot),
            ("system", _) => Ok(Author::System),
            ("external", _) => Ok(Author::External),
            ("operator", Some(id)) => Ok(Author::Operator(id)),
            ("operator", None) => Err(ParseError::new("Author", "operator without id")),
            (other, _) => Err(ParseError::new("Author", format!("unknown kind `{other}`"))),
        }
    }

    pub fn direction(self) -> Direction {
        match self {
            Author::Customer => Direction::In,
            _ => Direction::Out,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub kind: AttachmentKind,
    pub url: String,
    pub name: Option<String>,
    pub mime: Option<String>,
    pub size: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub account_id: AccountId,
    pub direction: Direction,
    pub author: Author,
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// The channel's id for the message: given for inbound ones, learned on send for outbound ones.
    pub external_id: Option<String>,
    pub status: DeliveryStatus,
    /// Why delivery failed (last error while retrying, final error when `failed`).
    pub error: Option<String>,
    pub created_at: Timestamp,
}

/// An inbound message as a channel adapter hands it over.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub account_id: AccountId,
    pub external_chat_id: String,
    /// Idempotency key: a second delivery with the same id creates nothing.
    pub external_message_id: String,
    pub customer: CustomerProfile,
    pub listing: Option<Listing>,
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// When the channel says it was written; `None` means now.
    pub sent_at: Option<Timestamp>,
}

/// A message a person wrote from the channel's own app (the seller answering in Avito's app), seen
/// when the channel reports it back: outbound, already sent, and not written by anyone in frontline.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalReply {
    pub account_id: AccountId,
    pub external_chat_id: String,
    /// Idempotency key, shared with inbound messages and recorded sends of the account.
    pub external_message_id: String,
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// When the channel says it was written; `None` means now.
    pub sent_at: Option<Timestamp>,
}

/// An outbound message to queue.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundMessage {
    pub conversation_id: ConversationId,
    pub author: Author,
    pub text: String,
    pub attachments: Vec<Attachment>,
}

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

#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub id: OperatorId,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub active: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOperator {
    pub login: Login,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct OperatorPatch {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub password_hash: Option<String>,
    pub active: Option<bool>,
}

/// An operator login: 2–64 characters of letters, digits, `.`, `_`, `-`, `@`; case-folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login(String);

impl Login {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.trim().to_lowercase();
        let n = s.chars().count();
        if !(2..=64).contains(&n) {
            return Err(ParseError::new("login", "must be 2 to 64 characters"));
        }
        if !s
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err(ParseError::new(
                "login",
                "may contain letters, digits, '.', '_', '-' and '@' only",
            ));
        }
        Ok(Login(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the policy (8–256 characters). Never logged, never stored: only its hash is.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl Password {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let n = s.chars().count();
        if n < 8 {
            return Err(ParseError::new("password", "must be at least 8 characters"));
        }
        if n > 256 {
            return Err(ParseError::new(
                "password",
                "must be at most 256 characters",
            ));
        }
        Ok(Password(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuickReply {
    pub id: QuickReplyId,
    pub title: String,
    pub text: String,
    /// `None`: shared with every operator; `Some`: personal to that operator.
    pub owner: Option<OperatorId>,
    pub created_at: Timestamp,
}

impl QuickReply {
    pub fn visible_to(&self, operator: OperatorId) -> bool {
        self.owner.is_none_or(|o| o == operator)
    }
}

/// What an operator chose in the messenger, kept with the operator so it follows them across
/// browsers and devices.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OperatorPreferences {
    /// Accounts whose conversations the operator hid («Аккаунты (N)» unchecked). Hidden rather than
    /// shown ones are kept, so an account connected later appears for everyone.
    pub hidden_accounts: Vec<AccountId>,
    /// Sound alerts muted (they are on by default).
    pub sound_muted: bool,
    /// The interface language chosen (`ru`, `en`); `None`: the default.
    pub language: Option<String>,
}

impl OperatorPreferences {
    /// Hidden accounts sorted and without repeats, as stored.
    pub fn normalized(mut self) -> Self {
        self.hidden_accounts.sort_by_key(|a| a.0);
        self.hidden_accounts.dedup();
        self
    }
}

/// A file to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMedia {
    /// The account it came from or is meant for; `None` for files not tied to one.
    pub account_id: Option<AccountId>,
    pub mime: String,
    pub name: Option<String>,
    pub bytes: Vec<u8>,
}

/// A stored file.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    pub id: MediaId,
    pub account_id: Option<AccountId>,
    pub mime: String,
    pub name: Option<String>,
    /// Length of `bytes`.
    pub size: i64,
    pub bytes: Vec<u8>,
    pub created_at: Timestamp,
}

/// A raw webhook delivery of a channel, kept durably before it is acknowledged and processed from
/// a leased queue (like the jobs), so that a crash between acknowledging and processing loses nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelDelivery {
    /// Assigned by the store, increasing, never reused.
    pub id: i64,
    pub account_id: AccountId,
    /// The request body as received.
    pub body: String,
    pub received_at: Timestamp,
    /// Attempts so far, including the one the current claim starts.
    pub attempts: i32,
    pub last_error: Option<String>,
}

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

/// Maximum length of one message's text, in characters, across channels. Channels with lower limits
/// (Avito: 1000) split on send.
pub const MAX_MESSAGE_CHARS: usize = 10_000;

/// Longest URL accepted for attachments and callbacks.
pub const MAX_URL_LEN: usize = 2048;

/// Whether `url` is an absolute http(s) URL of sane length: the only kind frontline fetches or calls.
pub fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|host_and_path| !host_and_path.is_empty()) && url.len() <= MAX_URL_LEN
}

/// Check and normalise message text: trimmed, non-empty unless there are attachments, bounded.
pub fn clean_message_text(text: &str, has_attachments: bool) -> Result<String, ParseError> {
    let t = text.trim();
    if t.is_empty() && !has_attachments {
        return Err(ParseError::new("text", "must not be empty"));
    }
    if t.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ParseError::new(
            "text",
            format!("must be at most {MAX_MESSAGE_CHARS} characters"),
        ));
    }
    Ok(t.to_owned())
}

/// The text shown in a list row for a message: its first line, shortened, or a label for attachments.
pub fn preview_text(text: &str, attachments: &[Attachment]) -> String {
    const MAX: usize = 140;
    let first = text.trim();
    if first.is_empty() {
        return match attachments.first().map(|a| a.kind) {
            Some(kind) => format!("[{}]", kind.as_str()),
            None => String::new(),
        };
    }
    let collapsed: String = first.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= MAX {
        collapsed
    } else {
        let mut s: String = collapsed.chars().take(MAX - 1).collect();
        s.push('…');
        s
    }
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

    #[test]
    fn login_rules() {
        assert_eq!(Login::parse(" Anna.K ").unwrap().as_str(), "anna.k");
        assert_eq!(Login::parse("оператор1").unwrap().as_str(), "оператор1");
        assert!(Login::parse("a").is_err());
        assert!(Login::parse("has space").is_err());
        assert!(Login::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn password_policy_and_redaction() {
        assert!(Password::parse("short").is_err());
        let p = Password::parse("long enough").unwrap();
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
    }

    #[test]
    fn message_text_rules() {
        assert_eq!(clean_message_text("  hi ", false).unwrap(), "hi");
        assert!(clean_message_text("  ", false).is_err());
        assert_eq!(clean_message_text("", true).unwrap(), "");
        assert!(clean_message_text(&"я".repeat(MAX_MESSAGE_CHARS + 1), false).is_err());
    }

    #[test]
    fn http_urls() {
        assert!(is_http_url("https://example.com/a.png"));
        assert!(is_http_url("http://127.0.0.1:9/hook"));
        assert!(!is_http_url("ftp://example.com"));
        assert!(!is_http_url("https://"));
        assert!(!is_http_url(&format!(
            "https://e.com/{}",
            "a".repeat(MAX_URL_LEN)
        )));
    }

    #[test]
    fn preview_is_one_line_and_bounded() {
        assert_eq!(preview_text("a\n b  c", &[]), "a b c");
        let long = "д".repeat(500);
        let p = preview_text(&long, &[]);
        assert_eq!(p.chars().count(), 140);
        assert!(p.ends_with('…'));
        let img = Attachment {
            kind: AttachmentKind::Image,
            url: "u".into(),
            name: None,
            mime: None,
            size: None,
        };
        assert_eq!(preview_text("", &[img]), "[image]");
    }

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
    fn authors_round_trip_through_their_columns() {
        for a in [
            Author::Customer,
            Author::Bot,
            Author::Operator(OperatorId(3)),
            Author::System,
            Author::External,
        ] {
            assert_eq!(Author::from_parts(a.kind_str(), a.operator_id()), Ok(a));
        }
        assert_eq!(Author::External.kind_str(), "external");
        assert!(Author::from_parts("operator", None).is_err());
        assert!(Author::from_parts("robot", None).is_err());
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

    #[test]
    fn quick_reply_visibility() {
        let mut q = QuickReply {
            id: QuickReplyId(1),
            title: "t".into(),
            text: "x".into(),
            owner: None,
            created_at: Timestamp(0),
        };
        assert!(q.visible_to(OperatorId(1)));
        q.owner = Some(OperatorId(2));
        assert!(!q.visible_to(OperatorId(1)));
        assert!(q.visible_to(OperatorId(2)));
    }
}
