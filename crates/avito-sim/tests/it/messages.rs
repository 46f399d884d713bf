//! A4 #3, #4, #7 and #8: listing, sending, deleting and reading messages.

use std::time::Duration;

use avito_sim::MessagesShape;
use serde_json::{Value, json};

use crate::helpers::{ITEM, SHOP, customer, spawn, status_json};

fn messages_path(chat: &str) -> String {
    format!("/messenger/v3/accounts/{SHOP}/chats/{chat}/messages/")
}

#[tokio::test]
async fn messages_are_newest_first_in_both_shapes() {
    let env = spawn().await;
    let buyer = customer(7);
    let first = env.sim.customer_writes(SHOP, &buyer, Some(ITEM), "один");
    let second = env.sim.customer_writes(SHOP, &buyer, Some(ITEM), "два");
    let third = env.sim.customer_writes(SHOP, &buyer, Some(ITEM), "три");
    assert_eq!(first.chat_id, third.chat_id);
    let chat = first.chat_id.clone();
    let token = env.token(SHOP).await;

    let (status, body) = status_json(env.get(&token, &messages_path(&chat)).await).await;
    assert_eq!(status, 200);
    let list = body.as_array().expect("a bare array by default");
    let got: Vec<&str> = list.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(
        got,
        [
            third.message_id.as_str(),
            second.message_id.as_str(),
            first.message_id.as_str()
        ]
    );
    let m = &list[0];
    assert_eq!(m["author_id"], 7);
    assert_eq!(m["type"], "text");
    assert_eq!(m["direction"], "in");
    assert_eq!(m["is_read"], false);
    assert_eq!(m["read"], Value::Null);
    assert_eq!(m["content"], json!({"text": "три"}));
    assert_eq!(m["id"].as_str().unwrap().len(), 32);

    // Without the trailing slash, with limit and offset.
    let path = format!("/messenger/v3/accounts/{SHOP}/chats/{chat}/messages?limit=1&offset=1");
    let (_, page) = status_json(env.get(&token, &path).await).await;
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(page[0]["id"], second.message_id);

    env.sim.set_messages_shape(MessagesShape::Wrapped);
    let (_, wrapped) = status_json(env.get(&token, &messages_path(&chat)).await).await;
    assert_eq!(wrapped["messages"].as_array().unwrap().len(), 3);
    assert_eq!(wrapped["messages"][0]["id"], third.message_id);

    let (status, body) = status_json(
        env.get(&token, &format!("{}?limit=101", messages_path(&chat)))
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["limit"].is_string());
    let (status, _) = status_json(
        env.get(&token, &format!("{}?offset=1001", messages_path(&chat)))
            .await,
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn send_text_up_to_1000_characters() {
    let env = spawn().await;
    let chat = env
        .sim
        .customer_writes(SHOP, &customer(7), Some(ITEM), "Здравствуйте")
        .chat_id;
    let token = env.token(SHOP).await;

    let longest = "я".repeat(1000);
    let (status, sent) = status_json(env.send_text(&token, &chat, &longest).await).await;
    assert_eq!(status, 200);
    assert_eq!(sent["direction"], "out");
    assert_eq!(sent["type"], "text");
    assert_eq!(sent["content"]["text"], longest);
    let id = sent["id"].as_str().unwrap();
    assert_eq!(id.len(), 32);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));

    let (status, body) = status_json(env.send_text(&token, &chat, &"я".repeat(1001)).await).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["message"], "Validation error");
    assert!(body["error"]["fields"]["message.text"].is_string());

    let (status, body) = status_json(
        env.post(
            &token,
            &format!("/messenger/v1/accounts/{SHOP}/chats/{chat}/messages"),
            json!({"message": {"text": "без типа"}}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["type"].is_string());

    let (status, _) = status_json(env.send_text(&token, "u2i-unknown", "hi").await).await;
    assert_eq!(status, 404);

    let sent_via_api = env.sim.sent_via_api(SHOP);
    assert_eq!(sent_via_api.len(), 1);
    assert_eq!(sent_via_api[0].id, id);
    assert_eq!(sent_via_api[0].author_id, SHOP);
    assert_eq!(sent_via_api[0].text.as_deref(), Some(longest.as_str()));
    let stored = env.sim.messages(SHOP, &chat);
    assert_eq!(stored.len(), 2);
    assert!(!stored[0].via_api && stored[1].via_api);

    let (_, list) = status_json(env.get(&token, &messages_path(&chat)).await).await;
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["direction"], "out");
    assert_eq!(list[0]["is_read"], true);
}

#[tokio::test]
async fn read_marks_the_chat_read_and_listing_does_not() {
    let env = spawn().await;
    let chat = env
        .sim
        .customer_writes(SHOP, &customer(7), Some(ITEM), "Есть?")
        .chat_id;
    let token = env.token(SHOP).await;
    let (_, before) = status_json(env.get(&token, &messages_path(&chat)).await).await;
    assert_eq!(before[0]["is_read"], false);
    let (_, again) = status_json(env.get(&token, &messages_path(&chat)).await).await;
    assert_eq!(again[0]["is_read"], false, "listing must not mark read");
    assert_eq!(env.sim.read_calls(SHOP, &chat), 0);

    let read = env
        .post(
            &token,
            &format!("/messenger/v1/accounts/{SHOP}/chats/{chat}/read"),
            json!(null),
        )
        .await;
    assert_eq!(status_json(read).await, (200, json!({"ok": true})));
    assert_eq!(env.sim.read_calls(SHOP, &chat), 1);
    let (_, after) = status_json(env.get(&token, &messages_path(&chat)).await).await;
    assert_eq!(after[0]["is_read"], true);
    assert!(after[0]["read"].as_i64().is_some());
}

