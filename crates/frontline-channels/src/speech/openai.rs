//! Recognition and synthesis through an OpenAI-compatible speech API: `POST /audio/transcriptions`
//! (whisper-1, gpt-4o-mini-transcribe, or a self-hosted Whisper server speaking the same protocol)
//! and `POST /audio/speech` (tts-1, gpt-4o-mini-tts, compatible TTS servers).
//!
//! Configured like the engine's chat client: an API root without the endpoint path, an optional
//! key sent only as `Authorization: Bearer …` (local servers need none) and one timeout per request,
//! body included. There are no retries: a caller waits on every turn, and a second attempt after a
//! slow failure costs more than the pipeline's own fallback (a re-prompt or a handoff).
//!
//! The key never reaches a log: the settings' and clients' `Debug` mask it, the header is marked
//! sensitive, and error bodies (which servers use to echo the key they refused) are redacted.

use std::fmt;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use reqwest::header::{self, HeaderValue};
use reqwest::multipart::{Form, Part};
use reqwest::{Client, Response, Url};
use serde::Deserialize;
use serde_json::Value;
use tracing::{debug, warn};

use super::{Recognizer, SpeechError, Synthesizer, Transcript};
use crate::audio::{Pcm, RECOGNITION_RATE, read_wav, slin_to_samples, write_wav};

/// OpenAI's API root. Any compatible server works; point `base_url` at its `/v1`.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

/// The rate of `/audio/speech`'s `pcm` output: raw 24 kHz mono signed 16-bit little-endian, no
/// header (the API documents this; its WAV output is the same samples with a header).
pub const OPENAI_PCM_RATE: u32 = 24_000;

/// The longest `input` `/audio/speech` accepts, in characters; longer texts are spoken in pieces.
pub const MAX_SPEECH_INPUT_CHARS: usize = 4096;

/// Error messages end up in logs; an HTML error page is not worth more than this.
const MAX_MESSAGE_CHARS: usize = 300;

/// What `/audio/speech` returns, its `response_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpeechAudioFormat {
    /// A WAV file. OpenAI streams it with 0xFFFFFFFF in place of the sizes, which
    /// [`read_wav`] accepts.
    #[default]
    Wav,
    /// Raw 24 kHz s16le samples ([`OPENAI_PCM_RATE`]): no header to parse, nothing to get wrong.
    Pcm,
}

impl SpeechAudioFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SpeechAudioFormat::Wav => "wav",
            SpeechAudioFormat::Pcm => "pcm",
        }
    }
}

/// Everything the OpenAI-compatible recogniser and synthesiser need. `Debug` masks the key.
#[derive(Clone, PartialEq)]
pub struct OpenAiSpeechSettings {
    /// API root without the endpoint path, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer …`; `None` (or empty) sends no header, for local servers.
    pub api_key: Option<String>,
    /// Transcription model: `whisper-1`, `gpt-4o-mini-transcribe`, `gpt-4o-transcribe`, or the
    /// server's own name.
    pub stt_model: String,
    /// Speech model: `tts-1`, `tts-1-hd`, `gpt-4o-mini-tts`.
    pub tts_model: String,
    /// Voice of the speech model (`alloy`, `nova`, …). OpenAI's voices speak whatever language the
    /// text is in, so there is one voice for every language of a line.
    pub voice: String,
    pub response_format: SpeechAudioFormat,
    /// How to speak (tone, pace), for models that take `instructions` (gpt-4o-mini-tts; tts-1
    /// rejects the field). Left out of the request when `None`.
    pub instructions: Option<String>,
    /// Per HTTP request, from connecting until the whole body is read.
    pub timeout: Duration,
}

impl Default for OpenAiSpeechSettings {
    fn default() -> Self {
        Self {
            base_url: OPENAI_BASE_URL.to_owned(),
            api_key: None,
            // The original model names: every compatible server knows them.
            stt_model: "whisper-1".to_owned(),
            tts_model: "tts-1".to_owned(),
            voice: "alloy".to_owned(),
            response_format: SpeechAudioFormat::Wav,
            instructions: None,
            timeout: Duration::from_secs(10),
        }
    }
}

impl fmt::Debug for OpenAiSpeechSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiSpeechSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("stt_model", &self.stt_model)
            .field("tts_model", &self.tts_model)
            .field("voice", &self.voice)
            .field("response_format", &self.response_format)
            .field("instructions", &self.instructions)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Speech to text through `POST {base_url}/audio/transcriptions`.
#[derive(Debug, Clone)]
pub struct OpenAiRecognizer {
    api: Api,
}

impl OpenAiRecognizer {
    /// `Unavailable` when the settings cannot work (a base URL that is not http(s), a key that is
    /// not a valid header value).
    pub fn new(settings: OpenAiSpeechSettings) -> Result<Self, SpeechError> {
        Ok(Self {
            api: Api::new(settings, "audio/transcriptions")?,
        })
    }

