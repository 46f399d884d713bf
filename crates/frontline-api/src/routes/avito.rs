//! Avito accounts (admin), Avito's webhook receiver, and stored media.
//!
//! The channel's logic lives in `frontline_channels::avito`; these handlers authenticate, convert and
//! map errors.

use axum::{
    body::Bytes,
    extract::{State, rejection::BytesRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use frontline_channels::avito::{
    AvitoChannel, AvitoError, ConnectRequest, ServiceError, SyncStats, WebhookAck, WebhookHealth,
};
use frontline_domain::{AccountId, MediaId, NewMedia};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    AppState,
    auth::{Admin, CurrentOperator},
    dto,
    error::{ApiError, ApiJson, ApiPath, ApiQuery, bytes_rejection},
};

/// Largest media upload, in bytes (Avito takes images up to 24 MB).
pub const MAX_MEDIA_BYTES: usize = 24 * 1024 * 1024;

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(what) => ApiError::NotFound(what),
            ServiceError::Invalid { field, why } => ApiError::validation(field, why),
            ServiceError::UnknownWebhook => ApiError::NotFound("webhook"),
            ServiceError::MalformedWebhook(why) => ApiError::BadRequest {
                code: "invalid_json",
                message: format!("the webhook body is not Avito's JSON: {why}"),
                field: None,
            },
            ServiceError::Avito(AvitoError::Credentials(why)) => ApiError::Upstream {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "avito_credentials_rejected",
                message: format!("Avito rejected the client id and secret: {why}"),
                // Avito does not say which of the two; a wrong secret is by far the usual case,
                // and the form shows the error there.
                field: Some("client_secret".into()),
            },
            ServiceError::Avito(other) => ApiError::Upstream {
                status: StatusCode::BAD_GATEWAY,
                code: "avito_unavailable",
                message: other.to_string(),
                field: None,
            },
            ServiceError::Sealed(why) => ApiError::Unavailable(format!(
                "the account's stored secrets cannot be opened with this server's key ({why})"
            )),
            ServiceError::Store(e) => e.into(),
            ServiceError::Lifecycle(e) => e.into(),
        }
    }
}

fn channel(state: &AppState) -> Result<&AvitoChannel, ApiError> {
    state
        .avito()
        .ok_or_else(|| ApiError::Unavailable("the Avito channel is not enabled".into()))
}

/// What an admin gives to connect an Avito account (from avito.ru/professionals/api).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectAvitoRequest {
    /// Shown in the inbox («Аккаунты»).
    pub name: String,
    /// Avito's id of the account (`GET /core/v1/accounts/self` → `id`).
    pub user_id: i64,
    pub client_id: String,
    /// Stored encrypted with the server key; never returned.
    pub client_secret: String,
    /// For accounts authorised through the authorization-code flow.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectedAvito {
    pub account: dto::Account,
    /// Avito accepted the webhook subscription. When not, the poller still brings messages in, a
    /// little later; `POST …/webhook` tries again.
    pub subscribed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscribe_error: Option<String>,
}

