//! A password in the target means: log in as the application would (issue
//! 28). PostgreSQL against a real cluster with scram-sha-256, md5, password
//! and trust users in pg_hba.conf, psql as the oracle; MariaDB with
//! mysql_native_password users, the mysql client as the oracle; and hostile
//! fakes for what a real server will not do (a wrong SCRAM signature, a
//! count of 2^31 - 1, AuthenticationOk without proof, endless auth switches,
//! caching_sha2_password computed here). The launcher bounds every run's
//! memory.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::thread;
use std::time::Duration;

use common::daemons;
use common::*;

// --- PostgreSQL -----------------------------------------------------------------

/// psql's exit status for `url` (0: it ran `select 1`; 2: it could not connect).
fn psql(url: &str) -> i32 {
    Command::new("psql")
        .args([url, "-X", "-q", "-c", "select 1"])
        .env_remove("PGPASSWORD")
        .env("PGCONNECT_TIMEOUT", "5")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("psql (apt-get install postgresql-client)")
        .code()
        .unwrap_or(-1)
}

/// Runs `sql` in the cluster as postgres (password `not-used`, as
/// daemons::postgres sets it).
fn pg_sql(port: u16, sql: &str) {
    let out = Command::new("psql")
        .arg(format!(
            "postgresql://postgres:not-used@127.0.0.1:{port}/postgres"
        ))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql");
    assert!(out.status.success(), "{sql}: {out:?}");
}

/// A cluster whose pg_hba.conf names one method per user.
fn pg_cluster_with_logins() -> daemons::Daemon {
    let pg = daemons::postgres(None);
    let port = pg.port;
    pg_sql(
        port,
        "CREATE ROLE scram_user LOGIN PASSWORD 'Scram5ecretPw'",
    );
    pg_sql(
        port,
        "SET password_encryption = 'md5'; CREATE ROLE md5_user LOGIN PASSWORD 'Md5SecretPw1'",
    );
    pg_sql(
        port,
        "CREATE ROLE clear_user LOGIN PASSWORD 'Clear5ecretPw'",
    );
    pg_sql(port, "CREATE ROLE trust_user LOGIN");
    pg_sql(
        port,
        "CREATE ROLE limited_user LOGIN PASSWORD 'Limit5ecretPw' CONNECTION LIMIT 0",
    );
    pg_sql(
        port,
        "CREATE ROLE rejected_user LOGIN PASSWORD 'Reject5ecretPw'",
    );
    pg_sql(port, "CREATE DATABASE orders");
    let hba = "host all scram_user 127.0.0.1/32 scram-sha-256\n\
               host all md5_user 127.0.0.1/32 md5\n\
               host all clear_user 127.0.0.1/32 password\n\
               host all trust_user 127.0.0.1/32 trust\n\
               host all rejected_user 127.0.0.1/32 reject\n\
               host all all 127.0.0.1/32 scram-sha-256\n";
    std::fs::write(pg.dir.join("data/pg_hba.conf"), hba).unwrap();
    pg_sql(port, "SELECT pg_reload_conf()");
    thread::sleep(Duration::from_millis(300));
    pg
}

