//! The one interface between telephony adapters and the call pipeline: a call's media leg.
//!
//! An adapter ([`audiosocket`](super::audiosocket), [`media_stream`](super::media_stream)) accepts
//! a connection, reads its handshake into a [`CallStart`], and from then on turns the wire into
//! [`LegEvent`]s and [`LegCommand`]s into the wire. Everything else (endpointing, recognition, the
//! engine, synthesis, pacing) sees only this interface, at 8 kHz 16-bit linear.

use std::collections::BTreeMap;

use frontline_domain::AccountId;
use tokio::sync::mpsc;

#[cfg(test)]
pub(crate) mod conformance;

/// Which telephony side a call came from, with what is needed to act on it later (transfer).
#[derive(Debug, Clone, PartialEq)]
pub enum Telephony {
    /// Asterisk's AudioSocket: the 16-byte UUID the dialplan gave `AudioSocket()`.
    AudioSocket { uuid: String },
    /// A Twilio-style media stream.
    MediaStream {
        stream_sid: String,
        call_sid: String,
        account_sid: Option<String>,
        /// `<Parameter>`s of the TwiML `<Stream>` (caller number, line token, …).
        custom: BTreeMap<String, String>,
    },
}

impl Telephony {
    pub fn kind(&self) -> &'static str {
        match self {
            Telephony::AudioSocket { .. } => "audiosocket",
            Telephony::MediaStream { .. } => "media_stream",
        }
    }
}

/// A new call, as its adapter read it from the handshake.
#[derive(Debug, Clone, PartialEq)]
pub struct CallStart {
    /// The phone line (a voice account) the call arrived on.
    pub line: AccountId,
    /// The telephony side's id of the call: the AudioSocket UUID, or Twilio's `CallSid`.
    pub call_id: String,
    /// The caller's number, when the telephony side tells it.
    pub from: Option<String>,
    pub telephony: Telephony,
}

/// What the caller side did.
#[derive(Debug, Clone, PartialEq)]
pub enum LegEvent {
    /// Caller audio, 8 kHz 16-bit linear, usually one 20 ms frame.
    Audio(Vec<i16>),
    /// A DTMF key: `0`-`9`, `*`, `#`, `A`-`D`.
    Dtmf(char),
    /// A mark we sent has been played (or cleared).
    Mark(String),
    /// The caller hung up or the telephony side ended the stream.
    Hangup,
    /// The telephony side reported an error; the call is over.
    Error(String),
}

/// What the bot wants the caller side to do.
#[derive(Debug, Clone, PartialEq)]
pub enum LegCommand {
    /// One 20 ms frame of bot audio (8 kHz 16-bit linear). The pipeline paces these in real time,
    /// so the adapter writes them at once.
    Audio(Vec<i16>),
    /// Tell us when the audio sent so far has played (media streams echo it; AudioSocket has no
    /// equivalent and ignores it).
    Mark(String),
    /// Drop any bot audio still buffered on the telephony side (barge-in).
    Clear,
    /// End the call from our side.
    Hangup,
}

/// A connected call: its start, what arrives, and where to send.
#[derive(Debug)]
pub struct Leg {
    pub start: CallStart,
    pub events: mpsc::Receiver<LegEvent>,
    pub commands: mpsc::Sender<LegCommand>,
}

/// Where adapters hand new calls.
pub type CallSink = mpsc::Sender<Leg>;

/// Frames an adapter queues towards the pipeline (about 5 s of 20 ms audio) and commands the
/// pipeline queues towards the adapter.
pub(crate) const LEG_QUEUE: usize = 256;

/// How adapters hand [`LegEvent`]s to the pipeline.
///
/// Audio never blocks the socket reader: when the pipeline is more than [`LEG_QUEUE`] frames
/// behind, the newest frame is dropped (an `mpsc` cannot drop its oldest) and counted. A pipeline
/// that far behind real time has lost the conversation anyway, while a reader that stops reading
/// would stall the telephony side's socket. Control events (DTMF, marks, the end) are rare and
/// must not be lost, so they wait for room.
#[derive(Debug)]
pub(crate) struct EventSender {
    tx: mpsc::Sender<LegEvent>,
    dropped: u64,
}

impl EventSender {
    pub(crate) fn new(tx: mpsc::Sender<LegEvent>) -> Self {
        Self { tx, dropped: 0 }
    }

    /// Queue a caller audio frame; false once the pipeline has dropped the receiver.
    pub(crate) fn audio(&mut self, call_id: &str, samples: Vec<i16>) -> bool {
        match self.tx.try_send(LegEvent::Audio(samples)) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.dropped += 1;
                if self.dropped == 1 || self.dropped.is_multiple_of(250) {
                    tracing::warn!(
                        call_id,
                        dropped = self.dropped,
                        "pipeline behind, dropping caller audio"
                    );
                }
                true
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }

    /// Queue a control event, waiting for room; false once the pipeline has dropped the receiver.
    pub(crate) async fn control(&mut self, event: LegEvent) -> bool {
        self.tx.send(event).await.is_ok()
    }

    /// The last event of a call. Waits a little for room, not forever: the call is being torn
    /// down, and a closed channel tells the pipeline the same thing.
    pub(crate) async fn end(&mut self, event: LegEvent) {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), self.tx.send(event)).await;
    }
}

/// A DTMF key in its canonical form (`a`-`d` are taken as `A`-`D`), if `c` is one.
pub(crate) fn dtmf_key(c: char) -> Option<char> {
    let c = c.to_ascii_uppercase();
    matches!(c, '0'..='9' | '*' | '#' | 'A'..='D').then_some(c)
}
