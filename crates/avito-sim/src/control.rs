//! The `/_sim/` JSON control API: the scenario controls and logs of [`Simulator`], reachable with curl.
//! Not part of Avito's surface (documented in the crate docs).

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::sim::Simulator;
use crate::state::SimError;
use crate::{CustomerSpec, Fault, FaultKind, Op, Posted, SimMessage};

pub(crate) fn routes() -> Router<Simulator> {
    Router::new()
        .route("/_sim/accounts", get(accounts))
        .route("/_sim/customer_writes", post(customer_writes))
        .route("/_sim/customer_voice", post(customer_voice))
        .route("/_sim/customer_reply", post(customer_reply))
        .route("/_sim/customer_link", post(customer_link))
        .route("/_sim/app_reply", post(app_reply))
        .route("/_sim/system_message", post(system_message))
        .route("/_sim/accounts/{id}/chats", get(chats))
        .route(
            "/_sim/accounts/{id}/chats/{chat_id}/messages",
            get(chat_messages),
        )
        .route("/_sim/accounts/{id}/sent", get(sent))
        .route("/_sim/faults", post(inject).delete(clear))
        .route("/_sim/expire_tokens/{id}", post(expire_tokens))
        .route("/_sim/webhooks", post(webhooks))
        .route("/_sim/webhook_log", get(webhook_log))
        .route("/_sim/request_log", get(request_log))
}

fn problem(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (status, Json(json!({"error": message.to_string()}))).into_response()
}

fn posted(result: Result<Posted, SimError>) -> Response {
    match result {
        Ok(p) => Json(json!({"chat_id": p.chat_id, "message_id": p.message_id})).into_response(),
        Err(e) => problem(StatusCode::NOT_FOUND, e),
    }
}

fn message_json(m: &SimMessage) -> Value {
    json!({
        "id": m.id, "chat_id": m.chat_id, "author_id": m.author_id, "created": m.created,
        "type": m.kind, "text": m.text, "via_api": m.via_api,
    })
}

async fn accounts(State(sim): State<Simulator>) -> Json<Value> {
    let state = sim.state();
    let list: Vec<Value> = state
        .accounts
        .values()
        .map(|a| {
            json!({
                "user_id": a.spec.user_id,
                "name": a.spec.name,
                "client_id": a.spec.client_id,
                "client_secret": a.spec.client_secret,
                "listings": a.listings.values().map(|l| json!({
                    "id": l.id, "title": l.title, "price_string": l.price_string, "url": l.url,
                })).collect::<Vec<_>>(),
                "chats": a.chats.len(),
                "subscriptions": a.subscriptions,
            })
        })
        .collect();
    Json(Value::Array(list))
}

#[derive(Debug, Deserialize)]
struct CustomerWrites {
    account: i64,
    customer_id: i64,
    customer_name: String,
    item_id: Option<i64>,
    text: String,
}

async fn customer_writes(State(sim): State<Simulator>, Json(b): Json<CustomerWrites>) -> Response {
    let customer = CustomerSpec {
        user_id: b.customer_id,
        name: b.customer_name,
    };
    posted(sim.try_customer_sends(
        b.account,
        &customer,
        b.item_id,
        crate::Content::Text(b.text),
    ))
}

#[derive(Debug, Deserialize)]
struct CustomerReply {
    account: i64,
    chat_id: String,
    /// The id of the message in that chat being replied to.
    quote_id: String,
    text: String,
}

async fn customer_reply(State(sim): State<Simulator>, Json(b): Json<CustomerReply>) -> Response {
    posted(sim.try_customer_replies(b.account, &b.chat_id, &b.quote_id, &b.text))
}

