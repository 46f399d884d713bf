//! Quick-reply templates, shared or personal to an operator.

use async_trait::async_trait;
use frontline_domain::{OperatorId, QuickReply, QuickReplyId, Timestamp};
use frontline_store::rows::{self, QUICK_REPLY_COLS};
use frontline_store::{QuickReplyStore, Result, StoreError};

use crate::PgStore;
use crate::error::{db, db_referencing};

#[async_trait]
impl QuickReplyStore for PgStore {
    async fn create_quick_reply(
        &self,
        title: &str,
        text: &str,
        owner: Option<OperatorId>,
    ) -> Result<QuickReply> {
        let row = sqlx::query(&format!(
            "INSERT INTO quick_replies (title, text, owner_id, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING {QUICK_REPLY_COLS}"
        ))
        .bind(title)
        .bind(text)
        .bind(owner.map(|o| o.0))
        .bind(Timestamp::now().0)
        .fetch_one(&self.pool)
        .await
        .map_err(db_referencing("operator"))?;
        rows::quick_reply(&row)
    }

    async fn quick_reply(&self, id: QuickReplyId) -> Result<Option<QuickReply>> {
        let row = sqlx::query(&format!(
            "SELECT {QUICK_REPLY_COLS} FROM quick_replies WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::quick_reply).transpose()
    }

    async fn list_quick_replies(&self, operator: OperatorId) -> Result<Vec<QuickReply>> {
        // COLLATE "C" orders by code point, like SQLite's default BINARY collation, so both backends
        // list the same way whatever the database's locale.
        let rows = sqlx::query(&format!(
            "SELECT {QUICK_REPLY_COLS} FROM quick_replies WHERE owner_id IS NULL OR owner_id = $1 \
             ORDER BY title COLLATE \"C\", id"
        ))
        .bind(operator.0)
        .fetch_all(&self.pool)
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
        let row = sqlx::query(&format!(
            "UPDATE quick_replies SET title = $2, text = $3 WHERE id = $1 \
             RETURNING {QUICK_REPLY_COLS}"
        ))
        .bind(id.0)
        .bind(title)
        .bind(text)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound("quick reply"))?;
        rows::quick_reply(&row)
    }

    async fn delete_quick_reply(&self, id: QuickReplyId) -> Result<()> {
        let done = sqlx::query("DELETE FROM quick_replies WHERE id = $1")
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("quick reply"));
        }
        Ok(())
    }
}
