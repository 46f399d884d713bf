//! The operator inbox: lead toggles and handoffs, tabs, assignment, status, read state, search, quick
//! replies, and the system endpoints.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;

async fn conversation(app: &TestApp, id: i64) -> Value {
    app.get(&app.admin_token, &format!("/api/v1/conversations/{id}"))
        .await
        .1
}

/// An inbound conversation, waited on until the default no-bot handoff has happened.
async fn handed_over(app: &TestApp, account: i64, token: &str, chat: &str, text: &str) -> i64 {
    let (_, b) = app
        .inbound(account, token, chat, &format!("{chat}-m1"), text)
        .await;
    let id = b["conversation_id"].as_i64().unwrap();
    eventually(Duration::from_secs(10), || async {
        (conversation(app, id).await["conversation"]["lead"] == "operator").then_some(())
    })
    .await;
    id
}

#[tokio::test]
async fn lead_toggle_records_handoffs_and_moves_between_tabs() {
    let app = spawn_app().await;
    let olga = app.create_operator("olga", "operator").await;
    let (account, token) = app.api_account("Сайт", None).await;
    let id = handed_over(&app, account, &token, "c1", "Позовите оператора").await;

    // Handed over and unassigned: in everyone's «Мои» tab (marked unassigned), not in «Бот».
    let (_, mine) = app
        .get(
            &olga,
            "/api/v1/conversations?lead=operator&assignee=me_or_unassigned",
        )
        .await;
    assert_eq!(mine["items"][0]["id"], id);
    assert!(mine["items"][0]["assignee"].is_null());
    let (_, bot) = app.get(&olga, "/api/v1/conversations?lead=bot").await;
    assert_eq!(bot["items"].as_array().unwrap().len(), 0);

    // Olga gives it back to the bot: recorded with who did it.
    let (s, h) = app
        .post(
            &olga,
            &format!("/api/v1/conversations/{id}/lead"),
            json!({"lead": "bot"}),
        )
        .await;
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["from"], "operator");
    assert_eq!(h["to"], "bot");
    assert_eq!(h["reason"], "manual");
    assert_eq!(h["actor"]["kind"], "operator");
    let (_, bot) = app.get(&olga, "/api/v1/conversations?lead=bot").await;
    assert_eq!(bot["items"][0]["id"], id);
    // The same toggle again is a conflict.
    let (s, b) = app
        .post(
            &olga,
            &format!("/api/v1/conversations/{id}/lead"),
            json!({"lead": "bot"}),
        )
        .await;
    assert_eq!((s, b["error"]["code"].as_str()), (409, Some("conflict")));

    // Olga replies in the bot-led conversation: she takes the lead, and becomes the assignee.
    let (s, sent) = app
        .post(
            &olga,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"text": "Это Ольга"}),
        )
        .await;
    assert_eq!(s, 201, "{sent}");
    assert_eq!(sent["takeover"]["reason"], "operator_replied");
    let c = conversation(&app, id).await;
    assert_eq!(c["conversation"]["lead"], "operator");
    assert_eq!(c["conversation"]["assignee"]["display_name"], "olga");
    assert_eq!(c["briefing"]["reason"], "operator_replied");
    let (_, mine) = app
        .get(&olga, "/api/v1/conversations?lead=operator&assignee=me")
        .await;
    assert_eq!(mine["items"][0]["id"], id);

    let (_, hs) = app
        .get(&olga, &format!("/api/v1/conversations/{id}/handoffs"))
        .await;
    let reasons: Vec<_> = hs
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["reason"].clone())
        .collect();
    assert_eq!(
        reasons,
        vec![json!("no_bot"), json!("manual"), json!("operator_replied")]
    );

    // History shows the operator's message with its author.
    let (_, msgs) = app
        .get(&olga, &format!("/api/v1/conversations/{id}/messages"))
        .await;
    let last = msgs["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["author"]["kind"], "operator");
    assert_eq!(last["direction"], "out");
}

