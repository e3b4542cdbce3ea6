//! An HTTP/2 connection for one request (RFC 9113): the preface and our
//! SETTINGS, the request on stream 1, and the response read frame by frame
//! until the stream ends.
//!
//! A health check talks to whatever listens on the port, so every count the
//! peer controls has a ceiling, and each breach ends the check with a short
//! reason well before the deadline: the decoded header list (16 KiB,
//! announced as MAX_HEADER_LIST_SIZE), the raw header block, the body
//! (flow control: we never open our 65,535-byte receive window further),
//! frames that carry no part of the answer (SETTINGS, PING, WINDOW_UPDATE,
//! PRIORITY, empty DATA or CONTINUATION, unknown types: 100 at most), and
//! window increments past 2^31-1. The deadline itself is kept by the socket
//! (`crate::net::socket`), however fast frames arrive.

use std::io::{self, Read, Write};

use super::MAX_IDLE_FRAMES;
use super::frame::{
    self, AckFlag, ContinuationFlags, DataFlags, Head, HeadersFlags, Kind, Reason, StreamId,
    setting,
};
use super::hpack::{self, Header};

/// The decoded header list we accept, per header block (announced).
pub const MAX_HEADER_LIST: usize = 16 * 1024;
/// The receive window, connection and stream alike: the protocol's initial
/// size, which we never raise. It bounds the body.
const RECEIVE_WINDOW: i64 = 65_535;
/// The largest flow-control window the protocol allows.
const MAX_WINDOW: i64 = (1 << 31) - 1;

/// Why the exchange failed.
#[derive(Debug)]
pub enum Failure {
    /// The socket or TLS failed (or the deadline passed).
    Io(io::Error),
    /// The server broke the protocol or a limit, or refused the request.
    Protocol(String),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

fn protocol(text: impl Into<String>) -> Failure {
    Failure::Protocol(text.into())
}

/// The response to our one request.
#[derive(Debug, Default)]
pub struct Response {
    pub headers: Vec<Header>,
    /// Trailers (for gRPC: grpc-status), empty for a trailers-only answer.
    pub trailers: Vec<Header>,
    pub body: Vec<u8>,
}

/// The client side of one connection, over `io`.
pub struct Connection<S> {
    io: S,
    decoder: hpack::Decoder,
    /// Frames so far that carried no part of the answer.
    idle_frames: usize,
    /// What the server may still send us (connection and stream 1).
    receive_window: i64,
    /// What we may still send (we send little, but the server's increments
    /// are checked against the protocol's ceiling).
    send_window: i64,
    stream_send_window: i64,
    /// The server's SETTINGS_INITIAL_WINDOW_SIZE.
    initial_window: i64,
    /// A GOAWAY that still lets our stream finish: (last stream id, error code).
    goaway: Option<(u32, Reason)>,
    /// Stream 1 has ended (END_STREAM seen).
    ended: bool,
    /// The trailers, once they came.
    trailers: Vec<Header>,
}

/// What stream 1 brought next.
enum Event {
    /// A header block, and whether it ended the stream.
    Headers(Vec<Header>, bool),
    /// A DATA payload (padding removed), and whether it ended the stream.
    Data(Vec<u8>, bool),
}

impl<S: Read + Write> Connection<S> {
    /// Sends the connection preface and our SETTINGS: no server push, our
    /// header list limit.
    pub fn start(mut io: S) -> Result<Self, Failure> {
        let mut settings = Vec::new();
        frame::encode_setting(&mut settings, setting::ENABLE_PUSH, 0);
        frame::encode_setting(
            &mut settings,
            setting::MAX_HEADER_LIST_SIZE,
            MAX_HEADER_LIST as u32,
        );
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(frame::PREFACE);
        frame::encode(&mut out, Kind::Settings, 0, StreamId::CONNECTION, &settings);
        io.write_all(&out)?;
        Ok(Connection {
            io,
            decoder: hpack::Decoder::new(MAX_HEADER_LIST),
            idle_frames: 0,
            receive_window: RECEIVE_WINDOW,
            send_window: RECEIVE_WINDOW,
            stream_send_window: RECEIVE_WINDOW,
            initial_window: RECEIVE_WINDOW,
            goaway: None,
            ended: false,
            trailers: Vec::new(),
        })
    }