    pub fn settings(&self) -> &OpenAiSpeechSettings {
        &self.api.settings
    }
}

#[derive(Deserialize)]
struct TranscriptionBody {
    text: String,
}

#[async_trait]
impl Recognizer for OpenAiRecognizer {
    fn name(&self) -> &str {
        "openai"
    }

    async fn transcribe(
        &self,
        audio: &Pcm,
        language: Option<&str>,
    ) -> Result<Transcript, SpeechError> {
        if audio.rate == 0 {
            return Err(SpeechError::Failed("audio without a sample rate".into()));
        }
        if audio.samples.is_empty() {
            // Nothing was said; the API would answer 400 "audio file is too short".
            return Ok(Transcript {
                text: String::new(),
                language: language.map(str::to_owned),
            });
        }
        // Whisper works at 16 kHz whatever it is sent; sending exactly that keeps the upload small
        // and the server's resampler out of the way.
        let wav = if audio.rate == RECOGNITION_RATE {
            write_wav(audio)
        } else {
            write_wav(&audio.resampled(RECOGNITION_RATE))
        };
        let settings = &self.api.settings;
        let file = Part::bytes(wav)
            .file_name("utterance.wav")
            .mime_str("audio/wav")
            .map_err(|e| SpeechError::Failed(format!("multipart: {e}")))?;
        let mut form = Form::new()
            .part("file", file)
            .text("model", settings.stt_model.clone())
            // `json` is the one format every transcription model supports (the gpt-4o ones only
            // json and text); it carries no detected language.
            .text("response_format", "json");
        if let Some(language) = language {
            form = form.text("language", language.to_owned());
        }

        let started = Instant::now();
        let response = self.api.send(self.api.post().multipart(form)).await?;
        let body = self.api.body(response).await?;
        let parsed: TranscriptionBody = serde_json::from_slice(&body).map_err(|e| {
            self.api.fail(SpeechError::Failed(format!(
                "transcription response is not the expected JSON: {e}"
            )))
        })?;
        debug!(
            provider = "openai",
            model = %settings.stt_model,
            audio_ms = audio.duration_ms(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "transcribed"
        );
        Ok(Transcript {
            // Whisper puts a space before the first word.
            text: parsed.text.trim().to_owned(),
            language: language.map(str::to_owned),
        })
    }
}

/// Text to speech through `POST {base_url}/audio/speech`.
#[derive(Debug, Clone)]
pub struct OpenAiSynthesizer {
    api: Api,
}

impl OpenAiSynthesizer {
    /// `Unavailable` when the settings cannot work (see [`OpenAiRecognizer::new`]).
    pub fn new(settings: OpenAiSpeechSettings) -> Result<Self, SpeechError> {
        Ok(Self {
            api: Api::new(settings, "audio/speech")?,
        })
    }

    pub fn settings(&self) -> &OpenAiSpeechSettings {
        &self.api.settings
    }

    /// One request for a piece of at most [`MAX_SPEECH_INPUT_CHARS`].
    async fn speak_piece(&self, input: &str) -> Result<Pcm, SpeechError> {
        let settings = &self.api.settings;
        let mut body = serde_json::json!({
            "model": settings.tts_model,
            "input": input,
            "voice": settings.voice,
            "response_format": settings.response_format.as_str(),
        });
        if let Some(instructions) = &settings.instructions {
            body["instructions"] = Value::String(instructions.clone());
        }
        let request = self
            .api
            .post()
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        let response = self.api.send(request).await?;
        let bytes = self.api.body(response).await?;
        let pcm = match settings.response_format {
            SpeechAudioFormat::Wav => read_wav(&bytes).map_err(|e| {
                self.api.fail(SpeechError::Failed(format!(
                    "speech response is not a WAV: {e}"
                )))
            })?,
            // An odd trailing byte is half a sample: dropped, as `slin_to_samples` does.
            SpeechAudioFormat::Pcm => Pcm::new(OPENAI_PCM_RATE, slin_to_samples(&bytes)),
        };
        if pcm.samples.is_empty() || pcm.rate == 0 {
            return Err(self
                .api
                .fail(SpeechError::Failed("speech response holds no audio".into())));
        }
        Ok(pcm)
    }
}

#[async_trait]
impl Synthesizer for OpenAiSynthesizer {
    fn name(&self) -> &str {
        "openai"
    }

