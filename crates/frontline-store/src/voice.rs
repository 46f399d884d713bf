//! Phone calls: one row per turn of a call, for analytics (what was recognised, where the latency
//! went). No events: the turn's text reaches the conversation as ordinary messages.

use async_trait::async_trait;
use frontline_domain::{ConversationId, NewVoiceTurn, VoiceTurn};

use crate::*;

/// Voice-call turns.
#[async_trait]
pub trait VoiceStore: Send + Sync {
    /// Record one turn of a call. `NotFound("conversation")`; `Conflict` when the call already has
    /// this turn number (a retried write must not count a turn twice). `created_at` is set by the
    /// store.
    async fn record_voice_turn(&self, new: NewVoiceTurn) -> Result<VoiceTurn>;

    /// The turns of a call, by turn number; empty for an unknown call.
    async fn voice_turns(&self, call_id: &str) -> Result<Vec<VoiceTurn>>;

    /// Every turn of a conversation's calls: calls in the order their first turn was recorded, each
    /// call's turns by turn number. `NotFound("conversation")`.
    async fn conversation_voice_turns(
        &self,
        conversation: ConversationId,
    ) -> Result<Vec<VoiceTurn>>;
}
