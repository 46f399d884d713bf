//! Transfers against local servers speaking the real wire formats: a scripted AMI server
//! (CRLF packets, banner, unsolicited events, `Status` lists) and axum servers standing in for
//! Twilio's REST API and a webhook receiver.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use base64::Engine as _;
use frontline_domain::{AccountId, ConversationId};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::*;

// ----- requests -------------------------------------------------------------------------------

const UUID: &str = "3f2a9c1e-5b7d-4e8f-9a01-23456789abcd";

fn request(telephony: Telephony) -> TransferRequest {
    let call_id = match &telephony {
        Telephony::AudioSocket { uuid } => uuid.clone(),
        Telephony::MediaStream { call_sid, .. } => call_sid.clone(),
    };
    TransferRequest {
        call: CallStart {
            line: AccountId(3),
            call_id,
            from: None,
            telephony,
        },
        conversation_id: ConversationId(42),
        caller: Some("+79161234567".into()),
        reason: "customer asked for a person".into(),
        intent: Some("order_status".into()),
        summary: Some("wants to know where order 1234 is".into()),
        briefing: "Intent: order status\nOrder: 1234\r\n\tCaller is upset".into(),
        slots: BTreeMap::from([("order_number".to_owned(), "1234".to_owned())]),
    }
}

fn audiosocket_request() -> TransferRequest {
    request(Telephony::AudioSocket { uuid: UUID.into() })
}

fn media_stream_request(account_sid: Option<&str>) -> TransferRequest {
    request(Telephony::MediaStream {
        stream_sid: "MZ18ad3ab5a668481ce02b83e7395059f0".into(),
        call_sid: "CA11112222333344445555666677778888".into(),
        account_sid: account_sid.map(str::to_owned),
        custom: BTreeMap::new(),
    })
}

// ----- a scripted AMI server ------------------------------------------------------------------

/// One packet the fake server received, headers in order.
type Packet = Vec<(String, String)>;

fn header<'a>(p: &'a Packet, name: &str) -> Option<&'a str> {
    p.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The packet without its `ActionID` (ours are generated), for exact comparisons.
fn without_action_id(p: &Packet) -> Vec<(&str, &str)> {
    p.iter()
        .filter(|(k, _)| k != "ActionID")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[derive(Clone)]
struct FakeChannel {
    name: &'static str,
    caller: &'static str,
    application: &'static str,
    vars: Vec<(&'static str, &'static str)>,
}

#[derive(Clone)]
struct Script {
    secret: &'static str,
    channels: Vec<FakeChannel>,
    /// Send the banner, then read and never answer.
    silent: bool,
}

fn two_channels() -> Vec<FakeChannel> {
    vec![
        FakeChannel {
            name: "PJSIP/bob-00000001",
            caller: "+74950000001",
            application: "AudioSocket",
            vars: vec![("FRONTLINE_CALL", "00000000-1111-2222-3333-444444444444")],
        },
        FakeChannel {
            name: "PJSIP/alice-00000002",
            caller: "+79161234567",
            application: "AudioSocket",
            vars: vec![("FRONTLINE_CALL", UUID)],
        },
    ]
}

struct FakeAmi {
    addr: SocketAddr,
    /// Every packet received, once the client has gone.
    done: JoinHandle<Vec<Packet>>,
}

async fn fake_ami(script: Script) -> FakeAmi {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let done = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        serve_ami(stream, script).await
    });
    FakeAmi { addr, done }
}

