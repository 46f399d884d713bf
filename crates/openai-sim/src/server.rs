//! The running server: its router, the scripts it answers from, the log of what it received, and
//! the checks every endpoint makes before a script is consulted (the key).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, header};
use axum::routing::post;
use tokio::net::TcpListener;

use crate::log::Request;
use crate::reply::Reply;
use crate::{Endpoint, SimConfig, audio, chat};

/// Uploads OpenAI accepts for transcription (B7: "at most 25 MB").
const MAX_UPLOAD_BYTES: usize = 25 * 1024 * 1024;

/// A simulated OpenAI-compatible server. Cheap to clone; every clone is the same server.
#[derive(Debug, Clone)]
pub struct OpenAiSim {
    shared: Arc<Shared>,
    base_url: String,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) config: SimConfig,
    scripts: Mutex<HashMap<Endpoint, VecDeque<Reply>>>,
    requests: Mutex<Vec<Request>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl OpenAiSim {
    /// Binds `127.0.0.1:0` and serves in a background task. The listener is bound before this
    /// returns, so a client's first request cannot race the start-up.
    pub async fn spawn(config: SimConfig) -> std::io::Result<OpenAiSim> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config,
            scripts: Mutex::default(),
            requests: Mutex::default(),
        });
        let app = router(shared.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "openai simulator stopped");
            }
        });
        let base_url = format!("http://{addr}{}", shared.config.dialect.root());
        Ok(OpenAiSim { shared, base_url })
    }

    /// The API root to configure a client with, e.g. `http://127.0.0.1:PORT/v1` (no trailing
    /// slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// Append replies to `endpoint`'s script; requests take them in order.
    pub fn script(&self, endpoint: Endpoint, replies: impl IntoIterator<Item = Reply>) {
        lock(&self.shared.scripts)
            .entry(endpoint)
            .or_default()
            .extend(replies);
    }

    /// Replies of `endpoint`'s script not yet used.
    pub fn replies_left(&self, endpoint: Endpoint) -> usize {
        lock(&self.shared.scripts)
            .get(&endpoint)
            .map_or(0, VecDeque::len)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.requests).clone()
    }

    /// The requests received by `endpoint`.
    pub fn requests_to(&self, endpoint: Endpoint) -> Vec<Request> {
        lock(&self.shared.requests)
            .iter()
            .filter(|r| r.endpoint == endpoint)
            .cloned()
            .collect()
    }
}

impl Shared {
    /// The next scripted reply, or the 500 that says the script ran out.
    pub(crate) fn next_reply(&self, endpoint: Endpoint) -> Reply {
        lock(&self.scripts)
            .get_mut(&endpoint)
            .and_then(VecDeque::pop_front)
            .unwrap_or_else(|| {
                Reply::error(500, "openai-sim: the test script has no reply left")
                    .with_code("server_error")
            })
    }

    pub(crate) fn log(&self, request: Request) {
        lock(&self.requests).push(request);
    }

    /// `Err` with the 401 to answer when the request's key is missing or wrong; a server without a
    /// key takes any.
    pub(crate) fn check_key(&self, headers: &HeaderMap) -> Result<(), Reply> {
        let Some(key) = &self.config.api_key else {
            return Ok(());
        };
        let dialect = self.config.dialect;
        let given = headers
            .get(header::AUTHORIZATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let (message, code) = match given {
            Some(given) if given == format!("Bearer {key}") => return Ok(()),
            Some(given) => dialect.wrong_key(given.trim_start_matches("Bearer ")),
            None => dialect.missing_key(),
        };
        Err(Reply::error(401, &message).with_code(code))
    }
}

/// Header names lower-cased, in order, for the log.
pub(crate) fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Whether the request says its body is JSON.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"))
}

fn router(shared: Arc<Shared>) -> Router {
    let root = shared.config.dialect.root();
    let api = Router::new()
        .route(Endpoint::ChatCompletions.path(), post(chat::completions))
        .route(Endpoint::Transcriptions.path(), post(audio::transcriptions))
        .route(Endpoint::Speech.path(), post(audio::speech))
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES))
        .with_state(shared);
    Router::new().nest(root, api)
}
