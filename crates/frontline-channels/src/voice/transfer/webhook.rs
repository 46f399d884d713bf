//! A webhook transfer: the call and its context POSTed as JSON to a URL of the deployment's
//! choosing, for telephony sides with no transfer API of their own here (Telnyx, Exotel, a custom
//! PBX's glue). The receiver moves the call and may answer with a reference for the record.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{
    TransferConfigError, TransferError, TransferOutcome, TransferRequest, Transferer,
    check_timeout, default_timeout_ms, http_client, http_failure, parse_http_url, quote, read_body,
    redact,
};
use crate::voice::leg::Telephony;

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
pub(super) fn without_query(raw: &str) -> String {
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

#[cfg(test)]
mod tests {
    use axum::http::{Method, StatusCode};
    use serde_json::json;

    use super::super::fixtures::{
        UUID, audiosocket_request, http_server, media_stream_request, only,
    };
    use super::*;

    #[tokio::test]
    async fn webhook_posts_the_call_and_its_context_as_json() {
        let (base, seen) = http_server(
            StatusCode::ACCEPTED,
            r#"{"reference": "ticket-9"}"#,
            Duration::ZERO,
        )
        .await;
        let settings: WebhookTransferSettings = serde_json::from_value(json!({
            "url": format!("{base}/hooks/transfer?token=abc"),
            "secret": "hook-secret",
        }))
        .unwrap();
        let transfer = WebhookTransfer::new(settings).unwrap();

        let outcome = transfer
            .transfer(&media_stream_request(Some("ACaaaa")))
            .await
            .unwrap();

        assert_eq!(
            outcome,
            TransferOutcome {
                via: "webhook".into(),
                target: format!("{base}/hooks/transfer"),
                reference: Some("ticket-9".into()),
            }
        );
        let req = only(&seen);
        assert_eq!(req.method, Method::POST);
        assert_eq!(req.path, "/hooks/transfer");
        assert_eq!(req.headers["authorization"], "Bearer hook-secret");
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(
            body,
            json!({
                "call_id": "CA11112222333344445555666677778888",
                "line": 3,
                "telephony": "media_stream",
                "uuid": null,
                "stream_sid": "MZ18ad3ab5a668481ce02b83e7395059f0",
                "call_sid": "CA11112222333344445555666677778888",
                "account_sid": "ACaaaa",
                "caller": "+79161234567",
                "conversation_id": 42,
                "reason": "customer asked for a person",
                "intent": "order_status",
                "summary": "wants to know where order 1234 is",
                "briefing": "Intent: order status\nOrder: 1234\r\n\tCaller is upset",
                "slots": {"order_number": "1234"},
            })
        );
    }

    #[tokio::test]
    async fn webhook_carries_the_audiosocket_uuid_and_works_without_a_secret() {
        let (base, seen) = http_server(StatusCode::OK, "", Duration::ZERO).await;
        let transfer = WebhookTransfer::new(
            serde_json::from_value(json!({"url": format!("{base}/t")})).unwrap(),
        )
        .unwrap();

        let outcome = transfer.transfer(&audiosocket_request()).await.unwrap();

        assert_eq!(outcome.reference, None);
        let req = only(&seen);
        assert!(req.headers.get("authorization").is_none());
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["telephony"], "audiosocket");
        assert_eq!(body["uuid"], UUID);
        assert_eq!(body["call_sid"], serde_json::Value::Null);
    }

    #[tokio::test]
    async fn webhook_non_2xx_is_rejected() {
        let (base, _) = http_server(
            StatusCode::CONFLICT,
            r#"{"error": "no operators online"}"#,
            Duration::ZERO,
        )
        .await;
        let transfer = WebhookTransfer::new(
            serde_json::from_value(json!({"url": format!("{base}/t")})).unwrap(),
        )
        .unwrap();

        let err = transfer.transfer(&audiosocket_request()).await.unwrap_err();

        assert_eq!(
            err,
            TransferError::Rejected(
                r#"webhook answered 409: {"error": "no operators online"}"#.into()
            )
        );
    }

    #[tokio::test]
    async fn webhook_timeout_is_unreachable() {
        let (base, _) = http_server(StatusCode::OK, "", Duration::from_secs(3)).await;
        let transfer = WebhookTransfer::new(
            serde_json::from_value(json!({"url": format!("{base}/t"), "timeout_ms": 200})).unwrap(),
        )
        .unwrap();
        let err = transfer.transfer(&audiosocket_request()).await.unwrap_err();
        assert_eq!(
            err,
            TransferError::Unreachable("no answer within 200 ms".into())
        );
    }
}
