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

#[tokio::test]
async fn preferences_are_per_operator_validated_and_kept() {
    let app = spawn_app().await;
    let (a1, _) = app.api_account("Первый", None).await;
    let (a2, _) = app.api_account("Второй", None).await;
    let olga = app.create_operator("olga", "operator").await;

    let (s, p) = app.get(&olga, "/api/v1/me/preferences").await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(
        p,
        json!({"hidden_account_ids": [], "sound": true, "language": null})
    );

    let (s, p) = app
        .send(
            Method::PUT,
            &olga,
            "/api/v1/me/preferences",
            json!({"hidden_account_ids": [a2, a1, a2], "sound": false, "language": "en"}),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    let mut expected = vec![a1, a2];
    expected.sort();
    assert_eq!(p["hidden_account_ids"], json!(expected));
    assert_eq!(p["sound"], false);
    // Kept on the server: another session (another browser) sees the same choice.
    let again = app.login("olga", "op-password-1").await;
    assert_eq!(app.get(&again, "/api/v1/me/preferences").await.1, p);
    // The admin's are their own.
    assert_eq!(
        app.get(&app.admin_token, "/api/v1/me/preferences").await.1["hidden_account_ids"],
        json!([])
    );

    for (body, field) in [
        (json!({"language": "de"}), "language"),
        (
            json!({"hidden_account_ids": [987_654]}),
            "hidden_account_ids",
        ),
    ] {
        let (s, e) = app
            .send(Method::PUT, &olga, "/api/v1/me/preferences", body)
            .await;
        assert_eq!(s, 422, "{e}");
        assert_eq!(e["error"]["code"], "validation_failed");
        assert_eq!(e["error"]["field"], field);
    }
    let (s, e) = app
        .send(
            Method::PUT,
            &olga,
            "/api/v1/me/preferences",
            json!({"hidden_account_ids": "1,2"}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["error"]["code"], "validation_failed");
    // Nothing of the refused requests was stored.
    assert_eq!(app.get(&olga, "/api/v1/me/preferences").await.1, p);
    assert_eq!(app.get("nope", "/api/v1/me/preferences").await.0, 401);
}

#[tokio::test]
async fn an_operators_last_request_is_listed_as_last_seen() {
    let app = spawn_app().await;
    let before = frontline_domain::Timestamp::now();
    let (status, created) = app
        .post(
            &app.admin_token,
            "/api/v1/operators",
            json!({"login": "nina", "display_name": "Нина", "password": "password-1", "role": "operator"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert!(
        created["last_seen_at"].is_null(),
        "not seen before signing in: {created}"
    );

    // Signing in is not yet a request with the session; the first one is.
    let nina = app.login("nina", "password-1").await;
    let (status, _) = app.get(&nina, "/api/v1/me").await;
    assert_eq!(status, 200);
    let (_, list) = app.get(&app.admin_token, "/api/v1/operators").await;
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["login"] == "nina")
        .unwrap();
    // The API's times have one fixed RFC 3339 shape, which sorts as the instants do.
    let seen = listed["last_seen_at"].as_str().expect("seen");
    assert!(
        seen >= frontline_api::dto::rfc3339(before).as_str(),
        "{listed}"
    );
    // Operators see their colleagues, not when they were last active.
    let (_, seen_by_nina) = app.get(&nina, "/api/v1/operators").await;
    assert!(
        seen_by_nina
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["last_seen_at"].is_null()),
        "{seen_by_nina}"
    );
}
