//! Asterisk AudioSocket: the only place that knows its wire format.
//!
//! Asterisk connects out over TCP (`AudioSocket(uuid,host:port)` in the dialplan, or ARI
//! externalMedia) and speaks messages of `kind: u8`, `len: u16` big-endian, `len` bytes of
//! payload. It first sends the call's UUID, then one 20 ms 8 kHz slin frame (16-bit
//! little-endian) every 20 ms, silence included, and DTMF keys as they are pressed. From us it
//! accepts only audio (0x10, never empty) and hang-up (0x00); anything else ends its application.
//!
//! [`Decoder`] and [`Message`] are sans-IO (unit-tested byte by byte); [`serve`] turns each
//! connection into a [`Leg`] for the call pipeline.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use frontline_domain::AccountId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::leg::{
    CallSink, CallStart, EventSender, LEG_QUEUE, Leg, LegCommand, LegEvent, Telephony, dtmf_key,
};
use crate::audio::{samples_to_slin, slin_to_samples};

pub const KIND_HANGUP: u8 = 0x00;
pub const KIND_UUID: u8 = 0x01;
pub const KIND_DTMF: u8 = 0x03;
/// Signed linear 16-bit, 8 kHz, mono, little-endian.
pub const KIND_AUDIO: u8 = 0x10;
/// Higher-rate slin kinds added to Asterisk in 2025. Their numbering changed between versions,
/// so we name no rate for them; we only know they are not 8 kHz.
pub const KIND_AUDIO_HIGHER_RATES: std::ops::RangeInclusive<u8> = 0x11..=0x18;
pub const KIND_ERROR: u8 = 0xff;

const HEADER_LEN: usize = 3;
/// The largest audio payload is `u16::MAX` bytes; keep whole samples.
const MAX_AUDIO_SAMPLES: usize = u16::MAX as usize / 2;

/// How long a new connection has to send its UUID.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// After we hang up, how long we keep reading while the peer closes its side.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// A call's 16-byte AudioSocket id, shown in the canonical lowercase 8-4-4-4-12 form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// A random (version 4) UUID, as a dialplan's `${UUID()}` would give.
    pub fn random() -> Self {
        let mut bytes: [u8; 16] = rand::random();
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Uuid(bytes)
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = hex::encode(self.0);
        write!(
            f,
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a UUID (want 8-4-4-4-12 hex digits): {0:?}")]
pub struct UuidError(String);

impl FromStr for Uuid {
    type Err = UuidError;

    /// The canonical hyphenated form (any case), or 32 bare hex digits.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || UuidError(s.to_owned());
        let digits: String = match s.len() {
            36 => {
                let b = s.as_bytes();
                if [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
                    return Err(err());
                }
                s.split('-').collect()
            }
            32 => s.to_owned(),
            _ => return Err(err()),
        };
        let mut bytes = [0u8; 16];
        hex::decode_to_slice(&digits, &mut bytes).map_err(|_| err())?;
        Ok(Uuid(bytes))
    }
}

/// One AudioSocket message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Hangup,
    Uuid(Uuid),
    /// `0`-`9`, `*`, `#`, `A`-`D`.
    Dtmf(char),
    /// 8 kHz 16-bit linear samples.
    Audio(Vec<i16>),
    /// An error, with Asterisk's optional one-byte code (bit-packed: 0x01 the calling party hung
    /// up, 0x02 frame forwarding, 0x04 memory).
    Error(Option<u8>),
}

impl Message {
    /// Append the wire form to `out`. Audio longer than one message can hold becomes several
    /// messages; empty audio and a key that is not a DTMF key write nothing (Asterisk treats a
    /// zero-length audio message as an error).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        match self {
            Message::Hangup => put_header(out, KIND_HANGUP, 0),
            Message::Uuid(uuid) => {
                put_header(out, KIND_UUID, 16);
                out.extend_from_slice(&uuid.0);
            }
            Message::Dtmf(key) => {
                if let Some(key) = dtmf_key(*key) {
                    put_header(out, KIND_DTMF, 1);
                    out.push(key as u8);
                }
            }
            Message::Audio(samples) => encode_audio(samples, out),
            Message::Error(code) => match code {
                Some(code) => {
                    put_header(out, KIND_ERROR, 1);
                    out.push(*code);
                }
                None => put_header(out, KIND_ERROR, 0),
            },
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }
}

