//! The realtime stream: `GET /api/v1/stream`, a WebSocket that pushes every event of the durable event
//! log, without gaps and without duplicates, across disconnects.
//!
//! How it holds: one dispatcher task tails the event log in `seq` order (the stores guarantee that seq
//! order is commit order) and broadcasts each rendered event to the connected clients. A client that
//! connects with `?after=N` first SUBSCRIBES to the broadcast, then reads everything after N from the
//! database, then forwards live events, dropping any whose seq it has already sent. Whatever commits
//! after the database read is broadcast after the subscription, so nothing falls between the two; a
//! client too slow for the broadcast buffer falls back to reading the database again.
//!
//! Protocol (server → client, JSON text frames):
//! - `{"type":"hello","latest_seq":N}` once authenticated, with the newest seq in the log;
//! - `{"type":"resync","latest_seq":N,"reason":"…"}` when `after` is older than the retained log (or
//!   newer than the log): reload state over REST, then continue from `latest_seq`;
//! - events `{"type":"message.created","seq":N,"conversation_id":…, "message":{…}}`, likewise
//!   `message.updated`, `conversation.created|updated|assigned` (with `conversation`) and
//!   `conversation.lead_changed` (with `conversation` and `handoff`); payloads show the entity's state
//!   when the event is sent (at least as new as the event);
//! - `{"type":"ready","seq":N}` after the backlog has been sent;
//! - `{"type":"session_expired"}` before closing when the session ends.
//!
//! Client → server: `{"type":"auth","token":"…"}` as the first frame when the token is not given as the
//! `token` query parameter, `Authorization` header or session cookie; `{"type":"ping"}` (answered with
//! `{"type":"pong"}`). Remember the last `seq` received and reconnect with `?after=<seq>`.

use std::{sync::Arc, time::Duration};

use axum::{
    extract::{
        State,
        ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade},
    },
    http::HeaderMap,
    response::Response,
};
use frontline_domain::{Event, EventKind, Seq};
use frontline_store::Store;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::{
    AppState,
    auth::{authenticate, request_token},
    dto,
    error::{ApiError, ApiQuery},
};

/// A rendered event, shared by every client.
#[derive(Debug)]
pub struct Frame {
    pub seq: i64,
    pub json: Utf8Bytes,
}

/// Fan-out of rendered events to the connected clients.
#[derive(Debug, Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Frame>>,
}

impl Hub {
    pub fn new(capacity: usize) -> Self {
        let (tx, _) = broadcast::channel(capacity);
        Self { tx }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Frame>> {
        self.tx.subscribe()
    }
}

/// Render one event as the JSON clients receive, loading the current state of what it names.
pub async fn render(store: &dyn Store, e: &Event) -> Result<String, ApiError> {
    let mut obj = json!({
        "type": e.kind.as_str(),
        "seq": e.seq.0,
        "conversation_id": e.conversation_id.0,
        "at": dto::rfc3339(e.created_at),
    });
    let map = obj.as_object_mut().expect("json! object");
    match e.kind {
        EventKind::MessageCreated | EventKind::MessageUpdated => {
            if let Some(id) = e.message_id
                && let Some(m) = store.message(id).await?
            {
                map.insert(
                    "message".into(),
                    serde_json::to_value(dto::Message::from(&m)).map_err(ApiError::internal)?,
                );
            }
        }
        EventKind::ConversationCreated
        | EventKind::ConversationUpdated
        | EventKind::Assigned
        | EventKind::LeadChanged => {
            if let Some(c) = store.conversation(e.conversation_id).await? {
                map.insert(
                    "conversation".into(),
                    serde_json::to_value(dto::Conversation::from(&c))
                        .map_err(ApiError::internal)?,
                );
            }
            if let Some(h) = e.handoff_id
                && let Some(h) = store.handoff(h).await?
            {
                map.insert(
                    "handoff".into(),
                    serde_json::to_value(dto::Handoff::from(&h)).map_err(ApiError::internal)?,
                );
            }
        }
    }
    Ok(Value::Object(std::mem::take(map)).to_string())
}

/// Tail the event log and broadcast each event once, in seq order.
pub async fn run_dispatcher(state: AppState, poll: Duration, shutdown: CancellationToken) {
    let store = state.store().clone();
    let signals = state.lifecycle().signals().clone();
    let mut last = loop {
        match store.event_bounds().await {
            Ok(b) => break b.latest,
            Err(e) => {
                warn!(error = %e, "reading event bounds failed, retrying");
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(poll) => {}
                }
            }
        }
    };
    loop {
        loop {
            let batch = match store.events_after(last, 256).await {
                Ok(b) => b,
                Err(e) => {
                    warn!(error = %e, "reading events failed");
                    break;
                }
            };
            if batch.is_empty() {
                break;
            }
            for e in batch {
                match render(&*store, &e).await {
                    Ok(json) => {
                        // No receivers is fine: nobody is connected.
                        let _ = state.hub().tx.send(Arc::new(Frame {
                            seq: e.seq.0,
                            json: json.into(),
                        }));
                    }
                    Err(err) => warn!(seq = e.seq.0, error = %err, "rendering event failed"),
                }
                last = e.seq;
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = signals.events.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct StreamParams {
    /// Resume after this seq: every later event is sent first, then live ones.
    pub after: Option<i64>,
    /// Session token, for clients that cannot set headers on a WebSocket.
    pub token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Auth { token: String },
    Ping,
}

/// Open the realtime event stream.
#[utoipa::path(
    get,
    path = "/api/v1/stream",
    tag = "realtime",
    params(StreamParams),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol described in the API description"),
        (status = 401, description = "Invalid token", body = crate::error::ErrorBody),
    )
)]
pub async fn stream(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<StreamParams>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    // A token given up front is checked before upgrading, so a bad one gets a plain 401.
    let token = params.token.clone().or_else(|| request_token(&headers));
    let operator = match token {
        Some(t) => Some((authenticate(&state, &t).await?, t)),
        None => None,
    };
    Ok(ws
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| async move {
            let metrics = state.metrics().clone();
            metrics.ws_clients.inc();
            serve_client(socket, state, operator, params.after).await;
            metrics.ws_clients.dec();
        }))
}

