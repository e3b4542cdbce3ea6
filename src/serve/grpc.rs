//! `grpc.health.v1.Health/Check` over HTTP/2 with prior knowledge (h2c), on
//! the same port as `/healthz`: what a Kubernetes `grpc:` probe,
//! `grpc_health_probe`, grpcio's stub and this probe's own `grpc` check ask.
//! Service `""` is the whole set (SERVING or NOT_SERVING); any other name is
//! NOT_FOUND, as the standard health service answers.
//!
//! The frames and HPACK are `crate::h2`'s, with the client's limits: the
//! decoded header list ([`MAX_HEADER_LIST`], announced), the raw header
//! block, the message, and frames that carry no request (at most
//! [`MAX_IDLE_FRAMES`] per request). One stream at a time
//! (SETTINGS_MAX_CONCURRENT_STREAMS 1): a health check asks one question; a
//! second stream opened meanwhile is refused (REFUSED_STREAM, which gRPC
//! clients retry).
//! A request must be whole within the head limit of its first frame, and a
//! connection between requests closes after the idle limit, however many
//! PINGs arrive meanwhile.

use std::time::Instant;

use super::conn::{Conn, Got};
use super::health::Health;
use super::http1::{HEAD_LIMIT, IDLE_LIMIT, WRITE_LIMIT};
use crate::h2::client::MAX_HEADER_LIST;
use crate::h2::frame::{
    self, AckFlag, DataFlags, Head, HeadersFlags, Kind, Reason, StreamId, setting,
};
use crate::h2::hpack::{self, Decoder};
use crate::probe::grpc::message::{self, MAX_MESSAGE, ServingStatus};

/// The raw header block (HEADERS and its CONTINUATIONs) we read.
pub const MAX_HEADER_BLOCK: usize = 16 * 1024;
/// Frames that carry no part of a request, per request.
pub const MAX_IDLE_FRAMES: usize = 100;
const PATH: &[u8] = b"/grpc.health.v1.Health/Check";
/// gRPC status codes we answer with.
const GRPC_OK: &str = "0";
const GRPC_NOT_FOUND: &str = "5";
const GRPC_UNIMPLEMENTED: &str = "12";
const GRPC_INVALID_ARGUMENT: &str = "3";

/// The request on the one open stream.
struct Stream {
    id: u32,
    /// The header block while CONTINUATIONs are due.
    block: Option<Vec<u8>>,
    is_check: bool,
    /// END_STREAM came with the HEADERS: the request is whole with its block.
    ended: bool,
    body: Vec<u8>,
}

/// Why the connection ends.
enum End {
    /// The client left, idled out, or the server stops: GOAWAY NO_ERROR if
    /// the socket still takes it.
    Quiet,
    /// The client broke the protocol or a limit.
    Error(Reason),
}

/// Serves the connection after its preface (`rest`: bytes already read
/// after it); the first request must be whole by `until`.
pub fn serve(conn: &mut Conn, health: &Health, rest: &[u8], until: Instant) {
    let mut h2 = Server {
        conn,
        health,
        input: rest.to_vec(),
        decoder: Decoder::new(MAX_HEADER_LIST),
        last_stream: 0,
    };
    let end = h2.run(until);
    let reason = match &end {
        End::Quiet => Reason::NO_ERROR,
        End::Error(reason) => *reason,
    };
    let mut payload = h2.last_stream.to_be_bytes().to_vec();
    payload.extend_from_slice(&reason.0.to_be_bytes());
    let mut out = Vec::new();
    frame::encode(&mut out, Kind::GoAway, 0, StreamId::CONNECTION, &payload);
    if h2
        .conn
        .write_all(&out, Instant::now() + WRITE_LIMIT)
        .is_ok()
        && matches!(end, End::Error(_))
    {
        h2.conn.close_gently();
    }
}

struct Server<'a> {
    conn: &'a mut Conn,
    health: &'a Health,
    /// Bytes read and not yet used.
    input: Vec<u8>,
    decoder: Decoder,
    last_stream: u32,
}

