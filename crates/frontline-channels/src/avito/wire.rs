//! Avito's JSON shapes, as published in the messenger OpenAPI (reference `avito-openrouter.md` A4–A6).
//!
//! Only what frontline reads is declared; unknown fields are ignored (Avito adds fields without
//! notice). Every id and timestamp is `i64`: the spec says int32 for some of them, real listing ids do
//! not fit (A5). Strings that may be missing are `Option`.

use serde::{Deserialize, Serialize};

/// `POST /token` answer (A2).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// Seconds; 86400 in practice.
    #[serde(default)]
    pub expires_in: Option<i64>,
    /// Present for the authorization-code grants; it rotates on every refresh.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// `{"error":{"code":…,"message":…}}` (A3), also the OAuth-style `{"error":"…","error_description":"…"}`
/// that `/token` is assumed to send.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ErrorBody {
    Api {
        error: ApiError,
    },
    OAuth {
        error: String,
        #[serde(default)]
        error_description: Option<String>,
    },
    Plain {
        message: String,
    },
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApiError {
    #[serde(default)]
    pub code: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
}

impl ErrorBody {
    pub fn describe(&self) -> String {
        match self {
            ErrorBody::Api { error } => error
                .message
                .clone()
                .unwrap_or_else(|| format!("error {}", error.code.unwrap_or_default())),
            ErrorBody::OAuth {
                error,
                error_description,
            } => match error_description {
                Some(d) => format!("{error}: {d}"),
                None => error.clone(),
            },
            ErrorBody::Plain { message } => message.clone(),
        }
    }
}

