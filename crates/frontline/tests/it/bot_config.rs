//! The bot's configuration edited through the admin API: seeded as version 1, a draft saved with
//! its problems and refused at publishing with each problem's field, a published threshold that
//! changes what the running bot does with the next message (trained in the background, swapped
//! in without a restart), rollback, export, and the figures measured after publishing.

use std::time::Duration;

use serde_json::{Value, json};

use crate::bot::{decisions, engine_app_with, wait_replies};
use crate::helpers::{TestApp, eventually};

const WAIT: Duration = Duration::from_secs(30);

/// A paraphrase of a payment question with none of the demo shop's trigger phrases: the classifier
/// alone decides it.
const QUESTION: &str = "а наличными при получении у вас можно расплатиться?";

async fn running(app: &TestApp) -> i64 {
    let (status, body) = app.get(&app.admin_token, "/api/v1/bot/config").await;
    assert_eq!(status, 200, "{body}");
    body["running"].as_i64().unwrap()
}

async fn wait_running(app: &TestApp, version: i64) {
    eventually(WAIT, || async {
        (running(app).await == version).then_some(())
    })
    .await
}

/// The bot's first decision in a new chat asking [`QUESTION`], and that chat's conversation.
async fn ask(
    app: &TestApp,
    server: &crate::helpers::CallbackServer,
    account: i64,
    token: &str,
    chat: &str,
) -> Value {
    let (status, body) = app
        .inbound(account, token, chat, &format!("{chat}-1"), QUESTION)
        .await;
    assert_eq!(status, 202, "{body}");
    let conv = body["conversation_id"].as_i64().unwrap();
    wait_replies(server, chat, 1).await;
    decisions(app, conv, 1).await.remove(0)
}

async fn put_draft(app: &TestApp, body: Value) -> (u16, Value) {
    app.send(
        reqwest::Method::PUT,
        &app.admin_token,
        "/api/v1/bot/config/draft",
        body,
    )
    .await
}

