//! [`LlmClient`] over real HTTP against `openai-sim` playing OpenRouter (reference B1–B5): it
//! checks requests the way the real one does (key, JSON shape, and here only the parameters this
//! client is meant to send), records them, and plays a script of replies, so each test states what
//! the server does and asserts what the client sent and returned. Our own functions are never
//! mocked.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use openai_sim::{Dialect, Endpoint, OpenAiSim, Reply, SSE_DONE, SimConfig, sse_event};
use serde::Deserialize;
use serde_json::{Value, json};

use super::*;

const KEY: &str = "sk-or-v1-0123456789abcdef-test-key";
const MODEL: &str = "openai/gpt-5-mini";

/// What this client may send; anything else is a stray field the server refuses, failing the test.
const SENT_PARAMETERS: [&str; 9] = [
    "model",
    "messages",
    "temperature",
    "max_tokens",
    "response_format",
    "user",
    "stream",
    "stream_options",
    "provider",
];

/// A stream whose pieces follow each other closely, each its own read, with the generation id
/// OpenRouter sends in a header.
fn sse(pieces: Vec<Vec<u8>>) -> Reply {
    Reply::sse(pieces).with_header("x-generation-id", "gen-header-stream")
}

/// A stream whose pieces come after the given pauses.
fn paced_sse(pieces: Vec<(Duration, Vec<u8>)>) -> Reply {
    Reply::sse_paced(pieces).with_header("x-generation-id", "gen-header-stream")
}

fn json_reply(status: u16, body: Value) -> Reply {
    Reply::json(body).with_status(status)
}

/// A completion exactly as OpenRouter sends it (B3).
fn completion_body(content: Value) -> Value {
    json!({
        "id": "gen-body-1", "object": "chat.completion", "created": 1711234567,
        "model": "openai/gpt-5-mini-2025-08-07", "provider": "OpenAI",
        "choices": [{"index": 0, "finish_reason": "stop", "native_finish_reason": "stop",
            "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 4, "total_tokens": 14,
            "prompt_tokens_details": {"cached_tokens": 0}, "completion_tokens_details":
            {"reasoning_tokens": 0}, "cost": 0.00014, "is_byok": false}
    })
}

fn completion(content: &str) -> Reply {
    json_reply(200, completion_body(json!(content))).with_header("x-generation-id", "gen-header-1")
}

/// OpenRouter's error body (B5) with that status.
fn or_error(status: u16, message: &str) -> Reply {
    Reply::error(status, message)
}

/// One SSE event carrying a chunk (B4).
fn sse_chunk(delta: Value, finish_reason: Value) -> Vec<u8> {
    sse_event(&json!({
        "id": "gen-stream-1", "object": "chat.completion.chunk", "created": 1711234567,
        "model": MODEL, "provider": "OpenAI",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
    }))
}

struct Server {
    sim: OpenAiSim,
}

impl Server {
    async fn start(replies: Vec<Reply>) -> Self {
        let sim = OpenAiSim::spawn(SimConfig {
            api_key: Some(KEY.into()),
            dialect: Dialect::OpenRouter,
            chat_parameters: SENT_PARAMETERS.iter().map(|p| (*p).to_owned()).collect(),
        })
        .await
        .unwrap();
        sim.script(Endpoint::ChatCompletions, replies);
        Self { sim }
    }

    fn settings(&self) -> LlmSettings {
        LlmSettings {
            base_url: self.sim.base_url().to_owned(),
            app_url: Some("https://frontline.example".into()),
            app_title: Some("Frontline tests".into()),
            timeout: Duration::from_secs(2),
            max_retries: 2,
            max_retry_after: Duration::from_secs(5),
            backoff_base: Duration::from_millis(20),
            ..LlmSettings::new(KEY)
        }
    }

    fn client(&self) -> LlmClient {
        LlmClient::new(self.settings()).unwrap()
    }

    fn requests(&self) -> Vec<openai_sim::Request> {
        self.sim.requests_to(Endpoint::ChatCompletions)
    }
}

fn ask() -> ChatRequest {
    ChatRequest::new(
        MODEL,
        vec![
            ChatMessage::system("Ты оператор поддержки."),
            ChatMessage::user("Где мой заказ?"),
        ],
    )
}

#[tokio::test]
async fn completion_with_usage_and_generation_id() {
    let mut without_header = completion_body(json!("второй"));
    without_header["id"] = json!("gen-body-2");
    let server = Server::start(vec![
        completion("Заказ в пути."),
        json_reply(200, without_header),
    ])
    .await;
    let client = server.client();

    let req = ask()
        .with_temperature(0.3)
        .with_max_tokens(200)
        .with_user("avito-chat-42");
    let response = client.chat(req).await.unwrap();
    assert_eq!(response.content, "Заказ в пути.");
    assert_eq!(response.finish_reason.as_deref(), Some("stop"));
    assert_eq!(response.model, "openai/gpt-5-mini-2025-08-07");
    assert_eq!(response.generation_id.as_deref(), Some("gen-header-1"));
    assert_eq!(
        response.usage,
        Some(Usage {
            prompt_tokens: 10,
            completion_tokens: 4,
            total_tokens: 14,
            cost: Some(0.00014),
        })
    );

    let seen = &server.requests()[0];
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(
        seen.header("http-referer"),
        Some("https://frontline.example")
    );
    assert_eq!(seen.header("x-openrouter-title"), Some("Frontline tests"));
    assert_eq!(
        seen.json,
        json!({
            "model": MODEL,
            "messages": [
                {"role": "system", "content": "Ты оператор поддержки."},
                {"role": "user", "content": "Где мой заказ?"}
            ],
            "temperature": 0.3,
            "max_tokens": 200,
            "user": "avito-chat-42"
        })
    );

    // Without the header, the body's id identifies the generation.
    let response = client.chat(ask()).await.unwrap();
    assert_eq!(response.generation_id.as_deref(), Some("gen-body-2"));
}

#[derive(Debug, Deserialize, PartialEq)]
struct Route {
    intent: String,
    confidence: f64,
}

fn route_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"intent": {"type": "string"}, "confidence": {"type": "number"}},
        "required": ["intent", "confidence"],
        "additionalProperties": false
    })
}