async fn serve_ami(stream: tokio::net::TcpStream, script: Script) -> Vec<Packet> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut received = Vec::new();
    write
        .write_all(b"Asterisk Call Manager/9.0.0\r\n")
        .await
        .unwrap();
    loop {
        // Read one packet, insisting on AMI's CRLF framing.
        let mut packet: Packet = Vec::new();
        loop {
            let mut line = Vec::new();
            if read.read_until(b'\n', &mut line).await.unwrap() == 0 {
                return received;
            }
            assert!(
                line.ends_with(b"\r\n"),
                "line not CRLF-terminated: {line:?}"
            );
            let line = String::from_utf8(line[..line.len() - 2].to_vec()).unwrap();
            if line.is_empty() {
                break;
            }
            let (k, v) = line.split_once(": ").expect("Name: value");
            packet.push((k.to_owned(), v.to_owned()));
        }
        received.push(packet.clone());
        if script.silent {
            continue;
        }
        let id = header(&packet, "ActionID").unwrap_or("").to_owned();
        let action = header(&packet, "Action").unwrap_or("").to_ascii_lowercase();
        let channel = header(&packet, "Channel").unwrap_or("");
        let known = script.channels.iter().any(|c| c.name == channel);
        let mut out = String::new();
        let mut close = false;
        match action.as_str() {
            "login" => {
                let ok = header(&packet, "Username") == Some("frontline")
                    && header(&packet, "Secret") == Some(script.secret);
                if ok {
                    out += &format!(
                        "Response: Success\r\nActionID: {id}\r\nMessage: Authentication accepted\r\n\r\n"
                    );
                    // Asterisk announces this right after a login, whatever `Events` says.
                    out += "Event: FullyBooted\r\nPrivilege: system,all\r\nUptime: 12\r\nLastReload: 12\r\nStatus: Fully Booted\r\n\r\n";
                } else {
                    out += &format!(
                        "Response: Error\r\nActionID: {id}\r\nMessage: Authentication failed\r\n\r\n"
                    );
                    close = true;
                }
            }
            "status" => {
                let wanted: Vec<&str> = header(&packet, "Variables")
                    .map(|v| v.split(',').collect())
                    .unwrap_or_default();
                // Noise first: an event for someone else and a stray Status with another id.
                out += "Event: Newexten\r\nPrivilege: dialplan,all\r\nChannel: PJSIP/carol-00000003\r\nApplication: Playback\r\n\r\n";
                out += &format!(
                    "Event: Status\r\nActionID: other-{id}\r\nChannel: PJSIP/mallory-00000009\r\nVariable: FRONTLINE_CALL={UUID}\r\n\r\n"
                );
                out += &format!(
                    "Response: Success\r\nActionID: {id}\r\nEventList: start\r\nMessage: Channel status will follow\r\n\r\n"
                );
                for c in &script.channels {
                    out += &format!(
                        "Event: Status\r\nPrivilege: Call\r\nActionID: {id}\r\nChannel: {}\r\nChannelState: 6\r\nChannelStateDesc: Up\r\nCallerIDNum: {}\r\nCallerIDName: <unknown>\r\nContext: bot\r\nExten: 100\r\nPriority: 3\r\nUniqueid: 1700000000.1\r\nApplication: {}\r\nData: x,127.0.0.1:9092\r\n",
                        c.name, c.caller, c.application
                    );
                    for name in &wanted {
                        let value = c
                            .vars
                            .iter()
                            .find(|(k, _)| k == name)
                            .map_or("", |(_, v)| *v);
                        out += &format!("Variable: {name}={value}\r\n");
                    }
                    out += "Seconds: 7\r\n\r\n";
                }
                out += &format!(
                    "Event: StatusComplete\r\nActionID: {id}\r\nEventList: Complete\r\nListItems: {n}\r\nItems: {n}\r\n\r\n",
                    n = script.channels.len()
                );
            }
            "setvar" if known => {
                out += &format!(
                    "Response: Success\r\nActionID: {id}\r\nMessage: Variable Set\r\n\r\n"
                );
            }
            "redirect" if known => {
                out += &format!(
                    "Response: Success\r\nActionID: {id}\r\nMessage: Redirect successful\r\n\r\n"
                );
            }
            "setvar" | "redirect" => {
                out += &format!(
                    "Response: Error\r\nActionID: {id}\r\nMessage: No such channel\r\n\r\n"
                );
            }
            "logoff" => {
                out += &format!(
                    "Response: Goodbye\r\nActionID: {id}\r\nMessage: Thanks for all the fish.\r\n\r\n"
                );
                close = true;
            }
            _ => {
                out += &format!(
                    "Response: Error\r\nActionID: {id}\r\nMessage: Invalid/unknown command\r\n\r\n"
                );
            }
        }
        write.write_all(out.as_bytes()).await.unwrap();
        if close {
            return received;
        }
    }
}