fn put_header(out: &mut Vec<u8>, kind: u8, len: u16) {
    out.push(kind);
    out.extend_from_slice(&len.to_be_bytes());
}

/// Audio messages for `samples`, without copying them into a [`Message`] first.
pub fn encode_audio(samples: &[i16], out: &mut Vec<u8>) {
    for chunk in samples.chunks(MAX_AUDIO_SAMPLES) {
        // chunks() never yields an empty slice, and MAX_AUDIO_SAMPLES * 2 fits a u16.
        put_header(out, KIND_AUDIO, (chunk.len() * 2) as u16);
        out.extend_from_slice(&samples_to_slin(chunk));
    }
}

/// A message the decoder read in full but could not use. The bytes are consumed either way, so
/// the stream stays in sync.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("zero-length audio message")]
    EmptyAudio,
    #[error("uuid message of {0} bytes, want 16")]
    BadUuid(usize),
    #[error("dtmf message without a key: {0:02x?}")]
    BadDtmf(Vec<u8>),
    #[error(
        "audio kind {0:#04x} is a higher-rate slin; this adapter runs at 8 kHz only (kind 0x10): \
         let Asterisk transcode to slin"
    )]
    UnsupportedRate(u8),
    #[error("unknown message kind {0:#04x}")]
    UnknownKind(u8),
}

/// Incremental decoder: feed it bytes as they arrive, in any split, and take whole messages out.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    pub fn extend(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held for a message not yet complete.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next whole message, `None` until one is complete.
    pub fn next_message(&mut self) -> Option<Result<Message, DecodeError>> {
        if self.buf.len() < HEADER_LEN {
            return None;
        }
        let kind = self.buf[0];
        let len = usize::from(u16::from_be_bytes([self.buf[1], self.buf[2]]));
        if self.buf.len() < HEADER_LEN + len {
            return None;
        }
        let message = parse(kind, &self.buf[HEADER_LEN..HEADER_LEN + len]);
        self.buf.drain(..HEADER_LEN + len);
        Some(message)
    }
}

fn parse(kind: u8, payload: &[u8]) -> Result<Message, DecodeError> {
    match kind {
        KIND_HANGUP => Ok(Message::Hangup),
        KIND_UUID => match <[u8; 16]>::try_from(payload) {
            Ok(bytes) => Ok(Message::Uuid(Uuid(bytes))),
            Err(_) => Err(DecodeError::BadUuid(payload.len())),
        },
        KIND_DTMF => match payload {
            [byte] => dtmf_key(char::from(*byte))
                .map(Message::Dtmf)
                .ok_or_else(|| DecodeError::BadDtmf(payload.to_vec())),
            _ => Err(DecodeError::BadDtmf(payload.to_vec())),
        },
        KIND_AUDIO if payload.is_empty() => Err(DecodeError::EmptyAudio),
        // An odd last byte cannot be a sample; slin_to_samples drops it.
        KIND_AUDIO => Ok(Message::Audio(slin_to_samples(payload))),
        KIND_ERROR => Ok(Message::Error(payload.first().copied())),
        k if KIND_AUDIO_HIGHER_RATES.contains(&k) => Err(DecodeError::UnsupportedRate(k)),
        k => Err(DecodeError::UnknownKind(k)),
    }
}

/// What an error message means, for the log and the pipeline.
fn describe_error(code: Option<u8>) -> String {
    let Some(code) = code else {
        return "audiosocket peer reported an error".to_owned();
    };
    let mut causes = Vec::new();
    if code & 0x01 != 0 {
        causes.push("the calling party hung up");
    }
    if code & 0x02 != 0 {
        causes.push("frame forwarding failed");
    }
    if code & 0x04 != 0 {
        causes.push("memory allocation failed");
    }
    if causes.is_empty() {
        format!("audiosocket peer reported error code {code:#04x}")
    } else {
        format!(
            "audiosocket peer reported error code {code:#04x}: {}",
            causes.join(", ")
        )
    }
}

/// Accept AudioSocket connections for the phone line `line` until `shutdown`, handing each call
/// to `sink` as a [`Leg`].
///
/// Cancelling `shutdown` also ends the calls in progress (we hang them up and the pipeline gets a
/// [`LegEvent::Hangup`]); to drain instead, stop routing new calls here first.
pub async fn serve(
    listener: TcpListener,
    line: AccountId,
    sink: CallSink,
    shutdown: CancellationToken,
) {
    serve_with(listener, line, sink, shutdown, HANDSHAKE_TIMEOUT).await;
}

