//! A small client for the Asterisk Manager Interface (AMI): the control plane that moves a call
//! out of `AudioSocket()` and to the operators, since the media socket itself cannot (an
//! AudioSocket hangup from our side ends the channel).
//!
//! The wire, as `main/manager.c` writes it: on connect one banner line
//! `Asterisk Call Manager/x.y.z`; then packets of `Name: value` lines ending in CRLF, each packet
//! ended by an empty line. We send actions (`Action: …` plus an `ActionID` we choose); Asterisk
//! answers with one `Response: Success|Error` packet (`Message: …` says why) carrying the same
//! `ActionID`. List actions such as `Status` follow the response with events tagged by that
//! `ActionID` and close with a `…Complete` event. Unsolicited events (`FullyBooted` after login,
//! anything the user may read) can arrive at any point, so everything is matched by `ActionID`.
//!
//! No timeouts here: callers bound a whole session with `tokio::time::timeout`, which is what a
//! transfer needs anyway (one deadline, not one per line).

use std::collections::BTreeMap;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// The banner's fixed prefix; anything else on the port is not AMI.
const BANNER_PREFIX: &str = "Asterisk Call Manager/";
/// Longest line we accept from the server. Asterisk's own lines are far shorter; the cap only
/// keeps a misbehaving peer from growing a buffer without end.
const MAX_LINE_BYTES: u64 = 64 * 1024;
/// Most headers in one packet (a Status event with all variables has a few dozen).
const MAX_HEADERS: usize = 4096;
/// Most events one list action may return before we stop collecting.
const MAX_LIST_EVENTS: usize = 100_000;
/// Asterisk reads action lines into a 1025-byte buffer and drops longer ones ("Dumping long line
/// with no return"), so a line we send must stay below that, `\r\n` included.
pub const MAX_ACTION_LINE_BYTES: usize = 1022;

#[derive(Debug, thiserror::Error)]
pub enum AmiError {
    #[error("ami connection failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("ami connection closed by the server")]
    Closed,
    #[error("not an asterisk manager interface (banner {0:?})")]
    NotAmi(String),
    /// Asterisk answered `Response: Error`.
    #[error("ami {action} failed: {message}")]
    Failed { action: String, message: String },
    /// A header we were asked to send would break the packet framing or Asterisk's line limit.
    #[error("invalid ami header {0}")]
    InvalidHeader(String),
    #[error("ami server sent an oversized {0}")]
    TooLarge(&'static str),
}

/// One AMI packet: a response or an event, headers in wire order (names may repeat, e.g. the
/// `Variable` lines of a `Status` event).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AmiMessage {
    headers: Vec<(String, String)>,
}

impl AmiMessage {
    pub fn from_headers(headers: Vec<(String, String)>) -> Self {
        Self { headers }
    }

    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first header with this name (AMI header names are case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn event(&self) -> Option<&str> {
        self.get("Event")
    }

    pub fn response(&self) -> Option<&str> {
        self.get("Response")
    }

    pub fn action_id(&self) -> Option<&str> {
        self.get("ActionID")
    }

    /// Channel variables carried by the packet: `Variable: NAME=value` lines (the `Variables:`
    /// argument of `Status`) and `ChanVariable: NAME=value` / `ChanVariable(chan): NAME=value`
    /// lines (`channelvars` of manager.conf, older and newer spellings). Later lines win.
    pub fn variables(&self) -> BTreeMap<String, String> {
        let mut vars = BTreeMap::new();
        for (k, v) in &self.headers {
            let is_var = k.eq_ignore_ascii_case("Variable")
                || k.get(..12)
                    .is_some_and(|p| p.eq_ignore_ascii_case("ChanVariable"));
            if !is_var {
                continue;
            }
            if let Some((name, value)) = v.split_once('=') {
                vars.insert(name.trim().to_owned(), value.to_owned());
            }
        }
        vars
    }
}

/// Reads the next packet, skipping stray empty lines before it. `Ok(None)` at a clean end of
/// stream before any header. Accepts bare `\n` as well as `\r\n`.
pub async fn read_message<R>(reader: &mut R) -> Result<Option<AmiMessage>, AmiError>
where
    R: AsyncBufRead + Unpin,
{
    let mut headers = Vec::new();
    loop {
        let Some(line) = read_line(reader).await? else {
            return if headers.is_empty() {
                Ok(None)
            } else {
                // A packet cut off by the close is not trustworthy (its ActionID may be missing).
                Err(AmiError::Closed)
            };
        };
        if line.is_empty() {
            if headers.is_empty() {
                continue;
            }
            return Ok(Some(AmiMessage { headers }));
        }
        if headers.len() >= MAX_HEADERS {
            return Err(AmiError::TooLarge("packet"));
        }
        // `Name: value`; a line without a colon (only `Command` output has those) is kept whole.
        let (name, value) = match line.split_once(':') {
            Some((n, v)) => (
                n.trim().to_owned(),
                v.strip_prefix(' ').unwrap_or(v).to_owned(),
            ),
            None => (String::new(), line),
        };
        headers.push((name, value));
    }
}

/// One line without its terminator; `None` at end of stream.
async fn read_line<R>(reader: &mut R) -> Result<Option<String>, AmiError>
where
    R: AsyncBufRead + Unpin,
{
    let mut buf = Vec::new();
    let n = (&mut *reader)
        .take(MAX_LINE_BYTES + 1)
        .read_until(b'\n', &mut buf)
        .await?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') {
        if n as u64 > MAX_LINE_BYTES {
            return Err(AmiError::TooLarge("line"));
        }
        // The stream ended mid-line.
        return Err(AmiError::Closed);
    }
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

/// Builds an action packet; refuses anything that could end a line or the packet early (an
/// injected `\r\n` would let text from a call smuggle in a second action).
pub fn encode_action(
    action: &str,
    action_id: &str,
    headers: &[(&str, &str)],
) -> Result<String, AmiError> {
    let mut out = String::new();
    let all = [("Action", action), ("ActionID", action_id)];
    for (name, value) in all.iter().chain(headers) {
        let bad_name = name.is_empty()
            || name
                .chars()
                .any(|c| c == ':' || c.is_whitespace() || c.is_control());
        if bad_name {
            return Err(AmiError::InvalidHeader(format!("name {name:?}")));
        }
        if value.chars().any(|c| c == '\r' || c == '\n') {
            return Err(AmiError::InvalidHeader(format!(
                "{name}: contains a line break"
            )));
        }
        let line = format!("{name}: {value}\r\n");
        if line.len() > MAX_ACTION_LINE_BYTES {
            return Err(AmiError::InvalidHeader(format!(
                "{name}: {} bytes, longer than asterisk accepts",
                line.len()
            )));
        }
        out.push_str(&line);
    }
    out.push_str("\r\n");
    Ok(out)
}

/// A logged-in (or about to be) AMI session over TCP.
#[derive(Debug)]
pub struct AmiClient {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    banner: String,
    next_action: u64,
}

impl AmiClient {
    /// Connects and reads the banner.
    pub async fn connect(address: &str) -> Result<Self, AmiError> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        let (read, writer) = stream.into_split();
        let mut reader = BufReader::new(read);
        let banner = read_line(&mut reader).await?.ok_or(AmiError::Closed)?;
        if !banner.starts_with(BANNER_PREFIX) {
            return Err(AmiError::NotAmi(banner.chars().take(80).collect()));
        }
        Ok(Self {
            reader,
            writer,
            banner,
            next_action: 0,
        })
    }

