//! `avito-sim`: a local simulator of Avito's Messenger API.
//!
//! This crate is a **test double of an external service**. frontline's Avito client is tested against it
//! over real HTTP, and `frontline demo` embeds it so the whole product runs without an Avito account. It is
//! kept faithful to the project's reference, `shared/reference/avito-openrouter.md` PART A: facts marked
//! \[V\] there (paths, verbs, field names, limits) are reproduced exactly, community evidence \[C\] and
//! inferences \[I\] are modelled as described and called out where they are assumptions. It deliberately
//! depends on no frontline crate: it knows Avito's wire format and nothing else.
//!
//! # What it serves
//!
//! * `POST /token` and `/token/` (A2): the `client_credentials`, `authorization_code` and `refresh_token`
//!   grants, with refresh-token rotation. Bad credentials answer 400
//!   `{"error":"invalid_client","error_description":"…"}` (assumed: the real body is undocumented, A2).
//! * The 13 Messenger operations of A4 with their exact paths, including both forms of the v3 messages path
//!   (with and without the trailing slash). Auth is `Authorization: Bearer …`: a missing or unknown token
//!   answers 401, an expired one 403 (A2: "403 means expired"), and a valid token of another account 403.
//! * The validation limits of checklist item 3: text ≤ 1000 characters, `limit` 1..100, `offset` 0..1000,
//!   required `voice_ids`, uploads ≤ 24 MB, deletion within one hour. Array query parameters are accepted
//!   both repeated (`a=1&a=2`) and as CSV (`a=1,2`). Errors always use the A3 body
//!   `{"error":{"code":N,"message":"…"}}` (`validatingError` adds `fields`).
//! * Static assets so a browser can render what the API returns: avatars (`/static/avatars/{user_id}.svg`),
//!   listing pictures (`/static/items/{item_id}.svg`), uploaded and customer images
//!   (`/static/images/{image_id}/{size}`) and voice files (`/static/voices/{voice_id}.mp4?t=…`, `audio/mp4`,
//!   each link valid for one hour as A4 #9 says).
//! * Optional per-account, per-minute rate limiting with `X-RateLimit-Limit`/`X-RateLimit-Remaining` and a
//!   429 `{"error":{"code":429,"message":"Too Many Requests"}}` (A3 \[I\]).
//!
//! # Webhooks (A6)
//!
//! Subscribing probes the URL with `POST {}` and the webhook timeout (2 s by default, as A6 quotes); a URL
//! that does not answer 200 is refused with a 400 `validatingError` (an assumption: the real refusal is
//! undocumented). Every new message of an account's chats is then POSTed to each subscribed URL as the
//! `v3.0.0` envelope, with a random 64-hex `x-avito-messenger-signature` header (A6 \[C\]): customer and
//! system messages, the account's own API sends (the echo carries the id the send returned, A7.1), and
//! messages "typed in the Avito app" ([`Simulator::app_reply`], an echo with an id the client never saw).
//! Deliveries run in background tasks; a non-200 answer or a timeout is a failed attempt, retried
//! [`SimConfig::webhook_retries`] times. Faults can drop, duplicate, or hold and reorder deliveries.
//!
//! # Assumptions (\[I\] in the reference, or not covered by it)
//!
//! * Text length counts Unicode scalar values; an empty text is a validation error.
//! * Uploads are recognised by magic bytes (JPEG, PNG, GIF, BMP, HEIC); the 75 MP cap is not checked and
//!   every size name serves the original bytes.
//! * Deleting another user's message, or one older than an hour, is a 400 `validatingError`.
//! * `read` on a message is when its recipient read it: the account (via `/read`) for incoming messages,
//!   the customer ([`Simulator::customer_reads`]) for outgoing ones.
//! * u2u and a2u chats have no `context`; a2u messages are authored by user 0.
//! * The rate limiter's 429 carries no `Retry-After` (Avito documents none); an injected
//!   [`FaultKind::TooManyRequests`] can add one.
//! * Webhook deliveries to several URLs, or of several messages, run concurrently, so their arrival order
//!   is not guaranteed (A7.10); a delivery counts as failed unless the answer is exactly 200.
//!
//! # Use from Rust
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use avito_sim::{AccountSpec, CustomerSpec, SimConfig, Simulator};
//! let sim = Simulator::spawn(SimConfig::default()).await?;
//! sim.add_account(AccountSpec {
//!     user_id: 94235311,
//!     name: "Shop".into(),
//!     client_id: "id".into(),
//!     client_secret: "secret".into(),
//! });
//! let customer = CustomerSpec { user_id: 5001, name: "Анна".into() };
//! let posted = sim.customer_writes(94235311, &customer, None, "Здравствуйте!");
//! println!("{} {}", sim.base_url(), posted.chat_id);
//! # Ok(()) }
//! ```
//!
//! # Control API (`/_sim/…`)
//!
//! [`Simulator::router`] also mounts a small JSON control API so a person can drive the simulator with curl
//! (the `avito-sim` binary and the demo expose it). It is not part of Avito's surface and never appears in
//! [`Simulator::request_log`].
//!
//! | Method and path | Body | Effect |
//! |---|---|---|
//! | `GET /_sim/accounts` | | accounts with their credentials |
//! | `POST /_sim/customer_writes` | `{"account","customer_id","customer_name","item_id"?,"text"}` | a customer message; returns `{"chat_id","message_id"}` |
//! | `POST /_sim/customer_voice` | `{"account","customer_id","customer_name","item_id"?,"audio_base64"}` | a customer voice message whose file is these bytes (at most ~1.5 MB: the JSON body limit is 2 MB); returns `{"chat_id","message_id"}` |
//! | `POST /_sim/customer_reply` | `{"account","chat_id","quote_id","text"}` | the chat's customer answers quoting one of its messages (`quote` in getMessagesV3); returns `{"chat_id","message_id"}` |
//! | `POST /_sim/customer_link` | `{"account","customer_id","customer_name","item_id"?,"url","text"?,"title"?,"description"?}` | a customer sends a link, with a preview card when `title` is given; returns `{"chat_id","message_id"}` |
//! | `POST /_sim/app_reply` | `{"account","chat_id","text"}` | a human answers from the Avito app |
//! | `POST /_sim/system_message` | `{"account","chat_id","text","flow_id"}` | a system message |
//! | `GET /_sim/accounts/{id}/chats` | | chat ids of the account |
//! | `GET /_sim/accounts/{id}/chats/{chat_id}/messages` | | the chat's messages, oldest first |
//! | `GET /_sim/accounts/{id}/sent` | | messages created through the send endpoints |
//! | `POST /_sim/faults` | `{"op","kind","times","status"?,"retry_after"?,"delay_ms"?}` | inject a fault (`kind`: `too_many_requests`, `server_error`, `status`, `delay`, `delay_after_commit`; `op` in snake case, e.g. `send_message`, or `any`) |
//! | `DELETE /_sim/faults` | | clear faults |
//! | `POST /_sim/expire_tokens/{id}` | | every token of the account now answers 403 |
//! | `POST /_sim/webhooks` | `{"action":"drop"\|"duplicate"\|"hold"\|"release","n"?,"reverse"?}` | webhook fault controls |
//! | `GET /_sim/webhook_log`, `GET /_sim/request_log` | | the logs |
//!
//! ```text
//! curl -s localhost:8089/_sim/customer_writes -H 'content-type: application/json' \
//!   -d '{"account":1001,"customer_id":5001,"customer_name":"Анна","item_id":700001,"text":"Есть в наличии?"}'
//! ```

