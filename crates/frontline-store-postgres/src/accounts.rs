//! Channel accounts, with the channel's settings and sealed secrets as opaque text.

use frontline_domain::{Account, AccountId, AccountKind, AccountPatch, NewAccount, Timestamp};
use frontline_store::{Result, StoreError};
use sqlx::PgPool;
use sqlx::postgres::PgRow;

use crate::error::{corrupt, db_err};
use crate::events::begin_writer;
use crate::rows::{get, ts};

const COLUMNS: &str = "id, kind, name, enabled, callback_url, inbound_token_hash, settings, \
    sealed_secrets, created_at";

fn account(row: &PgRow) -> Result<Account> {
    Ok(Account {
        id: AccountId(get(row, "id")?),
        kind: AccountKind::parse(&get::<String>(row, "kind")?).map_err(corrupt)?,
        name: get(row, "name")?,
        enabled: get(row, "enabled")?,
        callback_url: get(row, "callback_url")?,
        inbound_token_hash: get(row, "inbound_token_hash")?,
        settings: get(row, "settings")?,
        sealed_secrets: get(row, "sealed_secrets")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) async fn create_account(pool: &PgPool, new: NewAccount) -> Result<Account> {
    let row = sqlx::query(&format!(
        "INSERT INTO accounts (kind, name, enabled, callback_url, inbound_token_hash, settings, \
             sealed_secrets, created_at) \
         VALUES ($1, $2, TRUE, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
    ))
    .bind(new.kind.as_str())
    .bind(&new.name)
    .bind(&new.callback_url)
    .bind(&new.inbound_token_hash)
    .bind(&new.settings)
    .bind(&new.sealed_secrets)
    .bind(Timestamp::now().0)
    .fetch_one(pool)
    .await
    .map_err(db_err)?;
    account(&row)
}

pub(crate) async fn account_by_id(pool: &PgPool, id: AccountId) -> Result<Option<Account>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM accounts WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    row.as_ref().map(account).transpose()
}

pub(crate) async fn list_accounts(pool: &PgPool) -> Result<Vec<Account>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM accounts ORDER BY id"))
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter().map(account).collect()
}

pub(crate) async fn update_account(
    pool: &PgPool,
    id: AccountId,
    patch: AccountPatch,
) -> Result<Account> {
    // `Option<Option<_>>` fields: a flag says whether to touch the column, the value may be NULL.
    let row = sqlx::query(&format!(
        "UPDATE accounts SET \
             name = COALESCE($2, name), \
             enabled = COALESCE($3, enabled), \
             callback_url = CASE WHEN $4 THEN $5 ELSE callback_url END, \
             inbound_token_hash = CASE WHEN $6 THEN $7 ELSE inbound_token_hash END, \
             settings = CASE WHEN $8 THEN $9 ELSE settings END, \
             sealed_secrets = CASE WHEN $10 THEN $11 ELSE sealed_secrets END \
         WHERE id = $1 RETURNING {COLUMNS}"
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
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    account(&row.ok_or(StoreError::NotFound("account"))?)
}

pub(crate) async fn delete_account(pool: &PgPool, id: AccountId) -> Result<()> {
    // Under the event log lock like every writer that creates conversations, so that none can be
    // created for this account between the check and the delete, and so that this transaction's row
    // locks are taken in the same order as theirs (no deadlock with a concurrent ingest).
    let mut tx = begin_writer(pool).await?;
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
    if exists.is_none() {
        return Err(StoreError::NotFound("account"));
    }
    let used: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM conversations WHERE account_id = $1)")
            .bind(id.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
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
            .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(())
}
