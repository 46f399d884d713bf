//! The storage contract of frontline.
//!
//! [`Store`] is implemented by `frontline-store-sqlite` (the embedded default) and
//! `frontline-store-postgres`, chosen at run time by URL scheme. Its methods are shaped after the use
//! cases rather than after tables: every state change that the realtime stream must see is one method,
//! executed in ONE transaction together with the events it appends to the durable event log. That is what
//! makes "stored before acknowledged" and "no gaps in the stream" hold without distributed bookkeeping.
//!
//! Architecture invariant: only the store crates contain SQL.
//!
//! The [`conformance`] module (feature `conformance`) is the single test suite that every backend runs
//! unchanged.

#[cfg(feature = "conformance")]
pub mod conformance;

use std::time::Duration;

use async_trait::async_trait;
use frontline_domain::{
    Account, AccountId, AccountPatch, Attachment, Author, ChannelDelivery, Conversation,
    ConversationId, ConversationStatus, ConversationView, CustomerProfile, DecisionCount,
    DecisionRecord, DeliveryStatus, Event, ExternalReply, FlowState, Handoff, HandoffId,
    InboundMessage, Integration, KbArticle, KbArticleDraft, KbCategory, KbCategoryDraft, KbImport,
    KbImportStats, KbWrite, Lead, LeadChange, Listing, Media, MediaId, Message, MessageId,
    NewAccount, NewDecisionRecord, NewMedia, NewOperator, NewVoiceTurn, Operator, OperatorId,
    OperatorPatch, OperatorPreferences, OutboundMessage, QuickReply, QuickReplyId, Seq, Slots,
    Timestamp, VoiceTurn, Workflow, WorkflowDraft, WorkflowId, WorkflowVersion,
};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named entity does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The change conflicts with the current state (duplicate login, lead already set, …).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database failed or returned something we cannot read.
    #[error("storage backend error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    pub fn backend(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend(Box::new(e))
    }
}

/// Result of [`Store::ingest_inbound`].
#[derive(Debug, Clone, PartialEq)]
pub struct Ingested {
    pub message: Message,
    pub conversation: Conversation,
    /// `false` when the external message id was already stored: nothing was created or changed.
    pub new_message: bool,
    pub new_conversation: bool,
    /// A bot job was queued for this message (the conversation is bot-led).
    pub bot_job: bool,
}

/// Result of [`Store::enqueue_outbound`].
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    pub message: Message,
    /// Set when an operator's message took the lead from the bot.
    pub takeover: Option<Handoff>,
}

/// Result of [`Store::record_external_reply`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalRecorded {
    pub message: Message,
    /// Set when the answer took the lead from the bot.
    pub handoff: Option<Handoff>,
    /// `false` when the external message id was already stored: nothing was created or changed.
    pub new_message: bool,
}

/// Background work kept in the database so that it survives restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Deliver an outbound message through its channel (the outbox).
    Deliver,
    /// Let the bot answer an inbound message.
    Bot,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Deliver => "deliver",
            JobKind::Bot => "bot",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub i64);

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub kind: JobKind,
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    /// Attempts so far, including the one this claim starts (so ≥ 1 after a claim).
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// Which conversations a list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConversationFilter {
    pub lead: Option<Lead>,
    pub assignee: AssigneeFilter,
    /// `None`: every account. `Some(empty)`: none.
    pub account_ids: Option<Vec<AccountId>>,
    pub status: Option<ConversationStatus>,
    /// Continue after this row (exclusive).
    pub cursor: Option<ConversationCursor>,
    pub limit: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AssigneeFilter {
    #[default]
    Any,
    Is(OperatorId),
    /// The «Мои» tab: mine, plus handed-over conversations nobody has picked up yet.
    IsOrUnassigned(OperatorId),
    Unassigned,
}

/// Lists are ordered by last activity, newest first, then by id descending; the cursor is the last row
/// seen. Last activity is the time of the last message, or of creation when there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversationCursor {
    pub activity: Timestamp,
    pub id: ConversationId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Cursor for the next page, `None` on the last one.
    pub next: Option<ConversationCursor>,
}

/// A message found by search. Terms come from `frontline_text::query_terms`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    /// Every term must occur in the message (AND). Empty terms match nothing.
    pub terms: Vec<String>,
    /// Only conversations currently led by the bot / an operator.
    pub lead: Option<Lead>,
    pub account_ids: Option<Vec<AccountId>>,
    pub limit: usize,
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// How many conversations have at least one matching message.
    pub total_conversations: i64,
    /// One hit per conversation — its newest matching message — newest first, paged by limit/offset.
    pub hits: Vec<SearchHit>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    pub text: String,
    pub created_at: Timestamp,
}