mod api;
mod assets;
mod control;
mod query;
mod sim;
mod state;
mod webhook;
mod wire;

use std::time::Duration;

pub use sim::Simulator;

/// Settings of one simulator instance; [`Default`] matches the reference's numbers.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Lifetime of issued access tokens; `expires_in` reports it in whole seconds (A2: 86400).
    pub token_ttl: Duration,
    /// Timeout of the subscribe probe and of each webhook delivery attempt (A6: 2 s).
    pub webhook_timeout: Duration,
    /// How many times a failed delivery is retried (\[I\]: Avito's policy is undocumented).
    pub webhook_retries: u32,
    /// Pause before each retry of a failed delivery.
    pub webhook_retry_delay: Duration,
    /// Top-level shape of the getMessagesV3 answer (A5: unresolved, the spec says array).
    pub messages_shape: MessagesShape,
    /// Add `"meta":{"has_more":…}` to getChatsV2's answer. Off by default: the spec's `Chats` is only
    /// `{"chats":[…]}`; one community client reports the field in live answers (A4 #1 \[C\]), so a
    /// client must work with and without it.
    pub chats_meta: bool,
    /// Per-account requests per minute; `None` disables rate limiting (the default).
    pub rate_limit_per_minute: Option<u32>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(86_400),
            webhook_timeout: Duration::from_secs(2),
            webhook_retries: 2,
            webhook_retry_delay: Duration::from_secs(1),
            messages_shape: MessagesShape::Array,
            chats_meta: false,
            rate_limit_per_minute: None,
        }
    }
}

/// The top-level shape of the messages list (A5 "The top-level shape of the `Messages` response").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessagesShape {
    /// A bare JSON array, as the spec defines `Messages` \[V\].
    Array,
    /// `{"messages":[…]}`, as many community clients read it \[C\].
    Wrapped,
}

/// The operations of Avito's surface, used to target faults and to label the request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Token,
    GetChats,
    GetChat,
    GetMessages,
    SendMessage,
    UploadImages,
    SendImage,
    DeleteMessage,
    Read,
    VoiceFiles,
    Blacklist,
    Subscribe,
    Unsubscribe,
    Subscriptions,
    /// In a [`Fault`]: matches every operation. In the request log: a request that matched no operation.
    Any,
}

