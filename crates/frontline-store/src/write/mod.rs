//! The store's write use cases, written once for every backend.
//!
//! A backend supplies the row-level steps of one write transaction — read a conversation (locked
//! where the database locks rows), write it back, insert a message, append an event, queue a job —
//! by implementing [`WriteTx`] on its transaction type; those steps are SQL and differ by dialect.
//! The use cases here put the steps in order around the domain's rules (`Conversation::receive`,
//! `takeover_by`, `change_lead`, …) and commit. So what one call changes, and which events it appends
//! in which order, exists once: a backend cannot drift from the other, and the conformance suite
//! checks the SQL rather than two copies of the same sequence.
//!
//! A use case takes the transaction by value and either commits it or drops it, which rolls it
//! back: an error half way leaves nothing behind.

mod channels;
mod conversations;
mod decisions;

use async_trait::async_trait;
use frontline_domain::{
    AccountId, Attachment, Author, Conversation, ConversationId, CustomerProfile, DecisionRecord,
    DeliveryStatus, Direction, EventKind, Handoff, HandoffId, LeadChange, LinkPreview, Message,
    MessageId, NewDecisionRecord, OperatorId, Quote, Timestamp, WorkflowId,
};

use crate::{JobId, JobKind, Result};

pub use channels::*;
pub use conversations::*;
pub use decisions::*;

/// The fields of a new message row.
#[derive(Debug, Clone, Copy)]
pub struct NewMessage<'a> {
    pub conversation: &'a Conversation,
    pub author: Author,
    pub direction: Direction,
    pub text: &'a str,
    pub attachments: &'a [Attachment],
    pub quote: Option<&'a Quote>,
    pub link: Option<&'a LinkPreview>,
    pub external_id: Option<&'a str>,
    pub status: DeliveryStatus,
    pub created_at: Timestamp,
}

/// One open write transaction of a backend: the steps the shared use cases are made of.
///
/// Every step runs inside the transaction; nothing is visible to anyone else until [`commit`].
/// Unknown ids are `NotFound` naming the entity, as everywhere in the contract.
///
/// [`commit`]: WriteTx::commit
#[async_trait]
pub trait WriteTx: Send + Sized {
    async fn commit(self) -> Result<()>;

    /// Append one event to the log (see the backend's `events` module for how seq order stays
    /// commit order).
    async fn append_event(
        &mut self,
        kind: EventKind,
        conversation: ConversationId,
        message: Option<MessageId>,
        handoff: Option<HandoffId>,
        now: Timestamp,
    ) -> Result<()>;

    /// Queue a job for a message, due now.
    async fn insert_job(
        &mut self,
        kind: JobKind,
        conversation: ConversationId,
        message: MessageId,
        now: Timestamp,
    ) -> Result<()>;

    /// `NotFound("account")` unless it exists.
    async fn account_exists(&mut self, id: AccountId) -> Result<()>;

    /// `NotFound("operator")` unless it exists.
    async fn operator_exists(&mut self, id: OperatorId) -> Result<()>;

    /// Read a conversation for changing it: no other writer may change it until this commits.
    /// `NotFound("conversation")`.
    async fn load_conversation(&mut self, id: ConversationId) -> Result<Conversation>;

    /// The conversation of a chat, if there is one, read as [`WriteTx::load_conversation`] reads.
    async fn find_conversation(
        &mut self,
        account: AccountId,
        external_chat_id: &str,
    ) -> Result<Option<Conversation>>;

    /// A new conversation of a chat: bot-led, open, no listing or messages yet.
    async fn create_conversation(
        &mut self,
        account: AccountId,
        external_chat_id: &str,
        customer_id: i64,
        now: Timestamp,
    ) -> Result<Conversation>;

    /// Write back every mutable column of `c`, deriving its activity (the list order) from it.
    async fn save_conversation(&mut self, c: &Conversation) -> Result<()>;

    /// Find or create the customer by `(account, profile.external_id)`, updating the profile fields
    /// the channel sent (`None` keeps what is stored). Returns its id.
    async fn upsert_customer(
        &mut self,
        account: AccountId,
        profile: &CustomerProfile,
        now: Timestamp,
    ) -> Result<i64>;

    /// The account's message with `external_id` as its own id or, failing that, as a recorded send.
    async fn message_by_external_id(
        &mut self,
        account: AccountId,
        external_id: &str,
    ) -> Result<Option<Message>>;

    /// Insert a message row (with its search terms). An unknown operator author is
    /// `NotFound("operator")`.
    async fn insert_message(&mut self, m: NewMessage<'_>) -> Result<Message>;

    /// Insert the handoff row of `change` from `c`'s current lead. An unknown operator actor is
    /// `NotFound("operator")`.
    async fn insert_handoff(
        &mut self,
        c: &Conversation,
        change: &LeadChange,
        now: Timestamp,
    ) -> Result<Handoff>;

    /// Delete the bot job `job`; `false` when it is not there (another worker finished it).
    async fn finish_bot_job(&mut self, job: JobId) -> Result<bool>;

    /// Insert one decision record. An unknown message is `NotFound("message")`.
    async fn insert_decision(
        &mut self,
        new: &NewDecisionRecord,
        now: Timestamp,
    ) -> Result<DecisionRecord>;

    /// Keep the conversation's place in a workflow. An unknown workflow is `NotFound("workflow")`.
    async fn put_flow_state(
        &mut self,
        conversation: ConversationId,
        workflow: WorkflowId,
        version: i32,
        state: &str,
    ) -> Result<()>;

    /// Forget the conversation's place in its workflow (nothing when there is none).
    async fn delete_flow_state(&mut self, conversation: ConversationId) -> Result<()>;
}
