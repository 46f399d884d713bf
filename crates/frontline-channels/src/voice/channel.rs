//! The voice channel as the rest of frontline sees it: it configures lines (their transfer
//! credentials sealed), checks each call's line, runs each call in its own task ([`super::call`]),
//! speaks the outbox's deliveries into live calls (the lifecycle's [`ChannelSender`] port), and
//! tells calls when their conversation changes lead.
//!
//! The dependency runs one way: this module starts calls and reaches them through the
//! [`Calls`](super::call::Calls) registry they join; a call knows nothing of the channel, only the
//! [`CallDeps`] it is given and the [`VoiceStats`] it counts into.

use std::{
    sync::{Arc, Mutex, atomic::Ordering},
    time::Duration,
};

use async_trait::async_trait;
use frontline_domain::{Account, AccountId, AccountKind, AccountPatch, EventKind};
use frontline_lifecycle::{ChannelSender, Delivery, Lifecycle, SendError, Sent};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::{sync::mpsc, task::JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::{
    sealed::Sealer,
    speech::{CachedSynthesizer, Recognizer, Synthesizer},
};

use super::{
    call::{self, CallCommand, CallDeps, LineContext},
    leg::{Leg, LegCommand, Telephony},
    line::LineSettings,
    stats::VoiceStats,
    transfer::{AsteriskAmiTransfer, TransferSettings},
};

/// Why a line's settings were refused.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("{0}")]
    Invalid(String),
    #[error("storing the line: {0}")]
    Store(#[from] frontline_store::StoreError),
}

fn transfer_context(line: AccountId) -> String {
    format!("voice-transfer:{}", line.0)
}

/// The voice channel: cheap to clone.
#[derive(Debug, Clone)]
pub struct VoiceChannel {
    sealer: Option<Arc<Sealer>>,
    deps: Arc<CallDeps>,
    sink: mpsc::Sender<Leg>,
    legs: Arc<Mutex<Option<mpsc::Receiver<Leg>>>>,
}

impl VoiceChannel {
    pub fn new(
        lifecycle: Lifecycle,
        recognizer: Arc<dyn Recognizer>,
        synthesizer: Arc<dyn Synthesizer>,
    ) -> Self {
        let (sink, legs) = mpsc::channel(64);
        Self {
            sealer: None,
            deps: Arc::new(CallDeps {
                lifecycle,
                recognizer,
                synthesizer: Arc::new(CachedSynthesizer::new(synthesizer, 256)),
                calls: Arc::default(),
                stats: Arc::default(),
                recognition_slots: Arc::new(tokio::sync::Semaphore::new(
                    std::thread::available_parallelism().map_or(2, |n| n.get()),
                )),
            }),
            sink,
            legs: Arc::new(Mutex::new(Some(legs))),
        }
    }

    /// Seal lines' transfer credentials (Twilio token, AMI secret) with the server key.
    pub fn with_sealer(mut self, sealer: Sealer) -> Self {
        self.sealer = Some(Arc::new(sealer));
        self
    }

    /// Check and store a line's settings: the transfer part, which holds credentials, sealed with
    /// the server key (absent: the line keeps its transfer; `null`: removed); the rest as plain
    /// JSON.
    pub async fn configure_line(
        &self,
        line: AccountId,
        settings: &serde_json::Value,
    ) -> Result<(), LineError> {
        let mut plain = settings.clone();
        // Absent: the line keeps the transfer it has (its credentials are never shown, so a form
        // cannot send them back); `null`: it has none; an object: this one, sealed.
        let transfer = plain
            .as_object_mut()
            .ok_or_else(|| LineError::Invalid("settings must be a JSON object".into()))?
            .remove("transfer");
        let text = plain.to_string();
        LineSettings::parse(Some(&text)).map_err(|e| LineError::Invalid(e.to_string()))?;
        let sealed = match &transfer {
            None => None,
            Some(serde_json::Value::Null) => Some(None),
            Some(t) => {
                TransferSettings::deserialize(t)
                    .map_err(|e| LineError::Invalid(format!("transfer: {e}")))?
                    .build()
                    .map_err(|e| LineError::Invalid(format!("transfer: {e}")))?;
                let sealer = self.sealer.as_ref().ok_or_else(|| {
                    LineError::Invalid("no server key to seal the transfer credentials".into())
                })?;
                Some(Some(
                    sealer.seal(&transfer_context(line), t.to_string().as_bytes()),
                ))
            }
        };
        self.deps
            .lifecycle
            .store()
            .update_account(
                line,
                AccountPatch {
                    settings: Some(Some(text)),
                    sealed_secrets: sealed,
                    ..AccountPatch::default()
                },
            )
            .await?;
        Ok(())
    }

    /// A line's settings as an admin sees them: every field with its default filled in, and the
    /// transfer as [`TransferSettings::public_view`] shows it (credentials only said to be set), or
    /// `null`. What cannot be read (settings written by hand wrongly, a transfer sealed with
    /// another key) is shown as `{"error": …}` in its place rather than failing the account list.
    pub fn line_view(&self, account: &Account) -> serde_json::Value {
        let settings = match LineSettings::parse(account.settings.as_deref()) {
            Ok(s) => s,
            Err(e) => return serde_json::json!({ "error": format!("line settings: {e}") }),
        };
        let transfer = match stored_transfer(account, self.sealer.as_deref(), &settings) {
            Ok(Some(t)) => t.public_view(),
            Ok(None) => serde_json::Value::Null,
            Err(e) => serde_json::json!({ "error": e }),
        };
        let mut view = serde_json::to_value(&settings).unwrap_or_default();
        view["transfer"] = transfer;
        view
    }

    /// Where adapters hand their calls.
    pub fn sink(&self) -> mpsc::Sender<Leg> {
        self.sink.clone()
    }

    pub fn stats(&self) -> &Arc<VoiceStats> {
        &self.deps.stats
    }

    pub fn recognizer(&self) -> &Arc<dyn Recognizer> {
        &self.deps.recognizer
    }

    pub fn active_calls(&self) -> usize {
        self.deps.calls.len()
    }

    /// Render a line's fixed prompts ahead of its first call.
    pub async fn prerender(&self, settings: &LineSettings) {
        let lang = settings.fixed_language().unwrap_or("ru");
        for text in [
            &settings.greeting,
            &settings.reprompt,
            &settings.goodbye,
            &settings.not_heard,
            &settings.transfer_notice,
            &settings.transfer_failed,
        ] {
            if text.trim().is_empty() {
                continue;
            }
            if let Err(e) = self.deps.synthesizer.speak(text, lang).await {
                warn!(error = %e, "pre-rendering a prompt failed");
                return;
            }
        }
    }

    /// Start taking calls and following lead changes. Calls in progress end when `shutdown` fires.
    pub fn spawn(&self, shutdown: CancellationToken) -> JoinSet<()> {
        let mut set = JoinSet::new();
        let legs = self.legs.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(legs) = legs {
            set.spawn(accept_calls(
                self.deps.clone(),
                self.sealer.clone(),
                legs,
                shutdown.clone(),
            ));
        }
        set.spawn(follow_leads(self.deps.clone(), shutdown));
        set
    }
}

/// Check a line and start the call, or hang up with the reason in the log.
async fn accept_calls(
    deps: Arc<CallDeps>,
    sealer: Option<Arc<Sealer>>,
    mut legs: mpsc::Receiver<Leg>,
    shutdown: CancellationToken,
) {
    let mut calls = JoinSet::new();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            leg = legs.recv() => {
                let Some(mut leg) = leg else { break };
                match line_for(&deps, sealer.as_deref(), &mut leg).await {
                    Ok(line) => {
                        calls.spawn(call::run(leg, line, deps.clone(), shutdown.clone()));
                    }
                    Err(why) => {
                        warn!(call = %leg.start.call_id, line = leg.start.line.0, %why, "call refused");
                        deps.stats.calls_rejected.fetch_add(1, Ordering::Relaxed);
                        let _ = leg.commands.send(LegCommand::Hangup).await;
                    }
                }
            }
            Some(_) = calls.join_next(), if !calls.is_empty() => {}
        }
    }
    while calls.join_next().await.is_some() {}
}

