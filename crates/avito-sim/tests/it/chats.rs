//! A4 #1 and #2: the chats list (filters, pagination, limits) and the Chat object of A5.

use serde_json::{Value, json};

use crate::helpers::{ITEM, SHOP, customer, spawn, status_json};

const CHATS: &str = "/messenger/v2/accounts/94235311/chats";

fn ids(body: &Value) -> Vec<String> {
    body["chats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn pagination_is_newest_first_in_the_spec_shape() {
    let env = spawn().await;
    let mut created = Vec::new();
    for n in 0..5 {
        let item = 100 + n;
        created.push(
            env.sim
                .customer_writes(SHOP, &customer(10 + n), Some(item), "Здравствуйте")
                .chat_id,
        );
    }
    // The first chat gets a new message, so it becomes the most recently updated.
    env.sim
        .customer_writes(SHOP, &customer(10), Some(100), "Ау?");
    let token = env.token(SHOP).await;

    let (status, first) = status_json(env.get(&token, &format!("{CHATS}?limit=2")).await).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&first), [created[0].clone(), created[4].clone()]);
    // The spec's `Chats` is `{"chats":[…]}` and nothing else.
    assert_eq!(
        first.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["chats"]
    );

    let (_, last) = status_json(env.get(&token, &format!("{CHATS}?limit=2&offset=4")).await).await;
    assert_eq!(ids(&last), [created[1].clone()]);

    let (_, all) = status_json(env.get(&token, CHATS).await).await;
    assert_eq!(ids(&all).len(), 5);
    assert!(all.get("meta").is_none());
}

#[tokio::test]
async fn has_more_only_when_switched_on() {
    let env = spawn().await;
    for n in 0..3 {
        env.sim
            .customer_writes(SHOP, &customer(10 + n), Some(100 + n), "Здравствуйте");
    }
    env.sim.set_chats_meta(true);
    let token = env.token(SHOP).await;
    let (_, first) = status_json(env.get(&token, &format!("{CHATS}?limit=2")).await).await;
    assert_eq!(first["meta"], json!({"has_more": true}));
    let (_, last) = status_json(env.get(&token, &format!("{CHATS}?limit=2&offset=2")).await).await;
    assert_eq!(last["meta"], json!({"has_more": false}));
    env.sim.set_chats_meta(false);
    let (_, off) = status_json(env.get(&token, &format!("{CHATS}?limit=2")).await).await;
    assert!(off.get("meta").is_none());
}

#[tokio::test]
async fn limits_are_validated() {
    let env = spawn().await;
    let token = env.token(SHOP).await;
    for (query, field) in [
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("offset=1001", "offset"),
        ("offset=-1", "offset"),
        ("limit=abc", "limit"),
        ("chat_types=u2x", "chat_types"),
    ] {
        let (status, body) = status_json(env.get(&token, &format!("{CHATS}?{query}")).await).await;
        assert_eq!(status, 400, "{query}");
        assert_eq!(body["error"]["code"], 400);
        assert_eq!(body["error"]["message"], "Validation error");
        assert!(
            body["error"]["fields"][field].is_string(),
            "{query}: {body}"
        );
    }
    for query in ["limit=100", "limit=1", "offset=1000"] {
        let response = env.get(&token, &format!("{CHATS}?{query}")).await;
        assert_eq!(response.status(), 200, "{query}");
    }
}

#[tokio::test]
async fn chat_types_default_to_u2i_and_accept_both_array_forms() {
    let env = spawn().await;
    let u2i = env
        .sim
        .customer_writes(SHOP, &customer(1), Some(ITEM), "про машину")
        .chat_id;
    let u2u = env
        .sim
        .customer_writes(SHOP, &customer(2), None, "из профиля")
        .chat_id;
    let a2u = env.sim.avito_writes(SHOP, "Новости Авито").chat_id;
    assert!(u2i.starts_with("u2i-") && u2u.starts_with("u2u-") && a2u.starts_with("a2u-"));
    let token = env.token(SHOP).await;

    let (_, default) = status_json(env.get(&token, CHATS).await).await;
    assert_eq!(ids(&default), [u2i.as_str()]);

    for query in [
        "chat_types=u2i,u2u",
        "chat_types=u2i&chat_types=u2u",
        "chat_types%5B%5D=u2u&chat_types%5B%5D=u2i",
    ] {
        let (_, body) = status_json(env.get(&token, &format!("{CHATS}?{query}")).await).await;
        let mut got = ids(&body);
        got.sort();
        let mut want = vec![u2i.clone(), u2u.clone()];
        want.sort();
        assert_eq!(got, want, "{query}");
    }
    let (_, body) = status_json(env.get(&token, &format!("{CHATS}?chat_types=a2u")).await).await;
    assert_eq!(ids(&body), [a2u]);
}

