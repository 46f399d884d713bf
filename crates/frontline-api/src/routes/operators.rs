//! Operators. Listing is open to every operator (the inbox shows colleagues); creating, changing
//! and deactivating needs the admin role.

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use frontline_domain::{Login, NewOperator, OperatorId, OperatorPatch, Password};

use crate::{
    AppState,
    auth::{Admin, CurrentOperator, hash_password_blocking},
    dto,
    error::{ApiError, ApiJson, ApiPath},
    routes::required_text,
};

/// Every operator (for assignment and display); when each was last seen only for admins.
#[utoipa::path(
    get, path = "/api/v1/operators", tag = "operators",
    responses((status = 200, body = Vec<dto::Operator>), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_operators(
    State(state): State<AppState>,
    CurrentOperator(me): CurrentOperator,
) -> Result<ApiJson<Vec<dto::Operator>>, ApiError> {
    let ops = state.store().list_operators().await?;
    let admin = me.role == frontline_domain::Role::Admin;
    Ok(ApiJson(
        ops.iter()
            .map(dto::Operator::from)
            .map(|mut o| {
                // Colleagues' activity is the admin's business, not every operator's.
                if !admin {
                    o.last_seen_at = None;
                }
                o
            })
            .collect(),
    ))
}

#[utoipa::path(
    post, path = "/api/v1/operators", tag = "operators",
    request_body = dto::CreateOperatorRequest,
    responses(
        (status = 201, body = dto::Operator),
        (status = 403, body = crate::error::ErrorBody),
        (status = 409, description = "Login taken", body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_operator(
    State(state): State<AppState>,
    _admin: Admin,
    ApiJson(req): ApiJson<dto::CreateOperatorRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let login = Login::parse(&req.login)?;
    let display_name = required_text(&req.display_name, "display_name", 100)?;
    let password = Password::parse(&req.password)?;
    let op = state
        .admin()
        .create_operator(NewOperator {
            login,
            display_name,
            role: req.role.into(),
            password_hash: hash_password_blocking(password).await?,
        })
        .await?;
    Ok((StatusCode::CREATED, ApiJson(dto::Operator::from(&op))))
}

/// Change an operator. Deactivating or changing the password ends their sessions.
#[utoipa::path(
    patch, path = "/api/v1/operators/{id}", tag = "operators",
    params(("id" = i64, Path)),
    request_body = dto::UpdateOperatorRequest,
    responses(
        (status = 200, body = dto::Operator),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, description = "Would leave no active admin", body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update_operator(
    State(state): State<AppState>,
    Admin(me): Admin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<dto::UpdateOperatorRequest>,
) -> Result<ApiJson<dto::Operator>, ApiError> {
    let id = OperatorId(id);
    let display_name = req
        .display_name
        .as_deref()
        .map(|n| required_text(n, "display_name", 100))
        .transpose()?;
    let password_hash = match req.password.as_deref() {
        Some(p) => Some(hash_password_blocking(Password::parse(p)?).await?),
        None => None,
    };
    let op = state
        .admin()
        .update_operator(
            me.id,
            id,
            OperatorPatch {
                display_name,
                role: req.role.map(Into::into),
                password_hash,
                active: req.active,
            },
        )
        .await?;
    Ok(ApiJson((&op).into()))
}

/// Deactivate an operator (their messages and handoffs stay attributed) and end their sessions.
#[utoipa::path(
    delete, path = "/api/v1/operators/{id}", tag = "operators",
    params(("id" = i64, Path)),
    responses(
        (status = 204),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_operator(
    State(state): State<AppState>,
    Admin(me): Admin,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .admin()
        .deactivate_operator(me.id, OperatorId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
