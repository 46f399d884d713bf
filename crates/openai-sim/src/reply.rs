//! What the server answers, as a test scripts it: one [`Reply`] per request, built from a body and
//! adjusted with a status, headers and a delay.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use futures_util::StreamExt;
use serde_json::Value;

use crate::Dialect;
use crate::audio::streamed_wav;

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) delay: Duration,
    pub(crate) body: ReplyBody,
}

#[derive(Debug, Clone)]
pub(crate) enum ReplyBody {
    Json(Value),
    Bytes {
        content_type: String,
        bytes: Vec<u8>,
    },
    /// Rendered in the server's dialect.
    Error {
        message: String,
        code: Option<String>,
    },
    /// `text/event-stream`, each piece written after its pause.
    Sse(Vec<(Duration, Vec<u8>)>),
    /// 24 kHz samples, rendered in the `response_format` the speech request asked for.
    Audio(Vec<i16>),
}

/// How far apart [`Reply::sse`] writes its pieces: enough for each to reach the client as its own
/// read, so a line split across pieces really arrives split.
const SSE_PIECE_PAUSE: Duration = Duration::from_millis(5);

impl Reply {
    fn new(status: u16, body: ReplyBody) -> Self {
        Self {
            status,
            headers: Vec::new(),
            delay: Duration::ZERO,
            body,
        }
    }

    /// 200 with this JSON body.
    pub fn json(body: Value) -> Self {
        Self::new(200, ReplyBody::Json(body))
    }

    /// A transcription's answer: `{"text": …}` (B7).
    pub fn transcript(text: &str) -> Self {
        Self::json(serde_json::json!({ "text": text }))
    }

    /// Any status, content type and bytes: HTML error pages, truncated JSON, plain text.
    pub fn raw(status: u16, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        Self::new(
            status,
            ReplyBody::Bytes {
                content_type: content_type.to_owned(),
                bytes: bytes.into(),
            },
        )
    }

    /// An error in the server's dialect (B5), with the HTTP status `status`.
    pub fn error(status: u16, message: &str) -> Self {
        Self::new(
            status,
            ReplyBody::Error {
                message: message.to_owned(),
                code: None,
            },
        )
    }

    /// 429 "Rate limit exceeded" with `Retry-After: retry_after_secs`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self::error(429, "Rate limit exceeded")
            .with_code("rate_limit_exceeded")
            .with_header("retry-after", &retry_after_secs.to_string())
    }

    /// `text/event-stream`, the pieces written one after another a few milliseconds apart (so each
    /// is its own read). Bytes, not strings: a piece may end inside a UTF-8 character.
    pub fn sse(pieces: Vec<Vec<u8>>) -> Self {
        Self::sse_paced(
            pieces
                .into_iter()
                .map(|piece| (SSE_PIECE_PAUSE, piece))
                .collect(),
        )
    }

    /// `text/event-stream`, each piece written after its own pause: a long pause is a stalled stream.
    pub fn sse_paced(pieces: Vec<(Duration, Vec<u8>)>) -> Self {
        Self::new(200, ReplyBody::Sse(pieces))
    }

    /// Speech audio: these [`SPEECH_RATE`](crate::SPEECH_RATE) samples as the WAV or raw PCM the request asked for.
    pub fn audio(samples: Vec<i16>) -> Self {
        Self::new(200, ReplyBody::Audio(samples))
    }

    /// Answer with `status` instead.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = status;
        self
    }

    /// Add a response header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The error's machine code (OpenAI `error.code`, OpenRouter `metadata.error_type`); no effect on
    /// other bodies.
    pub fn with_code(mut self, code: &str) -> Self {
        if let ReplyBody::Error { code: slot, .. } = &mut self.body {
            *slot = Some(code.to_owned());
        }
        self
    }

    /// Wait this long before answering at all (a slow server; longer than a client's timeout, a
    /// timeout).
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub(crate) fn status(&self) -> u16 {
        self.status
    }

    /// The response; `speech_format` is the `response_format` of a speech request.
    pub(crate) async fn render(self, dialect: Dialect, speech_format: Option<&str>) -> Response {
        tokio::time::sleep(self.delay).await;
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (content_type, body) = match self.body {
            ReplyBody::Json(value) => {
                ("application/json".to_owned(), Body::from(value.to_string()))
            }
            ReplyBody::Bytes {
                content_type,
                bytes,
            } => (content_type, Body::from(bytes)),
            ReplyBody::Error { message, code } => (
                "application/json".to_owned(),
                Body::from(
                    dialect
                        .error_body(self.status, &message, code.as_deref())
                        .to_string(),
                ),
            ),
            ReplyBody::Sse(pieces) => {
                let pieces = futures_util::stream::iter(pieces).then(|(pause, piece)| async move {
                    tokio::time::sleep(pause).await;
                    Ok::<_, Infallible>(piece)
                });
                ("text/event-stream".to_owned(), Body::from_stream(pieces))
            }
            ReplyBody::Audio(samples) => match speech_format.unwrap_or("wav") {
                "wav" => ("audio/wav".to_owned(), Body::from(streamed_wav(&samples))),
                "pcm" => ("audio/pcm".to_owned(), Body::from(slin(&samples))),
                other => {
                    let message = format!(
                        "openai-sim renders speech as wav or pcm only, not {other}: \
                         send response_format explicitly"
                    );
                    let body = dialect.error_body(500, &message, Some("server_error"));
                    return plain(StatusCode::INTERNAL_SERVER_ERROR, "application/json", body);
                }
            },
        };
        let mut response = Response::builder()
            .status(status)
            .header("content-type", content_type);
        for (name, value) in self.headers {
            response = response.header(name, value);
        }
        response.body(body).unwrap_or_else(|_| {
            plain_text(StatusCode::INTERNAL_SERVER_ERROR, "bad scripted header")
        })
    }
}

/// 16-bit little-endian samples.
pub(crate) fn slin(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

fn plain(status: StatusCode, content_type: &str, body: Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert("content-type", value);
    }
    response
}

fn plain_text(status: StatusCode, text: &'static str) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limited_is_a_429_with_retry_after() {
        let reply = Reply::rate_limited(3);
        assert_eq!(reply.status, 429);
        assert_eq!(reply.headers, [("retry-after".to_owned(), "3".to_owned())]);
        assert!(matches!(
            reply.body,
            ReplyBody::Error { code: Some(ref c), .. } if c == "rate_limit_exceeded"
        ));
    }
}
