//! Avito's JSON: the A3 error bodies and the A5/A6 object shapes (Chat, Message, MessageContent, the
//! webhook `value`). The only place that knows how the simulator's state looks on the wire.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::state::{Account, Body, Chat, ChatKind, Message, State, Stored};

/// An error answer in the A3 shape `{"error":{"code":N,"message":"…"}}`.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// badRequestError.
    BadRequest,
    /// validatingError, with `fields` naming what was wrong.
    Validation(Map<String, Value>),
    Unauthorized,
    Forbidden,
    NotFound,
    TooManyRequests {
        retry_after: Option<u64>,
    },
    /// Any status, with the A3 message for it.
    Status(u16),
}

impl ApiError {
    pub fn field(name: &str, problem: &str) -> ApiError {
        let mut fields = Map::new();
        fields.insert(name.to_owned(), Value::String(problem.to_owned()));
        ApiError::Validation(fields)
    }

    fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest | ApiError::Validation(_) => 400,
            ApiError::Unauthorized => 401,
            ApiError::Forbidden => 403,
            ApiError::NotFound => 404,
            ApiError::TooManyRequests { .. } => 429,
            ApiError::Status(code) => *code,
        }
    }
}

/// The A3 message for a status; codes A3 does not list get their HTTP reason phrase.
pub(crate) fn message_for(code: u16) -> String {
    match code {
        400 => "Bad Request".to_owned(),
        401 => "Unauthorized".to_owned(),
        402 => "Payment required".to_owned(),
        403 => "Forbidden".to_owned(),
        404 => "Not found".to_owned(),
        429 => "Too Many Requests".to_owned(),
        500 => "Error while processing request. Please, contact support".to_owned(),
        503 => "Service temporarily unavailable. Please, contact support".to_owned(),
        other => StatusCode::from_u16(other)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error")
            .to_owned(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.status();
        let body = match &self {
            ApiError::Validation(fields) => json!({"error": {
                "code": 400, "message": "Validation error", "fields": fields,
            }}),
            _ => json!({"error": {"code": code, "message": message_for(code)}}),
        };
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, axum::Json(body)).into_response();
        if let ApiError::TooManyRequests {
            retry_after: Some(secs),
        } = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<crate::state::SimError> for ApiError {
    fn from(_: crate::state::SimError) -> Self {
        ApiError::NotFound
    }
}

/// Renders state objects with absolute URLs under the simulator's base URL.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Render<'a> {
    pub state: &'a State,
    pub base: &'a str,
}

impl Render<'_> {
    pub fn avatar_url(&self, user_id: i64) -> String {
        format!("{}/static/avatars/{user_id}.svg", self.base)
    }

    pub fn item_picture_url(&self, item_id: i64) -> String {
        format!("{}/static/items/{item_id}.svg", self.base)
    }

    pub fn image_url(&self, image_id: &str, size: &str) -> String {
        format!("{}/static/images/{image_id}/{size}", self.base)
    }

    pub fn image_sizes(&self, image_id: &str, sizes: &[&str]) -> Value {
        let map: Map<String, Value> = sizes
            .iter()
            .map(|s| ((*s).to_owned(), Value::String(self.image_url(image_id, s))))
            .collect();
        Value::Object(map)
    }

    /// MessageContent: only the key that matches the type (A5).
    pub fn content(&self, body: &Body) -> Value {
        match body {
            Body::Text(text) => json!({"text": text}),
            Body::Image { image_id, sizes } => {
                json!({"image": {"sizes": self.image_sizes(image_id, sizes)}})
            }
            Body::Voice { voice_id } => json!({"voice": {"voice_id": voice_id}}),
            Body::File | Body::Video | Body::AppCall | Body::Deleted => json!({}),
            Body::Location { lat, lon, text } => json!({"location": {
                "lat": lat, "lon": lon, "kind": "house", "text": text, "title": text,
            }}),
            Body::Link { url, text, preview } => {
                let mut link = json!({"text": text, "url": url});
                if let Some(p) = preview {
                    link["preview"] = json!({
                        "title": p.title,
                        "description": p.description,
                        "domain": domain_of(url),
                        "url": url,
                        "images": self.image_sizes(&p.image_id, crate::state::CUSTOMER_IMAGE_SIZES),
                    });
                }
                json!({ "link": link })
            }
            Body::Call { target_user_id } => {
                json!({"call": {"status": "missed", "target_user_id": target_user_id}})
            }
            Body::Item { item_id } => {
                let listing = self.state.listing(*item_id);
                json!({"item": {
                    "title": listing.map(|l| l.title.as_str()).unwrap_or_default(),
                    "item_url": listing.map(|l| l.url.as_str()).unwrap_or_default(),
                    "image_url": self.item_picture_url(*item_id),
                    "price_string": listing.map(|l| l.price_string.as_str()).unwrap_or_default(),
                }})
            }
            Body::System { text, flow_id } => json!({"text": text, "flow_id": flow_id}),
        }
    }

    fn direction(account: i64, m: &Message) -> &'static str {
        if m.author_id == account { "out" } else { "in" }
    }

    /// An element of getMessagesV3's answer (A5 Message), with `quote` when it replies to one.
    pub fn message(&self, account: i64, m: &Message) -> Value {
        let mut out = json!({
            "id": m.id,
            "author_id": m.author_id,
            "created": m.created,
            "content": self.content(&m.body),
            "type": m.body.kind(),
            "direction": Self::direction(account, m),
            "is_read": m.is_read,
            "read": m.read,
        });
        if let Some(q) = &m.quote {
            out["quote"] = json!({
                "id": q.id,
                "author_id": q.author_id,
                "created": q.created,
                "type": q.body.kind(),
                "content": self.content(&q.body),
            });
        }
        out
    }

    /// `last_message` of a Chat: the subset the spec example shows.
    fn last_message(&self, account: i64, m: &Message) -> Value {
        json!({
            "id": m.id,
            "author_id": m.author_id,
            "created": m.created,
            "direction": Self::direction(account, m),
            "type": m.body.kind(),
            "content": self.content(&m.body),
        })
    }

    fn user(&self, user_id: i64, name: &str, item_id: Option<i64>) -> Value {
        let avatar = self.avatar_url(user_id);
        let sizes: Map<String, Value> = [
            "24x24", "36x36", "48x48", "64x64", "72x72", "96x96", "128x128", "192x192", "256x256",
        ]
        .iter()
        .map(|s| ((*s).to_owned(), Value::String(avatar.clone())))
        .collect();
        let mut profile = json!({
            "user_id": user_id,
            "url": format!("https://www.avito.ru/user/{:032x}/profile", user_id.unsigned_abs()),
            "avatar": {"default": avatar, "images": sizes},
        });
        if let Some(item) = item_id {
            profile["item_id"] = json!(item);
        }
        json!({"id": user_id, "name": name, "public_user_profile": profile})
    }

    /// A Chat (A5): item context for u2i chats, both participants, the last message.
    pub fn chat(&self, account: &Account, chat: &Chat) -> Value {
        let owner = account.spec.user_id;
        let (updated, _) = chat.recency();
        let mut out = json!({
            "id": chat.id,
            "created": chat.created,
            "updated": updated,
            "users": [
                self.user(owner, &account.spec.name, chat.item_id),
                self.user(chat.peer.user_id, &chat.peer.name, chat.item_id),
            ],
        });
        if let (ChatKind::U2i, Some(item_id)) = (chat.kind, chat.item_id) {
            let listing = account.listings.get(&item_id);
            out["context"] = json!({"type": "item", "value": {
                "id": item_id,
                "title": listing.map(|l| l.title.as_str()).unwrap_or_default(),
                "price_string": listing.map(|l| l.price_string.as_str()).unwrap_or_default(),
                "status_id": 10,
                "user_id": owner,
                "url": listing.map(|l| l.url.as_str()).unwrap_or_default(),
                "images": {"count": 1, "main": {"140x105": self.item_picture_url(item_id)}},
            }});
        }
        if let Some(last) = chat.messages.last() {
            out["last_message"] = self.last_message(owner, last);
        }
        out
    }

    /// `payload.value` of a v3.0.0 webhook delivery (A6 WebhookMessage).
    pub fn webhook_value(&self, stored: &Stored) -> Value {
        let m = &stored.message;
        let mut value = json!({
            "id": m.id,
            "chat_id": stored.chat_id,
            "user_id": stored.account,
            "author_id": m.author_id,
            "created": m.created,
            "type": m.body.kind(),
            "chat_type": stored.chat_kind.as_str(),
            "content": self.content(&m.body),
            "published_at": rfc3339_utc(m.created),
        });
        if let (ChatKind::U2i, Some(item)) = (stored.chat_kind, stored.item_id) {
            value["item_id"] = json!(item);
        }
        value
    }
}

/// The host of an absolute URL, or the text before the first `/` of a bare one (`habr.com`, A5).
fn domain_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// Unix seconds as RFC 3339 in UTC (`1973-03-04T13:33:09Z`), without a date library.
pub(crate) fn rfc3339_utc(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_instants() {
        for (unix, expected) in [
            (0, "1970-01-01T00:00:00Z"),
            (100_099_989, "1973-03-04T13:33:09Z"),
            (1_749_755_907, "2025-06-12T19:18:27Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
        ] {
            assert_eq!(rfc3339_utc(unix), expected, "{unix}");
        }
    }

    #[test]
    fn a3_messages() {
        assert_eq!(message_for(404), "Not found");
        assert_eq!(message_for(502), "Bad Gateway");
        assert!(message_for(503).starts_with("Service temporarily unavailable"));
    }
}
