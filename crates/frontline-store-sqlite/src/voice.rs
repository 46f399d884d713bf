//! Voice-call turns, one row each, for analytics. No events.

use crate::SqliteStore;
use crate::error::db;
use async_trait::async_trait;
use frontline_domain::{ConversationId, NewVoiceTurn, Timestamp, VoiceTurn};
use frontline_store::rows::{self, VOICE_TURN_COLS};
use frontline_store::{Result, StoreError, VoiceStore};

#[async_trait]
impl VoiceStore for SqliteStore {
    async fn record_voice_turn(&self, new: NewVoiceTurn) -> Result<VoiceTurn> {
        let mut tx = self.begin().await?;
        let sql = format!(
            "INSERT INTO voice_turns (conversation_id, call_id, turn, recognised, answer, intent, \
             speech_ms, end_of_speech_to_audio_ms, recognition_ms, engine_ms, synthesis_ms, barge_in, \
             dtmf, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {VOICE_TURN_COLS}"
        );
        let row = sqlx::query(&sql)
            .bind(new.conversation_id.0)
            .bind(&new.call_id)
            .bind(new.turn)
            .bind(&new.recognised)
            .bind(&new.answer)
            .bind(&new.intent)
            .bind(new.speech_ms)
            .bind(new.end_of_speech_to_audio_ms)
            .bind(new.recognition_ms)
            .bind(new.engine_ms)
            .bind(new.synthesis_ms)
            .bind(new.barge_in)
            .bind(new.dtmf)
            .bind(Timestamp::now().0)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| match &e {
                // The conversation is the only foreign key of the row.
                sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                    StoreError::NotFound("conversation")
                }
                sqlx::Error::Database(d) if d.is_unique_violation() => {
                    StoreError::Conflict(format!(
                        "turn {} of call `{}` is already recorded",
                        new.turn, new.call_id
                    ))
                }
                _ => db(e),
            })?;
        let turn = rows::voice_turn(&row)?;
        tx.commit().await.map_err(db)?;
        Ok(turn)
    }

    async fn voice_turns(&self, call_id: &str) -> Result<Vec<VoiceTurn>> {
        let sql =
            format!("SELECT {VOICE_TURN_COLS} FROM voice_turns WHERE call_id = ? ORDER BY turn");
        let rows = sqlx::query(&sql)
            .bind(call_id)
            .fetch_all(&self.read)
            .await
            .map_err(db)?;
        rows.iter().map(rows::voice_turn).collect()
    }

    async fn conversation_voice_turns(
        &self,
        conversation: ConversationId,
    ) -> Result<Vec<VoiceTurn>> {
        // A call's first recorded turn has the call's smallest id: ordering by it keeps each call
        // together and the calls in the order they happened, even when writes of two calls interleave.
        let sql = format!(
            "SELECT {VOICE_TURN_COLS} FROM voice_turns WHERE conversation_id = ? \
             ORDER BY MIN(id) OVER (PARTITION BY call_id), turn"
        );
        let rows = sqlx::query(&sql)
            .bind(conversation.0)
            .fetch_all(&self.read)
            .await
            .map_err(db)?;
        if rows.is_empty() {
            let found: Option<i64> =
                sqlx::query_scalar("SELECT id FROM conversations WHERE id = ?")
                    .bind(conversation.0)
                    .fetch_optional(&self.read)
                    .await
                    .map_err(db)?;
            if found.is_none() {
                return Err(StoreError::NotFound("conversation"));
            }
        }
        rows.iter().map(rows::voice_turn).collect()
    }
}
