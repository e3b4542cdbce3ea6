//! `healthprobe serve` from a hostile client: the first byte picks
//! - the HTTP/1 request head reader (src/serve/http1.rs): pipelined heads
//!   out of one buffer, as the connection reads them; every head used is
//!   within the bytes given and within MAX_HEAD;
//! - the HTTP/2 server side (src/h2/server.rs): any frames after the
//!   preface. It ends (the input is finite), each request handed on is
//!   within the header-list and body limits, and what it writes back stays
//!   in proportion to what it read (acknowledgements, credit, answers).
#![no_main]

use std::io;
use std::time::{Duration, Instant};

use healthprobe::h2::client::MAX_HEADER_LIST;
use healthprobe::h2::server::{self, Limits, Reply, Request, Transport};
use healthprobe::serve::http1::{self, MAX_HEAD, Parsed};
use libfuzzer_sys::fuzz_target;

/// The client's bytes in, in pieces of varying size; ours counted.
struct Client<'a> {
    input: &'a [u8],
    piece: usize,
    written: usize,
}

impl Transport for Client<'_> {
    fn read_by(&mut self, buf: &mut [u8], _: Instant, _: bool) -> Option<usize> {
        if self.input.is_empty() {
            return None;
        }
        self.piece = (self.piece * 7 + 3) % 61 + 1;
        let n = buf.len().min(self.input.len()).min(self.piece);
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input = &self.input[n..];
        Some(n)
    }

    fn write_by(&mut self, bytes: &[u8], _: Instant) -> io::Result<()> {
        self.written += bytes.len();
        Ok(())
    }

    fn stopping(&self) -> bool {
        false
    }

    fn close_gently(&mut self) {}
}

const MAX_BODY: usize = 1024;

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        heads(rest);
    } else {
        h2(rest);
    }
});

fn heads(input: &[u8]) {
    let mut buf = &input[..input.len().min(MAX_HEAD)];
    while !buf.is_empty() {
        match http1::parse(buf) {
            Parsed::Whole(_, used) => {
                assert!(used > 0 && used <= buf.len(), "{used} of {}", buf.len());
                buf = &buf[used..];
            }
            _ => break,
        }
    }
}

fn h2(input: &[u8]) {
    let mut client = Client {
        input,
        piece: 0,
        written: 0,
    };
    let limits = Limits {
        request: Duration::from_secs(1),
        idle: Duration::from_secs(1),
        write: Duration::from_secs(1),
        max_body: MAX_BODY,
    };
    let mut requests = 0usize;
    let mut respond = |r: &Request| {
        requests += 1;
        let list: usize = r.headers.iter().map(|(n, v)| n.len() + v.len() + 32).sum();
        assert!(list <= MAX_HEADER_LIST, "{list}");
        assert!(r.body.len() <= MAX_BODY, "{}", r.body.len());
        Reply {
            headers: vec![(&b":status"[..], b"200".to_vec())],
            body: b"0123456789".to_vec(),
            trailers: vec![(&b"grpc-status"[..], b"0".to_vec())],
        }
    };
    server::serve(
        &mut client,
        &[],
        Instant::now() + Duration::from_secs(1),
        &limits,
        &mut respond,
    );
    // Each request takes at least one 9-byte frame in; each frame in earns
    // at most an answer (some 80 bytes) or 26 bytes of credit back.
    assert!(requests <= input.len() / 9, "{requests} requests");
    assert!(
        client.written <= 10 * input.len() + 128,
        "{} for {}",
        client.written,
        input.len()
    );
}
