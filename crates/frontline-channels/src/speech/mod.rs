//! Speech recognition and synthesis behind traits, so a line can use the offline defaults
//! (whisper.cpp, espeak-ng) or any OpenAI-compatible API, and tests a deterministic stand-in.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;

use crate::audio::Pcm;

pub mod espeak;
pub mod openai;
pub mod scripted;
#[cfg(feature = "whisper")]
pub mod whisper;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpeechError {
    /// The provider cannot run at all (model file missing, program not installed, no API key):
    /// a configuration problem, reported clearly rather than crashing the call.
    #[error("speech provider unavailable: {0}")]
    Unavailable(String),
    /// This request failed (bad audio, remote error); the next may work.
    #[error("speech request failed: {0}")]
    Failed(String),
    #[error("speech request timed out after {0:?}")]
    Timeout(Duration),
}

/// What a recogniser heard.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transcript {
    pub text: String,
    /// The language it decided on, when it detected one.
    pub language: Option<String>,
}

/// Speech to text for one finished utterance.
#[async_trait]
pub trait Recognizer: Send + Sync + std::fmt::Debug + 'static {
    /// A short name for logs and metrics (`whisper`, `openai`, `scripted`).
    fn name(&self) -> &str;

    /// Transcribe `audio` (any rate; providers resample). `language` is an ISO 639-1 code fixed for
    /// the line, or `None` to let the provider detect it.
    async fn transcribe(
        &self,
        audio: &Pcm,
        language: Option<&str>,
    ) -> Result<Transcript, SpeechError>;
}

/// Text to speech.
#[async_trait]
pub trait Synthesizer: Send + Sync + std::fmt::Debug + 'static {
    fn name(&self) -> &str;

    /// Speak `text` in `language` (ISO 639-1). Any rate; the call resamples to the line's.
    async fn synthesize(&self, text: &str, language: &str) -> Result<Pcm, SpeechError>;
}

/// Stands in for a recogniser that cannot run (model missing, misconfigured), so calls still
/// connect, say they did not understand, accept DTMF, and the log says what to fix.
#[derive(Debug, Clone)]
pub struct UnavailableRecognizer {
    why: String,
}

impl UnavailableRecognizer {
    pub fn new(why: String) -> Self {
        Self { why }
    }
}

#[async_trait]
impl Recognizer for UnavailableRecognizer {
    fn name(&self) -> &str {
        "unavailable"
    }

    async fn transcribe(
        &self,
        _audio: &Pcm,
        _language: Option<&str>,
    ) -> Result<Transcript, SpeechError> {
        Err(SpeechError::Unavailable(self.why.clone()))
    }
}

/// (language, text) → rendered audio, with the insertion order for eviction.
type Rendered = (
    HashMap<(String, String), Arc<Pcm>>,
    VecDeque<(String, String)>,
);

/// Keeps rendered audio of recent texts, so fixed prompts (greeting, re-prompt, transfer notice)
/// cost nothing after their first use. Bounded: the oldest entry goes first.
#[derive(Debug)]
pub struct CachedSynthesizer {
    inner: Arc<dyn Synthesizer>,
    capacity: usize,
    cache: Mutex<Rendered>,
}

impl CachedSynthesizer {
    pub fn new(inner: Arc<dyn Synthesizer>, capacity: usize) -> Self {
        Self {
            inner,
            capacity: capacity.max(1),
            cache: Mutex::default(),
        }
    }

    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// The rendered `text`, from the cache when it has been said before.
    pub async fn speak(&self, text: &str, language: &str) -> Result<Arc<Pcm>, SpeechError> {
        let key = (language.to_owned(), text.to_owned());
        if let Some(hit) = self.lock().0.get(&key) {
            return Ok(hit.clone());
        }
        let pcm = Arc::new(self.inner.synthesize(text, language).await?);
        let mut guard = self.lock();
        let (map, order) = &mut *guard;
        if map.insert(key.clone(), pcm.clone()).is_none() {
            order.push_back(key);
            while order.len() > self.capacity {
                if let Some(old) = order.pop_front() {
                    map.remove(&old);
                }
            }
        }
        Ok(pcm)
    }

    /// Render fixed prompts ahead of the first call.
    pub async fn prerender(&self, texts: &[(&str, &str)]) -> Result<(), SpeechError> {
        for (text, language) in texts {
            self.speak(text, language).await?;
        }
        Ok(())
    }

    pub fn cached(&self) -> usize {
        self.lock().0.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rendered> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[derive(Debug, Default)]
    struct Counting(AtomicUsize);

    #[async_trait]
    impl Synthesizer for Counting {
        fn name(&self) -> &str {
            "counting"
        }
        async fn synthesize(&self, text: &str, _language: &str) -> Result<Pcm, SpeechError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(Pcm::new(8000, vec![1; text.len()]))
        }
    }

    #[tokio::test]
    async fn cache_renders_each_text_once_and_stays_bounded() {
        let inner = Arc::new(Counting::default());
        let cache = CachedSynthesizer::new(inner.clone(), 2);
        cache.speak("a", "ru").await.unwrap();
        cache.speak("a", "ru").await.unwrap();
        assert_eq!(inner.0.load(Ordering::SeqCst), 1);
        cache.speak("a", "en").await.unwrap();
        cache.speak("bb", "ru").await.unwrap();
        assert_eq!(cache.cached(), 2);
        // "a"/ru was evicted first.
        cache.speak("a", "ru").await.unwrap();
        assert_eq!(inner.0.load(Ordering::SeqCst), 4);
    }
}
