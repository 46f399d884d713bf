//! The conversation lifecycle: customers' messages stored, outbound messages queued, the lead changed,
//! conversations assigned, resolved and read; and the reads the inbox is built from.
//!
//! Every write here is one transaction that appends its events to the log.

use async_trait::async_trait;
use frontline_domain::{
    AccountId, Conversation, ConversationId, ConversationStatus, ConversationView, Handoff,
    HandoffId, InboundMessage, Lead, LeadChange, Message, MessageId, OperatorId, OutboundMessage,
    Slots, Timestamp,
};

use crate::*;

/// Result of [`ConversationStore::ingest_inbound`].
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

/// Result of [`ConversationStore::enqueue_outbound`].
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    pub message: Message,
    /// Set when an operator's message took the lead from the bot.
    pub takeover: Option<Handoff>,
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

/// The conversation lifecycle and its reads.
#[async_trait]
pub trait ConversationStore: Send + Sync {
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
}
