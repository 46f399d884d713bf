//! Channel adapters. Each submodule is the only place that knows its channel's wire format: it turns the
//! channel's payloads into domain values on the way in and domain values into the channel's requests on
//! the way out (through the lifecycle's [`ChannelSender`](frontline_lifecycle::ChannelSender) port).

pub mod api;
pub mod avito;
pub mod sealed;
pub mod voice;
