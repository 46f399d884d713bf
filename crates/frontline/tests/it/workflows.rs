//! Workflows through the API and in production: a draft saved with its problems, publishing refused
//! until it validates, the tester with a stubbed action, and an account's conversations run through
//! the published version — waiting on an Ask across a server restart and calling a local HTTP
//! server that stands in for the shop's order system.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::helpers::{CallbackServer, TestApp, eventually, spawn_app_with};

const WAIT: Duration = Duration::from_secs(20);

/// Order status: ask for the number (unless known), call the shop, answer; anything else and a
/// failing shop go to a person.
fn order_flow() -> Value {
    json!({
        "version": 1,
        "nodes": [
            {"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {}},
            {"id": "intent", "type": "intent", "position": {"x": 200, "y": 0},
             "data": {"intents": ["order_status"]}, "selected": true},
            {"id": "ask", "type": "ask", "position": {"x": 400, "y": 0},
             "data": {"slot": "order_number", "question": "Назовите номер заказа, пожалуйста.", "max_retries": 1}},
            {"id": "lookup", "type": "action", "position": {"x": 600, "y": 0},
             "data": {"integration": "shop", "method": "GET", "url": "/orders/{slots.order_number}",
                      "timeout_ms": 2000, "map": {"status": "/status"}}},
            {"id": "answer", "type": "message", "position": {"x": 800, "y": 0},
             "data": {"text": "Заказ {slots.order_number}: {vars.status}."}},
            {"id": "done", "type": "end", "position": {"x": 1000, "y": 0}, "data": {}},
            {"id": "person", "type": "handoff", "position": {"x": 400, "y": 200},
             "data": {"reason": "topic_policy", "message": "Передаю оператору."}}
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "intent"},
            {"id": "e2", "source": "intent", "sourceHandle": "order_status", "target": "ask"},
            {"id": "e3", "source": "intent", "sourceHandle": "fallback", "target": "person"},
            {"id": "e4", "source": "ask", "sourceHandle": "ok", "target": "lookup"},
            {"id": "e5", "source": "lookup", "sourceHandle": "ok", "target": "answer"},
            {"id": "e6", "source": "answer", "target": "done"}
        ],
        "viewport": {"x": 0, "y": 0, "zoom": 1}
    })
}

