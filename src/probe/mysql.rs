//! `mysql://[USER:PASSWORD@]HOST[:PORT][/DATABASE]`. One rule, two readings:
//!
//! Without a password, ready means the server greets with a valid handshake
//! (protocol 10), as MySQL and MariaDB do as soon as they accept a
//! connection, and as `mysqladmin ping` judges it. A server that refuses says
//! why in an error packet instead ("Too many connections", "Host ... is
//! blocked"): that is the reason. No login: the connection is closed after
//! the greeting.
//!
//! With a password, the check logs in as the application would: a
//! HandshakeResponse41 with the user and the database in the path
//! (CONNECT_WITH_DB), answered with `mysql_native_password` or
//! `caching_sha2_password`'s fast scramble, following the server's
//! AuthSwitchRequest (at most [`MAX_AUTH_SWITCHES`]); healthy at its OK
//! packet, `logged in to orders (10.11.6-MariaDB)`, then COM_QUIT. Otherwise
//! the server's error and number: `error 1045: Access denied for user
//! '***'@'localhost' (using password: YES)`, `error 1049: Unknown database
//! 'orders'`. The password never goes out in clear: caching_sha2_password's
//! full authentication (a user whose key the server has not cached) wants
//! TLS or the server's RSA key, and `mysql_clear_password` wants it as is;
//! the line says what the server asked for instead (MariaDB's client would
//! send it). Another plugin (`client_ed25519`, `auth_gssapi_client`) is named
//! in the line.

use std::io::{Read, Write};

use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::deadline::Deadline;
use crate::net::conn::Conn;
use crate::net::describe_io;
use crate::probe::{Notes, Outcome, Probe};
use crate::redacted::{SecretString, scrub_bytes};
use crate::report::printable;
use crate::target::Url;

/// The longest packet read: a greeting is under 200 bytes, an error a few hundred.
const MAX_PACKET: usize = 16 * 1024;
/// AuthSwitchRequests followed in one login (a real server sends one at most).
const MAX_AUTH_SWITCHES: usize = 2;
/// Packets read after the HandshakeResponse before the verdict (switches,
/// caching_sha2's fast-auth note, the OK).
const MAX_LOGIN_PACKETS: usize = 8;
/// The longest plugin name or server version shown.
const MAX_NAME: usize = 64;

/// Capability flags (protocol 4.1).
const CLIENT_LONG_PASSWORD: u32 = 1;
const CLIENT_CONNECT_WITH_DB: u32 = 8;
const CLIENT_PROTOCOL_41: u32 = 0x200;
const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
const CLIENT_PLUGIN_AUTH: u32 = 0x8_0000;
/// utf8mb4_general_ci.
const CHARSET_UTF8MB4: u8 = 45;

const NATIVE: &str = "mysql_native_password";
const CACHING_SHA2: &str = "caching_sha2_password";

#[derive(Debug, Clone)]
pub struct MysqlCheck {
    url: Url,
    /// The password as MySQL stores it for mysql_native_password (`*` and
    /// the hex of SHA1(SHA1(password))), when there is one: derived from
    /// it, so a secret too, should a server or proxy quote it.
    stored: Option<SecretString>,
}

impl MysqlCheck {
    pub fn new(url: Url) -> MysqlCheck {
        let stored = url.password.as_ref().map(|password| {
            let twice = Sha1::digest(Sha1::digest(password.expose().as_bytes()));
            let hex: String = twice.iter().map(|b| format!("{b:02X}")).collect();
            SecretString::new(format!("*{hex}"))
        });
        MysqlCheck { url, stored }
    }
}

impl Probe for MysqlCheck {
    fn subject(&self) -> String {
        format!("mysql {}", self.url.host_port())
    }

    fn secrets(&self) -> crate::redacted::Secrets<'_> {
        let mut secrets = self.url.secrets();
        secrets
            .passwords
            .extend(self.stored.as_ref().map(SecretString::expose));
        secrets
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        let failed = |e: std::io::Error| describe_io(&e, deadline, "waiting for the server");
        let mut conn = match Conn::tcp(&self.url.host_port(), deadline, &mut notes.details) {
            Ok(conn) => conn,
            Err(reason) => return Outcome::Unhealthy(reason),
        };
        let greeting = match read_packet(&mut conn)
            .map_err(|e| describe_io(&e, deadline, "waiting for the greeting"))
        {
            Ok(Ok((_, payload))) => payload,
            Ok(Err(reason)) | Err(reason) => return Outcome::Unhealthy(reason),
        };
        let ready = judge(&greeting);
        match (&ready, &self.url.password) {
            (Outcome::Healthy(_), Some(password)) => {
                let mut login = Login {
                    conn: &mut conn,
                    password: password.expose().as_bytes(),
                    derived: Vec::new(),
                };
                login
                    .run(self, &greeting, notes, &failed)
                    .unwrap_or_else(Outcome::Unhealthy)
            }
            _ => ready,
        }
    }
}

