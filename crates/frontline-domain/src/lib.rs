//! frontline's domain model: the nouns of first-line support and the rules that hold between them.
//!
//! Everything here is plain data and pure functions. There is no I/O, no async runtime, no SQL and no
//! wire format: storage backends and the HTTP API own their own representations and convert. One
//! concept per module; everything is re-exported at the crate root.

#[macro_use]
mod string_enum;

mod account;
mod bot_config;
mod channel_delivery;
mod conversation;
mod customer;
mod decision;
mod event;
mod handoff;
mod ids;
mod knowledge;
mod media;
mod message;
mod operator;
mod quick_reply;
mod time;
mod voice;
mod workflow;

pub use account::*;
pub use bot_config::*;
pub use channel_delivery::*;
pub use conversation::*;
pub use customer::*;
pub use decision::*;
pub use event::*;
pub use handoff::*;
pub use ids::*;
pub use knowledge::*;
pub use media::*;
pub use message::*;
pub use operator::*;
pub use quick_reply::*;
pub use time::Timestamp;
pub use voice::*;
pub use workflow::*;

/// A value failed to parse into a domain type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: {why}")]
pub struct ParseError {
    pub what: &'static str,
    pub why: String,
}

impl ParseError {
    pub fn new(what: &'static str, why: impl Into<String>) -> Self {
        Self {
            what,
            why: why.into(),
        }
    }
}
