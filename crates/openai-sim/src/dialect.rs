//! What differs between OpenAI and OpenRouter on the same wire: where the API lives, how an error
//! body looks, what the server says about a missing or wrong key, and one default (B5, B7).

use serde_json::{Value, json};

/// Whose API the server plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// api.openai.com and the self-hosted servers that copy it: root `/v1`, errors
    /// `{"error":{"message","type","param","code"}}`.
    #[default]
    OpenAi,
    /// openrouter.ai: root `/api/v1`, errors `{"error":{"code":<status>,"message","metadata"}}`.
    OpenRouter,
}

impl Dialect {
    /// The API root path clients are configured with (no trailing slash).
    pub fn root(self) -> &'static str {
        match self {
            Dialect::OpenAi => "/v1",
            Dialect::OpenRouter => "/api/v1",
        }
    }

    /// An error body in this dialect's shape. `code` is OpenAI's string code (`invalid_api_key`);
    /// OpenRouter carries it as `metadata.error_type`.
    pub(crate) fn error_body(self, status: u16, message: &str, code: Option<&str>) -> Value {
        match self {
            Dialect::OpenAi => {
                let kind = if status >= 500 {
                    "server_error"
                } else {
                    "invalid_request_error"
                };
                json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
            }
            Dialect::OpenRouter => {
                let metadata = match code {
                    Some(code) => json!({"error_type": code}),
                    None => json!({}),
                };
                json!({"error": {"code": status, "message": message, "metadata": metadata}})
            }
        }
    }

    /// The 401 for a request without a key, as (message, code).
    pub(crate) fn missing_key(self) -> (String, &'static str) {
        match self {
            Dialect::OpenAi => (
                "You didn't provide an API key. You need to provide your API key in an \
                 Authorization header using Bearer auth."
                    .to_owned(),
                "missing_api_key",
            ),
            Dialect::OpenRouter => ("No auth credentials found".to_owned(), "authentication"),
        }
    }

    /// The 401 for a wrong key. OpenAI quotes the refused key (partly; here wholly, so a test can
    /// prove a client never passes an error body's key on).
    pub(crate) fn wrong_key(self, given: &str) -> (String, &'static str) {
        match self {
            Dialect::OpenAi => (
                format!(
                    "Incorrect API key provided: {given}. You can find your API key at \
                     https://platform.openai.com/account/api-keys."
                ),
                "invalid_api_key",
            ),
            Dialect::OpenRouter => ("User not found.".to_owned(), "authentication"),
        }
    }

    /// The speech format used when a request names none: OpenAI's default is mp3, OpenRouter's pcm
    /// (B7).
    pub(crate) fn default_speech_format(self) -> &'static str {
        match self {
            Dialect::OpenAi => "mp3",
            Dialect::OpenRouter => "pcm",
        }
    }

    /// Whether `/audio/speech` requires a `voice` (OpenAI does; OpenRouter requires only `model`
    /// and `input`).
    pub(crate) fn speech_needs_voice(self) -> bool {
        matches!(self, Dialect::OpenAi)
    }
}
