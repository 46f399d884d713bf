//! Twilio Media Streams (bidirectional, `<Connect><Stream url="wss://…/lines/{line_id}">`): the
//! only place that knows its wire format. Telnyx- and Exotel-style clones are accepted too: their
//! snake_case field names (`stream_sid`/`stream_id`, `call_sid`/`call_control_id`,
//! `account_sid`, `custom_parameters`, `media_format`, `sample_rate`, `sequence_number`) and
//! numbers sent as strings.
//!
//! The telephony side opens a WebSocket and sends JSON text messages: `connected`, `start` (ids,
//! `<Parameter>`s, media format), then `media` (base64 μ-law 8 kHz, usually 20 ms), `dtmf`,
//! `mark` (echoes of ours) and finally `stop`. We answer with `media`, `mark` and `clear`
//! (barge-in: drop what the far side has buffered), and hang up by closing the socket (Twilio
//! then runs the TwiML after `<Connect>`). Sequence numbers, chunks and timestamps are not used:
//! one WebSocket delivers in order.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use frontline_domain::AccountId;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::leg::{
    CallSink, CallStart, EventSender, LEG_QUEUE, Leg, LegCommand, LegEvent, Telephony, dtmf_key,
};
use crate::audio::{PHONE_RATE, decode_ulaw, encode_ulaw};

/// Largest text message we read: a 20 ms media message is ~300 bytes, a `start` a few hundred.
const MAX_MESSAGE: usize = 64 * 1024;
/// How long a new WebSocket has to send its `start`.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// After we close, how long we wait for the far side's close before dropping the socket.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// WebSocket close codes (RFC 6455).
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_UNSUPPORTED: u16 = 1003;
const CLOSE_POLICY: u16 = 1008;