#[derive(Debug, Deserialize)]
struct CustomerLink {
    account: i64,
    customer_id: i64,
    customer_name: String,
    item_id: Option<i64>,
    url: String,
    #[serde(default)]
    text: Option<String>,
    /// With a title, the link carries a preview card.
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

async fn customer_link(State(sim): State<Simulator>, Json(b): Json<CustomerLink>) -> Response {
    let customer = CustomerSpec {
        user_id: b.customer_id,
        name: b.customer_name,
    };
    let preview = b.title.map(|title| crate::LinkPreview {
        title,
        description: b.description.unwrap_or_default(),
    });
    let text = b.text.unwrap_or_else(|| b.url.clone());
    posted(sim.try_customer_sends(
        b.account,
        &customer,
        b.item_id,
        crate::Content::Link {
            url: b.url,
            text,
            preview,
        },
    ))
}

#[derive(Debug, Deserialize)]
struct CustomerVoice {
    account: i64,
    customer_id: i64,
    customer_name: String,
    item_id: Option<i64>,
    /// The voice file as base64 (Opus in MP4 on the real service); served as it is, so a test can
    /// send real audio through the whole download-and-transcribe path.
    audio_base64: String,
}

async fn customer_voice(State(sim): State<Simulator>, Json(b): Json<CustomerVoice>) -> Response {
    use base64::Engine as _;
    let audio = match base64::engine::general_purpose::STANDARD.decode(b.audio_base64.trim()) {
        Ok(a) if !a.is_empty() => a,
        Ok(_) => return problem(StatusCode::BAD_REQUEST, "audio_base64 is empty"),
        Err(e) => return problem(StatusCode::BAD_REQUEST, format!("audio_base64: {e}")),
    };
    let customer = CustomerSpec {
        user_id: b.customer_id,
        name: b.customer_name,
    };
    posted(sim.try_customer_sends(
        b.account,
        &customer,
        b.item_id,
        crate::Content::Voice(audio),
    ))
}

#[derive(Debug, Deserialize)]
struct InChat {
    account: i64,
    chat_id: String,
    text: String,
    #[serde(default)]
    flow_id: Option<String>,
}

async fn app_reply(State(sim): State<Simulator>, Json(b): Json<InChat>) -> Response {
    posted(sim.try_app_reply(b.account, &b.chat_id, &b.text))
}

async fn system_message(State(sim): State<Simulator>, Json(b): Json<InChat>) -> Response {
    let flow = b.flow_id.unwrap_or_else(|| "system".to_owned());
    posted(sim.try_system_message(b.account, &b.chat_id, &b.text, &flow))
}

async fn chats(State(sim): State<Simulator>, Path(id): Path<i64>) -> Json<Value> {
    Json(json!(sim.chats(id)))
}

async fn chat_messages(
    State(sim): State<Simulator>,
    Path((id, chat_id)): Path<(i64, String)>,
) -> Json<Value> {
    Json(Value::Array(
        sim.messages(id, &chat_id)
            .iter()
            .map(message_json)
            .collect(),
    ))
}

async fn sent(State(sim): State<Simulator>, Path(id): Path<i64>) -> Json<Value> {
    Json(Value::Array(
        sim.sent_via_api(id).iter().map(message_json).collect(),
    ))
}

#[derive(Debug, Deserialize)]
struct FaultBody {
    op: String,
    kind: String,
    #[serde(default = "one")]
    times: u32,
    status: Option<u16>,
    retry_after: Option<u64>,
    delay_ms: Option<u64>,
}

fn one() -> u32 {
    1
}

async fn inject(State(sim): State<Simulator>, Json(b): Json<FaultBody>) -> Response {
    let Some(op) = Op::from_name(&b.op) else {
        return problem(StatusCode::BAD_REQUEST, format!("unknown op {}", b.op));
    };
    let delay = Duration::from_millis(b.delay_ms.unwrap_or(1000));
    let kind = match b.kind.as_str() {
        "too_many_requests" => FaultKind::TooManyRequests {
            retry_after: b.retry_after,
        },
        "server_error" => FaultKind::ServerError(b.status.unwrap_or(500)),
        "status" => match b.status {
            Some(s) if (100..=999).contains(&s) => FaultKind::Status(s),
            _ => return problem(StatusCode::BAD_REQUEST, "status is required"),
        },
        "delay" => FaultKind::Delay(delay),
        "delay_after_commit" => FaultKind::DelayAfterCommit(delay),
        other => return problem(StatusCode::BAD_REQUEST, format!("unknown kind {other}")),
    };
    sim.inject(Fault {
        op,
        kind,
        times: b.times,
    });
    Json(json!({"ok": true})).into_response()
}

async fn clear(State(sim): State<Simulator>) -> Json<Value> {
    sim.clear_faults();
    Json(json!({"ok": true}))
}

async fn expire_tokens(State(sim): State<Simulator>, Path(id): Path<i64>) -> Json<Value> {
    sim.expire_tokens(id);
    Json(json!({"ok": true}))
}

#[derive(Debug, Deserialize)]
struct HookAction {
    action: String,
    #[serde(default = "one")]
    n: u32,
    #[serde(default)]
    reverse: bool,
}

async fn webhooks(State(sim): State<Simulator>, Json(b): Json<HookAction>) -> Response {
    match b.action.as_str() {
        "drop" => sim.drop_webhooks(b.n),
        "duplicate" => sim.duplicate_webhooks(b.n),
        "hold" => sim.hold_webhooks(),
        "release" => sim.release_webhooks(b.reverse),
        other => return problem(StatusCode::BAD_REQUEST, format!("unknown action {other}")),
    }
    Json(json!({"ok": true, "held": sim.held_webhooks()})).into_response()
}

async fn webhook_log(State(sim): State<Simulator>) -> Json<Value> {
    Json(Value::Array(
        sim.webhook_log()
            .iter()
            .map(|a| {
                json!({"url": a.url, "message_id": a.message_id, "status": a.status, "error": a.error})
            })
            .collect(),
    ))
}

async fn request_log(State(sim): State<Simulator>) -> Json<Value> {
    Json(Value::Array(
        sim.request_log()
            .iter()
            .map(|r| {
                json!({"method": r.method, "path": r.path, "op": r.op.name(), "status": r.status})
            })
            .collect(),
    ))
}
