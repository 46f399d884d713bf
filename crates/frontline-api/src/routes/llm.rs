//! The language model's settings («Бот → Языковая модель»): enabled, the API, the models, the
//! timeouts, and the key — sealed with the server key at rest, never returned, never logged.
//! Saving puts them in service at once; «Проверить соединение» makes one short request with
//! settings that need not be saved yet. Admins only.

use axum::extract::State;
use frontline_engine::bot::llm_options::LlmOptions;
use frontline_engine::llm::LlmError;
use frontline_store::KeyChange;

use crate::{
    AppState, LlmSetup,
    auth::Admin,
    dto,
    error::{ApiError, ApiJson},
};

/// Longest API key accepted.
const MAX_KEY_CHARS: usize = 512;

fn setup(state: &AppState) -> Result<&LlmSetup, ApiError> {
    state.llm_setup().ok_or_else(|| {
        ApiError::Conflict(
            "the bot is disabled (bot.mode = none): it uses no language model".into(),
        )
    })
}

/// The settings in force and the key they use.
async fn current(
    state: &AppState,
    setup: &LlmSetup,
) -> Result<(dto::LlmSettingsView, String), ApiError> {
    match state.store().llm_settings().await? {
        Some(saved) => {
            let options: LlmOptions =
                serde_json::from_str(&saved.settings).map_err(ApiError::internal)?;
            let key = match &saved.sealed_api_key {
                Some(sealed) => setup
                    .sealer
                    .open(setup.key_context, sealed)
                    .map_err(ApiError::internal)
                    .and_then(|k| String::from_utf8(k).map_err(ApiError::internal))?,
                None => String::new(),
            };
            let view = dto::LlmSettingsView {
                settings: options.into(),
                source: "console".into(),
                has_api_key: !key.is_empty(),
                updated_at: Some(dto::rfc3339(saved.updated_at)),
                updated_by: saved.updated_by.map(|o| o.0),
            };
            Ok((view, key))
        }
        None => Ok((
            dto::LlmSettingsView {
                settings: setup.file.clone().into(),
                source: "file".into(),
                has_api_key: !setup.file_key.is_empty(),
                updated_at: None,
                updated_by: None,
            },
            setup.file_key.clone(),
        )),
    }
}

fn validated(req: &dto::LlmSettingsRequest) -> Result<LlmOptions, ApiError> {
    let options: LlmOptions = req.settings.clone().into();
    if let Some(p) = options.problems().into_iter().next() {
        return Err(ApiError::validation(
            format!("settings.{}", p.field),
            p.message,
        ));
    }
    if let Some(key) = &req.api_key {
        if key.trim().is_empty()
            || key.chars().count() > MAX_KEY_CHARS
            || key.chars().any(char::is_control)
        {
            return Err(ApiError::validation(
                "api_key",
                format!(
                    "must be 1–{MAX_KEY_CHARS} printable characters (use clear_api_key to remove it)"
                ),
            ));
        }
        if req.clear_api_key {
            return Err(ApiError::validation(
                "clear_api_key",
                "cannot set and clear the key at once",
            ));
        }
    }
    Ok(options)
}

