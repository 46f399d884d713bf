//! The Avito channel's handle: what it is built from, what it shares between its parts (the store,
//! the client, the sealer, caches, counters), and the background work it runs. Each concept it
//! handles has its own module beside this one: [`super::accounts`], [`super::inbound`],
//! [`super::echoes`], [`super::chats`], [`super::content`], [`super::media`], [`super::sync`] and
//! [`super::outbound`].

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use frontline_domain::AccountId;
use frontline_lifecycle::{Lifecycle, LifecycleError};
use frontline_store::{Store, StoreError};
use tokio::{sync::Notify, task::JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::info;

use super::{
    accounts::store_rotated_tokens,
    activity::Activities,
    chats::ChatInfo,
    client::{AvitoClient, AvitoError},
    media::VoiceRecognition,
};
use crate::{
    audio::decode::DecodeSettings,
    sealed::{SealError, Sealer},
    speech::Recognizer,
};

/// How the channel behaves.
#[derive(Debug, Clone)]
pub struct AvitoSettings {
    pub client: super::ClientSettings,
    /// frontline's address as Avito reaches it; webhook URLs are built on it.
    pub public_url: String,
    /// How often the poller looks for messages a webhook did not bring (zero: never).
    pub poll_interval: Duration,
    /// How far before its last look the poller looks again (clocks and late commits).
    pub poll_overlap: Duration,
    /// How long chat and listing details are reused before Avito is asked again.
    pub context_ttl: Duration,
    /// Import the chat history when an account is connected.
    pub sync_on_connect: bool,
    /// A claimed webhook delivery is invisible to other workers this long.
    pub delivery_lease: Duration,
    /// Processing attempts of one delivery before it is given up (and logged).
    pub delivery_max_attempts: i32,
    /// How voice messages are decoded for the recogniser ([`AvitoChannel::with_recognizer`]).
    pub voice_decode: DecodeSettings,
    /// The most one voice message may spend waiting for its turn, decoding and being recognised;
    /// past it the message goes on untranscribed. Capped at half of `delivery_lease`, so a slow
    /// recogniser cannot make another worker take the delivery over.
    pub transcription_timeout: Duration,
    /// Voice messages transcribed at once: a batch processes up to 64 chats concurrently, and a
    /// local recogniser is CPU-bound.
    pub max_concurrent_transcriptions: usize,
}

impl Default for AvitoSettings {
    fn default() -> Self {
        Self {
            client: super::ClientSettings::default(),
            public_url: "http://127.0.0.1:8080".into(),
            poll_interval: Duration::from_secs(60),
            poll_overlap: Duration::from_secs(120),
            context_ttl: Duration::from_secs(600),
            sync_on_connect: true,
            delivery_lease: Duration::from_secs(60),
            delivery_max_attempts: 10,
            voice_decode: DecodeSettings::default(),
            transcription_timeout: Duration::from_secs(30),
            max_concurrent_transcriptions: 2,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid {field}: {why}")]
    Invalid { field: &'static str, why: String },
    /// The webhook URL's secret does not match (or the account is not an Avito one).
    #[error("unknown webhook")]
    UnknownWebhook,
    #[error("malformed webhook body: {0}")]
    MalformedWebhook(String),
    #[error(transparent)]
    Avito(#[from] AvitoError),
    #[error("stored secrets cannot be opened: {0}")]
    Sealed(#[from] SealError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
}

impl ServiceError {
    pub(super) fn retryable(&self) -> bool {
        match self {
            ServiceError::Avito(e) => e.is_retryable(),
            ServiceError::Store(StoreError::Backend(_)) => true,
            ServiceError::Lifecycle(LifecycleError::Store(_)) => true,
            _ => false,
        }
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct AvitoStats {
    pub webhooks_stored: AtomicU64,
    pub webhook_probes: AtomicU64,
    pub webhooks_rejected: AtomicU64,
    pub deliveries_processed: AtomicU64,
    pub duplicates: AtomicU64,
    pub echoes_ours: AtomicU64,
    pub external_replies: AtomicU64,
    pub ignored: AtomicU64,
    pub poller_recovered: AtomicU64,
    pub sends_reconciled: AtomicU64,
    pub voice_transcribed: AtomicU64,
    /// Voice messages a recogniser was set for but that stayed audio only (decoding or
    /// recognition failed, timed out, or heard no words).
    pub voice_untranscribed: AtomicU64,
}

pub(super) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// The Avito channel. Cheap to clone.
#[derive(Clone)]
pub struct AvitoChannel(pub(super) Arc<Inner>);

pub(super) struct Inner {
    pub(super) lifecycle: Lifecycle,
    pub(super) store: Arc<dyn Store>,
    pub(super) client: AvitoClient,
    pub(super) sealer: Sealer,
    pub(super) settings: AvitoSettings,
    pub(super) contexts: Mutex<HashMap<(AccountId, String), (Instant, ChatInfo)>>,
    pub(super) watermarks: Mutex<HashMap<AccountId, i64>>,
    pub(super) wake: Notify,
    pub(super) stats: AvitoStats,
    /// Set by [`AvitoChannel::with_recognizer`]; without it voice messages stay audio only.
    pub(super) voice: RwLock<Option<Arc<VoiceRecognition>>>,
    pub(super) transcriptions: tokio::sync::Semaphore,
    pub(super) activity: Activities,
}

impl std::fmt::Debug for AvitoChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AvitoChannel")
            .field("client", &self.0.client)
            .field("public_url", &self.0.settings.public_url)
            .finish_non_exhaustive()
    }
}

impl AvitoChannel {
    pub fn new(lifecycle: Lifecycle, sealer: Sealer, settings: AvitoSettings) -> Self {
        let store = lifecycle.store().clone();
        // Refresh tokens rotate on use (A2): store each new one, sealed, or the next start is locked out.
        let (rotated_tx, rotated_rx) = tokio::sync::mpsc::unbounded_channel();
        let client = AvitoClient::new(settings.client.clone()).with_refresh_hook(Arc::new(
            move |account, token| {
                let _ = rotated_tx.send((account, token));
            },
        ));
        let permits = settings.max_concurrent_transcriptions.max(1);
        let channel = AvitoChannel(Arc::new(Inner {
            lifecycle,
            store,
            client,
            sealer,
            settings,
            contexts: Mutex::default(),
            watermarks: Mutex::default(),
            wake: Notify::new(),
            stats: AvitoStats::default(),
            voice: RwLock::new(None),
            transcriptions: tokio::sync::Semaphore::new(permits),
            activity: Activities::default(),
        }));
        let weak = Arc::downgrade(&channel.0);
        tokio::spawn(store_rotated_tokens(weak, rotated_rx));
        channel
    }

    /// Transcribe customers' voice messages with `recognizer`, so the bot answers their words and
    /// operators can read them; the audio stays attached. `language` is an ISO 639-1 code, or
    /// `None` to let the recogniser detect it.
    pub fn with_recognizer(
        self,
        recognizer: Arc<dyn Recognizer>,
        language: Option<String>,
    ) -> Self {
        info!(recognizer = recognizer.name(), language = ?language, "avito voice messages will be transcribed");
        *self.0.voice.write().unwrap_or_else(|p| p.into_inner()) =
            Some(Arc::new(VoiceRecognition {
                recognizer,
                language,
            }));
        self
    }

    pub fn stats(&self) -> &AvitoStats {
        &self.0.stats
    }

    pub fn client(&self) -> &AvitoClient {
        &self.0.client
    }

    pub(super) fn store(&self) -> &Arc<dyn Store> {
        &self.0.store
    }

    /// The delivery queue and the poller; they stop with `shutdown`.
    pub fn spawn(&self, shutdown: CancellationToken) -> JoinSet<()> {
        let mut set = JoinSet::new();
        let this = self.clone();
        let stop = shutdown.clone();
        set.spawn(async move { this.run_deliveries(stop).await });
        if !self.0.settings.poll_interval.is_zero() {
            let this = self.clone();
            set.spawn(async move { this.run_poller(shutdown).await });
        }
        set
    }
}