/// The line's transfer. Its settings hold credentials: sealed when the line was configured through
/// the API; a plain `transfer` in the settings is accepted for lines written by hand.
fn stored_transfer(
    account: &Account,
    sealer: Option<&Sealer>,
    settings: &LineSettings,
) -> Result<Option<TransferSettings>, String> {
    let json = match (&account.sealed_secrets, sealer) {
        (Some(sealed), Some(sealer)) => {
            let bytes = sealer
                .open(&transfer_context(account.id), sealed)
                .map_err(|e| format!("opening the line's transfer settings: {e}"))?;
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .map_err(|e| format!("line transfer settings: {e}"))?
        }
        (Some(_), None) => {
            return Err(
                "the line's transfer settings are sealed and no server key is loaded".into(),
            );
        }
        (None, _) => match &settings.transfer {
            None => return Ok(None),
            Some(json) => json.clone(),
        },
    };
    serde_json::from_value::<TransferSettings>(json)
        .map(Some)
        .map_err(|e| format!("line transfer settings: {e}"))
}

async fn line_for(
    deps: &CallDeps,
    sealer: Option<&Sealer>,
    leg: &mut Leg,
) -> Result<LineContext, String> {
    let store = deps.lifecycle.store();
    let account = if leg.start.line.0 == 0 {
        // Line 0: the first enabled voice account (a server with one phone line needs no ids).
        store
            .list_accounts()
            .await
            .map_err(|e| format!("loading the lines: {e}"))?
            .into_iter()
            .find(|a| a.kind == AccountKind::Voice && a.enabled)
            .ok_or("no voice line is configured")?
    } else {
        store
            .account(leg.start.line)
            .await
            .map_err(|e| format!("loading the line: {e}"))?
            .ok_or("no such line")?
    };
    leg.start.line = account.id;
    if account.kind != AccountKind::Voice {
        return Err(format!("account {} is not a voice line", account.id.0));
    }
    if !account.enabled {
        return Err("the line is disabled".into());
    }
    // A media stream proves it belongs to the line with the line's token as a <Parameter>.
    // AudioSocket has no way to carry one: its listener must only be reachable by the PBX.
    if let (Telephony::MediaStream { custom, .. }, Some(expected)) =
        (&leg.start.telephony, account.inbound_token_hash.as_deref())
    {
        let given = custom.get("token").map(String::as_str).unwrap_or_default();
        let hash = hex::encode(Sha256::digest(given.as_bytes()));
        if !bool::from(hash.as_bytes().ct_eq(expected.as_bytes())) {
            return Err("wrong or missing line token".into());
        }
    }
    let settings = LineSettings::parse(account.settings.as_deref())
        .map_err(|e| format!("line settings: {e}"))?;
    let transfer = stored_transfer(&account, sealer, &settings)?;
    // AudioSocket does not carry the caller's number; a line with AMI asks Asterisk for it.
    if let (Some(TransferSettings::AsteriskAmi(ami)), Telephony::AudioSocket { uuid }, None) =
        (&transfer, &leg.start.telephony, &leg.start.from)
    {
        let lookup = async {
            AsteriskAmiTransfer::new(ami.clone())
                .map_err(|e| e.to_string())?
                .lookup_caller(uuid)
                .await
                .map_err(|e| e.to_string())
        };
        match tokio::time::timeout(Duration::from_secs(2), lookup).await {
            Ok(Ok(number)) => leg.start.from = number,
            Ok(Err(e)) => {
                warn!(call = %leg.start.call_id, error = %e, "caller lookup over AMI failed")
            }
            Err(_) => warn!(call = %leg.start.call_id, "caller lookup over AMI timed out"),
        }
    }
    let transferer = match transfer {
        None => None,
        Some(t) => Some(
            t.build()
                .map_err(|e| format!("line transfer settings: {e}"))?,
        ),
    };
    Ok(LineContext {
        account,
        settings,
        transferer,
    })
}

