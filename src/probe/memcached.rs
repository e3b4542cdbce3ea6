//! `memcached://HOST[:PORT]`: ready means the server answers the text
//! protocol's `version` with `VERSION x.y.z`, and the line shows it. `ERROR`
//! (a server that is not memcached, or one started with the text protocol
//! off), `SERVER_ERROR ...` and anything else are unhealthy; so is `ERROR Too
//! many open connections` (memcached at its -c limit), said as such. The
//! answer is one line, read up to [`MAX_LINE`] bytes and no further.
//!
//! `version` goes out three times in one write ([`ASK`], 27 bytes): a text
//! server answers the first at once (the rest are never read), and a
//! memcached that speaks only the binary protocol (`-B binary`, or SASL)
//! reads a 24-byte header, sees no binary magic and closes at once, or
//! answers in binary: either way the line says so within milliseconds,
//! where one `version` (9 bytes) left it waiting for the rest of a header
//! until the deadline. The text protocol has no login, so a `memcached://`
//! URL with user information is a usage error. Cost, slim x86_64 build:
//! 1,360 bytes of code and data before these answers.

use std::io::{Read, Write};

use crate::deadline::Deadline;
use crate::net::conn::Conn;
use crate::net::describe_io;
use crate::probe::{Notes, Outcome, Probe};
use crate::redacted::{Secrets, scrub_text};
use crate::report::printable;
use crate::target::{Url, shown_url};

/// What is sent: `version`, thrice, so that the request is longer than a
/// binary-protocol header (24 bytes) and a binary-only server answers now.
const ASK: &[u8] = b"version\r\nversion\r\nversion\r\n";
/// The first byte of a binary-protocol response.
const BINARY_RESPONSE: u8 = 0x81;

/// The longest answer read: `VERSION 1.6.18` is 16 bytes with its CRLF.
const MAX_LINE: usize = 1024;
/// The longest text from the server shown.
const MAX_TEXT: usize = 160;

#[derive(Debug, Clone)]
pub struct MemcachedCheck {
    url: Url,
}

impl MemcachedCheck {
    /// The check for `url`; user information in it is an error: nothing
    /// would be done with it.
    pub fn new(url: Url) -> anyhow::Result<MemcachedCheck> {
        if url.user.is_some() || url.password.is_some() {
            anyhow::bail!(
                "bad URL {}: memcached:// takes no user or password (the check speaks \
                 memcached's text protocol, which has no login)",
                shown_url(&url.to_string())
            );
        }
        Ok(MemcachedCheck { url })
    }
}

impl Probe for MemcachedCheck {
    fn secrets(&self) -> Secrets<'_> {
        self.url.secrets()
    }

    fn subject(&self) -> String {
        format!("memcached {}", self.url.host_port())
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        let answer =
            Conn::tcp(&self.url.host_port(), deadline, &mut notes.details).and_then(|mut conn| {
                conn.write_all(ASK)
                    .and_then(|()| read_line(&mut conn))
                    .map_err(|e| describe_io(&e, deadline, "waiting for the answer to version"))
            });
        match answer {
            Ok(Answer::Line(line)) => self.judge(&line),
            Ok(Answer::TooLong) => Outcome::Unhealthy(format!(
                "no line end in the first {MAX_LINE} bytes of the answer: not memcached?"
            )),
            Ok(Answer::Closed(bytes)) => Outcome::Unhealthy(closed(&bytes)),
            Err(reason) => Outcome::Unhealthy(reason),
        }
    }
}

impl MemcachedCheck {
    fn judge(&self, line: &[u8]) -> Outcome {
        let text = self.scrubbed(&String::from_utf8_lossy(line));
        match line.strip_prefix(b"VERSION ") {
            Some(v) if !v.is_empty() => Outcome::Healthy(text),
            _ if line.first() == Some(&BINARY_RESPONSE) => Outcome::Unhealthy(closed(line)),
            _ if line == b"ERROR" => {
                Outcome::Unhealthy("answered ERROR to version: not memcached?".into())
            }
            // memcached at its connection limit (-c) says this and closes.
            _ if line.starts_with(b"ERROR Too many open connections") => {
                Outcome::Unhealthy(format!("too many connections: {text}"))
            }
            _ if line.starts_with(b"ERROR ") => Outcome::Unhealthy(text),
            _ if line.starts_with(b"SERVER_ERROR") || line.starts_with(b"CLIENT_ERROR") => {
                Outcome::Unhealthy(text)
            }
            _ => Outcome::Unhealthy(format!("not a memcached answer: {text}")),
        }
    }

