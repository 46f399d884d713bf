//! Concurrent phone calls through the whole voice pipeline: 1, 4 and 8 callers at once stream
//! real speech over AudioSocket, in real time, to a server running the offline Whisper
//! recogniser, the dialog engine and espeak-ng. Prints end-of-speech → first reply audio
//! (p50/p95, as the caller hears it) and the recogniser's real-time factor (recognition time /
//! audio length, from the server's `/metrics`).
//!
//! Needs the model (`scripts/fetch-whisper-model`) and fixtures (`scripts/voice-fixtures`):
//! `FRONTLINE_TEST_WHISPER_MODEL=… FRONTLINE_TEST_VOICE_FIXTURES=target/voice-fixtures cargo bench -p
//! frontline --bench voice_calls`. `FRONTLINE_TEST_BENCH_CALLS=1,4` picks the levels,
//! `FRONTLINE_TEST_BENCH_PAUSE_MS=0` turns early recognition off for a before/after comparison.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use frontline::{Config, Wiring};
use frontline_channels::{
    audio::{PHONE_RATE, Pcm, read_wav, trim_silence},
    voice::caller::{Caller, CallerOptions, Transport},
};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const UTTERANCES: &[&str] = &["ru_order_status.wav", "ru_balance.wav", "ru_order_long.wav"];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// A sample's value from `/metrics` (names carry the registry's `frontline_` prefix).
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(' '))
        .find(|(key, _)| key.trim_start_matches("frontline_") == name)
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0.0)
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

async fn run(
    concurrency: usize,
    pause_ms: u64,
    model: &str,
    utterances: &[Pcm],
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config = Config::for_tests(&format!(
        "sqlite://{}",
        dir.path().join("bench.db").display()
    ));
    config.bot.mode = "engine".into();
    config.avito.enabled = false;
    config.voice.whisper_model = model.into();
    let audiosocket = TcpListener::bind("127.0.0.1:0").await?;
    let as_addr = audiosocket.local_addr()?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(frontline::launch_with(
        config,
        listener,
        shutdown.clone(),
        Wiring {
            audiosocket_listener: Some(audiosocket),
            ..Wiring::default()
        },
    ));
    let http = reqwest::Client::new();
    let token = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"login": "admin", "password": "admin-password"}))
        .send()
        .await?
        .json::<serde_json::Value>()
        .await?["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    http.post(format!("{base}/api/v1/accounts"))
        .bearer_auth(&token)
        .json(&json!({"kind": "voice", "name": "bench", "settings": {
            "greeting": "Здравствуйте!", "reprompt_after_secs": 0,
            "vad": {"pause_ms": pause_ms}}}))
        .send()
        .await?
        .error_for_status()?;

    let utterances = Arc::new(utterances.to_vec());
    let started = Instant::now();
    let mut calls = tokio::task::JoinSet::new();
    for c in 0..concurrency {
        let utterances = utterances.clone();
        calls.spawn(async move {
            let mut latencies = Vec::new();
            let caller =
                Caller::connect(Transport::AudioSocket(as_addr), CallerOptions::default()).await?;
            let gap = Duration::from_millis(700);
            let wait = Duration::from_secs(120);
            let mut after = caller
                .bot_turn(caller.started(), gap, wait)
                .await?
                .last_audio;
            // Callers start their questions at different moments, as real ones would.
            tokio::time::sleep(Duration::from_millis(150 * c as u64)).await;
            for i in 0..2 {
                let u = &utterances[(c + i) % utterances.len()];
                let end = caller.say(u).await?;
                let reply = caller.bot_turn(end.max(after), gap, wait).await?;
                latencies.push(
                    reply
                        .first_audio
                        .saturating_duration_since(end)
                        .as_secs_f64(),
                );
                after = reply.last_audio;
            }
            caller.hangup().await?;
            anyhow::Ok((caller.call_id().to_owned(), latencies))
        });
    }
    let mut all = Vec::new();
    let mut ids = Vec::new();
    while let Some(r) = calls.join_next().await {
        let (id, latencies) = r??;
        ids.push(id);
        all.extend(latencies);
    }
    // The server's own breakdown of each turn (stored when the call ends).
    let (mut recognition, mut engine, mut synthesis) = (Vec::new(), Vec::new(), Vec::new());
    tokio::time::sleep(Duration::from_millis(500)).await;
    for id in &ids {
        let turns: Vec<serde_json::Value> = http
            .get(format!("{base}/api/v1/voice/calls/{id}/turns"))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await
            .unwrap_or_default();
        for t in turns {
            recognition.extend(t["recognition_ms"].as_f64());
            engine.extend(t["engine_ms"].as_f64());
            synthesis.extend(t["synthesis_ms"].as_f64());
        }
    }
    let wall = started.elapsed();
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    let rec_sum = metric(&metrics, "voice_recognition_seconds_sum");
    let rec_count = metric(&metrics, "voice_recognition_seconds_count");
    let audio = metric(&metrics, "voice_recognised_audio_seconds_total");
    all.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{concurrency} concurrent call(s): {} turns in {:.1} s | end of speech → first audio p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms | recognition {:.0} ms per utterance, real-time factor {:.2} | mean per turn: recognition {:.0} ms, engine {:.0} ms, synthesis {:.0} ms",
        all.len(),
        wall.as_secs_f64(),
        percentile(&all, 0.5) * 1000.0,
        percentile(&all, 0.95) * 1000.0,
        all.last().copied().unwrap_or(f64::NAN) * 1000.0,
        if rec_count > 0.0 {
            rec_sum / rec_count * 1000.0
        } else {
            f64::NAN
        },
        if audio > 0.0 {
            rec_sum / audio
        } else {
            f64::NAN
        },
        mean(&recognition),
        mean(&engine),
        mean(&synthesis),
    );
    shutdown.cancel();
    let _ = server.await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let model = std::env::var("FRONTLINE_TEST_WHISPER_MODEL").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/frontline/models/ggml-base-q8_0.bin")
    });
    let fixtures = std::env::var("FRONTLINE_TEST_VOICE_FIXTURES")
        .unwrap_or_else(|_| "target/voice-fixtures".into());
    anyhow::ensure!(
        std::path::Path::new(&model).exists(),
        "no Whisper model at {model}: run scripts/fetch-whisper-model"
    );
    let mut utterances = Vec::new();
    for name in UTTERANCES {
        let path = format!("{fixtures}/{name}");
        let bytes = std::fs::read(&path)
            .map_err(|e| anyhow::anyhow!("{path}: {e} (run scripts/voice-fixtures)"))?;
        // Without the file's own silence, so "end of speech" is where the voice ends.
        utterances.push(trim_silence(
            &read_wav(&bytes)?.resampled(PHONE_RATE),
            100.0,
        ));
    }
    println!(
        "voice pipeline: AudioSocket, Whisper base q8_0 (1 thread per utterance), demo engine, espeak-ng; VAD silence 500 ms; {} cores",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    let levels: Vec<usize> = std::env::var("FRONTLINE_TEST_BENCH_CALLS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 4, 8]);
    // Early recognition in the closing silence: the line's default, or 0 (off) to compare.
    let pause_ms: u64 = std::env::var("FRONTLINE_TEST_BENCH_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| frontline_channels::voice::vad::VadSettings::default().pause_ms);
    println!("early recognition after {pause_ms} ms of the closing silence (0: off)");
    for n in levels {
        run(n, pause_ms, &model, &utterances).await?;
    }
    Ok(())
}
