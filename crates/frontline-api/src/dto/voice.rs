//! Wire shapes of phone-call turns.

use frontline_domain as d;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::*;

/// One turn of a phone call: what the caller said, what the bot answered, and how fast.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VoiceTurn {
    pub conversation_id: i64,
    pub call_id: String,
    pub turn: i32,
    /// What the recogniser heard (or the DTMF digits).
    pub recognised: String,
    pub answer: Option<String>,
    pub intent: Option<String>,
    pub speech_ms: i64,
    /// The caller's end of speech to the first frame of the reply.
    pub end_of_speech_to_audio_ms: Option<i64>,
    pub recognition_ms: i64,
    pub engine_ms: Option<i64>,
    pub synthesis_ms: Option<i64>,
    /// The caller interrupted the reply.
    pub barge_in: bool,
    pub dtmf: bool,
    pub created_at: String,
}

impl VoiceTurn {
    pub fn from_domain(t: &d::VoiceTurn) -> Self {
        VoiceTurn {
            conversation_id: t.conversation_id.0,
            call_id: t.call_id.clone(),
            turn: t.turn,
            recognised: t.recognised.clone(),
            answer: t.answer.clone(),
            intent: t.intent.clone(),
            speech_ms: t.speech_ms,
            end_of_speech_to_audio_ms: t.end_of_speech_to_audio_ms,
            recognition_ms: t.recognition_ms,
            engine_ms: t.engine_ms,
            synthesis_ms: t.synthesis_ms,
            barge_in: t.barge_in,
            dtmf: t.dtmf,
            created_at: rfc3339(t.created_at),
        }
    }
}
