//! Phone calls: the turns of a call, with what was heard, answered and how fast.

use axum::extract::State;

use crate::{
    AppState,
    auth::CurrentOperator,
    dto,
    error::{ApiError, ApiJson, ApiPath},
};

/// The turns of a call by the telephony side's call id (AudioSocket UUID or Twilio `CallSid`),
/// in order. Turns are stored as they complete; the last one when the call ends.
#[utoipa::path(
    get, path = "/api/v1/voice/calls/{call_id}/turns", tag = "voice",
    params(("call_id" = String, Path)),
    responses(
        (status = 200, body = Vec<dto::VoiceTurn>),
        (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn call_turns(
    State(state): State<AppState>,
    CurrentOperator(_me): CurrentOperator,
    ApiPath(call_id): ApiPath<String>,
) -> Result<ApiJson<Vec<dto::VoiceTurn>>, ApiError> {
    if call_id.is_empty() || call_id.len() > 128 {
        return Err(ApiError::validation("call_id", "1 to 128 characters"));
    }
    let turns = state.store().voice_turns(&call_id).await?;
    if turns.is_empty() {
        return Err(ApiError::NotFound("call"));
    }
    Ok(ApiJson(
        turns.iter().map(dto::VoiceTurn::from_domain).collect(),
    ))
}
