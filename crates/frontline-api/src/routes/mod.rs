//! HTTP handlers, grouped by what they manage.

pub mod accounts;
pub mod auth;
pub mod avito;
pub mod bot;
pub mod conversations;
pub mod inbound;
pub mod knowledge;
pub mod llm;
pub mod operators;
pub mod quick_replies;
pub mod system;
pub mod voice;
pub mod workflows;

use crate::error::ApiError;

/// Parse `1,2,3` into ids; an empty string is an empty list (show nothing), which the account filter needs.
pub(crate) fn parse_id_list(raw: &str, field: &str) -> Result<Vec<i64>, ApiError> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>()
                .map_err(|_| ApiError::validation(field, format!("`{s}` is not an id")))
        })
        .collect()
}

/// Trim a required text field and check its length.
pub(crate) fn required_text(value: &str, field: &str, max: usize) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(ApiError::validation(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(ApiError::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(v.to_owned())
}

/// An optional JSON body: none, whitespace, `null` and `{}` all mean the defaults (curl, scripts
/// and older clients send nothing).
pub(crate) fn optional_body<T: Default + serde::de::DeserializeOwned>(
    body: &[u8],
    what: &str,
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice::<Option<T>>(body)
        .map(Option::unwrap_or_default)
        .map_err(|e| ApiError::BadRequest {
            code: "invalid_json",
            message: format!("the body is not {what}: {e}"),
            field: None,
        })
}
