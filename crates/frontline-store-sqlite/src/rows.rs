//! Turning rows into domain values and back: the column lists every query selects, the decoders for
//! them, and the private JSON shapes of attachments, slots and string lists (the domain has no serde
//! on purpose).

use std::collections::BTreeMap;

use frontline_domain::{
    Account, AccountId, AccountKind, Attachment, AttachmentKind, Author, ChannelDelivery,
    Conversation, ConversationId, ConversationStatus, ConversationView, Customer, CustomerId,
    DecisionAction, DecisionCount, DecisionId, DecisionRecord, DecisionStage, DeliveryStatus,
    Direction, Event, EventKind, FlowState, Handoff, HandoffContext, HandoffId, HandoffReason,
    Integration, KbArticle, KbCategory, Lead, Listing, Media, MediaId, Message, MessageId,
    MessagePreview, Operator, OperatorId, QuickReply, QuickReplyId, Role, Seq, Slots, Timestamp,
    VoiceTurn, Workflow, WorkflowId, WorkflowVersion,
};
use frontline_store::{Job, JobId, JobKind, Result, StoreError};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::error::{corrupt, db};

pub(crate) const OPERATOR_COLS: &str =
    "id, login, display_name, role, password_hash, active, created_at";

pub(crate) const ACCOUNT_COLS: &str = "id, kind, name, enabled, callback_url, inbound_token_hash, \
     settings, sealed_secrets, created_at";

pub(crate) const MESSAGE_COLS: &str = "id, conversation_id, account_id, direction, author_kind, \
     author_operator_id, text, attachments, external_id, status, error, created_at";

pub(crate) const HANDOFF_COLS: &str = "id, conversation_id, from_lead, to_lead, reason, actor_kind, \
     actor_operator_id, intent, summary, slots, briefing, created_at";

pub(crate) const QUICK_REPLY_COLS: &str = "id, title, text, owner_id, created_at";

pub(crate) const KB_CATEGORY_COLS: &str = "key, title, created_at, updated_at";

pub(crate) const KB_ARTICLE_COLS: &str =
    "key, category, title, body, tags, published, version, created_at, updated_at";

pub(crate) const DECISION_COLS: &str = "id, conversation_id, message_id, action, stage, intent, \
     confidence, reason, article_ids, latency_us, note, trace, created_at";

pub(crate) const VOICE_TURN_COLS: &str = "id, conversation_id, call_id, turn, recognised, answer, \
     intent, speech_ms, end_of_speech_to_audio_ms, recognition_ms, engine_ms, synthesis_ms, barge_in, \
     dtmf, created_at";

pub(crate) const WORKFLOW_COLS: &str =
    "id, name, draft, tests, published_version, created_at, updated_at";

pub(crate) const WORKFLOW_VERSION_COLS: &str =
    "workflow_id, version, document, published_at, published_by";

pub(crate) const FLOW_STATE_COLS: &str = "conversation_id, workflow_id, version, state, updated_at";

pub(crate) const INTEGRATION_COLS: &str = "name, base_url, headers, created_at, updated_at";

pub(crate) const CHANNEL_DELIVERY_COLS: &str =
    "id, account_id, body, received_at, attempts, last_error";

pub(crate) const MEDIA_COLS: &str = "id, account_id, mime, name, size, bytes, created_at";

pub(crate) const EVENT_COLS: &str =
    "seq, kind, conversation_id, message_id, handoff_id, created_at";

/// The conversation columns, qualified with the alias `c` so that they can be joined.
pub(crate) const CONVERSATION_COLS: &str = "c.id, c.account_id, c.customer_id, \
     c.external_chat_id, c.listing_external_id, c.listing_title, c.listing_price, c.listing_url, \
     c.listing_image_url, c.lead, c.assignee_id, c.status, c.intent, c.slots, c.unread_count, \
     c.last_message_id, c.last_message_text, c.last_message_direction, c.last_message_at, \
     c.created_at, c.updated_at";