/// `GET /messenger/v2/accounts/{user_id}/chats`. Live answers reportedly add `meta.has_more`
/// (A4 #1 \[C\]); the spec does not have it, so it is not read: pages end at a short page.
#[derive(Debug, Clone, Deserialize)]
pub struct Chats {
    #[serde(default)]
    pub chats: Vec<Chat>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Chat {
    pub id: String,
    #[serde(default)]
    pub created: Option<i64>,
    #[serde(default)]
    pub updated: Option<i64>,
    #[serde(default)]
    pub context: Option<ChatContext>,
    #[serde(default)]
    pub users: Vec<ChatUser>,
    #[serde(default)]
    pub last_message: Option<Message>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ChatContext {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub value: Option<ItemValue>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ItemValue {
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub price_string: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub images: Option<ItemImages>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ItemImages {
    /// Size (`"140x105"`) → URL.
    #[serde(default)]
    pub main: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ChatUser {
    pub id: i64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub public_user_profile: Option<PublicProfile>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PublicProfile {
    #[serde(default)]
    pub avatar: Option<Avatar>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Avatar {
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub images: Option<std::collections::BTreeMap<String, String>>,
}

/// An element of `getMessagesV3`, or a chat's `last_message`.
#[derive(Debug, Clone, Deserialize)]
pub struct Message {
    pub id: String,
    /// 0 or absent for system messages (A5).
    #[serde(default)]
    pub author_id: Option<i64>,
    #[serde(default)]
    pub created: Option<i64>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub content: Option<Content>,
    /// The message this one replies to (A5 MessageQuote); only in getMessagesV3, not in webhooks.
    #[serde(default)]
    pub quote: Option<Quote>,
}

/// A5 MessageQuote: `{id, author_id, created, type, content}` of the quoted message.
#[derive(Debug, Clone, Deserialize)]
pub struct Quote {
    pub id: String,
    #[serde(default)]
    pub author_id: Option<i64>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub content: Option<Content>,
}

/// The spec says a bare array; many clients read `{messages: […]}`. Both are accepted (A5).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Messages {
    Array(Vec<Message>),
    Wrapped { messages: Vec<Message> },
}

impl Messages {
    pub fn into_vec(self) -> Vec<Message> {
        match self {
            Messages::Array(v) | Messages::Wrapped { messages: v } => v,
        }
    }
}

/// MessageContent: only the key matching the type is set; `file`, `video` and `appCall` come empty.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Content {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub image: Option<ImageContent>,
    #[serde(default)]
    pub voice: Option<VoiceContent>,
    #[serde(default)]
    pub link: Option<LinkContent>,
    #[serde(default)]
    pub item: Option<ItemContent>,
    #[serde(default)]
    pub location: Option<LocationContent>,
    #[serde(default)]
    pub call: Option<CallContent>,
    #[serde(default)]
    pub flow_id: Option<String>,
    /// Keys the spec does not list. `file`, `video` and `appCall` come empty per the spec (A5); should
    /// Avito ever send something for them, it is kept here and shown rather than dropped.
    #[serde(flatten)]
    pub other: std::collections::BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ImageContent {
    #[serde(default)]
    pub sizes: std::collections::BTreeMap<String, String>,
}

impl ImageContent {
    /// The URL of the largest size (by pixel count).
    pub fn largest(&self) -> Option<&str> {
        largest(&self.sizes)
    }
}

impl ImageSizes {
    pub fn largest(&self) -> Option<&str> {
        largest(&self.0)
    }
}

/// The URL of the largest size (by pixel count).
fn largest(sizes: &std::collections::BTreeMap<String, String>) -> Option<&str> {
    sizes
        .iter()
        .max_by_key(|(size, _)| {
            let mut dims = size.split('x').map(|d| d.parse::<u64>().unwrap_or(0));
            // Saturating: the keys come from Avito, and "99999999999x99999999999" must not panic.
            dims.next()
                .unwrap_or(0)
                .saturating_mul(dims.next().unwrap_or(0))
        })
        .map(|(_, url)| url.as_str())
}

#[derive(Debug, Clone, Deserialize)]
pub struct VoiceContent {
    pub voice_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LinkContent {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub preview: Option<LinkPreview>,
}

/// A5 `link.preview`: `{title, description, domain, url, images: {size: url}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct LinkPreview {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub images: Option<ImageSizes>,
}

/// Size name (`"640x480"`) → URL.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct ImageSizes(pub std::collections::BTreeMap<String, String>);

#[derive(Debug, Clone, Deserialize)]
pub struct ItemContent {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub item_url: Option<String>,
    #[serde(default)]
    pub price_string: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LocationContent {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CallContent {
    #[serde(default)]
    pub status: Option<String>,
}

/// What Avito POSTs to a webhook (A6): the `v3.0.0` envelope.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    /// Absent in the `{}` probe.
    #[serde(default)]
    pub payload: Option<Payload>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Payload {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub value: Option<WebhookMessage>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebhookMessage {
    pub id: String,
    pub chat_id: String,
    /// The account the webhook is registered for.
    #[serde(default)]
    pub user_id: Option<i64>,
    #[serde(default)]
    pub author_id: Option<i64>,
    #[serde(default)]
    pub created: Option<i64>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub chat_type: Option<String>,
    #[serde(default)]
    pub content: Option<Content>,
    #[serde(default)]
    pub item_id: Option<i64>,
}

/// Text send (A4 #4). `type` is always `text`.
#[derive(Debug, Clone, Serialize)]
pub struct SendText<'a> {
    pub message: SendTextBody<'a>,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct SendTextBody<'a> {
    pub text: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct SendImage<'a> {
    pub image_id: &'a str,
}

/// The answer to a send (text or image).
#[derive(Debug, Clone, Deserialize)]
pub struct Sent {
    pub id: String,
    #[serde(default)]
    pub created: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebhookUrl<'a> {
    pub url: &'a str,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Subscriptions {
    #[serde(default)]
    pub subscriptions: Vec<Subscription>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Subscription {
    pub url: String,
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VoiceFiles {
    #[serde(default)]
    pub voices_urls: std::collections::BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_in_both_shapes() {
        let a: Messages = serde_json::from_str(r#"[{"id":"a","type":"text"}]"#).unwrap();
        let b: Messages =
            serde_json::from_str(r#"{"messages":[{"id":"a","type":"text"},{"id":"b"}]}"#).unwrap();
        assert_eq!(a.into_vec().len(), 1);
        assert_eq!(b.into_vec().len(), 2);
    }

    #[test]
    fn webhook_envelope_and_probe() {
        let probe: Envelope = serde_json::from_str("{}").unwrap();
        assert!(probe.payload.is_none());
        let e: Envelope = serde_json::from_str(
            r#"{"id":"d1","version":"v3.0.0","timestamp":1749755907,
            "payload":{"type":"message","value":{"id":"msg001","chat_id":"u2i-x","user_id":11111,
            "author_id":67890,"created":1749755907,"type":"text","chat_type":"u2i",
            "content":{"text":"Test message"},"item_id":4341979279,"published_at":"2025-06-12T19:18:27Z"}}}"#,
        )
        .unwrap();
        let v = e.payload.unwrap().value.unwrap();
        assert_eq!(v.item_id, Some(4_341_979_279));
        assert_eq!(v.content.unwrap().text.as_deref(), Some("Test message"));
    }

    #[test]
    fn largest_image_size_wins() {
        let c: ImageContent = serde_json::from_str(
            r#"{"sizes":{"140x105":"s","1280x960":"l","640x480":"m","32x32":"t"}}"#,
        )
        .unwrap();
        assert_eq!(c.largest(), Some("l"));
    }

    #[test]
    fn error_bodies() {
        let a: ErrorBody =
            serde_json::from_str(r#"{"error":{"code":403,"message":"Forbidden"}}"#).unwrap();
        assert_eq!(a.describe(), "Forbidden");
        let o: ErrorBody =
            serde_json::from_str(r#"{"error":"invalid_client","error_description":"bad secret"}"#)
                .unwrap();
        assert_eq!(o.describe(), "invalid_client: bad secret");
    }
}
