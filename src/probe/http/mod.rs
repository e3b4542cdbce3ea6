//! `http URL`: one request, healthy when the status is in --status (and,
//! with --header-contains, the headers hold their texts; with
//! --body-contains / --body-not-contains, the body's first 64 KiB hold / do
//! not hold the text).
//!
//! The check connects itself (every address tried within the deadline, or
//! the unix socket), sets up TLS for https, then lets ureq speak HTTP/1.1 over
//! that connection (`transport.rs`), or speaks HTTP/2 itself with --http2
//! (`h2.rs`). The body is read only as far as a verdict or a failure message
//! needs. With -L each redirect is one more such hop (`redirect.rs`), all
//! under the one deadline; the last answer is judged.

mod h2;
pub mod header_check;
pub mod json;
pub mod redirect;
mod transport;

use std::borrow::Cow;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use ureq::http;

use crate::deadline::Deadline;
use crate::net::conn::Conn;
use crate::net::socket::DeadlineStream;
use crate::net::{self, unix};
use crate::probe::{Notes, Outcome, Probe, contains};
use crate::redacted::{
    SecretString, Secrets, basic_credentials, header_secrets, shown_header_value,
};
use crate::report::{format_duration, shown};
use crate::target::{Url, host_of_authority};
use crate::tls;
use crate::values::{BasicAuth, Header, HeaderValue, StatusSet};

/// How much of the body `--body-contains` looks at.
const BODY_SEARCH_LIMIT: u64 = 64 * 1024;
/// How much of a failing response's body is read for the excerpt.
const EXCERPT_READ: u64 = 512;
/// Response headers listed with -v.
const VERBOSE_HEADERS: usize = 24;

#[derive(Debug, Clone)]
pub struct HttpCheck {
    pub url: Url,
    pub method: String,
    pub status: StatusSet,
    pub headers: Vec<Header>,
    pub host: Option<String>,
    pub body_contains: Option<String>,
    /// issue 24: unhealthy when the body's first 64 KiB hold this.
    pub body_not_contains: Option<String>,
    /// issue 24: response headers that must hold a text.
    pub header_contains: Vec<header_check::HeaderCheck>,
    pub body_json: Vec<json::JsonCheck>,
    /// The request body (--data).
    pub data: Option<String>,
    pub basic_auth: Option<BasicAuth>,
    /// The `Authorization: Basic` value made from --basic-auth or the URL's
    /// user information ([`HttpCheck::basic`]): a secret too, for scrubbing
    /// a server's echo of it.
    pub authorization: Option<SecretString>,
    pub tls: Arc<tls::Settings>,
    pub unix_socket: Option<PathBuf>,
    /// -L: redirects are followed.
    pub follow: Option<redirect::Follow>,
    /// --http2: HTTP/2 with prior knowledge (http), or offered by ALPN (https).
    pub http2: bool,
}

/// One request of a check: the first (borrowing the check's URL and
/// method), or one a redirect asks for.
struct Hop<'a> {
    url: Cow<'a, Url>,
    method: Cow<'a, str>,
    /// --data goes along (a redirect to GET drops it).
    data: bool,
    /// The first URL's origin: only there do credentials, cookies and
    /// --host go along.
    first_origin: bool,
}

/// A response's status and headers, its body still to read.
struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: Body,
}

/// A response body not read yet: a reader is made only when it is (making
/// ureq's cost 4,500 instructions, callgrind, that a status check never needs).
enum Body {
    Http1(ureq::Body),
    Http2(Box<h2::Body>),
}

impl Body {
    /// The body to read, once (a check reads either an excerpt or what its
    /// checks need, never both).
    fn into_reader(self) -> BodyReader {
        match self {
            Body::Http1(body) => BodyReader::Http1(body.into_reader()),
            Body::Http2(body) => BodyReader::Http2(body),
        }
    }
}

/// A body being read. An enum, not `dyn Read`: a vtable would bring every
/// `Read` method into the binary, and only `read` is used.
enum BodyReader {
    Http1(ureq::BodyReader<'static>),
    Http2(Box<h2::Body>),
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            BodyReader::Http1(r) => r.read(buf),
            BodyReader::Http2(r) => r.read(buf),
        }
    }
}

