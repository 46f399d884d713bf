//! Workflows: drafts saved as the editor sends them (problems reported, not refused; a save from
//! an old revision refused with the current draft), publishing with a note (refused while the draft
//! has problems), rollback, the version each account runs, the integrations Action nodes call, the
//! node catalogue the editor builds its palette and forms from, and the tester that runs a scripted
//! dialog against a draft or a published version without touching any conversation.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use frontline_domain::{AccountId, WorkflowDraft, WorkflowId};
use frontline_engine::bot::EngineBot;
use frontline_engine::bot::flows::{DEFAULT_SUITE_JSON, DEFAULT_WORKFLOW_JSON, compile_document};
use frontline_engine::bot::suite::{
    Script, ScriptCustomer, StubSpec, TurnReport, parse_suite, run_script, run_suite,
};
use frontline_engine::workflow::{Catalogue, Graph, Problem, palette};
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

fn engine(state: &AppState) -> Result<Arc<EngineBot>, ApiError> {
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

/// Every account's choice of workflow, for the summaries.
async fn links(state: &AppState) -> Result<Vec<(AccountId, WorkflowId)>, ApiError> {
    Ok(state.store().list_account_workflows().await?)
}

async fn summary(
    state: &AppState,
    w: &frontline_domain::Workflow,
) -> Result<dto::WorkflowSummary, ApiError> {
    Ok(dto::WorkflowSummary::new(w, &links(state).await?))
}

async fn full(
    state: &AppState,
    w: &frontline_domain::Workflow,
) -> Result<dto::WorkflowFull, ApiError> {
    Ok(dto::WorkflowFull {
        summary: summary(state, w).await?,
        document: serde_json::from_str(&w.draft).unwrap_or(Value::Null),
        tests: serde_json::from_str(&w.tests).unwrap_or_else(|_| json!([])),
        problems: check(state, &w.draft)?,
    })
}

fn draft_of(req: &dto::WorkflowRequest) -> Result<WorkflowDraft, ApiError> {
    if !req.document.is_object() {
        return Err(ApiError::validation("document", "must be a JSON object"));
    }
    let tests = req.tests.clone().unwrap_or_else(|| json!([]));
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
    operation_id = "list_workflows",
    get, path = "/api/v1/workflows", tag = "workflows",
    responses((status = 200, body = Vec<dto::WorkflowSummary>)),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    _op: CurrentOperator,
) -> Result<ApiJson<Vec<dto::WorkflowSummary>>, ApiError> {
    let ws = state.store().list_workflows().await?;
    let links = links(&state).await?;
    Ok(ApiJson(
        ws.iter()
            .map(|w| dto::WorkflowSummary::new(w, &links))
            .collect(),
    ))
}

/// Save a new workflow; an incomplete draft is kept and its problems reported.
#[utoipa::path(
    operation_id = "create_workflow",
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
    let w = state.admin().create_workflow(draft_of(&req)?).await?;
    Ok((StatusCode::CREATED, ApiJson(full(&state, &w).await?)))
}

#[utoipa::path(
    operation_id = "get_workflow",
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
    Ok(ApiJson(full(&state, &w).await?))
}

