//! An Asterisk transfer over AMI ([`super::ami`]): find the channel whose `FRONTLINE_CALL`
//! variable holds the AudioSocket UUID, store the briefing and conversation id on it and
//! `Redirect` it to the operators' context; Asterisk then leaves `AudioSocket()` and closes the
//! socket. The same lookup tells the caller's number, which the AudioSocket wire does not carry.
//! The dialplan this expects:
//!
//! ```text
//! [bot]
//! exten => _X.,1,Answer()
//!  same => n,Set(FRONTLINE_CALL=${UUID()})
//!  same => n,AudioSocket(${FRONTLINE_CALL},bot.example:9092)
//!  same => n,Hangup()
//! [operators]
//! exten => s,1,Set(CALLERID(name)=${FRONTLINE_CONVERSATION})
//!  same => n,Queue(support)
//! ```

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tokio::time::{Instant, timeout_at};

use super::ami::{AmiClient, AmiError, AmiMessage};
use super::{
    TransferConfigError, TransferError, TransferOutcome, TransferRequest, Transferer,
    check_timeout, default_timeout_ms, one_line, redact,
};
use crate::voice::leg::Telephony;

/// The briefing stored on an Asterisk channel. One `Value:` line must stay under Asterisk's
/// 1024-byte AMI line buffer; 900 bytes is ~450 Cyrillic characters, plenty for a screen-pop.
const AMI_BRIEFING_MAX_BYTES: usize = 900;

fn default_ami_context() -> String {
    "operators".to_owned()
}
fn default_ami_exten() -> String {
    "s".to_owned()
}
fn default_ami_priority() -> u32 {
    1
}
fn default_uuid_variable() -> String {
    "FRONTLINE_CALL".to_owned()
}
fn default_briefing_variable() -> String {
    "FRONTLINE_BRIEFING".to_owned()
}
fn default_conversation_variable() -> String {
    "FRONTLINE_CONVERSATION".to_owned()
}

/// `{"kind": "asterisk_ami", "address": "pbx:5038", "username": "…", "secret": "…"}`; the rest
/// defaults to the dialplan in the module docs.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsteriskAmiTransferSettings {
    /// `host:port` of the manager interface (Asterisk's default port is 5038).
    pub address: String,
    pub username: String,
    pub secret: String,
    #[serde(default = "default_ami_context")]
    pub context: String,
    #[serde(default = "default_ami_exten")]
    pub exten: String,
    #[serde(default = "default_ami_priority")]
    pub priority: u32,
    /// The channel variable holding the AudioSocket UUID.
    #[serde(default = "default_uuid_variable")]
    pub uuid_variable: String,
    /// Where the operator briefing is stored on the channel.
    #[serde(default = "default_briefing_variable")]
    pub briefing_variable: String,
    /// Where the conversation id is stored on the channel.
    #[serde(default = "default_conversation_variable")]
    pub conversation_variable: String,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

impl fmt::Debug for AsteriskAmiTransferSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsteriskAmiTransferSettings")
            .field("address", &self.address)
            .field("username", &self.username)
            .field("secret", &redact(&self.secret))
            .field("context", &self.context)
            .field("exten", &self.exten)
            .field("priority", &self.priority)
            .field("uuid_variable", &self.uuid_variable)
            .field("briefing_variable", &self.briefing_variable)
            .field("conversation_variable", &self.conversation_variable)
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// How long a polite logoff may take once the real work is done.
const AMI_LOGOFF_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct AsteriskAmiTransfer {
    settings: AsteriskAmiTransferSettings,
    timeout: Duration,
}

