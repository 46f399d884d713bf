//! The embedded SQLite backend of frontline's [`Store`] contract.
//!
//! Concurrency design: every state-changing method runs on a pool of exactly ONE write connection, in a
//! transaction opened with `BEGIN IMMEDIATE`; reads go to a separate pool of several connections. With
//! WAL journaling readers never block the writer nor each other. The single writer is what gives the
//! event log its central invariant, *seq order = commit order*: a transaction appends events only while
//! it holds the only write connection, so no event with a smaller seq can commit after one with a larger
//! seq, and a reader tailing the log by seq never skips an event that commits late. It also means no
//! transaction ever upgrades from a read lock to a write lock, which is where SQLite's `SQLITE_BUSY`
//! deadlocks come from. `BEGIN IMMEDIATE` additionally serialises against other processes (an import
//! from the command line) through `busy_timeout`.
//!
//! Architecture invariant: this crate only translates the contract to SQL; the rules themselves (what a
//! takeover does, what a preview looks like, how text is stemmed) come from `frontline-domain` and
//! `frontline-text`.

mod admin;
mod channels;
mod error;
mod events;
mod jobs;
mod knowledge;
mod lifecycle;
mod read;
mod rows;
mod search;
mod voice;
mod workflows;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use frontline_domain::{
    Account, AccountId, AccountPatch, ChannelDelivery, ConversationId, ConversationStatus,
    ConversationView, DecisionCount, DecisionRecord, DeliveryStatus, Event, ExternalReply,
    FlowState, Handoff, HandoffId, InboundMessage, Integration, KbArticle, KbArticleDraft,
    KbCategory, KbCategoryDraft, KbImport, KbImportStats, KbWrite, LeadChange, Media, MediaId,
    Message, MessageId, NewAccount, NewDecisionRecord, NewMedia, NewOperator, NewVoiceTurn,
    Operator, OperatorId, OperatorPatch, OperatorPreferences, OutboundMessage, QuickReply,
    QuickReplyId, Seq, Slots, Timestamp, VoiceTurn, Workflow, WorkflowDraft, WorkflowId,
    WorkflowVersion,
};
use frontline_store::{
    ConversationFilter, EventBounds, ExternalRecorded, ImportStats, ImportedMessage, Ingested, Job,
    JobId, JobKind, Page, Queued, Result, SearchQuery, SearchResults, Store, StoreError,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use crate::error::db;

/// How long a statement waits for a lock held by another process before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Page cache per connection, in KiB (negative: a size rather than a page count).
const CACHE_SIZE: &str = "-65536";
/// Address space for memory-mapped reads, per connection.
const MMAP_SIZE: &str = "1073741824";
/// Readers run concurrently under WAL; a handful is plenty for a two-core server.
const READ_CONNECTIONS: u32 = 4;

pub(crate) type Tx = Transaction<'static, Sqlite>;

/// frontline's storage in one SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    /// Exactly one connection: all writes are serialised through it (see the crate docs).
    write: SqlitePool,
    /// Read-only connections (`query_only`), or the write pool itself for in-memory databases, which
    /// cannot be shared between connections the way a WAL file can.
    read: SqlitePool,
}

impl SqliteStore {
    /// Open (creating it and its parent directories when missing) and migrate the database at `url`:
    /// `sqlite://relative/path.db`, `sqlite:///absolute/path.db`, or `sqlite::memory:` for tests.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(db)?
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // The default 2 MB page cache thrashes on search and bulk import at a million
            // messages; memory-mapped reads avoid copying pages the OS already caches.
            .pragma("cache_size", CACHE_SIZE)
            .pragma("mmap_size", MMAP_SIZE);
        let in_memory = is_memory_url(url);
        let write_options = if in_memory {
            options.clone()
        } else {
            if let Some(dir) = options.get_filename().parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(StoreError::backend)?;
            }
            options
                .clone()
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
        };
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            // An in-memory database lives as long as one of its connections: never let it close.
            .idle_timeout(None)
            .max_lifetime(None)
            .after_release(|conn, _| Box::pin(leave_no_transaction_open(conn)))
            .connect_with(write_options)
            .await
            .map_err(db)?;
        sqlx::migrate!("./migrations")
            .run(&write)
            .await
            .map_err(StoreError::backend)?;
        let read = if in_memory {
            write.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(READ_CONNECTIONS)
                .connect_with(
                    options
                        .synchronous(SqliteSynchronous::Normal)
                        .pragma("query_only", "ON"),
                )
                .await
                .map_err(db)?
        };
        Ok(SqliteStore { write, read })
    }

    /// Close both pools, checkpointing the WAL.
    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }

    /// Start a write transaction on the single write connection.
    pub(crate) async fn begin(&self) -> Result<Tx> {
        self.write.begin_with("BEGIN IMMEDIATE").await.map_err(db)
    }
}

