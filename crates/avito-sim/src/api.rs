//! Avito's HTTP surface: `/token` (A2) and the 13 Messenger operations (A4), each behind one guard that
//! applies injected faults, bearer auth, rate limiting and the request log, in that order.
//!
//! Size: the 13 operations of one API behind one guard, each short, kept together so the surface
//! can be compared with Avito's reference in one read.

use axum::Router;
use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, OriginalUri, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use axum::{Extension, Json};
use serde_json::{Map, Value, json};

use crate::query::Params;
use crate::sim::Simulator;
use crate::state::{
    AccessToken, Body, ChatKind, DELETE_WINDOW_SECS, StoredImage, Target, UPLOAD_SIZES,
    VOICE_LINK_TTL_MS, new_image_id, random_alnum,
};
use crate::wire::{ApiError, Render};
use crate::{FaultKind, LoggedRequest, MessagesShape, Op};

/// A4 #5: at most 24 MB per image.
const MAX_UPLOAD_BYTES: usize = 24 * 1024 * 1024;
/// Bodies above this are refused by the server before the handler sees them (413).
const UPLOAD_BODY_LIMIT: usize = 64 * 1024 * 1024;
/// A4 #4: `text` maxLength.
const MAX_TEXT_CHARS: usize = 1000;

/// The account a valid bearer token belongs to.
#[derive(Debug, Clone, Copy)]
struct Caller(i64);

#[derive(Debug, Clone)]
struct Guard {
    sim: Simulator,
    op: Op,
}

pub(crate) fn router(sim: Simulator) -> Router {
    let op = |op: Op, route: MethodRouter<Simulator>| {
        route.layer(middleware::from_fn_with_state(
            Guard {
                sim: sim.clone(),
                op,
            },
            guard,
        ))
    };
    Router::new()
        .route("/token", op(Op::Token, post(token)))
        .route("/token/", op(Op::Token, post(token)))
        .route(
            "/messenger/v2/accounts/{user_id}/chats",
            op(Op::GetChats, get(get_chats)),
        )
        .route(
            "/messenger/v2/accounts/{user_id}/chats/{chat_id}",
            op(Op::GetChat, get(get_chat)),
        )
        .route(
            "/messenger/v3/accounts/{user_id}/chats/{chat_id}/messages/",
            op(Op::GetMessages, get(get_messages)),
        )
        .route(
            "/messenger/v3/accounts/{user_id}/chats/{chat_id}/messages",
            op(Op::GetMessages, get(get_messages)),
        )
        .route(
            "/messenger/v1/accounts/{user_id}/chats/{chat_id}/messages",
            op(Op::SendMessage, post(send_message)),
        )
        .route(
            "/messenger/v1/accounts/{user_id}/uploadImages",
            op(
                Op::UploadImages,
                post(upload_images).layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT)),
            ),
        )
        .route(
            "/messenger/v1/accounts/{user_id}/chats/{chat_id}/messages/image",
            op(Op::SendImage, post(send_image)),
        )
        .route(
            "/messenger/v1/accounts/{user_id}/chats/{chat_id}/messages/{message_id}",
            op(Op::DeleteMessage, post(delete_message)),
        )
        .route(
            "/messenger/v1/accounts/{user_id}/chats/{chat_id}/read",
            op(Op::Read, post(read_chat)),
        )
        .route(
            "/messenger/v1/accounts/{user_id}/getVoiceFiles",
            op(Op::VoiceFiles, get(voice_files)),
        )
        .route(
            "/messenger/v2/accounts/{user_id}/blacklist",
            op(Op::Blacklist, post(blacklist)),
        )
        .route("/messenger/v3/webhook", op(Op::Subscribe, post(subscribe)))
        .route(
            "/messenger/v1/webhook/unsubscribe",
            op(Op::Unsubscribe, post(unsubscribe)),
        )
        .route(
            "/messenger/v1/subscriptions",
            op(Op::Subscriptions, post(subscriptions)),
        )
        .merge(crate::assets::routes())
        .merge(crate::control::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(sim)
}

fn request_path(req: &Request) -> String {
    req.extensions()
        .get::<OriginalUri>()
        .map_or_else(|| req.uri().path().to_owned(), |u| u.path().to_owned())
}