impl AsteriskAmiTransfer {
    pub fn new(settings: AsteriskAmiTransferSettings) -> Result<Self, TransferConfigError> {
        let port_ok = settings
            .address
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !port_ok {
            return Err(TransferConfigError(
                "address must be host:port (asterisk's default port is 5038)".into(),
            ));
        }
        for (field, value) in [
            ("username", &settings.username),
            ("secret", &settings.secret),
            ("context", &settings.context),
            ("exten", &settings.exten),
        ] {
            if value.trim().is_empty() {
                return Err(TransferConfigError(format!("{field} is empty")));
            }
            if value.chars().any(char::is_control) {
                return Err(TransferConfigError(format!(
                    "{field} contains control characters"
                )));
            }
        }
        for (field, value) in [
            ("uuid_variable", &settings.uuid_variable),
            ("briefing_variable", &settings.briefing_variable),
            ("conversation_variable", &settings.conversation_variable),
        ] {
            let ok =
                !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                return Err(TransferConfigError(format!(
                    "{field} must be a channel variable name (letters, digits, _)"
                )));
            }
        }
        if settings.priority == 0 {
            return Err(TransferConfigError("priority starts at 1".into()));
        }
        let timeout = check_timeout(settings.timeout_ms)?;
        Ok(Self { settings, timeout })
    }

    /// The caller's number (`CallerIDNum`) of the channel running this AudioSocket call: the
    /// AudioSocket wire does not carry it. `None` when the channel is not found or has no number.
    pub async fn lookup_caller(&self, uuid: &str) -> Result<Option<String>, TransferError> {
        let deadline = Instant::now() + self.timeout;
        let mut client = self.login(deadline).await?;
        let found = timeout_at(deadline, self.find_channel(&mut client, uuid))
            .await
            .map_err(|_| self.timed_out())
            .and_then(|r| r);
        self.logoff(client).await;
        let caller = found?.and_then(|ch| {
            ch.get("CallerIDNum")
                .map(str::trim)
                .filter(|n| !n.is_empty() && *n != "<unknown>")
                .map(str::to_owned)
        });
        tracing::debug!(uuid, found = caller.is_some(), "asterisk caller lookup");
        Ok(caller)
    }

    fn timed_out(&self) -> TransferError {
        TransferError::Unreachable(format!(
            "no answer from asterisk at {} within {} ms",
            self.settings.address,
            self.timeout.as_millis()
        ))
    }

    async fn login(&self, deadline: Instant) -> Result<AmiClient, TransferError> {
        let s = &self.settings;
        let work = async {
            let mut client = AmiClient::connect(&s.address).await?;
            tracing::debug!(
                address = %s.address,
                username = %s.username,
                banner = client.banner(),
                "ami login"
            );
            client.login(&s.username, &s.secret).await?;
            Ok::<_, AmiError>(client)
        };
        match timeout_at(deadline, work).await {
            Err(_) => Err(self.timed_out()),
            Ok(r) => r.map_err(|e| ami_failure(&s.address, e)),
        }
    }

    /// The `Status` event of the channel whose UUID variable holds `uuid`. Several can match
    /// when the dialplan made the variable inherited (`__FRONTLINE_CALL`); the one running
    /// `AudioSocket` is the caller's.
    async fn find_channel(
        &self,
        client: &mut AmiClient,
        uuid: &str,
    ) -> Result<Option<AmiMessage>, TransferError> {
        let var = &self.settings.uuid_variable;
        let want = normalize_uuid(uuid);
        if want.is_empty() {
            return Ok(None);
        }
        let events = client
            .action_list("Status", &[("Variables", var)], "StatusComplete")
            .await
            .map_err(|e| ami_failure(&self.settings.address, e))?;
        let mut matches: Vec<AmiMessage> = events
            .into_iter()
            .filter(|e| e.event().is_some_and(|n| n.eq_ignore_ascii_case("Status")))
            .filter(|e| {
                e.variables()
                    .get(var)
                    .is_some_and(|v| normalize_uuid(v) == want)
            })
            .collect();
        if matches.is_empty() {
            return Ok(None);
        }
        let best = matches
            .iter()
            .position(|m| {
                m.get("Application")
                    .is_some_and(|a| a.eq_ignore_ascii_case("AudioSocket"))
            })
            .unwrap_or(0);
        Ok(Some(matches.swap_remove(best)))
    }

    async fn redirect(
        &self,
        client: &mut AmiClient,
        uuid: &str,
        req: &TransferRequest,
    ) -> Result<String, TransferError> {
        let s = &self.settings;
        let channel = self.find_channel(client, uuid).await?.ok_or_else(|| {
            TransferError::Rejected(format!(
                "no asterisk channel has {}={uuid} (hung up, or the dialplan does not set it)",
                s.uuid_variable
            ))
        })?;
        let name = channel
            .get("Channel")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| TransferError::Rejected("status event without a channel name".into()))?
            .to_owned();
        let briefing = one_line_within(&req.briefing, AMI_BRIEFING_MAX_BYTES);
        let conversation = req.conversation_id.to_string();
        let priority = s.priority.to_string();
        let fail = |e| ami_failure(&s.address, e);
        client
            .action(
                "Setvar",
                &[
                    ("Channel", &name),
                    ("Variable", &s.briefing_variable),
                    ("Value", &briefing),
                ],
            )
            .await
            .map_err(fail)?;
        client
            .action(
                "Setvar",
                &[
                    ("Channel", &name),
                    ("Variable", &s.conversation_variable),
                    ("Value", &conversation),
                ],
            )
            .await
            .map_err(fail)?;
        client
            .action(
                "Redirect",
                &[
                    ("Channel", &name),
                    ("Context", &s.context),
                    ("Exten", &s.exten),
                    ("Priority", &priority),
                ],
            )
            .await
            .map_err(fail)?;
        Ok(name)
    }

    /// Best effort: the transfer already happened (or failed) by now.
    async fn logoff(&self, client: AmiClient) {
        let wait = self.timeout.min(AMI_LOGOFF_TIMEOUT);
        match tokio::time::timeout(wait, client.logoff()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, "ami logoff failed"),
            Err(_) => tracing::debug!("ami logoff timed out"),
        }
    }
}

