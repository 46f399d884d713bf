//! The dialog engine end to end, on the built-in demo configuration: customers write through the
//! inbound API, the bot answers through the callback (the outbox) or hands over with a briefing, its
//! decisions are recorded, and the knowledge base edited through the API is what it answers from.
//! One test turns the LLM on against a local server speaking the OpenAI chat-completions wire format.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::helpers::{CallbackServer, TestApp, eventually, spawn_app_with};

const WAIT: Duration = Duration::from_secs(20);

async fn engine_app() -> (TestApp, CallbackServer, i64, String) {
    engine_app_with(|_| {}).await
}

pub(crate) async fn engine_app_with(
    change: impl FnOnce(&mut frontline::Config),
) -> (TestApp, CallbackServer, i64, String) {
    let app = spawn_app_with(|c| {
        c.bot.mode = "engine".into();
        change(c);
    })
    .await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = CallbackServer::default();
    server.serve(listener);
    let (account, token) = app.api_account("Магазин", Some(&hook)).await;
    (app, server, account, token)
}

/// The bot's replies delivered to the callback for `chat`, in order.
fn replies(server: &CallbackServer, chat: &str) -> Vec<String> {
    server
        .received
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, b)| b["external_chat_id"] == chat && b["message"]["author"] == "bot")
        .map(|(_, b)| b["message"]["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub(crate) async fn wait_replies(server: &CallbackServer, chat: &str, n: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let r = replies(server, chat);
        if r.len() >= n {
            return r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{n} replies expected in {chat}, got {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn decisions(app: &TestApp, conversation: i64, n: usize) -> Vec<Value> {
    eventually(WAIT, || async {
        let (status, body) = app
            .get(
                &app.admin_token,
                &format!("/api/v1/conversations/{conversation}/decisions"),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let list = body.as_array().unwrap().clone();
        (list.len() >= n).then_some(list)
    })
    .await
}

#[tokio::test]
async fn an_order_question_collects_the_number_then_hands_over_with_a_full_briefing() {
    let (app, server, account, token) = engine_app().await;
    let (status, first) = app
        .inbound(
            account,
            &token,
            "c-1",
            "c-1-m1",
            "Здравствуйте, где мой заказ? Жду неделю",
        )
        .await;
    assert_eq!(status, 202, "{first}");
    let conv = first["conversation_id"].as_i64().unwrap();

    let asked = wait_replies(&server, "c-1", 1).await;
    assert!(asked[0].contains("номер заказа"), "{asked:?}");
    let (_, c) = app
        .get(&app.admin_token, &format!("/api/v1/conversations/{conv}"))
        .await;
    assert_eq!(c["conversation"]["lead"], "bot", "{c}");

    app.inbound(account, &token, "c-1", "c-1-m2", "784512")
        .await;
    let farewell = wait_replies(&server, "c-1", 2).await;
    assert!(farewell[1].contains("784512"), "{farewell:?}");

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
    assert_eq!(handoff["to"], "operator");
    assert_eq!(handoff["reason"], "topic_policy");
    assert_eq!(handoff["intent"], "order_status");
    assert_eq!(handoff["slots"]["order_number"], "784512");
    let briefing = handoff["briefing"].as_str().unwrap();
    assert!(briefing.contains("Мария"), "{briefing}");
    assert!(briefing.contains("статус заказа"), "{briefing}");
    assert!(briefing.contains("784512"), "{briefing}");
    assert!(
        briefing.contains("Не нужно спрашивать: номер заказа"),
        "{briefing}"
    );

    // The conversation now shows operators what the bot learned.
    let (_, c) = app
        .get(&app.admin_token, &format!("/api/v1/conversations/{conv}"))
        .await;
    assert_eq!(c["conversation"]["lead"], "operator", "{c}");
    assert_eq!(c["conversation"]["slots"]["order_number"], "784512", "{c}");

    let ds = decisions(&app, conv, 2).await;
    assert_eq!(ds[0]["action"], "ask_slot");
    assert_eq!(ds[0]["intent"], "order_status");
    assert_eq!(ds[1]["action"], "handoff");
    assert_eq!(ds[1]["reason"], "topic_policy");
    assert!(ds[1]["latency_us"].as_i64().unwrap() > 0);

    // A customer message after the handoff is for the operator: the bot stays quiet.
    app.inbound(account, &token, "c-1", "c-1-m3", "ау?").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(replies(&server, "c-1").len(), 2);
}

#[tokio::test]
async fn faq_is_answered_from_the_stored_knowledge_base_and_follows_its_edits() {
    let (app, server, account, token) = engine_app().await;
    let (_, r) = app
        .inbound(
            account,
            &token,
            "c-2",
            "c-2-m1",
            "Сколько идёт доставка в Казань?",
        )
        .await;
    let conv = r["conversation_id"].as_i64().unwrap();
    let answer = wait_replies(&server, "c-2", 1).await;
    assert!(answer[0].contains("Казань"), "{answer:?}");
    let ds = decisions(&app, conv, 1).await;
    assert_eq!(ds[0]["action"], "answer");
    assert_eq!(ds[0]["intent"], "delivery");
    assert_eq!(ds[0]["article_ids"], json!(["delivery-times"]));

    // An admin rewrites the article: the next answer quotes the new text.
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            &app.admin_token,
            "/api/v1/kb/articles/delivery-times",
            json!({
                "category": "delivery",
                "title": "Сроки доставки",
                "body": "В Казань доставляем за один день курьерской службой «Молния».",
                "tags": ["посылка", "сроки"]
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], 2);
    app.inbound(
        account,
        &token,
        "c-2b",
        "c-2b-m1",
        "А сколько идёт доставка в Казань?",
    )
    .await;
    // Another customer: the same customer asking the same question again is a repetition, which
    // goes to a person (`engine::bot::tests::the_same_question_again_reaches_a_person`).
    let answers = wait_replies(&server, "c-2b", 1).await;
    assert!(answers[0].contains("Молния"), "{answers:?}");

    // A new article about something no intent covers is answered directly...
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            &app.admin_token,
            "/api/v1/kb/articles/gift-wrap",
            json!({
                "category": "products",
                "title": "Подарочная упаковка",
                "body": "Подарочная упаковка стоит 150 рублей, выбрать её можно при оформлении заказа.",
                "tags": ["подарок", "упаковка"]
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    app.inbound(
        account,
        &token,
        "c-3",
        "c-3-m1",
        "Подарочная упаковка есть?",
    )
    .await;
    let gift = wait_replies(&server, "c-3", 1).await;
    assert!(gift[0].contains("150 рублей"), "{gift:?}");

    // ...and once deleted it is not.
    let (status, _) = app
        .send(
            reqwest::Method::DELETE,
            &app.admin_token,
            "/api/v1/kb/articles/gift-wrap",
            Value::Null,
        )
        .await;
    assert_eq!(status, 204);
    app.inbound(
        account,
        &token,
        "c-4",
        "c-4-m1",
        "Подарочная упаковка есть?",
    )
    .await;
    let after = wait_replies(&server, "c-4", 1).await;
    assert!(!after[0].contains("150 рублей"), "{after:?}");
}

#[tokio::test]
async fn asking_for_a_person_hands_over_at_once() {
    let (app, server, account, token) = engine_app().await;
    let (_, r) = app
        .inbound(
            account,
            &token,
            "c-5",
            "c-5-m1",
            "Позовите оператора, пожалуйста",
        )
        .await;
    let conv = r["conversation_id"].as_i64().unwrap();
    wait_replies(&server, "c-5", 1).await;
    let ds = decisions(&app, conv, 1).await;
    assert_eq!(ds[0]["action"], "handoff");
    assert_eq!(ds[0]["stage"], "human");
    assert_eq!(ds[0]["reason"], "customer_asked");
    let (status, body) = app
        .get(&app.admin_token, "/api/v1/conversations/999/decisions")
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    let (_, counts) = app
        .get(&app.admin_token, "/api/v1/analytics/decisions")
        .await;
    assert!(
        counts
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["action"] == "handoff" && c["count"] == 1),
        "{counts}"
    );
}

#[tokio::test]
async fn the_knowledge_base_api_validates_imports_and_guards_edits() {
    let (app, _server, _, _) = engine_app().await;
    let admin = &app.admin_token;
    let (status, cats) = app.get(admin, "/api/v1/kb/categories").await;
    assert_eq!(status, 200);
    assert!(
        cats.as_array()
            .unwrap()
            .iter()
            .any(|c| c["key"] == "delivery")
    );

    // Operators read, only admins write.
    let op = app.create_operator("olga", "operator").await;
    let (status, _) = app.get(&op, "/api/v1/kb/articles?category=returns").await;
    assert_eq!(status, 200);
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            &op,
            "/api/v1/kb/categories/x",
            json!({"title": "X"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{body}"
    );

    // Bad keys, unknown categories and unreadable files are precise 4xx errors.
    let put = |key: &'static str, body: Value| {
        let app = &app;
        async move {
            app.send(
                reqwest::Method::PUT,
                admin,
                &format!("/api/v1/kb/articles/{key}"),
                body,
            )
            .await
        }
    };
    let (status, body) = put(
        "Bad Key",
        json!({"category":"delivery","title":"t","body":"b"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = put("ok", json!({"category":"nowhere","title":"t","body":"b"})).await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = put("ok", json!({"category":"delivery","title":"  ","body":"b"})).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("title")),
        "{body}"
    );

    let import = |format: &'static str, text: &'static str| {
        let app = &app;
        async move {
            let r = app
                .http
                .post(app.url(&format!("/api/v1/kb/import?{format}")))
                .bearer_auth(admin)
                .body(text)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let csv =
        "id,category,title,body,tags\nbulk-1,nowhere,T,Body one,a\nbulk-2,gifts,T,Body two,b\n";
    let (status, body) = import("format=csv", csv).await;
    assert_eq!(status, 422, "{body}");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("gifts") && msg.contains("nowhere"), "{msg}");
    let (_, arts) = app.get(admin, "/api/v1/kb/articles").await;
    assert!(!arts.to_string().contains("bulk-1"), "nothing stored");

    let (status, body) = import("format=json", "{not json").await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = import("format=yaml", "a: b").await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("format")),
        "{body}"
    );
    let (status, body) = import("format=markdown", "# Title\nText").await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("category")),
        "{body}"
    );

    let md = "# Гарантия на аккумуляторы\nid: battery-warranty\ntags: батарея, аккумулятор\n\nНа аккумуляторы гарантия 6 месяцев.\n";
    let (status, body) = import("format=markdown&category=warranty", md).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stats"]["articles_created"], 1);
    let (status, body) = import("format=markdown&category=warranty", md).await;
    assert_eq!(
        (status, body["stats"]["articles_unchanged"].as_u64()),
        (200, Some(1)),
        "{body}"
    );

    // Imported text is searchable at once, as the bot sees it.
    let (status, hits) = app
        .get(admin, "/api/v1/kb/search?q=гарантия%20на%20аккумулятор")
        .await;
    assert_eq!(status, 200, "{hits}");
    assert_eq!(hits[0]["article_key"], "battery-warranty", "{hits}");
    let (status, _) = app.get(admin, "/api/v1/kb/search?q=%20").await;
    assert_eq!(status, 422);

    // A category with articles cannot go.
    let (status, body) = app
        .send(
            reqwest::Method::DELETE,
            admin,
            "/api/v1/kb/categories/warranty",
            Value::Null,
        )
        .await;
    assert_eq!(status, 409, "{body}");
}

/// A local server speaking the OpenAI chat-completions wire format, answering by task.
async fn fake_llm(log: Arc<Mutex<Vec<String>>>) -> String {
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move |body: axum::Json<Value>| {
            let log = log.clone();
            async move {
                let system = body["messages"][0]["content"].as_str().unwrap_or_default();
                let content = if system.starts_with("You route") {
                    log.lock().unwrap().push("router".into());
                    json!({"intent": "returns", "confidence": 0.97}).to_string()
                } else if system.contains("knowledge-base fragments") {
                    log.lock().unwrap().push("answer".into());
                    json!({
                        "answer": "Вернуть товар можно в течение 14 дней.",
                        "article_ids": ["return-policy"],
                        "answerable": true
                    })
                    .to_string()
                } else {
                    log.lock().unwrap().push("summary".into());
                    "Клиент хочет вернуть покупку.".to_owned()
                };
                axum::Json(json!({
                    "id": "gen-1",
                    "object": "chat.completion",
                    "model": body["model"],
                    "choices": [{
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop"
                    }],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
                }))
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

#[tokio::test]
async fn with_an_llm_configured_unsure_messages_are_routed_and_answers_grounded() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let base = fake_llm(log.clone()).await;
    let (app, server, account, token) = engine_app_with(|c| {
        c.llm.enabled = true;
        c.llm.base_url = base;
        c.llm.require_parameters = false;
    })
    .await;
    let (_, r) = app
        .inbound(
            account,
            &token,
            "c-6",
            "m-1",
            "купил вчера у вас штуку, она мне разонравилась, что теперь делать",
        )
        .await;
    let conv = r["conversation_id"].as_i64().unwrap();
    let answer = wait_replies(&server, "c-6", 1).await;
    assert_eq!(answer[0], "Вернуть товар можно в течение 14 дней.");
    assert_eq!(*log.lock().unwrap(), vec!["router", "answer"]);
    let ds = decisions(&app, conv, 1).await;
    assert_eq!(ds[0]["stage"], "llm");
    assert_eq!(ds[0]["intent"], "returns");
    assert_eq!(ds[0]["article_ids"], json!(["return-policy"]));

    // A confident message never reaches the router; the handoff summary comes from the model.
    // (Sent twice with one message id: stored, and decided upon, once.)
    app.inbound(
        account,
        &token,
        "c-7",
        "c-7-m1",
        "Срочно! С карты списали деньги дважды",
    )
    .await;
    let (_, r) = app
        .inbound(
            account,
            &token,
            "c-7",
            "c-7-m1",
            "Срочно! С карты списали деньги дважды",
        )
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
    assert_eq!(handoff["summary"], "Клиент хочет вернуть покупку.");
    assert_eq!(handoff["reason"], "topic_policy");
    assert_eq!(
        *log.lock().unwrap(),
        vec!["router", "answer", "summary"],
        "no routing for the confident message"
    );
}

#[tokio::test]
async fn articles_written_by_another_server_reach_the_index() {
    let (app, _server, _, _) = engine_app_with(|c| c.bot.knowledge_refresh_secs = 1).await;
    // Another process on the same database (here: a second store handle) adds an article.
    let other = frontline::open_store(&app.database_url).await.unwrap();
    other
        .upsert_kb_article(
            frontline_domain::KbArticleDraft {
                key: "loyalty-card".into(),
                category: "prices".into(),
                title: "Карта лояльности".into(),
                body: "Карта лояльности даёт кешбэк баллами 5% с каждой покупки.".into(),
                tags: vec!["кешбэк".into()],
                published: true,
            }
            .cleaned()
            .unwrap(),
            None,
        )
        .await
        .unwrap();
    let hits = eventually(WAIT, || async {
        let (_, hits) = app
            .get(&app.admin_token, "/api/v1/kb/search?q=карта%20лояльности")
            .await;
        (hits[0]["article_key"] == "loyalty-card").then_some(hits)
    })
    .await;
    assert!(hits[0]["text"].as_str().unwrap().contains("5%"));
}
