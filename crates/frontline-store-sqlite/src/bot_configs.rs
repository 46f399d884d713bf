//! The bot's configuration: the draft and the published versions.

use async_trait::async_trait;
use frontline_domain::{
    BotConfigDraft, BotConfigVersion, LlmSettingsRecord, OperatorId, Timestamp,
};
use frontline_store::rows::{
    self, BOT_CONFIG_DRAFT_COLS, BOT_CONFIG_VERSION_COLS, LLM_SETTINGS_COLS,
};
use frontline_store::{BotConfigStore, KeyChange, Result, StoreError};

use crate::SqliteStore;
use crate::error::db;

fn operator_missing(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::NotFound("operator")
        }
        _ => db(e),
    }
}

#[async_trait]
impl BotConfigStore for SqliteStore {
    async fn bot_config_draft(&self) -> Result<Option<BotConfigDraft>> {
        let sql = format!("SELECT {BOT_CONFIG_DRAFT_COLS} FROM bot_config_draft WHERE id = 1");
        let row = sqlx::query(&sql)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::bot_config_draft).transpose()
    }

    async fn save_bot_config_draft(
        &self,
        document: &str,
        based_on: Option<i32>,
        expected_revision: Option<i64>,
        by: Option<OperatorId>,
    ) -> Result<BotConfigDraft> {
        let mut tx = self.begin().await?;
        let current: Option<i64> =
            sqlx::query_scalar("SELECT revision FROM bot_config_draft WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        if current != expected_revision {
            return Err(StoreError::Conflict(match current {
                Some(r) => format!("the draft is at revision {r}: someone else saved it"),
                None => "there is no draft to update: it was published or discarded".to_owned(),
            }));
        }
        let sql = format!(
            "INSERT INTO bot_config_draft (id, document, revision, based_on, updated_by, updated_at) \
             VALUES (1, ?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (id) DO UPDATE SET document = excluded.document, \
                 revision = excluded.revision, based_on = excluded.based_on, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at \
             RETURNING {BOT_CONFIG_DRAFT_COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(document)
            .bind(current.unwrap_or(0) + 1)
            .bind(based_on)
            .bind(by.map(|o| o.0))
            .bind(Timestamp::now().0)
            .fetch_one(&mut *tx)
            .await
            .map_err(operator_missing)?;
        let draft = rows::bot_config_draft(&row)?;
        tx.commit().await.map_err(db)?;
        Ok(draft)
    }

    async fn discard_bot_config_draft(&self) -> Result<()> {
        sqlx::query("DELETE FROM bot_config_draft")
            .execute(&self.write)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn publish_bot_config(
        &self,
        document: &str,
        note: Option<&str>,
        by: Option<OperatorId>,
    ) -> Result<BotConfigVersion> {
        let mut tx = self.begin().await?;
        // The single writer makes "highest + 1" safe.
        let sql = format!(
            "INSERT INTO bot_config_versions (version, document, note, published_by, published_at) \
             SELECT COALESCE(MAX(version), 0) + 1, ?1, ?2, ?3, ?4 FROM bot_config_versions \
             RETURNING {BOT_CONFIG_VERSION_COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(document)
            .bind(note)
            .bind(by.map(|o| o.0))
            .bind(Timestamp::now().0)
            .fetch_one(&mut *tx)
            .await
            .map_err(operator_missing)?;
        let version = rows::bot_config_version(&row)?;
        sqlx::query("DELETE FROM bot_config_draft")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(version)
    }

    async fn bot_config_versions(&self) -> Result<Vec<BotConfigVersion>> {
        let sql = format!(
            "SELECT {BOT_CONFIG_VERSION_COLS} FROM bot_config_versions ORDER BY version DESC"
        );
        let rows = sqlx::query(&sql).fetch_all(&self.read).await.map_err(db)?;
        rows.iter().map(rows::bot_config_version).collect()
    }

    async fn bot_config_version(&self, version: i32) -> Result<Option<BotConfigVersion>> {
        let sql =
            format!("SELECT {BOT_CONFIG_VERSION_COLS} FROM bot_config_versions WHERE version = ?");
        let row = sqlx::query(&sql)
            .bind(version)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::bot_config_version).transpose()
    }

    async fn latest_bot_config(&self) -> Result<Option<BotConfigVersion>> {
        let sql = format!(
            "SELECT {BOT_CONFIG_VERSION_COLS} FROM bot_config_versions \
             ORDER BY version DESC LIMIT 1"
        );
        let row = sqlx::query(&sql)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::bot_config_version).transpose()
    }

    async fn set_bot_config_report(&self, version: i32, report: &str) -> Result<()> {
        let done = sqlx::query("UPDATE bot_config_versions SET report = ? WHERE version = ?")
            .bind(report)
            .bind(version)
            .execute(&self.write)
            .await
            .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound("bot configuration version"));
        }
        Ok(())
    }

    async fn llm_settings(&self) -> Result<Option<LlmSettingsRecord>> {
        let sql = format!("SELECT {LLM_SETTINGS_COLS} FROM llm_settings WHERE id = 1");
        let row = sqlx::query(&sql)
            .fetch_optional(&self.read)
            .await
            .map_err(db)?;
        row.as_ref().map(rows::llm_settings).transpose()
    }

    async fn save_llm_settings(
        &self,
        settings: &str,
        api_key: KeyChange<'_>,
        by: Option<OperatorId>,
    ) -> Result<LlmSettingsRecord> {
        // ?2: the key to write, ?3: whether to write it (else the stored one is kept).
        let (key, replace) = match api_key {
            KeyChange::Keep => (None, false),
            KeyChange::Set(sealed) => (Some(sealed), true),
            KeyChange::Clear => (None, true),
        };
        let sql = format!(
            "INSERT INTO llm_settings (id, settings, sealed_api_key, updated_by, updated_at) \
             VALUES (1, ?1, ?2, ?4, ?5) \
             ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, \
                 sealed_api_key = CASE WHEN ?3 THEN excluded.sealed_api_key \
                                       ELSE llm_settings.sealed_api_key END, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at \
             RETURNING {LLM_SETTINGS_COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(settings)
            .bind(key)
            .bind(replace)
            .bind(by.map(|o| o.0))
            .bind(Timestamp::now().0)
            .fetch_one(&self.write)
            .await
            .map_err(operator_missing)?;
        rows::llm_settings(&row)
    }
}
