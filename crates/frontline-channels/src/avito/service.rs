//! Avito accounts, inbound processing, sending, history sync and the poller.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use async_trait::async_trait;
use frontline_domain::{
    Account, AccountId, AccountKind, AccountPatch, Attachment, AttachmentKind, Author,
    ConversationView, CustomerProfile, DeliveryStatus, Direction, ExternalReply, HandoffContext,
    HandoffReason, InboundMessage, Lead, Listing, MAX_MESSAGE_CHARS, MediaId, NewAccount, NewMedia,
    Timestamp,
};
use frontline_lifecycle::{
    Backoff, ChannelSender, Delivery, Lifecycle, LifecycleError, SendError, Sent,
};
use frontline_store::{ImportedMessage, Store, StoreError};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tokio::{sync::Notify, task::JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::{
    client::{AccountAuth, AvitoClient, AvitoError, ChatsPage, Credentials},
    split::{MAX_CHARS, split_text},
    wire,
};
use crate::{
    audio::{
        RECOGNITION_RATE,
        decode::{DecodeError, DecodeSettings, decode_to_pcm},
    },
    sealed::{SealError, Sealer},
    speech::{Recognizer, SpeechError},
};

/// Where stored media is served; attachments of Avito messages point here.
pub const MEDIA_PATH: &str = "/api/v1/media/";

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

/// What an admin gives to connect an account.
#[derive(Clone)]
pub struct ConnectRequest {
    pub name: String,
    pub user_id: i64,
    pub client_id: String,
    pub client_secret: String,
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for ConnectRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectRequest")
            .field("name", &self.name)
            .field("user_id", &self.user_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct Connected {
    pub account: Account,
    /// Whether Avito accepted the webhook subscription (the poller covers the account either way).
    pub subscribed: bool,
    pub subscribe_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WebhookHealth {
    /// This account's subscription is among Avito's list.
    pub subscribed: bool,
    /// Every URL Avito delivers this account's messages to.
    pub subscriptions: Vec<wire::Subscription>,
    /// Deliveries stored but not yet processed (all accounts).
    pub pending_deliveries: i64,
}

#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct SyncStats {
    pub chats: u64,
    pub messages_created: u64,
    pub messages_skipped: u64,
    pub conversations_created: u64,
}

/// What the webhook receiver did with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookAck {
    /// The `{}` reachability probe (A6): answered, nothing stored.
    Probe,
    /// Stored durably; processed asynchronously.
    Stored(i64),
    /// The message is already stored (a duplicate, or our own echo): nothing to keep.
    Known,
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
    fn retryable(&self) -> bool {
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

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Non-secret settings kept on the account row.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredSettings {
    user_id: i64,
    client_id: String,
    /// Unix seconds; messages older than this are history (imported), newer ones are live.
    connected_at: i64,
}

/// Sealed on the account row.
#[derive(Clone, Serialize, Deserialize)]
struct StoredSecrets {
    client_secret: String,
    webhook_secret: String,
    #[serde(default)]
    refresh_token: Option<String>,
}

/// An Avito account ready to use.
#[derive(Clone)]
struct Loaded {
    account: Account,
    settings: StoredSettings,
    secrets: StoredSecrets,
    auth: AccountAuth,
}

impl Loaded {
    fn id(&self) -> AccountId {
        self.account.id
    }
    fn user_id(&self) -> i64 {
        self.settings.user_id
    }
}

/// Who the customer is and what the chat is about, from `GET …/chats/{chat_id}` (A4 #2).
#[derive(Debug, Clone, Default)]
struct ChatInfo {
    /// Avito's id of the other participant: the customer.
    peer_id: Option<i64>,
    customer_name: Option<String>,
    customer_avatar: Option<String>,
    listing: Option<Listing>,
}

/// A message as the webhook or the messages list tells it, normalised.
#[derive(Debug, Clone)]
struct Event {
    id: String,
    chat_id: String,
    chat_type: String,
    author_id: Option<i64>,
    created: Option<i64>,
    kind: String,
    content: wire::Content,
}

impl Event {
    fn from_webhook(v: wire::WebhookMessage) -> Self {
        let chat_type = v
            .chat_type
            .clone()
            .unwrap_or_else(|| chat_type_of(&v.chat_id));
        Event {
            id: v.id,
            chat_type,
            chat_id: v.chat_id,
            author_id: v.author_id,
            created: v.created,
            kind: v.kind.unwrap_or_else(|| "text".into()),
            content: v.content.unwrap_or_default(),
        }
    }

    fn from_listed(m: wire::Message, chat: &wire::Chat) -> Self {
        Event {
            id: m.id,
            chat_id: chat.id.clone(),
            chat_type: chat_type_of(&chat.id),
            author_id: m.author_id,
            created: m.created,
            kind: m.kind.unwrap_or_else(|| "text".into()),
            content: m.content.unwrap_or_default(),
        }
    }

    fn is_system(&self) -> bool {
        self.kind == "system" || matches!(self.author_id, None | Some(0))
    }
}

/// Chat ids carry their type as a prefix (`u2i-…`); the webhook also says it.
fn chat_type_of(chat_id: &str) -> String {
    chat_id
        .split_once('-')
        .map(|(p, _)| p)
        .filter(|p| matches!(*p, "u2i" | "u2u" | "a2u"))
        .unwrap_or("u2u")
        .to_string()
}

/// What happened to one Avito message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handled {
    Duplicate,
    Ingested { new: bool },
    Imported,
    OwnEcho,
    ExternalReply,
    Ignored,
}

/// The Avito channel. Cheap to clone.
#[derive(Clone)]
pub struct AvitoChannel(Arc<Inner>);

struct Inner {
    lifecycle: Lifecycle,
    store: Arc<dyn Store>,
    client: AvitoClient,
    sealer: Sealer,
    settings: AvitoSettings,
    contexts: Mutex<HashMap<(AccountId, String), (Instant, ChatInfo)>>,
    watermarks: Mutex<HashMap<AccountId, i64>>,
    wake: Notify,
    stats: AvitoStats,
    /// Set by [`AvitoChannel::with_recognizer`]; without it voice messages stay audio only.
    voice: RwLock<Option<Arc<VoiceRecognition>>>,
    transcriptions: tokio::sync::Semaphore,
}

/// The recogniser voice messages are transcribed with.
#[derive(Debug)]
struct VoiceRecognition {
    recognizer: Arc<dyn Recognizer>,
    /// ISO 639-1, or `None` to let the recogniser detect it.
    language: Option<String>,
}

/// Why a voice message stayed untranscribed (logged, never surfaced: the message goes on).
#[derive(Debug, thiserror::Error)]
enum VoiceError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Speech(#[from] SpeechError),
    #[error("transcription took longer than {0:?}")]
    OverBudget(Duration),
}

/// What a transcribed voice message's text starts with, so operators (and exports) can tell the
/// recogniser's words from typed ones.
const TRANSCRIPT_MARK: &str = "🎤 ";

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

    async fn save_refresh_token(&self, id: AccountId, token: String) -> Result<(), ServiceError> {
        let acct = self.load(id).await?;
        let mut secrets = acct.secrets.clone();
        secrets.refresh_token = Some(token);
        let sealed = self.0.sealer.seal(
            &Self::seal_context(acct.user_id()),
            &serde_json::to_vec(&secrets).expect("secrets serialise"),
        );
        self.store()
            .update_account(
                id,
                AccountPatch {
                    sealed_secrets: Some(Some(sealed)),
                    ..AccountPatch::default()
                },
            )
            .await?;
        Ok(())
    }

    pub fn stats(&self) -> &AvitoStats {
        &self.0.stats
    }

    pub fn client(&self) -> &AvitoClient {
        &self.0.client
    }

    fn store(&self) -> &Arc<dyn Store> {
        &self.0.store
    }

    fn seal_context(user_id: i64) -> String {
        format!("avito:{user_id}")
    }

    fn webhook_url(&self, account: AccountId, secret: &str) -> String {
        format!(
            "{}/api/v1/webhooks/avito/{}/{secret}",
            self.0.settings.public_url.trim_end_matches('/'),
            account.0
        )
    }

    async fn load(&self, id: AccountId) -> Result<Loaded, ServiceError> {
        let account = self
            .store()
            .account(id)
            .await?
            .ok_or(ServiceError::NotFound("account"))?;
        self.loaded(account)
    }

    fn loaded(&self, account: Account) -> Result<Loaded, ServiceError> {
        if account.kind != AccountKind::Avito {
            return Err(ServiceError::NotFound("avito account"));
        }
        let settings: StoredSettings = account
            .settings
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .ok_or(ServiceError::NotFound("avito account settings"))?;
        let sealed = account
            .sealed_secrets
            .as_deref()
            .ok_or(ServiceError::NotFound("avito account secrets"))?;
        let opened = self
            .0
            .sealer
            .open(&Self::seal_context(settings.user_id), sealed)?;
        let secrets: StoredSecrets =
            serde_json::from_slice(&opened).map_err(|_| SealError::Malformed)?;
        let auth = AccountAuth {
            account: account.id,
            credentials: Credentials {
                user_id: settings.user_id,
                client_id: settings.client_id.clone(),
                client_secret: secrets.client_secret.clone(),
                refresh_token: secrets.refresh_token.clone(),
            },
        };
        Ok(Loaded {
            account,
            settings,
            secrets,
            auth,
        })
    }

    /// Enabled Avito accounts that can be used (broken ones are logged and skipped).
    async fn accounts(&self) -> Result<Vec<Loaded>, ServiceError> {
        let mut out = Vec::new();
        for account in self.store().list_accounts().await? {
            if account.kind != AccountKind::Avito || !account.enabled {
                continue;
            }
            let id = account.id;
            match self.loaded(account) {
                Ok(l) => out.push(l),
                Err(e) => warn!(account = id.0, error = %e, "avito account unusable"),
            }
        }
        Ok(out)
    }

    // ---- accounts ---------------------------------------------------------------------------

    /// Check the credentials against `/token`, store the account (secrets sealed), subscribe its
    /// webhook and, when configured, import its history in the background.
    pub async fn connect(&self, req: ConnectRequest) -> Result<Connected, ServiceError> {
        let name = req.name.trim().to_string();
        if name.is_empty() {
            return Err(invalid("name", "must not be empty"));
        }
        if req.user_id <= 0 {
            return Err(invalid("user_id", "must be Avito's positive account id"));
        }
        let client_id = req.client_id.trim().to_string();
        let client_secret = req.client_secret.trim().to_string();
        if client_id.is_empty() {
            return Err(invalid("client_id", "must not be empty"));
        }
        if client_secret.is_empty() {
            return Err(invalid("client_secret", "must not be empty"));
        }
        let credentials = Credentials {
            user_id: req.user_id,
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
            refresh_token: req.refresh_token.clone().filter(|t| !t.trim().is_empty()),
        };
        if let Some(existing) = self.store().list_accounts().await?.into_iter().find(|a| {
            a.kind == AccountKind::Avito
                && a.settings
                    .as_deref()
                    .and_then(|s| serde_json::from_str::<StoredSettings>(s).ok())
                    .is_some_and(|s| s.user_id == req.user_id)
        }) {
            return Err(invalid(
                "user_id",
                &format!(
                    "Avito account {} is already connected as account {}",
                    req.user_id, existing.id.0
                ),
            ));
        }
        let rotated = self.0.client.check_credentials(&credentials).await?;

        let mut secret = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let secrets = StoredSecrets {
            client_secret,
            webhook_secret: hex::encode(secret),
            refresh_token: rotated.or(credentials.refresh_token.clone()),
        };
        let settings = StoredSettings {
            user_id: req.user_id,
            client_id,
            connected_at: Timestamp::now().millis() / 1000,
        };
        let sealed = self.0.sealer.seal(
            &Self::seal_context(req.user_id),
            &serde_json::to_vec(&secrets).expect("secrets serialise"),
        );
        let account = self
            .store()
            .create_account(NewAccount {
                kind: AccountKind::Avito,
                name,
                callback_url: None,
                inbound_token_hash: None,
                settings: Some(serde_json::to_string(&settings).expect("settings serialise")),
                sealed_secrets: Some(sealed),
            })
            .await?;
        info!(
            account = account.id.0,
            user_id = req.user_id,
            "avito account connected"
        );
        let loaded = self.loaded(account.clone())?;
        let url = self.webhook_url(account.id, &loaded.secrets.webhook_secret);
        let (subscribed, subscribe_error) = match self.0.client.subscribe(&loaded.auth, &url).await
        {
            Ok(()) => (true, None),
            Err(e) => {
                warn!(account = account.id.0, error = %e, "webhook subscription failed; the poller covers the account");
                (false, Some(e.to_string()))
            }
        };
        self.0
            .watermarks
            .lock()
            .expect("poisoned")
            .insert(account.id, settings.connected_at);
        if self.0.settings.sync_on_connect {
            let this = self.clone();
            let id = account.id;
            tokio::spawn(async move {
                match this.sync(id).await {
                    Ok(s) => info!(
                        account = id.0,
                        chats = s.chats,
                        imported = s.messages_created,
                        "history imported"
                    ),
                    Err(e) => warn!(account = id.0, error = %e, "history import failed"),
                }
            });
        }
        Ok(Connected {
            account,
            subscribed,
            subscribe_error,
        })
    }

    /// Unsubscribe the webhook and disable the account (its history stays).
    pub async fn disconnect(&self, id: AccountId) -> Result<Account, ServiceError> {
        let loaded = self.load(id).await?;
        let url = self.webhook_url(id, &loaded.secrets.webhook_secret);
        if let Err(e) = self.0.client.unsubscribe(&loaded.auth, &url).await {
            warn!(account = id.0, error = %e, "webhook unsubscribe failed");
        }
        self.0.client.forget(id);
        let account = self
            .store()
            .update_account(
                id,
                AccountPatch {
                    enabled: Some(false),
                    ..AccountPatch::default()
                },
            )
            .await?;
        Ok(account)
    }

    /// Subscribe again (after a re-enable, or when the health view shows the subscription gone).
    pub async fn resubscribe(&self, id: AccountId) -> Result<WebhookHealth, ServiceError> {
        let loaded = self.load(id).await?;
        let url = self.webhook_url(id, &loaded.secrets.webhook_secret);
        self.0.client.subscribe(&loaded.auth, &url).await?;
        self.webhook_health(id).await
    }

    pub async fn webhook_health(&self, id: AccountId) -> Result<WebhookHealth, ServiceError> {
        let loaded = self.load(id).await?;
        let url = self.webhook_url(id, &loaded.secrets.webhook_secret);
        let subscriptions = self.0.client.subscriptions(&loaded.auth).await?;
        Ok(WebhookHealth {
            subscribed: subscriptions.iter().any(|s| s.url == url),
            subscriptions: subscriptions
                .into_iter()
                .map(|mut s| {
                    // Never show our own secret back, even to admins.
                    if s.url == url {
                        s.url = self.webhook_url(id, "…");
                    }
                    s
                })
                .collect(),
            pending_deliveries: self.store().count_channel_deliveries().await?,
        })
    }

    // ---- the webhook receiver ---------------------------------------------------------------

    /// Check the URL's secret (in constant time), then store the raw delivery before answering. The
    /// empty `{}` probe is answered without storing anything.
    pub async fn accept_webhook(
        &self,
        account: AccountId,
        secret: &str,
        body: &[u8],
    ) -> Result<WebhookAck, ServiceError> {
        let loaded = match self.load(account).await {
            Ok(l) => l,
            Err(ServiceError::NotFound(_)) => {
                bump(&self.0.stats.webhooks_rejected);
                return Err(ServiceError::UnknownWebhook);
            }
            Err(e) => return Err(e),
        };
        let expected = loaded.secrets.webhook_secret.as_bytes();
        let given = secret.as_bytes();
        if expected.len() != given.len() || !bool::from(expected.ct_eq(given)) {
            bump(&self.0.stats.webhooks_rejected);
            return Err(ServiceError::UnknownWebhook);
        }
        let envelope: wire::Envelope = serde_json::from_slice(body)
            .map_err(|e| ServiceError::MalformedWebhook(e.to_string()))?;
        let Some(payload) = envelope.payload else {
            bump(&self.0.stats.webhook_probes);
            return Ok(WebhookAck::Probe);
        };
        // A message already stored (a duplicate delivery, or the echo of a send whose id is
        // recorded) needs no second write: one read answers it.
        if let Some(value) = &payload.value
            && self
                .store()
                .message_by_external_id(account, &value.id)
                .await?
                .is_some()
        {
            bump(&self.0.stats.duplicates);
            return Ok(WebhookAck::Known);
        }
        let text =
            std::str::from_utf8(body).map_err(|e| ServiceError::MalformedWebhook(e.to_string()))?;
        let stored = self.store().save_channel_delivery(account, text).await?;
        bump(&self.0.stats.webhooks_stored);
        self.0.wake.notify_one();
        Ok(WebhookAck::Stored(stored.id))
    }

    // ---- background work --------------------------------------------------------------------

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

    async fn run_deliveries(&self, shutdown: CancellationToken) {
        let batch = 64;
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            let claimed = self
                .store()
                .claim_channel_deliveries(Timestamp::now(), self.0.settings.delivery_lease, batch)
                .await;
            let deliveries = match claimed {
                Ok(d) => d,
                Err(e) => {
                    warn!(error = %e, "claiming avito deliveries failed");
                    Vec::new()
                }
            };
            let full = deliveries.len() == batch;
            if !deliveries.is_empty() {
                self.process_batch(deliveries).await;
            }
            if full {
                continue;
            }
            let wait = match self.store().next_channel_delivery_at().await {
                Ok(Some(at)) => Duration::from_millis(
                    (at.millis() - Timestamp::now().millis()).clamp(0, 1000) as u64,
                ),
                _ => Duration::from_secs(1),
            };
            if wait.is_zero() {
                continue;
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.0.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Deliveries of one chat in arrival order; chats concurrently.
    async fn process_batch(&self, deliveries: Vec<frontline_domain::ChannelDelivery>) {
        let mut by_chat: BTreeMap<(AccountId, String), Vec<_>> = BTreeMap::new();
        for d in deliveries {
            let chat = serde_json::from_str::<wire::Envelope>(&d.body)
                .ok()
                .and_then(|e| e.payload)
                .and_then(|p| p.value)
                .map(|v| v.chat_id)
                .unwrap_or_default();
            by_chat.entry((d.account_id, chat)).or_default().push(d);
        }
        let mut set = JoinSet::new();
        for (_, chain) in by_chat {
            let this = self.clone();
            set.spawn(async move {
                for d in chain {
                    this.process_delivery(d).await;
                }
            });
        }
        while set.join_next().await.is_some() {}
    }

    async fn process_delivery(&self, d: frontline_domain::ChannelDelivery) {
        let result = self.handle_delivery(&d).await;
        let store = self.store();
        let outcome = match result {
            Ok(handled) => {
                debug!(delivery = d.id, ?handled, "avito delivery processed");
                bump(&self.0.stats.deliveries_processed);
                store.finish_channel_delivery(d.id).await
            }
            Err(e) if e.retryable() && d.attempts < self.0.settings.delivery_max_attempts => {
                let delay = DELIVERY_BACKOFF
                    .delay(u32::try_from(d.attempts).unwrap_or(1), e_retry_after(&e));
                warn!(delivery = d.id, attempt = d.attempts, error = %e, "avito delivery failed, will retry");
                store
                    .retry_channel_delivery(d.id, Timestamp::now().plus(delay), &e.to_string())
                    .await
            }
            Err(e) => {
                // Kept in the log with the raw body: nothing retrying could fix.
                warn!(delivery = d.id, attempt = d.attempts, error = %e, body = %d.body, "avito delivery dropped");
                store.finish_channel_delivery(d.id).await
            }
        };
        if let Err(e) = outcome {
            warn!(delivery = d.id, error = %e, "recording the delivery outcome failed; it comes back after its lease");
        }
    }

    async fn handle_delivery(
        &self,
        d: &frontline_domain::ChannelDelivery,
    ) -> Result<Handled, ServiceError> {
        let envelope: wire::Envelope = serde_json::from_str(&d.body)
            .map_err(|e| ServiceError::MalformedWebhook(e.to_string()))?;
        let Some(payload) = envelope.payload else {
            return Ok(Handled::Ignored);
        };
        let (true, Some(value)) = (payload.kind == "message", payload.value) else {
            bump(&self.0.stats.ignored);
            return Ok(Handled::Ignored);
        };
        let loaded = self.load(d.account_id).await?;
        if let Some(receiver) = value.user_id
            && receiver != loaded.user_id()
        {
            // Avito addresses a delivery to the account the webhook belongs to (A6); anything else
            // is a misrouted or forged delivery and must not land in this account's inbox.
            warn!(
                delivery = d.id,
                account = d.account_id.0,
                receiver,
                "delivery for another Avito account ignored"
            );
            bump(&self.0.stats.ignored);
            return Ok(Handled::Ignored);
        }
        self.handle_event(&loaded, Event::from_webhook(value)).await
    }

    /// One Avito message, from a webhook or the poller: idempotent on its id.
    async fn handle_event(&self, acct: &Loaded, ev: Event) -> Result<Handled, ServiceError> {
        let store = self.store();
        if store
            .message_by_external_id(acct.id(), &ev.id)
            .await?
            .is_some()
        {
            bump(&self.0.stats.duplicates);
            return Ok(Handled::Duplicate);
        }
        if ev.kind == "deleted" {
            bump(&self.0.stats.ignored);
            return Ok(Handled::Ignored);
        }
        if ev.author_id == Some(acct.user_id()) {
            return self.handle_echo(acct, &ev).await;
        }
        if ev.is_system() || ev.chat_type == "a2u" {
            // Shown in the chat, never given to the bot.
            let author = if ev.is_system() {
                Author::System
            } else {
                Author::Customer
            };
            let info = self.chat_info(acct, &ev.chat_id).await;
            let (text, attachments) = self.render(acct, &ev, false).await;
            let stats = store
                .import_messages(vec![ImportedMessage {
                    account_id: acct.id(),
                    external_chat_id: ev.chat_id.clone(),
                    external_message_id: ev.id.clone(),
                    customer: customer_profile(&ev, acct, &info),
                    listing: info.listing.clone(),
                    author,
                    text,
                    attachments,
                    sent_at: at(ev.created).unwrap_or_else(Timestamp::now),
                }])
                .await?;
            if stats.messages_created > 0 {
                self.0.lifecycle.signals().events.notify_one();
            }
            bump(&self.0.stats.ignored);
            return Ok(Handled::Imported);
        }
        let info = self.chat_info(acct, &ev.chat_id).await;
        let (text, attachments) = self.render(acct, &ev, true).await;
        let ingested = self
            .0
            .lifecycle
            .receive(InboundMessage {
                account_id: acct.id(),
                external_chat_id: ev.chat_id.clone(),
                external_message_id: ev.id.clone(),
                customer: customer_profile(&ev, acct, &info),
                listing: info.listing,
                text,
                attachments,
                sent_at: at(ev.created),
            })
            .await?;
        Ok(Handled::Ingested {
            new: ingested.new_message,
        })
    }

    /// A message authored by the account itself: either one frontline is sending (its Avito id may
    /// not be recorded yet — the echo can overtake the send's answer), or a person answering in the
    /// Avito app, who thereby takes the conversation.
    async fn handle_echo(&self, acct: &Loaded, ev: &Event) -> Result<Handled, ServiceError> {
        let store = self.store();
        let conversation = store
            .conversation_by_external_chat(acct.id(), &ev.chat_id)
            .await?;
        if let Some(view) = &conversation {
            let recent = store.list_messages(view.conversation.id, None, 50).await?;
            // Oldest first: the outbox sends a conversation's messages in order, so the oldest
            // queued one is the send in flight (two identical queued texts go to the right one).
            for m in recent.iter() {
                if m.direction != Direction::Out
                    || m.status != DeliveryStatus::Queued
                    || m.author == Author::External
                {
                    continue;
                }
                let recorded: HashSet<i32> = store
                    .external_sends(m.id)
                    .await?
                    .into_iter()
                    .map(|(part, _)| part)
                    .collect();
                let parts = split_text(&m.text, MAX_CHARS);
                let slot = match ev.kind.as_str() {
                    "text" => {
                        let text = ev.content.text.as_deref().unwrap_or_default().trim();
                        parts
                            .iter()
                            .position(|p| p == text)
                            .filter(|i| !recorded.contains(&(*i as i32)))
                    }
                    "image" => (0..image_attachments(&m.attachments).count())
                        .map(|k| parts.len() + k)
                        .find(|i| !recorded.contains(&(*i as i32))),
                    _ => None,
                };
                if let Some(part) = slot {
                    match store.record_external_send(m.id, part as i32, &ev.id).await {
                        Ok(()) | Err(StoreError::Conflict(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                    bump(&self.0.stats.echoes_ours);
                    return Ok(Handled::OwnEcho);
                }
            }
        }
        let (text, attachments) = self.render(acct, ev, true).await;
        bump(&self.0.stats.external_replies);
        if conversation.is_some() {
            let recorded = store
                .record_external_reply(ExternalReply {
                    account_id: acct.id(),
                    external_chat_id: ev.chat_id.clone(),
                    external_message_id: ev.id.clone(),
                    text,
                    attachments,
                    sent_at: at(ev.created),
                })
                .await?;
            if recorded.new_message {
                info!(account = acct.id().0, chat = %ev.chat_id, lead_changed = recorded.handoff.is_some(), "a person answered in the Avito app");
                self.0.lifecycle.signals().events.notify_one();
            }
            return Ok(Handled::ExternalReply);
        }
        // A chat that starts with the seller's message: create it, led by whoever wrote.
        let info = self.chat_info(acct, &ev.chat_id).await;
        let peer = info_peer(&info, ev);
        store
            .import_messages(vec![ImportedMessage {
                account_id: acct.id(),
                external_chat_id: ev.chat_id.clone(),
                external_message_id: ev.id.clone(),
                customer: peer,
                listing: info.listing.clone(),
                author: Author::External,
                text,
                attachments,
                sent_at: at(ev.created).unwrap_or_else(Timestamp::now),
            }])
            .await?;
        if let Some(view) = store
            .conversation_by_external_chat(acct.id(), &ev.chat_id)
            .await?
            && view.conversation.lead == Lead::Bot
        {
            match self
                .0
                .lifecycle
                .set_lead(
                    Author::External,
                    view.conversation.id,
                    Lead::Operator,
                    HandoffReason::ExternalReply,
                    HandoffContext::default(),
                )
                .await
            {
                Ok(_) | Err(LifecycleError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        self.0.lifecycle.signals().events.notify_one();
        Ok(Handled::ExternalReply)
    }

    /// The chat's customer and listing, cached for `context_ttl`. When Avito cannot be asked, the
    /// message goes on with ids only (and the next message tries again).
    async fn chat_info(&self, acct: &Loaded, chat_id: &str) -> ChatInfo {
        let key = (acct.id(), chat_id.to_string());
        if let Some((at, info)) = self.0.contexts.lock().expect("poisoned").get(&key)
            && at.elapsed() < self.0.settings.context_ttl
        {
            return info.clone();
        }
        match self.0.client.chat(&acct.auth, chat_id).await {
            Ok(chat) => {
                let info = chat_info_of(&chat, acct.user_id());
                self.remember(acct.id(), chat_id, info.clone());
                info
            }
            Err(e) => {
                warn!(account = acct.id().0, chat = chat_id, error = %e, "chat details unavailable");
                ChatInfo::default()
            }
        }
    }

    fn remember(&self, account: AccountId, chat_id: &str, info: ChatInfo) {
        let mut contexts = self.0.contexts.lock().expect("poisoned");
        if contexts.len() > 50_000 {
            let ttl = self.0.settings.context_ttl;
            contexts.retain(|_, (at, _)| at.elapsed() < ttl);
        }
        contexts.insert((account, chat_id.to_string()), (Instant::now(), info));
    }

    /// Text and attachments of a message. `fetch`: download images and voice into frontline's media
    /// store (voice URLs expire after an hour, A4 #9); otherwise point at Avito's URLs.
    async fn render(&self, acct: &Loaded, ev: &Event, fetch: bool) -> (String, Vec<Attachment>) {
        let c = &ev.content;
        match ev.kind.as_str() {
            "text" | "system" => (c.text.clone().unwrap_or_default(), Vec::new()),
            "image" => {
                let Some(url) = c.image.as_ref().and_then(|i| i.largest()) else {
                    return ("[изображение]".into(), Vec::new());
                };
                let attachment = if fetch {
                    self.fetch_into_media(acct, url, AttachmentKind::Image, "image.jpg")
                        .await
                } else {
                    None
                };
                let attachment = attachment.unwrap_or_else(|| Attachment {
                    kind: AttachmentKind::Image,
                    url: url.to_string(),
                    name: None,
                    mime: None,
                    size: None,
                });
                (String::new(), vec![attachment])
            }
            "voice" => {
                let Some(voice) = &c.voice else {
                    return ("[голосовое сообщение]".into(), Vec::new());
                };
                self.render_voice(acct, &voice.voice_id, fetch).await
            }
            "link" => {
                let l = c.link.as_ref();
                let parts: Vec<&str> = [
                    l.and_then(|l| l.text.as_deref()),
                    l.and_then(|l| l.url.as_deref()),
                ]
                .into_iter()
                .flatten()
                .collect();
                (parts.join(" "), Vec::new())
            }
            "item" => {
                let i = c.item.as_ref();
                let parts: Vec<&str> = [
                    i.and_then(|i| i.title.as_deref()),
                    i.and_then(|i| i.price_string.as_deref()),
                    i.and_then(|i| i.item_url.as_deref()),
                ]
                .into_iter()
                .flatten()
                .collect();
                (format!("[объявление] {}", parts.join(" · ")), Vec::new())
            }
            "location" => {
                let l = c.location.as_ref();
                let text = l
                    .and_then(|l| l.text.clone().or_else(|| l.title.clone()))
                    .unwrap_or_default();
                (
                    format!("[геопозиция] {text}").trim().to_string(),
                    Vec::new(),
                )
            }
            "call" => {
                let status = c
                    .call
                    .as_ref()
                    .and_then(|c| c.status.as_deref())
                    .unwrap_or("");
                (format!("[звонок {status}]").replace(" ]", "]"), Vec::new())
            }
            // Avito does not give their content through the API (A5): shown as such.
            "file" => (
                "[файл: Авито не передаёт файлы через API]".into(),
                Vec::new(),
            ),
            "video" => (
                "[видео: Авито не передаёт видео через API]".into(),
                Vec::new(),
            ),
            "appCall" => ("[звонок через приложение Авито]".into(), Vec::new()),
            other => (
                c.text
                    .clone()
                    .unwrap_or_else(|| format!("[сообщение типа {other}]")),
                Vec::new(),
            ),
        }
    }

    /// A voice message: its audio fetched into the media store (the URL expires, A4 #9) and, when a
    /// recogniser is set, its words as the text. Without words the text stays empty (the bot asks
    /// the customer to write) or, when not even the audio could be fetched, says so.
    async fn render_voice(
        &self,
        acct: &Loaded,
        voice_id: &str,
        fetch: bool,
    ) -> (String, Vec<Attachment>) {
        let mut downloaded = None;
        if fetch {
            match self
                .0
                .client
                .voice_urls(&acct.auth, &[voice_id.to_string()])
                .await
            {
                Ok(urls) => match urls.get(voice_id) {
                    Some(url) => downloaded = self.download(acct, url).await,
                    None => warn!(voice = %voice_id, "avito gave no URL for a voice message"),
                },
                Err(e) => warn!(voice = %voice_id, error = %e, "voice URL unavailable"),
            }
        }
        let Some((bytes, mime)) = downloaded else {
            return (
                format!("[голосовое сообщение {voice_id}: не загружено]"),
                Vec::new(),
            );
        };
        let words = self.transcribe(acct, voice_id, &bytes).await;
        let attachment = self
            .keep_media(acct, bytes, mime, AttachmentKind::Voice, "voice.mp4")
            .await;
        match (words, attachment) {
            (Some(words), attachment) => (
                format!("{TRANSCRIPT_MARK}{words}"),
                attachment.into_iter().collect(),
            ),
            (None, Some(a)) => (String::new(), vec![a]),
            (None, None) => (
                format!("[голосовое сообщение {voice_id}: не загружено]"),
                Vec::new(),
            ),
        }
    }

    /// The words of a voice message, when a recogniser is set and hears some within the time
    /// budget. Every failure only logs: the message goes on as audio, never lost or held up.
    async fn transcribe(&self, acct: &Loaded, voice_id: &str, audio: &[u8]) -> Option<String> {
        let recognition = self
            .0
            .voice
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()?;
        let budget = self
            .0
            .settings
            .transcription_timeout
            .min(self.0.settings.delivery_lease / 2);
        let started = Instant::now();
        let work = async {
            // The semaphore is never closed, so this only waits for a turn.
            let _turn = self.0.transcriptions.acquire().await;
            let pcm = decode_to_pcm(audio, RECOGNITION_RATE, &self.0.settings.voice_decode).await?;
            let heard = recognition
                .recognizer
                .transcribe(&pcm, recognition.language.as_deref())
                .await?;
            Ok::<_, VoiceError>((pcm.duration_ms(), heard))
        };
        let outcome = tokio::time::timeout(budget, work)
            .await
            .unwrap_or(Err(VoiceError::OverBudget(budget)));
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let recognizer = recognition.recognizer.name();
        match outcome {
            Ok((audio_ms, heard)) if !heard.text.trim().is_empty() => {
                bump(&self.0.stats.voice_transcribed);
                info!(account = acct.id().0, voice = %voice_id, recognizer, audio_ms, elapsed_ms, language = ?heard.language, "voice message transcribed");
                // Room for the mark within the message limit; a recogniser never writes that much
                // for a voice message, but a runaway one must not make the message unstorable.
                let limit = MAX_MESSAGE_CHARS - TRANSCRIPT_MARK.chars().count();
                Some(heard.text.trim().chars().take(limit).collect())
            }
            Ok((audio_ms, _)) => {
                bump(&self.0.stats.voice_untranscribed);
                warn!(account = acct.id().0, voice = %voice_id, recognizer, audio_ms, elapsed_ms, "voice message recognised as no words; kept as audio");
                None
            }
            Err(e) => {
                bump(&self.0.stats.voice_untranscribed);
                warn!(account = acct.id().0, voice = %voice_id, recognizer, elapsed_ms, error = %e, "voice message not transcribed; kept as audio");
                None
            }
        }
    }

    async fn fetch_into_media(
        &self,
        acct: &Loaded,
        url: &str,
        kind: AttachmentKind,
        name: &str,
    ) -> Option<Attachment> {
        let (bytes, mime) = self.download(acct, url).await?;
        self.keep_media(acct, bytes, mime, kind, name).await
    }

    async fn download(&self, acct: &Loaded, url: &str) -> Option<(Vec<u8>, Option<String>)> {
        match self.0.client.fetch_media(&acct.auth, url).await {
            Ok(x) => Some(x),
            Err(e) => {
                warn!(account = acct.id().0, error = %e, "media download failed; keeping the link");
                None
            }
        }
    }

    /// Stores downloaded media; `None` (logged) when the store refuses it.
    async fn keep_media(
        &self,
        acct: &Loaded,
        bytes: Vec<u8>,
        mime: Option<String>,
        kind: AttachmentKind,
        name: &str,
    ) -> Option<Attachment> {
        let mime = mime
            .map(|m| m.split(';').next().unwrap_or_default().trim().to_string())
            .filter(|m| m.contains('/'))
            .unwrap_or_else(|| match kind {
                AttachmentKind::Voice => "audio/mp4".into(),
                _ => "application/octet-stream".into(),
            });
        let name = match (kind, mime.as_str()) {
            (AttachmentKind::Voice, _) => name.to_string(),
            (_, "image/png") => "image.png".into(),
            (_, "image/gif") => "image.gif".into(),
            (_, "image/webp") => "image.webp".into(),
            (_, "image/svg+xml") => "image.svg".into(),
            _ => name.to_string(),
        };
        let name = name.as_str();
        let size = bytes.len() as i64;
        match self
            .store()
            .save_media(NewMedia {
                account_id: Some(acct.id()),
                mime: mime.clone(),
                name: Some(name.to_string()),
                bytes,
            })
            .await
        {
            Ok(media) => Some(Attachment {
                kind,
                url: format!("{MEDIA_PATH}{}", media.id.0),
                name: Some(name.to_string()),
                mime: Some(mime),
                size: Some(size),
            }),
            Err(e) => {
                warn!(error = %e, "storing media failed; keeping the link");
                None
            }
        }
    }

    // ---- read marks -------------------------------------------------------------------------

    /// Tell Avito the chat was read (an operator opened it, or the bot answered).
    pub async fn mark_read(&self, conversation: &ConversationView) -> Result<(), ServiceError> {
        let acct = self.load(conversation.conversation.account_id).await?;
        self.0
            .client
            .mark_read(&acct.auth, &conversation.conversation.external_chat_id)
            .await?;
        Ok(())
    }

    // ---- history and the poller -------------------------------------------------------------

    /// Import every chat Avito still lists (at most ~1100 by its paging caps, A7.7) and their
    /// messages, without duplicates and without waking the bot.
    pub async fn sync(&self, id: AccountId) -> Result<SyncStats, ServiceError> {
        let acct = self.load(id).await?;
        let mut stats = SyncStats::default();
        let mut offset = 0u32;
        loop {
            let page = self
                .0
                .client
                .chats(
                    &acct.auth,
                    ChatsPage {
                        limit: 100,
                        offset,
                        unread_only: false,
                    },
                )
                .await?;
            let n = page.chats.len();
            for chat in page.chats {
                stats.chats += 1;
                let imported = self.import_chat(&acct, &chat).await?;
                stats.messages_created += imported.messages_created;
                stats.messages_skipped += imported.messages_skipped;
                stats.conversations_created += imported.conversations_created;
            }
            let more = page.meta.and_then(|m| m.has_more).unwrap_or(n == 100);
            if !more || n == 0 || offset + 100 > 1000 {
                break;
            }
            offset += 100;
        }
        if stats.messages_created > 0 {
            self.0.lifecycle.signals().events.notify_one();
        }
        Ok(stats)
    }

    async fn import_chat(
        &self,
        acct: &Loaded,
        chat: &wire::Chat,
    ) -> Result<frontline_store::ImportStats, ServiceError> {
        let info = chat_info_of(chat, acct.user_id());
        self.remember(acct.id(), &chat.id, info.clone());
        let mut listed = Vec::new();
        let mut offset = 0u32;
        loop {
            let page = self
                .0
                .client
                .messages(&acct.auth, &chat.id, 100, offset)
                .await?;
            let n = page.len();
            listed.extend(page);
            if n < 100 || offset + 100 > 1000 {
                break;
            }
            offset += 100;
        }
        let mut batch = Vec::with_capacity(listed.len());
        // Newest first from Avito; stored oldest first.
        for m in listed.into_iter().rev() {
            let ev = Event::from_listed(m, chat);
            if ev.kind == "deleted" {
                continue;
            }
            let author = if ev.is_system() {
                Author::System
            } else if ev.author_id == Some(acct.user_id()) {
                Author::External
            } else {
                Author::Customer
            };
            let (text, attachments) = self.render(acct, &ev, false).await;
            batch.push(ImportedMessage {
                account_id: acct.id(),
                external_chat_id: chat.id.clone(),
                external_message_id: ev.id.clone(),
                customer: info_peer(&info, &ev),
                listing: info.listing.clone(),
                author,
                text,
                attachments,
                sent_at: at(ev.created).unwrap_or_else(Timestamp::now),
            });
        }
        if batch.is_empty() {
            return Ok(frontline_store::ImportStats::default());
        }
        Ok(self.store().import_messages(batch).await?)
    }

    async fn run_poller(&self, shutdown: CancellationToken) {
        let interval = self.0.settings.poll_interval;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(interval) => {}
            }
            let accounts = match self.accounts().await {
                Ok(a) => a,
                Err(e) => {
                    warn!(error = %e, "poller cannot list accounts");
                    continue;
                }
            };
            for acct in accounts {
                if shutdown.is_cancelled() {
                    break;
                }
                match self.poll(&acct).await {
                    Ok(0) => {}
                    Ok(n) => info!(
                        account = acct.id().0,
                        recovered = n,
                        "poller found messages no webhook brought"
                    ),
                    Err(e) => warn!(account = acct.id().0, error = %e, "polling avito failed"),
                }
            }
        }
    }

    /// Look at chats updated since the last look (minus an overlap) and handle their recent messages
    /// like webhook deliveries. Returns how many were new to frontline.
    pub async fn poll_account(&self, id: AccountId) -> Result<u64, ServiceError> {
        let acct = self.load(id).await?;
        self.poll(&acct).await
    }

    async fn poll(&self, acct: &Loaded) -> Result<u64, ServiceError> {
        let started = Timestamp::now().millis() / 1000;
        let since = {
            let marks = self.0.watermarks.lock().expect("poisoned");
            let default = acct.settings.connected_at.max(started - 24 * 3600);
            marks.get(&acct.id()).copied().unwrap_or(default)
        } - self.0.settings.poll_overlap.as_secs() as i64;
        let mut recovered = 0;
        let mut offset = 0u32;
        'pages: loop {
            let page = self
                .0
                .client
                .chats(
                    &acct.auth,
                    ChatsPage {
                        limit: 50,
                        offset,
                        unread_only: false,
                    },
                )
                .await?;
            let n = page.chats.len();
            for chat in &page.chats {
                if chat.updated.unwrap_or(i64::MAX) < since {
                    break 'pages;
                }
                let messages = self.0.client.messages(&acct.auth, &chat.id, 50, 0).await?;
                for m in messages.into_iter().rev() {
                    if m.created.unwrap_or(i64::MAX) < since {
                        continue;
                    }
                    let id = m.id.clone();
                    match self.handle_event(acct, Event::from_listed(m, chat)).await {
                        Ok(
                            Handled::Ingested { new: true }
                            | Handled::ExternalReply
                            | Handled::Imported,
                        ) => {
                            recovered += 1;
                            bump(&self.0.stats.poller_recovered);
                        }
                        Ok(_) => {}
                        // Try the whole look again next round.
                        Err(e) if e.retryable() => return Err(e),
                        // One message nothing can fix must not stall the poller for good.
                        Err(e) => {
                            warn!(account = acct.id().0, chat = %chat.id, message = %id, error = %e, "message skipped by the poller")
                        }
                    }
                }
            }
            if n < 50 || offset + 50 > 1000 {
                break;
            }
            offset += 50;
        }
        self.0
            .watermarks
            .lock()
            .expect("poisoned")
            .insert(acct.id(), started);
        Ok(recovered)
    }

    // ---- sending ----------------------------------------------------------------------------

    async fn deliver(&self, d: &Delivery) -> Result<Sent, SendError> {
        let acct = self
            .load(d.account.id)
            .await
            .map_err(|e| SendError::Permanent {
                reason: format!("avito account unusable: {e}"),
            })?;
        let store = self.store();
        let chat_id = &d.conversation.conversation.external_chat_id;
        let m = &d.message;
        let parts = split_text(&m.text, MAX_CHARS);
        let images: Vec<&Attachment> = image_attachments(&m.attachments).collect();
        let unsupported = m
            .attachments
            .iter()
            .filter(|a| a.kind != AttachmentKind::Image)
            .count();
        if unsupported > 0 {
            // Sending the text without the file would look delivered while the customer never
            // gets the file: say so instead.
            return Err(SendError::Permanent {
                reason: "Avito accepts only text and images: send the file another way".into(),
            });
        }
        if parts.is_empty() && images.is_empty() {
            return Err(SendError::Permanent {
                reason: "nothing to send".into(),
            });
        }
        let mut done: BTreeMap<i32, String> = store
            .external_sends(m.id)
            .await
            .map_err(store_retry)?
            .into_iter()
            .collect();
        // An earlier attempt may have reached Avito without us recording it (crash, lost answer):
        // look at the chat before sending anything again.
        let mut reconcile = if d.attempt > 1 {
            Some(
                self.unclaimed_out_messages(&acct, chat_id, m.created_at)
                    .await?,
            )
        } else {
            None
        };
        let total = parts.len() + images.len();
        for index in 0..total {
            let part = index as i32;
            if done.contains_key(&part) {
                continue;
            }
            let text = parts.get(index);
            if let Some(candidates) = reconcile.as_mut() {
                let found = candidates.iter().position(|c| match text {
                    Some(t) => {
                        c.kind.as_deref() == Some("text")
                            && c.content
                                .as_ref()
                                .and_then(|x| x.text.as_deref())
                                .map(str::trim)
                                == Some(t.as_str())
                    }
                    None => c.kind.as_deref() == Some("image"),
                });
                if let Some(i) = found {
                    let c = candidates.remove(i);
                    record(&**store, m.id, part, &c.id).await?;
                    bump(&self.0.stats.sends_reconciled);
                    info!(message = m.id.0, part, avito_id = %c.id, "earlier send found in the chat; not sending again");
                    done.insert(part, c.id);
                    continue;
                }
            }
            let sent = match text {
                Some(t) => self.0.client.send_text(&acct.auth, chat_id, t).await,
                None => {
                    let attachment = images[index - parts.len()];
                    self.send_image(&acct, chat_id, attachment).await
                }
            }
            .map_err(send_error)?;
            record(&**store, m.id, part, &sent.id).await?;
            done.insert(part, sent.id);
        }
        if m.author == Author::Bot {
            // The bot has read what it answered.
            if let Err(e) = self.0.client.mark_read(&acct.auth, chat_id).await {
                debug!(error = %e, "marking the chat read failed");
            }
        }
        Ok(Sent {
            external_id: done.into_values().next(),
        })
    }

    /// The account's outgoing messages in the chat, newest 100, created since `since` (minus a
    /// minute of clock skew), that frontline has not attributed to any message.
    async fn unclaimed_out_messages(
        &self,
        acct: &Loaded,
        chat_id: &str,
        since: Timestamp,
    ) -> Result<Vec<wire::Message>, SendError> {
        let listed = self
            .0
            .client
            .messages(&acct.auth, chat_id, 100, 0)
            .await
            .map_err(send_error)?;
        let since = since.millis() / 1000 - 60;
        let mut out = Vec::new();
        for m in listed.into_iter().rev() {
            if m.author_id != Some(acct.user_id()) || m.created.unwrap_or(0) < since {
                continue;
            }
            let known = self
                .store()
                .message_by_external_id(acct.id(), &m.id)
                .await
                .map_err(store_retry)?;
            if known.is_none() {
                out.push(m);
            }
        }
        Ok(out)
    }

    async fn send_image(
        &self,
        acct: &Loaded,
        chat_id: &str,
        attachment: &Attachment,
    ) -> Result<wire::Sent, AvitoError> {
        let (bytes, mime, name) = match attachment
            .url
            .strip_prefix(MEDIA_PATH)
            .and_then(|id| id.parse::<i64>().ok())
        {
            Some(id) => {
                let media = self
                    .store()
                    .media(MediaId(id))
                    .await
                    .map_err(|e| AvitoError::Transport(format!("reading the image: {e}")))?
                    .ok_or_else(|| AvitoError::Decode("the image is no longer stored".into()))?;
                (media.bytes, media.mime, media.name)
            }
            None => {
                let (bytes, mime) = self
                    .0
                    .client
                    .fetch_media(&acct.auth, &attachment.url)
                    .await?;
                (bytes, mime.unwrap_or_else(|| "image/jpeg".into()), None)
            }
        };
        let name = attachment
            .name
            .clone()
            .or(name)
            .unwrap_or_else(|| "image.jpg".into());
        let image_id = self
            .0
            .client
            .upload_image(&acct.auth, bytes, &name, &mime)
            .await?;
        self.0
            .client
            .send_image(&acct.auth, chat_id, &image_id)
            .await
    }
}

async fn store_rotated_tokens(
    channel: std::sync::Weak<Inner>,
    mut rotated: tokio::sync::mpsc::UnboundedReceiver<(AccountId, String)>,
) {
    while let Some((account, token)) = rotated.recv().await {
        let Some(inner) = channel.upgrade() else {
            break;
        };
        if let Err(e) = AvitoChannel(inner).save_refresh_token(account, token).await {
            warn!(account = account.0, error = %e, "storing the rotated refresh token failed");
        }
    }
}

#[async_trait]
impl ChannelSender for AvitoChannel {
    async fn deliver(&self, delivery: &Delivery) -> Result<Sent, SendError> {
        self.deliver(delivery).await
    }
}

async fn record(
    store: &dyn Store,
    message: frontline_domain::MessageId,
    part: i32,
    avito_id: &str,
) -> Result<(), SendError> {
    match store.record_external_send(message, part, avito_id).await {
        Ok(()) => Ok(()),
        // Already recorded for this part (the echo got there first): fine.
        Err(StoreError::Conflict(why)) => {
            let existing = store.external_sends(message).await.map_err(store_retry)?;
            if existing.iter().any(|(p, id)| *p == part && id == avito_id) {
                Ok(())
            } else {
                Err(SendError::Permanent {
                    reason: format!("Avito message {avito_id} is recorded elsewhere: {why}"),
                })
            }
        }
        Err(e) => Err(store_retry(e)),
    }
}

fn image_attachments(attachments: &[Attachment]) -> impl Iterator<Item = &Attachment> {
    attachments
        .iter()
        .filter(|a| a.kind == AttachmentKind::Image)
}

fn send_error(e: AvitoError) -> SendError {
    if e.is_retryable() {
        SendError::Retryable {
            retry_after: e.retry_after(),
            reason: e.to_string(),
        }
    } else {
        SendError::Permanent {
            reason: e.to_string(),
        }
    }
}

fn store_retry(e: StoreError) -> SendError {
    SendError::Retryable {
        reason: format!("storage: {e}"),
        retry_after: None,
    }
}

fn e_retry_after(e: &ServiceError) -> Option<Duration> {
    match e {
        ServiceError::Avito(a) => a.retry_after(),
        _ => None,
    }
}

/// Exponential from one second, capped at five minutes, with ±20% jitter; Avito's hint wins.
/// The delivery queue's retry schedule: 1 s doubling to 5 minutes.
const DELIVERY_BACKOFF: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));

fn at(created: Option<i64>) -> Option<Timestamp> {
    created.filter(|c| *c > 0).map(Timestamp::from_unix_seconds)
}

fn invalid(field: &'static str, why: &str) -> ServiceError {
    ServiceError::Invalid {
        field,
        why: why.to_string(),
    }
}

fn chat_info_of(chat: &wire::Chat, own_user_id: i64) -> ChatInfo {
    let peer = chat.users.iter().find(|u| u.id != own_user_id);
    let avatar = peer
        .and_then(|u| u.public_user_profile.as_ref())
        .and_then(|p| p.avatar.as_ref())
        .and_then(|a| {
            a.images
                .as_ref()
                .and_then(|i| i.get("128x128").or_else(|| i.values().last()).cloned())
                .or_else(|| a.default.clone())
        });
    let listing = chat
        .context
        .as_ref()
        .filter(|c| c.kind.as_deref().unwrap_or("item") == "item")
        .and_then(|c| c.value.as_ref())
        .and_then(|v| {
            Some(Listing {
                external_id: v.id?.to_string(),
                title: v.title.clone(),
                price: v.price_string.clone(),
                url: v.url.clone(),
                image_url: v
                    .images
                    .as_ref()
                    .and_then(|i| i.main.as_ref())
                    .and_then(|m| m.get("140x105").or_else(|| m.values().next()).cloned()),
            })
        });
    ChatInfo {
        peer_id: peer.map(|u| u.id),
        customer_name: peer.and_then(|u| u.name.clone()),
        customer_avatar: avatar,
        listing,
    }
}

/// The customer of a customer-authored message.
fn customer_profile(ev: &Event, acct: &Loaded, info: &ChatInfo) -> CustomerProfile {
    let id = match ev.author_id {
        Some(a) if a != 0 && a != acct.user_id() => a.to_string(),
        _ => return info_peer(info, ev),
    };
    CustomerProfile {
        external_id: id,
        name: info.customer_name.clone(),
        avatar_url: info.customer_avatar.clone(),
        phone: None,
    }
}

/// The customer of a chat when the message at hand is the seller's own.
/// Avito's id of the other participant; when the chat could not be fetched, the chat itself stands
/// for the customer.
fn info_peer(info: &ChatInfo, ev: &Event) -> CustomerProfile {
    CustomerProfile {
        external_id: info
            .peer_id
            .map(|id| id.to_string())
            .unwrap_or_else(|| format!("chat:{}", ev.chat_id)),
        name: info.customer_name.clone(),
        avatar_url: info.customer_avatar.clone(),
        phone: None,
    }
}