/// Tell live calls when their conversation's lead changes. Polls the event log while calls are
/// live (the lifecycle's wake-ups are taken by the realtime dispatcher).
async fn follow_leads(deps: Arc<CallDeps>, shutdown: CancellationToken) {
    let store = deps.lifecycle.store().clone();
    let mut after = None;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
        if deps.calls.is_empty() {
            after = None;
            continue;
        }
        let from = match after {
            Some(seq) => seq,
            None => match store.event_bounds().await {
                Ok(b) => {
                    after = Some(b.latest);
                    continue;
                }
                Err(e) => {
                    warn!(error = %e, "reading the event log failed");
                    continue;
                }
            },
        };
        let events = match store.events_after(from, 500).await {
            Ok(events) => events,
            Err(e) => {
                warn!(error = %e, "reading the event log failed");
                continue;
            }
        };
        for event in events {
            after = Some(event.seq);
            if event.kind != EventKind::LeadChanged {
                continue;
            }
            let Some(tx) = deps.calls.get(event.conversation_id) else {
                continue;
            };
            let Some(id) = event.handoff_id else { continue };
            match store.handoff(id).await {
                Ok(Some(handoff)) => {
                    info!(conversation = event.conversation_id.0, to = %handoff.to, "lead changed during a call");
                    let _ = tx.send(CallCommand::LeadChanged(handoff)).await;
                }
                Ok(None) => {}
                Err(e) => warn!(error = %e, "reading a handoff failed"),
            }
        }
    }
}

#[async_trait]
impl ChannelSender for VoiceChannel {
    /// Speak a message into its live call. A call that has ended cannot hear it: that is final,
    /// and the message shows as failed in the conversation.
    async fn deliver(&self, delivery: &Delivery) -> Result<Sent, SendError> {
        let conversation = delivery.conversation.conversation.id;
        let Some(call) = self.deps.calls.get(conversation) else {
            return Err(SendError::Permanent {
                reason: "the call has ended".into(),
            });
        };
        let (done, rx) = tokio::sync::oneshot::channel();
        let say = CallCommand::Say {
            text: delivery.message.text.clone(),
            author: delivery.message.author,
            done,
        };
        if call.send(say).await.is_err() {
            return Err(SendError::Permanent {
                reason: "the call has ended".into(),
            });
        }
        match tokio::time::timeout(Duration::from_secs(20), rx).await {
            Ok(Ok(Ok(()))) => Ok(Sent::default()),
            Ok(Ok(Err(reason))) => Err(SendError::Retryable {
                reason: format!("speech synthesis: {reason}"),
                retry_after: None,
            }),
            Ok(Err(_)) => Err(SendError::Permanent {
                reason: "the call ended before the message was spoken".into(),
            }),
            Err(_) => Err(SendError::Retryable {
                reason: "the call did not take the message in 20 s".into(),
                retry_after: None,
            }),
        }
    }
}
