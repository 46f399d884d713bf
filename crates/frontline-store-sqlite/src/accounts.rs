//! Channel accounts. Deleting one with conversations is refused: history must not vanish.

use crate::SqliteStore;
use crate::error::db;
use async_trait::async_trait;
use frontline_domain::{Account, AccountId, AccountPatch, NewAccount, Timestamp};
use frontline_store::rows::{self, ACCOUNT_COLS};
use frontline_store::{AccountStore, Result, StoreError};

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_account(&self, new: NewAccount) -> Result<Account> {
        let sql = format!(
            "INSERT INTO accounts (kind, name, enabled, callback_url, inbound_token_hash, settings, \
             sealed_secrets, created_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?) RETURNING {ACCOUNT_COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.kind.as_str())
            .bind(&new.name)
            .bind(&new.callback_url)
            .bind(&new.inbound_token_hash)
            .bind(&new.settings)
            .bind(&new.sealed_secrets)
            .bind(Timestamp::now().0)
            .fetch_one(&self.write)
            .await
            .map_err(db)?;
        rows::account(&row)
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::account).transpose()
    }

    async fn list_accounts(&self) -> Result<Vec<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts ORDER BY id");
        let rows = sqlx::query(&sql).fetch_all(&self.read).await.map_err(db)?;
        rows.iter().map(rows::account).collect()
    }

    async fn update_account(&self, id: AccountId, patch: AccountPatch) -> Result<Account> {
        // The nullable fields are `Option<Option<_>>`: a flag says whether to set them at all, so that
        // `Some(None)` can clear them.
        let sql = format!(
            "UPDATE accounts SET name = COALESCE(?, name), enabled = COALESCE(?, enabled), \
             callback_url = CASE WHEN ? THEN ? ELSE callback_url END, \
             inbound_token_hash = CASE WHEN ? THEN ? ELSE inbound_token_hash END, \
             settings = CASE WHEN ? THEN ? ELSE settings END, \
             sealed_secrets = CASE WHEN ? THEN ? ELSE sealed_secrets END \
             WHERE id = ? RETURNING {ACCOUNT_COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(patch.name)
            .bind(patch.enabled)
            .bind(patch.callback_url.is_some())
            .bind(patch.callback_url.flatten())
            .bind(patch.inbound_token_hash.is_some())
            .bind(patch.inbound_token_hash.flatten())
            .bind(patch.settings.is_some())
            .bind(patch.settings.flatten())
            .bind(patch.sealed_secrets.is_some())
            .bind(patch.sealed_secrets.flatten())
            .bind(id.0)
            .fetch_optional(&self.write)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound("account"))?;
        rows::account(&row)
    }

    async fn delete_account(&self, id: AccountId) -> Result<()> {
        let mut tx = self.begin().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM accounts WHERE id = ?")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        if exists.is_none() {
            return Err(StoreError::NotFound("account"));
        }
        let conversations: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM conversations WHERE account_id = ?")
                .bind(id.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        if conversations > 0 {
            return Err(StoreError::Conflict(format!(
                "the account has {conversations} conversations; disable it instead"
            )));
        }
        // Customers are only ever created together with a conversation, but be thorough.
        sqlx::query("DELETE FROM customers WHERE account_id = ?")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("DELETE FROM accounts WHERE id = ?")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }
}