/// Connect an Avito account: the credentials are checked against Avito, sealed, the webhook is
/// subscribed and the chat history imported in the background.
#[utoipa::path(
    post, path = "/api/v1/avito/accounts", tag = "avito",
    request_body = ConnectAvitoRequest,
    responses(
        (status = 201, body = ConnectedAvito),
        (status = 403, body = crate::error::ErrorBody),
        (status = 422, description = "`validation_failed` or `avito_credentials_rejected`", body = crate::error::ErrorBody),
        (status = 502, description = "`avito_unavailable`", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn connect(
    State(state): State<AppState>,
    _admin: Admin,
    ApiJson(req): ApiJson<ConnectAvitoRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let connected = channel(&state)?
        .connect(ConnectRequest {
            name: req.name,
            user_id: req.user_id,
            client_id: req.client_id,
            client_secret: req.client_secret,
            refresh_token: req.refresh_token,
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(ConnectedAvito {
            account: dto::Account::from_domain(&connected.account, true),
            subscribed: connected.subscribed,
            subscribe_error: connected.subscribe_error,
        }),
    ))
}

/// Unsubscribe the webhook and disable the account; its conversations stay.
#[utoipa::path(
    delete, path = "/api/v1/avito/accounts/{id}", tag = "avito",
    params(("id" = i64, Path)),
    responses((status = 200, body = dto::Account), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn disconnect(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<dto::Account>, ApiError> {
    let account = channel(&state)?.disconnect(AccountId(id)).await?;
    Ok(ApiJson(dto::Account::from_domain(&account, true)))
}

/// The account's webhook subscriptions as Avito lists them (the health view).
#[utoipa::path(
    get, path = "/api/v1/avito/accounts/{id}/webhook", tag = "avito",
    params(("id" = i64, Path)),
    responses((status = 200, body = WebhookHealth), (status = 404, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn webhook_health(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<WebhookHealth>, ApiError> {
    Ok(ApiJson(
        channel(&state)?.webhook_health(AccountId(id)).await?,
    ))
}

/// Subscribe the account's webhook again.
#[utoipa::path(
    post, path = "/api/v1/avito/accounts/{id}/webhook", tag = "avito",
    params(("id" = i64, Path)),
    responses((status = 200, body = WebhookHealth), (status = 404, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn resubscribe(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<WebhookHealth>, ApiError> {
    Ok(ApiJson(channel(&state)?.resubscribe(AccountId(id)).await?))
}

/// The last history sync: when, and what it imported or why it failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncOutcome {
    pub at: String,
    pub ok: bool,
    pub stats: Option<SyncStats>,
    pub error: Option<String>,
}

/// The poller's last look at the account: when, and how many messages it found that no webhook
/// had brought, or why it failed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PollOutcome {
    pub at: String,
    pub ok: bool,
    pub recovered: Option<u64>,
    pub error: Option<String>,
}

/// The account's access token as this server holds it (the token itself is never shown).
#[derive(Debug, Serialize, ToSchema)]
pub struct AvitoTokenStatus {
    /// `valid` (a token is held and not expired), `expired`, `failing` (the last `/token` request
    /// failed and no valid token is held) or `none` (not asked for yet on this server).
    pub state: String,
    pub issued_at: Option<String>,
    pub expires_at: Option<String>,
    /// The last failed `/token` request, unless one succeeded after it.
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    /// `/token` requests made for the account since this server started.
    pub requests: u64,
}

/// The newest error of the account's background work.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvitoWorkError {
    pub at: String,
    /// `sync`, `poll`, `delivery` (processing a webhook delivery) or `send`.
    pub during: String,
    pub message: String,
}

/// An Avito account's status for the admin: its ids, its token, and what its background work
/// last did — as this server saw it since `since` (kept in memory; a restart starts afresh).
#[derive(Debug, Serialize, ToSchema)]
pub struct AvitoAccountStatus {
    pub user_id: i64,
    pub client_id: String,
    pub connected_at: String,
    /// Connected through the authorization-code flow (its refresh token is stored sealed).
    pub has_refresh_token: bool,
    pub token: AvitoTokenStatus,
    pub last_webhook_at: Option<String>,
    pub last_sync: Option<SyncOutcome>,
    pub last_poll: Option<PollOutcome>,
    pub last_error: Option<AvitoWorkError>,
    pub since: String,
}

impl From<frontline_channels::avito::AccountStatus> for AvitoAccountStatus {
    fn from(s: frontline_channels::avito::AccountStatus) -> Self {
        let now = frontline_domain::Timestamp::now();
        let t = &s.token;
        let state = match (t.expires_at, &t.last_error) {
            (Some(exp), _) if exp > now => "valid",
            (_, Some(_)) => "failing",
            (Some(_), None) => "expired",
            (None, None) => "none",
        };
        AvitoAccountStatus {
            user_id: s.user_id,
            client_id: s.client_id,
            connected_at: dto::rfc3339(s.connected_at),
            has_refresh_token: s.has_refresh_token,
            token: AvitoTokenStatus {
                state: state.into(),
                issued_at: t.issued_at.map(dto::rfc3339),
                expires_at: t.expires_at.map(dto::rfc3339),
                last_error: t.last_error.as_ref().map(|(_, e)| e.clone()),
                last_error_at: t.last_error.as_ref().map(|(at, _)| dto::rfc3339(*at)),
                requests: t.requests,
            },
            last_webhook_at: s.activity.last_webhook_at.map(dto::rfc3339),
            last_sync: s.activity.last_sync.as_ref().map(|o| SyncOutcome {
                at: dto::rfc3339(o.at),
                ok: o.result.is_ok(),
                stats: o.result.as_ref().ok().copied(),
                error: o.result.as_ref().err().cloned(),
            }),
            last_poll: s.activity.last_poll.as_ref().map(|o| PollOutcome {
                at: dto::rfc3339(o.at),
                ok: o.result.is_ok(),
                recovered: o.result.as_ref().ok().copied(),
                error: o.result.as_ref().err().cloned(),
            }),
            last_error: s
                .activity
                .last_error
                .as_ref()
                .map(|(at, work, message)| AvitoWorkError {
                    at: dto::rfc3339(*at),
                    during: work.as_str().into(),
                    message: message.clone(),
                }),
            since: dto::rfc3339(s.since),
        }
    }
}

/// The account's status: ids, token, last webhook, sync and poll, and the newest error.
#[utoipa::path(
    get, path = "/api/v1/avito/accounts/{id}/status", tag = "avito",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = AvitoAccountStatus),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 503, description = "The account's secrets cannot be opened with this server's key", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn status(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<AvitoAccountStatus>, ApiError> {
    Ok(ApiJson(
        channel(&state)?.status(AccountId(id)).await?.into(),
    ))
}

/// Import the chat history now (what Avito's paging can reach: about 1100 chats).
#[utoipa::path(
    post, path = "/api/v1/avito/accounts/{id}/sync", tag = "avito",
    params(("id" = i64, Path)),
    responses((status = 200, body = SyncStats), (status = 404, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn sync(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<SyncStats>, ApiError> {
    Ok(ApiJson(channel(&state)?.sync(AccountId(id)).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Polled {
    /// Messages no webhook had brought.
    pub recovered: u64,
}

/// Look for messages a webhook missed now, instead of at the poller's next round.
#[utoipa::path(
    post, path = "/api/v1/avito/accounts/{id}/poll", tag = "avito",
    params(("id" = i64, Path)),
    responses((status = 200, body = Polled), (status = 404, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn poll(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<Polled>, ApiError> {
    let recovered = channel(&state)?.poll_account(AccountId(id)).await?;
    Ok(ApiJson(Polled { recovered }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookOk {
    pub ok: bool,
}

/// Avito's deliveries. The secret path segment is the credential (Avito signs nothing, A6); a wrong
/// one stores nothing. A delivery is stored before the 200; the `{}` probe is answered as is.
#[utoipa::path(
    post, path = "/api/v1/webhooks/avito/{account_id}/{secret}", tag = "avito",
    params(("account_id" = i64, Path), ("secret" = String, Path)),
    responses(
        (status = 200, body = WebhookOk),
        (status = 400, description = "`invalid_json`", body = crate::error::ErrorBody),
        (status = 404, description = "Unknown account or wrong secret", body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody),
    )
)]
pub async fn webhook(
    State(state): State<AppState>,
    ApiPath((account_id, secret)): ApiPath<(i64, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<ApiJson<WebhookOk>, ApiError> {
    let body = body.map_err(|r| bytes_rejection(r, crate::MAX_BODY_BYTES))?;
    let ack = channel(&state)?
        .accept_webhook(AccountId(account_id), &secret, &body)
        .await?;
    if let WebhookAck::Stored(id) = ack {
        tracing::debug!(delivery = id, account = account_id, "avito delivery stored");
    }
    Ok(ApiJson(WebhookOk { ok: true }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UploadQuery {
    /// File name to keep with the media.
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Uploaded {
    pub id: i64,
    /// Use as an attachment's `url`.
    pub url: String,
    pub mime: String,
    pub size: i64,
}

/// Store a file to attach to a message (the body is the file; `Content-Type` is kept).
#[utoipa::path(
    post, path = "/api/v1/media", tag = "media",
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Uploaded), (status = 413, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn upload(
    State(state): State<AppState>,
    _me: CurrentOperator,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let body = body.map_err(|r| bytes_rejection(r, MAX_MEDIA_BYTES))?;
    if body.is_empty() {
        return Err(ApiError::validation("body", "the file is empty"));
    }
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|m| m.contains('/') && m.len() <= 100)
        .unwrap_or("application/octet-stream")
        .to_string();
    let name = q
        .name
        .map(|n| n.trim().chars().take(200).collect::<String>())
        .filter(|n| !n.is_empty());
    let media = state
        .store()
        .save_media(NewMedia {
            account_id: None,
            mime,
            name,
            bytes: body.to_vec(),
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(Uploaded {
            id: media.id.0,
            url: format!("{}{}", frontline_channels::avito::MEDIA_PATH, media.id.0),
            mime: media.mime,
            size: media.size,
        }),
    ))
}

/// A stored file (images and voice messages of customers, operators' uploads).
#[utoipa::path(
    get, path = "/api/v1/media/{id}", tag = "media",
    params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn media(
    State(state): State<AppState>,
    _me: CurrentOperator,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let media = state
        .store()
        .media(MediaId(id))
        .await?
        .ok_or(ApiError::NotFound("media"))?;
    let mut response = media.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&media.mime)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    // Served as a download unless it is an image or audio the browser shows inline.
    if !(media.mime.starts_with("image/") || media.mime.starts_with("audio/")) {
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400, immutable"),
    );
    // Uploaded files are not trusted: an SVG opened on its own must not run scripts on our origin.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
