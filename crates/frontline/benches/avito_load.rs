//! Avito webhook load: deliveries acknowledged per second, and the time from a delivery to the bot's
//! reply accepted by Avito (the simulator), on SQLite and PostgreSQL.
//!
//! Starts the Avito simulator with one seller account and `frontline::launch` on a fresh database with
//! the dialog engine (demo configuration, no language model), connects the account through the API
//! (token, webhook subscription), creates N/5 chats on the simulator, then POSTs N webhook deliveries
//! (default 2,000; Avito's `v3.0.0` envelope, customer questions the bot answers from its knowledge
//! base) to frontline's webhook URL from C concurrent clients (default 16). The simulator echoes every
//! reply back by webhook, as Avito does: that load is part of the run.
//!
//! - acknowledged: POST sent → 200 received (the raw delivery is durably stored by then);
//!   throughput is N over the wall time from the first POST to the last acknowledgement;
//! - reply: POST sent → the simulator holds the bot's answer in that chat (observed by polling the
//!   simulator every 2 ms; answers in a chat are matched to its deliveries in order). Measured for
//!   the burst (which queues) and then for N/10 deliveries paced at 10 per second (a steady load
//!   the server keeps up with).
//!
//! ```text
//! cargo bench -p frontline --bench avito_load -- [--backend sqlite|postgres] [--messages N] [--concurrency C]
//! ```

mod common;

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use avito_sim::{AccountSpec, CustomerSpec, SimConfig, Simulator};
use common::{Backend, Invocation, Summary, fresh_database, redact, round3, thousands};
use frontline::Config;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const ADMIN: (&str, &str) = ("admin", "admin-password");
const SELLER: i64 = 7_700_001;
const PER_CHAT: usize = 5;
const QUESTIONS: &[&str] = &[
    "Сколько стоит доставка?",
    "Можно оплатить картой при получении?",
    "Как вернуть товар, если не подошёл?",
    "Какая гарантия на товар?",
    "До скольки вы работаете?",
];

fn main() -> anyhow::Result<()> {
    let args = match common::parse_args(2_000, 16, true)? {
        Invocation::Run(args) => args,
        Invocation::NotABenchRun => {
            println!("avito load bench: run it with `cargo bench -p frontline --bench avito_load`");
            return Ok(());
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        for backend in &args.backends {
            run(*backend, args.messages, args.concurrency).await?;
        }
        Ok(())
    })
}

fn config(database_url: &str, sim: &Simulator) -> Config {
    let mut c = Config::for_tests(database_url);
    c.outbox.backoff_base_ms = 100;
    c.outbox.backoff_max_secs = 2;
    c.outbox.callback_timeout_secs = 5;
    c.log.level = "warn".into();
    c.avito.api_url = sim.base_url();
    c.avito.poll_interval_secs = 0;
    c.avito.sync_on_connect = false;
    c.bot.mode = "engine".into();
    c
}

