//! The durable event log that the realtime stream tails by `seq`.

use async_trait::async_trait;
use frontline_domain::{Event, Seq, Timestamp};

use crate::*;

/// What the event log still holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventBounds {
    /// Highest seq ever appended (0 when empty).
    pub latest: Seq,
    /// Every event with seq ≤ this was pruned (0 when nothing was). A reader resuming after a smaller
    /// seq has missed events and must resync.
    pub pruned_through: Seq,
}

/// The event log.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Up to `limit` events with seq > `after`, in seq order.
    async fn events_after(&self, after: Seq, limit: usize) -> Result<Vec<Event>>;

    async fn event_bounds(&self) -> Result<EventBounds>;

    /// Delete events created before `older_than`, always keeping the latest one, and advance
    /// `pruned_through`. Returns how many were deleted.
    async fn prune_events(&self, older_than: Timestamp) -> Result<u64>;
}
