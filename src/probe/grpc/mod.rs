//! `grpc HOST:PORT`: one `grpc.health.v1.Health/Check` call, healthy only
//! when the answer is SERVING. Over HTTP/2 on the blocking socket, in plain
//! text (h2c with prior knowledge, as gRPC servers accept) or over TLS (ALPN
//! h2). The pieces: the call and its verdict here, the health messages in
//! `message.rs`, HTTP/2 and HPACK
//! in `crate::h2`.

pub mod message;

use std::sync::Arc;

use crate::deadline::Deadline;
use crate::h2::client::{Connection, Failure, Response};
use crate::h2::hpack;
use crate::net::conn::Conn;
use crate::net::{self};
use crate::probe::{Notes, Outcome, Probe};
use crate::redacted::shown_header_value;
use crate::report::{escape_excerpt, shown};
use crate::target::{HostPort, host_of_authority, percent_decode};
use crate::tls;
use crate::values::Header;
use message::ServingStatus;

const PATH: &str = "/grpc.health.v1.Health/Check";

#[derive(Debug, Clone)]
pub struct GrpcCheck {
    pub target: HostPort,
    pub service: String,
    pub tls: bool,
    pub authority: Option<String>,
    pub headers: Vec<Header>,
    pub tls_settings: Arc<tls::Settings>,
}

impl Probe for GrpcCheck {
    fn subject(&self) -> String {
        let scheme = if self.tls { "grpcs" } else { "grpc" };
        match self.service.as_str() {
            "" => format!("{scheme} {}", self.target),
            s => format!("{scheme} {} service {}", self.target, shown(s)),
        }
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        match self.call(deadline, notes) {
            Ok(ServingStatus::Serving) => Outcome::Healthy(ServingStatus::Serving.to_string()),
            Ok(other) => Outcome::Unhealthy(other.to_string()),
            Err(reason) => Outcome::Unhealthy(reason),
        }
    }

    fn secrets(&self) -> crate::redacted::Secrets<'_> {
        let mut secrets = crate::redacted::Secrets::default();
        for h in &self.headers {
            if let crate::cli::HeaderValue::Secret(value) = &h.value {
                secrets
                    .passwords
                    .extend(crate::redacted::header_secrets(value));
            }
        }
        secrets
    }
}

impl GrpcCheck {
    /// The serving status the server reports, or why there is none.
    fn call(&self, deadline: &Deadline, notes: &mut Notes) -> Result<ServingStatus, String> {
        let config = match self.tls {
            true => Some(self.tls_settings.client(tls::Alpn::H2)?),
            false => None,
        };
        let plain = Conn::tcp(&self.target, deadline, &mut notes.details)?;
        let conn = match config {
            None => plain,
            Some(client) => {
                let name = self
                    .authority
                    .as_deref()
                    .map_or(self.target.host.as_str(), host_of_authority);
                let conn = plain.with_tls(client, name, deadline, &mut notes.details)?;
                if conn.alpn() != Some(b"h2") {
                    return Err("the TLS server does not speak HTTP/2 (no ALPN h2): \
                                not a gRPC server?"
                        .into());
                }
                conn
            }
        };
        let failed = |f: Failure| match f {
            Failure::Io(e) => net::describe_io(&e, deadline, "waiting for the answer"),
            Failure::Protocol(p) => p,
        };
        let mut h2 = Connection::start(conn).map_err(failed)?;
        h2.send_request(
            &self.request_headers(deadline),
            Some(&message::request(&self.service)),
        )
        .map_err(failed)?;
        let response = h2
            .read_response(
                |headers| {
                    for (name, value) in headers {
                        let name = String::from_utf8_lossy(name);
                        let value = shown_header_value(&name, value);
                        notes.detail(format!("< {name}: {value}"));
                    }
                },
                |body| match message::announced_length(body) {
                    Some(n) if n > message::MAX_MESSAGE => Err(format!(
                        "the server announced a {n}-byte answer; a health answer is a few bytes"
                    )),
                    _ => Ok(()),
                },
            )
            .map_err(failed)?;
        verdict(&response)
    }

    /// The request's header block (HPACK literals, never indexed).
    fn request_headers(&self, deadline: &Deadline) -> Vec<u8> {
        let authority = self
            .authority
            .clone()
            .unwrap_or_else(|| self.target.to_string());
        let scheme: &[u8] = if self.tls { b"https" } else { b"http" };
        // The server may give up when we would: our deadline, in milliseconds.
        let timeout = format!("{}m", deadline.remaining().as_millis().clamp(1, 99_999_999));
        let pairs: [(&[u8], &[u8]); 8] = [
            (b":method", b"POST"),
            (b":scheme", scheme),
            (b":path", PATH.as_bytes()),
            (b":authority", authority.as_bytes()),
            (b"content-type", b"application/grpc"),
            (b"te", b"trailers"),
            (
                b"user-agent",
                concat!("healthprobe/", env!("CARGO_PKG_VERSION")).as_bytes(),
            ),
            (b"grpc-timeout", timeout.as_bytes()),
        ];
        let mut block = Vec::with_capacity(256);
        for (name, value) in pairs {
            hpack::encode_literal(&mut block, name, value);
        }
        for h in &self.headers {
            hpack::encode_literal(
                &mut block,
                h.name.to_ascii_lowercase().as_bytes(),
                h.value.expose().as_bytes(),
            );
        }
        block
    }
}

/// From the response's headers, trailers and message to the serving status.
fn verdict(response: &Response) -> Result<ServingStatus, String> {
    let get = |name: &[u8]| {
        response
            .headers
            .iter()
            .chain(&response.trailers)
            .find(|(n, _)| n == name)
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    if let Some(status) = get(b":status").filter(|s| s != "200") {
        return Err(format!("HTTP status {status} (not a gRPC endpoint?)"));
    }
    let Some(code) = get(b"grpc-status") else {
        return Err("response without grpc-status".into());
    };
    let code: u32 = code
        .trim()
        .parse()
        .map_err(|_| format!("bad grpc-status {}", shown(&code)))?;
    if code != 0 {
        let message = get(b"grpc-message")
            .map(|m| percent_decode(&m))
            .filter(|m| !m.is_empty());
        let name = grpc_code(code);
        return Err(match message {
            Some(m) => format!("gRPC status {name}: {}", escape_excerpt(m.as_bytes())),
            None => format!("gRPC status {name}"),
        });
    }
    message::serving_status(&response.body).map_err(String::from)
}

fn grpc_code(code: u32) -> String {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    NAMES
        .get(code as usize)
        .map_or_else(|| format!("{code}"), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(pairs: &[(&str, &str)], body: &[u8]) -> Response {
        Response {
            headers: pairs
                .iter()
                .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
                .collect(),
            trailers: Vec::new(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn verdicts() {
        let ok = [(":status", "200"), ("grpc-status", "0")];
        assert_eq!(
            verdict(&response(&ok, &[0, 0, 0, 0, 2, 0x08, 1])),
            Ok(ServingStatus::Serving)
        );
        assert_eq!(
            verdict(&response(&ok, &[0, 0, 0, 0, 2, 0x08, 2])),
            Ok(ServingStatus::NotServing)
        );
        let missing = [
            (":status", "200"),
            ("grpc-status", "5"),
            ("grpc-message", "unknown%20service"),
        ];
        assert_eq!(
            verdict(&response(&missing, &[])),
            Err("gRPC status NOT_FOUND: unknown service".into())
        );
        assert!(verdict(&response(&[(":status", "404")], &[])).is_err());
    }
}
