//! The JSON shapes of the API, with their OpenAPI schemas. Domain types never go on the wire directly:
//! they are converted here, in one place.

use std::collections::BTreeMap;

use frontline_domain as d;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// RFC 3339 in UTC with milliseconds, e.g. `2026-11-21T10:20:00.123Z`.
pub fn rfc3339(t: d::Timestamp) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.millis()) * 1_000_000)
        .ok()
        .and_then(|dt| {
            dt.format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
            ))
            .ok()
        })
        .unwrap_or_default()
}

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident <=> $domain:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl From<d::$domain> for $name {
            fn from(v: d::$domain) -> Self {
                match v { $(d::$domain::$variant => $name::$variant),+ }
            }
        }

        impl From<$name> for d::$domain {
            fn from(v: $name) -> Self {
                match v { $($name::$variant => d::$domain::$variant),+ }
            }
        }
    };
}

wire_enum!(
    /// Who leads a conversation.
    Lead <=> Lead { Bot, Operator }
);
wire_enum!(ConversationStatus <=> ConversationStatus { Open, Resolved });
wire_enum!(Direction <=> Direction { In, Out });
wire_enum!(
    /// Delivery state of a message.
    DeliveryStatus <=> DeliveryStatus { Queued, Sent, Delivered, Read, Failed }
);
wire_enum!(AttachmentKind <=> AttachmentKind { Image, File, Voice, Video, Other });
wire_enum!(Role <=> Role { Admin, Operator });
wire_enum!(AccountKind <=> AccountKind { Api, Avito, Voice });
wire_enum!(
    /// Why the lead changed.
    HandoffReason <=> HandoffReason {
        NoBot, LowConfidence, CustomerAsked, TopicPolicy, ActionFailed, RepeatedClarify,
        LlmUnavailable, BotError, Manual, OperatorReplied, ExternalReply
    }
);

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
pub struct Operator {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: String,
}

