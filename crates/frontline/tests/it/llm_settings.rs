//! The language model's settings through the admin API, against a local server that speaks the
//! OpenAI wire format: the file's settings shown until an admin saves, «Проверить соединение»
//! telling a wrong key from a right one, the key sealed at rest and never returned, saved
//! settings used by the running bot at once and after a restart.

use std::time::Duration;

use openai_sim::{Endpoint, OpenAiSim, Reply, SimConfig};
use serde_json::{Value, json};

use crate::bot::engine_app_with;
use crate::helpers::eventually;

const KEY: &str = "sk-frontline-right-key-7Q2";
const WRONG: &str = "sk-frontline-wrong-key-9Z4";

fn settings(base_url: &str) -> Value {
    json!({
        "enabled": true,
        "base_url": base_url,
        "router_model": "test/router",
        "answer_model": "test/answer",
        "summary_model": "test/summary",
        "request_timeout_secs": 5,
        "task_timeout_secs": 10,
        "max_retries": 0,
        "router_trust": 0.8,
        "require_parameters": false
    })
}

fn ok_reply() -> Reply {
    Reply::json(json!({
        "id": "gen-1", "object": "chat.completion", "model": "test/router-v2",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ок"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}
    }))
}

#[tokio::test]
async fn llm_settings_are_checked_sealed_never_returned_and_used_at_once() {
    let sim = OpenAiSim::spawn(SimConfig {
        api_key: Some(KEY.into()),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let (app, _server, account, token) = engine_app_with(|c| c.llm.enabled = false).await;

    let (status, view) = app.get(&app.admin_token, "/api/v1/bot/llm").await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["source"], "file");
    assert_eq!(view["settings"]["enabled"], false);
    let operator = app.create_operator("olga", "operator").await;
    let (status, _) = app.get(&operator, "/api/v1/bot/llm").await;
    assert_eq!(status, 403);

    // A wrong key: the check says so, with the server's words and the key masked.
    let (status, check) = app
        .post(
            &app.admin_token,
            "/api/v1/bot/llm/check",
            json!({"settings": settings(sim.base_url()), "api_key": WRONG}),
        )
        .await;
    assert_eq!(status, 200, "{check}");
    assert_eq!(check["ok"], false, "{check}");
    assert_eq!(check["error_kind"], "auth", "{check}");
    assert!(!check.to_string().contains(WRONG), "{check}");

    // The right key, not saved yet.
    sim.script(Endpoint::ChatCompletions, [ok_reply()]);
    let (_, check) = app
        .post(
            &app.admin_token,
            "/api/v1/bot/llm/check",
            json!({"settings": settings(sim.base_url()), "api_key": KEY}),
        )
        .await;
    assert_eq!(check["ok"], true, "{check}");
    assert_eq!(check["model"], "test/router-v2", "{check}");
    let sent = sim.requests_to(Endpoint::ChatCompletions);
    assert_eq!(sent.last().unwrap().json["model"], "test/router");

    // Bad settings are refused at their field.
    let mut bad = settings(sim.base_url());
    bad["base_url"] = json!("ftp://example.org");
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            &app.admin_token,
            "/api/v1/bot/llm",
            json!({"settings": bad}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "settings.base_url", "{body}");

    // Saved: the key is kept sealed and never comes back.
    let (status, view) = app
        .send(
            reqwest::Method::PUT,
            &app.admin_token,
            "/api/v1/bot/llm",
            json!({"settings": settings(sim.base_url()), "api_key": KEY}),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["source"], "console");
    assert_eq!(view["has_api_key"], true);
    assert!(!view.to_string().contains(KEY), "{view}");
    if let Some(path) = app.database_url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap();
        for file in [path.to_owned(), format!("{path}-wal")] {
            if let Ok(bytes) = std::fs::read(&file) {
                let text = String::from_utf8_lossy(&bytes);
                assert!(!text.contains(KEY), "the key is in clear in {file}");
            }
        }
    }

    // The check without a key uses the saved one.
    sim.script(Endpoint::ChatCompletions, [ok_reply()]);
    let (_, check) = app
        .post(
            &app.admin_token,
            "/api/v1/bot/llm/check",
            json!({"settings": settings(sim.base_url())}),
        )
        .await;
    assert_eq!(check["ok"], true, "{check}");

    // The running bot uses the saved settings with the next message it is unsure about: it asks
    // the router.
    let before = sim.requests_to(Endpoint::ChatCompletions).len();
    app.inbound(
        account,
        &token,
        "llm-1",
        "llm-1-m1",
        "хм, а вот такой вопрос про ту штуку",
    )
    .await;
    let router_call = eventually(Duration::from_secs(20), || async {
        sim.requests_to(Endpoint::ChatCompletions)
            .into_iter()
            .skip(before)
            .find(|r| r.json["model"] == "test/router")
    })
    .await;
    let auth = router_call
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.clone());
    assert_eq!(auth.as_deref(), Some(format!("Bearer {KEY}").as_str()));

    // Clearing the key, then a restart: the saved settings stay in force.
    let (_, view) = app
        .send(
            reqwest::Method::PUT,
            &app.admin_token,
            "/api/v1/bot/llm",
            json!({"settings": settings(sim.base_url()), "clear_api_key": true}),
        )
        .await;
    assert_eq!(view["has_api_key"], false, "{view}");
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            &app.admin_token,
            "/api/v1/bot/llm",
            json!({"settings": settings(sim.base_url()), "api_key": KEY}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let app = app.restart().await;
    let (_, view) = app.get(&app.admin_token, "/api/v1/bot/llm").await;
    assert_eq!(view["source"], "console", "{view}");
    assert_eq!(view["has_api_key"], true, "{view}");
    assert_eq!(view["settings"]["router_model"], "test/router");
}
