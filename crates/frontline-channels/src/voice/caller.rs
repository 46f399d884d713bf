//! The telephone network's side of a call: a client that connects to our adapters the way
//! Asterisk (AudioSocket) or Twilio (Media Streams) would, for integration tests, the
//! `frontline call` CLI and the concurrency benchmark.
//!
//! Like the real thing it streams caller audio continuously from the moment it connects: one
//! 20 ms frame every 20 ms, silence when it has nothing to say. [`Caller::say`] and
//! [`Caller::dtmf`] queue onto that timeline in order. Everything the bot sends is recorded with
//! its arrival [`Instant`], and helpers wait for the moments a test or benchmark measures: the
//! start and end of a bot turn, a `clear`, when bot audio stopped after a barge-in, the hang-up.
//!
//! Frames are scheduled at `start + n × 20 ms`, not by sleeping 20 ms after each one: a late
//! wake-up (a loaded machine) is followed by the frames it delayed, so the average rate stays
//! exactly real time, as a telephone network's clock does, and sleep error never accumulates.
//!
//! Size: one client whose recording and waiting helpers all read the same timeline.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::audiosocket::{self, Decoder, Message, Uuid, UuidError};
use crate::audio::{FRAME_MS, FRAME_SAMPLES, PHONE_RATE, Pcm, decode_ulaw, encode_ulaw, rms};

/// A bot frame at or above this level counts as speech; below it, as the silence a pipeline may
/// send between turns (μ-law silence decodes to 0; speech is in the thousands).
pub const SPEECH_RMS: f64 = 50.0;

/// Where to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// An AudioSocket server, as Asterisk's `AudioSocket(uuid,host:port)` would connect.
    AudioSocket(SocketAddr),
    /// A Media Streams WebSocket URL, e.g. `ws://127.0.0.1:8080/lines/7` (plain `ws://` only).
    MediaStream(String),
}

#[derive(Debug, Clone, Default)]
pub struct CallerOptions {
    /// The telephony side's call id: a UUID for AudioSocket, a `CallSid` for media streams.
    /// Generated when absent.
    pub call_id: Option<String>,
    /// The caller's number (media streams: `customParameters.from`; AudioSocket cannot carry it).
    pub from: Option<String>,
    /// More `customParameters` (media streams only).
    pub custom: BTreeMap<String, String>,
    /// The line's token, sent as `customParameters.token` (media streams only).
    pub token: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CallerError {
    #[error("could not connect: {0}")]
    Connect(String),
    #[error(transparent)]
    CallId(#[from] UuidError),
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    #[error("the call is over")]
    Ended,
}

/// Who ended the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedBy {
    Caller,
    Bot,
}

/// One frame of bot audio as it arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct BotFrame {
    pub at: Instant,
    /// 8 kHz 16-bit linear.
    pub samples: Vec<i16>,
    /// At or above [`SPEECH_RMS`].
    pub speech: bool,
}

/// Everything the bot did, in arrival order.
#[derive(Debug, Clone, Default)]
pub struct Recording {
    pub frames: Vec<BotFrame>,
    /// Marks the bot sent (media streams), each echoed back at once.
    pub marks: Vec<(Instant, String)>,
    /// `clear` events (media streams).
    pub clears: Vec<Instant>,
    /// The first hang-up, by either side.
    pub ended: Option<(Instant, EndedBy)>,
    /// When the connection closed for good.
    pub closed: Option<Instant>,
}

impl Recording {
    /// Index of the first frame that arrived at or after `at`.
    fn frames_from(&self, at: Instant) -> usize {
        self.frames.partition_point(|f| f.at < at)
    }

    fn first_speech_from(&self, at: Instant) -> Option<Instant> {
        self.frames[self.frames_from(at)..]
            .iter()
            .find(|f| f.speech)
            .map(|f| f.at)
    }