impl Probe for HttpCheck {
    /// `GET http://localhost:8080/health` (`via /run/app.sock`).
    fn subject(&self) -> String {
        match &self.unix_socket {
            Some(path) => format!("{} {} via {}", self.method, self.url, path.display()),
            None => format!("{} {}", self.method, self.url),
        }
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        let mut hop = Hop {
            url: Cow::Borrowed(&self.url),
            method: Cow::Borrowed(&self.method),
            data: true,
            first_origin: true,
        };
        let mut chain: Vec<(u16, String)> = Vec::new();
        // What was asked for, to tell a loop (only once a redirect comes).
        let mut visited: Vec<String> = Vec::new();
        loop {
            let answer = match self.send(&hop, deadline, notes) {
                Ok(answer) => answer,
                Err(why) => return after(&chain, Outcome::Unhealthy(why)),
            };
            // Looked up only with -L and a status it follows.
            let followed = self
                .follow
                .as_ref()
                .filter(|_| redirect::is_followed(answer.status))
                .and_then(|f| Some((f, answer.headers.get(http::header::LOCATION)?)));
            let Some((follow, location)) = followed else {
                let outcome = self
                    .judge(answer, deadline, notes)
                    .unwrap_or_else(Outcome::Unhealthy);
                return after(&chain, outcome);
            };
            let next = match redirect::resolve(&hop.url, location.as_bytes(), follow) {
                Ok(url) => url,
                Err(why) => {
                    let why = format!("{}, {why}", answer.status);
                    return after(&chain, Outcome::Unhealthy(why));
                }
            };
            if visited.is_empty() {
                visited.push(format!("{} {}", hop.method, hop.url));
            }
            let (method, data) = redirect::next_method(answer.status, &hop.method);
            chain.push((answer.status, next.to_string()));
            notes.detail(format!("< redirect {} to {next}", answer.status));
            let seen = format!("{method} {next}");
            if chain.len() > follow.max as usize {
                return Outcome::Unhealthy(format!(
                    "{}: more than {} redirects (--max-redirs)",
                    redirect::chain_text(&chain),
                    follow.max
                ));
            }
            if visited.contains(&seen) {
                return Outcome::Unhealthy(format!(
                    "{}: a redirect loop",
                    redirect::chain_text(&chain)
                ));
            }
            visited.push(seen);
            hop = Hop {
                first_origin: redirect::same_origin(&self.url, &next),
                url: Cow::Owned(next),
                method: Cow::Owned(method),
                data: hop.data && data,
            };
        }
    }

    fn secrets(&self) -> Secrets<'_> {
        let mut secrets = self.url.secrets();
        if let Some(auth) = &self.basic_auth {
            secrets.names.push(&auth.user);
            secrets.passwords.push(auth.password.expose());
        }
        let secret_headers = self.headers.iter().filter_map(|h| match &h.value {
            HeaderValue::Secret(value) => Some(value),
            HeaderValue::Plain(_) => None,
        });
        for value in self.authorization.iter().chain(secret_headers) {
            secrets.passwords.extend(header_secrets(value));
        }
        secrets
    }
}

impl HttpCheck {
    /// The `Authorization: Basic` value for --basic-auth, else for the URL's
    /// user information.
    pub fn basic(basic_auth: Option<&BasicAuth>, url: &Url) -> Option<SecretString> {
        match (basic_auth, &url.user) {
            (Some(a), _) => Some(basic_credentials(&a.user, a.password.expose())),
            (None, Some(user)) => Some(basic_credentials(
                user,
                url.password
                    .as_ref()
                    .map(SecretString::expose)
                    .unwrap_or(""),
            )),
            (None, None) => None,
        }
    }

