//! Full-text search over message text, by the terms of `frontline_text` so that both backends match
//! identically.

use async_trait::async_trait;
use frontline_domain::{AccountId, ConversationId, Lead, MessageId, Timestamp};

use crate::*;

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

/// Message search.
#[async_trait]
pub trait SearchStore: Send + Sync {
    /// Full-text search over message text by the terms of `frontline_text`.
    async fn search_messages(&self, query: &SearchQuery) -> Result<SearchResults>;
}