    /// Sends the request on stream 1: `block` (HPACK-encoded headers) and
    /// the whole `body`; without one the HEADERS frame ends the stream.
    pub fn send_request(&mut self, block: &[u8], body: Option<&[u8]>) -> Result<(), Failure> {
        if block.len() > frame::MAX_FRAME_SIZE
            || body.is_some_and(|b| b.len() > frame::MAX_FRAME_SIZE)
        {
            return Err(protocol(format!(
                "request headers or body larger than {} KiB",
                frame::MAX_FRAME_SIZE / 1024
            )));
        }
        let body_len = body.map_or(0, <[u8]>::len);
        let mut out = Vec::with_capacity(2 * Head::SIZE + block.len() + body_len);
        let flags = match body {
            Some(_) => HeadersFlags::END_HEADERS,
            None => HeadersFlags::END_HEADERS | HeadersFlags::END_STREAM,
        };
        frame::encode(&mut out, Kind::Headers, flags, StreamId::REQUEST, block);
        if let Some(body) = body {
            frame::encode(
                &mut out,
                Kind::Data,
                DataFlags::END_STREAM,
                StreamId::REQUEST,
                body,
            );
        }
        self.io.write_all(&out)?;
        self.io.flush()?;
        Ok(())
    }

    /// Reads until stream 1 ends, answering what the protocol asks us to
    /// (SETTINGS and PING acknowledgements) on the way. `on_headers` sees each
    /// header block as it is decoded (for -v); `check_body` sees the body so
    /// far after each DATA frame and may end the exchange early.
    pub fn read_response(
        &mut self,
        mut on_headers: impl FnMut(&[Header]),
        mut check_body: impl FnMut(&[u8]) -> Result<(), String>,
    ) -> Result<Response, Failure> {
        let mut response = Response {
            headers: self.read_head(&mut on_headers)?,
            ..Response::default()
        };
        while let Some(data) = self.read_data(&mut on_headers)? {
            response.body.extend_from_slice(&data);
            check_body(&response.body).map_err(Failure::Protocol)?;
        }
        response.trailers = std::mem::take(&mut self.trailers);
        Ok(response)
    }

    /// Reads the response head: the first header block whose `:status` is
    /// not informational (1xx heads are skipped, each counted as a frame
    /// without an answer).
    pub fn read_head(
        &mut self,
        on_headers: &mut dyn FnMut(&[Header]),
    ) -> Result<Vec<Header>, Failure> {
        loop {
            match self.next_event(on_headers)? {
                Event::Headers(headers, end_stream) => {
                    let informational = headers
                        .iter()
                        .find(|(n, _)| n == b":status")
                        .is_some_and(|(_, v)| v.first() == Some(&b'1'));
                    if informational && !end_stream {
                        self.idle()?;
                        continue;
                    }
                    self.ended = end_stream;
                    return Ok(headers);
                }
                Event::Data(..) => return Err(protocol("DATA before the response headers")),
            }
        }
    }

    /// The next piece of the body after the head, or `None` once the
    /// stream has ended (trailers, if any, are kept for `read_response`).
    /// Fails rather than waits once the body fills our receive window,
    /// which we never open further.
    pub fn read_data(
        &mut self,
        on_headers: &mut dyn FnMut(&[Header]),
    ) -> Result<Option<Vec<u8>>, Failure> {
        if self.ended {
            return Ok(None);
        }
        if self.receive_window == 0 {
            return Err(protocol(format!(
                "the body goes on past our {RECEIVE_WINDOW}-byte flow-control window"
            )));
        }
        match self.next_event(on_headers)? {
            Event::Data(data, end_stream) => {
                self.ended = end_stream;
                Ok(Some(data))
            }
            Event::Headers(_, false) => Err(protocol("a second header block without END_STREAM")),
            Event::Headers(trailers, true) => {
                self.ended = true;
                self.trailers = trailers;
                Ok(None)
            }
        }
    }

