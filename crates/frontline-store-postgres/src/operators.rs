//! Operators and their login sessions.

use frontline_domain::{
    AccountId, NewOperator, Operator, OperatorId, OperatorPatch, OperatorPreferences, Role,
    Timestamp,
};
use frontline_store::{Result, StoreError};
use sqlx::PgPool;
use sqlx::postgres::PgRow;

use crate::error::{corrupt, db_err, map_err};
use crate::rows::{get, ts};

const COLUMNS: &str = "id, login, display_name, role, password_hash, active, created_at";

fn operator(row: &PgRow) -> Result<Operator> {
    Ok(Operator {
        id: OperatorId(get(row, "id")?),
        login: get(row, "login")?,
        display_name: get(row, "display_name")?,
        role: Role::parse(&get::<String>(row, "role")?).map_err(corrupt)?,
        password_hash: get(row, "password_hash")?,
        active: get(row, "active")?,
        created_at: ts(row, "created_at")?,
    })
}

pub(crate) async fn count_operators(pool: &PgPool) -> Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM operators")
        .fetch_one(pool)
        .await
        .map_err(db_err)
}

pub(crate) async fn create_operator(pool: &PgPool, new: NewOperator) -> Result<Operator> {
    let row = sqlx::query(&format!(
        "INSERT INTO operators (login, display_name, role, password_hash, active, created_at) \
         VALUES ($1, $2, $3, $4, TRUE, $5) RETURNING {COLUMNS}"
    ))
    .bind(new.login.as_str())
    .bind(&new.display_name)
    .bind(new.role.as_str())
    .bind(&new.password_hash)
    .bind(Timestamp::now().0)
    .fetch_one(pool)
    .await
    .map_err(|e| match map_err("operator")(e) {
        StoreError::Conflict(_) => {
            StoreError::Conflict(format!("login `{}` is taken", new.login.as_str()))
        }
        other => other,
    })?;
    operator(&row)
}

pub(crate) async fn operator_by_id(pool: &PgPool, id: OperatorId) -> Result<Option<Operator>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM operators WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    row.as_ref().map(operator).transpose()
}

pub(crate) async fn operator_by_login(pool: &PgPool, login: &str) -> Result<Option<Operator>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM operators WHERE login = $1"))
        .bind(login)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    row.as_ref().map(operator).transpose()
}

pub(crate) async fn list_operators(pool: &PgPool) -> Result<Vec<Operator>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM operators ORDER BY id"))
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter().map(operator).collect()
}

pub(crate) async fn update_operator(
    pool: &PgPool,
    id: OperatorId,
    patch: OperatorPatch,
) -> Result<Operator> {
    let row = sqlx::query(&format!(
        "UPDATE operators SET \
             display_name = COALESCE($2, display_name), \
             role = COALESCE($3, role), \
             password_hash = COALESCE($4, password_hash), \
             active = COALESCE($5, active) \
         WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id.0)
    .bind(patch.display_name)
    .bind(patch.role.map(Role::as_str))
    .bind(patch.password_hash)
    .bind(patch.active)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    operator(&row.ok_or(StoreError::NotFound("operator"))?)
}

pub(crate) async fn create_session(
    pool: &PgPool,
    token_hash: &str,
    operator: OperatorId,
    expires_at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, operator_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(operator.0)
    .bind(Timestamp::now().0)
    .bind(expires_at.0)
    .execute(pool)
    .await
    .map_err(map_err("operator"))?;
    Ok(())
}

pub(crate) async fn session_operator(
    pool: &PgPool,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<Operator>> {
    let row = sqlx::query(
        "SELECT o.id, o.login, o.display_name, o.role, o.password_hash, o.active, o.created_at \
         FROM sessions s JOIN operators o ON o.id = s.operator_id \
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND o.active",
    )
    .bind(token_hash)
    .bind(now.0)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    row.as_ref().map(operator).transpose()
}

pub(crate) async fn delete_session(pool: &PgPool, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn delete_operator_sessions(pool: &PgPool, operator: OperatorId) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE operator_id = $1")
        .bind(operator.0)
        .execute(pool)
        .await
        .map_err(db_err)?;
    Ok(())
}

// ---- preferences ------------------------------------------------------------------------------

pub(crate) async fn preferences(
    pool: &PgPool,
    operator: OperatorId,
) -> Result<OperatorPreferences> {
    // Every column is NULL when the operator exists but saved nothing (the LEFT JOIN).
    type Row = (Option<Vec<i64>>, Option<bool>, Option<String>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT p.hidden_account_ids, p.sound_muted, p.language FROM operators o \
         LEFT JOIN operator_preferences p ON p.operator_id = o.id WHERE o.id = $1",
    )
    .bind(operator.0)
    .fetch_optional(pool)
    .await
    .map_err(db_err)?;
    let (hidden, muted, language) = row.ok_or(StoreError::NotFound("operator"))?;
    Ok(OperatorPreferences {
        hidden_accounts: hidden
            .unwrap_or_default()
            .into_iter()
            .map(AccountId)
            .collect(),
        sound_muted: muted.unwrap_or(false),
        language,
    })
}

pub(crate) async fn save_preferences(
    pool: &PgPool,
    operator: OperatorId,
    prefs: OperatorPreferences,
) -> Result<OperatorPreferences> {
    let prefs = prefs.normalized();
    let hidden: Vec<i64> = prefs.hidden_accounts.iter().map(|a| a.0).collect();
    sqlx::query(
        "INSERT INTO operator_preferences (operator_id, hidden_account_ids, sound_muted, language, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (operator_id) DO UPDATE SET \
         hidden_account_ids = EXCLUDED.hidden_account_ids, sound_muted = EXCLUDED.sound_muted, \
         language = EXCLUDED.language, updated_at = EXCLUDED.updated_at",
    )
    .bind(operator.0)
    .bind(&hidden)
    .bind(prefs.sound_muted)
    .bind(prefs.language.as_deref())
    .bind(Timestamp::now().0)
    .execute(pool)
    .await
    .map_err(map_err("operator"))?;
    Ok(prefs)
}
