//! Message search at scale, on SQLite and PostgreSQL, through the real search path.
//!
//! Loads a synthetic support-chat corpus (default 1,000,000 messages, see `common/corpus.rs`) into a
//! fresh database through `Store::import_messages` in batches of 5,000, timing the load; hands the
//! conversations that operators answered over to an operator (`Store::change_lead`), so that the lead
//! filter has something to select; then runs the 50 queries of `search-baselines.md` the way
//! `GET /api/v1/search` does: `query_terms` → `Store::search_messages` (20 per page) → `highlight` of
//! every hit. Pass 1 warms up, pass 2 is measured, pass 3 repeats the queries with a lead filter
//! (operator) and two account ids. Prints a table and one JSON line per backend.
//!
//! ```text
//! cargo bench -p frontline --bench search -- [--backend sqlite|postgres] [--messages N]
//! cargo bench -p frontline --bench search -- --messages 20000    # quick smoke run
//! ```
//!
//! Without `--backend`, SQLite runs first, then PostgreSQL on a fresh database created on the server
//! named by `FRONTLINE_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! The bench itself contains no SQL; after loading PostgreSQL it runs `psql <url> -c ANALYZE` when
//! `psql` is installed (and says so), because the planner needs statistics on a freshly loaded table.
//! The PostgreSQL database is left behind; `frontline_store_postgres::testing` drops such leftovers
//! later.

mod common;

