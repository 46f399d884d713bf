//! [`LlmClient`]: the HTTP side of the chat model, for OpenRouter and any other
//! OpenAI-compatible server: headers, timeouts, the retry policy, and moving stream bytes into
//! the [`sse`](super::sse) parser.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use frontline_lifecycle::Backoff;
use futures_util::StreamExt;
use futures_util::stream;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, RequestBuilder, Response, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::{info, warn};

use super::error::{Failure, LlmError, status_failure};
use super::settings::{LlmModels, LlmSettings};
use super::sse::{SseDecoder, StreamAssembler};
use super::types::{ChatRequest, ChatResponse, StreamEvent};
use super::wire::{WireRequest, parse_completion};
use super::{ChatModel, ChatStream, structured};

/// OpenRouter's id of the generation, for `GET /generation?id=…`.
const GENERATION_ID: &str = "x-generation-id";

/// A chat-completions client. Cheap to clone (one shared connection pool); `Debug` never shows
/// the key.
#[derive(Clone)]
pub struct LlmClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: Client,
    endpoint: Url,
    /// `Bearer <key>` marked sensitive, or `None` for servers without auth.
    authorization: Option<HeaderValue>,
    settings: LlmSettings,
}

impl fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The settings' own Debug masks the key; the header is left out altogether.
        f.debug_struct("LlmClient")
            .field("endpoint", &self.inner.endpoint.as_str())
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

impl LlmClient {
    pub fn new(settings: LlmSettings) -> Result<Self, LlmError> {
        let base = settings.base_url.trim_end_matches('/');
        let endpoint = Url::parse(&format!("{base}/chat/completions"))
            .map_err(|err| LlmError::InvalidSettings(format!("base_url {base:?}: {err}")))?;
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(LlmError::InvalidSettings(format!(
                "base_url {base:?} is not http(s)"
            )));
        }

        let authorization = if settings.api_key.is_empty() {
            None
        } else {
            // The error must not quote the value: it is the key.
            let mut value = HeaderValue::from_str(&format!("Bearer {}", settings.api_key.expose()))
                .map_err(|_| {
                    LlmError::InvalidSettings(
                        "api_key contains characters not allowed in an HTTP header".to_owned(),
                    )
                })?;
            value.set_sensitive(true);
            Some(value)
        };

        let mut attribution = HeaderMap::new();
        for (name, value) in [
            ("http-referer", &settings.app_url),
            ("x-openrouter-title", &settings.app_title),
        ] {
            if let Some(value) = value {
                // Raw UTF-8 is allowed in header values and keeps a Russian title readable.
                let value = HeaderValue::from_bytes(value.as_bytes()).map_err(|_| {
                    LlmError::InvalidSettings(format!("{name} {value:?} is not a header value"))
                })?;
                attribution.insert(HeaderName::from_static(name), value);
            }
        }

