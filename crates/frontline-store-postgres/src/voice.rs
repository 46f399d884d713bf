//! The turns of phone calls, kept for analytics. No events, so nothing here takes the event log
//! lock: the conversation's messages carry what the caller and the bot said; these rows add the
//! voice-only facts (timings, barge-in, DTMF).

use frontline_domain::{ConversationId, NewVoiceTurn, Timestamp, VoiceTurn};
use frontline_store::{Result, StoreError};
use sqlx::PgPool;
use sqlx::postgres::PgRow;

use crate::error::{db_err, map_err};
use crate::rows::{get, ts};

const VOICE_TURN_COLUMNS: &str = "id, conversation_id, call_id, turn, recognised, answer, intent, \
    speech_ms, end_of_speech_to_audio_ms, recognition_ms, engine_ms, synthesis_ms, barge_in, dtmf, \
    created_at";

pub(crate) async fn record_voice_turn(pool: &PgPool, new: NewVoiceTurn) -> Result<VoiceTurn> {
    let row = sqlx::query(&format!(
        "INSERT INTO voice_turns (conversation_id, call_id, turn, recognised, answer, intent, \
             speech_ms, end_of_speech_to_audio_ms, recognition_ms, engine_ms, synthesis_ms, \
             barge_in, dtmf, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         RETURNING {VOICE_TURN_COLUMNS}"
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
    .fetch_one(pool)
    .await
    // The conversation is the only foreign key of the row.
    .map_err(|e| match map_err("conversation")(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!(
            "turn {} of call `{}` is already recorded",
            new.turn, new.call_id
        )),
        other => other,
    })?;
    voice_turn(&row)
}

pub(crate) async fn voice_turns(pool: &PgPool, call_id: &str) -> Result<Vec<VoiceTurn>> {
    let rows = sqlx::query(&format!(
        "SELECT {VOICE_TURN_COLUMNS} FROM voice_turns WHERE call_id = $1 ORDER BY turn"
    ))
    .bind(call_id)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter().map(voice_turn).collect()
}

pub(crate) async fn conversation_voice_turns(
    pool: &PgPool,
    conversation: ConversationId,
) -> Result<Vec<VoiceTurn>> {
    // A call's first recorded turn has the call's smallest id: ordering by it keeps each call
    // together and the calls in the order they happened, even when writes of two calls interleave.
    let rows = sqlx::query(&format!(
        "SELECT {VOICE_TURN_COLUMNS} FROM voice_turns WHERE conversation_id = $1 \
         ORDER BY MIN(id) OVER (PARTITION BY call_id), turn"
    ))
    .bind(conversation.0)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    if rows.is_empty() {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM conversations WHERE id = $1)")
                .bind(conversation.0)
                .fetch_one(pool)
                .await
                .map_err(db_err)?;
        if !exists {
            return Err(StoreError::NotFound("conversation"));
        }
    }
    rows.iter().map(voice_turn).collect()
}

fn voice_turn(row: &PgRow) -> Result<VoiceTurn> {
    Ok(VoiceTurn {
        id: get(row, "id")?,
        conversation_id: ConversationId(get(row, "conversation_id")?),
        call_id: get(row, "call_id")?,
        turn: get(row, "turn")?,
        recognised: get(row, "recognised")?,
        answer: get(row, "answer")?,
        intent: get(row, "intent")?,
        speech_ms: get(row, "speech_ms")?,
        end_of_speech_to_audio_ms: get(row, "end_of_speech_to_audio_ms")?,
        recognition_ms: get(row, "recognition_ms")?,
        engine_ms: get(row, "engine_ms")?,
        synthesis_ms: get(row, "synthesis_ms")?,
        barge_in: get(row, "barge_in")?,
        dtmf: get(row, "dtmf")?,
        created_at: ts(row, "created_at")?,
    })
}