/// One login, from the greeting to the OK packet.
struct Login<'a> {
    conn: &'a mut Conn,
    password: &'a [u8],
    /// Scrambles that went on the wire: never shown, also when echoed.
    derived: Vec<Vec<u8>>,
}

impl Login<'_> {
    fn run(
        &mut self,
        check: &MysqlCheck,
        greeting: &[u8],
        notes: &mut Notes,
        failed: &dyn Fn(std::io::Error) -> String,
    ) -> Result<Outcome, String> {
        let hello = Greeting::parse(greeting).ok_or("a greeting cut short: not a MySQL server?")?;
        let needed = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH;
        if hello.capabilities & needed != needed {
            return Err(format!(
                "the server ({}) does not offer protocol 4.1 logins with plugins",
                hello.version
            ));
        }
        let db = check.url.path_name();
        let user = check.url.user.as_deref().unwrap_or_default();
        // A plugin we do not speak gets the native scramble: the server
        // switches us to the user's plugin, as clients are switched.
        let plugin = match hello.plugin.as_str() {
            CACHING_SHA2 => CACHING_SHA2,
            _ => NATIVE,
        };
        let scramble = self.scramble(plugin, &hello.nonce)?;
        let mut caps = needed | CLIENT_LONG_PASSWORD;
        if !db.is_empty() {
            caps |= CLIENT_CONNECT_WITH_DB;
        }
        let mut response = caps.to_le_bytes().to_vec();
        response.extend((MAX_PACKET as u32).to_le_bytes());
        response.push(CHARSET_UTF8MB4);
        response.extend([0u8; 23]);
        response.extend(user.as_bytes());
        response.push(0);
        response.push(scramble.len() as u8);
        response.extend(&scramble);
        if !db.is_empty() {
            response.extend(db.as_bytes());
            response.push(0);
        }
        response.extend(plugin.as_bytes());
        response.push(0);
        let mut seq = 1u8;
        write_packet(self.conn, seq, &response).map_err(failed)?;
        let (mut plugin, mut switches) = (plugin.to_string(), 0);
        for _ in 0..MAX_LOGIN_PACKETS {
            let (got, payload) = read_packet(self.conn).map_err(failed)??;
            seq = got.wrapping_add(1);
            match payload.first() {
                Some(0x00) => {
                    // COM_QUIT; the verdict does not wait on it.
                    let _ = write_packet(self.conn, 0, &[0x01]);
                    return Ok(Outcome::Healthy(match db.is_empty() {
                        true => format!("logged in ({})", hello.version),
                        false => format!(
                            "logged in to {} ({})",
                            printable(&db, MAX_NAME),
                            hello.version
                        ),
                    }));
                }
                Some(0xff) => return Err(error_text(&scrub_derived(&payload, &self.derived))),
                Some(0xfe) => {
                    switches += 1;
                    if switches > MAX_AUTH_SWITCHES {
                        return Err(format!(
                            "more than {MAX_AUTH_SWITCHES} authentication switches from the server"
                        ));
                    }
                    // The name as shown and matched: without a scramble
                    // we sent, should the server echo one in it.
                    plugin = auth_switch(&scrub_derived(&payload, &self.derived)).0;
                    let (_, nonce) = auth_switch(&payload);
                    notes.detail(format!(
                        "the server switches to {}",
                        printable(&plugin, MAX_NAME)
                    ));
                    let answer = self.scramble(&plugin, nonce)?;
                    write_packet(self.conn, seq, &answer).map_err(failed)?;
                }
                // AuthMoreData: caching_sha2_password's word on the scramble.
                Some(0x01) if plugin == CACHING_SHA2 => match payload.get(1) {
                    Some(0x03) => notes.detail("caching_sha2_password: fast authentication"),
                    Some(0x04) => {
                        return Err("the server asks for caching_sha2_password full \
                                    authentication (no cached key for this user): that needs \
                                    TLS or its RSA key; the password is not sent in clear"
                            .into());
                    }
                    _ => return Err("an unknown caching_sha2_password message".into()),
                },
                _ => {
                    return Err("an unexpected packet during the login: not a MySQL server?".into());
                }
            }
        }
        Err(format!(
            "no OK among the server's first {MAX_LOGIN_PACKETS} packets of the login"
        ))
    }

    /// The answer to `plugin`'s challenge `nonce` (20 bytes of it taken).
    fn scramble(&mut self, plugin: &str, nonce: &[u8]) -> Result<Vec<u8>, String> {
        let nonce = &nonce[..nonce.len().min(20)];
        let answer = match plugin {
            _ if self.password.is_empty() => Vec::new(),
            NATIVE => native_scramble(self.password, nonce),
            CACHING_SHA2 => caching_sha2_scramble(self.password, nonce),
            "mysql_clear_password" => {
                return Err("the server asks for the password in clear \
                            (mysql_clear_password): the check does not send it so"
                    .into());
            }
            other => {
                return Err(format!(
                    "the server asks for the authentication plugin {}, which the check does \
                     not speak ({NATIVE} and {CACHING_SHA2} it does)",
                    printable(other, MAX_NAME)
                ));
            }
        };
        self.derived.push(answer.clone());
        Ok(answer)
    }
}

