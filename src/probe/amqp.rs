//! `amqp://[USER:PASSWORD@]HOST[:PORT][/VHOST]` (`amqps://` over TLS):
//! RabbitMQ and other AMQP 0-9-1 brokers. Without credentials, ready means
//! the broker answers the protocol header with `connection.start` (it
//! accepts connections; nothing is logged in). With credentials, ready means
//! the vhost opens: start, start-ok (PLAIN), tune, tune-ok, open, open-ok,
//! then a clean close (close, close-ok). A refused login (403
//! ACCESS_REFUSED, or a broker that just hangs up after start-ok, as
//! RabbitMQ does for clients that do not announce
//! `authentication_failure_close`) and an unknown vhost (530 NOT_ALLOWED)
//! are unhealthy in words; a server answering with another protocol header
//! (AMQP 1.0's) says what it speaks.
//!
//! Every frame is read whole under a ceiling ([`MAX_FRAME`]): RabbitMQ's
//! connection.start is about 500 bytes, and nothing else this check reads is
//! longer. Text from the broker (its close reason, its product and version)
//! is scrubbed of the URL's user name and password before it is shown
//! (the shared scrub: the name where it stands as a word, the password
//! wherever it appears).
//!
//! Cost, slim x86_64 build: 8,320 bytes of code and data (plus 1,360 of
//! unwind tables, which the release artifacts drop). Constant client
//! properties, one write helper and one reader per expected method took it
//! down from 9,696; the broker's name and version in the line are kept.

use std::io::{Read, Write};
use std::sync::Arc;

use crate::deadline::Deadline;
use crate::net::conn::Conn;
use crate::net::describe_io;
use crate::probe::{Notes, Outcome, Probe};
use crate::redacted::{Secrets, scrub_text};
use crate::report::printable;
use crate::target::Url;
use crate::tls;

/// The protocol header of AMQP 0-9-1.
const HEADER: &[u8; 8] = b"AMQP\x00\x00\x09\x01";
/// The longest frame read (RabbitMQ's connection.start: about 500 bytes).
const MAX_FRAME: usize = 16 * 1024;
/// Frames read while waiting for one method (heartbeats may come between).
const MAX_FRAMES: usize = 8;
const FRAME_METHOD: u8 = 1;
const FRAME_HEARTBEAT: u8 = 8;
const FRAME_END: u8 = 0xce;
/// The connection class and its methods.
const CONNECTION: u16 = 10;
const START: u16 = 10;
const START_OK: u16 = 11;
const TUNE: u16 = 30;
const TUNE_OK: u16 = 31;
const OPEN: u16 = 40;
const OPEN_OK: u16 = 41;
const CLOSE: u16 = 50;
const CLOSE_OK: u16 = 51;
/// start-ok's client properties, a field table: product "healthprobe",
/// and the capability authentication_failure_close, which asks a broker
/// to refuse a login with connection.close (403) rather than a bare
/// hang-up, so the reason can be told.
const CLIENT_PROPERTIES: &[u8] = b"\x00\x00\x00\x49\
    \x07productS\x00\x00\x00\x0bhealthprobe\
    \x0ccapabilitiesF\x00\x00\x00\x1f\x1cauthentication_failure_closet\x01";
/// connection.close's arguments: 200 (a normal close), no text, no
/// failing class or method.
const CLOSE_NORMALLY: [u8; 7] = [0, 200, 0, 0, 0, 0, 0];
/// Reply codes of connection.close.
const ACCESS_REFUSED: u16 = 403;
const NOT_ALLOWED: u16 = 530;
/// The longest text from the broker shown.
const MAX_TEXT: usize = 160;

#[derive(Debug, Clone)]
pub struct AmqpCheck {
    pub url: Url,
    pub tls: Arc<tls::Settings>,
}

impl Probe for AmqpCheck {
    fn secrets(&self) -> Secrets<'_> {
        self.url.secrets()
    }

    fn subject(&self) -> String {
        let user = self.url.user_at();
        let path = self.url.path.split('?').next().unwrap_or("");
        let path = if path == "/" { "" } else { path };
        format!(
            "{} {user}{}{path}",
            self.url.scheme.as_str(),
            self.url.host_port()
        )
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        match self.talk(deadline, notes) {
            Ok(seen) => Outcome::Healthy(seen),
            Err(reason) => Outcome::Unhealthy(reason),
        }
    }
}

