//! Typed settings of the LLM client. The binary fills them from its config; nothing in this
//! crate reads the environment.

use std::fmt;
use std::time::Duration;

/// OpenRouter's OpenAI-compatible API root. Any OpenAI-compatible server works (OpenAI, vLLM,
/// the llama.cpp server); point `base_url` at its `/v1`.
pub const OPENROUTER_BASE_URL: &str = "https://openrouter.ai/api/v1";

/// A model that is cheap, fast and good enough for every task of a support bot; deployments
/// pick their own per task.
pub const DEFAULT_MODEL: &str = "openai/gpt-5-mini";

/// An API key. Its `Debug` prints `***`, so settings, clients and errors can be logged whole
/// without leaking it; the key leaves this type only as the `Authorization` header.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The key itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `text` with every occurrence of the key replaced by `***`. Servers echo (parts of) keys
    /// in error messages ("Incorrect API key provided: sk-…"), and those messages end up in our
    /// errors and logs.
    pub fn redact(&self, text: &str) -> String {
        // A very short key would make the replacement mangle ordinary text; such a key is not
        // a real credential anyway.
        if self.0.len() < 8 {
            return text.to_owned();
        }
        text.replace(&self.0, "***")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// What the engine asks a model to do; each task may use a different model, so a cheap one
/// can route while a stronger one answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LlmTask {
    /// Classify the customer's message / choose the next step.
    Router,
    /// Write the reply the customer sees.
    Answer,
    /// Summarise a conversation for the operator taking it over.
    Summary,
}

/// The model id per task, in the server's naming (`<org>/<model>` on OpenRouter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmModels {
    pub router: String,
    pub answer: String,
    pub summary: String,
}

impl LlmModels {
    pub fn for_task(&self, task: LlmTask) -> &str {
        match task {
            LlmTask::Router => &self.router,
            LlmTask::Answer => &self.answer,
            LlmTask::Summary => &self.summary,
        }
    }
}

impl Default for LlmModels {
    fn default() -> Self {
        Self {
            router: DEFAULT_MODEL.to_owned(),
            answer: DEFAULT_MODEL.to_owned(),
            summary: DEFAULT_MODEL.to_owned(),
        }
    }
}

/// Everything [`LlmClient`](super::LlmClient) needs. `Debug` is safe to log.
///
/// The worst-case latency of one non-streaming call is bounded by
/// `timeout × (max_retries + 1)` plus the waits in between, each at most `max_retry_after`
/// (or the backoff, `backoff_base × 2^attempt`), so a customer is never kept waiting by a
/// server that asks for a long pause.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmSettings {
    /// API root without the trailing `/chat/completions`, e.g. `https://openrouter.ai/api/v1`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer …`; left out when empty (local servers need no key).
    pub api_key: Secret,
    /// OpenRouter app attribution: `HTTP-Referer`.
    pub app_url: Option<String>,
    /// OpenRouter app attribution: `X-OpenRouter-Title` (only counted together with
    /// `HTTP-Referer`).
    pub app_title: Option<String>,
    pub models: LlmModels,
    /// Per HTTP request, body included. For streams it bounds the wait for the response head
    /// and every silence between chunks (keep-alive comments count as activity).
    pub timeout: Duration,
    /// Extra attempts after the first for transient failures of non-streaming calls.
    pub max_retries: u32,
    /// The longest `Retry-After` we honour; a server asking for more gets an immediate
    /// [`LlmError::RateLimited`](super::LlmError::RateLimited) instead of a blocked customer.
    pub max_retry_after: Duration,
    /// First backoff step when the server gives no `Retry-After`; doubled per attempt, with
    /// jitter so that many conversations do not retry in lockstep.
    pub backoff_base: Duration,
    /// Send OpenRouter's `provider: {"require_parameters": true}` with `json_schema` requests,
    /// without which OpenRouter may route to a provider that silently ignores the schema.
    /// Turn off for servers that reject unknown fields (api.openai.com does); vLLM and
    /// llama.cpp ignore it.
    pub require_parameters: bool,
}

impl LlmSettings {
    /// OpenRouter with the given key and every other setting at its default.
    pub fn new(api_key: impl Into<Secret>) -> Self {
        Self {
            api_key: api_key.into(),
            ..Self::default()
        }
    }
}

impl Default for LlmSettings {
    fn default() -> Self {
        Self {
            base_url: OPENROUTER_BASE_URL.to_owned(),
            api_key: Secret::default(),
            app_url: None,
            app_title: None,
            models: LlmModels::default(),
            timeout: Duration::from_secs(15),
            max_retries: 2,
            max_retry_after: Duration::from_secs(20),
            backoff_base: Duration::from_millis(250),
            require_parameters: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let key = Secret::new("sk-or-v1-abcdef0123456789");
        assert_eq!(format!("{key:?}"), "***");
        let settings = LlmSettings::new(key.clone());
        assert!(!format!("{settings:?}").contains("abcdef0123456789"));
        assert_eq!(
            key.redact("Incorrect API key provided: sk-or-v1-abcdef0123456789."),
            "Incorrect API key provided: ***."
        );
    }
}
