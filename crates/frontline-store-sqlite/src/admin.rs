//! Operators, sessions, accounts and quick replies: plain rows that append no events.

use frontline_domain::{
    Account, AccountId, AccountPatch, NewAccount, NewOperator, Operator, OperatorId, OperatorPatch,
    OperatorPreferences, QuickReply, QuickReplyId, Timestamp,
};
use frontline_store::{Result, StoreError};

use crate::SqliteStore;
use crate::error::{corrupt, db};
use crate::rows::{self, ACCOUNT_COLS, OPERATOR_COLS, QUICK_REPLY_COLS};

// ---- operators ----------------------------------------------------------------------------------

pub(crate) async fn count_operators(s: &SqliteStore) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM operators")
        .fetch_one(&s.read)
        .await
        .map_err(db)
}

pub(crate) async fn create_operator(s: &SqliteStore, new: NewOperator) -> Result<Operator> {
    let sql = format!(
        "INSERT INTO operators (login, display_name, role, password_hash, active, created_at) \
         VALUES (?, ?, ?, ?, 1, ?) RETURNING {OPERATOR_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(new.login.as_str())
        .bind(&new.display_name)
        .bind(new.role.as_str())
        .bind(&new.password_hash)
        .bind(Timestamp::now().0)
        .fetch_one(&s.write)
        .await
        .map_err(|e| match db(e) {
            StoreError::Conflict(_) => {
                StoreError::Conflict(format!("login `{}` is taken", new.login.as_str()))
            }
            other => other,
        })?;
    rows::operator(&row)
}

pub(crate) async fn operator(s: &SqliteStore, id: OperatorId) -> Result<Option<Operator>> {
    let sql = format!("SELECT {OPERATOR_COLS} FROM operators WHERE id = ?");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&s.read)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::operator).transpose()
}

pub(crate) async fn operator_by_login(s: &SqliteStore, login: &str) -> Result<Option<Operator>> {
    let sql = format!("SELECT {OPERATOR_COLS} FROM operators WHERE login = ?");
    let row = sqlx::query(&sql)
        .bind(login)
        .fetch_optional(&s.read)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::operator).transpose()
}

pub(crate) async fn list_operators(s: &SqliteStore) -> Result<Vec<Operator>> {
    let sql = format!("SELECT {OPERATOR_COLS} FROM operators ORDER BY id");
    let rows = sqlx::query(&sql).fetch_all(&s.read).await.map_err(db)?;
    rows.iter().map(rows::operator).collect()
}

pub(crate) async fn update_operator(
    s: &SqliteStore,
    id: OperatorId,
    patch: OperatorPatch,
) -> Result<Operator> {
    // COALESCE keeps the stored value for every field the patch leaves out.
    let sql = format!(
        "UPDATE operators SET display_name = COALESCE(?, display_name), role = COALESCE(?, role), \
         password_hash = COALESCE(?, password_hash), active = COALESCE(?, active) \
         WHERE id = ? RETURNING {OPERATOR_COLS}"
    );
    let row = sqlx::query(&sql)
        .bind(patch.display_name)
        .bind(patch.role.map(|r| r.as_str()))
        .bind(patch.password_hash)
        .bind(patch.active)
        .bind(id.0)
        .fetch_optional(&s.write)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound("operator"))?;
    rows::operator(&row)
}

// ---- sessions -----------------------------------------------------------------------------------

pub(crate) async fn create_session(
    s: &SqliteStore,
    token_hash: &str,
    operator: OperatorId,
    expires_at: Timestamp,
) -> Result<()> {
    let res = sqlx::query(
        "INSERT INTO sessions (token_hash, operator_id, created_at, expires_at) \
         SELECT ?, id, ?, ? FROM operators WHERE id = ?",
    )
    .bind(token_hash)
    .bind(Timestamp::now().0)
    .bind(expires_at.0)
    .bind(operator.0)
    .execute(&s.write)
    .await
    .map_err(db)?;
    if res.rows_affected() == 0 {
        return Err(StoreError::NotFound("operator"));
    }
    Ok(())
}

pub(crate) async fn session_operator(
    s: &SqliteStore,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<Operator>> {
    let sql = format!(
        "SELECT {} FROM sessions s JOIN operators o ON o.id = s.operator_id \
         WHERE s.token_hash = ? AND s.expires_at > ? AND o.active = 1",
        qualified("o", OPERATOR_COLS)
    );
    let row = sqlx::query(&sql)
        .bind(token_hash)
        .bind(now.0)
        .fetch_optional(&s.read)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::operator).transpose()
}

pub(crate) async fn delete_session(s: &SqliteStore, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
        .bind(token_hash)
        .execute(&s.write)
        .await
        .map_err(db)?;
    Ok(())
}

pub(crate) async fn delete_operator_sessions(s: &SqliteStore, operator: OperatorId) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE operator_id = ?")
        .bind(operator.0)
        .execute(&s.write)
        .await
        .map_err(db)?;
    Ok(())
}

