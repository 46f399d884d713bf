//! Handing a live call to a human operator, through the telephony side's control plane.
//!
//! The media leg alone cannot do it: a bot hangup on AudioSocket ends the Asterisk channel, and a
//! Twilio `<Connect><Stream>` only continues with the next TwiML once the stream closes. So each
//! [`Transferer`] talks to the side that owns the call, one module per transferer:
//!
//! - [`twilio`]: Twilio's REST "update a call"; new TwiML replaces the `<Connect><Stream>`, so
//!   Twilio ends the media stream itself.
//! - [`webhook`]: POSTs the call and its context as JSON to a URL of the deployment's choosing, for
//!   Telnyx/Exotel/custom PBX glue.
//! - [`asterisk`]: over AMI ([`ami`], the manager-interface client) finds the Asterisk channel
//!   running the AudioSocket call and `Redirect`s it to the operators' context.
//!
//! Settings are a tagged JSON object (`{"kind": "twilio" | "webhook" | "asterisk_ami", …}`, see
//! [`TransferSettings`]) kept in a voice line's settings. Secrets (auth token, webhook secret, AMI
//! secret) never reach logs or `Debug` output. This module holds what they share: the request and
//! outcome, the errors, the settings' dispatch, and the bounded HTTP and text helpers.

pub mod ami;
pub mod asterisk;
pub mod twilio;
pub mod webhook;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use frontline_domain::ConversationId;
use serde::Deserialize;

use super::leg::CallStart;

pub use asterisk::{AsteriskAmiTransfer, AsteriskAmiTransferSettings};
pub use twilio::{DEFAULT_TWIML, TwilioTransfer, TwilioTransferSettings};
pub use webhook::{WebhookPayload, WebhookTransfer, WebhookTransferSettings};

/// Everything a transfer needs: which call, and what the operator should know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferRequest {
    pub call: CallStart,
    pub conversation_id: ConversationId,
    /// The caller's number, when known (from the telephony side or an AMI lookup).
    pub caller: Option<String>,
    /// Why the bot hands over (the handoff reason, in words).
    pub reason: String,
    pub intent: Option<String>,
    pub summary: Option<String>,
    /// The text the operator sees first.
    pub briefing: String,
    pub slots: BTreeMap<String, String>,
}

/// A transfer the remote side accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferOutcome {
    /// The transferer that did it ([`Transferer::name`]).
    pub via: String,
    /// Where the call went, in the remote side's terms: `operators,s,1`, the TwiML or its URL,
    /// the webhook's address.
    pub target: String,
    /// The remote side's handle on the result: the Asterisk channel, Twilio's call status, the
    /// webhook's `reference`.
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    /// This transferer cannot act on this kind of call (an AudioSocket call given to Twilio).
    #[error("transfer not applicable: {0}")]
    NotApplicable(String),
    /// The remote side answered and said no (unknown call, bad credentials, no such channel).
    #[error("transfer rejected: {0}")]
    Rejected(String),
    /// The remote side could not be reached or did not answer in time.
    #[error("transfer target unreachable: {0}")]
    Unreachable(String),
    /// The settings cannot work for this call (no account sid anywhere, TwiML too long).
    #[error("transfer misconfigured: {0}")]
    Misconfigured(String),
}

/// Settings that cannot build a transferer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid transfer settings: {0}")]
pub struct TransferConfigError(pub String);

/// Moves a call from the bot to a human.
#[async_trait]
pub trait Transferer: Send + Sync + fmt::Debug {
    /// The settings kind this transferer was built from (`twilio`, `webhook`, `asterisk_ami`).
    fn name(&self) -> &str;
    async fn transfer(&self, req: &TransferRequest) -> Result<TransferOutcome, TransferError>;
}

/// The transfer part of a voice line's settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TransferSettings {
    Twilio(TwilioTransferSettings),
    Webhook(WebhookTransferSettings),
    AsteriskAmi(AsteriskAmiTransferSettings),
}

impl TransferSettings {
    pub fn build(&self) -> Result<Arc<dyn Transferer>, TransferConfigError> {
        Ok(match self {
            TransferSettings::Twilio(s) => Arc::new(TwilioTransfer::new(s.clone())?),
            TransferSettings::Webhook(s) => Arc::new(WebhookTransfer::new(s.clone())?),
            TransferSettings::AsteriskAmi(s) => Arc::new(AsteriskAmiTransfer::new(s.clone())?),
        })
    }
}

