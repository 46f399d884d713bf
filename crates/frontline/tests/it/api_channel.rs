//! The generic inbound API channel end to end: inbound → stored → listed → streamed; replies → outbox →
//! callback, with retries, restarts and final failures.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::helpers::*;

#[tokio::test]
async fn inbound_message_appears_in_list_and_on_stream() {
    let app = spawn_app().await;
    let (account, token) = app.api_account("Сайт", None).await;
    let mut ws = connect_stream(&app, &app.admin_token, None).await;
    let (_, ready) = frames_until(&mut ws, "ready").await;
    assert!(ready["seq"].is_i64());

    let (status, body) = app
        .inbound(account, &token, "chat-1", "m-1", "Где мой заказ 12345?")
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["duplicate"], false);
    let conversation_id = body["conversation_id"].as_i64().unwrap();

    // On the stream: the conversation is created, then the message.
    let (_, created) = frames_until(&mut ws, "conversation.created").await;
    assert_eq!(created["conversation_id"], conversation_id);
    assert_eq!(created["conversation"]["customer"]["name"], "Мария");
    let (_, msg) = frames_until(&mut ws, "message.created").await;
    assert_eq!(msg["message"]["text"], "Где мой заказ 12345?");
    assert_eq!(msg["message"]["author"]["kind"], "customer");
    assert!(msg["seq"].as_i64().unwrap() > created["seq"].as_i64().unwrap());

    // In the list, with the row data the inbox needs.
    let (status, page) = app.get(&app.admin_token, "/api/v1/conversations").await;
    assert_eq!(status, 200);
    let row = &page["items"][0];
    assert_eq!(row["id"], conversation_id);
    assert_eq!(row["account"]["id"], account);
    assert_eq!(row["account"]["name"], "Сайт");
    assert_eq!(row["last_message"]["text"], "Где мой заказ 12345?");
    assert_eq!(row["unread_count"], 1);

    // Without a bot configured, the conversation is handed to operators with reason `no_bot`.
    let (_, lead) = frames_until(&mut ws, "conversation.lead_changed").await;
    assert_eq!(lead["handoff"]["reason"], "no_bot");
    assert_eq!(lead["conversation"]["lead"], "operator");
    let (_, detail) = app
        .get(
            &app.admin_token,
            &format!("/api/v1/conversations/{conversation_id}"),
        )
        .await;
    assert_eq!(detail["briefing"]["reason"], "no_bot");
}

#[tokio::test]
async fn duplicate_delivery_creates_nothing() {
    let app = spawn_app().await;
    let (account, token) = app.api_account("Сайт", None).await;
    let (s1, first) = app
        .inbound(account, &token, "chat-1", "m-1", "Привет")
        .await;
    assert_eq!(s1, 202);
    let events_before = latest_seq(&app).await;
    let (s2, second) = app
        .inbound(account, &token, "chat-1", "m-1", "Привет")
        .await;
    assert_eq!(s2, 200, "{second}");
    assert_eq!(second["duplicate"], true);
    assert_eq!(second["message_id"], first["message_id"]);
    assert_eq!(second["conversation_id"], first["conversation_id"]);

    let id = first["conversation_id"].as_i64().unwrap();
    let (_, msgs) = app
        .get(
            &app.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
        )
        .await;
    assert_eq!(msgs["items"].as_array().unwrap().len(), 1);
    let (_, list) = app.get(&app.admin_token, "/api/v1/conversations").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["unread_count"], 1);
    // No event was appended by the duplicate (the no_bot handoff may still add its own, later).
    let mut ws = connect_stream(&app, &app.admin_token, Some(events_before)).await;
    let (missed, _) = frames_until(&mut ws, "ready").await;
    assert!(
        missed.iter().all(|f| f["type"] != "message.created"),
        "duplicate produced events: {missed:?}"
    );
}

async fn latest_seq(app: &TestApp) -> i64 {
    let mut ws = connect_stream(app, &app.admin_token, None).await;
    let hello = next_frame(&mut ws, Duration::from_secs(5)).await.unwrap();
    assert_eq!(hello["type"], "hello");
    hello["latest_seq"].as_i64().unwrap()
}

async fn message(app: &TestApp, conversation: i64, id: i64) -> Value {
    let (_, page) = app
        .get(
            &app.admin_token,
            &format!("/api/v1/conversations/{conversation}/messages"),
        )
        .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .cloned()
        .expect("message in history")
}