/// Faults, then auth, then the rate limit, then the handler; every outcome is logged.
async fn guard(State(g): State<Guard>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let path = request_path(&req);
    let fault = g.sim.state().take_fault(g.op);
    let mut delay_after = None;
    let response = match fault {
        Some(FaultKind::Status(code) | FaultKind::ServerError(code)) => {
            Some(ApiError::Status(code).into_response())
        }
        Some(FaultKind::TooManyRequests { retry_after }) => {
            Some(ApiError::TooManyRequests { retry_after }.into_response())
        }
        Some(FaultKind::Delay(d)) => {
            tokio::time::sleep(d).await;
            None
        }
        Some(FaultKind::DelayAfterCommit(d)) => {
            delay_after = Some(d);
            None
        }
        None => None,
    };
    let response = match response {
        Some(r) => r,
        None if g.op == Op::Token => next.run(req).await,
        None => authorized(&g.sim, &path, req, next).await,
    };
    g.sim.state().request_log.push(LoggedRequest {
        method,
        path,
        op: g.op,
        status: response.status().as_u16(),
    });
    if let Some(d) = delay_after {
        tokio::time::sleep(d).await;
    }
    response
}

async fn authorized(sim: &Simulator, path: &str, mut req: Request, next: Next) -> Response {
    let account = match authenticate(sim, req.headers(), path) {
        Ok(account) => account,
        Err(e) => return e.into_response(),
    };
    let rate = sim.state().rate_check(account);
    let mut response = match rate {
        Some((_, _, false)) => ApiError::TooManyRequests { retry_after: None }.into_response(),
        _ => {
            req.extensions_mut().insert(Caller(account));
            next.run(req).await
        }
    };
    if let Some((limit, remaining, _)) = rate {
        let headers = response.headers_mut();
        headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    }
    response
}

/// 401 without a known token, 403 for an expired one (A2) or for another account's path.
fn authenticate(sim: &Simulator, headers: &HeaderMap, path: &str) -> Result<i64, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
        })
        .ok_or(ApiError::Unauthorized)?;
    let state = sim.state();
    let AccessToken {
        account,
        expires_at_ms,
    } = *state.tokens.get(token).ok_or(ApiError::Unauthorized)?;
    if expires_at_ms <= state.now_ms() {
        return Err(ApiError::Forbidden);
    }
    if let Some(segment) = path_account(path)
        && segment.parse::<i64>().ok() != Some(account)
    {
        return Err(ApiError::Forbidden);
    }
    Ok(account)
}

/// The `{user_id}` segment of `/messenger/vN/accounts/{user_id}/…`.
fn path_account(path: &str) -> Option<&str> {
    let mut segments = path.split('/');
    segments.find(|s| *s == "accounts")?;
    segments.next()
}

async fn not_found(State(sim): State<Simulator>, uri: Uri, method: axum::http::Method) -> Response {
    sim.state().request_log.push(LoggedRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        op: Op::Any,
        status: 404,
    });
    ApiError::NotFound.into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::Status(405).into_response()
}

// ---- /token (A2) ----

fn oauth_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn token(State(sim): State<Simulator>, body: Bytes) -> Response {
    let form = Params::parse(&String::from_utf8_lossy(&body));
    let Some(grant) = form.get("grant_type").filter(|g| !g.is_empty()) else {
        return oauth_error("invalid_request", "grant_type is required");
    };
    let (id, secret) = (
        form.get("client_id").unwrap_or_default(),
        form.get("client_secret").unwrap_or_default(),
    );
    let ttl = sim.config().token_ttl;
    let mut state = sim.state();
    let Some(account) = state
        .accounts
        .values()
        .find(|a| !id.is_empty() && a.spec.client_id == id && a.spec.client_secret == secret)
        .map(|a| a.spec.user_id)
    else {
        return oauth_error("invalid_client", "unknown client_id or wrong client_secret");
    };
    let with_refresh = match grant {
        "client_credentials" => false,
        "authorization_code" => {
            let code = form.get("code").unwrap_or_default();
            if code.is_empty() {
                return oauth_error("invalid_request", "code is required");
            }
            if let Some((owner, used)) = state.codes.get_mut(code) {
                if *owner != account || *used {
                    return oauth_error("invalid_grant", "the authorization code is invalid");
                }
                *used = true;
            }
            true
        }
        "refresh_token" => {
            let refresh = form.get("refresh_token").unwrap_or_default();
            if state.refresh_tokens.get(refresh) != Some(&account) {
                return oauth_error("invalid_grant", "the refresh token is invalid");
            }
            // Rotation (A2): the used refresh token dies with this exchange.
            state.refresh_tokens.remove(refresh);
            true
        }
        _ => return oauth_error("unsupported_grant_type", "unsupported grant_type"),
    };
    let access_token = random_alnum(22);
    let expires_at_ms = state.now_ms() + i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2);
    state.tokens.insert(
        access_token.clone(),
        AccessToken {
            account,
            expires_at_ms,
        },
    );
    if let Some(a) = state.accounts.get_mut(&account) {
        a.token_grants += 1;
    }
    let mut out = json!({
        "access_token": access_token,
        "expires_in": ttl.as_secs(),
        "token_type": "Bearer",
    });
    if with_refresh {
        let refresh = random_alnum(38);
        state.refresh_tokens.insert(refresh.clone(), account);
        out["refresh_token"] = json!(refresh);
        out["scope"] = json!("messenger:read,messenger:write");
    }
    Json(out).into_response()
}