/// `a, b` → `o.a, o.b`, for column lists used in joins.
fn qualified(alias: &str, cols: &str) -> String {
    cols.split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---- accounts -----------------------------------------------------------------------------------

pub(crate) async fn create_account(s: &SqliteStore, new: NewAccount) -> Result<Account> {
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
        .fetch_one(&s.write)
        .await
        .map_err(db)?;
    rows::account(&row)
}

pub(crate) async fn account(s: &SqliteStore, id: AccountId) -> Result<Option<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts WHERE id = ?");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&s.read)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::account).transpose()
}

pub(crate) async fn list_accounts(s: &SqliteStore) -> Result<Vec<Account>> {
    let sql = format!("SELECT {ACCOUNT_COLS} FROM accounts ORDER BY id");
    let rows = sqlx::query(&sql).fetch_all(&s.read).await.map_err(db)?;
    rows.iter().map(rows::account).collect()
}

pub(crate) async fn update_account(
    s: &SqliteStore,
    id: AccountId,
    patch: AccountPatch,
) -> Result<Account> {
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
        .fetch_optional(&s.write)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound("account"))?;
    rows::account(&row)
}

pub(crate) async fn delete_account(s: &SqliteStore, id: AccountId) -> Result<()> {
    let mut tx = s.begin().await?;
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

// ---- operator preferences -----------------------------------------------------------------------

pub(crate) async fn operator_preferences(
    s: &SqliteStore,
    operator: OperatorId,
) -> Result<OperatorPreferences> {
    // Every column is NULL when the operator exists but saved nothing (the LEFT JOIN).
    type Row = (Option<String>, Option<bool>, Option<String>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT p.hidden_account_ids, p.sound_muted, p.language FROM operators o \
         LEFT JOIN operator_preferences p ON p.operator_id = o.id WHERE o.id = ?",
    )
    .bind(operator.0)
    .fetch_optional(&s.read)
    .await
    .map_err(db)?;
    let (hidden, muted, language) = row.ok_or(StoreError::NotFound("operator"))?;
    let hidden_accounts = hidden
        .unwrap_or_default()
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<i64>()
                .map(AccountId)
                .map_err(|e| corrupt(format!("hidden_account_ids: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(OperatorPreferences {
        hidden_accounts,
        sound_muted: muted.unwrap_or(false),
        language,
    })
}

pub(crate) async fn save_operator_preferences(
    s: &SqliteStore,
    operator: OperatorId,
    prefs: OperatorPreferences,
) -> Result<OperatorPreferences> {
    let prefs = prefs.normalized();
    let hidden = prefs
        .hidden_accounts
        .iter()
        .map(|a| a.0.to_string())
        .collect::<Vec<_>>()
        .join(",");
    sqlx::query(
        "INSERT INTO operator_preferences (operator_id, hidden_account_ids, sound_muted, language, updated_at) \
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (operator_id) DO UPDATE SET \
         hidden_account_ids = excluded.hidden_account_ids, sound_muted = excluded.sound_muted, \
         language = excluded.language, updated_at = excluded.updated_at",
    )
    .bind(operator.0)
    .bind(hidden)
    .bind(prefs.sound_muted)
    .bind(prefs.language.as_deref())
    .bind(Timestamp::now().0)
    .execute(&s.write)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound("operator"),
        _ => db(e),
    })?;
    Ok(prefs)
}

// ---- quick replies ------------------------------------------------------------------------------

pub(crate) async fn create_quick_reply(
    s: &SqliteStore,
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
        .fetch_one(&s.write)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::NotFound("operator")
            }
            _ => db(e),
        })?;
    rows::quick_reply(&row)
}

pub(crate) async fn quick_reply(s: &SqliteStore, id: QuickReplyId) -> Result<Option<QuickReply>> {
    let sql = format!("SELECT {QUICK_REPLY_COLS} FROM quick_replies WHERE id = ?");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&s.read)
        .await
        .map_err(db)?;
    row.as_ref().map(rows::quick_reply).transpose()
}

pub(crate) async fn list_quick_replies(
    s: &SqliteStore,
    operator: OperatorId,
) -> Result<Vec<QuickReply>> {
    let sql = format!(
        "SELECT {QUICK_REPLY_COLS} FROM quick_replies WHERE owner_id IS NULL OR owner_id = ? \
         ORDER BY title, id"
    );
    let rows = sqlx::query(&sql)
        .bind(operator.0)
        .fetch_all(&s.read)
        .await
        .map_err(db)?;
    rows.iter().map(rows::quick_reply).collect()
}

pub(crate) async fn update_quick_reply(
    s: &SqliteStore,
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
        .fetch_optional(&s.write)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound("quick reply"))?;
    rows::quick_reply(&row)
}

pub(crate) async fn delete_quick_reply(s: &SqliteStore, id: QuickReplyId) -> Result<()> {
    let res = sqlx::query("DELETE FROM quick_replies WHERE id = ?")
        .bind(id.0)
        .execute(&s.write)
        .await
        .map_err(db)?;
    if res.rows_affected() == 0 {
        return Err(StoreError::NotFound("quick reply"));
    }
    Ok(())
}
