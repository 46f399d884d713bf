//! What the voice channel keeps about each turn of a phone call, for analytics: what was recognised,
//! what the bot answered, and where the time went between the caller falling silent and hearing the
//! reply.
//!
//! A turn is one caller utterance (speech or DTMF digits) and the bot's reply to it. Durations are
//! whole milliseconds; the stages that did not run for a turn (no reply was synthesised, the engine
//! was skipped for DTMF) are `None` rather than zero, so averages are not dragged down by absent work.

use crate::{ConversationId, Timestamp};

/// A voice turn to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVoiceTurn {
    pub conversation_id: ConversationId,
    /// The telephony side's id of the call (e.g. Asterisk's channel unique id); one conversation can
    /// hold several calls.
    pub call_id: String,
    /// The turn's number within the call, in the order the turns were taken; unique per call.
    pub turn: i32,
    /// The recogniser's text (the digits for DTMF input).
    pub recognised: String,
    /// The bot's reply, `None` when it gave none (handed over, the caller hung up).
    pub answer: Option<String>,
    pub intent: Option<String>,
    /// How long the caller spoke.
    pub speech_ms: i64,
    /// From the caller's end of speech to the first byte of reply audio sent to the line: the
    /// latency the caller hears. `None` when no reply audio was played.
    pub end_of_speech_to_audio_ms: Option<i64>,
    pub recognition_ms: i64,
    /// Time the engine spent deciding the answer.
    pub engine_ms: Option<i64>,
    /// Time to synthesise the reply (to its first audio when synthesis streams).
    pub synthesis_ms: Option<i64>,
    /// The caller interrupted this turn's reply.
    pub barge_in: bool,
    /// The input came as DTMF digits rather than speech.
    pub dtmf: bool,
}

/// A recorded voice turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoiceTurn {
    pub id: i64,
    pub conversation_id: ConversationId,
    pub call_id: String,
    pub turn: i32,
    pub recognised: String,
    pub answer: Option<String>,
    pub intent: Option<String>,
    pub speech_ms: i64,
    pub end_of_speech_to_audio_ms: Option<i64>,
    pub recognition_ms: i64,
    pub engine_ms: Option<i64>,
    pub synthesis_ms: Option<i64>,
    pub barge_in: bool,
    pub dtmf: bool,
    pub created_at: Timestamp,
}
