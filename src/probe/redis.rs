//! `redis://[[USER]:PASSWORD@]HOST[:PORT]` (`rediss://` over TLS): ready means
//! it answers PING with PONG. A Redis that is up but not ready says why:
//! `-LOADING` while it loads its dataset, `-NOAUTH` without the password it
//! needs, `-MASTERDOWN` when its master is gone; that text is the reason.
//!
//! The URL's user information reads as `redis-cli -u` reads it:
//! `USER:PASSWORD`, `:PASSWORD`, and a lone `PASSWORD` (no colon) is a
//! password. AUTH is sent first when there is one, and a refused AUTH
//! (`WRONGPASS`, or `unknown command 'AUTH'` where it was renamed away) is
//! unhealthy with the server's words: the application's client library
//! (redis-py, go-redis, Jedis) fails to connect with those credentials.
//! redis-cli differs here on purpose: it warns and goes on to PING. Only the
//! answers of a Redis that has no password at all ([`NO_PASSWORD_SET`]) leave
//! PING to decide, as clients then carry on too. The user
//! information is never printed, nor echoed back by the server.

use std::io::{Read, Write};
use std::sync::Arc;

use crate::deadline::Deadline;
use crate::net::conn::Conn;
use crate::net::describe_io;
use crate::probe::{Notes, Outcome, Probe};
use crate::redacted::Secrets;
use crate::target::Url;
use crate::tls;

/// How a Redis without any password answers AUTH: Redis 6 and later
/// (`AUTH <password> called without any password configured for the default
/// user`), and older ones. Redis gives only the text to tell this apart.
const NO_PASSWORD_SET: [&str; 2] = [
    "called without any password configured",
    "Client sent AUTH, but no password is set",
];

/// The longest reply line read: PONG, OK and Redis's errors are short.
const MAX_REPLY: usize = 4096;

#[derive(Debug, Clone)]
pub struct RedisCheck {
    pub url: Url,
    pub tls: Arc<tls::Settings>,
}

impl Probe for RedisCheck {
    /// `redis HOST:PORT`: without the user information, which may be a password.
    fn subject(&self) -> String {
        format!("{} {}", self.url.scheme.as_str(), self.url.host_port())
    }

    fn secrets(&self) -> Secrets<'_> {
        let (user, password) = self.credentials();
        Secrets {
            names: user.into_iter().collect(),
            passwords: password.into_iter().collect(),
        }
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        match self.ping(deadline, notes) {
            Ok(()) => Outcome::Healthy("PONG".into()),
            Err(reason) => Outcome::Unhealthy(reason),
        }
    }
}

impl RedisCheck {
    fn ping(&self, deadline: &Deadline, notes: &mut Notes) -> Result<(), String> {
        let mut conn = Conn::tcp(&self.url.host_port(), deadline, &mut notes.details)?;
        if self.url.scheme.tls {
            let client = self.tls.client(tls::Alpn::None)?;
            conn = conn.with_tls(client, &self.url.host, deadline, &mut notes.details)?;
        }
        let failed = |e: std::io::Error| describe_io(&e, deadline, "waiting for the reply");
        if let (user, Some(password)) = self.credentials() {
            let mut auth = vec!["AUTH".as_bytes()];
            auth.extend(user.map(str::as_bytes));
            auth.push(password.as_bytes());
            conn.write_all(&command(&auth)).map_err(failed)?;
            match read_reply(&mut conn).map_err(failed)? {
                Reply::Simple(_) => notes.detail("AUTH accepted"),
                Reply::Error(e) if NO_PASSWORD_SET.iter().any(|n| e.contains(n)) => {
                    notes.detail(format!("AUTH refused: {e}; PING decides"));
                }
                Reply::Error(e) => return Err(format!("AUTH refused: {e}")),
                Reply::Other(first) => return Err(not_redis(first)),
                Reply::Endless(first) => return Err(endless(first)),
            }
        }
        conn.write_all(&command(&[b"PING"])).map_err(failed)?;
        match read_reply(&mut conn).map_err(failed)? {
            Reply::Simple(s) if s == "PONG" => Ok(()),
            Reply::Simple(s) => Err(format!("answered {s:?} to PING, not PONG")),
            Reply::Error(e) => Err(e),
            Reply::Other(first) => Err(not_redis(first)),
            Reply::Endless(first) => Err(endless(first)),
        }
    }