    /// `language` is not sent: the API has no such parameter, its voices read the text's own
    /// language.
    async fn synthesize(&self, text: &str, _language: &str) -> Result<Pcm, SpeechError> {
        let started = Instant::now();
        let mut out: Option<Pcm> = None;
        for piece in split_input(text, MAX_SPEECH_INPUT_CHARS) {
            let pcm = self.speak_piece(piece).await?;
            match &mut out {
                None => out = Some(pcm),
                Some(all) if all.rate == pcm.rate => all.samples.extend(pcm.samples),
                Some(all) => all.samples.extend(pcm.resampled(all.rate).samples),
            }
        }
        // Blank text: silence, without asking a server to say nothing (it would answer 400).
        let pcm = out.unwrap_or_else(|| Pcm::new(OPENAI_PCM_RATE, Vec::new()));
        debug!(
            provider = "openai",
            model = %self.api.settings.tts_model,
            chars = text.chars().count(),
            audio_ms = pcm.duration_ms(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "synthesised"
        );
        Ok(pcm)
    }
}

/// `text` in pieces of at most `max` characters, trimmed and non-empty, cut after a sentence end
/// when one falls in the second half of the window, else at the last space, else mid-word.
fn split_input(text: &str, max: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some((limit, _)) = rest.char_indices().nth(max) else {
            pieces.push(rest);
            break;
        };
        let window = &rest[..limit];
        let half = window.char_indices().nth(max / 2).map_or(0, |(i, _)| i);
        let sentence = window
            .char_indices()
            .rev()
            .find(|&(i, c)| {
                matches!(c, '.' | '!' | '?' | '…' | '\n')
                    && i >= half
                    && rest[i + c.len_utf8()..].starts_with(char::is_whitespace)
            })
            .map(|(i, c)| i + c.len_utf8());
        let cut = sentence
            .or_else(|| window.rfind(char::is_whitespace).filter(|&i| i > 0))
            .unwrap_or(limit);
        let piece = rest[..cut].trim();
        if !piece.is_empty() {
            pieces.push(piece);
        }
        rest = rest[cut..].trim_start();
    }
    pieces
}

/// The HTTP side shared by both clients: one endpoint, its auth header, its timeout.
#[derive(Clone)]
struct Api {
    http: Client,
    endpoint: Url,
    /// `Bearer <key>` marked sensitive, or `None` for servers without auth.
    authorization: Option<HeaderValue>,
    settings: OpenAiSpeechSettings,
}

impl fmt::Debug for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The settings' own Debug masks the key; the header is left out altogether.
        f.debug_struct("Api")
            .field("endpoint", &self.endpoint.as_str())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Api {
    fn new(settings: OpenAiSpeechSettings, path: &str) -> Result<Self, SpeechError> {
        let base = settings.base_url.trim_end_matches('/');
        let endpoint = Url::parse(&format!("{base}/{path}")).map_err(|e| {
            SpeechError::Unavailable(format!("openai speech base_url {base:?}: {e}"))
        })?;
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(SpeechError::Unavailable(format!(
                "openai speech base_url {base:?} is not http(s)"
            )));
        }
        let authorization = match settings.api_key.as_deref() {
            None | Some("") => None,
            Some(key) => {
                // The error must not quote the value: it is the key.
                let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                    SpeechError::Unavailable(
                        "openai speech api_key contains characters not allowed in an HTTP header"
                            .into(),
                    )
                })?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        let http = Client::builder()
            .user_agent(concat!("frontline/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(settings.timeout)
            .build()
            .map_err(|e| SpeechError::Unavailable(format!("http client: {e}")))?;
        Ok(Self {
            http,
            endpoint,
            authorization,
            settings,
        })
    }

    fn post(&self) -> reqwest::RequestBuilder {
        let request = self
            .http
            .post(self.endpoint.clone())
            // Covers the body download too, so a server stalling mid-audio cannot hang a call.
            .timeout(self.settings.timeout);
        match &self.authorization {
            Some(authorization) => request.header(header::AUTHORIZATION, authorization.clone()),
            None => request,
        }
    }

    /// Send, and turn a non-2xx answer into its error.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Response, SpeechError> {
        let response = request
            .send()
            .await
            .map_err(|e| self.fail(self.transport_error(e)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        // A failed read of an error body still leaves the status to go by.
        let body = response.text().await.unwrap_or_default();
        Err(self.fail(status_error(status.as_u16(), &body)))
    }

    async fn body(&self, response: Response) -> Result<Vec<u8>, SpeechError> {
        match response.bytes().await {
            Ok(bytes) => Ok(bytes.to_vec()),
            Err(e) => Err(self.fail(self.transport_error(e))),
        }
    }

    fn transport_error(&self, e: reqwest::Error) -> SpeechError {
        if e.is_timeout() {
            return SpeechError::Timeout(self.settings.timeout);
        }
        if e.is_builder() {
            return SpeechError::Unavailable(e.to_string());
        }
        // reqwest's Display stops at "error sending request"; the cause (refused, reset, DNS) is
        // further down the chain.
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        SpeechError::Failed(message)
    }

    /// Every error leaving the clients goes through here: the key is masked and the failure logged.
    fn fail(&self, error: SpeechError) -> SpeechError {
        let error = match error {
            SpeechError::Unavailable(m) => SpeechError::Unavailable(self.redact(&m)),
            SpeechError::Failed(m) => SpeechError::Failed(self.redact(&m)),
            timeout @ SpeechError::Timeout(_) => timeout,
        };
        warn!(
            provider = "openai",
            endpoint = %self.endpoint,
            error = %error,
            "speech request failed"
        );
        error
    }

    /// `text` with the key replaced by `***`: servers echo refused keys in their error messages.
    fn redact(&self, text: &str) -> String {
        match self.settings.api_key.as_deref() {
            // A very short "key" would mangle ordinary text, and is no real credential anyway.
            Some(key) if key.len() >= 8 => text.replace(key, "***"),
            _ => text.to_owned(),
        }
    }
}

/// A non-2xx answer as the error the call pipeline decides on.
fn status_error(status: u16, body: &str) -> SpeechError {
    let message = body_message(body);
    match status {
        // A wrong, revoked or unauthorised key: no request will work until someone fixes it.
        401 | 403 => {
            SpeechError::Unavailable(format!("http {status} (check the api key): {message}"))
        }
        // A wrong base URL or model name: configuration, like the key.
        404 => SpeechError::Unavailable(format!(
            "http {status} (check base_url and the model): {message}"
        )),
        429 => SpeechError::Failed(format!("rate limited (http 429): {message}")),
        _ => SpeechError::Failed(format!("http {status}: {message}")),
    }
}

/// The human-readable message of an error body, whatever the server's dialect: OpenAI's
/// `{"error":{"message",…}}`, `{"error":"…"}`, a top-level `message`, FastAPI's `detail`
/// (self-hosted Whisper servers), or plain text.
fn body_message(body: &str) -> String {
    if let Ok(value) = serde_json::from_str::<Value>(body) {
        let found = [
            value.pointer("/error/message"),
            value.get("error"),
            value.get("message"),
            value.get("detail"),
        ]
        .into_iter()
        .flatten()
        .find_map(Value::as_str);
        if let Some(text) = found {
            return truncate(text);
        }
        if let Some(detail) = value.get("detail") {
            return truncate(&detail.to_string());
        }
    }
    let trimmed = body.trim();
    if trimmed.is_empty() {
        "(empty body)".to_owned()
    } else {
        truncate(trimmed)
    }
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    //! Against `openai-sim`, a local server that speaks the documented wire format of OpenAI's
    //! audio endpoints: it checks the bearer key, parses the multipart upload and the JSON body the
    //! way the real API does (unknown JSON fields and missing ones are 400s), and answers with
    //! OpenAI's own shapes (`{"text"}`, a streamed WAV with unknown sizes, raw 24 kHz PCM,
    //! `{"error":{…}}`).

    use openai_sim::{Endpoint, OpenAiSim, Reply, SimConfig};
    use serde_json::json;

    use super::*;

    const KEY: &str = "sk-test-0123456789abcdef";

    struct Server {
        sim: OpenAiSim,
        endpoint: Endpoint,
    }

    impl Server {
        /// A server accepting `key` (`None`: a local server without auth) whose `endpoint` answers
        /// with `replies`.
        async fn start(key: Option<&str>, endpoint: Endpoint, replies: Vec<Reply>) -> Self {
            let sim = OpenAiSim::spawn(SimConfig {
                api_key: key.map(str::to_owned),
                ..SimConfig::default()
            })
            .await
            .unwrap();
            sim.script(endpoint, replies);
            Self { sim, endpoint }
        }

        fn settings(&self) -> OpenAiSpeechSettings {
            OpenAiSpeechSettings {
                base_url: self.sim.base_url().to_owned(),
                api_key: Some(KEY.into()),
                timeout: Duration::from_secs(5),
                ..OpenAiSpeechSettings::default()
            }
        }

        /// What the scripted endpoint received.
        fn seen(&self) -> Vec<openai_sim::Request> {
            self.sim.requests_to(self.endpoint)
        }
    }

    /// `ms` of a 440 Hz tone at `rate`.
    fn tone(rate: u32, ms: u64) -> Pcm {
        let n = (u64::from(rate) * ms / 1000) as usize;
        let samples = (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(rate);
                ((t * 440.0 * std::f64::consts::TAU).sin() * 8000.0) as i16
            })
            .collect();
        Pcm::new(rate, samples)
    }

    fn ramp(n: usize) -> Vec<i16> {
        (0..n).map(|i| (i as i16).wrapping_mul(7)).collect()
    }

    fn assert_no_key(error: &SpeechError) {
        assert!(
            !format!("{error} {error:?}").contains("0123456789abcdef"),
            "the key leaked: {error:?}"
        );
    }

    // ---- recognition ----------------------------------------------------------------------------

    #[tokio::test]
    async fn transcribes_a_16_khz_wav_upload() {
        let server = Server::start(
            Some(KEY),
            Endpoint::Transcriptions,
            vec![Reply::json(json!({
                "text": " Где мой заказ?",
                "usage": {"type": "tokens", "input_tokens": 14, "output_tokens": 5,
                          "total_tokens": 19, "input_token_details": {"text_tokens": 0,
                          "audio_tokens": 14}}
            }))],
        )
        .await;
        let recognizer = OpenAiRecognizer::new(OpenAiSpeechSettings {
            stt_model: "gpt-4o-mini-transcribe".into(),
            ..server.settings()
        })
        .unwrap();
        assert_eq!(recognizer.name(), "openai");

        // Telephone audio: the upload must be resampled to 16 kHz.
        let transcript = recognizer
            .transcribe(&tone(8_000, 1_000), Some("ru"))
            .await
            .unwrap();
        assert_eq!(
            transcript,
            Transcript {
                text: "Где мой заказ?".into(),
                language: Some("ru".into())
            }
        );

        let seen = server.seen();
        assert_eq!(seen.len(), 1);
        let request = &seen[0];
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        let names: Vec<&str> = request.fields.keys().map(String::as_str).collect();
        assert_eq!(names, ["file", "language", "model", "response_format"]);
        assert_eq!(request.fields["model"].text(), "gpt-4o-mini-transcribe");
        assert_eq!(request.fields["language"].text(), "ru");
        assert_eq!(request.fields["response_format"].text(), "json");
        let file = &request.fields["file"];
        assert_eq!(file.file_name.as_deref(), Some("utterance.wav"));
        assert_eq!(file.content_type.as_deref(), Some("audio/wav"));
        let uploaded = read_wav(&file.bytes).unwrap();
        assert_eq!(uploaded.rate, 16_000);
        assert_eq!(uploaded.duration_ms(), 1_000);
    }

    #[tokio::test]
    async fn detected_language_sends_no_language_and_16_khz_goes_as_is() {
        let server = Server::start(
            Some(KEY),
            Endpoint::Transcriptions,
            vec![Reply::json(json!({"text": "Where is my order?"}))],
        )
        .await;
        let recognizer = OpenAiRecognizer::new(server.settings()).unwrap();
        let audio = Pcm::new(16_000, ramp(8_000));
        let transcript = recognizer.transcribe(&audio, None).await.unwrap();
        assert_eq!(transcript.text, "Where is my order?");
        assert_eq!(transcript.language, None);

        let request = &server.seen()[0];
        assert!(!request.fields.contains_key("language"));
        assert_eq!(request.fields["model"].text(), "whisper-1");
        // Byte for byte what was given: no needless resampling.
        assert_eq!(read_wav(&request.fields["file"].bytes).unwrap(), audio);
    }

    #[tokio::test]
    async fn without_a_key_no_authorization_is_sent() {
        let server = Server::start(
            None,
            Endpoint::Transcriptions,
            vec![Reply::json(json!({"text": "да"}))],
        )
        .await;
        let recognizer = OpenAiRecognizer::new(OpenAiSpeechSettings {
            api_key: None,
            ..server.settings()
        })
        .unwrap();
        let transcript = recognizer
            .transcribe(&tone(16_000, 300), Some("ru"))
            .await
            .unwrap();
        assert_eq!(transcript.text, "да");
        assert_eq!(server.seen()[0].header("authorization"), None);

        // An empty key is no key either.
        let recognizer = OpenAiRecognizer::new(OpenAiSpeechSettings {
            api_key: Some(String::new()),
            ..server.settings()
        })
        .unwrap();
        let err = recognizer
            .transcribe(&tone(16_000, 300), None)
            .await
            .unwrap_err();
        assert_eq!(server.seen()[1].header("authorization"), None);
        // The script ran out: the server's 500 comes back as a failed request.
        assert!(matches!(err, SpeechError::Failed(m) if m.contains("500")));
    }

    #[tokio::test]
    async fn a_refused_key_is_unavailable_and_never_quoted() {
        let server = Server::start(
            Some("sk-the-right-key-000000"),
            Endpoint::Transcriptions,
            vec![],
        )
        .await;
        let recognizer = OpenAiRecognizer::new(server.settings()).unwrap();
        let err = recognizer
            .transcribe(&tone(16_000, 300), None)
            .await
            .unwrap_err();
        let SpeechError::Unavailable(message) = &err else {
            panic!("expected Unavailable, got {err:?}");
        };
        assert!(message.contains("401"), "{message}");
        assert!(
            message.contains("Incorrect API key provided: ***"),
            "{message}"
        );
        assert_no_key(&err);

        let synthesizer = OpenAiSynthesizer::new(server.settings()).unwrap();
        let err = synthesizer
            .synthesize("Здравствуйте", "ru")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, SpeechError::Unavailable(m) if m.contains("401")),
            "{err:?}"
        );
        assert_no_key(&err);
    }

