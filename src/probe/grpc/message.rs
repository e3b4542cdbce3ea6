//! The two protobuf messages of `grpc.health.v1`, in gRPC's length-prefixed
//! framing: HealthCheckRequest { string service = 1; } out, and
//! HealthCheckResponse { ServingStatus status = 1; } back.

use std::fmt;

/// The most a health answer may announce: it is a few bytes.
pub const MAX_MESSAGE: usize = 16 * 1024;

/// `grpc.health.v1.HealthCheckResponse.ServingStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServingStatus {
    Unknown,
    Serving,
    NotServing,
    ServiceUnknown,
    /// A value this version of the protocol does not name.
    Other(u64),
}

impl From<u64> for ServingStatus {
    fn from(v: u64) -> Self {
        match v {
            0 => ServingStatus::Unknown,
            1 => ServingStatus::Serving,
            2 => ServingStatus::NotServing,
            3 => ServingStatus::ServiceUnknown,
            n => ServingStatus::Other(n),
        }
    }
}

impl fmt::Display for ServingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServingStatus::Unknown => f.write_str("UNKNOWN"),
            ServingStatus::Serving => f.write_str("SERVING"),
            ServingStatus::NotServing => f.write_str("NOT_SERVING"),
            ServingStatus::ServiceUnknown => f.write_str("SERVICE_UNKNOWN"),
            ServingStatus::Other(n) => write!(f, "serving status {n}"),
        }
    }
}

/// The length-prefixed HealthCheckRequest for `service` (empty: the server).
pub fn request(service: &str) -> Vec<u8> {
    let mut proto = Vec::new();
    if !service.is_empty() {
        proto.push(0x0a); // field 1, length-delimited
        varint(&mut proto, service.len() as u64);
        proto.extend_from_slice(service.as_bytes());
    }
    let mut out = vec![0u8]; // not compressed
    out.extend_from_slice(&(proto.len() as u32).to_be_bytes());
    out.extend_from_slice(&proto);
    out
}

/// The length-prefixed HealthCheckResponse carrying `status` (the server's side).
pub fn response(status: ServingStatus) -> Vec<u8> {
    let value = match status {
        ServingStatus::Unknown => 0,
        ServingStatus::Serving => 1,
        ServingStatus::NotServing => 2,
        ServingStatus::ServiceUnknown => 3,
        ServingStatus::Other(n) => n,
    };
    let mut proto = vec![0x08]; // field 1, varint
    varint(&mut proto, value);
    let mut out = vec![0u8];
    out.extend_from_slice(&(proto.len() as u32).to_be_bytes());
    out.extend_from_slice(&proto);
    out
}

/// The service a length-prefixed HealthCheckRequest asks about (the
/// server's side); an empty body is the empty request.
pub fn requested_service(message: &[u8]) -> Result<String, &'static str> {
    const BAD: &str = "malformed health request message";
    if message.is_empty() {
        return Ok(String::new());
    }
    if message[0] != 0 {
        return Err("compressed health request (not offered)");
    }
    let len = announced_length(message).ok_or(BAD)?;
    let mut proto = message.get(5..5 + len).ok_or(BAD)?;
    let mut service = Vec::new();
    while !proto.is_empty() {
        let key = read_varint(&mut proto).ok_or(BAD)?;
        match key & 7 {
            0 => {
                read_varint(&mut proto).ok_or(BAD)?;
            }
            2 => {
                let n = usize::try_from(read_varint(&mut proto).ok_or(BAD)?).map_err(|_| BAD)?;
                let value = proto.get(..n).ok_or(BAD)?;
                if key >> 3 == 1 {
                    service = value.to_vec();
                }
                proto = &proto[n..];
            }
            1 => proto = proto.get(8..).ok_or(BAD)?,
            5 => proto = proto.get(4..).ok_or(BAD)?,
            _ => return Err(BAD),
        }
    }
    String::from_utf8(service).map_err(|_| BAD)
}

/// The length a gRPC message announces in its prefix, once 5 bytes are in.
pub fn announced_length(body: &[u8]) -> Option<usize> {
    let b = body.get(1..5)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// The serving status in a length-prefixed HealthCheckResponse.
pub fn serving_status(message: &[u8]) -> Result<ServingStatus, &'static str> {
    const BAD: &str = "malformed health response message";
    let (&compressed, rest) = message.split_first().ok_or(BAD)?;
    if compressed != 0 {
        return Err("compressed health response (not asked for)");
    }
    let len = announced_length(message).ok_or(BAD)?;
    let mut proto = rest.get(4..4 + len).ok_or(BAD)?;
    let mut status = 0; // proto3 default: UNKNOWN
    while !proto.is_empty() {
        let key = read_varint(&mut proto).ok_or(BAD)?;
        match key & 7 {
            0 => {
                let v = read_varint(&mut proto).ok_or(BAD)?;
                if key >> 3 == 1 {
                    status = v;
                }
            }
            2 => {
                let n = usize::try_from(read_varint(&mut proto).ok_or(BAD)?).map_err(|_| BAD)?;
                proto = proto.get(n..).ok_or(BAD)?;
            }
            1 => proto = proto.get(8..).ok_or(BAD)?,
            5 => proto = proto.get(4..).ok_or(BAD)?,
            _ => return Err(BAD),
        }
    }
    Ok(status.into())
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_varint(input: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = input.split_first()?;
        *input = rest;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_side_reads_requests_and_writes_answers_the_client_side_reads() {
        assert_eq!(requested_service(&request("")).unwrap(), "");
        assert_eq!(requested_service(&request("db")).unwrap(), "db");
        assert_eq!(requested_service(b"").unwrap(), "");
        assert!(requested_service(&[0, 0, 0, 0, 9, 0x0a]).is_err());
        for status in [ServingStatus::Serving, ServingStatus::NotServing] {
            assert_eq!(serving_status(&response(status)).unwrap(), status);
        }
    }

    #[test]
    fn requests() {
        assert_eq!(request(""), [0, 0, 0, 0, 0]);
        assert_eq!(request("db"), [0, 0, 0, 0, 4, 0x0a, 2, b'd', b'b']);
    }

    #[test]
    fn responses() {
        assert_eq!(
            serving_status(&[0, 0, 0, 0, 2, 0x08, 1]),
            Ok(ServingStatus::Serving)
        );
        assert_eq!(serving_status(&[0, 0, 0, 0, 0]), Ok(ServingStatus::Unknown));
        // Unknown fields are skipped.
        assert_eq!(
            serving_status(&[0, 0, 0, 0, 5, 0x12, 1, b'x', 0x08, 2]),
            Ok(ServingStatus::NotServing)
        );
        assert_eq!(
            serving_status(&[0, 0, 0, 0, 2, 0x08, 9]),
            Ok(ServingStatus::Other(9))
        );
        assert!(serving_status(&[0, 0, 0, 0, 9, 0x08]).is_err());
        assert!(serving_status(&[1, 0, 0, 0, 0]).is_err());
        assert!(serving_status(&[]).is_err());
        assert_eq!(
            announced_length(&[0, 0xff, 0xff, 0xff, 0xff]),
            Some(u32::MAX as usize)
        );
    }

    #[test]
    fn varints_round_trip() {
        for v in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            varint(&mut out, v);
            assert_eq!(read_varint(&mut &out[..]), Some(v));
        }
        assert_eq!(read_varint(&mut &[0x80u8; 11][..]), None);
    }
}