#[test]
#[ignore = "needs PostgreSQL (apt postgresql) and root; CI runs it"]
fn postgres_logs_in_as_psql_does() {
    let pg = pg_cluster_with_logins();
    let at = format!("127.0.0.1:{}", pg.port);
    let version = String::from_utf8_lossy(
        &Command::new("psql")
            .arg(format!("postgresql://postgres:not-used@{at}/postgres"))
            .args(["-X", "-A", "-t", "-c", "show server_version"])
            .output()
            .unwrap()
            .stdout,
    )
    .split_whitespace()
    .next()
    .unwrap_or_default()
    .to_string();
    // (URL, what our line says, psql's exit status)
    let cases: &[(&str, &str, i32)] = &[
        (
            "scram_user:Scram5ecretPw@{at}/orders",
            "logged in to orders (PostgreSQL {v})",
            0,
        ),
        (
            "md5_user:Md5SecretPw1@{at}/orders",
            "logged in to orders (PostgreSQL {v})",
            0,
        ),
        (
            "clear_user:Clear5ecretPw@{at}/orders",
            "logged in to orders",
            0,
        ),
        ("trust_user:anything@{at}/orders", "logged in to orders", 0),
        // No database in the path: the user's own, as libpq; it is the
        // user's name, so the line hides it as it hides every user name.
        (
            "postgres:not-used@{at}",
            "logged in to *** (PostgreSQL {v})",
            0,
        ),
        (
            "scram_user:WrongSecret1@{at}/orders",
            "password authentication failed for user \"***\" (28P01)",
            2,
        ),
        (
            "md5_user:WrongSecret1@{at}/orders",
            "password authentication failed for user \"***\" (28P01)",
            2,
        ),
        (
            "clear_user:WrongSecret1@{at}/orders",
            "password authentication failed for user \"***\" (28P01)",
            2,
        ),
        (
            "scram_user:Scram5ecretPw@{at}/nodb",
            "database \"nodb\" does not exist (3D000)",
            2,
        ),
        (
            "scram_user:Scram5ecretPw@{at}",
            "database \"***\" does not exist (3D000)",
            2,
        ),
        (
            "rejected_user:Reject5ecretPw@{at}/orders",
            "rejects connection",
            2,
        ),
        (
            "limited_user:Limit5ecretPw@{at}/orders",
            "too many connections",
            2,
        ),
        ("nosuch_user:WrongSecret1@{at}/orders", "(28P01)", 2),
    ];
    for (url, says, psql_exit) in cases {
        let url = format!("postgresql://{}", url.replace("{at}", &at));
        let says = says.replace("{v}", &version);
        assert_eq!(psql(&url), *psql_exit, "psql {url}");
        let run = probe(&["-v", &url]);
        match psql_exit {
            0 => run.healthy(),
            _ => run.unhealthy(),
        };
        run.says(&says)
            .never_says("5ecretPw")
            .never_says("WrongSecret1")
            .never_says("SecretPw1");
    }
    // The SQLSTATE of a full server, and of the role's own limit.
    probe(&[&format!(
        "postgresql://limited_user:Limit5ecretPw@{at}/orders"
    )])
    .unhealthy()
    .one_line()
    .says("(53300)");
    // Without a password nothing changes: pg_isready's rule.
    probe(&[&format!("postgres://scram_user@{at}/nodb")])
        .healthy()
        .says("accepting connections");
}

#[cfg(feature = "tls")]
#[test]
#[ignore = "needs PostgreSQL (apt postgresql) and root; CI runs it"]
fn with_a_password_postgres_prefers_tls_as_libpq_does() {
    let certs = self_signed_cert("hp-pg-login-tls-");
    let pg = daemons::postgres(Some(&certs));
    let url = format!(
        "postgres://postgres:not-used@127.0.0.1:{}/postgres",
        pg.port
    );
    assert_eq!(psql(&url), 0);
    probe(&["-v", &url])
        .healthy()
        .says("TLS handshake done")
        .says("logged in to *** (PostgreSQL ")
        .never_says("not-used");
    probe(&["-v", &format!("{url}?sslmode=disable")])
        .healthy()
        .never_says("TLS handshake done");
}

/// A fake PostgreSQL: answers SSLRequest with `N`, reads the startup, then
/// runs `script` on the connection.
fn pg_fake(script: fn(&mut TcpStream)) -> Server {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                loop {
                    let Ok(body) = pg_read_startup(&mut s) else {
                        return;
                    };
                    if body.starts_with(&80_877_103u32.to_be_bytes()) {
                        let _ = s.write_all(b"N");
                        continue;
                    }
                    break;
                }
                script(&mut s);
                thread::sleep(Duration::from_millis(200));
            });
        }
    });
    Server::at(addr)
}

fn pg_read_startup(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut len = [0u8; 4];
    s.read_exact(&mut len)?;
    let mut body = vec![
        0u8;
        (u32::from_be_bytes(len) as usize)
            .saturating_sub(4)
            .min(4096)
    ];
    s.read_exact(&mut body)?;
    Ok(body)
}

/// One frontend message (type byte, body).
fn pg_read(s: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 5];
    s.read_exact(&mut head).ok()?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let mut body = vec![0u8; len.saturating_sub(4).min(65536)];
    s.read_exact(&mut body).ok()?;
    Some((head[0], body))
}

fn pg_auth(code: u32, data: &[u8]) -> Vec<u8> {
    let mut out = vec![b'R'];
    out.extend(((8 + data.len()) as u32).to_be_bytes());
    out.extend(code.to_be_bytes());
    out.extend(data);
    out
}