impl From<&d::Operator> for Operator {
    fn from(o: &d::Operator) -> Self {
        Operator {
            id: o.id.0,
            login: o.login.clone(),
            display_name: o.display_name.clone(),
            role: o.role.into(),
            active: o.active,
            created_at: rfc3339(o.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Account {
    pub id: i64,
    pub kind: AccountKind,
    pub name: String,
    pub enabled: bool,
    /// Where outbound messages of an `api` account are POSTed (admins only; `null` for operators).
    pub callback_url: Option<String>,
    /// Whether an inbound token is set (the token itself is shown once, at creation or rotation).
    pub has_inbound_token: bool,
    pub created_at: String,
}

impl Account {
    pub fn from_domain(a: &d::Account, admin: bool) -> Self {
        Account {
            id: a.id.0,
            kind: a.kind.into(),
            name: a.name.clone(),
            enabled: a.enabled,
            callback_url: if admin { a.callback_url.clone() } else { None },
            has_inbound_token: a.inbound_token_hash.is_some(),
            created_at: rfc3339(a.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountWithToken {
    pub account: Account,
    /// The inbound bearer token of an `api` account. Shown only in this response: store it now.
    pub inbound_token: Option<String>,
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
pub struct AccountRef {
    pub id: i64,
    pub name: String,
    pub kind: AccountKind,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OperatorRef {
    pub id: i64,
    pub display_name: String,
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

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub direction: Direction,
    pub author: Author,
    pub text: String,
    pub attachments: Vec<Attachment>,
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
pub struct QuickReply {
    pub id: i64,
    pub title: String,
    /// May contain placeholders such as `{customer_name}` and `{order_number}`, filled by the client.
    pub text: String,
    /// Shared with everyone (`true`) or personal to `owner_id`.
    pub shared: bool,
    pub owner_id: Option<i64>,
    pub created_at: String,
}

impl From<&d::QuickReply> for QuickReply {
    fn from(q: &d::QuickReply) -> Self {
        QuickReply {
            id: q.id.0,
            title: q.title.clone(),
            text: q.text.clone(),
            shared: q.owner.is_none(),
            owner_id: q.owner.map(|o| o.0),
            created_at: rfc3339(q.created_at),
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

/// What the operator chose in the messenger; kept on the server so it follows them to any browser.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Preferences {
    /// Accounts whose conversations this operator hid («Аккаунты (N)» unchecked).
    #[serde(default)]
    pub hidden_account_ids: Vec<i64>,
    /// Sound alerts on (the default) or muted.
    #[serde(default = "sound_on")]
    pub sound: bool,
    /// Interface language, `ru` or `en`; `null`: the default (Russian).
    #[serde(default)]
    pub language: Option<String>,
}

fn sound_on() -> bool {
    true
}

impl From<frontline_domain::OperatorPreferences> for Preferences {
    fn from(p: frontline_domain::OperatorPreferences) -> Self {
        Preferences {
            hidden_account_ids: p.hidden_accounts.iter().map(|a| a.0).collect(),
            sound: !p.sound_muted,
            language: p.language,
        }
    }
}

// ---- requests -----------------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer …` (also set as the `frontline_session` cookie).
    pub token: String,
    pub expires_at: String,
    pub operator: Operator,
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

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountRequest {
    pub kind: AccountKind,
    pub name: String,
    /// For `api` accounts: where outbound messages are POSTed.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// For `voice` accounts (phone lines): the line's settings — `language` (ru, en, auto),
    /// `greeting`, `reprompt`, `goodbye`, `not_heard`, `transfer_notice`, `transfer_failed`,
    /// `reprompt_after_secs`, `max_reprompts`, `dtmf_timeout_ms`, `barge_in`, `vad` {`silence_ms`,
    /// `min_speech_ms`, `max_utterance_ms`, `start_ms`} and `transfer` ({"kind": "twilio" |
    /// "webhook" | "asterisk_ami", …}; its credentials are sealed and never returned).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccountRequest {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    /// A new callback URL; an empty string removes it.
    #[serde(default)]
    pub callback_url: Option<String>,
    /// New settings of a `voice` line (replacing the old ones; see `CreateAccountRequest`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

/// One turn of a phone call: what the caller said, what the bot answered, and how fast.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VoiceTurn {
    pub conversation_id: i64,
    pub call_id: String,
    pub turn: i32,
    /// What the recogniser heard (or the DTMF digits).
    pub recognised: String,
    pub answer: Option<String>,
    pub intent: Option<String>,
    pub speech_ms: i64,
    /// The caller's end of speech to the first frame of the reply.
    pub end_of_speech_to_audio_ms: Option<i64>,
    pub recognition_ms: i64,
    pub engine_ms: Option<i64>,
    pub synthesis_ms: Option<i64>,
    /// The caller interrupted the reply.
    pub barge_in: bool,
    pub dtmf: bool,
    pub created_at: String,
}

impl VoiceTurn {
    pub fn from_domain(t: &d::VoiceTurn) -> Self {
        VoiceTurn {
            conversation_id: t.conversation_id.0,
            call_id: t.call_id.clone(),
            turn: t.turn,
            recognised: t.recognised.clone(),
            answer: t.answer.clone(),
            intent: t.intent.clone(),
            speech_ms: t.speech_ms,
            end_of_speech_to_audio_ms: t.end_of_speech_to_audio_ms,
            recognition_ms: t.recognition_ms,
            engine_ms: t.engine_ms,
            synthesis_ms: t.synthesis_ms,
            barge_in: t.barge_in,
            dtmf: t.dtmf,
            created_at: rfc3339(t.created_at),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOperatorRequest {
    pub login: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOperatorRequest {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub role: Option<Role>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuickReplyRequest {
    pub title: String,
    pub text: String,
    /// Shared with all operators (admins only) or personal (default).
    #[serde(default)]
    pub shared: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InboundAccepted {
    pub conversation_id: i64,
    pub message_id: i64,
    /// `true` when this external message id had been received before; nothing new was created.
    pub duplicate: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub store: String,
    pub version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_render_as_utc_rfc3339_with_millis() {
        assert_eq!(rfc3339(d::Timestamp(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(d::Timestamp(1_767_323_045_123)),
            "2026-01-02T03:04:05.123Z"
        );
    }

    #[test]
    fn enums_use_snake_case_on_the_wire() {
        assert_eq!(
            serde_json::to_string(&HandoffReason::NoBot).unwrap(),
            "\"no_bot\""
        );
        assert_eq!(
            serde_json::from_str::<Lead>("\"operator\"").unwrap(),
            Lead::Operator
        );
    }
}

// ---- knowledge base ---------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbCategory {
    pub key: String,
    pub title: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&d::KbCategory> for KbCategory {
    fn from(c: &d::KbCategory) -> Self {
        KbCategory {
            key: c.key.clone(),
            title: c.title.clone(),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KbCategoryRequest {
    pub title: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbArticle {
    pub key: String,
    pub category: String,
    pub title: String,
    pub body: String,
    pub tags: Vec<String>,
    /// Unpublished articles are kept but never used to answer.
    pub published: bool,
    /// 1 on creation, +1 on every change.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&d::KbArticle> for KbArticle {
    fn from(a: &d::KbArticle) -> Self {
        KbArticle {
            key: a.key.clone(),
            category: a.category.clone(),
            title: a.title.clone(),
            body: a.body.clone(),
            tags: a.tags.clone(),
            published: a.published,
            version: a.version,
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KbArticleRequest {
    pub category: String,
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default = "yes")]
    pub published: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbImportStats {
    pub categories_created: u64,
    pub categories_updated: u64,
    pub articles_created: u64,
    pub articles_updated: u64,
    pub articles_unchanged: u64,
}

impl From<d::KbImportStats> for KbImportStats {
    fn from(s: d::KbImportStats) -> Self {
        KbImportStats {
            categories_created: s.categories_created,
            categories_updated: s.categories_updated,
            articles_created: s.articles_created,
            articles_updated: s.articles_updated,
            articles_unchanged: s.articles_unchanged,
        }
    }
}

/// A retrieved passage of an article.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KbFragment {
    pub article_key: String,
    pub category: String,
    pub title: String,
    pub text: String,
    /// BM25 with boosts: orders the hits of one query only.
    pub score: f32,
    /// IDF-weighted share of the query's words found, in [0, 1]; what answer thresholds use.
    pub confidence: f32,
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

// ---- workflows --------------------------------------------------------------------------------

/// One reason a workflow cannot run, at its node or edge.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowProblem {
    pub node_id: Option<String>,
    pub edge_id: Option<String>,
    pub message: String,
}

/// A workflow without its documents, for lists.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowSummary {
    pub id: i64,
    pub name: String,
    pub published_version: Option<i32>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&d::Workflow> for WorkflowSummary {
    fn from(w: &d::Workflow) -> Self {
        WorkflowSummary {
            id: w.id.0,
            name: w.name.clone(),
            published_version: w.published_version,
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
        }
    }
}

/// A workflow with its draft (a ReactFlow-shaped document) and regression tests; `problems` are
/// what stops the draft from being published (empty when it is valid).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowFull {
    #[serde(flatten)]
    pub summary: WorkflowSummary,
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    #[schema(value_type = Vec<Object>)]
    pub tests: serde_json::Value,
    pub problems: Vec<WorkflowProblem>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowRequest {
    pub name: String,
    /// `{"version": 1, "nodes": [...], "edges": [...]}`; may be incomplete while being edited.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub tests: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowVersion {
    pub version: i32,
    pub published_at: String,
    pub published_by: Option<i64>,
    /// Conversations currently waiting inside this version.
    pub conversations_in_flight: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollbackRequest {
    pub version: i32,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountWorkflowRequest {
    /// `null` returns the account to the built-in cascade.
    pub workflow_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Integration {
    pub name: String,
    pub base_url: String,
    /// Header names only: their values are secrets.
    pub header_names: Vec<String>,
    pub updated_at: String,
}

impl From<&d::Integration> for Integration {
    fn from(i: &d::Integration) -> Self {
        Integration {
            name: i.name.clone(),
            base_url: i.base_url.clone(),
            header_names: i.headers.keys().cloned().collect(),
            updated_at: rfc3339(i.updated_at),
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationRequest {
    pub base_url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// A scripted dialog for the workflow tester.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkflowTestRequest {
    /// `draft` (default) or a published version number.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub version: Option<serde_json::Value>,
    /// The customer's messages, in order.
    pub messages: Vec<String>,
    /// `api` (default), `avito`, `voice`.
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub customer: Option<TestCustomer>,
    /// Canned answers for Action calls, by the URL they would call.
    #[serde(default)]
    pub stubs: Vec<ActionStub>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestCustomer {
    pub name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionStub {
    /// The full URL, after the integration's base URL is applied.
    pub url: String,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub body: Option<serde_json::Value>,
    /// Simulate a timeout instead of answering.
    #[serde(default)]
    pub timeout: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowTestTurn {
    pub message: String,
    pub replies: Vec<String>,
    /// `waiting`, `handoff` or `ended`.
    pub outcome: String,
    pub waiting_at: Option<String>,
    pub handoff_reason: Option<HandoffReason>,
    pub briefing: Option<String>,
    pub intent: Option<String>,
    pub confidence: Option<f64>,
    pub slots: BTreeMap<String, String>,
    /// Every node run: `node_id`, `node_type`, `input`, `output`, `micros`.
    #[schema(value_type = Vec<Object>)]
    pub trace: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WorkflowTestResult {
    /// `draft` or the version number run.
    pub version: String,
    pub turns: Vec<WorkflowTestTurn>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CaseResult {
    pub name: String,
    pub passed: bool,
    /// Every expectation missed, with its turn.
    pub failures: Vec<String>,
    pub turns: Vec<WorkflowTestTurn>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SuiteResult {
    pub version: String,
    pub passed: usize,
    pub failed: usize,
    pub cases: Vec<CaseResult>,
}