impl AmqpCheck {
    fn talk(&self, deadline: &Deadline, notes: &mut Notes) -> Result<String, String> {
        let mut conn = Conn::tcp(&self.url.host_port(), deadline, &mut notes.details)?;
        if self.url.scheme.tls {
            let client = self.tls.client(tls::Alpn::None)?;
            conn = conn.with_tls(client, &self.url.host, deadline, &mut notes.details)?;
        }
        send(&mut conn, HEADER, deadline)?;
        let start = self.step(&mut conn, START, deadline, None)?;
        let start = Start::parse(&start).ok_or("a malformed connection.start")?;
        let server = self.scrubbed(&start.server());
        notes.detail(format!("connection.start from {server}"));
        if self.url.user.is_none() && self.url.password.is_none() {
            // Ready to take logins; we have none to try. Closing now is
            // what a client that gives up before start-ok does.
            return Ok(format!("connection.start ({server})"));
        }
        // A broker without PLAIN refuses start-ok with connection.close,
        // which says so.
        send(&mut conn, &self.start_ok(), deadline)?;
        let tune = self.step(&mut conn, TUNE, deadline, None)?;
        let vhost = self.vhost();
        let mut frames = tune_ok(&tune).ok_or("a malformed connection.tune")?;
        frames.extend(open(&vhost)?);
        send(&mut conn, &frames, deadline)?;
        self.step(&mut conn, OPEN_OK, deadline, Some(&vhost))?;
        notes.detail(format!("vhost {vhost:?} opened"));
        // A clean close; the verdict is in, so its failure is only noted.
        let closed = send(&mut conn, &method(CLOSE, &CLOSE_NORMALLY), deadline)
            .and_then(|()| self.step(&mut conn, CLOSE_OK, deadline, None));
        match closed {
            Ok(_) => notes.detail("connection closed (close-ok)"),
            Err(reason) => notes.detail(format!("no clean close: {reason}")),
        }
        Ok(format!("vhost {vhost:?} open ({server})"))
    }

    /// The vhost to open: the URL's path, percent-decoded; `/` by default.
    fn vhost(&self) -> String {
        match self.url.path_name() {
            v if v.is_empty() => "/".into(),
            v => v,
        }
    }

    /// connection.start-ok: who we are, PLAIN with the URL's credentials.
    fn start_ok(&self) -> Vec<u8> {
        let mut response = vec![0u8];
        response.extend_from_slice(self.url.user.as_deref().unwrap_or("").as_bytes());
        response.push(0);
        if let Some(password) = &self.url.password {
            response.extend_from_slice(password.expose().as_bytes());
        }
        let mut args = CLIENT_PROPERTIES.to_vec();
        args.extend_from_slice(b"\x05PLAIN");
        long_bytes(&mut args, &response);
        args.extend_from_slice(b"\x05en_US");
        method(START_OK, &args)
    }

    /// The arguments of connection method `want` (heartbeats skipped), or
    /// why it did not come; `vhost` is the one asked for, if any.
    fn step(
        &self,
        conn: &mut Conn,
        want: u16,
        deadline: &Deadline,
        vhost: Option<&str>,
    ) -> Result<Vec<u8>, String> {
        let phase = match want {
            START => "waiting for connection.start",
            TUNE => "waiting for connection.tune",
            OPEN_OK => "waiting for connection.open-ok",
            _ => "waiting for close-ok",
        };
        for _ in 0..MAX_FRAMES {
            let (kind, payload) = match read_frame(conn) {
                Ok(Ok(frame)) => frame,
                Ok(Err(reason)) => return Err(reason),
                Err(e) if want == TUNE && is_hang_up(&e) => {
                    return Err("the broker refused the login (it closed the connection \
                                after start-ok): wrong user name or password?"
                        .into());
                }
                Err(e) if want == OPEN_OK && is_hang_up(&e) => {
                    return Err(format!(
                        "the broker closed the connection when asked to open vhost {:?}",
                        vhost.unwrap_or_default()
                    ));
                }
                Err(e) => return Err(describe_io(&e, deadline, phase)),
            };
            if kind == FRAME_HEARTBEAT {
                continue;
            }
            let mut r = Fields(&payload);
            return match (r.u16(), r.u16()) {
                (Some(CONNECTION), Some(id)) if id == want => Ok(r.0.to_vec()),
                (Some(CONNECTION), Some(CLOSE)) => Err(self.closed(conn, r.0, vhost)),
                (class, id) => Err(format!(
                    "unexpected method {}.{} {phase}",
                    class.unwrap_or_default(),
                    id.unwrap_or_default()
                )),
            };
        }
        Err("only heartbeats from the broker".into())
    }