#[tokio::test]
async fn assignment_status_and_read_state() {
    let app = spawn_app().await;
    let olga = app.create_operator("olga", "operator").await;
    let ivan = app.create_operator("ivan", "operator").await;
    let (_, ivan_me) = app.get(&ivan, "/api/v1/me").await;
    let (account, token) = app.api_account("Сайт", None).await;
    let id = handed_over(&app, account, &token, "c1", "Жалоба").await;
    app.inbound(account, &token, "c1", "c1-m2", "Алло?").await;

    let (_, c) = app.get(&olga, &format!("/api/v1/conversations/{id}")).await;
    assert_eq!(c["conversation"]["unread_count"], 2);
    let (s, c) = app
        .post(
            &olga,
            &format!("/api/v1/conversations/{id}/read"),
            json!({}),
        )
        .await;
    assert_eq!((s, c["unread_count"].as_i64()), (200, Some(0)));

    // An operator may take a conversation, not hand it to a colleague; an admin may.
    let (s, _) = app
        .post(
            &olga,
            &format!("/api/v1/conversations/{id}/assign"),
            json!({"operator_id": ivan_me["id"]}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, c) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/conversations/{id}/assign"),
            json!({"operator_id": ivan_me["id"]}),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["assignee"]["display_name"], "ivan");
    let (_, ivans) = app.get(&ivan, "/api/v1/conversations?assignee=me").await;
    assert_eq!(ivans["items"][0]["id"], id);
    let (s, _) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/conversations/{id}/assign"),
            json!({"operator_id": 999999}),
        )
        .await;
    assert_eq!(s, 404);
    let (s, c) = app
        .post(
            &ivan,
            &format!("/api/v1/conversations/{id}/assign"),
            json!({"operator_id": null}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(c["assignee"].is_null());

    let (s, c) = app
        .post(
            &olga,
            &format!("/api/v1/conversations/{id}/status"),
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!((s, c["status"].as_str()), (200, Some("resolved")));
    let (_, open) = app.get(&olga, "/api/v1/conversations?status=open").await;
    assert_eq!(open["items"].as_array().unwrap().len(), 0);
    // A new customer message reopens it.
    app.inbound(account, &token, "c1", "c1-m3", "Ещё вопрос")
        .await;
    assert_eq!(
        conversation(&app, id).await["conversation"]["status"],
        "open"
    );
}

#[tokio::test]
async fn list_filters_by_account_and_paginates() {
    let app = spawn_app().await;
    let (a1, t1) = app.api_account("Первый", None).await;
    let (a2, t2) = app.api_account("Второй", None).await;
    for i in 0..7 {
        app.inbound(a1, &t1, &format!("a{i}"), &format!("a{i}-m"), "привет")
            .await;
    }
    for i in 0..3 {
        app.inbound(a2, &t2, &format!("b{i}"), &format!("b{i}-m"), "привет")
            .await;
    }
    let (_, only2) = app
        .get(
            &app.admin_token,
            &format!("/api/v1/conversations?account_ids={a2}"),
        )
        .await;
    assert_eq!(only2["items"].as_array().unwrap().len(), 3);
    assert!(
        only2["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["account"]["id"] == a2)
    );
    let (_, none) = app
        .get(&app.admin_token, "/api/v1/conversations?account_ids=")
        .await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/conversations?limit=4&cursor={c}"),
            None => "/api/v1/conversations?limit=4".into(),
        };
        let (s, page) = app.get(&app.admin_token, &path).await;
        assert_eq!(s, 200, "{page}");
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(seen.len(), 10, "{seen:?}");
    assert_eq!(unique.len(), 10);
}

#[tokio::test]
async fn search_finds_inflections_and_highlights() {
    let app = spawn_app().await;
    let (a1, t1) = app.api_account("Первый", None).await;
    let (a2, t2) = app.api_account("Второй", None).await;
    app.inbound(a1, &t1, "c1", "m1", "Где мой заказ?").await;
    app.inbound(a1, &t1, "c1", "m2", "Статус заказа 7157703 <b>срочно</b>")
        .await;
    app.inbound(a2, &t2, "c2", "m1", "Когда будет доставка заказу?")
        .await;
    app.inbound(a2, &t2, "c3", "m3", "Where is my order?").await;

    let (s, r) = app.get(&app.admin_token, "/api/v1/search?q=заказ").await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["total_conversations"], 2);
    let hits = r["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 2);
    // One hit per conversation: its newest match, escaped, with the match marked.
    assert_eq!(
        hits[1]["snippet"],
        "Статус <mark>заказа</mark> 7157703 &lt;b&gt;срочно&lt;/b&gt;"
    );
    assert_eq!(
        hits[0]["snippet"],
        "Когда будет доставка <mark>заказу</mark>?"
    );
    assert!(hits[0]["created"].as_str().unwrap().ends_with('Z'));
    // Each hit carries its conversation's row, so a result list needs no second request.
    for h in hits {
        assert_eq!(h["conversation"]["id"], h["conversation_id"]);
        assert!(h["conversation"]["account"]["name"].is_string(), "{h}");
    }

    let (_, r) = app.get(&app.admin_token, "/api/v1/search?q=доставки").await;
    assert_eq!(r["total_conversations"], 1);
    let (_, r) = app.get(&app.admin_token, "/api/v1/search?q=orders").await;
    assert_eq!(r["hits"][0]["snippet"], "Where is my <mark>order</mark>?");
    let (_, r) = app
        .get(
            &app.admin_token,
            &format!("/api/v1/search?q=заказ&account_ids={a1}"),
        )
        .await;
    assert_eq!(r["total_conversations"], 1);
    let (_, r) = app.get(&app.admin_token, "/api/v1/search?q=7157703").await;
    assert_eq!(r["total_conversations"], 1);
    let (_, r) = app
        .get(&app.admin_token, "/api/v1/search?q=шиномонтаж")
        .await;
    assert_eq!(r["total_conversations"], 0);

    // Filters by the conversation's current lead: all are handed over once the no-bot handoff ran.
    eventually(Duration::from_secs(10), || async {
        let (_, r) = app
            .get(&app.admin_token, "/api/v1/search?q=заказ&lead=operator")
            .await;
        (r["total_conversations"] == 2).then_some(())
    })
    .await;
    let (_, r) = app
        .get(&app.admin_token, "/api/v1/search?q=заказ&lead=bot")
        .await;
    assert_eq!(r["total_conversations"], 0);
    let (s, b) = app.get(&app.admin_token, "/api/v1/search?q=!!!").await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (422, Some("validation_failed"))
    );
}

#[tokio::test]
async fn quick_replies_shared_and_personal() {
    let app = spawn_app().await;
    let olga = app.create_operator("olga", "operator").await;
    let ivan = app.create_operator("ivan", "operator").await;
    let (s, shared) = app
        .post(&app.admin_token, "/api/v1/quick-replies", json!({"title": "Приветствие", "text": "Здравствуйте, {customer_name}!", "shared": true}))
        .await;
    assert_eq!(s, 201, "{shared}");
    assert_eq!(shared["shared"], true);
    let (s, mine) = app
        .post(
            &olga,
            "/api/v1/quick-replies",
            json!({"title": "Доставка", "text": "Заказ {order_number} в пути"}),
        )
        .await;
    assert_eq!(s, 201);
    let (_, olgas) = app.get(&olga, "/api/v1/quick-replies").await;
    assert_eq!(olgas.as_array().unwrap().len(), 2);
    let (_, ivans) = app.get(&ivan, "/api/v1/quick-replies").await;
    assert_eq!(ivans.as_array().unwrap().len(), 1);
    // An admin sees each operator's own beside the shared ones; an operator only their own.
    let (_, list) = app.get(&app.admin_token, "/api/v1/operators").await;
    let olga_id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["login"] == "olga")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (s, seen_by_admin) = app
        .get(
            &app.admin_token,
            &format!("/api/v1/quick-replies?operator={olga_id}"),
        )
        .await;
    assert_eq!(s, 200, "{seen_by_admin}");
    assert_eq!(seen_by_admin, olgas);
    let (s, _) = app
        .get(&ivan, &format!("/api/v1/quick-replies?operator={olga_id}"))
        .await;
    assert_eq!(s, 403);
    let (s, body) = app
        .get(&app.admin_token, "/api/v1/quick-replies?operator=999999")
        .await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );

    let mine_path = format!("/api/v1/quick-replies/{}", mine["id"]);
    let shared_path = format!("/api/v1/quick-replies/{}", shared["id"]);
    // Ivan cannot see Olga's reply, nor change the shared one.
    let (s, _) = app
        .send(
            reqwest::Method::PUT,
            &ivan,
            &mine_path,
            json!({"title": "x", "text": "y"}),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .send(
            reqwest::Method::PUT,
            &ivan,
            &shared_path,
            json!({"title": "x", "text": "y"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, upd) = app
        .send(
            reqwest::Method::PUT,
            &olga,
            &mine_path,
            json!({"title": "Доставка", "text": "Заказ {order_number} уже у курьера"}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(upd["text"], "Заказ {order_number} уже у курьера");
    let (s, _) = app
        .send(reqwest::Method::DELETE, &olga, &mine_path, json!({}))
        .await;
    assert_eq!(s, 204);
    let (_, olgas) = app.get(&olga, "/api/v1/quick-replies").await;
    assert_eq!(olgas.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn health_metrics_and_openapi() {
    let app = spawn_app().await;
    let r = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h: Value = r.json().await.unwrap();
    assert_eq!(h["status"], "ok");

    let (account, token) = app.api_account("Сайт", None).await;
    app.inbound(account, &token, "c1", "m1", "привет").await;
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "frontline_http_request_duration_seconds_bucket",
        "frontline_websocket_clients",
        "frontline_outbox_depth",
        "frontline_inbound_messages_total 1",
    ] {
        assert!(metrics.contains(name), "{name} missing from:\n{metrics}");
    }
    assert!(
        metrics.contains(r#"route="/api/v1/inbound/{account_id}/messages""#),
        "{metrics}"
    );

    let r = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/conversations",
        "/api/v1/conversations/{id}/lead",
        "/api/v1/search",
        "/api/v1/inbound/{account_id}/messages",
        "/api/v1/stream",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} undocumented");
    }
    assert!(
        doc["info"]["description"]
            .as_str()
            .unwrap()
            .contains("after=")
    );
}
