//! Injected faults, rate limiting and the request log.

use std::time::Duration;

use avito_sim::{Fault, FaultKind, Op};
use serde_json::json;

use crate::helpers::{ITEM, OTHER, SHOP, customer, receiver, spawn, status_json};

const CHATS: &str = "/messenger/v2/accounts/94235311/chats";

#[tokio::test]
async fn too_many_requests_with_retry_after() {
    let env = spawn().await;
    let chat = env
        .sim
        .customer_writes(SHOP, &customer(1), Some(ITEM), "?")
        .chat_id;
    let token = env.token(SHOP).await;
    env.sim.inject(Fault {
        op: Op::SendMessage,
        kind: FaultKind::TooManyRequests {
            retry_after: Some(7),
        },
        times: 1,
    });
    // Other operations are not caught by a fault aimed at sends.
    assert_eq!(env.get(&token, CHATS).await.status(), 200);
    let response = env.send_text(&token, &chat, "раз").await;
    assert_eq!(response.headers()["retry-after"], "7");
    assert_eq!(
        status_json(response).await,
        (
            429,
            json!({"error": {"code": 429, "message": "Too Many Requests"}})
        )
    );
    assert!(env.sim.sent_via_api(SHOP).is_empty(), "a 429 does nothing");
    assert_eq!(env.send_text(&token, &chat, "два").await.status(), 200);
    assert_eq!(env.sim.sent_via_api(SHOP).len(), 1);
}

#[tokio::test]
async fn server_errors_use_the_a3_body() {
    let env = spawn().await;
    let token = env.token(SHOP).await;
    env.sim.inject(Fault {
        op: Op::GetChats,
        kind: FaultKind::ServerError(500),
        times: 2,
    });
    env.sim.inject(Fault {
        op: Op::Any,
        kind: FaultKind::Status(503),
        times: 1,
    });
    for _ in 0..2 {
        let (status, body) = status_json(env.get(&token, CHATS).await).await;
        assert_eq!(status, 500);
        assert_eq!(
            body["error"]["message"],
            "Error while processing request. Please, contact support"
        );
    }
    let (status, body) = status_json(env.get(&token, CHATS).await).await;
    assert_eq!(status, 503);
    assert_eq!(body["error"]["code"], 503);
    assert_eq!(env.get(&token, CHATS).await.status(), 200);

    // A fault on the token endpoint, then a clean slate.
    env.sim.inject(Fault {
        op: Op::Token,
        kind: FaultKind::Status(502),
        times: 5,
    });
    let response = env
        .token_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "client-94235311"),
            ("client_secret", "secret-94235311"),
        ])
        .await;
    assert_eq!(response.status(), 502);
    env.sim.clear_faults();
    env.token(SHOP).await;
}

#[tokio::test]
async fn delay_after_commit_loses_the_response_but_not_the_message() {
    let env = spawn().await;
    let chat = env
        .sim
        .customer_writes(SHOP, &customer(1), Some(ITEM), "?")
        .chat_id;
    let token = env.token(SHOP).await;
    let mut hook = receiver().await;
    env.subscribe(&token, &mut hook).await;
    env.sim.inject(Fault {
        op: Op::SendMessage,
        kind: FaultKind::DelayAfterCommit(Duration::from_secs(5)),
        times: 1,
    });
    let result = env
        .http
        .post(env.url(&format!(
            "/messenger/v1/accounts/{SHOP}/chats/{chat}/messages"
        )))
        .bearer_auth(&token)
        .timeout(Duration::from_millis(300))
        .json(&json!({"message": {"text": "дошло?"}, "type": "text"}))
        .send()
        .await;
    assert!(result.unwrap_err().is_timeout());
    let sent = env.sim.sent_via_api(SHOP);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].text.as_deref(), Some("дошло?"));
    // Its echo was delivered although the caller never saw the id.
    let echo = hook.values(1).await.remove(0);
    assert_eq!(echo["id"], sent[0].id);
}

#[tokio::test]
async fn delay_then_normal_handling() {
    let env = spawn().await;
    let token = env.token(SHOP).await;
    env.sim.inject(Fault {
        op: Op::GetChats,
        kind: FaultKind::Delay(Duration::from_millis(50)),
        times: 1,
    });
    let (status, body) = status_json(env.get(&token, CHATS).await).await;
    assert_eq!(status, 200);
    assert!(body["chats"].is_array());
}

#[tokio::test]
async fn rate_limit_counts_per_account() {
    let env = spawn().await;
    let token = env.token(SHOP).await;
    let other = env.token(OTHER).await;
    env.sim.set_rate_limit(Some(2));
    for remaining in ["1", "0"] {
        let response = env.get(&token, CHATS).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-ratelimit-limit"], "2");
        assert_eq!(response.headers()["x-ratelimit-remaining"], remaining);
    }
    let response = env.get(&token, CHATS).await;
    assert_eq!(response.headers()["x-ratelimit-remaining"], "0");
    assert_eq!(
        status_json(response).await,
        (
            429,
            json!({"error": {"code": 429, "message": "Too Many Requests"}})
        )
    );
    let own = env
        .get(&other, &format!("/messenger/v2/accounts/{OTHER}/chats"))
        .await;
    assert_eq!(own.status(), 200);
    env.sim.set_rate_limit(None);
    let response = env.get(&token, CHATS).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("x-ratelimit-limit").is_none());
}

#[tokio::test]
async fn request_log_labels_operations() {
    let env = spawn().await;
    let token = env.token(SHOP).await;
    env.get(&token, CHATS).await;
    env.get("nope", CHATS).await;
    let (status, body) = status_json(env.get(&token, "/messenger/v1/webhooks").await).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["message"], "Not found");
    let log: Vec<(Op, u16)> = env
        .sim
        .request_log()
        .iter()
        .map(|r| (r.op, r.status))
        .collect();
    assert_eq!(
        log,
        [
            (Op::Token, 200),
            (Op::GetChats, 200),
            (Op::GetChats, 401),
            (Op::Any, 404)
        ]
    );
    assert_eq!(env.sim.request_log()[1].path, CHATS);
    assert_eq!(env.sim.request_log()[1].method, "GET");
}
