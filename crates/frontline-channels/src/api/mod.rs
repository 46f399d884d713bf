//! The generic inbound API channel, in the manner of Chatwoot's API channel: any system can feed
//! conversations into frontline and receive the replies.
//!
//! In: `POST /api/v1/inbound/{account_id}/messages` with the account's inbound token as a bearer token and
//! an [`InboundPayload`] body (the HTTP route itself lives in `frontline-api`, which owns authentication
//! and error mapping). Out: every outbound message of such an account is POSTed as a [`CallbackPayload`]
//! to the account's callback URL, from the outbox, so failures are retried with backoff.
//!
//! Callback contract: a 2xx answer means delivered (a JSON body `{"external_message_id": "…"}` is
//! optional and recorded); 408, 429 and 5xx answers, timeouts and connection errors are retried
//! (`Retry-After` in seconds is honoured); other 4xx answers fail the message for good. Each request
//! carries `Idempotency-Key: frontline-message-<id>` so that a receiver can drop a retried delivery it
//! already processed.

use std::time::Duration;

use async_trait::async_trait;
use frontline_domain::{
    AccountId, Attachment, AttachmentKind, CustomerProfile, InboundMessage, Listing, Timestamp,
};
use frontline_lifecycle::{ChannelSender, Delivery, SendError, Sent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A customer's message pushed into frontline by an external system.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundPayload {
    /// The sender system's id of the chat; one frontline conversation per chat.
    pub external_chat_id: String,
    /// The sender system's id of this message, unique within the account (not only within the chat):
    /// repeated deliveries with the same id create nothing new.
    pub external_message_id: String,
    pub customer: InboundCustomer,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub attachments: Vec<InboundAttachment>,
    /// The listing or item the chat is about, if any.
    #[serde(default)]
    pub listing: Option<InboundListing>,
    /// When the customer wrote it (RFC 3339); defaults to the time of receipt.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<time::OffsetDateTime>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundCustomer {
    pub external_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundAttachment {
    /// `image`, `file`, `voice`, `video` or `other`.
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub mime: Option<String>,
    #[serde(default)]
    pub size: Option<i64>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundListing {
    pub external_id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub price: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub image_url: Option<String>,
}

/// A field of the payload that does not hold a valid value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError {
    pub field: String,
    pub message: String,
}

impl InboundPayload {
    /// Turn the wire payload into the domain's inbound message for `account`.
    pub fn into_domain(self, account: AccountId) -> Result<InboundMessage, PayloadError> {
        let err = |field: &str, message: &str| PayloadError {
            field: field.into(),
            message: message.into(),
        };
        const MAX_ID: usize = 256;
        for (field, v) in [
            ("external_chat_id", &self.external_chat_id),
            ("external_message_id", &self.external_message_id),
            ("customer.external_id", &self.customer.external_id),
        ] {
            if v.trim().is_empty() {
                return Err(err(field, "must not be empty"));
            }
            if v.len() > MAX_ID {
                return Err(err(field, "must be at most 256 bytes"));
            }
        }
        let attachments = self
            .attachments
            .into_iter()
            .enumerate()
            .map(|(i, a)| {
                let kind = AttachmentKind::parse(&a.kind).map_err(|_| {
                    err(&format!("attachments[{i}].type"), "unknown attachment type")
                })?;
                if !frontline_domain::is_http_url(&a.url) {
                    return Err(err(
                        &format!("attachments[{i}].url"),
                        "must be an http(s) URL",
                    ));
                }
                Ok(Attachment {
                    kind,
                    url: a.url,
                    name: a.name,
                    mime: a.mime,
                    size: a.size,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(InboundMessage {
            account_id: account,
            external_chat_id: self.external_chat_id.trim().to_owned(),
            external_message_id: self.external_message_id.trim().to_owned(),
            customer: CustomerProfile {
                external_id: self.customer.external_id.trim().to_owned(),
                name: self.customer.name,
                avatar_url: self.customer.avatar_url,
                phone: self.customer.phone,
            },
            listing: self.listing.map(|l| Listing {
                external_id: l.external_id,
                title: l.title,
                price: l.price,
                url: l.url,
                image_url: l.image_url,
            }),
            text: self.text,
            attachments,
            quote: None,
            link: None,
            sent_at: self
                .sent_at
                .map(|t| Timestamp::from_millis((t.unix_timestamp_nanos() / 1_000_000) as i64)),
        })
    }
}

/// What frontline POSTs to an API account's callback URL for each outbound message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CallbackPayload {
    /// Always `message.created`.
    pub event: String,
    pub account_id: i64,
    pub conversation_id: i64,
    pub external_chat_id: String,
    pub customer_external_id: String,
    pub message: CallbackMessage,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CallbackMessage {
    pub id: i64,
    pub text: String,
    /// `bot` or `operator`.
    pub author: String,
    pub operator_name: Option<String>,
    pub attachments: Vec<CallbackAttachment>,
    /// RFC 3339.
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CallbackAttachment {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    pub name: Option<String>,
}

/// Optional answer of the callback receiver.
#[derive(Debug, Default, Deserialize)]
struct CallbackAnswer {
    external_message_id: Option<String>,
}

impl CallbackPayload {
    pub fn from_delivery(d: &Delivery) -> Self {
        let m = &d.message;
        CallbackPayload {
            event: "message.created".into(),
            account_id: d.account.id.0,
            conversation_id: d.conversation.conversation.id.0,
            external_chat_id: d.conversation.conversation.external_chat_id.clone(),
            customer_external_id: d.conversation.customer.external_id.clone(),
            message: CallbackMessage {
                id: m.id.0,
                text: m.text.clone(),
                author: m.author.kind_str().into(),
                operator_name: d.operator_name.clone(),
                attachments: m
                    .attachments
                    .iter()
                    .map(|a| CallbackAttachment {
                        kind: a.kind.as_str().into(),
                        url: a.url.clone(),
                        name: a.name.clone(),
                    })
                    .collect(),
                created_at: rfc3339(m.created_at),
            },
        }
    }
}

fn rfc3339(t: Timestamp) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t.millis()) * 1_000_000)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Delivers outbound messages of `api` accounts to their callback URL.
#[derive(Debug, Clone)]
pub struct CallbackSender {
    http: reqwest::Client,
}

impl CallbackSender {
    pub fn new(timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("frontline/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a reqwest client with static settings builds");
        Self { http }
    }
}

#[async_trait]
impl ChannelSender for CallbackSender {
    async fn deliver(&self, d: &Delivery) -> Result<Sent, SendError> {
        let Some(url) = d.account.callback_url.as_deref() else {
            return Err(SendError::Permanent {
                reason: "the account has no callback URL".into(),
            });
        };
        let payload = CallbackPayload::from_delivery(d);
        let resp = self
            .http
            .post(url)
            .header(
                "Idempotency-Key",
                format!("frontline-message-{}", d.message.id),
            )
            .json(&payload)
            .send()
            .await
            .map_err(|e| SendError::Retryable {
                reason: format!("callback request failed: {}", without_url(&e)),
                retry_after: None,
            })?;
        let status = resp.status();
        if status.is_success() {
            let answer: CallbackAnswer = resp.json().await.unwrap_or_default();
            return Ok(Sent {
                external_id: answer.external_message_id,
            });
        }
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let reason = format!("callback answered {status}");
        if status.is_server_error()
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
            || status == reqwest::StatusCode::REQUEST_TIMEOUT
        {
            Err(SendError::Retryable {
                reason,
                retry_after,
            })
        } else {
            Err(SendError::Permanent { reason })
        }
    }
}

/// reqwest errors print the URL, which may carry credentials in its query: keep only the kind.
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_request() {
        "request error"
    } else {
        "error"
    };
    match std::error::Error::source(e) {
        Some(src) => format!("{kind}: {src}"),
        None => kind.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(json: &str) -> Result<InboundMessage, String> {
        let p: InboundPayload = serde_json::from_str(json).map_err(|e| e.to_string())?;
        p.into_domain(AccountId(3))
            .map_err(|e| format!("{}: {}", e.field, e.message))
    }

    #[test]
    fn minimal_payload_converts() {
        let m = payload(
            r#"{"external_chat_id":"c1","external_message_id":"m1","customer":{"external_id":"u1","name":"Иван"},"text":"Где заказ?"}"#,
        )
        .unwrap();
        assert_eq!(m.account_id, AccountId(3));
        assert_eq!(m.customer.name.as_deref(), Some("Иван"));
        assert_eq!(m.text, "Где заказ?");
        assert!(m.sent_at.is_none());
    }

    #[test]
    fn timestamps_and_attachments() {
        let m = payload(
            r#"{"external_chat_id":"c1","external_message_id":"m1","customer":{"external_id":"u1"},
                "sent_at":"2026-01-02T03:04:05Z","attachments":[{"type":"image","url":"https://x/y.png","size":10}]}"#,
        )
        .unwrap();
        assert_eq!(m.sent_at, Some(Timestamp::from_unix_seconds(1_767_323_045)));
        assert_eq!(m.attachments[0].kind, AttachmentKind::Image);
    }

    #[test]
    fn precise_field_errors() {
        let e = payload(
            r#"{"external_chat_id":" ","external_message_id":"m","customer":{"external_id":"u"}}"#,
        )
        .unwrap_err();
        assert_eq!(e, "external_chat_id: must not be empty");
        let e = payload(
            r#"{"external_chat_id":"c","external_message_id":"m","customer":{"external_id":"u"},"attachments":[{"type":"hologram","url":"https://x"}]}"#,
        )
        .unwrap_err();
        assert_eq!(e, "attachments[0].type: unknown attachment type");
        let e = payload(
            r#"{"external_chat_id":"c","external_message_id":"m","customer":{"external_id":"u"},"attachments":[{"type":"file","url":"ftp://x"}]}"#,
        )
        .unwrap_err();
        assert_eq!(e, "attachments[0].url: must be an http(s) URL");
        // Unknown fields are refused, so typos do not silently drop data.
        assert!(payload(r#"{"external_chat_id":"c","external_message_id":"m","customer":{"external_id":"u"},"txt":"x"}"#).is_err());
    }
}