/// A conversation with its customer, account and assignee name; append `WHERE …` to it.
pub(crate) const VIEW_SELECT: &str = "SELECT c.id, c.account_id, c.customer_id, \
     c.external_chat_id, c.listing_external_id, c.listing_title, c.listing_price, c.listing_url, \
     c.listing_image_url, c.lead, c.assignee_id, c.status, c.intent, c.slots, c.unread_count, \
     c.last_message_id, c.last_message_text, c.last_message_direction, c.last_message_at, \
     c.created_at, c.updated_at, \
     cu.external_id AS cu_external_id, cu.name AS cu_name, cu.avatar_url AS cu_avatar_url, \
     cu.phone AS cu_phone, cu.created_at AS cu_created_at, \
     a.name AS account_name, a.kind AS account_kind, o.display_name AS assignee_name \
     FROM conversations c \
     JOIN customers cu ON cu.id = c.customer_id \
     JOIN accounts a ON a.id = c.account_id \
     LEFT JOIN operators o ON o.id = c.assignee_id";

fn get<'r, T>(row: &'r SqliteRow, col: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(col).map_err(db)
}

fn ts(row: &SqliteRow, col: &str) -> Result<Timestamp> {
    Ok(Timestamp(get::<i64>(row, col)?))
}

fn opt_ts(row: &SqliteRow, col: &str) -> Result<Option<Timestamp>> {
    Ok(get::<Option<i64>>(row, col)?.map(Timestamp))
}

/// A nullable column holding one of the domain's string enums.
fn opt_parsed<T>(
    row: &SqliteRow,
    col: &str,
    parse: fn(&str) -> Result<T, frontline_domain::ParseError>,
) -> Result<Option<T>> {
    get::<Option<String>>(row, col)?
        .map(|s| parse(&s).map_err(StoreError::backend))
        .transpose()
}

fn parsed<T>(
    row: &SqliteRow,
    col: &str,
    parse: fn(&str) -> Result<T, frontline_domain::ParseError>,
) -> Result<T> {
    let s: String = get(row, col)?;
    parse(&s).map_err(StoreError::backend)
}

