//! Operators, their sessions (stored as token hashes only) and their saved preferences: plain rows
//! that append no events.

use crate::SqliteStore;
use crate::error::db;
use async_trait::async_trait;
use frontline_domain::{
    AccountId, NewOperator, Operator, OperatorId, OperatorPatch, OperatorPreferences, Timestamp,
};
use frontline_store::rows::{self, OPERATOR_COLS, corrupt, qualified};
use frontline_store::{OperatorStore, Result, StoreError};

/// `a, b` → `o.a, o.b`, for column lists used in joins.
#[async_trait]
impl OperatorStore for SqliteStore {
    // ---- operators --------------------------------------------------------------------
    async fn count_operators(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM operators")
            .fetch_one(&self.read)
            .await
            .map_err(db)
    }

    async fn create_operator(&self, new: NewOperator) -> Result<Operator> {
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
            .fetch_one(&self.write)
            .await
            .map_err(|e| match db(e) {
                StoreError::Conflict(_) => {
                    StoreError::Conflict(format!("login `{}` is taken", new.login.as_str()))
                }
                other => other,
            })?;
        rows::operator(&row)
    }

    async fn operator(&self, id: OperatorId) -> Result<Option<Operator>> {
        let sql = format!("SELECT {OPERATOR_COLS} FROM operators WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::operator).transpose()
    }

    async fn operator_by_login(&self, login: &str) -> Result<Option<Operator>> {
        let sql = format!("SELECT {OPERATOR_COLS} FROM operators WHERE login = ?");
        let row = sqlx::query(&sql)
            .bind(login)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::operator).transpose()
    }

    async fn list_operators(&self) -> Result<Vec<Operator>> {
        let sql = format!("SELECT {OPERATOR_COLS} FROM operators ORDER BY id");
        let rows = sqlx::query(&sql).fetch_all(&self.read).await.map_err(db)?;
        rows.iter().map(rows::operator).collect()
    }

    async fn update_operator(&self, id: OperatorId, patch: OperatorPatch) -> Result<Operator> {
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
            .fetch_optional(&self.write)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound("operator"))?;
        rows::operator(&row)
    }

    // ---- sessions --------------------------------------------------------------------
    async fn create_session(
        &self,
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
        .execute(&self.write)
        .await
        .map_err(db)?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound("operator"));
        }
        Ok(())
    }

    async fn session_operator(&self, token_hash: &str, now: Timestamp) -> Result<Option<Operator>> {
        let sql = format!(
            "SELECT {} FROM sessions s JOIN operators o ON o.id = s.operator_id \
             WHERE s.token_hash = ? AND s.expires_at > ? AND o.active = 1",
            qualified("o", OPERATOR_COLS)
        );
        let row = sqlx::query(&sql)
            .bind(token_hash)
            .bind(now.0)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::operator).transpose()
    }

    async fn record_operator_seen(&self, operator: OperatorId, at: Timestamp) -> Result<()> {
        sqlx::query(
            "UPDATE operators SET last_seen_at = ? WHERE id = ? AND (last_seen_at IS NULL OR last_seen_at < ?)",
        )
            .bind(at.0)
            .bind(operator.0)
            .bind(at.0)
            .execute(&self.write)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.write)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_operator_sessions(&self, operator: OperatorId) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE operator_id = ?")
            .bind(operator.0)
            .execute(&self.write)
            .await
            .map_err(db)?;
        Ok(())
    }

    // ---- operator preferences --------------------------------------------------------------------
    async fn operator_preferences(&self, operator: OperatorId) -> Result<OperatorPreferences> {
        // Every column is NULL when the operator exists but saved nothing (the LEFT JOIN).
        type Row = (Option<String>, Option<bool>, Option<String>);
        let row: Option<Row> = sqlx::query_as(
            "SELECT p.hidden_account_ids, p.sound_muted, p.language FROM operators o \
             LEFT JOIN operator_preferences p ON p.operator_id = o.id WHERE o.id = ?",
        )
        .bind(operator.0)
        .fetch_optional(&self.read)
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

    async fn save_operator_preferences(
        &self,
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
        .execute(&self.write)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => StoreError::NotFound("operator"),
            _ => db(e),
        })?;
        Ok(prefs)
    }
}