#[tokio::test]
async fn json_schema_output_is_parsed() {
    let server = Server::start(vec![completion(
        r#"{"intent":"order_status","confidence":0.92}"#,
    )])
    .await;
    // Through the object-safe trait, as the engine will hold it.
    let model: Arc<dyn ChatModel> = Arc::new(server.client());

    let (route, response): (Route, _) = model.chat_json(ask(), route_schema()).await.unwrap();
    assert_eq!(
        route,
        Route {
            intent: "order_status".into(),
            confidence: 0.92
        }
    );
    assert_eq!(response.generation_id.as_deref(), Some("gen-header-1"));

    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].json["response_format"],
        json!({"type": "json_schema",
               "json_schema": {"name": "response", "strict": true, "schema": route_schema()}})
    );
    assert_eq!(
        seen[0].json["provider"],
        json!({"require_parameters": true})
    );
}

#[tokio::test]
async fn invalid_json_is_repaired_once() {
    let server = Server::start(vec![
        completion(r#"{"intent":"order_status""#),
        completion("```json\n{\"intent\":\"order_status\",\"confidence\":0.8}\n```"),
    ])
    .await;
    let client = server.client();

    let (route, _): (Route, _) = client.chat_json(ask(), route_schema()).await.unwrap();
    assert_eq!(route.confidence, 0.8);

    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    let first = seen[0].json["messages"].as_array().unwrap();
    let retry = seen[1].json["messages"].as_array().unwrap();
    assert_eq!(retry.len(), first.len() + 2);
    assert_eq!(&retry[..first.len()], &first[..]);
    assert_eq!(
        retry[first.len()],
        json!({"role": "assistant", "content": r#"{"intent":"order_status""#})
    );
    let repair = &retry[first.len() + 1];
    assert_eq!(repair["role"], "user");
    let text = repair["content"].as_str().unwrap();
    assert!(text.starts_with("Your previous reply could not be used: EOF while parsing"));
    assert!(text.contains("matches the required schema"));
    // The retry is still a schema request.
    assert_eq!(
        seen[1].json["response_format"],
        seen[0].json["response_format"]
    );
}

#[tokio::test]
async fn invalid_json_twice_is_malformed() {
    let server = Server::start(vec![
        completion("Конечно! Вот ответ."),
        completion(r#"{"intent":"order_status"}"#),
    ])
    .await;

    let err = server
        .client()
        .chat_json::<Route>(ask(), route_schema())
        .await
        .unwrap_err();
    let LlmError::Malformed { detail } = err else {
        panic!("{err:?}")
    };
    assert!(detail.contains("missing field `confidence`"), "{detail}");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after() {
    let server = Server::start(vec![
        or_error(429, "Rate limit exceeded").with_header("retry-after", "1"),
        completion("ok"),
    ])
    .await;

    let started = Instant::now();
    let response = server.client().chat(ask()).await.unwrap();
    assert_eq!(response.content, "ok");
    let seen = server.requests();
    assert_eq!(seen.len(), 2);
    let waited = seen[1].at - seen[0].at;
    assert!(waited >= Duration::from_millis(950), "{waited:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn retry_after_beyond_the_cap_gives_up_at_once() {
    let server = Server::start(vec![
        or_error(429, "Rate limit exceeded").with_header("retry-after", "60"),
        completion("never asked for"),
    ])
    .await;

    let started = Instant::now();
    let err = server.client().chat(ask()).await.unwrap_err();
    assert_eq!(
        err,
        LlmError::RateLimited {
            retry_after: Some(Duration::from_secs(60))
        }
    );
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn unavailable_is_retried_with_backoff() {
    let server = Server::start(vec![
        or_error(503, "No instances available"),
        Reply::raw(
            503,
            "text/html",
            "<html><body>503 Service Unavailable</body></html>",
        ),
        completion("ok"),
    ])
    .await;

    let response = server.client().chat(ask()).await.unwrap();
    assert_eq!(response.content, "ok");
    assert_eq!(server.requests().len(), 3);

    // Retries are bounded: with nothing but 503s the third failure is final.
    let server = Server::start(vec![
        or_error(503, "a"),
        or_error(503, "b"),
        or_error(503, "No instances available"),
    ])
    .await;
    let err = server.client().chat(ask()).await.unwrap_err();
    assert_eq!(
        err,
        LlmError::Unavailable {
            status: 503,
            message: "No instances available".into()
        }
    );
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn auth_failure_is_final_and_never_shows_the_key() {
    // Servers echo the key they got (OpenAI: "Incorrect API key provided: sk-…").
    let server = Server::start(vec![or_error(
        401,
        &format!("Incorrect API key provided: {KEY}."),
    )])
    .await;
    let client = server.client();

    let err = client.chat(ask()).await.unwrap_err();
    assert_eq!(
        err,
        LlmError::Auth {
            status: 401,
            message: "Incorrect API key provided: ***.".into()
        }
    );
    assert_eq!(server.requests().len(), 1);

    for shown in [
        format!("{client:?}"),
        format!("{err:?}"),
        err.to_string(),
        format!("{:?}", client.settings()),
    ] {
        assert!(!shown.contains(KEY), "{shown}");
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
    }
    assert!(format!("{client:?}").contains("***"));

    // A wrong key is refused by the server itself, also without a retry.
    let server = Server::start(vec![]).await;
    let client = LlmClient::new(LlmSettings {
        api_key: Secret::new("sk-or-v1-wrong"),
        ..server.settings()
    })
    .unwrap();
    assert!(matches!(
        client.chat(ask()).await,
        Err(LlmError::Auth { status: 401, .. })
    ));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn slow_server_times_out() {
    let server = Server::start(vec![
        completion("too late").delayed(Duration::from_secs(3)),
        completion("too late").delayed(Duration::from_secs(3)),
    ])
    .await;
    let client = LlmClient::new(LlmSettings {
        timeout: Duration::from_millis(300),
        max_retries: 1,
        ..server.settings()
    })
    .unwrap();

    let started = Instant::now();
    let err = client.chat(ask()).await.unwrap_err();
    assert_eq!(err, LlmError::Timeout);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn html_body_is_malformed() {
    let server = Server::start(vec![Reply::raw(
        200,
        "text/html",
        "<!DOCTYPE html><html><body>Captive portal</body></html>",
    )])
    .await;

    let err = server.client().chat(ask()).await.unwrap_err();
    let LlmError::Malformed { detail } = err else {
        panic!("{err:?}")
    };
    assert!(detail.contains("<!DOCTYPE html>"), "{detail}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn error_inside_a_200_is_a_provider_error() {
    let server = Server::start(vec![json_reply(
        200,
        json!({"error": {"code": 400, "message": "Provider returned error",
                         "metadata": {"raw": "context_length_exceeded", "provider_name": "OpenAI"}}}),
    )])
    .await;

    let err = server.client().chat(ask()).await.unwrap_err();
    assert_eq!(
        err,
        LlmError::Provider {
            code: Some("400".into()),
            message: "Provider returned error: context_length_exceeded".into()
        }
    );
    assert_eq!(server.requests().len(), 1);

    // A choice-level error with a transient code (upstream down) is worth another attempt,
    // which OpenRouter may route elsewhere.
    let mut failed_choice = completion_body(json!(""));
    failed_choice["choices"][0]["finish_reason"] = json!("error");
    failed_choice["choices"][0]["error"] = json!({"code": 502, "message": "Upstream error"});
    let server = Server::start(vec![json_reply(200, failed_choice), completion("ok")]).await;
    assert_eq!(server.client().chat(ask()).await.unwrap().content, "ok");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn empty_content_is_retried() {
    let server = Server::start(vec![
        completion(""),
        json_reply(200, completion_body(Value::Null)),
        completion("ok"),
    ])
    .await;

    assert_eq!(server.client().chat(ask()).await.unwrap().content, "ok");
    assert_eq!(server.requests().len(), 3);

    let server = Server::start(vec![completion(""), completion(" "), completion("")]).await;
    let err = server.client().chat(ask()).await.unwrap_err();
    assert!(matches!(err, LlmError::Malformed { .. }), "{err:?}");
    assert_eq!(server.requests().len(), 3);
}

async fn collect(stream: ChatStream) -> Vec<Result<StreamEvent, LlmError>> {
    stream.collect().await
}

#[tokio::test]
async fn stream_assembles_content_and_usage() {
    let first = sse_chunk(
        json!({"role": "assistant", "content": "Заказ "}),
        Value::Null,
    );
    // A line cut in the middle, even inside a Cyrillic letter, must be glued back.
    let second = sse_chunk(json!({"content": "в пути."}), Value::Null);
    let cut = second
        .windows(8)
        .position(|w| w == "пути".as_bytes())
        .unwrap()
        + 1;
    let usage = json!({"id": "gen-stream-1", "object": "chat.completion.chunk", "model": MODEL,
        "choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3,
        "total_tokens": 15, "cost": 0.0002}});
    let server = Server::start(vec![sse(vec![
        b": OPENROUTER PROCESSING\n\n".to_vec(),
        first,
        b": OPENROUTER PROCESSING\n\n".to_vec(),
        second[..cut].to_vec(),
        second[cut..].to_vec(),
        sse_chunk(json!({"content": ""}), json!("stop")),
        sse_event(&usage),
        SSE_DONE.to_vec(),
    ])])
    .await;

    let stream = server.client().chat_stream(ask()).await.unwrap();
    let events = collect(stream).await;
    let deltas: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Ok(StreamEvent::Delta(text)) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas.concat(), "Заказ в пути.");
    let Some(Ok(StreamEvent::Done(done))) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(done.content, "Заказ в пути.");
    assert_eq!(done.finish_reason.as_deref(), Some("stop"));
    assert_eq!(done.model, MODEL);
    assert_eq!(done.generation_id.as_deref(), Some("gen-header-stream"));
    assert_eq!(
        done.usage,
        Some(Usage {
            prompt_tokens: 12,
            completion_tokens: 3,
            total_tokens: 15,
            cost: Some(0.0002)
        })
    );

    let seen = server.requests();
    assert_eq!(seen[0].json["stream"], json!(true));
    assert_eq!(
        seen[0].json["stream_options"],
        json!({"include_usage": true})
    );
}

#[tokio::test]
async fn mid_stream_error_ends_the_stream_after_the_partial_text() {
    let error = json!({"id": "gen-abc123", "object": "chat.completion.chunk",
        "created": 1234567890, "model": MODEL, "provider": "OpenAI",
        "error": {"code": 429, "message": "Rate limit exceeded",
                  "metadata": {"error_type": "rate_limit_exceeded"}},
        "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}]});
    let server = Server::start(vec![sse(vec![
        sse_chunk(
            json!({"role": "assistant", "content": "Заказ"}),
            Value::Null,
        ),
        sse_event(&error),
    ])])
    .await;

    let events = collect(server.client().chat_stream(ask()).await.unwrap()).await;
    assert_eq!(
        events,
        vec![
            Ok(StreamEvent::Delta("Заказ".into())),
            Err(LlmError::Provider {
                code: Some("429".into()),
                message: "Rate limit exceeded".into()
            }),
        ]
    );
}

#[tokio::test]
async fn stream_errors_before_the_start_are_not_retried() {
    let server = Server::start(vec![
        or_error(429, "Rate limit exceeded").with_header("retry-after", "1"),
        completion("never asked for"),
    ])
    .await;

    let Err(err) = server.client().chat_stream(ask()).await else {
        panic!("stream started")
    };
    assert_eq!(
        err,
        LlmError::RateLimited {
            retry_after: Some(Duration::from_secs(1))
        }
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn unreachable_server_is_a_network_error() {
    // Bind and drop to get a port nobody listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = LlmClient::new(LlmSettings {
        base_url: format!("http://127.0.0.1:{port}/v1"),
        max_retries: 1,
        backoff_base: Duration::from_millis(10),
        ..LlmSettings::new(KEY)
    })
    .unwrap();
    let err = client.chat(ask()).await.unwrap_err();
    assert!(matches!(err, LlmError::Network(_)), "{err:?}");
    assert!(!format!("{err:?}").contains(KEY));
}

#[tokio::test]
async fn stream_silence_times_out_but_keep_alives_do_not() {
    let keep_alive = || {
        (
            Duration::from_millis(150),
            b": OPENROUTER PROCESSING\n\n".to_vec(),
        )
    };
    let server = Server::start(vec![
        // Silent for longer than the timeout after the first fragment.
        paced_sse(vec![
            (
                Duration::ZERO,
                sse_chunk(json!({"content": "Заказ"}), Value::Null),
            ),
            (Duration::from_secs(2), SSE_DONE.to_vec()),
        ]),
        // Slower than the timeout overall, but never silent for that long.
        paced_sse(vec![
            keep_alive(),
            keep_alive(),
            keep_alive(),
            (
                Duration::ZERO,
                sse_chunk(json!({"content": "ok"}), json!("stop")),
            ),
            keep_alive(),
            (Duration::ZERO, SSE_DONE.to_vec()),
        ]),
    ])
    .await;
    let client = LlmClient::new(LlmSettings {
        timeout: Duration::from_millis(300),
        ..server.settings()
    })
    .unwrap();

    let started = Instant::now();
    let events = collect(client.chat_stream(ask()).await.unwrap()).await;
    assert_eq!(
        events,
        vec![
            Ok(StreamEvent::Delta("Заказ".into())),
            Err(LlmError::Timeout)
        ]
    );
    assert!(started.elapsed() < Duration::from_secs(1));

    let events = collect(client.chat_stream(ask()).await.unwrap()).await;
    assert!(
        matches!(events.last(), Some(Ok(StreamEvent::Done(done))) if done.content == "ok"),
        "{events:?}"
    );
}