    /// The user and password to AUTH with, as `redis-cli -u` reads the URL:
    /// without a colon, the user information is the password.
    fn credentials(&self) -> (Option<&str>, Option<&str>) {
        let user = self.url.user.as_deref().filter(|u| !u.is_empty());
        match &self.url.password {
            Some(password) => (user, Some(password.expose())),
            None => (None, user),
        }
    }
}

/// A command as a RESP array of bulk strings.
fn command(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", parts.len()).into_bytes();
    for part in parts {
        out.extend_from_slice(format!("${}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out
}

enum Reply {
    /// `+OK`, `+PONG`
    Simple(String),
    /// `-LOADING Redis is loading the dataset in memory`, without the `-`;
    /// its first [`MAX_REPLY`] bytes when it is longer.
    Error(String),
    /// A `+` line with no end within [`MAX_REPLY`] bytes.
    Endless(u8),
    /// Anything else: its first byte.
    Other(u8),
}

/// One reply line, at most [`MAX_REPLY`] bytes. (We send one command at a
/// time, so nothing follows the line.)
fn read_reply(conn: &mut impl Read) -> std::io::Result<Reply> {
    let mut line = Vec::with_capacity(64);
    let mut buf = [0u8; 512];
    let end = loop {
        if let Some(end) = line.windows(2).position(|w| w == b"\r\n") {
            break end;
        }
        if line.len() > MAX_REPLY {
            return Ok(match line[0] {
                b'-' => Reply::Error(String::from_utf8_lossy(&line[1..MAX_REPLY]).into_owned()),
                b'+' => Reply::Endless(b'+'),
                other => Reply::Other(other),
            });
        }
        match conn.read(&mut buf)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => line.extend_from_slice(&buf[..n]),
        }
    };
    if end == 0 {
        return Ok(Reply::Other(b'\r'));
    }
    let text = String::from_utf8_lossy(&line[1..end]).into_owned();
    Ok(match line[0] {
        b'+' => Reply::Simple(text),
        b'-' => Reply::Error(text),
        other => Reply::Other(other),
    })
}

fn endless(first: u8) -> String {
    format!(
        "a reply line of more than {MAX_REPLY} bytes (starts with {:?}) without its end",
        char::from(first)
    )
}

fn not_redis(first: u8) -> String {
    format!(
        "not a Redis reply (starts with {:?}): not a Redis server?",
        char::from(first)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_resp_arrays() {
        assert_eq!(command(&[b"PING"]), b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(
            command(&[b"AUTH", b"u", b"p w"]),
            b"*3\r\n$4\r\nAUTH\r\n$1\r\nu\r\n$3\r\np w\r\n"
        );
    }

    #[test]
    fn replies() {
        let read = |bytes: &[u8]| read_reply(&mut &bytes[..]).map_err(|e| e.kind());
        assert!(matches!(read(b"+PONG\r\n"), Ok(Reply::Simple(s)) if s == "PONG"));
        assert!(matches!(read(b"-LOADING busy\r\n"), Ok(Reply::Error(s)) if s == "LOADING busy"));
        assert!(matches!(read(b"HTTP/1.1 400\r\n"), Ok(Reply::Other(b'H'))));
        assert!(matches!(read(&[b'+'; 5000]), Ok(Reply::Endless(b'+'))));
        let long_error = [&b"-ERR "[..], &[b'x'; 5000]].concat();
        assert!(matches!(read(&long_error), Ok(Reply::Error(s)) if s.starts_with("ERR xxx")));
        assert!(read(b"+PON").is_err());
    }
}