    #[tokio::test]
    async fn statuses_map_to_errors_with_the_status() {
        let server = Server::start(
            Some(KEY),
            Endpoint::Transcriptions,
            vec![
                Reply::error(403, "Project does not have access to model")
                    .with_code("model_not_found"),
                Reply::error(404, "The model `whisper-2` does not exist")
                    .with_code("model_not_found"),
                Reply::error(429, "Rate limit reached for requests")
                    .with_code("rate_limit_exceeded"),
                Reply::error(503, "The server is overloaded").with_code("server_error"),
                Reply::raw(502, "text/html", b"<html>bad gateway</html>".to_vec()),
                Reply::error(400, "Audio file is too short.").with_code("audio_too_short"),
                // FastAPI-style servers (self-hosted Whisper) put the message in `detail`.
                Reply::raw(
                    422,
                    "application/json",
                    br#"{"detail":"unsupported language xx"}"#.to_vec(),
                ),
            ],
        )
        .await;
        let recognizer = OpenAiRecognizer::new(server.settings()).unwrap();
        let audio = tone(16_000, 300);
        let mut errors = Vec::new();
        for _ in 0..7 {
            errors.push(recognizer.transcribe(&audio, None).await.unwrap_err());
        }
        let expected = [
            SpeechError::Unavailable(
                "http 403 (check the api key): Project does not have access to model".into(),
            ),
            SpeechError::Unavailable(
                "http 404 (check base_url and the model): The model `whisper-2` does not exist"
                    .into(),
            ),
            SpeechError::Failed("rate limited (http 429): Rate limit reached for requests".into()),
            SpeechError::Failed("http 503: The server is overloaded".into()),
            SpeechError::Failed("http 502: <html>bad gateway</html>".into()),
            SpeechError::Failed("http 400: Audio file is too short.".into()),
            SpeechError::Failed("http 422: unsupported language xx".into()),
        ];
        assert_eq!(errors, expected);
    }

