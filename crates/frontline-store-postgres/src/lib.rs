//! The PostgreSQL backend of frontline's [`Store`], for production deployments.
//!
//! [`PgStore::connect`] opens a connection pool and applies the embedded migrations
//! (`migrations/*.sql`). Each module below holds the SQL of one part of the contract; this file only
//! wires the trait to them.
//!
//! Two PostgreSQL-specific mechanisms carry the contract's hardest promises:
//! - event order: writers that append events take a transaction-level advisory lock first, so the
//!   event log's seq order is commit order (see the `events` module for why and how);
//! - search: a stored generated `tsvector` with a GIN index over the terms that `frontline-text`
//!   computes in Rust (see the `search` module).

mod accounts;
mod channels;
mod error;
mod events;
mod import;
mod jobs;
mod knowledge;
mod lifecycle;
mod operators;
mod quick_replies;
mod read;
mod rows;
mod search;
pub mod testing;
mod voice;
mod workflows;

use std::time::Duration;

use async_trait::async_trait;
use frontline_domain::{
    Account, AccountId, AccountPatch, ChannelDelivery, Conversation, ConversationId,
    ConversationStatus, ConversationView, DecisionCount, DecisionRecord, DeliveryStatus, Event,
    ExternalReply, FlowState, Handoff, HandoffId, InboundMessage, Integration, KbArticle,
    KbArticleDraft, KbCategory, KbCategoryDraft, KbImport, KbImportStats, KbWrite, LeadChange,
    Media, MediaId, Message, MessageId, NewAccount, NewDecisionRecord, NewMedia, NewOperator,
    NewVoiceTurn, Operator, OperatorId, OperatorPatch, OperatorPreferences, OutboundMessage,
    QuickReply, QuickReplyId, Seq, Slots, Timestamp, VoiceTurn, Workflow, WorkflowDraft,
    WorkflowId, WorkflowVersion,
};
use frontline_store::{
    ConversationFilter, EventBounds, ExternalRecorded, ImportStats, ImportedMessage, Ingested, Job,
    JobId, JobKind, Page, Queued, Result, SearchQuery, SearchResults, Store, StoreError,
};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::error::db_err;

/// Connections per store. Event writers run one at a time anyway (the event log lock); the rest of the
/// pool serves reads, job claims and the API's concurrent requests.
const POOL_SIZE: u32 = 10;

