//! Bad input gets a precise 4xx with a stable code, never a 500.

use serde_json::{Value, json};

use crate::helpers::*;

async fn raw(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = app.http.request(method, app.url(path)).body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<no error code>")
}

#[tokio::test]
async fn malformed_and_wrongly_shaped_bodies() {
    let app = spawn_app().await;
    let (account, token) = app.api_account("Сайт", None).await;
    let inbound = format!("/api/v1/inbound/{account}/messages");
    let post = reqwest::Method::POST;

    let (s, b) = raw(
        &app,
        post.clone(),
        &inbound,
        Some(&token),
        Some("application/json"),
        b"{not json".to_vec(),
    )
    .await;
    assert_eq!((s, code(&b)), (400, "invalid_json"), "{b}");

    let (s, b) = raw(
        &app,
        post.clone(),
        &inbound,
        Some(&token),
        Some("application/json"),
        br#"{"external_chat_id":"c"}"#.to_vec(),
    )
    .await;
    assert_eq!((s, code(&b)), (422, "validation_failed"), "{b}");
    assert_eq!(b["error"]["field"], "external_message_id");

    let body = json!({"external_chat_id": "c", "external_message_id": "m", "customer": {"external_id": 5}, "text": "x"});
    let (s, b) = raw(
        &app,
        post.clone(),
        &inbound,
        Some(&token),
        Some("application/json"),
        body.to_string().into_bytes(),
    )
    .await;
    assert_eq!((s, code(&b)), (422, "validation_failed"), "{b}");
    assert_eq!(b["error"]["field"], "customer.external_id");

    let body = json!({"external_chat_id": "c", "external_message_id": "m", "customer": {"external_id": "u"}, "text": "   "});
    let (s, b) = raw(
        &app,
        post.clone(),
        &inbound,
        Some(&token),
        Some("application/json"),
        body.to_string().into_bytes(),
    )
    .await;
    assert_eq!((s, code(&b)), (422, "validation_failed"), "{b}");
    assert_eq!(b["error"]["field"], "text");

    let (s, b) = raw(
        &app,
        post.clone(),
        &inbound,
        Some(&token),
        Some("text/plain"),
        b"{}".to_vec(),
    )
    .await;
    assert_eq!((s, code(&b)), (415, "unsupported_media_type"), "{b}");

    let huge = format!(
        r#"{{"external_chat_id":"c","external_message_id":"m","customer":{{"external_id":"u"}},"text":"{}"}}"#,
        "я".repeat(1024 * 1024)
    );
    let (s, b) = raw(
        &app,
        post.clone(),
        &inbound,
        Some(&token),
        Some("application/json"),
        huge.into_bytes(),
    )
    .await;
    assert_eq!((s, code(&b)), (413, "payload_too_large"), "{b}");

    // Nothing of the above was stored.
    let (_, list) = app.get(&app.admin_token, "/api/v1/conversations").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);

    let (s, b) = app
        .post(
            &app.admin_token,
            "/api/v1/conversations/1/lead",
            json!({"lead": "robot"}),
        )
        .await;
    assert_eq!((s, code(&b)), (422, "validation_failed"), "{b}");
}

#[tokio::test]
async fn unknown_ids_and_routes() {
    let app = spawn_app().await;
    let t = app.admin_token.clone();
    for path in [
        "/api/v1/conversations/999999",
        "/api/v1/conversations/999999/messages",
        "/api/v1/accounts/999999",
        "/api/v1/no-such-route",
    ] {
        let (s, b) = app.get(&t, path).await;
        assert_eq!((s, code(&b)), (404, "not_found"), "{path}: {b}");
    }
    let (s, b) = app
        .post(
            &t,
            "/api/v1/conversations/999999/messages",
            json!({"text": "hi"}),
        )
        .await;
    assert_eq!((s, code(&b)), (404, "not_found"), "{b}");
    let (s, b) = app
        .post(
            &t,
            "/api/v1/conversations/999999/lead",
            json!({"lead": "bot"}),
        )
        .await;
    assert_eq!((s, code(&b)), (404, "not_found"), "{b}");
    let (s, b) = app.get(&t, "/api/v1/conversations/abc").await;
    assert_eq!((s, code(&b)), (400, "invalid_id"), "{b}");
    let (s, b) = app.get(&t, "/api/v1/conversations?lead=robot").await;
    assert_eq!((s, code(&b)), (400, "invalid_query"), "{b}");
    let (s, b) = app.get(&t, "/api/v1/conversations?cursor=zzz").await;
    assert_eq!((s, code(&b)), (422, "validation_failed"), "{b}");
    let (s, b) = app.get(&t, "/api/v1/conversations?limit=0").await;
    assert_eq!((s, code(&b)), (422, "validation_failed"), "{b}");
    let body = json!({"external_chat_id": "c", "external_message_id": "m", "customer": {"external_id": "u"}, "text": "x"});
    let (s, b) = app.post(&t, "/api/v1/inbound/999999/messages", body).await;
    assert_eq!((s, code(&b)), (404, "not_found"), "{b}");
}

#[tokio::test]
async fn bad_tokens() {
    let app = spawn_app().await;
    let (s, b) = app.get("not-a-token", "/api/v1/conversations").await;
    assert_eq!((s, code(&b)), (401, "unauthorized"), "{b}");
    let r = app
        .http
        .get(app.url("/api/v1/conversations"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");

    let (account, _) = app.api_account("Сайт", None).await;
    let body = json!({"external_chat_id": "c", "external_message_id": "m", "customer": {"external_id": "u"}, "text": "x"});
    let (s, b) = app
        .post(
            "wrong-inbound-token",
            &format!("/api/v1/inbound/{account}/messages"),
            body.clone(),
        )
        .await;
    assert_eq!((s, code(&b)), (401, "invalid_token"), "{b}");
    // An operator's session token is not an inbound token.
    let (s, b) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/inbound/{account}/messages"),
            body,
        )
        .await;
    assert_eq!((s, code(&b)), (401, "invalid_token"), "{b}");

    // The stream refuses a bad token before upgrading.
    let r = tokio_tungstenite::connect_async(format!("ws://{}/api/v1/stream?token=nope", app.addr))
        .await;
    match r {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 401),
        other => panic!("expected a 401, got {other:?}"),
    }
}