impl Op {
    /// The snake-case name used by the control API (`send_message`, `any`, …).
    pub fn name(self) -> &'static str {
        match self {
            Op::Token => "token",
            Op::GetChats => "get_chats",
            Op::GetChat => "get_chat",
            Op::GetMessages => "get_messages",
            Op::SendMessage => "send_message",
            Op::UploadImages => "upload_images",
            Op::SendImage => "send_image",
            Op::DeleteMessage => "delete_message",
            Op::Read => "read",
            Op::VoiceFiles => "voice_files",
            Op::Blacklist => "blacklist",
            Op::Subscribe => "subscribe",
            Op::Unsubscribe => "unsubscribe",
            Op::Subscriptions => "subscriptions",
            Op::Any => "any",
        }
    }

    /// Parses a name produced by [`Op::name`].
    pub fn from_name(name: &str) -> Option<Op> {
        ALL_OPS.iter().copied().find(|op| op.name() == name)
    }
}

const ALL_OPS: [Op; 15] = [
    Op::Token,
    Op::GetChats,
    Op::GetChat,
    Op::GetMessages,
    Op::SendMessage,
    Op::UploadImages,
    Op::SendImage,
    Op::DeleteMessage,
    Op::Read,
    Op::VoiceFiles,
    Op::Blacklist,
    Op::Subscribe,
    Op::Unsubscribe,
    Op::Subscriptions,
    Op::Any,
];

/// What an injected fault does to the request it catches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// 429 with the A3-style body, and `Retry-After` when given (Avito does not document it, A3 \[C\]).
    TooManyRequests { retry_after: Option<u64> },
    /// This (5xx) status with the A3 body; nothing is done.
    ServerError(u16),
    /// Sleep, then handle the request normally.
    Delay(Duration),
    /// Handle the request (store the message, deliver its echo), then sleep before answering: a response
    /// that a client with a shorter timeout loses although the effect happened.
    DelayAfterCommit(Duration),
    /// Answer this status with the A3 body and do nothing.
    Status(u16),
}

/// A fault consumed by the next `times` requests of `op` (or of any operation for [`Op::Any`]); several
/// faults are consumed in the order they were injected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub op: Op,
    pub kind: FaultKind,
    pub times: u32,
}

/// An Avito account (a seller) the simulator hosts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSpec {
    pub user_id: i64,
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
}

/// A listing (item) of an account; u2i chats are about one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingSpec {
    pub id: i64,
    pub title: String,
    pub price_string: String,
    pub url: String,
}

/// A customer: the other participant of a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSpec {
    pub user_id: i64,
    pub name: String,
}

/// The ids of a message just created by a control call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub chat_id: String,
    pub message_id: String,
}

/// The content of a message a customer sends (A5 MessageContent). `File`, `Video` and `AppCall` carry an
/// empty content object, as the spec says for unsupported types.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Text(String),
    /// A picture; the simulator draws one and serves it.
    Image,
    /// A voice message with these bytes (opus in mp4 on the real service), served by getVoiceFiles' URL.
    Voice(Vec<u8>),
    File,
    Video,
    AppCall,
    Location {
        lat: f64,
        lon: f64,
        text: String,
    },
    /// A link; with a `preview`, Avito's card of the page (A5 `link.preview`).
    Link {
        url: String,
        text: String,
        preview: Option<LinkPreview>,
    },
    /// A missed call to the account.
    Call,
    /// A listing card of the account (`type: item`).
    Item(i64),
}

/// The card Avito shows under a link (A5 `link.preview`); `domain` and `url` come from the link, the
/// picture is drawn by the simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPreview {
    pub title: String,
    pub description: String,
}

/// A message as the simulator stores it, for assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimMessage {
    pub id: String,
    pub chat_id: String,
    pub author_id: i64,
    /// Unix seconds.
    pub created: i64,
    /// The wire `type`: `text`, `image`, `system`, `deleted`, …
    pub kind: String,
    /// The text of `text` and `system` messages.
    pub text: Option<String>,
    /// Created by the send endpoints (#4, #6) rather than by a control call.
    pub via_api: bool,
}

/// One webhook delivery attempt (or a delivery dropped by a fault, with `error` saying so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookAttempt {
    pub url: String,
    /// The message id of the delivered event; `None` for the subscribe probe.
    pub message_id: Option<String>,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// Why the attempt failed, if it did.
    pub error: Option<String>,
}

/// One request to Avito's surface (static assets and the control API are not logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    pub method: String,
    pub path: String,
    pub op: Op,
    pub status: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_names_round_trip() {
        for op in ALL_OPS {
            assert_eq!(Op::from_name(op.name()), Some(op));
        }
        assert_eq!(Op::from_name("send_message"), Some(Op::SendMessage));
        assert_eq!(Op::from_name("nope"), None);
    }
}
