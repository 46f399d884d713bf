//! Whole phone calls against the real server: a caller streams speech in real time over
//! AudioSocket and over a Twilio-style media stream, and the call goes greeting → barge-in →
//! recognised question → answer → DTMF order number → handoff with briefing → transfer →
//! hang-up. The recogniser is scripted here (the audio pipeline around it is real: endpointing,
//! espeak-ng synthesis, pacing); `real_speech_is_recognised` runs the offline Whisper model.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{Json, Router, routing::post};
use frontline_channels::{
    audio::{PHONE_RATE, Pcm, read_wav, trim_silence},
    speech::scripted::ScriptedRecognizer,
    voice::caller::{Caller, CallerOptions, EndedBy, Transport},
};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::{
    avito::{conversation_by_chat, messages},
    helpers::{TestApp, eventually, spawn_app_wired},
};

const WAIT: Duration = Duration::from_secs(20);
const GAP: Duration = Duration::from_millis(600);

/// Speech as a caller would say it: espeak-ng, at the telephone rate.
fn speech(text: &str) -> Pcm {
    let out = std::process::Command::new("espeak-ng")
        .args(["-v", "ru", "-s", "160", "--stdout", text])
        .output()
        .expect("espeak-ng is installed (scripts/ensure-voice-deps)");
    assert!(out.status.success(), "espeak-ng failed");
    trim_silence(&read_wav(&out.stdout).unwrap().resampled(PHONE_RATE), 100.0)
}

/// The webhook a PBX integration would expose for transfers.
async fn transfer_hook() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let app = Router::new().route(
        "/transfer",
        post(move |Json(body): Json<Value>| {
            let s = s.clone();
            async move {
                s.lock().unwrap().push(body);
                Json(json!({"ok": true}))
            }
        }),
    );
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/transfer", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    (url, seen)
}

struct VoiceApp {
    app: TestApp,
    audiosocket: std::net::SocketAddr,
    media_stream: std::net::SocketAddr,
    line: i64,
    token: String,
}

