//! Raw webhook deliveries of a channel, kept before they are acknowledged.

use crate::*;

/// A raw webhook delivery of a channel, kept durably before it is acknowledged and processed from
/// a leased queue (like the jobs), so that a crash between acknowledging and processing loses nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelDelivery {
    /// Assigned by the store, increasing, never reused.
    pub id: i64,
    pub account_id: AccountId,
    /// The request body as received.
    pub body: String,
    pub received_at: Timestamp,
    /// Attempts so far, including the one the current claim starts.
    pub attempts: i32,
    pub last_error: Option<String>,
}