/// Replace the draft (name, document, tests); published versions are untouched. With `revision`,
/// only if nobody saved since that revision: otherwise `409 workflow_conflict` with theirs.
#[utoipa::path(
    operation_id = "update_workflow",
    put, path = "/api/v1/workflows/{id}", tag = "workflows",
    params(("id" = i64, Path)),
    request_body = dto::WorkflowRequest,
    responses(
        (status = 200, body = dto::WorkflowFull),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "`workflow_conflict`: saved by someone else since `revision`", body = dto::WorkflowConflict),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    _admin: Admin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<dto::WorkflowRequest>,
) -> Result<Response, ApiError> {
    let saved = state
        .admin()
        .update_workflow(WorkflowId(id), draft_of(&req)?, req.revision)
        .await;
    match saved {
        Ok(w) => Ok(ApiJson(full(&state, &w).await?).into_response()),
        Err(frontline_lifecycle::LifecycleError::Conflict(why)) => {
            // Theirs as it is now: the editor shows it beside the unsaved edit.
            let current = full(&state, &load(&state, id).await?).await?;
            let body = dto::WorkflowConflict {
                error: crate::error::ErrorDetail {
                    code: "workflow_conflict".into(),
                    message: why,
                    field: Some("revision".into()),
                    problems: None,
                    fields: None,
                },
                current,
            };
            Ok((StatusCode::CONFLICT, ApiJson(body)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[utoipa::path(
    operation_id = "delete_workflow",
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
    state.admin().delete_workflow(WorkflowId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Publish the draft as a new version, which accounts running this workflow use for new
/// conversations (conversations in the middle of one finish on theirs). The body (a note) is
/// optional.
#[utoipa::path(
    post, path = "/api/v1/workflows/{id}/publish", tag = "workflows",
    params(("id" = i64, Path)),
    request_body(content = Option<dto::PublishRequest>, content_type = "application/json"),
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
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let req: dto::PublishRequest = crate::routes::optional_body(&body, "a publish request")?;
    let note = frontline_domain::publish_note(req.note.as_deref())?;
    let w = load(&state, id).await?;
    let problems = check(&state, &w.draft)?;
    if !problems.is_empty() {
        return Err(ApiError::InvalidWorkflow(problems));
    }
    let v = state.admin().publish_workflow(w.id, me.id, note).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(version_dto(&v, Some(&me.display_name), 0)),
    ))
}

fn version_dto(
    v: &frontline_domain::WorkflowVersion,
    by_name: Option<&str>,
    in_flight: i64,
) -> dto::WorkflowVersion {
    dto::WorkflowVersion {
        version: v.version,
        published_at: dto::rfc3339(v.published_at),
        published_by: v.published_by.map(|o| o.0),
        published_by_name: by_name.map(str::to_owned),
        note: v.note.clone(),
        conversations_in_flight: in_flight,
    }
}

/// Display names of operators by id, for "published by".
pub(crate) async fn operator_names(state: &AppState) -> Result<BTreeMap<i64, String>, ApiError> {
    Ok(state
        .store()
        .list_operators()
        .await?
        .into_iter()
        .map(|o| (o.id.0, o.display_name))
        .collect())
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
        .admin()
        .rollback_workflow(WorkflowId(id), req.version)
        .await?;
    Ok(ApiJson(summary(&state, &w).await?))
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
    let names = operator_names(&state).await?;
    Ok(ApiJson(
        vs.iter()
            .map(|v| {
                let by = v.published_by.and_then(|o| names.get(&o.0));
                let in_flight = in_use.get(&v.version).copied().unwrap_or(0);
                version_dto(v, by.map(String::as_str), in_flight)
            })
            .collect(),
    ))
}

/// One published version with its document, for a read-only view and the diff with the draft.
#[utoipa::path(
    get, path = "/api/v1/workflows/{id}/versions/{version}", tag = "workflows",
    params(("id" = i64, Path), ("version" = i32, Path)),
    responses((status = 200, body = dto::WorkflowVersionFull), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn version(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiPath((id, version)): ApiPath<(i64, i32)>,
) -> Result<ApiJson<dto::WorkflowVersionFull>, ApiError> {
    let id = WorkflowId(id);
    let v = state
        .store()
        .workflow_version(id, version)
        .await?
        .ok_or(ApiError::NotFound("workflow version"))?;
    let in_flight = state
        .store()
        .flow_versions_in_use(id)
        .await?
        .into_iter()
        .find(|(n, _)| *n == version)
        .map_or(0, |(_, c)| c);
    let names = operator_names(&state).await?;
    let by = v.published_by.and_then(|o| names.get(&o.0));
    Ok(ApiJson(dto::WorkflowVersionFull {
        version: version_dto(&v, by.map(String::as_str), in_flight),
        document: serde_json::from_str(&v.document).unwrap_or(Value::Null),
    }))
}

/// The editor's palette and form choices, from the engine and the bot's configuration.
#[utoipa::path(
    operation_id = "workflow_catalogue",
    get, path = "/api/v1/workflows/catalogue", tag = "workflows",
    responses((status = 200, body = dto::WorkflowCatalogue), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn catalogue(
    State(state): State<AppState>,
    _op: CurrentOperator,
) -> Result<ApiJson<dto::WorkflowCatalogue>, ApiError> {
    let engine = engine(&state)?;
    let config = &engine.config().config;
    let known = Catalogue::from_bot_config(config);
    let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    Ok(ApiJson(dto::WorkflowCatalogue {
        node_types: palette::node_specs()
            .into_iter()
            .map(|n| dto::NodeTypeSpec {
                node_type: n.node_type.as_str().to_owned(),
                data: n.data,
                outputs: n.outputs,
                required_outputs: n.required_outputs,
                outputs_per_intent: n.outputs_per_intent,
            })
            .collect(),
        intents: config
            .intents
            .iter()
            .map(|i| dto::CatalogueIntent {
                name: i.name.clone(),
                label: i.label.clone(),
                slots: i.slots.clone(),
            })
            .collect(),
        slots: known.slots.into_iter().collect(),
        slot_kinds: strings(&palette::slot_kinds()),
        handoff_reasons: strings(&palette::handoff_reasons()),
        http_methods: strings(palette::http_methods()),
        names: strings(palette::plain_names()),
        template: dto::WorkflowTemplate {
            name: "Демо-магазин".to_owned(),
            document: serde_json::from_str(DEFAULT_WORKFLOW_JSON).unwrap_or(Value::Null),
            tests: serde_json::from_str(DEFAULT_SUITE_JSON).unwrap_or_else(|_| json!([])),
        },
    }))
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
        .admin()
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
        .admin()
        .put_integration(&name, &req.base_url, req.headers)
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
    state.admin().delete_integration(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The draft (default) or a published version's document, with its label.
async fn pick_version(
    state: &AppState,
    w: &frontline_domain::Workflow,
    version: Option<&Value>,
) -> Result<(String, String), ApiError> {
    match version {
        None => Ok(("draft".to_owned(), w.draft.clone())),
        Some(Value::String(s)) if s == "draft" => Ok(("draft".to_owned(), w.draft.clone())),
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
            Ok((v.to_string(), stored.document))
        }
        Some(_) => Err(ApiError::validation(
            "version",
            "must be \"draft\" or a version number",
        )),
    }
}

fn turn_dto(t: TurnReport) -> dto::WorkflowTestTurn {
    dto::WorkflowTestTurn {
        message: t.message,
        replies: t.replies,
        outcome: t.outcome.to_owned(),
        waiting_at: t.waiting_at,
        handoff_reason: t.handoff_reason.map(Into::into),
        briefing: t.briefing,
        intent: t.intent,
        confidence: t.confidence,
        slots: t.slots,
        trace: serde_json::to_value(&t.trace).unwrap_or(Value::Null),
    }
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuiteParams {
    /// `draft` (default) or a published version number.
    pub version: Option<String>,
}

/// Run the workflow's saved regression suite against the draft or a published version.
#[utoipa::path(
    post, path = "/api/v1/workflows/{id}/suite", tag = "workflows",
    params(("id" = i64, Path), SuiteParams),
    responses(
        (status = 200, body = dto::SuiteResult),
        (status = 404, body = crate::error::ErrorBody),
        (status = 422, description = "`workflow_invalid`, or the saved tests are not a suite", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn suite(
    State(state): State<AppState>,
    _op: CurrentOperator,
    ApiPath(id): ApiPath<i64>,
    crate::error::ApiQuery(p): crate::error::ApiQuery<SuiteParams>,
) -> Result<ApiJson<dto::SuiteResult>, ApiError> {
    let engine = engine(&state)?;
    let w = load(&state, id).await?;
    let version = match p.version.as_deref() {
        None | Some("draft") => None,
        Some(n) => Some(Value::from(n.parse::<i64>().map_err(|_| {
            ApiError::validation("version", "must be draft or a version number")
        })?)),
    };
    let (label, document) = pick_version(&state, &w, version.as_ref()).await?;
    let graph: Graph = compile_document(&document, engine.config())
        .map_err(|p| ApiError::InvalidWorkflow(problems_dto(p)))?;
    let cases = parse_suite(&w.tests)
        .map_err(|e| ApiError::validation("tests", format!("not a test suite: {e}")))?;
    let integrations = state.store().list_integrations().await?;
    let results = run_suite(&graph, &cases, |stubs| engine.effects(&integrations, stubs)).await;
    let passed = results.iter().filter(|r| r.passed).count();
    Ok(ApiJson(dto::SuiteResult {
        version: label,
        passed,
        failed: results.len() - passed,
        cases: results
            .into_iter()
            .map(|r| dto::CaseResult {
                name: r.name,
                passed: r.passed,
                failures: r.failures,
                divergence: r.divergence.map(|d| dto::PathDivergence {
                    turn: d.turn,
                    step: d.step,
                    expected: d.expected,
                    actual: d.actual,
                }),
                turns: r.turns.into_iter().map(turn_dto).collect(),
            })
            .collect(),
    }))
}

/// Run a scripted dialog through the draft or a published version: each message's replies,
/// outcome, intent, confidence, slots and node trace. Nothing is stored; Action calls go to their
/// systems and AI Responses to the language model unless a stub answers for the node (or the URL).
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
    let engine = engine(&state)?;
    let w = load(&state, id).await?;
    if req.messages.is_empty() || req.messages.len() > MAX_TEST_MESSAGES {
        return Err(ApiError::validation(
            "messages",
            format!("must hold 1 to {MAX_TEST_MESSAGES} messages"),
        ));
    }
    if req
        .stubs
        .iter()
        .any(|s| s.url.is_none() && s.node.is_none())
    {
        return Err(ApiError::validation(
            "stubs",
            "a stub needs a url or a node",
        ));
    }
    let (label, document) = pick_version(&state, &w, req.version.as_ref()).await?;
    let graph: Graph = compile_document(&document, engine.config())
        .map_err(|p| ApiError::InvalidWorkflow(problems_dto(p)))?;
    let script = Script {
        messages: req.messages.clone(),
        channel: req.channel.clone(),
        customer: req.customer.as_ref().map(|c| ScriptCustomer {
            name: c.name.clone(),
            phone: c.phone.clone(),
        }),
        stubs: req
            .stubs
            .iter()
            .map(|s| StubSpec {
                url: s.url.clone(),
                node: s.node.clone(),
                status: s.status,
                body: s.body.clone(),
                timeout: s.timeout,
                reply: s.reply.clone(),
            })
            .collect(),
    };
    let integrations = state.store().list_integrations().await?;
    let effects = engine.effects(&integrations, script.stubs());
    let turns = run_script(&graph, &effects, &script)
        .await
        .into_iter()
        .map(turn_dto)
        .collect();
    Ok(ApiJson(dto::WorkflowTestResult {
        version: label,
        turns,
    }))
}
