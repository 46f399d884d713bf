//! Quick replies: the shared bank and each operator's own.

use crate::SqliteStore;
use crate::error::db;
use async_trait::async_trait;
use frontline_domain::{OperatorId, QuickReply, QuickReplyId, Timestamp};
use frontline_store::rows::{self, QUICK_REPLY_COLS};
use frontline_store::{QuickReplyStore, Result, StoreError};

#[async_trait]
impl QuickReplyStore for SqliteStore {
    async fn create_quick_reply(
        &self,
        title: &str,
        text: &str,
        owner: Option<OperatorId>,
    ) -> Result<QuickReply> {
        let sql = format!(
            "INSERT INTO quick_replies (title, text, owner_id, created_at) VALUES (?, ?, ?, ?) \
             RETURNING {QUICK_REPLY_COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(title)
            .bind(text)
            .bind(owner.map(|o| o.0))
            .bind(Timestamp::now().0)
            .fetch_one(&self.write)
            .await
            .map_err(|e| match &e {
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                    StoreError::NotFound("operator")
                }
                _ => db(e),
            })?;
        rows::quick_reply(&row)
    }

    async fn quick_reply(&self, id: QuickReplyId) -> Result<Option<QuickReply>> {
        let sql = format!("SELECT {QUICK_REPLY_COLS} FROM quick_replies WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::quick_reply).transpose()
    }

    async fn list_quick_replies(&self, operator: OperatorId) -> Result<Vec<QuickReply>> {
        let sql = format!(
            "SELECT {QUICK_REPLY_COLS} FROM quick_replies WHERE owner_id IS NULL OR owner_id = ? \
             ORDER BY title, id"
        );
        let rows = sqlx::query(&sql)
            .bind(operator.0)
            .fetch_all(&self.read)
            .await
            .map_err(db)?;
        rows.iter().map(rows::quick_reply).collect()
    }

    async fn update_quick_reply(
        &self,
        id: QuickReplyId,
        title: &str,
        text: &str,
    ) -> Result<QuickReply> {
        let sql = format!(
            "UPDATE quick_replies SET title = ?, text = ? WHERE id = ? RETURNING {QUICK_REPLY_COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(title)
            .bind(text)
            .bind(id.0)
            .fetch_optional(&self.write)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound("quick reply"))?;
        rows::quick_reply(&row)
    }

    async fn delete_quick_reply(&self, id: QuickReplyId) -> Result<()> {
        let res = sqlx::query("DELETE FROM quick_replies WHERE id = ?")
            .bind(id.0)
            .execute(&self.write)
            .await
            .map_err(db)?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound("quick reply"));
        }
        Ok(())
    }
}
