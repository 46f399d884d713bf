//! What the search and ingest benchmarks share: the command line, fresh databases per backend, latency
//! statistics and the synthetic support-chat corpus ([`corpus`]).
//!
//! Each bench is its own crate and uses only part of this module, hence the `dead_code` allowance.

#![allow(dead_code)]

pub mod corpus;

use std::time::Duration;

use anyhow::{Context, bail};

/// A storage backend the bench runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    fn parse(s: &str) -> anyhow::Result<Self> {
        match s {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            other => bail!("unknown backend `{other}`: use sqlite or postgres"),
        }
    }
}

/// The bench's command line: `[--backend sqlite|postgres] [--messages N] [--concurrency C]`.
#[derive(Debug, Clone)]
pub struct Args {
    /// SQLite first, then PostgreSQL, unless one was chosen.
    pub backends: Vec<Backend>,
    pub messages: usize,
    pub concurrency: usize,
}

/// What [`parse_args`] makes of the command line.
#[derive(Debug)]
pub enum Invocation {
    Run(Args),
    /// Started without `--bench` and without flags, as `cargo test --benches` does: nothing to measure.
    NotABenchRun,
}

/// Parse `std::env::args`. `cargo bench` appends `--bench` to the arguments; it is accepted and
/// ignored. `accepts_concurrency` is false for benches without a `--concurrency` flag.
pub fn parse_args(
    default_messages: usize,
    default_concurrency: usize,
    accepts_concurrency: bool,
) -> anyhow::Result<Invocation> {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.is_empty() {
        return Ok(Invocation::NotABenchRun);
    }
    let mut args = Args {
        backends: vec![Backend::Sqlite, Backend::Postgres],
        messages: default_messages,
        concurrency: default_concurrency,
    };
    let mut it = raw.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) => (f, Some(v.to_owned())),
            None => (a.as_str(), None),
        };
        let mut value = |name: &str| -> anyhow::Result<String> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .with_context(|| format!("{name} needs a value"))
        };
        match flag {
            "--bench" => {}
            "--backend" => args.backends = vec![Backend::parse(&value("--backend")?)?],
            "--messages" => {
                args.messages = parse_count(&value("--messages")?).context("--messages")?;
            }
            "--concurrency" if accepts_concurrency => {
                args.concurrency =
                    parse_count(&value("--concurrency")?).context("--concurrency")?;
            }
            other => bail!("unknown argument `{other}`"),
        }
    }
    if args.messages == 0 || args.concurrency == 0 {
        bail!("--messages and --concurrency must be at least 1");
    }
    Ok(Invocation::Run(args))
}

/// `20000`, `20_000` or `20,000`.
fn parse_count(s: &str) -> anyhow::Result<usize> {
    let digits: String = s.chars().filter(|c| !matches!(c, '_' | ',')).collect();
    digits
        .parse()
        .with_context(|| format!("`{s}` is not a number"))
}

/// A fresh, empty database for `backend`: a file in a temporary directory (kept alive by the returned
/// guard) or a new PostgreSQL database on the server named by `FRONTLINE_TEST_POSTGRES_URL`.
pub async fn fresh_database(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            (url, Some(dir))
        }
        Backend::Postgres => {
            let admin = frontline_store_postgres::testing::admin_url();
            (
                frontline_store_postgres::testing::fresh_database(&admin).await,
                None,
            )
        }
    }
}

/// The URL without its user info, for printing.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}{}", &url[..s + 3], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

/// Nearest-rank percentiles of a set of durations, in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Summary {
    pub count: usize,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Summary {
    pub fn of(samples: &[Duration]) -> Self {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let n = ms.len();
        if n == 0 {
            return Self::default();
        }
        // Nearest rank: the smallest value with at least p% of the samples at or below it.
        let rank = |p: f64| ms[((p / 100.0 * n as f64).ceil() as usize).clamp(1, n) - 1];
        Self {
            count: n,
            p50: rank(50.0),
            p95: rank(95.0),
            p99: rank(99.0),
            max: ms[n - 1],
            mean: ms.iter().sum::<f64>() / n as f64,
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "count": self.count,
            "p50_ms": round3(self.p50),
            "p95_ms": round3(self.p95),
            "p99_ms": round3(self.p99),
            "max_ms": round3(self.max),
            "mean_ms": round3(self.mean),
        })
    }
}

/// Three decimals are plenty for milliseconds and keep the JSON short.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    group_digits(n, ',')
}

/// The digits of `n` in groups of three, separated by `sep`.
pub fn group_digits(n: u64, sep: char) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// `s` padded with spaces or cut to `width` characters, for left-aligned table columns.
pub fn cell(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n >= width {
        s.chars().take(width).collect()
    } else {
        format!("{s}{}", " ".repeat(width - n))
    }
}
