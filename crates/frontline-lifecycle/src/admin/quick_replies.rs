//! Quick replies: the shared bank (admins) and each operator's own.

use frontline_domain::{OperatorId, QuickReply, QuickReplyId};

use super::Admin;
use crate::Result;

impl Admin {
    pub async fn create_quick_reply(
        &self,
        title: &str,
        text: &str,
        owner: Option<OperatorId>,
    ) -> Result<QuickReply> {
        Ok(self.store.create_quick_reply(title, text, owner).await?)
    }

    pub async fn update_quick_reply(
        &self,
        id: QuickReplyId,
        title: &str,
        text: &str,
    ) -> Result<QuickReply> {
        Ok(self.store.update_quick_reply(id, title, text).await?)
    }

    pub async fn delete_quick_reply(&self, id: QuickReplyId) -> Result<()> {
        Ok(self.store.delete_quick_reply(id).await?)
    }
}
