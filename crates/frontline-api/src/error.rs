//! The one mapping from errors to HTTP responses.
//!
//! Every error leaves as `{"error": {"code": "...", "message": "...", "field": "..."}}` with a stable,
//! machine-readable `code` that the web app translates, and a precise 4xx status for anything the client
//! can fix. Server-side failures are logged with their cause chain and answered with a bland 500.

use axum::{
    Json,
    extract::{
        FromRequest, FromRequestParts, Request,
        rejection::{JsonRejection, PathRejection, QueryRejection},
    },
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use frontline_domain::ParseError;
use frontline_lifecycle::LifecycleError;
use frontline_store::StoreError;
use serde::{Serialize, de::DeserializeOwned};
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON, or the JSON has the wrong shape.
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    /// A value in the request breaks a rule (empty text, short password, …).
    #[error("{message}")]
    Validation {
        message: String,
        field: Option<String>,
    },
    #[error("authentication required")]
    Unauthorized,
    #[error("wrong login or password")]
    InvalidCredentials,
    #[error("invalid inbound token")]
    InvalidToken,
    #[error("this action needs the admin role")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("expected a JSON body with `Content-Type: application/json`")]
    UnsupportedMediaType,
    #[error("too many attempts, retry in {0} seconds")]
    TooManyRequests(u64),
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A channel's remote service refused or failed (`avito_credentials_rejected`, `avito_unavailable`).
    #[error("{message}")]
    Upstream {
        status: StatusCode,
        code: &'static str,
        message: String,
        /// The request field the remote refused, when one is to blame (the client secret).
        field: Option<String>,
    },
    /// A workflow that cannot run: every problem with its node or edge.
    #[error("the workflow has {} problem(s)", .0.len())]
    InvalidWorkflow(Vec<crate::dto::WorkflowProblem>),
    /// A bot configuration that cannot be published: every problem with its field.
    #[error("the bot configuration has {} problem(s)", .0.len())]
    InvalidBotConfig(Vec<crate::dto::BotConfigProblem>),
}