#[tokio::test]
async fn a_published_threshold_changes_the_next_answer_without_a_restart_and_rolls_back() {
    let (app, server, account, token) = engine_app_with(|_| {}).await;

    // The demo shop's configuration is version 1; its figures follow in the background.
    let (status, state) = app.get(&app.admin_token, "/api/v1/bot/config").await;
    assert_eq!(status, 200, "{state}");
    assert_eq!(state["running"], 1, "{state}");
    assert_eq!(state["latest"]["note"], "Демо-магазин", "{state}");
    assert!(state["draft"].is_null(), "{state}");
    let v1 = eventually(WAIT, || async {
        let (_, v) = app
            .get(&app.admin_token, "/api/v1/bot/config/versions/1")
            .await;
        (!v["report"].is_null()).then_some(v)
    })
    .await;
    let report = &v1["report"];
    let accuracy = report["accuracy"].as_f64().unwrap();
    assert!(accuracy > 0.5 && accuracy <= 1.0, "{report}");
    assert_eq!(report["curve"].as_array().unwrap().len(), 21, "{report}");
    assert!(report["chosen"]["coverage"].as_f64().is_some(), "{report}");
    assert_eq!(
        report["intents"].as_array().unwrap().len(),
        v1["document"]["intents"].as_array().unwrap().len()
    );

    // Operators do not see or change it.
    let operator = app.create_operator("olga", "operator").await;
    let (status, _) = app.get(&operator, "/api/v1/bot/config").await;
    assert_eq!(status, 403);

    // Under version 1 the question is answered, with a confidence short of certainty.
    let before = ask(&app, &server, account, &token, "before").await;
    assert_eq!(before["action"], "answer", "{before}");
    let confidence = before["confidence"].as_f64().unwrap();
    assert!(confidence < 0.97, "not a borderline message: {before}");

    // A draft with problems is kept, and refused at publishing with each problem's field.
    let mut document = v1["document"].clone();
    document["intents"][0]["examples"] = json!([]);
    document["intents"][1]["name"] = document["intents"][2]["name"].clone();
    let (status, draft) = put_draft(&app, json!({"document": document, "based_on": 1})).await;
    assert_eq!(status, 200, "{draft}");
    assert_eq!(draft["revision"], 1);
    let fields: Vec<&str> = draft["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["intents[0].examples", "intents[2].name"],
        "{draft}"
    );
    let (status, body) = app
        .post(&app.admin_token, "/api/v1/bot/config/publish", json!({}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "bot_config_invalid");
    assert_eq!(body["error"]["field"], "intents[0].examples");
    assert_eq!(
        body["error"]["fields"].as_array().unwrap().len(),
        2,
        "{body}"
    );

    // Not a bot configuration at all: refused at saving, where it is wrong.
    let (status, body) = put_draft(
        &app,
        json!({"document": {"name": "x", "fallbak": "?"}, "revision": 1}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().is_some(), "{body}");
    assert!(
        body["error"]["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("fallbak"),
        "{body}"
    );

    // The fixed draft: the confidence threshold raised above that answer's confidence, and a
    // person at once when the bot is unsure (no clarifying question, no fallback first). A save
    // from an old revision is refused.
    let mut document = v1["document"].clone();
    let threshold = ((confidence + 1.0) / 2.0).max(confidence + 0.01).min(1.0);
    document["confidence_threshold"] = json!(threshold);
    document["max_clarify"] = json!(0);
    document["max_fallbacks"] = json!(0);
    let (status, body) =
        put_draft(&app, json!({"document": document.clone(), "revision": 0})).await;
    assert_eq!(status, 409, "{body}");
    let (status, draft) = put_draft(
        &app,
        json!({"document": document, "revision": 1, "based_on": 1}),
    )
    .await;
    assert_eq!(status, 200, "{draft}");
    assert_eq!(draft["revision"], 2);
    assert_eq!(draft["problems"], json!([]), "{draft}");

    let (status, v2) = app
        .post(
            &app.admin_token,
            "/api/v1/bot/config/publish",
            json!({"note": "строже"}),
        )
        .await;
    assert_eq!(status, 201, "{v2}");
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["note"], "строже");
    assert_eq!(v2["published_by_name"], "admin", "{v2}");
    wait_running(&app, 2).await;
    let (_, state) = app.get(&app.admin_token, "/api/v1/bot/config").await;
    assert!(
        state["draft"].is_null(),
        "publishing ends the draft: {state}"
    );

    // The same question now goes to a person.
    let after = ask(&app, &server, account, &token, "after").await;
    assert_eq!(after["action"], "handoff", "{after}");
    assert!(
        ["low_confidence", "repeated_clarify"].contains(&after["reason"].as_str().unwrap()),
        "{after}"
    );

    // Rollback publishes version 1's document again as version 3: answered again.
    let (status, v3) = app
        .post(
            &app.admin_token,
            "/api/v1/bot/config/versions/1/rollback",
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{v3}");
    assert_eq!(v3["version"], 3);
    assert_eq!(v3["note"], "Откат к версии 1");
    wait_running(&app, 3).await;
    let again = ask(&app, &server, account, &token, "again").await;
    assert_eq!(again["action"], "answer", "{again}");

    let (status, versions) = app
        .get(&app.admin_token, "/api/v1/bot/config/versions")
        .await;
    assert_eq!(status, 200);
    let numbers: Vec<i64> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [3, 2, 1]);

    // The export is the file as it was imported.
    let r = app
        .http
        .get(app.url("/api/v1/bot/config/versions/1/document"))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("bot-v1.json")
    );
    let exported: Value = r.json().await.unwrap();
    let demo: Value =
        serde_json::from_str(frontline_engine::bot::config::DEMO_CONFIG_JSON).unwrap();
    assert_eq!(exported, demo);

    let (status, _) = app
        .get(&app.admin_token, "/api/v1/bot/config/versions/9")
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .post(
            &app.admin_token,
            "/api/v1/bot/config/versions/9/rollback",
            json!({}),
        )
        .await;
    assert_eq!(status, 404);

    // After a restart the store's newest version runs, not the file.
    let app = app.restart().await;
    assert_eq!(running(&app).await, 3);
}
