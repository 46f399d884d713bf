//! `openai-sim`: a local double of an OpenAI-compatible API, for the tests of the clients that call
//! one (the engine's chat client, the voice channel's recogniser and synthesiser).
//!
//! Like `avito-sim` for Avito, this is a **test double of an external service**: clients are tested
//! against it over real HTTP, never by mocking their own functions. It reproduces the wire format
//! summarised in `shared/reference/avito-openrouter.md` PART B (B1–B5 for chat, B7 for audio) and
//! deliberately depends on no frontline crate: it knows the wire and nothing else.
//!
//! # What it serves
//!
//! Under the API root of its [`Dialect`] (`/v1` for OpenAI, `/api/v1` for OpenRouter):
//!
//! * `POST /chat/completions` (B2): `Authorization: Bearer …` checked against [`SimConfig::api_key`],
//!   `Content-Type: application/json` required, and the body checked the way api.openai.com checks
//!   it: a parameter outside [`SimConfig::chat_parameters`] is a 400 (so a stray field fails the test),
//!   `messages` must be a non-empty array of known roles, `temperature` within `[0, 2]`, `max_tokens`
//!   positive, `response_format` `text`, `json_object` or a named `json_schema`. Answers are JSON or,
//!   with [`Reply::sse`], `text/event-stream` written piece by piece (B4).
//! * `POST /audio/transcriptions` (B7): a multipart upload with a `file` whose name has one of the
//!   documented extensions, a `model`, and a known `response_format`; up to 25 MB.
//! * `POST /audio/speech` (B7): JSON with the documented parameters only, `input` of 1 to 4096
//!   characters; [`Reply::audio`] renders samples as the `response_format` asked: a WAV streamed the
//!   way OpenAI streams it (sizes unknown, `0xFFFFFFFF`) or raw 24 kHz s16le `pcm`.
//!
//! # Scripts, faults and the request log
//!
//! Each endpoint answers from its own script ([`OpenAiSim::script`]), one [`Reply`] per request in
//! order; a request the script has no reply left for gets a 500, so a test never passes on an answer
//! it did not write. A reply states everything the server does: its status (429 with `Retry-After`,
//! 5xx, an error in the dialect's body shape), its headers, a delay before it answers (longer than the
//! client's timeout: a timeout) and, for streams, the pause before each piece (a stalled stream).
//! Requests the server refuses itself (key, content type, validation) consume no reply.
//!
//! Every request that reaches an endpoint is logged ([`OpenAiSim::requests`]) with its headers,
//! parsed body or multipart fields, arrival time and the status it was answered with.
//!
//! # Assumptions
//!
//! * Only `wav` and `pcm` speech output is rendered; asking for mp3, opus, aac or flac and getting a
//!   [`Reply::audio`] is a 500 naming the limit, never bytes that only pretend to be MP3.
//! * Transcription takes OpenAI's multipart form only, not OpenRouter's JSON `input_audio` body.
//! * OpenRouter's answer to a wrong key is `401 "User not found."` (community reports; B5 documents the
//!   status, not the text).
//!
//! # Use from Rust
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use openai_sim::{Endpoint, OpenAiSim, Reply, SimConfig};
//! let sim = OpenAiSim::spawn(SimConfig {
//!     api_key: Some("sk-test".into()),
//!     ..SimConfig::default()
//! })
//! .await?;
//! sim.script(
//!     Endpoint::ChatCompletions,
//!     [
//!         Reply::rate_limited(1),
//!         Reply::json(serde_json::json!({"choices": [{"message": {"content": "ok"}}]})),
//!     ],
//! );
//! // Point the client at `sim.base_url()`, then look at what it sent:
//! let sent = sim.requests_to(Endpoint::ChatCompletions);
//! # drop(sent); Ok(()) }
//! ```

mod audio;
mod chat;
mod dialect;
mod log;
mod reply;
mod server;

pub use audio::{SPEECH_FORMATS, SPEECH_PARAMETERS, SPEECH_RATE, TRANSCRIPTION_EXTENSIONS};
pub use chat::{CHAT_PARAMETERS, SSE_DONE, sse_event};
pub use dialect::Dialect;
pub use log::{Field, Request};
pub use reply::Reply;
pub use server::OpenAiSim;

/// Settings of one simulated server.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// The key every request must carry as `Authorization: Bearer …`; `None`: a local server
    /// without authentication, which takes any header or none.
    pub api_key: Option<String>,
    /// Whose API it plays: the root path, error bodies and defaults.
    pub dialect: Dialect,
    /// Chat parameters the server accepts; any other is a 400. Defaults to every parameter OpenAI or
    /// OpenRouter document ([`CHAT_PARAMETERS`]); narrow it to what a client is meant to send.
    pub chat_parameters: Vec<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            api_key: None,
            dialect: Dialect::OpenAi,
            chat_parameters: CHAT_PARAMETERS.iter().map(|p| (*p).to_owned()).collect(),
        }
    }
}

/// The endpoints served, each with its own script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /chat/completions`.
    ChatCompletions,
    /// `POST /audio/transcriptions`.
    Transcriptions,
    /// `POST /audio/speech`.
    Speech,
}

impl Endpoint {
    /// The path below the API root.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::ChatCompletions => "/chat/completions",
            Endpoint::Transcriptions => "/audio/transcriptions",
            Endpoint::Speech => "/audio/speech",
        }
    }
}
