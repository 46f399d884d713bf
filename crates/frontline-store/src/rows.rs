//! Reading rows into domain values, once for both SQL backends.
//!
//! The two schemas keep the same tables with the same column names; what differs is how a driver
//! hands a column over (SQLite's loose INTEGER/REAL/TEXT, PostgreSQL's strict INT4/INT8/JSONB). A
//! backend implements [`Columns`] for its row type — typed access to a column by name — and the
//! decoders here turn such a row into a domain value, so a rule like "a last message has a
//! direction" or "a job kind is `deliver` or `bot`" is written once. The column lists every query
//! selects are here too, so that a decoder and the query feeding it cannot drift apart.

use frontline_domain::{
    Account, AccountId, AccountKind, Author, BotConfigDraft, BotConfigVersion, ChannelDelivery,
    Conversation, ConversationId, ConversationStatus, ConversationView, Customer, CustomerId,
    DecisionAction, DecisionCount, DecisionId, DecisionRecord, DecisionStage, DeliveryStatus,
    Direction, Event, EventKind, FlowState, Handoff, HandoffContext, HandoffId, HandoffReason,
    Integration, KbArticle, KbCategory, KbRevision, KbRevisionSource, Lead, Listing,
    LlmSettingsRecord, Media, MediaId, Message, MessageId, MessagePreview, Operator, OperatorId,
    ParseError, QuickReply, QuickReplyId, Role, Seq, Timestamp, VoiceTurn, Workflow, WorkflowId,
    WorkflowVersion,
};

use crate::stored::{
    attachments_from_json, headers_from_json, link_from_json, quote_from_json, slots_from_json,
};
use crate::{Job, JobId, JobKind, Result, StoreError};

/// Typed access to a row's columns by name. Every accessor returns `None` for SQL `NULL`.
///
/// `B` is the backend's own type (its store), which lets a backend implement this trait for its
/// driver's row type without the orphan rule getting in the way; callers never name it.
pub trait Columns<B> {
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    fn opt_real(&self, col: &str) -> Result<Option<f64>>;
    fn opt_flag(&self, col: &str) -> Result<Option<bool>>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn opt_blob(&self, col: &str) -> Result<Option<Vec<u8>>>;
    /// A JSON column as its text (TEXT in SQLite, JSONB in PostgreSQL).
    fn opt_json(&self, col: &str) -> Result<Option<String>>;
    /// A list of strings in its order (a JSON array in SQLite, `TEXT[]` in PostgreSQL).
    fn strings(&self, col: &str) -> Result<Vec<String>>;

    fn int(&self, col: &str) -> Result<i64> {
        self.opt_int(col)?.ok_or_else(|| null(col))
    }
    fn int32(&self, col: &str) -> Result<i32> {
        i32::try_from(self.int(col)?).map_err(|_| corrupt(format!("{col} out of range")))
    }
    fn opt_int32(&self, col: &str) -> Result<Option<i32>> {
        self.opt_int(col)?
            .map(|v| i32::try_from(v).map_err(|_| corrupt(format!("{col} out of range"))))
            .transpose()
    }
    fn flag(&self, col: &str) -> Result<bool> {
        self.opt_flag(col)?.ok_or_else(|| null(col))
    }
    fn text(&self, col: &str) -> Result<String> {
        self.opt_text(col)?.ok_or_else(|| null(col))
    }
    fn blob(&self, col: &str) -> Result<Vec<u8>> {
        self.opt_blob(col)?.ok_or_else(|| null(col))
    }
    fn json(&self, col: &str) -> Result<String> {
        self.opt_json(col)?.ok_or_else(|| null(col))
    }
    fn ts(&self, col: &str) -> Result<Timestamp> {
        self.int(col).map(Timestamp)
    }
    fn opt_ts(&self, col: &str) -> Result<Option<Timestamp>> {
        Ok(self.opt_int(col)?.map(Timestamp))
    }
    /// A column holding one of the domain's string enums.
    fn parsed<T>(&self, col: &str, parse: fn(&str) -> Result<T, ParseError>) -> Result<T> {
        parse(&self.text(col)?).map_err(|e| corrupt(e.to_string()))
    }
    fn opt_parsed<T>(
        &self,
        col: &str,
        parse: fn(&str) -> Result<T, ParseError>,
    ) -> Result<Option<T>> {
        self.opt_text(col)?
            .map(|s| parse(&s).map_err(|e| corrupt(e.to_string())))
            .transpose()
    }
}

/// Something stored cannot be read back into a domain value (a bug or a hand-edited database).
#[derive(Debug, thiserror::Error)]
#[error("unreadable row: {0}")]
pub struct Corrupt(String);

