//! Channel adapters. Each submodule is the only place that knows its channel's wire format: it turns the
//! channel's payloads into domain values on the way in and domain values into the channel's requests on
//! the way out (through the lifecycle's [`ChannelSender`](frontline_lifecycle::ChannelSender) port).
//!
//! - [`api`]: the generic inbound API, so any system can hand frontline customer messages.
//! - [`avito`]: Avito's messenger, so many Avito accounts share one inbox.
//! - [`voice`]: phone calls, so callers get the same bot and operators as chats.
//! - [`audio`]: PCM, μ-law, resampling, WAV and ffmpeg decoding, shared by calls and voice messages.
//! - [`speech`]: recognition and synthesis behind traits, so calls and voice messages pick a provider
//!   by configuration.
//! - [`sealed`]: channel secrets sealed with the server key, so credentials are never stored in clear.

pub mod api;
pub mod audio;
pub mod avito;
pub mod sealed;
pub mod speech;
pub mod voice;