// ---- helpers ----

type ApiResult = Result<Response, ApiError>;

fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|_| ApiError::BadRequest)
}

fn int_param(
    q: &Params,
    key: &str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ApiError> {
    let Some(raw) = q.get(key) else {
        return Ok(default);
    };
    match raw.trim().parse::<i64>() {
        Ok(v) if range.contains(&v) => Ok(v),
        _ => Err(ApiError::field(
            key,
            &format!(
                "must be an integer from {} to {}",
                range.start(),
                range.end()
            ),
        )),
    }
}

fn usize_of(v: i64) -> usize {
    usize::try_from(v).unwrap_or(0)
}

// ---- #1 getChatsV2 ----

async fn get_chats(
    State(sim): State<Simulator>,
    Extension(Caller(caller)): Extension<Caller>,
    uri: Uri,
) -> ApiResult {
    let q = Params::parse(uri.query().unwrap_or_default());
    let limit = usize_of(int_param(&q, "limit", 100, 1..=100)?);
    let offset = usize_of(int_param(&q, "offset", 0, 0..=1000)?);
    let unread_only = match q.get("unread_only") {
        None | Some("false" | "0") => false,
        Some("true" | "1") => true,
        Some(_) => return Err(ApiError::field("unread_only", "must be true or false")),
    };
    let requested = q.list("chat_types");
    let kinds = if requested.is_empty() {
        // A4 #1: the default is u2i only, which hides u2u chats.
        vec![ChatKind::U2i]
    } else {
        requested
            .iter()
            .map(|k| ChatKind::parse(k))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| ApiError::field("chat_types", "allowed values are u2i, u2u, a2u"))?
    };
    let item_ids = q
        .list("item_ids")
        .iter()
        .map(|s| s.parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::field("item_ids", "must be integers"))?;

    let base = sim.base_url();
    let state = sim.state();
    let account = state.account(caller)?;
    let mut chats: Vec<_> = account
        .chats
        .iter()
        .filter(|c| kinds.contains(&c.kind))
        .filter(|c| item_ids.is_empty() || c.item_id.is_some_and(|i| item_ids.contains(&i)))
        .filter(|c| !unread_only || c.has_unread(caller))
        .collect();
    chats.sort_by_key(|c| std::cmp::Reverse(c.recency()));
    let render = Render {
        state: &state,
        base: &base,
    };
    let total = chats.len();
    let page: Vec<Value> = chats
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|c| render.chat(account, c))
        .collect();
    let mut body = json!({ "chats": page });
    if state.chats_meta {
        body["meta"] = json!({"has_more": offset + limit < total});
    }
    Ok(Json(body).into_response())
}

// ---- #2 getChatByIdV2 ----

async fn get_chat(
    State(sim): State<Simulator>,
    Extension(Caller(caller)): Extension<Caller>,
    Path((_, chat_id)): Path<(String, String)>,
) -> ApiResult {
    let base = sim.base_url();
    let state = sim.state();
    let account = state.account(caller)?;
    let chat = state.chat(caller, &chat_id)?;
    let render = Render {
        state: &state,
        base: &base,
    };
    Ok(Json(render.chat(account, chat)).into_response())
}