#[tokio::test]
async fn delete_within_an_hour_only_own_messages() {
    let env = spawn().await;
    let incoming = env
        .sim
        .customer_writes(SHOP, &customer(7), Some(ITEM), "Привет");
    let chat = incoming.chat_id.clone();
    let token = env.token(SHOP).await;
    let sent: Value = env
        .send_text(&token, &chat, "ошибся")
        .await
        .json()
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap();
    let delete = |message: String| {
        let token = token.clone();
        let env = &env;
        let chat = chat.clone();
        async move {
            status_json(
                env.post(
                    &token,
                    &format!("/messenger/v1/accounts/{SHOP}/chats/{chat}/messages/{message}"),
                    json!(null),
                )
                .await,
            )
            .await
        }
    };
    assert_eq!(delete(id.to_owned()).await, (200, json!({})));
    let stored = env.sim.messages(SHOP, &chat);
    assert_eq!(stored[1].kind, "deleted");
    let (_, list) = status_json(env.get(&token, &messages_path(&chat)).await).await;
    assert_eq!(list[0]["type"], "deleted");
    assert_eq!(list[0]["content"], json!({}));

    let (status, _) = delete(incoming.message_id.clone()).await;
    assert_eq!(status, 400, "a customer's message is not ours to delete");
    let (status, _) = delete("0".repeat(32)).await;
    assert_eq!(status, 404);

    let late: Value = env
        .send_text(&token, &chat, "старое")
        .await
        .json()
        .await
        .unwrap();
    env.sim.advance_clock(Duration::from_secs(3601));
    let token_is_fine = env.get(&token, &messages_path(&chat)).await.status();
    assert_eq!(token_is_fine, 200);
    let (status, body) = delete(late["id"].as_str().unwrap().to_owned()).await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["message_id"].is_string());
}

#[tokio::test]
async fn message_types_render_only_their_key() {
    let env = spawn().await;
    let buyer = customer(8);
    let chat = env
        .sim
        .customer_sends(SHOP, &buyer, Some(ITEM), avito_sim::Content::File)
        .chat_id;
    env.sim.customer_sends(
        SHOP,
        &buyer,
        Some(ITEM),
        avito_sim::Content::Location {
            lat: 55.75,
            lon: 37.61,
            text: "Москва".into(),
        },
    );
    env.sim
        .system_message(SHOP, &chat, "Скидка 10%", "seller_audience_discount");
    let token = env.token(SHOP).await;
    let (_, list) = status_json(env.get(&token, &messages_path(&chat)).await).await;
    assert_eq!(list[0]["type"], "system");
    assert_eq!(list[0]["author_id"], 0);
    assert_eq!(list[0]["content"]["flow_id"], "seller_audience_discount");
    assert_eq!(list[1]["type"], "location");
    assert_eq!(list[1]["content"]["location"]["lat"], 55.75);
    assert_eq!(list[1]["content"].as_object().unwrap().len(), 1);
    assert_eq!(list[2]["type"], "file");
    assert_eq!(list[2]["content"], json!({}));
}

#[tokio::test]
async fn a_reply_carries_the_quoted_message_and_a_link_its_preview() {
    let env = spawn().await;
    let buyer = customer(7);
    let asked = env
        .sim
        .customer_writes(SHOP, &buyer, Some(ITEM), "Есть доставка?");
    let reply = env
        .sim
        .customer_replies(SHOP, &asked.chat_id, &asked.message_id, "Жду ответа");
    let link = env.sim.customer_sends(
        SHOP,
        &buyer,
        Some(ITEM),
        avito_sim::Content::Link {
            url: "https://habr.com/ru/articles/1/".into(),
            text: "вот такой".into(),
            preview: Some(avito_sim::LinkPreview {
                title: "Статья".into(),
                description: "О диванах".into(),
            }),
        },
    );
    let token = env.token(SHOP).await;
    let (_, body) = status_json(env.get(&token, &messages_path(&asked.chat_id)).await).await;
    let by_id = |id: &str| {
        body.as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == id)
            .cloned()
            .unwrap()
    };
    let r = by_id(&reply.message_id);
    assert_eq!(r["content"], json!({"text": "Жду ответа"}));
    let quote = &r["quote"];
    assert_eq!(quote["id"], asked.message_id.as_str());
    assert_eq!(quote["author_id"], 7);
    assert_eq!(quote["type"], "text");
    assert_eq!(quote["content"], json!({"text": "Есть доставка?"}));
    assert!(quote["created"].is_i64());
    assert!(by_id(&asked.message_id).get("quote").is_none());

    let l = &by_id(&link.message_id)["content"]["link"];
    assert_eq!(l["url"], "https://habr.com/ru/articles/1/");
    assert_eq!(l["text"], "вот такой");
    let preview = &l["preview"];
    assert_eq!(preview["title"], "Статья");
    assert_eq!(preview["description"], "О диванах");
    assert_eq!(preview["domain"], "habr.com");
    assert_eq!(preview["url"], "https://habr.com/ru/articles/1/");
    let picture = preview["images"]["640x480"].as_str().unwrap();
    let served = reqwest::get(picture).await.unwrap();
    assert_eq!(served.status(), 200);

    // An unknown quoted message is refused by the control call.
    let r = reqwest::Client::new()
        .post(env.url("/_sim/customer_reply"))
        .json(&json!({"account": SHOP, "chat_id": asked.chat_id, "quote_id": "nope", "text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
