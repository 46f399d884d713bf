//! Inbound message throughput and latency of the real server, on SQLite and PostgreSQL.
//!
//! Starts `frontline::launch` on `127.0.0.1:0` over a fresh database (configured like the integration
//! tests, with a bootstrap admin), logs in, creates an `api` account, then POSTs N customer messages
//! (default 20,000) to `/api/v1/inbound/{account}/messages` from C concurrent clients (default 16, each
//! its own HTTP connection pool), spread over N/10 chats, every message with its own
//! `external_message_id`. Latency is send → response received, per request; throughput is N over the
//! wall time from the first send to the last response. No bot is configured, so every new conversation
//! is handed to operators by the background worker while the load runs: that is part of the real load.
//! Prints a table and one JSON line per backend.
//!
//! ```text
//! cargo bench -p frontline --bench ingest -- [--backend sqlite|postgres] [--messages N] [--concurrency C]
//! ```
//!
//! Without `--backend`, SQLite runs first, then PostgreSQL on a fresh database created on the server
//! named by `FRONTLINE_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! Clients and server share one process and its two runtime worker threads, like a single-box install
//! with a local load generator; only 127.0.0.1 is contacted.

mod common;

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context;
use common::{
    Backend, Invocation, Summary,
    corpus::{self, Corpus, Who},
    fresh_database, redact, round3, thousands,
};
use frontline::Config;
use frontline_store::JobKind;
use rand::{SeedableRng, rngs::StdRng, seq::SliceRandom};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const ADMIN: (&str, &str) = ("admin", "admin-password");
/// Messages per chat on average.
const MESSAGES_PER_CHAT: usize = 10;
/// How long a clean shutdown may take before the bench gives up waiting.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

fn main() -> anyhow::Result<()> {
    let args = match common::parse_args(20_000, 16, true)? {
        Invocation::Run(args) => args,
        Invocation::NotABenchRun => {
            println!("ingest bench: run it with `cargo bench -p frontline --bench ingest`");
            return Ok(());
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut failed = 0;
        for backend in &args.backends {
            failed += run(*backend, args.messages, args.concurrency).await?;
        }
        anyhow::ensure!(failed == 0, "{failed} requests were not accepted");
        Ok(())
    })
}

/// The integration tests' configuration (the engine is on by default: its answers are part of the
/// load).
fn config(database_url: &str) -> Config {
    Config::for_tests(database_url)
}

/// What one client saw of one request.
#[derive(Debug)]
struct Sample {
    latency: Duration,
    /// HTTP status, or 0 when the request failed before a response arrived.
    status: u16,
}

