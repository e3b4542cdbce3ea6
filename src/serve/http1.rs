//! HTTP/1.0 and 1.1 (RFC 9112) for `/healthz`: the request head is parsed by
//! `httparse` (ureq's own parser, already in the binary), answered, and the
//! connection kept or closed as the version and `Connection` header say.
//! A connection whose first bytes are the HTTP/2 preface goes to `grpc.rs`.
//!
//! What a client can send is bounded before it is read: the head within
//! [`MAX_HEAD`] bytes and [`HEAD_LIMIT`], [`MAX_HEADERS`] fields, no body
//! (a request announcing one is refused, so no byte of it is ever read);
//! pipelined requests are answered in order from the same buffer.

use std::time::{Duration, Instant};

use super::conn::{Conn, Got};
use super::grpc;
use super::health::Health;
use crate::h2::frame::PREFACE;

/// The largest request head read (request line and fields).
pub const MAX_HEAD: usize = 8 * 1024;
/// The most header fields in a head.
pub const MAX_HEADERS: usize = 64;
/// A head must be whole this long after its first byte (after the
/// connection opened, for the first one).
pub const HEAD_LIMIT: Duration = Duration::from_secs(2);
/// A kept-alive connection may wait this long for its next request.
pub const IDLE_LIMIT: Duration = Duration::from_secs(5);
/// An answer must be taken by the client within this long.
pub const WRITE_LIMIT: Duration = Duration::from_secs(2);

/// What a request asks, once its head is read.
pub struct Request {
    head_only: bool,
    /// GET or HEAD: the methods answered.
    method_ok: bool,
    /// `Some(verbose)` for `/healthz` and `/`, `None` for other paths.
    health: Option<bool>,
    has_body: bool,
    keep_alive: bool,
    /// HTTP/1.0 asked for keep-alive: say that we keep it.
    say_keep_alive: bool,
}

/// Serves the connection until it closes, idles out, breaks a limit, or
/// the server stops.
pub fn serve(conn: &mut Conn, health: &Health, opened: Instant) {
    let mut buf = vec![0u8; MAX_HEAD];
    let mut len = 0;
    let mut first = true;
    let mut head_until = opened + HEAD_LIMIT;
    loop {
        let request = loop {
            if first && len > 0 && PREFACE.starts_with(&buf[..len.min(PREFACE.len())]) {
                if len >= PREFACE.len() {
                    return grpc::serve(conn, health, &buf[PREFACE.len()..len], head_until);
                }
            } else if len > 0 {
                match parse(&buf[..len]) {
                    Parsed::Whole(request, used) => {
                        buf.copy_within(used..len, 0);
                        len -= used;
                        break request;
                    }
                    Parsed::Partial if len == MAX_HEAD => {
                        let why = format!("request head over {MAX_HEAD} bytes\n");
                        return refuse(conn, "431 Request Header Fields Too Large", &why);
                    }
                    Parsed::Partial => {}
                    Parsed::TooManyFields => {
                        let why = format!("more than {MAX_HEADERS} header fields\n");
                        return refuse(conn, "431 Request Header Fields Too Large", &why);
                    }
                    Parsed::Bad => return refuse(conn, "400 Bad Request", "malformed request\n"),
                }
            }
            let until = match len {
                0 if !first => Instant::now() + IDLE_LIMIT,
                _ => head_until,
            };
            let got = match (len, first) {
                (0, false) => conn.read_next(&mut buf, until),
                _ => conn.read(&mut buf[len..], until, true),
            };
            match got {
                Ok(Got::Bytes(0)) | Ok(Got::Stopped) | Err(_) => return,
                Ok(Got::Bytes(n)) => {
                    if len == 0 && !first {
                        head_until = Instant::now() + HEAD_LIMIT;
                    }
                    len += n;
                }
                Ok(Got::TimedOut) if len == 0 => return,
                Ok(Got::TimedOut) => {
                    let why = format!("request head not whole within {}s\n", HEAD_LIMIT.as_secs());
                    return refuse(conn, "408 Request Timeout", &why);
                }
            }
        };
        first = false;
        if !answer(conn, health, &request) {
            return;
        }
        // A pipelined request already begun has its own head limit from now.
        head_until = Instant::now() + HEAD_LIMIT;
    }
}

pub enum Parsed {
    Whole(Request, usize),
    Partial,
    TooManyFields,
    Bad,
}