/// A message from the telephony side.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
enum Inbound {
    Connected {},
    Start(StartMessage),
    Media(MediaMessage),
    Dtmf(DtmfMessage),
    Mark(MarkMessage),
    Stop {},
    /// Telnyx reports problems with what we sent this way; the call goes on.
    Error {
        #[serde(default)]
        payload: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct StartMessage {
    #[serde(
        default,
        rename = "streamSid",
        alias = "stream_sid",
        alias = "stream_id"
    )]
    stream_sid: Option<String>,
    #[serde(default)]
    start: StartBody,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
struct StartBody {
    #[serde(
        default,
        rename = "streamSid",
        alias = "stream_sid",
        alias = "stream_id"
    )]
    stream_sid: Option<String>,
    #[serde(
        default,
        rename = "callSid",
        alias = "call_sid",
        alias = "call_control_id"
    )]
    call_sid: Option<String>,
    #[serde(default, rename = "accountSid", alias = "account_sid")]
    account_sid: Option<String>,
    #[serde(default, rename = "customParameters", alias = "custom_parameters")]
    custom: Option<BTreeMap<String, Value>>,
    #[serde(default, rename = "mediaFormat", alias = "media_format")]
    media_format: Option<MediaFormat>,
    /// Telnyx and Exotel put the caller's number here.
    #[serde(default)]
    from: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct MediaFormat {
    #[serde(default)]
    encoding: Option<String>,
    #[serde(
        default,
        rename = "sampleRate",
        alias = "sample_rate",
        deserialize_with = "lenient_u32"
    )]
    sample_rate: Option<u32>,
    #[serde(default, deserialize_with = "lenient_u32")]
    channels: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct MediaMessage {
    media: MediaBody,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct MediaBody {
    #[serde(default)]
    track: Option<String>,
    #[serde(default)]
    payload: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct DtmfMessage {
    dtmf: DtmfBody,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct DtmfBody {
    digit: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
struct MarkMessage {
    mark: MarkBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct MarkBody {
    name: String,
}

/// Clones send numbers as JSON numbers or strings ("8000").
fn lenient_u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("not a u32")),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(serde::de::Error::custom),
        Some(other) => Err(serde::de::Error::custom(format!("not a number: {other}"))),
    }
}

/// A message to the telephony side.
#[derive(Debug, Serialize)]
#[serde(tag = "event", rename_all = "lowercase")]
enum Outbound<'a> {
    Media {
        #[serde(rename = "streamSid")]
        stream_sid: &'a str,
        media: OutboundMedia,
    },
    Mark {
        #[serde(rename = "streamSid")]
        stream_sid: &'a str,
        mark: MarkBody,
    },
    Clear {
        #[serde(rename = "streamSid")]
        stream_sid: &'a str,
    },
}

#[derive(Debug, Serialize)]
struct OutboundMedia {
    payload: String,
}

impl Outbound<'_> {
    fn to_json(&self) -> String {
        // Plain strings and a struct: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The wire for one pipeline command; `None` for a hang-up.
fn outbound(stream_sid: &str, command: LegCommand) -> Option<String> {
    let message = match command {
        LegCommand::Audio(samples) => Outbound::Media {
            stream_sid,
            media: OutboundMedia {
                payload: BASE64.encode(encode_ulaw(&samples)),
            },
        },
        LegCommand::Mark(name) => Outbound::Mark {
            stream_sid,
            mark: MarkBody { name },
        },
        LegCommand::Clear => Outbound::Clear { stream_sid },
        LegCommand::Hangup => return None,
    };
    Some(message.to_json())
}

/// Why a stream was refused at `start`, as a WebSocket close.
#[derive(Debug, Clone, PartialEq)]
struct Refusal {
    code: u16,
    reason: String,
}

impl Refusal {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        let mut reason = reason.into();
        // A close reason must fit 123 bytes.
        if reason.len() > 123 {
            let mut cut = 120;
            while !reason.is_char_boundary(cut) {
                cut -= 1;
            }
            reason.truncate(cut);
            reason.push_str("...");
        }
        Refusal { code, reason }
    }
}

/// Accept only μ-law at 8 kHz mono; an absent format is Twilio's default, which is that.
fn check_format(format: Option<&MediaFormat>) -> Result<(), Refusal> {
    let Some(format) = format else { return Ok(()) };
    let encoding = format.encoding.as_deref().unwrap_or("audio/x-mulaw");
    let mut parts = encoding.split(';').map(str::trim);
    let name = parts.next().unwrap_or_default().to_ascii_lowercase();
    // "audio/x-mulaw;rate=8000" carries its rate as a parameter.
    let param_rate = parts
        .find_map(|p| p.strip_prefix("rate="))
        .map(|r| r.parse::<u32>().ok());
    let rate_ok = format.sample_rate.is_none_or(|r| r == PHONE_RATE)
        && param_rate.is_none_or(|r| r == Some(PHONE_RATE));
    let supported = matches!(name.as_str(), "audio/x-mulaw" | "pcmu" | "mulaw")
        && rate_ok
        && format.channels.is_none_or(|c| c == 1);
    if supported {
        return Ok(());
    }
    let rate = format
        .sample_rate
        .map(|r| format!(" {r} Hz"))
        .unwrap_or_default();
    let channels = format
        .channels
        .map(|c| format!(" {c} ch"))
        .unwrap_or_default();
    Err(Refusal::new(
        CLOSE_UNSUPPORTED,
        format!(
            "unsupported media format {encoding}{rate}{channels}; want audio/x-mulaw 8000 Hz mono"
        ),
    ))
}

/// The call a valid `start` describes.
fn call_start(line: AccountId, message: StartMessage) -> Result<(String, CallStart), Refusal> {
    let StartMessage { stream_sid, start } = message;
    check_format(start.media_format.as_ref())?;
    let Some(stream_sid) = stream_sid.or(start.stream_sid).filter(|s| !s.is_empty()) else {
        return Err(Refusal::new(CLOSE_POLICY, "start without a streamSid"));
    };
    let custom: BTreeMap<String, String> = start
        .custom
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k, s)),
            Value::Null => None,
            other => Some((k, other.to_string())),
        })
        .collect();
    let from = ["from", "From", "caller"]
        .iter()
        .find_map(|k| custom.get(*k))
        .cloned()
        .or(start.from)
        .filter(|f| !f.is_empty());
    // Twilio always sends a CallSid; a clone without one still has a stream id.
    let call_sid = start
        .call_sid
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| stream_sid.clone());
    let start = CallStart {
        line,
        call_id: call_sid.clone(),
        from,
        telephony: Telephony::MediaStream {
            stream_sid: stream_sid.clone(),
            call_sid,
            account_sid: start.account_sid,
            custom,
        },
    };
    Ok((stream_sid, start))
}