async fn serve_with(
    listener: TcpListener,
    line: AccountId,
    sink: CallSink,
    shutdown: CancellationToken,
    handshake_timeout: Duration,
) {
    let mut calls = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            Some(_) = calls.join_next(), if !calls.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let call = connection(stream, peer, line, sink.clone(), shutdown.clone(), handshake_timeout);
                    calls.spawn(call);
                }
                Err(error) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    warn!(%error, "audiosocket accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    while calls.join_next().await.is_some() {}
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    line: AccountId,
    sink: CallSink,
    shutdown: CancellationToken,
    handshake_timeout: Duration,
) {
    if let Err(error) = stream.set_nodelay(true) {
        debug!(%peer, %error, "could not set TCP_NODELAY");
    }
    let (mut read, write) = stream.into_split();
    let mut decoder = Decoder::default();
    let uuid = tokio::select! {
        _ = shutdown.cancelled() => return,
        r = tokio::time::timeout(handshake_timeout, read_uuid(&mut read, &mut decoder)) => match r {
            Ok(Ok(uuid)) => uuid,
            Ok(Err(reason)) => {
                warn!(%peer, reason, "audiosocket connection closed before a call started");
                return;
            }
            Err(_) => {
                warn!(%peer, "audiosocket connection sent no uuid in time, closing");
                return;
            }
        },
    };

    let call_id = uuid.to_string();
    let (event_tx, events) = mpsc::channel(LEG_QUEUE);
    let (commands, command_rx) = mpsc::channel(LEG_QUEUE);
    let leg = Leg {
        start: CallStart {
            line,
            call_id: call_id.clone(),
            from: None,
            telephony: Telephony::AudioSocket {
                uuid: call_id.clone(),
            },
        },
        events,
        commands,
    };
    tokio::select! {
        _ = shutdown.cancelled() => return,
        sent = sink.send(leg) => if sent.is_err() {
            warn!(call_id, "no call pipeline is running, dropping the call");
            return;
        },
    }
    info!(call_id, %peer, line = line.0, "audiosocket call started");

    // Ends the call for both halves: the reader cancels it when the peer is gone (nothing left
    // to write), the writer after it hung up and gave the peer a moment to close.
    let over = CancellationToken::new();
    tokio::join!(
        read_loop(
            read,
            decoder,
            EventSender::new(event_tx),
            &call_id,
            &shutdown,
            &over
        ),
        write_loop(write, command_rx, &call_id, &shutdown, &over),
    );
    info!(call_id, "audiosocket call ended");
}

/// The first message must be the UUID.
async fn read_uuid(read: &mut OwnedReadHalf, decoder: &mut Decoder) -> Result<Uuid, &'static str> {
    let mut buf = [0u8; 512];
    loop {
        match decoder.next_message() {
            Some(Ok(Message::Uuid(uuid))) => return Ok(uuid),
            Some(_) => return Err("first message was not a uuid"),
            None => {}
        }
        match read.read(&mut buf).await {
            Ok(0) => return Err("peer closed"),
            Ok(n) => decoder.extend(&buf[..n]),
            Err(_) => return Err("read failed"),
        }
    }
}

async fn read_loop(
    mut read: OwnedReadHalf,
    mut decoder: Decoder,
    mut events: EventSender,
    call_id: &str,
    shutdown: &CancellationToken,
    over: &CancellationToken,
) {
    let end = read_events(
        &mut read,
        &mut decoder,
        &mut events,
        call_id,
        shutdown,
        over,
    )
    .await;
    // The peer is gone (or we are shutting down): nothing more to write either.
    over.cancel();
    if let Some(end) = end {
        events.end(end).await;
    }
}