    /// The Host header to send: -H Host, else --host, else the URL's host,
    /// as given; the URL's port is added only to a name without one (and
    /// only when it is not the scheme's default), brackets only around an
    /// IPv6 literal.
    fn host_header(&self, hop: &Hop) -> String {
        let from_header = self
            .headers
            .iter()
            .rev()
            .find(|h| h.name.eq_ignore_ascii_case("host"));
        let given = from_header
            .map(|h| h.value.expose().to_string())
            .or_else(|| self.host.clone())
            .filter(|_| hop.first_origin)
            .unwrap_or_else(|| hop.url.host.clone());
        if has_port(&given) {
            return given;
        }
        let name = match given.parse::<std::net::Ipv6Addr>() {
            Ok(_) => format!("[{given}]"),
            Err(_) => given,
        };
        match hop.url.port {
            port if port == hop.url.scheme.default_port => name,
            port => format!("{name}:{port}"),
        }
    }

    /// The request body: --data, or an empty one (`Content-Length: 0`, as
    /// curl sends) for the methods that carry content; no body at all for
    /// the others (a GET carries no Content-Length, RFC 9110 section 8.6).
    fn body(&self, hop: &Hop) -> Option<&[u8]> {
        let carries_content = ["POST", "PUT", "PATCH"]
            .iter()
            .any(|m| hop.method.eq_ignore_ascii_case(m));
        match self.data.as_ref().filter(|_| hop.data) {
            Some(data) => Some(data.as_bytes()),
            None if carries_content => Some(b""),
            None => None,
        }
    }

    /// Sends one hop's request and reads the response head.
    fn send(&self, hop: &Hop, deadline: &Deadline, notes: &mut Notes) -> Result<Answer, String> {
        let host = self.host_header(hop);
        let body = self.body(hop);
        let head = self.request(hop, &host, notes);
        // Checked before connecting: ureq would write the head's lines that
        // fit and then fail, leaving the server half a request.
        let size = head_size(&head, &hop.method, &hop.url.path, body);
        if size > transport::OUTPUT_BUFFER {
            return Err(format!(
                "request head of {size} bytes, larger than {} KiB (are the headers too long?)",
                transport::OUTPUT_BUFFER / 1024
            ));
        }
        if let (true, Some(body)) = (self.http2, body)
            && body.len() > h2::MAX_BODY
        {
            return Err(format!(
                "request body of {} bytes, larger than {} KiB over HTTP/2",
                body.len(),
                h2::MAX_BODY / 1024
            ));
        }
        let conn = self.connect(hop, deadline, notes, host_of_authority(&host))?;
        let answer = match conn.alpn() {
            Some(b"h2") => self.send_h2(conn, &head, body, deadline, notes, "ALPN h2")?,
            _ if self.http2 && !conn.is_tls() => {
                self.send_h2(conn, &head, body, deadline, notes, "h2c, prior knowledge")?
            }
            _ => {
                if self.http2 {
                    notes.detail("HTTP/1.1 (the server did not choose h2 by ALPN)");
                }
                let agent = transport::agent(conn, deadline);
                let sent = match body {
                    Some(body) => head.body(body).map(|r| agent.run(r)),
                    None => head.body(()).map(|r| agent.run(r)),
                };
                let response = sent
                    .map_err(|e| format!("cannot build the request: {e}"))?
                    .map_err(|e| describe(&e, deadline, "waiting for the response"))?;
                let (parts, body) = response.into_parts();
                Answer {
                    status: parts.status.as_u16(),
                    headers: parts.headers,
                    body: Body::Http1(body),
                }
            }
        };
        notes.detail(format!(
            "response head at {}",
            format_duration(deadline.elapsed())
        ));
        for (name, value) in answer.headers.iter().take(VERBOSE_HEADERS) {
            let value = shown_header_value(name.as_str(), value.as_bytes());
            notes.detail(format!("< {name}: {value}"));
        }
        if answer.headers.len() > VERBOSE_HEADERS {
            notes.detail(format!(
                "< ... {} more headers",
                answer.headers.len() - VERBOSE_HEADERS
            ));
        }
        Ok(answer)
    }

