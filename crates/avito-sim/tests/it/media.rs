//! A4 #5, #6, #9, #10: image upload and send, voice files, blacklist.

use std::time::Duration;

use avito_sim::Content;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{Env, ITEM, SHOP, customer, spawn, status_json};

fn png(extra: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..extra).map(|i| (i % 251) as u8));
    bytes
}

async fn upload(env: &Env, token: &str, field: &str, bytes: Vec<u8>) -> (u16, Value) {
    let form = Form::new().part(
        field.to_owned(),
        Part::bytes(bytes)
            .file_name("photo.png")
            .mime_str("image/png")
            .unwrap(),
    );
    let response = env
        .http
        .post(env.url(&format!("/messenger/v1/accounts/{SHOP}/uploadImages")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    status_json(response).await
}

#[tokio::test]
async fn upload_then_send_image() {
    let env = spawn().await;
    let chat = env
        .sim
        .customer_writes(SHOP, &customer(3), Some(ITEM), "Фото есть?")
        .chat_id;
    let token = env.token(SHOP).await;
    let bytes = png(1000);
    let (status, uploaded) = upload(&env, &token, "uploadfile[]", bytes.clone()).await;
    assert_eq!(status, 200);
    let map = uploaded.as_object().unwrap();
    assert_eq!(map.len(), 1);
    let (image_id, sizes) = map.iter().next().unwrap();
    let mut names: Vec<&String> = sizes.as_object().unwrap().keys().collect();
    names.sort();
    assert_eq!(names, ["1280x960", "140x105", "32x32"]);
    let url = sizes["1280x960"].as_str().unwrap();
    assert!(url.starts_with(&env.sim.base_url()));
    let served = env.http.get(url).send().await.unwrap();
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.unwrap().to_vec(), bytes);

    let (status, sent) = status_json(
        env.post(
            &token,
            &format!("/messenger/v1/accounts/{SHOP}/chats/{chat}/messages/image"),
            json!({"image_id": image_id}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sent["type"], "image");
    assert_eq!(sent["author_id"], SHOP);
    assert_eq!(sent["direction"], "out");
    assert_eq!(sent["content"]["image"]["sizes"], *sizes);
    let api = env.sim.sent_via_api(SHOP);
    assert_eq!(api.len(), 1);
    assert_eq!(api[0].kind, "image");
    assert_eq!(api[0].id, sent["id"].as_str().unwrap());

    let (status, body) = status_json(
        env.post(
            &token,
            &format!("/messenger/v1/accounts/{SHOP}/chats/{chat}/messages/image"),
            json!({"image_id": "12345.12345abcdefghijklm"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["image_id"].is_string());
}

#[tokio::test]
async fn upload_is_validated() {
    let env = spawn().await;
    let token = env.token(SHOP).await;
    let (status, body) = upload(&env, &token, "file", png(10)).await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["uploadfile[]"].is_string());
    let (status, _) = upload(&env, &token, "uploadfile[]", b"<svg/>".to_vec()).await;
    assert_eq!(status, 400);
    let (status, body) = upload(&env, &token, "uploadfile[]", png(24 * 1024 * 1024)).await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["fields"]["uploadfile[]"]
            .as_str()
            .unwrap()
            .contains("24 MB")
    );
}

#[tokio::test]
async fn voice_files_resolve_to_served_audio() {
    let env = spawn().await;
    let audio = b"\0\0\0\x20ftypisomopus-bytes".to_vec();
    let posted = env.sim.customer_sends(
        SHOP,
        &customer(4),
        Some(ITEM),
        Content::Voice(audio.clone()),
    );
    let token = env.token(SHOP).await;
    let (_, list) = status_json(
        env.get(
            &token,
            &format!(
                "/messenger/v3/accounts/{SHOP}/chats/{}/messages/",
                posted.chat_id
            ),
        )
        .await,
    )
    .await;
    assert_eq!(list[0]["type"], "voice");
    let voice_id = list[0]["content"]["voice"]["voice_id"].as_str().unwrap();

    let path = format!("/messenger/v1/accounts/{SHOP}/getVoiceFiles?voice_ids={voice_id},unknown");
    let (status, body) = status_json(env.get(&token, &path).await).await;
    assert_eq!(status, 200);
    let urls = body["voices_urls"].as_object().unwrap();
    assert_eq!(urls.len(), 1, "only the account's voices resolve: {body}");
    let url = urls[voice_id].as_str().unwrap().to_owned();
    let served = env.http.get(&url).send().await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "audio/mp4");
    assert_eq!(served.bytes().await.unwrap().to_vec(), audio);

    // Repeated form of the array works too; a missing list is a validation error.
    let repeated = format!("/messenger/v1/accounts/{SHOP}/getVoiceFiles?voice_ids={voice_id}");
    assert_eq!(env.get(&token, &repeated).await.status(), 200);
    let (status, body) = status_json(
        env.get(
            &token,
            &format!("/messenger/v1/accounts/{SHOP}/getVoiceFiles"),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["error"]["fields"]["voice_ids"].is_string());

    // A link lives one hour.
    env.sim.advance_clock(Duration::from_secs(3601));
    assert_eq!(env.http.get(&url).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn blacklist_answers_an_empty_200() {
    let env = spawn().await;
    let token = env.token(SHOP).await;
    let path = format!("/messenger/v2/accounts/{SHOP}/blacklist");
    let response = env
        .post(
            &token,
            &path,
            json!({"users": [{"user_id": 42, "context": {"item_id": ITEM, "reason_id": 1}}]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.unwrap().is_empty());
    assert_eq!(env.sim.blacklisted(SHOP), [42]);
    let (status, _) = status_json(
        env.post(
            &token,
            &path,
            json!({"users": [{"user_id": 43, "context": {"reason_id": 9}}]}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
}