// ---- #3 getMessagesV3 ----

async fn get_messages(
    State(sim): State<Simulator>,
    Extension(Caller(caller)): Extension<Caller>,
    Path((_, chat_id)): Path<(String, String)>,
    uri: Uri,
) -> ApiResult {
    let q = Params::parse(uri.query().unwrap_or_default());
    let limit = usize_of(int_param(&q, "limit", 100, 1..=100)?);
    let offset = usize_of(int_param(&q, "offset", 0, 0..=1000)?);
    let base = sim.base_url();
    let state = sim.state();
    let chat = state.chat(caller, &chat_id)?;
    let render = Render {
        state: &state,
        base: &base,
    };
    // Newest first (A5 [C]); this does not mark anything read (A4 #3).
    let page: Vec<Value> = chat
        .messages
        .iter()
        .rev()
        .skip(offset)
        .take(limit)
        .map(|m| render.message(caller, m))
        .collect();
    let body = match state.messages_shape {
        MessagesShape::Array => Value::Array(page),
        MessagesShape::Wrapped => json!({"messages": page}),
    };
    Ok(Json(body).into_response())
}

// ---- #4 postSendMessage ----

async fn send_message(
    State(sim): State<Simulator>,
    Extension(Caller(caller)): Extension<Caller>,
    Path((_, chat_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let v = json_body(&body)?;
    let mut fields = Map::new();
    match v.get("type") {
        Some(Value::String(t)) if t == "text" => {}
        None | Some(Value::Null) => {
            fields.insert("type".into(), json!("required"));
        }
        Some(_) => {
            fields.insert("type".into(), json!("must be text"));
        }
    }
    let text = match v.get("message").and_then(|m| m.get("text")) {
        Some(Value::String(t)) if t.trim().is_empty() => {
            fields.insert("message.text".into(), json!("must not be empty"));
            None
        }
        Some(Value::String(t)) if t.chars().count() > MAX_TEXT_CHARS => {
            fields.insert(
                "message.text".into(),
                json!(format!("must be at most {MAX_TEXT_CHARS} characters")),
            );
            None
        }
        Some(Value::String(t)) => Some(t.clone()),
        _ => {
            fields.insert("message.text".into(), json!("required"));
            None
        }
    };
    let Some(text) = text.filter(|_| fields.is_empty()) else {
        return Err(ApiError::Validation(fields));
    };
    let stored = sim.commit(
        caller,
        Target::Chat(chat_id),
        caller,
        Body::Text(text.clone()),
        true,
    )?;
    Ok(Json(json!({
        "id": stored.message.id,
        "created": stored.message.created,
        "direction": "out",
        "type": "text",
        "content": {"text": text},
    }))
    .into_response())
}

// ---- #5 uploadImages ----

/// The image formats A4 #5 accepts, recognised by their magic bytes.
fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.starts_with(b"BM") && bytes.len() > 14 {
        Some("image/bmp")
    } else if bytes.len() > 12
        && &bytes[4..8] == b"ftyp"
        && [&b"heic"[..], b"heix", b"mif1", b"msf1", b"heim", b"heis"].contains(&&bytes[8..12])
    {
        Some("image/heic")
    } else {
        None
    }
}

async fn upload_images(
    State(sim): State<Simulator>,
    Extension(Caller(caller)): Extension<Caller>,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult {
    let mut multipart = multipart.map_err(|_| ApiError::BadRequest)?;
    let mut file: Option<(usize, Vec<u8>)> = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|_| ApiError::BadRequest)?
    {
        if field.name() != Some("uploadfile[]") || file.is_some() {
            continue;
        }
        // Count everything but keep at most the limit, so an oversized file still gets a JSON answer.
        let (mut size, mut bytes) = (0usize, Vec::new());
        while let Some(chunk) = field.chunk().await.map_err(|_| ApiError::BadRequest)? {
            size += chunk.len();
            if size <= MAX_UPLOAD_BYTES {
                bytes.extend_from_slice(&chunk);
            }
        }
        file = Some((size, bytes));
    }
    let Some((size, bytes)) = file else {
        return Err(ApiError::field("uploadfile[]", "required"));
    };
    if size > MAX_UPLOAD_BYTES {
        return Err(ApiError::field(
            "uploadfile[]",
            "the image is larger than 24 MB",
        ));
    }
    let Some(content_type) = sniff_image(&bytes) else {
        return Err(ApiError::field(
            "uploadfile[]",
            "unsupported format: JPEG, HEIC, GIF, BMP or PNG expected",
        ));
    };
    let image_id = new_image_id();
    let base = sim.base_url();
    let mut state = sim.state();
    state.images.insert(
        image_id.clone(),
        StoredImage {
            owner: Some(caller),
            content_type,
            bytes,
        },
    );
    let sizes = Render {
        state: &state,
        base: &base,
    }
    .image_sizes(&image_id, UPLOAD_SIZES);
    Ok(Json(json!({ image_id: sizes })).into_response())
}

// ---- #6 postSendImageMessage ----

async fn send_image(
    State(sim): State<Simulator>,
    Extension(Caller(caller)): Extension<Caller>,
    Path((_, chat_id)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult {
    let v = json_body(&body)?;
    let Some(image_id) = v.get("image_id").and_then(Value::as_str).map(str::to_owned) else {
        return Err(ApiError::field("image_id", "required"));
    };
    let known = sim
        .state()
        .images
        .get(&image_id)
        .is_some_and(|i| i.owner == Some(caller));
    if !known {
        return Err(ApiError::field(
            "image_id",
            "no image with this id was uploaded",
        ));
    }
    let stored = sim.commit(
        caller,
        Target::Chat(chat_id),
        caller,
        Body::Image {
            image_id,
            sizes: UPLOAD_SIZES,
        },
        true,
    )?;
    let base = sim.base_url();
    let state = sim.state();
    let content = Render {
        state: &state,
        base: &base,
    }
    .content(&stored.message.body);
    Ok(Json(json!({
        "id": stored.message.id,
        "author_id": caller,
        "created": stored.message.created,
        "direction": "out",
        "type": "image",
        "content": content,
    }))
    .into_response())
}

// ---- #7 deleteMessage ----

async fn delete_message(
    State(sim): State<Simulator>,
    Extension(Caller(caller)): Extension<Caller>,
    Path((_, chat_id, message_id)): Path<(String, String, String)>,
) -> ApiResult {
    let mut state = sim.state();
    let now = state.now();
    let chat = state.chat_mut(caller, &chat_id)?;
    let message = chat
        .messages
        .iter_mut()
        .find(|m| m.id == message_id)
        .ok_or(ApiError::NotFound)?;
    if message.author_id != caller {
        return Err(ApiError::field(
            "message_id",
            "only your own messages can be deleted",
        ));
    }
    if message.body != Body::Deleted {
        if now - message.created > DELETE_WINDOW_SECS {
            return Err(ApiError::field(
                "message_id",
                "a message can be deleted only within an hour of sending",
            ));
        }
        message.body = Body::Deleted;
    }
    Ok(Json(json!({})).into_response())
}

// ---- #8 chatRead ----

async fn read_chat(
    State(sim): State<Simulator>,
    Extension(Caller(caller)): Extension<Caller>,
    Path((_, chat_id)): Path<(String, String)>,
) -> ApiResult {
    let mut state = sim.state();
    let now = state.now();
    let chat = state.chat_mut(caller, &chat_id)?;
    chat.read_calls += 1;
    for m in &mut chat.messages {
        if m.author_id != caller && !m.is_read {
            m.is_read = true;
            m.read = Some(now);
        }
    }
    Ok(Json(json!({"ok": true})).into_response())
}

// ---- #9 getVoiceFiles ----

async fn voice_files(
    State(sim): State<Simulator>,
    Extension(Caller(caller)): Extension<Caller>,
    uri: Uri,
) -> ApiResult {
    let q = Params::parse(uri.query().unwrap_or_default());
    let ids = q.list("voice_ids");
    if ids.is_empty() {
        return Err(ApiError::field("voice_ids", "required"));
    }
    let base = sim.base_url();
    let mut state = sim.state();
    let expires = state.now_ms() + VOICE_LINK_TTL_MS;
    // Only participants may fetch a voice (A4 #9): ids outside the account's chats are left out.
    let own: Vec<String> = {
        let account = state.account(caller)?;
        ids.into_iter()
            .filter(|id| {
                account.chats.iter().any(|c| {
                    c.messages
                        .iter()
                        .any(|m| matches!(&m.body, Body::Voice { voice_id } if voice_id == id))
                })
            })
            .collect()
    };
    let mut urls = Map::new();
    for id in own {
        let link = random_alnum(24);
        state
            .voice_links
            .insert(link.clone(), (id.clone(), expires));
        urls.insert(
            id.clone(),
            json!(format!("{base}/static/voices/{id}.mp4?t={link}")),
        );
    }
    Ok(Json(json!({"voices_urls": urls})).into_response())
}

// ---- #10 postBlacklistV2 ----

async fn blacklist(
    State(sim): State<Simulator>,
    Extension(Caller(caller)): Extension<Caller>,
    body: Bytes,
) -> ApiResult {
    let v = json_body(&body)?;
    let users = v
        .get("users")
        .and_then(Value::as_array)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::field("users", "required"))?;
    let mut ids = Vec::new();
    for (i, user) in users.iter().enumerate() {
        let id = user
            .get("user_id")
            .and_then(Value::as_i64)
            .ok_or_else(|| ApiError::field(&format!("users[{i}].user_id"), "required"))?;
        if let Some(reason) = user.pointer("/context/reason_id")
            && !reason.as_i64().is_some_and(|r| (1..=4).contains(&r))
        {
            return Err(ApiError::field(
                &format!("users[{i}].context.reason_id"),
                "must be 1, 2, 3 or 4",
            ));
        }
        ids.push(id);
    }
    let mut state = sim.state();
    let account = state.account_mut(caller)?;
    for id in ids {
        if !account.blacklist.contains(&id) {
            account.blacklist.push(id);
        }
    }
    // A4 #10: 200 with no body schema.
    Ok(StatusCode::OK.into_response())
}

// ---- #11-#13 webhooks ----

fn url_field(body: &[u8]) -> Result<String, ApiError> {
    let v = json_body(body)?;
    let url = v
        .get("url")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::field("url", "required"))?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ApiError::field("url", "must be an http(s) URL"));
    }
    Ok(url.to_owned())
}

