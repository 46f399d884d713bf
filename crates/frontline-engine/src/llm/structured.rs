//! Structured output: ask for JSON matching a schema, check it by deserialising into the
//! caller's type, and give the model one chance to repair its answer (OpenRouter reference
//! B2, B8): `json_schema` enforcement varies by provider, even with `strict`.
//!
//! Written against [`ChatModel`] rather than the HTTP client, so an offline model gets the
//! same repair behaviour.

use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::warn;

use super::ChatModel;
use super::error::{LlmError, truncate};
use super::types::{ChatMessage, ChatRequest, ChatResponse, JsonSchema, ResponseFormat};

/// The schema name used when the request does not bring its own.
const DEFAULT_SCHEMA_NAME: &str = "response";

pub(super) async fn chat_json<T, M>(
    model: &M,
    mut req: ChatRequest,
    schema: Value,
) -> Result<(T, ChatResponse), LlmError>
where
    T: DeserializeOwned,
    M: ChatModel + ?Sized,
{
    let name = match &req.response_format {
        Some(ResponseFormat::JsonSchema(existing)) => existing.name.clone(),
        _ => DEFAULT_SCHEMA_NAME.to_owned(),
    };
    req.response_format = Some(ResponseFormat::JsonSchema(JsonSchema {
        name,
        strict: true,
        schema,
    }));

    let first = model.chat(req.clone()).await?;
    let error = match parse::<T>(&first.content) {
        Ok(value) => return Ok((value, first)),
        Err(error) => error,
    };
    warn!(
        model = %first.model,
        generation_id = first.generation_id.as_deref().unwrap_or(""),
        error = %error,
        "llm returned json that does not fit, asking once more"
    );
    // The model sees its own answer and what is wrong with it; that repairs far more often
    // than asking the same question again.
    req.messages.push(ChatMessage::assistant(first.content));
    req.messages.push(ChatMessage::user(repair_prompt(&error)));

    let second = model.chat(req).await?;
    match parse::<T>(&second.content) {
        Ok(value) => Ok((value, second)),
        Err(error) => Err(LlmError::Malformed {
            detail: format!("json does not fit the schema after one repair: {error}"),
        }),
    }
}

/// The user message appended for the repair attempt.
pub(super) fn repair_prompt(error: &serde_json::Error) -> String {
    format!(
        "Your previous reply could not be used: {}. Reply again with only a JSON value that \
         matches the required schema, with no other text.",
        truncate(&error.to_string())
    )
}

fn parse<T: DeserializeOwned>(content: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str(strip_code_fence(content))
}

/// Models in `json_object` mode (or ignoring the schema) like to wrap JSON in a Markdown fence.
fn strip_code_fence(content: &str) -> &str {
    let trimmed = content.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    // Drop the info string (```json) up to the end of the first line.
    let rest = rest.split_once('\n').map_or("", |(_, body)| body);
    rest.trim_end().strip_suffix("```").unwrap_or(rest).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences() {
        for (input, expected) in [
            ("{\"a\":1}", "{\"a\":1}"),
            ("  {\"a\":1}\n", "{\"a\":1}"),
            ("```json\n{\"a\":1}\n```", "{\"a\":1}"),
            ("```\n{\"a\":1}```", "{\"a\":1}"),
        ] {
            assert_eq!(strip_code_fence(input), expected, "{input:?}");
        }
    }
}