/// Forward the caller's side until the peer is gone. Returns the terminal event still to send
/// (`None` when one was already sent).
async fn read_events(
    read: &mut OwnedReadHalf,
    decoder: &mut Decoder,
    events: &mut EventSender,
    call_id: &str,
    shutdown: &CancellationToken,
    over: &CancellationToken,
) -> Option<LegEvent> {
    let mut buf = vec![0u8; 8192];
    // Once the pipeline has dropped its receiver, or the call was refused, we keep reading (and
    // discarding) until the writer has hung up, so the peer is never blocked on a full socket.
    let mut pipeline_open = true;
    let mut ended = false;
    let end = |ended: bool, event: LegEvent| (!ended).then_some(event);
    loop {
        while let Some(decoded) = decoder.next_message() {
            match decoded {
                Ok(Message::Audio(samples)) => {
                    if pipeline_open {
                        pipeline_open = events.audio(call_id, samples);
                    }
                }
                Ok(Message::Dtmf(key)) => {
                    if pipeline_open {
                        pipeline_open = tokio::select! {
                            _ = shutdown.cancelled() => return end(ended, LegEvent::Hangup),
                            open = events.control(LegEvent::Dtmf(key)) => open,
                        };
                    }
                }
                Ok(Message::Hangup | Message::Error(Some(0x01))) => {
                    return end(ended, LegEvent::Hangup);
                }
                Ok(Message::Error(code)) => {
                    let reason = describe_error(code);
                    warn!(call_id, reason, "audiosocket error");
                    return end(ended, LegEvent::Error(reason));
                }
                Ok(Message::Uuid(uuid)) => {
                    debug!(call_id, %uuid, "repeated audiosocket uuid ignored")
                }
                Err(error @ DecodeError::UnsupportedRate(_)) => {
                    if !ended {
                        warn!(call_id, %error, "refusing audiosocket call");
                        events.end(LegEvent::Error(error.to_string())).await;
                        ended = true;
                        pipeline_open = false;
                    }
                }
                Err(error) => warn!(call_id, %error, "audiosocket message skipped"),
            }
        }
        let read = tokio::select! {
            _ = shutdown.cancelled() => return end(ended, LegEvent::Hangup),
            _ = over.cancelled() => return end(ended, LegEvent::Hangup),
            read = read.read(&mut buf) => read,
        };
        match read {
            Ok(0) => return end(ended, LegEvent::Hangup),
            Ok(n) => decoder.extend(&buf[..n]),
            Err(error) => {
                debug!(call_id, %error, "audiosocket read failed");
                return end(ended, LegEvent::Hangup);
            }
        }
    }
}

