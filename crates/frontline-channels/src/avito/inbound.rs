//! Avito messages into conversations. The webhook receiver stores each delivery raw before Avito
//! gets its 200, so nothing is lost to a crash; a durable queue then processes deliveries, a chat's
//! in arrival order and chats concurrently, retrying what may succeed later. Every message, from a
//! webhook or the poller, is handled once by its Avito id: duplicates are dropped, system messages
//! and `a2u` chats are shown but never given to the bot, and the account's own messages go to
//! [`super::echoes`].

use std::{collections::BTreeMap, time::Duration};

use frontline_domain::{AccountId, Author, ChannelDelivery, InboundMessage, Quote, Timestamp};
use frontline_lifecycle::Backoff;
use frontline_store::ImportedMessage;
use subtle::ConstantTimeEq;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::{
    accounts::ReadyAccount,
    activity::Work,
    channel::{AvitoChannel, ServiceError, bump},
    chats::customer_profile,
    wire,
};

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

/// A message as the webhook or the messages list tells it, normalised.
#[derive(Debug, Clone)]
pub(super) struct AvitoMessage {
    pub(super) id: String,
    pub(super) chat_id: String,
    pub(super) chat_type: String,
    pub(super) author_id: Option<i64>,
    pub(super) created: Option<i64>,
    pub(super) kind: String,
    pub(super) content: wire::Content,
    /// The quoted message; a webhook never says (A6), the messages list does (A5).
    pub(super) quote: Option<wire::Quote>,
    /// From a webhook: whether it is a reply is only known by asking the messages list.
    pub(super) from_webhook: bool,
}

impl AvitoMessage {
    fn from_webhook(v: wire::WebhookMessage) -> Self {
        let chat_type = v
            .chat_type
            .clone()
            .unwrap_or_else(|| chat_type_of(&v.chat_id));
        AvitoMessage {
            id: v.id,
            chat_type,
            chat_id: v.chat_id,
            author_id: v.author_id,
            created: v.created,
            kind: v.kind.unwrap_or_else(|| "text".into()),
            content: v.content.unwrap_or_default(),
            quote: None,
            from_webhook: true,
        }
    }

    pub(super) fn from_listed(m: wire::Message, chat: &wire::Chat) -> Self {
        AvitoMessage {
            id: m.id,
            chat_id: chat.id.clone(),
            chat_type: chat_type_of(&chat.id),
            author_id: m.author_id,
            created: m.created,
            kind: m.kind.unwrap_or_else(|| "text".into()),
            content: m.content.unwrap_or_default(),
            quote: m.quote,
            from_webhook: false,
        }
    }

