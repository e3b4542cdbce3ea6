//! `grpc.health.v1.Health/Check` on the same port as `/healthz`, over the
//! server side of `crate::h2` (h2c, prior knowledge): what a Kubernetes
//! `grpc:` probe, `grpc_health_probe`, grpcio's stub and this probe's own
//! `grpc` check ask. Service `""` is the whole set: SERVING or NOT_SERVING;
//! any other name is NOT_FOUND, as the standard health service answers; any
//! other method (`Watch` too: a stream) is UNIMPLEMENTED. The messages are
//! the gRPC check's own (`probe/grpc/message.rs`), read from the other side.

use std::time::Instant;

use super::conn::Conn;
use super::health::Health;
use super::http1::{HEAD_LIMIT, IDLE_LIMIT, WRITE_LIMIT};
use crate::h2::server::{self, Limits, Reply, Request};
use crate::probe::grpc::message::{self, MAX_MESSAGE, ServingStatus};

const PATH: &[u8] = b"/grpc.health.v1.Health/Check";

/// gRPC status codes we answer with.
const GRPC_OK: &[u8] = b"0";
const GRPC_INVALID_ARGUMENT: &[u8] = b"3";
const GRPC_NOT_FOUND: &[u8] = b"5";
const GRPC_UNIMPLEMENTED: &[u8] = b"12";

/// The HTTP/1 limits, for HTTP/2 too: a request's frames within the head
/// limit, the idle limit between requests.
const LIMITS: Limits = Limits {
    request: HEAD_LIMIT,
    idle: IDLE_LIMIT,
    write: WRITE_LIMIT,
    max_body: MAX_MESSAGE,
};

/// Serves the connection after its preface (`rest`: bytes read after it);
/// the first request must be whole by `until`.
pub fn serve(conn: &mut Conn, health: &Health, rest: &[u8], until: Instant) {
    server::serve(conn, rest, until, &LIMITS, &mut |request| {
        answer(health, request)
    });
}

fn answer(health: &Health, request: &Request) -> Reply {
    let is_check =
        request.field(b":method") == Some(b"POST") && request.field(b":path") == Some(PATH);
    let status = match (is_check, message::requested_service(request.body)) {
        (false, _) => Err((
            GRPC_UNIMPLEMENTED,
            "only grpc.health.v1.Health/Check is served",
        )),
        (true, Err(why)) => Err((GRPC_INVALID_ARGUMENT, why)),
        (true, Ok(name)) if !name.is_empty() => Err((GRPC_NOT_FOUND, "unknown service")),
        (true, Ok(_)) => Ok(
            match health
                .answer(health.run_limit + WRITE_LIMIT)
                .is_some_and(|a| a.healthy)
            {
                true => ServingStatus::Serving,
                false => ServingStatus::NotServing,
            },
        ),
    };
    let mut headers: Vec<(&'static [u8], Vec<u8>)> = vec![
        (b":status", b"200".to_vec()),
        (b"content-type", b"application/grpc".to_vec()),
    ];
    match status {
        Ok(serving) => Reply {
            headers,
            body: message::response(serving),
            trailers: vec![(b"grpc-status", GRPC_OK.to_vec())],
        },
        Err((code, why)) => {
            // Trailers-only: the status in the one header block.
            headers.push((b"grpc-status", code.to_vec()));
            headers.push((b"grpc-message", why.as_bytes().to_vec()));
            Reply {
                headers,
                body: Vec::new(),
                trailers: Vec::new(),
            }
        }
    }
}
