//! Login, logout and "who am I".

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, FromRequestParts, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use frontline_domain::Timestamp;

use crate::{
    AppState,
    auth::{
        CurrentOperator, SESSION_COOKIE, new_token, request_token, token_hash,
        verify_password_blocking,
    },
    dto,
    error::{ApiError, ApiJson},
};

/// The client's address, when the server was started with connection info.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

/// Exchange a login and password for a session token.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth",
    request_body = dto::LoginRequest,
    responses(
        (status = 200, body = dto::LoginResponse),
        (status = 401, description = "`invalid_credentials`", body = crate::error::ErrorBody),
        (status = 429, description = "`too_many_requests`, with `Retry-After`", body = crate::error::ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<dto::LoginRequest>,
) -> Result<Response, ApiError> {
    let limiter = state.login_limiter();
    limiter
        .check(&req.login, ip)
        .map_err(ApiError::TooManyRequests)?;
    let login = req.login.trim().to_lowercase();
    let operator = state.store().operator_by_login(&login).await?;
    let ok = match &operator {
        Some(op) if op.active => {
            verify_password_blocking(req.password.clone(), op.password_hash.clone()).await
        }
        _ => {
            // Spend the same time as a real check so response timing does not reveal logins.
            let _ =
                verify_password_blocking(req.password.clone(), state.dummy_hash().to_owned()).await;
            false
        }
    };
    let Some(op) = operator.filter(|_| ok) else {
        limiter.failed(&req.login, ip);
        return Err(ApiError::InvalidCredentials);
    };
    limiter.succeeded(&req.login);
    let token = new_token();
    let expires = Timestamp::now().plus(state.settings().session_ttl);
    state
        .store()
        .create_session(&token_hash(&token), op.id, expires)
        .await?;
    tracing::info!(operator = op.id.0, "operator logged in");
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        state.settings().session_ttl.as_secs(),
        if state.settings().secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    let body = dto::LoginResponse {
        token,
        expires_at: dto::rfc3339(expires),
        operator: (&op).into(),
    };
    let mut resp = ApiJson(body).into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(ApiError::internal)?,
    );
    Ok(resp)
}

/// End the current session.
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn logout(
    State(state): State<AppState>,
    _op: CurrentOperator,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = request_token(&headers) {
        state.store().delete_session(&token_hash(&token)).await?;
    }
    let mut resp = axum::http::StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "frontline_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
        ),
    );
    Ok(resp)
}

/// The operator behind the current session.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = dto::Operator), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn me(CurrentOperator(op): CurrentOperator) -> ApiJson<dto::Operator> {
    ApiJson((&op).into())
}

/// Languages the web app is translated into.
const LANGUAGES: [&str; 2] = ["ru", "en"];
/// More hidden accounts than this is not a choice an operator makes by hand.
const MAX_HIDDEN_ACCOUNTS: usize = 1000;

/// The current operator's messenger preferences (hidden accounts, sound, language); the defaults
/// until they save some.
#[utoipa::path(
    get, path = "/api/v1/me/preferences", tag = "auth",
    responses((status = 200, body = dto::Preferences), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn preferences(
    State(state): State<AppState>,
    CurrentOperator(op): CurrentOperator,
) -> Result<ApiJson<dto::Preferences>, ApiError> {
    Ok(ApiJson(
        state.store().operator_preferences(op.id).await?.into(),
    ))
}

/// Replace the current operator's messenger preferences. Hidden accounts must exist.
#[utoipa::path(
    put, path = "/api/v1/me/preferences", tag = "auth",
    request_body = dto::Preferences,
    responses(
        (status = 200, body = dto::Preferences),
        (status = 401, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn save_preferences(
    State(state): State<AppState>,
    CurrentOperator(op): CurrentOperator,
    ApiJson(req): ApiJson<dto::Preferences>,
) -> Result<ApiJson<dto::Preferences>, ApiError> {
    if let Some(lang) = req.language.as_deref()
        && !LANGUAGES.contains(&lang)
    {
        return Err(ApiError::validation(
            "language",
            format!("must be one of {}", LANGUAGES.join(", ")),
        ));
    }
    if req.hidden_account_ids.len() > MAX_HIDDEN_ACCOUNTS {
        return Err(ApiError::validation(
            "hidden_account_ids",
            format!("at most {MAX_HIDDEN_ACCOUNTS} accounts"),
        ));
    }
    let known: std::collections::HashSet<i64> = state
        .store()
        .list_accounts()
        .await?
        .iter()
        .map(|a| a.id.0)
        .collect();
    if let Some(unknown) = req.hidden_account_ids.iter().find(|id| !known.contains(id)) {
        return Err(ApiError::validation(
            "hidden_account_ids",
            format!("account {unknown} does not exist"),
        ));
    }
    let saved = state
        .store()
        .save_operator_preferences(
            op.id,
            frontline_domain::OperatorPreferences {
                hidden_accounts: req
                    .hidden_account_ids
                    .into_iter()
                    .map(frontline_domain::AccountId)
                    .collect(),
                sound_muted: !req.sound,
                language: req.language,
            },
        )
        .await?;
    Ok(ApiJson(saved.into()))
}