    /// The next header block or DATA payload on stream 1, the frames about
    /// the connection handled on the way.
    fn next_event(&mut self, on_headers: &mut dyn FnMut(&[Header])) -> Result<Event, Failure> {
        loop {
            let (head, payload) = match self.read_frame() {
                Err(Failure::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Err(match self.goaway {
                        Some((_, reason)) => protocol(format!(
                            "connection closed by the server before the answer (GOAWAY {reason})"
                        )),
                        None => Failure::Io(e),
                    });
                }
                other => other?,
            };
            match (head.kind, head.stream) {
                (Kind::Settings, StreamId::CONNECTION) => self.settings(head, &payload)?,
                (Kind::Ping, StreamId::CONNECTION) => self.ping(head, &payload)?,
                (Kind::GoAway, StreamId::CONNECTION) => self.goaway(&payload)?,
                (Kind::WindowUpdate, stream) => self.window_update(stream, &payload)?,
                (Kind::Priority, stream) if stream != StreamId::CONNECTION => self.idle()?,
                (Kind::Unknown(_), _) => self.idle()?,
                (Kind::RstStream, StreamId::REQUEST) => {
                    let code = frame::u32_at(&payload, 0).map_or(Reason::PROTOCOL_ERROR, Reason);
                    return Err(protocol(format!("stream reset by the server ({code})")));
                }
                (Kind::Headers, StreamId::REQUEST) => {
                    let flags = HeadersFlags(head.flags);
                    let block = self.header_block(flags, &payload)?;
                    let headers = self.decoder.decode(&block).map_err(|e| match e {
                        hpack::HpackError::TooLarge => protocol(format!(
                            "response headers larger than {} KiB decoded",
                            MAX_HEADER_LIST / 1024
                        )),
                        other => protocol(other.to_string()),
                    })?;
                    on_headers(&headers);
                    return Ok(Event::Headers(headers, flags.end_stream()));
                }
                (Kind::Data, StreamId::REQUEST) => {
                    let flags = DataFlags(head.flags);
                    // Flow control counts the whole payload, padding included.
                    self.receive_window -= head.len as i64;
                    if self.receive_window < 0 {
                        return Err(protocol(
                            "the server sent more than our flow-control window (FLOW_CONTROL_ERROR)",
                        ));
                    }
                    let data = unpad(flags.padded(), &payload)?;
                    if data.is_empty() && !flags.end_stream() {
                        self.idle()?;
                        continue;
                    }
                    return Ok(Event::Data(data.to_vec(), flags.end_stream()));
                }
                (Kind::Continuation, StreamId::REQUEST) => {
                    return Err(protocol(
                        "CONTINUATION without a header block (PROTOCOL_ERROR)",
                    ));
                }
                (Kind::Settings | Kind::Ping | Kind::GoAway, StreamId(other)) => {
                    return Err(protocol(format!(
                        "{:?} frame on stream {other}, not on stream 0 (PROTOCOL_ERROR)",
                        head.kind
                    )));
                }
                (Kind::PushPromise, _) => {
                    return Err(protocol("server push, which we disabled (PROTOCOL_ERROR)"));
                }
                (kind, StreamId::CONNECTION) => {
                    return Err(protocol(format!(
                        "{kind:?} frame on stream 0 (PROTOCOL_ERROR)"
                    )));
                }
                (kind, StreamId(other)) => {
                    return Err(protocol(format!(
                        "{kind:?} frame on stream {other}, which we did not open (PROTOCOL_ERROR)"
                    )));
                }
            }
        }
    }

