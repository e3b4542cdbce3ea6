//! `nats://[USER:PASSWORD@|TOKEN@]HOST[:PORT]`: ready means the server
//! accepts a client. It greets with `INFO {json}`; we send `CONNECT {json}`
//! (verbose off, so no `+OK`; the user and password or the token when given)
//! and `PING`, and the server answers `PONG` once it has taken the
//! connection: after authorization, so wrong credentials are a failure
//! (`-ERR 'Authorization Violation'`), not a PONG. A server whose INFO says
//! `tls_required` would refuse the plain CONNECT: the line says it needs TLS.
//!
//! Everything the server says is read one line at a time, each at most
//! [`MAX_LINE`] bytes (INFO with a cluster's connect_urls is a few KiB), and
//! at most [`MAX_LINES`] lines, so neither an endless line nor an endless
//! stream of `+OK` grows memory or outlasts the deadline. Text from the
//! server is scrubbed of the target's password and token before it is shown.
//!
//! Cost: 7,512 bytes of code and data in the slim x86_64 release build
//! (`--no-default-features`, musl; 12 KiB of file, page-rounded), measured
//! against the same build without it.

use std::io::{Read, Write};

use crate::deadline::Deadline;
use crate::net::conn::Conn;
use crate::net::describe_io;
use crate::probe::{Notes, Outcome, Probe};
use crate::redacted::{SecretString, Secrets, scrub};
use crate::report::escape_excerpt;
use crate::target::{HostPort, Url};

/// The longest line read from the server: INFO lists the cluster's URLs.
const MAX_LINE: usize = 64 * 1024;
/// Lines read after CONNECT before giving up on a PONG (`+OK`, `INFO`, `PING`).
const MAX_LINES: usize = 64;

/// How the client proves who it is.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    UserPassword(String, SecretString),
    /// `nats://TOKEN@HOST`: a user without a password is a token, as the
    /// NATS clients read such a URL.
    Token(SecretString),
}

#[derive(Debug, Clone)]
pub struct NatsCheck {
    pub target: HostPort,
    pub auth: Auth,
}

impl NatsCheck {
    pub fn new(url: Url) -> NatsCheck {
        let auth = match (url.user.clone(), url.password.clone()) {
            (Some(user), Some(password)) => Auth::UserPassword(user, password),
            (Some(token), None) if !token.is_empty() => Auth::Token(SecretString::new(token)),
            (None, Some(password)) => Auth::UserPassword(String::new(), password),
            _ => Auth::None,
        };
        NatsCheck {
            target: url.host_port(),
            auth,
        }
    }

    /// The secrets of this target, for scrubbing what the server says.
    fn secrets(&self) -> Vec<&str> {
        match &self.auth {
            Auth::None => Vec::new(),
            Auth::UserPassword(_, p) => vec![p.expose()],
            Auth::Token(t) => vec![t.expose()],
        }
    }
}

impl Probe for NatsCheck {
    fn secrets(&self) -> Secrets<'_> {
        match &self.auth {
            Auth::UserPassword(user, password) => Secrets {
                names: vec![user.as_str()],
                passwords: vec![password.expose()],
            },
            Auth::Token(token) => Secrets {
                names: Vec::new(),
                passwords: vec![token.expose()],
            },
            Auth::None => Secrets::default(),
        }
    }

    fn subject(&self) -> String {
        match &self.auth {
            Auth::UserPassword(user, _) if !user.is_empty() => {
                format!("nats {user}@{}", self.target)
            }
            _ => format!("nats {}", self.target),
        }
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        // What the server said is scrubbed where it is quoted (`shown`).
        match self.ping(deadline, notes) {
            Ok(server) => Outcome::Healthy(server),
            Err(reason) => Outcome::Unhealthy(reason),
        }
    }
}

