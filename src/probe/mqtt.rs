//! `mqtt://[USER:PASSWORD@]HOST[:PORT]` (`mqtts://` over TLS): ready means
//! the broker accepts an MQTT 3.1.1 CONNECT (clean session, a short
//! keepalive, a random client id `healthprobe-<11 random letters and
//! digits>`: containers share PIDs, and a broker drops the older of two
//! sessions with one id) with CONNACK return code 0, as
//! `mosquitto_pub` judges it; then DISCONNECT. Codes 1 to 5 are the reason,
//! in words (4: bad user name or password, 5: not authorized).
//!
//! A CONNACK is exactly four bytes, so nothing longer is ever read: no
//! length a broker sends sizes a buffer. Nothing the broker sends is shown
//! but its first byte, so an echoed password cannot reach the line.
//! Cost, slim x86_64 build: 2,400 bytes of code and data.

use std::io::{Read, Write};
use std::sync::Arc;

use crate::deadline::Deadline;
use crate::net::conn::Conn;
use crate::net::describe_io;
use crate::probe::{Notes, Outcome, Probe};
use crate::redacted::Secrets;
use crate::target::Url;
use crate::tls;

/// The keepalive asked for, in seconds: the broker may drop a client silent
/// for 1.5 times this, and the check is done long before.
const KEEPALIVE: u16 = 10;
const CONNECT: u8 = 0x10;
const CONNACK: u8 = 0x20;
const DISCONNECT: [u8; 2] = [0xe0, 0x00];
/// Protocol level 4: MQTT 3.1.1.
const LEVEL_3_1_1: u8 = 4;
const CLEAN_SESSION: u8 = 0x02;
const HAS_PASSWORD: u8 = 0x40;
const HAS_USER: u8 = 0x80;

#[derive(Debug, Clone)]
pub struct MqttCheck {
    pub url: Url,
    pub tls: Arc<tls::Settings>,
}

impl Probe for MqttCheck {
    fn secrets(&self) -> Secrets<'_> {
        self.url.secrets()
    }

    fn subject(&self) -> String {
        let user = self.url.user_at();
        format!(
            "{} {user}{}",
            self.url.scheme.as_str(),
            self.url.host_port()
        )
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        match self.connect(deadline, notes) {
            Ok(()) => Outcome::Healthy("CONNACK 0 (connection accepted)".into()),
            Err(reason) => Outcome::Unhealthy(reason),
        }
    }
}

impl MqttCheck {
    fn connect(&self, deadline: &Deadline, notes: &mut Notes) -> Result<(), String> {
        let packet = self.connect_packet()?;
        let mut conn = Conn::tcp(&self.url.host_port(), deadline, &mut notes.details)?;
        if self.url.scheme.tls {
            let client = self.tls.client(tls::Alpn::None)?;
            conn = conn.with_tls(client, &self.url.host, deadline, &mut notes.details)?;
        }
        conn.write_all(&packet)
            .map_err(|e| describe_io(&e, deadline, "sending CONNECT"))?;
        let mut connack = [0u8; 4];
        conn.read_exact(&mut connack)
            .map_err(|e| describe_io(&e, deadline, "waiting for CONNACK"))?;
        if connack[..2] != [CONNACK, 2] {
            return Err(format!(
                "not an MQTT 3.1.1 CONNACK (starts with {:?}): not an MQTT broker?",
                char::from(connack[0])
            ));
        }
        let code = connack[3];
        if code != 0 {
            return Err(format!("CONNACK {code}: {}", refusal(code)));
        }
        notes.detail("CONNACK 0: connection accepted");
        // The verdict is in; DISCONNECT is a courtesy, so its failure is not.
        if conn.write_all(&DISCONNECT).is_ok() {
            notes.detail("DISCONNECT sent");
        }
        Ok(())
    }