async fn send_json(socket: &mut WebSocket, v: Value) -> bool {
    socket
        .send(WsMessage::Text(v.to_string().into()))
        .await
        .is_ok()
}

async fn close(mut socket: WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(WsMessage::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

async fn serve_client(
    mut socket: WebSocket,
    state: AppState,
    operator: Option<(frontline_domain::Operator, String)>,
    after: Option<i64>,
) {
    let token = match operator {
        Some((_, token)) => token,
        None => match first_frame_auth(&mut socket, &state).await {
            Some(t) => t,
            None => {
                let _ = send_json(
                    &mut socket,
                    json!({"type": "error", "code": "unauthorized"}),
                )
                .await;
                return close(socket, 4401, "unauthorized").await;
            }
        },
    };
    let store = state.store().clone();
    let shutdown = state.shutdown().clone();
    // Subscribe before reading the backlog: see the module docs.
    let mut rx = state.hub().subscribe();
    let Ok(bounds) = store.event_bounds().await else {
        return close(socket, 1011, "store unavailable").await;
    };
    let _ = send_json(
        &mut socket,
        json!({"type": "hello", "latest_seq": bounds.latest.0}),
    )
    .await;
    let mut last = match after {
        None => bounds.latest,
        Some(a) if a < bounds.pruned_through.0 || a > bounds.latest.0 => {
            let reason = if a > bounds.latest.0 {
                "ahead_of_log"
            } else {
                "older_than_retained_log"
            };
            let _ = send_json(
                &mut socket,
                json!({"type": "resync", "latest_seq": bounds.latest.0, "reason": reason}),
            )
            .await;
            bounds.latest
        }
        Some(a) => Seq(a),
    };
    if catch_up(&mut socket, &*store, &mut last).await.is_err() {
        return;
    }
    if !send_json(&mut socket, json!({"type": "ready", "seq": last.0})).await {
        return;
    }
    let mut keepalive = tokio::time::interval(Duration::from_secs(25));
    keepalive.tick().await;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return close(socket, 1012, "server restarting").await,
            frame = rx.recv() => match frame {
                Ok(f) => {
                    if f.seq > last.0 {
                        if socket.send(WsMessage::Text(f.json.clone())).await.is_err() {
                            return;
                        }
                        last = Seq(f.seq);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    debug!(skipped = n, "client lagged behind the broadcast, reading the log");
                    if catch_up(&mut socket, &*store, &mut last).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Text(t))) => {
                    if let Ok(ClientFrame::Ping) = serde_json::from_str::<ClientFrame>(&t)
                        && !send_json(&mut socket, json!({"type": "pong"})).await
                    {
                        return;
                    }
                }
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = keepalive.tick() => {
                if authenticate(&state, &token).await.is_err() {
                    let _ = send_json(&mut socket, json!({"type": "session_expired"})).await;
                    return close(socket, 4401, "session expired").await;
                }
                if socket.send(WsMessage::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn first_frame_auth(socket: &mut WebSocket, state: &AppState) -> Option<String> {
    let frame = tokio::time::timeout(Duration::from_secs(10), socket.recv())
        .await
        .ok()??
        .ok()?;
    let WsMessage::Text(text) = frame else {
        return None;
    };
    let ClientFrame::Auth { token } = serde_json::from_str(&text).ok()? else {
        return None;
    };
    authenticate(state, &token).await.ok().map(|_| token)
}

/// Send every event after `last` from the log, advancing `last`.
async fn catch_up(socket: &mut WebSocket, store: &dyn Store, last: &mut Seq) -> Result<(), ()> {
    loop {
        let batch = store.events_after(*last, 500).await.map_err(|_| ())?;
        if batch.is_empty() {
            return Ok(());
        }
        for e in batch {
            let json = render(store, &e).await.map_err(|_| ())?;
            socket
                .send(WsMessage::Text(json.into()))
                .await
                .map_err(|_| ())?;
            *last = e.seq;
        }
    }
}