    pub(super) fn is_system(&self) -> bool {
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
pub(super) enum Handled {
    Duplicate,
    Ingested { new: bool },
    Imported,
    OwnEcho,
    ExternalReply,
    Ignored,
}

impl AvitoChannel {
    /// Check the URL's secret (in constant time), then store the raw delivery before answering. The
    /// empty `{}` probe is answered without storing anything.
    pub async fn accept_webhook(
        &self,
        account: AccountId,
        secret: &str,
        body: &[u8],
    ) -> Result<WebhookAck, ServiceError> {
        let acct = match self.ready_account(account).await {
            Ok(l) => l,
            Err(ServiceError::NotFound(_)) => {
                bump(&self.0.stats.webhooks_rejected);
                return Err(ServiceError::UnknownWebhook);
            }
            Err(e) => return Err(e),
        };
        let expected = acct.secrets.webhook_secret.as_bytes();
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
        self.0.activity.webhook(account);
        self.0.wake.notify_one();
        Ok(WebhookAck::Stored(stored.id))
    }

    pub(super) async fn run_deliveries(&self, shutdown: CancellationToken) {
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
    async fn process_batch(&self, deliveries: Vec<ChannelDelivery>) {
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

    async fn process_delivery(&self, d: ChannelDelivery) {
        let result = self.handle_delivery(&d).await;
        let store = self.store();
        let outcome = match result {
            Ok(handled) => {
                debug!(delivery = d.id, ?handled, "avito delivery processed");
                bump(&self.0.stats.deliveries_processed);
                store.finish_channel_delivery(d.id).await
            }
            Err(e) if e.retryable() && d.attempts < self.0.settings.delivery_max_attempts => {
                let delay = DELIVERY_BACKOFF.delay(
                    u32::try_from(d.attempts).unwrap_or(1),
                    avito_retry_after(&e),
                );
                warn!(delivery = d.id, attempt = d.attempts, error = %e, "avito delivery failed, will retry");
                self.0
                    .activity
                    .error(d.account_id, Work::Delivery, &e.to_string());
                store
                    .retry_channel_delivery(d.id, Timestamp::now().plus(delay), &e.to_string())
                    .await
            }
            Err(e) => {
                // Kept in the log with the raw body: nothing retrying could fix.
                warn!(delivery = d.id, attempt = d.attempts, error = %e, body = %d.body, "avito delivery dropped");
                self.0
                    .activity
                    .error(d.account_id, Work::Delivery, &format!("dropped: {e}"));
                store.finish_channel_delivery(d.id).await
            }
        };
        if let Err(e) = outcome {
            warn!(delivery = d.id, error = %e, "recording the delivery outcome failed; it comes back after its lease");
        }
    }

    async fn handle_delivery(&self, d: &ChannelDelivery) -> Result<Handled, ServiceError> {
        let envelope: wire::Envelope = serde_json::from_str(&d.body)
            .map_err(|e| ServiceError::MalformedWebhook(e.to_string()))?;
        let Some(payload) = envelope.payload else {
            return Ok(Handled::Ignored);
        };
        let (true, Some(value)) = (payload.kind == "message", payload.value) else {
            bump(&self.0.stats.ignored);
            return Ok(Handled::Ignored);
        };
        let acct = self.ready_account(d.account_id).await?;
        if let Some(receiver) = value.user_id
            && receiver != acct.user_id()
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
        self.handle_message(&acct, AvitoMessage::from_webhook(value))
            .await
    }

    /// One Avito message, from a webhook or the poller: idempotent on its id.
    pub(super) async fn handle_message(
        &self,
        acct: &ReadyAccount,
        ev: AvitoMessage,
    ) -> Result<Handled, ServiceError> {
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
                    quote: ev
                        .quote
                        .as_ref()
                        .map(|q| super::content::quote_of(q, acct.user_id())),
                    link: super::content::link_preview(&ev),
                    sent_at: created_at(ev.created).unwrap_or_else(Timestamp::now),
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
        let quote = self.quote(acct, &ev).await;
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
                quote,
                link: super::content::link_preview(&ev),
                sent_at: created_at(ev.created),
            })
            .await?;
        Ok(Handled::Ingested {
            new: ingested.new_message,
        })
    }
}

fn avito_retry_after(e: &ServiceError) -> Option<Duration> {
    match e {
        ServiceError::Avito(a) => a.retry_after(),
        _ => None,
    }
}

/// Exponential from one second, capped at five minutes, with ±20% jitter; Avito's hint wins.
/// The delivery queue's retry schedule: 1 s doubling to 5 minutes.
const DELIVERY_BACKOFF: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));

pub(super) fn created_at(created: Option<i64>) -> Option<Timestamp> {
    created.filter(|c| *c > 0).map(Timestamp::from_unix_seconds)
}

impl AvitoChannel {
    /// The message `ev` replies to. A webhook does not carry `quote` (A6), so for a delivered
    /// customer message the chat's newest messages are read once to find it; a failure there costs
    /// the quote, never the message.
    async fn quote(&self, acct: &ReadyAccount, ev: &AvitoMessage) -> Option<Quote> {
        let account = acct.user_id();
        if let Some(q) = &ev.quote {
            return Some(super::content::quote_of(q, account));
        }
        if !ev.from_webhook {
            return None;
        }
        match self
            .0
            .client
            .messages(&acct.auth, &ev.chat_id, QUOTE_LOOKUP, 0)
            .await
        {
            Ok(listed) => listed
                .into_iter()
                .find(|m| m.id == ev.id)?
                .quote
                .map(|q| super::content::quote_of(&q, account)),
            Err(error) => {
                debug!(chat = %ev.chat_id, message = %ev.id, %error, "quote lookup failed");
                None
            }
        }
    }
}

/// How many of a chat's newest messages are read to find a delivered message's quote: it was just
/// written, so it is among the newest unless the chat is very busy.
const QUOTE_LOOKUP: u32 = 20;
