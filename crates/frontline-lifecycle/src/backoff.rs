//! Exponential backoff with jitter: the one retry schedule of frontline's queues and clients (the
//! outbox, the Avito delivery queue, the LLM client).
//!
//! Attempt `n` (1 for the first retry) waits `base × 2^(n−1)`, capped at `max`, scaled by a random
//! factor in `[0.8, 1.2)` so that many messages that failed together do not retry in lockstep. A
//! remote's own hint (`Retry-After`) wins when it asks for longer: retrying sooner than a server asked
//! only earns another refusal.

use std::time::Duration;

use rand::Rng;

/// The jitter band around the exponential step.
const JITTER: std::ops::Range<f64> = 0.8..1.2;

/// A retry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first step.
    pub base: Duration,
    /// No step grows beyond this (before jitter).
    pub max: Duration,
}

impl Backoff {
    pub const fn new(base: Duration, max: Duration) -> Self {
        Self { base, max }
    }

    /// How long to wait before retry number `attempt` (1-based; 0 counts as 1).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let doublings = attempt.clamp(1, 31) - 1;
        let step = self
            .base
            .checked_mul(1u32 << doublings.min(20))
            .unwrap_or(self.max)
            .min(self.max);
        let jittered = step.mul_f64(rand::thread_rng().gen_range(JITTER));
        match retry_after {
            Some(hint) if hint > jittered => hint,
            _ => jittered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn around(d: Duration, ms: u64) {
        let lo = Duration::from_millis(ms * 8 / 10);
        let hi = Duration::from_millis(ms * 12 / 10);
        assert!(d >= lo && d <= hi, "{d:?} not around {ms}ms");
    }

    #[test]
    fn grows_exponentially_then_caps() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        around(b.delay(0, None), 100);
        around(b.delay(1, None), 100);
        around(b.delay(2, None), 200);
        around(b.delay(4, None), 800);
        around(b.delay(30, None), 2000);
        around(b.delay(u32::MAX, None), 2000);
    }

    #[test]
    fn a_longer_hint_wins_a_shorter_one_does_not() {
        let b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        assert_eq!(
            b.delay(1, Some(Duration::from_secs(5))),
            Duration::from_secs(5)
        );
        around(b.delay(3, Some(Duration::from_millis(1))), 400);
    }

    #[test]
    fn jitter_spreads_retries() {
        let b = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));
        let delays: std::collections::BTreeSet<_> = (0..20).map(|_| b.delay(3, None)).collect();
        assert!(
            delays.len() > 10,
            "jitter should vary the delay: {delays:?}"
        );
    }
}
