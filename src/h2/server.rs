//! The server side of an HTTP/2 connection with prior knowledge (h2c, RFC
//! 9113 section 3.3), after the client's preface: our SETTINGS, the
//! client's SETTINGS and PINGs acknowledged, each request (its header block
//! and body) assembled and handed to the caller, the reply framed. `serve`
//! answers gRPC health with it; the frames and HPACK are this room's own,
//! shared with the client side (`client.rs`).
//!
//! As on the client side, every count the peer controls has a ceiling: the
//! decoded header list ([`MAX_HEADER_LIST`], announced), the raw header
//! block ([`MAX_HEADER_BLOCK`]: an endless run of CONTINUATIONs is cut
//! there), the body (`Limits::max_body`), and frames that carry no request
//! (SETTINGS, PING, WINDOW_UPDATE, PRIORITY, empty DATA or CONTINUATION,
//! unknown types: [`MAX_IDLE_FRAMES`] per request). One stream at a time
//! (SETTINGS_MAX_CONCURRENT_STREAMS 1): a second opened meanwhile is refused
//! with REFUSED_STREAM, which clients retry, its header block still decoded
//! so that the HPACK table stays in step. A request must be whole within
//! `Limits::request` of its first frame (of the preface, for the first),
//! and the connection closes after `Limits::idle` between requests, however
//! many PINGs arrive meanwhile.

use std::io;
use std::time::{Duration, Instant};

use super::MAX_IDLE_FRAMES;
use super::client::MAX_HEADER_LIST;
use super::frame::{self, AckFlag, DataFlags, Head, HeadersFlags, Kind, Reason, StreamId, setting};
use super::hpack::{self, Decoder, Header};

/// The raw header block (HEADERS and its CONTINUATIONs) we read.
pub const MAX_HEADER_BLOCK: usize = 16 * 1024;

/// The connection as the server side needs it: reads and writes bounded by
/// a deadline, and the news that the server is stopping.
pub trait Transport {
    /// Reads some bytes by `until`; `None` when no more will come: the
    /// client closed, the deadline passed, or (when `stoppable`) the server
    /// is stopping.
    fn read_by(&mut self, buf: &mut [u8], until: Instant, stoppable: bool) -> Option<usize>;
    /// Writes all of `bytes` by `until`.
    fn write_by(&mut self, bytes: &[u8], until: Instant) -> io::Result<()>;
    /// Whether the server is stopping (the connection then ends after the
    /// answer in flight).
    fn stopping(&self) -> bool;
    /// Closes our side after a last frame, reading what the client still
    /// sends for a moment, so that the close does not become a reset.
    fn close_gently(&mut self);
}

/// How long a client may take, and how much it may send.
pub struct Limits {
    /// A request's frames, from its first (or from the preface).
    pub request: Duration,
    /// Between requests.
    pub idle: Duration,
    /// For the client to take our frames.
    pub write: Duration,
    /// A request's body.
    pub max_body: usize,
}

/// A whole request.
pub struct Request<'a> {
    pub headers: &'a [Header],
    pub body: &'a [u8],
}

impl Request<'_> {
    /// The value of the first field named `name`.
    pub fn field(&self, name: &[u8]) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }
}