async fn run(backend: Backend, messages: usize, concurrency: usize) -> anyhow::Result<()> {
    let (url, _dir) = fresh_database(backend).await;
    let chats = (messages / PER_CHAT).max(1);
    println!();
    println!(
        "=== avito webhook bench · {} · {} deliveries over {} chats · {concurrency} clients · {}",
        backend.as_str(),
        thousands(messages as u64),
        thousands(chats as u64),
        redact(&url)
    );
    let sim = Simulator::spawn(SimConfig::default()).await?;
    sim.add_account(AccountSpec {
        user_id: SELLER,
        name: "Бенчмарк".into(),
        client_id: "bench".into(),
        client_secret: "bench-secret".into(),
    });
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(frontline::launch(
        config(&url, &sim),
        listener,
        shutdown.clone(),
    ));
    let base = format!("http://{addr}/api/v1");
    let http = reqwest::Client::new();
    let token = login(&http, &base).await?;
    let connected: Value = http
        .post(format!("{base}/avito/accounts"))
        .bearer_auth(&token)
        .json(&json!({"name": "Бенчмарк", "user_id": SELLER, "client_id": "bench", "client_secret": "bench-secret"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    anyhow::ensure!(
        connected["subscribed"] == true,
        "not subscribed: {connected}"
    );
    let webhook = sim
        .subscriptions(SELLER)
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no subscription"))?;

    // The chats exist on Avito's side (so frontline can fetch their details); their opening
    // messages are not delivered.
    sim.drop_webhooks(chats as u32);
    let mut chat_ids = Vec::with_capacity(chats);
    for i in 0..chats {
        let customer = CustomerSpec {
            user_id: 80_000_000 + i as i64,
            name: format!("Покупатель {i}"),
        };
        chat_ids.push((
            sim.customer_writes(SELLER, &customer, None, "Здравствуйте")
                .chat_id,
            customer.user_id,
        ));
    }
    let bodies: Arc<Vec<(String, String)>> = Arc::new(
        (0..messages)
            .map(|i| {
                let (chat, author) = &chat_ids[i % chats];
                let now = time_now();
                let body = json!({"id": format!("d-{i}"), "version": "v3.0.0", "timestamp": now,
                    "payload": {"type": "message", "value": {"id": format!("bench-{i:08}"), "chat_id": chat,
                    "user_id": SELLER, "author_id": author, "created": now, "type": "text", "chat_type": "u2u",
                    "content": {"text": QUESTIONS[(i / chats) % QUESTIONS.len()]},
                    "published_at": "2026-11-21T12:00:00Z"}}});
                (chat.clone(), body.to_string())
            })
            .collect(),
    );

    // Posted deliveries per chat, in order, waiting for their reply.
    let pending: Arc<Mutex<HashMap<String, VecDeque<Instant>>>> = Arc::default();
    let reply_samples: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let watching = CancellationToken::new();
    let watcher = {
        let (sim, pending, samples, stop) = (
            sim.clone(),
            pending.clone(),
            reply_samples.clone(),
            watching.clone(),
        );
        tokio::spawn(async move {
            let mut seen = 0;
            while !stop.is_cancelled() {
                let sent = sim.sent_via_api(SELLER);
                let now = Instant::now();
                for m in &sent[seen.min(sent.len())..] {
                    if let Some(t) = pending
                        .lock()
                        .unwrap()
                        .get_mut(&m.chat_id)
                        .and_then(VecDeque::pop_front)
                    {
                        samples.lock().unwrap().push(now - t);
                    }
                }
                seen = sent.len();
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };

    let next = Arc::new(AtomicUsize::new(0));
    let webhook = Arc::new(webhook);
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (bodies, webhook, next, pending) = (
            bodies.clone(),
            webhook.clone(),
            next.clone(),
            pending.clone(),
        );
        clients.spawn(async move {
            let http = reqwest::Client::new();
            let mut acks = Vec::new();
            let mut failed = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((chat, body)) = bodies.get(i) else {
                    break;
                };
                let t = Instant::now();
                pending
                    .lock()
                    .unwrap()
                    .entry(chat.clone())
                    .or_default()
                    .push_back(t);
                let ok = match http
                    .post(webhook.as_str())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
                    .send()
                    .await
                {
                    Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    acks.push(t.elapsed());
                } else {
                    failed += 1;
                }
            }
            (acks, failed)
        });
    }
    let mut acks = Vec::with_capacity(messages);
    let mut failed = 0;
    while let Some(r) = clients.join_next().await {
        let (a, f) = r?;
        acks.extend(a);
        failed += f;
    }
    let ack_wall = started.elapsed();

    // Wait for the replies (or two minutes of no progress).
    let mut last = (0, Instant::now());
    loop {
        let n = reply_samples.lock().unwrap().len();
        if n >= acks.len() {
            break;
        }
        if n != last.0 {
            last = (n, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(120) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let reply_wall = started.elapsed();
    let burst_replies = reply_samples.lock().unwrap().clone();

    // Steady load well below the burst's rate: the reply latency a customer sees when the server
    // keeps up, rather than the queueing of a burst.
    reply_samples.lock().unwrap().clear();
    pending.lock().unwrap().clear();
    let steady = (messages / 10).max(1);
    let steady_rate = 10.0;
    let poster = reqwest::Client::new();
    for i in 0..steady {
        let (chat, author) = &chat_ids[i % chats];
        let now = time_now();
        let body = json!({"id": format!("s-{i}"), "version": "v3.0.0", "timestamp": now,
            "payload": {"type": "message", "value": {"id": format!("steady-{i:08}"), "chat_id": chat,
            "user_id": SELLER, "author_id": author, "created": now, "type": "text", "chat_type": "u2u",
            "content": {"text": QUESTIONS[i % QUESTIONS.len()]}, "published_at": "2026-11-21T12:00:00Z"}}});
        pending
            .lock()
            .unwrap()
            .entry(chat.clone())
            .or_default()
            .push_back(Instant::now());
        poster
            .post(webhook.as_str())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await?
            .error_for_status()?;
        tokio::time::sleep(Duration::from_secs_f64(1.0 / steady_rate)).await;
    }
    let waited = Instant::now();
    while reply_samples.lock().unwrap().len() < steady && waited.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let steady_replies = reply_samples.lock().unwrap().clone();
    watching.cancel();
    let _ = watcher.await;
    shutdown.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(30), server).await;

    let ack = Summary::of(&acks);
    let replies = burst_replies;
    let reply = Summary::of(&replies);
    let steady_reply = Summary::of(&steady_replies);
    let per_sec = acks.len() as f64 / ack_wall.as_secs_f64();
    println!(
        "acknowledged  {:>6} / {} ({failed} failed) in {:.2} s  → {:.0} deliveries/s   ack p50 {:.2} ms · p99 {:.2} ms",
        acks.len(),
        messages,
        ack_wall.as_secs_f64(),
        per_sec,
        ack.p50,
        ack.p99
    );
    println!(
        "bot replies   {:>6} accepted by the simulator within {:.1} s      delivery → reply p50 {:.1} ms · p99 {:.1} ms",
        replies.len(),
        reply_wall.as_secs_f64(),
        reply.p50,
        reply.p99
    );
    println!(
        "steady {steady_rate:.0}/s  {:>6} / {steady} replies                                   delivery → reply p50 {:.1} ms · p99 {:.1} ms",
        steady_replies.len(),
        steady_reply.p50,
        steady_reply.p99
    );
    println!(
        "{}",
        json!({
            "bench": "avito_load", "backend": backend.as_str(), "deliveries": messages,
            "chats": chats, "concurrency": concurrency, "failed": failed,
            "acknowledged_per_s": round3(per_sec), "ack": ack.json(),
            "replies": replies.len(), "reply": reply.json(),
            "steady": {"per_s": steady_rate, "deliveries": steady, "replies": steady_replies.len(), "reply": steady_reply.json()},
        })
    );
    Ok(())
}

fn time_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

async fn login(http: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let r: Value = http
        .post(format!("{base}/auth/login"))
        .json(&json!({"login": ADMIN.0, "password": ADMIN.1}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(r["token"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no token in {r}"))?
        .to_string())
}