    /// The banner line, e.g. `Asterisk Call Manager/9.0.0`.
    pub fn banner(&self) -> &str {
        &self.banner
    }

    /// Plain-text login with `Events: off`: this session only needs answers to its own actions,
    /// and fewer unsolicited events means less to skip.
    pub async fn login(&mut self, username: &str, secret: &str) -> Result<(), AmiError> {
        self.action(
            "Login",
            &[
                ("Username", username),
                ("Secret", secret),
                ("Events", "off"),
            ],
        )
        .await
        .map(drop)
    }

    /// Sends an action and waits for its response; `Response: Error` becomes
    /// [`AmiError::Failed`].
    pub async fn action(
        &mut self,
        action: &str,
        headers: &[(&str, &str)],
    ) -> Result<AmiMessage, AmiError> {
        let id = self.send(action, headers).await?;
        loop {
            let msg = self.next_message().await?;
            if msg.action_id() == Some(id.as_str()) && msg.response().is_some() {
                return check_response(action, msg);
            }
            tracing::trace!(event = msg.event().unwrap_or(""), "ami packet skipped");
        }
    }

    /// Sends a list action (`Status`, …) and collects its events until `complete_event` (or a
    /// packet saying `EventList: Complete`). Returns the events, not the completion marker.
    pub async fn action_list(
        &mut self,
        action: &str,
        headers: &[(&str, &str)],
        complete_event: &str,
    ) -> Result<Vec<AmiMessage>, AmiError> {
        let id = self.send(action, headers).await?;
        let mut events = Vec::new();
        loop {
            let msg = self.next_message().await?;
            if msg.action_id() != Some(id.as_str()) {
                tracing::trace!(event = msg.event().unwrap_or(""), "ami packet skipped");
                continue;
            }
            if msg.response().is_some() {
                check_response(action, msg)?;
                continue;
            }
            let complete = msg
                .event()
                .is_some_and(|e| e.eq_ignore_ascii_case(complete_event))
                || msg
                    .get("EventList")
                    .is_some_and(|e| e.eq_ignore_ascii_case("Complete"));
            if complete {
                return Ok(events);
            }
            if events.len() >= MAX_LIST_EVENTS {
                return Err(AmiError::TooLarge("event list"));
            }
            events.push(msg);
        }
    }

