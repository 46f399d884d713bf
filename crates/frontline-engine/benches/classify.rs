//! Classifying one customer message on one core, the sentence embedding included: the demo shop's
//! classifier (trained with multilingual-e5-small when the model file is there) on the default
//! suite's messages and the demo's example phrases, each embedded afresh (no memo, no cache), then
//! the same with two encoder threads, and the lexical model alone for comparison. Prints p50/p99
//! per message and the process's resident memory before and after loading the model.
//!
//! `cargo bench -p frontline-engine --bench classify` (the model comes from `scripts/fetch-e5-model`;
//! `FRONTLINE_E5_MODEL` points elsewhere).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use frontline_engine::bot::BotConfig;
use frontline_engine::bot::flows::DEFAULT_SUITE_JSON;
use frontline_engine::bot::suite::parse_suite;
use frontline_engine::intent::embedding::{Encoder, EncoderOptions, Kind, TextEmbedder};

/// Longer messages than the demo's phrases, as customers also write.
const LONG: &[&str] = &[
    "Здравствуйте! Я заказал чайник неделю назад, оплатил картой, но до сих пор не пришло ни одного уведомления о доставке, подскажите пожалуйста что случилось и когда ждать курьера?",
    "Добрый день, купил у вас ноутбук в прошлом месяце, он перестал включаться после обновления, гарантия ещё действует, как мне его сдать в ремонт и сколько это займёт времени?",
    "Hello, I ordered a phone two weeks ago and paid online, the tracking number does not work on the courier's website and nobody answers the phone, can you tell me where my parcel is?",
];

fn main() {
    let rss_start = rss_kb();
    let config = BotConfig::demo();
    let mut messages: Vec<String> = parse_suite(DEFAULT_SUITE_JSON)
        .expect("suite")
        .into_iter()
        .flat_map(|c| c.script.messages)
        .collect();
    messages.extend(config.intents.iter().flat_map(|i| i.examples.clone()));
    messages.sort();
    messages.dedup();

    let lexical = config.clone().compile().expect("demo compiles").model;
    report(
        "lexical (no encoder)",
        &time(&messages, |m| {
            lexical.predict(m);
        }),
    );

    let path = std::env::var_os("FRONTLINE_E5_MODEL")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/frontline/models/e5-small-q4.bin"))
        })
        .expect("a model path");
    if !path.exists() {
        println!(
            "no e5 model at {}: run scripts/fetch-e5-model to measure the encoder",
            path.display()
        );
        return;
    }
    for threads in [1, 2] {
        let options = EncoderOptions {
            threads,
            ..EncoderOptions::default()
        };
        let encoder = Arc::new(Encoder::load_with(&path, options).expect("model loads"));
        let rss_loaded = rss_kb();
        let embedder = TextEmbedder::new(encoder.clone());
        let started = Instant::now();
        let model = config
            .clone()
            .compile_with(Some(embedder))
            .expect("demo compiles")
            .model;
        if threads == 1 {
            println!(
                "demo classifier trained with e5 in {:.1} s ({} examples embedded)",
                started.elapsed().as_secs_f64(),
                config
                    .intents
                    .iter()
                    .map(|i| i.examples.len())
                    .sum::<usize>()
            );
        }
        let classify = |m: &str| {
            let e = encoder.embed(m, Kind::Query);
            model.predict_embedded(m, &e);
        };
        report(
            &format!("e5, {threads} thread(s), embedding included"),
            &time(&messages, classify),
        );
        let long: Vec<String> = LONG.iter().map(|s| (*s).to_owned()).collect();
        report(
            &format!("e5, {threads} thread(s), 30–45-word messages"),
            &time(&long, classify),
        );
        if threads == 1 {
            println!(
                "resident memory: {} MB at start, {} MB with the model loaded, {} MB after classifying ({} MB added)",
                rss_start / 1024,
                rss_loaded / 1024,
                rss_kb() / 1024,
                (rss_kb().saturating_sub(rss_start)) / 1024
            );
        }
    }
}

/// Per-message times over `messages`: one warm-up pass, then passes until 3 seconds of samples.
fn time(messages: &[String], mut classify: impl FnMut(&str)) -> Vec<Duration> {
    for m in messages {
        classify(m);
    }
    let mut samples = Vec::new();
    let mut total = Duration::ZERO;
    while total < Duration::from_secs(3) || samples.len() < 100 {
        for m in messages {
            let t = Instant::now();
            classify(m);
            let took = t.elapsed();
            samples.push(took);
            total += took;
        }
    }
    samples
}

fn report(what: &str, samples: &[Duration]) {
    let mut s = samples.to_vec();
    s.sort();
    let pct = |p: f64| s[((s.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1e3;
    println!(
        "{what}: {} samples, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        s.len(),
        pct(0.5),
        pct(0.99),
        s.last().unwrap().as_secs_f64() * 1e3
    );
}

/// The process's resident set, kB (Linux).
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
