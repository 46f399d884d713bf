//! The bot's configuration («Бот» in the admin console): intents, examples, triggers, answers,
//! thresholds. A draft is saved as the editor sends it (its problems reported, not refused, as
//! long as it is a bot configuration at all; a save from an old revision refused); publishing
//! refuses a draft with problems, each at its field, and otherwise makes it the next version,
//! which is trained in the background while the previous one keeps answering, and then measured
//! (cross-validated accuracy, confusions, coverage against error). Rollback publishes an older
//! version again. Admins only.

use std::collections::BTreeMap;

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use frontline_domain as d;
use frontline_engine::bot::{BotConfig, ConfigError};
use serde_json::Value;

use crate::{
    AppState,
    auth::Admin,
    dto,
    error::{ApiError, ApiJson, ApiPath},
    routes::workflows::operator_names,
};

/// Longest note a publisher may write.
const MAX_NOTE_CHARS: usize = 500;

fn problems(e: ConfigError) -> Vec<dto::BotConfigProblem> {
    e.problems
        .into_iter()
        .map(|p| dto::BotConfigProblem {
            field: p.field,
            message: p.message,
        })
        .collect()
}

/// The document's problems: none when it would publish.
fn check(document: &str) -> Vec<dto::BotConfigProblem> {
    match BotConfig::from_json(document).and_then(|c| c.validate()) {
        Ok(()) => Vec::new(),
        Err(e) => problems(e),
    }
}

