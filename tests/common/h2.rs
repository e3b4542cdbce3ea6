//! Raw HTTP/2 for servers that misbehave on purpose: frames and HPACK
//! written by hand (RFC 9113, RFC 7541), independent of the probe's code.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PUSH_PROMISE: u8 = 0x5;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;
pub const WINDOW_UPDATE: u8 = 0x8;
pub const CONTINUATION: u8 = 0x9;

pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const PADDED: u8 = 0x8;

/// One frame.
pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(9 + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// An HPACK string literal, no Huffman.
pub fn string(out: &mut Vec<u8>, s: &[u8]) {
    integer(out, 0x00, 7, s.len());
    out.extend_from_slice(s);
}

/// An HPACK integer with an N-bit prefix, the prefix's other bits `first`.
pub fn integer(out: &mut Vec<u8>, first: u8, prefix: u32, mut value: usize) {
    let max = (1usize << prefix) - 1;
    if value < max {
        out.push(first | value as u8);
        return;
    }
    out.push(first | max as u8);
    value -= max;
    while value >= 128 {
        out.push((value % 128) as u8 | 0x80);
        value /= 128;
    }
    out.push(value as u8);
}

/// A header field as a literal without indexing, new name.
pub fn literal(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.push(0x00);
    string(out, name.as_bytes());
    string(out, value);
}

/// The header block of a 200 response with content-type application/grpc.
pub fn response_head() -> Vec<u8> {
    let mut block = vec![0x88]; // :status 200, static index 8
    literal(&mut block, "content-type", b"application/grpc");
    block
}

/// The trailers of a gRPC call that succeeded.
pub fn ok_trailers() -> Vec<u8> {
    let mut block = Vec::new();
    literal(&mut block, "grpc-status", b"0");
    block
}

/// A HealthCheckResponse { status: SERVING } in gRPC's framing.
pub const SERVING_MESSAGE: [u8; 7] = [0, 0, 0, 0, 2, 0x08, 1];

/// A whole healthy answer on stream 1: head, message, trailers.
pub fn serving_answer() -> Vec<u8> {
    let mut out = frame(HEADERS, END_HEADERS, 1, &response_head());
    out.extend(frame(DATA, 0, 1, &SERVING_MESSAGE));
    out.extend(frame(HEADERS, END_HEADERS | END_STREAM, 1, &ok_trailers()));
    out
}

/// Reads the client's preface and frames until its request on stream 1 is
/// complete (DATA, or HEADERS for a request without a body, with
/// END_STREAM), at most 5 s and 64 KiB.
pub fn read_request(stream: &mut TcpStream) -> bool {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut preface = [0u8; 24];
    if stream.read_exact(&mut preface).is_err() || &preface != b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" {
        return false;
    }
    for _ in 0..64 {
        let mut head = [0u8; 9];
        if stream.read_exact(&mut head).is_err() {
            return false;
        }
        let len = (usize::from(head[0]) << 16) | (usize::from(head[1]) << 8) | usize::from(head[2]);
        let mut payload = vec![0u8; len.min(65536)];
        if stream.read_exact(&mut payload).is_err() {
            return false;
        }
        if (head[3] == DATA || head[3] == HEADERS) && head[4] & END_STREAM != 0 {
            return true;
        }
    }
    false
}

/// Reads what the client sends from now on, until it closes (so our writes
/// do not fail while it still reads), on a thread of its own.
pub fn drain(stream: &TcpStream) {
    if let Ok(mut reader) = stream.try_clone() {
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
            }
        });
    }
}

/// Our SETTINGS (empty) and the acknowledgement of the client's.
pub fn handshake(stream: &mut TcpStream) -> std::io::Result<()> {
    stream.write_all(&frame(SETTINGS, 0, 0, &[]))?;
    stream.write_all(&frame(SETTINGS, ACK, 0, &[]))
}
