//! The JSON of `POST /chat/completions` (OpenRouter reference B2/B3, which is OpenAI's shape
//! plus a few fields), and the checks that turn a 200 response into a [`ChatResponse`] or a
//! [`Failure`]: a 200 is not a success until its content is there (B5, B8).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::{Failure, LlmError, embedded_error, truncate};
use super::types::{ChatRequest, ChatResponse, ResponseFormat, Usage};

#[derive(Debug, Serialize)]
pub(super) struct WireRequest<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<WireResponseFormat<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
    /// OpenRouter always reports usage (and calls this field deprecated but harmless); OpenAI,
    /// vLLM and llama.cpp only send the final usage chunk when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<ProviderPreferences>,
}

#[derive(Debug, Serialize)]
struct WireMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireResponseFormat<'a> {
    JsonObject,
    JsonSchema { json_schema: WireJsonSchema<'a> },
}

#[derive(Debug, Serialize)]
struct WireJsonSchema<'a> {
    name: &'a str,
    strict: bool,
    schema: &'a Value,
}

#[derive(Debug, Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Debug, Serialize)]
struct ProviderPreferences {
    require_parameters: bool,
}

impl<'a> WireRequest<'a> {
    /// `require_parameters`: see [`LlmSettings::require_parameters`](super::LlmSettings).
    pub fn new(req: &'a ChatRequest, stream: bool, require_parameters: bool) -> Self {
        let response_format = req.response_format.as_ref().map(|format| match format {
            ResponseFormat::JsonObject => WireResponseFormat::JsonObject,
            ResponseFormat::JsonSchema(schema) => WireResponseFormat::JsonSchema {
                json_schema: WireJsonSchema {
                    name: &schema.name,
                    strict: schema.strict,
                    schema: &schema.schema,
                },
            },
        });
        // Only a schema is worth refusing providers for; everything else degrades gracefully
        // when a provider ignores it.
        let wants_schema = matches!(req.response_format, Some(ResponseFormat::JsonSchema(_)));
        Self {
            model: &req.model,
            messages: req
                .messages
                .iter()
                .map(|m| WireMessage {
                    role: m.role.as_str(),
                    content: &m.content,
                })
                .collect(),
            temperature: req.temperature,
            max_tokens: req.max_tokens,
            response_format,
            user: req.user.as_deref(),
            stream,
            stream_options: stream.then_some(StreamOptions {
                include_usage: true,
            }),
            provider: (wants_schema && require_parameters).then_some(ProviderPreferences {
                require_parameters: true,
            }),
        }
    }
}