#[utoipa::path(
    operation_id = "get_llm_settings",
    get, path = "/api/v1/bot/llm", tag = "bot",
    responses(
        (status = 200, body = dto::LlmSettingsView),
        (status = 403, body = crate::error::ErrorBody),
        (status = 409, description = "`conflict`: the bot is disabled", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<ApiJson<dto::LlmSettingsView>, ApiError> {
    let setup = setup(&state)?;
    Ok(ApiJson(current(&state, setup).await?.0))
}

/// Save the settings and put them in service: the next message the bot handles uses them.
#[utoipa::path(
    operation_id = "save_llm_settings",
    put, path = "/api/v1/bot/llm", tag = "bot",
    request_body = dto::LlmSettingsRequest,
    responses(
        (status = 200, body = dto::LlmSettingsView),
        (status = 409, description = "`conflict`: the bot is disabled", body = crate::error::ErrorBody),
        (status = 422, description = "`validation_failed` at the field (`settings.base_url`, `api_key`…)", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn save(
    State(state): State<AppState>,
    Admin(me): Admin,
    ApiJson(req): ApiJson<dto::LlmSettingsRequest>,
) -> Result<ApiJson<dto::LlmSettingsView>, ApiError> {
    let setup = setup(&state)?;
    let options = validated(&req)?;
    let (view, current_key) = current(&state, setup).await?;
    let saved_before = view.source == "console";
    // Until the first save the file's key is in force; keeping it means sealing it now.
    let sealed;
    let change = match (&req.api_key, req.clear_api_key) {
        (Some(key), _) => {
            sealed = setup.sealer.seal(setup.key_context, key.as_bytes());
            KeyChange::Set(&sealed)
        }
        (None, true) => KeyChange::Clear,
        (None, false) if !saved_before && !current_key.is_empty() => {
            sealed = setup.sealer.seal(setup.key_context, current_key.as_bytes());
            KeyChange::Set(&sealed)
        }
        (None, false) => KeyChange::Keep,
    };
    let key = match (&req.api_key, req.clear_api_key) {
        (Some(k), _) => k.clone(),
        (None, true) => String::new(),
        (None, false) => current_key,
    };
    let stage = options
        .stage(&key)
        .map_err(|e| ApiError::validation("settings.base_url", e.to_string()))?;
    let document = serde_json::to_string(&options).map_err(ApiError::internal)?;
    state
        .admin()
        .save_llm_settings(&document, change, me.id)
        .await?;
    if let Some(live) = state.live_bot() {
        live.set_llm(stage);
    }
    Ok(ApiJson(current(&state, setup).await?.0))
}

fn kind(e: &LlmError) -> &'static str {
    match e {
        LlmError::RateLimited { .. } => "rate_limited",
        LlmError::Timeout => "timeout",
        LlmError::Unavailable { .. } => "unavailable",
        LlmError::Auth { .. } => "auth",
        LlmError::Payment { .. } => "payment",
        LlmError::BadRequest { .. } => "bad_request",
        LlmError::Provider { .. } => "provider",
        LlmError::Malformed { .. } => "malformed",
        LlmError::Network(_) => "network",
        LlmError::InvalidSettings(_) => "invalid_settings",
    }
}

/// «Проверить соединение»: one short request to the router model with these settings (saved or
/// not) and the given key, else the key in force. 200 whatever the outcome; `ok` says it.
#[utoipa::path(
    operation_id = "check_llm_settings",
    post, path = "/api/v1/bot/llm/check", tag = "bot",
    request_body = dto::LlmSettingsRequest,
    responses(
        (status = 200, body = dto::LlmCheckResult),
        (status = 409, description = "`conflict`: the bot is disabled", body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn check(
    State(state): State<AppState>,
    _admin: Admin,
    ApiJson(req): ApiJson<dto::LlmSettingsRequest>,
) -> Result<ApiJson<dto::LlmCheckResult>, ApiError> {
    let setup = setup(&state)?;
    let options = validated(&req)?;
    let key = match (&req.api_key, req.clear_api_key) {
        (Some(k), _) => k.clone(),
        (None, true) => String::new(),
        (None, false) => current(&state, setup).await?.1,
    };
    Ok(ApiJson(match options.check(&key).await {
        Ok(c) => dto::LlmCheckResult {
            ok: true,
            model: Some(c.model),
            latency_ms: Some(c.latency_ms),
            error_kind: None,
            error: None,
        },
        Err(e) => dto::LlmCheckResult {
            ok: false,
            model: None,
            latency_ms: None,
            error_kind: Some(kind(&e).to_owned()),
            error: Some(e.to_string()),
        },
    }))
}