    fn last_speech_from(&self, at: Instant) -> Option<Instant> {
        self.frames[self.frames_from(at)..]
            .iter()
            .rev()
            .find(|f| f.speech)
            .map(|f| f.at)
    }
}

/// A bot turn as the caller heard it.
#[derive(Debug, Clone, PartialEq)]
pub struct BotTurn {
    /// Arrival of the turn's first speech frame.
    pub first_audio: Instant,
    /// Arrival of its last speech frame.
    pub last_audio: Instant,
    /// Every frame from the first to the last speech frame (pauses included), 8 kHz.
    pub audio: Pcm,
}

/// Resolves when the last frame of a [`Caller::say`] has been sent, to that instant ("end of
/// speech"); fails if the call ended first.
#[derive(Debug)]
pub struct Speech(oneshot::Receiver<Instant>);

impl Future for Speech {
    type Output = Result<Instant, CallerError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.map_err(|_| CallerError::Ended))
    }
}

enum Outgoing {
    Say(Vec<i16>, oneshot::Sender<Instant>),
    Dtmf(char),
    /// Echo a mark the bot sent (media streams).
    Mark(String),
    Hangup(oneshot::Sender<()>),
}

/// What waits on the caller's timeline.
enum Queued {
    Speech {
        samples: Vec<i16>,
        pos: usize,
        done: oneshot::Sender<Instant>,
    },
    Dtmf(char),
}

/// A connected call, from the telephone network's side. Dropping it drops the connection.
#[derive(Debug)]
pub struct Caller {
    call_id: String,
    started: Instant,
    outgoing: mpsc::UnboundedSender<Outgoing>,
    state: watch::Receiver<Recording>,
    stop: CancellationToken,
}

impl Drop for Caller {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;

impl Caller {
    /// Connect, send the handshake (AudioSocket UUID; media stream `connected` + `start`) and
    /// start streaming silence.
    pub async fn connect(
        transport: Transport,
        options: CallerOptions,
    ) -> Result<Caller, CallerError> {
        let (state_tx, state) = watch::channel(Recording::default());
        let state_tx = Arc::new(state_tx);
        let (outgoing, outgoing_rx) = mpsc::unbounded_channel();
        let stop = CancellationToken::new();
        // The peer closed: stop sending too.
        let peer_gone = CancellationToken::new();

        let (call_id, wire) = match transport {
            Transport::AudioSocket(addr) => {
                let uuid = match &options.call_id {
                    Some(id) => id.parse::<Uuid>()?,
                    None => Uuid::random(),
                };
                let stream = TcpStream::connect(addr)
                    .await
                    .map_err(|e| CallerError::Connect(e.to_string()))?;
                stream
                    .set_nodelay(true)
                    .map_err(|e| CallerError::Connect(e.to_string()))?;
                let (read, mut write) = stream.into_split();
                write
                    .write_all(&Message::Uuid(uuid).encode())
                    .await
                    .map_err(|e| CallerError::Connect(e.to_string()))?;
                tokio::spawn(receive_audiosocket(
                    read,
                    state_tx.clone(),
                    stop.clone(),
                    peer_gone.clone(),
                ));
                (uuid.to_string(), Wire::AudioSocket(write))
            }
            Transport::MediaStream(url) => {
                let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
                    .await
                    .map_err(|e| CallerError::Connect(e.to_string()))?;
                let (mut sink, stream) = ws.split();
                let call_sid = options.call_id.clone().unwrap_or_else(|| random_sid("CA"));
                let stream_sid = random_sid("MZ");
                let account_sid = random_sid("AC");
                let mut custom: serde_json::Map<String, Value> = options
                    .custom
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                    .collect();
                if let Some(from) = &options.from {
                    custom.insert("from".into(), from.as_str().into());
                }
                if let Some(token) = &options.token {
                    custom.insert("token".into(), token.as_str().into());
                }
                let connected =
                    json!({"event": "connected", "protocol": "Call", "version": "1.0.0"});
                let start = json!({
                    "event": "start",
                    "sequenceNumber": "1",
                    "streamSid": stream_sid,
                    "start": {
                        "streamSid": stream_sid,
                        "accountSid": account_sid,
                        "callSid": call_sid,
                        "tracks": ["inbound"],
                        "customParameters": custom,
                        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                    },
                });
                for message in [connected, start] {
                    sink.send(WsMessage::text(message.to_string()))
                        .await
                        .map_err(|e| CallerError::Connect(e.to_string()))?;
                }
                let wire = Wire::MediaStream(MediaWire {
                    sink,
                    stream_sid,
                    call_sid: call_sid.clone(),
                    account_sid,
                    sequence: 1,
                    chunk: 0,
                });
                tokio::spawn(receive_media_stream(
                    stream,
                    state_tx.clone(),
                    outgoing.clone(),
                    stop.clone(),
                    peer_gone.clone(),
                ));
                (call_sid, wire)
            }
        };
        let started = Instant::now();
        tokio::spawn(send(
            wire,
            started,
            outgoing_rx,
            state_tx,
            stop.clone(),
            peer_gone,
        ));
        Ok(Caller {
            call_id,
            started,
            outgoing,
            state,
            stop,
        })
    }

