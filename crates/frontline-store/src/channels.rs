//! What channel adapters keep besides conversations: raw webhook deliveries waiting to be processed,
//! the channel's ids of what we sent, and files. None of it appends events, except
//! `record_external_reply`, which is a change of a conversation like the lifecycle's.
//!
//! Idempotency keys of an account are one namespace: an external message id is "already stored"
//! when a message has it as `external_id` or when it was recorded as a send of one of ours
//! (`record_external_send`). `ingest_inbound`, `import_messages` and `record_external_reply` all
//! skip such ids, so the channel echoing our own message back is never stored as a new one.

use std::time::Duration;

use async_trait::async_trait;
use frontline_domain::{
    AccountId, ChannelDelivery, ConversationView, ExternalReply, Handoff, Media, MediaId, Message,
    MessageId, NewMedia, Timestamp,
};

use crate::*;

/// Result of [`ChannelStore::record_external_reply`].
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalRecorded {
    pub message: Message,
    /// Set when the answer took the lead from the bot.
    pub handoff: Option<Handoff>,
    /// `false` when the external message id was already stored: nothing was created or changed.
    pub new_message: bool,
}

/// Channel deliveries, external ids, replies from the channel's own app, and media.
#[async_trait]
pub trait ChannelStore: Send + Sync {
    /// Keep a raw webhook delivery durably before it is acknowledged: pending, due now, no attempts
    /// yet. `NotFound("account")`. No event. Deleting the account drops its pending deliveries.
    async fn save_channel_delivery(
        &self,
        account: AccountId,
        body: &str,
    ) -> Result<ChannelDelivery>;

    /// Lease up to `limit` due deliveries, like [`JobStore::claim_jobs`]: `run_at` ≤ now and not leased
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
}
