//! `postgres://[USER@]HOST[:PORT][/DATABASE][?sslmode=require]` (also
//! `postgresql://`): pg_isready's rule, without a password and without
//! logging in. A startup message goes out; the server's first answer
//! decides: an authentication request means it accepts connections (healthy);
//! SQLSTATE 57P03 ("the database system is starting up", "shutting down", "in
//! recovery") means it does not (unhealthy, with its message). Any other
//! error (a refused login, an unknown database) still proves a server that
//! accepts connections, as pg_isready counts it. The connection is closed
//! before authenticating. An error in the old protocol-2 form (the
//! postmaster's "could not fork new process", sent before it reads the
//! startup) is not accepting connections: pg_isready says "no response".
//!
//! `sslmode` means what it means to libpq: `require` asks for TLS first
//! (SSLRequest) and verifies nothing, unless --cacert names a root
//! certificate, and then it is `verify-ca`; `verify-ca` checks the chain
//! (against --cacert, else the bundled roots) but not the host name;
//! `verify-full` checks both. `disable`, `allow` and `prefer` send the
//! startup in plaintext: the server's answer to it decides either way. Any
//! other value is a usage error, as it is to pg_isready.

use std::io::{Read, Write};
use std::sync::Arc;

use anyhow::bail;

use crate::deadline::Deadline;
use crate::net::conn::Conn;
use crate::net::describe_io;
use crate::probe::{Notes, Outcome, Probe};
use crate::report::cut;
use crate::target::{Url, shown_url};
use crate::tls;

/// The protocol version the startup message asks for: 3.0.
const PROTOCOL_3_0: u32 = 196_608;
/// The SSLRequest code.
const SSL_REQUEST: u32 = 80_877_103;
/// The longest message read: an ErrorResponse is a few hundred bytes.
const MAX_MESSAGE: usize = 16 * 1024;
/// Messages the server may send before it decides (notices, protocol version).
const MAX_MESSAGES: usize = 8;
/// The server cannot accept connections now (starting, stopping, recovering).
const CANNOT_CONNECT_NOW: &str = "57P03";

/// How much of a server's error message a reason keeps, so that the
/// SQLSTATE after it survives the line's limits.
const MAX_SHOWN_MESSAGE: usize = 120;
/// The longest protocol-2 error read: one line of text.
const MAX_V2_ERROR: usize = 1024;

#[derive(Debug, Clone)]
pub struct PostgresCheck {
    pub url: Url,
    /// --insecure, --cacert and client certificates, for sslmode.
    pub tls: Arc<tls::Settings>,
    sslmode: SslMode,
}

/// libpq's sslmode values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    /// disable, allow, prefer (and no sslmode at all): plaintext.
    Plain,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn name(self) -> &'static str {
        match self {
            SslMode::Plain => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

impl PostgresCheck {
    /// The check for `url`; an sslmode libpq does not know is an error.
    pub fn new(url: Url, tls: Arc<tls::Settings>) -> anyhow::Result<PostgresCheck> {
        let sslmode = match url.query("sslmode").as_deref() {
            None | Some("disable" | "allow" | "prefer") => SslMode::Plain,
            Some("require") => SslMode::Require,
            Some("verify-ca") => SslMode::VerifyCa,
            Some("verify-full") => SslMode::VerifyFull,
            Some(other) => bail!(
                "bad URL {}: sslmode {other:?} is not one of disable, allow, prefer, require, \
                 verify-ca, verify-full",
                shown_url(&url.to_string())
            ),
        };
        Ok(PostgresCheck { url, tls, sslmode })
    }
}

impl Probe for PostgresCheck {
    fn subject(&self) -> String {
        let user = self.url.user_at();
        let db = match self.url.path_name() {
            db if db.is_empty() => String::new(),
            db => format!("/{db}"),
        };
        format!("postgres {user}{}{db}", self.url.host_port())
    }

    fn secrets(&self) -> crate::redacted::Secrets<'_> {
        self.url.secrets()
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        self.ask(deadline, notes).unwrap_or_else(Outcome::Unhealthy)
    }
}

