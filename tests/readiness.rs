//! Ready, not just open: Redis, PostgreSQL and MySQL/MariaDB checks against
//! the real servers (where installed; CI installs them), and against raw
//! servers for the states a real one will not hold still for (loading,
//! starting up, refusing connections) and for hostile peers (garbage,
//! silence, endless replies). The launcher holds every run to its memory
//! bound.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use common::daemons;
use common::*;

// --- Redis --------------------------------------------------------------------

#[test]
#[ignore = "needs redis-server (apt); CI runs it"]
fn redis_answers_pong_and_says_what_it_needs() {
    let r = daemons::redis(&[
        "--requirepass",
        "hunter2",
        "--user",
        "alice",
        "on",
        ">s3cret",
        "~*",
        "&*",
        "+@all",
    ]);
    let at = format!("127.0.0.1:{}", r.port);
    probe(&[&format!("redis://{at}")])
        .unhealthy()
        .one_line()
        .says(&format!("redis {at} -> NOAUTH Authentication required."));
    probe(&[&format!("redis://:wrong@{at}")])
        .unhealthy()
        .says("WRONGPASS invalid username-password pair");
    probe(&[&format!("redis://:hunter2@{at}")])
        .healthy()
        .one_line()
        .says(&format!("healthy: redis {at} -> PONG in "))
        .never_says("hunter2");
    probe(&["-v", &format!("redis://alice:s3cret@{at}")])
        .healthy()
        .says(&format!("redis {at} -> PONG"))
        .says("AUTH accepted")
        .never_says("s3cret");
    let open = daemons::redis(&[]);
    probe(&[&format!("redis://localhost:{}", open.port)]).healthy();
}

#[cfg(feature = "tls")]
#[test]
#[ignore = "needs redis-server (apt); CI runs it"]
fn redis_over_tls() {
    let certs = self_signed_cert("hp-rediss-");
    let cert = path_in(&certs, "cert.pem");
    let r = daemons::redis_tls(&certs);
    let port = r.port;
    probe(&["--cacert", &cert, &format!("rediss://localhost:{port}")])
        .healthy()
        .says("rediss localhost:");
    probe(&[&format!("rediss://localhost:{port}")])
        .unhealthy()
        .says("certificate not trusted");
}

#[test]
fn redis_not_ready_states_are_the_reason() {
    for (name, handler) in [
        (
            "LOADING Redis is loading the dataset in memory",
            (|mut s: TcpStream, _: &str| {
                redis_reply(
                    &mut s,
                    "-LOADING Redis is loading the dataset in memory\r\n",
                )
            }) as Handler,
        ),
        ("MASTERDOWN Link with MASTER is down", |mut s, _| {
            redis_reply(
                &mut s,
                "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.\r\n",
            )
        }),
        ("answered \"OK\" to PING, not PONG", |mut s, _| {
            redis_reply(&mut s, "+OK\r\n")
        }),
        ("not a Redis reply (starts with 'H')", |mut s, _| {
            redis_reply(&mut s, "HTTP/1.1 400 Bad Request\r\n\r\n")
        }),
    ] {
        let s = Server::raw("127.0.0.1:0", handler);
        probe(&[&format!("redis://{}", s.addr)])
            .unhealthy()
            .one_line()
            .says(name);
    }
}

