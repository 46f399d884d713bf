//! The offline default recogniser: whisper.cpp (through whisper-rs) with multilingual Whisper base,
//! q8_0, built from PyPI packages by `scripts/fetch-whisper-model`.
//!
//! The settings come from measurements on a 2-core box (reference voice.md §3.2): one thread per
//! utterance, an encoder window sized to the audio instead of Whisper's fixed 30 s, greedy decoding
//! without temperature fallback, and the line's language fixed, because automatic detection runs a
//! full 30 s encoder pass first (about 5× the cost of the transcription itself).
//!
//! Decoder states (KV caches, compute buffers) are pooled: creating one costs ~25 ms and ~35 MB
//! (measured), a few per cent of a ~1 s transcription, and a used state also keeps the short
//! window that makes language detection affordable (see `Inner::prime`).
//!
//! whisper.cpp's own log lines go to `tracing` (whisper-rs's `tracing_backend`), under the targets
//! `whisper_rs::whisper_logging_hook` and `whisper_rs::ggml_logging_hook`; they are chatty at
//! `info` (every model load and state allocation), so a binary usually filters them to `warn`.

use std::{
    collections::HashMap,
    ffi::c_int,
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard},
    time::Instant,
};

use async_trait::async_trait;
use whisper_rs::{
    FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters, WhisperState,
};

use super::{Recognizer, SpeechError, Transcript};
use crate::audio::{self, Pcm, RECOGNITION_RATE};

const FETCH_HINT: &str = "run scripts/fetch-whisper-model to obtain it";

/// Whisper's window: the encoder sees at most 30 s (1500 frames of 20 ms).
const MAX_WINDOW_SECS: u32 = 30;
const MAX_AUDIO_CTX: c_int = 1500;
/// Below ~384-512 frames the decoder falls into repetition loops on short phrases (measured), so
/// short utterances still get a 10.24 s window.
const MIN_AUDIO_CTX: c_int = 512;
/// whisper.cpp returns nothing for under 100 ms of audio; pad short clips with silence instead.
const MIN_SAMPLES: usize = RECOGNITION_RATE as usize / 2;

#[derive(Debug, Clone, PartialEq)]
pub struct WhisperSettings {
    /// The whisper.cpp ggml model (`ggml-base-q8_0.bin` from `scripts/fetch-whisper-model`).
    pub model_path: PathBuf,
    /// Threads per utterance. One: ggml's workers spin-wait, so on a busy 2-core machine two
    /// threads took 1.4-8.5 s where one took 0.9 s. Concurrent calls give the parallelism.
    pub threads: u32,
    /// Tokens decoded per window at most: a decoder stuck in a loop stops early.
    pub max_tokens: u32,
    /// Text the decoder sees as preceding speech; domain words in it ("заказ", "оператор",
    /// product names) make them likelier. Only its last 223 tokens count (half the text context).
    pub initial_prompt: Option<String>,
    /// The longest stretch decoded in one pass, in seconds (at most Whisper's 30). Longer audio
    /// is cut into equal windows whose texts are joined. Endpointing normally keeps utterances
    /// far shorter (~10 s), and the encoder's cost grows with the window.
    pub max_window_secs: u32,
    /// Decoder states kept between utterances for reuse. Each holds its KV caches and compute
    /// buffers (~35 MB), so keep about as many as utterances run at once.
    pub max_idle_states: usize,
}

impl Default for WhisperSettings {
    /// Everything but the model path, which the binary's configuration supplies.
    fn default() -> Self {
        Self {
            model_path: PathBuf::new(),
            threads: 1,
            max_tokens: 64,
            initial_prompt: None,
            max_window_secs: MAX_WINDOW_SECS,
            max_idle_states: 2,
        }
    }
}

impl WhisperSettings {
    pub fn new(model_path: impl Into<PathBuf>) -> Self {
        Self {
            model_path: model_path.into(),
            ..Self::default()
        }
    }
}

/// whisper.cpp speech recognition. Cheap to clone (shares the model and its state pool).
#[derive(Debug, Clone)]
pub struct WhisperRecognizer {
    inner: Arc<Inner>,
}

/// A decoder state and whether it has decoded before (see [`Inner::prime`]).
#[derive(Debug)]
struct Pooled {
    state: WhisperState,
    primed: bool,
}