impl Server<'_> {
    fn run(&mut self, mut until: Instant) -> End {
        let mut settings = Vec::new();
        frame::encode_setting(&mut settings, setting::MAX_CONCURRENT_STREAMS, 1);
        frame::encode_setting(
            &mut settings,
            setting::MAX_HEADER_LIST_SIZE,
            MAX_HEADER_LIST as u32,
        );
        if self.send(Kind::Settings, 0, 0, &settings).is_err() {
            return End::Quiet;
        }
        let mut stream: Option<Stream> = None;
        let mut idle_frames = 0;
        loop {
            let Some(head) = self.fill(Head::SIZE, until, stream.is_none()) else {
                return End::Quiet;
            };
            let mut bytes = [0u8; Head::SIZE];
            bytes.copy_from_slice(head);
            let head = Head::parse(&bytes);
            if head.len > frame::MAX_FRAME_SIZE {
                return End::Error(Reason::FRAME_SIZE_ERROR);
            }
            let Some(payload) = self.fill(Head::SIZE + head.len, until, false) else {
                return End::Quiet;
            };
            let payload = payload[Head::SIZE..].to_vec();
            self.input.drain(..Head::SIZE + head.len);
            // A header block, once begun, is all the client may send until it ends.
            let continuing = stream.as_ref().is_some_and(|s| s.block.is_some());
            if continuing != (head.kind == Kind::Continuation) {
                return End::Error(Reason::PROTOCOL_ERROR);
            }
            let mut answered = false;
            match head.kind {
                Kind::Settings => {
                    if head.stream != StreamId::CONNECTION || !head.len.is_multiple_of(6) {
                        return End::Error(Reason::PROTOCOL_ERROR);
                    }
                    if !AckFlag(head.flags).ack()
                        && self.send(Kind::Settings, AckFlag::ACK, 0, &[]).is_err()
                    {
                        return End::Quiet;
                    }
                    idle_frames += 1;
                }
                Kind::Ping => {
                    if head.len != 8 {
                        return End::Error(Reason::FRAME_SIZE_ERROR);
                    }
                    if !AckFlag(head.flags).ack()
                        && self.send(Kind::Ping, AckFlag::ACK, 0, &payload).is_err()
                    {
                        return End::Quiet;
                    }
                    idle_frames += 1;
                }
                Kind::GoAway => return End::Quiet,
                Kind::PushPromise => return End::Error(Reason::PROTOCOL_ERROR),
                Kind::RstStream => {
                    if stream.as_ref().is_some_and(|s| s.id == head.stream.0) {
                        stream = None;
                    }
                    idle_frames += 1;
                }
                Kind::WindowUpdate | Kind::Priority | Kind::Unknown(_) => idle_frames += 1,
                Kind::Headers => {
                    let id = head.stream.0;
                    if id.is_multiple_of(2) || id <= self.last_stream {
                        return End::Error(Reason::PROTOCOL_ERROR);
                    }
                    self.last_stream = id;
                    let flags = HeadersFlags(head.flags);
                    let Some(fragment) = headers_fragment(&payload, flags) else {
                        return End::Error(Reason::PROTOCOL_ERROR);
                    };
                    if stream.is_some() {
                        // Past the one stream we announced: refused (the client
                        // may retry it), its block still decoded so that the
                        // HPACK table stays in step.
                        if !flags.end_headers() {
                            return End::Error(Reason::PROTOCOL_ERROR);
                        }
                        let mut refused = Stream {
                            id,
                            block: Some(fragment.to_vec()),
                            is_check: false,
                            ended: true,
                            body: Vec::new(),
                        };
                        if let Err(end) = self.decode(&mut refused) {
                            return end;
                        }
                        let code = Reason::REFUSED_STREAM.0.to_be_bytes();
                        if self.send(Kind::RstStream, 0, id, &code).is_err() {
                            return End::Quiet;
                        }
                        idle_frames += 1;
                        continue;
                    }
                    until = Instant::now() + HEAD_LIMIT;
                    let mut s = Stream {
                        id,
                        block: Some(fragment.to_vec()),
                        is_check: false,
                        ended: flags.end_stream(),
                        body: Vec::new(),
                    };
                    if flags.end_headers()
                        && let Err(end) = self.decode(&mut s)
                    {
                        return end;
                    }
                    if s.ended && s.block.is_none() {
                        if self.answer(&s).is_err() {
                            return End::Quiet;
                        }
                        answered = true;
                    } else {
                        stream = Some(s);
                    }
                }
                Kind::Continuation => {
                    let Some(s) = stream.as_mut() else {
                        return End::Error(Reason::PROTOCOL_ERROR);
                    };
                    if s.id != head.stream.0 {
                        return End::Error(Reason::PROTOCOL_ERROR);
                    }
                    let block = s.block.get_or_insert_default();
                    if block.len() + payload.len() > MAX_HEADER_BLOCK {
                        return End::Error(Reason::ENHANCE_YOUR_CALM);
                    }
                    block.extend_from_slice(&payload);
                    if payload.is_empty() {
                        idle_frames += 1;
                    }
                    if frame::ContinuationFlags(head.flags).end_headers() {
                        if let Err(end) = self.decode(s) {
                            return end;
                        }
                        if s.ended {
                            let s = stream.take();
                            if s.is_some_and(|s| self.answer(&s).is_err()) {
                                return End::Quiet;
                            }
                            answered = true;
                        }
                    }
                }
                Kind::Data => {
                    let Some(s) = stream
                        .as_mut()
                        .filter(|s| s.id == head.stream.0 && !s.ended)
                    else {
                        if head.stream.0 > self.last_stream || head.stream == StreamId::CONNECTION {
                            // A stream never opened.
                            return End::Error(Reason::PROTOCOL_ERROR);
                        }
                        // A stream refused, reset or answered: dropped, its
                        // credit given back to the connection.
                        idle_frames += 1;
                        if head.len > 0 && self.window_update(head.len, None).is_err() {
                            return End::Quiet;
                        }
                        continue;
                    };
                    let flags = DataFlags(head.flags);
                    let Some(data) = data_of(&payload, flags) else {
                        return End::Error(Reason::PROTOCOL_ERROR);
                    };
                    if s.body.len() + data.len() > MAX_MESSAGE {
                        return End::Error(Reason::ENHANCE_YOUR_CALM);
                    }
                    s.body.extend_from_slice(data);
                    if payload.is_empty() {
                        idle_frames += 1;
                    } else if self.window_update(head.len, Some(s.id)).is_err() {
                        return End::Quiet;
                    }
                    if flags.end_stream() {
                        let s = stream.take();
                        if s.is_some_and(|s| self.answer(&s).is_err()) {
                            return End::Quiet;
                        }
                        answered = true;
                    }
                }
            }
            if answered {
                idle_frames = 0;
                until = Instant::now() + IDLE_LIMIT;
                if self.conn.stopping() {
                    return End::Quiet;
                }
            } else if idle_frames > MAX_IDLE_FRAMES {
                return End::Error(Reason::ENHANCE_YOUR_CALM);
            }
        }
    }

    /// Makes sure `n` bytes are read; `None` if the client closed, was too
    /// slow or the server stops (`stoppable`: between requests).
    fn fill(&mut self, n: usize, until: Instant, stoppable: bool) -> Option<&[u8]> {
        let mut chunk = [0u8; 4096];
        while self.input.len() < n {
            let want = (n - self.input.len()).max(Head::SIZE).min(chunk.len());
            match self.conn.read(&mut chunk[..want], until, stoppable) {
                Ok(Got::Bytes(0)) | Ok(Got::TimedOut) | Ok(Got::Stopped) | Err(_) => return None,
                Ok(Got::Bytes(got)) => self.input.extend_from_slice(&chunk[..got]),
            }
        }
        Some(&self.input[..n])
    }

    fn send(&mut self, kind: Kind, flags: u8, stream: u32, payload: &[u8]) -> std::io::Result<()> {
        let mut out = Vec::with_capacity(Head::SIZE + payload.len());
        frame::encode(&mut out, kind, flags, StreamId(stream), payload);
        self.conn.write_all(&out, Instant::now() + WRITE_LIMIT)
    }

    /// Gives back the flow-control credit DATA used: to the connection, and
    /// to the stream while it is open.
    fn window_update(&mut self, len: usize, stream: Option<u32>) -> std::io::Result<()> {
        let mut out = Vec::new();
        let credit = (len as u32).to_be_bytes();
        frame::encode(
            &mut out,
            Kind::WindowUpdate,
            0,
            StreamId::CONNECTION,
            &credit,
        );
        if let Some(stream) = stream {
            frame::encode(&mut out, Kind::WindowUpdate, 0, StreamId(stream), &credit);
        }
        self.conn.write_all(&out, Instant::now() + WRITE_LIMIT)
    }

    /// Decodes the stream's finished header block: is it a Health/Check call?
    fn decode(&mut self, s: &mut Stream) -> Result<(), End> {
        let block = s.block.take().unwrap_or_default();
        let headers = self.decoder.decode(&block).map_err(|e| match e {
            hpack::HpackError::TooLarge => End::Error(Reason::ENHANCE_YOUR_CALM),
            hpack::HpackError::Malformed(_) => End::Error(Reason::COMPRESSION_ERROR),
        })?;
        let field = |name: &[u8]| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_slice())
        };
        s.is_check = field(b":method") == Some(b"POST") && field(b":path") == Some(PATH);
        Ok(())
    }

    /// Answers a whole request: the health of the set, NOT_FOUND for
    /// another service, UNIMPLEMENTED for another method.
    fn answer(&mut self, s: &Stream) -> std::io::Result<()> {
        let service = message::requested_service(&s.body);
        let status = match (s.is_check, &service) {
            (false, _) => Err(GRPC_UNIMPLEMENTED),
            (true, Err(_)) => Err(GRPC_INVALID_ARGUMENT),
            (true, Ok(name)) if !name.is_empty() => Err(GRPC_NOT_FOUND),
            (true, Ok(_)) => {
                let healthy = self
                    .health
                    .answer(self.health.run_limit + WRITE_LIMIT)
                    .is_some_and(|a| a.healthy);
                Ok(match healthy {
                    true => ServingStatus::Serving,
                    false => ServingStatus::NotServing,
                })
            }
        };
        let mut out = Vec::new();
        let mut block = Vec::new();
        hpack::encode_literal(&mut block, b":status", b"200");
        hpack::encode_literal(&mut block, b"content-type", b"application/grpc");
        let end = HeadersFlags::END_HEADERS | HeadersFlags::END_STREAM;
        match status {
            Ok(serving) => {
                frame::encode(
                    &mut out,
                    Kind::Headers,
                    HeadersFlags::END_HEADERS,
                    StreamId(s.id),
                    &block,
                );
                frame::encode(
                    &mut out,
                    Kind::Data,
                    0,
                    StreamId(s.id),
                    &message::response(serving),
                );
                let mut trailers = Vec::new();
                hpack::encode_literal(&mut trailers, b"grpc-status", GRPC_OK.as_bytes());
                frame::encode(&mut out, Kind::Headers, end, StreamId(s.id), &trailers);
            }
            Err(code) => {
                // Trailers-only: the status in the one header block.
                hpack::encode_literal(&mut block, b"grpc-status", code.as_bytes());
                let why: &[u8] = match code {
                    GRPC_NOT_FOUND => b"unknown service",
                    GRPC_INVALID_ARGUMENT => b"malformed request",
                    _ => b"only grpc.health.v1.Health/Check is served",
                };
                hpack::encode_literal(&mut block, b"grpc-message", why);
                frame::encode(&mut out, Kind::Headers, end, StreamId(s.id), &block);
            }
        }
        self.conn.write_all(&out, Instant::now() + WRITE_LIMIT)
    }
}

/// A HEADERS payload without its padding and priority fields.
fn headers_fragment(payload: &[u8], flags: HeadersFlags) -> Option<&[u8]> {
    let (mut payload, pad) = match flags.padded() {
        true => {
            let (&pad, rest) = payload.split_first()?;
            (rest, usize::from(pad))
        }
        false => (payload, 0),
    };
    if flags.priority() {
        payload = payload.get(5..)?;
    }
    payload.get(..payload.len().checked_sub(pad)?)
}

/// A DATA payload without its padding.
fn data_of(payload: &[u8], flags: DataFlags) -> Option<&[u8]> {
    if !flags.padded() {
        return Some(payload);
    }
    let (&pad, rest) = payload.split_first()?;
    rest.get(..rest.len().checked_sub(usize::from(pad))?)
}
