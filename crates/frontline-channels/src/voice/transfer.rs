//! Handing a live call to a human operator, through the telephony side's control plane.
//!
//! The media leg alone cannot do it: a bot hangup on AudioSocket ends the Asterisk channel, and a
//! Twilio `<Connect><Stream>` only continues with the next TwiML once the stream closes. So each
//! [`Transferer`] talks to the side that owns the call:
//!
//! - [`TwilioTransfer`]: Twilio's REST "update a call" (`POST
//!   /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`, form field `Twiml` or `Url`, HTTP
//!   basic auth `AccountSid:AuthToken`). New TwiML replaces the `<Connect><Stream>`, so Twilio ends
//!   the media stream itself. Errors come back as JSON `{code, message, more_info, status}`.
//! - [`WebhookTransfer`]: POSTs the call and its context as JSON to a URL of the deployment's
//!   choosing, for Telnyx/Exotel/custom PBX glue.
//! - [`AsteriskAmiTransfer`]: over AMI ([`super::ami`]) finds the channel whose `FRONTLINE_CALL`
//!   variable holds the AudioSocket UUID, stores the briefing and conversation id on it and
//!   `Redirect`s it to the operators' context; Asterisk then leaves `AudioSocket()` and closes the
//!   socket. The dialplan this expects:
//!
//!   ```text
//!   [bot]
//!   exten => _X.,1,Answer()
//!    same => n,Set(FRONTLINE_CALL=${UUID()})
//!    same => n,AudioSocket(${FRONTLINE_CALL},bot.example:9092)
//!    same => n,Hangup()
//!   [operators]
//!   exten => s,1,Set(CALLERID(name)=${FRONTLINE_CONVERSATION})
//!    same => n,Queue(support)
//!   ```
//!
//! Settings are a tagged JSON object (`{"kind": "twilio" | "webhook" | "asterisk_ami", …}`, see
//! [`TransferSettings`]) kept in a voice line's settings. Secrets (auth token, webhook secret, AMI
//! secret) never reach logs or `Debug` output.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use frontline_domain::ConversationId;
use serde::{Deserialize, Serialize};
use tokio::time::{Instant, timeout_at};

use super::ami::{AmiClient, AmiError, AmiMessage};
use super::leg::{CallStart, Telephony};

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
/// Twilio refuses a `Twiml` parameter longer than this.
const TWIML_MAX_CHARS: usize = 4_000;
/// The briefing stored on an Asterisk channel. One `Value:` line must stay under Asterisk's
/// 1024-byte AMI line buffer; 900 bytes is ~450 Cyrillic characters, plenty for a screen-pop.
const AMI_BRIEFING_MAX_BYTES: usize = 900;
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

/// [`one_line`], then cut at a character boundary so that the result (with its `…`) fits
/// `max_bytes`.
fn one_line_within(text: &str, max_bytes: usize) -> String {
    let line = one_line(text);
    if line.len() <= max_bytes {
        return line;
    }
    let ellipsis = '…';
    let mut end = max_bytes.saturating_sub(ellipsis.len_utf8());
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ellipsis}", line[..end].trim_end())
}

fn redact(secret: &str) -> &'static str {
    if secret.is_empty() { "" } else { "<redacted>" }
}

// ---------------------------------------------------------------------------------------------
// Twilio

fn default_twilio_api_base() -> String {
    "https://api.twilio.com".to_owned()
}

/// `{"kind": "twilio", "auth_token": "…", …}`.
///
/// `twiml` and `url` may use the placeholders `{conversation_id}`, `{call_sid}`, `{caller}`,
/// `{intent}` and `{reason}` (XML-escaped in TwiML, percent-encoded in the URL), e.g. to hand
/// the conversation id to a `<Dial><Sip>` header. Neither given: enqueue into `support`.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioTransferSettings {
    #[serde(default = "default_twilio_api_base")]
    pub api_base: String,
    /// For basic auth (and the URL when the stream's start message has none). Without it the
    /// start message's account sid is used for both.
    #[serde(default)]
    pub account_sid: Option<String>,
    pub auth_token: String,
    #[serde(default)]
    pub twiml: Option<String>,
    /// Twilio fetches the next TwiML from here (POST) instead.
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

impl fmt::Debug for TwilioTransferSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TwilioTransferSettings")
            .field("api_base", &self.api_base)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &redact(&self.auth_token))
            .field("twiml", &self.twiml)
            .field("url", &self.url)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

