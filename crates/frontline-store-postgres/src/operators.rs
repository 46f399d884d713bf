//! Operators, their login sessions and their saved preferences.

use async_trait::async_trait;
use frontline_domain::{
    AccountId, NewOperator, Operator, OperatorId, OperatorPatch, OperatorPreferences, Role,
    Timestamp,
};
use frontline_store::rows::{self, OPERATOR_COLS, qualified};
use frontline_store::{OperatorStore, Result, StoreError};

use crate::PgStore;
use crate::error::{db, db_referencing};

#[async_trait]
impl OperatorStore for PgStore {
    async fn count_operators(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM operators")
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    async fn create_operator(&self, new: NewOperator) -> Result<Operator> {
        let row = sqlx::query(&format!(
            "INSERT INTO operators (login, display_name, role, password_hash, active, created_at) \
             VALUES ($1, $2, $3, $4, TRUE, $5) RETURNING {OPERATOR_COLS}"
        ))
        .bind(new.login.as_str())
        .bind(&new.display_name)
        .bind(new.role.as_str())
        .bind(&new.password_hash)
        .bind(Timestamp::now().0)
        .fetch_one(&self.pool)
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
        let row = sqlx::query(&format!(
            "SELECT {OPERATOR_COLS} FROM operators WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::operator).transpose()
    }

    async fn operator_by_login(&self, login: &str) -> Result<Option<Operator>> {
        let row = sqlx::query(&format!(
            "SELECT {OPERATOR_COLS} FROM operators WHERE login = $1"
        ))
        .bind(login)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        row.as_ref().map(rows::operator).transpose()
    }

    async fn list_operators(&self) -> Result<Vec<Operator>> {
        let rows = sqlx::query(&format!(
            "SELECT {OPERATOR_COLS} FROM operators ORDER BY id"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(rows::operator).collect()
    }

    async fn update_operator(&self, id: OperatorId, patch: OperatorPatch) -> Result<Operator> {
        let row = sqlx::query(&format!(
            "UPDATE operators SET \
                 display_name = COALESCE($2, display_name), \
                 role = COALESCE($3, role), \
                 password_hash = COALESCE($4, password_hash), \
                 active = COALESCE($5, active) \
             WHERE id = $1 RETURNING {OPERATOR_COLS}"
        ))
        .bind(id.0)
        .bind(patch.display_name)
        .bind(patch.role.map(Role::as_str))
        .bind(patch.password_hash)
        .bind(patch.active)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound("operator"))?;
        rows::operator(&row)
    }

    // ---- sessions -------------------------------------------------------------------------------

    async fn create_session(
        &self,
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
        .execute(&self.pool)
        .await
        .map_err(db_referencing("operator"))?;
        Ok(())
    }

    async fn session_operator(&self, token_hash: &str, now: Timestamp) -> Result<Option<Operator>> {
        let sql = format!(
            "SELECT {} FROM sessions s JOIN operators o ON o.id = s.operator_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND o.active",
            qualified("o", OPERATOR_COLS)
        );
        let row = sqlx::query(&sql)
            .bind(token_hash)
            .bind(now.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::operator).transpose()
    }

    async fn record_operator_seen(&self, operator: OperatorId, at: Timestamp) -> Result<()> {
        sqlx::query(
            "UPDATE operators SET last_seen_at = $1 WHERE id = $2 AND (last_seen_at IS NULL OR last_seen_at < $1)",
        )
            .bind(at.0)
            .bind(operator.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_operator_sessions(&self, operator: OperatorId) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE operator_id = $1")
            .bind(operator.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    // ---- preferences ----------------------------------------------------------------------------

    async fn operator_preferences(&self, operator: OperatorId) -> Result<OperatorPreferences> {
        // Every column is NULL when the operator exists but saved nothing (the LEFT JOIN).
        type Row = (Option<Vec<i64>>, Option<bool>, Option<String>);
        let row: Option<Row> = sqlx::query_as(
            "SELECT p.hidden_account_ids, p.sound_muted, p.language FROM operators o \
             LEFT JOIN operator_preferences p ON p.operator_id = o.id WHERE o.id = $1",
        )
        .bind(operator.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
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

    async fn save_operator_preferences(
        &self,
        operator: OperatorId,
        prefs: OperatorPreferences,
    ) -> Result<OperatorPreferences> {
        let prefs = prefs.normalized();
        let hidden: Vec<i64> = prefs.hidden_accounts.iter().map(|a| a.0).collect();
        sqlx::query(
            "INSERT INTO operator_preferences (operator_id, hidden_account_ids, sound_muted, \
                 language, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (operator_id) DO UPDATE SET \
                 hidden_account_ids = EXCLUDED.hidden_account_ids, \
                 sound_muted = EXCLUDED.sound_muted, language = EXCLUDED.language, \
                 updated_at = EXCLUDED.updated_at",
        )
        .bind(operator.0)
        .bind(&hidden)
        .bind(prefs.sound_muted)
        .bind(prefs.language.as_deref())
        .bind(Timestamp::now().0)
        .execute(&self.pool)
        .await
        .map_err(db_referencing("operator"))?;
        Ok(prefs)
    }
}
