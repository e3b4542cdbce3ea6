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

/// Runs pg_ctl as user postgres with `args` on the cluster in `pg`.
fn pg_ctl(pg: &daemons::Daemon, args: &[&str]) -> bool {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|d| d.flatten().map(|e| e.path().join("bin/pg_ctl")).max())
        .expect("pg_ctl");
    Command::new("setpriv")
        .args([
            "--reuid",
            "postgres",
            "--regid",
            "postgres",
            "--init-groups",
        ])
        .arg(bin)
        .arg("-D")
        .arg(pg.dir.join("data"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Stops the postmaster pg_ctl started (the Daemon's own child is gone).
struct PgCtlStop<'a>(&'a daemons::Daemon);

impl Drop for PgCtlStop<'_> {
    fn drop(&mut self) {
        pg_ctl(self.0, &["stop", "-m", "immediate", "-w"]);
    }
}

#[test]
#[ignore = "needs PostgreSQL (apt postgresql) and root; CI runs it"]
fn a_full_postgres_refuses_the_login_with_53300() {
    let pg = daemons::postgres(None);
    let port = pg.port.to_string();
    let sock = pg.dir.display().to_string();
    // Three connections in all, none kept for superusers; restarted by pg_ctl.
    let opts = format!(
        "-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c max_connections=3 \
         -c superuser_reserved_connections=0"
    );
    assert!(pg_ctl(&pg, &["restart", "-m", "fast", "-w", "-o", &opts]));
    let _stop = PgCtlStop(&pg);
    let url = format!("postgresql://postgres:not-used@127.0.0.1:{port}/postgres");
    let mut holders = Vec::new();
    for _ in 0..3 {
        holders.push(
            Command::new("psql")
                .args([url.as_str(), "-X", "-q", "-c", "select pg_sleep(30)"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("psql"),
        );
    }
    thread::sleep(Duration::from_millis(1500));
    assert_eq!(psql(&url), 2);
    probe(&[&url])
        .unhealthy()
        .one_line()
        .says("sorry, too many clients already (53300)")
        .never_says("not-used");
    // Without a password: pg_isready's rule, the server still answers.
    let isready = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|d| d.flatten().map(|e| e.path().join("bin/pg_isready")).max())
        .expect("pg_isready");
    let ready = Command::new(isready)
        .args(["-q", "-h", "127.0.0.1", "-p", &port])
        .status()
        .expect("pg_isready");
    assert!(ready.success(), "pg_isready: {ready:?}");
    probe(&[&format!("postgres://127.0.0.1:{port}")])
        .healthy()
        .says("accepting connections");
    for mut h in holders {
        let _ = h.kill();
        let _ = h.wait();
    }
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

#[cfg(feature = "tls")]
#[test]
fn under_prefer_a_failed_tls_handshake_is_followed_by_plaintext_as_libpq_does() {
    // The first connection says `S` to SSLRequest and then speaks no TLS;
    // libpq (sslmode=prefer) connects again without SSLRequest.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let Ok(body) = pg_read_startup(&mut s) else {
                continue;
            };
            if body.starts_with(&80_877_103u32.to_be_bytes()) {
                let _ = s.write_all(b"S");
                let _ = s.write_all(b"this is not a TLS server hello\r\n");
                continue;
            }
            ready_after_ok(&mut s);
            thread::sleep(Duration::from_millis(200));
        }
    });
    probe(&["-v", &format!("postgres://app:Hunter2Secret@{addr}/orders")])
        .healthy()
        .says("plaintext again (sslmode=prefer)")
        .says("logged in to orders (PostgreSQL 16.4)");
    probe(&[&format!(
        "postgres://app:Hunter2Secret@{addr}/orders?sslmode=require"
    )])
    .unhealthy()
    .one_line();
}