/// A completion or a stream chunk; the two differ only in `message` versus `delta`.
#[derive(Debug, Deserialize)]
pub(super) struct WireResponse {
    pub id: Option<String>,
    pub model: Option<String>,
    #[serde(default)]
    pub choices: Vec<WireChoice>,
    pub usage: Option<WireUsage>,
    pub error: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(super) struct WireChoice {
    pub message: Option<WireMessageOut>,
    pub delta: Option<WireMessageOut>,
    pub finish_reason: Option<String>,
    pub native_finish_reason: Option<String>,
    pub error: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(super) struct WireMessageOut {
    /// A string, null with tool calls, or (on a few servers) an array of text parts.
    #[serde(default)]
    pub content: Value,
    /// OpenAI's structured-output refusal, sent instead of content.
    pub refusal: Option<String>,
}

impl WireMessageOut {
    pub fn text(&self) -> String {
        match &self.content {
            Value::String(text) => text.clone(),
            Value::Array(parts) => parts
                .iter()
                .filter_map(|part| part.get("text").and_then(Value::as_str))
                .collect(),
            _ => String::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct WireUsage {
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub total_tokens: Option<u64>,
    pub cost: Option<f64>,
}

impl From<WireUsage> for Usage {
    fn from(usage: WireUsage) -> Self {
        let prompt_tokens = usage.prompt_tokens.unwrap_or(0);
        let completion_tokens = usage.completion_tokens.unwrap_or(0);
        Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: usage
                .total_tokens
                .unwrap_or(prompt_tokens + completion_tokens),
            cost: usage.cost,
        }
    }
}

/// Parses a response or chunk body, reporting anything else (an HTML page from a proxy, a
/// truncated body) as malformed.
pub(super) fn parse_body(body: &str) -> Result<WireResponse, LlmError> {
    serde_json::from_str(body).map_err(|err| LlmError::Malformed {
        detail: format!(
            "not a chat completion ({err}); body starts with {:?}",
            truncate(body.trim_start())
                .chars()
                .take(80)
                .collect::<String>()
        ),
    })
}

/// A provider error carried by a 200 body, chunk or choice (B5, B8).
pub(super) fn error_in(response: &WireResponse) -> Option<Failure> {
    if let Some(error) = &response.error {
        return Some(embedded_error(error).into_failure());
    }
    let choice = response.choices.first()?;
    if let Some(error) = &choice.error {
        return Some(embedded_error(error).into_failure());
    }
    if choice.finish_reason.as_deref() == Some("error") {
        let native = choice.native_finish_reason.as_deref().unwrap_or("unknown");
        return Some(Failure::fatal(LlmError::Provider {
            code: None,
            message: format!("generation failed (native finish reason {native})"),
        }));
    }
    None
}

/// An empty completion: OpenRouter's cold starts (B5), worth another attempt.
pub(super) fn empty_content() -> Failure {
    Failure::transient(LlmError::Malformed {
        detail: "empty content".to_owned(),
    })
}

/// Turns a 200 body into the response, or into the failure it really is.
/// `header_id` is the `X-Generation-Id` header, preferred over the body's `id`.
pub(super) fn parse_completion(
    body: &str,
    header_id: Option<String>,
) -> Result<ChatResponse, Failure> {
    let response = parse_body(body).map_err(Failure::fatal)?;
    if let Some(failure) = error_in(&response) {
        return Err(failure);
    }
    let Some(choice) = response.choices.into_iter().next() else {
        return Err(Failure::fatal(LlmError::Malformed {
            detail: "no choices".to_owned(),
        }));
    };
    let message = choice.message.ok_or_else(|| {
        Failure::fatal(LlmError::Malformed {
            detail: "choice without message".to_owned(),
        })
    })?;
    let content = message.text();
    if content.trim().is_empty() {
        if let Some(refusal) = message.refusal.filter(|r| !r.is_empty()) {
            return Err(Failure::fatal(LlmError::Provider {
                code: Some("refusal".to_owned()),
                message: truncate(&refusal),
            }));
        }
        return Err(empty_content());
    }
    Ok(ChatResponse {
        content,
        finish_reason: choice.finish_reason,
        usage: response.usage.map(Usage::from),
        model: response.model.unwrap_or_default(),
        generation_id: header_id.or(response.id),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::llm::types::{ChatMessage, JsonSchema};

    #[test]
    fn request_shape() {
        let req = ChatRequest::new(
            "openai/gpt-5-mini",
            vec![ChatMessage::system("be brief"), ChatMessage::user("hi")],
        )
        .with_temperature(0.3)
        .with_response_format(ResponseFormat::JsonSchema(JsonSchema {
            name: "reply".into(),
            strict: true,
            schema: json!({"type": "object"}),
        }));
        let value = serde_json::to_value(WireRequest::new(&req, false, true)).unwrap();
        assert_eq!(
            value,
            json!({
                "model": "openai/gpt-5-mini",
                "messages": [
                    {"role": "system", "content": "be brief"},
                    {"role": "user", "content": "hi"}
                ],
                "temperature": 0.3,
                "response_format": {"type": "json_schema", "json_schema":
                    {"name": "reply", "strict": true, "schema": {"type": "object"}}},
                "provider": {"require_parameters": true}
            })
        );
        let plain = ChatRequest::new("m", vec![ChatMessage::user("hi")])
            .with_response_format(ResponseFormat::JsonObject);
        let value = serde_json::to_value(WireRequest::new(&plain, true, true)).unwrap();
        assert_eq!(
            value,
            json!({
                "model": "m",
                "messages": [{"role": "user", "content": "hi"}],
                "response_format": {"type": "json_object"},
                "stream": true,
                "stream_options": {"include_usage": true}
            })
        );
    }

    #[test]
    fn content_parts_refusals_and_choice_errors() {
        let parts = r#"{"choices":[{"message":{"content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}}]}"#;
        assert_eq!(parse_completion(parts, None).unwrap().content, "ab");

        let refusal = r#"{"choices":[{"message":{"content":null,"refusal":"no"}}]}"#;
        let failure = parse_completion(refusal, None).unwrap_err();
        assert!(matches!(failure.error, LlmError::Provider { .. }));
        assert!(!failure.retryable);

        let finish_error = r#"{"choices":[{"message":{"content":"x"},"finish_reason":"error"}]}"#;
        assert!(matches!(
            parse_completion(finish_error, None).unwrap_err().error,
            LlmError::Provider { code: None, .. }
        ));

        let empty = r#"{"choices":[{"message":{"content":"  "}}]}"#;
        assert!(parse_completion(empty, None).unwrap_err().retryable);
    }
}
