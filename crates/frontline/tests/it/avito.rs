//! The Avito channel against the Avito simulator, over real HTTP both ways: Avito's API served by
//! `avito-sim`, webhooks delivered by it to the real frontline server.

use std::time::Duration;

use avito_sim::{
    AccountSpec, Content, CustomerSpec, Fault, FaultKind, ListingSpec, Op, SimConfig, Simulator,
};
use frontline::Config;
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually, spawn_app_with};

pub(crate) const WAIT: Duration = Duration::from_secs(20);
pub(crate) const SELLER: i64 = 7_000_001;
pub(crate) const ITEM: i64 = 4_341_979_279; // above i32, as real listing ids are

pub(crate) fn customer(id: i64, name: &str) -> CustomerSpec {
    CustomerSpec {
        user_id: id,
        name: name.into(),
    }
}

pub(crate) async fn simulator() -> Simulator {
    let sim = Simulator::spawn(SimConfig {
        webhook_retry_delay: Duration::from_millis(200),
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    sim.add_account(AccountSpec {
        user_id: SELLER,
        name: "Магазин на Авито".into(),
        client_id: "client-1".into(),
        client_secret: "secret-1".into(),
    });
    sim.add_listing(
        SELLER,
        ListingSpec {
            id: ITEM,
            title: "Диван угловой «Лофт»".into(),
            price_string: "54 990 ₽".into(),
            url: "https://www.avito.ru/moskva/mebel/divan_4341979279".into(),
        },
    );
    sim
}

async fn app_for(sim: &Simulator, change: impl FnOnce(&mut Config)) -> TestApp {
    let base = sim.base_url();
    spawn_app_with(move |c| {
        use_simulator(c, base);
        change(c);
    })
    .await
}

/// Point the server's Avito channel at the simulator at `base`, webhooks only (no poller, no
/// history import), with a short request timeout.
pub(crate) fn use_simulator(c: &mut Config, base: String) {
    c.avito.api_url = base;
    c.avito.request_timeout_secs = 1;
    c.avito.poll_interval_secs = 0;
    c.avito.sync_on_connect = false;
}

pub(crate) async fn connect(app: &TestApp) -> i64 {
    let (status, body) = app
        .post(
            &app.admin_token,
            "/api/v1/avito/accounts",
            json!({"name": "Авито: мебель", "user_id": SELLER, "client_id": "client-1", "client_secret": "secret-1"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["subscribed"], true, "{body}");
    body["account"]["id"].as_i64().unwrap()
}

pub(crate) async fn conversation_by_chat(app: &TestApp, chat: &str) -> Value {
    eventually(WAIT, || async {
        let (_, body) = app
            .get(&app.admin_token, "/api/v1/conversations?limit=200")
            .await;
        body["items"]
            .as_array()?
            .iter()
            .find(|c| c["external_chat_id"] == chat)
            .cloned()
    })
    .await
}

pub(crate) async fn messages(app: &TestApp, conversation: i64) -> Vec<Value> {
    let (status, body) = app
        .get(
            &app.admin_token,
            &format!("/api/v1/conversations/{conversation}/messages?limit=200"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

async fn wait_messages(app: &TestApp, conversation: i64, n: usize) -> Vec<Value> {
    eventually(WAIT, || async {
        let m = messages(app, conversation).await;
        (m.len() >= n).then_some(m)
    })
    .await
}

pub(crate) async fn wait_sent(sim: &Simulator, n: usize) -> Vec<avito_sim::SimMessage> {
    eventually(WAIT, || async {
        let sent = sim.sent_via_api(SELLER);
        (sent.len() >= n).then_some(sent)
    })
    .await
}

#[tokio::test]
async fn connect_subscribes_and_the_bot_answers_a_webhook_message() {
    let sim = simulator().await;
    let app = app_for(&sim, |c| c.bot.mode = "engine".into()).await;
    let account = connect(&app).await;

    // Subscribed at an unguessable per-account URL; the probe `{}` was answered.
    let subs = sim.subscriptions(SELLER);
    assert_eq!(subs.len(), 1);
    let prefix = format!("http://{}/api/v1/webhooks/avito/{account}/", app.addr);
    assert!(subs[0].starts_with(&prefix), "{subs:?}");
    assert!(
        subs[0].len() >= prefix.len() + 32,
        "secret too short: {}",
        subs[0]
    );

    // Nothing secret comes back from the API.
    let (_, accounts) = app.get(&app.admin_token, "/api/v1/accounts").await;
    let shown = accounts.to_string();
    assert!(!shown.contains("secret-1"), "{shown}");
    assert!(!shown.contains(&subs[0][prefix.len()..]), "{shown}");
    let (status, health) = app
        .get(
            &app.admin_token,
            &format!("/api/v1/avito/accounts/{account}/webhook"),
        )
        .await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["subscribed"], true);
    assert!(!health.to_string().contains(&subs[0][prefix.len()..]));

    let posted = sim.customer_writes(
        SELLER,
        &customer(501, "Анна"),
        Some(ITEM),
        "Сколько стоит доставка?",
    );
    let sent = wait_sent(&sim, 1).await;
    assert_eq!(sent[0].chat_id, posted.chat_id);
    assert!(sent[0].text.as_deref().unwrap_or("").len() > 10, "{sent:?}");

    // The conversation carries the chat's context: customer, avatar, listing.
    let conv = conversation_by_chat(&app, &posted.chat_id).await;
    assert_eq!(conv["account"]["id"], account);
    assert_eq!(conv["lead"], "bot");
    assert_eq!(conv["customer"]["name"], "Анна");
    assert!(
        conv["customer"]["avatar_url"]
            .as_str()
            .unwrap()
            .starts_with("http")
    );
    assert_eq!(conv["listing"]["title"], "Диван угловой «Лофт»");
    assert_eq!(conv["listing"]["price"], "54 990 ₽");
    assert_eq!(conv["listing"]["external_id"], ITEM.to_string());
    let id = conv["id"].as_i64().unwrap();
    let msgs = wait_messages(&app, id, 2).await;
    let reply = eventually(WAIT, || async {
        let m = messages(&app, id).await;
        m.into_iter()
            .find(|m| m["author"]["kind"] == "bot" && m["status"] == "sent")
    })
    .await;
    assert_eq!(reply["external_id"], sent[0].id, "{msgs:?}");
    // The bot answered, so the chat is read on Avito too.
    eventually(WAIT, || async {
        (sim.read_calls(SELLER, &posted.chat_id) > 0).then_some(())
    })
    .await;
    // Our own echo was recognised: still exactly one bot message, still led by the bot.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let msgs = messages(&app, id).await;
    assert_eq!(msgs.len(), 2, "{msgs:#?}");
    let (_, conv) = app
        .get(&app.admin_token, &format!("/api/v1/conversations/{id}"))
        .await;
    assert_eq!(conv["conversation"]["lead"], "bot", "{conv}");
}

#[tokio::test]
async fn duplicate_and_out_of_order_deliveries_store_each_message_once() {
    let sim = simulator().await;
    let app = app_for(&sim, |_| {}).await;
    connect(&app).await;
    let anna = customer(502, "Анна");
    sim.duplicate_webhooks(2);
    let first = sim.customer_writes(SELLER, &anna, Some(ITEM), "Первое");
    sim.customer_writes(SELLER, &anna, Some(ITEM), "Второе");
    sim.hold_webhooks();
    for text in ["Третье", "Четвёртое", "Пятое"] {
        sim.customer_writes(SELLER, &anna, Some(ITEM), text);
    }
    sim.release_webhooks(true);
    let conv = conversation_by_chat(&app, &first.chat_id).await;
    let id = conv["id"].as_i64().unwrap();
    let msgs = wait_messages(&app, id, 5).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let msgs_later = messages(&app, id).await;
    let texts: Vec<&str> = msgs_later
        .iter()
        .filter(|m| m["author"]["kind"] == "customer")
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.len(), 5, "{texts:?} (first look: {})", msgs.len());
    for t in ["Первое", "Второе", "Третье", "Четвёртое", "Пятое"] {
        assert_eq!(
            texts.iter().filter(|x| **x == t).count(),
            1,
            "{t} in {texts:?}"
        );
    }
    // The duplicates really were delivered twice.
    let log = sim.webhook_log();
    let delivered_first = log
        .iter()
        .filter(|a| {
            a.message_id.as_deref() == Some(first.message_id.as_str()) && a.status == Some(200)
        })
        .count();
    assert_eq!(delivered_first, 2, "{log:?}");
}

#[tokio::test]
async fn a_person_answering_in_the_avito_app_takes_the_conversation() {
    let sim = simulator().await;
    let app = app_for(&sim, |c| c.bot.mode = "engine".into()).await;
    connect(&app).await;
    let ivan = customer(503, "Иван");
    let posted = sim.customer_writes(SELLER, &ivan, Some(ITEM), "Как оплатить заказ?");
    wait_sent(&sim, 1).await;
    let conv = conversation_by_chat(&app, &posted.chat_id).await;
    let id = conv["id"].as_i64().unwrap();

    sim.app_reply(
        SELLER,
        &posted.chat_id,
        "Здравствуйте, это Ольга, менеджер. Помогу!",
    );
    let conv = eventually(WAIT, || async {
        let (_, c) = app
            .get(&app.admin_token, &format!("/api/v1/conversations/{id}"))
            .await;
        (c["conversation"]["lead"] == "operator").then_some(c)
    })
    .await;
    assert_eq!(conv["briefing"]["reason"], "external_reply", "{conv}");
    let msgs = messages(&app, id).await;
    let external: Vec<&Value> = msgs
        .iter()
        .filter(|m| m["author"]["kind"] == "external")
        .collect();
    assert_eq!(external.len(), 1, "{msgs:#?}");
    assert_eq!(
        external[0]["text"],
        "Здравствуйте, это Ольга, менеджер. Помогу!"
    );
    assert_eq!(external[0]["direction"], "out");

    // The bot stays quiet now that a person leads.
    sim.customer_writes(
        SELLER,
        &ivan,
        Some(ITEM),
        "Спасибо! А доставка сколько стоит?",
    );
    wait_messages(&app, id, 4).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sim.sent_via_api(SELLER).len(), 1);
}

#[tokio::test]
async fn system_messages_and_avito_chats_never_reach_the_bot() {
    let sim = simulator().await;
    let app = app_for(&sim, |c| c.bot.mode = "engine".into()).await;
    connect(&app).await;
    let posted = sim.customer_writes(SELLER, &customer(504, "Пётр"), Some(ITEM), "Добрый день");
    wait_sent(&sim, 1).await;
    sim.system_message(
        SELLER,
        &posted.chat_id,
        "Покупатель добавил товар в избранное",
        "seller_audience_discount",
    );
    sim.avito_writes(SELLER, "Ваше объявление прошло модерацию");
    let conv = conversation_by_chat(&app, &posted.chat_id).await;
    let msgs = wait_messages(&app, conv["id"].as_i64().unwrap(), 3).await;
    assert!(
        msgs.iter().any(|m| m["author"]["kind"] == "system"),
        "{msgs:#?}"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        sim.sent_via_api(SELLER).len(),
        1,
        "the bot answered a system message"
    );
}

#[tokio::test]
async fn media_and_unsupported_types_are_stored_and_shown() {
    let sim = simulator().await;
    let app = app_for(&sim, |_| {}).await;
    connect(&app).await;
    let maria = customer(505, "Мария");
    let posted = sim.customer_sends(SELLER, &maria, Some(ITEM), Content::Image);
    sim.customer_sends(
        SELLER,
        &maria,
        Some(ITEM),
        Content::Voice(b"\x00\x00\x00\x18ftypmp42voice".to_vec()),
    );
    sim.customer_sends(SELLER, &maria, Some(ITEM), Content::File);
    sim.customer_sends(SELLER, &maria, Some(ITEM), Content::Video);
    let conv = conversation_by_chat(&app, &posted.chat_id).await;
    let msgs = wait_messages(&app, conv["id"].as_i64().unwrap(), 4).await;
    // Webhooks may arrive in any order: find each message by what it carries.
    let with = |kind: &str| {
        msgs.iter()
            .find(|m| m["attachments"][0]["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {msgs:#?}"))
            .clone()
    };
    let text_starting = |prefix: &str| {
        msgs.iter()
            .any(|m| m["text"].as_str().unwrap().starts_with(prefix))
    };

    let image = &with("image")["attachments"][0];
    assert_eq!(image["type"], "image", "{msgs:#?}");
    let url = image["url"].as_str().unwrap();
    assert!(url.starts_with("/api/v1/media/"), "{url}");
    let r = app
        .http
        .get(app.url(url))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("image/")
    );
    assert!(!r.bytes().await.unwrap().is_empty());
    // Media needs a session.
    let anon = app.http.get(app.url(url)).send().await.unwrap();
    assert_eq!(anon.status(), 401);

    let voice = &with("voice")["attachments"][0];
    assert_eq!(voice["type"], "voice", "{msgs:#?}");
    let bytes = app
        .http
        .get(app.url(voice["url"].as_str().unwrap()))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"\x00\x00\x00\x18ftypmp42voice");
    assert!(text_starting("[файл"), "{msgs:#?}");
    assert!(text_starting("[видео"), "{msgs:#?}");
}

/// A customer's reply quoting the seller's answer, and a link with Avito's preview card: both reach
/// the messenger's API whether the message came by webhook (the quote looked up in the messages
/// list, which the webhook lacks) or by the poller.
#[tokio::test]
async fn quoted_replies_and_link_previews_reach_the_messenger() {
    let sim = simulator().await;
    let app = app_for(&sim, |_| {}).await;
    let account = connect(&app).await;
    let olga = customer(606, "Ольга");
    let asked = sim.customer_writes(SELLER, &olga, Some(ITEM), "Диван ещё продаётся?");
    let answer = sim.app_reply(SELLER, &asked.chat_id, "Да, продаётся");
    let reply = sim.customer_replies(
        SELLER,
        &asked.chat_id,
        &answer.message_id,
        "А доставка есть?",
    );
    let link = sim.customer_sends(
        SELLER,
        &olga,
        Some(ITEM),
        Content::Link {
            url: "https://www.avito.ru/help/delivery".into(),
            text: "Вот тут написано".into(),
            preview: Some(avito_sim::LinkPreview {
                title: "Авито Доставка".into(),
                description: "Как получить заказ".into(),
            }),
        },
    );
    let conv = conversation_by_chat(&app, &asked.chat_id).await;
    let msgs = wait_messages(&app, conv["id"].as_i64().unwrap(), 4).await;
    let by_id = |id: &str| {
        msgs.iter()
            .find(|m| m["external_id"] == id)
            .unwrap_or_else(|| panic!("no {id} in {msgs:#?}"))
            .clone()
    };
    let r = by_id(&reply.message_id);
    assert_eq!(r["text"], "А доставка есть?");
    assert_eq!(
        r["quote"],
        json!({"external_id": answer.message_id, "direction": "out", "text": "Да, продаётся"}),
        "{r:#}"
    );
    assert_eq!(by_id(&asked.message_id)["quote"], Value::Null);
    let l = by_id(&link.message_id);
    assert_eq!(
        l["text"],
        "Вот тут написано https://www.avito.ru/help/delivery"
    );
    let card = &l["link_preview"];
    assert_eq!(card["url"], "https://www.avito.ru/help/delivery", "{l:#}");
    assert_eq!(card["domain"], "www.avito.ru");
    assert_eq!(card["title"], "Авито Доставка");
    assert_eq!(card["description"], "Как получить заказ");
    assert!(
        card["image_url"]
            .as_str()
            .unwrap()
            .starts_with(&sim.base_url())
    );

    // The poller brings the same from the messages list when no webhook does.
    sim.drop_webhooks(1);
    let missed = sim.customer_replies(SELLER, &asked.chat_id, &asked.message_id, "Жду ответа");
    let (status, body) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/avito/accounts/{account}/poll"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let msgs = wait_messages(&app, conv["id"].as_i64().unwrap(), 5).await;
    let polled = msgs
        .iter()
        .find(|m| m["external_id"] == missed.message_id.as_str())
        .unwrap_or_else(|| panic!("{msgs:#?}"));
    assert_eq!(polled["quote"]["text"], "Диван ещё продаётся?");
    assert_eq!(polled["quote"]["direction"], "in");
}

/// Avito refuses the first send (429 with Retry-After), then fails twice (503), then answers too
/// late although it did send: the message reaches the customer exactly once.
#[tokio::test]
async fn failures_and_timeouts_are_retried_without_duplicate_sends() {
    let sim = simulator().await;
    let app = app_for(&sim, |_| {}).await;
    connect(&app).await;
    let posted = sim.customer_writes(SELLER, &customer(506, "Олег"), None, "Есть в наличии?");
    let conv = conversation_by_chat(&app, &posted.chat_id).await;
    let id = conv["id"].as_i64().unwrap();
    for kind in [
        FaultKind::TooManyRequests {
            retry_after: Some(1),
        },
        FaultKind::ServerError(503),
        FaultKind::ServerError(502),
        FaultKind::Delay(Duration::from_millis(1800)),
    ] {
        sim.inject(Fault {
            op: Op::SendMessage,
            kind,
            times: 1,
        });
    }
    let (status, body) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"text": "Да, есть. Отправим сегодня."}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let message_id = body["message"]["id"].as_i64().unwrap();
    let sent = eventually(Duration::from_secs(30), || async {
        let m = messages(&app, id).await;
        m.into_iter()
            .find(|m| m["id"] == message_id && m["status"] == "sent")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let in_chat: Vec<_> = sim
        .messages(SELLER, &posted.chat_id)
        .into_iter()
        .filter(|m| m.text.as_deref() == Some("Да, есть. Отправим сегодня."))
        .collect();
    assert_eq!(in_chat.len(), 1, "{in_chat:?}");
    assert_eq!(sent["external_id"], in_chat[0].id);
    // 429, 503, 502, the late answer, and the check before trying again.
    let sends = sim
        .request_log()
        .into_iter()
        .filter(|r| r.op == Op::SendMessage)
        .count();
    assert_eq!(sends, 4, "{:?}", sim.request_log());
}

/// The server dies (its tasks dropped mid-request, as in a crash) while Avito is carrying out a send whose answer never arrives (and whose
/// webhook echo is lost): the restarted server finds the message in the chat and does not send it
/// again.
#[tokio::test]
async fn a_crash_between_send_and_record_does_not_send_twice() {
    let sim = simulator().await;
    let app = app_for(&sim, |c| {
        c.outbox.lease_secs = 2;
        c.avito.request_timeout_secs = 10;
    })
    .await;
    connect(&app).await;
    let posted = sim.customer_writes(SELLER, &customer(507, "Вера"), None, "Когда доставка?");
    let conv = conversation_by_chat(&app, &posted.chat_id).await;
    let id = conv["id"].as_i64().unwrap();
    sim.drop_webhooks(1);
    sim.inject(Fault {
        op: Op::SendMessage,
        kind: FaultKind::DelayAfterCommit(Duration::from_secs(30)),
        times: 1,
    });
    let text = "Доставим завтра с 10 до 14.";
    let (status, body) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"text": text}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let message_id = body["message"]["id"].as_i64().unwrap();
    eventually(WAIT, || async {
        sim.messages(SELLER, &posted.chat_id)
            .iter()
            .any(|m| m.text.as_deref() == Some(text))
            .then_some(())
    })
    .await;
    let app = app.crash_and_restart().await;
    let sent = eventually(WAIT, || async {
        let m = messages(&app, id).await;
        m.into_iter()
            .find(|m| m["id"] == message_id && m["status"] == "sent")
    })
    .await;
    let copies: Vec<_> = sim
        .messages(SELLER, &posted.chat_id)
        .into_iter()
        .filter(|m| m.text.as_deref() == Some(text))
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert_eq!(sent["external_id"], copies[0].id);
}

#[tokio::test]
async fn an_expired_token_is_renewed_once_for_concurrent_requests() {
    let sim = simulator().await;
    let app = app_for(&sim, |c| c.bot.mode = "engine".into()).await;
    connect(&app).await;
    let grants = sim.token_grants(SELLER);
    sim.expire_tokens(SELLER);
    for i in 0..5 {
        sim.customer_writes(
            SELLER,
            &customer(520 + i, "Лев"),
            Some(ITEM),
            "Сколько стоит доставка?",
        );
    }
    wait_sent(&sim, 5).await;
    // Every request that met the 403 waited for the same single renewal.
    assert_eq!(sim.token_grants(SELLER), grants + 1);
    let forbidden = sim
        .request_log()
        .into_iter()
        .filter(|r| r.status == 403)
        .count();
    assert!(forbidden >= 1, "the expired token was never refused");
}

/// An account authorised through the authorization-code flow: its refresh token rotates on every
/// use, so the new one must be stored (sealed) at once — a restart with the spent one would lock
/// the account out.
#[tokio::test]
async fn rotated_refresh_tokens_survive_a_restart() {
    let sim = simulator().await;
    sim.authorize_code(SELLER, "code-1");
    let http = reqwest::Client::new();
    let granted: Value = http
        .post(format!("{}/token", sim.base_url()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", "client-1"),
            ("client_secret", "secret-1"),
            ("code", "code-1"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = granted["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_string();
    let app = app_for(&sim, |c| c.bot.mode = "engine".into()).await;
    let (status, body) = app
        .post(
            &app.admin_token,
            "/api/v1/avito/accounts",
            json!({"name": "OAuth", "user_id": SELLER, "client_id": "client-1",
                   "client_secret": "secret-1", "refresh_token": refresh}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // The given refresh token is spent now: using it again is refused.
    let reuse = http
        .post(format!("{}/token", sim.base_url()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", "client-1"),
            ("client_secret", "secret-1"),
            ("refresh_token", refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(reuse.status(), 400);

    let app = app.restart().await;
    sim.expire_tokens(SELLER);
    sim.customer_writes(
        SELLER,
        &customer(530, "Эмма"),
        Some(ITEM),
        "Сколько стоит доставка?",
    );
    wait_sent(&sim, 1).await;
    drop(app);
}

#[tokio::test]
async fn long_answers_are_split_and_images_uploaded() {
    let sim = simulator().await;
    let app = app_for(&sim, |_| {}).await;
    connect(&app).await;
    let posted = sim.customer_writes(
        SELLER,
        &customer(509, "Нина"),
        Some(ITEM),
        "Расскажите подробнее",
    );
    let conv = conversation_by_chat(&app, &posted.chat_id).await;
    let id = conv["id"].as_i64().unwrap();
    let long = "Диван раскладывается в двуспальную кровать. ".repeat(60);
    let (status, body) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"text": long}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let sent = wait_sent(&sim, 3).await;
    for m in &sent {
        let t = m.text.as_deref().unwrap();
        assert!(t.chars().count() <= 1000 && t.ends_with('.'), "{t}");
    }
    assert_eq!(
        sent.iter()
            .map(|m| m.text.clone().unwrap())
            .collect::<Vec<_>>()
            .join(" "),
        long.trim()
    );

    // An operator's image: uploaded to frontline, then to Avito, then sent.
    let png = b"\x89PNG\r\n\x1a\n-not-really-a-picture".to_vec();
    let r = app
        .http
        .post(app.url("/api/v1/media?name=photo.png"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "image/png")
        .body(png)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let uploaded: Value = r.json().await.unwrap();
    let (status, body) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"text": "", "attachments": [{"type": "image", "url": uploaded["url"]}]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let sent = wait_sent(&sim, 4).await;
    assert_eq!(sent[3].kind, "image", "{sent:?}");

    // A file Avito cannot carry fails visibly rather than going out as text alone.
    let (status, body) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"text": "Инструкция во вложении", "attachments": [{"type": "file", "url": "https://example.com/manual.pdf"}]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let file_message = body["message"]["id"].as_i64().unwrap();
    let failed = eventually(WAIT, || async {
        messages(&app, id)
            .await
            .into_iter()
            .find(|m| m["id"] == file_message && m["status"] == "failed")
    })
    .await;
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("only text and images"),
        "{failed}"
    );
    assert_eq!(sim.sent_via_api(SELLER).len(), 4);

    // Opening the chat marks it read on Avito.
    let before = sim.read_calls(SELLER, &posted.chat_id);
    let (status, _) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/conversations/{id}/read"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    eventually(WAIT, || async {
        (sim.read_calls(SELLER, &posted.chat_id) > before).then_some(())
    })
    .await;
}

#[tokio::test]
async fn history_sync_pages_within_avitos_limits_without_duplicates() {
    let sim = simulator().await;
    // 130 chats (two pages of chats) before the account is connected; one with 230 messages. The
    // simulator answers in the spec's shape, without `meta.has_more`: a short page ends the list.
    for i in 0..130 {
        sim.customer_writes(
            SELLER,
            &customer(10_000 + i, &format!("Покупатель {i}")),
            None,
            "Здравствуйте",
        );
    }
    let long = customer(20_000, "Давний покупатель");
    let mut chat = String::new();
    for i in 0..230 {
        chat = sim
            .customer_writes(SELLER, &long, Some(ITEM), &format!("Сообщение {i}"))
            .chat_id;
    }
    let app = app_for(&sim, |c| c.avito.sync_on_connect = true).await;
    let account = connect(&app).await;
    let conv = conversation_by_chat(&app, &chat).await;
    let id = conv["id"].as_i64().unwrap();
    let msgs = eventually(WAIT, || async {
        let (_, page) = app
            .get(
                &app.admin_token,
                &format!("/api/v1/conversations/{id}/messages?limit=200"),
            )
            .await;
        let (_, older) = app
            .get(
                &app.admin_token,
                &format!(
                    "/api/v1/conversations/{id}/messages?limit=200&before={}",
                    page["items"][0]["id"]
                ),
            )
            .await;
        let n = page["items"].as_array()?.len() + older["items"].as_array()?.len();
        (n >= 230).then_some(n)
    })
    .await;
    assert_eq!(msgs, 230);
    // The long chat was the newest, so it came first; the other 130 follow.
    eventually(WAIT, || async {
        let (_, list) = app
            .get(&app.admin_token, "/api/v1/conversations?limit=200")
            .await;
        (list["items"].as_array()?.len() == 131).then_some(())
    })
    .await;
    // History wakes no bot and nothing went out.
    assert!(sim.sent_via_api(SELLER).is_empty());
    // Syncing again imports nothing new.
    let (status, stats) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/avito/accounts/{account}/sync"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["messages_created"], 0, "{stats}");
    assert_eq!(stats["chats"], 131, "{stats}");
    // The same with the `meta.has_more` that live answers reportedly add (not in the spec).
    sim.set_chats_meta(true);
    let (status, stats) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/avito/accounts/{account}/sync"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["chats"], 131, "{stats}");
    assert_eq!(stats["messages_created"], 0, "{stats}");
    // Every page asked for stayed within limit ≤ 100 and offset ≤ 1000 (the simulator refuses more).
    assert!(
        sim.request_log().iter().all(|r| r.status != 400),
        "{:?}",
        sim.request_log()
    );
}

#[tokio::test]
async fn the_poller_recovers_a_dropped_webhook() {
    let sim = simulator().await;
    let app = app_for(&sim, |c| c.avito.poll_interval_secs = 1).await;
    connect(&app).await;
    sim.drop_webhooks(1);
    let posted = sim.customer_writes(
        SELLER,
        &customer(510, "Глеб"),
        Some(ITEM),
        "Потерянное сообщение",
    );
    let conv = conversation_by_chat(&app, &posted.chat_id).await;
    let msgs = wait_messages(&app, conv["id"].as_i64().unwrap(), 1).await;
    assert_eq!(msgs[0]["text"], "Потерянное сообщение");
    assert_eq!(msgs[0]["external_id"], posted.message_id);
    assert!(
        sim.webhook_log()
            .iter()
            .filter(|a| a.message_id.as_deref() == Some(posted.message_id.as_str()))
            .all(|a| a.status.is_none()),
        "the webhook was not dropped"
    );
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("frontline_avito_poller_recovered_total 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn webhook_receiver_rejects_wrong_secrets_and_answers_probes() {
    let sim = simulator().await;
    let app = app_for(&sim, |_| {}).await;
    let account = connect(&app).await;
    let url = sim.subscriptions(SELLER).remove(0);
    let delivery = json!({"id": "d-1", "version": "v3.0.0", "timestamp": 1_749_755_907,
        "payload": {"type": "message", "value": {"id": "forged-1", "chat_id": "u2i-forged", "user_id": SELLER,
        "author_id": 999, "created": 1_749_755_907, "type": "text", "chat_type": "u2i",
        "content": {"text": "подделка"}, "item_id": ITEM}}});
    let wrong = format!(
        "http://{}/api/v1/webhooks/avito/{account}/{}",
        app.addr,
        "0".repeat(48)
    );
    let r = app.http.post(&wrong).json(&delivery).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    let r = app
        .http
        .post(format!(
            "http://{}/api/v1/webhooks/avito/999999/{}",
            app.addr,
            "0".repeat(48)
        ))
        .json(&delivery)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // The probe and malformed bodies on the right URL.
    let r = app.http.post(&url).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = app.http.post(&url).body("{not json").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_json"
    );
    let huge = format!("{{\"pad\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let r = app.http.post(&url).body(huge).send().await.unwrap();
    assert_eq!(r.status(), 413);

    let (_, health) = app
        .get(
            &app.admin_token,
            &format!("/api/v1/avito/accounts/{account}/webhook"),
        )
        .await;
    assert_eq!(health["pending_deliveries"], 0, "{health}");
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("frontline_avito_webhooks_rejected_total 2"),
        "{metrics}"
    );
    // Avito's probe when subscribing, and ours.
    assert!(
        metrics.contains("frontline_avito_webhook_probes_total 2"),
        "{metrics}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, list) = app.get(&app.admin_token, "/api/v1/conversations").await;
    assert!(list["items"].as_array().unwrap().is_empty(), "{list}");

    // A delivery addressed to another Avito account is stored but kept out of this inbox.
    let mut misrouted = delivery.clone();
    misrouted["payload"]["value"]["user_id"] = json!(123);
    misrouted["payload"]["value"]["id"] = json!("misrouted-1");
    misrouted["payload"]["value"]["chat_id"] = json!("u2i-misrouted");
    let r = app.http.post(&url).json(&misrouted).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // The right URL stores and processes a delivery.
    let r = app.http.post(&url).json(&delivery).send().await.unwrap();
    assert_eq!(r.status(), 200);
    conversation_by_chat(&app, "u2i-forged").await;
    eventually(WAIT, || async {
        let (_, health) = app
            .get(
                &app.admin_token,
                &format!("/api/v1/avito/accounts/{account}/webhook"),
            )
            .await;
        (health["pending_deliveries"] == 0).then_some(())
    })
    .await;
    let (_, list) = app.get(&app.admin_token, "/api/v1/conversations").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
}

#[tokio::test]
async fn connecting_with_wrong_credentials_is_refused_and_disconnect_unsubscribes() {
    let sim = simulator().await;
    let app = app_for(&sim, |_| {}).await;
    let (status, body) = app
        .post(
            &app.admin_token,
            "/api/v1/avito/accounts",
            json!({"name": "x", "user_id": SELLER, "client_id": "client-1", "client_secret": "wrong"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "avito_credentials_rejected");
    assert_eq!(body["error"]["field"], "client_secret", "{body}");
    let (_, accounts) = app.get(&app.admin_token, "/api/v1/accounts").await;
    assert!(accounts.as_array().unwrap().is_empty());
    let (status, body) = app
        .post(
            &app.admin_token,
            "/api/v1/avito/accounts",
            json!({"name": "x", "user_id": 0, "client_id": "a", "client_secret": "b"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "user_id");

    // The generic accounts route cannot make an Avito account without credentials.
    let (status, body) = app
        .post(
            &app.admin_token,
            "/api/v1/accounts",
            json!({"kind": "avito", "name": "x"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "kind");

    let account = connect(&app).await;
    // The same Avito account twice is refused.
    let (status, _) = app
        .post(
            &app.admin_token,
            "/api/v1/avito/accounts",
            json!({"name": "again", "user_id": SELLER, "client_id": "client-1", "client_secret": "secret-1"}),
        )
        .await;
    assert_eq!(status, 422);
    let r = app
        .http
        .delete(app.url(&format!("/api/v1/avito/accounts/{account}")))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(sim.subscriptions(SELLER).is_empty());
    let (_, a) = app
        .get(&app.admin_token, &format!("/api/v1/accounts/{account}"))
        .await;
    assert_eq!(a["enabled"], false);
}

#[tokio::test]
async fn a_complaint_reaches_an_operator_with_the_listing_in_the_briefing() {
    let sim = simulator().await;
    let app = app_for(&sim, |c| c.bot.mode = "engine".into()).await;
    connect(&app).await;
    let posted = sim.customer_writes(
        SELLER,
        &customer(511, "Роман"),
        Some(ITEM),
        "Хочу пожаловаться: привезли диван с порванной обивкой, это безобразие!",
    );
    let conv = conversation_by_chat(&app, &posted.chat_id).await;
    let id = conv["id"].as_i64().unwrap();
    let shown = eventually(WAIT, || async {
        let (_, c) = app
            .get(&app.admin_token, &format!("/api/v1/conversations/{id}"))
            .await;
        (c["conversation"]["lead"] == "operator").then_some(c)
    })
    .await;
    let briefing = shown["briefing"]["briefing"].as_str().unwrap_or_default();
    assert!(
        briefing.contains("Объявление: Диван угловой «Лофт», 54 990 ₽"),
        "{shown:#}"
    );
    assert!(briefing.contains("Роман"), "{briefing}");
}

/// «Каналы»: an account's status shows its ids, its token, the last webhook, sync and poll, and
/// the newest error with the work it came from — and recovers when Avito does.
#[tokio::test]
async fn an_accounts_status_shows_its_token_last_work_and_newest_error() {
    let sim = simulator().await;
    let app = app_for(&sim, |_| {}).await;
    let account = connect(&app).await;
    let path = format!("/api/v1/avito/accounts/{account}/status");
    let (status, s) = app.get(&app.admin_token, &path).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["user_id"], SELLER);
    assert_eq!(s["client_id"], "client-1");
    assert_eq!(s["has_refresh_token"], false);
    assert!(s["last_sync"].is_null() && s["last_poll"].is_null(), "{s}");
    // Connecting subscribed the webhook, which fetched a token.
    assert_eq!(s["token"]["state"], "valid", "{s}");
    assert!(s["token"]["expires_at"].as_str().unwrap() > s["token"]["issued_at"].as_str().unwrap());
    assert!(!s.to_string().contains("secret-1"), "{s}");

    // A webhook delivery, a sync and a poll are each recorded.
    let posted = sim.customer_writes(SELLER, &customer(520, "Инна"), None, "Здравствуйте");
    conversation_by_chat(&app, &posted.chat_id).await;
    let (status, synced) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/avito/accounts/{account}/sync"),
            Value::Null,
        )
        .await;
    assert_eq!(status, 200, "{synced}");
    let (status, _) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/avito/accounts/{account}/poll"),
            Value::Null,
        )
        .await;
    assert_eq!(status, 200);
    let (_, s) = app.get(&app.admin_token, &path).await;
    assert!(s["last_webhook_at"].is_string(), "{s}");
    assert_eq!(s["last_sync"]["ok"], true, "{s}");
    assert_eq!(s["last_sync"]["stats"]["chats"], synced["chats"]);
    assert_eq!(s["last_poll"]["ok"], true, "{s}");
    assert_eq!(s["last_poll"]["recovered"], 0);
    assert!(s["last_error"].is_null(), "{s}");

    // Avito failing the poller's chat list: the poll and the newest error say so.
    sim.inject(Fault {
        op: Op::GetChats,
        kind: FaultKind::ServerError(503),
        times: 1,
    });
    let (status, body) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/avito/accounts/{account}/poll"),
            Value::Null,
        )
        .await;
    assert_eq!(status, 502, "{body}");
    let (_, s) = app.get(&app.admin_token, &path).await;
    assert_eq!(s["last_poll"]["ok"], false, "{s}");
    assert!(
        s["last_poll"]["error"].as_str().unwrap().contains("503"),
        "{s}"
    );
    assert_eq!(s["last_error"]["during"], "poll", "{s}");

    // Once Avito answers again, the poll is fine; the error stays visible as the newest one.
    let (status, _) = app
        .post(
            &app.admin_token,
            &format!("/api/v1/avito/accounts/{account}/poll"),
            Value::Null,
        )
        .await;
    assert_eq!(status, 200);
    let (_, s) = app.get(&app.admin_token, &path).await;
    assert_eq!(s["last_poll"]["ok"], true, "{s}");
    assert_eq!(s["last_error"]["during"], "poll");

    // Operators may not read it; an unknown account is a 404.
    let op = app.create_operator("olga", "operator").await;
    let (status, _) = app.get(&op, &path).await;
    assert_eq!(status, 403);
    let (status, body) = app
        .get(&app.admin_token, "/api/v1/avito/accounts/999999/status")
        .await;
    assert_eq!(status, 404, "{body}");
}
