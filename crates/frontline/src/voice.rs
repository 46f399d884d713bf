//! The voice side of the wiring: the recogniser and synthesiser the configuration describes, and
//! the listeners of the telephony adapters.

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use frontline_channels::speech::{
    Recognizer, Synthesizer, UnavailableRecognizer,
    espeak::{Espeak, EspeakSettings},
    openai::{OpenAiRecognizer, OpenAiSpeechSettings, OpenAiSynthesizer},
};
use tokio::net::TcpListener;
use tracing::{info, warn};

use crate::Config;

/// Where the voice adapters listen, once started.
#[derive(Debug, Clone, Copy, Default)]
pub struct VoiceAddrs {
    pub audiosocket: Option<std::net::SocketAddr>,
    pub media_stream: Option<std::net::SocketAddr>,
}

/// The recogniser the configuration describes. A missing model is not fatal: calls are told they
/// were not understood (and DTMF still works) while the log says how to get the model.
pub(crate) fn build_recognizer(config: &Config) -> Arc<dyn Recognizer> {
    let c = &config.voice;
    match c.recognizer.as_str() {
        "openai" => match OpenAiRecognizer::new(openai_speech(config)) {
            Ok(r) => Arc::new(r),
            Err(e) => Arc::new(UnavailableRecognizer::new(e.to_string())),
        },
        _ => whisper_recognizer(config),
    }
}

#[cfg(feature = "whisper")]
fn whisper_recognizer(config: &Config) -> Arc<dyn Recognizer> {
    use frontline_channels::speech::whisper::{WhisperRecognizer, WhisperSettings};
    let path = config.voice.whisper_model_path();
    let started = std::time::Instant::now();
    match WhisperRecognizer::load(WhisperSettings::new(&path)) {
        Ok(r) => {
            info!(model = %path.display(), load_ms = started.elapsed().as_millis() as u64, "speech recognition ready");
            Arc::new(r)
        }
        Err(e) => {
            warn!(error = %e, "speech recognition unavailable; run scripts/fetch-whisper-model");
            Arc::new(UnavailableRecognizer::new(e.to_string()))
        }
    }
}

#[cfg(not(feature = "whisper"))]
fn whisper_recognizer(_config: &Config) -> Arc<dyn Recognizer> {
    let why = "this build has no whisper support (built without the `whisper` feature)";
    warn!("speech recognition unavailable: {why}");
    Arc::new(UnavailableRecognizer::new(why.into()))
}

pub(crate) fn build_synthesizer(config: &Config) -> anyhow::Result<Arc<dyn Synthesizer>> {
    let c = &config.voice;
    Ok(match c.synthesizer.as_str() {
        "openai" => {
            Arc::new(OpenAiSynthesizer::new(openai_speech(config)).context("voice.synthesizer")?)
        }
        _ => Arc::new(Espeak::new(EspeakSettings {
            program: c.espeak_program.clone().into(),
            ..EspeakSettings::default()
        })),
    })
}

fn openai_speech(config: &Config) -> OpenAiSpeechSettings {
    let c = &config.voice;
    OpenAiSpeechSettings {
        base_url: c.openai_base_url.clone(),
        api_key: c.openai_api_key.clone().filter(|k| !k.trim().is_empty()),
        stt_model: c.openai_stt_model.clone(),
        tts_model: c.openai_tts_model.clone(),
        voice: c.openai_voice.clone(),
        timeout: Duration::from_secs(c.request_timeout_secs.max(1)),
        ..OpenAiSpeechSettings::default()
    }
}

pub(crate) async fn bind_voice(
    configured: &str,
    given: Option<TcpListener>,
    demo_default: Option<&str>,
) -> anyhow::Result<Option<TcpListener>> {
    if given.is_some() {
        return Ok(given);
    }
    if configured.is_empty() {
        let Some(default) = demo_default else {
            return Ok(None);
        };
        // The demo's usual port, or any free one when another demo holds it (the address is
        // printed either way).
        let listener = match TcpListener::bind(default).await {
            Ok(l) => l,
            Err(_) => TcpListener::bind("127.0.0.1:0")
                .await
                .context("binding the demo voice listener")?,
        };
        return Ok(Some(listener));
    }
    Ok(Some(TcpListener::bind(configured).await.with_context(
        || format!("binding the voice listener on {configured}"),
    )?))
}
