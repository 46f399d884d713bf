//! Counters and timings of the voice channel, kept apart from the calls that bump them and the
//! channel that owns them so both can reach them without depending on each other; `/metrics`
//! reads them.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

/// A latency histogram in seconds with fixed buckets, for `/metrics`.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    buckets: Vec<AtomicU64>,
    sum_us: AtomicU64,
    count: AtomicU64,
}

/// Buckets around the ~800 ms voice-to-voice target.
pub const LATENCY_BUCKETS: &[f64] = &[0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0];

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum_us: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (bound, bucket) in self.bounds.iter().zip(&self.buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.sum_us
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// (sum in seconds, count, cumulative (upper bound, count) pairs).
    pub fn snapshot(&self) -> (f64, u64, Vec<(f64, u64)>) {
        (
            self.sum_us.load(Ordering::Relaxed) as f64 / 1e6,
            self.count.load(Ordering::Relaxed),
            self.bounds
                .iter()
                .zip(&self.buckets)
                .map(|(b, c)| (*b, c.load(Ordering::Relaxed)))
                .collect(),
        )
    }
}

/// Counters and timings of the voice channel, exported on `/metrics`.
#[derive(Debug)]
pub struct VoiceStats {
    pub calls_total: AtomicU64,
    pub calls_active: AtomicU64,
    pub calls_rejected: AtomicU64,
    pub turns: AtomicU64,
    pub barge_ins: AtomicU64,
    /// Utterances answered from the recognition of their closing pause.
    pub early_recognitions: AtomicU64,
    pub transfers_ok: AtomicU64,
    pub transfers_failed: AtomicU64,
    pub recognition_failures: AtomicU64,
    pub synthesis_failures: AtomicU64,
    /// Caller's end of speech → first reply audio frame sent.
    pub reply_latency: Histogram,
    /// Time to recognise one utterance.
    pub recognition_time: Histogram,
    /// Seconds of speech recognised (with `recognition_time`'s sum: the real-time factor).
    pub recognised_audio_us: AtomicU64,
    notes: AtomicU64,
}

impl Default for VoiceStats {
    fn default() -> Self {
        Self {
            calls_total: AtomicU64::new(0),
            calls_active: AtomicU64::new(0),
            calls_rejected: AtomicU64::new(0),
            turns: AtomicU64::new(0),
            barge_ins: AtomicU64::new(0),
            early_recognitions: AtomicU64::new(0),
            transfers_ok: AtomicU64::new(0),
            transfers_failed: AtomicU64::new(0),
            recognition_failures: AtomicU64::new(0),
            synthesis_failures: AtomicU64::new(0),
            reply_latency: Histogram::new(LATENCY_BUCKETS),
            recognition_time: Histogram::new(LATENCY_BUCKETS),
            recognised_audio_us: AtomicU64::new(0),
            notes: AtomicU64::new(0),
        }
    }
}

impl VoiceStats {
    pub fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    pub(crate) fn call_started(&self) {
        self.calls_total.fetch_add(1, Ordering::Relaxed);
        self.calls_active.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn call_ended(&self) {
        self.calls_active.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn turn(&self) {
        self.turns.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn barge_in(&self) {
        self.barge_ins.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn early_recognition(&self) {
        self.early_recognitions.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn transfer(&self, ok: bool) {
        let c = if ok {
            &self.transfers_ok
        } else {
            &self.transfers_failed
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn recognition(&self, took: Duration, audio: Duration) {
        self.recognition_time.observe(took);
        self.recognised_audio_us
            .fetch_add(audio.as_micros() as u64, Ordering::Relaxed);
    }

    pub(crate) fn recognition_failed(&self) {
        self.recognition_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn synthesis_failed(&self) {
        self.synthesis_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn reply_latency(&self, d: Duration) {
        self.reply_latency.observe(d);
    }

    pub(crate) fn next_note(&self) -> u64 {
        self.notes.fetch_add(1, Ordering::Relaxed)
    }
}