#[test]
fn the_stored_forms_of_the_password_are_never_shown() {
    // A proxy quoting the password as the servers store it: PostgreSQL's
    // md5 form, MySQL's native form. Both are derived from the password.
    let pg = pg_fake(|s| {
        use md5::Digest;
        let hash = md5::Md5::digest(b"Hunter2Secretapp");
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        let mut fields = b"SFATAL\0C28P01\0Mstored md5".to_vec();
        fields.extend(hex.as_bytes());
        fields.extend(b" does not match\0\0");
        let mut e = vec![b'E'];
        e.extend(((fields.len() + 4) as u32).to_be_bytes());
        e.extend(fields);
        let _ = s.write_all(&e);
    });
    probe(&[&format!("postgres://app:Hunter2Secret@{}/orders", pg.addr)])
        .unhealthy()
        .says("stored *** does not match (28P01)");
    let my = mysql_fake(|s| {
        use sha1::Digest;
        mysql_write(s, 0, &mysql8_greeting("mysql_native_password"));
        if mysql_read(s).is_some() {
            let twice = sha1::Sha1::digest(sha1::Sha1::digest(b"Hunter2Secret"));
            let hex: String = twice.iter().map(|b| format!("{b:02X}")).collect();
            let mut err = vec![0xff, 0x15, 0x04];
            err.extend(format!("#28000stored *{hex} does not match").as_bytes());
            mysql_write(s, 2, &err);
        }
    });
    probe(&[&format!("mysql://app:Hunter2Secret@{}/orders", my.addr)])
        .unhealthy()
        .says("error 1045: stored *** does not match");
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

// --- MySQL / MariaDB ------------------------------------------------------------

/// The mysql client's exit status logging in as `user` to `db` (0: it ran
/// `select 1`; 1: it could not).
fn mysql_client(port: u16, user: &str, password: &str, db: &str) -> i32 {
    let mut cmd = Command::new("mysql");
    cmd.args(["--no-defaults", "-h", "127.0.0.1", "-P", &port.to_string()])
        .args(["-u", user, &format!("-p{password}"), "--connect-timeout=5"]);
    if !db.is_empty() {
        cmd.arg(db);
    }
    cmd.args(["-e", "select 1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("mysql client (apt-get install mariadb-client)")
        .code()
        .unwrap_or(-1)
}

/// Runs `sql` as root over the server's socket.
fn mariadb_sql(db: &daemons::Daemon, sql: &str) -> bool {
    Command::new("mariadb")
        .args(["--no-defaults", "-u", "root"])
        .arg(format!("--socket={}", db.dir.join("sock").display()))
        .args(["-e", sql])
        .status()
        .expect("mariadb client")
        .success()
}

fn mariadb_with_users(extra: &[&str]) -> daemons::Daemon {
    let db = daemons::mariadb_with(extra);
    assert!(mariadb_sql(
        &db,
        "CREATE DATABASE orders; \
         CREATE USER 'app'@'%' IDENTIFIED BY 'App5ecretPw'; \
         CREATE USER 'app'@'localhost' IDENTIFIED BY 'App5ecretPw'; \
         GRANT ALL ON orders.* TO 'app'@'%'; GRANT ALL ON orders.* TO 'app'@'localhost'; \
         CREATE USER 'boss'@'%' IDENTIFIED BY 'Boss5ecretPw'; \
         CREATE USER 'boss'@'localhost' IDENTIFIED BY 'Boss5ecretPw'; \
         GRANT ALL ON *.* TO 'boss'@'%'; GRANT ALL ON *.* TO 'boss'@'localhost'"
    ));
    db
}

#[test]
#[ignore = "needs MariaDB (apt mariadb-server) and root; CI runs it"]
fn mariadb_logins_as_the_mysql_client_judges_them() {
    let db = mariadb_with_users(&[]);
    let port = db.port;
    let ed25519 = mariadb_sql(
        &db,
        "INSTALL SONAME 'auth_ed25519'; \
         CREATE USER 'edu'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('Ed5ecretPw'); \
         CREATE USER 'edu'@'localhost' IDENTIFIED VIA ed25519 USING PASSWORD('Ed5ecretPw')",
    );
    // (user, password, database, what our line says, the mysql client's exit)
    let mut cases = vec![
        ("app", "App5ecretPw", "orders", "logged in to orders (", 0),
        ("boss", "Boss5ecretPw", "", "logged in (", 0),
        (
            "app",
            "WrongSecret1",
            "orders",
            "error 1045: Access denied for user '***'@'",
            1,
        ),
        (
            "nosuch",
            "WrongSecret1",
            "orders",
            "error 1045: Access denied",
            1,
        ),
        (
            "boss",
            "Boss5ecretPw",
            "nodb",
            "error 1049: Unknown database 'nodb'",
            1,
        ),
        ("app", "App5ecretPw", "nodb", "error 1044: Access denied", 1),
    ];
    if ed25519 {
        cases.push((
            "edu",
            "Ed5ecretPw",
            "",
            "authentication plugin client_ed25519, which the check does not speak",
            0,
        ));
    }
    for (user, password, database, says, oracle) in cases {
        assert_eq!(
            mysql_client(port, user, password, database),
            oracle,
            "mysql -u {user} {database}"
        );
        let url = format!("mysql://{user}:{password}@127.0.0.1:{port}/{database}");
        let run = probe(&["-v", &url]);
        // ed25519: the client logs in, the check says it cannot.
        match (oracle, user) {
            (0, "edu") => run.unhealthy(),
            (0, _) => run.healthy(),
            _ => run.unhealthy(),
        };
        run.says(says).never_says(password).never_says("5ecret");
    }
    // Without a password nothing changes: mysqladmin ping's rule.
    probe(&[&format!("mysql://app@127.0.0.1:{port}/nodb")])
        .healthy()
        .says("ready (");
}

#[test]
#[ignore = "needs MariaDB (apt mariadb-server) and root; CI runs it"]
fn a_full_mariadb_refuses_the_login_with_its_number() {
    let db = mariadb_with_users(&["--max-connections=10"]);
    let socket = format!("--socket={}", db.dir.join("sock").display());
    // The 10 ordinary slots taken: MariaDB still greets (the slot it keeps
    // for an administrator), and refuses the login of an ordinary user.
    let mut holders = Vec::new();
    for _ in 0..10 {
        holders.push(
            Command::new("mariadb")
                .args(["--no-defaults", "-u", "root", &socket])
                .args(["-e", "SELECT SLEEP(30)"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("mariadb client"),
        );
        thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(mysql_client(db.port, "app", "App5ecretPw", "orders"), 1);
    probe(&[&format!(
        "mysql://app:App5ecretPw@127.0.0.1:{}/orders",
        db.port
    )])
    .unhealthy()
    .one_line()
    .says("error 1040: Too many connections");
    for mut h in holders {
        let _ = h.kill();
        let _ = h.wait();
    }
}

/// A fake MySQL 8 greeting with `plugin` and the nonce `abcdefghijklmnopqrst`.
fn mysql8_greeting(plugin: &str) -> Vec<u8> {
    let mut g = vec![10];
    g.extend(b"8.4.0-fake\0");
    g.extend([1, 0, 0, 0]);
    g.extend(b"abcdefgh\0");
    g.extend([0xff, 0xff, 45, 2, 0, 0xff, 0xdf, 21]);
    g.extend([0u8; 10]);
    g.extend(b"ijklmnopqrst\0");
    g.extend(plugin.as_bytes());
    g.push(0);
    g
}

fn mysql_write(s: &mut TcpStream, seq: u8, payload: &[u8]) {
    let mut packet = (payload.len() as u32).to_le_bytes()[..3].to_vec();
    packet.push(seq);
    packet.extend(payload);
    let _ = s.write_all(&packet);
}

fn mysql_read(s: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 4];
    s.read_exact(&mut head).ok()?;
    let len = u32::from_le_bytes([head[0], head[1], head[2], 0]) as usize;
    let mut payload = vec![0u8; len.min(65536)];
    s.read_exact(&mut payload).ok()?;
    Some((head[3], payload))
}

/// The auth data in a HandshakeResponse41 (1-byte length form).
fn auth_data(response: &[u8]) -> Vec<u8> {
    let user_end = 32 + response[32..].iter().position(|&b| b == 0).unwrap_or(0);
    let len = response.get(user_end + 1).copied().unwrap_or(0) as usize;
    response
        .get(user_end + 2..user_end + 2 + len)
        .unwrap_or_default()
        .to_vec()
}

/// caching_sha2_password's fast scramble, computed here from its definition.
fn sha2_scramble(password: &[u8], nonce: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let p1 = Sha256::digest(password);
    let p2 = Sha256::digest(p1);
    let mut h = Sha256::new();
    h.update(p2);
    h.update(nonce);
    p1.iter().zip(h.finalize()).map(|(a, b)| a ^ b).collect()
}

/// A fake server running `script` after sending `greeting`.
fn mysql_fake(script: fn(&mut TcpStream)) -> Server {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            thread::spawn(move || {
                let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
                script(&mut s);
                thread::sleep(Duration::from_millis(200));
            });
        }
    });
    Server::at(addr)
}

const OK_PACKET: &[u8] = &[0, 0, 0, 2, 0, 0, 0];

#[test]
fn caching_sha2_password_fast_authentication_against_a_fake_mysql_8() {
    // The fake knows the password "Sha2SecretPw" and checks our scramble.
    let fast = mysql_fake(|s| {
        mysql_write(s, 0, &mysql8_greeting("caching_sha2_password"));
        let Some((_, response)) = mysql_read(s) else {
            return;
        };
        if auth_data(&response) == sha2_scramble(b"Sha2SecretPw", b"abcdefghijklmnopqrst") {
            mysql_write(s, 2, &[1, 3]);
            mysql_write(s, 3, OK_PACKET);
        } else {
            let mut err = vec![0xff, 0x15, 0x04];
            err.extend(b"#28000Access denied for user 'app'@'localhost' (using password: YES)");
            mysql_write(s, 2, &err);
        }
    });
    probe(&[
        "-v",
        &format!("mysql://app:Sha2SecretPw@{}/orders", fast.addr),
    ])
    .healthy()
    .says("logged in to orders (8.4.0-fake)")
    .says("fast authentication")
    .never_says("Sha2SecretPw");
    probe(&[&format!("mysql://app:WrongSecret1@{}/orders", fast.addr)])
        .unhealthy()
        .one_line()
        .says("error 1045: Access denied for user '***'@'localhost'");
    // Full authentication: the password would have to go over TLS or RSA.
    let full = mysql_fake(|s| {
        mysql_write(s, 0, &mysql8_greeting("caching_sha2_password"));
        if mysql_read(s).is_some() {
            mysql_write(s, 2, &[1, 4]);
            // A client that sent the password in clear would be logged in here.
            if mysql_read(s).is_some_and(|(_, p)| p.starts_with(b"Sha2SecretPw")) {
                mysql_write(s, 4, OK_PACKET);
            }
        }
    });
    probe(&[&format!("mysql://app:Sha2SecretPw@{}/orders", full.addr)])
        .unhealthy()
        .one_line()
        .says("full authentication")
        .says("the password is not sent in clear");
}

#[test]
fn hostile_mysql_logins_end_in_one_line() {
    // An endless AuthSwitchRequest loop.
    let endless = mysql_fake(|s| {
        mysql_write(s, 0, &mysql8_greeting("mysql_native_password"));
        while let Some((seq, _)) = mysql_read(s) {
            let mut switch = vec![0xfe];
            switch.extend(b"mysql_native_password\0abcdefghijklmnopqrst\0");
            mysql_write(s, seq.wrapping_add(1), &switch);
        }
    });
    probe(&[
        "--timeout",
        "2s",
        &format!("mysql://app:Pw5ecret@{}/orders", endless.addr),
    ])
    .unhealthy()
    .one_line()
    .says("more than 2 authentication switches")
    .within(Duration::from_secs(1));
    // A switch to a plugin we do not speak, and to the password in clear.
    let unknown = mysql_fake(|s| {
        mysql_write(s, 0, &mysql8_greeting("mysql_native_password"));
        if mysql_read(s).is_some() {
            mysql_write(s, 2, b"\xfeauth_gssapi_client\0principal\0");
        }
    });
    probe(&[&format!("mysql://app:Pw5ecret@{}/orders", unknown.addr)])
        .unhealthy()
        .says("authentication plugin auth_gssapi_client");
    let clear = mysql_fake(|s| {
        mysql_write(s, 0, &mysql8_greeting("mysql_native_password"));
        if mysql_read(s).is_some() {
            mysql_write(s, 2, b"\xfemysql_clear_password\0");
            if let Some((_, p)) = mysql_read(s) {
                let mut err = vec![0xff, 0x15, 0x04];
                err.extend(b"#28000got ");
                err.extend(p);
                mysql_write(s, 4, &err);
            }
        }
    });
    probe(&[&format!("mysql://app:Pw5ecret@{}/orders", clear.addr)])
        .unhealthy()
        .says("in clear (mysql_clear_password)")
        .never_says("Pw5ecret");
    // An error echoing the scramble we sent: scrubbed.
    let echo = mysql_fake(|s| {
        mysql_write(s, 0, &mysql8_greeting("mysql_native_password"));
        if let Some((_, response)) = mysql_read(s) {
            let mut err = vec![0xff, 0x15, 0x04];
            err.extend(b"#28000echo ");
            err.extend(auth_data(&response));
            mysql_write(s, 2, &err);
        }
    });
    probe(&[&format!("mysql://app:Pw5ecret@{}/orders", echo.addr)])
        .unhealthy()
        .says("error 1045: echo ***");
    // An AuthSwitchRequest naming the scramble we sent as its plugin: the
    // line and the details name it scrubbed (issue 28: nothing derived
    // from the password is printed, also when a server echoes it).
    let switch_echo = mysql_fake(|s| {
        mysql_write(s, 0, &mysql8_greeting("mysql_native_password"));
        if let Some((_, response)) = mysql_read(s) {
            let mut switch = vec![0xfe];
            switch.extend(auth_data(&response));
            switch.extend(b"\0abcdefghijklmnopqrst\0");
            mysql_write(s, 2, &switch);
        }
    });
    probe(&[
        "-v",
        &format!("mysql://app:Pw5ecret@{}/orders", switch_echo.addr),
    ])
    .unhealthy()
    .says("the server switches to ***")
    .says("authentication plugin ***,");
}