    /// The call id the telephony side gave: the AudioSocket UUID (canonical form) or `CallSid`.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// When the caller started streaming.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Queue `pcm` (any rate; resampled to 8 kHz) after whatever is already queued.
    pub fn say(&self, pcm: &Pcm) -> Speech {
        let samples = if pcm.rate == PHONE_RATE {
            pcm.samples.clone()
        } else {
            pcm.resampled(PHONE_RATE).samples
        };
        let (done, rx) = oneshot::channel();
        // If the call is over, `done` is dropped and the Speech resolves to Ended.
        let _ = self.outgoing.send(Outgoing::Say(samples, done));
        Speech(rx)
    }

    /// Press a key once everything queued before it has been said.
    pub fn dtmf(&self, key: char) {
        let _ = self.outgoing.send(Outgoing::Dtmf(key));
    }

    /// Hang up now, cutting off anything still queued.
    pub async fn hangup(&self) -> Result<(), CallerError> {
        let (ack, done) = oneshot::channel();
        self.outgoing
            .send(Outgoing::Hangup(ack))
            .map_err(|_| CallerError::Ended)?;
        done.await.map_err(|_| CallerError::Ended)
    }

    /// A copy of everything recorded so far.
    pub fn recording(&self) -> Recording {
        self.state.borrow().clone()
    }

    pub fn marks(&self) -> Vec<(Instant, String)> {
        self.state.borrow().marks.clone()
    }

    pub fn clears(&self) -> Vec<Instant> {
        self.state.borrow().clears.clone()
    }

    /// Whether the bot ended the call (AudioSocket hang-up or close, WebSocket close).
    pub fn hung_up_by_bot(&self) -> bool {
        matches!(self.state.borrow().ended, Some((_, EndedBy::Bot)))
    }

    /// Bot audio that arrived in `[from, to)`, 8 kHz.
    pub fn bot_audio(&self, from: Instant, to: Instant) -> Pcm {
        let r = self.state.borrow();
        let samples = r.frames[r.frames_from(from)..]
            .iter()
            .take_while(|f| f.at < to)
            .flat_map(|f| f.samples.iter().copied())
            .collect();
        Pcm::new(PHONE_RATE, samples)
    }

    /// Arrival of the first bot speech frame at or after `after`.
    pub async fn bot_audio_start(
        &self,
        after: Instant,
        timeout: Duration,
    ) -> Result<Instant, CallerError> {
        let deadline = tokio::time::Instant::now() + timeout;
        self.wait_until(deadline, "bot audio", |r| r.first_speech_from(after))
            .await
    }