#[derive(Debug, Clone)]
struct Shared {
    sink: CallSink,
    shutdown: CancellationToken,
}

/// The Media Streams WebSocket at `/lines/{line_id}` (`line_id`: the voice account's id), to
/// mount in an axum app. Calls in progress are not ended by the app's shutdown; [`serve`]'s are.
pub fn router(sink: CallSink) -> Router {
    router_with(sink, CancellationToken::new())
}

fn router_with(sink: CallSink, shutdown: CancellationToken) -> Router {
    Router::new()
        .route("/lines/{line_id}", get(upgrade))
        .with_state(Shared { sink, shutdown })
}

/// Serve [`router`] on `listener` until `shutdown`, which also ends the calls in progress (we
/// close their sockets and the pipeline gets a [`LegEvent::Hangup`]).
pub async fn serve(
    listener: TcpListener,
    sink: CallSink,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = router_with(sink, shutdown.clone());
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

async fn upgrade(
    Path(line_id): Path<i64>,
    State(shared): State<Shared>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| call(socket, AccountId(line_id), shared))
}

async fn call(mut socket: WebSocket, line: AccountId, shared: Shared) {
    let started = tokio::select! {
        _ = shared.shutdown.cancelled() => return,
        r = tokio::time::timeout(HANDSHAKE_TIMEOUT, read_start(&mut socket, line)) => r,
    };
    let (stream_sid, start) = match started {
        Ok(Ok(Some(started))) => started,
        // Closed before a start: nothing to do.
        Ok(Ok(None)) => return,
        Ok(Err(refusal)) => {
            warn!(
                line = line.0,
                reason = refusal.reason,
                "media stream refused"
            );
            close(&mut socket, refusal.code, refusal.reason).await;
            return;
        }
        Err(_) => {
            warn!(line = line.0, "media stream sent no start in time, closing");
            close(&mut socket, CLOSE_POLICY, "no start message".into()).await;
            return;
        }
    };

    let call_id = start.call_id.clone();
    let (event_tx, events) = mpsc::channel(LEG_QUEUE);
    let (commands, command_rx) = mpsc::channel(LEG_QUEUE);
    let leg = Leg {
        start,
        events,
        commands,
    };
    tokio::select! {
        _ = shared.shutdown.cancelled() => return,
        sent = shared.sink.send(leg) => if sent.is_err() {
            warn!(call_id, "no call pipeline is running, dropping the call");
            close(&mut socket, CLOSE_GOING_AWAY, "no call pipeline".into()).await;
            return;
        },
    }
    info!(
        call_id,
        stream_sid,
        line = line.0,
        "media stream call started"
    );

    let (ws_tx, ws_rx) = socket.split();
    // Ends the call for both halves: the reader cancels it when the far side is gone, the
    // writer after it closed and gave the far side a moment to answer.
    let over = CancellationToken::new();
    tokio::join!(
        read_loop(
            ws_rx,
            EventSender::new(event_tx),
            &call_id,
            &shared.shutdown,
            &over
        ),
        write_loop(
            ws_tx,
            command_rx,
            &stream_sid,
            &call_id,
            &shared.shutdown,
            &over
        ),
    );
    info!(call_id, "media stream call ended");
}

async fn close(socket: &mut WebSocket, code: u16, reason: String) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(CLOSE_GRACE, socket.send(WsMessage::Close(Some(frame)))).await;
}

