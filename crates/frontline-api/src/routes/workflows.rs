//! Workflows: drafts saved as the editor sends them (problems reported, not refused), publishing
//! (refused while the draft has problems), rollback, the version each account runs, the
//! integrations Action nodes call, and the tester that runs a scripted dialog against a draft or a
//! published version without touching any conversation.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use frontline_domain::{AccountId, WorkflowDraft, WorkflowId};
use frontline_engine::bot::EngineBot;
use frontline_engine::bot::flows::{Stub, compile_document};
use frontline_engine::workflow::{
    CustomerProfile, Graph, Interpreter, Outcome, Problem, State as FlowState, TurnInput,
};
use serde_json::{Value, json};

use crate::{
    AppState,
    auth::{Admin, CurrentOperator},
    dto,
    error::{ApiError, ApiJson, ApiPath},
    routes::required_text,
};

/// Most messages one tester run may script.
const MAX_TEST_MESSAGES: usize = 50;

fn engine(state: &AppState) -> Result<&Arc<EngineBot>, ApiError> {
    state.engine().ok_or_else(|| {
        ApiError::Conflict("the bot is disabled (bot.mode = none): workflows cannot run".into())
    })
}

fn problems_dto(problems: Vec<Problem>) -> Vec<dto::WorkflowProblem> {
    problems
        .into_iter()
        .map(|p| dto::WorkflowProblem {
            node_id: p.node_id,
            edge_id: p.edge_id,
            message: p.message,
        })
        .collect()
}

/// The draft's problems (empty when it would publish).
fn check(state: &AppState, document: &str) -> Result<Vec<dto::WorkflowProblem>, ApiError> {
    let engine = engine(state)?;
    Ok(match compile_document(document, engine.config()) {
        Ok(_) => Vec::new(),
        Err(p) => problems_dto(p),
    })
}

fn full(state: &AppState, w: &frontline_domain::Workflow) -> Result<dto::WorkflowFull, ApiError> {
    Ok(dto::WorkflowFull {
        summary: w.into(),
        document: serde_json::from_str(&w.draft).unwrap_or(Value::Null),
        tests: serde_json::from_str(&w.tests).unwrap_or_else(|_| json!([])),
        problems: check(state, &w.draft)?,
    })
}

fn draft_of(req: dto::WorkflowRequest) -> Result<WorkflowDraft, ApiError> {
    if !req.document.is_object() {
        return Err(ApiError::validation("document", "must be a JSON object"));
    }
    let tests = req.tests.unwrap_or_else(|| json!([]));
    if !tests.is_array() {
        return Err(ApiError::validation("tests", "must be a JSON array"));
    }
    Ok(WorkflowDraft {
        name: required_text(&req.name, "name", 200)?,
        draft: req.document.to_string(),
        tests: tests.to_string(),
    }
    .cleaned()?)
}

async fn load(state: &AppState, id: i64) -> Result<frontline_domain::Workflow, ApiError> {
    state
        .store()
        .workflow(WorkflowId(id))
        .await?
        .ok_or(ApiError::NotFound("workflow"))
}

#[utoipa::path(
    get, path = "/api/v1/workflows", tag = "workflows",
    responses((status = 200, body = Vec<dto::WorkflowSummary>)),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    _op: CurrentOperator,
) -> Result<ApiJson<Vec<dto::WorkflowSummary>>, ApiError> {
    let ws = state.store().list_workflows().await?;
    Ok(ApiJson(ws.iter().map(Into::into).collect()))
}

