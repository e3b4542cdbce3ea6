//! `nats://`: ready means INFO, CONNECT and PING are answered with PONG.
//! Against the real nats-server (no auth, user and password, a token, TLS
//! required), and against raw servers that misbehave: silence, a trickle, an
//! endless INFO, another protocol, a server echoing the token. Tokens and
//! passwords are never printed, also when the server echoes them.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::*;

/// nats-server on a free loopback port, stopped when dropped.
struct NatsServer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn nats_server(extra: &[&str]) -> NatsServer {
    let installed = Command::new("nats-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    require(installed, "nats-server (apt-get install nats-server)");
    let dir = std::env::temp_dir().join(unique("hp-nats-"));
    std::fs::create_dir_all(&dir).unwrap();
    let port = closed_port();
    let log = dir.join("nats.log");
    let mut child = Command::new("nats-server")
        .args(["-a", "127.0.0.1", "-p", &port.to_string()])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start nats-server");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("nats-server exited ({status}) before it listened:\n{log}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nats-server did not start"
        );
        thread::sleep(Duration::from_millis(20));
    }
    NatsServer { child, port, dir }
}

#[test]
#[ignore = "needs nats-server (apt); CI runs it"]
fn nats_server_answers_pong_with_and_without_credentials() {
    let open = nats_server(&[]);
    let at = format!("127.0.0.1:{}", open.port);
    probe(&[&format!("nats://{at}")])
        .healthy()
        .one_line()
        .says(&format!("healthy: nats {at} -> PONG (nats-server "));
    // Credentials the server does not ask for do no harm.
    probe(&[&format!("nats://localhost:{}", open.port)]).healthy();

    let users = nats_server(&["--user", "alice", "--pass", "hunter2"]);
    let at = format!("127.0.0.1:{}", users.port);
    probe(&["-v", &format!("nats://alice:hunter2@{at}")])
        .healthy()
        .says(&format!("nats alice@{at} -> PONG"))
        .never_says("hunter2");
    probe(&["-v", &format!("nats://alice:wrong-pw@{at}")])
        .unhealthy()
        .says("authorization failed: the server refused the user and password")
        .never_says("wrong-pw");
    probe(&[&format!("nats://{at}")])
        .unhealthy()
        .one_line()
        .says("authorization failed: the server wants credentials");

    let token = nats_server(&["--auth", "s3cret-token"]);
    let at = format!("127.0.0.1:{}", token.port);
    probe(&["-v", &format!("nats://s3cret-token@{at}")])
        .healthy()
        .says(&format!("healthy: nats {at} -> PONG"))
        .never_says("s3cret");
    probe(&["-v", &format!("nats://n0t-the-token@{at}")])
        .unhealthy()
        .says("authorization failed: the server refused the token")
        .never_says("n0t-the-token");

    // Several at once, and in `wait`.
    let both = probe(&[
        &format!("nats://127.0.0.1:{}", open.port),
        &format!("nats://s3cret-token@{at}"),
    ]);
    both.healthy()
        .one_line()
        .says("2 checks")
        .never_says("s3cret");
    probe(&[
        "wait",
        "--timeout",
        "5s",
        &format!("nats://alice:hunter2@127.0.0.1:{}", users.port),
        "--",
        "true",
    ])
    .healthy()
    .never_says("hunter2");
}

#[test]
#[ignore = "needs nats-server (apt) and openssl; CI runs it"]
fn a_nats_server_that_requires_tls_says_so() {
    let certs = self_signed_cert("hp-nats-tls-");
    let tls = nats_server(&[
        "--tls",
        "--tlscert",
        &path_in(&certs, "cert.pem"),
        "--tlskey",
        &path_in(&certs, "key.pem"),
    ]);
    probe(&[&format!("nats://127.0.0.1:{}", tls.port)])
        .unhealthy()
        .one_line()
        .says("the server requires TLS");
    let _ = std::fs::remove_dir_all(certs);
}

