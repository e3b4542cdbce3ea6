//! `--http2`: the check's request over HTTP/2 (`crate::h2`, the codec and
//! limits the gRPC check uses), on a connection already made: h2c with
//! prior knowledge on http://, or TLS where the server chose h2 by ALPN.
//! The request is the one HTTP/1.1 would send (the same builder), its
//! headers turned into HTTP/2's: Host becomes `:authority`, and the
//! connection-specific ones HTTP/2 forbids (RFC 9113 section 8.2.2) are
//! left out, as curl leaves them out.

use std::io::{self, Read};

use ureq::http::{self, HeaderMap, HeaderName, HeaderValue};

use crate::h2::client::{Connection, Failure};
use crate::h2::{frame, hpack};
use crate::net::conn::Conn;

/// Headers HTTP/2 forbids (`te` is allowed only as `trailers`).
const CONNECTION_HEADERS: [&str; 5] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
];

/// The response head, and its body to read.
pub struct Head {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Body,
}

/// Why the exchange failed: a socket error, or the server's breach of the
/// protocol or of a limit, in words.
pub type Error = Failure;

/// The largest request body sent (one DATA frame).
pub const MAX_BODY: usize = frame::MAX_FRAME_SIZE;

/// Sends the request `head` (with `user_agent` and `accept` unless it has
/// its own) and `body` on `conn`, and reads the response head.
pub fn exchange(
    conn: Conn,
    head: &http::request::Builder,
    defaults: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Head, Error> {
    let block = request_block(head, defaults, body)?;
    let mut h2 = Connection::start(conn)?;
    h2.send_request(&block, body)?;
    // -v lists the headers from the map, as for HTTP/1.1.
    let fields = h2.read_head(&mut |_| {})?;
    let mut status = None;
    let mut headers = HeaderMap::new();
    for (name, value) in fields {
        if name == b":status" {
            status = std::str::from_utf8(&value)
                .ok()
                .filter(|s| s.len() == 3)
                .and_then(|s| s.parse::<u16>().ok());
            continue;
        }
        if name.starts_with(b":") {
            continue;
        }
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&name),
            HeaderValue::from_bytes(&value),
        ) else {
            return Err(Failure::Protocol(
                "a malformed response header (PROTOCOL_ERROR)".into(),
            ));
        };
        headers.append(name, value);
    }
    let status = status
        .filter(|s| (200..=999).contains(s))
        .ok_or_else(|| Failure::Protocol("a response without a valid :status".into()))?;
    Ok(Head {
        status,
        headers,
        body: Body {
            h2,
            pending: Vec::new(),
            at: 0,
        },
    })
}

/// The request's HPACK block: the pseudo-headers, then the others.
fn request_block(
    head: &http::request::Builder,
    defaults: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Vec<u8>, Error> {
    let (Some(method), Some(uri), Some(headers)) =
        (head.method_ref(), head.uri_ref(), head.headers_ref())
    else {
        return Err(Failure::Protocol("cannot build the request".into()));
    };
    let authority = headers
        .get(http::header::HOST)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut block = Vec::with_capacity(512);
    let pseudo: [(&[u8], &[u8]); 4] = [
        (b":method", method.as_str().as_bytes()),
        (b":scheme", uri.scheme_str().unwrap_or("http").as_bytes()),
        (b":authority", authority),
        (b":path", path.as_bytes()),
    ];
    for (name, value) in pseudo {
        hpack::encode_literal(&mut block, name, value);
    }
    for (name, value) in defaults {
        if !headers.contains_key(*name) {
            hpack::encode_literal(&mut block, name.as_bytes(), value.as_bytes());
        }
    }
    for (name, value) in headers {
        let forbidden = CONNECTION_HEADERS.contains(&name.as_str())
            || (name == http::header::TE && value.as_bytes() != b"trailers");
        if name != http::header::HOST && !forbidden {
            hpack::encode_literal(&mut block, name.as_str().as_bytes(), value.as_bytes());
        }
    }
    if let Some(body) = body {
        let length = body.len().to_string();
        hpack::encode_literal(&mut block, b"content-length", length.as_bytes());
    }
    Ok(block)
}

/// The response body, read DATA frame by DATA frame as it is asked for.
pub struct Body {
    h2: Connection<Conn>,
    pending: Vec<u8>,
    at: usize,
}

/// A breach of the protocol or of a limit while the body is read.
#[derive(Debug)]
pub struct BodyError(pub String);

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BodyError {}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.pending.len() {
            match self.h2.read_data(&mut |_| {}) {
                Ok(Some(data)) => (self.pending, self.at) = (data, 0),
                Ok(None) => return Ok(0),
                Err(Failure::Io(e)) => return Err(e),
                Err(Failure::Protocol(why)) => return Err(io::Error::other(BodyError(why))),
            }
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
