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
//! - [`AvitoChannel`] (`channel.rs`): the handle, its settings, counters and background work.
//! - `accounts.rs`: connecting accounts (credentials checked, secrets sealed with the server key,
//!   the webhook subscribed at an unguessable URL, rotated refresh tokens kept).
//! - `inbound.rs`: the webhook receiver (the raw delivery is stored before Avito gets its 200) and
//!   the durable delivery queue turning Avito messages into conversations (duplicates dropped by
//!   message id; system messages and `a2u` chats never reach the bot).
//! - `echoes.rs`: the account's own messages: echoes of frontline's sends attributed to them, and
//!   replies a person typed in the Avito app, who thereby takes the lead.
//! - `chats.rs`: the chat's customer and listing, cached.
//! - `content.rs` and `media.rs`: how each kind of message reads, images and voice brought into
//!   frontline's media store, voice messages transcribed.
//! - `sync.rs`: history import on connect and the poller that catches what a webhook missed.
//! - `outbound.rs`: the outbox's sender (no message is ever sent twice: each part's Avito id is
//!   recorded, and an uncertain earlier attempt is reconciled against the chat before sending
//!   again) and read marks.
//! - `activity.rs`: each account's status for the admin — token, last webhook, sync, poll and the
//!   newest error, as this server saw them since it started.

mod accounts;
mod activity;
mod channel;
mod chats;
pub mod client;
mod content;
mod echoes;
mod inbound;
mod media;
mod outbound;
pub mod split;
mod sync;
pub mod wire;

pub use accounts::{ConnectRequest, Connected, WebhookHealth};
pub use activity::{AccountStatus, Activity, Outcome, Work};
pub use channel::{AvitoChannel, AvitoSettings, AvitoStats, ServiceError};
pub use client::{AccountAuth, AvitoClient, AvitoError, ClientSettings, Credentials, TokenState};
pub use inbound::WebhookAck;
pub use media::MEDIA_PATH;
pub use sync::SyncStats;
