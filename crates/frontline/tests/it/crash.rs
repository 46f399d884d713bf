//! A bot turn survives the process dying between the decision and its effects.
//!
//! The real `frontline serve` runs as a child process on a fresh database, with the dialog engine
//! and an LLM (a local server speaking the OpenAI chat wire) that writes the operator's summary. A
//! customer asks for a person; the bot decides to hand over, and while it waits for the summary the
//! test takes a lock the turn's transaction needs — on PostgreSQL the `handoffs` table, so the turn
//! is stopped mid-transaction after its decision, farewell message and delivery job are written; on
//! SQLite the database's write lock, so it is stopped at `BEGIN` with its decision made. Then the
//! process is killed with SIGKILL. Nothing of the turn may be left behind, and after a restart the
//! turn runs again and is applied exactly once: one decision, one farewell, one handoff.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::helpers::{ADMIN, CallbackServer, eventually, fresh_database_url};

const BIN: &str = env!("CARGO_BIN_EXE_frontline");
const WAIT: Duration = Duration::from_secs(30);

/// A child `frontline serve`, killed with SIGKILL when dropped.
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(database_url: &str, llm_base: &str, dir: &std::path::Path) -> (Node, String) {
    let mut child = Command::new(BIN)
        .current_dir(dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("FRONTLINE_DATABASE_URL", database_url)
        .env("FRONTLINE_LOG__FORMAT", "json")
        .env(
            "FRONTLINE_BOOTSTRAP_ADMIN",
            format!("{}:{}", ADMIN.0, ADMIN.1),
        )
        .env(
            "FRONTLINE_SECRETS__KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        )
        .env("FRONTLINE_BOT__MODE", "engine")
        .env("FRONTLINE_BOT__TIMEOUT_SECS", "120")
        // A crashed worker's job comes back after its lease: keep that short.
        .env("FRONTLINE_OUTBOX__LEASE_SECS", "2")
        .env("FRONTLINE_OUTBOX__POLL_INTERVAL_MS", "200")
        .env("FRONTLINE_LLM__ENABLED", "true")
        .env("FRONTLINE_LLM__BASE_URL", llm_base)
        .env("FRONTLINE_LLM__API_KEY", "test-key")
        .env("FRONTLINE_LLM__REQUIRE_PARAMETERS", "false")
        .env("FRONTLINE_LLM__REQUEST_TIMEOUT_SECS", "120")
        .env("FRONTLINE_LLM__TASK_TIMEOUT_SECS", "120")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start frontline");
    let stdout = child.stdout.take().unwrap();
    let node = Node(child);
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("frontline exited before listening")
            .unwrap();
        let v: Value = serde_json::from_str(&line).unwrap_or_default();
        if v["fields"]["message"] == "frontline listening" {
            break v["fields"]["addr"].as_str().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (node, format!("http://{addr}"))
}

/// An OpenAI-compatible chat server whose first summary request waits until `gate` opens; it says
/// when that request arrived.
struct HeldLlm {
    base: String,
    arrived: Arc<Notify>,
    gate: watch::Sender<bool>,
    requests: Arc<Mutex<usize>>,
}

async fn held_llm() -> HeldLlm {
    let arrived = Arc::new(Notify::new());
    let (gate, open) = watch::channel(false);
    let requests = Arc::new(Mutex::new(0));
    let (a, r) = (arrived.clone(), requests.clone());
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move |body: axum::Json<Value>| {
            let (arrived, requests, mut open) = (a.clone(), r.clone(), open.clone());
            async move {
                *requests.lock().unwrap() += 1;
                arrived.notify_one();
                let _ = open.wait_for(|o| *o).await;
                axum::Json(json!({
                    "id": "gen-1",
                    "object": "chat.completion",
                    "model": body["model"],
                    "choices": [{
                        "index": 0,
                        "message": {"role": "assistant", "content": "Клиент просит оператора."},
                        "finish_reason": "stop"
                    }],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
                }))
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    HeldLlm {
        base,
        arrived,
        gate,
        requests,
    }
}

struct Client {
    base: String,
    http: reqwest::Client,
    token: String,
}

impl Client {
    async fn login(base: &str) -> Self {
        let http = reqwest::Client::new();
        let body: Value = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"login": ADMIN.0, "password": ADMIN.1}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Self {
            base: base.to_owned(),
            http,
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    async fn get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.unwrap()
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or_default())
    }
}

/// The lock that stops the bot's transaction, on whichever backend the test runs.
enum Blocker {
    Sqlite(frontline_store_sqlite::testing::WriteLock),
    Postgres(frontline_store_postgres::testing::TableLock),
}

impl Blocker {
    async fn take(url: &str) -> Self {
        if url.starts_with("postgres") {
            Blocker::Postgres(
                frontline_store_postgres::testing::TableLock::take(url, "handoffs").await,
            )
        } else {
            Blocker::Sqlite(frontline_store_sqlite::testing::WriteLock::take(url).await)
        }
    }

    /// Wait until the bot's turn is stuck on the lock. PostgreSQL shows the waiting statement;
    /// SQLite's `BEGIN IMMEDIATE` waiting on a file lock is invisible from outside, so the test gives
    /// the turn a moment to get there (if it has not, the kill lands before the decision instead —
    /// the assertions hold either way).
    async fn wait_stuck(&mut self) {
        match self {
            Blocker::Postgres(lock) => {
                let deadline = tokio::time::Instant::now() + WAIT;
                while !lock.blocks("INSERT INTO handoffs").await {
                    assert!(
                        tokio::time::Instant::now() < deadline,
                        "the bot turn never reached the handoff"
                    );
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            Blocker::Sqlite(_) => tokio::time::sleep(Duration::from_millis(500)).await,
        }
    }

    async fn release(self) {
        match self {
            Blocker::Sqlite(l) => l.release().await,
            Blocker::Postgres(l) => l.release().await,
        }
    }
}

fn farewells(server: &CallbackServer) -> usize {
    server
        .received
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, b)| b["message"]["author"] == "bot")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_turn_killed_between_its_decision_and_its_effects_is_applied_once_after_restart() {
    let (url, dir) = fresh_database_url().await;
    let cwd = tempfile::tempdir().unwrap();
    let llm = held_llm().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let callbacks = CallbackServer::default();
    callbacks.serve(listener);

    let (node, base) = start(&url, &llm.base, cwd.path());
    let admin = Client::login(&base).await;
    let (status, account) = admin
        .post(
            "/api/v1/accounts",
            &admin.token,
            json!({"kind": "api", "name": "Сайт", "callback_url": hook}),
        )
        .await;
    assert_eq!(status, 201, "{account}");
    let id = account["account"]["id"].as_i64().unwrap();
    let inbound = account["inbound_token"].as_str().unwrap().to_owned();
    let (status, body) = admin
        .post(
            &format!("/api/v1/inbound/{id}/messages"),
            &inbound,
            json!({
                "external_chat_id": "chat-1",
                "external_message_id": "m-1",
                "customer": {"external_id": "u-1", "name": "Мария"},
                "text": "Позовите оператора, пожалуйста"
            }),
        )
        .await;
    assert!(status < 300, "{body}");
    let conversation = body["conversation_id"].as_i64().unwrap();

    // The bot is writing the operator's summary: its decision is made up to that. Stop its
    // transaction, let the summary through, and kill the process while the turn is stuck.
    tokio::time::timeout(WAIT, llm.arrived.notified())
        .await
        .expect("the bot asks the LLM for the summary");
    let mut blocker = Blocker::take(&url).await;
    llm.gate.send(true).unwrap();
    blocker.wait_stuck().await;
    drop(node);
    blocker.release().await;

    // Nothing of the killed turn is left: no decision, no farewell, no handoff.
    let store = frontline::open_store(&url).await.unwrap();
    let c = frontline_domain::ConversationId(conversation);
    assert!(store.list_decisions(c, 10).await.unwrap().is_empty());
    assert!(store.handoffs(c).await.unwrap().is_empty());
    assert_eq!(store.list_messages(c, None, 10).await.unwrap().len(), 1);
    assert_eq!(
        store
            .count_jobs(frontline_store::JobKind::Bot)
            .await
            .unwrap(),
        1,
        "the bot job waits for its lease to run out"
    );

    // After a restart the turn runs again, once.
    let (_node, base) = start(&url, &llm.base, cwd.path());
    let admin = Client::login(&base).await;
    let handoffs = eventually(WAIT, || async {
        let h = admin
            .get(&format!("/api/v1/conversations/{conversation}/handoffs"))
            .await;
        (!h.as_array().unwrap().is_empty()).then_some(h)
    })
    .await;
    eventually(WAIT, || async {
        (farewells(&callbacks) >= 1).then_some(())
    })
    .await;
    // Give a duplicate every chance to show up before counting.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let handoffs = handoffs.as_array().unwrap();
    assert_eq!(handoffs.len(), 1, "{handoffs:?}");
    assert_eq!(handoffs[0]["reason"], "customer_asked");
    let decisions = admin
        .get(&format!("/api/v1/conversations/{conversation}/decisions"))
        .await;
    assert_eq!(decisions.as_array().unwrap().len(), 1, "{decisions}");
    assert_eq!(decisions[0]["action"], "handoff");
    let messages = store.list_messages(c, None, 10).await.unwrap();
    assert_eq!(
        messages
            .iter()
            .filter(|m| m.author == frontline_domain::Author::Bot)
            .count(),
        1,
        "one farewell: {messages:?}"
    );
    assert_eq!(farewells(&callbacks), 1, "delivered once");
    assert_eq!(
        store
            .count_jobs(frontline_store::JobKind::Bot)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        *llm.requests.lock().unwrap(),
        2,
        "the turn ran twice, applied once"
    );
    drop(dir);
}
