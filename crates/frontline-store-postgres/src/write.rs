//! A write transaction, and the row-level steps it gives the shared use cases
//! of `frontline_store::write` (each step is the SQL in its concept's module).

use std::ops::{Deref, DerefMut};

use async_trait::async_trait;
use frontline_domain::{
    AccountId, Conversation, ConversationId, CustomerProfile, DecisionRecord, EventKind, Handoff,
    HandoffId, LeadChange, Message, MessageId, NewDecisionRecord, OperatorId, Timestamp,
    WorkflowId,
};
use frontline_store::write::{NewMessage, WriteTx};
use frontline_store::{JobId, JobKind, Result};
use sqlx::{PgConnection, Postgres, Transaction};

use crate::error::db;
use crate::{channels, conversations, decisions, events, jobs, workflows};

/// An open write transaction (those from `PgStore::begin` hold the event log lock, which the shared
/// use cases need); dropping it rolls back. Dereferences to its connection,
/// so queries run on `&mut *tx`.
pub(crate) struct Tx(Transaction<'static, Postgres>);

impl Tx {
    pub(crate) fn new(tx: Transaction<'static, Postgres>) -> Self {
        Tx(tx)
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.0.commit().await
    }
}

impl Deref for Tx {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.0
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.0
    }
}

#[async_trait]
impl WriteTx for Tx {
    async fn commit(self) -> Result<()> {
        self.0.commit().await.map_err(db)
    }

    async fn append_event(
        &mut self,
        kind: EventKind,
        conversation: ConversationId,
        message: Option<MessageId>,
        handoff: Option<HandoffId>,
        now: Timestamp,
    ) -> Result<()> {
        events::append_event(self, kind, conversation, message, handoff, now).await?;
        Ok(())
    }

    async fn insert_job(
        &mut self,
        kind: JobKind,
        conversation: ConversationId,
        message: MessageId,
        now: Timestamp,
    ) -> Result<()> {
        jobs::insert_job(self, kind, conversation, message, now).await
    }

    async fn account_exists(&mut self, id: AccountId) -> Result<()> {
        conversations::account_exists(self, id).await
    }

    async fn operator_exists(&mut self, id: OperatorId) -> Result<()> {
        conversations::operator_exists(self, id).await
    }

    async fn load_conversation(&mut self, id: ConversationId) -> Result<Conversation> {
        conversations::load_conversation(self, id).await
    }

    async fn find_conversation(
        &mut self,
        account: AccountId,
        external_chat_id: &str,
    ) -> Result<Option<Conversation>> {
        conversations::find_conversation(self, account, external_chat_id).await
    }

    async fn create_conversation(
        &mut self,
        account: AccountId,
        external_chat_id: &str,
        customer_id: i64,
        now: Timestamp,
    ) -> Result<Conversation> {
        conversations::create_conversation(self, account, external_chat_id, customer_id, now).await
    }

    async fn save_conversation(&mut self, c: &Conversation) -> Result<()> {
        conversations::save_conversation(self, c).await
    }

    async fn upsert_customer(
        &mut self,
        account: AccountId,
        profile: &CustomerProfile,
        now: Timestamp,
    ) -> Result<i64> {
        conversations::upsert_customer(self, account, profile, now).await
    }

    async fn message_by_external_id(
        &mut self,
        account: AccountId,
        external_id: &str,
    ) -> Result<Option<Message>> {
        channels::message_by_external_id_in(&mut **self, account, external_id).await
    }

    async fn insert_message(&mut self, m: NewMessage<'_>) -> Result<Message> {
        conversations::insert_message(self, m).await
    }

    async fn insert_handoff(
        &mut self,
        c: &Conversation,
        change: &LeadChange,
        now: Timestamp,
    ) -> Result<Handoff> {
        conversations::insert_handoff(self, c, change, now).await
    }

    async fn finish_bot_job(&mut self, job: JobId) -> Result<bool> {
        jobs::finish_bot_job(self, job).await
    }

    async fn insert_decision(
        &mut self,
        new: &NewDecisionRecord,
        now: Timestamp,
    ) -> Result<DecisionRecord> {
        decisions::insert_decision(self, new, now).await
    }

    async fn put_flow_state(
        &mut self,
        conversation: ConversationId,
        workflow: WorkflowId,
        version: i32,
        state: &str,
    ) -> Result<()> {
        workflows::put_flow_state(self, conversation, workflow, version, state).await?;
        Ok(())
    }

    async fn delete_flow_state(&mut self, conversation: ConversationId) -> Result<()> {
        workflows::delete_flow_state(&mut **self, conversation).await
    }
}