/// A raw stand-in for nats-server: `INFO`, then reads CONNECT and PING and
/// answers `reply`.
fn answers(s: &mut TcpStream, reply: &str) {
    let _ = s.write_all(b"INFO {\"server_id\":\"x\",\"version\":\"9.9.9\"}\r\n");
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.ends_with(b"PING\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    let _ = s.write_all(reply.as_bytes());
    thread::sleep(Duration::from_millis(200));
}

#[test]
fn what_a_nats_server_says_is_the_reason() {
    for (handler, needle) in [
        (
            (|mut s: TcpStream, _: &str| answers(&mut s, "+OK\r\nPING\r\nPONG\r\n")) as Handler,
            "PONG (nats-server 9.9.9)",
        ),
        (
            |mut s, _| answers(&mut s, "-ERR 'Maximum Connections Exceeded'\r\n"),
            "the server refused: 'Maximum Connections Exceeded'",
        ),
        (
            |mut s, _| {
                let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
            },
            "not a NATS server: it sent \"HTTP/1.1 400 Bad Request\"",
        ),
        (
            |mut s, _| answers(&mut s, "PONG!\r\n"),
            "not a NATS server: it sent \"PONG!\"",
        ),
        (
            |mut s, _| {
                let _ = s.write_all(b"INFO {\"tls_required\" : true}\r\n");
                thread::sleep(Duration::from_millis(200));
            },
            "the server requires TLS",
        ),
    ] {
        let s = Server::raw("127.0.0.1:0", handler);
        let r = probe(&["--timeout", "2s", &format!("nats://{}", s.addr)]);
        if needle.starts_with("PONG") {
            r.healthy();
        } else {
            r.unhealthy();
        }
        r.one_line().says(needle);
    }
}

#[test]
fn a_server_echoing_the_token_or_password_does_not_get_it_printed() {
    // Echoes every CONNECT it gets back in its -ERR, and in INFO's version.
    let echo = Server::raw("127.0.0.1:0", |mut s, _| {
        let _ = s.write_all(b"INFO {\"version\":\"tok-42\"}\r\n");
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !seen.ends_with(b"PING\r\n") {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        let mut reply = b"-ERR 'bad ".to_vec();
        reply.extend_from_slice(&seen[..seen.len() - 8]);
        reply.extend_from_slice(b"'\r\n");
        let _ = s.write_all(&reply);
        thread::sleep(Duration::from_millis(200));
    });
    for (url, secret) in [
        (format!("nats://tok-42@{}", echo.addr), "tok-42"),
        (format!("nats://bob:pw-42@{}", echo.addr), "pw-42"),
    ] {
        for verbose in [false, true] {
            let mut args = vec!["--timeout", "2s"];
            if verbose {
                args.push("-v");
            }
            args.push(&url);
            probe(&args)
                .unhealthy()
                .says("the server refused: 'bad CONNECT")
                .says("***")
                .never_says(secret);
        }
    }
}

#[test]
fn hostile_nats_peers_end_in_one_line_within_the_deadline() {
    for (handler, needle) in [
        (
            (|_s: TcpStream, _: &str| thread::sleep(Duration::from_secs(5))) as Handler,
            "timed out after 1s waiting for INFO",
        ),
        (
            |mut s, _| {
                // A trickle: one byte of INFO every 100 ms.
                for b in b"INFO {\"version\":\"1\"}\r\n".iter().cycle().take(100) {
                    if s.write_all(&[*b]).is_err() {
                        return;
                    }
                    thread::sleep(Duration::from_millis(100));
                }
            },
            "timed out after 1s",
        ),
        (
            |mut s, _| {
                // An endless INFO: never a newline.
                let _ = s.write_all(b"INFO {\"x\":\"");
                let chunk = [b'a'; 65536];
                for _ in 0..1000 {
                    if s.write_all(&chunk).is_err() {
                        return;
                    }
                }
            },
            "not a NATS server: it sent \"INFO {",
        ),
        (
            |mut s, _| {
                // Endless +OK after CONNECT: never a PONG.
                let _ = s.write_all(b"INFO {}\r\n");
                for _ in 0..100_000 {
                    if s.write_all(b"+OK\r\n").is_err() {
                        return;
                    }
                }
            },
            "no PONG among the first 64 lines",
        ),
        (
            |mut s, _| {
                let _ = s.write_all(&[0x16, 0x03, 0x01, 0x7f, 0xff, 0xff, 0xff, 0xff]);
                thread::sleep(Duration::from_secs(5));
            },
            "timed out after 1s waiting for INFO",
        ),
    ] {
        let s = Server::raw("127.0.0.1:0", handler);
        probe(&["--timeout", "1s", &format!("nats://{}", s.addr)])
            .unhealthy()
            .one_line()
            .says(needle)
            .by_deadline(Duration::from_secs(1));
    }
}

#[test]
fn nats_targets_parse_strictly_and_keep_tokens_out_of_messages() {
    probe(&["nats://s3cret@bad^host:4222"])
        .unhealthy()
        .one_line()
        .says("nats://***@bad^host")
        .never_says("s3cret");
    probe(&[&format!("nats://127.0.0.1:{}", closed_port())])
        .unhealthy()
        .says("connection refused");
}