/// Reads a command, then answers `reply`.
fn redis_reply(s: &mut TcpStream, reply: &str) {
    let mut buf = [0u8; 1024];
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if s.read(&mut buf).is_ok_and(|n| n > 0) {
        let _ = s.write_all(reply.as_bytes());
        thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn hostile_redis_peers_end_in_one_line_within_the_deadline() {
    for handler in [
        (|_s: TcpStream, _: &str| thread::sleep(Duration::from_secs(5))) as Handler,
        |mut s, _| {
            // An endless reply line: never a CRLF.
            let chunk = [b'+'; 65536];
            for _ in 0..1000 {
                if s.write_all(&chunk).is_err() {
                    return;
                }
            }
        },
        |mut s, _| {
            let _ = s.write_all(&[0x16, 0x03, 0x01, 0xff, 0xff, 0, 0]);
        },
    ] {
        let s = Server::raw("127.0.0.1:0", handler);
        probe(&["--timeout", "1s", &format!("redis://{}", s.addr)])
            .unhealthy()
            .one_line()
            .by_deadline(Duration::from_secs(1));
    }
}

// --- PostgreSQL ---------------------------------------------------------------

#[test]
#[ignore = "needs PostgreSQL (apt postgresql) and root; CI runs it"]
fn postgres_accepting_connections_as_pg_isready_says() {
    let pg = daemons::postgres(None);
    let at = format!("127.0.0.1:{}", pg.port);
    probe(&[&format!("postgres://{at}")])
        .healthy()
        .one_line()
        .says(&format!(
            "healthy: postgres {at} -> accepting connections in "
        ));
    // A user without a password and a database that does not exist: the
    // server still asks to authenticate, so it accepts connections.
    probe(&[&format!("postgresql://app@{at}/nodb")])
        .healthy()
        .says(&format!("postgres app@{at}/nodb -> accepting connections"));
    // With a password the check logs in as the application would (issue
    // 28; tests/logins.rs has the rest): no such user here.
    probe(&[&format!("postgresql://app:hunter2@{at}/nodb")])
        .unhealthy()
        .says("(28P01)")
        .never_says("hunter2");
    probe(&[&format!("postgres://{at}/?sslmode=require")])
        .unhealthy()
        .one_line()
        .says("the server does not offer TLS (sslmode=require)");
}

#[test]
#[ignore = "needs PostgreSQL (apt postgresql) and root; CI runs it"]
fn a_starting_postgres_is_not_ready_until_it_is() {
    // A real cluster, probed from the moment it listens: "starting up"
    // (57P03) or accepting connections, and nothing else, ever.
    let pg = daemons::postgres_starting(None);
    let target = format!("postgres://127.0.0.1:{}", pg.port);
    let mut starting = 0;
    loop {
        let r = probe(&["--timeout", "2s", &target]);
        if r.code == 0 {
            r.says("accepting connections");
            break;
        }
        r.unhealthy()
            .says("not accepting connections: the database system is starting up (57P03)");
        starting += 1;
        assert!(starting < 2000, "still starting");
    }
    eprintln!("{starting} probes saw it starting up");
}

#[cfg(feature = "tls")]
#[test]
#[ignore = "needs PostgreSQL (apt postgresql) and root; CI runs it"]
fn postgres_over_tls_with_sslmode() {
    let certs = self_signed_cert("hp-pg-tls-");
    let pg = daemons::postgres(Some(&certs));
    let port = pg.port;
    probe(&[
        "-v",
        &format!("postgres://127.0.0.1:{port}/?sslmode=require"),
    ])
    .healthy()
    .says("TLS handshake done")
    .says("accepting connections");
    probe(&[&format!("postgres://localhost:{port}/?sslmode=verify-full")])
        .unhealthy()
        .says("certificate not trusted");
    probe(&[
        "--cacert",
        &path_in(&certs, "cert.pem"),
        &format!("postgres://localhost:{port}/?sslmode=verify-full"),
    ])
    .healthy();
}

/// An ErrorResponse with these fields.
fn pg_error(code: &str, message: &str) -> &'static [u8] {
    let mut fields = Vec::new();
    for (k, v) in [("S", "FATAL"), ("V", "FATAL"), ("C", code), ("M", message)] {
        fields.extend_from_slice(k.as_bytes());
        fields.extend_from_slice(v.as_bytes());
        fields.push(0);
    }
    fields.push(0);
    let mut out = vec![b'E'];
    out.extend(((fields.len() + 4) as u32).to_be_bytes());
    out.extend(fields);
    Box::leak(out.into_boxed_slice())
}

/// A PostgreSQL stand-in: reads the startup message, answers `answer`.
fn postgres_stand_in(answer: &'static [u8]) -> Server {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let mut len = [0u8; 4];
            if s.read_exact(&mut len).is_err() {
                continue;
            }
            let mut rest = vec![
                0u8;
                (u32::from_be_bytes(len) as usize)
                    .saturating_sub(4)
                    .min(4096)
            ];
            let _ = s.read_exact(&mut rest);
            let _ = s.write_all(answer);
            thread::sleep(Duration::from_millis(100));
        }
    });
    Server::at(addr)
}