/// Read up to the `start`; `Ok(None)` if the far side went away first.
async fn read_start(
    socket: &mut WebSocket,
    line: AccountId,
) -> Result<Option<(String, CallStart)>, Refusal> {
    while let Some(message) = socket.recv().await {
        let text = match message {
            Ok(WsMessage::Text(text)) => text,
            Ok(WsMessage::Close(_)) | Err(_) => return Ok(None),
            Ok(_) => continue,
        };
        match serde_json::from_str::<Inbound>(text.as_str()) {
            Ok(Inbound::Start(start)) => return call_start(line, start).map(Some),
            Ok(Inbound::Connected {}) => {}
            Ok(other) => debug!(
                line = line.0,
                ?other,
                "media stream message before start ignored"
            ),
            Err(error) => {
                warn!(line = line.0, %error, text = %excerpt(text.as_str()), "malformed media stream message")
            }
        }
    }
    Ok(None)
}

/// The start of a message, for logs.
fn excerpt(text: &str) -> &str {
    let mut end = text.len().min(200);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

async fn read_loop(
    mut ws: SplitStream<WebSocket>,
    mut events: EventSender,
    call_id: &str,
    shutdown: &CancellationToken,
    over: &CancellationToken,
) {
    let end = read_events(&mut ws, &mut events, call_id, shutdown, over).await;
    over.cancel();
    events.end(end).await;
}

/// Forward the caller's side until it ends; the terminal event is returned, not sent.
async fn read_events(
    ws: &mut SplitStream<WebSocket>,
    events: &mut EventSender,
    call_id: &str,
    shutdown: &CancellationToken,
    over: &CancellationToken,
) -> LegEvent {
    // Once the pipeline has dropped its receiver we keep reading (and discarding) so the far
    // side is never blocked while our writer finishes.
    let mut pipeline_open = true;
    loop {
        let message = tokio::select! {
            _ = shutdown.cancelled() => return LegEvent::Hangup,
            _ = over.cancelled() => return LegEvent::Hangup,
            message = ws.next() => message,
        };
        let text = match message {
            Some(Ok(WsMessage::Text(text))) => text,
            Some(Ok(WsMessage::Close(_))) | None => return LegEvent::Hangup,
            Some(Ok(WsMessage::Binary(_))) => {
                debug!(call_id, "binary media stream message ignored");
                continue;
            }
            Some(Ok(_)) => continue,
            Some(Err(error)) => {
                // Includes a message over MAX_MESSAGE.
                warn!(call_id, %error, "media stream read failed");
                return LegEvent::Hangup;
            }
        };
        let inbound = match serde_json::from_str::<Inbound>(text.as_str()) {
            Ok(inbound) => inbound,
            Err(error) => {
                warn!(call_id, %error, text = %excerpt(text.as_str()), "malformed media stream message ignored");
                continue;
            }
        };
        let control = match inbound {
            Inbound::Media(MediaMessage { media }) => {
                // Only what the caller says: a "both tracks" stream also carries our own audio.
                if !matches!(
                    media.track.as_deref(),
                    None | Some("inbound" | "inbound_track")
                ) {
                    continue;
                }
                match BASE64.decode(media.payload.as_bytes()) {
                    Ok(bytes) if bytes.is_empty() => {}
                    Ok(bytes) => {
                        if pipeline_open {
                            pipeline_open = events.audio(call_id, decode_ulaw(&bytes));
                        }
                    }
                    Err(error) => warn!(call_id, %error, "media frame with bad base64 ignored"),
                }
                continue;
            }
            Inbound::Dtmf(DtmfMessage { dtmf }) => {
                let mut chars = dtmf.digit.chars();
                match (chars.next().and_then(dtmf_key), chars.next()) {
                    (Some(key), None) => LegEvent::Dtmf(key),
                    _ => {
                        warn!(
                            call_id,
                            digit = dtmf.digit,
                            "dtmf message without a key ignored"
                        );
                        continue;
                    }
                }
            }
            Inbound::Mark(MarkMessage { mark }) => LegEvent::Mark(mark.name),
            Inbound::Stop {} => return LegEvent::Hangup,
            Inbound::Error { payload } => {
                warn!(call_id, %payload, "media stream reported an error");
                continue;
            }
            Inbound::Start(_) => {
                warn!(call_id, "second start message ignored");
                continue;
            }
            Inbound::Connected {} | Inbound::Other => continue,
        };
        if pipeline_open {
            pipeline_open = tokio::select! {
                _ = shutdown.cancelled() => return LegEvent::Hangup,
                open = events.control(control) => open,
            };
        }
    }
}

async fn write_loop(
    mut ws: SplitSink<WebSocket, WsMessage>,
    mut commands: mpsc::Receiver<LegCommand>,
    stream_sid: &str,
    call_id: &str,
    shutdown: &CancellationToken,
    over: &CancellationToken,
) {
    let (code, reason) = loop {
        let command = tokio::select! {
            // Shutdown first: close politely even if the reader has already stopped.
            biased;
            _ = shutdown.cancelled() => break (CLOSE_GOING_AWAY, "server shutting down"),
            _ = over.cancelled() => return,
            command = commands.recv() => command,
        };
        // An explicit hang-up, or the pipeline is done with the call.
        let Some(text) = command.and_then(|c| outbound(stream_sid, c)) else {
            break (CLOSE_NORMAL, "hangup");
        };
        let sent = tokio::select! {
            _ = over.cancelled() => return,
            sent = ws.send(WsMessage::Text(text.into())) => sent,
        };
        if let Err(error) = sent {
            debug!(call_id, %error, "media stream write failed");
            over.cancel();
            return;
        }
    };
    debug!(call_id, reason, "closing media stream");
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    if let Ok(Err(error)) =
        tokio::time::timeout(CLOSE_GRACE, ws.send(WsMessage::Close(Some(frame)))).await
    {
        debug!(call_id, %error, "media stream close failed");
    }
    let _ = tokio::time::timeout(CLOSE_GRACE, over.cancelled()).await;
    over.cancel();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::voice::caller::{Caller, CallerOptions, Transport};
    use crate::voice::leg::conformance::{Running, Wire, audio_until_control, next_event};

    fn parse(json: &str) -> Inbound {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"))
    }

    fn started(json: &str) -> Result<(String, CallStart), Refusal> {
        match parse(json) {
            Inbound::Start(start) => call_start(AccountId(3), start),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn twilio_reference_messages() {
        assert_eq!(
            parse(r#"{"event":"connected","protocol":"Call","version":"1.0.0"}"#),
            Inbound::Connected {}
        );
        let (stream_sid, start) = started(
            r#"{"event":"start","sequenceNumber":"1","streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0",
            "start":{"streamSid":"MZ18ad3ab5a668481ce02b83e7395059f0","accountSid":"AC123","callSid":"CA456",
            "tracks":["inbound"],"customParameters":{"From":"+15550100","token":"s3cret"},
            "mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}"#,
        )
        .unwrap();
        assert_eq!(stream_sid, "MZ18ad3ab5a668481ce02b83e7395059f0");
        assert_eq!(
            start,
            CallStart {
                line: AccountId(3),
                call_id: "CA456".into(),
                from: Some("+15550100".into()),
                telephony: Telephony::MediaStream {
                    stream_sid: "MZ18ad3ab5a668481ce02b83e7395059f0".into(),
                    call_sid: "CA456".into(),
                    account_sid: Some("AC123".into()),
                    custom: BTreeMap::from([
                        ("From".into(), "+15550100".into()),
                        ("token".into(), "s3cret".into())
                    ]),
                },
            }
        );
        assert_eq!(
            parse(
                r#"{"event":"media","sequenceNumber":"3","streamSid":"MZ1","media":{"track":"inbound","chunk":"2","timestamp":"5","payload":"/w=="}}"#
            ),
            Inbound::Media(MediaMessage {
                media: MediaBody {
                    track: Some("inbound".into()),
                    payload: "/w==".into()
                }
            })
        );
        assert_eq!(
            parse(
                r#"{"event":"dtmf","streamSid":"MZ1","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"5"}}"#
            ),
            Inbound::Dtmf(DtmfMessage {
                dtmf: DtmfBody { digit: "5".into() }
            })
        );
        assert_eq!(
            parse(
                r#"{"event":"mark","sequenceNumber":"4","streamSid":"MZ1","mark":{"name":"utt-3"}}"#
            ),
            Inbound::Mark(MarkMessage {
                mark: MarkBody {
                    name: "utt-3".into()
                }
            })
        );
        assert_eq!(
            parse(
                r#"{"event":"stop","sequenceNumber":"5","streamSid":"MZ1","stop":{"accountSid":"AC1","callSid":"CA1"}}"#
            ),
            Inbound::Stop {}
        );
        assert_eq!(parse(r#"{"event":"something-new","x":1}"#), Inbound::Other);
        assert!(serde_json::from_str::<Inbound>(r#"{"no":"event"}"#).is_err());
        assert!(serde_json::from_str::<Inbound>("not json").is_err());
    }

    #[test]
    fn snake_case_clones() {
        // Exotel-style: snake_case everywhere, numbers as strings.
        let (stream_sid, start) = started(
            r#"{"event":"start","sequence_number":1,"stream_sid":"s1",
            "start":{"stream_sid":"s1","call_sid":"c1","account_sid":"a1","from":"+9190000",
            "custom_parameters":{"token":"t","n":5,"gone":null},
            "media_format":{"encoding":"mulaw","sample_rate":"8000","bit_rate":"64kbps"}}}"#,
        )
        .unwrap();
        assert_eq!(stream_sid, "s1");
        assert_eq!(start.call_id, "c1");
        assert_eq!(start.from.as_deref(), Some("+9190000"));
        assert_eq!(
            start.telephony,
            Telephony::MediaStream {
                stream_sid: "s1".into(),
                call_sid: "c1".into(),
                account_sid: Some("a1".into()),
                custom: BTreeMap::from([("n".into(), "5".into()), ("token".into(), "t".into())]),
            }
        );
        // Telnyx-style: stream_id at the top, call_control_id, PCMU.
        let (stream_sid, start) = started(
            r#"{"event":"start","sequence_number":"1","stream_id":"32de0dea",
            "start":{"user_id":"u","call_control_id":"v3:abc","from":"+1555","to":"+1666",
            "media_format":{"encoding":"PCMU","sample_rate":8000,"channels":1}}}"#,
        )
        .unwrap();
        assert_eq!(
            (stream_sid.as_str(), start.call_id.as_str()),
            ("32de0dea", "v3:abc")
        );
        assert_eq!(start.from.as_deref(), Some("+1555"));
        assert_eq!(
            parse(
                r##"{"event":"dtmf","sequence_number":"4","stream_id":"x","dtmf":{"digit":"#"}}"##
            ),
            Inbound::Dtmf(DtmfMessage {
                dtmf: DtmfBody { digit: "#".into() }
            })
        );
        assert!(matches!(
            parse(
                r#"{"event":"error","sequence_number":"5","payload":{"code":100002,"title":"Unknown error"}}"#
            ),
            Inbound::Error { .. }
        ));
    }

    #[test]
    fn unsupported_formats_and_missing_ids_are_refused() {
        let start = |format: &str| {
            started(&format!(
                r#"{{"event":"start","streamSid":"MZ1","start":{{"callSid":"CA1","mediaFormat":{format}}}}}"#
            ))
        };
        assert!(
            start(r#"{"encoding":"audio/x-mulaw;rate=8000","sampleRate":8000,"channels":1}"#)
                .is_ok()
        );
        assert!(start(r#"{"encoding":"mulaw"}"#).is_ok());
        for bad in [
            r#"{"encoding":"audio/L16;rate=16000","sampleRate":16000,"channels":1}"#,
            r#"{"encoding":"PCMA","sampleRate":8000}"#,
            r#"{"encoding":"audio/x-mulaw","sampleRate":16000}"#,
            r#"{"encoding":"audio/x-mulaw;rate=16000"}"#,
            r#"{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":2}"#,
        ] {
            let refusal = start(bad).unwrap_err();
            assert_eq!(refusal.code, CLOSE_UNSUPPORTED, "{bad}");
            assert!(
                refusal.reason.starts_with("unsupported media format"),
                "{}",
                refusal.reason
            );
            assert!(refusal.reason.len() <= 123);
        }
        let long = format!(r#"{{"encoding":"{}"}}"#, "x".repeat(300));
        assert!(start(&long).unwrap_err().reason.len() <= 123);
        assert_eq!(
            started(r#"{"event":"start","start":{"callSid":"CA1"}}"#)
                .unwrap_err()
                .code,
            CLOSE_POLICY
        );
        // No callSid: the stream id stands in.
        assert_eq!(
            started(r#"{"event":"start","streamSid":"MZ9","start":{}}"#)
                .unwrap()
                .1
                .call_id,
            "MZ9"
        );
    }

    #[test]
    fn outbound_messages_are_twilio_shaped() {
        let json = |s: Option<String>| serde_json::from_str::<Value>(&s.unwrap()).unwrap();
        assert_eq!(
            json(outbound("MZ1", LegCommand::Audio(vec![0, 0]))),
            serde_json::json!({"event":"media","streamSid":"MZ1","media":{"payload":"//8="}})
        );
        assert_eq!(
            json(outbound("MZ1", LegCommand::Mark("utt-1".into()))),
            serde_json::json!({"event":"mark","streamSid":"MZ1","mark":{"name":"utt-1"}})
        );
        assert_eq!(
            json(outbound("MZ1", LegCommand::Clear)),
            serde_json::json!({"event":"clear","streamSid":"MZ1"})
        );
        assert_eq!(outbound("MZ1", LegCommand::Hangup), None);
    }

    /// What a tone sounds like after a μ-law round trip.
    fn through_ulaw(samples: &[i16]) -> Vec<i16> {
        decode_ulaw(&encode_ulaw(samples))
    }

    /// Media streams as the leg conformance suite drives them.
    struct MediaStreamWire;

    impl Wire for MediaStreamWire {
        const MARKS: bool = true;
        const CLEAR: bool = true;
        type Raw = RawWs;

        async fn start() -> Running {
            start_server().await
        }

        fn transport(running: &Running) -> Transport {
            Transport::MediaStream(format!("ws://{}/lines/42", running.addr))
        }

        fn line() -> AccountId {
            AccountId(42)
        }

        fn options() -> CallerOptions {
            CallerOptions {
                call_id: Some("CA0123".into()),
                from: Some("+79990001122".into()),
                custom: BTreeMap::from([("campaign".into(), "spring".into())]),
                token: Some("line-token".into()),
            }
        }

        fn through_wire(samples: &[i16]) -> Vec<i16> {
            through_ulaw(samples)
        }

        fn check_start(start: &CallStart, _caller: &Caller, options: &CallerOptions) {
            match &options.call_id {
                Some(id) => assert_eq!(&start.call_id, id),
                // Twilio's shape, as the caller generates it.
                None => assert!(
                    start.call_id.starts_with("CA") && start.call_id.len() == 34,
                    "{}",
                    start.call_id
                ),
            }
            assert_eq!(start.from, options.from);
            let Telephony::MediaStream {
                stream_sid,
                call_sid,
                account_sid,
                custom,
            } = &start.telephony
            else {
                panic!("{:?}", start.telephony);
            };
            assert!(
                stream_sid.starts_with("MZ") && stream_sid.len() == 34,
                "{stream_sid}"
            );
            assert_eq!(call_sid, &start.call_id);
            assert!(account_sid.as_deref().is_some_and(|a| a.starts_with("AC")));
            assert_eq!(custom.get("token"), options.token.as_ref());
            for (name, value) in &options.custom {
                assert_eq!(custom.get(name), Some(value), "{name}");
            }
        }

        async fn raw_call_with_garbage(running: &Running, frame: &[i16]) -> RawWs {
            let mut ws = raw_ws(running).await;
            let payload = BASE64.encode(encode_ulaw(frame));
            send_text(&mut ws, "{not json").await;
            send_text(&mut ws, START).await;
            send_text(
                &mut ws,
                r#"{"event":"media","media":{"payload":"!!not base64!!"}}"#,
            )
            .await;
            send_text(&mut ws, "[1,2,3]").await;
            // Our own audio on a "both tracks" stream is not the caller's.
            send_text(
                &mut ws,
                &format!(
                    r#"{{"event":"media","media":{{"track":"outbound","payload":"{payload}"}}}}"#
                ),
            )
            .await;
            send_text(&mut ws, r#"{"event":"dtmf","dtmf":{"digit":"xyz"}}"#).await;
            ws.send(tokio_tungstenite::tungstenite::Message::binary(vec![
                1, 2, 3,
            ]))
            .await
            .unwrap();
            send_text(&mut ws, START).await;
            send_text(
                &mut ws,
                &format!(
                    r#"{{"event":"media","media":{{"track":"inbound","payload":"{payload}"}}}}"#
                ),
            )
            .await;
            send_text(&mut ws, r#"{"event":"stop","stop":{}}"#).await;
            ws
        }
    }

    mod conformance {
        crate::voice::leg::conformance::leg_conformance_suite!(super::MediaStreamWire);
    }

    async fn start_server() -> Running {
        Running::spawn(|listener, sink, shutdown| async move {
            serve(listener, sink, shutdown)
                .await
                .expect("the media stream server runs");
        })
        .await
    }

    type RawWs = tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >;

    async fn raw_ws(server: &Running) -> RawWs {
        let url = format!("ws://{}/lines/42", server.addr);
        tokio_tungstenite::connect_async(url).await.unwrap().0
    }

    async fn send_text(ws: &mut RawWs, text: &str) {
        ws.send(tokio_tungstenite::tungstenite::Message::text(text))
            .await
            .unwrap();
    }

    /// The close frame the server ends with.
    async fn close_frame(ws: &mut RawWs) -> Option<(u16, String)> {
        use tokio_tungstenite::tungstenite::Message;
        loop {
            match tokio::time::timeout(Duration::from_secs(10), ws.next())
                .await
                .unwrap()
            {
                Some(Ok(Message::Close(frame))) => {
                    return frame.map(|f| (u16::from(f.code), f.reason.as_str().to_owned()));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    const START: &str = r#"{"event":"start","streamSid":"MZ1","start":{"callSid":"CA1","mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}"#;

    #[tokio::test]
    async fn an_unsupported_format_is_refused_with_a_reason() {
        let mut server = start_server().await;
        let mut ws = raw_ws(&server).await;
        send_text(&mut ws, r#"{"event":"connected"}"#).await;
        send_text(
            &mut ws,
            r#"{"event":"start","streamSid":"MZ1","start":{"callSid":"CA1","mediaFormat":{"encoding":"audio/L16","sampleRate":16000}}}"#,
        )
        .await;
        let (code, reason) = close_frame(&mut ws).await.expect("a close frame");
        assert_eq!(code, CLOSE_UNSUPPORTED);
        assert!(reason.contains("audio/L16 16000 Hz"), "{reason}");
        assert!(server.legs.try_recv().is_err(), "no call was made");
        server.shutdown.cancel();
    }

    #[tokio::test]
    async fn oversized_messages_end_the_call_and_shutdown_ends_calls() {
        let mut server = start_server().await;
        let mut ws = raw_ws(&server).await;
        send_text(&mut ws, START).await;
        let mut leg = server.next_leg().await;
        let _ = ws
            .send(tokio_tungstenite::tungstenite::Message::text(
                "x".repeat(MAX_MESSAGE + 1),
            ))
            .await;
        assert_eq!(next_event(&mut leg).await, LegEvent::Hangup);

        let mut ws = raw_ws(&server).await;
        send_text(&mut ws, START).await;
        let mut leg = server.next_leg().await;
        server.shutdown.cancel();
        assert_eq!(
            close_frame(&mut ws).await.map(|(code, _)| code),
            Some(CLOSE_GOING_AWAY)
        );
        assert_eq!(audio_until_control(&mut leg).await.1, LegEvent::Hangup);
        server.stop().await;
    }
}
