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
use crate::voice::audio::{Pcm, RECOGNITION_RATE, read_wav, slin_to_samples, write_wav};

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
    //! Against a local server that speaks the documented wire format of OpenAI's audio endpoints:
    //! it checks the bearer key, parses the multipart upload and the JSON body the way the real API
    //! does (unknown JSON fields and missing ones are 400s), and answers with OpenAI's own shapes
    //! (`{"text"}` with usage, a streamed WAV with unknown sizes, raw 24 kHz PCM, `{"error":{…}}`).

    use std::collections::{BTreeMap, VecDeque};
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::body::Bytes;
    use axum::extract::{Multipart, State};
    use axum::http::{HeaderMap, StatusCode, header};
    use axum::response::{IntoResponse, Response};
    use axum::routing::post;
    use serde_json::json;

    use super::*;
    use crate::voice::audio::samples_to_slin;

    const KEY: &str = "sk-test-0123456789abcdef";

    /// What the test script makes the server answer next.
    enum Reply {
        /// 200 with this JSON.
        Json(Value),
        /// 200 with audio of these samples, in the format the request asked for.
        Audio(Vec<i16>),
        /// Any status, content type and body.
        Raw(u16, &'static str, Vec<u8>),
        /// An error in OpenAI's shape.
        Error(u16, &'static str, &'static str),
        /// Wait this long, then answer with the next reply.
        Stall(Duration),
    }

    /// One multipart field as the server parsed it.
    #[derive(Debug, Clone)]
    struct Field {
        file_name: Option<String>,
        content_type: Option<String>,
        bytes: Vec<u8>,
    }

    impl Field {
        fn text(&self) -> &str {
            std::str::from_utf8(&self.bytes).unwrap()
        }
    }

    /// A request as the server received it.
    #[derive(Debug, Clone)]
    struct Seen {
        authorization: Option<String>,
        fields: BTreeMap<String, Field>,
        json: Value,
    }

    struct Sim {
        /// The key the server accepts; `None`: a local server without auth.
        key: Option<&'static str>,
        replies: Mutex<VecDeque<Reply>>,
        seen: Mutex<Vec<Seen>>,
    }

    struct Server {
        sim: Arc<Sim>,
        base_url: String,
    }

    impl Server {
        /// Binds before returning, so the first request cannot race the start-up.
        async fn start(key: Option<&'static str>, replies: Vec<Reply>) -> Self {
            let sim = Arc::new(Sim {
                key,
                replies: Mutex::new(replies.into()),
                seen: Mutex::default(),
            });
            let app = Router::new()
                .route("/v1/audio/transcriptions", post(transcriptions))
                .route("/v1/audio/speech", post(speech))
                .with_state(sim.clone());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
            Self {
                sim,
                base_url: format!("http://{addr}/v1"),
            }
        }

        fn settings(&self) -> OpenAiSpeechSettings {
            OpenAiSpeechSettings {
                base_url: self.base_url.clone(),
                api_key: Some(KEY.into()),
                timeout: Duration::from_secs(5),
                ..OpenAiSpeechSettings::default()
            }
        }

        fn seen(&self) -> Vec<Seen> {
            self.sim.seen.lock().unwrap().clone()
        }
    }

    fn openai_error(status: u16, message: &str, code: &str) -> Response {
        let body = json!({"error": {
            "message": message, "type": "invalid_request_error", "param": null, "code": code
        }});
        (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response()
    }

    /// The `Authorization` header when the server accepts it, else the 401 to answer. OpenAI's
    /// 401 quotes (part of) the refused key; this one quotes all of it, to prove the clients never
    /// pass a key on.
    fn check_key(
        sim: &Sim,
        headers: &HeaderMap,
    ) -> Result<Option<String>, (u16, String, &'static str)> {
        let got = headers
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap().to_owned());
        match (sim.key, &got) {
            (None, _) => Ok(got),
            (Some(key), Some(got)) if *got == format!("Bearer {key}") => Ok(Some(got.clone())),
            (Some(_), Some(got)) => Err((
                401,
                format!(
                    "Incorrect API key provided: {}. You can find your API key at \
                     https://platform.openai.com/account/api-keys.",
                    got.trim_start_matches("Bearer ")
                ),
                "invalid_api_key",
            )),
            (Some(_), None) => Err((
                401,
                "You didn't provide an API key. You need to provide your API key in an \
                 Authorization header using Bearer auth."
                    .to_owned(),
                "missing_api_key",
            )),
        }
    }

    async fn next_reply(sim: &Sim) -> Option<Reply> {
        loop {
            let reply = sim.replies.lock().unwrap().pop_front();
            match reply {
                Some(Reply::Stall(wait)) => tokio::time::sleep(wait).await,
                other => return other,
            }
        }
    }

    async fn transcriptions(
        State(sim): State<Arc<Sim>>,
        headers: HeaderMap,
        mut multipart: Multipart,
    ) -> Response {
        let authorization = match check_key(&sim, &headers) {
            Ok(a) => a,
            Err((status, message, code)) => return openai_error(status, &message, code),
        };
        let mut fields = BTreeMap::new();
        loop {
            match multipart.next_field().await {
                Ok(Some(field)) => {
                    let name = field.name().unwrap_or_default().to_owned();
                    let file_name = field.file_name().map(str::to_owned);
                    let content_type = field.content_type().map(str::to_owned);
                    let bytes = field.bytes().await.unwrap().to_vec();
                    fields.insert(
                        name,
                        Field {
                            file_name,
                            content_type,
                            bytes,
                        },
                    );
                }
                Ok(None) => break,
                Err(e) => return openai_error(400, &format!("bad multipart: {e}"), "bad_request"),
            }
        }
        // The API's own checks: a file with a known extension, a model, a known format.
        let Some(file) = fields.get("file") else {
            return openai_error(
                400,
                "Missing required parameter: 'file'.",
                "missing_parameter",
            );
        };
        let known = [
            "flac", "mp3", "mp4", "mpeg", "mpga", "m4a", "ogg", "wav", "webm",
        ];
        let extension_ok = file
            .file_name
            .as_deref()
            .and_then(|n| n.rsplit_once('.'))
            .is_some_and(|(_, ext)| known.contains(&ext));
        if !extension_ok {
            return openai_error(400, "Unrecognized file format.", "invalid_value");
        }
        if !fields.contains_key("model") {
            return openai_error(
                400,
                "Missing required parameter: 'model'.",
                "missing_parameter",
            );
        }
        let format = fields.get("response_format").map_or("json", Field::text);
        if !["json", "text", "srt", "verbose_json", "vtt"].contains(&format) {
            return openai_error(400, "Invalid response_format.", "invalid_value");
        }
        sim.seen.lock().unwrap().push(Seen {
            authorization,
            fields,
            json: Value::Null,
        });
        render(next_reply(&sim).await, SpeechAudioFormat::Wav)
    }

    async fn speech(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
        let authorization = match check_key(&sim, &headers) {
            Ok(a) => a,
            Err((status, message, code)) => return openai_error(status, &message, code),
        };
        let is_json = headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        if !is_json {
            return openai_error(400, "Content-Type must be application/json", "bad_request");
        }
        let Ok(json) = serde_json::from_slice::<Value>(&body) else {
            return openai_error(400, "We could not parse the JSON body of your request.", "");
        };
        if let Err(message) = validate_speech(&json) {
            return openai_error(400, &message, "invalid_request_error");
        }
        let format = match json["response_format"].as_str() {
            Some("pcm") => SpeechAudioFormat::Pcm,
            _ => SpeechAudioFormat::Wav,
        };
        sim.seen.lock().unwrap().push(Seen {
            authorization,
            fields: BTreeMap::new(),
            json,
        });
        render(next_reply(&sim).await, format)
    }

    /// The checks the API makes on a speech request, strict about unknown parameters.
    fn validate_speech(body: &Value) -> Result<(), String> {
        const KNOWN: [&str; 7] = [
            "model",
            "input",
            "voice",
            "instructions",
            "response_format",
            "speed",
            "stream_format",
        ];
        let object = body.as_object().ok_or("body is not a JSON object")?;
        if let Some(key) = object.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!("Unrecognized request argument supplied: {key}"));
        }
        for required in ["model", "input", "voice"] {
            if !object.get(required).is_some_and(Value::is_string) {
                return Err(format!("Missing required parameter: '{required}'."));
            }
        }
        let input = object["input"].as_str().unwrap_or_default();
        if input.is_empty() || input.chars().count() > MAX_SPEECH_INPUT_CHARS {
            return Err("'input' must be 1 to 4096 characters".into());
        }
        let format_ok = object.get("response_format").is_none_or(|f| {
            ["mp3", "opus", "aac", "flac", "wav", "pcm"].contains(&f.as_str().unwrap_or(""))
        });
        if !format_ok {
            return Err("Invalid value for 'response_format'.".into());
        }
        Ok(())
    }

    fn render(reply: Option<Reply>, format: SpeechAudioFormat) -> Response {
        match reply {
            Some(Reply::Json(body)) => axum::Json(body).into_response(),
            Some(Reply::Audio(samples)) => match format {
                SpeechAudioFormat::Wav => (
                    [(header::CONTENT_TYPE, "audio/wav")],
                    streamed_wav(&samples),
                )
                    .into_response(),
                SpeechAudioFormat::Pcm => (
                    [(header::CONTENT_TYPE, "audio/pcm")],
                    samples_to_slin(&samples),
                )
                    .into_response(),
            },
            Some(Reply::Raw(status, content_type, body)) => (
                StatusCode::from_u16(status).unwrap(),
                [(header::CONTENT_TYPE, content_type)],
                body,
            )
                .into_response(),
            Some(Reply::Error(status, message, code)) => openai_error(status, message, code),
            Some(Reply::Stall(_)) => unreachable!("stalls are consumed by next_reply"),
            None => openai_error(500, "test script has no reply left", "server_error"),
        }
    }

    /// A WAV as OpenAI streams it: 24 kHz mono s16le, with 0xFFFFFFFF for the RIFF and data sizes
    /// because the length is not known when the header goes out.
    fn streamed_wav(samples: &[i16]) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(b"RIFF");
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(b"WAVEfmt ");
        out.extend_from_slice(&16u32.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&1u16.to_le_bytes());
        out.extend_from_slice(&OPENAI_PCM_RATE.to_le_bytes());
        out.extend_from_slice(&(OPENAI_PCM_RATE * 2).to_le_bytes());
        out.extend_from_slice(&2u16.to_le_bytes());
        out.extend_from_slice(&16u16.to_le_bytes());
        out.extend_from_slice(b"data");
        out.extend_from_slice(&u32::MAX.to_le_bytes());
        out.extend_from_slice(&samples_to_slin(samples));
        out
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
            vec![Reply::Json(json!({
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
            request.authorization.as_deref(),
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
            vec![Reply::Json(json!({"text": "Where is my order?"}))],
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
        let server = Server::start(None, vec![Reply::Json(json!({"text": "да"}))]).await;
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
        assert_eq!(server.seen()[0].authorization, None);

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
        assert_eq!(server.seen()[1].authorization, None);
        // The script ran out: the server's 500 comes back as a failed request.
        assert!(matches!(err, SpeechError::Failed(m) if m.contains("500")));
    }

    #[tokio::test]
    async fn a_refused_key_is_unavailable_and_never_quoted() {
        let server = Server::start(Some("sk-the-right-key-000000"), vec![]).await;
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
            vec![
                Reply::Error(
                    403,
                    "Project does not have access to model",
                    "model_not_found",
                ),
                Reply::Error(
                    404,
                    "The model `whisper-2` does not exist",
                    "model_not_found",
                ),
                Reply::Error(
                    429,
                    "Rate limit reached for requests",
                    "rate_limit_exceeded",
                ),
                Reply::Error(503, "The server is overloaded", "server_error"),
                Reply::Raw(502, "text/html", b"<html>bad gateway</html>".to_vec()),
                Reply::Error(400, "Audio file is too short.", "audio_too_short"),
                // FastAPI-style servers (self-hosted Whisper) put the message in `detail`.
                Reply::Raw(
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
            vec![
                Reply::Raw(
                    200,
                    "application/json",
                    b"{\"text\": \"unterminated".to_vec(),
                ),
                Reply::Json(json!({"transcript": "wrong field"})),
                Reply::Raw(200, "text/plain", b"plain text".to_vec()),
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
            vec![
                Reply::Stall(Duration::from_secs(3)),
                Reply::Json(json!({"text": "too late"})),
            ],
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
        let server = Server::start(Some(KEY), vec![]).await;
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
        let server = Server::start(Some(KEY), vec![Reply::Audio(samples.clone())]).await;
        let synthesizer = OpenAiSynthesizer::new(server.settings()).unwrap();
        assert_eq!(synthesizer.name(), "openai");
        let pcm = synthesizer
            .synthesize("Ваш заказ в пути.", "ru")
            .await
            .unwrap();
        assert_eq!(pcm, Pcm::new(24_000, samples));

        let request = &server.seen()[0];
        assert_eq!(
            request.authorization.as_deref(),
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
        let server = Server::start(Some(KEY), vec![Reply::Audio(samples.clone())]).await;
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
            (0..pieces.len())
                .map(|i| Reply::Audio(vec![i as i16; 100]))
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
            vec![
                Reply::Raw(200, "audio/wav", b"ID3\x04not a wav at all".to_vec()),
                Reply::Raw(200, "audio/wav", Vec::new()),
                Reply::Error(
                    500,
                    "The server had an error while processing your request.",
                    "",
                ),
                Reply::Error(429, "You exceeded your current quota", "insufficient_quota"),
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
            vec![Reply::Audio(Vec::new()), Reply::Audio(Vec::new())],
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
        let server = Server::start(Some(KEY), vec![]).await;
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
