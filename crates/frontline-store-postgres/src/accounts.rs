//! Channel accounts, with the channel's settings and sealed secrets as opaque text.

use async_trait::async_trait;
use frontline_domain::{Account, AccountId, AccountPatch, NewAccount, Timestamp};
use frontline_store::rows::{self, ACCOUNT_COLS};
use frontline_store::{AccountStore, Result, StoreError};

use crate::PgStore;
use crate::error::db;

#[async_trait]
impl AccountStore for PgStore {
    async fn create_account(&self, new: NewAccount) -> Result<Account> {
        let row = sqlx::query(&format!(
            "INSERT INTO accounts (kind, name, enabled, callback_url, inbound_token_hash, \
                 settings, sealed_secrets, created_at) \
             VALUES ($1, $2, TRUE, $3, $4, $5, $6, $7) RETURNING {ACCOUNT_COLS}"
        ))
        .bind(new.kind.as_str())
        .bind(&new.name)
        .bind(&new.callback_url)
        .bind(&new.inbound_token_hash)
        .bind(&new.settings)
        .bind(&new.sealed_secrets)
        .bind(Timestamp::now().0)
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        rows::account(&row)
    }

    async fn account(&self, id: AccountId) -> Result<Option<Account>> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLS} FROM accounts WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::account).transpose()
    }

    async fn list_accounts(&self) -> Result<Vec<Account>> {
        let rows = sqlx::query(&format!("SELECT {ACCOUNT_COLS} FROM accounts ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter().map(rows::account).collect()
    }

    async fn update_account(&self, id: AccountId, patch: AccountPatch) -> Result<Account> {
        // `Option<Option<_>>` fields: a flag says whether to touch the column, the value may be NULL.
        let row = sqlx::query(&format!(
            "UPDATE accounts SET \
                 name = COALESCE($2, name), \
                 enabled = COALESCE($3, enabled), \
                 callback_url = CASE WHEN $4 THEN $5 ELSE callback_url END, \
                 inbound_token_hash = CASE WHEN $6 THEN $7 ELSE inbound_token_hash END, \
                 settings = CASE WHEN $8 THEN $9 ELSE settings END, \
                 sealed_secrets = CASE WHEN $10 THEN $11 ELSE sealed_secrets END \
             WHERE id = $1 RETURNING {ACCOUNT_COLS}"
        ))
        .bind(id.0)
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
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound("account"))?;
        rows::account(&row)
    }

    async fn delete_account(&self, id: AccountId) -> Result<()> {
        // Under the event log lock like every writer that creates conversations, so that none can be
        // created for this account between the check and the delete, and so that this transaction's
        // row locks are taken in the same order as theirs (no deadlock with a concurrent ingest).
        let mut tx = self.begin().await?;
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        if exists.is_none() {
            return Err(StoreError::NotFound("account"));
        }
        let used: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM conversations WHERE account_id = $1)")
                .bind(id.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
        if used {
            return Err(StoreError::Conflict(
                "the account has conversations; disable it instead".into(),
            ));
        }
        for sql in [
            "DELETE FROM customers WHERE account_id = $1",
            "DELETE FROM accounts WHERE id = $1",
        ] {
            sqlx::query(sql)
                .bind(id.0)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(())
    }
}
