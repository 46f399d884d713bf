//! A channel's history imported in bulk (Avito's chats when an account is connected or synced):
//! idempotent on the same keys as inbound messages, and quiet — no jobs, no unread counts.

use async_trait::async_trait;
use frontline_domain::{
    AccountId, Attachment, Author, CustomerProfile, LinkPreview, Listing, Quote, Timestamp,
};

use crate::*;

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
    pub quote: Option<Quote>,
    pub link: Option<LinkPreview>,
    pub sent_at: Timestamp,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportStats {
    pub messages_created: u64,
    pub messages_skipped: u64,
    pub conversations_created: u64,
}

/// History imports.
#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// Import a channel's history idempotently (same keys as [`ConversationStore::ingest_inbound`]), in one
    /// transaction. Imported messages queue no jobs and leave unread counts alone; each touched
    /// conversation's last message is brought up to date and gets one `conversation.updated` event
    /// (`conversation.created` first for new ones). Messages take their author's direction; inbound
    /// ones are `delivered`, outbound ones `sent`, and all keep their external id.
    async fn import_messages(&self, batch: Vec<ImportedMessage>) -> Result<ImportStats>;
}