/// Save a new workflow; an incomplete draft is kept and its problems reported.
#[utoipa::path(
    post, path = "/api/v1/workflows", tag = "workflows",
    request_body = dto::WorkflowRequest,
    responses(
        (status = 201, body = dto::WorkflowFull),
        (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    _admin: Admin,
    ApiJson(req): ApiJson<dto::WorkflowRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let w = state.store().create_workflow(draft_of(req)?).await?;
    Ok((StatusCode::CREATED, ApiJson(full(&state, &w)?)))
}

#[utoipa::path(
    get, path = "/api/v1/workflows/{id}", tag = "workflows",
    params(("id" = i64, Path)),
    responses((status = 200, body = dto::WorkflowFull), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<dto::WorkflowFull>, ApiError> {
    let w = load(&state, id).await?;
    Ok(ApiJson(full(&state, &w)?))
}

/// Replace the draft (name, document, tests); published versions are untouched.
#[utoipa::path(
    put, path = "/api/v1/workflows/{id}", tag = "workflows",
    params(("id" = i64, Path)),
    request_body = dto::WorkflowRequest,
    responses(
        (status = 200, body = dto::WorkflowFull),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<dto::WorkflowRequest>,
) -> Result<ApiJson<dto::WorkflowFull>, ApiError> {
    let w = state
        .store()
        .update_workflow(WorkflowId(id), draft_of(req)?)
        .await?;
    Ok(ApiJson(full(&state, &w)?))
}

#[utoipa::path(
    delete, path = "/api/v1/workflows/{id}", tag = "workflows",
    params(("id" = i64, Path)),
    responses(
        (status = 204),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "An account runs it", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state.store().delete_workflow(WorkflowId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publish the draft as a new version, which accounts running this workflow use for new
/// conversations (conversations in the middle of one finish on theirs).
#[utoipa::path(
    post, path = "/api/v1/workflows/{id}/publish", tag = "workflows",
    params(("id" = i64, Path)),
    responses(
        (status = 201, body = dto::WorkflowVersion),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "`workflow_invalid` with `problems`", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn publish(
    State(state): State<AppState>,
    Admin(me): Admin,
    ApiPath(id): ApiPath<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let w = load(&state, id).await?;
    let problems = check(&state, &w.draft)?;
    if !problems.is_empty() {
        return Err(ApiError::InvalidWorkflow(problems));
    }
    let v = state.store().publish_workflow(w.id, Some(me.id)).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(dto::WorkflowVersion {
            version: v.version,
            published_at: dto::rfc3339(v.published_at),
            published_by: v.published_by.map(|o| o.0),
            conversations_in_flight: 0,
        }),
    ))
}

/// Make an earlier version the published one again.
#[utoipa::path(
    post, path = "/api/v1/workflows/{id}/rollback", tag = "workflows",
    params(("id" = i64, Path)),
    request_body = dto::RollbackRequest,
    responses((status = 200, body = dto::WorkflowSummary), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn rollback(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<dto::RollbackRequest>,
) -> Result<ApiJson<dto::WorkflowSummary>, ApiError> {
    let w = state
        .store()
        .rollback_workflow(WorkflowId(id), req.version)
        .await?;
    Ok(ApiJson((&w).into()))
}

/// Published versions, newest first, with the conversations waiting inside each.
#[utoipa::path(
    get, path = "/api/v1/workflows/{id}/versions", tag = "workflows",
    params(("id" = i64, Path)),
    responses((status = 200, body = Vec<dto::WorkflowVersion>), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn versions(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiPath(id): ApiPath<i64>,
) -> Result<ApiJson<Vec<dto::WorkflowVersion>>, ApiError> {
    let id = WorkflowId(id);
    let vs = state.store().list_workflow_versions(id).await?;
    let in_use: BTreeMap<i32, i64> = state
        .store()
        .flow_versions_in_use(id)
        .await?
        .into_iter()
        .collect();
    Ok(ApiJson(
        vs.iter()
            .map(|v| dto::WorkflowVersion {
                version: v.version,
                published_at: dto::rfc3339(v.published_at),
                published_by: v.published_by.map(|o| o.0),
                conversations_in_flight: in_use.get(&v.version).copied().unwrap_or(0),
            })
            .collect(),
    ))
}

/// Choose the workflow an account's conversations run (`null`: the built-in cascade).
#[utoipa::path(
    put, path = "/api/v1/accounts/{id}/workflow", tag = "workflows",
    params(("id" = i64, Path)),
    request_body = dto::AccountWorkflowRequest,
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn set_account_workflow(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<dto::AccountWorkflowRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .store()
        .set_account_workflow(AccountId(id), req.workflow_id.map(WorkflowId))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get, path = "/api/v1/integrations", tag = "workflows",
    responses((status = 200, body = Vec<dto::Integration>)),
    security(("bearer" = []))
)]
pub async fn list_integrations(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<ApiJson<Vec<dto::Integration>>, ApiError> {
    let is = state.store().list_integrations().await?;
    Ok(ApiJson(is.iter().map(Into::into).collect()))
}

/// Create or replace an integration: the base URL and secret headers Action nodes use.
#[utoipa::path(
    put, path = "/api/v1/integrations/{name}", tag = "workflows",
    params(("name" = String, Path)),
    request_body = dto::IntegrationRequest,
    responses((status = 200, body = dto::Integration), (status = 422, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn put_integration(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(name): ApiPath<String>,
    ApiJson(req): ApiJson<dto::IntegrationRequest>,
) -> Result<ApiJson<dto::Integration>, ApiError> {
    frontline_domain::check_kb_key(&name).map_err(|e| ApiError::validation("name", e.why))?;
    if !frontline_domain::is_http_url(&req.base_url) {
        return Err(ApiError::validation(
            "base_url",
            "must be an absolute http(s) URL",
        ));
    }
    for (k, v) in &req.headers {
        let valid_name = !k.is_empty()
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid_name || v.contains(['\r', '\n']) {
            return Err(ApiError::validation(
                "headers",
                format!("`{k}` is not a valid header"),
            ));
        }
    }
    let i = state
        .store()
        .upsert_integration(&name, &req.base_url, req.headers)
        .await?;
    Ok(ApiJson((&i).into()))
}

#[utoipa::path(
    delete, path = "/api/v1/integrations/{name}", tag = "workflows",
    params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn delete_integration(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(name): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    state.store().delete_integration(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Run a scripted dialog through the draft or a published version: each message's replies,
/// outcome, intent, confidence, slots and node trace. Nothing is stored; Action calls go to their
/// systems unless a stub answers for their URL.
#[utoipa::path(
    post, path = "/api/v1/workflows/{id}/test", tag = "workflows",
    params(("id" = i64, Path)),
    request_body = dto::WorkflowTestRequest,
    responses(
        (status = 200, body = dto::WorkflowTestResult),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "`workflow_invalid` with `problems`, or a bad script", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn test(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<dto::WorkflowTestRequest>,
) -> Result<ApiJson<dto::WorkflowTestResult>, ApiError> {
    let engine = engine(&state)?.clone();
    let w = load(&state, id).await?;
    if req.messages.is_empty() || req.messages.len() > MAX_TEST_MESSAGES {
        return Err(ApiError::validation(
            "messages",
            format!("must hold 1 to {MAX_TEST_MESSAGES} messages"),
        ));
    }
    let (label, document) = match &req.version {
        None => ("draft".to_owned(), w.draft.clone()),
        Some(Value::String(s)) if s == "draft" => ("draft".to_owned(), w.draft.clone()),
        Some(Value::Number(n)) => {
            let v = n
                .as_i64()
                .and_then(|v| i32::try_from(v).ok())
                .ok_or_else(|| ApiError::validation("version", "not a version number"))?;
            let stored = state
                .store()
                .workflow_version(w.id, v)
                .await?
                .ok_or(ApiError::NotFound("workflow version"))?;
            (v.to_string(), stored.document)
        }
        Some(_) => {
            return Err(ApiError::validation(
                "version",
                "must be \"draft\" or a version number",
            ));
        }
    };
    let graph: Graph = compile_document(&document, engine.config())
        .map_err(|p| ApiError::InvalidWorkflow(problems_dto(p)))?;
    let mut stubs = BTreeMap::new();
    for s in &req.stubs {
        let stub = if s.timeout {
            Stub::Timeout
        } else {
            Stub::Respond {
                status: s.status.unwrap_or(200),
                body: s
                    .body
                    .as_ref()
                    .map(|b| match b {
                        Value::String(t) => t.clone(),
                        other => other.to_string(),
                    })
                    .unwrap_or_default(),
            }
        };
        stubs.insert(s.url.clone(), stub);
    }
    let effects = engine.effects(state.store().clone(), stubs);
    let customer = req.customer.clone();
    let mut input = TurnInput {
        text: String::new(),
        channel: req.channel.clone().unwrap_or_else(|| "api".into()),
        customer: CustomerProfile {
            name: customer.as_ref().and_then(|c| c.name.clone()),
            phone: customer.as_ref().and_then(|c| c.phone.clone()),
            attributes: Default::default(),
        },
        slots: Default::default(),
    };
    let mut flow = FlowState::default();
    let mut turns = Vec::new();
    for message in &req.messages {
        input.text = message.clone();
        let out = Interpreter::new(&graph)
            .turn(std::mem::take(&mut flow), &input, &effects)
            .await;
        input.slots = out.slots.clone();
        let (outcome, waiting_at, handoff_reason, briefing) = match &out.outcome {
            Outcome::Waiting { node } => ("waiting", Some(node.clone()), None, None),
            Outcome::Handoff(h) => ("handoff", None, Some(h.reason.into()), h.briefing.clone()),
            Outcome::Ended => ("ended", None, None, None),
        };
        turns.push(dto::WorkflowTestTurn {
            message: message.clone(),
            replies: out.replies.clone(),
            outcome: outcome.to_owned(),
            waiting_at,
            handoff_reason,
            briefing,
            intent: out.state.intent.clone(),
            confidence: out.state.confidence,
            slots: out.slots.clone(),
            trace: serde_json::to_value(&out.trace).unwrap_or(Value::Null),
        });
        let handed_off = matches!(out.outcome, Outcome::Handoff(_));
        flow = out.state;
        if handed_off {
            // A person has the conversation now: the rest of the script is theirs.
            break;
        }
    }
    Ok(ApiJson(dto::WorkflowTestResult {
        version: label,
        turns,
    }))
}
