//! `spawn_app()` and small clients for the tests.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use frontline::Config;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub const ADMIN: (&str, &str) = ("admin", "admin-password");

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub http: reqwest::Client,
    pub admin_token: String,
    pub database_url: String,
    config: Config,
    shutdown: CancellationToken,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: Option<Arc<tempfile::TempDir>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn fresh_database_url() -> (String, Option<Arc<tempfile::TempDir>>) {
    match std::env::var("FRONTLINE_TEST_BACKEND").as_deref() {
        Ok("postgres") => {
            let admin = std::env::var("FRONTLINE_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            (
                frontline_store_postgres::testing::fresh_database(&admin).await,
                None,
            )
        }
        Ok("sqlite") | Err(_) => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("frontline.db").display());
            (url, Some(Arc::new(dir)))
        }
        Ok(other) => panic!("unknown FRONTLINE_TEST_BACKEND `{other}`"),
    }
}

pub fn test_config(database_url: &str) -> Config {
    let mut config = Config::for_tests(database_url);
    // The existing suites test the platform with no bot; `bot.rs` turns the engine on.
    config.bot.mode = "none".into();
    config
}

/// Start the server on a fresh database and log in as the bootstrap admin.
pub async fn spawn_app() -> TestApp {
    let (url, dir) = fresh_database_url().await;
    spawn_on(url, dir).await
}

/// [`spawn_app`] with the test configuration changed by `change` first.
pub async fn spawn_app_with(change: impl FnOnce(&mut Config)) -> TestApp {
    let (url, dir) = fresh_database_url().await;
    let mut config = test_config(&url);
    change(&mut config);
    spawn_with_config(url, dir, config).await
}

/// [`spawn_app_with`] with extra wiring (a recogniser, pre-bound voice listeners, …).
pub async fn spawn_app_wired(
    change: impl FnOnce(&mut Config),
    wiring: frontline::Wiring,
) -> TestApp {
    let (url, dir) = fresh_database_url().await;
    let mut config = test_config(&url);
    change(&mut config);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(frontline::launch_with(
        config.clone(),
        listener,
        shutdown.clone(),
        wiring,
    ));
    let mut app = TestApp {
        addr,
        http: reqwest::Client::new(),
        admin_token: String::new(),
        database_url: url,
        config,
        shutdown,
        handle: Some(handle),
        _dir: dir,
    };
    app.admin_token = app.login(ADMIN.0, ADMIN.1).await;
    app
}

async fn spawn_on(url: String, dir: Option<Arc<tempfile::TempDir>>) -> TestApp {
    let config = test_config(&url);
    spawn_with_config(url, dir, config).await
}

async fn spawn_with_config(
    url: String,
    dir: Option<Arc<tempfile::TempDir>>,
    config: Config,
) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    spawn_on_listener(url, dir, config, listener).await
}