#[tokio::test]
async fn unread_only_and_item_ids_filter() {
    let env = spawn().await;
    let a = env
        .sim
        .customer_writes(SHOP, &customer(1), Some(111), "a")
        .chat_id;
    let b = env
        .sim
        .customer_writes(SHOP, &customer(2), Some(222), "b")
        .chat_id;
    let token = env.token(SHOP).await;
    let read = env
        .post(
            &token,
            &format!("/messenger/v1/accounts/{SHOP}/chats/{a}/read"),
            json!(null),
        )
        .await;
    assert_eq!(read.status(), 200);

    let (_, unread) =
        status_json(env.get(&token, &format!("{CHATS}?unread_only=true")).await).await;
    assert_eq!(ids(&unread), [b.as_str()]);
    let (_, by_item) = status_json(env.get(&token, &format!("{CHATS}?item_ids=111")).await).await;
    assert_eq!(ids(&by_item), [a.as_str()]);
    let (_, both) = status_json(
        env.get(&token, &format!("{CHATS}?item_ids=111,222,333"))
            .await,
    )
    .await;
    assert_eq!(ids(&both).len(), 2);
}

#[tokio::test]
async fn chat_object_has_the_a5_shape() {
    let env = spawn().await;
    let buyer = customer(555);
    let posted = env
        .sim
        .customer_writes(SHOP, &buyer, Some(ITEM), "Торг уместен?");
    let token = env.token(SHOP).await;
    let path = format!("{CHATS}/{}", posted.chat_id);
    let (status, chat) = status_json(env.get(&token, &path).await).await;
    assert_eq!(status, 200);
    assert_eq!(chat["id"], posted.chat_id);
    assert!(chat["created"].as_i64().unwrap() > 1_700_000_000);
    assert_eq!(chat["updated"], chat["last_message"]["created"]);
    let value = &chat["context"]["value"];
    assert_eq!(chat["context"]["type"], "item");
    assert_eq!(value["id"], ITEM);
    assert_eq!(value["title"], "Mazda 3 2008");
    assert_eq!(value["price_string"], "300 000 ₽");
    assert_eq!(value["user_id"], SHOP);
    assert_eq!(value["status_id"], 10);
    let picture = value["images"]["main"]["140x105"].as_str().unwrap();
    assert_eq!(picture, env.url(&format!("/static/items/{ITEM}.svg")));

    let users = chat["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0]["id"], SHOP);
    assert_eq!(users[1]["id"], 555);
    assert_eq!(users[1]["name"], "Покупатель 555");
    let avatar = users[1]["public_user_profile"]["avatar"]["default"]
        .as_str()
        .unwrap();
    assert_eq!(
        users[1]["public_user_profile"]["avatar"]["images"]["128x128"],
        avatar
    );

    let last = &chat["last_message"];
    assert_eq!(last["id"], posted.message_id);
    assert_eq!(last["author_id"], 555);
    assert_eq!(last["direction"], "in");
    assert_eq!(last["type"], "text");
    assert_eq!(last["content"], json!({"text": "Торг уместен?"}));

    // The URLs are served.
    let avatar = env.http.get(avatar).send().await.unwrap();
    assert_eq!(avatar.headers()["content-type"], "image/svg+xml");
    let svg = avatar.text().await.unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains(">П5</text>"),
        "{svg}"
    );
    let item = env.http.get(picture).send().await.unwrap();
    assert_eq!(item.headers()["content-type"], "image/svg+xml");
    assert!(item.text().await.unwrap().contains("Mazda 3 2008"));

    let (status, body) = status_json(env.get(&token, &format!("{CHATS}/u2i-nope")).await).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"error": {"code": 404, "message": "Not found"}})
    );
}

#[tokio::test]
async fn u2u_chat_has_no_item_context() {
    let env = spawn().await;
    let posted = env.sim.customer_writes(SHOP, &customer(9), None, "Привет");
    let token = env.token(SHOP).await;
    let (_, chat) = status_json(
        env.get(&token, &format!("{CHATS}/{}", posted.chat_id))
            .await,
    )
    .await;
    assert!(chat.get("context").is_none());
    assert_eq!(chat["users"].as_array().unwrap().len(), 2);
}