    /// Counts a frame that carried no part of the answer.
    fn idle(&mut self) -> Result<(), Failure> {
        self.idle_frames += 1;
        if self.idle_frames > MAX_IDLE_FRAMES {
            return Err(protocol(format!(
                "more than {MAX_IDLE_FRAMES} frames without an answer (ENHANCE_YOUR_CALM)"
            )));
        }
        Ok(())
    }

    fn settings(&mut self, head: Head, payload: &[u8]) -> Result<(), Failure> {
        self.idle()?;
        if AckFlag(head.flags).ack() {
            return match payload.is_empty() {
                true => Ok(()),
                false => Err(protocol(
                    "SETTINGS acknowledgement with a payload (FRAME_SIZE_ERROR)",
                )),
            };
        }
        let settings = frame::settings(payload)
            .ok_or_else(|| protocol("malformed SETTINGS (FRAME_SIZE_ERROR)"))?;
        for (id, value) in settings {
            match id {
                setting::INITIAL_WINDOW_SIZE => {
                    let value = i64::from(value);
                    if value > MAX_WINDOW {
                        return Err(protocol(
                            "initial window size above 2^31-1 (FLOW_CONTROL_ERROR)",
                        ));
                    }
                    self.stream_send_window += value - self.initial_window;
                    self.initial_window = value;
                }
                setting::ENABLE_PUSH if value > 1 => {
                    return Err(protocol("ENABLE_PUSH other than 0 or 1 (PROTOCOL_ERROR)"));
                }
                setting::MAX_FRAME_SIZE if !(16_384..=16_777_215).contains(&value) => {
                    return Err(protocol("MAX_FRAME_SIZE out of range (PROTOCOL_ERROR)"));
                }
                _ => {} // HEADER_TABLE_SIZE: we never index what we send; others do not concern us.
            }
        }
        self.send(Kind::Settings, AckFlag::ACK, StreamId::CONNECTION, &[])
    }

    fn ping(&mut self, head: Head, payload: &[u8]) -> Result<(), Failure> {
        self.idle()?;
        if payload.len() != 8 {
            return Err(protocol("PING of other than 8 bytes (FRAME_SIZE_ERROR)"));
        }
        if AckFlag(head.flags).ack() {
            return Ok(());
        }
        self.send(Kind::Ping, AckFlag::ACK, StreamId::CONNECTION, payload)
    }

    /// GOAWAY: fails at once if our stream will not be processed; otherwise
    /// the answer may still come, and it decides.
    fn goaway(&mut self, payload: &[u8]) -> Result<(), Failure> {
        self.idle()?;
        let last_stream = frame::u32_at(payload, 0)
            .ok_or_else(|| protocol("short GOAWAY (FRAME_SIZE_ERROR)"))?
            & 0x7fff_ffff;
        let reason = Reason(frame::u32_at(payload, 4).unwrap_or(0));
        if last_stream < StreamId::REQUEST.0 {
            let debug = payload
                .get(8..)
                .map(crate::report::escape_excerpt)
                .filter(|d| !d.is_empty())
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            return Err(protocol(format!(
                "connection closed by the server (GOAWAY {reason}){debug}"
            )));
        }
        self.goaway = Some((last_stream, reason));
        Ok(())
    }

    fn window_update(&mut self, stream: StreamId, payload: &[u8]) -> Result<(), Failure> {
        self.idle()?;
        let increment = frame::u32_at(payload, 0)
            .filter(|_| payload.len() == 4)
            .ok_or_else(|| protocol("WINDOW_UPDATE of other than 4 bytes (FRAME_SIZE_ERROR)"))?
            & 0x7fff_ffff;
        if increment == 0 {
            return Err(protocol("WINDOW_UPDATE of 0 (PROTOCOL_ERROR)"));
        }
        let window = match stream {
            StreamId::CONNECTION => &mut self.send_window,
            StreamId::REQUEST => &mut self.stream_send_window,
            StreamId(other) => {
                return Err(protocol(format!(
                    "WINDOW_UPDATE on stream {other}, which we did not open (PROTOCOL_ERROR)"
                )));
            }
        };
        *window += i64::from(increment);
        if *window > MAX_WINDOW {
            return Err(protocol(
                "flow-control window above 2^31-1 (FLOW_CONTROL_ERROR)",
            ));
        }
        Ok(())
    }

