//! `mysql://HOST[:PORT]`: ready means the server greets with a valid
//! handshake (protocol 10), as MySQL and MariaDB do as soon as they accept a
//! connection. A server that refuses says why in an error packet instead
//! ("Too many connections", "Host ... is blocked"): that is the reason. No
//! login: the connection is closed after the greeting.

use std::io::Read;

use crate::deadline::Deadline;
use crate::net::conn::Conn;
use crate::net::describe_io;
use crate::probe::{Notes, Outcome, Probe};
use crate::target::Url;

/// The longest greeting read: a real one is under 200 bytes.
const MAX_PACKET: usize = 16 * 1024;

#[derive(Debug, Clone)]
pub struct MysqlCheck {
    pub url: Url,
}

impl Probe for MysqlCheck {
    fn subject(&self) -> String {
        format!("mysql {}", self.url.host_port())
    }

    fn secrets(&self) -> crate::redacted::Secrets<'_> {
        self.url.secrets()
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        let greeting =
            Conn::tcp(&self.url.host_port(), deadline, &mut notes.details).and_then(|mut conn| {
                read_packet(&mut conn)
                    .map_err(|e| describe_io(&e, deadline, "waiting for the greeting"))
            });
        match greeting.map(|packet| packet.map(|p| judge(&p))) {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(reason)) | Err(reason) => Outcome::Unhealthy(reason),
        }
    }
}

/// One packet's payload, or why it is not one.
fn read_packet(conn: &mut impl Read) -> std::io::Result<Result<Vec<u8>, String>> {
    let mut head = [0u8; 4];
    conn.read_exact(&mut head)?;
    let len = usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
    if len == 0 || len > MAX_PACKET {
        return Ok(Err(format!("a {len}-byte greeting: not a MySQL server?")));
    }
    let mut payload = vec![0u8; len];
    conn.read_exact(&mut payload)?;
    Ok(Ok(payload))
}

/// The verdict on the greeting.
fn judge(payload: &[u8]) -> Outcome {
    match payload[0] {
        10 => {
            let version = payload[1..]
                .split(|&b| b == 0)
                .next()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            Outcome::Healthy(format!("ready ({version})"))
        }
        0xff => {
            let code = payload
                .get(1..3)
                .map_or(0, |c| u16::from_le_bytes([c[0], c[1]]));
            // Protocol 4.1 errors carry '#' and a 5-character SQLSTATE first.
            let message = match payload.get(3) {
                Some(b'#') => payload.get(9..).unwrap_or_default(),
                _ => payload.get(3..).unwrap_or_default(),
            };
            Outcome::Unhealthy(format!(
                "error {code}: {}",
                String::from_utf8_lossy(message)
            ))
        }
        other => Outcome::Unhealthy(format!(
            "greeting of protocol {other}, not 10: not a MySQL server?"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greetings_and_errors() {
        let mut greeting = vec![10];
        greeting.extend(b"10.11.6-MariaDB\0rest");
        assert_eq!(
            judge(&greeting),
            Outcome::Healthy("ready (10.11.6-MariaDB)".into())
        );
        let mut error = vec![0xff, 0x10, 0x04];
        error.extend(b"#08004Too many connections");
        assert_eq!(
            judge(&error),
            Outcome::Unhealthy("error 1040: Too many connections".into())
        );
        let mut old = vec![0xff, 0x69, 0x04];
        old.extend(b"Host '127.0.0.1' is blocked");
        assert_eq!(
            judge(&old),
            Outcome::Unhealthy("error 1129: Host '127.0.0.1' is blocked".into())
        );
        assert!(matches!(judge(b"HTTP/1.1"), Outcome::Unhealthy(_)));
    }

    #[test]
    fn packets_are_bounded() {
        let read = |b: &[u8]| read_packet(&mut &b[..]).map_err(|e| e.kind());
        assert_eq!(read(&[3, 0, 0, 0, 10, b'x', 0]), Ok(Ok(vec![10, b'x', 0])));
        assert!(matches!(read(&[0xff, 0xff, 0xff, 0]), Ok(Err(_))));
        assert!(read(&[5, 0, 0, 0, 10]).is_err());
    }
}