fn ami_settings(addr: SocketAddr, secret: &str) -> AsteriskAmiTransferSettings {
    serde_json::from_value(json!({
        "address": addr.to_string(),
        "username": "frontline",
        "secret": secret,
        "timeout_ms": 2000,
    }))
    .unwrap()
}

fn ami(addr: SocketAddr, secret: &str) -> AsteriskAmiTransfer {
    AsteriskAmiTransfer::new(ami_settings(addr, secret)).unwrap()
}

async fn finished(server: FakeAmi) -> Vec<Packet> {
    tokio::time::timeout(Duration::from_secs(5), server.done)
        .await
        .expect("the fake AMI server ends when the client goes")
        .unwrap()
}

// ----- AMI ------------------------------------------------------------------------------------

#[tokio::test]
async fn ami_redirects_the_channel_that_runs_the_audiosocket_call() {
    let server = fake_ami(Script {
        secret: "s3cret",
        channels: two_channels(),
        silent: false,
    })
    .await;
    let transfer = ami(server.addr, "s3cret");

    let outcome = transfer.transfer(&audiosocket_request()).await.unwrap();

    assert_eq!(
        outcome,
        TransferOutcome {
            via: "asterisk_ami".into(),
            target: "operators,s,1".into(),
            reference: Some("PJSIP/alice-00000002".into()),
        }
    );
    let got = finished(server).await;
    let actions: Vec<Vec<(&str, &str)>> = got.iter().map(without_action_id).collect();
    assert_eq!(
        actions,
        vec![
            vec![
                ("Action", "Login"),
                ("Username", "frontline"),
                ("Secret", "s3cret"),
                ("Events", "off"),
            ],
            vec![("Action", "Status"), ("Variables", "FRONTLINE_CALL")],
            vec![
                ("Action", "Setvar"),
                ("Channel", "PJSIP/alice-00000002"),
                ("Variable", "FRONTLINE_BRIEFING"),
                ("Value", "Intent: order status Order: 1234 Caller is upset"),
            ],
            vec![
                ("Action", "Setvar"),
                ("Channel", "PJSIP/alice-00000002"),
                ("Variable", "FRONTLINE_CONVERSATION"),
                ("Value", "42"),
            ],
            vec![
                ("Action", "Redirect"),
                ("Channel", "PJSIP/alice-00000002"),
                ("Context", "operators"),
                ("Exten", "s"),
                ("Priority", "1"),
            ],
            vec![("Action", "Logoff")],
        ]
    );
    // Every action carried its own ActionID.
    let ids: std::collections::BTreeSet<&str> =
        got.iter().filter_map(|p| header(p, "ActionID")).collect();
    assert_eq!(ids.len(), got.len());
}

#[tokio::test]
async fn ami_matches_the_uuid_without_case_or_hyphens_and_prefers_the_audiosocket_channel() {
    let mut channels = two_channels();
    // An inherited copy of the variable on a Local channel, listed first.
    channels.insert(
        0,
        FakeChannel {
            name: "Local/s@operators-00000004;1",
            caller: "+79161234567",
            application: "Queue",
            vars: vec![("FRONTLINE_CALL", UUID)],
        },
    );
    let server = fake_ami(Script {
        secret: "s3cret",
        channels,
        silent: false,
    })
    .await;
    let mut req = audiosocket_request();
    req.call.telephony = Telephony::AudioSocket {
        uuid: UUID.replace('-', "").to_uppercase(),
    };

    let outcome = ami(server.addr, "s3cret").transfer(&req).await.unwrap();

    assert_eq!(outcome.reference.as_deref(), Some("PJSIP/alice-00000002"));
    finished(server).await;
}

#[tokio::test]
async fn ami_lookup_caller_reads_calleridnum() {
    let mut channels = two_channels();
    channels[1].caller = "+79161234567";
    let server = fake_ami(Script {
        secret: "s3cret",
        channels,
        silent: false,
    })
    .await;

    let caller = ami(server.addr, "s3cret")
        .lookup_caller(UUID)
        .await
        .unwrap();

    assert_eq!(caller.as_deref(), Some("+79161234567"));
    let got = finished(server).await;
    let names: Vec<&str> = got.iter().filter_map(|p| header(p, "Action")).collect();
    assert_eq!(names, ["Login", "Status", "Logoff"]);
}