    /// CONNECT: MQTT 3.1.1, a clean session, a fresh client id, the URL's credentials.
    fn connect_packet(&self) -> Result<Vec<u8>, String> {
        let mut flags = CLEAN_SESSION;
        let mut body = Vec::new();
        string(&mut body, b"MQTT")?;
        body.push(LEVEL_3_1_1);
        let flags_at = body.len();
        body.push(0);
        body.extend(KEEPALIVE.to_be_bytes());
        string(&mut body, &client_id())?;
        let password = self.url.password.as_ref().map(|p| p.expose());
        // 3.1.1 allows a password only with a user name: an empty one then.
        if self.url.user.is_some() || password.is_some() {
            flags |= HAS_USER;
            let user = self.url.user.as_deref().unwrap_or("");
            string(&mut body, user.as_bytes()).map_err(|_| "the user name is too long")?;
        }
        if let Some(password) = password {
            flags |= HAS_PASSWORD;
            string(&mut body, password.as_bytes()).map_err(|_| "the password is too long")?;
        }
        body[flags_at] = flags;
        let mut packet = vec![CONNECT];
        remaining_length(&mut packet, body.len());
        packet.extend(body);
        Ok(packet)
    }
}

/// A CONNACK return code in words (MQTT 3.1.1, section 3.2.2.3).
fn refusal(code: u8) -> &'static str {
    match code {
        1 => "unacceptable protocol version (the broker does not speak MQTT 3.1.1)",
        2 => "client identifier rejected",
        3 => "server unavailable",
        4 => "bad user name or password",
        5 => "not authorized",
        _ => "refused (an unknown return code)",
    }
}

/// A UTF-8 string field: a 16-bit length, then the bytes.
fn string(out: &mut Vec<u8>, s: &[u8]) -> Result<(), String> {
    let len = u16::try_from(s.len()).map_err(|_| "a field longer than 65535 bytes".to_string())?;
    out.extend(len.to_be_bytes());
    out.extend_from_slice(s);
    Ok(())
}

/// The variable-length "remaining length" (at most 3 * 65,537 + 20 bytes here).
fn remaining_length(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n % 128) as u8;
        n /= 128;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// `healthprobe-` and 11 random letters and digits (64 bits of getrandom;
/// the clock and the PID if the kernel refuses): 23 bytes, the longest id
/// every MQTT 3.1.1 broker must accept.
fn client_id() -> Vec<u8> {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut bytes = [0u8; 8];
    let mut n = match rustix::rand::getrandom(&mut bytes, rustix::rand::GetRandomFlags::empty()) {
        Ok(8) => u64::from_le_bytes(bytes),
        _ => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64); // the low bits are what varies
            now ^ u64::from(std::process::id()).rotate_left(40)
        }
    };
    let mut id = b"healthprobe-".to_vec();
    for _ in 0..11 {
        id.push(DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_is_mqtt_3_1_1_with_a_clean_session_and_the_credentials() {
        let check = MqttCheck {
            url: crate::probe::schemes::url("mqtt://app:s3cret@h").unwrap(),
            tls: Arc::default(),
        };
        let p = check.connect_packet().unwrap();
        assert_eq!(p[0], CONNECT);
        assert_eq!(usize::from(p[1]), p.len() - 2);
        assert_eq!(&p[2..9], b"\x00\x04MQTT\x04");
        assert_eq!(p[9], HAS_USER | HAS_PASSWORD | CLEAN_SESSION);
        assert!(p.ends_with(b"\x00\x03app\x00\x06s3cret"));
        assert_eq!(check.subject(), "mqtt app@h:1883");
        let anonymous = MqttCheck {
            url: crate::probe::schemes::url("mqtts://h").unwrap(),
            tls: Arc::default(),
        };
        assert_eq!(anonymous.connect_packet().unwrap()[9], CLEAN_SESSION);
    }

    #[test]
    fn remaining_length_is_mqtts_varint() {
        for (n, bytes) in [
            (0, &[0x00][..]),
            (127, &[0x7f]),
            (128, &[0x80, 0x01]),
            (16_383, &[0xff, 0x7f]),
            (16_384, &[0x80, 0x80, 0x01]),
        ] {
            let mut out = Vec::new();
            remaining_length(&mut out, n);
            assert_eq!(out, bytes, "{n}");
        }
    }
}
