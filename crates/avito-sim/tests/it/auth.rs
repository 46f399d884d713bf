//! A2: the token endpoint and bearer auth on the messenger operations.

use std::time::Duration;

use avito_sim::SimConfig;
use serde_json::{Value, json};

use crate::helpers::{OTHER, SHOP, spawn, spawn_with, status_json};

const CHATS: &str = "/messenger/v2/accounts/94235311/chats";

#[tokio::test]
async fn client_credentials_grant_on_both_paths() {
    let env = spawn().await;
    for path in ["/token", "/token/"] {
        let response = env
            .http
            .post(env.url(path))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "client-94235311"),
                ("client_secret", "secret-94235311"),
            ])
            .send()
            .await
            .unwrap();
        let (status, body) = status_json(response).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(body["expires_in"], 86_400);
        assert_eq!(body["token_type"], "Bearer");
        assert!(body.get("refresh_token").is_none());
        let token = body["access_token"].as_str().unwrap();
        assert_eq!(env.get(token, CHATS).await.status(), 200);
    }
    assert_eq!(env.sim.token_grants(SHOP), 2);
    assert_eq!(env.sim.token_grants(OTHER), 0);
}

#[tokio::test]
async fn bad_client_is_invalid_client() {
    let env = spawn().await;
    let response = env
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "client-94235311"),
            ("client_secret", "wrong"),
        ])
        .await;
    let (status, body) = status_json(response).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"].is_string());
    assert_eq!(env.sim.token_grants(SHOP), 0);
}

#[tokio::test]
async fn ttl_is_reported_in_seconds() {
    let env = spawn_with(SimConfig {
        token_ttl: Duration::from_secs(90),
        ..SimConfig::default()
    })
    .await;
    let response = env
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "client-94235311"),
            ("client_secret", "secret-94235311"),
        ])
        .await;
    assert_eq!(status_json(response).await.1["expires_in"], 90);
}

#[tokio::test]
async fn authorization_code_then_refresh_rotation() {
    let env = spawn().await;
    env.sim.authorize_code(SHOP, "one-time-code");
    let base = [
        ("client_id", "client-94235311"),
        ("client_secret", "secret-94235311"),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut form: Vec<(&str, &str)> = base.to_vec();
        form.extend_from_slice(extra);
        form
    };
    let (status, first) = status_json(
        env.token_form(&with(&[
            ("grant_type", "authorization_code"),
            ("code", "one-time-code"),
        ]))
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(first["scope"], "messenger:read,messenger:write");
    assert_eq!(first["token_type"], "Bearer");
    let refresh = first["refresh_token"].as_str().unwrap().to_owned();

    // A registered code works once.
    let (status, again) = status_json(
        env.token_form(&with(&[
            ("grant_type", "authorization_code"),
            ("code", "one-time-code"),
        ]))
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(again["error"], "invalid_grant");

    let mut form = base.to_vec();
    form.push(("grant_type", "refresh_token"));
    form.push(("refresh_token", &refresh));
    let (status, second) = status_json(env.token_form(&form).await).await;
    assert_eq!(status, 200);
    let new_refresh = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, refresh);
    assert_ne!(second["access_token"], first["access_token"]);
    let token = second["access_token"].as_str().unwrap();
    assert_eq!(env.get(token, CHATS).await.status(), 200);

    // The old refresh token died with the exchange; the new one works.
    let (status, body) = status_json(env.token_form(&form).await).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    let mut form = base.to_vec();
    form.push(("grant_type", "refresh_token"));
    form.push(("refresh_token", &new_refresh));
    assert_eq!(env.token_form(&form).await.status(), 200);
    assert_eq!(env.sim.token_grants(SHOP), 3);
}

#[tokio::test]
async fn missing_or_garbage_token_is_401() {
    let env = spawn().await;
    let unauthorized = json!({"error": {"code": 401, "message": "Unauthorized"}});
    let response = env.http.get(env.url(CHATS)).send().await.unwrap();
    assert_eq!(status_json(response).await, (401, unauthorized.clone()));
    let response = env.get("garbage", CHATS).await;
    assert_eq!(status_json(response).await, (401, unauthorized));
}

#[tokio::test]
async fn expired_token_is_403_and_a_new_one_works() {
    let env = spawn().await;
    let forbidden = json!({"error": {"code": 403, "message": "Forbidden"}});
    let token = env.token(SHOP).await;
    env.sim.expire_tokens(SHOP);
    assert_eq!(
        status_json(env.get(&token, CHATS).await).await,
        (403, forbidden.clone())
    );
    let fresh = env.token(SHOP).await;
    assert_eq!(env.get(&fresh, CHATS).await.status(), 200);

    // The natural expiry after the TTL answers 403 as well.
    env.sim.advance_clock(Duration::from_secs(86_401));
    assert_eq!(
        status_json(env.get(&fresh, CHATS).await).await,
        (403, forbidden)
    );
}

#[tokio::test]
async fn another_accounts_path_is_403() {
    let env = spawn().await;
    let other = env.token(OTHER).await;
    let (status, body) = status_json(env.get(&other, CHATS).await).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["message"], "Forbidden");
    let own: Value = env
        .get(&other, &format!("/messenger/v2/accounts/{OTHER}/chats"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["chats"], json!([]));
}