use std::{
    collections::{HashMap, HashSet},
    hash::{DefaultHasher, Hash, Hasher},
    hint::black_box,
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use common::{
    Backend, Invocation, Summary,
    corpus::{self, Corpus, Lang, Who},
    fresh_database, redact, round3, thousands,
};
use frontline_domain::{
    AccountId, AccountKind, Author, ConversationId, CustomerProfile, HandoffContext, HandoffReason,
    Lead, LeadChange, NewAccount, OperatorId, Role, Timestamp,
};
use frontline_store::{ConversationFilter, ImportStats, ImportedMessage, SearchQuery, Store};
use serde_json::json;

/// The 50 queries of the reference, in its order.
const QUERIES: [&str; 50] = [
    // Russian, common.
    "заказ",
    "заказа",
    "заказы",
    "заказом",
    "доставка",
    "доставку",
    "доставки",
    "оплата",
    "оплату",
    "возврат",
    "деньги",
    "денег",
    "курьер",
    "курьера",
    "посылку",
    "товар",
    "промокод",
    "скидку",
    "адрес",
    "чек",
    // Russian, rare.
    "рассрочку",
    "самовывоз",
    "претензию",
    "кэшбэк",
    "Роспотребнадзор",
    "увлажнитель",
    "Хабаровске",
    "кофемашину",
    // English.
    "order",
    "delivery",
    "refund",
    "payment",
    "package",
    "tracking",
    "chargeback",
    "warranty",
    "invoice",
    // Phrases.
    "номер заказа",
    "статус заказа",
    "оплата картой",
    "вернуть деньги",
    "пункт выдачи",
    "трек номер",
    "не пришел",
    "курьер опаздывает",
    "промокод не работает",
    "tracking number",
    "money back",
    // An order number with four hits, and a word with none.
    "7157703",
    "шиномонтаж",
];

const BATCH: usize = 5_000;
/// Page size of the search screen.
const PAGE: usize = 20;
/// Snippet length used by the API's search handler.
const SNIPPET_CHARS: usize = 160;
/// Concurrent `change_lead` calls while preparing the lead filter (setup, not measured).
const HANDOFF_TASKS: usize = 4;
const DAY_MS: i64 = 86_400_000;

fn main() -> anyhow::Result<()> {
    let args = match common::parse_args(1_000_000, 1, false)? {
        Invocation::Run(args) => args,
        Invocation::NotABenchRun => {
            println!("search bench: run it with `cargo bench -p frontline --bench search`");
            return Ok(());
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        for backend in &args.backends {
            run(*backend, args.messages).await?;
        }
        Ok(())
    })
}

/// One timed query of one pass.
#[derive(Debug, Clone)]
struct QueryRun {
    total_conversations: i64,
    hits: usize,
    elapsed: Duration,
}

/// What the loaded corpus looks like, to compare with the reference's description.
#[derive(Debug, Default)]
struct CorpusStats {
    messages: u64,
    words: u64,
    chars: u64,
    distinct: HashSet<u64>,
    ru_messages: u64,
    customer: u64,
    bot: u64,
    operator: u64,
}

impl CorpusStats {
    fn add(&mut self, m: &corpus::Message) {
        self.messages += 1;
        self.words += m.text.split_whitespace().count() as u64;
        self.chars += m.text.chars().count() as u64;
        let mut h = DefaultHasher::new();
        m.text.hash(&mut h);
        self.distinct.insert(h.finish());
        if m.lang == Lang::Ru {
            self.ru_messages += 1;
        }
        match m.who {
            Who::Customer => self.customer += 1,
            Who::Bot => self.bot += 1,
            Who::Operator(_) => self.operator += 1,
        }
    }

    fn share(&self, n: u64) -> f64 {
        n as f64 * 100.0 / self.messages.max(1) as f64
    }
}

async fn run(backend: Backend, messages: usize) -> anyhow::Result<()> {
    let (url, _dir) = fresh_database(backend).await;
    println!();
    println!(
        "=== search bench · {} · {} messages · {}",
        backend.as_str(),
        thousands(messages as u64),
        redact(&url)
    );
    let store = frontline::open_store(&url).await?;

    // Accounts and operators the corpus refers to by index.
    let mut accounts = Vec::new();
    for i in 0..corpus::ACCOUNT_WEIGHTS.len() {
        let account = store
            .create_account(NewAccount {
                kind: AccountKind::Api,
                name: format!("bench account {}", i + 1),
                callback_url: None,
                inbound_token_hash: None,
                settings: None,
                sealed_secrets: None,
            })
            .await?;
        accounts.push(account.id);
    }
    let mut operators = Vec::new();
    for k in 0..corpus::OPERATORS {
        let login = format!("bench-operator-{k}");
        frontline::create_operator(&*store, &login, &login, Role::Operator, "bench-password-1")
            .await?;
        let op = store
            .operator_by_login(&login)
            .await?
            .context("operator just created")?;
        operators.push(op.id);
    }

    // ---- load -------------------------------------------------------------------------------
    let base_ms = Timestamp::now().millis() - 4 * DAY_MS;
    let mut corpus = Corpus::new(messages, corpus::SEED, base_ms);
    let plans = corpus.plans().to_vec();
    let mut stats = CorpusStats::default();
    let mut imported = ImportStats::default();
    let mut in_store = Duration::ZERO;
    let mut batch = Vec::with_capacity(BATCH);
    let mut next_report = messages / 10;
    let wall = Instant::now();
    loop {
        let next = corpus.next();
        let done = next.is_none();
        if let Some(m) = next {
            stats.add(&m);
            batch.push(imported_message(m, &accounts, &operators));
        }
        if batch.len() == BATCH || (done && !batch.is_empty()) {
            let chunk = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            let t = Instant::now();
            let s = store.import_messages(chunk).await?;
            in_store += t.elapsed();
            imported.messages_created += s.messages_created;
            imported.messages_skipped += s.messages_skipped;
            imported.conversations_created += s.conversations_created;
            if corpus.emitted() >= next_report && !done {
                eprintln!(
                    "  loaded {:>9} messages, {:>7.0} msg/s in the store",
                    thousands(corpus.emitted() as u64),
                    corpus.emitted() as f64 / in_store.as_secs_f64()
                );
                next_report += messages / 10;
            }
        }
        if done {
            break;
        }
    }
    let load_wall = wall.elapsed();
    anyhow::ensure!(
        imported.messages_created == messages as u64,
        "imported {} of {messages} messages",
        imported.messages_created
    );
    let load_seconds = in_store.as_secs_f64();
    let load_rate = messages as f64 / load_seconds;
    println!(
        "load: {} messages, {} conversations in {:.1} s inside import_messages ({:.0} msg/s; \
         {:.1} s wall with generation), batches of {BATCH}",
        thousands(imported.messages_created),
        thousands(imported.conversations_created),
        load_seconds,
        load_rate,
        load_wall.as_secs_f64()
    );
    println!(
        "corpus: {:.1} words / {:.0} chars per message, {:.0}% distinct texts, {:.0}% Russian; \
         authors {:.0}% customer, {:.0}% bot, {:.0}% operator",
        stats.words as f64 / stats.messages.max(1) as f64,
        stats.chars as f64 / stats.messages.max(1) as f64,
        stats.share(stats.distinct.len() as u64),
        stats.share(stats.ru_messages),
        stats.share(stats.customer),
        stats.share(stats.bot),
        stats.share(stats.operator),
    );

    // ---- operator-led conversations (setup for the lead filter) ------------------------------
    let t = Instant::now();
    let handoffs = hand_over(&store, &plans, &accounts, &operators).await?;
    println!(
        "setup: {} conversations handed to an operator in {:.1} s (not part of the load figure)",
        thousands(handoffs as u64),
        t.elapsed().as_secs_f64()
    );
    let analyze = match backend {
        Backend::Postgres => analyze(&url),
        Backend::Sqlite => "none (the store runs no ANALYZE; measured as loaded)".to_owned(),
    };
    println!("statistics: {analyze}");

    // ---- queries ----------------------------------------------------------------------------
    let filter_accounts = vec![accounts[0], accounts[1]];
    let warmup = pass(&*store, None).await?;
    let measured = pass(&*store, None).await?;
    let filtered = pass(&*store, Some((Lead::Operator, filter_accounts.clone()))).await?;

    println!();
    println!(
        "{} {:>9} {:>5} {:>9} {:>9} │ {:>9} {:>9}",
        common::cell("query", 22),
        "convs",
        "hits",
        "warm ms",
        "meas ms",
        "f.convs",
        "filt ms"
    );
    for (i, q) in QUERIES.iter().enumerate() {
        println!(
            "{} {:>9} {:>5} {:>9.2} {:>9.2} │ {:>9} {:>9.2}",
            common::cell(q, 22),
            thousands(measured[i].total_conversations as u64),
            measured[i].hits,
            ms(warmup[i].elapsed),
            ms(measured[i].elapsed),
            thousands(filtered[i].total_conversations as u64),
            ms(filtered[i].elapsed),
        );
    }
    let sw = Summary::of(&warmup.iter().map(|r| r.elapsed).collect::<Vec<_>>());
    let sm = Summary::of(&measured.iter().map(|r| r.elapsed).collect::<Vec<_>>());
    let sf = Summary::of(&filtered.iter().map(|r| r.elapsed).collect::<Vec<_>>());
    println!();
    println!(
        "{} {:>8} {:>8} {:>8} {:>8} {:>8}",
        common::cell("pass (50 queries)", 34),
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "mean ms"
    );
    for (name, s) in [
        ("1 warm-up", sw),
        ("2 measured", sm),
        ("3 filtered (lead=operator, 2 accts)", sf),
    ] {
        println!(
            "{} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
            common::cell(name, 34),
            s.p50,
            s.p95,
            s.p99,
            s.max,
            s.mean
        );
    }

    let queries: Vec<_> = QUERIES
        .iter()
        .enumerate()
        .map(|(i, q)| {
            json!({
                "query": q,
                "total_conversations": measured[i].total_conversations,
                "ms": round3(ms(measured[i].elapsed)),
                "filtered_total_conversations": filtered[i].total_conversations,
                "filtered_ms": round3(ms(filtered[i].elapsed)),
            })
        })
        .collect();
    let line = json!({
        "bench": "search",
        "backend": backend.as_str(),
        "messages": messages,
        "conversations": imported.conversations_created,
        "accounts": accounts.len(),
        "batch": BATCH,
        "load_seconds": round3(load_seconds),
        "load_wall_seconds": round3(load_wall.as_secs_f64()),
        "load_msgs_per_s": load_rate.round(),
        "operator_led_conversations": handoffs,
        "statistics": analyze,
        "page": PAGE,
        "filter": {"lead": "operator", "account_ids": filter_accounts.iter().map(|a| a.0).collect::<Vec<_>>()},
        "warmup": sw.json(),
        "measured": sm.json(),
        "filtered": sf.json(),
        "queries": queries,
    });
    println!();
    println!("{line}");
    Ok(())
}

fn imported_message(
    m: corpus::Message,
    accounts: &[AccountId],
    operators: &[OperatorId],
) -> ImportedMessage {
    let chat = format!("chat-{}", m.conversation);
    ImportedMessage {
        account_id: accounts[m.account],
        external_message_id: format!("{chat}-{}", m.seq),
        customer: CustomerProfile {
            external_id: format!("customer-{}", m.conversation),
            name: Some(format!("Покупатель {}", m.conversation)),
            avatar_url: None,
            phone: None,
        },
        external_chat_id: chat,
        listing: None,
        author: match m.who {
            Who::Customer => Author::Customer,
            Who::Bot => Author::Bot,
            Who::Operator(k) => Author::Operator(operators[k]),
        },
        text: m.text,
        attachments: Vec::new(),
        quote: None,
        link: None,
        sent_at: Timestamp::from_millis(m.at_ms),
    }
}

/// Make the conversations in which an operator answered operator-led, as live traffic would have.
async fn hand_over(
    store: &Arc<dyn Store>,
    plans: &[corpus::Plan],
    accounts: &[AccountId],
    operators: &[OperatorId],
) -> anyhow::Result<usize> {
    let mut ids: HashMap<(AccountId, String), ConversationId> = HashMap::new();
    let mut filter = ConversationFilter {
        limit: 1_000,
        ..ConversationFilter::default()
    };
    loop {
        let page = store.list_conversations(&filter).await?;
        for v in page.items {
            let c = v.conversation;
            ids.insert((c.account_id, c.external_chat_id), c.id);
        }
        match page.next {
            Some(cursor) => filter.cursor = Some(cursor),
            None => break,
        }
    }
    let mut changes = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        if let Some(op) = plan.operator {
            let id = ids
                .get(&(accounts[plan.account], format!("chat-{i}")))
                .with_context(|| format!("conversation chat-{i} not found"))?;
            changes.push(LeadChange {
                conversation_id: *id,
                to: Lead::Operator,
                reason: HandoffReason::OperatorReplied,
                actor: Author::Operator(operators[op]),
                context: HandoffContext::default(),
            });
        }
    }
    let count = changes.len();
    let per_task = count.div_ceil(HANDOFF_TASKS).max(1);
    let mut tasks = tokio::task::JoinSet::new();
    let mut rest = changes;
    while !rest.is_empty() {
        let chunk: Vec<LeadChange> = rest.drain(..per_task.min(rest.len())).collect();
        let store = store.clone();
        tasks.spawn(async move {
            for change in chunk {
                store.change_lead(change).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    Ok(count)
}

/// `psql <url> -c ANALYZE`, if psql is installed; says what happened.
fn analyze(url: &str) -> String {
    let t = Instant::now();
    match Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", "ANALYZE"])
        .arg(url)
        .output()
    {
        Ok(out) if out.status.success() => format!(
            "ran `psql <url> -c ANALYZE` after loading ({:.1} s)",
            t.elapsed().as_secs_f64()
        ),
        Ok(out) => format!(
            "`psql -c ANALYZE` failed ({}): {}; measured without fresh statistics",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!("psql not available ({e}); measured without fresh statistics"),
    }
}

/// One pass over the 50 queries the way the search handler runs them.
async fn pass(
    store: &dyn Store,
    filter: Option<(Lead, Vec<AccountId>)>,
) -> anyhow::Result<Vec<QueryRun>> {
    let (lead, account_ids) = match filter {
        Some((lead, ids)) => (Some(lead), Some(ids)),
        None => (None, None),
    };
    let mut runs = Vec::with_capacity(QUERIES.len());
    for q in QUERIES {
        let t = Instant::now();
        let terms = frontline_text::query_terms(q);
        let results = store
            .search_messages(&SearchQuery {
                terms: terms.clone(),
                lead,
                account_ids: account_ids.clone(),
                limit: PAGE,
                offset: 0,
            })
            .await?;
        let snippets: Vec<String> = results
            .hits
            .iter()
            .map(|h| frontline_text::highlight(&h.text, &terms, SNIPPET_CHARS))
            .collect();
        let elapsed = t.elapsed();
        black_box(&snippets);
        runs.push(QueryRun {
            total_conversations: results.total_conversations,
            hits: results.hits.len(),
            elapsed,
        });
    }
    Ok(runs)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