async fn subscribe(
    State(sim): State<Simulator>,
    Extension(Caller(caller)): Extension<Caller>,
    body: Bytes,
) -> ApiResult {
    let url = url_field(&body)?;
    // A6: the URL must answer 200 to `{}` within 2 s; what Avito answers otherwise is undocumented [I].
    if let Err(e) = sim.probe(&url).await {
        let secs = sim.config().webhook_timeout.as_secs_f64();
        return Err(ApiError::field(
            "url",
            &format!("the webhook did not answer 200 within {secs}s: {e}"),
        ));
    }
    let mut state = sim.state();
    let account = state.account_mut(caller)?;
    if !account.subscriptions.contains(&url) {
        account.subscriptions.push(url);
    }
    Ok(Json(json!({"ok": true})).into_response())
}

async fn unsubscribe(
    State(sim): State<Simulator>,
    Extension(Caller(caller)): Extension<Caller>,
    body: Bytes,
) -> ApiResult {
    let url = url_field(&body)?;
    let mut state = sim.state();
    state
        .account_mut(caller)?
        .subscriptions
        .retain(|u| *u != url);
    Ok(Json(json!({"ok": true})).into_response())
}

async fn subscriptions(
    State(sim): State<Simulator>,
    Extension(Caller(caller)): Extension<Caller>,
) -> ApiResult {
    let state = sim.state();
    let list: Vec<Value> = state
        .account(caller)?
        .subscriptions
        .iter()
        .map(|url| json!({"url": url, "version": "3"}))
        .collect();
    Ok(Json(json!({"subscriptions": list})).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_segment() {
        assert_eq!(path_account("/messenger/v2/accounts/42/chats"), Some("42"));
        assert_eq!(path_account("/messenger/v3/webhook"), None);
    }

    #[test]
    fn sniffs_accepted_formats() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"GIF89a...."), Some("image/gif"));
        assert_eq!(
            sniff_image(b"\0\0\0\x18ftypheic\0\0\0\0"),
            Some("image/heic")
        );
        assert_eq!(sniff_image(b"<svg></svg>"), None);
    }
}
