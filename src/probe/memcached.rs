//! `memcached://HOST[:PORT]`: ready means the server answers the text
//! protocol's `version` with `VERSION x.y.z`, and the line shows it. `ERROR`
//! (a server that is not memcached, or one started with the text protocol
//! off), `SERVER_ERROR ...` and anything else are unhealthy. The answer is
//! one line, read up to [`MAX_LINE`] bytes and no further. Cost, slim
//! x86_64 build: 1,360 bytes of code and data.

use std::io::{Read, Write};

use crate::deadline::Deadline;
use crate::net::conn::Conn;
use crate::net::describe_io;
use crate::probe::{Notes, Outcome, Probe};
use crate::redacted::{Secrets, scrub_text};
use crate::report::printable;
use crate::target::Url;

/// The longest answer read: `VERSION 1.6.18` is 16 bytes with its CRLF.
const MAX_LINE: usize = 1024;
/// The longest text from the server shown.
const MAX_TEXT: usize = 160;

#[derive(Debug, Clone)]
pub struct MemcachedCheck {
    pub url: Url,
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
                conn.write_all(b"version\r\n")
                    .and_then(|()| read_line(&mut conn))
                    .map_err(|e| describe_io(&e, deadline, "waiting for the answer to version"))
            });
        match answer {
            Ok(Some(line)) => self.judge(&line),
            Ok(None) => Outcome::Unhealthy(format!(
                "no line end in the first {MAX_LINE} bytes of the answer: not memcached?"
            )),
            Err(reason) => Outcome::Unhealthy(reason),
        }
    }
}

impl MemcachedCheck {
    fn judge(&self, line: &[u8]) -> Outcome {
        let text = self.scrubbed(&String::from_utf8_lossy(line));
        match line.strip_prefix(b"VERSION ") {
            Some(v) if !v.is_empty() => Outcome::Healthy(text),
            _ if line == b"ERROR" => {
                Outcome::Unhealthy("answered ERROR to version: not memcached?".into())
            }
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

/// The first line of the answer without its CRLF (or LF), or `None` when
/// none ends within [`MAX_LINE`] bytes.
fn read_line(conn: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut line = Vec::with_capacity(64);
    let mut buf = [0u8; 256];
    loop {
        if let Some(end) = line.iter().position(|&b| b == b'\n') {
            line.truncate(end);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Some(line));
        }
        if line.len() >= MAX_LINE {
            return Ok(None);
        }
        match conn.read(&mut buf)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => line.extend_from_slice(&buf[..n]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str) -> MemcachedCheck {
        MemcachedCheck {
            url: crate::probe::schemes::url(url).unwrap(),
        }
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
        let echo = check("memcached://u:hunter2@h");
        assert!(
            matches!(echo.judge(b"hunter2\x1b"), Outcome::Unhealthy(m) if m == "not a memcached answer: ***\\u{1b}")
        );
    }

    #[test]
    fn lines_are_bounded() {
        let read = |b: &[u8]| read_line(&mut &b[..]).map_err(|e| e.kind());
        assert_eq!(read(b"VERSION 1\r\nmore"), Ok(Some(b"VERSION 1".to_vec())));
        assert_eq!(read(&[b'x'; 5000]), Ok(None));
        assert!(read(b"VERSION").is_err());
    }
}
