//! The knowledge base as the admin console uses it: categories in order with counts, articles
//! searched and filtered, history with authors and restore, file imports previewed with every
//! problem at its line, the check («Проверить») through the bot's own cascade, and OpenCart shops
//! imported from a real MariaDB and from a dump — ending with a customer who asks a price and gets
//! it from the imported product.

use std::time::Duration;

use frontline_import_opencart::testing::{FIXTURE, admin_url, fresh_shop};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::helpers::{CallbackServer, TestApp, eventually, spawn_app, spawn_app_with};

const WAIT: Duration = Duration::from_secs(20);

async fn put(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    app.send(Method::PUT, token, path, body).await
}

async fn article(app: &TestApp, token: &str, key: &str, category: &str, title: &str, body: &str) {
    let (status, b) = put(
        app,
        token,
        &format!("/api/v1/kb/articles/{key}"),
        json!({"category": category, "title": title, "body": body, "tags": ["тест"]}),
    )
    .await;
    assert!(status == 200 || status == 201, "{b}");
}

/// POST a raw body.
async fn post_text(app: &TestApp, token: &str, path: &str, body: &str) -> (u16, Value) {
    let r = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn keys(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn categories_order_counts_history_and_restore() {
    // Counts and order are asserted exactly: without the demo shop's articles.
    let app = spawn_app_with(|c| c.bot.seed_demo_knowledge = false).await;
    let admin = &app.admin_token;
    for (key, title) in [("delivery", "Доставка"), ("payment", "Оплата")] {
        let (status, b) = put(
            &app,
            admin,
            &format!("/api/v1/kb/categories/{key}"),
            json!({ "title": title }),
        )
        .await;
        assert!(status == 200 || status == 201, "{b}");
    }
    article(
        &app,
        admin,
        "terms",
        "delivery",
        "Сроки доставки",
        "Курьер привозит заказ за 2 дня.",
    )
    .await;

    // Listed in order, each with its counts.
    let (_, cats) = app.get(admin, "/api/v1/kb/categories").await;
    let all = keys(&cats);
    let delivery = cats
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["key"] == "delivery")
        .unwrap();
    assert_eq!(
        (
            delivery["articles"].as_u64(),
            delivery["published_articles"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let positions: Vec<i64> = cats
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["position"].as_i64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{cats}");

    let reversed: Vec<String> = all.iter().rev().cloned().collect();
    let (status, body) = put(
        &app,
        admin,
        "/api/v1/kb/category-order",
        json!({ "keys": reversed }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(keys(&body), reversed);
    assert_eq!(
        keys(&app.get(admin, "/api/v1/kb/categories").await.1),
        reversed
    );
    let (status, body) = put(
        &app,
        admin,
        "/api/v1/kb/category-order",
        json!({ "keys": ["delivery"] }),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("conflict")),
        "{body}"
    );

    // A category with articles answers with its own code and the count.
    let (status, body) = app
        .send(
            Method::DELETE,
            admin,
            "/api/v1/kb/categories/delivery",
            Value::Null,
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("kb_category_not_empty")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1 articles"),
        "{body}"
    );

    // Two admins edit; the history says who did what, newest first.
    let olga = app.create_operator("olga", "admin").await;
    put(
        &app,
        &olga,
        "/api/v1/kb/articles/terms",
        json!({"category": "payment", "title": "Сроки доставки", "body": "Курьер привозит заказ за 1 день.", "tags": ["тест"]}),
    )
    .await;
    let (status, history) = app.get(admin, "/api/v1/kb/articles/terms/history").await;
    assert_eq!(status, 200, "{history}");
    let h = history.as_array().unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(
        (h[0]["version"].as_i64(), h[0]["author"]["name"].as_str()),
        (Some(2), Some("olga"))
    );
    assert_eq!(h[0]["changed"], json!(["category", "body"]));
    assert_eq!(h[0]["source"], "editor");
    assert_eq!(h[1]["changed"], json!([]));
    assert_eq!(h[1]["body"], "Курьер привозит заказ за 2 дня.");
    assert!(h[1]["author"]["id"].is_i64());

    // Restore the first version: a third one with its content, by whoever restored it.
    let op = app.create_operator("ivan", "operator").await;
    let (status, _) = app
        .post(
            &op,
            "/api/v1/kb/articles/terms/restore",
            json!({"version": 1}),
        )
        .await;
    assert_eq!(status, 403, "operators read, admins restore");
    let (status, restored) = app
        .post(
            &olga,
            "/api/v1/kb/articles/terms/restore",
            json!({"version": 1}),
        )
        .await;
    assert_eq!(status, 200, "{restored}");
    assert_eq!(
        (restored["version"].as_i64(), restored["category"].as_str()),
        (Some(3), Some("delivery"))
    );
    let (_, history) = app.get(&op, "/api/v1/kb/articles/terms/history").await;
    assert_eq!(history[0]["source"], "restore");
    assert_eq!(history[0]["restored_from"], 1);
    assert_eq!(history[0]["author"]["name"], "olga");
    let (status, body) = app
        .post(
            admin,
            "/api/v1/kb/articles/terms/restore",
            json!({"version": 9}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = app.get(admin, "/api/v1/kb/articles/nowhere/history").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn articles_are_searched_and_filtered_as_the_list_needs() {
    let app = spawn_app().await;
    let admin = &app.admin_token;
    put(
        &app,
        admin,
        "/api/v1/kb/categories/help",
        json!({"title": "Помощь"}),
    )
    .await;
    article(
        &app,
        admin,
        "courier",
        "help",
        "Курьерская доставка",
        "Курьер привозит заказы по Москве.",
    )
    .await;
    article(
        &app,
        admin,
        "pickup",
        "help",
        "Самовывоз",
        "Заберите заказ в пункте выдачи.",
    )
    .await;
    article(
        &app,
        admin,
        "cards",
        "help",
        "Оплата картой",
        "Принимаем карты МИР и Visa.",
    )
    .await;
    put(
        &app,
        admin,
        "/api/v1/kb/articles/draft",
        json!({"category": "help", "title": "Черновик", "body": "Доставки пока нет.", "tags": ["Скоро"], "published": false}),
    )
    .await;

    let list = |query: &'static str| {
        let app = &app;
        async move {
            let (status, body) = app
                .get(admin, &format!("/api/v1/kb/articles?category=help&{query}"))
                .await;
            assert_eq!(status, 200, "{query}: {body}");
            let found: Vec<String> = body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["key"].as_str().unwrap().to_owned())
                .collect();
            (body["total"].as_u64().unwrap(), found)
        }
    };
    // Any form of a word; the last one may be unfinished.
    assert_eq!(list("q=доставки").await.1, ["courier", "draft"]);
    assert_eq!(list("q=заказ%20пункт").await.1, ["pickup"]);
    assert_eq!(list("q=опл").await.1, ["cards"]);
    assert_eq!(list("q=борщ").await.1, Vec::<String>::new());
    assert_eq!(list("published=false").await.1, ["draft"]);
    assert_eq!(list("tag=скоро").await.1, ["draft"]);
    assert_eq!(list("key_prefix=c").await.1, ["cards", "courier"]);
    assert_eq!(
        list("limit=2&offset=1").await,
        (4, vec!["courier".into(), "draft".into()])
    );
    let (status, body) = app.get(admin, "/api/v1/kb/articles?limit=0").await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("limit"))
    );
}

#[tokio::test]
async fn a_file_import_is_previewed_with_every_problem_at_its_line() {
    let app = spawn_app().await;
    let admin = &app.admin_token;
    put(
        &app,
        admin,
        "/api/v1/kb/categories/help",
        json!({"title": "Помощь"}),
    )
    .await;
    article(&app, admin, "old", "help", "Было", "Старый текст.").await;

    let broken = "id,category,title,body\nok,help,Хорошая,Текст.\nno-title,help,,Текст.\nBad Key,help,Ключ,Текст.\nstray,gifts,Чужая,Текст.\n";
    let (status, preview) = post_text(
        &app,
        admin,
        "/api/v1/kb/import?format=csv&dry_run=true",
        broken,
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["dry_run"], true);
    let problems: Vec<(Option<u64>, Option<&str>, Option<&str>)> = preview["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["line"].as_u64(), p["key"].as_str(), p["field"].as_str()))
        .collect();
    assert_eq!(
        problems,
        [
            (Some(3), Some("no-title"), Some("title")),
            (Some(4), Some("Bad Key"), Some("key")),
            (Some(5), Some("stray"), Some("category")),
        ],
        "{preview}"
    );
    let actions: Vec<(&str, &str)> = preview["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["key"].as_str().unwrap(), a["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("ok", "create"),
            ("no-title", "skip"),
            ("Bad Key", "skip"),
            ("stray", "skip")
        ]
    );
    assert_eq!(preview["skipped"], 3);
    // Not imported while it has problems; and the dry run wrote nothing.
    let (status, body) = post_text(&app, admin, "/api/v1/kb/import?format=csv", broken).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(app.get(admin, "/api/v1/kb/articles/ok").await.0, 404);

    let good = "id,category,title,body\nok,help,Хорошая,Текст.\nold,help,Стало,Новый текст.\n";
    let (_, preview) = post_text(
        &app,
        admin,
        "/api/v1/kb/import?format=csv&dry_run=true",
        good,
    )
    .await;
    let actions: Vec<&str> = preview["articles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "update"]);
    assert_eq!(preview["stats"]["articles_created"], 1);
    let (status, done) = post_text(&app, admin, "/api/v1/kb/import?format=csv", good).await;
    assert_eq!(
        (status, done["dry_run"].as_bool()),
        (200, Some(false)),
        "{done}"
    );
    assert_eq!(
        (
            done["stats"]["articles_created"].as_u64(),
            done["stats"]["articles_updated"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let (_, again) = post_text(
        &app,
        admin,
        "/api/v1/kb/import?format=csv&dry_run=true",
        good,
    )
    .await;
    assert_eq!(again["stats"]["articles_unchanged"], 2, "{again}");
    let (_, history) = app.get(admin, "/api/v1/kb/articles/old/history").await;
    assert_eq!(
        (
            history[0]["source"].as_str(),
            history[0]["author"]["name"].as_str()
        ),
        (Some("import"), Some("admin")),
        "{history}"
    );

    // Markdown problems at their lines too.
    let md = "вступление\n# Первая\nТекст.\n# Пустая\n\n";
    let (_, preview) = post_text(
        &app,
        admin,
        "/api/v1/kb/import?format=markdown&category=help&dry_run=true",
        md,
    )
    .await;
    let lines: Vec<u64> = preview["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 4], "{preview}");
}

async fn engine_app() -> (TestApp, CallbackServer, i64, String) {
    let app = spawn_app_with(|c| c.bot.mode = "engine".into()).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = CallbackServer::default();
    server.serve(listener);
    let (account, token) = app.api_account("Магазин", Some(&hook)).await;
    (app, server, account, token)
}

#[tokio::test]
async fn the_check_shows_retrieval_and_the_bots_answer_even_for_a_draft() {
    let (app, _server, _, _) = engine_app().await;
    let admin = &app.admin_token;
    let (status, r) = app
        .post(
            admin,
            "/api/v1/kb/check",
            json!({"question": "Сколько идёт доставка в Казань?"}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let top = &r["fragments"][0];
    assert!(
        top["score"].as_f64().unwrap() > 0.0 && top["confidence"].as_f64().unwrap() <= 1.0,
        "{r}"
    );
    assert_eq!(top["category"], "delivery");
    assert_eq!(r["answer"]["action"], "answer", "{r}");
    let cited = r["answer"]["article_ids"][0].as_str().unwrap();
    assert!(
        r["fragments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["article_key"] == cited && f["used"] == true),
        "{r}"
    );
    assert!(r["direct_threshold"].as_f64().unwrap() > r["answer_threshold"].as_f64().unwrap());

    // An unsaved article: found and answered from, and still not stored.
    // The question production answers directly once such an article exists (`it::bot`).
    let question = "Подарочная упаковка есть?";
    let (_, before) = app
        .post(admin, "/api/v1/kb/check", json!({"question": question}))
        .await;
    assert!(
        before["fragments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["article_key"] != "gift-wrap-new")
    );
    let draft = json!({
        "key": "gift-wrap-new", "category": "products", "title": "Подарочная упаковка",
        "body": "Упакуем заказ в подарочную упаковку за 150 ₽, выберите её при оформлении.",
        "tags": ["подарок", "упаковка"]
    });
    let (status, r) = app
        .post(
            admin,
            "/api/v1/kb/check",
            json!({"question": question, "draft": draft}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["fragments"][0]["article_key"], "gift-wrap-new", "{r}");
    assert_eq!(r["fragments"][0]["draft"], true);
    // A draft is the editor's: an operator may check questions, not re-index unsaved articles.
    let olga = app.create_operator("olga", "operator").await;
    let (status, refused) = app
        .post(
            &olga,
            "/api/v1/kb/check",
            json!({"question": question, "draft": draft}),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (403, Some("forbidden")),
        "{refused}"
    );
    let (status, _) = app
        .post(&olga, "/api/v1/kb/check", json!({"question": question}))
        .await;
    assert_eq!(status, 200);
    assert!(
        r["answer"]["text"].as_str().unwrap().contains("150 ₽"),
        "{r}"
    );
    assert_eq!(r["answer"]["article_ids"], json!(["gift-wrap-new"]));
    assert_eq!(
        app.get(admin, "/api/v1/kb/articles/gift-wrap-new").await.0,
        404
    );

    let (status, body) = app
        .post(admin, "/api/v1/kb/check", json!({"question": "x", "draft": {"key": "k", "category": "products", "title": " ", "body": "b"}}))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("draft.title")),
        "{body}"
    );
    let (status, _) = app
        .post(admin, "/api/v1/kb/check", json!({"question": "  "}))
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn an_opencart_shop_imported_from_mariadb_answers_a_customers_price_question() {
    let shop = fresh_shop(&admin_url(), FIXTURE).await;
    let (app, server, account, token) = engine_app().await;
    let admin = &app.admin_token;
    let request = |dry_run: bool| json!({"database_url": shop.url, "prefix": "oc_", "language_id": 1, "dry_run": dry_run});

    // The preview says what would be created, with the shop's ids, and writes nothing.
    let (status, preview) = app
        .post(admin, "/api/v1/kb/import/opencart", request(true))
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(
        preview["categories"],
        json!([
            {"key": "oc-info", "title": "Информация магазина", "action": "create"},
            {"key": "oc-products", "title": "Товары", "action": "create"},
        ])
    );
    let redmi = preview["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == "oc-product-40")
        .unwrap();
    assert_eq!(redmi["action"], "create");
    assert_eq!(redmi["source"], json!({"kind": "product", "id": 40}));
    assert_eq!(preview["skipped"], 2, "{preview}");
    assert_eq!(
        app.get(admin, "/api/v1/kb/articles/oc-product-40").await.0,
        404
    );

    let (status, done) = app
        .post(admin, "/api/v1/kb/import/opencart", request(false))
        .await;
    assert_eq!(status, 200, "{done}");
    let created = done["stats"]["articles_created"].as_u64().unwrap();
    assert_eq!(
        created,
        preview["stats"]["articles_created"].as_u64().unwrap()
    );
    assert_eq!(created, 21);
    // Again: updated in place by source id, nothing duplicated.
    let (_, again) = app
        .post(admin, "/api/v1/kb/import/opencart", request(false))
        .await;
    assert_eq!(
        (
            again["stats"]["articles_created"].as_u64(),
            again["stats"]["articles_unchanged"].as_u64()
        ),
        (Some(0), Some(21)),
        "{again}"
    );
    let (_, page) = app.get(admin, "/api/v1/kb/articles?key_prefix=oc-").await;
    assert_eq!(page["total"], 21);
    let (_, delivery) = app.get(admin, "/api/v1/kb/articles/oc-info-6").await;
    assert!(
        delivery["body"]
            .as_str()
            .unwrap()
            .contains("Стоимость доставки по Москве — 350 ₽"),
        "{delivery}"
    );

    // A customer asks; the bot answers from the product.
    let (status, r) = app
        .inbound(
            account,
            &token,
            "shop-1",
            "m-1",
            "Сколько стоит Xiaomi Redmi Note 13 Pro?",
        )
        .await;
    assert_eq!(status, 202, "{r}");
    let reply = eventually(WAIT, || async {
        server
            .received
            .lock()
            .unwrap()
            .iter()
            .find(|(_, b)| b["external_chat_id"] == "shop-1" && b["message"]["author"] == "bot")
            .map(|(_, b)| b["message"]["text"].as_str().unwrap_or_default().to_owned())
    })
    .await;
    assert!(reply.contains("32 990 ₽"), "{reply}");
    let conversation = r["conversation_id"].as_i64().unwrap();
    let (_, decisions) = app
        .get(
            admin,
            &format!("/api/v1/conversations/{conversation}/decisions"),
        )
        .await;
    assert_eq!(
        decisions[0]["article_ids"],
        json!(["oc-product-40"]),
        "{decisions}"
    );

    // The check agrees: the same answer for an availability question.
    let (_, check) = app
        .post(
            admin,
            "/api/v1/kb/check",
            json!({"question": "Есть ли в наличии наушники Sony WH-1000XM5?"}),
        )
        .await;
    assert_eq!(
        check["fragments"][0]["article_key"], "oc-product-45",
        "{check}"
    );
    assert!(
        check["answer"]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Есть в наличии: 7 шт."),
        "{check}"
    );
}

#[tokio::test]
async fn opencart_requests_are_checked_and_failures_keep_the_password() {
    let app = spawn_app().await;
    let admin = &app.admin_token;
    let post = |body: Value| {
        let app = &app;
        async move { app.post(admin, "/api/v1/kb/import/opencart", body).await }
    };
    let (status, body) = post(json!({"database_url": "postgres://u:p@127.0.0.1/db"})).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("database_url")),
        "{body}"
    );
    let (status, body) =
        post(json!({"database_url": "mysql://root@127.0.0.1/x", "prefix": "oc_`; --"})).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("prefix")),
        "{body}"
    );
    let (status, body) =
        post(json!({"database_url": "mysql://shop:hunter2-secret@127.0.0.1:1/shop"})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (502, Some("opencart_unavailable")),
        "{body}"
    );
    assert!(!body.to_string().contains("hunter2"), "{body}");
    let op = app.create_operator("ivan", "operator").await;
    let (status, _) = app
        .post(
            &op,
            "/api/v1/kb/import/opencart",
            json!({"database_url": "mysql://root@127.0.0.1/x"}),
        )
        .await;
    assert_eq!(status, 403);

    // A wrong prefix against a real shop names the table it looked for.
    let shop = fresh_shop(&admin_url(), FIXTURE).await;
    let (status, body) = post(json!({"database_url": shop.url, "prefix": "shop_"})).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("prefix")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("shop_information"),
        "{body}"
    );
}

#[tokio::test]
async fn an_opencart_dump_is_previewed_with_its_lines_and_imported() {
    let app = spawn_app().await;
    let admin = &app.admin_token;
    let path = "/api/v1/kb/import/opencart/dump?prefix=oc_&language_id=1";
    let (status, preview) = post_text(&app, admin, &format!("{path}&dry_run=true"), FIXTURE).await;
    assert_eq!(status, 200, "{preview}");
    let skipped = preview["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == "oc-product-52")
        .unwrap();
    assert_eq!(skipped["action"], "skip");
    assert_eq!(skipped["reason"], "no text in the chosen language");
    let line = FIXTURE
        .lines()
        .position(|l| l.starts_with("(52, 'Test product'"))
        .unwrap() as u64
        + 1;
    assert_eq!(skipped["line"], line);
    let (status, done) = post_text(&app, admin, path, FIXTURE).await;
    assert_eq!(
        (status, done["stats"]["articles_created"].as_u64()),
        (200, Some(21)),
        "{done}"
    );
    let (_, iphone) = app.get(admin, "/api/v1/kb/articles/oc-product-41").await;
    assert!(
        iphone["body"]
            .as_str()
            .unwrap()
            .contains("статус: «Предзаказ»"),
        "{iphone}"
    );

    // Products gone from a later dump are unpublished, not left answering.
    let smaller: String = FIXTURE.replace("(46, 'Tune 520BT'", "(46000, 'Tune 520BT'");
    let (_, again) = post_text(&app, admin, &format!("{path}&dry_run=true"), &smaller).await;
    let gone = again["articles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == "oc-product-46")
        .unwrap();
    assert_eq!(
        (gone["action"].as_str(), gone["published"].as_bool()),
        (Some("update"), Some(false)),
        "{gone}"
    );

    let (status, body) = post_text(
        &app,
        admin,
        path,
        "INSERT INTO `oc_product` VALUES (1, 'x');",
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("dump line 1"),
        "{body}"
    );
}

#[tokio::test]
async fn two_editors_of_one_version_the_second_save_is_refused_with_theirs() {
    let app = spawn_app_with(|c| c.bot.seed_demo_knowledge = false).await;
    let admin = &app.admin_token;
    put(
        &app,
        admin,
        "/api/v1/kb/categories/delivery",
        json!({ "title": "Доставка" }),
    )
    .await;
    let edit = |body: &str, version: i64| json!({"category": "delivery", "title": "Сроки", "body": body, "version": version});
    let (status, created) = put(
        &app,
        admin,
        "/api/v1/kb/articles/terms",
        edit("За 2 дня.", 0),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["version"], 1);

    // Both opened version 1; the first save lands.
    let (status, mine) = put(
        &app,
        admin,
        "/api/v1/kb/articles/terms",
        edit("За 3 дня.", 1),
    )
    .await;
    assert_eq!((status, mine["version"].as_i64()), (200, Some(2)), "{mine}");
    let (status, refused) = put(
        &app,
        admin,
        "/api/v1/kb/articles/terms",
        edit("За 5 дней.", 1),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "kb_article_conflict");
    assert_eq!(refused["error"]["field"], "version");
    assert_eq!(refused["current"]["version"], 2);
    assert_eq!(refused["current"]["body"], "За 3 дня.");
    let (_, stored) = app.get(admin, "/api/v1/kb/articles/terms").await;
    assert_eq!(stored["body"], "За 3 дня.");

    // A new article over an existing key is refused too; so is an edit of a deleted one.
    let (status, refused) = put(&app, admin, "/api/v1/kb/articles/terms", edit("Новая.", 0)).await;
    assert_eq!(status, 409, "{refused}");
    let (status, _) = app
        .send(
            Method::DELETE,
            admin,
            "/api/v1/kb/articles/terms",
            Value::Null,
        )
        .await;
    assert_eq!(status, 204);
    let (status, refused) = put(&app, admin, "/api/v1/kb/articles/terms", edit("Снова.", 2)).await;
    assert_eq!(status, 409, "{refused}");
    assert!(refused["current"].is_null(), "{refused}");
}

#[tokio::test]
async fn articles_move_to_another_category_together_or_not_at_all() {
    let app = spawn_app_with(|c| c.bot.seed_demo_knowledge = false).await;
    let admin = &app.admin_token;
    for (key, title) in [("old", "Старое"), ("new", "Новое")] {
        put(
            &app,
            admin,
            &format!("/api/v1/kb/categories/{key}"),
            json!({ "title": title }),
        )
        .await;
    }
    for key in ["one", "two"] {
        article(&app, admin, key, "old", key, "Текст.").await;
    }
    let (status, body) = app
        .post(
            admin,
            "/api/v1/kb/article-moves",
            json!({"keys": ["one", "ghost"], "category": "new"}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (_, one) = app.get(admin, "/api/v1/kb/articles/one").await;
    assert_eq!(one["category"], "old");
    let (status, body) = app
        .post(
            admin,
            "/api/v1/kb/article-moves",
            json!({"keys": [], "category": "new"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("keys")),
        "{body}"
    );

    let (status, body) = app
        .post(
            admin,
            "/api/v1/kb/article-moves",
            json!({"keys": ["one", "two"], "category": "new"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["moved"], 2);
    assert!(
        body["articles"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["category"] == "new")
    );
    // The old category is empty now and can go.
    let (status, _) = app
        .send(
            Method::DELETE,
            admin,
            "/api/v1/kb/categories/old",
            Value::Null,
        )
        .await;
    assert_eq!(status, 204);
    // Operators may not.
    let op = app.create_operator("olga", "operator").await;
    let (status, _) = app
        .post(
            &op,
            "/api/v1/kb/article-moves",
            json!({"keys": ["one"], "category": "new"}),
        )
        .await;
    assert_eq!(status, 403);
}