/// Returns how many requests were not accepted.
async fn run(backend: Backend, messages: usize, concurrency: usize) -> anyhow::Result<usize> {
    let (url, _dir) = fresh_database(backend).await;
    let chats = (messages / MESSAGES_PER_CHAT).max(1);
    println!();
    println!(
        "=== ingest bench · {} · {} messages over {} chats · {concurrency} clients · {}",
        backend.as_str(),
        thousands(messages as u64),
        thousands(chats as u64),
        redact(&url)
    );

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(frontline::launch(config(&url), listener, shutdown.clone()));
    let base = format!("http://{addr}/api/v1");

    // The listener is bound already, so the login waits until the server accepts.
    let http = reqwest::Client::new();
    let token = login(&http, &base).await?;
    let (account, inbound_token) = create_api_account(&http, &base, &token).await?;

    let bodies = Arc::new(payloads(messages, chats));
    let endpoint = Arc::new(format!("{base}/inbound/{account}/messages"));
    let inbound_token = Arc::new(inbound_token);
    let next = Arc::new(AtomicUsize::new(0));

    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (bodies, endpoint, token, next) = (
            bodies.clone(),
            endpoint.clone(),
            inbound_token.clone(),
            next.clone(),
        );
        clients.spawn(async move {
            let http = reqwest::Client::new();
            let mut samples = Vec::with_capacity(bodies.len() / concurrency + 1);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let t = Instant::now();
                let sent = http
                    .post(endpoint.as_str())
                    .bearer_auth(token.as_str())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                let status = match sent {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        // The response is received when its body is.
                        match resp.bytes().await {
                            Ok(_) => status,
                            Err(_) => 0,
                        }
                    }
                    Err(_) => 0,
                };
                samples.push(Sample {
                    latency: t.elapsed(),
                    status,
                });
            }
            samples
        });
    }
    let mut samples = Vec::with_capacity(messages);
    while let Some(r) = clients.join_next().await {
        samples.extend(r?);
    }
    let wall = started.elapsed();

    // How far the background handoffs got while the load ran.
    let pending_bot_jobs = match frontline::open_store(&url).await {
        Ok(store) => store.count_jobs(JobKind::Bot).await.ok(),
        Err(_) => None,
    };

    shutdown.cancel();
    match tokio::time::timeout(SHUTDOWN_GRACE, server).await {
        Ok(joined) => joined.context("server task")?.context("server")?,
        Err(_) => eprintln!("  server did not stop within {SHUTDOWN_GRACE:?}; leaving it"),
    }

    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for s in &samples {
        *statuses.entry(s.status).or_default() += 1;
    }
    let accepted = statuses.get(&202).copied().unwrap_or(0);
    let errors = samples.len() - accepted;
    let latency = Summary::of(&samples.iter().map(|s| s.latency).collect::<Vec<_>>());
    let rate = samples.len() as f64 / wall.as_secs_f64();

    println!(
        "{:>10} {:>8} {:>12} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7}",
        "requests",
        "wall s",
        "inbound/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "mean ms",
        "errors"
    );
    println!(
        "{:>10} {:>8.2} {:>12.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7}",
        thousands(samples.len() as u64),
        wall.as_secs_f64(),
        rate,
        latency.p50,
        latency.p95,
        latency.p99,
        latency.max,
        latency.mean,
        errors
    );
    let status_text: Vec<String> = statuses
        .iter()
        .map(|(s, n)| match s {
            0 => format!("no response: {n}"),
            s => format!("{s}: {n}"),
        })
        .collect();
    println!("statuses: {}", status_text.join(", "));
    match pending_bot_jobs {
        Some(n) => println!(
            "background: {} of {} new conversations still waiting for their handoff when the load ended",
            thousands(n as u64),
            thousands(chats as u64)
        ),
        None => println!("background: could not count pending bot jobs"),
    }

    let line = json!({
        "bench": "ingest",
        "backend": backend.as_str(),
        "messages": messages,
        "chats": chats,
        "concurrency": concurrency,
        "wall_seconds": round3(wall.as_secs_f64()),
        "msgs_per_s": rate.round(),
        "latency": latency.json(),
        "accepted": accepted,
        "errors": errors,
        "statuses": statuses.iter().map(|(s, n)| (s.to_string(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "pending_bot_jobs_at_end": pending_bot_jobs,
    });
    println!("{line}");
    Ok(errors)
}

async fn login(http: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let r = http
        .post(format!("{base}/auth/login"))
        .json(&json!({"login": ADMIN.0, "password": ADMIN.1}))
        .send()
        .await?;
    anyhow::ensure!(r.status() == 200, "login failed: {}", r.status());
    let body: Value = r.json().await?;
    body["token"]
        .as_str()
        .map(str::to_owned)
        .context("login answer without token")
}

/// Returns (account id, inbound token).
async fn create_api_account(
    http: &reqwest::Client,
    base: &str,
    token: &str,
) -> anyhow::Result<(i64, String)> {
    let r = http
        .post(format!("{base}/accounts"))
        .bearer_auth(token)
        .json(&json!({"kind": "api", "name": "ingest bench", "callback_url": null}))
        .send()
        .await?;
    let status = r.status();
    let body: Value = r.json().await?;
    anyhow::ensure!(
        status == 201,
        "creating the account failed: {status} {body}"
    );
    Ok((
        body["account"]["id"].as_i64().context("account id")?,
        body["inbound_token"]
            .as_str()
            .context("inbound token")?
            .to_owned(),
    ))
}

/// The request bodies, built before the clock starts: customer texts from the corpus, each chat used
/// `MESSAGES_PER_CHAT` times on average, in a seeded random order, so new conversations keep appearing
/// throughout the run rather than all at its start.
fn payloads(messages: usize, chats: usize) -> Vec<String> {
    let texts: Vec<String> = Corpus::new(messages * 3, corpus::SEED, 0)
        .filter(|m| m.who == Who::Customer)
        .map(|m| m.text)
        .take(messages)
        .collect();
    let mut order: Vec<usize> = (0..messages).map(|i| i % chats).collect();
    order.shuffle(&mut StdRng::seed_from_u64(corpus::SEED));
    order
        .iter()
        .enumerate()
        .map(|(i, &chat)| {
            json!({
                "external_chat_id": format!("chat-{chat}"),
                "external_message_id": format!("msg-{i}"),
                "customer": {"external_id": format!("customer-{chat}"), "name": format!("Покупатель {chat}")},
                "text": texts[i % texts.len()],
            })
            .to_string()
        })
        .collect()
}