#[test]
fn postgres_starting_up_is_not_ready_and_a_refused_login_is_up() {
    let starting = postgres_stand_in(pg_error("57P03", "the database system is starting up"));
    probe(&[&format!("postgres://{}", starting.addr)])
        .unhealthy()
        .one_line()
        .says("not accepting connections: the database system is starting up (57P03)");
    let recovering =
        postgres_stand_in(pg_error("57P03", "the database system is in recovery mode"));
    probe(&[&format!("postgres://{}", recovering.addr)])
        .unhealthy()
        .says("in recovery mode (57P03)");
    let refused = postgres_stand_in(pg_error("28000", "no pg_hba.conf entry for host"));
    probe(&[&format!("postgres://{}", refused.addr)])
        .healthy()
        .says(
            "accepting connections (it refused this login: no pg_hba.conf entry for host (28000))",
        );
    // AuthenticationMD5Password: asks for a password, so it is up.
    let md5 = postgres_stand_in(b"R\0\0\0\x0c\0\0\0\x05salt");
    probe(&[&format!("postgres://{}", md5.addr)])
        .healthy()
        .says("accepting connections");
}

#[test]
fn hostile_postgres_peers_end_in_one_line() {
    for (answer, says) in [
        (
            &b"HTTP/1.1 400 Bad Request\r\n\r\n"[..],
            "not a PostgreSQL answer",
        ),
        (&b"E\xff\xff\xff\xff"[..], "not a PostgreSQL answer"),
        (&b"Nzz"[..], "connection closed"),
    ] {
        let s = postgres_stand_in(answer);
        probe(&["--timeout", "1s", &format!("postgres://{}", s.addr)])
            .unhealthy()
            .one_line()
            .says(says)
            .by_deadline(Duration::from_secs(1));
    }
    let silent = Server::raw("127.0.0.1:0", |_s, _| thread::sleep(Duration::from_secs(5)));
    probe(&["--timeout", "500ms", &format!("postgres://{}", silent.addr)])
        .unhealthy()
        .says("timed out after 500ms")
        .by_deadline(Duration::from_millis(500));
}

// --- MySQL / MariaDB ------------------------------------------------------------

#[test]
#[ignore = "needs MariaDB (apt mariadb-server) and root; CI runs it"]
fn mariadb_greets_when_ready() {
    let db = daemons::mariadb();
    probe(&[&format!("mysql://127.0.0.1:{}", db.port)])
        .healthy()
        .one_line()
        .says(&format!("healthy: mysql 127.0.0.1:{} -> ready (", db.port))
        .says("MariaDB");
}

/// A MySQL stand-in that greets with `packet` (payload; the header is added).
fn mysql_greeting(payload: &[u8]) -> Server {
    let mut packet = (payload.len() as u32).to_le_bytes()[..3].to_vec();
    packet.push(0);
    packet.extend_from_slice(payload);
    let packet: &'static [u8] = Box::leak(packet.into_boxed_slice());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let _ = s.write_all(packet);
            thread::sleep(Duration::from_millis(100));
        }
    });
    Server::at(addr)
}

#[test]
fn mysql_error_packets_are_the_reason() {
    let too_many = mysql_greeting(b"\xff\x10\x04#08004Too many connections");
    probe(&[&format!("mysql://{}", too_many.addr)])
        .unhealthy()
        .one_line()
        .says("error 1040: Too many connections");
    let blocked = mysql_greeting(
        b"\xff\x69\x04Host '127.0.0.1' is blocked because of many connection errors",
    );
    probe(&[&format!("mysql://{}", blocked.addr)])
        .unhealthy()
        .says("error 1129: Host '127.0.0.1' is blocked");
    let fine = mysql_greeting(b"\x0a8.0.36\0\x01\0\0\0abcdefgh\0");
    probe(&[&format!("mysql://{}", fine.addr)])
        .healthy()
        .says("ready (8.0.36)");
}

#[test]
fn hostile_mysql_peers_end_in_one_line() {
    let garbage = mysql_greeting(b"\x09not protocol 10");
    probe(&[&format!("mysql://{}", garbage.addr)])
        .unhealthy()
        .says("protocol 9");
    let huge = Server::raw("127.0.0.1:0", |mut s, _| {
        let _ = s.write_all(&[0xff, 0xff, 0xff, 0]);
        let _ = s.write_all(&[0u8; 65536]);
    });
    probe(&[&format!("mysql://{}", huge.addr)])
        .unhealthy()
        .says("not a MySQL server");
    let silent = Server::raw("127.0.0.1:0", |_s, _| thread::sleep(Duration::from_secs(5)));
    probe(&["--timeout", "500ms", &format!("mysql://{}", silent.addr)])
        .unhealthy()
        .says("timed out after 500ms waiting for the greeting")
        .by_deadline(Duration::from_millis(500));
}