/// A stand-in for the shop's order API: `/orders/{n}` answers with a status, `/orders/0` fails.
async fn shop() -> String {
    let app = axum::Router::new().route(
        "/orders/{n}",
        axum::routing::get(
            |axum::extract::Path(n): axum::extract::Path<String>,
             headers: axum::http::HeaderMap| async move {
                if headers.get("x-api-key").and_then(|v| v.to_str().ok()) != Some("secret-1") {
                    return (axum::http::StatusCode::UNAUTHORIZED, axum::Json(json!({})));
                }
                if n == "000000" {
                    return (
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        axum::Json(json!({"error": "down"})),
                    );
                }
                (
                    axum::http::StatusCode::OK,
                    axum::Json(json!({"status": format!("в пути, номер {n}")})),
                )
            },
        ),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

async fn put(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    app.send(reqwest::Method::PUT, &app.admin_token, path, body)
        .await
}

#[tokio::test]
async fn drafts_report_problems_publishing_waits_for_a_valid_one_and_the_tester_runs_it() {
    let app = spawn_app_with(|c| c.bot.mode = "engine".into()).await;
    let mut broken = order_flow();
    broken["edges"].as_array_mut().unwrap().pop(); // `answer` leads nowhere: fine, ends the run
    broken["nodes"][2]["data"]["slot"] = "passport".into();
    broken["edges"][1]["target"] = "nowhere".into();
    let (status, w) = app
        .post(
            &app.admin_token,
            "/api/v1/workflows",
            json!({"name": "Заказы", "document": broken}),
        )
        .await;
    assert_eq!(status, 201, "{w}");
    let id = w["id"].as_i64().unwrap();
    let problems = w["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p["node_id"] == "ask" && p["message"].as_str().unwrap().contains("passport")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p["edge_id"] == "e2"),
        "{problems:?}"
    );
    assert_eq!(w["document"]["viewport"]["zoom"], 1, "UI fields kept");
    assert_eq!(
        w["document"]["nodes"][1]["selected"], true,
        "UI fields kept"
    );

    let (status, body) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/workflows/{id}/publish"),
            json!({}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "workflow_invalid");
    assert!(!body["error"]["problems"].as_array().unwrap().is_empty());

    let (status, w) = put(
        &app,
        &format!("/api/v1/workflows/{id}"),
        json!({"name": "Заказы", "document": order_flow()}),
    )
    .await;
    assert_eq!(status, 200, "{w}");
    assert_eq!(w["problems"], json!([]));
    let (status, v) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/workflows/{id}/publish"),
            json!({}),
        )
        .await;
    assert_eq!((status, v["version"].as_i64()), (201, Some(1)), "{v}");

    // The tester: the shop is stubbed, nothing is stored.
    put(
        &app,
        "/api/v1/integrations/shop",
        json!({"base_url": "http://shop.invalid", "headers": {"x-api-key": "secret-1"}}),
    )
    .await;
    let (status, run) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/workflows/{id}/test"),
            json!({
                "messages": ["Где мой заказ?", "123456"],
                "stubs": [{"url": "http://shop.invalid/orders/123456", "body": {"status": "доставлен"}}]
            }),
        )
        .await;
    assert_eq!(status, 200, "{run}");
    let turns = run["turns"].as_array().unwrap();
    assert_eq!(turns[0]["outcome"], "waiting");
    assert_eq!(turns[0]["waiting_at"], "ask");
    assert_eq!(turns[0]["intent"], "order_status");
    assert_eq!(turns[1]["replies"], json!(["Заказ 123456: доставлен."]));
    assert_eq!(turns[1]["slots"]["order_number"], "123456");
    let nodes: Vec<&str> = turns[1]["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["node_id"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, ["ask", "lookup", "answer", "done"]);

    // A timing-out shop with no timeout branch hands off with action_failed.
    let (_, run) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/workflows/{id}/test"),
            json!({
                "version": 1,
                "messages": ["где заказ 123456?"],
                "stubs": [{"url": "http://shop.invalid/orders/123456", "timeout": true}]
            }),
        )
        .await;
    assert_eq!(run["version"], "1");
    assert_eq!(run["turns"][0]["outcome"], "handoff", "{run}");
    assert_eq!(run["turns"][0]["handoff_reason"], "action_failed", "{run}");

    // Rollback and versions.
    app.post(
        &app.admin_token,
        &format!("/api/v1/workflows/{id}/publish"),
        json!({}),
    )
    .await;
    let (status, w) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/workflows/{id}/rollback"),
            json!({"version": 1}),
        )
        .await;
    assert_eq!(
        (status, w["published_version"].as_i64()),
        (200, Some(1)),
        "{w}"
    );
    let (_, vs) = app
        .get(
            &app.admin_token,
            &format!("/api/v1/workflows/{id}/versions"),
        )
        .await;
    assert_eq!(vs[0]["version"], 2);
    let (status, _) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/workflows/{id}/rollback"),
            json!({"version": 9}),
        )
        .await;
    assert_eq!(status, 404);

    // Integration secrets never come back.
    let (_, is) = app.get(&app.admin_token, "/api/v1/integrations").await;
    assert_eq!(is[0]["header_names"], json!(["x-api-key"]));
    assert!(!is.to_string().contains("secret-1"));
}