#[derive(Debug)]
struct Inner {
    settings: WhisperSettings,
    context: WhisperContext,
    prompt_tokens: Vec<c_int>,
    /// Decoder states ready for the next utterance.
    idle: Mutex<Vec<Pooled>>,
    /// Decoding parameters per language (`None` = detect), built once. whisper-rs copies the
    /// language into a C string it never frees, so building them per utterance would leak a little
    /// memory on every call; a clone shares the first copy.
    params: Mutex<HashMap<Option<c_int>, FullParams<'static, 'static>>>,
}

impl WhisperRecognizer {
    /// Load the model (blocking: ~0.2-0.3 s; the file's size in memory plus one decoder state,
    /// ~135 MB RSS for base q8_0; call it at start-up or in `spawn_blocking`). A missing or unreadable model is [`SpeechError::Unavailable`].
    pub fn load(settings: WhisperSettings) -> Result<Self, SpeechError> {
        whisper_rs::install_logging_hooks();
        let path = &settings.model_path;
        let unavailable = |why: String| {
            SpeechError::Unavailable(format!(
                "whisper model {}: {why}; {FETCH_HINT}",
                path.display()
            ))
        };
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Err(unavailable("not a file".into())),
            Err(e) => return Err(unavailable(e.to_string())),
        }
        // Readable by us, not just present (whisper.cpp would only say "failed to open").
        std::fs::File::open(path).map_err(|e| unavailable(e.to_string()))?;

        let started = Instant::now();
        // Flash attention measured no faster on this CPU (2 cores, 1 thread per call).
        let context = WhisperContext::new_with_params(path, WhisperContextParameters::default())
            .map_err(|e| unavailable(format!("not a loadable whisper.cpp ggml model ({e})")))?;
        let prompt_tokens = match settings.initial_prompt.as_deref().map(str::trim) {
            Some(prompt) if !prompt.is_empty() => tokenize_prompt(&context, prompt)?,
            _ => Vec::new(),
        };
        // One state up front: allocation failures show at start-up, and the first call is not
        // slower than the rest.
        let first = context
            .create_state()
            .map_err(|e| unavailable(format!("cannot allocate a decoder state ({e})")))?;
        tracing::info!(
            model = %path.display(),
            multilingual = context.is_multilingual(),
            load_ms = started.elapsed().as_millis() as u64,
            "whisper model loaded"
        );
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                context,
                prompt_tokens,
                idle: Mutex::new(vec![Pooled {
                    state: first,
                    primed: false,
                }]),
                params: Mutex::default(),
            }),
        })
    }

    /// Transcribe on the calling thread (benchmarks, or callers that already run on a blocking
    /// thread). [`Recognizer::transcribe`] is the same on tokio's blocking pool.
    pub fn transcribe_blocking(
        &self,
        audio: &Pcm,
        language: Option<&str>,
    ) -> Result<Transcript, SpeechError> {
        self.inner.transcribe(audio, language)
    }

    /// Decoder states waiting for reuse (for tests and metrics).
    pub fn idle_states(&self) -> usize {
        lock(&self.inner.idle).len()
    }
}

#[async_trait]
impl Recognizer for WhisperRecognizer {
    fn name(&self) -> &str {
        "whisper"
    }

    async fn transcribe(
        &self,
        audio: &Pcm,
        language: Option<&str>,
    ) -> Result<Transcript, SpeechError> {
        let inner = self.inner.clone();
        let audio = audio.clone();
        let language = language.map(str::to_owned);
        tokio::task::spawn_blocking(move || inner.transcribe(&audio, language.as_deref()))
            .await
            .map_err(|e| SpeechError::Failed(format!("whisper task: {e}")))?
    }
}