impl NatsCheck {
    /// INFO, CONNECT, PING, PONG: what the server says it is, or why not ready.
    fn ping(&self, deadline: &Deadline, notes: &mut Notes) -> Result<String, String> {
        let mut conn = Conn::tcp(&self.target, deadline, &mut notes.details)?;
        let mut lines = LineReader::default();
        let secrets = self.secrets();
        let failed = |e: std::io::Error| describe_io(&e, deadline, "waiting for INFO");
        let info = match lines.next(&mut conn).map_err(failed)? {
            Line::Text(l) if l.starts_with(b"INFO ") || l.starts_with(b"INFO\t") => l[5..].to_vec(),
            Line::Text(l) if l.starts_with(b"-ERR") => return Err(server_error(&l, &secrets)),
            Line::Text(l) => return Err(not_nats(&l, &secrets)),
            Line::TooLong(start) => return Err(not_nats(&start, &secrets)),
        };
        let seen = server_version(&info, &secrets);
        notes.detail(format!("INFO from {seen}"));
        if info_says(&info, "tls_required") {
            return Err("the server requires TLS (its INFO says tls_required)".into());
        }
        let auth_required = info_says(&info, "auth_required");
        let mut hello = connect_line(&self.auth);
        hello.extend_from_slice(b"PING\r\n");
        let failed = |e: std::io::Error| describe_io(&e, deadline, "waiting for PONG");
        conn.write_all(&hello).map_err(failed)?;
        for _ in 0..MAX_LINES {
            match lines.next(&mut conn).map_err(failed)? {
                Line::Text(l) if l == b"PONG" => return Ok(format!("PONG ({seen})")),
                Line::Text(l) if l == b"PING" => conn.write_all(b"PONG\r\n").map_err(failed)?,
                Line::Text(l) if l == b"+OK" || l.starts_with(b"INFO ") => {}
                Line::Text(l) if l.starts_with(b"-ERR") => {
                    let error = server_error(&l, &secrets);
                    if error
                        .to_ascii_lowercase()
                        .contains("authorization violation")
                    {
                        return Err(self.authorization_failed(auth_required));
                    }
                    return Err(error);
                }
                Line::Text(l) => return Err(not_nats(&l, &secrets)),
                Line::TooLong(start) => return Err(not_nats(&start, &secrets)),
            }
        }
        Err(format!(
            "no PONG among the first {MAX_LINES} lines after CONNECT"
        ))
    }

    fn authorization_failed(&self, auth_required: bool) -> String {
        let what = match &self.auth {
            Auth::None if auth_required => "the server wants credentials",
            Auth::None => "Authorization Violation",
            Auth::UserPassword(..) => "the server refused the user and password",
            Auth::Token(_) => "the server refused the token",
        };
        format!("authorization failed: {what}")
    }
}

/// `CONNECT {...}\r\n`, with the credentials when there are any.
fn connect_line(auth: &Auth) -> Vec<u8> {
    let mut json = format!(
        "{{\"verbose\":false,\"pedantic\":false,\"name\":\"healthprobe\",\
         \"lang\":\"rust\",\"version\":\"{}\"",
        env!("CARGO_PKG_VERSION")
    );
    match auth {
        Auth::None => {}
        Auth::UserPassword(user, password) => {
            json.push_str(",\"user\":");
            json_string(&mut json, user);
            json.push_str(",\"pass\":");
            json_string(&mut json, password.expose());
        }
        Auth::Token(token) => {
            json.push_str(",\"auth_token\":");
            json_string(&mut json, token.expose());
        }
    }
    json.push('}');
    format!("CONNECT {json}\r\n").into_bytes()
}

/// `s` as a JSON string literal.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `nats-server 2.10.18`, from INFO's `"version"` (for the line; a server
/// that does not say is just `a NATS server`).
fn server_version(info: &[u8], secrets: &[&str]) -> String {
    let key = b"\"version\"";
    let Some(at) = info.windows(key.len()).position(|w| w == key) else {
        return "a NATS server".into();
    };
    let rest = &info[at + key.len()..];
    let rest = rest.trim_ascii_start();
    let Some(rest) = rest.strip_prefix(b":") else {
        return "a NATS server".into();
    };
    let Some(rest) = rest.trim_ascii_start().strip_prefix(b"\"") else {
        return "a NATS server".into();
    };
    let end = rest
        .iter()
        .position(|&b| b == b'"' || b == b'\\')
        .unwrap_or(rest.len())
        .min(32);
    format!("nats-server {}", shown(&rest[..end], secrets))
}

/// Whether INFO sets `key` to true (`"tls_required":true`, spaces allowed).
/// INFO is one flat object, so a scan for the key does; the jq-like scanner
/// of `--body-json` measured 1,159 bytes more once it had a second caller.
fn info_says(info: &[u8], key: &str) -> bool {
    let quoted = format!("\"{key}\"");
    let mut rest = info;
    while let Some(at) = rest
        .windows(quoted.len())
        .position(|w| w == quoted.as_bytes())
    {
        let after = rest[at + quoted.len()..].trim_ascii_start();
        if let Some(value) = after.strip_prefix(b":")
            && value.trim_ascii_start().starts_with(b"true")
        {
            return true;
        }
        rest = &rest[at + 1..];
    }
    false
}