fn parse_document(text: &str) -> Value {
    // Stored documents were JSON when saved; a hand-edited row that is not shows as a string.
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

fn version_dto(
    v: &d::BotConfigVersion,
    names: &BTreeMap<i64, String>,
    full: bool,
) -> dto::BotConfigVersion {
    let report = v.report.as_deref().map(parse_document);
    dto::BotConfigVersion {
        version: v.version,
        published_at: dto::rfc3339(v.published_at),
        published_by: v.published_by.map(|o| o.0),
        published_by_name: v.published_by.and_then(|o| names.get(&o.0).cloned()),
        note: v.note.clone(),
        accuracy: report
            .as_ref()
            .and_then(|r| r.get("accuracy"))
            .and_then(Value::as_f64),
        document: full.then(|| parse_document(&v.document)),
        report: if full { report } else { None },
    }
}

fn draft_dto(draft: &d::BotConfigDraft) -> dto::BotConfigDraft {
    dto::BotConfigDraft {
        revision: draft.revision,
        based_on: draft.based_on,
        updated_at: dto::rfc3339(draft.updated_at),
        updated_by: draft.updated_by.map(|o| o.0),
        document: parse_document(&draft.document),
        problems: check(&draft.document),
    }
}

async fn state_dto(state: &AppState) -> Result<dto::BotConfigState, ApiError> {
    let names = operator_names(state).await?;
    let latest = state.store().latest_bot_config().await?;
    let draft = state.store().bot_config_draft().await?;
    let status = state.live_bot().map(|b| b.status()).unwrap_or_default();
    Ok(dto::BotConfigState {
        running: status.running,
        latest: latest.as_ref().map(|v| version_dto(v, &names, false)),
        training: status.training,
        failed: status
            .failed
            .map(|(version, error)| dto::BotConfigFailure { version, error }),
        draft: draft.as_ref().map(draft_dto),
    })
}

/// What the «Бот» screen opens with: the version in service, the one being trained, the draft.
#[utoipa::path(
    operation_id = "get_bot_config",
    get, path = "/api/v1/bot/config", tag = "bot",
    responses((status = 200, body = dto::BotConfigState), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_state(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<ApiJson<dto::BotConfigState>, ApiError> {
    Ok(ApiJson(state_dto(&state).await?))
}

/// Save the draft. Any bot configuration is kept, with its problems listed; something that is not
/// one (not JSON, an unknown field, a wrong type) is refused with where it is.
#[utoipa::path(
    operation_id = "save_bot_config_draft",
    put, path = "/api/v1/bot/config/draft", tag = "bot",
    request_body = dto::BotConfigDraftRequest,
    responses(
        (status = 200, body = dto::BotConfigDraft),
        (status = 409, description = "`conflict`: the draft was saved by someone else since `revision`", body = crate::error::ErrorBody),
        (status = 422, description = "`bot_config_invalid`: not a bot configuration", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn save_draft(
    State(state): State<AppState>,
    Admin(me): Admin,
    ApiJson(req): ApiJson<dto::BotConfigDraftRequest>,
) -> Result<ApiJson<dto::BotConfigDraft>, ApiError> {
    let document = serde_json::to_string_pretty(&req.document).map_err(ApiError::internal)?;
    if let Err(e) = BotConfig::from_json(&document) {
        return Err(ApiError::InvalidBotConfig(problems(e)));
    }
    let draft = state
        .admin()
        .save_bot_config_draft(&document, req.based_on, req.revision, me.id)
        .await?;
    Ok(ApiJson(draft_dto(&draft)))
}

#[utoipa::path(
    operation_id = "discard_bot_config_draft",
    delete, path = "/api/v1/bot/config/draft", tag = "bot",
    responses((status = 204), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn discard_draft(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<StatusCode, ApiError> {
    state.admin().discard_bot_config_draft().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publish the draft as the next version. It is trained in the background: `GET
/// /api/v1/bot/config` says when it answers (`running`), and its figures follow in the version.
/// The body (a note) is optional.
#[utoipa::path(
    operation_id = "publish_bot_config",
    post, path = "/api/v1/bot/config/publish", tag = "bot",
    request_body(content = Option<dto::BotConfigPublishRequest>, content_type = "application/json"),
    responses(
        (status = 201, body = dto::BotConfigVersion),
        (status = 409, description = "`conflict`: there is no draft, or the bot is disabled", body = crate::error::ErrorBody),
        (status = 422, description = "`bot_config_invalid` with `fields`", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn publish(
    State(state): State<AppState>,
    Admin(me): Admin,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let req: dto::BotConfigPublishRequest =
        crate::routes::optional_body(&body, "a publish request")?;
    let note = req.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(ApiError::validation(
            "note",
            format!("must be at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    if state.live_bot().is_none() {
        return Err(ApiError::Conflict(
            "the bot is disabled (bot.mode = none): there is nothing to publish to".into(),
        ));
    }
    let draft = state
        .store()
        .bot_config_draft()
        .await?
        .ok_or_else(|| ApiError::Conflict("there is no draft to publish".into()))?;
    let found = check(&draft.document);
    if !found.is_empty() {
        return Err(ApiError::InvalidBotConfig(found));
    }
    let v = state
        .admin()
        .publish_bot_config(&draft.document, note, Some(me.id))
        .await?;
    let names = operator_names(&state).await?;
    Ok((StatusCode::CREATED, ApiJson(version_dto(&v, &names, false))))
}

/// Every published version, newest first (without documents).
#[utoipa::path(
    operation_id = "list_bot_config_versions",
    get, path = "/api/v1/bot/config/versions", tag = "bot",
    responses((status = 200, body = Vec<dto::BotConfigVersion>), (status = 403, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn versions(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<ApiJson<Vec<dto::BotConfigVersion>>, ApiError> {
    let names = operator_names(&state).await?;
    let vs = state.store().bot_config_versions().await?;
    Ok(ApiJson(
        vs.iter().map(|v| version_dto(v, &names, false)).collect(),
    ))
}

async fn load_version(state: &AppState, version: i32) -> Result<d::BotConfigVersion, ApiError> {
    state
        .store()
        .bot_config_version(version)
        .await?
        .ok_or(ApiError::NotFound("bot configuration version"))
}

/// One version with its document and figures.
#[utoipa::path(
    operation_id = "get_bot_config_version",
    get, path = "/api/v1/bot/config/versions/{version}", tag = "bot",
    params(("version" = i32, Path)),
    responses((status = 200, body = dto::BotConfigVersion), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn version(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(version): ApiPath<i32>,
) -> Result<ApiJson<dto::BotConfigVersion>, ApiError> {
    let v = load_version(&state, version).await?;
    let names = operator_names(&state).await?;
    Ok(ApiJson(version_dto(&v, &names, true)))
}

/// A version's document as the file `bot.json` (the export; import is saving it as the draft).
#[utoipa::path(
    operation_id = "export_bot_config_version",
    get, path = "/api/v1/bot/config/versions/{version}/document", tag = "bot",
    params(("version" = i32, Path)),
    responses(
        (status = 200, content_type = "application/json", description = "the bot configuration file"),
        (status = 404, body = crate::error::ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn export(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(version): ApiPath<i32>,
) -> Result<Response, ApiError> {
    let v = load_version(&state, version).await?;
    let mut resp = v.document.into_response();
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let disposition = format!("attachment; filename=\"bot-v{}.json\"", v.version);
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(resp)
}

/// Publish an older version's document again, as the next version.
#[utoipa::path(
    operation_id = "rollback_bot_config",
    post, path = "/api/v1/bot/config/versions/{version}/rollback", tag = "bot",
    params(("version" = i32, Path)),
    responses(
        (status = 201, body = dto::BotConfigVersion),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "`conflict`: the bot is disabled", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn rollback(
    State(state): State<AppState>,
    Admin(me): Admin,
    ApiPath(version): ApiPath<i32>,
) -> Result<impl IntoResponse, ApiError> {
    if state.live_bot().is_none() {
        return Err(ApiError::Conflict(
            "the bot is disabled (bot.mode = none): there is nothing to publish to".into(),
        ));
    }
    let v = state.admin().rollback_bot_config(version, me.id).await?;
    let names = operator_names(&state).await?;
    Ok((StatusCode::CREATED, ApiJson(version_dto(&v, &names, false))))
}
