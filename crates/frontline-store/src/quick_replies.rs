//! Quick replies: shared templates and each operator's own.

use async_trait::async_trait;
use frontline_domain::{OperatorId, QuickReply, QuickReplyId};

use crate::*;

/// Quick replies.
#[async_trait]
pub trait QuickReplyStore: Send + Sync {
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
}