pub const DEFAULT_TWIML: &str = "<Response><Enqueue>support</Enqueue></Response>";

/// What replaces the media stream on Twilio's side.
#[derive(Debug, Clone, PartialEq)]
enum TwilioNext {
    Twiml(String),
    Url(String),
}

#[derive(Debug)]
pub struct TwilioTransfer {
    settings: TwilioTransferSettings,
    api_base: reqwest::Url,
    next: TwilioNext,
    timeout: Duration,
    http: reqwest::Client,
}

impl TwilioTransfer {
    pub fn new(settings: TwilioTransferSettings) -> Result<Self, TransferConfigError> {
        let api_base = parse_http_url("api_base", &settings.api_base)?;
        if api_base.cannot_be_a_base() {
            return Err(TransferConfigError("api_base: not a base URL".into()));
        }
        if settings.auth_token.trim().is_empty() {
            return Err(TransferConfigError("auth_token is empty".into()));
        }
        if settings
            .account_sid
            .as_deref()
            .is_some_and(|s| s.trim().is_empty())
        {
            return Err(TransferConfigError("account_sid is empty".into()));
        }
        let next = match (&settings.twiml, &settings.url) {
            (Some(_), Some(_)) => {
                return Err(TransferConfigError(
                    "give either twiml or url, not both".into(),
                ));
            }
            (Some(t), None) if t.trim().is_empty() => {
                return Err(TransferConfigError("twiml is empty".into()));
            }
            (Some(t), None) => TwilioNext::Twiml(t.clone()),
            (None, Some(u)) => {
                // Placeholders are not URL syntax; check the shape with them filled in.
                parse_http_url("url", &fill(u, &placeholder_probe(), |s| s.to_owned()))?;
                TwilioNext::Url(u.clone())
            }
            (None, None) => TwilioNext::Twiml(DEFAULT_TWIML.to_owned()),
        };
        let timeout = check_timeout(settings.timeout_ms)?;
        Ok(Self {
            http: http_client(timeout)?,
            api_base,
            next,
            timeout,
            settings,
        })
    }
}

