//! The use cases of the conversation lifecycle and the background workers that carry them out.
//!
//! An inbound message is stored (with its bot job) before anyone acknowledges it; an outbound message is
//! stored with its delivery job before any channel sees it. Workers then pick jobs from the database, so a
//! restart loses nothing: leased jobs of a crashed worker come back when their lease expires.
//!
//! The bot ([`Bot`]) and the channels ([`ChannelSender`]) are ports: this crate defines what it needs from
//! them, `frontline-engine` and `frontline-channels` provide it.
//!
//! [`Admin`] holds the use cases of the admin screens (knowledge base, operators, accounts,
//! workflows, quick replies): the one place where their side effects happen — the knowledge index
//! kept in step, sessions ended — so that routes stay thin.

mod admin;
mod backoff;
mod ports;
mod usecases;
mod workers;

pub use admin::Admin;
pub use backoff::Backoff;
pub use ports::*;
pub use usecases::*;
pub use workers::*;
