//! Avito voice messages end to end: real speech (espeak-ng, encoded by ffmpeg as Opus in MP4 as
//! Avito serves it) sent by a customer through the simulator, downloaded, decoded with ffmpeg and
//! transcribed by the server, then answered by the bot. The recogniser is the scripted one (it
//! does not listen, but it records how much audio it was given), so the test does not depend on a
//! speech model.

use std::{process::Command, sync::Arc};

use avito_sim::{Content, Simulator};
use frontline_channels::{
    audio::read_wav,
    speech::{Recognizer, SpeechError, scripted::ScriptedRecognizer},
};
use serde_json::Value;

use crate::{
    avito::{
        ITEM, SELLER, connect, conversation_by_chat, customer, messages, simulator, use_simulator,
        wait_sent,
    },
    helpers::{TestApp, eventually, spawn_app_wired},
};

const ASKED: &str = "Где мой заказ?";

/// `text` spoken in Russian as an Avito voice file, and how long the speech is (ms).
fn voice_message(text: &str) -> (Vec<u8>, u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let wav = dir.path().join("speech.wav");
    let mp4 = dir.path().join("voice.mp4");
    let spoke = Command::new("espeak-ng")
        .args(["-v", "ru", "-w"])
        .arg(&wav)
        .arg(text)
        .status()
        .expect("espeak-ng is installed (scripts/ensure-voice-deps)");
    assert!(spoke.success());
    let encoded = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-i"])
        .arg(&wav)
        .args(["-c:a", "libopus", "-b:a", "24k", "-f", "mp4"])
        .arg(&mp4)
        .status()
        .expect("ffmpeg is installed (scripts/ensure-voice-deps)");
    assert!(encoded.success());
    let spoken = read_wav(&std::fs::read(&wav).unwrap()).unwrap();
    (std::fs::read(&mp4).unwrap(), spoken.duration_ms())
}

/// The server with the demo bot, on the simulator, transcribing voice messages with `recognizer`.
async fn voice_app(sim: &Simulator, recognizer: Arc<dyn Recognizer>) -> TestApp {
    let base = sim.base_url();
    spawn_app_wired(
        move |c| {
            use_simulator(c, base);
            c.bot.mode = "engine".into();
            c.voice.transcribe_voice_messages = true;
            c.voice.voice_message_language = "ru".into();
        },
        frontline::Wiring {
            recognizer: Some(recognizer),
            ..frontline::Wiring::default()
        },
    )
    .await
}

/// The customer's message of a chat, once stored.
async fn customer_message(app: &TestApp, chat: &str) -> Value {
    let conv = conversation_by_chat(app, chat).await;
    let id = conv["id"].as_i64().unwrap();
    eventually(crate::avito::WAIT, || async {
        messages(app, id)
            .await
            .into_iter()
            .find(|m| m["author"]["kind"] == "customer")
    })
    .await
}

async fn media(app: &TestApp, message: &Value) -> Vec<u8> {
    let url = message["attachments"][0]["url"].as_str().unwrap();
    let r = app
        .http
        .get(app.url(url))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn a_voice_message_is_transcribed_and_the_bot_answers_its_words() {
    let sim = simulator().await;
    let recognizer = Arc::new(ScriptedRecognizer::new([ASKED]));
    let app = voice_app(&sim, recognizer.clone()).await;
    let account = connect(&app).await;
    let (audio, spoken_ms) = voice_message(ASKED);
    let posted = sim.customer_sends(
        SELLER,
        &customer(520, "Ирина"),
        Some(ITEM),
        Content::Voice(audio.clone()),
    );

    // The bot answered the words: the order-status flow asks for the order number.
    let sent = wait_sent(&sim, 1).await;
    assert_eq!(sent[0].chat_id, posted.chat_id);
    let reply = sent[0].text.as_deref().unwrap_or_default();
    assert!(reply.contains("номер заказа"), "{reply}");

    // The transcript is the message's text; the audio stays attached for operators to listen to.
    let message = customer_message(&app, &posted.chat_id).await;
    assert_eq!(message["text"], format!("🎤 {ASKED}"), "{message:#}");
    assert_eq!(message["attachments"][0]["type"], "voice");
    assert_eq!(media(&app, &message).await, audio);
    let conv = conversation_by_chat(&app, &posted.chat_id).await;
    assert_eq!(conv["account"]["id"], account);
    assert_eq!(conv["intent"], "order_status", "{conv:#}");

    // The recogniser was given the decoded speech, all of it (Opus adds a few ms of padding).
    let heard = recognizer.heard_ms();
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert!(
        heard[0].abs_diff(spoken_ms) <= 50,
        "heard {} ms of {spoken_ms} ms of speech",
        heard[0]
    );
}

#[tokio::test]
async fn a_voice_message_that_cannot_be_transcribed_is_kept_as_audio_and_answered() {
    let sim = simulator().await;
    // Like whisper without its model file: every recognition fails.
    let recognizer = Arc::new(ScriptedRecognizer::failing(SpeechError::Unavailable(
        "model file missing".into(),
    )));
    let app = voice_app(&sim, recognizer.clone()).await;
    connect(&app).await;
    let (speech, _) = voice_message(ASKED);
    // Recognition fails on real speech; decoding fails on a file that is not audio at all.
    let spoken = sim.customer_sends(
        SELLER,
        &customer(521, "Глеб"),
        Some(ITEM),
        Content::Voice(speech.clone()),
    );
    let garbled = b"\x00\x00\x00\x18ftypmp42 not audio".to_vec();
    let broken = sim.customer_sends(
        SELLER,
        &customer(522, "Вера"),
        Some(ITEM),
        Content::Voice(garbled.clone()),
    );

    for (posted, audio) in [(&spoken, &speech), (&broken, &garbled)] {
        let message = customer_message(&app, &posted.chat_id).await;
        // As without a recogniser: no text, the voice attached.
        assert_eq!(message["text"], "", "{message:#}");
        assert_eq!(message["attachments"][0]["type"], "voice", "{message:#}");
        assert_eq!(&media(&app, &message).await, audio);
    }
    // Only the real speech reached the recogniser.
    assert_eq!(recognizer.heard_ms().len(), 1);

    // The bot still answered each, asking for words instead.
    let sent = wait_sent(&sim, 2).await;
    for chat in [&spoken.chat_id, &broken.chat_id] {
        let reply = sent
            .iter()
            .find(|m| &m.chat_id == chat)
            .and_then(|m| m.text.clone())
            .unwrap_or_else(|| panic!("no answer in {chat}: {sent:?}"));
        assert!(reply.contains("словами"), "{reply}");
    }
}