    /// The whole header block: this HEADERS fragment and any CONTINUATIONs,
    /// at most MAX_HEADER_LIST bytes before decoding.
    fn header_block(&mut self, flags: HeadersFlags, payload: &[u8]) -> Result<Vec<u8>, Failure> {
        let mut fragment = unpad(flags.padded(), payload)?;
        if flags.priority() {
            fragment = fragment
                .get(5..)
                .ok_or_else(|| protocol("short HEADERS frame (FRAME_SIZE_ERROR)"))?;
        }
        let mut block = fragment.to_vec();
        let mut end = flags.end_headers();
        while !end {
            let (head, payload) = self.read_frame()?;
            if head.kind != Kind::Continuation || head.stream != StreamId::REQUEST {
                return Err(protocol("header block interrupted (PROTOCOL_ERROR)"));
            }
            if payload.is_empty() {
                self.idle()?;
            }
            if block.len() + payload.len() > MAX_HEADER_LIST {
                return Err(protocol(format!(
                    "response headers larger than {} KiB",
                    MAX_HEADER_LIST / 1024
                )));
            }
            block.extend_from_slice(&payload);
            end = ContinuationFlags(head.flags).end_headers();
        }
        Ok(block)
    }

    fn send(
        &mut self,
        kind: Kind,
        flags: u8,
        stream: StreamId,
        payload: &[u8],
    ) -> Result<(), Failure> {
        let mut out = Vec::with_capacity(Head::SIZE + payload.len());
        frame::encode(&mut out, kind, flags, stream, payload);
        self.io.write_all(&out)?;
        self.io.flush()?;
        Ok(())
    }

    fn read_frame(&mut self) -> Result<(Head, Vec<u8>), Failure> {
        let mut bytes = [0u8; Head::SIZE];
        self.io.read_exact(&mut bytes)?;
        if bytes.starts_with(b"HTTP/") {
            return Err(protocol(
                "the server answered HTTP/1, not HTTP/2 (or it wants TLS)",
            ));
        }
        let head = Head::parse(&bytes);
        if head.len > frame::MAX_FRAME_SIZE {
            return Err(protocol(format!(
                "frame of {} bytes, larger than allowed (FRAME_SIZE_ERROR): not an HTTP/2 server?",
                head.len
            )));
        }
        let mut payload = vec![0u8; head.len];
        self.io.read_exact(&mut payload)?;
        Ok((head, payload))
    }
}

/// The payload without its padding (RFC 9113 section 6.1).
fn unpad(padded: bool, payload: &[u8]) -> Result<&[u8], Failure> {
    if !padded {
        return Ok(payload);
    }
    let (&pad, rest) = payload
        .split_first()
        .ok_or_else(|| protocol("empty padded frame (FRAME_SIZE_ERROR)"))?;
    rest.len()
        .checked_sub(usize::from(pad))
        .map(|end| &rest[..end])
        .ok_or_else(|| protocol("padding longer than the frame (PROTOCOL_ERROR)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding() {
        assert_eq!(unpad(false, b"abc").unwrap(), b"abc");
        assert_eq!(unpad(true, &[2, b'a', 0, 0]).unwrap(), b"a");
        assert_eq!(unpad(true, &[3, 0, 0, 0]).unwrap(), b"");
        assert!(unpad(true, &[4, 0, 0, 0]).is_err());
        assert!(unpad(true, &[]).is_err());
    }
}
