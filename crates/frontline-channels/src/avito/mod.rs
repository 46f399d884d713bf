//! The Avito channel: any number of Avito accounts in one inbox.
//!
//! The contract is Avito's published messenger API, summarised with sources in
//! `shared/reference/avito-openrouter.md` (section numbers below refer to it); `avito-sim` is the
//! local double it is tested against.
//!
//! - [`client`]: HTTP calls and tokens per account (refresh ahead of expiry, once on 401/403, one
//!   refresh shared by concurrent requests).
//! - [`wire`]: Avito's JSON shapes, read leniently (both message-list shapes, i64 ids).
//! - [`split`]: texts above 1000 characters leave as several messages cut at sentence ends.
//! - [`AvitoChannel`] (`service.rs`): connecting accounts (credentials sealed with the server key,
//!   webhook subscribed at an unguessable URL), the webhook receiver (the raw delivery is stored before
//!   Avito gets its 200; processing is a durable queue), turning Avito messages into conversations
//!   (duplicates dropped by message id; system messages, `a2u` chats and the account's own echoes
//!   never reach the bot; an echo frontline did not send means a person answered in the Avito app and
//!   takes the lead), chat and listing context, media, the sending side for the outbox (no message is
//!   ever sent twice: each part's Avito id is recorded, and an uncertain earlier attempt is reconciled
//!   against the chat before sending again), history sync and the poller that catches what a webhook
//!   missed.

pub mod client;
mod service;
pub mod split;
pub mod wire;

pub use client::{AccountAuth, AvitoClient, AvitoError, ClientSettings, Credentials};
pub use service::{
    AvitoChannel, AvitoSettings, AvitoStats, ConnectRequest, Connected, MEDIA_PATH, ServiceError,
    SyncStats, WebhookAck, WebhookHealth,
};