impl TransferSettings {
    /// What an admin may see of these settings: every field but the credentials, each of which is
    /// only said to be set (`…_set`), and URLs without their query or user info (either may hold a
    /// token). Changing a transfer means sending it whole again, credentials included.
    pub fn public_view(&self) -> serde_json::Value {
        let url = |u: &Option<String>| u.as_deref().map(webhook::without_query);
        match self {
            TransferSettings::Twilio(t) => serde_json::json!({
                "kind": "twilio",
                "api_base": webhook::without_query(&t.api_base),
                "account_sid": t.account_sid,
                "auth_token_set": !t.auth_token.is_empty(),
                "twiml": t.twiml,
                "url": url(&t.url),
                "timeout_ms": t.timeout_ms,
            }),
            TransferSettings::Webhook(w) => serde_json::json!({
                "kind": "webhook",
                "url": webhook::without_query(&w.url),
                "secret_set": w.secret.as_deref().is_some_and(|s| !s.is_empty()),
                "timeout_ms": w.timeout_ms,
            }),
            TransferSettings::AsteriskAmi(a) => serde_json::json!({
                "kind": "asterisk_ami",
                "address": a.address,
                "username": a.username,
                "secret_set": !a.secret.is_empty(),
                "context": a.context,
                "exten": a.exten,
                "priority": a.priority,
                "uuid_variable": a.uuid_variable,
                "briefing_variable": a.briefing_variable,
                "conversation_variable": a.conversation_variable,
                "timeout_ms": a.timeout_ms,
            }),
        }
    }
}

/// Parses and builds in one step, for settings stored as JSON.
pub fn transferer_from_settings(
    json: &serde_json::Value,
) -> Result<Arc<dyn Transferer>, TransferConfigError> {
    TransferSettings::deserialize(json)
        .map_err(|e| TransferConfigError(e.to_string()))?
        .build()
}

const DEFAULT_TIMEOUT_MS: u64 = 5_000;
const MAX_TIMEOUT_MS: u64 = 60_000;
/// Most of a remote error body we quote in an error.
const QUOTE_MAX_CHARS: usize = 300;
/// Most of a response body we read.
const BODY_MAX_BYTES: usize = 64 * 1024;

fn default_timeout_ms() -> u64 {
    DEFAULT_TIMEOUT_MS
}

fn check_timeout(ms: u64) -> Result<Duration, TransferConfigError> {
    if (1..=MAX_TIMEOUT_MS).contains(&ms) {
        Ok(Duration::from_millis(ms))
    } else {
        Err(TransferConfigError(format!(
            "timeout_ms must be within 1..={MAX_TIMEOUT_MS}"
        )))
    }
}

fn http_client(timeout: Duration) -> Result<reqwest::Client, TransferConfigError> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("frontline/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| TransferConfigError(format!("http client: {e}")))
}

fn parse_http_url(field: &str, raw: &str) -> Result<reqwest::Url, TransferConfigError> {
    let url = reqwest::Url::parse(raw).map_err(|e| TransferConfigError(format!("{field}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(TransferConfigError(format!(
            "{field}: must be an absolute http(s) URL"
        )));
    }
    Ok(url)
}

/// A request error in words, without the URL (its query may carry a token).
fn http_failure(e: reqwest::Error, timeout: Duration) -> TransferError {
    if e.is_timeout() {
        TransferError::Unreachable(format!("no answer within {} ms", timeout.as_millis()))
    } else {
        TransferError::Unreachable(e.without_url().to_string())
    }
}

/// Reads at most [`BODY_MAX_BYTES`] of a response body.
async fn read_body(
    mut resp: reqwest::Response,
    timeout: Duration,
) -> Result<Vec<u8>, TransferError> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| http_failure(e, timeout))? {
        let room = BODY_MAX_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= BODY_MAX_BYTES {
            break;
        }
    }
    Ok(body)
}