/// UUIDs compare without case or hyphens: `${UUID()}` is lower-case and hyphenated, an adapter
/// may print the 16 bytes differently.
fn normalize_uuid(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

fn ami_failure(address: &str, e: AmiError) -> TransferError {
    match e {
        AmiError::Failed { action, message } => {
            TransferError::Rejected(format!("asterisk refused {action}: {message}"))
        }
        AmiError::InvalidHeader(what) => TransferError::Misconfigured(format!("ami header {what}")),
        e @ (AmiError::Io(_) | AmiError::Closed | AmiError::NotAmi(_) | AmiError::TooLarge(_)) => {
            TransferError::Unreachable(format!("{address}: {e}"))
        }
    }
}

#[async_trait]
impl Transferer for AsteriskAmiTransfer {
    fn name(&self) -> &str {
        "asterisk_ami"
    }

    async fn transfer(&self, req: &TransferRequest) -> Result<TransferOutcome, TransferError> {
        let Telephony::AudioSocket { uuid } = &req.call.telephony else {
            return Err(TransferError::NotApplicable(format!(
                "asterisk ami cannot transfer a {} call",
                req.call.telephony.kind()
            )));
        };
        let deadline = Instant::now() + self.timeout;
        let mut client = self.login(deadline).await?;
        let result = timeout_at(deadline, self.redirect(&mut client, uuid, req))
            .await
            .map_err(|_| self.timed_out())
            .and_then(|r| r);
        self.logoff(client).await;
        let channel = result?;
        let s = &self.settings;
        let target = format!("{},{},{}", s.context, s.exten, s.priority);
        tracing::info!(
            conversation_id = %req.conversation_id,
            uuid = %uuid,
            channel = %channel,
            target = %target,
            "asterisk channel redirected to operators"
        );
        Ok(TransferOutcome {
            via: self.name().to_owned(),
            target,
            reference: Some(channel),
        })
    }
}

/// [`one_line`], then cut at a character boundary so that the result (with its `…`) fits
/// `max_bytes`.
fn one_line_within(text: &str, max_bytes: usize) -> String {
    let line = one_line(text);
    if line.len() <= max_bytes {
        return line;
    }
    let ellipsis = '…';
    let mut end = max_bytes.saturating_sub(ellipsis.len_utf8());
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{ellipsis}", line[..end].trim_end())
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use serde_json::json;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;
    use tokio::task::JoinHandle;

    use super::super::fixtures::{UUID, audiosocket_request, media_stream_request};
    use super::*;

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
}
