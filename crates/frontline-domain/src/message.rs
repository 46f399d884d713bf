//! Messages in either direction, who wrote them, their attachments and delivery state, and the rules for their text.

use crate::*;

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

/// The message a reply quotes, as the channel showed it with the reply: a snapshot, so it reads the
/// same even when the quoted message is not in frontline (older than the imported history).
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// The channel's id of the quoted message.
    pub external_id: String,
    /// `In` when the customer wrote it, `Out` when the account's side did.
    pub direction: Direction,
    /// Its text as frontline shows it (a note in brackets for what has no text).
    pub text: String,
}

/// The card a channel shows under a link: the page's title, description and picture.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkPreview {
    pub url: String,
    pub domain: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
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
    /// The message this one replies to.
    pub quote: Option<Quote>,
    /// The preview of the link this message is.
    pub link: Option<LinkPreview>,
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
    pub quote: Option<Quote>,
    pub link: Option<LinkPreview>,
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