    /// One hop over HTTP/2 (`how`: prior knowledge or ALPN, for -v).
    fn send_h2(
        &self,
        conn: Conn,
        head: &http::request::Builder,
        body: Option<&[u8]>,
        deadline: &Deadline,
        notes: &mut Notes,
        how: &str,
    ) -> Result<Answer, String> {
        notes.detail(format!("HTTP/2 ({how})"));
        let defaults = [
            ("user-agent", transport::USER_AGENT),
            ("accept", transport::ACCEPT),
        ];
        let answer = h2::exchange(conn, head, &defaults, body).map_err(|f| match f {
            crate::h2::client::Failure::Io(e) => {
                net::describe_io(&e, deadline, "waiting for the response")
            }
            crate::h2::client::Failure::Protocol(why) => why,
        })?;
        Ok(Answer {
            status: answer.status,
            headers: answer.headers,
            body: Body::Http2(Box::new(answer.body)),
        })
    }

    /// The verdict on the last response: its status, then the header and
    /// body checks, reading the body only as far as they need.
    fn judge(
        &self,
        answer: Answer,
        deadline: &Deadline,
        notes: &mut Notes,
    ) -> Result<Outcome, String> {
        let Answer {
            status,
            headers,
            body,
        } = answer;
        let status_text = format!(
            "{} {}",
            status,
            http::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("")
        )
        .trim_end()
        .to_string();
        if !self.status.contains(status) {
            let (excerpt, _) = read_body(body.into_reader(), EXCERPT_READ, |_| false);
            notes.excerpt = Some(excerpt);
            // Alive but shedding load: a warning where warnings exist (Consul).
            return Ok(match status {
                429 => Outcome::Warning(status_text),
                _ => Outcome::Unhealthy(status_text),
            });
        }
        let mut passed = vec![status_text.clone()];
        for check in &self.header_contains {
            match check.check(&headers) {
                Ok(()) => passed.push(check.describe()),
                Err(why) => return Ok(Outcome::Unhealthy(format!("{status_text}, but {why}"))),
            }
        }
        if self.body_contains.is_none()
            && self.body_not_contains.is_none()
            && self.body_json.is_empty()
        {
            return Ok(Outcome::Healthy(passed.join(", ")));
        }
        // Reading stops as soon as what has come decides every check: at a
        // forbidden text, or once the wanted text and the JSON values are
        // there (and no forbidden text is asked about).
        let forbidden = self.body_not_contains.as_deref().map(str::as_bytes);
        let decided = |body: &[u8]| {
            forbidden.is_some_and(|f| contains(body, f))
                || (forbidden.is_none()
                    && self
                        .body_contains
                        .as_ref()
                        .is_none_or(|needle| contains(body, needle.as_bytes()))
                    && self.body_json.iter().all(|c| c.decided(body).is_some()))
        };
        let (body, error) = read_body(body.into_reader(), BODY_SEARCH_LIMIT, decided);
        notes.detail(format!(
            "read {} bytes of body by {}",
            body.len(),
            format_duration(deadline.elapsed())
        ));
        let mut failure = None;
        if let Some(needle) = &self.body_not_contains {
            if contains(&body, needle.as_bytes()) {
                failure = Some(format!("the body contains {}", shown(needle)));
            } else if error.is_none() {
                passed.push(format!("body without {}", shown(needle)));
            } else {
                // Cut short: what was not read may hold it.
                failure = Some(format!(
                    "only {} bytes of the body read, {} may follow",
                    body.len(),
                    shown(needle)
                ));
            }
        }
        if let (Some(needle), None) = (&self.body_contains, &failure) {
            if contains(&body, needle.as_bytes()) {
                passed.push(format!("body contains {}", shown(needle)));
            } else {
                failure = Some(format!(
                    "{} not in the first {} bytes of the body",
                    shown(needle),
                    body.len()
                ));
            }
        }
        for check in &self.body_json {
            if failure.is_some() {
                break;
            }
            match check.check(&body) {
                Ok(()) => passed.push(check.describe()),
                Err(m) if body.len() as u64 == BODY_SEARCH_LIMIT && m.body_ended => {
                    failure = Some(format!(
                        "{} not in the first {} bytes of the body",
                        check.describe(),
                        body.len()
                    ));
                }
                Err(m) => failure = Some(m.why),
            }
        }
        let Some(failure) = failure else {
            return Ok(Outcome::Healthy(passed.join(", ")));
        };
        let why = match error {
            Some(e) => format!("; {}", body_error(&e, deadline)),
            None => String::new(),
        };
        notes.excerpt = Some(body.iter().copied().take(EXCERPT_READ as usize).collect());
        Ok(Outcome::Unhealthy(format!(
            "{status_text}, but {failure}{why}"
        )))
    }