impl PostgresCheck {
    fn ask(&self, deadline: &Deadline, notes: &mut Notes) -> Result<Outcome, String> {
        let failed = |e: std::io::Error| describe_io(&e, deadline, "waiting for the server");
        let mut conn = Conn::tcp(&self.url.host_port(), deadline, &mut notes.details)?;
        if self.sslmode != SslMode::Plain {
            let sslmode = self.sslmode.name();
            let mut request = 8u32.to_be_bytes().to_vec();
            request.extend(SSL_REQUEST.to_be_bytes());
            conn.write_all(&request).map_err(failed)?;
            let mut answer = [0u8];
            conn.read_exact(&mut answer).map_err(failed)?;
            match answer[0] {
                b'S' => {}
                b'N' => return Err(format!("the server does not offer TLS (sslmode={sslmode})")),
                // An error instead: the fork failure's protocol-2 text, or
                // an ErrorResponse (a server too old for SSLRequest).
                b'E' => {
                    let mut rest = [0u8; 4];
                    conn.read_exact(&mut rest).map_err(failed)?;
                    let head = [&[b'E'][..], &rest[..]].concat();
                    return Err(
                        match read_message(&mut (&head[..]).chain(&mut conn)).map_err(failed)? {
                            Message::V3(_, body) => ErrorFields::parse(&body).text(),
                            Message::V2Error(start) => {
                                read_v2_error(&mut conn, &start).map_err(failed)?
                            }
                            Message::Not(first) => not_postgres(first),
                        },
                    );
                }
                other => return Err(not_postgres(other)),
            }
            let settings = match self.sslmode {
                SslMode::Require => self.tls.for_encryption_only(),
                SslMode::VerifyCa => self.tls.for_chain_only(),
                _ => (*self.tls).clone(),
            };
            let client = settings.client(tls::Alpn::None)?;
            conn = conn.with_tls(client, &self.url.host, deadline, &mut notes.details)?;
        }
        conn.write_all(&self.startup()).map_err(failed)?;
        for _ in 0..MAX_MESSAGES {
            let (kind, body) = match read_message(&mut conn).map_err(failed)? {
                Message::V3(kind, body) => (kind, body),
                Message::V2Error(start) => {
                    return Err(read_v2_error(&mut conn, &start).map_err(failed)?);
                }
                Message::Not(first) => return Err(not_postgres(first)),
            };
            match kind {
                b'R' => return Ok(Outcome::Healthy("accepting connections".into())),
                b'E' => {
                    let error = ErrorFields::parse(&body);
                    notes.detail(format!("server: {}", error.text()));
                    return Ok(match error.code.as_str() {
                        CANNOT_CONNECT_NOW => Outcome::Unhealthy(format!(
                            "not accepting connections: {}",
                            error.text()
                        )),
                        _ => Outcome::Healthy(format!(
                            "accepting connections (it refused this login: {})",
                            error.text()
                        )),
                    });
                }
                // NoticeResponse, NegotiateProtocolVersion: the answer is still to come.
                b'N' | b'v' => {}
                other => return Err(not_postgres(other)),
            }
        }
        Err("no answer to the startup message among the server's first messages".into())
    }

    /// The StartupMessage: protocol 3.0, the user (default postgres), the
    /// database if the URL names one. No password: we never log in.
    fn startup(&self) -> Vec<u8> {
        let user = self
            .url
            .user
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "postgres".into());
        let mut params = Vec::new();
        let mut param = |k: &str, v: &str| {
            params.extend_from_slice(k.as_bytes());
            params.push(0);
            params.extend_from_slice(v.as_bytes());
            params.push(0);
        };
        param("user", &user);
        let db = self.url.path_name();
        if !db.is_empty() {
            param("database", &db);
        }
        param("application_name", "healthprobe");
        params.push(0);
        let mut out = ((8 + params.len()) as u32).to_be_bytes().to_vec();
        out.extend(PROTOCOL_3_0.to_be_bytes());
        out.extend(params);
        out
    }
}

/// What the server sent.
enum Message {
    /// A protocol-3 message: its type byte and body.
    V3(u8, Vec<u8>),
    /// `E` and text, not a length: a protocol-2 error; the bytes after `E`
    /// read so far.
    V2Error(Vec<u8>),
    /// Not PostgreSQL: its first byte.
    Not(u8),
}

