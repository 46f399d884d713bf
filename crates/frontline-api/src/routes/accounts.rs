//! Channel accounts. Listing is open to every operator (the inbox needs account names);
//! connecting, changing and removing needs the admin role.

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use frontline_domain::{Account, AccountId, AccountKind, AccountPatch, NewAccount, Role};

use crate::{
    AppState,
    auth::{Admin, CurrentOperator, new_token, token_hash},
    dto,
    error::{ApiError, ApiJson, ApiPath},
    routes::required_text,
};

fn line_error(e: frontline_channels::voice::LineError) -> ApiError {
    match e {
        frontline_channels::voice::LineError::Invalid(why) => ApiError::validation("settings", why),
        frontline_channels::voice::LineError::Store(e) => e.into(),
    }
}

fn check_url(url: &str) -> Result<(), ApiError> {
    if !frontline_domain::is_http_url(url) {
        return Err(ApiError::validation(
            "callback_url",
            "must be an http(s) URL",
        ));
    }
    Ok(())
}

/// An account as its reader may see it: with a voice line's settings for admins.
fn account_view(state: &AppState, a: &Account, admin: bool) -> dto::Account {
    let mut view = dto::Account::from_domain(a, admin);
    if admin && a.kind == AccountKind::Voice {
        view.settings = state.voice().map(|voice| voice.line_view(a));
    }
    view
}

