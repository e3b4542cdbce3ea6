//! `postgres://[USER[:PASSWORD]@]HOST[:PORT][/DATABASE][?sslmode=require]`
//! (also `postgresql://`). One rule, two readings:
//!
//! Without a password, pg_isready's rule, without logging in. A startup
//! message goes out; the server's first answer decides: an authentication
//! request means it accepts connections (healthy); SQLSTATE 57P03 ("the
//! database system is starting up", "shutting down", "in recovery") means it
//! does not (unhealthy, with its message). Any other error (a refused login,
//! an unknown database) still proves a server that accepts connections, as
//! pg_isready counts it. The connection is closed before authenticating. An
//! error in the old protocol-2 form (the postmaster's "could not fork new
//! process", sent before it reads the startup) is not accepting connections:
//! pg_isready says "no response".
//!
//! With a password, the check logs in as the application would: the user
//! (default `postgres`), the database in the path (else the user's, as
//! libpq), and whatever the server asks for: the password in clear, MD5, or
//! SASL SCRAM-SHA-256 (whose final signature must prove the server knows the
//! password: an AuthenticationOk without it is refused, where libpq takes
//! it). Healthy only at ReadyForQuery: `logged in to orders (PostgreSQL
//! 16.4)`, the version from the server's `server_version`; then Terminate.
//! Otherwise the server's message and SQLSTATE: `password authentication
//! failed for user "***" (28P01)`.
//!
//! `sslmode` means what it means to libpq: `require` asks for TLS first
//! (SSLRequest) and verifies nothing, unless --cacert names a root
//! certificate, and then it is `verify-ca`; `verify-ca` checks the chain
//! (against --cacert, else the bundled roots) but not the host name;
//! `verify-full` checks both. `disable` and `allow` send the startup in
//! plaintext. `prefer` (libpq's default, and no sslmode at all) is plaintext
//! without a password (the server's answer decides either way); with one, it
//! asks for TLS first and goes on in plaintext only when the server says it
//! has none, so that a password is not sent in clear to a server that offers
//! TLS; when the TLS handshake fails, it connects again in plaintext, as
//! libpq does. A build without TLS does what libpq built without SSL does:
//! plaintext.
//! Any other value is a usage error, as it is to pg_isready.

pub mod scram;

use std::io::{Read, Write};
use std::sync::Arc;

use anyhow::bail;

use crate::deadline::Deadline;
use crate::net::conn::Conn;
use crate::net::describe_io;
use crate::probe::{Notes, Outcome, Probe};
use crate::redacted::{SecretString, Secrets, scrub_text};
use crate::report::{cut, printable};
use crate::target::{Url, shown_url};
use crate::tls;

/// The protocol version the startup message asks for: 3.0.
const PROTOCOL_3_0: u32 = 196_608;
/// The SSLRequest code.
const SSL_REQUEST: u32 = 80_877_103;
/// Messages the server may send in a login before ReadyForQuery: the
/// authentication exchange, about 15 ParameterStatus, BackendKeyData.
const MAX_LOGIN_MESSAGES: usize = 64;
/// Messages of the authentication exchange itself (SASL has three).
const MAX_AUTH_REQUESTS: usize = 4;
/// The longest server version shown.
const MAX_VERSION: usize = 40;
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
    /// The password as PostgreSQL stores it for MD5 (`md5` and the hex of
    /// md5(password user)), when there is a password: derived from it, so a
    /// secret too, should a server or proxy quote it.
    stored: Option<SecretString>,
}

/// libpq's sslmode values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    /// disable, allow: plaintext.
    Plain,
    /// prefer, and no sslmode at all: TLS if the server has it, when there
    /// is a password to protect.
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn name(self) -> &'static str {
        match self {
            SslMode::Plain => "disable",
            SslMode::Prefer => "prefer",
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
            Some("disable" | "allow") => SslMode::Plain,
            None | Some("prefer") => SslMode::Prefer,
            Some("require") => SslMode::Require,
            Some("verify-ca") => SslMode::VerifyCa,
            Some("verify-full") => SslMode::VerifyFull,
            Some(other) => bail!(
                "bad URL {}: sslmode {other:?} is not one of disable, allow, prefer, require, \
                 verify-ca, verify-full",
                shown_url(&url.to_string())
            ),
        };
        let stored = url.password.as_ref().map(|password| {
            let user = url
                .user
                .as_deref()
                .filter(|u| !u.is_empty())
                .unwrap_or("postgres");
            SecretString::new(md5_stored(password.expose(), user))
        });
        Ok(PostgresCheck {
            url,
            tls,
            sslmode,
            stored,
        })
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

    fn secrets(&self) -> Secrets<'_> {
        let mut secrets = self.url.secrets();
        secrets
            .passwords
            .extend(self.stored.as_ref().map(SecretString::expose));
        secrets
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        self.ask(deadline, notes).unwrap_or_else(Outcome::Unhealthy)
    }
}