impl Inner {
    fn transcribe(&self, audio: &Pcm, language: Option<&str>) -> Result<Transcript, SpeechError> {
        let fixed = language.map(language_id).transpose()?;
        if audio.rate == 0 && !audio.samples.is_empty() {
            return Err(SpeechError::Failed("audio without a sample rate".into()));
        }
        if audio.samples.is_empty() {
            return Ok(Transcript {
                text: String::new(),
                language: fixed.and_then(whisper_rs::get_lang_str).map(str::to_owned),
            });
        }
        let started = Instant::now();
        let samples = audio::resample(&audio.samples, audio.rate, RECOGNITION_RATE);
        let mut pcm: Vec<f32> = samples.iter().map(|&s| f32::from(s) / 32768.0).collect();
        if pcm.len() < MIN_SAMPLES {
            pcm.resize(MIN_SAMPLES, 0.0);
        }

        let mut pooled = self.checkout()?;
        if fixed.is_none() && !pooled.primed {
            self.prime(&mut pooled.state)?;
        }
        pooled.primed = true;
        let state = &mut pooled.state;
        let mut language = fixed;
        let mut texts = Vec::new();
        let mut audio_ctx_max = 0;
        for window in windows(&pcm, self.window_samples()) {
            let ctx = audio_ctx(window.len());
            audio_ctx_max = audio_ctx_max.max(ctx);
            let mut params = self.params_for(language);
            params.set_audio_ctx(ctx);
            if !self.prompt_tokens.is_empty() {
                params.set_tokens(&self.prompt_tokens);
            }
            if let Err(e) = state.full(params, window) {
                // A state that failed mid-run is not trusted again; the pool makes a new one.
                return Err(SpeechError::Failed(format!("whisper: {e}")));
            }
            if language.is_none() {
                // Detected on the first window; the rest of the utterance keeps that language.
                let detected = state.full_lang_id_from_state();
                language = (detected >= 0).then_some(detected);
            }
            let mut text = String::new();
            for segment in state.as_iter() {
                match segment.to_str_lossy() {
                    Ok(piece) => text.push_str(&piece),
                    Err(e) => return Err(SpeechError::Failed(format!("whisper segment: {e}"))),
                }
            }
            let text = text.trim();
            if !text.is_empty() {
                texts.push(text.to_owned());
            }
        }
        self.checkin(pooled);

        let transcript = Transcript {
            text: texts.join(" "),
            language: language
                .and_then(whisper_rs::get_lang_str)
                .map(str::to_owned),
        };
        tracing::debug!(
            audio_ms = audio.duration_ms(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            audio_ctx = audio_ctx_max,
            language = transcript.language.as_deref().unwrap_or("?"),
            detected = fixed.is_none(),
            "whisper transcribed"
        );
        Ok(transcript)
    }

    fn window_samples(&self) -> usize {
        let secs = self.settings.max_window_secs.clamp(1, MAX_WINDOW_SECS);
        secs as usize * RECOGNITION_RATE as usize
    }

    fn checkout(&self) -> Result<Pooled, SpeechError> {
        if let Some(pooled) = lock(&self.idle).pop() {
            return Ok(pooled);
        }
        let state = self
            .context
            .create_state()
            .map_err(|e| SpeechError::Failed(format!("cannot allocate a whisper state: {e}")))?;
        Ok(Pooled {
            state,
            primed: false,
        })
    }

    fn checkin(&self, pooled: Pooled) {
        let mut idle = lock(&self.idle);
        if idle.len() < self.settings.max_idle_states {
            idle.push(pooled);
        }
    }

    /// Language detection encodes with the window of the state's previous run (whisper.cpp sets
    /// the window only after detecting), and a state that never ran uses Whisper's full 1500
    /// frames: ~4x the cost of a whole transcription, measured. A short decode of silence with the
    /// smallest window first costs far less, and the state keeps that window for later detection.
    fn prime(&self, state: &mut WhisperState) -> Result<(), SpeechError> {
        let english = language_id("en")?;
        let mut params = self.params_for(Some(english));
        params.set_audio_ctx(MIN_AUDIO_CTX);
        params.set_max_tokens(1);
        state
            .full(params, &[0.0; MIN_SAMPLES])
            .map_err(|e| SpeechError::Failed(format!("whisper: {e}")))
    }

    fn params_for(&self, language: Option<c_int>) -> FullParams<'static, 'static> {
        lock(&self.params)
            .entry(language)
            .or_insert_with(|| {
                let mut p = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
                p.set_n_threads(self.settings.threads.clamp(1, 64) as c_int);
                p.set_translate(false);
                // Each utterance stands alone: a reused state must not carry the last caller's text.
                p.set_no_context(true);
                p.set_no_timestamps(true);
                p.set_single_segment(true);
                p.set_max_tokens(self.settings.max_tokens.min(i32::MAX as u32) as c_int);
                p.set_temperature(0.0);
                // No fallback to sampling at higher temperatures: it multiplies the time on hard
                // audio and a telephone turn cannot wait for it.
                p.set_temperature_inc(0.0);
                p.set_print_special(false);
                p.set_print_progress(false);
                p.set_print_realtime(false);
                p.set_print_timestamps(false);
                p.set_language(language.and_then(whisper_rs::get_lang_str));
                p
            })
            .clone()
    }
}

/// Whisper's id for an ISO 639-1 code (or an English language name, as whisper.cpp allows).
fn language_id(code: &str) -> Result<c_int, SpeechError> {
    // whisper-rs panics on a NUL byte; real codes are letters only.
    let plausible =
        !code.is_empty() && code.len() <= 32 && code.bytes().all(|b| b.is_ascii_alphabetic());
    plausible
        .then(|| whisper_rs::get_lang_id(&code.to_ascii_lowercase()))
        .flatten()
        .ok_or_else(|| SpeechError::Failed(format!("whisper does not know the language {code:?}")))
}

fn tokenize_prompt(context: &WhisperContext, prompt: &str) -> Result<Vec<c_int>, SpeechError> {
    const KEEP: usize = 223;
    let bad = |why: String| SpeechError::Unavailable(format!("whisper initial prompt: {why}"));
    if prompt.contains('\0') {
        return Err(bad("contains a NUL byte".into()));
    }
    // Every token covers at least one byte, so the byte length always has room; whisper-rs
    // mishandles whisper.cpp's "buffer too small" answer, so it must never be given one.
    let mut tokens = context
        .tokenize(prompt, prompt.len() + 1)
        .map_err(|e| bad(e.to_string()))?;
    if tokens.len() > KEEP {
        tracing::warn!(
            tokens = tokens.len(),
            kept = KEEP,
            "whisper initial prompt is long; keeping its end"
        );
        tokens.drain(..tokens.len() - KEEP);
    }
    Ok(tokens)
}

/// Encoder frames for `samples` at 16 kHz: 50 per second plus a margin, at least 512 (shorter
/// windows loop), at most Whisper's 1500.
fn audio_ctx(samples: usize) -> c_int {
    let frames = samples.div_ceil(RECOGNITION_RATE as usize / 50) + 64;
    (frames.min(MAX_AUDIO_CTX as usize) as c_int).max(MIN_AUDIO_CTX)
}

/// `pcm` cut into equal windows of at most `max` samples (no short tail to hallucinate on).
fn windows(pcm: &[f32], max: usize) -> impl Iterator<Item = &[f32]> {
    let count = pcm.len().div_ceil(max.max(1)).max(1);
    pcm.chunks(pcm.len().div_ceil(count).max(1))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::audio::{PHONE_RATE, read_wav};

    #[test]
    fn a_missing_model_is_unavailable_and_says_how_to_get_one() {
        let err = WhisperRecognizer::load(WhisperSettings::new("/nonexistent/ggml-base-q8_0.bin"))
            .unwrap_err();
        let SpeechError::Unavailable(message) = &err else {
            panic!("{err:?}");
        };
        assert!(
            message.contains("/nonexistent/ggml-base-q8_0.bin"),
            "{message}"
        );
        assert!(message.contains("scripts/fetch-whisper-model"), "{message}");
    }

    #[test]
    fn a_file_that_is_not_a_model_is_unavailable_not_a_crash() {
        let dir = std::env::temp_dir().join(format!("frontline-whisper-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("not-a-model.bin");
        std::fs::write(&path, b"RIFF this is not a ggml model at all").unwrap();
        let err = WhisperRecognizer::load(WhisperSettings::new(&path)).unwrap_err();
        assert!(
            matches!(err, SpeechError::Unavailable(ref m) if m.contains("not-a-model.bin")),
            "{err:?}"
        );
        // A directory is not a model either.
        let err = WhisperRecognizer::load(WhisperSettings::new(&dir)).unwrap_err();
        assert!(matches!(err, SpeechError::Unavailable(_)), "{err:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_window_follows_the_audio_within_whispers_limits() {
        let secs = |s: f64| audio_ctx((s * 16_000.0) as usize);
        assert_eq!(secs(0.5), 512);
        assert_eq!(secs(8.96), 512);
        assert_eq!(secs(10.0), 564);
        assert_eq!(secs(20.0), 1064);
        assert_eq!(secs(30.0), 1500);
        assert_eq!(secs(90.0), 1500);
    }

    #[test]
    fn long_audio_is_cut_into_equal_windows() {
        let pcm = vec![0f32; 16_000 * 25];
        let lens: Vec<usize> = windows(&pcm, 16_000 * 10).map(<[f32]>::len).collect();
        assert_eq!(lens, vec![133_334, 133_334, 133_332]);
        let short = vec![0f32; 100];
        assert_eq!(windows(&short, 16_000 * 10).count(), 1);
    }

    /// The real model on real speech: `FRONTLINE_TEST_WHISPER_MODEL` (scripts/fetch-whisper-model) and
    /// `FRONTLINE_TEST_VOICE_FIXTURES` (scripts/voice-fixtures). Skipped without them unless
    /// `FRONTLINE_TEST_REQUIRE_SPEECH=1` (CI), where their absence fails the test.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn recognises_order_questions_at_the_telephone_rate() {
        let required = std::env::var("FRONTLINE_TEST_REQUIRE_SPEECH").is_ok_and(|v| v == "1");
        let (Some(model), Some(fixtures)) = (
            std::env::var_os("FRONTLINE_TEST_WHISPER_MODEL"),
            std::env::var_os("FRONTLINE_TEST_VOICE_FIXTURES"),
        ) else {
            let why = "FRONTLINE_TEST_WHISPER_MODEL and FRONTLINE_TEST_VOICE_FIXTURES must both be set \
                       (scripts/fetch-whisper-model, scripts/voice-fixtures)";
            assert!(!required, "FRONTLINE_TEST_REQUIRE_SPEECH=1 but {why}");
            eprintln!("skipping the real-speech test: {why}");
            return;
        };
        let started = Instant::now();
        let recognizer = WhisperRecognizer::load(WhisperSettings::new(model)).unwrap();
        eprintln!("load: {:?}", started.elapsed());
        let fixtures = Path::new(&fixtures);
        let phone = |file: &str| {
            let bytes =
                std::fs::read(fixtures.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            // What a phone line delivers: 8 kHz. The recogniser brings it back up to 16 kHz.
            read_wav(&bytes).unwrap().resampled(PHONE_RATE)
        };

        // Detection first, on the never-used state from `load` (the priming path): it finds the
        // language and still hears the words.
        let started = Instant::now();
        let detected = recognizer
            .transcribe_blocking(&phone("ru_order_status.wav"), None)
            .unwrap();
        eprintln!("detected {detected:?} in {:?}", started.elapsed());
        assert_eq!(detected.language.as_deref(), Some("ru"), "{detected:?}");
        assert!(
            detected.text.to_lowercase().contains("заказ"),
            "{detected:?}"
        );

        for (file, language, keyword) in [
            ("ru_order_status.wav", "ru", "заказ"),
            ("en_order_status.wav", "en", "order"),
        ] {
            let audio = phone(file);
            let started = Instant::now();
            let heard = recognizer.transcribe(&audio, Some(language)).await.unwrap();
            eprintln!("{file}: {:?} in {:?}", heard.text, started.elapsed());
            assert!(
                heard.text.to_lowercase().contains(keyword),
                "{file}: heard {:?}",
                heard.text
            );
            assert_eq!(heard.language.as_deref(), Some(language));
            assert_eq!(heard.text, heard.text.trim());
        }
        // The states went back to the pool and are reused: same audio, same text.
        assert_eq!(recognizer.idle_states(), 1);
        let audio = phone("ru_order_status.wav");
        let first = recognizer.transcribe_blocking(&audio, Some("ru")).unwrap();
        let again = recognizer.transcribe_blocking(&audio, Some("ru")).unwrap();
        assert_eq!(first, again);

        let err = recognizer
            .transcribe_blocking(&audio, Some("xx"))
            .unwrap_err();
        assert!(matches!(err, SpeechError::Failed(_)), "{err:?}");
        let silence = recognizer.transcribe_blocking(&Pcm::new(PHONE_RATE, Vec::new()), Some("ru"));
        assert_eq!(silence.unwrap().text, "");
    }
}