    /// Ends the session politely (`Response: Goodbye`), then drops the connection.
    pub async fn logoff(mut self) -> Result<(), AmiError> {
        let id = self.send("Logoff", &[]).await?;
        loop {
            match self.next_message().await {
                Ok(msg) if msg.action_id() == Some(id.as_str()) => return Ok(()),
                Ok(_) => continue,
                // Asterisk closes right after the goodbye; a close is as good as one.
                Err(AmiError::Closed) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    async fn send(&mut self, action: &str, headers: &[(&str, &str)]) -> Result<String, AmiError> {
        self.next_action += 1;
        let id = format!("frontline-{}", self.next_action);
        let packet = encode_action(action, &id, headers)?;
        self.writer.write_all(packet.as_bytes()).await?;
        self.writer.flush().await?;
        Ok(id)
    }

    async fn next_message(&mut self) -> Result<AmiMessage, AmiError> {
        read_message(&mut self.reader)
            .await?
            .ok_or(AmiError::Closed)
    }
}

fn check_response(action: &str, msg: AmiMessage) -> Result<AmiMessage, AmiError> {
    let ok = msg.response().is_some_and(|r| {
        // `Goodbye` answers Logoff, `Follows` answers Command; only `Error` is a refusal.
        !r.eq_ignore_ascii_case("Error")
    });
    if ok {
        Ok(msg)
    } else {
        Err(AmiError::Failed {
            action: action.to_owned(),
            message: msg.get("Message").unwrap_or("no message").to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parse_all(wire: &str) -> Result<Vec<AmiMessage>, AmiError> {
        let mut reader = BufReader::new(wire.as_bytes());
        let mut out = Vec::new();
        while let Some(m) = read_message(&mut reader).await? {
            out.push(m);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn packets_split_on_blank_lines_with_crlf_or_lf() {
        let wire = "\r\nResponse: Success\r\nActionID: a1\r\nMessage: Authentication accepted\r\n\r\n\
                    Event: FullyBooted\nPrivilege: system,all\nStatus: Fully Booted\n\n";
        let msgs = parse_all(wire).await.unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].response(), Some("Success"));
        assert_eq!(msgs[0].action_id(), Some("a1"));
        assert_eq!(msgs[0].get("message"), Some("Authentication accepted"));
        assert_eq!(msgs[1].event(), Some("FullyBooted"));
        assert_eq!(msgs[1].get("Status"), Some("Fully Booted"));
    }

    #[tokio::test]
    async fn values_keep_colons_and_empty_values_stay_empty() {
        let wire = "Event: Status\r\nData: AudioSocket(x,127.0.0.1:9092)\r\nAccountCode:\r\n\r\n";
        let msgs = parse_all(wire).await.unwrap();
        assert_eq!(msgs[0].get("Data"), Some("AudioSocket(x,127.0.0.1:9092)"));
        assert_eq!(msgs[0].get("AccountCode"), Some(""));
    }

    #[tokio::test]
    async fn variables_come_from_variable_and_chanvariable_lines() {
        let wire = "Event: Status\r\nVariable: FRONTLINE_CALL=abc=def\r\n\
                    Variable: EMPTY=\r\nChanVariable(PJSIP/1-0001): TENANT=7\r\n\
                    ChanVariable: QUEUE=support\r\nVariable: not-a-pair\r\n\r\n";
        let vars = parse_all(wire).await.unwrap()[0].variables();
        assert_eq!(
            vars.get("FRONTLINE_CALL").map(String::as_str),
            Some("abc=def")
        );
        assert_eq!(vars.get("EMPTY").map(String::as_str), Some(""));
        assert_eq!(vars.get("TENANT").map(String::as_str), Some("7"));
        assert_eq!(vars.get("QUEUE").map(String::as_str), Some("support"));
        assert_eq!(vars.len(), 4);
    }

    #[tokio::test]
    async fn a_packet_cut_off_by_close_is_an_error() {
        let err = parse_all("Response: Success\r\nActionID: 1\r\n")
            .await
            .unwrap_err();
        assert!(matches!(err, AmiError::Closed), "{err:?}");
        let err = parse_all("Response: Succ").await.unwrap_err();
        assert!(matches!(err, AmiError::Closed), "{err:?}");
    }

    #[tokio::test]
    async fn an_endless_line_is_refused() {
        let wire = "X".repeat(MAX_LINE_BYTES as usize + 10);
        let err = parse_all(&wire).await.unwrap_err();
        assert!(matches!(err, AmiError::TooLarge("line")), "{err:?}");
    }

    #[test]
    fn actions_are_crlf_framed_and_refuse_injection() {
        let packet = encode_action(
            "Setvar",
            "frontline-3",
            &[("Variable", "X"), ("Value", "a: b")],
        )
        .unwrap();
        assert_eq!(
            packet,
            "Action: Setvar\r\nActionID: frontline-3\r\nVariable: X\r\nValue: a: b\r\n\r\n"
        );
        let err = encode_action("Setvar", "1", &[("Value", "x\r\nAction: Originate")]).unwrap_err();
        assert!(matches!(err, AmiError::InvalidHeader(_)), "{err:?}");
        let err = encode_action("Setvar", "1", &[("Bad Name", "x")]).unwrap_err();
        assert!(matches!(err, AmiError::InvalidHeader(_)), "{err:?}");
        let long = "я".repeat(600);
        let err = encode_action("Setvar", "1", &[("Value", &long)]).unwrap_err();
        assert!(matches!(err, AmiError::InvalidHeader(_)), "{err:?}");
    }
}