pub(crate) fn operator(row: &SqliteRow) -> Result<Operator> {
    Ok(Operator {
        id: OperatorId(get(row, "id")?),
        login: get(row, "login")?,
        display_name: get(row, "display_name")?,
        role: parsed(row, "role", Role::parse)?,
        password_hash: get(row, "password_hash")?,
        active: get(row, "active")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn account(row: &SqliteRow) -> Result<Account> {
    Ok(Account {
        id: AccountId(get(row, "id")?),
        kind: parsed(row, "kind", AccountKind::parse)?,
        name: get(row, "name")?,
        enabled: get(row, "enabled")?,
        callback_url: get(row, "callback_url")?,
        inbound_token_hash: get(row, "inbound_token_hash")?,
        settings: get(row, "settings")?,
        sealed_secrets: get(row, "sealed_secrets")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn conversation(row: &SqliteRow) -> Result<Conversation> {
    let listing = match get::<Option<String>>(row, "listing_external_id")? {
        None => None,
        Some(external_id) => Some(Listing {
            external_id,
            title: get(row, "listing_title")?,
            price: get(row, "listing_price")?,
            url: get(row, "listing_url")?,
            image_url: get(row, "listing_image_url")?,
        }),
    };
    let last_message = match get::<Option<i64>>(row, "last_message_id")? {
        None => None,
        Some(id) => Some(MessagePreview {
            message_id: MessageId(id),
            text: get::<Option<String>>(row, "last_message_text")?.unwrap_or_default(),
            direction: match get::<Option<String>>(row, "last_message_direction")? {
                Some(d) => Direction::parse(&d).map_err(StoreError::backend)?,
                None => return Err(corrupt("last message without direction")),
            },
            at: opt_ts(row, "last_message_at")?
                .ok_or_else(|| corrupt("last message without time"))?,
        }),
    };
    Ok(Conversation {
        id: ConversationId(get(row, "id")?),
        account_id: AccountId(get(row, "account_id")?),
        customer_id: CustomerId(get(row, "customer_id")?),
        external_chat_id: get(row, "external_chat_id")?,
        listing,
        lead: parsed(row, "lead", Lead::parse)?,
        assignee: get::<Option<i64>>(row, "assignee_id")?.map(OperatorId),
        status: parsed(row, "status", ConversationStatus::parse)?,
        intent: get(row, "intent")?,
        slots: slots_from_json(&get::<String>(row, "slots")?)?,
        unread_count: get(row, "unread_count")?,
        last_message,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

/// A row of [`VIEW_SELECT`].
pub(crate) fn view(row: &SqliteRow) -> Result<ConversationView> {
    let conversation = conversation(row)?;
    let customer = Customer {
        id: conversation.customer_id,
        account_id: conversation.account_id,
        external_id: get(row, "cu_external_id")?,
        name: get(row, "cu_name")?,
        avatar_url: get(row, "cu_avatar_url")?,
        phone: get(row, "cu_phone")?,
        created_at: ts(row, "cu_created_at")?,
    };
    Ok(ConversationView {
        conversation,
        customer,
        account_name: get(row, "account_name")?,
        account_kind: parsed(row, "account_kind", AccountKind::parse)?,
        assignee_name: get(row, "assignee_name")?,
    })
}

fn author(row: &SqliteRow, kind_col: &str, operator_col: &str) -> Result<Author> {
    let kind: String = get(row, kind_col)?;
    let op = get::<Option<i64>>(row, operator_col)?.map(OperatorId);
    Author::from_parts(&kind, op).map_err(StoreError::backend)
}

pub(crate) fn message(row: &SqliteRow) -> Result<Message> {
    Ok(Message {
        id: MessageId(get(row, "id")?),
        conversation_id: ConversationId(get(row, "conversation_id")?),
        account_id: AccountId(get(row, "account_id")?),
        direction: parsed(row, "direction", Direction::parse)?,
        author: author(row, "author_kind", "author_operator_id")?,
        text: get(row, "text")?,
        attachments: attachments_from_json(&get::<String>(row, "attachments")?)?,
        external_id: get(row, "external_id")?,
        status: parsed(row, "status", DeliveryStatus::parse)?,
        error: get(row, "error")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn handoff(row: &SqliteRow) -> Result<Handoff> {
    Ok(Handoff {
        id: HandoffId(get(row, "id")?),
        conversation_id: ConversationId(get(row, "conversation_id")?),
        from: parsed(row, "from_lead", Lead::parse)?,
        to: parsed(row, "to_lead", Lead::parse)?,
        reason: parsed(row, "reason", HandoffReason::parse)?,
        actor: author(row, "actor_kind", "actor_operator_id")?,
        context: HandoffContext {
            intent: get(row, "intent")?,
            summary: get(row, "summary")?,
            slots: slots_from_json(&get::<String>(row, "slots")?)?,
            briefing: get(row, "briefing")?,
        },
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn quick_reply(row: &SqliteRow) -> Result<QuickReply> {
    Ok(QuickReply {
        id: QuickReplyId(get(row, "id")?),
        title: get(row, "title")?,
        text: get(row, "text")?,
        owner: get::<Option<i64>>(row, "owner_id")?.map(OperatorId),
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn kb_category(row: &SqliteRow) -> Result<KbCategory> {
    Ok(KbCategory {
        key: get(row, "key")?,
        title: get(row, "title")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

pub(crate) fn kb_article(row: &SqliteRow) -> Result<KbArticle> {
    Ok(KbArticle {
        key: get(row, "key")?,
        category: get(row, "category")?,
        title: get(row, "title")?,
        body: get(row, "body")?,
        tags: strings_from_json(&get::<String>(row, "tags")?)?,
        published: get(row, "published")?,
        version: get(row, "version")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

pub(crate) fn decision(row: &SqliteRow) -> Result<DecisionRecord> {
    Ok(DecisionRecord {
        id: DecisionId(get(row, "id")?),
        conversation_id: ConversationId(get(row, "conversation_id")?),
        message_id: MessageId(get(row, "message_id")?),
        action: parsed(row, "action", DecisionAction::parse)?,
        stage: opt_parsed(row, "stage", DecisionStage::parse)?,
        intent: get(row, "intent")?,
        confidence: get(row, "confidence")?,
        reason: opt_parsed(row, "reason", HandoffReason::parse)?,
        article_ids: strings_from_json(&get::<String>(row, "article_ids")?)?,
        latency_us: get(row, "latency_us")?,
        note: get(row, "note")?,
        trace: get(row, "trace")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn voice_turn(row: &SqliteRow) -> Result<VoiceTurn> {
    Ok(VoiceTurn {
        id: get(row, "id")?,
        conversation_id: ConversationId(get(row, "conversation_id")?),
        call_id: get(row, "call_id")?,
        turn: get(row, "turn")?,
        recognised: get(row, "recognised")?,
        answer: get(row, "answer")?,
        intent: get(row, "intent")?,
        speech_ms: get(row, "speech_ms")?,
        end_of_speech_to_audio_ms: get(row, "end_of_speech_to_audio_ms")?,
        recognition_ms: get(row, "recognition_ms")?,
        engine_ms: get(row, "engine_ms")?,
        synthesis_ms: get(row, "synthesis_ms")?,
        barge_in: get(row, "barge_in")?,
        dtmf: get(row, "dtmf")?,
        created_at: ts(row, "created_at")?,
    })
}

/// A row of `intent, action, count`.
pub(crate) fn decision_count(row: &SqliteRow) -> Result<DecisionCount> {
    Ok(DecisionCount {
        intent: get(row, "intent")?,
        action: parsed(row, "action", DecisionAction::parse)?,
        count: get(row, "count")?,
    })
}

pub(crate) fn workflow(row: &SqliteRow) -> Result<Workflow> {
    Ok(Workflow {
        id: WorkflowId(get(row, "id")?),
        name: get(row, "name")?,
        draft: get(row, "draft")?,
        tests: get(row, "tests")?,
        published_version: get(row, "published_version")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

pub(crate) fn workflow_version(row: &SqliteRow) -> Result<WorkflowVersion> {
    Ok(WorkflowVersion {
        workflow_id: WorkflowId(get(row, "workflow_id")?),
        version: get(row, "version")?,
        document: get(row, "document")?,
        published_at: ts(row, "published_at")?,
        published_by: get::<Option<i64>>(row, "published_by")?.map(OperatorId),
    })
}

pub(crate) fn flow_state(row: &SqliteRow) -> Result<FlowState> {
    Ok(FlowState {
        conversation_id: ConversationId(get(row, "conversation_id")?),
        workflow_id: WorkflowId(get(row, "workflow_id")?),
        version: get(row, "version")?,
        state: get(row, "state")?,
        updated_at: ts(row, "updated_at")?,
    })
}

pub(crate) fn integration(row: &SqliteRow) -> Result<Integration> {
    Ok(Integration {
        name: get(row, "name")?,
        base_url: get(row, "base_url")?,
        headers: headers_from_json(&get::<String>(row, "headers")?)?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

pub(crate) fn event(row: &SqliteRow) -> Result<Event> {
    Ok(Event {
        seq: Seq(get(row, "seq")?),
        kind: parsed(row, "kind", EventKind::parse)?,
        conversation_id: ConversationId(get(row, "conversation_id")?),
        message_id: get::<Option<i64>>(row, "message_id")?.map(MessageId),
        handoff_id: get::<Option<i64>>(row, "handoff_id")?.map(HandoffId),
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn channel_delivery(row: &SqliteRow) -> Result<ChannelDelivery> {
    Ok(ChannelDelivery {
        id: get(row, "id")?,
        account_id: AccountId(get(row, "account_id")?),
        body: get(row, "body")?,
        received_at: ts(row, "received_at")?,
        attempts: get(row, "attempts")?,
        last_error: get(row, "last_error")?,
    })
}

pub(crate) fn media(row: &SqliteRow) -> Result<Media> {
    Ok(Media {
        id: MediaId(get(row, "id")?),
        account_id: get::<Option<i64>>(row, "account_id")?.map(AccountId),
        mime: get(row, "mime")?,
        name: get(row, "name")?,
        size: get(row, "size")?,
        bytes: get(row, "bytes")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) fn job(row: &SqliteRow) -> Result<Job> {
    let kind: String = get(row, "kind")?;
    let kind = match kind.as_str() {
        "deliver" => JobKind::Deliver,
        "bot" => JobKind::Bot,
        other => return Err(corrupt(format!("unknown job kind `{other}`"))),
    };
    Ok(Job {
        id: JobId(get(row, "id")?),
        kind,
        conversation_id: ConversationId(get(row, "conversation_id")?),
        message_id: MessageId(get(row, "message_id")?),
        attempts: get(row, "attempts")?,
        last_error: get(row, "last_error")?,
    })
}

// ---- JSON columns -------------------------------------------------------------------------------

/// How an attachment is kept in `messages.attachments`. Private to this crate: changing it needs a
/// migration, not a change of the domain.
#[derive(Serialize, Deserialize)]
struct AttachmentJson {
    kind: String,
    url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size: Option<i64>,
}

pub(crate) fn attachments_to_json(attachments: &[Attachment]) -> Result<String> {
    let list: Vec<AttachmentJson> = attachments
        .iter()
        .map(|a| AttachmentJson {
            kind: a.kind.as_str().to_owned(),
            url: a.url.clone(),
            name: a.name.clone(),
            mime: a.mime.clone(),
            size: a.size,
        })
        .collect();
    serde_json::to_string(&list).map_err(StoreError::backend)
}

fn attachments_from_json(s: &str) -> Result<Vec<Attachment>> {
    let list: Vec<AttachmentJson> = serde_json::from_str(s).map_err(StoreError::backend)?;
    list.into_iter()
        .map(|a| {
            Ok(Attachment {
                kind: AttachmentKind::parse(&a.kind).map_err(StoreError::backend)?,
                url: a.url,
                name: a.name,
                mime: a.mime,
                size: a.size,
            })
        })
        .collect()
}

/// Slots are a string map; a JSON object keeps them readable with `sqlite3` on the command line.
pub(crate) fn slots_to_json(slots: &Slots) -> Result<String> {
    serde_json::to_string(slots).map_err(StoreError::backend)
}

fn slots_from_json(s: &str) -> Result<Slots> {
    serde_json::from_str(s).map_err(StoreError::backend)
}

/// Article tags and cited article keys: a JSON array keeps their order in one column.
pub(crate) fn strings_to_json(list: &[String]) -> Result<String> {
    serde_json::to_string(list).map_err(StoreError::backend)
}

fn strings_from_json(s: &str) -> Result<Vec<String>> {
    serde_json::from_str(s).map_err(StoreError::backend)
}

/// An integration's headers: a JSON object of name to value.
pub(crate) fn headers_to_json(headers: &BTreeMap<String, String>) -> Result<String> {
    serde_json::to_string(headers).map_err(StoreError::backend)
}

fn headers_from_json(s: &str) -> Result<BTreeMap<String, String>> {
    serde_json::from_str(s).map_err(StoreError::backend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_round_trip() {
        let list = vec![
            Attachment {
                kind: AttachmentKind::Image,
                url: "https://x/y.png".into(),
                name: Some("y.png".into()),
                mime: Some("image/png".into()),
                size: Some(42),
            },
            Attachment {
                kind: AttachmentKind::Voice,
                url: "u".into(),
                name: None,
                mime: None,
                size: None,
            },
        ];
        let json = attachments_to_json(&list).unwrap();
        assert_eq!(attachments_from_json(&json).unwrap(), list);
        assert!(attachments_from_json(r#"[{"kind":"hologram","url":"u"}]"#).is_err());
    }

    #[test]
    fn string_lists_keep_their_order() {
        let list = vec!["курьер".to_string(), "Доставка".into(), "a \"b\"".into()];
        let json = strings_to_json(&list).unwrap();
        assert_eq!(strings_from_json(&json).unwrap(), list);
        assert_eq!(strings_from_json("[]").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn slots_round_trip() {
        let slots = Slots::from([
            ("order_number".into(), "123".into()),
            ("город".into(), "Тверь".into()),
        ]);
        assert_eq!(
            slots_from_json(&slots_to_json(&slots).unwrap()).unwrap(),
            slots
        );
    }
}