/// `-ERR 'Maximum Connections Exceeded'` as `'Maximum Connections Exceeded'`.
fn server_error(line: &[u8], secrets: &[&str]) -> String {
    let text = line.get(5..).unwrap_or_default();
    format!("the server refused: {}", shown(text, secrets))
}

fn not_nats(start: &[u8], secrets: &[&str]) -> String {
    let start = scrub_bytes(start, secrets);
    let shown = escape_excerpt(&start[..start.len().min(40)]);
    format!("not a NATS server: it sent {shown:?}, not INFO")
}

/// Server text for the line: scrubbed of `secrets` before it is escaped and cut.
fn shown(text: &[u8], secrets: &[&str]) -> String {
    escape_excerpt(&scrub_bytes(text, secrets))
}

/// `text` with every secret in `secrets` replaced by `***` (the shared
/// scrub): what a server echoes of our credentials is never shown.
fn scrub_bytes(text: &[u8], secrets: &[&str]) -> Vec<u8> {
    scrub(
        text,
        &Secrets {
            names: Vec::new(),
            passwords: secrets.to_vec(),
        },
    )
}

/// One line from the server.
enum Line {
    /// Without its CRLF.
    Text(Vec<u8>),
    /// Longer than [`MAX_LINE`]: its start.
    TooLong(Vec<u8>),
}

/// Reads CRLF-terminated lines, keeping what follows a line for the next one.
#[derive(Default)]
struct LineReader {
    buf: Vec<u8>,
}

impl LineReader {
    fn next(&mut self, conn: &mut impl Read) -> std::io::Result<Line> {
        let mut chunk = [0u8; 2048];
        let mut scanned = 0;
        loop {
            if let Some(end) = self.buf[scanned..].iter().position(|&b| b == b'\n') {
                let end = scanned + end;
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Line::Text(line));
            }
            scanned = self.buf.len();
            if self.buf.len() > MAX_LINE {
                self.buf.truncate(64);
                return Ok(Line::TooLong(std::mem::take(&mut self.buf)));
            }
            match conn.read(&mut chunk)? {
                0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                n => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_carries_the_credentials_as_json() {
        let line = connect_line(&Auth::UserPassword(
            "al\"ice".into(),
            SecretString::new("p\\w\n".into()),
        ));
        let line = String::from_utf8(line).unwrap();
        assert!(line.starts_with("CONNECT {\"verbose\":false,\"pedantic\":false,"));
        assert!(line.ends_with(",\"user\":\"al\\\"ice\",\"pass\":\"p\\\\w\\u000a\"}\r\n"));
        let line =
            String::from_utf8(connect_line(&Auth::Token(SecretString::new("t".into())))).unwrap();
        assert!(line.ends_with(",\"auth_token\":\"t\"}\r\n"), "{line}");
        let line = String::from_utf8(connect_line(&Auth::None)).unwrap();
        assert!(!line.contains("user") && !line.contains("auth_token"));
    }

    #[test]
    fn lines_are_bounded_and_split() {
        let mut input: &[u8] = b"INFO {}\r\nPONG\r\n";
        let mut r = LineReader::default();
        assert!(matches!(r.next(&mut input), Ok(Line::Text(l)) if l == b"INFO {}"));
        assert!(matches!(r.next(&mut input), Ok(Line::Text(l)) if l == b"PONG"));
        assert!(r.next(&mut input).is_err());
        let long = vec![b'I'; MAX_LINE + 4096];
        let mut input = &long[..];
        assert!(
            matches!(LineReader::default().next(&mut input), Ok(Line::TooLong(s)) if s.len() == 64)
        );
    }

    #[test]
    fn version_and_errors_read_as_words() {
        assert_eq!(
            server_version(
                br#"{"server_id":"x","version" : "2.9.10","go":"go1.19"}"#,
                &[]
            ),
            "nats-server 2.9.10"
        );
        assert_eq!(server_version(b"{}", &[]), "a NATS server");
        assert!(info_says(
            br#"{"x":1,"tls_required" : true}"#,
            "tls_required"
        ));
        assert!(!info_says(
            br#"{"tls_required":false,"a":"tls_required"}"#,
            "tls_required"
        ));
        assert_eq!(
            server_error(b"-ERR 'Authorization Violation'", &[]),
            "the server refused: 'Authorization Violation'"
        );
        assert_eq!(
            shown(b"bad token s3cret!\x01s3cret", &["s3cret", ""]),
            "bad token ***!\\u{1}***"
        );
        // Scrubbed before it is cut: no part of the token shows.
        let long = format!("{}tok-en", "x".repeat(37));
        assert!(!not_nats(long.as_bytes(), &["tok-en"]).contains("tok"));
    }
}