/// What to answer: header fields, then the body (if any) in DATA frames,
/// then trailers (if any); the last frame ends the stream.
pub struct Reply {
    pub headers: Vec<(&'static [u8], Vec<u8>)>,
    pub body: Vec<u8>,
    pub trailers: Vec<(&'static [u8], Vec<u8>)>,
}

/// The request on the one open stream.
struct Stream {
    id: u32,
    /// The header block while CONTINUATIONs are due.
    block: Option<Vec<u8>>,
    headers: Vec<Header>,
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
/// after it), calling `respond` for each whole request; the first request
/// must be whole by `until`. Ends with a GOAWAY.
pub fn serve<T: Transport>(
    io: &mut T,
    rest: &[u8],
    until: Instant,
    limits: &Limits,
    respond: &mut dyn FnMut(&Request) -> Reply,
) {
    let mut h2 = Server {
        io,
        limits,
        respond,
        input: rest.to_vec(),
        decoder: Decoder::new(MAX_HEADER_LIST),
        last_stream: 0,
        last_taken: 0,
    };
    let end = h2.run(until);
    let reason = match &end {
        End::Quiet => Reason::NO_ERROR,
        End::Error(reason) => *reason,
    };
    let mut payload = h2.last_taken.to_be_bytes().to_vec();
    payload.extend_from_slice(&reason.0.to_be_bytes());
    let mut out = Vec::new();
    frame::encode(&mut out, Kind::GoAway, 0, StreamId::CONNECTION, &payload);
    let written = h2.io.write_by(&out, Instant::now() + limits.write);
    if written.is_ok() && matches!(end, End::Error(_)) {
        h2.io.close_gently();
    }
}

struct Server<'a, T> {
    io: &'a mut T,
    limits: &'a Limits,
    respond: &'a mut dyn FnMut(&Request) -> Reply,
    /// Bytes read and not yet used.
    input: Vec<u8>,
    decoder: Decoder,
    /// The highest stream the client opened.
    last_stream: u32,
    /// The highest stream taken (not refused): what GOAWAY names.
    last_taken: u32,
}

impl<T: Transport> Server<'_, T> {
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
                            headers: Vec::new(),
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
                    self.last_taken = id;
                    until = Instant::now() + self.limits.request;
                    let mut s = Stream {
                        id,
                        block: Some(fragment.to_vec()),
                        headers: Vec::new(),
                        ended: flags.end_stream(),
                        body: Vec::new(),
                    };
                    if flags.end_headers()
                        && let Err(end) = self.decode(&mut s)
                    {
                        return end;
                    }
                    if s.ended && s.block.is_none() {
                        if self.reply(&s).is_err() {
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
                            if s.is_some_and(|s| self.reply(&s).is_err()) {
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
                    if s.body.len() + data.len() > self.limits.max_body {
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
                        if s.is_some_and(|s| self.reply(&s).is_err()) {
                            return End::Quiet;
                        }
                        answered = true;
                    }
                }
            }
            if answered {
                idle_frames = 0;
                until = Instant::now() + self.limits.idle;
                if self.io.stopping() {
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
            let got = self.io.read_by(&mut chunk[..want], until, stoppable)?;
            self.input.extend_from_slice(&chunk[..got]);
        }
        Some(&self.input[..n])
    }

    fn send(&mut self, kind: Kind, flags: u8, stream: u32, payload: &[u8]) -> std::io::Result<()> {
        let mut out = Vec::with_capacity(Head::SIZE + payload.len());
        frame::encode(&mut out, kind, flags, StreamId(stream), payload);
        self.io.write_by(&out, Instant::now() + self.limits.write)
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
        self.io.write_by(&out, Instant::now() + self.limits.write)
    }

    /// Decodes the stream's finished header block.
    fn decode(&mut self, s: &mut Stream) -> Result<(), End> {
        let block = s.block.take().unwrap_or_default();
        s.headers = self.decoder.decode(&block).map_err(|e| match e {
            hpack::HpackError::TooLarge => End::Error(Reason::ENHANCE_YOUR_CALM),
            hpack::HpackError::Malformed(_) => End::Error(Reason::COMPRESSION_ERROR),
        })?;
        Ok(())
    }

    /// Answers a whole request with what `respond` makes of it.
    fn reply(&mut self, s: &Stream) -> io::Result<()> {
        let request = Request {
            headers: &s.headers,
            body: &s.body,
        };
        let reply = (self.respond)(&request);
        let id = StreamId(s.id);
        let block = |fields: &[(&[u8], Vec<u8>)]| {
            let mut block = Vec::new();
            for (name, value) in fields {
                hpack::encode_literal(&mut block, name, value);
            }
            block
        };
        let (has_body, has_trailers) = (!reply.body.is_empty(), !reply.trailers.is_empty());
        let mut out = Vec::new();
        let mut flags = HeadersFlags::END_HEADERS;
        if !has_body && !has_trailers {
            flags |= HeadersFlags::END_STREAM;
        }
        frame::encode(&mut out, Kind::Headers, flags, id, &block(&reply.headers));
        let mut chunks = reply.body.chunks(frame::MAX_FRAME_SIZE).peekable();
        while let Some(chunk) = chunks.next() {
            let last = chunks.peek().is_none() && !has_trailers;
            let flags = if last { DataFlags::END_STREAM } else { 0 };
            frame::encode(&mut out, Kind::Data, flags, id, chunk);
        }
        if has_trailers {
            let flags = HeadersFlags::END_HEADERS | HeadersFlags::END_STREAM;
            frame::encode(&mut out, Kind::Headers, flags, id, &block(&reply.trailers));
        }
        self.io.write_by(&out, Instant::now() + self.limits.write)
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