#[tokio::test]
async fn an_accounts_conversations_run_its_published_workflow_across_a_restart() {
    let app = spawn_app_with(|c| c.bot.mode = "engine".into()).await;
    let base = shop().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = CallbackServer::default();
    server.serve(listener);
    let (account, token) = app.api_account("Магазин", Some(&hook)).await;

    put(
        &app,
        "/api/v1/integrations/shop",
        json!({"base_url": base, "headers": {"x-api-key": "secret-1"}}),
    )
    .await;
    let (_, w) = app
        .post(
            &app.admin_token,
            "/api/v1/workflows",
            json!({"name": "Заказы", "document": order_flow()}),
        )
        .await;
    let id = w["id"].as_i64().unwrap();
    app.post(
        &app.admin_token,
        &format!("/api/v1/workflows/{id}/publish"),
        json!({}),
    )
    .await;
    let (status, _) = put(
        &app,
        &format!("/api/v1/accounts/{account}/workflow"),
        json!({"workflow_id": id}),
    )
    .await;
    assert_eq!(status, 204);

    let bot_replies = |server: &CallbackServer| -> Vec<String> {
        server
            .received
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, b)| b["message"]["author"] == "bot")
            .map(|(_, b)| b["message"]["text"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, r) = app
        .inbound(account, &token, "w-1", "w-1-m1", "Где мой заказ?")
        .await;
    let conv = r["conversation_id"].as_i64().unwrap();
    eventually(WAIT, || async {
        (bot_replies(&server).len() == 1).then_some(())
    })
    .await;
    assert_eq!(
        bot_replies(&server)[0],
        "Назовите номер заказа, пожалуйста."
    );

    // The Ask waits in the database: a restart in between changes nothing.
    let app = app.restart().await;
    let (_, vs) = app
        .get(
            &app.admin_token,
            &format!("/api/v1/workflows/{id}/versions"),
        )
        .await;
    assert_eq!(vs[0]["conversations_in_flight"], 1, "{vs}");
    app.inbound(account, &token, "w-1", "w-1-m2", "784512")
        .await;
    eventually(WAIT, || async {
        (bot_replies(&server).len() == 2).then_some(())
    })
    .await;
    assert_eq!(
        bot_replies(&server)[1],
        "Заказ 784512: в пути, номер 784512."
    );

    let (_, ds) = app
        .get(
            &app.admin_token,
            &format!("/api/v1/conversations/{conv}/decisions"),
        )
        .await;
    assert_eq!(ds[0]["stage"], "workflow");
    assert_eq!(ds[0]["action"], "ask_slot");
    assert_eq!(ds[1]["action"], "answer");
    assert!(
        ds[1]["note"].as_str().unwrap().contains("lookup(action)"),
        "{ds}"
    );

    // The shop fails: a person gets the conversation, with reason action_failed.
    let (_, r) = app
        .inbound(account, &token, "w-2", "w-2-m1", "где мой заказ 000000?")
        .await;
    let conv = r["conversation_id"].as_i64().unwrap();
    let handoff = eventually(WAIT, || async {
        let (_, hs) = app
            .get(
                &app.admin_token,
                &format!("/api/v1/conversations/{conv}/handoffs"),
            )
            .await;
        hs.as_array().and_then(|a| a.first().cloned())
    })
    .await;
    assert_eq!(handoff["reason"], "action_failed", "{handoff}");
    assert_eq!(handoff["slots"]["order_number"], "000000");
}

