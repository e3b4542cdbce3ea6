//! HTTP/2 frames (RFC 9113 section 4 and 6): the frame head, each frame
//! type's flags, stream ids, settings and error codes, as types.

use std::fmt;

/// The largest frame payload we accept: SETTINGS_MAX_FRAME_SIZE's default,
/// which we keep (RFC 9113 section 6.5.2).
pub const MAX_FRAME_SIZE: usize = 16_384;

/// The connection preface every client sends first (RFC 9113 section 3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A stream identifier (31 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamId(pub u32);

impl StreamId {
    /// Frames about the connection as a whole.
    pub const CONNECTION: StreamId = StreamId(0);
    /// The one stream a health check opens: the first client-initiated one.
    pub const REQUEST: StreamId = StreamId(1);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Data,
    Headers,
    Priority,
    RstStream,
    Settings,
    PushPromise,
    Ping,
    GoAway,
    WindowUpdate,
    Continuation,
    /// Frame types we do not know are ignored (RFC 9113 section 4.1).
    Unknown(u8),
}

impl Kind {
    fn from_byte(b: u8) -> Kind {
        match b {
            0x0 => Kind::Data,
            0x1 => Kind::Headers,
            0x2 => Kind::Priority,
            0x3 => Kind::RstStream,
            0x4 => Kind::Settings,
            0x5 => Kind::PushPromise,
            0x6 => Kind::Ping,
            0x7 => Kind::GoAway,
            0x8 => Kind::WindowUpdate,
            0x9 => Kind::Continuation,
            other => Kind::Unknown(other),
        }
    }

    fn to_byte(self) -> u8 {
        match self {
            Kind::Data => 0x0,
            Kind::Headers => 0x1,
            Kind::Priority => 0x2,
            Kind::RstStream => 0x3,
            Kind::Settings => 0x4,
            Kind::PushPromise => 0x5,
            Kind::Ping => 0x6,
            Kind::GoAway => 0x7,
            Kind::WindowUpdate => 0x8,
            Kind::Continuation => 0x9,
            Kind::Unknown(b) => b,
        }
    }
}

/// The 9-byte frame head: length, type, flags and stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub len: usize,
    pub kind: Kind,
    pub flags: u8,
    pub stream: StreamId,
}

impl Head {
    pub const SIZE: usize = 9;

    pub fn parse(bytes: &[u8; Head::SIZE]) -> Head {
        Head {
            len: (usize::from(bytes[0]) << 16)
                | (usize::from(bytes[1]) << 8)
                | usize::from(bytes[2]),
            kind: Kind::from_byte(bytes[3]),
            flags: bytes[4],
            // The high bit is reserved and ignored.
            stream: StreamId(
                u32::from_be_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]) & 0x7fff_ffff,
            ),
        }
    }
}

/// Appends a whole frame to `out`.
pub fn encode(out: &mut Vec<u8>, kind: Kind, flags: u8, stream: StreamId, payload: &[u8]) {
    let len = payload.len() as u32;
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(kind.to_byte());
    out.push(flags);
    out.extend_from_slice(&stream.0.to_be_bytes());
    out.extend_from_slice(payload);
}

/// Flags of DATA frames.
#[derive(Debug, Clone, Copy)]
pub struct DataFlags(pub u8);

impl DataFlags {
    pub const END_STREAM: u8 = 0x1;
    pub const PADDED: u8 = 0x8;

    pub fn end_stream(self) -> bool {
        self.0 & Self::END_STREAM != 0
    }

    pub fn padded(self) -> bool {
        self.0 & Self::PADDED != 0
    }
}

/// Flags of HEADERS frames.
#[derive(Debug, Clone, Copy)]
pub struct HeadersFlags(pub u8);

impl HeadersFlags {
    pub const END_STREAM: u8 = 0x1;
    pub const END_HEADERS: u8 = 0x4;
    pub const PADDED: u8 = 0x8;
    pub const PRIORITY: u8 = 0x20;

    pub fn end_stream(self) -> bool {
        self.0 & Self::END_STREAM != 0
    }

    pub fn end_headers(self) -> bool {
        self.0 & Self::END_HEADERS != 0
    }

    pub fn padded(self) -> bool {
        self.0 & Self::PADDED != 0
    }

    pub fn priority(self) -> bool {
        self.0 & Self::PRIORITY != 0
    }
}

/// Flags of CONTINUATION frames.
#[derive(Debug, Clone, Copy)]
pub struct ContinuationFlags(pub u8);

impl ContinuationFlags {
    pub fn end_headers(self) -> bool {
        self.0 & HeadersFlags::END_HEADERS != 0
    }
}