/// frontline's storage on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connect to a `postgres://` or `postgresql://` URL and bring the schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::backend(error::NotPostgresUrl));
        }
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .map_err(db_err)?;
        // sqlx serialises concurrent migrators with its own advisory lock, so several processes can
        // start against the same database at once.
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(StoreError::backend)?;
        Ok(PgStore { pool })
    }

    /// The underlying pool, for maintenance such as `ANALYZE` after a bulk import.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn count_operators(&self) -> Result<i64> {
        operators::count_operators(&self.pool).await
    }

    async fn create_operator(&self, new: NewOperator) -> Result<Operator> {
        operators::create_operator(&self.pool, new).await
    }

    async fn operator(&self, id: OperatorId) -> Result<Option<Operator>> {
        operators::operator_by_id(&self.pool, id).await
    }

    async fn operator_by_login(&self, login: &str) -> Result<Option<Operator>> {
        operators::operator_by_login(&self.pool, login).await
    }

    async fn list_operators(&self) -> Result<Vec<Operator>> {
        operators::list_operators(&self.pool).await
    }

    async fn update_operator(&self, id: OperatorId, patch: OperatorPatch) -> Result<Operator> {
        operators::update_operator(&self.pool, id, patch).await
    }

    async fn create_session(
        &self,
        token_hash: &str,
        operator: OperatorId,
        expires_at: Timestamp,
    ) -> Result<()> {
        operators::create_session(&self.pool, token_hash, operator, expires_at).await
    }

    async fn session_operator(&self, token_hash: &str, now: Timestamp) -> Result<Option<Operator>> {
        operators::session_operator(&self.pool, token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        operators::delete_session(&self.pool, token_hash).await
    }

    async fn delete_operator_sessions(&self, operator: OperatorId) -> Result<()> {
        operators::delete_operator_sessions(&self.pool, operator).await
    }

    async fn create_account(&self, new: NewAccount) -> Result<Account> {
        accounts::create_account(&self.pool, new).await
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>> {
        accounts::account_by_id(&self.pool, id).await
    }

    async fn list_accounts(&self) -> Result<Vec<Account>> {
        accounts::list_accounts(&self.pool).await
    }

    async fn update_account(&self, id: AccountId, patch: AccountPatch) -> Result<Account> {
        accounts::update_account(&self.pool, id, patch).await
    }

    async fn delete_account(&self, id: AccountId) -> Result<()> {
        accounts::delete_account(&self.pool, id).await
    }

    async fn ingest_inbound(&self, msg: InboundMessage) -> Result<Ingested> {
        lifecycle::ingest_inbound(&self.pool, msg).await
    }

    async fn enqueue_outbound(&self, msg: OutboundMessage) -> Result<Queued> {
        lifecycle::enqueue_outbound(&self.pool, msg).await
    }

    async fn change_lead(&self, change: LeadChange) -> Result<Handoff> {
        lifecycle::change_lead(&self.pool, change).await
    }

    async fn assign(
        &self,
        conversation: ConversationId,
        assignee: Option<OperatorId>,
    ) -> Result<Conversation> {
        lifecycle::assign(&self.pool, conversation, assignee).await
    }

    async fn set_status(
        &self,
        conversation: ConversationId,
        status: ConversationStatus,
    ) -> Result<Conversation> {
        lifecycle::set_status(&self.pool, conversation, status).await
    }

    async fn mark_read(&self, conversation: ConversationId) -> Result<Conversation> {
        lifecycle::mark_read(&self.pool, conversation).await
    }

    async fn set_intent_and_slots(
        &self,
        conversation: ConversationId,
        intent: Option<String>,
        slots: Slots,
    ) -> Result<Conversation> {
        lifecycle::set_intent_and_slots(&self.pool, conversation, intent, slots).await
    }

    async fn conversation(&self, id: ConversationId) -> Result<Option<ConversationView>> {
        read::conversation(&self.pool, id).await
    }

    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
    ) -> Result<Page<ConversationView>> {
        read::list_conversations(&self.pool, filter).await
    }

    async fn list_messages(
        &self,
        conversation: ConversationId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Vec<Message>> {
        read::list_messages(&self.pool, conversation, before, limit).await
    }

    async fn message(&self, id: MessageId) -> Result<Option<Message>> {
        read::message_by_id(&self.pool, id).await
    }

    async fn handoffs(&self, conversation: ConversationId) -> Result<Vec<Handoff>> {
        read::handoffs(&self.pool, conversation).await
    }

    async fn handoff(&self, id: HandoffId) -> Result<Option<Handoff>> {
        read::handoff_by_id(&self.pool, id).await
    }

    async fn search_messages(&self, query: &SearchQuery) -> Result<SearchResults> {
        search::search_messages(&self.pool, query).await
    }

    async fn claim_jobs(
        &self,
        kind: JobKind,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Job>> {
        jobs::claim_jobs(&self.pool, kind, now, lease, limit).await
    }

    async fn next_job_at(&self, kind: JobKind) -> Result<Option<Timestamp>> {
        jobs::next_job_at(&self.pool, kind).await
    }

    async fn count_jobs(&self, kind: JobKind) -> Result<i64> {
        jobs::count_jobs(&self.pool, kind).await
    }

    async fn complete_job(&self, job: JobId) -> Result<()> {
        jobs::complete_job(&self.pool, job).await
    }

    async fn retry_job(&self, job: JobId, run_at: Timestamp, error: &str) -> Result<()> {
        jobs::retry_job(&self.pool, job, run_at, error).await
    }

    async fn delivery_succeeded(
        &self,
        job: JobId,
        message: MessageId,
        external_id: Option<String>,
    ) -> Result<Message> {
        jobs::delivery_succeeded(&self.pool, job, message, external_id).await
    }

    async fn delivery_failed(
        &self,
        job: JobId,
        message: MessageId,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<Message> {
        jobs::delivery_failed(&self.pool, job, message, error, retry_at).await
    }

    async fn retry_message(&self, message: MessageId) -> Result<Message> {
        jobs::retry_message(&self.pool, message).await
    }

    async fn set_delivery_status(
        &self,
        message: MessageId,
        status: DeliveryStatus,
    ) -> Result<Message> {
        jobs::set_delivery_status(&self.pool, message, status).await
    }

    async fn import_messages(&self, batch: Vec<ImportedMessage>) -> Result<ImportStats> {
        import::import_messages(&self.pool, batch).await
    }

    async fn save_channel_delivery(
        &self,
        account: AccountId,
        body: &str,
    ) -> Result<ChannelDelivery> {
        channels::save_channel_delivery(&self.pool, account, body).await
    }

    async fn claim_channel_deliveries(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ChannelDelivery>> {
        channels::claim_channel_deliveries(&self.pool, now, lease, limit).await
    }

    async fn next_channel_delivery_at(&self) -> Result<Option<Timestamp>> {
        channels::next_channel_delivery_at(&self.pool).await
    }

    async fn finish_channel_delivery(&self, id: i64) -> Result<()> {
        channels::finish_channel_delivery(&self.pool, id).await
    }

    async fn retry_channel_delivery(&self, id: i64, run_at: Timestamp, error: &str) -> Result<()> {
        channels::retry_channel_delivery(&self.pool, id, run_at, error).await
    }

    async fn count_channel_deliveries(&self) -> Result<i64> {
        channels::count_channel_deliveries(&self.pool).await
    }

    async fn record_external_send(
        &self,
        message: MessageId,
        part: i32,
        external_id: &str,
    ) -> Result<()> {
        channels::record_external_send(&self.pool, message, part, external_id).await
    }

    async fn external_sends(&self, message: MessageId) -> Result<Vec<(i32, String)>> {
        channels::external_sends(&self.pool, message).await
    }

    async fn message_by_external_id(
        &self,
        account: AccountId,
        external_id: &str,
    ) -> Result<Option<Message>> {
        channels::message_by_external_id(&self.pool, account, external_id).await
    }

    async fn conversation_by_external_chat(
        &self,
        account: AccountId,
        external_chat_id: &str,
    ) -> Result<Option<ConversationView>> {
        channels::conversation_by_external_chat(&self.pool, account, external_chat_id).await
    }

    async fn record_external_reply(&self, reply: ExternalReply) -> Result<ExternalRecorded> {
        lifecycle::record_external_reply(&self.pool, reply).await
    }

    async fn save_media(&self, new: NewMedia) -> Result<Media> {
        channels::save_media(&self.pool, new).await
    }

    async fn media(&self, id: MediaId) -> Result<Option<Media>> {
        channels::media(&self.pool, id).await
    }

    async fn operator_preferences(&self, operator: OperatorId) -> Result<OperatorPreferences> {
        operators::preferences(&self.pool, operator).await
    }

    async fn save_operator_preferences(
        &self,
        operator: OperatorId,
        prefs: OperatorPreferences,
    ) -> Result<OperatorPreferences> {
        operators::save_preferences(&self.pool, operator, prefs).await
    }

    async fn create_quick_reply(
        &self,
        title: &str,
        text: &str,
        owner: Option<OperatorId>,
    ) -> Result<QuickReply> {
        quick_replies::create(&self.pool, title, text, owner).await
    }

    async fn quick_reply(&self, id: QuickReplyId) -> Result<Option<QuickReply>> {
        quick_replies::get_by_id(&self.pool, id).await
    }

    async fn list_quick_replies(&self, operator: OperatorId) -> Result<Vec<QuickReply>> {
        quick_replies::list(&self.pool, operator).await
    }

    async fn update_quick_reply(
        &self,
        id: QuickReplyId,
        title: &str,
        text: &str,
    ) -> Result<QuickReply> {
        quick_replies::update(&self.pool, id, title, text).await
    }

    async fn delete_quick_reply(&self, id: QuickReplyId) -> Result<()> {
        quick_replies::delete(&self.pool, id).await
    }

    async fn list_kb_categories(&self) -> Result<Vec<KbCategory>> {
        knowledge::list_categories(&self.pool).await
    }

    async fn upsert_kb_category(&self, draft: KbCategoryDraft) -> Result<(KbCategory, KbWrite)> {
        knowledge::upsert_category(&self.pool, draft).await
    }

    async fn delete_kb_category(&self, key: &str) -> Result<()> {
        knowledge::delete_category(&self.pool, key).await
    }

    async fn list_kb_articles(&self, category: Option<&str>) -> Result<Vec<KbArticle>> {
        knowledge::list_articles(&self.pool, category).await
    }

    async fn kb_article(&self, key: &str) -> Result<Option<KbArticle>> {
        knowledge::article_by_key(&self.pool, key).await
    }

    async fn upsert_kb_article(&self, draft: KbArticleDraft) -> Result<(KbArticle, KbWrite)> {
        knowledge::upsert_article(&self.pool, draft).await
    }

    async fn delete_kb_article(&self, key: &str) -> Result<KbArticle> {
        knowledge::delete_article(&self.pool, key).await
    }

    async fn import_kb(&self, import: KbImport) -> Result<KbImportStats> {
        knowledge::import(&self.pool, import).await
    }

    async fn record_decision(&self, new: NewDecisionRecord) -> Result<DecisionRecord> {
        knowledge::record_decision(&self.pool, new).await
    }

    async fn list_decisions(
        &self,
        conversation: ConversationId,
        limit: usize,
    ) -> Result<Vec<DecisionRecord>> {
        knowledge::list_decisions(&self.pool, conversation, limit).await
    }

    async fn decision_counts(&self, since: Timestamp) -> Result<Vec<DecisionCount>> {
        knowledge::decision_counts(&self.pool, since).await
    }

    async fn record_voice_turn(&self, new: NewVoiceTurn) -> Result<VoiceTurn> {
        voice::record_voice_turn(&self.pool, new).await
    }

    async fn voice_turns(&self, call_id: &str) -> Result<Vec<VoiceTurn>> {
        voice::voice_turns(&self.pool, call_id).await
    }

    async fn conversation_voice_turns(
        &self,
        conversation: ConversationId,
    ) -> Result<Vec<VoiceTurn>> {
        voice::conversation_voice_turns(&self.pool, conversation).await
    }

    async fn create_workflow(&self, draft: WorkflowDraft) -> Result<Workflow> {
        workflows::create_workflow(&self.pool, draft).await
    }

    async fn workflow(&self, id: WorkflowId) -> Result<Option<Workflow>> {
        workflows::workflow_by_id(&self.pool, id).await
    }

    async fn list_workflows(&self) -> Result<Vec<Workflow>> {
        workflows::list_workflows(&self.pool).await
    }

    async fn update_workflow(&self, id: WorkflowId, draft: WorkflowDraft) -> Result<Workflow> {
        workflows::update_workflow(&self.pool, id, draft).await
    }

    async fn delete_workflow(&self, id: WorkflowId) -> Result<()> {
        workflows::delete_workflow(&self.pool, id).await
    }

    async fn publish_workflow(
        &self,
        id: WorkflowId,
        by: Option<OperatorId>,
    ) -> Result<WorkflowVersion> {
        workflows::publish_workflow(&self.pool, id, by).await
    }

    async fn rollback_workflow(&self, id: WorkflowId, version: i32) -> Result<Workflow> {
        workflows::rollback_workflow(&self.pool, id, version).await
    }

    async fn workflow_version(
        &self,
        id: WorkflowId,
        version: i32,
    ) -> Result<Option<WorkflowVersion>> {
        workflows::workflow_version(&self.pool, id, version).await
    }

    async fn list_workflow_versions(&self, id: WorkflowId) -> Result<Vec<WorkflowVersion>> {
        workflows::list_workflow_versions(&self.pool, id).await
    }

    async fn account_workflow(&self, account: AccountId) -> Result<Option<WorkflowId>> {
        workflows::account_workflow(&self.pool, account).await
    }

    async fn set_account_workflow(
        &self,
        account: AccountId,
        workflow: Option<WorkflowId>,
    ) -> Result<()> {
        workflows::set_account_workflow(&self.pool, account, workflow).await
    }

    async fn flow_state(&self, conversation: ConversationId) -> Result<Option<FlowState>> {
        workflows::flow_state(&self.pool, conversation).await
    }

    async fn save_flow_state(&self, state: FlowState) -> Result<FlowState> {
        workflows::save_flow_state(&self.pool, state).await
    }

    async fn clear_flow_state(&self, conversation: ConversationId) -> Result<()> {
        workflows::clear_flow_state(&self.pool, conversation).await
    }

    async fn flow_versions_in_use(&self, id: WorkflowId) -> Result<Vec<(i32, i64)>> {
        workflows::flow_versions_in_use(&self.pool, id).await
    }

    async fn upsert_integration(
        &self,
        name: &str,
        base_url: &str,
        headers: std::collections::BTreeMap<String, String>,
    ) -> Result<Integration> {
        workflows::upsert_integration(&self.pool, name, base_url, headers).await
    }

    async fn integration(&self, name: &str) -> Result<Option<Integration>> {
        workflows::integration_by_name(&self.pool, name).await
    }

    async fn list_integrations(&self) -> Result<Vec<Integration>> {
        workflows::list_integrations(&self.pool).await
    }

    async fn delete_integration(&self, name: &str) -> Result<()> {
        workflows::delete_integration(&self.pool, name).await
    }

    async fn events_after(&self, after: Seq, limit: usize) -> Result<Vec<Event>> {
        events::events_after(&self.pool, after, limit).await
    }

    async fn event_bounds(&self) -> Result<EventBounds> {
        events::event_bounds(&self.pool).await
    }

    async fn prune_events(&self, older_than: Timestamp) -> Result<u64> {
        events::prune_events(&self.pool, older_than).await
    }
}
