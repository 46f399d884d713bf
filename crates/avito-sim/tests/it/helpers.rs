//! Shared setup: a spawned simulator with two accounts, an HTTP client speaking Avito's wire format, and
//! a local webhook receiver.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use avito_sim::{AccountSpec, CustomerSpec, ListingSpec, SimConfig, Simulator};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::mpsc;

pub const SHOP: i64 = 94_235_311;
pub const OTHER: i64 = 4_341_979_279;
pub const ITEM: i64 = 1_768_287_444;

pub struct Env {
    pub sim: Simulator,
    pub http: reqwest::Client,
}

/// Webhook knobs small enough that retries do not slow the suite down.
pub fn fast_config() -> SimConfig {
    SimConfig {
        webhook_timeout: Duration::from_millis(500),
        webhook_retry_delay: Duration::from_millis(20),
        ..SimConfig::default()
    }
}

pub async fn spawn() -> Env {
    spawn_with(fast_config()).await
}

pub async fn spawn_with(config: SimConfig) -> Env {
    let sim = Simulator::spawn(config).await.expect("simulator starts");
    for (user_id, name) in [(SHOP, "Guldan"), (OTHER, "Other shop")] {
        sim.add_account(AccountSpec {
            user_id,
            name: name.into(),
            client_id: format!("client-{user_id}"),
            client_secret: format!("secret-{user_id}"),
        });
    }
    sim.add_listing(
        SHOP,
        ListingSpec {
            id: ITEM,
            title: "Mazda 3 2008".into(),
            price_string: "300 000 ₽".into(),
            url: "https://avito.ru/moskva/avtomobili/mazda_3_2008_1768287444".into(),
        },
    );
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client builds");
    Env { sim, http }
}

pub fn customer(id: i64) -> CustomerSpec {
    CustomerSpec {
        user_id: id,
        name: format!("Покупатель {id}"),
    }
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    pub async fn token_form(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url("/token"))
            .form(form)
            .send()
            .await
            .expect("token request")
    }

    /// A client_credentials token of the account.
    pub async fn token(&self, account: i64) -> String {
        let (id, secret) = (format!("client-{account}"), format!("secret-{account}"));
        let response = self
            .token_form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
            ])
            .await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn send_text(&self, token: &str, chat_id: &str, text: &str) -> reqwest::Response {
        self.post(
            token,
            &format!("/messenger/v1/accounts/{SHOP}/chats/{chat_id}/messages"),
            json!({"message": {"text": text}, "type": "text"}),
        )
        .await
    }

    /// Subscribes the receiver's URL for the shop and consumes the probe.
    pub async fn subscribe(&self, token: &str, receiver: &mut Receiver) {
        let response = self
            .post(token, "/messenger/v3/webhook", json!({"url": receiver.url}))
            .await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.json::<Value>().await.unwrap(), json!({"ok": true}));
        let probe = receiver.next().await;
        assert_eq!(probe.body, json!({}));
    }
}

/// Status and JSON body of a response.
pub async fn status_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// Waits (bounded) for a condition that another task makes true shortly.
pub async fn eventually(condition: impl Fn() -> bool) {
    for _ in 0..500 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not met within 5 s");
}

#[derive(Debug)]
pub struct Hit {
    pub body: Value,
    pub signature: Option<String>,
}

/// A local webhook receiver that records every POST and can be told to fail the next N.
pub struct Receiver {
    pub url: String,
    rx: mpsc::UnboundedReceiver<Hit>,
    pub fail_next: Arc<AtomicU32>,
}

type ReceiverState = (mpsc::UnboundedSender<Hit>, Arc<AtomicU32>);

async fn receive(
    State((tx, fail)): State<ReceiverState>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let hit = Hit {
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        signature: headers
            .get("x-avito-messenger-signature")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let _ = tx.send(hit);
    let failing = fail
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}

pub async fn receiver() -> Receiver {
    let (tx, rx) = mpsc::unbounded_channel();
    let fail = Arc::new(AtomicU32::new(0));
    let app = Router::new()
        .route("/avito/hook", post(receive))
        .with_state((tx, fail.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/avito/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver {
        url,
        rx,
        fail_next: fail,
    }
}

impl Receiver {
    pub async fn next(&mut self) -> Hit {
        tokio::time::timeout(Duration::from_secs(5), self.rx.recv())
            .await
            .expect("a webhook arrives within 5 s")
            .expect("receiver open")
    }

    /// The next `n` deliveries' `payload.value`s, in arrival order.
    pub async fn values(&mut self, n: usize) -> Vec<Value> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.push(self.next().await.body["payload"]["value"].clone());
        }
        out
    }

    /// Nothing has arrived yet.
    pub fn is_idle(&mut self) -> bool {
        self.rx.try_recv().is_err()
    }
}