// --- together, and waiting for them -------------------------------------------------

#[test]
fn wait_for_real_readiness_then_run_the_program() {
    // Redis answers LOADING to the first connections, then PONG.
    use std::sync::atomic::{AtomicUsize, Ordering};
    static SEEN: AtomicUsize = AtomicUsize::new(0);
    let loading = Server::raw("127.0.0.1:0", |mut s, _| {
        let n = SEEN.fetch_add(1, Ordering::SeqCst);
        let reply = if n < 3 {
            "-LOADING Redis is loading the dataset in memory\r\n"
        } else {
            "+PONG\r\n"
        };
        redis_reply(&mut s, reply);
    });
    let mysql = mysql_greeting(b"\x0a8.0.36\0");
    let r = probe(&[
        "wait",
        "--interval",
        "50ms",
        "--timeout",
        "10s",
        &format!("redis://{}", loading.addr),
        &format!("mysql://{}", mysql.addr),
        "--",
        "sh",
        "-c",
        "echo app started",
    ]);
    r.healthy()
        .says("wait: unhealthy: 1 of 2 checks failed")
        .says("LOADING")
        .says("wait: healthy: 2 checks")
        .says("app started");
}

// --- Parity with redis-cli, pg_isready and mysqladmin (issue 19) -------------

/// redis-cli's answer to PING with `args` (its -u, -a ...), stdout trimmed.
fn redis_cli(args: &[&str]) -> String {
    let out = std::process::Command::new("redis-cli")
        .args(args)
        .arg("ping")
        .env("REDISCLI_AUTH", "")
        .output()
        .expect("redis-cli (apt-get install redis-tools)");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
#[ignore = "needs redis-server (apt); CI runs it"]
fn a_redis_url_with_only_a_password_reads_as_redis_cli_reads_it() {
    let r = daemons::redis(&["--requirepass", "Hunter2Secret"]);
    let at = format!("127.0.0.1:{}", r.port);
    let url = format!("redis://Hunter2Secret@{at}");
    assert_eq!(redis_cli(&["-u", &url]), "PONG");
    for args in [vec![url.as_str()], vec!["-v", &url]] {
        probe(&args)
            .healthy()
            .says(&format!("redis {at} -> PONG"))
            .never_says("Hunter2");
    }
    // A wrong one is never shown either, in the line or the usage error.
    probe(&["-v", &format!("redis://WrongSecret1@{at}")])
        .unhealthy()
        .says("WRONGPASS")
        .never_says("WrongSecret1");
    probe(&[&format!("redis://WrongSecret1@{at}:x")])
        .unhealthy()
        .never_says("WrongSecret1");
}

#[test]
#[ignore = "needs redis-server (apt); CI runs it"]
fn a_password_given_to_a_redis_without_one_is_pong_as_with_redis_cli() {
    let open = daemons::redis(&[]);
    let at = format!("127.0.0.1:{}", open.port);
    assert_eq!(
        redis_cli(&["-u", &format!("redis://:Hunter2Secret@{at}")]),
        "PONG"
    );
    // AUTH with a password alone is refused ("called without any password
    // configured"); PING decides. (AUTH default ... is accepted by Redis 7.)
    for url in [
        format!("redis://:Hunter2Secret@{at}"),
        format!("redis://Hunter2Secret@{at}"),
        format!("redis://default:Hunter2Secret@{at}"),
    ] {
        let r = probe(&["-v", &url]);
        r.healthy().says("PONG").never_says("Hunter2Secret");
        if !url.contains("default") {
            r.says("AUTH refused");
        }
    }
}

#[test]
#[ignore = "needs redis-server (apt); CI runs it"]
fn a_redis_echoing_the_password_does_not_get_it_printed() {
    // AUTH renamed away: Redis answers "unknown command 'AUTH', with args
    // beginning with: 'alice' 'Hunter2Secret'".
    let r = daemons::redis(&[
        "--requirepass",
        "Hunter2Secret",
        "--rename-command",
        "AUTH",
        "",
    ]);
    let at = format!("127.0.0.1:{}", r.port);
    for args in [
        vec![format!("redis://alice:Hunter2Secret@{at}")],
        vec!["-v".into(), format!("redis://alice:Hunter2Secret@{at}")],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        probe(&args)
            .unhealthy()
            .says("unknown command 'AUTH'")
            .never_says("Hunter2")
            .never_says("alice");
    }
}

/// redis-cli's exit status and output for PING with `args`, stderr included.
fn redis_cli_full(args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new("redis-cli")
        .args(args)
        .arg("ping")
        .env("REDISCLI_AUTH", "")
        .output()
        .expect("redis-cli (apt-get install redis-tools)");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
#[ignore = "needs redis-server (apt); CI runs it"]
fn a_refused_redis_auth_is_unhealthy_even_when_ping_would_pass() {
    // Issue 27.9 / 28.3. The default user needs no password, so PING alone
    // passes; alice exists with another password, and in the second server
    // AUTH is renamed away. redis-cli warns about the refused AUTH and still
    // prints PONG (exit 0): it goes on after a failed AUTH. The rule here is
    // the application's client library's (redis-py, go-redis, Jedis), which
    // fails to connect with those credentials: unhealthy, with the server's
    // words and without the secrets.
    let acl = daemons::redis(&["--user", "alice", "on", ">s3cretPass", "~*", "&*", "+@all"]);
    let at = format!("127.0.0.1:{}", acl.port);
    let wrong = format!("redis://alice:WrongSecret1@{at}");
    let (ok, text) = redis_cli_full(&["-u", &wrong]);
    assert!(
        ok && text.contains("PONG") && text.contains("WRONGPASS"),
        "{text}"
    );
    for args in [vec![wrong.as_str()], vec!["-v", &wrong]] {
        probe(&args)
            .unhealthy()
            .says(&format!("redis {at} -> AUTH refused: WRONGPASS"))
            .never_says("WrongSecret1");
    }
    probe(&[&format!("redis://alice:s3cretPass@{at}")])
        .healthy()
        .says("PONG");
    let renamed = daemons::redis(&["--rename-command", "AUTH", ""]);
    let at = format!("127.0.0.1:{}", renamed.port);
    let url = format!("redis://alice:Hunter2Secret@{at}");
    let (ok, text) = redis_cli_full(&["-u", &url]);
    assert!(ok && text.contains("PONG"), "{text}");
    probe(&[&url])
        .unhealthy()
        .one_line()
        .says("AUTH refused: ERR unknown command 'AUTH'")
        .never_says("Hunter2")
        .never_says("'alice'");
    // Without credentials the same server is ready: nothing changes.
    probe(&[&format!("redis://{at}")]).healthy().says("PONG");
}

#[test]
fn peer_text_echoing_the_secrets_is_scrubbed_for_every_protocol() {
    // Redis quoting AUTH's arguments, cut at 128 bytes as Redis cuts them.
    let redis = Server::raw("127.0.0.1:0", |mut s, _| {
        let mut buf = [0u8; 1024];
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        if s.read(&mut buf).is_ok_and(|n| n > 0) {
            let _ = s.write_all(b"-ERR echo 'alice' 'Hunter2SecretHunter2Sec\r\n");
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"-NOAUTH Authentication required.\r\n");
            thread::sleep(Duration::from_millis(200));
        }
    });
    // PostgreSQL naming the user it refused.
    let pg = postgres_stand_in(pg_error(
        "28P01",
        "password authentication failed for user \"alice\" (Hunter2Secret)",
    ));
    // An HTTP server echoing the credentials in a header and the body.
    let http = Server::start("127.0.0.1:0", |mut s, _| {
        let _ = s.write_all(
            b"HTTP/1.1 401 Unauthorized\r\nX-Echo: alice:Hunter2Secret tok3nSecretValue\r\nConnection: close\r\n\r\nuser alice password Hunter2Secret tok3nSecret",
        );
    });
    for (args, secrets) in [
        (
            vec![format!(
                "redis://alice:Hunter2SecretHunter2SecretHunter2Secret@{}",
                redis.addr
            )],
            ["alice", "Hunter2"],
        ),
        (
            vec![format!("postgres://alice:Hunter2Secret@{}", pg.addr)],
            ["\"alice\"", "Hunter2"],
        ),
        (
            vec![format!("http://alice:Hunter2Secret@{}/", http.addr)],
            ["user alice", "Hunter2"],
        ),
        (
            vec![
                "-H".into(),
                "Authorization: Bearer tok3nSecretValue".into(),
                format!("http://{}/", http.addr),
            ],
            ["tok3nSecret", "Bearer tok3n"],
        ),
    ] {
        // The user name stays in the subject (ours); the peer's echoes of
        // it and of the password go.
        for verbose in [false, true] {
            let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
            if verbose {
                all.insert(0, "-v");
            }
            let r = probe(&all);
            r.says("***");
            if !verbose {
                r.one_line();
            }
            for secret in secrets {
                r.never_says(secret);
            }
        }
    }
}

#[test]
fn long_redis_errors_and_endless_lines_say_what_they_are() {
    for (handler, says) in [
        (
            (|mut s: TcpStream, _: &str| {
                let long = format!("-ERR {}\r\n", "x".repeat(6000));
                redis_reply(&mut s, Box::leak(long.into_boxed_str()))
            }) as Handler,
            "ERR xxxx",
        ),
        (
            |mut s, _| {
                let long = format!("+{}", "P".repeat(6000));
                redis_reply(&mut s, Box::leak(long.into_boxed_str()))
            },
            "a reply line of more than 4096 bytes (starts with '+') without its end",
        ),
    ] {
        let s = Server::raw("127.0.0.1:0", handler);
        probe(&[&format!("redis://{}", s.addr)])
            .unhealthy()
            .one_line()
            .says(says)
            .never_says("not a Redis reply");
    }
}

#[test]
fn a_long_postgres_error_keeps_its_sqlstate() {
    let message = "m".repeat(16_000);
    let s = postgres_stand_in(pg_error("53300", Box::leak(message.into_boxed_str())));
    probe(&[&format!("postgres://{}", s.addr)])
        .healthy()
        .one_line()
        .says("(53300)");
    let s = postgres_stand_in(pg_error(
        "57P03",
        Box::leak("s".repeat(16_000).into_boxed_str()),
    ));
    probe(&[&format!("postgres://{}", s.addr)])
        .unhealthy()
        .one_line()
        .says("(57P03)");
}

/// What the postmaster sends when it cannot fork a backend: protocol 2.
const FORK_FAILURE: &[u8] =
    b"Ecould not fork new process for connection: Resource temporarily unavailable\n\0";

#[test]
fn a_protocol_2_error_is_not_accepting_connections() {
    let s = postgres_stand_in(FORK_FAILURE);
    probe(&[&format!("postgres://{}", s.addr)])
        .unhealthy()
        .one_line()
        .says("not accepting connections: could not fork new process for connection")
        .never_says("not a PostgreSQL server");
    probe(&[&format!("postgres://{}/?sslmode=require", s.addr)])
        .unhealthy()
        .says("could not fork new process");
}

#[test]
#[ignore = "needs PostgreSQL (apt postgresql) and root; CI runs it"]
fn pg_isready_says_no_response_to_a_fork_failure_too() {
    let s = postgres_stand_in(FORK_FAILURE);
    let isready = pg_isready(&["-h", "127.0.0.1", "-p", &s.addr.port().to_string()]);
    assert_eq!(isready, 2, "pg_isready: no response");
    probe(&[&format!("postgres://{}", s.addr)]).unhealthy();
}

/// pg_isready's exit code for `args`: 0 accepting, 1 rejecting, 2 no response, 3 bad arguments.
fn pg_isready(args: &[&str]) -> i32 {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|d| d.flatten().map(|e| e.path().join("bin/pg_isready")).max());
    let bin = bin.unwrap_or_else(|| "pg_isready".into());
    std::process::Command::new(bin)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("pg_isready (apt-get install postgresql)")
        .code()
        .unwrap_or(-1)
}

