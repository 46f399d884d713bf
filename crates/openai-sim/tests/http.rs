//! The simulator over real HTTP, as a client sees it: scripts in order, its own refusals, faults,
//! streams, uploads and the request log.

use std::time::{Duration, Instant};

use openai_sim::{Dialect, Endpoint, OpenAiSim, Reply, SSE_DONE, SimConfig, sse_event};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const KEY: &str = "sk-test-0123456789";

async fn sim(dialect: Dialect) -> OpenAiSim {
    OpenAiSim::spawn(SimConfig {
        api_key: Some(KEY.into()),
        dialect,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

fn chat_body() -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Где мой заказ?"}]})
}

async fn chat(
    sim: &OpenAiSim,
    key: Option<&str>,
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/chat/completions", sim.base_url()))
        .json(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

#[tokio::test]
async fn replies_come_in_script_order_then_the_script_runs_out() {
    let sim = sim(Dialect::OpenAi).await;
    sim.script(
        Endpoint::ChatCompletions,
        [
            Reply::json(json!({"n": 1})).with_header("x-generation-id", "gen-1"),
            Reply::json(json!({"n": 2})),
        ],
    );
    let (status, headers, body) = chat(&sim, Some(KEY), &chat_body()).await;
    assert_eq!((status, &body), (200, &json!({"n": 1})));
    assert_eq!(headers["x-generation-id"], "gen-1");
    assert_eq!(chat(&sim, Some(KEY), &chat_body()).await.2, json!({"n": 2}));
    let (status, _, body) = chat(&sim, Some(KEY), &chat_body()).await;
    assert_eq!(status, 500);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no reply left"),
        "{body}"
    );

    let log = sim.requests_to(Endpoint::ChatCompletions);
    assert_eq!(log.len(), 3);
    assert_eq!(log[0].json, chat_body());
    assert_eq!(
        log[0].header("Authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        [200, 200, 500]
    );
    assert!(sim.requests_to(Endpoint::Speech).is_empty());
}

#[tokio::test]
async fn refusals_consume_no_reply_and_use_the_dialects_shape() {
    let sim = sim(Dialect::OpenAi).await;
    sim.script(
        Endpoint::ChatCompletions,
        [Reply::json(json!({"ok": true}))],
    );

    let (status, _, body) = chat(&sim, None, &chat_body()).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "missing_api_key");
    let (status, _, body) = chat(&sim, Some("sk-wrong-key"), &chat_body()).await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Incorrect API key provided: sk-wrong-key."),
        "{body}"
    );
    let mut stray = chat_body();
    stray["surprise"] = json!(1);
    let (status, _, body) = chat(&sim, Some(KEY), &stray).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "Unrecognized request argument supplied: surprise"
    );
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(sim.replies_left(Endpoint::ChatCompletions), 1);
    assert_eq!(chat(&sim, Some(KEY), &chat_body()).await.0, 200);

    let sim = sim_openrouter().await;
    let (status, _, body) = chat(&sim, None, &chat_body()).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"error": {"code": 401, "message": "No auth credentials found",
                         "metadata": {"error_type": "authentication"}}})
    );
}

async fn sim_openrouter() -> OpenAiSim {
    let sim = sim(Dialect::OpenRouter).await;
    assert!(sim.base_url().ends_with("/api/v1"), "{}", sim.base_url());
    sim
}

#[tokio::test]
async fn the_api_lives_under_the_dialects_root_only() {
    let sim = sim(Dialect::OpenAi).await;
    let other_root = sim.base_url().replace("/v1", "/api/v1");
    let status = reqwest::Client::new()
        .post(format!("{other_root}/chat/completions"))
        .bearer_auth(KEY)
        .json(&chat_body())
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 404);
}