/// The client nonce from a SASLInitialResponse body.
fn client_nonce(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    text.split("r=").nth(1).unwrap_or_default().to_string()
}

/// Offers SCRAM-SHA-256 and sends the server-first message with `count`
/// iterations; returns after reading the client's final message.
fn scram_until_final(s: &mut TcpStream, count: &str) -> bool {
    let _ = s.write_all(&pg_auth(10, b"SCRAM-SHA-256\0\0"));
    let Some((_, first)) = pg_read(s) else {
        return false;
    };
    let nonce = client_nonce(&first);
    let server_first = format!("r={nonce}srvNonce,s=c2FsdHNhbHQ=,i={count}");
    let _ = s.write_all(&pg_auth(11, server_first.as_bytes()));
    pg_read(s).is_some()
}

fn ready_after_ok(s: &mut TcpStream) {
    let _ = s.write_all(&pg_auth(0, b""));
    let mut status = vec![b'S'];
    let param = b"server_version\x0016.4\x00";
    status.extend(((param.len() + 4) as u32).to_be_bytes());
    status.extend(param);
    let _ = s.write_all(&status);
    let _ = s.write_all(b"Z\0\0\0\x05I");
}

#[test]
fn a_postgres_that_cannot_prove_it_knows_the_password_is_unhealthy() {
    // A wrong server signature, then AuthenticationOk and ReadyForQuery
    // (libpq refuses the signature too).
    let bad_signature = pg_fake(|s| {
        if scram_until_final(s, "4096") {
            let _ = s.write_all(&pg_auth(
                12,
                b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            ));
            ready_after_ok(s);
        }
    });
    probe(&[&format!(
        "postgres://app:Hunter2Secret@{}/orders",
        bad_signature.addr
    )])
    .unhealthy()
    .one_line()
    .says("SCRAM signature is wrong")
    .never_says("Hunter2");
    // AuthenticationOk without the final message (libpq takes it).
    let no_final = pg_fake(|s| {
        if scram_until_final(s, "4096") {
            ready_after_ok(s);
        }
    });
    probe(&[&format!(
        "postgres://app:Hunter2Secret@{}/orders",
        no_final.addr
    )])
    .unhealthy()
    .one_line()
    .says("without its final message");
    // SCRAM-SHA-256-PLUS only.
    let plus = pg_fake(|s| {
        let _ = s.write_all(&pg_auth(10, b"SCRAM-SHA-256-PLUS\0\0"));
    });
    probe(&[&format!(
        "postgres://app:Hunter2Secret@{}/orders",
        plus.addr
    )])
    .unhealthy()
    .says("only SCRAM-SHA-256-PLUS");
    // The plain happy path of a fake, and the password never echoed.
    let trusting = pg_fake(ready_after_ok);
    probe(&[&format!(
        "postgres://app:Hunter2Secret@{}/orders",
        trusting.addr
    )])
    .healthy()
    .one_line()
    .says("-> logged in to orders (PostgreSQL 16.4) in ");
    // An error echoing what was sent: the MD5 answer is scrubbed.
    let echo = pg_fake(|s| {
        let _ = s.write_all(&pg_auth(5, b"salt"));
        if let Some((_, answer)) = pg_read(s) {
            let text = String::from_utf8_lossy(&answer)
                .trim_end_matches('\0')
                .to_string();
            let mut fields = b"SFATAL\0C28P01\0Mbad answer ".to_vec();
            fields.extend(text.as_bytes());
            fields.extend(b"\0\0");
            let mut e = vec![b'E'];
            e.extend(((fields.len() + 4) as u32).to_be_bytes());
            e.extend(fields);
            let _ = s.write_all(&e);
        }
    });
    probe(&[&format!(
        "postgres://app:Hunter2Secret@{}/orders",
        echo.addr
    )])
    .unhealthy()
    .says("bad answer *** (28P01)")
    .never_says("bad answer md5");
}

#[test]
fn a_scram_count_of_2_31_costs_the_deadline_not_more() {
    let hostile = pg_fake(|s| {
        scram_until_final(s, "2147483647");
    });
    probe(&[
        "--timeout",
        "1s",
        &format!("postgres://app:Hunter2Secret@{}/orders", hostile.addr),
    ])
    .unhealthy()
    .one_line()
    .says("did not finish within the deadline")
    .by_deadline(Duration::from_secs(1));
}
