//! The turns of phone calls, kept for analytics. No events, so nothing here takes the event log
//! lock: the conversation's messages carry what the caller and the bot said; these rows add the
//! voice-only facts (timings, barge-in, DTMF).

use async_trait::async_trait;
use frontline_domain::{ConversationId, NewVoiceTurn, Timestamp, VoiceTurn};
use frontline_store::rows::{self, VOICE_TURN_COLS};
use frontline_store::{Result, StoreError, VoiceStore};

use crate::PgStore;
use crate::conversations::require_conversation;
use crate::error::{db, db_referencing};

#[async_trait]
impl VoiceStore for PgStore {
    async fn record_voice_turn(&self, new: NewVoiceTurn) -> Result<VoiceTurn> {
        let row = sqlx::query(&format!(
            "INSERT INTO voice_turns (conversation_id, call_id, turn, recognised, answer, intent, \
                 speech_ms, end_of_speech_to_audio_ms, recognition_ms, engine_ms, synthesis_ms, \
                 barge_in, dtmf, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             RETURNING {VOICE_TURN_COLS}"
        ))
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
        .fetch_one(&self.pool)
        .await
        // The conversation is the only foreign key of the row.
        .map_err(|e| match db_referencing("conversation")(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!(
                "turn {} of call `{}` is already recorded",
                new.turn, new.call_id
            )),
            other => other,
        })?;
        rows::voice_turn(&row)
    }

    async fn voice_turns(&self, call_id: &str) -> Result<Vec<VoiceTurn>> {
        let rows = sqlx::query(&format!(
            "SELECT {VOICE_TURN_COLS} FROM voice_turns WHERE call_id = $1 ORDER BY turn"
        ))
        .bind(call_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(rows::voice_turn).collect()
    }

    async fn conversation_voice_turns(
        &self,
        conversation: ConversationId,
    ) -> Result<Vec<VoiceTurn>> {
        // A call's first recorded turn has the call's smallest id: ordering by it keeps each call
        // together and the calls in the order they happened, even when writes of two calls
        // interleave.
        let rows = sqlx::query(&format!(
            "SELECT {VOICE_TURN_COLS} FROM voice_turns WHERE conversation_id = $1 \
             ORDER BY MIN(id) OVER (PARTITION BY call_id), turn"
        ))
        .bind(conversation.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        if rows.is_empty() {
            require_conversation(self, conversation).await?;
        }
        rows.iter().map(rows::voice_turn).collect()
    }
}