/// Flags of SETTINGS and PING frames: both have only ACK.
#[derive(Debug, Clone, Copy)]
pub struct AckFlag(pub u8);

impl AckFlag {
    pub const ACK: u8 = 0x1;

    pub fn ack(self) -> bool {
        self.0 & Self::ACK != 0
    }
}

/// SETTINGS parameters (RFC 9113 section 6.5.2) that we send or check.
pub mod setting {
    pub const HEADER_TABLE_SIZE: u16 = 0x1;
    pub const ENABLE_PUSH: u16 = 0x2;
    pub const INITIAL_WINDOW_SIZE: u16 = 0x4;
    pub const MAX_FRAME_SIZE: u16 = 0x5;
    pub const MAX_HEADER_LIST_SIZE: u16 = 0x6;
    pub const MAX_CONCURRENT_STREAMS: u16 = 0x3;
}

/// Appends one setting to a SETTINGS payload.
pub fn encode_setting(out: &mut Vec<u8>, id: u16, value: u32) {
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&value.to_be_bytes());
}

/// The settings in a SETTINGS payload, or None if its length is not a
/// multiple of 6 (FRAME_SIZE_ERROR).
pub fn settings(payload: &[u8]) -> Option<impl Iterator<Item = (u16, u32)> + '_> {
    payload.len().is_multiple_of(6).then(|| {
        payload.chunks_exact(6).map(|s| {
            (
                u16::from_be_bytes([s[0], s[1]]),
                u32::from_be_bytes([s[2], s[3], s[4], s[5]]),
            )
        })
    })
}

/// An HTTP/2 error code (RFC 9113 section 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reason(pub u32);

impl Reason {
    pub const NO_ERROR: Reason = Reason(0x0);
    pub const PROTOCOL_ERROR: Reason = Reason(0x1);
    pub const FLOW_CONTROL_ERROR: Reason = Reason(0x3);
    pub const STREAM_CLOSED: Reason = Reason(0x5);
    pub const FRAME_SIZE_ERROR: Reason = Reason(0x6);
    pub const REFUSED_STREAM: Reason = Reason(0x7);
    pub const COMPRESSION_ERROR: Reason = Reason(0x9);
    pub const ENHANCE_YOUR_CALM: Reason = Reason(0xb);

    const NAMES: [&'static str; 14] = [
        "NO_ERROR",
        "PROTOCOL_ERROR",
        "INTERNAL_ERROR",
        "FLOW_CONTROL_ERROR",
        "SETTINGS_TIMEOUT",
        "STREAM_CLOSED",
        "FRAME_SIZE_ERROR",
        "REFUSED_STREAM",
        "CANCEL",
        "COMPRESSION_ERROR",
        "CONNECT_ERROR",
        "ENHANCE_YOUR_CALM",
        "INADEQUATE_SECURITY",
        "HTTP_1_1_REQUIRED",
    ];
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Reason::NAMES.get(self.0 as usize) {
            Some(name) => f.write_str(name),
            None => write!(f, "error code {:#x}", self.0),
        }
    }
}

/// A big-endian u32 at `at`, if the payload holds one there.
pub fn u32_at(payload: &[u8], at: usize) -> Option<u32> {
    let b = payload.get(at..at + 4)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_round_trip() {
        let mut out = Vec::new();
        encode(
            &mut out,
            Kind::Headers,
            HeadersFlags::END_HEADERS,
            StreamId::REQUEST,
            b"abc",
        );
        let head: [u8; 9] = out[..9].try_into().unwrap();
        assert_eq!(
            Head::parse(&head),
            Head {
                len: 3,
                kind: Kind::Headers,
                flags: 0x4,
                stream: StreamId(1)
            }
        );
        // The reserved bit of the stream id is ignored.
        let reserved = [0, 0, 0, 0x8, 0, 0x80, 0, 0, 1];
        assert_eq!(Head::parse(&reserved).stream, StreamId(1));
        assert_eq!(Head::parse(&reserved).kind, Kind::WindowUpdate);
    }

    #[test]
    fn settings_payloads() {
        let mut p = Vec::new();
        encode_setting(&mut p, setting::ENABLE_PUSH, 0);
        encode_setting(&mut p, setting::MAX_HEADER_LIST_SIZE, 16384);
        let all: Vec<_> = settings(&p).unwrap().collect();
        assert_eq!(all, [(2, 0), (6, 16384)]);
        assert!(settings(&p[..5]).is_none());
    }

    #[test]
    fn reasons_have_names() {
        assert_eq!(Reason::FLOW_CONTROL_ERROR.to_string(), "FLOW_CONTROL_ERROR");
        assert_eq!(Reason(0x42).to_string(), "error code 0x42");
    }
}
