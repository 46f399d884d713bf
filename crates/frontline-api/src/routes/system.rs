//! Health and the API description.

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use utoipa::OpenApi;

use crate::{AppState, dto, error::ApiJson, openapi::ApiDoc};

/// Liveness and storage reachability.
#[utoipa::path(
    get, path = "/healthz", tag = "system",
    responses((status = 200, body = dto::Health), (status = 503, body = dto::Health))
)]
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let store_ok = state.store().ping().await.is_ok();
    let status = if store_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        ApiJson(dto::Health {
            status: if store_ok { "ok" } else { "degraded" }.into(),
            store: state.store().backend().into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }),
    )
}

/// This API's OpenAPI 3.1 description, generated from the code.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "system", responses((status = 200, description = "OpenAPI document")))]
pub async fn openapi() -> impl IntoResponse {
    ApiJson(ApiDoc::openapi())
}