#[tokio::test]
async fn the_demo_shop_workflow_is_seeded_passes_its_suite_and_calls_the_demo_shop() {
    let app = spawn_app_with(|c| {
        c.bot.mode = "engine".into();
        c.demo.shop = true;
    })
    .await;
    let (_, ws) = app.get(&app.admin_token, "/api/v1/workflows").await;
    assert_eq!(ws[0]["name"], "Демо-магазин", "{ws}");
    assert_eq!(ws[0]["published_version"], 1);
    let id = ws[0]["id"].as_i64().unwrap();

    let (status, run) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/workflows/{id}/suite?version=1"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{run}");
    assert!(run["passed"].as_u64().unwrap() >= 30, "{run}");
    assert_eq!(run["failed"], 0, "{run}");

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = CallbackServer::default();
    server.serve(listener);
    let (account, token) = app.api_account("Демо", Some(&hook)).await;
    put(
        &app,
        &format!("/api/v1/accounts/{account}/workflow"),
        json!({"workflow_id": id}),
    )
    .await;
    app.inbound(account, &token, "d-1", "d-1-m1", "Где мой заказ 784512?")
        .await;
    let reply = eventually(WAIT, || async {
        server
            .received
            .lock()
            .unwrap()
            .iter()
            .find(|(_, b)| b["message"]["author"] == "bot")
            .map(|(_, b)| b["message"]["text"].as_str().unwrap().to_owned())
    })
    .await;
    // 7+8+4+5+1+2 = 27: the demo shop's fourth status and the 28th.
    assert_eq!(
        reply,
        "Заказ 784512: доставлен. Ожидаемая дата доставки — 28 декабря."
    );
}