/// Every connected account (the «Аккаунты (N)» panel).
#[utoipa::path(
    get, path = "/api/v1/accounts", tag = "accounts",
    responses((status = 200, body = Vec<dto::Account>), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_accounts(
    State(state): State<AppState>,
    CurrentOperator(me): CurrentOperator,
) -> Result<ApiJson<Vec<dto::Account>>, ApiError> {
    let admin = me.role == Role::Admin;
    let accounts = state.store().list_accounts().await?;
    Ok(ApiJson(
        accounts
            .iter()
            .map(|a| account_view(&state, a, admin))
            .collect(),
    ))
}

/// Connect an account. For `api` accounts the response holds the inbound token, once.
#[utoipa::path(
    post, path = "/api/v1/accounts", tag = "accounts",
    request_body = dto::CreateAccountRequest,
    responses(
        (status = 201, body = dto::AccountWithToken),
        (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_account(
    State(state): State<AppState>,
    _admin: Admin,
    ApiJson(req): ApiJson<dto::CreateAccountRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let name = required_text(&req.name, "name", 200)?;
    let kind: AccountKind = req.kind.into();
    if kind == AccountKind::Avito {
        // An Avito account needs credentials, a webhook and a history import.
        return Err(ApiError::validation(
            "kind",
            "connect Avito accounts with POST /api/v1/avito/accounts",
        ));
    }
    if let Some(url) = &req.callback_url {
        check_url(url)?;
    }
    if req.settings.is_some() && kind != AccountKind::Voice {
        return Err(ApiError::validation(
            "settings",
            "only voice lines take settings",
        ));
    }
    let voice = match kind {
        AccountKind::Voice => Some(state.voice().ok_or_else(|| {
            ApiError::validation("kind", "the voice channel is disabled on this server")
        })?),
        _ => None,
    };
    // Voice lines get a token too: media streams must present it as a <Parameter>.
    let token = matches!(kind, AccountKind::Api | AccountKind::Voice).then(new_token);
    let account = state
        .admin()
        .create_account(NewAccount {
            kind,
            name,
            callback_url: req.callback_url,
            inbound_token_hash: token.as_deref().map(token_hash),
            settings: None,
            sealed_secrets: None,
        })
        .await?;
    let account = match (voice, &req.settings) {
        (Some(voice), settings) => {
            let settings = settings.clone().unwrap_or_else(|| serde_json::json!({}));
            if let Err(e) = voice.configure_line(account.id, &settings).await {
                // The line was just created: do not leave a half-configured one behind.
                let _ = state.admin().delete_account(account.id).await;
                return Err(line_error(e));
            }
            state
                .store()
                .account(account.id)
                .await?
                .ok_or(ApiError::NotFound("account"))?
        }
        (None, _) => account,
    };
    tracing::info!(account = account.id.0, kind = %kind, "account created");
    Ok((
        StatusCode::CREATED,
        ApiJson(dto::AccountWithToken {
            account: account_view(&state, &account, true),
            inbound_token: token,
        }),
    ))
}

#[utoipa::path(
    get, path = "/api/v1/accounts/{id}", tag = "accounts",
    params(("id" = i64, Path)),
    responses((status = 200, body = dto::Account), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_account(
    State(state): State<AppState>,
    CurrentOperator(me): CurrentOperator,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<dto::Account>, ApiError> {
    let a = state
        .store()
        .account(AccountId(id))
        .await?
        .ok_or(ApiError::NotFound("account"))?;
    Ok(ApiJson(account_view(&state, &a, me.role == Role::Admin)))
}

#[utoipa::path(
    patch, path = "/api/v1/accounts/{id}", tag = "accounts",
    params(("id" = i64, Path)),
    request_body = dto::UpdateAccountRequest,
    responses(
        (status = 200, body = dto::Account),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update_account(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<dto::UpdateAccountRequest>,
) -> Result<ApiJson<dto::Account>, ApiError> {
    let name = req
        .name
        .as_deref()
        .map(|n| required_text(n, "name", 200))
        .transpose()?;
    let callback_url = match req.callback_url {
        None => None,
        Some(u) if u.trim().is_empty() => Some(None),
        Some(u) => {
            check_url(&u)?;
            Some(Some(u))
        }
    };
    if let Some(settings) = &req.settings {
        let a = state
            .store()
            .account(AccountId(id))
            .await?
            .ok_or(ApiError::NotFound("account"))?;
        if a.kind != AccountKind::Voice {
            return Err(ApiError::validation(
                "settings",
                "only voice lines take settings",
            ));
        }
        let voice = state.voice().ok_or_else(|| {
            ApiError::validation("settings", "the voice channel is disabled on this server")
        })?;
        voice
            .configure_line(a.id, settings)
            .await
            .map_err(line_error)?;
    }
    let a = state
        .admin()
        .update_account(
            AccountId(id),
            AccountPatch {
                name,
                enabled: req.enabled,
                callback_url,
                inbound_token_hash: None,
                settings: None,
                sealed_secrets: None,
            },
        )
        .await?;
    Ok(ApiJson(account_view(&state, &a, true)))
}

/// Issue a new inbound token for an `api` account; the old one stops working at once.
#[utoipa::path(
    post, path = "/api/v1/accounts/{id}/rotate-token", tag = "accounts",
    params(("id" = i64, Path)),
    responses(
        (status = 200, body = dto::AccountWithToken),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "Not an api account", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn rotate_token(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<dto::AccountWithToken>, ApiError> {
    let a = state
        .store()
        .account(AccountId(id))
        .await?
        .ok_or(ApiError::NotFound("account"))?;
    if !matches!(a.kind, AccountKind::Api | AccountKind::Voice) {
        return Err(ApiError::Conflict(
            "only api accounts and voice lines have inbound tokens".into(),
        ));
    }
    let token = new_token();
    let a = state
        .admin()
        .update_account(
            AccountId(id),
            AccountPatch {
                inbound_token_hash: Some(Some(token_hash(&token))),
                ..AccountPatch::default()
            },
        )
        .await?;
    Ok(ApiJson(dto::AccountWithToken {
        account: account_view(&state, &a, true),
        inbound_token: Some(token),
    }))
}

/// Remove an account that has no conversations (otherwise disable it: history must not vanish).
#[utoipa::path(
    delete, path = "/api/v1/accounts/{id}", tag = "accounts",
    params(("id" = i64, Path)),
    responses(
        (status = 204),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_account(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.admin().delete_account(AccountId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