async fn write_loop(
    mut write: OwnedWriteHalf,
    mut commands: mpsc::Receiver<LegCommand>,
    call_id: &str,
    shutdown: &CancellationToken,
    over: &CancellationToken,
) {
    let mut buf = Vec::with_capacity(512);
    loop {
        let command = tokio::select! {
            // Shutdown first: hang up politely even if the reader has already stopped.
            biased;
            _ = shutdown.cancelled() => break,
            _ = over.cancelled() => return,
            command = commands.recv() => command,
        };
        buf.clear();
        match command {
            Some(LegCommand::Audio(samples)) => encode_audio(&samples, &mut buf),
            // No equivalent on AudioSocket: Asterisk plays each frame as it arrives, and the
            // pipeline paces frames in real time, so nothing is buffered there to clear or mark.
            Some(LegCommand::Mark(_) | LegCommand::Clear) => continue,
            // An explicit hang-up, or the pipeline is done with the call.
            Some(LegCommand::Hangup) | None => break,
        }
        if buf.is_empty() {
            continue;
        }
        let written = tokio::select! {
            _ = over.cancelled() => return,
            written = write.write_all(&buf) => written,
        };
        if let Err(error) = written {
            debug!(call_id, %error, "audiosocket write failed");
            over.cancel();
            return;
        }
    }
    debug!(call_id, "hanging up audiosocket call");
    let hangup = async {
        write.write_all(&Message::Hangup.encode()).await?;
        write.shutdown().await
    };
    if let Ok(Err(error)) = tokio::time::timeout(CLOSE_GRACE, hangup).await {
        debug!(call_id, %error, "audiosocket hang-up failed");
    }
    let _ = tokio::time::timeout(CLOSE_GRACE, over.cancelled()).await;
    over.cancel();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::FRAME_SAMPLES;
    use crate::voice::caller::{Caller, CallerOptions, Transport};
    use crate::voice::leg::conformance::{Running, Wire, audio_until_control, next_event};

    fn decode_all(decoder: &mut Decoder) -> Vec<Result<Message, DecodeError>> {
        std::iter::from_fn(|| decoder.next_message()).collect()
    }

    fn check(bytes: &[u8], expected: &[Result<Message, DecodeError>]) {
        // All at once.
        let mut decoder = Decoder::default();
        decoder.extend(bytes);
        assert_eq!(decode_all(&mut decoder), expected);
        assert_eq!(decoder.buffered(), 0);
        // Byte by byte: nothing comes out early, everything comes out in order.
        let mut decoder = Decoder::default();
        let mut got = Vec::new();
        for b in bytes {
            decoder.extend(std::slice::from_ref(b));
            got.extend(decode_all(&mut decoder));
        }
        assert_eq!(got, expected);
    }

    const UUID_BYTES: [u8; 16] = [
        0x40, 0x32, 0x5e, 0xc2, 0x5e, 0xfd, 0x4b, 0xd3, 0x80, 0x5f, 0x53, 0x57, 0x6e, 0x58, 0x1d,
        0x13,
    ];

    #[test]
    fn a_call_as_asterisk_sends_it_decodes_in_any_split() {
        let mut bytes = vec![0x01, 0x00, 0x10];
        bytes.extend_from_slice(&UUID_BYTES);
        bytes.extend_from_slice(&[0x10, 0x00, 0x04, 0x01, 0x02, 0xff, 0xff]);
        bytes.extend_from_slice(&[0x03, 0x00, 0x01, b'5']);
        bytes.extend_from_slice(&[0x03, 0x00, 0x01, b'#']);
        bytes.extend_from_slice(&[0x00, 0x00, 0x00]);
        check(
            &bytes,
            &[
                Ok(Message::Uuid(Uuid(UUID_BYTES))),
                Ok(Message::Audio(vec![0x0201, -1])),
                Ok(Message::Dtmf('5')),
                Ok(Message::Dtmf('#')),
                Ok(Message::Hangup),
            ],
        );
    }

    #[test]
    fn uuid_is_canonical_lowercase_and_parses_back() {
        let uuid = Uuid(UUID_BYTES);
        assert_eq!(uuid.to_string(), "40325ec2-5efd-4bd3-805f-53576e581d13");
        assert_eq!("40325EC2-5EFD-4BD3-805F-53576E581D13".parse(), Ok(uuid));
        assert_eq!("40325ec25efd4bd3805f53576e581d13".parse(), Ok(uuid));
        for bad in [
            "",
            "40325ec2-5efd-4bd3-805f-53576e581d1",
            "40325ec2+5efd-4bd3-805f-53576e581d13",
            "zz325ec25efd4bd3805f53576e581d13",
        ] {
            assert!(bad.parse::<Uuid>().is_err(), "{bad}");
        }
        let random = Uuid::random();
        assert_eq!(random.0[6] >> 4, 4, "version 4");
        assert_eq!(random.to_string().parse(), Ok(random));
        check(
            &[0x01, 0x00, 0x02, 0xaa, 0xbb],
            &[Err(DecodeError::BadUuid(2))],
        );
    }

    #[test]
    fn dtmf_keys_and_bad_dtmf() {
        check(&[0x03, 0x00, 0x01, b'c'], &[Ok(Message::Dtmf('C'))]);
        check(
            &[0x03, 0x00, 0x01, b'x'],
            &[Err(DecodeError::BadDtmf(vec![b'x']))],
        );
        check(&[0x03, 0x00, 0x00], &[Err(DecodeError::BadDtmf(vec![]))]);
        assert_eq!(Message::Dtmf('*').encode(), vec![0x03, 0x00, 0x01, b'*']);
        assert_eq!(Message::Dtmf('x').encode(), Vec::<u8>::new());
    }

    #[test]
    fn errors_with_and_without_code() {
        check(
            &[0xff, 0x00, 0x01, 0x02, 0xff, 0x00, 0x00],
            &[Ok(Message::Error(Some(2))), Ok(Message::Error(None))],
        );
        assert!(
            describe_error(Some(0x06))
                .contains("frame forwarding failed, memory allocation failed")
        );
    }

    #[test]
    fn bad_messages_are_skipped_whole_and_the_stream_stays_in_sync() {
        check(
            &[
                0x10, 0x00, 0x00, 0x42, 0x00, 0x02, 0x10, 0x00, 0x12, 0x00, 0x02, 0x01, 0x00, 0x10,
                0x00, 0x02, 0x07, 0x00,
            ],
            &[
                Err(DecodeError::EmptyAudio),
                Err(DecodeError::UnknownKind(0x42)),
                Err(DecodeError::UnsupportedRate(0x12)),
                Ok(Message::Audio(vec![7])),
            ],
        );
        assert!(
            DecodeError::UnsupportedRate(0x12)
                .to_string()
                .contains("8 kHz")
        );
    }

    #[test]
    fn audio_encodes_little_endian_and_splits_at_the_length_limit() {
        assert_eq!(
            Message::Audio(vec![0x0201, -2]).encode(),
            vec![0x10, 0x00, 0x04, 0x01, 0x02, 0xfe, 0xff]
        );
        assert_eq!(
            Message::Audio(vec![]).encode(),
            Vec::<u8>::new(),
            "empty audio is an error at Asterisk"
        );
        assert_eq!(Message::Hangup.encode(), vec![0, 0, 0]);

        let long: Vec<i16> = (0..MAX_AUDIO_SAMPLES as i32 + 10)
            .map(|i| i as i16)
            .collect();
        let mut decoder = Decoder::default();
        decoder.extend(&Message::Audio(long.clone()).encode());
        let parts = decode_all(&mut decoder);
        assert_eq!(parts.len(), 2);
        let joined: Vec<i16> = parts
            .into_iter()
            .flat_map(|m| match m {
                Ok(Message::Audio(s)) => s,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(joined, long);
    }

    /// AudioSocket as the leg conformance suite drives it.
    struct AudioSocketWire;

    impl Wire for AudioSocketWire {
        const MARKS: bool = false;
        const CLEAR: bool = false;
        type Raw = TcpStream;

        async fn start() -> Running {
            start_server(HANDSHAKE_TIMEOUT).await
        }

        fn transport(running: &Running) -> Transport {
            Transport::AudioSocket(running.addr)
        }

        fn line() -> AccountId {
            AccountId(7)
        }

        fn options() -> CallerOptions {
            // Upper case, as an adapter may print the 16 bytes: the call id is canonical anyway.
            CallerOptions {
                call_id: Some("40325EC2-5EFD-4BD3-805F-53576E581D13".into()),
                ..CallerOptions::default()
            }
        }

        fn through_wire(samples: &[i16]) -> Vec<i16> {
            // slin is lossless.
            samples.to_vec()
        }

        fn check_start(start: &CallStart, caller: &Caller, options: &CallerOptions) {
            let canonical: Uuid = caller.call_id().parse().unwrap();
            assert_eq!(start.call_id, canonical.to_string());
            if let Some(given) = &options.call_id {
                assert_eq!(start.call_id, given.to_lowercase());
            }
            // The wire carries no caller number (a line with AMI looks it up).
            assert_eq!(start.from, None);
            assert_eq!(
                start.telephony,
                Telephony::AudioSocket {
                    uuid: start.call_id.clone()
                }
            );
        }

        async fn raw_call_with_garbage(running: &Running, frame: &[i16]) -> TcpStream {
            let mut bytes = Message::Uuid(Uuid(UUID_BYTES)).encode();
            bytes.extend_from_slice(&[0x42, 0x00, 0x01, 0x00]); // unknown kind
            bytes.extend_from_slice(&[0x10, 0x00, 0x00]); // empty audio
            bytes.extend_from_slice(&[0x03, 0x00, 0x01, b'x']); // not a key
            bytes.extend_from_slice(&[0x03, 0x00, 0x00]); // dtmf without a key
            Message::Uuid(Uuid(UUID_BYTES)).encode_into(&mut bytes); // repeated
            Message::Audio(frame.to_vec()).encode_into(&mut bytes);
            Message::Hangup.encode_into(&mut bytes);
            raw_client(running.addr, &bytes).await
        }
    }

    mod conformance {
        crate::voice::leg::conformance::leg_conformance_suite!(super::AudioSocketWire);
    }

    async fn start_server(handshake: Duration) -> Running {
        Running::spawn(move |listener, sink, shutdown| {
            serve_with(listener, AccountId(7), sink, shutdown, handshake)
        })
        .await
    }

    async fn raw_client(addr: SocketAddr, first: &[u8]) -> TcpStream {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(first).await.unwrap();
        stream
    }

    async fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
        let mut out = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out))
            .await
            .unwrap()
            .unwrap();
        out
    }

    #[tokio::test]
    async fn higher_rate_audio_is_refused_with_an_error_event() {
        let mut server = start_server(HANDSHAKE_TIMEOUT).await;
        let mut first = Message::Uuid(Uuid(UUID_BYTES)).encode();
        first.extend_from_slice(&[0x12, 0x00, 0x04, 1, 0, 2, 0]);
        let mut stream = raw_client(server.addr, &first).await;
        let mut leg = server.legs.recv().await.unwrap();
        match next_event(&mut leg).await {
            LegEvent::Error(reason) => assert!(reason.contains("8 kHz"), "{reason}"),
            other => panic!("{other:?}"),
        }
        // The pipeline lets go; the adapter hangs up the way Asterisk understands.
        drop(leg);
        assert_eq!(read_to_end(&mut stream).await, vec![0, 0, 0]);
        server.shutdown.cancel();
    }

    #[tokio::test]
    async fn a_full_queue_drops_the_newest_audio_and_waits_with_control_events() {
        let (tx, mut rx) = mpsc::channel(LEG_QUEUE);
        let mut events = EventSender::new(tx);
        for i in 0..LEG_QUEUE + 10 {
            assert!(events.audio("c", vec![i as i16]));
        }
        let control = tokio::spawn(async move {
            let open = events.control(LegEvent::Dtmf('1')).await;
            (open, events)
        });
        for i in 0..LEG_QUEUE {
            assert_eq!(
                rx.recv().await,
                Some(LegEvent::Audio(vec![i as i16])),
                "the oldest frames, in order"
            );
        }
        assert_eq!(
            rx.recv().await,
            Some(LegEvent::Dtmf('1')),
            "control events are never dropped"
        );
        let (open, mut events) = control.await.unwrap();
        assert!(open);
        drop(rx);
        assert!(!events.audio("c", vec![0]), "a closed pipeline is reported");
    }

    #[tokio::test]
    async fn a_slow_pipeline_gets_audio_in_order_and_every_control_event() {
        let mut server = start_server(HANDSHAKE_TIMEOUT).await;
        let mut bytes = Message::Uuid(Uuid(UUID_BYTES)).encode();
        for i in 0..LEG_QUEUE + 44 {
            Message::Audio(vec![i as i16; FRAME_SAMPLES]).encode_into(&mut bytes);
        }
        Message::Dtmf('1').encode_into(&mut bytes);
        Message::Hangup.encode_into(&mut bytes);
        let _stream = raw_client(server.addr, &bytes).await;
        let mut leg = server.legs.recv().await.unwrap();
        // The pipeline falls behind: it reads nothing until the queue is full.
        tokio::time::timeout(Duration::from_secs(10), async {
            while leg.events.len() < LEG_QUEUE {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .unwrap();
        let (frames, event) = audio_until_control(&mut leg).await;
        assert!(frames.len() >= LEG_QUEUE && frames.len() <= LEG_QUEUE + 44);
        assert!(frames.windows(2).all(|w| w[0][0] < w[1][0]), "in order");
        assert_eq!(event, LegEvent::Dtmf('1'));
        assert_eq!(next_event(&mut leg).await, LegEvent::Hangup);
        server.shutdown.cancel();
    }

    #[tokio::test]
    async fn a_connection_must_start_with_its_uuid_in_time() {
        let mut server = start_server(Duration::from_millis(300)).await;
        // Audio first: closed without a call.
        let mut stream = raw_client(server.addr, &Message::Audio(vec![1; 160]).encode()).await;
        assert!(read_to_end(&mut stream).await.is_empty());
        // Nothing at all: closed after the timeout.
        let mut silent = TcpStream::connect(server.addr).await.unwrap();
        assert!(read_to_end(&mut silent).await.is_empty());
        // Garbage after the uuid does not hurt the call.
        let mut first = Message::Uuid(Uuid(UUID_BYTES)).encode();
        first.extend_from_slice(&[
            0x42, 0x00, 0x01, 0x00, 0x10, 0x00, 0x00, 0x03, 0x00, 0x01, b'9',
        ]);
        let _stream = raw_client(server.addr, &first).await;
        let mut leg = server.legs.recv().await.unwrap();
        assert_eq!(next_event(&mut leg).await, LegEvent::Dtmf('9'));
        assert!(
            server.legs.try_recv().is_err(),
            "the bad connections made no calls"
        );
        server.stop().await;
        // Shutdown hung the call up.
        let (_, event) = audio_until_control(&mut leg).await;
        assert_eq!(event, LegEvent::Hangup);
    }
}