#[tokio::test]
async fn ami_lookup_caller_is_none_for_unknown_numbers_and_missing_channels() {
    let mut channels = two_channels();
    channels[1].caller = "<unknown>";
    let server = fake_ami(Script {
        secret: "s3cret",
        channels,
        silent: false,
    })
    .await;
    assert_eq!(
        ami(server.addr, "s3cret").lookup_caller(UUID).await,
        Ok(None)
    );
    finished(server).await;

    let server = fake_ami(Script {
        secret: "s3cret",
        channels: two_channels(),
        silent: false,
    })
    .await;
    let other = "99999999-8888-7777-6666-555555555555";
    assert_eq!(
        ami(server.addr, "s3cret").lookup_caller(other).await,
        Ok(None)
    );
    finished(server).await;
}

#[tokio::test]
async fn ami_wrong_secret_is_rejected() {
    let server = fake_ami(Script {
        secret: "s3cret",
        channels: two_channels(),
        silent: false,
    })
    .await;

    let err = ami(server.addr, "wrong")
        .transfer(&audiosocket_request())
        .await
        .unwrap_err();

    assert_eq!(
        err,
        TransferError::Rejected("asterisk refused Login: Authentication failed".into())
    );
    let got = finished(server).await;
    assert_eq!(got.len(), 1, "nothing after the failed login: {got:?}");
}

#[tokio::test]
async fn ami_channel_not_found_is_rejected_and_nothing_is_redirected() {
    let mut channels = two_channels();
    channels.remove(1);
    let server = fake_ami(Script {
        secret: "s3cret",
        channels,
        silent: false,
    })
    .await;

    let err = ami(server.addr, "s3cret")
        .transfer(&audiosocket_request())
        .await
        .unwrap_err();

    let TransferError::Rejected(reason) = &err else {
        panic!("expected Rejected, got {err:?}");
    };
    assert!(reason.contains("FRONTLINE_CALL"), "{reason}");
    let got = finished(server).await;
    let names: Vec<&str> = got.iter().filter_map(|p| header(p, "Action")).collect();
    assert_eq!(names, ["Login", "Status", "Logoff"]);
}

#[tokio::test]
async fn ami_connection_refused_is_unreachable() {
    // A port that was just free and is closed again.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);

    let err = ami(addr, "s3cret")
        .transfer(&audiosocket_request())
        .await
        .unwrap_err();

    assert!(matches!(err, TransferError::Unreachable(_)), "{err:?}");
}

#[tokio::test]
async fn ami_silent_server_is_unreachable_after_the_timeout() {
    let server = fake_ami(Script {
        secret: "s3cret",
        channels: two_channels(),
        silent: true,
    })
    .await;
    let mut settings = ami_settings(server.addr, "s3cret");
    settings.timeout_ms = 300;
    let transfer = AsteriskAmiTransfer::new(settings).unwrap();

    let started = std::time::Instant::now();
    let err = transfer.transfer(&audiosocket_request()).await.unwrap_err();

    let TransferError::Unreachable(reason) = &err else {
        panic!("expected Unreachable, got {err:?}");
    };
    assert!(reason.contains("300 ms"), "{reason}");
    assert!(started.elapsed() < Duration::from_secs(2));
    finished(server).await;
}

#[tokio::test]
async fn a_non_ami_server_is_unreachable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        s.write_all(b"SSH-2.0-OpenSSH_9.2\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
    });

    let err = ami(addr, "s3cret")
        .transfer(&audiosocket_request())
        .await
        .unwrap_err();

    let TransferError::Unreachable(reason) = &err else {
        panic!("expected Unreachable, got {err:?}");
    };
    assert!(
        reason.contains("not an asterisk manager interface"),
        "{reason}"
    );
}

#[tokio::test]
async fn ami_refuses_media_stream_calls() {
    let transfer = ami("127.0.0.1:5038".parse().unwrap(), "s3cret");
    let err = transfer
        .transfer(&media_stream_request(Some("AC1")))
        .await
        .unwrap_err();
    assert!(matches!(err, TransferError::NotApplicable(_)), "{err:?}");
}