    /// The bot's next turn after `after`: from its first speech frame until it has been quiet
    /// for `gap` (or the call closed).
    pub async fn bot_turn(
        &self,
        after: Instant,
        gap: Duration,
        timeout: Duration,
    ) -> Result<BotTurn, CallerError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let first_audio = self
            .wait_until(deadline, "bot audio", |r| r.first_speech_from(after))
            .await?;
        let last_audio = self
            .quiet_since(first_audio, gap, deadline)
            .await?
            .unwrap_or(first_audio);
        let r = self.state.borrow();
        let samples = r.frames[r.frames_from(first_audio)..]
            .iter()
            .take_while(|f| f.at <= last_audio)
            .flat_map(|f| f.samples.iter().copied())
            .collect();
        Ok(BotTurn {
            first_audio,
            last_audio,
            audio: Pcm::new(PHONE_RATE, samples),
        })
    }

    /// When bot audio stopped after `after` (say, when the caller barged in): the arrival of the
    /// last speech frame at or after it, once the bot has been quiet for `gap`; `None` if no bot
    /// speech arrived after `after` at all.
    pub async fn bot_audio_stop(
        &self,
        after: Instant,
        gap: Duration,
        timeout: Duration,
    ) -> Result<Option<Instant>, CallerError> {
        let deadline = tokio::time::Instant::now() + timeout;
        self.quiet_since(after, gap, deadline).await
    }

    /// The first `clear` at or after `after` (media streams).
    pub async fn clear_after(
        &self,
        after: Instant,
        timeout: Duration,
    ) -> Result<Instant, CallerError> {
        let deadline = tokio::time::Instant::now() + timeout;
        self.wait_until(deadline, "clear", |r| {
            r.clears.iter().copied().find(|&at| at >= after)
        })
        .await
    }

    /// Wait until a side hung up.
    pub async fn wait_end(&self, timeout: Duration) -> Result<EndedBy, CallerError> {
        let deadline = tokio::time::Instant::now() + timeout;
        self.wait_until(deadline, "hang-up", |r| r.ended.map(|(_, by)| by))
            .await
    }

    /// Wait until the connection has closed for good.
    pub async fn wait_closed(&self, timeout: Duration) -> Result<(), CallerError> {
        let deadline = tokio::time::Instant::now() + timeout;
        self.wait_until(deadline, "close", |r| r.closed.map(|_| ()))
            .await
    }

    /// Wait until `check` finds something; `Ended` if the connection closed without it.
    async fn wait_until<T>(
        &self,
        deadline: tokio::time::Instant,
        what: &'static str,
        mut check: impl FnMut(&Recording) -> Option<T>,
    ) -> Result<T, CallerError> {
        let mut state = self.state.clone();
        loop {
            {
                let r = state.borrow_and_update();
                if let Some(found) = check(&r) {
                    return Ok(found);
                }
                if r.closed.is_some() {
                    return Err(CallerError::Ended);
                }
            }
            match tokio::time::timeout_at(deadline, state.changed()).await {
                Ok(Ok(())) => {}
                // Both tasks are gone: nothing more will be recorded.
                Ok(Err(_)) => return check(&state.borrow()).ok_or(CallerError::Ended),
                Err(_) => return Err(CallerError::Timeout(what)),
            }
        }
    }

    /// The last bot speech frame at or after `since`, once none has arrived for `gap`.
    async fn quiet_since(
        &self,
        since: Instant,
        gap: Duration,
        deadline: tokio::time::Instant,
    ) -> Result<Option<Instant>, CallerError> {
        loop {
            let (last, closed) = {
                let r = self.state.borrow();
                (r.last_speech_from(since), r.closed.is_some())
            };
            let quiet_until = last.unwrap_or(since) + gap;
            if closed || Instant::now() >= quiet_until {
                return Ok(last);
            }
            let wake = tokio::time::Instant::from_std(quiet_until);
            if wake > deadline {
                tokio::time::sleep_until(deadline).await;
                return Err(CallerError::Timeout("the bot to go quiet"));
            }
            tokio::time::sleep_until(wake).await;
        }
    }
}