/// A message from a channel's history (either direction), for bulk import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedMessage {
    pub account_id: AccountId,
    pub external_chat_id: String,
    pub external_message_id: String,
    pub customer: CustomerProfile,
    pub listing: Option<Listing>,
    pub author: Author,
    pub text: String,
    pub attachments: Vec<Attachment>,
    pub sent_at: Timestamp,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportStats {
    pub messages_created: u64,
    pub messages_skipped: u64,
    pub conversations_created: u64,
}

/// What the event log still holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventBounds {
    /// Highest seq ever appended (0 when empty).
    pub latest: Seq,
    /// Every event with seq ≤ this was pruned (0 when nothing was). A reader resuming after a smaller
    /// seq has missed events and must resync.
    pub pruned_through: Seq,
}

/// The storage contract. See the crate docs for the transaction rule.
///
/// Unless a method says otherwise: unknown ids give [`StoreError::NotFound`]; every event appended gets
/// a `seq` greater than every event committed before it (commit order = seq order, also under concurrent
/// writers), and the events of one call are appended in the order listed in its docs.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;

    /// A cheap round trip, for health checks.
    async fn ping(&self) -> Result<()>;

    // ---- operators and sessions -------------------------------------------------------------

    async fn count_operators(&self) -> Result<i64>;
    /// `Conflict` when the login is taken.
    async fn create_operator(&self, new: NewOperator) -> Result<Operator>;
    async fn operator(&self, id: OperatorId) -> Result<Option<Operator>>;
    /// `login` is compared as given (logins are stored case-folded by `Login::parse`).
    async fn operator_by_login(&self, login: &str) -> Result<Option<Operator>>;
    /// Ordered by id.
    async fn list_operators(&self) -> Result<Vec<Operator>>;
    async fn update_operator(&self, id: OperatorId, patch: OperatorPatch) -> Result<Operator>;

    /// Store a session; the token itself is never stored, only its hash.
    async fn create_session(
        &self,
        token_hash: &str,
        operator: OperatorId,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// The operator of an unexpired session, if the operator is active.
    async fn session_operator(&self, token_hash: &str, now: Timestamp) -> Result<Option<Operator>>;
    /// Idempotent.
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Log an operator out everywhere (on deactivation or password change). Idempotent.
    async fn delete_operator_sessions(&self, operator: OperatorId) -> Result<()>;

    // ---- accounts -------------------------------------------------------------------------------

    async fn create_account(&self, new: NewAccount) -> Result<Account>;
    async fn account(&self, id: AccountId) -> Result<Option<Account>>;
    /// Ordered by id.
    async fn list_accounts(&self) -> Result<Vec<Account>>;
    async fn update_account(&self, id: AccountId, patch: AccountPatch) -> Result<Account>;
    /// `Conflict` when the account has conversations (disable it instead: history must not vanish).
    async fn delete_account(&self, id: AccountId) -> Result<()>;

    // ---- the conversation lifecycle ---------------------------------------------------------

    /// Store a customer's message, idempotently on `(account_id, external_message_id)`.
    ///
    /// In one transaction: find or create the customer by `(account_id, customer.external_id)` and
    /// update its non-`None` profile fields; find or create the conversation by
    /// `(account_id, external_chat_id)` (new ones are bot-led and open; a given listing is stored or
    /// updated). If the message id is already stored (as a message's id or a recorded send of ours,
    /// see the channels section), return that message with `new_message: false` and change nothing
    /// else. Otherwise insert the message (direction in, author customer, status delivered,
    /// `created_at` = `sent_at` or now), update the conversation's last message and activity, add one
    /// to its unread count, reopen it if it was resolved, and when it is bot-led queue a
    /// [`JobKind::Bot`] job for the message. Events: `conversation.created` (if new),
    /// `message.created`, `conversation.updated`.
    async fn ingest_inbound(&self, msg: InboundMessage) -> Result<Ingested>;

    /// Queue an outgoing message for delivery (the outbox).
    ///
    /// In one transaction: when the author is an operator and the conversation is bot-led, first apply
    /// the domain's takeover rule (`Conversation::takeover_by`): the lead becomes operator, a handoff is
    /// recorded, and the author becomes the assignee if there is none. Then insert the message
    /// (direction out, status queued), queue a [`JobKind::Deliver`] job, and update the conversation's
    /// last message and activity. Events: `conversation.lead_changed` (if taken over),
    /// `message.created`, `conversation.updated`.
    ///
    /// A message authored by the bot into a conversation that an operator leads is refused with
    /// `Conflict` and stores nothing: checked inside the transaction, so the bot can never talk over a
    /// human who took the lead a moment earlier.
    async fn enqueue_outbound(&self, msg: OutboundMessage) -> Result<Queued>;

    /// Change who leads. `Conflict` when the conversation already has that lead.
    ///
    /// Recording a handoff either way. Handing to an operator who is the actor makes them the
    /// assignee when there is none; handing back to the bot clears the assignee. Events:
    /// `conversation.lead_changed`.
    async fn change_lead(&self, change: LeadChange) -> Result<Handoff>;

    /// Set or clear the assignee. Event: `conversation.assigned`.
    async fn assign(
        &self,
        conversation: ConversationId,
        assignee: Option<OperatorId>,
    ) -> Result<Conversation>;

    /// Resolve or reopen. Event: `conversation.updated` (none when the status does not change).
    async fn set_status(
        &self,
        conversation: ConversationId,
        status: ConversationStatus,
    ) -> Result<Conversation>;

    /// Reset the unread count. Event: `conversation.updated` (none when it was already 0).
    async fn mark_read(&self, conversation: ConversationId) -> Result<Conversation>;

    /// Record what the bot understood. Event: `conversation.updated`.
    async fn set_intent_and_slots(
        &self,
        conversation: ConversationId,
        intent: Option<String>,
        slots: Slots,
    ) -> Result<Conversation>;

    // ---- reading ----------------------------------------------------------------------------

    async fn conversation(&self, id: ConversationId) -> Result<Option<ConversationView>>;
    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
    ) -> Result<Page<ConversationView>>;
    /// Up to `limit` messages with id < `before` (all when `None`), the newest ones, returned oldest first.
    async fn list_messages(
        &self,
        conversation: ConversationId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Vec<Message>>;
    async fn message(&self, id: MessageId) -> Result<Option<Message>>;
    /// Oldest first.
    async fn handoffs(&self, conversation: ConversationId) -> Result<Vec<Handoff>>;
    async fn handoff(&self, id: HandoffId) -> Result<Option<Handoff>>;

    /// Full-text search over message text by the terms of `frontline_text`.
    async fn search_messages(&self, query: &SearchQuery) -> Result<SearchResults>;

    // ---- background jobs (outbox and bot queue) ---------------------------------------------

    /// Lease up to `limit` due jobs of `kind`: pending, `run_at` ≤ now and not leased (or lease expired,
    /// which is how a crashed worker's jobs come back). Each claim increments `attempts` and leases the
    /// job until `now + lease`. Oldest first. Two concurrent claimers never get the same job.
    async fn claim_jobs(
        &self,
        kind: JobKind,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Job>>;
    /// Earliest `run_at` among pending jobs of `kind` (leased ones count at their lease expiry).
    async fn next_job_at(&self, kind: JobKind) -> Result<Option<Timestamp>>;
    async fn count_jobs(&self, kind: JobKind) -> Result<i64>;
    /// A bot job is done: delete it.
    async fn complete_job(&self, job: crate::JobId) -> Result<()>;
    /// Release a job to run again at `run_at`, keeping `error` as its last error.
    async fn retry_job(&self, job: crate::JobId, run_at: Timestamp, error: &str) -> Result<()>;

    /// The channel accepted the message: delete the job, set status `sent`, the external id (if any) and
    /// clear the error. Event: `message.updated`.
    async fn delivery_succeeded(
        &self,
        job: crate::JobId,
        message: MessageId,
        external_id: Option<String>,
    ) -> Result<Message>;
    /// A delivery attempt failed. With `retry_at`, the job runs again then and the message keeps status
    /// `queued` with `error` visible; without, the job is deleted and the message becomes `failed`.
    /// Event: `message.updated`.
    async fn delivery_failed(
        &self,
        job: crate::JobId,
        message: MessageId,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<Message>;
    /// Queue a `failed` outbound message again (the operator's retry button). `Conflict` unless it is
    /// an outbound message with status failed. Event: `message.updated`.
    async fn retry_message(&self, message: MessageId) -> Result<Message>;
    /// A delivery receipt from the channel (`delivered`, `read`). Event: `message.updated`.
    async fn set_delivery_status(
        &self,
        message: MessageId,
        status: DeliveryStatus,
    ) -> Result<Message>;

    /// Import a channel's history idempotently (same keys as [`Store::ingest_inbound`]), in one
    /// transaction. Imported messages queue no jobs and leave unread counts alone; each touched
    /// conversation's last message is brought up to date and gets one `conversation.updated` event
    /// (`conversation.created` first for new ones). Messages take their author's direction; inbound
    /// ones are `delivered`, outbound ones `sent`, and all keep their external id.
    async fn import_messages(&self, batch: Vec<ImportedMessage>) -> Result<ImportStats>;

    // ---- channels ---------------------------------------------------------------------------
    //
    // What channel adapters keep besides conversations: raw webhook deliveries waiting to be
    // processed, the channel's ids of what we sent, and files. None of it appends events, except
    // `record_external_reply`, which is a change of a conversation like the lifecycle's.
    //
    // Idempotency keys of an account are one namespace: an external message id is "already stored"
    // when a message has it as `external_id` or when it was recorded as a send of one of ours
    // (`record_external_send`). `ingest_inbound`, `import_messages` and `record_external_reply` all
    // skip such ids, so the channel echoing our own message back is never stored as a new one.

    /// Keep a raw webhook delivery durably before it is acknowledged: pending, due now, no attempts
    /// yet. `NotFound("account")`. No event. Deleting the account drops its pending deliveries.
    async fn save_channel_delivery(
        &self,
        account: AccountId,
        body: &str,
    ) -> Result<ChannelDelivery>;
    /// Lease up to `limit` due deliveries, like [`Store::claim_jobs`]: `run_at` ≤ now and not leased
    /// (or the lease expired). Each claim increments `attempts` and leases the delivery until
    /// `now + lease`. Oldest (by id) first. Two concurrent claimers never get the same delivery.
    async fn claim_channel_deliveries(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ChannelDelivery>>;
    /// Earliest `run_at` among pending deliveries (leased ones count at their lease expiry).
    async fn next_channel_delivery_at(&self) -> Result<Option<Timestamp>>;
    /// The delivery is processed (or given up on): delete it. Idempotent.
    async fn finish_channel_delivery(&self, id: i64) -> Result<()>;
    /// Release a delivery to run again at `run_at`, keeping `error` as its last error.
    /// `NotFound("channel delivery")`.
    async fn retry_channel_delivery(&self, id: i64, run_at: Timestamp, error: &str) -> Result<()>;
    /// Deliveries not finished yet (leased or not).
    async fn count_channel_deliveries(&self) -> Result<i64>;

    /// Remember the channel's id of part `part` (0-based) of an outbound message: a long text goes
    /// out as several channel messages. No event. Idempotent for the same `(message, part,
    /// external_id)`; `Conflict` when the id already belongs to another message or part of the
    /// account (as a send or as a message's `external_id`), or when this part already has another
    /// id. `NotFound("message")`.
    async fn record_external_send(
        &self,
        message: MessageId,
        part: i32,
        external_id: &str,
    ) -> Result<()>;
    /// The recorded `(part, external id)` of a message, by part. `NotFound("message")`.
    async fn external_sends(&self, message: MessageId) -> Result<Vec<(i32, String)>>;
    /// The account's message whose `external_id` is `external_id`, or that has a send recorded
    /// with it.
    async fn message_by_external_id(
        &self,
        account: AccountId,
        external_id: &str,
    ) -> Result<Option<Message>>;
    async fn conversation_by_external_chat(
        &self,
        account: AccountId,
        external_chat_id: &str,
    ) -> Result<Option<ConversationView>>;

    /// A person answered from the channel's own app, outside frontline.
    ///
    /// In one transaction: `NotFound("conversation")` when the account has no conversation for the
    /// chat. If the external message id is already stored (see the section notes), return that
    /// message with `new_message: false` and change nothing. Otherwise insert the message (author
    /// external, direction out, status sent, the external id, `created_at` = `sent_at` or now) and
    /// update the conversation's last message and activity unless a newer message is shown already
    /// (the channel may report late); unread count and status stay. When the
    /// conversation is bot-led, the domain's takeover rule (`Conversation::takeover_by`) hands it to
    /// the operators: a handoff with reason `external_reply`, actor external and no context; the
    /// assignee is left alone. Events: `message.created`, `conversation.lead_changed` (if taken
    /// over), `conversation.updated`.
    async fn record_external_reply(&self, reply: ExternalReply) -> Result<ExternalRecorded>;

    /// Store a file; `size` is the length of its bytes. `NotFound("account")` for an unknown
    /// account. No event. A file outlives its account: deleting the account leaves `account_id`
    /// `None`.
    async fn save_media(&self, new: NewMedia) -> Result<Media>;
    async fn media(&self, id: MediaId) -> Result<Option<Media>>;

    // ---- operator preferences -----------------------------------------------------------------

    /// The operator's saved preferences; the defaults when none were saved. `NotFound("operator")`
    /// for an unknown operator.
    async fn operator_preferences(&self, operator: OperatorId) -> Result<OperatorPreferences>;
    /// Replace the operator's preferences (hidden accounts stored sorted, without repeats) and
    /// return what was stored. `NotFound("operator")` for an unknown operator.
    async fn save_operator_preferences(
        &self,
        operator: OperatorId,
        prefs: OperatorPreferences,
    ) -> Result<OperatorPreferences>;

    // ---- quick replies ----------------------------------------------------------------------

    async fn create_quick_reply(
        &self,
        title: &str,
        text: &str,
        owner: Option<OperatorId>,
    ) -> Result<QuickReply>;
    async fn quick_reply(&self, id: QuickReplyId) -> Result<Option<QuickReply>>;
    /// Shared ones and those owned by `operator`, ordered by title then id.
    async fn list_quick_replies(&self, operator: OperatorId) -> Result<Vec<QuickReply>>;
    async fn update_quick_reply(
        &self,
        id: QuickReplyId,
        title: &str,
        text: &str,
    ) -> Result<QuickReply>;
    async fn delete_quick_reply(&self, id: QuickReplyId) -> Result<()>;

    // ---- the knowledge base -----------------------------------------------------------------
    //
    // Drafts reach the store already cleaned (`KbArticleDraft::cleaned`). Knowledge-base changes
    // append no events: the event log is about conversations. Whoever changes an article tells the
    // engine's index (see `frontline-engine`'s knowledge service).

    /// Ordered by key.
    async fn list_kb_categories(&self) -> Result<Vec<KbCategory>>;
    /// Create the category, or retitle it when the key exists (`updated_at` moves only when the
    /// title changes).
    async fn upsert_kb_category(&self, draft: KbCategoryDraft) -> Result<(KbCategory, KbWrite)>;
    /// `NotFound("category")`; `Conflict` while articles belong to it.
    async fn delete_kb_category(&self, key: &str) -> Result<()>;
    /// Every article (published or not), optionally of one category, ordered by key.
    async fn list_kb_articles(&self, category: Option<&str>) -> Result<Vec<KbArticle>>;
    async fn kb_article(&self, key: &str) -> Result<Option<KbArticle>>;
    /// Create the article (version 1) or update it by key. An update that changes no field writes
    /// nothing and reports [`KbWrite::Unchanged`]; any other bumps the version and `updated_at`.
    /// Tags keep their order. `NotFound("category")` when the category does not exist.
    async fn upsert_kb_article(&self, draft: KbArticleDraft) -> Result<(KbArticle, KbWrite)>;
    /// Delete and return the article. `NotFound("article")`.
    async fn delete_kb_article(&self, key: &str) -> Result<KbArticle>;
    /// Upsert categories, then articles, as the two methods above do, in ONE transaction: an article
    /// whose category is neither stored nor in the import fails the whole import with
    /// `NotFound("category")` and stores nothing.
    async fn import_kb(&self, import: KbImport) -> Result<KbImportStats>;

    // ---- bot decisions ----------------------------------------------------------------------

    /// Record what the bot decided for one message (no event). `NotFound("conversation")`.
    async fn record_decision(&self, new: NewDecisionRecord) -> Result<DecisionRecord>;
    /// The newest `limit` decisions of a conversation, returned oldest first.
    async fn list_decisions(
        &self,
        conversation: ConversationId,
        limit: usize,
    ) -> Result<Vec<DecisionRecord>>;
    /// Decisions created at or after `since`, counted by intent and action; ordered by intent
    /// (no intent first) then action name.
    async fn decision_counts(&self, since: Timestamp) -> Result<Vec<DecisionCount>>;

    // ---- voice calls ---------------------------------------------------------------------------
    //
    // One row per turn of a phone call, for analytics (what was recognised, where the latency went).
    // No events: the turn's text reaches the conversation as ordinary messages.

    /// Record one turn of a call. `NotFound("conversation")`; `Conflict` when the call already has
    /// this turn number (a retried write must not count a turn twice). `created_at` is set by the
    /// store.
    async fn record_voice_turn(&self, new: NewVoiceTurn) -> Result<VoiceTurn>;
    /// The turns of a call, by turn number; empty for an unknown call.
    async fn voice_turns(&self, call_id: &str) -> Result<Vec<VoiceTurn>>;
    /// Every turn of a conversation's calls: calls in the order their first turn was recorded, each
    /// call's turns by turn number. `NotFound("conversation")`.
    async fn conversation_voice_turns(
        &self,
        conversation: ConversationId,
    ) -> Result<Vec<VoiceTurn>>;

    // ---- workflows ---------------------------------------------------------------------------
    //
    // Documents, tests and states are opaque JSON text here (the engine validates them); drafts
    // arrive cleaned (`WorkflowDraft::cleaned`). No events: workflows are configuration.

    async fn create_workflow(&self, draft: WorkflowDraft) -> Result<Workflow>;
    async fn workflow(&self, id: WorkflowId) -> Result<Option<Workflow>>;
    /// Ordered by id.
    async fn list_workflows(&self) -> Result<Vec<Workflow>>;
    /// Replace name, draft and tests; `updated_at` moves. Published versions are untouched.
    async fn update_workflow(&self, id: WorkflowId, draft: WorkflowDraft) -> Result<Workflow>;
    /// `Conflict` while an account runs it. Deletes its versions and the flow states on it.
    async fn delete_workflow(&self, id: WorkflowId) -> Result<()>;
    /// Copy the draft into a new version (previous highest + 1, from 1) and make it the published
    /// one, in one transaction.
    async fn publish_workflow(
        &self,
        id: WorkflowId,
        by: Option<OperatorId>,
    ) -> Result<WorkflowVersion>;
    /// Make an existing version the published one again. `NotFound("workflow version")`.
    async fn rollback_workflow(&self, id: WorkflowId, version: i32) -> Result<Workflow>;
    async fn workflow_version(
        &self,
        id: WorkflowId,
        version: i32,
    ) -> Result<Option<WorkflowVersion>>;
    /// Newest first. `NotFound("workflow")`.
    async fn list_workflow_versions(&self, id: WorkflowId) -> Result<Vec<WorkflowVersion>>;

    /// The workflow an account runs, if any.
    async fn account_workflow(&self, account: AccountId) -> Result<Option<WorkflowId>>;
    /// Choose (or with `None` clear) the workflow an account runs. `NotFound("account")`,
    /// `NotFound("workflow")`.
    async fn set_account_workflow(
        &self,
        account: AccountId,
        workflow: Option<WorkflowId>,
    ) -> Result<()>;

    async fn flow_state(&self, conversation: ConversationId) -> Result<Option<FlowState>>;
    /// Insert or replace the conversation's state (`updated_at` is set by the store).
    /// `NotFound("conversation")`, `NotFound("workflow")`.
    async fn save_flow_state(&self, state: FlowState) -> Result<FlowState>;
    /// Idempotent.
    async fn clear_flow_state(&self, conversation: ConversationId) -> Result<()>;
    /// How many conversations currently stand in each version of a workflow: `(version, count)`,
    /// by version.
    async fn flow_versions_in_use(&self, id: WorkflowId) -> Result<Vec<(i32, i64)>>;

    /// Create or replace by name (`created_at` kept on replace).
    async fn upsert_integration(
        &self,
        name: &str,
        base_url: &str,
        headers: std::collections::BTreeMap<String, String>,
    ) -> Result<Integration>;
    async fn integration(&self, name: &str) -> Result<Option<Integration>>;
    /// Ordered by name.
    async fn list_integrations(&self) -> Result<Vec<Integration>>;
    /// `NotFound("integration")`.
    async fn delete_integration(&self, name: &str) -> Result<()>;

    // ---- the event log ----------------------------------------------------------------------

    /// Up to `limit` events with seq > `after`, in seq order.
    async fn events_after(&self, after: Seq, limit: usize) -> Result<Vec<Event>>;
    async fn event_bounds(&self) -> Result<EventBounds>;
    /// Delete events created before `older_than`, always keeping the latest one, and advance
    /// `pruned_through`. Returns how many were deleted.
    async fn prune_events(&self, older_than: Timestamp) -> Result<u64>;
}