    #[tokio::test]
    async fn malformed_transcriptions_fail() {
        let server = Server::start(
            Some(KEY),
            Endpoint::Transcriptions,
            vec![
                Reply::raw(
                    200,
                    "application/json",
                    b"{\"text\": \"unterminated".to_vec(),
                ),
                Reply::json(json!({"transcript": "wrong field"})),
                Reply::raw(200, "text/plain", b"plain text".to_vec()),
            ],
        )
        .await;
        let recognizer = OpenAiRecognizer::new(server.settings()).unwrap();
        for _ in 0..3 {
            let err = recognizer
                .transcribe(&tone(16_000, 300), None)
                .await
                .unwrap_err();
            assert!(
                matches!(&err, SpeechError::Failed(m) if m.contains("not the expected JSON")),
                "{err:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_slow_server_times_out() {
        let server = Server::start(
            Some(KEY),
            Endpoint::Transcriptions,
            vec![Reply::transcript("too late").delayed(Duration::from_secs(3))],
        )
        .await;
        let timeout = Duration::from_millis(300);
        let recognizer = OpenAiRecognizer::new(OpenAiSpeechSettings {
            timeout,
            ..server.settings()
        })
        .unwrap();
        let started = Instant::now();
        let err = recognizer
            .transcribe(&tone(16_000, 300), None)
            .await
            .unwrap_err();
        assert_eq!(err, SpeechError::Timeout(timeout));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn empty_audio_needs_no_request_and_nobody_listening_fails() {
        let server = Server::start(Some(KEY), Endpoint::Transcriptions, vec![]).await;
        let recognizer = OpenAiRecognizer::new(server.settings()).unwrap();
        let transcript = recognizer
            .transcribe(&Pcm::new(8_000, Vec::new()), Some("en"))
            .await
            .unwrap();
        assert_eq!(transcript.text, "");
        assert!(server.seen().is_empty());

        // A port nobody listens on: a failed request, not a crash and not "unavailable".
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = closed.local_addr().unwrap();
        drop(closed);
        let recognizer = OpenAiRecognizer::new(OpenAiSpeechSettings {
            base_url: format!("http://{addr}/v1"),
            ..server.settings()
        })
        .unwrap();
        let err = recognizer
            .transcribe(&tone(16_000, 300), None)
            .await
            .unwrap_err();
        assert!(matches!(err, SpeechError::Failed(_)), "{err:?}");
    }

    // ---- synthesis ------------------------------------------------------------------------------

    #[tokio::test]
    async fn synthesises_from_a_streamed_wav() {
        let samples = ramp(4_800);
        let server = Server::start(
            Some(KEY),
            Endpoint::Speech,
            vec![Reply::audio(samples.clone())],
        )
        .await;
        let synthesizer = OpenAiSynthesizer::new(server.settings()).unwrap();
        assert_eq!(synthesizer.name(), "openai");
        let pcm = synthesizer
            .synthesize("Ваш заказ в пути.", "ru")
            .await
            .unwrap();
        assert_eq!(pcm, Pcm::new(24_000, samples));

        let request = &server.seen()[0];
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        assert_eq!(
            request.json,
            json!({"model": "tts-1", "input": "Ваш заказ в пути.", "voice": "alloy",
                   "response_format": "wav"})
        );
    }

    #[tokio::test]
    async fn synthesises_raw_pcm_with_instructions() {
        let samples = ramp(2_401);
        let server = Server::start(
            Some(KEY),
            Endpoint::Speech,
            vec![Reply::audio(samples.clone())],
        )
        .await;
        let synthesizer = OpenAiSynthesizer::new(OpenAiSpeechSettings {
            tts_model: "gpt-4o-mini-tts".into(),
            voice: "nova".into(),
            response_format: SpeechAudioFormat::Pcm,
            instructions: Some("Speak calmly and clearly.".into()),
            ..server.settings()
        })
        .unwrap();
        let pcm = synthesizer.synthesize("Hello!", "en").await.unwrap();
        assert_eq!(pcm, Pcm::new(OPENAI_PCM_RATE, samples));
        assert_eq!(
            server.seen()[0].json,
            json!({"model": "gpt-4o-mini-tts", "input": "Hello!", "voice": "nova",
                   "response_format": "pcm", "instructions": "Speak calmly and clearly."})
        );
    }

    #[tokio::test]
    async fn long_text_is_spoken_in_pieces_the_api_accepts() {
        let sentence = "Ваш заказ номер двенадцать тысяч триста сорок пять уже в пути. ";
        // The greeting shifts the sentences so that the API's limit falls mid-sentence.
        let text = format!("Здравствуйте! {}", sentence.repeat(150));
        let pieces = split_input(&text, MAX_SPEECH_INPUT_CHARS);
        assert!(pieces.len() >= 3);
        let server = Server::start(
            Some(KEY),
            Endpoint::Speech,
            (0..pieces.len())
                .map(|i| Reply::audio(vec![i as i16; 100]))
                .collect(),
        )
        .await;
        let synthesizer = OpenAiSynthesizer::new(server.settings()).unwrap();
        let pcm = synthesizer.synthesize(&text, "ru").await.unwrap();
        let expected: Vec<i16> = (0..pieces.len())
            .flat_map(|i| vec![i as i16; 100])
            .collect();
        assert_eq!(pcm.samples, expected, "pieces in order");

        let inputs: Vec<String> = server
            .seen()
            .iter()
            .map(|s| s.json["input"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(inputs, pieces);
        assert!(
            inputs.iter().all(|i| i.ends_with("пути.")),
            "cut after sentences"
        );
        assert_eq!(inputs.concat().replace(' ', ""), text.replace(' ', ""));
    }

    #[tokio::test]
    async fn bad_audio_and_errors_fail_the_synthesis() {
        let server = Server::start(
            Some(KEY),
            Endpoint::Speech,
            vec![
                Reply::raw(200, "audio/wav", b"ID3\x04not a wav at all".to_vec()),
                Reply::raw(200, "audio/wav", Vec::new()),
                Reply::error(
                    500,
                    "The server had an error while processing your request.",
                ),
                Reply::error(429, "You exceeded your current quota")
                    .with_code("insufficient_quota"),
            ],
        )
        .await;
        let synthesizer = OpenAiSynthesizer::new(server.settings()).unwrap();
        let mut errors = Vec::new();
        for _ in 0..4 {
            errors.push(synthesizer.synthesize("Алло", "ru").await.unwrap_err());
        }
        assert!(
            matches!(&errors[0], SpeechError::Failed(m) if m.contains("not a WAV")),
            "{errors:?}"
        );
        assert!(matches!(&errors[1], SpeechError::Failed(_)), "{errors:?}");
        assert_eq!(
            errors[2],
            SpeechError::Failed(
                "http 500: The server had an error while processing your request.".into()
            )
        );
        assert!(matches!(&errors[3], SpeechError::Failed(m) if m.contains("429")));

        // A well-formed answer without samples is no audio either: a WAV header alone, an empty
        // PCM body.
        let server = Server::start(
            Some(KEY),
            Endpoint::Speech,
            vec![Reply::audio(Vec::new()), Reply::audio(Vec::new())],
        )
        .await;
        for response_format in [SpeechAudioFormat::Wav, SpeechAudioFormat::Pcm] {
            let synthesizer = OpenAiSynthesizer::new(OpenAiSpeechSettings {
                response_format,
                ..server.settings()
            })
            .unwrap();
            let err = synthesizer.synthesize("Алло", "ru").await.unwrap_err();
            assert_eq!(
                err,
                SpeechError::Failed("speech response holds no audio".into())
            );
        }
    }

    #[tokio::test]
    async fn blank_text_is_silence_without_a_request() {
        let server = Server::start(Some(KEY), Endpoint::Speech, vec![]).await;
        let synthesizer = OpenAiSynthesizer::new(server.settings()).unwrap();
        let pcm = synthesizer.synthesize("  \n ", "ru").await.unwrap();
        assert!(pcm.samples.is_empty());
        assert!(server.seen().is_empty());
    }

    // ---- settings and helpers -------------------------------------------------------------------

    #[test]
    fn debug_never_shows_the_key() {
        let settings = OpenAiSpeechSettings {
            api_key: Some(KEY.into()),
            ..OpenAiSpeechSettings::default()
        };
        let recognizer = OpenAiRecognizer::new(settings.clone()).unwrap();
        let synthesizer = OpenAiSynthesizer::new(settings.clone()).unwrap();
        for shown in [
            format!("{settings:?}"),
            format!("{recognizer:?}"),
            format!("{synthesizer:?}"),
        ] {
            assert!(!shown.contains("0123456789abcdef"), "{shown}");
            assert!(shown.contains("***"), "{shown}");
        }
    }

    #[test]
    fn unusable_settings_are_unavailable_without_quoting_the_key() {
        let bad_key = OpenAiSpeechSettings {
            api_key: Some("sk-bad\nkey-0123456789abcdef".into()),
            ..OpenAiSpeechSettings::default()
        };
        let err = OpenAiRecognizer::new(bad_key).unwrap_err();
        assert!(matches!(err, SpeechError::Unavailable(_)));
        assert_no_key(&err);
        for base_url in ["ftp://example.com/v1", "not a url"] {
            let settings = OpenAiSpeechSettings {
                base_url: base_url.into(),
                ..OpenAiSpeechSettings::default()
            };
            assert!(matches!(
                OpenAiSynthesizer::new(settings),
                Err(SpeechError::Unavailable(_))
            ));
        }
        // A trailing slash is tolerated.
        let settings = OpenAiSpeechSettings {
            base_url: "https://api.openai.com/v1/".into(),
            ..OpenAiSpeechSettings::default()
        };
        let synthesizer = OpenAiSynthesizer::new(settings).unwrap();
        assert_eq!(
            synthesizer.api.endpoint.as_str(),
            "https://api.openai.com/v1/audio/speech"
        );
    }

    fn check_split(text: &str, max: usize, expected: &[&str]) {
        assert_eq!(split_input(text, max), expected, "{text:?} by {max}");
    }

    #[test]
    fn split_input_prefers_sentences_then_spaces() {
        check_split("", 10, &[]);
        check_split("   ", 10, &[]);
        check_split(" short ", 10, &["short"]);
        check_split("exactly10!", 10, &["exactly10!"]);
        // A sentence end in the second half of the window wins over a later space.
        check_split(
            "One two. Three four five",
            12,
            &["One two.", "Three four", "five"],
        );
        check_split("Aaa bbb. Cc dd ee", 14, &["Aaa bbb.", "Cc dd ee"]);
        // A sentence end too early in the window would make tiny pieces: the last space instead.
        check_split("Hi. one two three four", 16, &["Hi. one two", "three four"]);
        // No space at all: cut mid-word, on character (not byte) boundaries.
        check_split("ЖЖЖЖЖЖЖЖЖЖЖЖ", 5, &["ЖЖЖЖЖ", "ЖЖЖЖЖ", "ЖЖ"]);
        check_split(
            "Да! Нет? Может…  Посмотрим",
            10,
            &["Да! Нет?", "Может…", "Посмотрим"],
        );
    }

    #[test]
    fn error_bodies_in_every_dialect() {
        assert_eq!(body_message(r#"{"error":{"message":"m","code":"c"}}"#), "m");
        assert_eq!(body_message(r#"{"error":"plain"}"#), "plain");
        assert_eq!(body_message(r#"{"message":"top"}"#), "top");
        assert_eq!(body_message(r#"{"detail":"fastapi"}"#), "fastapi");
        assert_eq!(
            body_message(r#"{"detail":[{"loc":["body","file"],"msg":"field required"}]}"#),
            r#"[{"loc":["body","file"],"msg":"field required"}]"#
        );
        assert_eq!(body_message("  "), "(empty body)");
        assert_eq!(
            body_message(&"x".repeat(1000)).chars().count(),
            MAX_MESSAGE_CHARS + 1
        );
    }
}