fn quote(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = one_line(&text);
    if text.chars().count() > QUOTE_MAX_CHARS {
        let cut: String = text.chars().take(QUOTE_MAX_CHARS).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// Collapses line breaks, tabs and other control characters (and runs of spaces) into single
/// spaces.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn redact(secret: &str) -> &'static str {
    if secret.is_empty() { "" } else { "<redacted>" }
}

#[cfg(test)]
mod fixtures;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn settings_parse_with_defaults() {
        let t = transferer_from_settings(&json!({
            "kind": "asterisk_ami", "address": "pbx.local:5038", "username": "u", "secret": "p",
        }))
        .unwrap();
        assert_eq!(t.name(), "asterisk_ami");

        let s: TransferSettings = serde_json::from_value(json!({
            "kind": "asterisk_ami", "address": "pbx.local:5038", "username": "u", "secret": "p",
        }))
        .unwrap();
        let TransferSettings::AsteriskAmi(s) = s else {
            panic!("{s:?}");
        };
        assert_eq!(
            (s.context.as_str(), s.exten.as_str(), s.priority),
            ("operators", "s", 1)
        );
        assert_eq!(s.uuid_variable, "FRONTLINE_CALL");
        assert_eq!(s.briefing_variable, "FRONTLINE_BRIEFING");
        assert_eq!(s.conversation_variable, "FRONTLINE_CONVERSATION");
        assert_eq!(s.timeout_ms, 5000);

        let s: TransferSettings =
            serde_json::from_value(json!({"kind": "twilio", "auth_token": "t"})).unwrap();
        let TransferSettings::Twilio(s) = s else {
            panic!("{s:?}");
        };
        assert_eq!(s.api_base, "https://api.twilio.com");
        assert_eq!((s.twiml, s.url, s.account_sid), (None, None, None));

        let t =
            transferer_from_settings(&json!({"kind": "webhook", "url": "https://glue.example/t"}))
                .unwrap();
        assert_eq!(t.name(), "webhook");
    }

    #[test]
    fn bad_settings_are_refused() {
        let cases = [
            json!({"kind": "twilio", "auth_token": "t", "surprise": 1}),
            json!({"kind": "carrier_pigeon"}),
            json!({"kind": "twilio", "auth_token": "t", "twiml": "<Response/>", "url": "https://x/y"}),
            json!({"kind": "twilio", "auth_token": " "}),
            json!({"kind": "twilio", "auth_token": "t", "api_base": "ftp://api.twilio.com"}),
            json!({"kind": "twilio", "auth_token": "t", "url": "/relative/twiml"}),
            json!({"kind": "twilio", "auth_token": "t", "timeout_ms": 0}),
            json!({"kind": "webhook", "url": "not a url"}),
            json!({"kind": "webhook", "url": "https://x/y", "secret": ""}),
            json!({"kind": "webhook", "url": "https://x/y", "timeout_ms": 600000}),
            json!({"kind": "asterisk_ami", "address": "pbx.local", "username": "u", "secret": "p"}),
            json!({"kind": "asterisk_ami", "address": "pbx:5038", "username": "u", "secret": ""}),
            json!({"kind": "asterisk_ami", "address": "pbx:5038", "username": "u", "secret": "p",
                   "uuid_variable": "BAD NAME"}),
            json!({"kind": "asterisk_ami", "address": "pbx:5038", "username": "u", "secret": "p",
                   "context": "ops\r\nAction: Originate"}),
            json!({"kind": "asterisk_ami", "address": "pbx:5038", "username": "u", "secret": "p",
                   "priority": 0}),
        ];
        for case in cases {
            assert!(transferer_from_settings(&case).is_err(), "accepted {case}");
        }
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let shown = [
            format!(
                "{:?}",
                transferer_from_settings(&json!({"kind": "twilio", "auth_token": "tok-SECRET"}))
                    .unwrap()
            ),
            format!(
                "{:?}",
                transferer_from_settings(&json!({
                    "kind": "webhook", "url": "https://u:pw-SECRET@x/y?token=q-SECRET", "secret": "h-SECRET",
                }))
                .unwrap()
            ),
            format!(
                "{:?}",
                transferer_from_settings(&json!({
                    "kind": "asterisk_ami", "address": "pbx:5038", "username": "u", "secret": "a-SECRET",
                }))
                .unwrap()
            ),
        ];
        for s in shown {
            assert!(!s.contains("SECRET"), "{s}");
            assert!(s.contains("<redacted>"), "{s}");
        }
    }
}