async fn voice_app(recognizer: Option<Arc<ScriptedRecognizer>>, settings: Value) -> VoiceApp {
    let a = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let m = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (audiosocket, media_stream) = (a.local_addr().unwrap(), m.local_addr().unwrap());
    let app = spawn_app_wired(
        |c| {
            c.bot.mode = "engine".into();
            c.avito.enabled = false;
        },
        frontline::Wiring {
            recognizer: recognizer.map(|r| r as Arc<dyn frontline_channels::speech::Recognizer>),
            audiosocket_listener: Some(a),
            media_stream_listener: Some(m),
            ..frontline::Wiring::default()
        },
    )
    .await;
    let (status, body) = app
        .post(
            &app.admin_token,
            "/api/v1/accounts",
            json!({"kind": "voice", "name": "Линия поддержки", "settings": settings}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    VoiceApp {
        line: body["account"]["id"].as_i64().unwrap(),
        token: body["inbound_token"].as_str().unwrap().to_owned(),
        app,
        audiosocket,
        media_stream,
    }
}

/// The whole call, over either adapter.
async fn whole_call(media: bool) {
    let (hook, transfers) = transfer_hook().await;
    let recognizer = Arc::new(ScriptedRecognizer::new(["Где мой заказ?"]));
    let v = voice_app(
        Some(recognizer.clone()),
        json!({
            "greeting": "Здравствуйте! Вы позвонили в демо магазин. Я виртуальный помощник и могу рассказать о заказе, доставке и оплате.",
            "reprompt_after_secs": 60,
            "transfer": {"kind": "webhook", "url": hook},
        }),
    )
    .await;
    let transport = if media {
        Transport::MediaStream(format!("ws://{}/lines/{}", v.media_stream, v.line))
    } else {
        Transport::AudioSocket(v.audiosocket)
    };
    let caller = Caller::connect(
        transport,
        CallerOptions {
            from: media.then(|| "+79990001122".to_owned()),
            token: Some(v.token.clone()),
            ..CallerOptions::default()
        },
    )
    .await
    .unwrap();
    let call_id = caller.call_id().to_owned();

    // The greeting starts; the caller talks over it half a second in. (The speech is rendered
    // first: a blocking espeak-ng run here would stall the caller's clock and compress its audio.)
    let question = speech("Где мой заказ?");
    let greeting_at = caller
        .bot_audio_start(caller.started(), WAIT)
        .await
        .unwrap();
    tokio::time::sleep_until((greeting_at + Duration::from_millis(500)).into()).await;
    let talk_at = Instant::now();
    let said = caller.say(&question);
    caller
        .bot_audio_stop(greeting_at, Duration::from_millis(300), WAIT)
        .await
        .unwrap()
        .expect("the greeting played");
    // The greeting's last frame: the one before the first pause in the bot's frames after the
    // caller started (the bot sends nothing between turns).
    let frames: Vec<Instant> = caller
        .recording()
        .frames
        .iter()
        .map(|f| f.at)
        .filter(|at| *at >= talk_at)
        .collect();
    let stopped = frames
        .windows(2)
        .find(|w| w[1].duration_since(w[0]) > Duration::from_millis(200))
        .map(|w| w[0])
        .or(frames.last().copied())
        .unwrap_or(talk_at);
    let barge_in = stopped.saturating_duration_since(talk_at);
    eprintln!(
        "barge-in: greeting stopped {} ms after the caller started",
        barge_in.as_millis()
    );
    // The greeting is ~9 s long: it was cut, not finished.
    assert!(
        barge_in < Duration::from_secs(2),
        "greeting not interrupted ({barge_in:?})"
    );
    if media {
        caller.clear_after(talk_at, WAIT).await.expect("clear sent");
    }

    // The question is recognised and answered: the bot asks for the order number.
    let end_of_speech = said.await.unwrap();
    let answer = caller.bot_turn(end_of_speech, GAP, WAIT).await.unwrap();
    eprintln!(
        "end of speech → first audio: {} ms",
        answer.first_audio.duration_since(end_of_speech).as_millis()
    );
    assert!(answer.audio.duration_ms() > 500, "an answer was spoken");
    assert_eq!(recognizer.heard_ms().len(), 1, "one utterance endpointed");
    let heard = recognizer.heard_ms()[0];
    assert!(
        heard + 300 >= question.duration_ms(),
        "the utterance ({heard} ms) holds the question ({} ms)",
        question.duration_ms()
    );

    let conv = conversation_by_chat(&v.app, &call_id).await;
    let id = conv["id"].as_i64().unwrap();
    assert_eq!(conv["account"]["id"].as_i64(), Some(v.line));
    if media {
        assert_eq!(conv["customer"]["phone"], "+79990001122");
    }
    let texts = |ms: &[Value]| -> Vec<(String, String)> {
        ms.iter()
            .map(|m| {
                (
                    m["author"]["kind"].as_str().unwrap_or_default().to_owned(),
                    m["text"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let so_far = texts(&messages(&v.app, id).await);
    assert!(
        so_far
            .iter()
            .any(|(a, t)| a == "customer" && t == "Где мой заказ?"),
        "{so_far:?}"
    );
    assert!(so_far.iter().any(|(a, _)| a == "bot"), "{so_far:?}");

    // The order number on the keypad; the bot records it and hands over.
    let typed_at = Instant::now();
    for key in "123456#".chars() {
        caller.dtmf(key);
    }
    let farewell = caller.bot_turn(typed_at, GAP, WAIT).await.unwrap();
    assert!(farewell.audio.duration_ms() > 500);

    // The transfer carries the briefing; the bot ends its side of the call.
    let transfer = eventually(WAIT, || async {
        transfers.lock().unwrap().first().cloned()
    })
    .await;
    assert_eq!(transfer["call_id"], call_id.as_str(), "{transfer}");
    assert_eq!(transfer["conversation_id"].as_i64(), Some(id));
    assert_eq!(transfer["intent"], "order_status", "{transfer}");
    assert_eq!(transfer["slots"]["order_number"], "123456", "{transfer}");
    let briefing = transfer["briefing"].as_str().unwrap_or_default();
    assert!(briefing.contains("123456"), "briefing: {briefing}");
    assert_eq!(caller.wait_end(WAIT).await.unwrap(), EndedBy::Bot);

    let conv = conversation_by_chat(&v.app, &call_id).await;
    assert_eq!(conv["lead"], "operator", "{conv}");
    let (_, handoffs) = v
        .app
        .get(
            &v.app.admin_token,
            &format!("/api/v1/conversations/{id}/handoffs"),
        )
        .await;
    let last = handoffs.as_array().and_then(|h| h.last()).cloned().unwrap();
    assert!(
        last["briefing"]
            .as_str()
            .unwrap_or_default()
            .contains("123456"),
        "{last}"
    );
    let all = texts(&messages(&v.app, id).await);
    assert!(
        all.iter().any(|(a, t)| a == "customer" && t == "123456"),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|(a, t)| a == "system" && t.contains("переведён")),
        "{all:?}"
    );

    // Turns, stored for analytics.
    let turns = eventually(WAIT, || async {
        let (s, t) = v
            .app
            .get(
                &v.app.admin_token,
                &format!("/api/v1/voice/calls/{call_id}/turns"),
            )
            .await;
        (s == 200 && t.as_array().is_some_and(|a| a.len() == 2)).then_some(t)
    })
    .await;
    let turns = turns.as_array().unwrap();
    assert_eq!(turns[0]["recognised"], "Где мой заказ?");
    assert!(turns[0]["end_of_speech_to_audio_ms"].as_i64().unwrap() > 0);
    assert!(turns[0]["engine_ms"].as_i64().is_some());
    assert_eq!(turns[0]["dtmf"], false);
    assert_eq!(turns[1]["recognised"], "123456");
    assert_eq!(turns[1]["dtmf"], true);

    let metrics = v.app.metrics().await;
    for needle in [
        "voice_calls_total 1",
        "voice_barge_ins_total 1",
        // The question was recognised in its closing silence, not after it.
        "voice_early_recognitions_total 1",
        "voice_transfers_total 1",
        "voice_reply_latency_seconds_count 2",
    ] {
        assert!(metrics.contains(needle), "{needle} missing in:\n{metrics}");
    }
}

#[tokio::test]
async fn a_whole_call_over_audiosocket() {
    whole_call(false).await;
}

#[tokio::test]
async fn a_whole_call_over_a_media_stream() {
    whole_call(true).await;
}

#[tokio::test]
async fn a_hang_up_ends_the_call_cleanly_and_a_failed_transfer_leaves_a_callback() {
    // No transfer configured: the handoff cannot move the call, so the caller is told and the
    // conversation waits for operators with a note to call back.
    let recognizer = Arc::new(ScriptedRecognizer::new(["Позовите оператора"]));
    let v = voice_app(
        Some(recognizer.clone()),
        json!({"greeting": "Здравствуйте!"}),
    )
    .await;
    let caller = Caller::connect(
        Transport::MediaStream(format!("ws://{}/lines/{}", v.media_stream, v.line)),
        CallerOptions {
            from: Some("+79995550000".into()),
            token: Some(v.token.clone()),
            ..CallerOptions::default()
        },
    )
    .await
    .unwrap();
    let call_id = caller.call_id().to_owned();
    let greeting = caller.bot_turn(caller.started(), GAP, WAIT).await.unwrap();
    let said = caller.say(&speech("Позовите оператора"));
    let end = said.await.unwrap();
    assert!(end > greeting.last_audio);
    // Handoff message, then the failure notice, then the bot hangs up.
    assert_eq!(caller.wait_end(WAIT).await.unwrap(), EndedBy::Bot);
    let conv = conversation_by_chat(&v.app, &call_id).await;
    assert_eq!(conv["lead"], "operator");
    assert_eq!(conv["status"], "open");
    let id = conv["id"].as_i64().unwrap();
    let notes: Vec<String> = messages(&v.app, id)
        .await
        .iter()
        .filter(|m| m["author"]["kind"] == "system")
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        notes
            .iter()
            .any(|t| t.contains("перезвонить") && t.contains("+79995550000")),
        "{notes:?}"
    );

    // A second call where the caller hangs up after the greeting: resolved, with a note.
    let caller = Caller::connect(
        Transport::AudioSocket(v.audiosocket),
        CallerOptions::default(),
    )
    .await
    .unwrap();
    let call_id = caller.call_id().to_owned();
    caller.bot_turn(caller.started(), GAP, WAIT).await.unwrap();
    caller.hangup().await.unwrap();
    let conv = eventually(WAIT, || async {
        let c = conversation_by_chat(&v.app, &call_id).await;
        (c["status"] == "resolved").then_some(c)
    })
    .await;
    let id = conv["id"].as_i64().unwrap();
    let all = messages(&v.app, id).await;
    assert!(
        all.iter().any(|m| m["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Звонок завершён")),
        "{all:?}"
    );
}

#[tokio::test]
async fn a_media_stream_without_the_line_token_is_refused() {
    let v = voice_app(None, json!({})).await;
    let caller = Caller::connect(
        Transport::MediaStream(format!("ws://{}/lines/{}", v.media_stream, v.line)),
        CallerOptions {
            token: Some("wrong".into()),
            ..CallerOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(caller.wait_end(WAIT).await.unwrap(), EndedBy::Bot);
    assert!(
        caller.recording().frames.iter().all(|f| !f.speech),
        "no greeting for an intruder"
    );
    let (status, body) = v
        .app
        .post(
            &v.app.admin_token,
            "/api/v1/accounts",
            json!({"kind": "voice", "name": "x", "settings": {"language": "de"}}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "settings");
}

/// A server whose recogniser is Whisper with `model`, and one voice line on AudioSocket.
async fn whisper_line(model: String) -> (TestApp, std::net::SocketAddr) {
    let a = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let audiosocket = a.local_addr().unwrap();
    let app = spawn_app_wired(
        move |c| {
            c.bot.mode = "engine".into();
            c.avito.enabled = false;
            c.voice.whisper_model = model;
        },
        frontline::Wiring {
            audiosocket_listener: Some(a),
            ..frontline::Wiring::default()
        },
    )
    .await;
    let (status, _) = app
        .post(
            &app.admin_token,
            "/api/v1/accounts",
            json!({"kind": "voice", "name": "Линия", "settings": {"greeting": "Здравствуйте!"}}),
        )
        .await;
    assert_eq!(status, 201);
    (app, audiosocket)
}

/// The offline recogniser on real speech, through the whole call. Needs the model
/// (`scripts/fetch-whisper-model`) and fixtures (`scripts/voice-fixtures`); the README test command
/// provides both and sets FRONTLINE_TEST_REQUIRE_SPEECH=1 so that their absence fails.
#[cfg(feature = "whisper")]
#[tokio::test]
async fn real_speech_is_recognised() {
    let (Ok(model), Ok(fixtures)) = (
        std::env::var("FRONTLINE_TEST_WHISPER_MODEL"),
        std::env::var("FRONTLINE_TEST_VOICE_FIXTURES"),
    ) else {
        assert!(
            std::env::var("FRONTLINE_TEST_REQUIRE_SPEECH").is_err(),
            "FRONTLINE_TEST_WHISPER_MODEL and FRONTLINE_TEST_VOICE_FIXTURES must be set"
        );
        eprintln!("no Whisper model or fixtures: skipped (scripts/test runs it)");
        return;
    };
    let (app, audiosocket) = whisper_line(model).await;
    let wav = std::fs::read(format!("{fixtures}/ru_order_status.wav")).unwrap();
    let utterance = trim_silence(&read_wav(&wav).unwrap().resampled(PHONE_RATE), 100.0);
    let caller = Caller::connect(
        Transport::AudioSocket(audiosocket),
        CallerOptions::default(),
    )
    .await
    .unwrap();
    let call_id = caller.call_id().to_owned();
    let greeting = caller.bot_turn(caller.started(), GAP, WAIT).await.unwrap();
    let end = caller.say(&utterance).await.unwrap();
    assert!(end > greeting.last_audio);
    let answer = caller
        .bot_turn(end, GAP, Duration::from_secs(60))
        .await
        .unwrap();
    eprintln!(
        "real recogniser: end of speech → first audio {} ms",
        answer.first_audio.duration_since(end).as_millis()
    );
    let conv = eventually(WAIT, || async {
        let c = conversation_by_chat(&app, &call_id).await;
        c["intent"].is_string().then_some(c)
    })
    .await;
    assert_eq!(conv["intent"], "order_status", "{conv}");
    let id = conv["id"].as_i64().unwrap();
    let heard: Vec<String> = messages(&app, id)
        .await
        .iter()
        .filter(|m| m["author"]["kind"] == "customer")
        .map(|m| m["text"].as_str().unwrap_or_default().to_lowercase())
        .collect();
    assert!(heard.iter().any(|t| t.contains("заказ")), "{heard:?}");
}

#[tokio::test]
async fn a_missing_model_is_reported_and_calls_still_work_by_keypad() {
    let (app, audiosocket) = whisper_line("/nonexistent/ggml-base-q8_0.bin".into()).await;
    let caller = Caller::connect(
        Transport::AudioSocket(audiosocket),
        CallerOptions::default(),
    )
    .await
    .unwrap();
    let call_id = caller.call_id().to_owned();
    let greeting = caller.bot_turn(caller.started(), GAP, WAIT).await.unwrap();
    // Speech cannot be recognised: the caller is told so, the call goes on.
    let end = caller.say(&speech("Где мой заказ?")).await.unwrap();
    assert!(end > greeting.last_audio);
    let sorry = caller.bot_turn(end, GAP, WAIT).await.unwrap();
    assert!(sorry.audio.duration_ms() > 500);
    // The keypad still reaches the bot.
    let typed = Instant::now();
    for key in "123456#".chars() {
        caller.dtmf(key);
    }
    caller.bot_turn(typed, GAP, WAIT).await.unwrap();
    let conv = conversation_by_chat(&app, &call_id).await;
    let texts: Vec<String> = messages(&app, conv["id"].as_i64().unwrap())
        .await
        .iter()
        .filter(|m| m["author"]["kind"] == "customer")
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(texts, vec!["123456".to_owned()]);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains("voice_recognition_failures_total 1"),
        "{metrics}"
    );
}

/// `frontline call` as a person would run it: a WAV, then keys; one JSON line per bot turn with
/// what the server recognised and answered.
#[tokio::test]
async fn frontline_call_prints_one_json_line_per_turn() {
    let recognizer = Arc::new(ScriptedRecognizer::new(["Где мой заказ?"]));
    let v = voice_app(
        Some(recognizer),
        json!({"greeting": "Здравствуйте!", "reprompt_after_secs": 60}),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("question.wav");
    std::fs::write(
        &wav,
        frontline_channels::audio::write_wav(&speech("Где мой заказ?")),
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_frontline"))
        .args(["call", "--audiosocket", &v.audiosocket.to_string(), "--wav"])
        .arg(&wav)
        .args(["--dtmf", "123456#", "--server", &v.app.url(""), "--login"])
        .arg(crate::helpers::ADMIN.0)
        .args(["--password", crate::helpers::ADMIN.1])
        .env_remove("FRONTLINE_PASSWORD")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0]["greeting_ms"].as_u64().unwrap() > 300, "{stdout}");
    assert_eq!(lines[1]["recognised"], "Где мой заказ?", "{stdout}");
    assert_eq!(lines[1]["intent"], "order_status", "{stdout}");
    assert!(lines[1]["answer"].as_str().unwrap().len() > 10, "{stdout}");
    assert!(
        lines[1]["end_of_speech_to_first_audio_ms"]
            .as_u64()
            .unwrap()
            > 400,
        "{stdout}"
    );
    assert_eq!(lines[2]["input"], "dtmf:123456#");
    assert_eq!(lines[2]["recognised"], "123456", "{stdout}");
}

/// An admin reads a line's settings back (defaults filled in, the transfer without its
/// credentials), edits the greeting without resending the transfer, and removes the transfer.
#[tokio::test]
async fn a_lines_settings_read_back_without_credentials_and_edits_keep_the_transfer() {
    let v = voice_app(
        None,
        json!({
            "greeting": "Алло!",
            "transfer": {"kind": "webhook", "url": "http://127.0.0.1:9/transfer?token=q-secret", "secret": "s3cr3t-word"}
        }),
    )
    .await;
    let admin = v.app.admin_token.clone();
    let path = format!("/api/v1/accounts/{}", v.line);
    let (status, account) = v.app.get(&admin, &path).await;
    assert_eq!(status, 200, "{account}");
    let settings = &account["settings"];
    assert_eq!(settings["greeting"], "Алло!");
    assert_eq!(settings["language"], "ru", "defaults filled in: {settings}");
    assert!(settings["max_reprompts"].is_u64(), "{settings}");
    assert_eq!(settings["transfer"]["kind"], "webhook");
    assert_eq!(settings["transfer"]["url"], "http://127.0.0.1:9/transfer");
    assert_eq!(settings["transfer"]["secret_set"], true);
    let (_, list) = v.app.get(&admin, "/api/v1/accounts").await;
    for text in [account.to_string(), list.to_string()] {
        assert!(
            !text.contains("s3cr3t-word") && !text.contains("q-secret"),
            "{text}"
        );
    }

    // Operators see the line, not its settings.
    let op = v.app.create_operator("olga", "operator").await;
    let (_, seen) = v.app.get(&op, &path).await;
    assert!(seen.get("settings").is_none(), "{seen}");

    // A new greeting without `transfer`: the transfer stays.
    let (status, body) = v
        .app
        .send(
            Method::PATCH,
            &admin,
            &path,
            json!({"settings": {"greeting": "Добрый день!"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["settings"]["greeting"], "Добрый день!");
    assert_eq!(body["settings"]["transfer"]["kind"], "webhook", "{body}");
    assert_eq!(body["settings"]["transfer"]["secret_set"], true);

    // `transfer: null` removes it.
    let (status, body) = v
        .app
        .send(
            Method::PATCH,
            &admin,
            &path,
            json!({"settings": {"greeting": "Добрый день!", "transfer": null}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["settings"]["transfer"].is_null(), "{body}");
}