#[test]
fn briefings_become_one_bounded_line() {
    assert_eq!(one_line_within(" a\r\n\tb  c\u{7}d ", 100), "a b c d");
    let long = "Клиент ".repeat(200);
    let line = one_line_within(&long, AMI_BRIEFING_MAX_BYTES);
    assert!(line.len() <= AMI_BRIEFING_MAX_BYTES, "{}", line.len());
    assert!(line.ends_with('…'));
    assert!(line.starts_with("Клиент Клиент"));
    // It fits a Setvar line.
    super::super::ami::encode_action("Setvar", "frontline-1", &[("Value", &line)]).unwrap();
}

// ----- a recording HTTP server ----------------------------------------------------------------

#[derive(Debug, Clone)]
struct Recorded {
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct Reply {
    status: StatusCode,
    body: &'static str,
    delay: Duration,
    seen: Arc<Mutex<Vec<Recorded>>>,
}

/// An axum server answering every request with `status`/`body` after `delay`, recording it.
async fn http_server(
    status: StatusCode,
    body: &'static str,
    delay: Duration,
) -> (String, Arc<Mutex<Vec<Recorded>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let reply = Reply {
        status,
        body,
        delay,
        seen: seen.clone(),
    };
    let app = axum::Router::new()
        .fallback(
            |axum::extract::State(reply): axum::extract::State<Reply>,
             req: axum::extract::Request| async move {
                let (parts, body) = req.into_parts();
                let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
                reply.seen.lock().unwrap().push(Recorded {
                    method: parts.method,
                    path: parts.uri.path().to_owned(),
                    headers: parts.headers,
                    body,
                });
                tokio::time::sleep(reply.delay).await;
                (
                    reply.status,
                    [("content-type", "application/json")],
                    reply.body,
                )
            },
        )
        .with_state(reply);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (base, seen)
}

fn only(seen: &Arc<Mutex<Vec<Recorded>>>) -> Recorded {
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    seen[0].clone()
}

fn basic_auth(headers: &HeaderMap) -> (String, String) {
    let value = headers["authorization"].to_str().unwrap();
    let encoded = value.strip_prefix("Basic ").expect("basic auth");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    let decoded = String::from_utf8(decoded).unwrap();
    let (user, pass) = decoded.split_once(':').unwrap();
    (user.to_owned(), pass.to_owned())
}

/// A form body as name/value pairs, decoded the `application/x-www-form-urlencoded` way.
fn form(body: &Bytes) -> Vec<(String, String)> {
    let body = std::str::from_utf8(body).unwrap();
    reqwest::Url::parse(&format!("http://form.invalid/?{body}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

const TWILIO_CALL: &str = r#"{"sid": "CA11112222333344445555666677778888", "account_sid": "ACaaaa", "status": "in-progress", "api_version": "2010-04-01"}"#;

fn twilio(api_base: &str, extra: serde_json::Value) -> TwilioTransfer {
    let mut settings = json!({"api_base": api_base, "auth_token": "tok3n"});
    if let (Some(s), Some(e)) = (settings.as_object_mut(), extra.as_object()) {
        s.extend(e.clone());
    }
    TwilioTransfer::new(serde_json::from_value(settings).unwrap()).unwrap()
}

// ----- Twilio ---------------------------------------------------------------------------------

#[tokio::test]
async fn twilio_updates_the_call_with_the_default_twiml() {
    let (base, seen) = http_server(StatusCode::OK, TWILIO_CALL, Duration::ZERO).await;
    let transfer = twilio(&base, json!({}));

    let outcome = transfer
        .transfer(&media_stream_request(Some("ACaaaa")))
        .await
        .unwrap();

    assert_eq!(
        outcome,
        TransferOutcome {
            via: "twilio".into(),
            target: DEFAULT_TWIML.into(),
            reference: Some("in-progress".into()),
        }
    );
    let req = only(&seen);
    assert_eq!(req.method, Method::POST);
    assert_eq!(
        req.path,
        "/2010-04-01/Accounts/ACaaaa/Calls/CA11112222333344445555666677778888.json"
    );
    assert_eq!(basic_auth(&req.headers), ("ACaaaa".into(), "tok3n".into()));
    assert_eq!(
        req.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        form(&req.body),
        [("Twiml".to_owned(), DEFAULT_TWIML.to_owned())]
    );
}

#[tokio::test]
async fn twilio_url_gets_placeholders_and_the_settings_account_authenticates() {
    let (base, seen) = http_server(StatusCode::OK, TWILIO_CALL, Duration::ZERO).await;
    let transfer = twilio(
        &base,
        json!({
            "account_sid": "ACparent",
            "url": "https://pbx.example/twiml/operators?conversation={conversation_id}&why={reason}",
        }),
    );

    let outcome = transfer
        .transfer(&media_stream_request(Some("ACsub")))
        .await
        .unwrap();

    let req = only(&seen);
    // The call lives under the stream's (sub)account; the configured account signs in.
    assert_eq!(
        req.path,
        "/2010-04-01/Accounts/ACsub/Calls/CA11112222333344445555666677778888.json"
    );
    assert_eq!(basic_auth(&req.headers).0, "ACparent");
    let expected_url = "https://pbx.example/twiml/operators?conversation=42&why=customer%20asked%20for%20a%20person";
    assert_eq!(
        form(&req.body),
        [
            ("Url".to_owned(), expected_url.to_owned()),
            ("Method".to_owned(), "POST".to_owned()),
        ]
    );
    assert_eq!(outcome.target, expected_url);
}

#[tokio::test]
async fn twilio_twiml_placeholders_are_xml_escaped() {
    let (base, seen) = http_server(StatusCode::OK, TWILIO_CALL, Duration::ZERO).await;
    let transfer = twilio(
        &base,
        json!({
            "account_sid": "ACaaaa",
            "twiml": "<Response><Dial><Sip>sip:ops@pbx?X-Conv={conversation_id}&amp;X-Intent={intent}</Sip></Dial></Response>",
        }),
    );
    let mut req = media_stream_request(None);
    req.intent = Some("a<b>&\"c\"".into());

    transfer.transfer(&req).await.unwrap();

    let twiml = form(&only(&seen).body).remove(0).1;
    assert_eq!(
        twiml,
        "<Response><Dial><Sip>sip:ops@pbx?X-Conv=42&amp;X-Intent=a&lt;b&gt;&amp;&quot;c&quot;</Sip></Dial></Response>"
    );
}

#[tokio::test]
async fn twilio_404_is_rejected_with_twilios_message() {
    let body = r#"{"code": 20404, "message": "The requested resource /2010-04-01/Accounts/ACaaaa/Calls/CA11112222333344445555666677778888.json was not found", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}"#;
    let (base, _) = http_server(StatusCode::NOT_FOUND, body, Duration::ZERO).await;

    let err = twilio(&base, json!({}))
        .transfer(&media_stream_request(Some("ACaaaa")))
        .await
        .unwrap_err();

    assert_eq!(
        err,
        TransferError::Rejected(
            "twilio 404: The requested resource /2010-04-01/Accounts/ACaaaa/Calls/CA11112222333344445555666677778888.json was not found (code 20404)".into()
        )
    );
}

#[tokio::test]
async fn twilio_error_without_json_is_rejected_with_the_body_quoted() {
    let (base, _) = http_server(StatusCode::BAD_GATEWAY, "upstream\nbroke", Duration::ZERO).await;
    let err = twilio(&base, json!({}))
        .transfer(&media_stream_request(Some("ACaaaa")))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TransferError::Rejected("twilio 502: upstream broke".into())
    );
}

#[tokio::test]
async fn twilio_timeout_is_unreachable() {
    let (base, _) = http_server(StatusCode::OK, TWILIO_CALL, Duration::from_secs(3)).await;
    let transfer = twilio(&base, json!({"timeout_ms": 200}));

    let err = transfer
        .transfer(&media_stream_request(Some("ACaaaa")))
        .await
        .unwrap_err();

    assert_eq!(
        err,
        TransferError::Unreachable("no answer within 200 ms".into())
    );
}

#[tokio::test]
async fn twilio_connection_refused_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = twilio(&base, json!({}))
        .transfer(&media_stream_request(Some("ACaaaa")))
        .await
        .unwrap_err();
    assert!(matches!(err, TransferError::Unreachable(_)), "{err:?}");
}

#[tokio::test]
async fn twilio_refuses_audiosocket_calls_and_needs_an_account() {
    let transfer = twilio("http://127.0.0.1:9", json!({}));
    let err = transfer.transfer(&audiosocket_request()).await.unwrap_err();
    assert!(matches!(err, TransferError::NotApplicable(_)), "{err:?}");

    let err = transfer
        .transfer(&media_stream_request(None))
        .await
        .unwrap_err();
    assert!(matches!(err, TransferError::Misconfigured(_)), "{err:?}");
}

// ----- webhook --------------------------------------------------------------------------------

#[tokio::test]
async fn webhook_posts_the_call_and_its_context_as_json() {
    let (base, seen) = http_server(
        StatusCode::ACCEPTED,
        r#"{"reference": "ticket-9"}"#,
        Duration::ZERO,
    )
    .await;
    let settings: WebhookTransferSettings = serde_json::from_value(json!({
        "url": format!("{base}/hooks/transfer?token=abc"),
        "secret": "hook-secret",
    }))
    .unwrap();
    let transfer = WebhookTransfer::new(settings).unwrap();

    let outcome = transfer
        .transfer(&media_stream_request(Some("ACaaaa")))
        .await
        .unwrap();

    assert_eq!(
        outcome,
        TransferOutcome {
            via: "webhook".into(),
            target: format!("{base}/hooks/transfer"),
            reference: Some("ticket-9".into()),
        }
    );
    let req = only(&seen);
    assert_eq!(req.method, Method::POST);
    assert_eq!(req.path, "/hooks/transfer");
    assert_eq!(req.headers["authorization"], "Bearer hook-secret");
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(
        body,
        json!({
            "call_id": "CA11112222333344445555666677778888",
            "line": 3,
            "telephony": "media_stream",
            "uuid": null,
            "stream_sid": "MZ18ad3ab5a668481ce02b83e7395059f0",
            "call_sid": "CA11112222333344445555666677778888",
            "account_sid": "ACaaaa",
            "caller": "+79161234567",
            "conversation_id": 42,
            "reason": "customer asked for a person",
            "intent": "order_status",
            "summary": "wants to know where order 1234 is",
            "briefing": "Intent: order status\nOrder: 1234\r\n\tCaller is upset",
            "slots": {"order_number": "1234"},
        })
    );
}

#[tokio::test]
async fn webhook_carries_the_audiosocket_uuid_and_works_without_a_secret() {
    let (base, seen) = http_server(StatusCode::OK, "", Duration::ZERO).await;
    let transfer =
        WebhookTransfer::new(serde_json::from_value(json!({"url": format!("{base}/t")})).unwrap())
            .unwrap();

    let outcome = transfer.transfer(&audiosocket_request()).await.unwrap();

    assert_eq!(outcome.reference, None);
    let req = only(&seen);
    assert!(req.headers.get("authorization").is_none());
    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["telephony"], "audiosocket");
    assert_eq!(body["uuid"], UUID);
    assert_eq!(body["call_sid"], serde_json::Value::Null);
}

#[tokio::test]
async fn webhook_non_2xx_is_rejected() {
    let (base, _) = http_server(
        StatusCode::CONFLICT,
        r#"{"error": "no operators online"}"#,
        Duration::ZERO,
    )
    .await;
    let transfer =
        WebhookTransfer::new(serde_json::from_value(json!({"url": format!("{base}/t")})).unwrap())
            .unwrap();

    let err = transfer.transfer(&audiosocket_request()).await.unwrap_err();

    assert_eq!(
        err,
        TransferError::Rejected(r#"webhook answered 409: {"error": "no operators online"}"#.into())
    );
}

#[tokio::test]
async fn webhook_timeout_is_unreachable() {
    let (base, _) = http_server(StatusCode::OK, "", Duration::from_secs(3)).await;
    let transfer = WebhookTransfer::new(
        serde_json::from_value(json!({"url": format!("{base}/t"), "timeout_ms": 200})).unwrap(),
    )
    .unwrap();
    let err = transfer.transfer(&audiosocket_request()).await.unwrap_err();
    assert_eq!(
        err,
        TransferError::Unreachable("no answer within 200 ms".into())
    );
}

// ----- settings -------------------------------------------------------------------------------

#[test]
fn settings_parse_with_defaults() {
    let t = transferer_from_settings(&json!({
        "kind": "asterisk_ami", "address": "pbx.local:5038", "username": "u", "secret": "p",
    }))
    .unwrap();
    assert_eq!(t.name(), "asterisk_ami");

    let s: TransferSettings = serde_json::from_value(json!({
        "kind": "asterisk_ami", "address": "pbx.local:5038", "username": "u", "secret": "p",
    }))
    .unwrap();
    let TransferSettings::AsteriskAmi(s) = s else {
        panic!("{s:?}");
    };
    assert_eq!(
        (s.context.as_str(), s.exten.as_str(), s.priority),
        ("operators", "s", 1)
    );
    assert_eq!(s.uuid_variable, "FRONTLINE_CALL");
    assert_eq!(s.briefing_variable, "FRONTLINE_BRIEFING");
    assert_eq!(s.conversation_variable, "FRONTLINE_CONVERSATION");
    assert_eq!(s.timeout_ms, 5000);

    let s: TransferSettings =
        serde_json::from_value(json!({"kind": "twilio", "auth_token": "t"})).unwrap();
    let TransferSettings::Twilio(s) = s else {
        panic!("{s:?}");
    };
    assert_eq!(s.api_base, "https://api.twilio.com");
    assert_eq!((s.twiml, s.url, s.account_sid), (None, None, None));

    let t = transferer_from_settings(&json!({"kind": "webhook", "url": "https://glue.example/t"}))
        .unwrap();
    assert_eq!(t.name(), "webhook");
}

#[test]
fn bad_settings_are_refused() {
    let cases = [
        json!({"kind": "twilio", "auth_token": "t", "surprise": 1}),
        json!({"kind": "carrier_pigeon"}),
        json!({"kind": "twilio", "auth_token": "t", "twiml": "<Response/>", "url": "https://x/y"}),
        json!({"kind": "twilio", "auth_token": " "}),
        json!({"kind": "twilio", "auth_token": "t", "api_base": "ftp://api.twilio.com"}),
        json!({"kind": "twilio", "auth_token": "t", "url": "/relative/twiml"}),
        json!({"kind": "twilio", "auth_token": "t", "timeout_ms": 0}),
        json!({"kind": "webhook", "url": "not a url"}),
        json!({"kind": "webhook", "url": "https://x/y", "secret": ""}),
        json!({"kind": "webhook", "url": "https://x/y", "timeout_ms": 600000}),
        json!({"kind": "asterisk_ami", "address": "pbx.local", "username": "u", "secret": "p"}),
        json!({"kind": "asterisk_ami", "address": "pbx:5038", "username": "u", "secret": ""}),
        json!({"kind": "asterisk_ami", "address": "pbx:5038", "username": "u", "secret": "p",
               "uuid_variable": "BAD NAME"}),
        json!({"kind": "asterisk_ami", "address": "pbx:5038", "username": "u", "secret": "p",
               "context": "ops\r\nAction: Originate"}),
        json!({"kind": "asterisk_ami", "address": "pbx:5038", "username": "u", "secret": "p",
               "priority": 0}),
    ];
    for case in cases {
        assert!(transferer_from_settings(&case).is_err(), "accepted {case}");
    }
}

#[test]
fn debug_output_never_shows_secrets() {
    let shown = [
        format!(
            "{:?}",
            transferer_from_settings(&json!({"kind": "twilio", "auth_token": "tok-SECRET"}))
                .unwrap()
        ),
        format!(
            "{:?}",
            transferer_from_settings(&json!({
                "kind": "webhook", "url": "https://u:pw-SECRET@x/y?token=q-SECRET", "secret": "h-SECRET",
            }))
            .unwrap()
        ),
        format!(
            "{:?}",
            transferer_from_settings(&json!({
                "kind": "asterisk_ami", "address": "pbx:5038", "username": "u", "secret": "a-SECRET",
            }))
            .unwrap()
        ),
    ];
    for s in shown {
        assert!(!s.contains("SECRET"), "{s}");
        assert!(s.contains("<redacted>"), "{s}");
    }
}
