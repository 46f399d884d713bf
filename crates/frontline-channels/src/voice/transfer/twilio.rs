//! Twilio's REST "update a call" (`POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`,
//! form field `Twiml` or `Url`, HTTP basic auth `AccountSid:AuthToken`). New TwiML replaces the
//! `<Connect><Stream>`, so Twilio ends the media stream itself and runs what replaces it. Errors
//! come back as JSON `{code, message, more_info, status}`.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;

use super::{
    TransferConfigError, TransferError, TransferOutcome, TransferRequest, Transferer,
    check_timeout, default_timeout_ms, http_client, http_failure, parse_http_url, quote, read_body,
    redact,
};
use crate::voice::leg::Telephony;

/// Twilio refuses a `Twiml` parameter longer than this.
const TWIML_MAX_CHARS: usize = 4_000;

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

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, Method, StatusCode};
    use base64::Engine as _;
    use serde_json::json;

    use super::super::fixtures::{
        audiosocket_request, form, http_server, media_stream_request, only,
    };
    use super::*;

    fn basic_auth(headers: &HeaderMap) -> (String, String) {
        let value = headers["authorization"].to_str().unwrap();
        let encoded = value.strip_prefix("Basic ").expect("basic auth");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        let decoded = String::from_utf8(decoded).unwrap();
        let (user, pass) = decoded.split_once(':').unwrap();
        (user.to_owned(), pass.to_owned())
    }

    const TWILIO_CALL: &str = r#"{"sid": "CA11112222333344445555666677778888", "account_sid": "ACaaaa", "status": "in-progress", "api_version": "2010-04-01"}"#;

    fn twilio(api_base: &str, extra: serde_json::Value) -> TwilioTransfer {
        let mut settings = json!({"api_base": api_base, "auth_token": "tok3n"});
        if let (Some(s), Some(e)) = (settings.as_object_mut(), extra.as_object()) {
            s.extend(e.clone());
        }
        TwilioTransfer::new(serde_json::from_value(settings).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn twilio_updates_the_call_with_the_default_twiml() {
        let (base, seen) = http_server(StatusCode::OK, TWILIO_CALL, Duration::ZERO).await;
        let transfer = twilio(&base, json!({}));

        let outcome = transfer
            .transfer(&media_stream_request(Some("ACaaaa")))
            .await
            .unwrap();

        assert_eq!(
            outcome,
            TransferOutcome {
                via: "twilio".into(),
                target: DEFAULT_TWIML.into(),
                reference: Some("in-progress".into()),
            }
        );
        let req = only(&seen);
        assert_eq!(req.method, Method::POST);
        assert_eq!(
            req.path,
            "/2010-04-01/Accounts/ACaaaa/Calls/CA11112222333344445555666677778888.json"
        );
        assert_eq!(basic_auth(&req.headers), ("ACaaaa".into(), "tok3n".into()));
        assert_eq!(
            req.headers["content-type"],
            "application/x-www-form-urlencoded"
        );
        assert_eq!(
            form(&req.body),
            [("Twiml".to_owned(), DEFAULT_TWIML.to_owned())]
        );
    }

    #[tokio::test]
    async fn twilio_url_gets_placeholders_and_the_settings_account_authenticates() {
        let (base, seen) = http_server(StatusCode::OK, TWILIO_CALL, Duration::ZERO).await;
        let transfer = twilio(
            &base,
            json!({
                "account_sid": "ACparent",
                "url": "https://pbx.example/twiml/operators?conversation={conversation_id}&why={reason}",
            }),
        );

        let outcome = transfer
            .transfer(&media_stream_request(Some("ACsub")))
            .await
            .unwrap();

        let req = only(&seen);
        // The call lives under the stream's (sub)account; the configured account signs in.
        assert_eq!(
            req.path,
            "/2010-04-01/Accounts/ACsub/Calls/CA11112222333344445555666677778888.json"
        );
        assert_eq!(basic_auth(&req.headers).0, "ACparent");
        let expected_url = "https://pbx.example/twiml/operators?conversation=42&why=customer%20asked%20for%20a%20person";
        assert_eq!(
            form(&req.body),
            [
                ("Url".to_owned(), expected_url.to_owned()),
                ("Method".to_owned(), "POST".to_owned()),
            ]
        );
        assert_eq!(outcome.target, expected_url);
    }

    #[tokio::test]
    async fn twilio_twiml_placeholders_are_xml_escaped() {
        let (base, seen) = http_server(StatusCode::OK, TWILIO_CALL, Duration::ZERO).await;
        let transfer = twilio(
            &base,
            json!({
                "account_sid": "ACaaaa",
                "twiml": "<Response><Dial><Sip>sip:ops@pbx?X-Conv={conversation_id}&amp;X-Intent={intent}</Sip></Dial></Response>",
            }),
        );
        let mut req = media_stream_request(None);
        req.intent = Some("a<b>&\"c\"".into());

        transfer.transfer(&req).await.unwrap();

        let twiml = form(&only(&seen).body).remove(0).1;
        assert_eq!(
            twiml,
            "<Response><Dial><Sip>sip:ops@pbx?X-Conv=42&amp;X-Intent=a&lt;b&gt;&amp;&quot;c&quot;</Sip></Dial></Response>"
        );
    }

    #[tokio::test]
    async fn twilio_404_is_rejected_with_twilios_message() {
        let body = r#"{"code": 20404, "message": "The requested resource /2010-04-01/Accounts/ACaaaa/Calls/CA11112222333344445555666677778888.json was not found", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}"#;
        let (base, _) = http_server(StatusCode::NOT_FOUND, body, Duration::ZERO).await;

        let err = twilio(&base, json!({}))
            .transfer(&media_stream_request(Some("ACaaaa")))
            .await
            .unwrap_err();

        assert_eq!(
            err,
            TransferError::Rejected(
                "twilio 404: The requested resource /2010-04-01/Accounts/ACaaaa/Calls/CA11112222333344445555666677778888.json was not found (code 20404)".into()
            )
        );
    }

    #[tokio::test]
    async fn twilio_error_without_json_is_rejected_with_the_body_quoted() {
        let (base, _) =
            http_server(StatusCode::BAD_GATEWAY, "upstream\nbroke", Duration::ZERO).await;
        let err = twilio(&base, json!({}))
            .transfer(&media_stream_request(Some("ACaaaa")))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            TransferError::Rejected("twilio 502: upstream broke".into())
        );
    }

    #[tokio::test]
    async fn twilio_timeout_is_unreachable() {
        let (base, _) = http_server(StatusCode::OK, TWILIO_CALL, Duration::from_secs(3)).await;
        let transfer = twilio(&base, json!({"timeout_ms": 200}));

        let err = transfer
            .transfer(&media_stream_request(Some("ACaaaa")))
            .await
            .unwrap_err();

        assert_eq!(
            err,
            TransferError::Unreachable("no answer within 200 ms".into())
        );
    }

    #[tokio::test]
    async fn twilio_connection_refused_is_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let err = twilio(&base, json!({}))
            .transfer(&media_stream_request(Some("ACaaaa")))
            .await
            .unwrap_err();
        assert!(matches!(err, TransferError::Unreachable(_)), "{err:?}");
    }

    #[tokio::test]
    async fn twilio_refuses_audiosocket_calls_and_needs_an_account() {
        let transfer = twilio("http://127.0.0.1:9", json!({}));
        let err = transfer.transfer(&audiosocket_request()).await.unwrap_err();
        assert!(matches!(err, TransferError::NotApplicable(_)), "{err:?}");

        let err = transfer
            .transfer(&media_stream_request(None))
            .await
            .unwrap_err();
        assert!(matches!(err, TransferError::Misconfigured(_)), "{err:?}");
    }
}
