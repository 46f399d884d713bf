//! Quick replies: shared templates (managed by admins) and personal ones (each operator's own).

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use frontline_domain::{Operator, OperatorId, QuickReply, QuickReplyId, Role};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::{
    AppState,
    auth::CurrentOperator,
    dto,
    error::{ApiError, ApiJson, ApiPath, ApiQuery},
    routes::required_text,
};

/// Admins manage shared replies; everyone manages their own.
fn may_edit(me: &Operator, q: &QuickReply) -> bool {
    match q.owner {
        None => me.role == Role::Admin,
        Some(owner) => owner == me.id,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuickReplyFilter {
    /// Admins only: the shared replies and this operator's own, instead of one's own.
    pub operator: Option<i64>,
}

/// Shared quick replies and the current operator's own (or, for an admin, another operator's
/// own), by title.
#[utoipa::path(
    operation_id = "list_quick_replies",
    get, path = "/api/v1/quick-replies", tag = "quick_replies",
    params(QuickReplyFilter),
    responses(
        (status = 200, body = Vec<dto::QuickReply>),
        (status = 403, description = "`operator` names someone else and the caller is not an admin", body = crate::error::ErrorBody),
        (status = 404, description = "No such operator", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    CurrentOperator(me): CurrentOperator,
    ApiQuery(filter): ApiQuery<QuickReplyFilter>,
) -> Result<ApiJson<Vec<dto::QuickReply>>, ApiError> {
    let whose = match filter.operator.map(OperatorId) {
        None => me.id,
        Some(id) if id == me.id => me.id,
        Some(_) if me.role != Role::Admin => return Err(ApiError::Forbidden),
        Some(id) => {
            state
                .store()
                .operator(id)
                .await?
                .ok_or(ApiError::NotFound("operator"))?
                .id
        }
    };
    let qs = state.store().list_quick_replies(whose).await?;
    Ok(ApiJson(qs.iter().map(dto::QuickReply::from).collect()))
}

#[utoipa::path(
    operation_id = "create_quick_reply",
    post, path = "/api/v1/quick-replies", tag = "quick_replies",
    request_body = dto::QuickReplyRequest,
    responses(
        (status = 201, body = dto::QuickReply),
        (status = 403, description = "Only admins create shared replies", body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    CurrentOperator(me): CurrentOperator,
    ApiJson(req): ApiJson<dto::QuickReplyRequest>,
) -> Result<impl IntoResponse, ApiError> {
    if req.shared && me.role != Role::Admin {
        return Err(ApiError::Forbidden);
    }
    let title = required_text(&req.title, "title", 100)?;
    let text = required_text(&req.text, "text", 4000)?;
    let owner = (!req.shared).then_some(me.id);
    let q = state
        .admin()
        .create_quick_reply(&title, &text, owner)
        .await?;
    Ok((StatusCode::CREATED, ApiJson(dto::QuickReply::from(&q))))
}

#[utoipa::path(
    operation_id = "update_quick_reply",
    put, path = "/api/v1/quick-replies/{id}", tag = "quick_replies",
    params(("id" = i64, Path)),
    request_body = dto::QuickReplyRequest,
    responses(
        (status = 200, body = dto::QuickReply),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    CurrentOperator(me): CurrentOperator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<dto::QuickReplyRequest>,
) -> Result<ApiJson<dto::QuickReply>, ApiError> {
    let existing = visible(&state, &me, id).await?;
    if !may_edit(&me, &existing) {
        return Err(ApiError::Forbidden);
    }
    let title = required_text(&req.title, "title", 100)?;
    let text = required_text(&req.text, "text", 4000)?;
    let q = state
        .admin()
        .update_quick_reply(existing.id, &title, &text)
        .await?;
    Ok(ApiJson((&q).into()))
}

#[utoipa::path(
    operation_id = "delete_quick_reply",
    delete, path = "/api/v1/quick-replies/{id}", tag = "quick_replies",
    params(("id" = i64, Path)),
    responses(
        (status = 204),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    CurrentOperator(me): CurrentOperator,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let existing = visible(&state, &me, id).await?;
    if !may_edit(&me, &existing) {
        return Err(ApiError::Forbidden);
    }
    state.admin().delete_quick_reply(existing.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Another operator's personal reply is reported as absent, not forbidden: it is not theirs to know of.
async fn visible(state: &AppState, me: &Operator, id: i64) -> Result<QuickReply, ApiError> {
    state
        .store()
        .quick_reply(QuickReplyId(id))
        .await?
        .filter(|q| q.visible_to(me.id))
        .ok_or(ApiError::NotFound("quick reply"))
}