fn random_sid(prefix: &str) -> String {
    format!("{prefix}{}", hex::encode(rand::random::<[u8; 16]>()))
}

fn record(state: &watch::Sender<Recording>, change: impl FnOnce(&mut Recording)) {
    state.send_modify(change);
}

fn record_end(state: &watch::Sender<Recording>, by: EndedBy) {
    record(state, |r| {
        if r.ended.is_none() {
            r.ended = Some((Instant::now(), by));
        }
    });
}

fn bot_frame(samples: Vec<i16>) -> BotFrame {
    BotFrame {
        at: Instant::now(),
        speech: rms(&samples) >= SPEECH_RMS,
        samples,
    }
}

/// The sending half of the connection.
enum Wire {
    AudioSocket(OwnedWriteHalf),
    MediaStream(MediaWire),
}

struct MediaWire {
    sink: SplitSink<WsStream, WsMessage>,
    stream_sid: String,
    call_sid: String,
    account_sid: String,
    sequence: u64,
    chunk: u64,
}

impl MediaWire {
    async fn send(&mut self, mut message: Value) -> Result<(), String> {
        self.sequence += 1;
        message["sequenceNumber"] = self.sequence.to_string().into();
        message["streamSid"] = self.stream_sid.as_str().into();
        self.sink
            .send(WsMessage::text(message.to_string()))
            .await
            .map_err(|e| e.to_string())
    }
}

impl Wire {
    async fn audio(&mut self, frame: &[i16]) -> Result<(), String> {
        match self {
            Wire::AudioSocket(write) => {
                let mut bytes = Vec::with_capacity(3 + frame.len() * 2);
                audiosocket::encode_audio(frame, &mut bytes);
                write.write_all(&bytes).await.map_err(|e| e.to_string())
            }
            Wire::MediaStream(ws) => {
                ws.chunk += 1;
                let timestamp = (ws.chunk - 1) * FRAME_MS;
                let payload = BASE64.encode(encode_ulaw(frame));
                let media = json!({
                    "event": "media",
                    "media": {"track": "inbound", "chunk": ws.chunk.to_string(), "timestamp": timestamp.to_string(), "payload": payload},
                });
                ws.send(media).await
            }
        }
    }

    async fn dtmf(&mut self, key: char) -> Result<(), String> {
        match self {
            Wire::AudioSocket(write) => {
                write.write_all(&Message::Dtmf(key).encode()).await.map_err(|e| e.to_string())
            }
            Wire::MediaStream(ws) => {
                ws.send(json!({"event": "dtmf", "dtmf": {"track": "inbound_track", "digit": key.to_string()}})).await
            }
        }
    }

    async fn mark(&mut self, name: String) -> Result<(), String> {
        match self {
            Wire::AudioSocket(_) => Ok(()),
            Wire::MediaStream(ws) => {
                ws.send(json!({"event": "mark", "mark": {"name": name}}))
                    .await
            }
        }
    }

    /// Hang up the way the network does: AudioSocket 0x00 then FIN; media stream `stop` then
    /// a WebSocket close.
    async fn hangup(&mut self) {
        match self {
            Wire::AudioSocket(write) => {
                let _ = write.write_all(&Message::Hangup.encode()).await;
                let _ = write.shutdown().await;
            }
            Wire::MediaStream(ws) => {
                let stop = json!({"event": "stop", "stop": {"accountSid": ws.account_sid, "callSid": ws.call_sid}});
                let _ = ws.send(stop).await;
                let _ = ws.sink.close().await;
            }
        }
    }