async fn spawn_on_listener(
    url: String,
    dir: Option<Arc<tempfile::TempDir>>,
    config: Config,
    listener: TcpListener,
) -> TestApp {
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(frontline::launch(
        config.clone(),
        listener,
        shutdown.clone(),
    ));
    let http = reqwest::Client::new();
    let mut app = TestApp {
        addr,
        http,
        admin_token: String::new(),
        database_url: url,
        config,
        shutdown,
        handle: Some(handle),
        _dir: dir,
    };
    // The listener is bound already, so requests queue until the server accepts them.
    app.admin_token = app.login(ADMIN.0, ADMIN.1).await;
    app
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Kill this server without a graceful shutdown (every task dropped where it stands, as in a
    /// crash) and start a new one on the same database and, when free, the same port.
    pub async fn crash_and_restart(mut self) -> TestApp {
        if let Some(h) = self.handle.take() {
            h.abort();
            let _ = h.await;
        }
        self.shutdown.cancel();
        let dir = self._dir.take();
        let listener = match TcpListener::bind(self.addr).await {
            Ok(l) => l,
            Err(_) => TcpListener::bind("127.0.0.1:0").await.expect("bind"),
        };
        spawn_on_listener(
            self.database_url.clone(),
            dir,
            self.config.clone(),
            listener,
        )
        .await
    }

    /// Stop this server and start a new one on the same database (a restart).
    pub async fn restart(mut self) -> TestApp {
        self.shutdown.cancel();
        if let Some(h) = self.handle.take() {
            h.await.expect("server task").expect("server ran");
        }
        let dir = self._dir.take();
        // The same port when it is free again, so webhook URLs given to remote services stay valid.
        let listener = match TcpListener::bind(self.addr).await {
            Ok(l) => l,
            Err(_) => TcpListener::bind("127.0.0.1:0").await.expect("bind"),
        };
        spawn_on_listener(
            self.database_url.clone(),
            dir,
            self.config.clone(),
            listener,
        )
        .await
    }

    /// `/metrics` as text.
    pub async fn metrics(&self) -> String {
        let r = self.http.get(self.url("/metrics")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    }

    pub async fn login(&self, login: &str, password: &str) -> String {
        let r = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"login": login, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login failed: {}", r.text().await.unwrap());
        r.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, token, path, body).await
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        token: &str,
        path: &str,
        body: Value,
    ) -> (u16, Value) {
        let r = self
            .http
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Create an `api` account; returns (account id, inbound token).
    pub async fn api_account(&self, name: &str, callback: Option<&str>) -> (i64, String) {
        let (status, body) = self
            .post(
                &self.admin_token,
                "/api/v1/accounts",
                json!({"kind": "api", "name": name, "callback_url": callback}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        (
            body["account"]["id"].as_i64().unwrap(),
            body["inbound_token"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn inbound(
        &self,
        account: i64,
        token: &str,
        chat: &str,
        msg_id: &str,
        text: &str,
    ) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(&format!("/api/v1/inbound/{account}/messages")))
            .bearer_auth(token)
            .json(&json!({
                "external_chat_id": chat,
                "external_message_id": msg_id,
                "customer": {"external_id": format!("cust-{chat}"), "name": "Мария"},
                "text": text,
            }))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap())
    }

    pub async fn create_operator(&self, login: &str, role: &str) -> String {
        let (status, body) = self
            .post(
                &self.admin_token,
                "/api/v1/operators",
                json!({"login": login, "display_name": login, "password": "op-password-1", "role": role}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        self.login(login, "op-password-1").await
    }
}

/// Poll `f` until it returns `Some`, for at most `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A callback as received: its `Idempotency-Key` header and its JSON body.
pub type Received = (Option<String>, Value);

/// A local HTTP server standing in for an api account's callback receiver.
#[derive(Clone, Default)]
pub struct CallbackServer {
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl CallbackServer {
    /// Serve on `listener`: record every POST body with its Idempotency-Key and answer 200.
    pub fn serve(&self, listener: TcpListener) -> tokio::task::JoinHandle<()> {
        let received = self.received.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::Json<Value>| {
                    let received = received.clone();
                    async move {
                        let key = headers
                            .get("idempotency-key")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned);
                        received.lock().unwrap().push((key, body.0));
                        axum::Json(json!({"external_message_id": "ext-1"}))
                    }
                },
            ),
        );
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        })
    }
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect_stream(app: &TestApp, token: &str, after: Option<i64>) -> Ws {
    let mut url = format!("ws://{}/api/v1/stream?token={token}", app.addr);
    if let Some(a) = after {
        url.push_str(&format!("&after={a}"));
    }
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("ws connect");
    ws
}

/// Next JSON text frame, or `None` after `timeout` of silence.
pub async fn next_frame(ws: &mut Ws, timeout: Duration) -> Option<Value> {
    use futures_util::StreamExt;
    loop {
        let msg = tokio::time::timeout(timeout, ws.next()).await.ok()??.ok()?;
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            return Some(serde_json::from_str(&t).unwrap());
        }
    }
}

/// Read frames until one of `type` arrives; return the frames before it and it.
pub async fn frames_until(ws: &mut Ws, kind: &str) -> (Vec<Value>, Value) {
    let mut before = Vec::new();
    loop {
        let f = next_frame(ws, Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("no `{kind}` frame; got {before:?}"));
        if f["type"] == kind {
            return (before, f);
        }
        before.push(f);
    }
}
