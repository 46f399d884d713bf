//! The realtime stream: resuming with `after` delivers exactly what was missed.

use std::{collections::BTreeSet, time::Duration};

use frontline_domain::Timestamp;
use serde_json::json;

use crate::helpers::*;

fn seqs(frames: &[serde_json::Value]) -> Vec<i64> {
    frames.iter().filter_map(|f| f["seq"].as_i64()).collect()
}

#[tokio::test]
async fn a_reconnecting_client_receives_exactly_the_missed_events() {
    let app = spawn_app().await;
    let (account, token) = app.api_account("Сайт", None).await;
    let mut ws = connect_stream(&app, &app.admin_token, Some(0)).await;
    let (backlog, _) = frames_until(&mut ws, "ready").await;
    let backlog_seqs = seqs(&backlog);

    app.inbound(account, &token, "c1", "m1", "первое").await;
    let (_, first) = frames_until(&mut ws, "message.created").await;
    let last_seen = first["seq"].as_i64().unwrap();
    drop(ws);

    // Events happen while the client is away.
    for i in 2..=6 {
        app.inbound(
            account,
            &token,
            "c1",
            &format!("m{i}"),
            &format!("сообщение {i}"),
        )
        .await;
    }
    app.inbound(account, &token, "c2", "c2-m1", "другой чат")
        .await;
    // Let the background handoffs (no bot configured) finish, so the log stands still while compared.
    eventually(Duration::from_secs(10), || async {
        let (_, page) = app
            .get(&app.admin_token, "/api/v1/conversations?lead=bot")
            .await;
        page["items"].as_array().unwrap().is_empty().then_some(())
    })
    .await;

    // Reference: everything after `last_seen`, read by a fresh client from the log.
    let mut reference = connect_stream(&app, &app.admin_token, Some(last_seen)).await;
    let (expected_frames, _) = frames_until(&mut reference, "ready").await;
    let expected = seqs(&expected_frames);
    let texts: BTreeSet<_> = expected_frames
        .iter()
        .filter(|f| f["type"] == "message.created")
        .map(|f| f["message"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts.len(), 6, "missed messages: {texts:?}");

    let mut ws = connect_stream(&app, &app.admin_token, Some(last_seen)).await;
    let (replayed, ready) = frames_until(&mut ws, "ready").await;
    let got = seqs(&replayed);
    assert_eq!(got, expected, "replay differs");
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "not strictly increasing: {got:?}"
    );
    assert!(got.iter().all(|s| *s > last_seen));
    assert!(
        !got.iter()
            .any(|s| backlog_seqs.contains(s) && *s <= last_seen)
    );

    // Then live events continue after the replay, without repeats.
    app.inbound(account, &token, "c1", "m7", "живое").await;
    let (_, live) = frames_until(&mut ws, "message.created").await;
    assert!(live["seq"].as_i64().unwrap() > ready["seq"].as_i64().unwrap());
    assert_eq!(live["message"]["text"], "живое");
}

#[tokio::test]
async fn events_during_a_server_restart_are_not_lost() {
    let app = spawn_app().await;
    let (account, token) = app.api_account("Сайт", None).await;
    let mut ws = connect_stream(&app, &app.admin_token, None).await;
    frames_until(&mut ws, "ready").await;
    app.inbound(account, &token, "c1", "m1", "до").await;
    let (_, before) = frames_until(&mut ws, "message.created").await;
    let last = before["seq"].as_i64().unwrap();

    let app = app.restart().await;
    // The old socket is closed by the shutdown.
    while next_frame(&mut ws, Duration::from_secs(2)).await.is_some() {}
    app.inbound(account, &token, "c1", "m2", "после").await;

    let mut ws = connect_stream(&app, &app.admin_token, Some(last)).await;
    let (replayed, _) = frames_until(&mut ws, "ready").await;
    let texts: Vec<_> = replayed
        .iter()
        .filter(|f| f["type"] == "message.created")
        .map(|f| f["message"]["text"].clone())
        .collect();
    assert_eq!(texts, vec![json!("после")]);
}

#[tokio::test]
async fn resync_when_after_is_outside_the_retained_log() {
    let app = spawn_app().await;
    let (account, token) = app.api_account("Сайт", None).await;
    for i in 0..3 {
        app.inbound(account, &token, "c1", &format!("m{i}"), "текст")
            .await;
    }
    // Prune everything but the newest event, as retention would.
    let store = frontline::open_store(&app.database_url).await.unwrap();
    store
        .prune_events(Timestamp::now().plus(Duration::from_secs(60)))
        .await
        .unwrap();
    let bounds = store.event_bounds().await.unwrap();
    assert!(bounds.pruned_through.0 > 1);

    let mut ws = connect_stream(&app, &app.admin_token, Some(1)).await;
    let (frames, _) = frames_until(&mut ws, "ready").await;
    let resync = frames
        .iter()
        .find(|f| f["type"] == "resync")
        .expect("resync frame");
    assert_eq!(resync["reason"], "older_than_retained_log");
    assert_eq!(resync["latest_seq"], bounds.latest.0);

    let mut ws = connect_stream(&app, &app.admin_token, Some(bounds.latest.0 + 1000)).await;
    let (frames, _) = frames_until(&mut ws, "ready").await;
    assert!(
        frames
            .iter()
            .any(|f| f["type"] == "resync" && f["reason"] == "ahead_of_log")
    );
}

#[tokio::test]
async fn authentication_by_first_frame() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    let app = spawn_app().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/api/v1/stream", app.addr))
        .await
        .unwrap();
    ws.send(Message::Text(
        json!({"type": "auth", "token": app.admin_token})
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let hello = next_frame(&mut ws, Duration::from_secs(5)).await.unwrap();
    assert_eq!(hello["type"], "hello");

    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/api/v1/stream", app.addr))
        .await
        .unwrap();
    ws.send(Message::Text(
        json!({"type": "auth", "token": "bad"}).to_string().into(),
    ))
    .await
    .unwrap();
    let err = next_frame(&mut ws, Duration::from_secs(5)).await.unwrap();
    assert_eq!(err["code"], "unauthorized");
}