    /// Close without a hang-up message (the peer already went, or the caller was dropped).
    async fn close(&mut self) {
        match self {
            Wire::AudioSocket(write) => {
                let _ = write.shutdown().await;
            }
            Wire::MediaStream(ws) => {
                let _ = ws.sink.close().await;
            }
        }
    }
}

/// The caller's clock: one frame every 20 ms, scheduled at `start + n × 20 ms`.
async fn send(
    mut wire: Wire,
    start: Instant,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
    state: Arc<watch::Sender<Recording>>,
    stop: CancellationToken,
    peer_gone: CancellationToken,
) {
    let mut queue: VecDeque<Queued> = VecDeque::new();
    let mut n: u32 = 0;
    loop {
        let due = tokio::time::Instant::from_std(start + Duration::from_millis(FRAME_MS) * n);
        let sent = tokio::select! {
            biased;
            _ = stop.cancelled() => break,
            _ = peer_gone.cancelled() => break,
            command = outgoing.recv() => match command {
                Some(Outgoing::Say(samples, done)) => {
                    queue.push_back(Queued::Speech { samples, pos: 0, done });
                    Ok(())
                }
                Some(Outgoing::Dtmf(key)) => {
                    queue.push_back(Queued::Dtmf(key));
                    Ok(())
                }
                Some(Outgoing::Mark(name)) => wire.mark(name).await,
                Some(Outgoing::Hangup(ack)) => {
                    record_end(&state, EndedBy::Caller);
                    wire.hangup().await;
                    let _ = ack.send(());
                    return;
                }
                None => break,
            },
            _ = tokio::time::sleep_until(due) => {
                n += 1;
                tick(&mut wire, &mut queue).await
            }
        };
        if let Err(error) = sent {
            debug!(%error, "caller send failed");
            break;
        }
    }
    wire.close().await;
}

/// One frame time: keys due now, then a frame of speech or silence.
async fn tick(wire: &mut Wire, queue: &mut VecDeque<Queued>) -> Result<(), String> {
    while let Some(Queued::Dtmf(key)) = queue.front() {
        let key = *key;
        queue.pop_front();
        wire.dtmf(key).await?;
    }
    let mut frame = [0i16; FRAME_SAMPLES];
    let mut finished = None;
    if let Some(Queued::Speech { samples, pos, .. }) = queue.front_mut() {
        let take = (samples.len() - *pos).min(FRAME_SAMPLES);
        frame[..take].copy_from_slice(&samples[*pos..*pos + take]);
        *pos += take;
        if *pos >= samples.len() {
            finished = queue.pop_front();
        }
    }
    wire.audio(&frame).await?;
    if let Some(Queued::Speech { done, .. }) = finished {
        let _ = done.send(Instant::now());
    }
    Ok(())
}

async fn receive_audiosocket(
    mut read: OwnedReadHalf,
    state: Arc<watch::Sender<Recording>>,
    stop: CancellationToken,
    peer_gone: CancellationToken,
) {
    let mut decoder = Decoder::default();
    let mut buf = vec![0u8; 8192];
    'read: loop {
        let read = tokio::select! {
            _ = stop.cancelled() => break,
            read = read.read(&mut buf) => read,
        };
        let n = match read {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        decoder.extend(&buf[..n]);
        while let Some(message) = decoder.next_message() {
            match message {
                Ok(Message::Audio(samples)) => {
                    record(&state, |r| r.frames.push(bot_frame(samples)))
                }
                Ok(Message::Hangup) => break 'read,
                // Asterisk would end the call on anything else from the bot.
                Ok(other) => {
                    debug!(
                        ?other,
                        "bot sent an audiosocket message asterisk does not accept"
                    );
                    break 'read;
                }
                Err(error @ audiosocket::DecodeError::EmptyAudio) => {
                    debug!(%error, "bot sent a message asterisk treats as an error");
                    break 'read;
                }
                Err(error) => debug!(%error, "bad audiosocket message from the bot"),
            }
        }
    }
    record_end(&state, EndedBy::Bot);
    peer_gone.cancel();
    // Keep draining until the bot closes, so "closed" means the socket really closed.
    loop {
        let read = tokio::select! {
            _ = stop.cancelled() => break,
            read = read.read(&mut buf) => read,
        };
        if matches!(read, Ok(0) | Err(_)) {
            break;
        }
    }
    record(&state, |r| r.closed = Some(Instant::now()));
}

