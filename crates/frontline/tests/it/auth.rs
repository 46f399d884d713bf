//! Logins, sessions and roles.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn roles_are_enforced() {
    let app = spawn_app().await;
    let op = app.create_operator("olga", "operator").await;

    // Operators may read accounts and colleagues (the inbox needs them)…
    let (s, accounts) = app.get(&op, "/api/v1/accounts").await;
    assert_eq!(s, 200, "{accounts}");
    let (s, _) = app.get(&op, "/api/v1/operators").await;
    assert_eq!(s, 200);
    // …but not manage them.
    let (s, body) = app
        .post(&op, "/api/v1/accounts", json!({"kind": "api", "name": "x"}))
        .await;
    assert_eq!(s, 403, "{body}");
    assert_eq!(body["error"]["code"], "forbidden");
    let (s, _) = app
        .post(
            &op,
            "/api/v1/operators",
            json!({"login": "eve", "display_name": "Eve", "password": "password-1", "role": "admin"}),
        )
        .await;
    assert_eq!(s, 403);
    let (account, _) = app
        .api_account("Сайт", Some("http://127.0.0.1:9/hook"))
        .await;
    for (method, path) in [
        (Method::PATCH, format!("/api/v1/accounts/{account}")),
        (Method::DELETE, format!("/api/v1/accounts/{account}")),
        (
            Method::POST,
            format!("/api/v1/accounts/{account}/rotate-token"),
        ),
        (Method::PATCH, "/api/v1/operators/1".to_owned()),
        (Method::DELETE, "/api/v1/operators/1".to_owned()),
    ] {
        let (s, body) = app.send(method.clone(), &op, &path, json!({})).await;
        assert_eq!(s, 403, "{method} {path}: {body}");
    }
    // Operators do not see callback URLs (integration details are for admins).
    let (_, accounts) = app.get(&op, "/api/v1/accounts").await;
    assert!(accounts[0]["callback_url"].is_null());
    let (_, accounts) = app.get(&app.admin_token, "/api/v1/accounts").await;
    assert_eq!(accounts[0]["callback_url"], "http://127.0.0.1:9/hook");
    // Only admins create shared quick replies.
    let (s, _) = app
        .post(
            &op,
            "/api/v1/quick-replies",
            json!({"title": "t", "text": "x", "shared": true}),
        )
        .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_rate_limited() {
    let app = spawn_app().await;
    for _ in 0..5 {
        let r = app
            .http
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"login": "admin", "password": "wrong-password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_credentials");
    }
    let r = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"login": "admin", "password": "admin-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests");
}

#[tokio::test]
async fn logout_and_deactivation_end_sessions() {
    let app = spawn_app().await;
    let token = app.create_operator("pavel", "operator").await;
    let (s, me) = app.get(&token, "/api/v1/me").await;
    assert_eq!(s, 200);
    assert_eq!(me["login"], "pavel");
    assert_eq!(me["role"], "operator");
    let id = me["id"].as_i64().unwrap();

    let second = app.login("pavel", "op-password-1").await;
    let r = app
        .http
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(app.get(&token, "/api/v1/me").await.0, 401);
    assert_eq!(app.get(&second, "/api/v1/me").await.0, 200);

    let r = app
        .http
        .delete(app.url(&format!("/api/v1/operators/{id}")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(app.get(&second, "/api/v1/me").await.0, 401);
    let r = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"login": "pavel", "password": "op-password-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn the_session_cookie_authenticates_too() {
    let app = spawn_app().await;
    let r = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"login": "admin", "password": "admin-password"}))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let pair = cookie.split(';').next().unwrap().to_owned();
    let r = app
        .http
        .get(app.url("/api/v1/me"))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