    /// The broker's connection.close in words (answered with close-ok, as
    /// the protocol asks), after asking to open `vhost` if given.
    fn closed(&self, conn: &mut Conn, args: &[u8], vhost: Option<&str>) -> String {
        let _ = conn.write_all(&method(CLOSE_OK, &[]));
        let mut r = Fields(args);
        let (Some(code), Some(text)) = (r.u16(), r.short_string()) else {
            return "the broker closed the connection (a malformed connection.close)".into();
        };
        let text = self.scrubbed(&String::from_utf8_lossy(text));
        match (code, vhost) {
            (ACCESS_REFUSED, _) => format!("the broker refused the login: {text} ({code})"),
            (NOT_ALLOWED, Some(vhost)) => {
                format!("the broker refused vhost {vhost:?}: {text} ({code})")
            }
            _ => format!("the broker closed the connection: {text} ({code})"),
        }
    }

    /// Text from the broker, safe to show: without the URL's password (a
    /// broker may quote what it was sent), printable, short.
    fn scrubbed(&self, text: &str) -> String {
        printable(&scrub_text(text, &self.url.secrets()), MAX_TEXT)
    }
}

/// Writes `bytes` to the broker.
fn send(conn: &mut Conn, bytes: &[u8], deadline: &Deadline) -> Result<(), String> {
    conn.write_all(bytes)
        .map_err(|e| describe_io(&e, deadline, "writing to the broker"))
}

/// The broker hung up.
fn is_hang_up(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
    )
}

/// One frame: its type and payload. A protocol header instead (a broker
/// that speaks another version) is an error naming the version.
fn read_frame(conn: &mut impl Read) -> std::io::Result<Result<(u8, Vec<u8>), String>> {
    let mut head = [0u8; 8];
    conn.read_exact(&mut head[..7])?;
    if &head[..4] == b"AMQP" {
        conn.read_exact(&mut head[7..])?;
        return Ok(Err(other_protocol(&head[4..])));
    }
    let size = u32::from_be_bytes([head[3], head[4], head[5], head[6]]) as usize;
    if !matches!(head[0], FRAME_METHOD | FRAME_HEARTBEAT) {
        return Ok(Err(format!(
            "not an AMQP answer (starts with {:?}): not an AMQP 0-9-1 broker?",
            char::from(head[0])
        )));
    }
    if size > MAX_FRAME {
        return Ok(Err(format!(
            "a {size}-byte frame, over the {MAX_FRAME}-byte limit: not an AMQP 0-9-1 broker?"
        )));
    }
    let mut payload = vec![0u8; size + 1];
    conn.read_exact(&mut payload)?;
    if payload.pop() != Some(FRAME_END) {
        return Ok(Err(
            "a frame without its end marker: not an AMQP 0-9-1 broker?".into(),
        ));
    }
    Ok(Ok((head[0], payload)))
}

/// The header a broker sends back when it does not speak 0-9-1, in words.
fn other_protocol(version: &[u8]) -> String {
    match version {
        [0, 0, 9, 1] => "the server sent back the AMQP 0-9-1 header instead of connection.start",
        // Protocol id 0 plain, 2 TLS, 3 SASL; version 1.0.0.
        [0 | 2 | 3, 1, 0, 0] => "the server speaks AMQP 1.0, not AMQP 0-9-1",
        _ => "the server speaks another version of AMQP, not 0-9-1",
    }
    .into()
}

/// What connection.start says: who the broker is.
struct Start {
    product: String,
    version: String,
}

impl Start {
    fn parse(args: &[u8]) -> Option<Start> {
        let mut r = Fields(args);
        r.take(2)?; // version-major, version-minor
        let properties = r.long_bytes()?;
        r.long_bytes()?; // mechanisms
        let (mut product, mut version) = (String::new(), String::new());
        let mut t = Fields(properties);
        // The top level only: nested tables are skipped by their length.
        while !t.0.is_empty() {
            let key = t.short_string()?;
            let kind = t.u8()?;
            let value = t.field_value(kind)?;
            if kind == b'S' {
                let text = String::from_utf8_lossy(value.get(4..)?).into_owned();
                match key {
                    b"product" => product = text,
                    b"version" => version = text,
                    _ => {}
                }
            }
        }
        Some(Start { product, version })
    }

    /// `RabbitMQ 3.10.8`
    fn server(&self) -> String {
        match (self.product.as_str(), self.version.as_str()) {
            ("", "") => "an AMQP 0-9-1 broker".into(),
            (p, v) => format!("{p} {v}").trim().to_string(),
        }
    }
}

