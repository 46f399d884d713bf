//! One customer message through the default (demo shop) workflow, without an LLM, on one core:
//! classification, the graph walk, knowledge-base search, template rendering and stubbed actions
//! (the shop's own latency is not ours to measure). Prints p50/p99 per message and messages per
//! second over the default suite's dialogs, replayed until the sample is large enough.
//!
//! `cargo bench -p frontline-engine --bench workflow`

use std::sync::Arc;
use std::time::{Duration, Instant};

use frontline_engine::bot::flows::{DEFAULT_SUITE_JSON, DEFAULT_WORKFLOW_JSON, compile_document};
use frontline_engine::bot::suite::parse_suite;
use frontline_engine::bot::{BotConfig, EngineBot, Knowledge};
use frontline_engine::workflow::{Interpreter, Outcome, State, TurnInput};

fn main() {
    // One core: a current-thread runtime, nothing else running on it.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let bot = EngineBot::new(
        Arc::new(BotConfig::demo().compile().expect("demo compiles")),
        Arc::new(Knowledge::from_kb(&frontline_engine::kb::demo::demo()).expect("index")),
        None,
    );
    let graph = compile_document(DEFAULT_WORKFLOW_JSON, bot.config()).expect("valid workflow");
    let cases = parse_suite(DEFAULT_SUITE_JSON).expect("suite");
    let messages_per_pass: usize = cases.iter().map(|c| c.script.messages.len()).sum();

    // Every message of every dialog timed on its own, the dialog's state carried over as in
    // production; a warm-up pass, then passes until 3 seconds of samples.
    let mut per_message: Vec<Duration> = Vec::new();
    let mut measured = Duration::ZERO;
    let mut passes = 0;
    while passes < 2 || measured < Duration::from_secs(3) {
        for case in &cases {
            let effects = bot.effects(&[], case.script.stubs());
            let mut input = TurnInput {
                channel: "api".into(),
                ..TurnInput::default()
            };
            let mut state = State::default();
            for message in &case.script.messages {
                input.text = message.clone();
                let t = Instant::now();
                let out = rt.block_on(Interpreter::new(&graph).turn(
                    std::mem::take(&mut state),
                    &input,
                    &effects,
                ));
                let took = t.elapsed();
                if passes > 0 {
                    per_message.push(took);
                    measured += took;
                }
                input.slots = out.slots;
                state = out.state;
                if matches!(out.outcome, Outcome::Handoff(_)) {
                    break;
                }
            }
        }
        passes += 1;
    }
    let throughput = per_message.len() as f64 / measured.as_secs_f64();

    per_message.sort();
    let pct = |p: f64| per_message[((per_message.len() - 1) as f64 * p) as usize];
    println!(
        "workflow: default demo workflow, {} dialogs / {messages_per_pass} messages per pass, {} samples",
        cases.len(),
        per_message.len()
    );
    println!(
        "per message: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
        pct(0.50).as_secs_f64() * 1e6,
        pct(0.99).as_secs_f64() * 1e6,
        per_message.last().unwrap().as_secs_f64() * 1e6,
    );
    println!("throughput on one core: {throughput:.0} messages/s (sum of per-message times)");
}
