//! The `/_sim/` control API a person drives with curl.

use serde_json::{Value, json};

use crate::helpers::{ITEM, SHOP, spawn, status_json};

#[tokio::test]
async fn drive_a_conversation_over_http() {
    let env = spawn().await;
    let post = |path: &str, body: Value| env.http.post(env.url(path)).json(&body).send();
    let (status, posted) = status_json(
        post(
            "/_sim/customer_writes",
            json!({"account": SHOP, "customer_id": 5001, "customer_name": "Анна",
                   "item_id": ITEM, "text": "Здравствуйте"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let chat = posted["chat_id"].as_str().unwrap().to_owned();
    assert_eq!(env.sim.chats(SHOP), [chat.as_str()]);

    let (status, _) = status_json(
        post(
            "/_sim/app_reply",
            json!({"account": SHOP, "chat_id": chat, "text": "Добрый день"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = status_json(
        post(
            "/_sim/app_reply",
            json!({"account": SHOP, "chat_id": "u2i-missing", "text": "?"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 404);

    let token = env.token(SHOP).await;
    assert_eq!(
        env.send_text(&token, &chat, "через API").await.status(),
        200
    );
    let sent: Value = env
        .http
        .get(env.url(&format!("/_sim/accounts/{SHOP}/sent")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sent.as_array().unwrap().len(), 1);
    assert_eq!(sent[0]["text"], "через API");

    let (status, _) = status_json(
        post(
            "/_sim/faults",
            json!({"op": "send_message", "kind": "server_error", "status": 503, "times": 1}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(env.send_text(&token, &chat, "упадёт").await.status(), 503);

    let (status, _) = status_json(
        post(&format!("/_sim/expire_tokens/{SHOP}"), json!(null))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        env.send_text(&token, &chat, "просрочен").await.status(),
        403
    );

    let messages: Value = env
        .http
        .get(env.url(&format!("/_sim/accounts/{SHOP}/chats/{chat}/messages")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let texts: Vec<&str> = messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Здравствуйте", "Добрый день", "через API"]);
    // The control API is not Avito's surface: it stays out of the request log.
    assert!(
        env.sim
            .request_log()
            .iter()
            .all(|r| !r.path.starts_with("/_sim"))
    );
}

#[tokio::test]
async fn a_voice_message_carries_the_bytes_given_over_http() {
    use base64::Engine as _;
    let env = spawn().await;
    let audio = b"\0\0\0\x20ftypisom real opus would be here".to_vec();
    let post = |body: Value| {
        env.http
            .post(env.url("/_sim/customer_voice"))
            .json(&body)
            .send()
    };
    let (status, posted) = status_json(
        post(
            json!({"account": SHOP, "customer_id": 5002, "customer_name": "Пётр",
                    "item_id": ITEM,
                    "audio_base64": base64::engine::general_purpose::STANDARD.encode(&audio)}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{posted}");
    let chat = posted["chat_id"].as_str().unwrap();

    let token = env.token(SHOP).await;
    let (_, list) = status_json(
        env.get(
            &token,
            &format!("/messenger/v3/accounts/{SHOP}/chats/{chat}/messages/"),
        )
        .await,
    )
    .await;
    assert_eq!(list[0]["type"], "voice", "{list}");
    let voice_id = list[0]["content"]["voice"]["voice_id"].as_str().unwrap();
    let (_, urls) = status_json(
        env.get(
            &token,
            &format!("/messenger/v1/accounts/{SHOP}/getVoiceFiles?voice_ids={voice_id}"),
        )
        .await,
    )
    .await;
    let url = urls["voices_urls"][voice_id].as_str().unwrap();
    let served = env.http.get(url).send().await.unwrap();
    assert_eq!(served.headers()["content-type"], "audio/mp4");
    assert_eq!(served.bytes().await.unwrap().to_vec(), audio);

    for bad in ["", "not base64!"] {
        let (status, body) = status_json(
            post(
                json!({"account": SHOP, "customer_id": 5002, "customer_name": "Пётр",
                        "audio_base64": bad}),
            )
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, 400, "{bad:?}: {body}");
    }
}