#[test]
fn an_sslmode_libpq_does_not_know_is_a_usage_error() {
    for mode in ["verify_full", "REQUIRE", "yes"] {
        probe(&[&format!("postgres://127.0.0.1:1/?sslmode={mode}")])
            .unhealthy()
            .one_line()
            .says(&format!("sslmode \"{mode}\" is not one of"));
    }
}

#[cfg(feature = "tls")]
#[test]
#[ignore = "needs PostgreSQL (apt postgresql) and root; CI runs it"]
fn sslmode_means_what_it_means_to_libpq() {
    // A certificate for db.internal only, reached as 127.0.0.1.
    let certs = std::env::temp_dir().join(unique("hp-pg-dbinternal-"));
    std::fs::create_dir_all(&certs).unwrap();
    let mut args = vec!["req", "-x509"];
    args.extend(OPENSSL_KEY);
    args.extend(["-keyout", "key.pem", "-out", "cert.pem", "-days", "2"]);
    args.extend([
        "-subj",
        "/CN=db.internal",
        "-addext",
        "subjectAltName=DNS:db.internal",
    ]);
    args.extend(["-addext", "basicConstraints=critical,CA:FALSE"]);
    openssl(&certs, &args);
    let other = self_signed_cert("hp-pg-other-");
    let pg = daemons::postgres(Some(&certs));
    let port = pg.port.to_string();
    let root = path_in(&certs, "cert.pem");
    let wrong = path_in(&other, "cert.pem");
    for (sslmode, cacert, accepted) in [
        ("verify-ca", &root, true),
        ("verify-full", &root, false),
        ("require", &root, true),
        ("require", &wrong, false),
        ("verify-ca", &wrong, false),
    ] {
        let conninfo = format!(
            "host=127.0.0.1 port={port} dbname=postgres sslmode={sslmode} sslrootcert={cacert}"
        );
        let theirs = pg_isready(&["-d", &conninfo]);
        assert_eq!(
            theirs == 0,
            accepted,
            "pg_isready {conninfo}: exit {theirs}"
        );
        let r = probe(&[
            "--cacert",
            cacert,
            &format!("postgres://127.0.0.1:{port}/?sslmode={sslmode}"),
        ]);
        assert_eq!(r.code == 0, accepted, "{sslmode} {cacert}: {r:?}");
    }
    // require without a root certificate verifies nothing, as libpq.
    probe(&[&format!("postgres://127.0.0.1:{port}/?sslmode=require")]).healthy();
    // An sslmode libpq does not know: pg_isready refuses too.
    let theirs = pg_isready(&[
        "-d",
        &format!("host=127.0.0.1 port={port} sslmode=verify_full"),
    ]);
    assert_ne!(theirs, 0, "pg_isready accepted sslmode=verify_full");
    let _ = std::fs::remove_dir_all(&certs);
    let _ = std::fs::remove_dir_all(&other);
}