/// What a login needs from the greeting.
pub struct Greeting {
    version: String,
    capabilities: u32,
    /// The 20-byte challenge (both parts).
    pub nonce: Vec<u8>,
    plugin: String,
}

impl Greeting {
    pub fn parse(payload: &[u8]) -> Option<Greeting> {
        let rest = payload.get(1..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        let version = printable(&String::from_utf8_lossy(&rest[..end]), MAX_NAME);
        let rest = rest.get(end + 1..)?;
        // connection id (4), nonce part 1 (8), filler (1), capabilities low (2).
        let mut nonce = rest.get(4..12)?.to_vec();
        let low = u16::from_le_bytes([*rest.get(13)?, *rest.get(14)?]);
        // charset (1), status (2), capabilities high (2), nonce length (1), reserved (10).
        let high = u16::from_le_bytes([*rest.get(18)?, *rest.get(19)?]);
        let capabilities = u32::from(low) | u32::from(high) << 16;
        let part2_len = usize::from(*rest.get(20)?).saturating_sub(8).max(13);
        let tail = rest.get(31..)?;
        let part2 = tail.get(..part2_len.min(tail.len()))?;
        nonce.extend(part2.iter().take(12));
        let after = tail.get(part2_len..).unwrap_or_default();
        let plugin_end = after.iter().position(|&b| b == 0).unwrap_or(after.len());
        let plugin = String::from_utf8_lossy(&after[..plugin_end]).into_owned();
        Some(Greeting {
            version,
            capabilities,
            nonce,
            plugin,
        })
    }
}

/// An AuthSwitchRequest (`0xfe`, the plugin's name, NUL, its challenge,
/// perhaps a final NUL): the name and the challenge.
pub fn auth_switch(payload: &[u8]) -> (String, &[u8]) {
    let rest = payload.get(1..).unwrap_or_default();
    let name_end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    let name = String::from_utf8_lossy(&rest[..name_end]).into_owned();
    let nonce = rest.get(name_end + 1..).unwrap_or_default();
    (name, nonce.strip_suffix(&[0]).unwrap_or(nonce))
}

/// mysql_native_password: SHA1(password) XOR SHA1(nonce SHA1(SHA1(password))).
fn native_scramble(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    let once = Sha1::digest(password);
    let twice = Sha1::digest(once);
    let mixed = Sha1::new()
        .chain_update(nonce)
        .chain_update(twice)
        .finalize();
    once.iter().zip(mixed).map(|(a, b)| a ^ b).collect()
}

/// caching_sha2_password's fast scramble:
/// SHA256(password) XOR SHA256(SHA256(SHA256(password)) nonce).
fn caching_sha2_scramble(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    let once = Sha256::digest(password);
    let twice = Sha256::digest(once);
    let mixed = Sha256::new()
        .chain_update(twice)
        .chain_update(nonce)
        .finalize();
    once.iter().zip(mixed).map(|(a, b)| a ^ b).collect()
}

/// A packet from the server without any scramble we sent in it (bytes,
/// before they are read as text), by the shared scrub: a whole echo or a
/// start of one.
fn scrub_derived(bytes: &[u8], derived: &[Vec<u8>]) -> Vec<u8> {
    let derived: Vec<&[u8]> = derived.iter().map(Vec::as_slice).collect();
    scrub_bytes(bytes, &[], &derived)
}

fn write_packet(conn: &mut impl Write, seq: u8, payload: &[u8]) -> std::io::Result<()> {
    let mut packet = (payload.len() as u32).to_le_bytes()[..3].to_vec();
    packet.push(seq);
    packet.extend(payload);
    conn.write_all(&packet)
}

/// One packet's sequence number and payload, or why it is not one.
pub fn read_packet(conn: &mut impl Read) -> std::io::Result<Result<(u8, Vec<u8>), String>> {
    let mut head = [0u8; 4];
    conn.read_exact(&mut head)?;
    let len = usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
    if len == 0 || len > MAX_PACKET {
        return Ok(Err(format!("a {len}-byte packet: not a MySQL server?")));
    }
    let mut payload = vec![0u8; len];
    conn.read_exact(&mut payload)?;
    Ok(Ok((head[3], payload)))
}

/// `error 1045: Access denied ...` from an error packet.
pub fn error_text(payload: &[u8]) -> String {
    let code = payload
        .get(1..3)
        .map_or(0, |c| u16::from_le_bytes([c[0], c[1]]));
    // Protocol 4.1 errors carry '#' and a 5-character SQLSTATE first.
    let message = match payload.get(3) {
        Some(b'#') => payload.get(9..).unwrap_or_default(),
        _ => payload.get(3..).unwrap_or_default(),
    };
    format!("error {code}: {}", String::from_utf8_lossy(message))
}

/// The verdict on the greeting.
pub fn judge(payload: &[u8]) -> Outcome {
    match payload[0] {
        10 => {
            let version = payload[1..]
                .split(|&b| b == 0)
                .next()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            Outcome::Healthy(format!("ready ({version})"))
        }
        0xff => Outcome::Unhealthy(error_text(payload)),
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
    fn scrambles_match_the_known_algorithms() {
        // mysql_native_password of "" is empty (handled by the caller); of
        // "secret" with nonce 0..20, its documented definition.
        let nonce: Vec<u8> = (0..20).collect();
        let once = Sha1::digest(b"secret");
        let check = Sha1::digest([&nonce[..], &Sha1::digest(once)[..]].concat());
        let expected: Vec<u8> = once.iter().zip(check).map(|(a, b)| a ^ b).collect();
        assert_eq!(native_scramble(b"secret", &nonce), expected);
        assert_eq!(caching_sha2_scramble(b"secret", &nonce).len(), 32);
        assert_eq!(
            scrub_derived(b"a \xff\x01 c", &[b"\xff\x01".to_vec()]),
            b"a *** c"
        );
    }

    #[test]
    fn the_stored_form_of_the_password_is_a_secret() {
        let url = crate::probe::schemes::url("mysql://app:secret@db/orders").unwrap();
        let check = MysqlCheck::new(url);
        // SELECT PASSWORD('secret') in MariaDB.
        let stored = "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7";
        assert!(check.secrets().passwords.contains(&stored));
        assert!(check.secrets().passwords.contains(&"secret"));
    }

    #[test]
    fn a_mariadb_greeting_parses() {
        // 10.11's greeting, as captured on loopback.
        let mut g = vec![10];
        g.extend(b"5.5.5-10.11.6-MariaDB\0");
        g.extend([1, 0, 0, 0]);
        g.extend(b"abcdefgh\0");
        g.extend([0xfe, 0xf7, 45, 2, 0, 0xff, 0x81, 21]);
        g.extend([0u8; 10]);
        g.extend(b"ijklmnopqrst\0mysql_native_password\0");
        let hello = Greeting::parse(&g).unwrap();
        assert_eq!(hello.nonce, b"abcdefghijklmnopqrst");
        assert_eq!(hello.plugin, NATIVE);
        assert_eq!(hello.version, "5.5.5-10.11.6-MariaDB");
        assert!(hello.capabilities & CLIENT_PLUGIN_AUTH != 0);
        assert!(Greeting::parse(&g[..30]).is_none());
    }

    #[test]
    fn packets_are_bounded() {
        let read = |b: &[u8]| read_packet(&mut &b[..]).map_err(|e| e.kind());
        assert_eq!(
            read(&[3, 0, 0, 0, 10, b'x', 0]),
            Ok(Ok((0, vec![10, b'x', 0])))
        );
        assert!(matches!(read(&[0xff, 0xff, 0xff, 0]), Ok(Err(_))));
        assert!(read(&[5, 0, 0, 0, 10]).is_err());
    }
}