        let http = Client::builder()
            .default_headers(attribution)
            .user_agent(concat!("frontline/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(settings.timeout)
            .build()
            .map_err(|err| LlmError::InvalidSettings(format!("http client: {err}")))?;

        Ok(Self {
            inner: Arc::new(Inner {
                http,
                endpoint,
                authorization,
                settings,
            }),
        })
    }

    pub fn settings(&self) -> &LlmSettings {
        &self.inner.settings
    }

    pub fn models(&self) -> &LlmModels {
        &self.inner.settings.models
    }

    /// One completion, retrying transient failures (rate limits, 5xx, timeouts, network
    /// errors, empty completions) up to `max_retries` times.
    pub async fn chat(&self, req: ChatRequest) -> Result<ChatResponse, LlmError> {
        let settings = &self.inner.settings;
        let body = self.body(&req, false)?;
        let mut attempt: u32 = 0;
        loop {
            let failure = match self.attempt(body.clone()).await {
                Ok(response) => {
                    let usage = response.usage.unwrap_or_default();
                    info!(
                        model = %response.model,
                        generation_id = response.generation_id.as_deref().unwrap_or(""),
                        prompt_tokens = usage.prompt_tokens,
                        completion_tokens = usage.completion_tokens,
                        cost = usage.cost.unwrap_or(0.0),
                        attempt,
                        "llm completion"
                    );
                    return Ok(response);
                }
                Err(failure) => failure,
            };
            let error = failure.error.redact(&settings.api_key);
            if !failure.retryable || attempt >= settings.max_retries {
                warn!(attempt, error = %error, "llm request failed");
                return Err(error);
            }
            let wait = match failure.retry_after {
                // Waiting longer would keep a customer waiting for longer than a handoff takes.
                Some(hint) if hint > settings.max_retry_after => {
                    warn!(
                        attempt,
                        retry_after_s = hint.as_secs_f64(),
                        error = %error,
                        "llm asks to wait longer than allowed, giving up"
                    );
                    return Err(error);
                }
                Some(hint) => hint,
                None => Backoff::new(settings.backoff_base, settings.max_retry_after)
                    .delay(attempt + 1, None),
            };
            warn!(
                attempt,
                wait_ms = wait.as_millis() as u64,
                error = %error,
                "llm request failed, retrying"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Structured output: see [`ChatModelExt::chat_json`](super::ChatModelExt::chat_json).
    pub async fn chat_json<T: DeserializeOwned + Send>(
        &self,
        req: ChatRequest,
        schema: Value,
    ) -> Result<(T, ChatResponse), LlmError> {
        structured::chat_json(self, req, schema).await
    }

    /// A streamed completion. Not retried: once text has reached a customer or operator, a
    /// second attempt would say something else. Errors before the stream starts are the same
    /// as [`chat`](Self::chat)'s; later ones end the stream after the fragments already
    /// yielded.
    pub async fn chat_stream(&self, req: ChatRequest) -> Result<ChatStream, LlmError> {
        let settings = &self.inner.settings;
        let body = self.body(&req, true)?;
        // The whole stream may legitimately take longer than `timeout`; only the wait for the
        // head and each silence are bounded.
        let response = tokio::time::timeout(settings.timeout, self.request(body).send())
            .await
            .map_err(|_| LlmError::Timeout)?
            .map_err(|err| transport_failure(err).error.redact(&settings.api_key))?;
        let (response, generation_id) = self
            .check_status(response)
            .await
            .map_err(|failure| failure.error.redact(&settings.api_key))?;

        let state = StreamState {
            bytes: Box::pin(response.bytes_stream()),
            decoder: SseDecoder::default(),
            assembler: StreamAssembler::new(generation_id),
            pending: Vec::new(),
            idle_timeout: settings.timeout,
            secret: settings.api_key.clone(),
        };
        Ok(stream::unfold(state, StreamState::next).boxed())
    }

    fn body(&self, req: &ChatRequest, stream: bool) -> Result<Vec<u8>, LlmError> {
        let wire = WireRequest::new(req, stream, self.inner.settings.require_parameters);
        serde_json::to_vec(&wire).map_err(|err| LlmError::BadRequest {
            status: 0,
            message: format!("request not serialisable: {err}"),
        })
    }

    fn request(&self, body: Vec<u8>) -> RequestBuilder {
        let mut request = self
            .inner
            .http
            .post(self.inner.endpoint.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(authorization) = &self.inner.authorization {
            request = request.header(header::AUTHORIZATION, authorization.clone());
        }
        request
    }

    async fn attempt(&self, body: Vec<u8>) -> Result<ChatResponse, Failure> {
        let response = self
            .request(body)
            // Covers the body download too, so a server stalling mid-body cannot hang us.
            .timeout(self.inner.settings.timeout)
            .send()
            .await
            .map_err(transport_failure)?;
        let (response, generation_id) = self.check_status(response).await?;
        let text = response.text().await.map_err(transport_failure)?;
        parse_completion(&text, generation_id)
    }

    /// Passes a 2xx response on with its generation id; turns any other into its failure.
    async fn check_status(
        &self,
        response: Response,
    ) -> Result<(Response, Option<String>), Failure> {
        let status = response.status();
        let headers = response.headers();
        let generation_id = headers
            .get(GENERATION_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_owned);
        if status.is_success() {
            return Ok((response, generation_id));
        }
        let retry_after = retry_after(headers);
        // A failed read of an error body still leaves the status to go by.
        let body = response.text().await.unwrap_or_default();
        Err(status_failure(status.as_u16(), retry_after, &body))
    }
}

#[async_trait]
impl ChatModel for LlmClient {
    async fn chat(&self, req: ChatRequest) -> Result<ChatResponse, LlmError> {
        LlmClient::chat(self, req).await
    }

    async fn chat_stream(&self, req: ChatRequest) -> Result<ChatStream, LlmError> {
        LlmClient::chat_stream(self, req).await
    }
}

/// The state of a stream between polls.
struct StreamState<S> {
    bytes: S,
    decoder: SseDecoder,
    assembler: StreamAssembler,
    /// Events decoded but not yet yielded, in reverse order (popped from the back).
    pending: Vec<Result<StreamEvent, LlmError>>,
    idle_timeout: Duration,
    secret: super::Secret,
}

impl<S, B> StreamState<S>
where
    S: futures_util::Stream<Item = reqwest::Result<B>> + Unpin,
    B: AsRef<[u8]>,
{
    async fn next(mut self) -> Option<(Result<StreamEvent, LlmError>, Self)> {
        loop {
            if let Some(event) = self.pending.pop() {
                let event = event.map_err(|e| e.redact(&self.secret));
                return Some((event, self));
            }
            if self.assembler.is_finished() {
                return None;
            }
            let mut events = Vec::new();
            match tokio::time::timeout(self.idle_timeout, self.bytes.next()).await {
                Err(_) => events.extend(self.assembler.fail_with(LlmError::Timeout)),
                Ok(Some(Err(err))) => {
                    events.extend(self.assembler.fail_with(transport_failure(err).error));
                }
                Ok(Some(Ok(bytes))) => {
                    for data in self.decoder.feed(bytes.as_ref()) {
                        events.extend(self.assembler.on_data(&data));
                    }
                }
                Ok(None) => {
                    for data in self.decoder.finish() {
                        events.extend(self.assembler.on_data(&data));
                    }
                    events.extend(self.assembler.on_eof());
                }
            }
            events.reverse();
            self.pending = events;
        }
    }
}

/// A `reqwest` error as a failure; all of them are worth another try.
fn transport_failure(err: reqwest::Error) -> Failure {
    if err.is_timeout() {
        return Failure::transient(LlmError::Timeout);
    }
    if err.is_builder() {
        return Failure::fatal(LlmError::InvalidSettings(err.to_string()));
    }
    // reqwest's Display stops at "error sending request"; the cause (refused, reset, DNS)
    // is further down the chain.
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    Failure::transient(LlmError::Network(message))
}

/// `Retry-After` in seconds (OpenRouter's form). The HTTP-date form is not used by the servers
/// we talk to and falls back to our own backoff.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(header::RETRY_AFTER)?.to_str().ok()?.trim();
    let seconds: f64 = value.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("0.5"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(500)));
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn rejects_bad_settings_without_quoting_the_key() {
        let err = LlmClient::new(LlmSettings::new("sk-bad\nkey-0123456789")).unwrap_err();
        assert!(matches!(err, LlmError::InvalidSettings(_)));
        assert!(!format!("{err:?}").contains("key-0123456789"));
        let mut settings = LlmSettings::new("k");
        settings.base_url = "ftp://example.com".into();
        assert!(LlmClient::new(settings).is_err());
    }
}