    /// Connects to the URL's addresses or the unix socket, then sets up TLS
    /// for https with `server_name` (the Host header's host).
    fn connect(
        &self,
        hop: &Hop,
        deadline: &Deadline,
        notes: &mut Notes,
        server_name: &str,
    ) -> Result<Conn, String> {
        let alpn = match self.http2 {
            true => tls::Alpn::H2OrHttp1,
            false => tls::Alpn::Http1,
        };
        let config = match hop.url.scheme.tls {
            true => Some(self.tls.client(alpn)?),
            false => None,
        };
        let plain = match &self.unix_socket {
            Some(path) => {
                let stream = unix::connect(path, deadline)
                    .map_err(|e| format!("{} ({})", net::io_reason(&e), path.display()))?;
                notes.detail(format!(
                    "connected to {} at {}",
                    path.display(),
                    format_duration(deadline.elapsed())
                ));
                Conn::Unix(DeadlineStream::new(stream, *deadline).map_err(|e| net::io_reason(&e))?)
            }
            None => Conn::tcp(&hop.url.host_port(), deadline, &mut notes.details)?,
        };
        match config {
            Some(client) => plain.with_tls(client, server_name, deadline, &mut notes.details),
            None => Ok(plain),
        }
    }

    /// The request's head; the caller adds the body.
    fn request(&self, hop: &Hop, host: &str, notes: &mut Notes) -> http::request::Builder {
        let mut builder = http::Request::builder()
            .method(hop.method.as_ref())
            .uri(hop.url.request_uri(&hop.url.host))
            .header("host", host)
            .header("connection", "close");
        let mut shown = vec![
            format!(
                "> {} {}",
                hop.method,
                crate::target::shown_path(&hop.url.path)
            ),
            format!("> host: {host}"),
        ];
        let mut add = |name: &str, value: &str, printable: String| {
            builder = std::mem::take(&mut builder).header(name, value);
            shown.push(format!("> {name}: {printable}"));
        };
        let user_sets = |name: &str| {
            self.headers
                .iter()
                .any(|h| h.name.eq_ignore_ascii_case(name))
        };
        if !user_sets("accept-encoding") {
            // No compression: the body is searched as it comes (RFC 9110
            // allows any coding when the header is missing).
            add("accept-encoding", "identity", "identity".into());
        }
        // Credentials go to the first URL's origin only (as curl -L).
        let auth = self.authorization.as_ref().filter(|_| hop.first_origin);
        let user_sets_auth = self
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("authorization"));
        if let (Some(auth), false) = (auth, user_sets_auth) {
            add("authorization", auth.expose(), auth.to_string());
        }
        // Another origin gets neither the user's credentials nor cookies,
        // as curl 7.88 sends them only to the first.
        let private = ["host", "authorization", "cookie"];
        for h in self.headers.iter().filter(|h| {
            !h.name.eq_ignore_ascii_case("host")
                && (hop.first_origin || !private.iter().any(|p| h.name.eq_ignore_ascii_case(p)))
        }) {
            add(&h.name, h.value.expose(), h.value.to_string());
        }
        let user_sets_type = self
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("content-type"));
        if let (Some(data), false, true) = (&self.data, user_sets_type, hop.data) {
            // As curl -d does, but JSON is said to be JSON.
            let json = matches!(data.trim_start().as_bytes().first(), Some(b'{' | b'['));
            let kind = match json {
                true => "application/json",
                false => "application/x-www-form-urlencoded",
            };
            add("content-type", kind, kind.to_string());
        }
        notes.details.extend(shown);
        builder
    }
}

