//! `POST /chat/completions` (B2–B4): the checks the real servers make on a request, and the SSE
//! framing helpers scripts build streams with.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use crate::log::Request;
use crate::reply::Reply;
use crate::server::{Shared, header_list, is_json};
use crate::{Endpoint, SimConfig};

/// Every chat parameter OpenAI or OpenRouter document (B2), the default of
/// [`SimConfig::chat_parameters`].
pub const CHAT_PARAMETERS: &[&str] = &[
    "model",
    "messages",
    "temperature",
    "max_tokens",
    "max_completion_tokens",
    "response_format",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "stream",
    "stream_options",
    "user",
    "reasoning",
    "stop",
    "seed",
    "top_p",
    "top_k",
    "frequency_penalty",
    "presence_penalty",
    "repetition_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "min_p",
    "top_a",
    "prediction",
    "n",
    "models",
    "route",
    "provider",
    "plugins",
    "session_id",
    "metadata",
    "service_tier",
    "modalities",
    "debug",
];

/// The line that ends a stream (B4).
pub const SSE_DONE: &[u8] = b"data: [DONE]\n\n";

/// One SSE event carrying `data` as JSON (B4): `data: {…}` and the blank line.
pub fn sse_event(data: &Value) -> Vec<u8> {
    format!("data: {data}\n\n").into_bytes()
}

pub(crate) async fn completions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let reply = shared
        .check_key(&headers)
        .and_then(|()| {
            if is_json(&headers) {
                Ok(())
            } else {
                Err(Reply::error(400, "Content-Type must be application/json"))
            }
        })
        .and_then(|()| {
            validate(&json, &shared.config)
                .map_err(|m| Reply::error(400, &m).with_code("invalid_request"))
        })
        .map_or_else(
            |refusal| refusal,
            |()| shared.next_reply(Endpoint::ChatCompletions),
        );
    shared.log(Request {
        endpoint: Endpoint::ChatCompletions,
        at,
        headers: header_list(&headers),
        json,
        fields: BTreeMap::new(),
        status: reply.status(),
    });
    reply.render(shared.config.dialect, None).await
}

/// The checks on a chat request, strict about parameters as api.openai.com is.
fn validate(body: &Value, config: &SimConfig) -> Result<(), String> {
    let object = body.as_object().ok_or("body is not a JSON object")?;
    if let Some(key) = object
        .keys()
        .find(|k| !config.chat_parameters.iter().any(|p| p == *k))
    {
        return Err(format!("Unrecognized request argument supplied: {key}"));
    }
    let messages = object
        .get("messages")
        .and_then(Value::as_array)
        .filter(|m| !m.is_empty())
        .ok_or("messages must be a non-empty array")?;
    for message in messages {
        check_message(message)?;
    }
    let temperature_ok = object
        .get("temperature")
        .is_none_or(|t| t.as_f64().is_some_and(|t| (0.0..=2.0).contains(&t)));
    if !temperature_ok {
        return Err("temperature must be in [0, 2]".into());
    }
    for limit in ["max_tokens", "max_completion_tokens"] {
        let ok = object
            .get(limit)
            .is_none_or(|n| n.as_u64().is_some_and(|n| n >= 1));
        if !ok {
            return Err(format!("{limit} must be a positive integer"));
        }
    }
    if let Some(stream) = object.get("stream")
        && !stream.is_boolean()
    {
        return Err("stream must be a boolean".into());
    }
    if let Some(format) = object.get("response_format") {
        match format.get("type").and_then(Value::as_str) {
            Some("text" | "json_object") => {}
            Some("json_schema") => {
                let schema = format.get("json_schema").ok_or("json_schema missing")?;
                if !schema.get("name").is_some_and(Value::is_string)
                    || !schema.get("schema").is_some_and(Value::is_object)
                {
                    return Err("json_schema needs name and schema".into());
                }
            }
            _ => {
                return Err("response_format.type must be text, json_object or json_schema".into());
            }
        }
    }
    Ok(())
}

/// A message of the documented roles (B2): content a string or an array of parts; only an
/// assistant message with tool calls may go without content, and a tool message names its call.
fn check_message(message: &Value) -> Result<(), String> {
    let role = message.get("role").and_then(Value::as_str);
    if !matches!(
        role,
        Some("system" | "developer" | "user" | "assistant" | "tool")
    ) {
        return Err(format!("bad role in {message}"));
    }
    let content = message.get("content").unwrap_or(&Value::Null);
    let content_ok = match content {
        Value::String(_) => true,
        Value::Array(parts) => parts
            .iter()
            .all(|p| p.get("type").is_some_and(Value::is_string)),
        Value::Null => role == Some("assistant") && message.get("tool_calls").is_some(),
        _ => false,
    };
    if !content_ok {
        return Err(format!(
            "content must be a string or an array of parts in {message}"
        ));
    }
    if role == Some("tool") && !message.get("tool_call_id").is_some_and(Value::is_string) {
        return Err(format!("a tool message needs its tool_call_id: {message}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(body: Value, expected: Result<(), &str>) {
        assert_eq!(
            validate(&body, &SimConfig::default()),
            expected.map_err(str::to_owned),
            "{body}"
        );
    }

    #[test]
    fn requests_are_checked_like_the_real_api() {
        let user = json!({"role": "user", "content": "hi"});
        check(json!({"model": "m", "messages": [user]}), Ok(()));
        check(
            json!({"model": "m", "messages": [user], "surprise": 1}),
            Err("Unrecognized request argument supplied: surprise"),
        );
        check(
            json!({"model": "m", "messages": []}),
            Err("messages must be a non-empty array"),
        );
        check(
            json!({"messages": [user], "temperature": 2.5}),
            Err("temperature must be in [0, 2]"),
        );
        check(
            json!({"messages": [user], "max_tokens": 0}),
            Err("max_tokens must be a positive integer"),
        );
        check(
            json!({"messages": [user], "response_format": {"type": "json_schema", "json_schema": {"name": "r"}}}),
            Err("json_schema needs name and schema"),
        );
        check(json!([user]), Err("body is not a JSON object"));
        // Tool calls: an assistant without content, then the tool's answer naming its call.
        check(
            json!({"messages": [user,
                {"role": "assistant", "content": null, "tool_calls": [{"id": "c1"}]},
                {"role": "tool", "tool_call_id": "c1", "content": "{}"}]}),
            Ok(()),
        );
        assert!(
            validate(
                &json!({"messages": [{"role": "tool", "content": "x"}]}),
                &SimConfig::default()
            )
            .is_err()
        );
        assert!(
            validate(
                &json!({"messages": [{"role": "robot", "content": "x"}]}),
                &SimConfig::default()
            )
            .is_err()
        );
    }

    #[test]
    fn a_narrowed_parameter_list_refuses_the_rest() {
        let config = SimConfig {
            chat_parameters: vec!["model".into(), "messages".into()],
            ..SimConfig::default()
        };
        let body =
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "seed": 1});
        assert_eq!(
            validate(&body, &config),
            Err("Unrecognized request argument supplied: seed".to_owned())
        );
    }

    #[test]
    fn sse_events_are_data_lines() {
        assert_eq!(sse_event(&json!({"a": 1})), b"data: {\"a\":1}\n\n");
    }
}