/// The error body of every failed request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `invalid_json`, `validation_failed`, `unauthorized`,
    /// `invalid_credentials`, `invalid_token`, `forbidden`, `not_found`, `conflict`,
    /// `payload_too_large`, `unsupported_media_type`, `too_many_requests`, `internal`, `unavailable`.
    pub code: String,
    /// English explanation for developers; the UI translates by `code`.
    pub message: String,
    /// The offending field, when one is to blame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `workflow_invalid` only: every problem, with the node or edge it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problems: Option<Vec<crate::dto::WorkflowProblem>>,
    /// `bot_config_invalid` only: every problem, with its field (`field` above is the first's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<crate::dto::BotConfigProblem>>,
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation {
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Internal(Box::new(e))
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::Validation { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            ApiError::InvalidToken => (StatusCode::UNAUTHORIZED, "invalid_token"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::InvalidWorkflow(_) => (StatusCode::UNPROCESSABLE_ENTITY, "workflow_invalid"),
            ApiError::InvalidBotConfig(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "bot_config_invalid")
            }
            ApiError::Upstream { status, code, .. } => (*status, code),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let ApiError::Internal(e) = &self {
            let mut chain = e.to_string();
            let mut src = e.source();
            while let Some(s) = src {
                chain.push_str(": ");
                chain.push_str(&s.to_string());
                src = s.source();
            }
            tracing::error!(error = %chain, "request failed");
        }
        let field = match &self {
            ApiError::BadRequest { field, .. }
            | ApiError::Validation { field, .. }
            | ApiError::Upstream { field, .. } => field.clone(),
            ApiError::InvalidBotConfig(p) => p.first().map(|p| p.field.clone()),
            _ => None,
        };
        let problems = match &self {
            ApiError::InvalidWorkflow(p) => Some(p.clone()),
            _ => None,
        };
        let fields = match &self {
            ApiError::InvalidBotConfig(p) => Some(p.clone()),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_owned(),
                message: self.to_string(),
                field,
                problems,
                fields,
            },
        };
        let mut resp = (status, Json(body)).into_response();
        match self {
            ApiError::TooManyRequests(secs) => {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            ApiError::Unauthorized => {
                resp.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        resp
    }
}

impl From<ParseError> for ApiError {
    fn from(e: ParseError) -> Self {
        ApiError::Validation {
            message: e.to_string(),
            field: Some(e.what.to_owned()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::Conflict(why) => ApiError::Conflict(why),
            other => ApiError::internal(other),
        }
    }
}

impl From<LifecycleError> for ApiError {
    fn from(e: LifecycleError) -> Self {
        match e {
            LifecycleError::Invalid(p) => p.into(),
            LifecycleError::NotFound(what) => ApiError::NotFound(what),
            LifecycleError::Conflict(why) => ApiError::Conflict(why),
            LifecycleError::Store(s) => s.into(),
            LifecycleError::Index(why) => ApiError::internal(LifecycleError::Index(why)),
        }
    }
}

/// `axum::Json` with our error body on rejection.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}

/// A raw body (`Bytes`) that could not be read: too large for `limit`, or cut off.
pub fn bytes_rejection(r: axum::extract::rejection::BytesRejection, limit: usize) -> ApiError {
    if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(limit)
    } else {
        ApiError::BadRequest {
            code: "invalid_body",
            message: r.body_text(),
            field: None,
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::JsonSyntaxError(e) => ApiError::BadRequest {
            code: "invalid_json",
            message: format!("the body is not valid JSON: {}", inner_message(&e)),
            field: None,
        },
        JsonRejection::JsonDataError(e) => {
            let msg = inner_message(&e);
            ApiError::Validation {
                field: field_of(&msg),
                message: format!("the JSON does not have the expected shape: {msg}"),
            }
        }
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge(crate::MAX_BODY_BYTES)
        }
        other => ApiError::BadRequest {
            code: "invalid_body",
            message: other.body_text(),
            field: None,
        },
    }
}

/// serde's message without axum's prefix, e.g. "missing field `text` at line 1 column 2".
fn inner_message(e: &dyn std::error::Error) -> String {
    let mut last = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        last = s.to_string();
        src = s.source();
    }
    last
}

/// serde_path_to_error (used by axum) prefixes data errors with the path: `customer.name: invalid type…`.
fn field_of(msg: &str) -> Option<String> {
    if let Some(rest) = msg.strip_prefix("missing field `") {
        return rest.split('`').next().map(str::to_owned);
    }
    let (path, _) = msg.split_once(": ")?;
    (!path.contains(' ') && !path.is_empty() && path != ".").then(|| path.to_owned())
}

/// `axum::extract::Path` with our error body.
#[derive(Debug, Clone, Copy)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => Err(ApiError::BadRequest {
                code: "invalid_id",
                message: format!("invalid path parameter: {}", e.body_text()),
                field: None,
            }),
            Err(other) => Err(ApiError::BadRequest {
                code: "invalid_path",
                message: other.body_text(),
                field: None,
            }),
        }
    }
}

/// `axum::extract::Query` with our error body.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(ApiError::BadRequest {
                code: "invalid_query",
                message: e.body_text(),
                field: None,
            }),
            Err(other) => Err(ApiError::BadRequest {
                code: "invalid_query",
                message: other.body_text(),
                field: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_from_serde_messages() {
        assert_eq!(
            field_of("missing field `text` at line 1 column 2").as_deref(),
            Some("text")
        );
        assert_eq!(
            field_of(
                "customer.name: invalid type: integer `1`, expected a string at line 1 column 30"
            )
            .as_deref(),
            Some("customer.name")
        );
        assert_eq!(field_of("invalid type: map, expected a string"), None);
    }
}