/// What the studio relies on: a save from an old revision is refused with the current draft (no
/// silent overwrite), publish notes and publisher names on versions, a version's document, the
/// node catalogue, and the tester answering an AI Response by node without a model.
#[tokio::test]
async fn the_studio_saves_by_revision_publishes_with_notes_and_tests_offline() {
    let app = spawn_app_with(|c| c.bot.mode = "engine".into()).await;
    let (status, w) = app
        .post(
            &app.admin_token,
            "/api/v1/workflows",
            json!({"name": "Студия", "document": order_flow()}),
        )
        .await;
    assert_eq!(status, 201, "{w}");
    let id = w["id"].as_i64().unwrap();
    assert_eq!(w["revision"], 1);
    assert_eq!(w["account_ids"], json!([]));

    let path = format!("/api/v1/workflows/{id}");
    let (status, mine) = put(
        &app,
        &path,
        json!({"name": "Студия: моя правка", "document": order_flow(), "revision": 1}),
    )
    .await;
    assert_eq!(
        (status, mine["revision"].as_i64()),
        (200, Some(2)),
        "{mine}"
    );
    // A second editor still on revision 1: refused, told the current draft, nothing changed.
    let (status, conflict) = put(
        &app,
        &path,
        json!({"name": "Студия: чужая правка", "document": {"version": 1}, "revision": 1}),
    )
    .await;
    assert_eq!(status, 409, "{conflict}");
    assert_eq!(conflict["error"]["code"], "workflow_conflict");
    assert_eq!(conflict["current"]["revision"], 2);
    assert_eq!(conflict["current"]["name"], "Студия: моя правка");
    assert_eq!(conflict["current"]["document"]["nodes"][0]["id"], "start");
    let (_, now) = app.get(&app.admin_token, &path).await;
    assert_eq!(
        (now["name"].as_str(), now["revision"].as_i64()),
        (Some("Студия: моя правка"), Some(2))
    );
    // Without a revision (curl, scripts) the save wins, and counts as a revision.
    let (status, forced) = put(
        &app,
        &path,
        json!({"name": "Студия", "document": order_flow()}),
    )
    .await;
    assert_eq!((status, forced["revision"].as_i64()), (200, Some(3)));

    // Publishing with a note; the versions say who and why; a version's document is readable.
    let publish = format!("/api/v1/workflows/{id}/publish");
    let (status, v1) = app
        .post(
            &app.admin_token,
            &publish,
            json!({"note": "  статус заказа  "}),
        )
        .await;
    assert_eq!(status, 201, "{v1}");
    assert_eq!(v1["note"], "статус заказа");
    let (_, me) = app.get(&app.admin_token, "/api/v1/me").await;
    assert_eq!(v1["published_by_name"], me["display_name"]);
    let (status, long) = app
        .post(
            &app.admin_token,
            &publish,
            json!({"note": "я".repeat(1001)}),
        )
        .await;
    assert_eq!(
        (status, long["error"]["field"].as_str()),
        (422, Some("note"))
    );
    let (status, _) = app
        .send(
            reqwest::Method::POST,
            &app.admin_token,
            &publish,
            Value::Null,
        )
        .await;
    assert_eq!(status, 201, "a publish with a null body has no note");
    let (_, versions) = app
        .get(
            &app.admin_token,
            &format!("/api/v1/workflows/{id}/versions"),
        )
        .await;
    assert_eq!(versions[0]["note"], Value::Null);
    assert_eq!(versions[1]["note"], "статус заказа");
    let (status, doc) = app
        .get(
            &app.admin_token,
            &format!("/api/v1/workflows/{id}/versions/1"),
        )
        .await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["document"], order_flow());
    let (status, _) = app
        .get(
            &app.admin_token,
            &format!("/api/v1/workflows/{id}/versions/9"),
        )
        .await;
    assert_eq!(status, 404);

    // Accounts running it are on the workflow.
    let (account, _) = app.api_account("Студия", None).await;
    put(
        &app,
        &format!("/api/v1/accounts/{account}/workflow"),
        json!({"workflow_id": id}),
    )
    .await;
    let (_, listed) = app.get(&app.admin_token, "/api/v1/workflows").await;
    assert_eq!(listed[0]["account_ids"], json!([account]));

    // The catalogue: every node type of the engine, with outputs, and the bot's intents.
    let (status, cat) = app
        .get(&app.admin_token, "/api/v1/workflows/catalogue")
        .await;
    assert_eq!(status, 200, "{cat}");
    let types: Vec<&str> = cat["node_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "start",
            "intent",
            "confidence",
            "context",
            "search",
            "ai_response",
            "condition",
            "action",
            "ask",
            "message",
            "handoff",
            "end"
        ]
    );
    let search = &cat["node_types"][4];
    assert_eq!(search["outputs"], json!(["found", "not_found"]));
    assert_eq!(search["data"]["top_k"], 4);
    assert!(
        cat["intents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["name"] == "order_status")
    );
    assert!(
        cat["slot_kinds"]
            .as_array()
            .unwrap()
            .contains(&json!("phone"))
    );
    assert_eq!(cat["template"]["document"]["version"], 1);

    // The tester answers an AI Response by node: no model is configured here.
    let ai_flow = json!({"version": 1, "nodes": [
        {"id": "start", "type": "start", "data": {}},
        {"id": "ai", "type": "ai_response", "data": {"system_prompt": "Отвечай кратко."}}
    ], "edges": [{"id": "e1", "source": "start", "target": "ai"}]});
    put(&app, &path, json!({"name": "ИИ", "document": ai_flow})).await;
    let test = format!("/api/v1/workflows/{id}/test");
    let (status, run) = app
        .post(
            &app.admin_token,
            &test,
            json!({"messages": ["привет"], "stubs": [{"node": "ai", "reply": "Здравствуйте!"}]}),
        )
        .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["turns"][0]["replies"], json!(["Здравствуйте!"]));
    let (_, run) = app
        .post(&app.admin_token, &test, json!({"messages": ["привет"]}))
        .await;
    assert_eq!(
        run["turns"][0]["handoff_reason"], "llm_unavailable",
        "{run}"
    );
    let (status, bad) = app
        .post(
            &app.admin_token,
            &test,
            json!({"messages": ["привет"], "stubs": [{"reply": "?"}]}),
        )
        .await;
    assert_eq!(
        (status, bad["error"]["field"].as_str()),
        (422, Some("stubs"))
    );

    // Operators read, never write.
    let op = app.create_operator("olga-studio", "operator").await;
    let (status, _) = app
        .send(
            reqwest::Method::PUT,
            &op,
            &path,
            json!({"name": "x", "document": {"version": 1}, "revision": 4}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app.get(&op, "/api/v1/workflows/catalogue").await;
    assert_eq!(status, 200);
}