pub fn corrupt(why: impl Into<String>) -> StoreError {
    StoreError::backend(Corrupt(why.into()))
}

fn null(col: &str) -> StoreError {
    corrupt(format!("{col} is NULL"))
}

// ---- column lists ---------------------------------------------------------------------------------

/// `cols` (a column list as above) with each column prefixed by `alias.`, for joins.
pub fn qualified(alias: &str, cols: &str) -> String {
    cols.split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub const OPERATOR_COLS: &str =
    "id, login, display_name, role, password_hash, active, created_at, last_seen_at";

pub const ACCOUNT_COLS: &str = "id, kind, name, enabled, callback_url, inbound_token_hash, \
     settings, sealed_secrets, created_at";

pub const MESSAGE_COLS: &str = "id, conversation_id, account_id, direction, author_kind, \
     author_operator_id, text, attachments, quote, link_preview, external_id, status, error, \
     created_at";

pub const HANDOFF_COLS: &str = "id, conversation_id, from_lead, to_lead, reason, actor_kind, \
     actor_operator_id, intent, summary, slots, briefing, created_at";

pub const QUICK_REPLY_COLS: &str = "id, title, text, owner_id, created_at";

pub const KB_CATEGORY_COLS: &str = "key, title, position, created_at, updated_at";

pub const KB_ARTICLE_COLS: &str =
    "key, category, title, body, tags, published, version, created_at, updated_at";

/// A revision with its author's name: append `WHERE …` to it.
pub const KB_REVISION_SELECT: &str = "SELECT r.key, r.version, r.category, r.title, r.body, \
     r.tags, r.published, r.source, r.restored_from, r.author_id, o.display_name AS author_name, \
     r.created_at FROM kb_article_revisions r LEFT JOIN operators o ON o.id = r.author_id";

pub const DECISION_COLS: &str = "id, conversation_id, message_id, action, stage, intent, \
     confidence, reason, article_ids, latency_us, note, trace, created_at";

pub const VOICE_TURN_COLS: &str = "id, conversation_id, call_id, turn, recognised, answer, \
     intent, speech_ms, end_of_speech_to_audio_ms, recognition_ms, engine_ms, synthesis_ms, barge_in, \
     dtmf, created_at";

pub const WORKFLOW_COLS: &str =
    "id, name, draft, tests, published_version, revision, created_at, updated_at";

pub const WORKFLOW_VERSION_COLS: &str =
    "workflow_id, version, document, published_at, published_by, note";

pub const BOT_CONFIG_VERSION_COLS: &str =
    "version, document, note, published_by, published_at, report";

pub const BOT_CONFIG_DRAFT_COLS: &str = "document, revision, based_on, updated_by, updated_at";

pub const LLM_SETTINGS_COLS: &str = "settings, sealed_api_key, updated_by, updated_at";

pub const FLOW_STATE_COLS: &str = "conversation_id, workflow_id, version, state, updated_at";

pub const INTEGRATION_COLS: &str = "name, base_url, headers, created_at, updated_at";

pub const CHANNEL_DELIVERY_COLS: &str = "id, account_id, body, received_at, attempts, last_error";

pub const MEDIA_COLS: &str = "id, account_id, mime, name, size, bytes, created_at";

pub const EVENT_COLS: &str = "seq, kind, conversation_id, message_id, handoff_id, created_at";

pub const JOB_COLS: &str = "id, kind, conversation_id, message_id, attempts, last_error";

/// The conversation columns, qualified with the alias `c` so that they can be joined.
pub const CONVERSATION_COLS: &str = "c.id, c.account_id, c.customer_id, \
     c.external_chat_id, c.listing_external_id, c.listing_title, c.listing_price, c.listing_url, \
     c.listing_image_url, c.lead, c.assignee_id, c.status, c.intent, c.slots, c.unread_count, \
     c.last_message_id, c.last_message_text, c.last_message_direction, c.last_message_at, \
     c.created_at, c.updated_at";

/// A conversation with its customer, account and assignee name; append `WHERE …` to it.
pub const VIEW_SELECT: &str = "SELECT c.id, c.account_id, c.customer_id, \
     c.external_chat_id, c.listing_external_id, c.listing_title, c.listing_price, c.listing_url, \
     c.listing_image_url, c.lead, c.assignee_id, c.status, c.intent, c.slots, c.unread_count, \
     c.last_message_id, c.last_message_text, c.last_message_direction, c.last_message_at, \
     c.created_at, c.updated_at, \
     cu.external_id AS customer_external_id, cu.name AS customer_name, \
     cu.avatar_url AS customer_avatar_url, cu.phone AS customer_phone, \
     cu.created_at AS customer_created_at, \
     a.name AS account_name, a.kind AS account_kind, o.display_name AS assignee_name \
     FROM conversations c \
     JOIN customers cu ON cu.id = c.customer_id \
     JOIN accounts a ON a.id = c.account_id \
     LEFT JOIN operators o ON o.id = c.assignee_id";

// ---- decoders -------------------------------------------------------------------------------------

pub fn operator<B>(row: &impl Columns<B>) -> Result<Operator> {
    Ok(Operator {
        id: OperatorId(row.int("id")?),
        login: row.text("login")?,
        display_name: row.text("display_name")?,
        role: row.parsed("role", Role::parse)?,
        password_hash: row.text("password_hash")?,
        active: row.flag("active")?,
        created_at: row.ts("created_at")?,
        last_seen_at: row.opt_int("last_seen_at")?.map(Timestamp),
    })
}

pub fn account<B>(row: &impl Columns<B>) -> Result<Account> {
    Ok(Account {
        id: AccountId(row.int("id")?),
        kind: row.parsed("kind", AccountKind::parse)?,
        name: row.text("name")?,
        enabled: row.flag("enabled")?,
        callback_url: row.opt_text("callback_url")?,
        inbound_token_hash: row.opt_text("inbound_token_hash")?,
        settings: row.opt_text("settings")?,
        sealed_secrets: row.opt_text("sealed_secrets")?,
        created_at: row.ts("created_at")?,
    })
}

pub fn conversation<B>(row: &impl Columns<B>) -> Result<Conversation> {
    let listing = match row.opt_text("listing_external_id")? {
        None => None,
        Some(external_id) => Some(Listing {
            external_id,
            title: row.opt_text("listing_title")?,
            price: row.opt_text("listing_price")?,
            url: row.opt_text("listing_url")?,
            image_url: row.opt_text("listing_image_url")?,
        }),
    };
    let last_message = match row.opt_int("last_message_id")? {
        None => None,
        Some(id) => Some(MessagePreview {
            message_id: MessageId(id),
            text: row.opt_text("last_message_text")?.unwrap_or_default(),
            direction: row
                .opt_parsed("last_message_direction", Direction::parse)?
                .ok_or_else(|| corrupt("last message without direction"))?,
            at: row
                .opt_ts("last_message_at")?
                .ok_or_else(|| corrupt("last message without time"))?,
        }),
    };
    Ok(Conversation {
        id: ConversationId(row.int("id")?),
        account_id: AccountId(row.int("account_id")?),
        customer_id: CustomerId(row.int("customer_id")?),
        external_chat_id: row.text("external_chat_id")?,
        listing,
        lead: row.parsed("lead", Lead::parse)?,
        assignee: row.opt_int("assignee_id")?.map(OperatorId),
        status: row.parsed("status", ConversationStatus::parse)?,
        intent: row.opt_text("intent")?,
        slots: slots_from_json(&row.json("slots")?)?,
        unread_count: row.int("unread_count")?,
        last_message,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

/// A row of [`VIEW_SELECT`].
pub fn view<B>(row: &impl Columns<B>) -> Result<ConversationView> {
    let conversation = conversation(row)?;
    let customer = Customer {
        id: conversation.customer_id,
        account_id: conversation.account_id,
        external_id: row.text("customer_external_id")?,
        name: row.opt_text("customer_name")?,
        avatar_url: row.opt_text("customer_avatar_url")?,
        phone: row.opt_text("customer_phone")?,
        created_at: row.ts("customer_created_at")?,
    };
    Ok(ConversationView {
        conversation,
        customer,
        account_name: row.text("account_name")?,
        account_kind: row.parsed("account_kind", AccountKind::parse)?,
        assignee_name: row.opt_text("assignee_name")?,
    })
}

fn author<B>(row: &impl Columns<B>, kind_col: &str, operator_col: &str) -> Result<Author> {
    let kind = row.text(kind_col)?;
    let op = row.opt_int(operator_col)?.map(OperatorId);
    Author::from_parts(&kind, op).map_err(|e| corrupt(e.to_string()))
}

pub fn message<B>(row: &impl Columns<B>) -> Result<Message> {
    Ok(Message {
        id: MessageId(row.int("id")?),
        conversation_id: ConversationId(row.int("conversation_id")?),
        account_id: AccountId(row.int("account_id")?),
        direction: row.parsed("direction", Direction::parse)?,
        author: author(row, "author_kind", "author_operator_id")?,
        text: row.text("text")?,
        attachments: attachments_from_json(&row.json("attachments")?)?,
        quote: quote_from_json(row.opt_json("quote")?.as_deref())?,
        link: link_from_json(row.opt_json("link_preview")?.as_deref())?,
        external_id: row.opt_text("external_id")?,
        status: row.parsed("status", DeliveryStatus::parse)?,
        error: row.opt_text("error")?,
        created_at: row.ts("created_at")?,
    })
}

pub fn handoff<B>(row: &impl Columns<B>) -> Result<Handoff> {
    Ok(Handoff {
        id: HandoffId(row.int("id")?),
        conversation_id: ConversationId(row.int("conversation_id")?),
        from: row.parsed("from_lead", Lead::parse)?,
        to: row.parsed("to_lead", Lead::parse)?,
        reason: row.parsed("reason", HandoffReason::parse)?,
        actor: author(row, "actor_kind", "actor_operator_id")?,
        context: HandoffContext {
            intent: row.opt_text("intent")?,
            summary: row.opt_text("summary")?,
            slots: slots_from_json(&row.json("slots")?)?,
            briefing: row.opt_text("briefing")?,
        },
        created_at: row.ts("created_at")?,
    })
}

pub fn quick_reply<B>(row: &impl Columns<B>) -> Result<QuickReply> {
    Ok(QuickReply {
        id: QuickReplyId(row.int("id")?),
        title: row.text("title")?,
        text: row.text("text")?,
        owner: row.opt_int("owner_id")?.map(OperatorId),
        created_at: row.ts("created_at")?,
    })
}

pub fn kb_category<B>(row: &impl Columns<B>) -> Result<KbCategory> {
    Ok(KbCategory {
        key: row.text("key")?,
        title: row.text("title")?,
        position: row.int("position")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

/// A row of [`KB_REVISION_SELECT`].
pub fn kb_revision<B>(row: &impl Columns<B>) -> Result<KbRevision> {
    Ok(KbRevision {
        key: row.text("key")?,
        version: row.int("version")?,
        category: row.text("category")?,
        title: row.text("title")?,
        body: row.text("body")?,
        tags: row.strings("tags")?,
        published: row.flag("published")?,
        source: row.parsed("source", KbRevisionSource::parse)?,
        restored_from: row.opt_int("restored_from")?,
        author: row.opt_int("author_id")?.map(OperatorId),
        author_name: row.opt_text("author_name")?,
        created_at: row.ts("created_at")?,
    })
}

pub fn kb_article<B>(row: &impl Columns<B>) -> Result<KbArticle> {
    Ok(KbArticle {
        key: row.text("key")?,
        category: row.text("category")?,
        title: row.text("title")?,
        body: row.text("body")?,
        tags: row.strings("tags")?,
        published: row.flag("published")?,
        version: row.int("version")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub fn decision<B>(row: &impl Columns<B>) -> Result<DecisionRecord> {
    Ok(DecisionRecord {
        id: DecisionId(row.int("id")?),
        conversation_id: ConversationId(row.int("conversation_id")?),
        message_id: MessageId(row.int("message_id")?),
        action: row.parsed("action", DecisionAction::parse)?,
        stage: row.opt_parsed("stage", DecisionStage::parse)?,
        intent: row.opt_text("intent")?,
        confidence: row.opt_real("confidence")?.map(|c| c as f32),
        reason: row.opt_parsed("reason", HandoffReason::parse)?,
        article_ids: row.strings("article_ids")?,
        latency_us: row.int("latency_us")?,
        note: row.opt_text("note")?,
        trace: row.opt_text("trace")?,
        created_at: row.ts("created_at")?,
    })
}

/// A row of `intent, action, count`.
pub fn decision_count<B>(row: &impl Columns<B>) -> Result<DecisionCount> {
    Ok(DecisionCount {
        intent: row.opt_text("intent")?,
        action: row.parsed("action", DecisionAction::parse)?,
        count: row.int("count")?,
    })
}

pub fn voice_turn<B>(row: &impl Columns<B>) -> Result<VoiceTurn> {
    Ok(VoiceTurn {
        id: row.int("id")?,
        conversation_id: ConversationId(row.int("conversation_id")?),
        call_id: row.text("call_id")?,
        turn: row.int32("turn")?,
        recognised: row.text("recognised")?,
        answer: row.opt_text("answer")?,
        intent: row.opt_text("intent")?,
        speech_ms: row.int("speech_ms")?,
        end_of_speech_to_audio_ms: row.opt_int("end_of_speech_to_audio_ms")?,
        recognition_ms: row.int("recognition_ms")?,
        engine_ms: row.opt_int("engine_ms")?,
        synthesis_ms: row.opt_int("synthesis_ms")?,
        barge_in: row.flag("barge_in")?,
        dtmf: row.flag("dtmf")?,
        created_at: row.ts("created_at")?,
    })
}

pub fn workflow<B>(row: &impl Columns<B>) -> Result<Workflow> {
    Ok(Workflow {
        id: WorkflowId(row.int("id")?),
        name: row.text("name")?,
        draft: row.text("draft")?,
        tests: row.text("tests")?,
        published_version: row.opt_int32("published_version")?,
        revision: row.int("revision")?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub fn workflow_version<B>(row: &impl Columns<B>) -> Result<WorkflowVersion> {
    Ok(WorkflowVersion {
        workflow_id: WorkflowId(row.int("workflow_id")?),
        version: row.int32("version")?,
        document: row.text("document")?,
        published_at: row.ts("published_at")?,
        published_by: row.opt_int("published_by")?.map(OperatorId),
        note: row.opt_text("note")?,
    })
}

pub fn bot_config_version<B>(row: &impl Columns<B>) -> Result<BotConfigVersion> {
    Ok(BotConfigVersion {
        version: row.int32("version")?,
        document: row.text("document")?,
        note: row.opt_text("note")?,
        published_by: row.opt_int("published_by")?.map(OperatorId),
        published_at: row.ts("published_at")?,
        report: row.opt_text("report")?,
    })
}

pub fn bot_config_draft<B>(row: &impl Columns<B>) -> Result<BotConfigDraft> {
    Ok(BotConfigDraft {
        document: row.text("document")?,
        revision: row.int("revision")?,
        based_on: row.opt_int32("based_on")?,
        updated_by: row.opt_int("updated_by")?.map(OperatorId),
        updated_at: row.ts("updated_at")?,
    })
}

pub fn llm_settings<B>(row: &impl Columns<B>) -> Result<LlmSettingsRecord> {
    Ok(LlmSettingsRecord {
        settings: row.text("settings")?,
        sealed_api_key: row.opt_text("sealed_api_key")?,
        updated_by: row.opt_int("updated_by")?.map(OperatorId),
        updated_at: row.ts("updated_at")?,
    })
}

pub fn flow_state<B>(row: &impl Columns<B>) -> Result<FlowState> {
    Ok(FlowState {
        conversation_id: ConversationId(row.int("conversation_id")?),
        workflow_id: WorkflowId(row.int("workflow_id")?),
        version: row.int32("version")?,
        state: row.text("state")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub fn integration<B>(row: &impl Columns<B>) -> Result<Integration> {
    Ok(Integration {
        name: row.text("name")?,
        base_url: row.text("base_url")?,
        headers: headers_from_json(&row.json("headers")?)?,
        created_at: row.ts("created_at")?,
        updated_at: row.ts("updated_at")?,
    })
}

pub fn event<B>(row: &impl Columns<B>) -> Result<Event> {
    Ok(Event {
        seq: Seq(row.int("seq")?),
        kind: row.parsed("kind", EventKind::parse)?,
        conversation_id: ConversationId(row.int("conversation_id")?),
        message_id: row.opt_int("message_id")?.map(MessageId),
        handoff_id: row.opt_int("handoff_id")?.map(HandoffId),
        created_at: row.ts("created_at")?,
    })
}

pub fn channel_delivery<B>(row: &impl Columns<B>) -> Result<ChannelDelivery> {
    Ok(ChannelDelivery {
        id: row.int("id")?,
        account_id: AccountId(row.int("account_id")?),
        body: row.text("body")?,
        received_at: row.ts("received_at")?,
        attempts: row.int32("attempts")?,
        last_error: row.opt_text("last_error")?,
    })
}

pub fn media<B>(row: &impl Columns<B>) -> Result<Media> {
    Ok(Media {
        id: MediaId(row.int("id")?),
        account_id: row.opt_int("account_id")?.map(AccountId),
        mime: row.text("mime")?,
        name: row.opt_text("name")?,
        size: row.int("size")?,
        bytes: row.blob("bytes")?,
        created_at: row.ts("created_at")?,
    })
}

pub fn job<B>(row: &impl Columns<B>) -> Result<Job> {
    let kind = match row.text("kind")?.as_str() {
        "deliver" => JobKind::Deliver,
        "bot" => JobKind::Bot,
        other => return Err(corrupt(format!("unknown job kind `{other}`"))),
    };
    Ok(Job {
        id: JobId(row.int("id")?),
        kind,
        conversation_id: ConversationId(row.int("conversation_id")?),
        message_id: MessageId(row.int("message_id")?),
        attempts: row.int32("attempts")?,
        last_error: row.opt_text("last_error")?,
    })
}