/// Placeholder values for a transfer.
fn placeholders(req: &TransferRequest) -> [(&'static str, String); 5] {
    [
        ("{conversation_id}", req.conversation_id.to_string()),
        ("{call_sid}", req.call.call_id.clone()),
        (
            "{caller}",
            req.caller
                .clone()
                .or_else(|| req.call.from.clone())
                .unwrap_or_default(),
        ),
        ("{intent}", req.intent.clone().unwrap_or_default()),
        ("{reason}", req.reason.clone()),
    ]
}

fn placeholder_probe() -> [(&'static str, String); 5] {
    [
        ("{conversation_id}", "1".into()),
        ("{call_sid}", "CA0".into()),
        ("{caller}", "0".into()),
        ("{intent}", "x".into()),
        ("{reason}", "x".into()),
    ]
}

fn fill(
    template: &str,
    values: &[(&'static str, String)],
    escape: impl Fn(&str) -> String,
) -> String {
    let mut out = template.to_owned();
    for (key, value) in values {
        if out.contains(key) {
            out = out.replace(key, &escape(value));
        }
    }
    out
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Twilio's JSON error body.
#[derive(Debug, Deserialize)]
struct TwilioErrorBody {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

/// The bit of Twilio's call resource worth keeping.
#[derive(Debug, Deserialize)]
struct TwilioCallBody {
    #[serde(default)]
    status: Option<String>,
}

#[async_trait]
impl Transferer for TwilioTransfer {
    fn name(&self) -> &str {
        "twilio"
    }

    async fn transfer(&self, req: &TransferRequest) -> Result<TransferOutcome, TransferError> {
        let Telephony::MediaStream {
            call_sid,
            account_sid,
            ..
        } = &req.call.telephony
        else {
            return Err(TransferError::NotApplicable(format!(
                "twilio cannot transfer a {} call",
                req.call.telephony.kind()
            )));
        };
        if call_sid.is_empty() {
            return Err(TransferError::NotApplicable(
                "the media stream has no call sid".into(),
            ));
        }
        // The call lives under the account that started the stream (a subaccount, perhaps);
        // the configured account (its parent, perhaps) authenticates.
        let call_account = account_sid
            .as_deref()
            .filter(|s| !s.is_empty())
            .or(self.settings.account_sid.as_deref())
            .ok_or_else(|| {
                TransferError::Misconfigured(
                    "no account sid: neither the stream's start message nor the settings name one"
                        .into(),
                )
            })?;
        let auth_account = self.settings.account_sid.as_deref().unwrap_or(call_account);

        // Segment by segment, so that a strange sid from the wire is escaped, never a path.
        let call_file = format!("{call_sid}.json");
        let mut endpoint = self.api_base.clone();
        endpoint
            .path_segments_mut()
            .map_err(|()| TransferError::Misconfigured("api_base is not a base URL".into()))?
            .pop_if_empty()
            .extend([
                "2010-04-01",
                "Accounts",
                call_account,
                "Calls",
                call_file.as_str(),
            ]);

        let values = placeholders(req);
        let (form, target) = match &self.next {
            TwilioNext::Twiml(t) => {
                let twiml = fill(t, &values, xml_escape);
                if twiml.chars().count() > TWIML_MAX_CHARS {
                    return Err(TransferError::Misconfigured(format!(
                        "the TwiML is longer than twilio's {TWIML_MAX_CHARS} characters"
                    )));
                }
                (vec![("Twiml", twiml.clone())], twiml)
            }
            TwilioNext::Url(u) => {
                let url = fill(u, &values, percent_encode);
                (
                    vec![("Url", url.clone()), ("Method", "POST".to_owned())],
                    url,
                )
            }
        };

        let resp = self
            .http
            .post(endpoint)
            .basic_auth(auth_account, Some(&self.settings.auth_token))
            .form(&form)
            .send()
            .await
            .map_err(|e| http_failure(e, self.timeout))?;
        let status = resp.status();
        let body = read_body(resp, self.timeout).await?;
        if !status.is_success() {
            let reason = match serde_json::from_slice::<TwilioErrorBody>(&body) {
                Ok(TwilioErrorBody {
                    message: Some(message),
                    code,
                }) => match code {
                    Some(code) => format!("twilio {}: {message} (code {code})", status.as_u16()),
                    None => format!("twilio {}: {message}", status.as_u16()),
                },
                _ => format!("twilio {}: {}", status.as_u16(), quote(&body)),
            };
            return Err(TransferError::Rejected(reason));
        }
        let reference = serde_json::from_slice::<TwilioCallBody>(&body)
            .ok()
            .and_then(|c| c.status);
        tracing::info!(
            conversation_id = %req.conversation_id,
            call_sid = %call_sid,
            call_status = reference.as_deref().unwrap_or(""),
            "twilio call updated for operator transfer"
        );
        Ok(TransferOutcome {
            via: self.name().to_owned(),
            target,
            reference,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Webhook

/// `{"kind": "webhook", "url": "https://…", "secret": "…"}`: the call and its context are
/// POSTed as JSON ([`WebhookPayload`]); `secret` goes as `Authorization: Bearer …`. A 2xx answer
/// means accepted (a JSON body `{"reference": "…"}` is optional and recorded); anything else is a
/// rejection.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookTransferSettings {
    pub url: String,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

impl fmt::Debug for WebhookTransferSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookTransferSettings")
            .field("url", &without_query(&self.url))
            .field("secret", &self.secret.as_deref().map(redact))
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// A URL as safe to show: no query (it may hold a token) and no user info.
fn without_query(raw: &str) -> String {
    match reqwest::Url::parse(raw) {
        Ok(mut u) => {
            u.set_query(None);
            u.set_fragment(None);
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "<invalid url>".to_owned(),
    }
}

/// The webhook's JSON body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WebhookPayload {
    /// The telephony side's id of the call (AudioSocket UUID or `CallSid`).
    pub call_id: String,
    /// The voice line (account) the call came in on.
    pub line: i64,
    /// `audiosocket` or `media_stream`.
    pub telephony: &'static str,
    pub uuid: Option<String>,
    pub stream_sid: Option<String>,
    pub call_sid: Option<String>,
    pub account_sid: Option<String>,
    pub caller: Option<String>,
    pub conversation_id: i64,
    pub reason: String,
    pub intent: Option<String>,
    pub summary: Option<String>,
    pub briefing: String,
    pub slots: BTreeMap<String, String>,
}

impl WebhookPayload {
    pub fn from_request(req: &TransferRequest) -> Self {
        let (uuid, stream_sid, call_sid, account_sid) = match &req.call.telephony {
            Telephony::AudioSocket { uuid } => (Some(uuid.clone()), None, None, None),
            Telephony::MediaStream {
                stream_sid,
                call_sid,
                account_sid,
                ..
            } => (
                None,
                Some(stream_sid.clone()),
                Some(call_sid.clone()),
                account_sid.clone(),
            ),
        };
        Self {
            call_id: req.call.call_id.clone(),
            line: req.call.line.0,
            telephony: req.call.telephony.kind(),
            uuid,
            stream_sid,
            call_sid,
            account_sid,
            caller: req.caller.clone().or_else(|| req.call.from.clone()),
            conversation_id: req.conversation_id.0,
            reason: req.reason.clone(),
            intent: req.intent.clone(),
            summary: req.summary.clone(),
            briefing: req.briefing.clone(),
            slots: req.slots.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct WebhookAnswer {
    #[serde(default)]
    reference: Option<String>,
}

pub struct WebhookTransfer {
    settings: WebhookTransferSettings,
    url: reqwest::Url,
    timeout: Duration,
    http: reqwest::Client,
}

impl fmt::Debug for WebhookTransfer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the parsed URL: its query or user info may carry a token.
        f.debug_struct("WebhookTransfer")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl WebhookTransfer {
    pub fn new(settings: WebhookTransferSettings) -> Result<Self, TransferConfigError> {
        let url = parse_http_url("url", &settings.url)?;
        if settings
            .secret
            .as_deref()
            .is_some_and(|s| s.trim().is_empty())
        {
            return Err(TransferConfigError("secret is empty".into()));
        }
        let timeout = check_timeout(settings.timeout_ms)?;
        Ok(Self {
            http: http_client(timeout)?,
            url,
            timeout,
            settings,
        })
    }
}

#[async_trait]
impl Transferer for WebhookTransfer {
    fn name(&self) -> &str {
        "webhook"
    }

    async fn transfer(&self, req: &TransferRequest) -> Result<TransferOutcome, TransferError> {
        let mut request = self
            .http
            .post(self.url.clone())
            .json(&WebhookPayload::from_request(req));
        if let Some(secret) = &self.settings.secret {
            request = request.bearer_auth(secret);
        }
        let resp = request
            .send()
            .await
            .map_err(|e| http_failure(e, self.timeout))?;
        let status = resp.status();
        let body = read_body(resp, self.timeout).await?;
        if !status.is_success() {
            return Err(TransferError::Rejected(format!(
                "webhook answered {}: {}",
                status.as_u16(),
                quote(&body)
            )));
        }
        let reference = serde_json::from_slice::<WebhookAnswer>(&body)
            .ok()
            .and_then(|a| a.reference);
        let target = without_query(&self.settings.url);
        tracing::info!(
            conversation_id = %req.conversation_id,
            call_id = %req.call.call_id,
            target = %target,
            "transfer webhook accepted the call"
        );
        Ok(TransferOutcome {
            via: self.name().to_owned(),
            target,
            reference,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Asterisk AMI

fn default_ami_context() -> String {
    "operators".to_owned()
}
fn default_ami_exten() -> String {
    "s".to_owned()
}
fn default_ami_priority() -> u32 {
    1
}
fn default_uuid_variable() -> String {
    "FRONTLINE_CALL".to_owned()
}
fn default_briefing_variable() -> String {
    "FRONTLINE_BRIEFING".to_owned()
}
fn default_conversation_variable() -> String {
    "FRONTLINE_CONVERSATION".to_owned()
}

/// `{"kind": "asterisk_ami", "address": "pbx:5038", "username": "…", "secret": "…"}`; the rest
/// defaults to the dialplan in the module docs.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsteriskAmiTransferSettings {
    /// `host:port` of the manager interface (Asterisk's default port is 5038).
    pub address: String,
    pub username: String,
    pub secret: String,
    #[serde(default = "default_ami_context")]
    pub context: String,
    #[serde(default = "default_ami_exten")]
    pub exten: String,
    #[serde(default = "default_ami_priority")]
    pub priority: u32,
    /// The channel variable holding the AudioSocket UUID.
    #[serde(default = "default_uuid_variable")]
    pub uuid_variable: String,
    /// Where the operator briefing is stored on the channel.
    #[serde(default = "default_briefing_variable")]
    pub briefing_variable: String,
    /// Where the conversation id is stored on the channel.
    #[serde(default = "default_conversation_variable")]
    pub conversation_variable: String,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

impl fmt::Debug for AsteriskAmiTransferSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsteriskAmiTransferSettings")
            .field("address", &self.address)
            .field("username", &self.username)
            .field("secret", &redact(&self.secret))
            .field("context", &self.context)
            .field("exten", &self.exten)
            .field("priority", &self.priority)
            .field("uuid_variable", &self.uuid_variable)
            .field("briefing_variable", &self.briefing_variable)
            .field("conversation_variable", &self.conversation_variable)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// How long a polite logoff may take once the real work is done.
const AMI_LOGOFF_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct AsteriskAmiTransfer {
    settings: AsteriskAmiTransferSettings,
    timeout: Duration,
}

impl AsteriskAmiTransfer {
    pub fn new(settings: AsteriskAmiTransferSettings) -> Result<Self, TransferConfigError> {
        let port_ok = settings
            .address
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !port_ok {
            return Err(TransferConfigError(
                "address must be host:port (asterisk's default port is 5038)".into(),
            ));
        }
        for (field, value) in [
            ("username", &settings.username),
            ("secret", &settings.secret),
            ("context", &settings.context),
            ("exten", &settings.exten),
        ] {
            if value.trim().is_empty() {
                return Err(TransferConfigError(format!("{field} is empty")));
            }
            if value.chars().any(char::is_control) {
                return Err(TransferConfigError(format!(
                    "{field} contains control characters"
                )));
            }
        }
        for (field, value) in [
            ("uuid_variable", &settings.uuid_variable),
            ("briefing_variable", &settings.briefing_variable),
            ("conversation_variable", &settings.conversation_variable),
        ] {
            let ok =
                !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                return Err(TransferConfigError(format!(
                    "{field} must be a channel variable name (letters, digits, _)"
                )));
            }
        }
        if settings.priority == 0 {
            return Err(TransferConfigError("priority starts at 1".into()));
        }
        let timeout = check_timeout(settings.timeout_ms)?;
        Ok(Self { settings, timeout })
    }

    /// The caller's number (`CallerIDNum`) of the channel running this AudioSocket call: the
    /// AudioSocket wire does not carry it. `None` when the channel is not found or has no number.
    pub async fn lookup_caller(&self, uuid: &str) -> Result<Option<String>, TransferError> {
        let deadline = Instant::now() + self.timeout;
        let mut client = self.login(deadline).await?;
        let found = timeout_at(deadline, self.find_channel(&mut client, uuid))
            .await
            .map_err(|_| self.timed_out())
            .and_then(|r| r);
        self.logoff(client).await;
        let caller = found?.and_then(|ch| {
            ch.get("CallerIDNum")
                .map(str::trim)
                .filter(|n| !n.is_empty() && *n != "<unknown>")
                .map(str::to_owned)
        });
        tracing::debug!(uuid, found = caller.is_some(), "asterisk caller lookup");
        Ok(caller)
    }

    fn timed_out(&self) -> TransferError {
        TransferError::Unreachable(format!(
            "no answer from asterisk at {} within {} ms",
            self.settings.address,
            self.timeout.as_millis()
        ))
    }

    async fn login(&self, deadline: Instant) -> Result<AmiClient, TransferError> {
        let s = &self.settings;
        let work = async {
            let mut client = AmiClient::connect(&s.address).await?;
            tracing::debug!(
                address = %s.address,
                username = %s.username,
                banner = client.banner(),
                "ami login"
            );
            client.login(&s.username, &s.secret).await?;
            Ok::<_, AmiError>(client)
        };
        match timeout_at(deadline, work).await {
            Err(_) => Err(self.timed_out()),
            Ok(r) => r.map_err(|e| ami_failure(&s.address, e)),
        }
    }

    /// The `Status` event of the channel whose UUID variable holds `uuid`. Several can match
    /// when the dialplan made the variable inherited (`__FRONTLINE_CALL`); the one running
    /// `AudioSocket` is the caller's.
    async fn find_channel(
        &self,
        client: &mut AmiClient,
        uuid: &str,
    ) -> Result<Option<AmiMessage>, TransferError> {
        let var = &self.settings.uuid_variable;
        let want = normalize_uuid(uuid);
        if want.is_empty() {
            return Ok(None);
        }
        let events = client
            .action_list("Status", &[("Variables", var)], "StatusComplete")
            .await
            .map_err(|e| ami_failure(&self.settings.address, e))?;
        let mut matches: Vec<AmiMessage> = events
            .into_iter()
            .filter(|e| e.event().is_some_and(|n| n.eq_ignore_ascii_case("Status")))
            .filter(|e| {
                e.variables()
                    .get(var)
                    .is_some_and(|v| normalize_uuid(v) == want)
            })
            .collect();
        if matches.is_empty() {
            return Ok(None);
        }
        let best = matches
            .iter()
            .position(|m| {
                m.get("Application")
                    .is_some_and(|a| a.eq_ignore_ascii_case("AudioSocket"))
            })
            .unwrap_or(0);
        Ok(Some(matches.swap_remove(best)))
    }

    async fn redirect(
        &self,
        client: &mut AmiClient,
        uuid: &str,
        req: &TransferRequest,
    ) -> Result<String, TransferError> {
        let s = &self.settings;
        let channel = self.find_channel(client, uuid).await?.ok_or_else(|| {
            TransferError::Rejected(format!(
                "no asterisk channel has {}={uuid} (hung up, or the dialplan does not set it)",
                s.uuid_variable
            ))
        })?;
        let name = channel
            .get("Channel")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| TransferError::Rejected("status event without a channel name".into()))?
            .to_owned();
        let briefing = one_line_within(&req.briefing, AMI_BRIEFING_MAX_BYTES);
        let conversation = req.conversation_id.to_string();
        let priority = s.priority.to_string();
        let fail = |e| ami_failure(&s.address, e);
        client
            .action(
                "Setvar",
                &[
                    ("Channel", &name),
                    ("Variable", &s.briefing_variable),
                    ("Value", &briefing),
                ],
            )
            .await
            .map_err(fail)?;
        client
            .action(
                "Setvar",
                &[
                    ("Channel", &name),
                    ("Variable", &s.conversation_variable),
                    ("Value", &conversation),
                ],
            )
            .await
            .map_err(fail)?;
        client
            .action(
                "Redirect",
                &[
                    ("Channel", &name),
                    ("Context", &s.context),
                    ("Exten", &s.exten),
                    ("Priority", &priority),
                ],
            )
            .await
            .map_err(fail)?;
        Ok(name)
    }

    /// Best effort: the transfer already happened (or failed) by now.
    async fn logoff(&self, client: AmiClient) {
        let wait = self.timeout.min(AMI_LOGOFF_TIMEOUT);
        match tokio::time::timeout(wait, client.logoff()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, "ami logoff failed"),
            Err(_) => tracing::debug!("ami logoff timed out"),
        }
    }
}

/// UUIDs compare without case or hyphens: `${UUID()}` is lower-case and hyphenated, an adapter
/// may print the 16 bytes differently.
fn normalize_uuid(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn ami_failure(address: &str, e: AmiError) -> TransferError {
    match e {
        AmiError::Failed { action, message } => {
            TransferError::Rejected(format!("asterisk refused {action}: {message}"))
        }
        AmiError::InvalidHeader(what) => TransferError::Misconfigured(format!("ami header {what}")),
        e @ (AmiError::Io(_) | AmiError::Closed | AmiError::NotAmi(_) | AmiError::TooLarge(_)) => {
            TransferError::Unreachable(format!("{address}: {e}"))
        }
    }
}

#[async_trait]
impl Transferer for AsteriskAmiTransfer {
    fn name(&self) -> &str {
        "asterisk_ami"
    }

    async fn transfer(&self, req: &TransferRequest) -> Result<TransferOutcome, TransferError> {
        let Telephony::AudioSocket { uuid } = &req.call.telephony else {
            return Err(TransferError::NotApplicable(format!(
                "asterisk ami cannot transfer a {} call",
                req.call.telephony.kind()
            )));
        };
        let deadline = Instant::now() + self.timeout;
        let mut client = self.login(deadline).await?;
        let result = timeout_at(deadline, self.redirect(&mut client, uuid, req))
            .await
            .map_err(|_| self.timed_out())
            .and_then(|r| r);
        self.logoff(client).await;
        let channel = result?;
        let s = &self.settings;
        let target = format!("{},{},{}", s.context, s.exten, s.priority);
        tracing::info!(
            conversation_id = %req.conversation_id,
            uuid = %uuid,
            channel = %channel,
            target = %target,
            "asterisk channel redirected to operators"
        );
        Ok(TransferOutcome {
            via: self.name().to_owned(),
            target,
            reference: Some(channel),
        })
    }
}

#[cfg(test)]
mod tests;
