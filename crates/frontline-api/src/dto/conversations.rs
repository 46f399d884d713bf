//! Wire shapes of conversations, their messages, handoffs, search and the bot's decisions.

use std::collections::BTreeMap;

use frontline_domain as d;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    Customer,
    Bot,
    Operator,
    System,
    /// A person answering from the channel's own app (e.g. Avito's), outside frontline.
    External,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Author {
    pub kind: AuthorKind,
    /// Set when `kind` is `operator`.
    pub operator_id: Option<i64>,
}

impl From<d::Author> for Author {
    fn from(a: d::Author) -> Self {
        let kind = match a {
            d::Author::Customer => AuthorKind::Customer,
            d::Author::Bot => AuthorKind::Bot,
            d::Author::Operator(_) => AuthorKind::Operator,
            d::Author::System => AuthorKind::System,
            d::Author::External => AuthorKind::External,
        };
        Author {
            kind,
            operator_id: a.operator_id().map(|o| o.0),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    pub id: i64,
    pub external_id: String,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub phone: Option<String>,
}

impl From<&d::Customer> for Customer {
    fn from(c: &d::Customer) -> Self {
        Customer {
            id: c.id.0,
            external_id: c.external_id.clone(),
            name: c.name.clone(),
            avatar_url: c.avatar_url.clone(),
            phone: c.phone.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Listing {
    pub external_id: String,
    pub title: Option<String>,
    pub price: Option<String>,
    pub url: Option<String>,
    pub image_url: Option<String>,
}

impl From<&d::Listing> for Listing {
    fn from(l: &d::Listing) -> Self {
        Listing {
            external_id: l.external_id.clone(),
            title: l.title.clone(),
            price: l.price.clone(),
            url: l.url.clone(),
            image_url: l.image_url.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LastMessage {
    pub id: i64,
    pub text: String,
    pub direction: Direction,
    pub at: String,
}

/// A conversation as the list and the chat header show it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Conversation {
    pub id: i64,
    pub account: AccountRef,
    pub customer: Customer,
    pub external_chat_id: String,
    pub listing: Option<Listing>,
    pub lead: Lead,
    pub assignee: Option<OperatorRef>,
    pub status: ConversationStatus,
    pub intent: Option<String>,
    pub slots: BTreeMap<String, String>,
    pub unread_count: i64,
    pub last_message: Option<LastMessage>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&d::ConversationView> for Conversation {
    fn from(v: &d::ConversationView) -> Self {
        let c = &v.conversation;
        Conversation {
            id: c.id.0,
            account: AccountRef {
                id: c.account_id.0,
                name: v.account_name.clone(),
                kind: v.account_kind.into(),
            },
            customer: (&v.customer).into(),
            external_chat_id: c.external_chat_id.clone(),
            listing: c.listing.as_ref().map(Listing::from),
            lead: c.lead.into(),
            assignee: c.assignee.map(|id| OperatorRef {
                id: id.0,
                display_name: v.assignee_name.clone().unwrap_or_default(),
            }),
            status: c.status.into(),
            intent: c.intent.clone(),
            slots: c.slots.clone(),
            unread_count: c.unread_count,
            last_message: c.last_message.as_ref().map(|m| LastMessage {
                id: m.message_id.0,
                text: m.text.clone(),
                direction: m.direction.into(),
                at: rfc3339(m.at),
            }),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConversationPage {
    pub items: Vec<Conversation>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConversationDetail {
    pub conversation: Conversation,
    /// The handoff that gave the conversation to operators, with its briefing, while an operator leads.
    pub briefing: Option<Handoff>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    #[serde(rename = "type")]
    pub kind: AttachmentKind,
    pub url: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub mime: Option<String>,
    #[serde(default)]
    pub size: Option<i64>,
}

impl From<&d::Attachment> for Attachment {
    fn from(a: &d::Attachment) -> Self {
        Attachment {
            kind: a.kind.into(),
            url: a.url.clone(),
            name: a.name.clone(),
            mime: a.mime.clone(),
            size: a.size,
        }
    }
}

impl From<Attachment> for d::Attachment {
    fn from(a: Attachment) -> Self {
        d::Attachment {
            kind: a.kind.into(),
            url: a.url,
            name: a.name,
            mime: a.mime,
            size: a.size,
        }
    }
}

/// A quoted message: who wrote it (`in`: the customer) and its text.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Quote {
    /// The channel's id of the quoted message.
    pub external_id: String,
    pub direction: Direction,
    pub text: String,
}

/// A link's preview card as the channel gave it. `image_url` points at the channel's picture.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinkPreview {
    pub url: String,
    pub domain: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub direction: Direction,
    pub author: Author,
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// The message this one replies to, as the channel showed it with the reply.
    #[serde(default)]
    pub quote: Option<Quote>,
    /// The card under the link this message is (title, description, picture of the page).
    #[serde(default)]
    pub link_preview: Option<LinkPreview>,
    pub external_id: Option<String>,
    pub status: DeliveryStatus,
    /// The last delivery error: while `queued` it is being retried; when `failed`, why it gave up.
    pub error: Option<String>,
    pub created_at: String,
}

impl From<&d::Message> for Message {
    fn from(m: &d::Message) -> Self {
        Message {
            id: m.id.0,
            conversation_id: m.conversation_id.0,
            direction: m.direction.into(),
            author: m.author.into(),
            text: m.text.clone(),
            attachments: m.attachments.iter().map(Attachment::from).collect(),
            quote: m.quote.as_ref().map(|q| Quote {
                external_id: q.external_id.clone(),
                direction: q.direction.into(),
                text: q.text.clone(),
            }),
            link_preview: m.link.as_ref().map(|l| LinkPreview {
                url: l.url.clone(),
                domain: l.domain.clone(),
                title: l.title.clone(),
                description: l.description.clone(),
                image_url: l.image_url.clone(),
            }),
            external_id: m.external_id.clone(),
            status: m.status.into(),
            error: m.error.clone(),
            created_at: rfc3339(m.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessagePage {
    /// Oldest first.
    pub items: Vec<Message>,
    /// Whether older messages exist: ask again with `before` = the first item's id.
    pub has_more: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Handoff {
    pub id: i64,
    pub conversation_id: i64,
    pub from: Lead,
    pub to: Lead,
    pub reason: HandoffReason,
    pub actor: Author,
    pub intent: Option<String>,
    pub summary: Option<String>,
    pub slots: BTreeMap<String, String>,
    /// Text for the operator: what the customer already said, what not to ask again.
    pub briefing: Option<String>,
    pub created_at: String,
}

impl From<&d::Handoff> for Handoff {
    fn from(h: &d::Handoff) -> Self {
        Handoff {
            id: h.id.0,
            conversation_id: h.conversation_id.0,
            from: h.from.into(),
            to: h.to.into(),
            reason: h.reason.into(),
            actor: h.actor.into(),
            intent: h.context.intent.clone(),
            summary: h.context.summary.clone(),
            slots: h.context.slots.clone(),
            briefing: h.context.briefing.clone(),
            created_at: rfc3339(h.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchResponse {
    /// Conversations with at least one matching message («Найдено N чатов»).
    pub total_conversations: i64,
    /// The newest matching message of each conversation, newest first.
    pub hits: Vec<SearchHit>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchHit {
    pub conversation_id: i64,
    pub message_id: i64,
    pub created: String,
    /// HTML-escaped text around the match with matched words in `<mark>…</mark>`.
    pub snippet: String,
    /// The conversation's list row (customer, account, lead), so a result can be shown at once.
    pub conversation: Conversation,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendMessageRequest {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SendMessageResponse {
    pub message: Message,
    /// Set when this reply took the conversation over from the bot.
    pub takeover: Option<Handoff>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadRequest {
    pub lead: Lead,
    /// Optional note for whoever takes over, stored as the handoff's briefing.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    /// The operator to assign, or `null` to unassign.
    pub operator_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    pub status: ConversationStatus,
}

// ---- bot decisions ----------------------------------------------------------------------------

/// What the bot decided for one customer message, and how.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Decision {
    pub id: i64,
    pub conversation_id: i64,
    pub message_id: i64,
    /// `answer`, `ask_slot`, `clarify`, `handoff`, `fallback` or `ignore`.
    pub action: String,
    /// `human`, `trigger`, `classifier`, `llm`, `knowledge`, `policy` or `timeout`.
    pub stage: Option<String>,
    pub intent: Option<String>,
    pub confidence: Option<f32>,
    pub reason: Option<HandoffReason>,
    pub article_ids: Vec<String>,
    pub latency_us: i64,
    pub note: Option<String>,
    /// When a workflow decided: every node it ran (`node_id`, `node_type`, `input`, `output`,
    /// `micros`).
    #[schema(value_type = Option<Vec<Object>>)]
    pub trace: Option<serde_json::Value>,
    pub created_at: String,
}

impl From<&d::DecisionRecord> for Decision {
    fn from(r: &d::DecisionRecord) -> Self {
        Decision {
            id: r.id.0,
            conversation_id: r.conversation_id.0,
            message_id: r.message_id.0,
            action: r.action.as_str().to_owned(),
            stage: r.stage.map(|s| s.as_str().to_owned()),
            intent: r.intent.clone(),
            confidence: r.confidence,
            reason: r.reason.map(Into::into),
            article_ids: r.article_ids.clone(),
            latency_us: r.latency_us,
            note: r.note.clone(),
            trace: r
                .trace
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok()),
            created_at: rfc3339(r.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DecisionCount {
    pub intent: Option<String>,
    pub action: String,
    pub count: i64,
}

impl From<&d::DecisionCount> for DecisionCount {
    fn from(c: &d::DecisionCount) -> Self {
        DecisionCount {
            intent: c.intent.clone(),
            action: c.action.as_str().to_owned(),
            count: c.count,
        }
    }
}