async fn receive_media_stream(
    mut stream: SplitStream<WsStream>,
    state: Arc<watch::Sender<Recording>>,
    echo: mpsc::UnboundedSender<Outgoing>,
    stop: CancellationToken,
    peer_gone: CancellationToken,
) {
    loop {
        let message = tokio::select! {
            _ = stop.cancelled() => break,
            message = stream.next() => message,
        };
        let text = match message {
            Some(Ok(WsMessage::Text(text))) => text,
            Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => break,
            Some(Ok(_)) => continue,
        };
        let Ok(value) = serde_json::from_str::<Value>(text.as_str()) else {
            debug!("bot sent malformed json");
            continue;
        };
        match value["event"].as_str() {
            Some("media") => {
                let payload = value["media"]["payload"].as_str().unwrap_or_default();
                match BASE64.decode(payload) {
                    Ok(bytes) => record(&state, |r| r.frames.push(bot_frame(decode_ulaw(&bytes)))),
                    Err(error) => debug!(%error, "bot sent bad base64"),
                }
            }
            Some("mark") => {
                let name = value["mark"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                record(&state, |r| r.marks.push((Instant::now(), name.clone())));
                // We play bot audio the moment it arrives (the pipeline paces it in real
                // time), so everything before the mark has been played: echo it now.
                let _ = echo.send(Outgoing::Mark(name));
            }
            Some("clear") => record(&state, |r| r.clears.push(Instant::now())),
            other => debug!(event = ?other, "unexpected event from the bot"),
        }
    }
    record_end(&state, EndedBy::Bot);
    peer_gone.cancel();
    record(&state, |r| r.closed = Some(Instant::now()));
}

#[cfg(test)]
mod tests {
    use tokio::net::TcpListener;

    use super::*;
    use crate::voice::audiosocket::serve;
    use crate::voice::leg::{Leg, LegCommand, LegEvent};
    use frontline_domain::AccountId;

    async fn call() -> (Caller, Leg, CancellationToken) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (sink, mut legs) = mpsc::channel(1);
        let shutdown = CancellationToken::new();
        tokio::spawn(serve(listener, AccountId(1), sink, shutdown.clone()));
        let caller = Caller::connect(Transport::AudioSocket(addr), CallerOptions::default())
            .await
            .unwrap();
        let leg = tokio::time::timeout(Duration::from_secs(10), legs.recv())
            .await
            .unwrap()
            .unwrap();
        (caller, leg, shutdown)
    }

    fn frames(level: i16, count: usize) -> Vec<LegCommand> {
        (0..count)
            .map(|_| LegCommand::Audio(vec![level; FRAME_SAMPLES]))
            .collect()
    }

    async fn play(leg: &Leg, commands: Vec<LegCommand>) {
        for command in commands {
            leg.commands.send(command).await.unwrap();
        }
    }

    #[tokio::test]
    async fn bot_silence_is_not_speech_and_turns_end_after_the_gap() {
        let (caller, leg, shutdown) = call().await;
        let before = Instant::now();
        // Silence, a 100 ms "word", a 100 ms pause, another word, silence.
        play(&leg, frames(0, 5)).await;
        play(&leg, frames(3000, 5)).await;
        play(&leg, frames(0, 5)).await;
        play(&leg, frames(-3000, 5)).await;
        play(&leg, frames(0, 5)).await;
        let start = caller
            .bot_audio_start(before, Duration::from_secs(10))
            .await
            .unwrap();
        let turn = caller
            .bot_turn(before, Duration::from_millis(300), Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(turn.first_audio, start);
        // The pause is inside the turn; the silence around it is not.
        let mut expected = vec![3000; 5 * FRAME_SAMPLES];
        expected.extend(vec![0; 5 * FRAME_SAMPLES]);
        expected.extend(vec![-3000; 5 * FRAME_SAMPLES]);
        assert_eq!(turn.audio.samples, expected);
        let recording = caller.recording();
        assert_eq!(recording.frames.len(), 25);
        assert_eq!(recording.frames.iter().filter(|f| f.speech).count(), 10);
        assert_eq!(
            caller.bot_audio(before, Instant::now()).samples.len(),
            25 * FRAME_SAMPLES
        );

        // Barge-in measurement: when did bot speech stop after a given moment?
        let barge_in = Instant::now();
        assert_eq!(
            caller
                .bot_audio_stop(
                    barge_in,
                    Duration::from_millis(100),
                    Duration::from_secs(10)
                )
                .await
                .unwrap(),
            None
        );
        play(&leg, frames(3000, 3)).await;
        let stopped = caller
            .bot_audio_stop(
                barge_in,
                Duration::from_millis(200),
                Duration::from_secs(10),
            )
            .await
            .unwrap();
        assert!(stopped.is_some_and(|at| at >= barge_in));
        shutdown.cancel();
    }

    #[tokio::test]
    async fn speech_is_resampled_to_the_phone_rate_and_paced() {
        let (caller, mut leg, shutdown) = call().await;
        // 200 ms at 16 kHz: 1600 samples at 8 kHz, 10 frames.
        let wide = Pcm::new(16_000, vec![4000; 3200]);
        let began = Instant::now();
        let end = caller.say(&wide).await.unwrap();
        assert!(
            end - began >= Duration::from_millis(160),
            "{:?}",
            end - began
        );
        let mut loud = 0;
        while loud < 10 {
            let event = tokio::time::timeout(Duration::from_secs(10), leg.events.recv())
                .await
                .unwrap()
                .unwrap();
            let LegEvent::Audio(frame) = event else {
                panic!("{event:?}")
            };
            if rms(&frame) > 1000.0 {
                loud += 1;
            }
        }
        // Then silence again: the resampled clip was exactly 10 frames long (its edges may ring).
        for _ in 0..5 {
            let event = tokio::time::timeout(Duration::from_secs(10), leg.events.recv())
                .await
                .unwrap()
                .unwrap();
            let LegEvent::Audio(frame) = event else {
                panic!("{event:?}")
            };
            assert!(rms(&frame) < 1000.0);
        }
        shutdown.cancel();
    }

    #[tokio::test]
    async fn speech_cut_off_by_the_bot_hanging_up_fails() {
        let (caller, leg, shutdown) = call().await;
        let speech = caller.say(&Pcm::new(PHONE_RATE, vec![1000; 8 * 8000]));
        leg.commands.send(LegCommand::Hangup).await.unwrap();
        assert!(matches!(speech.await, Err(CallerError::Ended)));
        assert_eq!(
            caller.wait_end(Duration::from_secs(10)).await.unwrap(),
            EndedBy::Bot
        );
        caller.wait_closed(Duration::from_secs(10)).await.unwrap();
        assert!(matches!(caller.hangup().await, Err(CallerError::Ended)));
        assert!(matches!(
            caller
                .bot_audio_start(Instant::now(), Duration::from_secs(10))
                .await,
            Err(CallerError::Ended)
        ));
        shutdown.cancel();
    }

    #[tokio::test]
    async fn a_call_id_must_be_a_uuid_for_audiosocket() {
        let options = CallerOptions {
            call_id: Some("CA123".into()),
            ..CallerOptions::default()
        };
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        assert!(matches!(
            Caller::connect(Transport::AudioSocket(addr), options).await,
            Err(CallerError::CallId(_))
        ));
    }
}