/// One backend message.
fn read_message(conn: &mut impl Read) -> std::io::Result<Message> {
    let mut head = [0u8; 5];
    conn.read_exact(&mut head)?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if !(4..=MAX_MESSAGE).contains(&len) {
        // The postmaster's protocol-2 errors are `E`, text, `\n`, `\0`.
        return Ok(match head[0] {
            b'E' if head[1..].iter().all(|b| (b' '..0x7f).contains(b)) => {
                Message::V2Error(head[1..].to_vec())
            }
            other => Message::Not(other),
        });
    }
    let mut body = vec![0u8; len - 4];
    conn.read_exact(&mut body)?;
    Ok(Message::V3(head[0], body))
}

/// The rest of a protocol-2 error after its `E` (`start` read already), up
/// to its NUL, the end of the stream or [`MAX_V2_ERROR`] bytes, as the reason.
fn read_v2_error(conn: &mut impl Read, start: &[u8]) -> std::io::Result<String> {
    let mut text = start.to_vec();
    let mut byte = [0u8];
    while text.len() < MAX_V2_ERROR && !text.contains(&0) {
        match conn.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => text.push(byte[0]),
            Err(e) if text.is_empty() => return Err(e),
            Err(_) => break,
        }
    }
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    let message = String::from_utf8_lossy(&text[..end]);
    Ok(format!("not accepting connections: {}", message.trim()))
}

/// The fields of an ErrorResponse that a reason needs.
#[derive(Debug, Default, PartialEq)]
struct ErrorFields {
    severity: String,
    code: String,
    message: String,
}

impl ErrorFields {
    fn parse(body: &[u8]) -> ErrorFields {
        let mut fields = ErrorFields::default();
        for field in body.split(|&b| b == 0) {
            let Some((&kind, value)) = field.split_first() else {
                continue;
            };
            let value = String::from_utf8_lossy(value).into_owned();
            match kind {
                b'S' => fields.severity = value,
                b'C' => fields.code = value,
                b'M' => fields.message = value,
                _ => {}
            }
        }
        fields
    }

    /// `the database system is starting up (57P03)`: a long message is cut
    /// so that the code still fits in the line.
    fn text(&self) -> String {
        format!("{} ({})", cut(&self.message, MAX_SHOWN_MESSAGE), self.code)
    }
}

fn not_postgres(first: u8) -> String {
    format!(
        "not a PostgreSQL answer (starts with {:?}): not a PostgreSQL server?",
        char::from(first)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_fields() {
        let body =
            b"SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0Fpostmaster.c\0\0";
        let e = ErrorFields::parse(body);
        assert_eq!((e.severity.as_str(), e.code.as_str()), ("FATAL", "57P03"));
        assert_eq!(e.text(), "the database system is starting up (57P03)");
        let long = ErrorFields {
            code: "53300".into(),
            message: "x".repeat(16_000),
            ..ErrorFields::default()
        };
        assert!(long.text().len() < 140 && long.text().ends_with("(53300)"));
    }

    #[test]
    fn sslmode_is_one_libpq_knows() {
        for mode in ["verify_full", "REQUIRE", ""] {
            let url = format!("postgres://db/?sslmode={mode}");
            let url = crate::probe::schemes::url(&url).unwrap();
            assert!(PostgresCheck::new(url, Arc::default()).is_err(), "{mode}");
        }
    }

    #[test]
    fn the_startup_message_names_user_and_database_but_no_password() {
        let url = crate::probe::schemes::url("postgres://app:hunter2@db:5432/orders").unwrap();
        let check = PostgresCheck::new(url, Arc::default()).unwrap();
        let msg = check.startup();
        assert_eq!(
            u32::from_be_bytes(msg[..4].try_into().unwrap()) as usize,
            msg.len()
        );
        let text = String::from_utf8_lossy(&msg[8..]);
        assert!(text.contains("user\0app\0database\0orders\0"), "{text:?}");
        assert!(!text.contains("hunter2"));
        assert_eq!(check.subject(), "postgres app@db:5432/orders");
    }
}
