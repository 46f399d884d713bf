//! The LLM client's error type, and how HTTP statuses and the error bodies of OpenRouter and
//! other OpenAI-compatible servers map onto it.
//!
//! The variants are what a caller decides on (wait, fall back to another model, hand over to an
//! operator, page someone), not one per status code.

use std::time::Duration;

use serde_json::Value;

use super::settings::Secret;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// 429, or a `Retry-After` longer than we are willing to wait.
    #[error("llm rate limited (retry after {retry_after:?})")]
    RateLimited { retry_after: Option<Duration> },
    /// Our per-request timeout, or the server's 408.
    #[error("llm request timed out")]
    Timeout,
    /// 5xx: model down (502), no provider available (503), edge timeout (524), overloaded (529).
    #[error("llm unavailable (http {status}): {message}")]
    Unavailable { status: u16, message: String },
    /// 401 (bad or disabled key) and 403 (permission, guardrail or moderation).
    #[error("llm refused the credentials or the content (http {status}): {message}")]
    Auth { status: u16, message: String },
    /// 402: out of credits.
    #[error("llm account has insufficient credits: {message}")]
    Payment { message: String },
    /// 400, 404, 413, 422 and other 4xx: the request itself is wrong; retrying will not help.
    #[error("llm rejected the request (http {status}): {message}")]
    BadRequest { status: u16, message: String },
    /// An error reported inside a 200 response: a top-level or per-choice `error` object,
    /// `finish_reason: "error"`, a refusal, or a mid-stream error event.
    #[error("llm provider error ({code:?}): {message}")]
    Provider {
        code: Option<String>,
        message: String,
    },
    /// The body is not the expected JSON, the content is empty (a cold start), or structured
    /// output did not match its type.
    #[error("llm response malformed: {detail}")]
    Malformed { detail: String },
    /// Connection refused, reset, DNS, TLS, a stream cut short.
    #[error("llm network error: {0}")]
    Network(String),
    /// [`LlmSettings`](super::LlmSettings) that cannot work (bad URL, a key that is not a valid
    /// header value).
    #[error("invalid llm settings: {0}")]
    InvalidSettings(String),
}

impl LlmError {
    /// A copy with the key masked in every message, applied to every error leaving the
    /// client: servers echo keys in error messages.
    pub(super) fn redact(self, secret: &Secret) -> Self {
        use LlmError::*;
        match self {
            Unavailable { status, message } => Unavailable {
                status,
                message: secret.redact(&message),
            },
            Auth { status, message } => Auth {
                status,
                message: secret.redact(&message),
            },
            Payment { message } => Payment {
                message: secret.redact(&message),
            },
            BadRequest { status, message } => BadRequest {
                status,
                message: secret.redact(&message),
            },
            Provider { code, message } => Provider {
                code,
                message: secret.redact(&message),
            },
            Malformed { detail } => Malformed {
                detail: secret.redact(&detail),
            },
            Network(message) => Network(secret.redact(&message)),
            InvalidSettings(message) => InvalidSettings(secret.redact(&message)),
            other @ (RateLimited { .. } | Timeout) => other,
        }
    }
}

/// One failed attempt, with what the retry loop needs to know about it.
#[derive(Debug)]
pub(super) struct Failure {
    pub error: LlmError,
    pub retryable: bool,
    /// The server's `Retry-After`, if any.
    pub retry_after: Option<Duration>,
}

impl Failure {
    pub fn fatal(error: LlmError) -> Self {
        Self {
            error,
            retryable: false,
            retry_after: None,
        }
    }

    pub fn transient(error: LlmError) -> Self {
        Self {
            error,
            retryable: true,
            retry_after: None,
        }
    }
}

/// Error messages are shown in logs and, translated, to operators; an HTML error page is not
/// worth more than this.
const MAX_MESSAGE_CHARS: usize = 300;

/// Classifies a non-2xx response.
pub(super) fn status_failure(status: u16, retry_after: Option<Duration>, body: &str) -> Failure {
    let message = body_message(body);
    let (error, retryable) = match status {
        401 | 403 => (LlmError::Auth { status, message }, false),
        402 => (LlmError::Payment { message }, false),
        408 => (LlmError::Timeout, true),
        429 => (LlmError::RateLimited { retry_after }, true),
        400..=499 => (LlmError::BadRequest { status, message }, false),
        // 5xx, and anything else a well-behaved server does not send (redirects are followed
        // by the HTTP client), is the server's problem, so worth another try.
        _ => (LlmError::Unavailable { status, message }, true),
    };
    Failure {
        error,
        retryable,
        retry_after,
    }
}

