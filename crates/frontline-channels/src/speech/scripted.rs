//! A deterministic recogniser for tests and load benchmarks: it does not listen, it answers each
//! utterance with the next scripted text. The call pipeline around it (framing, endpointing,
//! barge-in, the engine, synthesis) is the real one.

use std::{collections::VecDeque, sync::Mutex, time::Duration};

use async_trait::async_trait;

use super::{Recognizer, SpeechError, Transcript};
use crate::audio::Pcm;

#[derive(Debug, Default)]
pub struct ScriptedRecognizer {
    texts: Mutex<VecDeque<String>>,
    /// How long each "recognition" takes, to model a real recogniser's cost in benchmarks.
    delay: Duration,
    heard: Mutex<Vec<u64>>,
    /// Set by [`ScriptedRecognizer::failing`]: every utterance fails with it.
    failure: Option<SpeechError>,
}

impl ScriptedRecognizer {
    pub fn new<I, S>(texts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            texts: Mutex::new(texts.into_iter().map(Into::into).collect()),
            ..Self::default()
        }
    }

    /// A recogniser whose every utterance fails with `error` (after being counted in
    /// [`heard_ms`](Self::heard_ms)), as one whose model or service is gone does.
    pub fn failing(error: SpeechError) -> Self {
        Self {
            failure: Some(error),
            ..Self::default()
        }
    }

    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Queue more texts.
    pub fn push(&self, text: impl Into<String>) {
        self.lock_texts().push_back(text.into());
    }

    /// Durations (ms) of the utterances it was given, in order.
    pub fn heard_ms(&self) -> Vec<u64> {
        self.heard.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn lock_texts(&self) -> std::sync::MutexGuard<'_, VecDeque<String>> {
        self.texts.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl Recognizer for ScriptedRecognizer {
    fn name(&self) -> &str {
        "scripted"
    }

    async fn transcribe(
        &self,
        audio: &Pcm,
        language: Option<&str>,
    ) -> Result<Transcript, SpeechError> {
        self.heard
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(audio.duration_ms());
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if let Some(error) = &self.failure {
            return Err(error.clone());
        }
        let text = self.lock_texts().pop_front().unwrap_or_default();
        Ok(Transcript {
            text,
            language: language.map(str::to_owned),
        })
    }
}