impl PostgresCheck {
    fn ask(&self, deadline: &Deadline, notes: &mut Notes) -> Result<Outcome, String> {
        let failed = |e: std::io::Error| describe_io(&e, deadline, "waiting for the server");
        let mut conn = Conn::tcp(&self.url.host_port(), deadline, &mut notes.details)?;
        let password = self.url.password.as_ref().map(|p| p.expose());
        // libpq's prefer: TLS when offered, here only where a password is at stake.
        let prefer_tls = password.is_some() && cfg!(feature = "tls");
        if self.sslmode != SslMode::Plain && (self.sslmode != SslMode::Prefer || prefer_tls) {
            let sslmode = self.sslmode.name();
            let mut request = 8u32.to_be_bytes().to_vec();
            request.extend(SSL_REQUEST.to_be_bytes());
            conn.write_all(&request).map_err(failed)?;
            let mut answer = [0u8];
            conn.read_exact(&mut answer).map_err(failed)?;
            match answer[0] {
                b'S' => {
                    let settings = match self.sslmode {
                        SslMode::Require | SslMode::Prefer => self.tls.for_encryption_only(),
                        SslMode::VerifyCa => self.tls.for_chain_only(),
                        _ => (*self.tls).clone(),
                    };
                    let client = settings.client(tls::Alpn::None)?;
                    conn = match conn.with_tls(client, &self.url.host, deadline, &mut notes.details)
                    {
                        Ok(tls) => tls,
                        // libpq's prefer: a failed handshake, a new plaintext connection.
                        Err(e) if self.sslmode == SslMode::Prefer => {
                            notes.detail(format!("{e}: plaintext again (sslmode=prefer)"));
                            Conn::tcp(&self.url.host_port(), deadline, &mut notes.details)?
                        }
                        Err(e) => return Err(e),
                    };
                }
                b'N' if self.sslmode == SslMode::Prefer => {
                    notes.detail("the server offers no TLS: plaintext (sslmode=prefer)");
                }
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
        }
        conn.write_all(&self.startup()).map_err(failed)?;
        if let Some(password) = password {
            let mut login = Login {
                conn: &mut conn,
                password,
                derived: Vec::new(),
            };
            let result = login.run(self, deadline, notes);
            // What was derived from the password is scrubbed as it is.
            let derived = Secrets {
                names: Vec::new(),
                passwords: login.derived.iter().map(String::as_str).collect(),
            };
            return result.map_err(|e| scrub_text(&e, &derived));
        }
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
        let user = self.user();
        let mut params = Vec::new();
        let mut param = |k: &str, v: &str| {
            params.extend_from_slice(k.as_bytes());
            params.push(0);
            params.extend_from_slice(v.as_bytes());
            params.push(0);
        };
        param("user", user);
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

impl PostgresCheck {
    /// The user logged in as: the URL's, else `postgres`.
    fn user(&self) -> &str {
        self.url
            .user
            .as_deref()
            .filter(|u| !u.is_empty())
            .unwrap_or("postgres")
    }

    /// The database logged in to: the path, else the user's own (libpq).
    fn database(&self) -> String {
        match self.url.path_name() {
            db if db.is_empty() => self.user().to_string(),
            db => db,
        }
    }
}

/// One login with a password, from the startup message sent to ReadyForQuery.
struct Login<'a> {
    conn: &'a mut Conn,
    password: &'a str,
    /// What went on the wire derived from the password (the MD5 answer, the
    /// SCRAM proof): never shown, also when a server echoes it.
    derived: Vec<String>,
}

impl Login<'_> {
    fn run(
        &mut self,
        check: &PostgresCheck,
        deadline: &Deadline,
        notes: &mut Notes,
    ) -> Result<Outcome, String> {
        let failed = |e: std::io::Error| describe_io(&e, deadline, "waiting for the server");
        let mut scram: Option<scram::Scram> = None;
        let (mut proven, mut authenticated, mut requests) = (false, false, 0);
        let mut version = String::new();
        for _ in 0..MAX_LOGIN_MESSAGES {
            let (kind, body) = match read_message(self.conn).map_err(failed)? {
                Message::V3(kind, body) => (kind, body),
                Message::V2Error(start) => {
                    return Err(read_v2_error(self.conn, &start).map_err(failed)?);
                }
                Message::Not(first) => return Err(not_postgres(first)),
            };
            match kind {
                b'R' if authenticated => return Err(not_postgres(kind)),
                b'R' => {
                    requests += 1;
                    if requests > MAX_AUTH_REQUESTS {
                        return Err(format!(
                            "more than {MAX_AUTH_REQUESTS} authentication requests from the server"
                        ));
                    }
                    let Some((code, data)) = body.split_first_chunk::<4>() else {
                        return Err(not_postgres(kind));
                    };
                    match u32::from_be_bytes(*code) {
                        AUTH_OK if scram.is_some() && !proven => {
                            return Err("the server said the SCRAM login succeeded without its \
                                        final message: it did not prove it knows the password"
                                .into());
                        }
                        AUTH_OK => authenticated = true,
                        AUTH_CLEARTEXT => {
                            notes.detail(match self.conn.is_tls() {
                                true => "the server asks for the password (over TLS)",
                                false => "the server asks for the password in clear (no TLS)",
                            });
                            let mut message = self.password.as_bytes().to_vec();
                            message.push(0);
                            self.send(b'p', &message).map_err(failed)?;
                        }
                        AUTH_MD5 => {
                            let salt = data.get(..4).ok_or_else(|| not_postgres(kind))?;
                            notes.detail("the server asks for MD5");
                            let answer = md5_answer(self.password, check.user(), salt);
                            let mut message = answer.clone().into_bytes();
                            message.push(0);
                            self.derived.push(answer);
                            self.send(b'p', &message).map_err(failed)?;
                        }
                        AUTH_SASL => {
                            let offers = |name: &[u8]| data.split(|&b| b == 0).any(|m| m == name);
                            if !offers(b"SCRAM-SHA-256") {
                                return Err(match offers(b"SCRAM-SHA-256-PLUS") {
                                    true => {
                                        "the server offers only SCRAM-SHA-256-PLUS (channel \
                                             binding), which the check does not do"
                                    }
                                    false => {
                                        "the server offers no SASL mechanism the check \
                                              speaks (SCRAM-SHA-256)"
                                    }
                                }
                                .into());
                            }
                            notes.detail("the server asks for SCRAM-SHA-256");
                            let exchange = scram::Scram::new()?;
                            let first = exchange.first();
                            let mut message = b"SCRAM-SHA-256\0".to_vec();
                            message.extend((first.len() as u32).to_be_bytes());
                            message.extend(first.as_bytes());
                            self.send(b'p', &message).map_err(failed)?;
                            scram = Some(exchange);
                        }
                        AUTH_SASL_CONTINUE => {
                            let exchange = scram.as_mut().ok_or_else(|| not_postgres(kind))?;
                            if data.len() > scram::MAX_SCRAM_MESSAGE {
                                return Err(format!(
                                    "the server's SCRAM message is over {} bytes",
                                    scram::MAX_SCRAM_MESSAGE
                                ));
                            }
                            let (last, proof) =
                                exchange.answer(data, self.password.as_bytes(), deadline)?;
                            self.derived.push(proof);
                            self.send(b'p', last.as_bytes()).map_err(failed)?;
                        }
                        AUTH_SASL_FINAL => {
                            let exchange = scram.as_ref().ok_or_else(|| not_postgres(kind))?;
                            exchange.verify(data)?;
                            proven = true;
                        }
                        other => {
                            return Err(format!(
                                "the server asks for {}, which the check does not do",
                                match other {
                                    2 => "Kerberos V5 authentication".into(),
                                    7 | 8 => "GSSAPI authentication".into(),
                                    9 => "SSPI authentication".into(),
                                    n => format!("authentication method {n}"),
                                }
                            ));
                        }
                    }
                }
                b'E' => {
                    let error = ErrorFields::parse(&body);
                    return Err(match error.code.as_str() {
                        CANNOT_CONNECT_NOW => {
                            format!("not accepting connections: {}", error.text())
                        }
                        _ => error.text(),
                    });
                }
                b'S' => {
                    let mut parts = body.split(|&b| b == 0);
                    if parts.next() == Some(b"server_version") {
                        let value = String::from_utf8_lossy(parts.next().unwrap_or_default());
                        // `16.4 (Debian 16.4-1.pgdg120+1)`: the number.
                        let number = value.split_whitespace().next().unwrap_or_default();
                        version = printable(number, MAX_VERSION);
                    }
                }
                b'Z' if authenticated => {
                    // Terminate; the verdict does not wait on it.
                    let _ = self.send(b'X', &[]);
                    let db = printable(&check.database(), MAX_VERSION);
                    return Ok(Outcome::Healthy(match version.is_empty() {
                        true => format!("logged in to {db}"),
                        false => format!("logged in to {db} (PostgreSQL {version})"),
                    }));
                }
                // BackendKeyData, notices, NegotiateProtocolVersion.
                b'K' | b'N' | b'v' => {}
                other => return Err(not_postgres(other)),
            }
        }
        Err(format!(
            "no ReadyForQuery among the server's first {MAX_LOGIN_MESSAGES} messages"
        ))
    }

    /// One frontend message: its type, length and body.
    fn send(&mut self, kind: u8, body: &[u8]) -> std::io::Result<()> {
        let mut message = vec![kind];
        message.extend(((body.len() + 4) as u32).to_be_bytes());
        message.extend(body);
        self.conn.write_all(&message)
    }
}

/// Authentication request codes.
const AUTH_OK: u32 = 0;
const AUTH_CLEARTEXT: u32 = 3;
const AUTH_MD5: u32 = 5;
const AUTH_SASL: u32 = 10;
const AUTH_SASL_CONTINUE: u32 = 11;
const AUTH_SASL_FINAL: u32 = 12;

/// The answer to AuthenticationMD5Password: `md5` and the hex of
/// md5(hex(md5(password user)) salt).
fn md5_answer(password: &str, user: &str, salt: &[u8]) -> String {
    use md5::{Digest, Md5};
    let stored = md5_stored(password, user);
    format!(
        "md5{}",
        hex(&Md5::digest([&stored.as_bytes()[3..], salt].concat()))
    )
}

/// The password as PostgreSQL stores it for MD5: `md5` and the hex of
/// md5(password user).
fn md5_stored(password: &str, user: &str) -> String {
    use md5::{Digest, Md5};
    format!("md5{}", hex(&Md5::digest([password, user].concat())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the server sent.
pub enum Message {
    /// A protocol-3 message: its type byte and body.
    V3(u8, Vec<u8>),
    /// `E` and text, not a length: a protocol-2 error; the bytes after `E`
    /// read so far.
    V2Error(Vec<u8>),
    /// Not PostgreSQL: its first byte.
    Not(u8),
}

/// One backend message.
pub fn read_message(conn: &mut impl Read) -> std::io::Result<Message> {
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
pub fn read_v2_error(conn: &mut impl Read, start: &[u8]) -> std::io::Result<String> {
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
pub struct ErrorFields {
    severity: String,
    code: String,
    message: String,
}

impl ErrorFields {
    pub fn parse(body: &[u8]) -> ErrorFields {
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
    pub fn text(&self) -> String {
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
    use md5::Digest;

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
    fn md5_answers_as_libpq() {
        // `md5` || md5(md5("secret" "app") || salt), as libpq's pg_md5_encrypt.
        let inner = "md5".to_string() + &hex(&md5::Md5::digest(b"secretapp"));
        assert_eq!(inner.len(), 35);
        let answer = md5_answer("secret", "app", b"abcd");
        let expected = hex(&md5::Md5::digest(
            [&inner.as_bytes()[3..], &b"abcd"[..]].concat(),
        ));
        assert_eq!(answer, format!("md5{expected}"));
    }

    #[test]
    fn the_stored_form_of_the_password_is_a_secret() {
        let url = crate::probe::schemes::url("postgres://app:secret@db/orders").unwrap();
        let check = PostgresCheck::new(url, Arc::default()).unwrap();
        // SET password_encryption = 'md5'; CREATE ROLE app PASSWORD 'secret'
        // stores md5 || md5("secretapp").
        let stored = "md5".to_string() + &hex(&md5::Md5::digest(b"secretapp"));
        assert!(check.secrets().passwords.contains(&stored.as_str()));
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