#[tokio::test]
async fn faults_status_retry_after_and_delay() {
    let sim = sim(Dialect::OpenRouter).await;
    sim.script(
        Endpoint::ChatCompletions,
        [
            Reply::rate_limited(7),
            Reply::error(503, "No instances available"),
            Reply::json(json!({"late": true})).delayed(Duration::from_millis(300)),
        ],
    );
    let (status, headers, body) = chat(&sim, Some(KEY), &chat_body()).await;
    assert_eq!(status, 429);
    assert_eq!(headers["retry-after"], "7");
    assert_eq!(body["error"]["code"], 429);
    assert_eq!(
        body["error"]["metadata"]["error_type"],
        "rate_limit_exceeded"
    );
    let (status, _, body) = chat(&sim, Some(KEY), &chat_body()).await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (503, Some("No instances available"))
    );
    let started = Instant::now();
    assert_eq!(
        chat(&sim, Some(KEY), &chat_body()).await.2,
        json!({"late": true})
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn streams_arrive_piece_by_piece_after_their_pauses() {
    let sim = sim(Dialect::OpenAi).await;
    let chunk = sse_event(&json!({"choices": [{"delta": {"content": "да"}}]}));
    sim.script(
        Endpoint::ChatCompletions,
        [Reply::sse_paced(vec![
            (Duration::ZERO, chunk.clone()),
            (Duration::from_millis(400), SSE_DONE.to_vec()),
        ])],
    );
    let mut body = chat_body();
    body["stream"] = json!(true);
    let mut response = reqwest::Client::new()
        .post(format!("{}/chat/completions", sim.base_url()))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let started = Instant::now();
    let first = response.chunk().await.unwrap().unwrap();
    assert_eq!(first.as_ref(), chunk.as_slice());
    assert!(started.elapsed() < Duration::from_millis(300));
    let second = response.chunk().await.unwrap().unwrap();
    assert_eq!(second.as_ref(), SSE_DONE);
    assert!(started.elapsed() >= Duration::from_millis(350));
}

#[tokio::test]
async fn uploads_are_parsed_and_logged_field_by_field() {
    let sim = sim(Dialect::OpenAi).await;
    sim.script(Endpoint::Transcriptions, [Reply::transcript(" Алло")]);
    let form = |file_name: &'static str| {
        Form::new()
            .part(
                "file",
                Part::bytes(b"RIFF....".to_vec())
                    .file_name(file_name)
                    .mime_str("audio/wav")
                    .unwrap(),
            )
            .text("model", "whisper-1")
            .text("language", "ru")
    };
    let url = format!("{}/audio/transcriptions", sim.base_url());
    let response = reqwest::Client::new()
        .post(&url)
        .bearer_auth(KEY)
        .multipart(form("utterance.wav"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"text": " Алло"})
    );
    let refused = reqwest::Client::new()
        .post(&url)
        .bearer_auth(KEY)
        .multipart(form("utterance.exe"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);

    let log = sim.requests_to(Endpoint::Transcriptions);
    assert_eq!(log.len(), 2);
    let file = &log[0].fields["file"];
    assert_eq!(file.file_name.as_deref(), Some("utterance.wav"));
    assert_eq!(file.content_type.as_deref(), Some("audio/wav"));
    assert_eq!(file.bytes, b"RIFF....");
    assert_eq!(log[0].fields["language"].text(), "ru");
    assert_eq!(log[1].status, 400);
}

async fn speak(sim: &OpenAiSim, format: Option<&str>) -> (u16, String, Vec<u8>) {
    let mut body = json!({"model": "tts-1", "input": "Алло", "voice": "alloy"});
    if let Some(format) = format {
        body["response_format"] = json!(format);
    }
    let response = reqwest::Client::new()
        .post(format!("{}/audio/speech", sim.base_url()))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test]
async fn speech_audio_comes_in_the_format_asked_for() {
    let sim = sim(Dialect::OpenAi).await;
    sim.script(
        Endpoint::Speech,
        [
            Reply::audio(vec![1, -2]),
            Reply::audio(vec![1, -2]),
            Reply::audio(vec![1, -2]),
        ],
    );
    let (status, content_type, bytes) = speak(&sim, Some("pcm")).await;
    assert_eq!((status, content_type.as_str()), (200, "audio/pcm"));
    assert_eq!(bytes, [1, 0, 0xfe, 0xff]);
    let (status, content_type, bytes) = speak(&sim, Some("wav")).await;
    assert_eq!((status, content_type.as_str()), (200, "audio/wav"));
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[44..], [1, 0, 0xfe, 0xff]);
    // OpenAI's default is mp3, which the simulator cannot render: it says so.
    let (status, _, bytes) = speak(&sim, None).await;
    assert_eq!(status, 500);
    assert!(String::from_utf8_lossy(&bytes).contains("wav or pcm only"));
}