/// The human-readable message of an error body, whatever the server's dialect:
/// OpenRouter/OpenAI/llama.cpp `{"error":{"message",…}}`, `{"error":"…"}`, vLLM's top-level
/// `{"message",…}`, or plain text / HTML.
fn body_message(body: &str) -> String {
    if let Ok(value) = serde_json::from_str::<Value>(body) {
        if let Some(error) = value.get("error") {
            if let Some(text) = error.as_str() {
                return truncate(text);
            }
            if error.is_object() {
                return embedded_error(error).message;
            }
        }
        if let Some(text) = value.get("message").and_then(Value::as_str) {
            return truncate(text);
        }
    }
    let trimmed = body.trim();
    if trimmed.is_empty() {
        "(empty body)".to_owned()
    } else {
        truncate(trimmed)
    }
}

/// An `error` object found inside a response: `{"code","message","metadata"}`.
#[derive(Debug)]
pub(super) struct EmbeddedError {
    pub code: Option<String>,
    pub message: String,
}

impl EmbeddedError {
    /// Errors that another attempt (which OpenRouter may route to another provider) can cure.
    pub fn is_transient(&self) -> bool {
        self.code
            .as_deref()
            .and_then(|code| code.parse::<u16>().ok())
            .is_some_and(|code| matches!(code, 408 | 429 | 500..=599))
    }

    pub fn into_failure(self) -> Failure {
        let retryable = self.is_transient();
        Failure {
            error: LlmError::Provider {
                code: self.code,
                message: self.message,
            },
            retryable,
            retry_after: None,
        }
    }
}

pub(super) fn embedded_error(error: &Value) -> EmbeddedError {
    let code = match error.get("code") {
        Some(Value::String(code)) => Some(code.clone()),
        Some(Value::Number(code)) => Some(code.to_string()),
        _ => None,
    };
    let mut message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("unknown error")
        .to_owned();
    // OpenRouter's "Provider returned error" says nothing by itself; the upstream's own words
    // are in `metadata.raw`.
    if let Some(raw) = error.pointer("/metadata/raw").and_then(Value::as_str) {
        message = format!("{message}: {raw}");
    }
    EmbeddedError {
        code,
        message: truncate(&message),
    }
}

pub(super) fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(status: u16, body: &str, expected: LlmError, retryable: bool) {
        let failure = status_failure(status, None, body);
        assert_eq!(failure.error, expected);
        assert_eq!(failure.retryable, retryable, "{status}");
    }

    #[test]
    fn statuses_and_dialects() {
        let or_body = r#"{"error":{"code":400,"message":"bad params","metadata":{}}}"#;
        check(
            400,
            or_body,
            LlmError::BadRequest {
                status: 400,
                message: "bad params".into(),
            },
            false,
        );
        check(
            404,
            r#"{"object":"error","message":"model not found","type":"NotFoundError","code":404}"#,
            LlmError::BadRequest {
                status: 404,
                message: "model not found".into(),
            },
            false,
        );
        check(
            403,
            r#"{"error":"forbidden"}"#,
            LlmError::Auth {
                status: 403,
                message: "forbidden".into(),
            },
            false,
        );
        check(
            402,
            r#"{"error":{"code":402,"message":"Insufficient credits"}}"#,
            LlmError::Payment {
                message: "Insufficient credits".into(),
            },
            false,
        );
        check(
            502,
            "<html>bad gateway</html>",
            LlmError::Unavailable {
                status: 502,
                message: "<html>bad gateway</html>".into(),
            },
            true,
        );
        check(
            529,
            "",
            LlmError::Unavailable {
                status: 529,
                message: "(empty body)".into(),
            },
            true,
        );
        check(408, "", LlmError::Timeout, true);
    }

    #[test]
    fn provider_raw_message_and_transience() {
        let error: Value = serde_json::json!({
            "code": 502, "message": "Provider returned error",
            "metadata": {"raw": "upstream overloaded", "provider_name": "X"}
        });
        let embedded = embedded_error(&error);
        assert_eq!(embedded.code.as_deref(), Some("502"));
        assert_eq!(
            embedded.message,
            "Provider returned error: upstream overloaded"
        );
        assert!(embedded.is_transient());
        let bad = embedded_error(&serde_json::json!({"code": "invalid_api_key", "message": "x"}));
        assert!(!bad.is_transient());
    }

    #[test]
    fn long_messages_are_cut() {
        let long = "x".repeat(1000);
        assert_eq!(truncate(&long).chars().count(), MAX_MESSAGE_CHARS + 1);
    }
}
