//! A6: subscribe probe, v3.0.0 deliveries (customer messages, echoes of our sends, app replies,
//! system messages), retries, and the drop/duplicate/hold faults.

use serde_json::{Value, json};

use crate::helpers::{ITEM, SHOP, customer, eventually, receiver, spawn, status_json};

#[tokio::test]
async fn deliveries_cover_customer_messages_and_echoes() {
    let env = spawn().await;
    let token = env.token(SHOP).await;
    let mut hook = receiver().await;
    env.subscribe(&token, &mut hook).await;
    let (status, subs) = status_json(
        env.post(&token, "/messenger/v1/subscriptions", json!(null))
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        subs,
        json!({"subscriptions": [{"url": hook.url, "version": "3"}]})
    );
    assert_eq!(env.sim.subscriptions(SHOP), [hook.url.clone()]);

    let posted = env
        .sim
        .customer_writes(SHOP, &customer(67890), Some(ITEM), "Test message");
    let hit = hook.next().await;
    let signature = hit.signature.expect("signature header");
    assert_eq!(signature.len(), 64);
    assert!(signature.chars().all(|c| c.is_ascii_hexdigit()));
    let envelope = hit.body;
    assert_eq!(envelope["version"], "v3.0.0");
    assert_eq!(envelope["id"].as_str().unwrap().len(), 36);
    assert!(envelope["timestamp"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(envelope["payload"]["type"], "message");
    let value = &envelope["payload"]["value"];
    assert_eq!(value["id"], posted.message_id);
    assert_eq!(value["chat_id"], posted.chat_id);
    assert_eq!(value["user_id"], SHOP);
    assert_eq!(value["author_id"], 67890);
    assert_eq!(value["type"], "text");
    assert_eq!(value["chat_type"], "u2i");
    assert_eq!(value["item_id"], ITEM);
    assert_eq!(value["content"], json!({"text": "Test message"}));
    let published = value["published_at"].as_str().unwrap();
    assert!(
        published.ends_with('Z') && published.len() == 20,
        "{published}"
    );
    assert_eq!(
        value["created"],
        env.sim.messages(SHOP, &posted.chat_id)[0].created
    );

    // Our own send comes back as an echo with the id the send returned.
    let (status, sent) =
        status_json(env.send_text(&token, &posted.chat_id, "Добрый день").await).await;
    assert_eq!(status, 200);
    let echo = hook.values(1).await.remove(0);
    assert_eq!(echo["id"], sent["id"]);
    assert_eq!(echo["author_id"], SHOP);
    assert_eq!(echo["user_id"], SHOP);

    // A human answering in the Avito app: authored by the account, an id we never got from a send.
    let app = env.sim.app_reply(SHOP, &posted.chat_id, "Отвечу сам");
    let echo = hook.values(1).await.remove(0);
    assert_eq!(echo["id"], app.message_id);
    assert_eq!(echo["author_id"], SHOP);
    assert_ne!(echo["id"], sent["id"]);
    assert!(
        env.sim
            .sent_via_api(SHOP)
            .iter()
            .all(|m| m.id != app.message_id)
    );

    env.sim.system_message(
        SHOP,
        &posted.chat_id,
        "Покупатель оформил доставку",
        "delivery",
    );
    let system = hook.values(1).await.remove(0);
    assert_eq!(system["type"], "system");
    assert_eq!(system["author_id"], 0);
    assert_eq!(system["content"]["flow_id"], "delivery");

    // A u2u chat carries no item_id.
    env.sim
        .customer_writes(SHOP, &customer(1), None, "из профиля");
    let u2u = hook.values(1).await.remove(0);
    assert_eq!(u2u["chat_type"], "u2u");
    assert!(u2u.get("item_id").is_none());

    // Nothing else was delivered: one delivery per message.
    assert!(hook.is_idle());
}

#[tokio::test]
async fn a_url_that_fails_the_probe_is_refused() {
    let env = spawn().await;
    let token = env.token(SHOP).await;
    let mut hook = receiver().await;
    hook.fail_next.store(1, std::sync::atomic::Ordering::SeqCst);
    let (status, body) = status_json(
        env.post(&token, "/messenger/v3/webhook", json!({"url": hook.url}))
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["message"], "Validation error");
    assert_eq!(hook.next().await.body, json!({}));
    assert!(env.sim.subscriptions(SHOP).is_empty());
    let log = env.sim.webhook_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, Some(500));
    assert_eq!(log[0].message_id, None);

    let (status, _) = status_json(
        env.post(
            &token,
            "/messenger/v3/webhook",
            json!({"url": "http://127.0.0.1:9/x"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = status_json(env.post(&token, "/messenger/v3/webhook", json!({})).await).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn unsubscribe_stops_deliveries() {
    let env = spawn().await;
    let token = env.token(SHOP).await;
    let mut hook = receiver().await;
    env.subscribe(&token, &mut hook).await;
    let (status, body) = status_json(
        env.post(
            &token,
            "/messenger/v1/webhook/unsubscribe",
            json!({"url": hook.url}),
        )
        .await,
    )
    .await;
    assert_eq!((status, body), (200, json!({"ok": true})));
    assert!(env.sim.subscriptions(SHOP).is_empty());
    env.sim
        .customer_writes(SHOP, &customer(2), Some(ITEM), "тишина");
    // Deliveries are decided synchronously: with no subscription nothing is queued or logged.
    assert_eq!(env.sim.webhook_log().len(), 1, "only the probe");
}

#[tokio::test]
async fn failed_deliveries_are_retried_and_logged() {
    let env = spawn().await;
    let token = env.token(SHOP).await;
    let mut hook = receiver().await;
    env.subscribe(&token, &mut hook).await;
    hook.fail_next.store(2, std::sync::atomic::Ordering::SeqCst);
    let posted = env
        .sim
        .customer_writes(SHOP, &customer(2), Some(ITEM), "ещё раз");
    let ids: Vec<Value> = hook
        .values(3)
        .await
        .iter()
        .map(|v| v["id"].clone())
        .collect();
    assert_eq!(ids, vec![json!(posted.message_id); 3]);
    // The sim logs an attempt once it has the receiver's answer, just after the receiver saw it.
    let attempts = || -> Vec<Option<u16>> {
        env.sim
            .webhook_log()
            .iter()
            .filter(|a| a.message_id.as_deref() == Some(posted.message_id.as_str()))
            .map(|a| a.status)
            .collect()
    };
    eventually(|| attempts().len() == 3).await;
    assert_eq!(attempts(), [Some(500), Some(500), Some(200)]);
}

#[tokio::test]
async fn dropped_deliveries_never_arrive() {
    let env = spawn().await;
    let token = env.token(SHOP).await;
    let mut hook = receiver().await;
    env.subscribe(&token, &mut hook).await;
    env.sim.drop_webhooks(1);
    let lost = env
        .sim
        .customer_writes(SHOP, &customer(2), Some(ITEM), "потеряно");
    let kept = env
        .sim
        .customer_writes(SHOP, &customer(2), Some(ITEM), "дошло");
    let got = hook.values(1).await.remove(0);
    assert_eq!(got["id"], kept.message_id);
    assert!(hook.is_idle());
    let messages = env.sim.messages(SHOP, &lost.chat_id);
    assert_eq!(
        messages[0].id, lost.message_id,
        "the message exists in the API"
    );
    let dropped = env
        .sim
        .webhook_log()
        .into_iter()
        .find(|a| a.message_id.as_deref() == Some(lost.message_id.as_str()))
        .unwrap();
    assert_eq!(dropped.status, None);
    assert!(dropped.error.unwrap().contains("dropped"));
}

#[tokio::test]
async fn duplicated_deliveries_arrive_twice() {
    let env = spawn().await;
    let token = env.token(SHOP).await;
    let mut hook = receiver().await;
    env.subscribe(&token, &mut hook).await;
    env.sim.duplicate_webhooks(1);
    let twice = env
        .sim
        .customer_writes(SHOP, &customer(2), Some(ITEM), "дважды");
    let once = env
        .sim
        .customer_writes(SHOP, &customer(2), Some(ITEM), "однажды");
    let got = hook.values(3).await;
    let count = |id: &str| got.iter().filter(|v| v["id"] == id).count();
    assert_eq!(count(&twice.message_id), 2);
    assert_eq!(count(&once.message_id), 1);
}

#[tokio::test]
async fn held_deliveries_are_released_in_reverse() {
    let env = spawn().await;
    let token = env.token(SHOP).await;
    let mut hook = receiver().await;
    env.subscribe(&token, &mut hook).await;
    env.sim.hold_webhooks();
    let ids: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|t| {
            env.sim
                .customer_writes(SHOP, &customer(2), Some(ITEM), t)
                .message_id
        })
        .collect();
    assert_eq!(env.sim.held_webhooks(), 3);
    assert!(hook.is_idle());
    env.sim.release_webhooks(true);
    let got: Vec<String> = hook
        .values(3)
        .await
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, [ids[2].clone(), ids[1].clone(), ids[0].clone()]);
    assert_eq!(env.sim.held_webhooks(), 0);

    // Back to normal: the next message is delivered at once.
    let next = env.sim.customer_writes(SHOP, &customer(2), Some(ITEM), "d");
    assert_eq!(hook.values(1).await[0]["id"], next.message_id);
}

#[tokio::test]
async fn voice_image_and_deleted_events_are_delivered() {
    let env = spawn().await;
    let token = env.token(SHOP).await;
    let mut hook = receiver().await;
    env.subscribe(&token, &mut hook).await;
    let buyer = customer(3);
    let voice = env.sim.customer_sends(
        SHOP,
        &buyer,
        Some(ITEM),
        avito_sim::Content::Voice(b"opus".to_vec()),
    );
    let event = hook.values(1).await.remove(0);
    assert_eq!(event["type"], "voice");
    assert!(event["content"]["voice"]["voice_id"].is_string());

    env.sim
        .customer_sends(SHOP, &buyer, Some(ITEM), avito_sim::Content::Image);
    let event = hook.values(1).await.remove(0);
    assert_eq!(event["type"], "image");
    let sizes = event["content"]["image"]["sizes"].as_object().unwrap();
    assert_eq!(sizes.len(), 4);
    let picture = env
        .http
        .get(sizes["640x480"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(picture.headers()["content-type"], "image/svg+xml");

    env.sim
        .customer_sends(SHOP, &buyer, Some(ITEM), avito_sim::Content::AppCall);
    let event = hook.values(1).await.remove(0);
    assert_eq!(event["type"], "appCall");
    assert_eq!(event["content"], json!({}));

    assert!(
        env.sim
            .customer_deletes(SHOP, &voice.chat_id, &voice.message_id)
    );
    let event = hook.values(1).await.remove(0);
    assert_eq!(event["id"], voice.message_id);
    assert_eq!(event["type"], "deleted");
    assert_eq!(env.sim.messages(SHOP, &voice.chat_id)[0].kind, "deleted");
    assert!(!env.sim.customer_deletes(SHOP, &voice.chat_id, "missing"));
}
