//! The generic inbound API channel's HTTP endpoint. The payload format belongs to
//! `frontline_channels::api`; this module authenticates and maps errors.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
};
use frontline_channels::api::InboundPayload;
use frontline_domain::{AccountId, AccountKind};

use crate::{
    AppState,
    auth::{request_token, token_matches},
    dto,
    error::{ApiError, ApiJson, ApiPath},
};

/// Feed a customer's message into frontline. The message is stored before this answers; a repeated
/// delivery (same `external_message_id`) creates nothing and answers 200 with `duplicate: true`.
#[utoipa::path(
    post, path = "/api/v1/inbound/{account_id}/messages", tag = "inbound",
    params(("account_id" = i64, Path, description = "An account of kind `api`")),
    request_body = frontline_channels::api::InboundPayload,
    responses(
        (status = 202, description = "Stored", body = dto::InboundAccepted),
        (status = 200, description = "Already stored earlier (duplicate delivery)", body = dto::InboundAccepted),
        (status = 400, description = "`invalid_json`", body = crate::error::ErrorBody),
        (status = 401, description = "`invalid_token`", body = crate::error::ErrorBody),
        (status = 404, description = "No such account", body = crate::error::ErrorBody),
        (status = 409, description = "Account disabled or not an api account", body = crate::error::ErrorBody),
        (status = 413, description = "`payload_too_large`", body = crate::error::ErrorBody),
        (status = 422, description = "`validation_failed`", body = crate::error::ErrorBody),
    ),
    security(("inbound_token" = []))
)]
pub async fn receive(
    State(state): State<AppState>,
    ApiPath(account_id): ApiPath<i64>,
    headers: HeaderMap,
    ApiJson(payload): ApiJson<InboundPayload>,
) -> Result<impl IntoResponse, ApiError> {
    let account = state
        .store()
        .account(AccountId(account_id))
        .await?
        .ok_or(ApiError::NotFound("account"))?;
    let token = request_token(&headers).ok_or(ApiError::InvalidToken)?;
    let authorised = account
        .inbound_token_hash
        .as_deref()
        .is_some_and(|h| token_matches(&token, h));
    if !authorised {
        return Err(ApiError::InvalidToken);
    }
    if account.kind != AccountKind::Api {
        return Err(ApiError::Conflict(
            "this account is not an api account".into(),
        ));
    }
    if !account.enabled {
        return Err(ApiError::Conflict("this account is disabled".into()));
    }
    let msg = payload
        .into_domain(account.id)
        .map_err(|e| ApiError::validation(e.field, e.message))?;
    let ingested = state.lifecycle().receive(msg).await?;
    let status = if ingested.new_message {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        ApiJson(dto::InboundAccepted {
            conversation_id: ingested.conversation.id.0,
            message_id: ingested.message.id.0,
            duplicate: !ingested.new_message,
        }),
    ))
}