/// A reader of AMQP's encoded fields, each `None` when the bytes run out.
struct Fields<'a>(&'a [u8]);

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn short_string(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(n.into())
    }

    fn long_bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()?;
        self.take(usize::try_from(n).ok()?)
    }

    /// The encoded value of a table field of type `kind`, whole (a string
    /// with its length), without looking inside tables and arrays.
    fn field_value(&mut self, kind: u8) -> Option<&'a [u8]> {
        let fixed = match kind {
            b't' | b'b' | b'B' => 1,
            b's' | b'u' => 2,
            b'I' | b'i' | b'f' => 4,
            b'D' => 5,
            b'l' | b'L' | b'd' | b'T' => 8,
            b'V' => 0,
            b'S' | b'x' | b'F' | b'A' => {
                let n = u32::from_be_bytes(self.0.get(..4)?.try_into().ok()?);
                4 + usize::try_from(n).ok()?
            }
            _ => return None,
        };
        self.take(fixed)
    }
}

/// connection.tune-ok: the broker's channel and frame limits, no heartbeats.
fn tune_ok(tune: &[u8]) -> Option<Vec<u8>> {
    let mut r = Fields(tune);
    let channel_max = r.u16()?;
    let frame_max = r.u32()?;
    let mut args = channel_max.to_be_bytes().to_vec();
    args.extend(frame_max.to_be_bytes());
    args.extend(0u16.to_be_bytes());
    Some(method(TUNE_OK, &args))
}

/// connection.open for `vhost`.
fn open(vhost: &str) -> Result<Vec<u8>, String> {
    if vhost.len() > 255 {
        return Err("the vhost name is longer than AMQP's 255 bytes".into());
    }
    let mut args = vec![vhost.len() as u8];
    args.extend_from_slice(vhost.as_bytes());
    args.extend_from_slice(&[0, 0]); // capabilities (empty), insist (off)
    Ok(method(OPEN, &args))
}

/// A method frame of the connection class, on channel 0.
fn method(id: u16, args: &[u8]) -> Vec<u8> {
    let size = (4 + args.len()) as u32;
    let mut out = vec![FRAME_METHOD, 0, 0];
    out.extend(size.to_be_bytes());
    out.extend(CONNECTION.to_be_bytes());
    out.extend(id.to_be_bytes());
    out.extend_from_slice(args);
    out.push(FRAME_END);
    out
}

fn long_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend((bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RabbitMQ 3.10.8's connection.start, as it sent it.
    const RABBITMQ_START: &[u8] = b"\x00\x09\x00\x00\x00\x4c\x0ccapabilitiesF\x00\x00\x00\x12\
        \x0fdirect_reply_tot\x01\x07productS\x00\x00\x00\x08RabbitMQ\x07versionS\x00\x00\x00\x063.10.8\
        \x00\x00\x00\x0ePLAIN AMQPLAIN\x00\x00\x00\x05en_US";

    #[test]
    fn connection_start_names_the_broker() {
        let start = Start::parse(RABBITMQ_START).unwrap();
        assert_eq!(start.server(), "RabbitMQ 3.10.8");
        assert!(Start::parse(&RABBITMQ_START[..40]).is_none());
        // A table claiming 4 GiB is not read past its bytes.
        assert!(Start::parse(b"\x00\x09\xff\xff\xff\xff").is_none());
    }

    #[test]
    fn frames_are_capped_before_reading() {
        let huge = b"\x01\x00\x00\x80\x00\x00\x00";
        assert!(matches!(read_frame(&mut &huge[..]), Ok(Err(m)) if m.contains("limit")));
        let v1 = b"AMQP\x00\x01\x00\x00";
        assert!(matches!(read_frame(&mut &v1[..]), Ok(Err(m)) if m.contains("AMQP 1.0")));
        let frame = method(CLOSE_OK, &[]);
        assert!(matches!(read_frame(&mut &frame[..]), Ok(Ok((1, p))) if p == [0, 10, 0, 51]));
    }

    #[test]
    fn start_ok_carries_plain_credentials_and_the_vhost_is_decoded() {
        let url = crate::probe::schemes::url("amqp://app:s3cret@h/%2F").unwrap();
        let check = AmqpCheck {
            url,
            tls: Arc::default(),
        };
        assert_eq!(check.vhost(), "/");
        let frame = check.start_ok();
        assert!(frame.windows(11).any(|w| w == b"\x00app\x00s3cret"));
        assert_eq!(check.subject(), "amqp app@h:5672/%2F");
        assert_eq!(check.scrubbed("app said s3cret\n"), "*** said ***\\n");
    }
}