    /// Text from the server, safe to show: without the URL's password (if
    /// the URL has one: memcached's text protocol does not use it),
    /// printable, short.
    fn scrubbed(&self, text: &str) -> String {
        printable(&scrub_text(text, &self.url.secrets()), MAX_TEXT)
    }
}

/// What came back for `version`.
#[derive(Debug, PartialEq)]
enum Answer {
    /// The first line, without its CRLF (or LF).
    Line(Vec<u8>),
    /// No line end within [`MAX_LINE`] bytes.
    TooLong,
    /// The connection ended before a line did: what came before.
    Closed(Vec<u8>),
}

/// Why a connection that ended without a line is not a ready memcached:
/// one that speaks only the binary protocol closes on our text, or answers
/// it in binary (its header's status says why).
fn closed(bytes: &[u8]) -> String {
    match bytes {
        [] => "closed the connection without answering version: a memcached that speaks only \
               the binary protocol (-B binary)?"
            .into(),
        [BINARY_RESPONSE, _, _, _, _, _, hi, lo, ..] => format!(
            "answered in memcached's binary protocol (status 0x{:04x}{}): it does not speak \
             the text protocol (-B binary, SASL)",
            u16::from_be_bytes([*hi, *lo]),
            match u16::from_be_bytes([*hi, *lo]) {
                0x20 => ": authentication required",
                0x81 => ": unknown command",
                _ => "",
            }
        ),
        [BINARY_RESPONSE, ..] => {
            "answered in memcached's binary protocol: it does not speak the text protocol".into()
        }
        _ => format!(
            "closed the connection after {} bytes without a line end: not memcached?",
            bytes.len()
        ),
    }
}

/// The first line of the answer, read up to [`MAX_LINE`] bytes.
fn read_line(conn: &mut impl Read) -> std::io::Result<Answer> {
    let mut line = Vec::with_capacity(64);
    let mut buf = [0u8; 256];
    loop {
        if let Some(end) = line.iter().position(|&b| b == b'\n') {
            line.truncate(end);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Answer::Line(line));
        }
        if line.len() >= MAX_LINE {
            return Ok(Answer::TooLong);
        }
        match conn.read(&mut buf)? {
            0 => return Ok(Answer::Closed(line)),
            n => line.extend_from_slice(&buf[..n]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str) -> MemcachedCheck {
        MemcachedCheck::new(crate::probe::schemes::url(url).unwrap()).unwrap()
    }

    #[test]
    fn version_is_healthy_and_everything_else_says_what_came() {
        let c = check("memcached://h");
        assert_eq!(
            c.judge(b"VERSION 1.6.18"),
            Outcome::Healthy("VERSION 1.6.18".into())
        );
        assert!(matches!(c.judge(b"ERROR"), Outcome::Unhealthy(m) if m.contains("not memcached")));
        assert!(matches!(c.judge(b"VERSION "), Outcome::Unhealthy(_)));
        assert!(
            matches!(c.judge(b"hunter2\x1b"), Outcome::Unhealthy(m) if m == "not a memcached answer: hunter2\\u{1b}")
        );
        assert!(
            matches!(c.judge(b"ERROR Too many open connections"), Outcome::Unhealthy(m) if m.starts_with("too many connections"))
        );
        let url = crate::probe::schemes::url("memcached://u:hunter2@h").unwrap();
        let refused = MemcachedCheck::new(url).unwrap_err().to_string();
        assert!(
            refused.contains("no login") && !refused.contains("hunter2"),
            "{refused}"
        );
    }

    #[test]
    fn lines_are_bounded() {
        let read = |b: &[u8]| read_line(&mut &b[..]).map_err(|e| e.kind());
        assert_eq!(
            read(b"VERSION 1\r\nmore"),
            Ok(Answer::Line(b"VERSION 1".to_vec()))
        );
        assert_eq!(read(&[b'x'; 5000]), Ok(Answer::TooLong));
        assert_eq!(read(b"VERSION"), Ok(Answer::Closed(b"VERSION".to_vec())));
        assert!(closed(&[]).contains("binary protocol"));
        let mut auth = vec![0x81, 0x0b, 0, 0, 0, 0, 0, 0x20];
        auth.resize(24, 0);
        assert!(closed(&auth).contains("0x0020: authentication required"));
    }
}
