//! `postgres://[USER@]HOST[:PORT][/DATABASE][?sslmode=require]` (also
//! `postgresql://`): pg_isready's rule, without a password and without
//! logging in. A startup message goes out; the server's first answer
//! decides: an authentication request means it accepts connections (healthy);
//! SQLSTATE 57P03 ("the database system is starting up", "shutting down", "in
//! recovery") means it does not (unhealthy, with its message). Any other
//! error (a refused login, an unknown database) still proves a server that
//! accepts connections, as pg_isready counts it. The connection is closed
//! before authenticating.
//!
//! `sslmode=require` asks for TLS first (SSLRequest), as libpq does, and
//! like libpq's `require` does not verify the certificate unless --cacert
//! names one; `verify-ca` and `verify-full` verify it.

use std::io::{Read, Write};
use std::sync::Arc;

use crate::deadline::Deadline;
use crate::net::conn::Conn;
use crate::net::describe_io;
use crate::probe::{Notes, Outcome, Probe};
use crate::target::Url;
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

#[derive(Debug, Clone)]
pub struct PostgresCheck {
    pub url: Url,
    /// --insecure, --cacert and client certificates, for sslmode.
    pub tls: Arc<tls::Settings>,
}

impl Probe for PostgresCheck {
    fn subject(&self) -> String {
        let user = match &self.url.user {
            Some(u) if !u.is_empty() => format!("{u}@"),
            _ => String::new(),
        };
        let db = match self.url.path_name() {
            db if db.is_empty() => String::new(),
            db => format!("/{db}"),
        };
        format!("postgres {user}{}{db}", self.url.host_port())
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        self.ask(deadline, notes).unwrap_or_else(Outcome::Unhealthy)
    }
}

impl PostgresCheck {
    fn ask(&self, deadline: &Deadline, notes: &mut Notes) -> Result<Outcome, String> {
        let failed = |e: std::io::Error| describe_io(&e, deadline, "waiting for the server");
        let mut conn = Conn::tcp(&self.url.host_port(), deadline, &mut notes.details)?;
        let sslmode = self.url.query("sslmode").unwrap_or_default();
        if matches!(sslmode.as_str(), "require" | "verify-ca" | "verify-full") {
            let mut request = 8u32.to_be_bytes().to_vec();
            request.extend(SSL_REQUEST.to_be_bytes());
            conn.write_all(&request).map_err(failed)?;
            let mut answer = [0u8];
            conn.read_exact(&mut answer).map_err(failed)?;
            match answer[0] {
                b'S' => {}
                b'N' => return Err(format!("the server does not offer TLS (sslmode={sslmode})")),
                other => return Err(not_postgres(other)),
            }
            let settings = match sslmode.as_str() {
                "require" => self.tls.for_encryption_only(),
                _ => (*self.tls).clone(),
            };
            let client = settings.client(tls::Alpn::None)?;
            conn = conn.with_tls(client, &self.url.host, deadline, &mut notes.details)?;
        }
        conn.write_all(&self.startup()).map_err(failed)?;
        for _ in 0..MAX_MESSAGES {
            let (kind, body) = read_message(&mut conn).map_err(failed)??;
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

/// One backend message: its type byte and body, or why it is not one.
fn read_message(conn: &mut impl Read) -> std::io::Result<Result<(u8, Vec<u8>), String>> {
    let mut head = [0u8; 5];
    conn.read_exact(&mut head)?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if !(4..=MAX_MESSAGE).contains(&len) {
        return Ok(Err(not_postgres(head[0])));
    }
    let mut body = vec![0u8; len - 4];
    conn.read_exact(&mut body)?;
    Ok(Ok((head[0], body)))
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

    /// `the database system is starting up (57P03)`
    fn text(&self) -> String {
        format!("{} ({})", self.message, self.code)
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
    }

    #[test]
    fn the_startup_message_names_user_and_database_but_no_password() {
        let check = PostgresCheck {
            url: crate::probe::schemes::url("postgres://app:hunter2@db:5432/orders").unwrap(),
            tls: Arc::default(),
        };
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