/// `outcome` after the redirects in `chain`: `301 -> URL -> 200 OK`.
fn after(chain: &[(u16, String)], outcome: Outcome) -> Outcome {
    if chain.is_empty() {
        return outcome;
    }
    let chain = redirect::chain_text(chain);
    match outcome {
        Outcome::Healthy(t) => Outcome::Healthy(format!("{chain} -> {t}")),
        Outcome::Unhealthy(t) => Outcome::Unhealthy(format!("{chain} -> {t}")),
        Outcome::Warning(t) => Outcome::Warning(format!("{chain} -> {t}")),
        Outcome::NotChecked(t) => Outcome::NotChecked(format!("{chain} -> {t}")),
    }
}

/// Whether a Host value (`name:port`, `[v6]:port`) carries a port.
fn has_port(host: &str) -> bool {
    let port = match host.strip_prefix('[') {
        Some(rest) => rest.split_once("]:").map(|(_, p)| p),
        None => host
            .split_once(':')
            .filter(|(_, p)| !p.contains(':'))
            .map(|(_, p)| p),
    };
    port.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The bytes of the request head as ureq writes it: the request line, our
/// headers, the ones ureq adds (accept, user-agent, the body's length) and
/// the blank line.
fn head_size(
    head: &http::request::Builder,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
) -> usize {
    let line = method.len() + 1 + path.len() + " HTTP/1.1\r\n".len();
    let ours: usize = head.headers_ref().map_or(0, |headers| {
        headers
            .iter()
            .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
            .sum()
    });
    let ureq = "accept: */*\r\n".len()
        + concat!(
            "user-agent: healthprobe/",
            env!("CARGO_PKG_VERSION"),
            "\r\n"
        )
        .len()
        + body.map_or(0, |b| format!("content-length: {}\r\n", b.len()).len());
    line + ours + ureq + 2
}

/// Reads up to `limit` bytes, stopping early once `decided` says what has
/// come is enough. Keeps what it got if the read fails (deadline, reset).
///
/// `decided` looks at the whole body so far, after every read while it has
/// looked at fewer than 16 x `limit` bytes in all, then only when the body
/// has doubled: a peer sending a byte at a time cannot make the scans cost
/// the square of the body.
fn read_body(
    reader: impl Read,
    limit: u64,
    decided: impl Fn(&[u8]) -> bool,
) -> (Vec<u8>, Option<std::io::Error>) {
    let budget = 16 * limit as usize;
    let (mut examined, mut last) = (0, 0);
    let mut reader = reader.take(limit);
    let mut body = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match reader.read(&mut chunk) {
            Ok(0) => return (body, None),
            Ok(n) => {
                body.extend_from_slice(&chunk[..n]);
                if examined + body.len() <= budget || body.len() >= 2 * last {
                    examined += body.len();
                    last = body.len();
                    if decided(&body) {
                        return (body, None);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (body, Some(e)),
        }
    }
}

/// Why reading the body stopped. ureq's body reader wraps its own errors in io::Error.
fn body_error(e: &std::io::Error, deadline: &Deadline) -> String {
    let inner = e.get_ref();
    if let Some(h2) = inner.and_then(|i| i.downcast_ref::<h2::BodyError>()) {
        return h2.0.clone();
    }
    match inner.and_then(|i| i.downcast_ref::<ureq::Error>()) {
        Some(inner) => describe(inner, deadline, "reading the body"),
        None => net::describe_io(e, deadline, "reading the body"),
    }
}

/// A ureq error as the reason in the report line.
fn describe(e: &ureq::Error, deadline: &Deadline, phase: &str) -> String {
    match e {
        ureq::Error::Timeout(_) => format!("timed out after {} {phase}", deadline.budget()),
        ureq::Error::Io(io) => net::describe_io(io, deadline, phase),
        ureq::Error::Protocol(ureq_proto::Error::OutputOverflow) => {
            format!(
                "request head larger than {} KiB (are the headers too long?)",
                transport::OUTPUT_BUFFER / 1024
            )
        }
        ureq::Error::Protocol(p) => format!("not a valid HTTP response: {p}"),
        ureq::Error::LargeResponseHeader(_, limit) => {
            format!("response headers larger than {} KiB", limit / 1024)
        }
        other => other.to_string(),
    }
}