pub fn parse(bytes: &[u8]) -> Parsed {
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut fields);
    let used = match req.parse(bytes) {
        Ok(httparse::Status::Complete(used)) => used,
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(httparse::Error::TooManyHeaders) => return Parsed::TooManyFields,
        Err(_) => return Parsed::Bad,
    };
    let (Some(method), Some(target), Some(minor)) = (req.method, req.path, req.version) else {
        return Parsed::Bad;
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let verbose = query
        .split('&')
        .any(|p| p.split_once('=').map_or(p, |(k, _)| k) == "verbose");
    let mut has_body = false;
    let (mut close, mut keep_alive) = (false, false);
    let mut hosts = 0;
    for field in req.headers.iter() {
        hosts += usize::from(field.name.eq_ignore_ascii_case("host"));
        if field.name.eq_ignore_ascii_case("content-length") {
            match std::str::from_utf8(field.value).map(|v| v.trim().parse::<u64>()) {
                Ok(Ok(0)) => {}
                Ok(Ok(_)) => has_body = true,
                _ => return Parsed::Bad,
            }
        } else if field.name.eq_ignore_ascii_case("transfer-encoding") {
            has_body = true;
        } else if field.name.eq_ignore_ascii_case("connection") {
            for token in field.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    // RFC 9112 3.2: a 1.1 request has exactly one Host.
    if minor >= 1 && hosts != 1 {
        return Parsed::Bad;
    }
    // RFC 9112 9.3: close wins; 1.1 persists by default, 1.0 only when asked.
    let persist = !close && (minor >= 1 || keep_alive);
    let request = Request {
        head_only: method == "HEAD",
        method_ok: method == "GET" || method == "HEAD",
        health: matches!(path, "/healthz" | "/").then_some(verbose),
        has_body,
        keep_alive: persist,
        say_keep_alive: persist && minor == 0,
    };
    Parsed::Whole(request, used)
}

/// Answers one request; whether the connection stays open.
fn answer(conn: &mut Conn, health: &Health, req: &Request) -> bool {
    if req.has_body {
        refuse(conn, "400 Bad Request", "no request body is accepted\n");
        return false;
    }
    let keep = req.keep_alive;
    let mut json = false;
    let (status, body, allow) = match (req.health, req.method_ok) {
        (None, _) => (
            "404 Not Found",
            "not found: ask /healthz\n".to_string(),
            false,
        ),
        (Some(_), false) => (
            "405 Method Not Allowed",
            "method not allowed: GET or HEAD\n".to_string(),
            true,
        ),
        (Some(verbose), true) => match health.answer(health.run_limit + WRITE_LIMIT) {
            Some(a) => (
                status_of(a.healthy),
                match (&a.json, verbose) {
                    (Some(j), _) => {
                        json = true;
                        j.clone()
                    }
                    (None, true) => a.verbose.clone(),
                    (None, false) => a.line.clone(),
                },
                false,
            ),
            None => (
                status_of(false),
                "unhealthy: the checks gave no verdict in time\n".to_string(),
                false,
            ),
        },
    };
    // A stop lets this answer out, then closes.
    let keep = keep && !conn.stopping();
    let mut head = response_head(status, body.len(), allow, keep, req.say_keep_alive);
    if json {
        head = head.replacen("text/plain; charset=utf-8", "application/json", 1);
    }
    let mut out = head.into_bytes();
    if !req.head_only {
        out.extend_from_slice(body.as_bytes());
    }
    conn.write_all(&out, Instant::now() + WRITE_LIMIT).is_ok() && keep
}

pub fn status_of(healthy: bool) -> &'static str {
    match healthy {
        true => "200 OK",
        false => "503 Service Unavailable",
    }
}

fn response_head(status: &str, len: usize, allow: bool, keep: bool, say_keep: bool) -> String {
    let connection = match (keep, say_keep) {
        (false, _) => "Connection: close\r\n",
        (true, true) => "Connection: keep-alive\r\n",
        (true, false) => "",
    };
    let allow = match allow {
        true => "Allow: GET, HEAD\r\n",
        false => "",
    };
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {len}\r\nCache-Control: no-store\r\n{allow}{connection}\r\n"
    )
}

/// Answers a request that broke a rule, and closes: what else it sent is
/// not read.
fn refuse(conn: &mut Conn, status: &str, why: &str) {
    let mut out = response_head(status, why.len(), false, false, false).into_bytes();
    out.extend_from_slice(why.as_bytes());
    if conn.write_all(&out, Instant::now() + WRITE_LIMIT).is_ok() {
        conn.close_gently();
    }
}

/// The answer to a connection over the limit, written without waiting.
pub fn busy(limit: usize) -> Vec<u8> {
    let why = format!("busy: more than {limit} connections\n");
    let mut out =
        response_head("503 Service Unavailable", why.len(), false, false, false).into_bytes();
    out.extend_from_slice(why.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(head: &str) -> Request {
        match parse(head.as_bytes()) {
            Parsed::Whole(r, used) => {
                assert_eq!(used, head.len());
                r
            }
            _ => panic!("not a whole request: {head:?}"),
        }
    }

    #[test]
    fn keep_alive_follows_rfc_9112() {
        let r = whole("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
        assert!(r.keep_alive && !r.say_keep_alive);
        let r = whole("GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n");
        assert!(!r.keep_alive);
        let r = whole("GET /healthz HTTP/1.0\r\n\r\n");
        assert!(!r.keep_alive);
        let r = whole("GET /healthz HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
        assert!(r.keep_alive && r.say_keep_alive);
    }

    #[test]
    fn paths_methods_and_bodies() {
        let r = whole("HEAD /?verbose HTTP/1.1\r\nHost: a\r\n\r\n");
        assert!(r.head_only && r.method_ok && r.health == Some(true));
        let r = whole("GET /healthz?x=1&verbose=1 HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(r.health, Some(true));
        let r = whole("GET /healthzz HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(r.health, None);
        let r = whole("DELETE /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
        assert!(!r.method_ok && !r.has_body);
        let r = whole("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert!(r.has_body);
        for bad in [
            "GET / HTTP/1.1\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
            "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
        ] {
            assert!(matches!(parse(bad.as_bytes()), Parsed::Bad), "{bad:?}");
        }
        assert!(matches!(
            parse(b"GET / HTTP/1.1\r\nHost: a\r\n"),
            Parsed::Partial
        ));
    }
}