#[tokio::test]
async fn operator_reply_is_retried_until_the_callback_server_comes_up() {
    let app = spawn_app().await;
    // Reserve a port, then free it: the callback server is down at first.
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hook = format!("http://127.0.0.1:{port}/hook");
    let (account, token) = app.api_account("Сайт", Some(&hook)).await;
    let (_, inbound) = app
        .inbound(account, &token, "chat-9", "m-1", "Можно оператора?")
        .await;
    let conv = inbound["conversation_id"].as_i64().unwrap();

    let (status, sent) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"text": "Здравствуйте, Мария! Уже смотрю."}),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["message"]["status"], "queued");
    let id = sent["message"]["id"].as_i64().unwrap();

    // While the receiver is down, the message stays queued with the delivery error visible.
    let err = eventually(Duration::from_secs(10), || async {
        let m = message(&app, conv, id).await;
        (m["status"] == "queued" && m["error"].is_string()).then(|| m["error"].clone())
    })
    .await;
    assert!(err.as_str().unwrap().contains("callback"), "{err}");

    // Bring the receiver up on that port: the outbox delivers.
    let server = CallbackServer::default();
    let _h = server.serve(TcpListener::bind(("127.0.0.1", port)).await.unwrap());
    let m = eventually(Duration::from_secs(20), || async {
        let m = message(&app, conv, id).await;
        (m["status"] == "sent").then_some(m)
    })
    .await;
    assert_eq!(m["external_id"], "ext-1");
    assert!(m["error"].is_null());

    let received = server.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1, "delivered once: {received:?}");
    let (key, body) = &received[0];
    assert_eq!(
        key.as_deref(),
        Some(format!("frontline-message-{id}").as_str())
    );
    assert_eq!(body["event"], "message.created");
    assert_eq!(body["external_chat_id"], "chat-9");
    assert_eq!(body["customer_external_id"], "cust-chat-9");
    assert_eq!(body["message"]["text"], "Здравствуйте, Мария! Уже смотрю.");
    assert_eq!(body["message"]["author"], "operator");
    assert_eq!(body["message"]["operator_name"], "admin");
}

#[tokio::test]
async fn queued_replies_survive_a_restart() {
    let app = spawn_app().await;
    let port = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (account, token) = app
        .api_account("Сайт", Some(&format!("http://127.0.0.1:{port}/hook")))
        .await;
    let (_, inbound) = app.inbound(account, &token, "chat-r", "m-1", "Алло").await;
    let conv = inbound["conversation_id"].as_i64().unwrap();
    let (_, sent) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"text": "Ответ, переживший перезапуск"}),
        )
        .await;
    let id = sent["message"]["id"].as_i64().unwrap();

    let app = app.restart().await;
    let server = CallbackServer::default();
    let _h = server.serve(TcpListener::bind(("127.0.0.1", port)).await.unwrap());
    eventually(Duration::from_secs(20), || async {
        (message(&app, conv, id).await["status"] == "sent").then_some(())
    })
    .await;
    let received = server.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].1["message"]["text"],
        "Ответ, переживший перезапуск"
    );
}

#[tokio::test]
async fn a_permanent_callback_error_fails_the_message_visibly_and_retry_requeues_it() {
    let app = spawn_app().await;
    // A receiver that refuses with 400: retrying cannot help.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let refuse = axum::Router::new().route(
        "/hook",
        axum::routing::post(|| async { (axum::http::StatusCode::BAD_REQUEST, "no") }),
    );
    let h = tokio::spawn(async move { axum::serve(listener, refuse).await.unwrap() });
    let (account, token) = app
        .api_account("Сайт", Some(&format!("http://127.0.0.1:{port}/hook")))
        .await;
    let (_, inbound) = app.inbound(account, &token, "chat-f", "m-1", "Тест").await;
    let conv = inbound["conversation_id"].as_i64().unwrap();
    let mut ws = connect_stream(&app, &app.admin_token, None).await;
    frames_until(&mut ws, "ready").await;
    let (_, sent) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/conversations/{conv}/messages"),
            json!({"text": "x"}),
        )
        .await;
    let id = sent["message"]["id"].as_i64().unwrap();

    // The failure is an event on the stream and visible on the message.
    let failed = loop {
        let (_, f) = frames_until(&mut ws, "message.updated").await;
        if f["message"]["id"] == id && f["message"]["status"] == "failed" {
            break f;
        }
    };
    assert!(
        failed["message"]["error"].as_str().unwrap().contains("400"),
        "{failed}"
    );

    // Retrying a failed message queues it again; the receiver now accepts.
    h.abort();
    let _ = h.await;
    let server = CallbackServer::default();
    let _h2 = server.serve(TcpListener::bind(("127.0.0.1", port)).await.unwrap());
    let (status, retried) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/messages/{id}/retry"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["status"], "queued");
    eventually(Duration::from_secs(20), || async {
        (message(&app, conv, id).await["status"] == "sent").then_some(())
    })
    .await;
    // Retrying a message that has not failed is a conflict.
    let (status, body) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/messages/{id}/retry"),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
}
