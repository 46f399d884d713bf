//! The requests and answers of a chat model, as the engine sees them. They are plain types, not
//! wire types: [`wire`](super::wire) owns the JSON shape, so a server's quirks stay there.

use serde_json::Value;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }

    pub fn system(content: impl Into<String>) -> Self {
        Self::new(Role::System, content)
    }

    pub fn user(content: impl Into<String>) -> Self {
        Self::new(Role::User, content)
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        Self::new(Role::Assistant, content)
    }
}

/// Constrains the output to JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseFormat {
    /// Any JSON object; no schema guarantee.
    JsonObject,
    /// JSON matching a schema. Enforcement varies by provider even with `strict`, so callers
    /// validate anyway ([`ChatModelExt::chat_json`](super::ChatModelExt::chat_json) does).
    JsonSchema(JsonSchema),
}

#[derive(Debug, Clone, PartialEq)]
pub struct JsonSchema {
    /// `^[a-zA-Z0-9_-]{1,64}$` on OpenAI.
    pub name: String,
    /// OpenAI's strict mode wants `additionalProperties: false` and every property required.
    pub strict: bool,
    pub schema: Value,
}

/// One chat completion request. Fields left `None` are not sent, so the server's defaults apply.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// Model id; empty means the account default on OpenRouter (other servers may refuse).
    pub model: String,
    pub messages: Vec<ChatMessage>,
    /// `0.0..=2.0`.
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    pub response_format: Option<ResponseFormat>,
    /// A stable end-user id (e.g. `avito-chat-<id>`), used by providers for abuse detection.
    pub user: Option<String>,
}

impl ChatRequest {
    pub fn new(model: impl Into<String>, messages: Vec<ChatMessage>) -> Self {
        Self {
            model: model.into(),
            messages,
            temperature: None,
            max_tokens: None,
            response_format: None,
            user: None,
        }
    }

    pub fn with_temperature(mut self, temperature: f64) -> Self {
        self.temperature = Some(temperature);
        self
    }

    pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    pub fn with_response_format(mut self, format: ResponseFormat) -> Self {
        self.response_format = Some(format);
        self
    }

    pub fn with_user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }
}

/// Token counts and price of one generation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub total_tokens: u64,
    /// In credits (USD); only OpenRouter reports it.
    pub cost: Option<f64>,
}

/// A successful completion: never empty, never an error in disguise.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    pub content: String,
    /// `stop`, `length`, `content_filter`, … as the server normalised it.
    pub finish_reason: Option<String>,
    /// Absent only when a server sends none (OpenAI-compatible servers may omit it in streams).
    pub usage: Option<Usage>,
    /// The model that actually answered, which may differ from the one asked for (routing,
    /// fallbacks).
    pub model: String,
    /// OpenRouter's `X-Generation-Id` (or the body's `id`), for looking up the stats later.
    pub generation_id: Option<String>,
}

/// What a streamed completion yields: content fragments as they arrive, then once the
/// assembled response. An error ends the stream.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    Delta(String),
    Done(ChatResponse),
}