/// A future dropped while it was beginning a transaction (an HTTP handler whose client went away)
/// can leave the connection inside `BEGIN` with no `Transaction` to roll it back; with one write
/// connection every later write would then fail. Roll such a transaction back as the connection
/// returns to the pool: nothing in it was committed, so nothing is lost.
async fn leave_no_transaction_open(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::{Connection as _, TransactionManager as _};
    while conn.is_in_transaction() {
        tracing::warn!("a write connection came back inside a transaction; rolling it back");
        sqlx::sqlite::SqliteTransactionManager::rollback(conn).await?;
    }
    Ok(true)
}

fn is_memory_url(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn count_operators(&self) -> Result<i64> {
        admin::count_operators(self).await
    }
    async fn create_operator(&self, new: NewOperator) -> Result<Operator> {
        admin::create_operator(self, new).await
    }
    async fn operator(&self, id: OperatorId) -> Result<Option<Operator>> {
        admin::operator(self, id).await
    }
    async fn operator_by_login(&self, login: &str) -> Result<Option<Operator>> {
        admin::operator_by_login(self, login).await
    }
    async fn list_operators(&self) -> Result<Vec<Operator>> {
        admin::list_operators(self).await
    }
    async fn update_operator(&self, id: OperatorId, patch: OperatorPatch) -> Result<Operator> {
        admin::update_operator(self, id, patch).await
    }
    async fn create_session(
        &self,
        token_hash: &str,
        operator: OperatorId,
        expires_at: Timestamp,
    ) -> Result<()> {
        admin::create_session(self, token_hash, operator, expires_at).await
    }
    async fn session_operator(&self, token_hash: &str, now: Timestamp) -> Result<Option<Operator>> {
        admin::session_operator(self, token_hash, now).await
    }
    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        admin::delete_session(self, token_hash).await
    }
    async fn delete_operator_sessions(&self, operator: OperatorId) -> Result<()> {
        admin::delete_operator_sessions(self, operator).await
    }

    async fn create_account(&self, new: NewAccount) -> Result<Account> {
        admin::create_account(self, new).await
    }
    async fn account(&self, id: AccountId) -> Result<Option<Account>> {
        admin::account(self, id).await
    }
    async fn list_accounts(&self) -> Result<Vec<Account>> {
        admin::list_accounts(self).await
    }
    async fn update_account(&self, id: AccountId, patch: AccountPatch) -> Result<Account> {
        admin::update_account(self, id, patch).await
    }
    async fn delete_account(&self, id: AccountId) -> Result<()> {
        admin::delete_account(self, id).await
    }

    async fn ingest_inbound(&self, msg: InboundMessage) -> Result<Ingested> {
        lifecycle::ingest_inbound(self, msg).await
    }
    async fn enqueue_outbound(&self, msg: OutboundMessage) -> Result<Queued> {
        lifecycle::enqueue_outbound(self, msg).await
    }
    async fn change_lead(&self, change: LeadChange) -> Result<Handoff> {
        lifecycle::change_lead(self, change).await
    }
    async fn assign(
        &self,
        conversation: ConversationId,
        assignee: Option<OperatorId>,
    ) -> Result<frontline_domain::Conversation> {
        lifecycle::assign(self, conversation, assignee).await
    }
    async fn set_status(
        &self,
        conversation: ConversationId,
        status: ConversationStatus,
    ) -> Result<frontline_domain::Conversation> {
        lifecycle::set_status(self, conversation, status).await
    }
    async fn mark_read(
        &self,
        conversation: ConversationId,
    ) -> Result<frontline_domain::Conversation> {
        lifecycle::mark_read(self, conversation).await
    }
    async fn set_intent_and_slots(
        &self,
        conversation: ConversationId,
        intent: Option<String>,
        slots: Slots,
    ) -> Result<frontline_domain::Conversation> {
        lifecycle::set_intent_and_slots(self, conversation, intent, slots).await
    }

    async fn conversation(&self, id: ConversationId) -> Result<Option<ConversationView>> {
        read::conversation(self, id).await
    }
    async fn list_conversations(
        &self,
        filter: &ConversationFilter,
    ) -> Result<Page<ConversationView>> {
        read::list_conversations(self, filter).await
    }
    async fn list_messages(
        &self,
        conversation: ConversationId,
        before: Option<MessageId>,
        limit: usize,
    ) -> Result<Vec<Message>> {
        read::list_messages(self, conversation, before, limit).await
    }
    async fn message(&self, id: MessageId) -> Result<Option<Message>> {
        read::message(self, id).await
    }
    async fn handoffs(&self, conversation: ConversationId) -> Result<Vec<Handoff>> {
        read::handoffs(self, conversation).await
    }
    async fn handoff(&self, id: HandoffId) -> Result<Option<Handoff>> {
        read::handoff(self, id).await
    }
    async fn search_messages(&self, query: &SearchQuery) -> Result<SearchResults> {
        search::search_messages(self, query).await
    }

    async fn claim_jobs(
        &self,
        kind: JobKind,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Job>> {
        jobs::claim_jobs(self, kind, now, lease, limit).await
    }
    async fn next_job_at(&self, kind: JobKind) -> Result<Option<Timestamp>> {
        jobs::next_job_at(self, kind).await
    }
    async fn count_jobs(&self, kind: JobKind) -> Result<i64> {
        jobs::count_jobs(self, kind).await
    }
    async fn complete_job(&self, job: JobId) -> Result<()> {
        jobs::complete_job(self, job).await
    }
    async fn retry_job(&self, job: JobId, run_at: Timestamp, error: &str) -> Result<()> {
        jobs::retry_job(self, job, run_at, error).await
    }
    async fn delivery_succeeded(
        &self,
        job: JobId,
        message: MessageId,
        external_id: Option<String>,
    ) -> Result<Message> {
        jobs::delivery_succeeded(self, job, message, external_id).await
    }
    async fn delivery_failed(
        &self,
        job: JobId,
        message: MessageId,
        error: &str,
        retry_at: Option<Timestamp>,
    ) -> Result<Message> {
        jobs::delivery_failed(self, job, message, error, retry_at).await
    }
    async fn retry_message(&self, message: MessageId) -> Result<Message> {
        jobs::retry_message(self, message).await
    }
    async fn set_delivery_status(
        &self,
        message: MessageId,
        status: DeliveryStatus,
    ) -> Result<Message> {
        jobs::set_delivery_status(self, message, status).await
    }

    async fn import_messages(&self, batch: Vec<ImportedMessage>) -> Result<ImportStats> {
        lifecycle::import_messages(self, batch).await
    }

    async fn save_channel_delivery(
        &self,
        account: AccountId,
        body: &str,
    ) -> Result<ChannelDelivery> {
        channels::save_channel_delivery(self, account, body).await
    }
    async fn claim_channel_deliveries(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<ChannelDelivery>> {
        channels::claim_channel_deliveries(self, now, lease, limit).await
    }
    async fn next_channel_delivery_at(&self) -> Result<Option<Timestamp>> {
        channels::next_channel_delivery_at(self).await
    }
    async fn finish_channel_delivery(&self, id: i64) -> Result<()> {
        channels::finish_channel_delivery(self, id).await
    }
    async fn retry_channel_delivery(&self, id: i64, run_at: Timestamp, error: &str) -> Result<()> {
        channels::retry_channel_delivery(self, id, run_at, error).await
    }
    async fn count_channel_deliveries(&self) -> Result<i64> {
        channels::count_channel_deliveries(self).await
    }
    async fn record_external_send(
        &self,
        message: MessageId,
        part: i32,
        external_id: &str,
    ) -> Result<()> {
        channels::record_external_send(self, message, part, external_id).await
    }
    async fn external_sends(&self, message: MessageId) -> Result<Vec<(i32, String)>> {
        channels::external_sends(self, message).await
    }
    async fn message_by_external_id(
        &self,
        account: AccountId,
        external_id: &str,
    ) -> Result<Option<Message>> {
        channels::message_by_external_id(&self.read, account, external_id).await
    }
    async fn conversation_by_external_chat(
        &self,
        account: AccountId,
        external_chat_id: &str,
    ) -> Result<Option<ConversationView>> {
        channels::conversation_by_external_chat(self, account, external_chat_id).await
    }
    async fn record_external_reply(&self, reply: ExternalReply) -> Result<ExternalRecorded> {
        lifecycle::record_external_reply(self, reply).await
    }
    async fn save_media(&self, new: NewMedia) -> Result<Media> {
        channels::save_media(self, new).await
    }
    async fn media(&self, id: MediaId) -> Result<Option<Media>> {
        channels::media(self, id).await
    }

    async fn operator_preferences(&self, operator: OperatorId) -> Result<OperatorPreferences> {
        admin::operator_preferences(self, operator).await
    }

    async fn save_operator_preferences(
        &self,
        operator: OperatorId,
        prefs: OperatorPreferences,
    ) -> Result<OperatorPreferences> {
        admin::save_operator_preferences(self, operator, prefs).await
    }

    async fn create_quick_reply(
        &self,
        title: &str,
        text: &str,
        owner: Option<OperatorId>,
    ) -> Result<QuickReply> {
        admin::create_quick_reply(self, title, text, owner).await
    }
    async fn quick_reply(&self, id: QuickReplyId) -> Result<Option<QuickReply>> {
        admin::quick_reply(self, id).await
    }
    async fn list_quick_replies(&self, operator: OperatorId) -> Result<Vec<QuickReply>> {
        admin::list_quick_replies(self, operator).await
    }
    async fn update_quick_reply(
        &self,
        id: QuickReplyId,
        title: &str,
        text: &str,
    ) -> Result<QuickReply> {
        admin::update_quick_reply(self, id, title, text).await
    }
    async fn delete_quick_reply(&self, id: QuickReplyId) -> Result<()> {
        admin::delete_quick_reply(self, id).await
    }

    async fn list_kb_categories(&self) -> Result<Vec<KbCategory>> {
        knowledge::list_kb_categories(self).await
    }
    async fn upsert_kb_category(&self, draft: KbCategoryDraft) -> Result<(KbCategory, KbWrite)> {
        knowledge::upsert_kb_category(self, draft).await
    }
    async fn delete_kb_category(&self, key: &str) -> Result<()> {
        knowledge::delete_kb_category(self, key).await
    }
    async fn list_kb_articles(&self, category: Option<&str>) -> Result<Vec<KbArticle>> {
        knowledge::list_kb_articles(self, category).await
    }
    async fn kb_article(&self, key: &str) -> Result<Option<KbArticle>> {
        knowledge::kb_article(self, key).await
    }
    async fn upsert_kb_article(&self, draft: KbArticleDraft) -> Result<(KbArticle, KbWrite)> {
        knowledge::upsert_kb_article(self, draft).await
    }
    async fn delete_kb_article(&self, key: &str) -> Result<KbArticle> {
        knowledge::delete_kb_article(self, key).await
    }
    async fn import_kb(&self, import: KbImport) -> Result<KbImportStats> {
        knowledge::import_kb(self, import).await
    }

    async fn record_decision(&self, new: NewDecisionRecord) -> Result<DecisionRecord> {
        knowledge::record_decision(self, new).await
    }
    async fn list_decisions(
        &self,
        conversation: ConversationId,
        limit: usize,
    ) -> Result<Vec<DecisionRecord>> {
        knowledge::list_decisions(self, conversation, limit).await
    }
    async fn decision_counts(&self, since: Timestamp) -> Result<Vec<DecisionCount>> {
        knowledge::decision_counts(self, since).await
    }

    async fn record_voice_turn(&self, new: NewVoiceTurn) -> Result<VoiceTurn> {
        voice::record_voice_turn(self, new).await
    }
    async fn voice_turns(&self, call_id: &str) -> Result<Vec<VoiceTurn>> {
        voice::voice_turns(self, call_id).await
    }
    async fn conversation_voice_turns(
        &self,
        conversation: ConversationId,
    ) -> Result<Vec<VoiceTurn>> {
        voice::conversation_voice_turns(self, conversation).await
    }

    async fn create_workflow(&self, draft: WorkflowDraft) -> Result<Workflow> {
        workflows::create_workflow(self, draft).await
    }
    async fn workflow(&self, id: WorkflowId) -> Result<Option<Workflow>> {
        workflows::workflow(self, id).await
    }
    async fn list_workflows(&self) -> Result<Vec<Workflow>> {
        workflows::list_workflows(self).await
    }
    async fn update_workflow(&self, id: WorkflowId, draft: WorkflowDraft) -> Result<Workflow> {
        workflows::update_workflow(self, id, draft).await
    }
    async fn delete_workflow(&self, id: WorkflowId) -> Result<()> {
        workflows::delete_workflow(self, id).await
    }
    async fn publish_workflow(
        &self,
        id: WorkflowId,
        by: Option<OperatorId>,
    ) -> Result<WorkflowVersion> {
        workflows::publish_workflow(self, id, by).await
    }
    async fn rollback_workflow(&self, id: WorkflowId, version: i32) -> Result<Workflow> {
        workflows::rollback_workflow(self, id, version).await
    }
    async fn workflow_version(
        &self,
        id: WorkflowId,
        version: i32,
    ) -> Result<Option<WorkflowVersion>> {
        workflows::workflow_version(self, id, version).await
    }
    async fn list_workflow_versions(&self, id: WorkflowId) -> Result<Vec<WorkflowVersion>> {
        workflows::list_workflow_versions(self, id).await
    }
    async fn account_workflow(&self, account: AccountId) -> Result<Option<WorkflowId>> {
        workflows::account_workflow(self, account).await
    }
    async fn set_account_workflow(
        &self,
        account: AccountId,
        workflow: Option<WorkflowId>,
    ) -> Result<()> {
        workflows::set_account_workflow(self, account, workflow).await
    }
    async fn flow_state(&self, conversation: ConversationId) -> Result<Option<FlowState>> {
        workflows::flow_state(self, conversation).await
    }
    async fn save_flow_state(&self, state: FlowState) -> Result<FlowState> {
        workflows::save_flow_state(self, state).await
    }
    async fn clear_flow_state(&self, conversation: ConversationId) -> Result<()> {
        workflows::clear_flow_state(self, conversation).await
    }
    async fn flow_versions_in_use(&self, id: WorkflowId) -> Result<Vec<(i32, i64)>> {
        workflows::flow_versions_in_use(self, id).await
    }
    async fn upsert_integration(
        &self,
        name: &str,
        base_url: &str,
        headers: std::collections::BTreeMap<String, String>,
    ) -> Result<Integration> {
        workflows::upsert_integration(self, name, base_url, headers).await
    }
    async fn integration(&self, name: &str) -> Result<Option<Integration>> {
        workflows::integration(self, name).await
    }
    async fn list_integrations(&self) -> Result<Vec<Integration>> {
        workflows::list_integrations(self).await
    }
    async fn delete_integration(&self, name: &str) -> Result<()> {
        workflows::delete_integration(self, name).await
    }

    async fn events_after(&self, after: Seq, limit: usize) -> Result<Vec<Event>> {
        events::events_after(self, after, limit).await
    }
    async fn event_bounds(&self) -> Result<EventBounds> {
        events::event_bounds(self).await
    }
    async fn prune_events(&self, older_than: Timestamp) -> Result<u64> {
        events::prune_events(self, older_than).await
    }
}

/// `usize` limits and offsets as SQLite integers (a limit beyond `i64::MAX` means "all").
pub(crate) fn sql_int(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn creates_parent_directories_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/deeper/frontline.db");
        let url = format!("sqlite://{}", path.display());
        let store = SqliteStore::connect(&url).await.unwrap();
        store.ping().await.unwrap();
        assert_eq!(store.backend(), "sqlite");
        store.close().await;
        assert!(path.exists());
        // Migrations are recorded: connecting again applies nothing twice.
        let again = SqliteStore::connect(&url).await.unwrap();
        assert_eq!(again.count_operators().await.unwrap(), 0);
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&again.read)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn a_transaction_left_open_by_a_dropped_future_does_not_block_writes() {
        use sqlx::{Connection as _, TransactionManager as _};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("f.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        {
            // What a `begin` cancelled after its BEGIN ran leaves behind: a connection inside a
            // transaction and no `Transaction` to roll it back.
            let mut conn = store.write.acquire().await.unwrap();
            sqlx::sqlite::SqliteTransactionManager::begin(
                &mut conn,
                Some("BEGIN IMMEDIATE".into()),
            )
            .await
            .unwrap();
            assert!(conn.is_in_transaction());
        }
        let admin = store
            .create_operator(frontline_domain::NewOperator {
                login: frontline_domain::Login::parse("olga").unwrap(),
                display_name: "Ольга".into(),
                role: frontline_domain::Role::Operator,
                password_hash: "x".into(),
            })
            .await
            .expect("the next write gets a clean connection");
        assert_eq!(
            store.operator(admin.id).await.unwrap().unwrap().login,
            "olga"
        );
        // And the next transaction commits for real.
        let mut tx = store.begin().await.unwrap();
        sqlx::query("DELETE FROM operators")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(store.count_operators().await.unwrap(), 0);
    }

    #[tokio::test]
    async fn in_memory_store_works() {
        let store = SqliteStore::connect("sqlite::memory:").await.unwrap();
        assert_eq!(store.count_operators().await.unwrap(), 0);
        assert!(store.list_accounts().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn read_connections_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("f.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        let res = sqlx::query("DELETE FROM operators")
            .execute(&store.read)
            .await;
        assert!(res.is_err());
    }
}
