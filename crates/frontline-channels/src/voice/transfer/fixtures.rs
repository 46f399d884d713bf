//! What the transferers' tests share: a transfer request for each kind of call, and a recording
//! HTTP server standing in for Twilio's REST API and a webhook receiver.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use frontline_domain::{AccountId, ConversationId};
use tokio::net::TcpListener;

use super::TransferRequest;
use crate::voice::leg::{CallStart, Telephony};

pub(super) const UUID: &str = "3f2a9c1e-5b7d-4e8f-9a01-23456789abcd";

fn request(telephony: Telephony) -> TransferRequest {
    let call_id = match &telephony {
        Telephony::AudioSocket { uuid } => uuid.clone(),
        Telephony::MediaStream { call_sid, .. } => call_sid.clone(),
    };
    TransferRequest {
        call: CallStart {
            line: AccountId(3),
            call_id,
            from: None,
            telephony,
        },
        conversation_id: ConversationId(42),
        caller: Some("+79161234567".into()),
        reason: "customer asked for a person".into(),
        intent: Some("order_status".into()),
        summary: Some("wants to know where order 1234 is".into()),
        briefing: "Intent: order status\nOrder: 1234\r\n\tCaller is upset".into(),
        slots: BTreeMap::from([("order_number".to_owned(), "1234".to_owned())]),
    }
}

pub(super) fn audiosocket_request() -> TransferRequest {
    request(Telephony::AudioSocket { uuid: UUID.into() })
}

pub(super) fn media_stream_request(account_sid: Option<&str>) -> TransferRequest {
    request(Telephony::MediaStream {
        stream_sid: "MZ18ad3ab5a668481ce02b83e7395059f0".into(),
        call_sid: "CA11112222333344445555666677778888".into(),
        account_sid: account_sid.map(str::to_owned),
        custom: BTreeMap::new(),
    })
}

#[derive(Debug, Clone)]
pub(super) struct Recorded {
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) headers: HeaderMap,
    pub(super) body: Bytes,
}

#[derive(Clone)]
struct Reply {
    status: StatusCode,
    body: &'static str,
    delay: Duration,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

/// An axum server answering every request with `status`/`body` after `delay`, recording it.
pub(super) async fn http_server(
    status: StatusCode,
    body: &'static str,
    delay: Duration,
) -> (String, Arc<Mutex<Vec<Recorded>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let reply = Reply {
        status,
        body,
        delay,
        seen: seen.clone(),
    };
    let app = axum::Router::new()
        .fallback(
            |axum::extract::State(reply): axum::extract::State<Reply>,
             req: axum::extract::Request| async move {
                let (parts, body) = req.into_parts();
                let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
                reply.seen.lock().unwrap().push(Recorded {
                    method: parts.method,
                    path: parts.uri.path().to_owned(),
                    headers: parts.headers,
                    body,
                });
                tokio::time::sleep(reply.delay).await;
                (
                    reply.status,
                    [("content-type", "application/json")],
                    reply.body,
                )
            },
        )
        .with_state(reply);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (base, seen)
}

pub(super) fn only(seen: &Arc<Mutex<Vec<Recorded>>>) -> Recorded {
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    seen[0].clone()
}

/// A form body as name/value pairs, decoded the `application/x-www-form-urlencoded` way.
pub(super) fn form(body: &Bytes) -> Vec<(String, String)> {
    let body = std::str::from_utf8(body).unwrap();
    reqwest::Url::parse(&format!("http://form.invalid/?{body}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}