#[test]
#[ignore = "needs MariaDB (apt mariadb-server) and root; CI runs it"]
fn mariadb_with_too_many_connections_is_judged_as_mysqladmin_judges_it() {
    let db = daemons::mariadb_with(&["--max-connections=10"]);
    let port = db.port.to_string();
    let socket = format!("--socket={}", db.dir.join("sock").display());
    let created = std::process::Command::new("mariadb")
        .args(["--no-defaults", "-u", "root", &socket])
        .args([
            "-e",
            "CREATE USER 'probe'@'%'; CREATE USER 'probe'@'localhost'",
        ])
        .status()
        .expect("mariadb client");
    assert!(created.success());
    // Connections that log in and stay: first the 10 ordinary slots (the
    // least MariaDB allows), then the one it keeps for an administrator too.
    let mut holders = Vec::new();
    for (fill, alive) in [(10, true), (2, false)] {
        for _ in 0..fill {
            holders.push(
                std::process::Command::new("mariadb")
                    .args(["--no-defaults", "-u", "root", &socket])
                    .args(["-e", "SELECT SLEEP(30)"])
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .expect("mariadb client"),
            );
            thread::sleep(Duration::from_millis(100));
        }
        let admin = std::process::Command::new("mysqladmin")
            .args([
                "--no-defaults",
                "-h",
                "127.0.0.1",
                "-P",
                &port,
                "-u",
                "probe",
            ])
            .arg("ping")
            .output()
            .expect("mysqladmin");
        let r = probe(&[&format!("mysql://127.0.0.1:{port}")]);
        assert_eq!(admin.status.success(), alive, "mysqladmin: {admin:?}");
        match alive {
            // It greets, and refuses only after a login: ready, as mysqladmin says.
            true => r.healthy().says("ready"),
            // Every slot taken: error 1040 instead of a greeting.
            false => r.unhealthy().says("error 1040: Too many connections"),
        };
    }
    for mut h in holders {
        let _ = h.kill();
        let _ = h.wait();
    }
}
