//! `memcached://`: against a real memcached, and against std listeners
//! answering `version` badly on purpose: silent, a trickle, a line that
//! never ends, ERROR, SERVER_ERROR, a password quoted back.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::thread;
use std::time::Duration;

use common::brokers::memcached;
use common::daemons::{Daemon, fresh_dir, installed, wait_for};
use common::*;

/// memcached on a free port with `extra` options (-B binary, -c N).
fn memcached_with(extra: &[&str]) -> Daemon {
    require(
        installed("memcached"),
        "memcached (apt-get install memcached)",
    );
    let dir = fresh_dir("hp-memcached-");
    let port = closed_port();
    let log = dir.join("memcached.log");
    let mut child = Command::new("memcached")
        .args(["-u", "root", "-l", "127.0.0.1", "-U", "0", "-m", "8"])
        .args(["-p", &port.to_string()])
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start memcached");
    wait_for(port, &mut child, "memcached", &log);
    Daemon { child, port, dir }
}

#[test]
#[ignore = "needs memcached (apt); CI runs it"]
fn a_binary_only_memcached_is_named_within_milliseconds() {
    // Issue 27.10: `-B binary` ignores text until a 24-byte header has come,
    // so one `version` waited out the deadline.
    let m = memcached_with(&["-B", "binary"]);
    probe(&[
        "--timeout",
        "5s",
        &format!("memcached://127.0.0.1:{}", m.port),
    ])
    .unhealthy()
    .one_line()
    .says("speaks only the binary protocol")
    .within(Duration::from_secs(1));
}

#[test]
fn a_memcached_answering_in_binary_says_so_at_once() {
    // A SASL-only server answering our text as a binary request, with
    // status 0x20 (authentication required) and its body.
    let s = Server::raw("127.0.0.1:0", |mut s, _| {
        let mut header = [0u8; 24];
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        if s.read_exact(&mut header).is_ok() {
            let mut reply = vec![0x81, header[1], 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 14];
            reply.resize(24, 0);
            reply.extend(b"Auth failure.\n");
            let _ = s.write_all(&reply);
            thread::sleep(Duration::from_secs(3));
        }
    });
    probe(&["--timeout", "5s", &format!("memcached://{}", s.addr)])
        .unhealthy()
        .one_line()
        .says("binary protocol (status 0x0020: authentication required)")
        .within(Duration::from_secs(1));
}

#[test]
#[ignore = "needs memcached (apt); CI runs it"]
fn a_memcached_at_its_connection_limit_says_too_many_connections() {
    // Issue 27.13: with one worker thread and -c 16, memcached takes three
    // clients and answers the fourth `ERROR Too many open connections`.
    let m = memcached_with(&["-t", "1", "-c", "16"]);
    let mut held = Vec::new();
    loop {
        let mut c = TcpStream::connect(("127.0.0.1", m.port)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        c.write_all(b"version\r\n").unwrap();
        let mut buf = [0u8; 64];
        let n = c.read(&mut buf).unwrap();
        if buf[..n].starts_with(b"ERROR Too many") {
            break;
        }
        held.push(c);
        assert!(held.len() < 16, "memcached took {} clients", held.len());
    }
    probe(&[&format!("memcached://127.0.0.1:{}", m.port)])
        .unhealthy()
        .one_line()
        .says("too many connections: ERROR Too many open connections");
}

#[test]
fn a_memcached_url_with_credentials_is_a_usage_error_that_says_why() {
    // Nothing listens: the URL is refused before any connection.
    for url in [
        "memcached://app:Hunter2Secret@127.0.0.1:1",
        "memcached://app@127.0.0.1:1",
    ] {
        probe(&[url])
            .unhealthy()
            .one_line()
            .says("memcached:// takes no user or password")
            .says("text protocol, which has no login")
            .never_says("Hunter2Secret")
            .never_says("connection refused");
    }
}

#[test]
#[ignore = "needs memcached (apt); CI runs it"]
fn memcached_answers_its_version() {
    let m = memcached();
    let at = format!("127.0.0.1:{}", m.port);
    let expected = Command::new("memcached")
        .arg("--version")
        .output()
        .expect("memcached --version");
    // `memcached 1.6.18` -> `VERSION 1.6.18`, as the server says it.
    let version = String::from_utf8_lossy(&expected.stdout)
        .trim()
        .replace("memcached ", "VERSION ");
    probe(&[&format!("memcached://{at}")])
        .healthy()
        .one_line()
        .says(&format!("healthy: memcached {at} -> {version} in "));
    // In `wait`, and several at once (one of them failing).
    probe(&[
        "wait",
        "--timeout",
        "5s",
        &format!("memcached://localhost:{}", m.port),
        "--",
        "sh",
        "-c",
        "echo app started",
    ])
    .healthy()
    .says("app started");
    let refused = closed_port();
    probe(&[
        &format!("memcached://{at}"),
        &format!("memcached://127.0.0.1:{refused}"),
    ])
    .unhealthy()
    .one_line()
    .says("1 of 2 checks failed")
    .says(&format!(
        "memcached 127.0.0.1:{refused} -> connection refused"
    ));
}

/// Reads the command (one read), then answers `reply`.
fn answer(s: &mut TcpStream, reply: &[u8]) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = [0u8; 512];
    if s.read(&mut buf).is_ok_and(|n| n > 0) {
        let _ = s.write_all(reply);
        thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn answers_are_judged_and_shown_printable() {
    for (handler, says) in [
        (
            (|mut s: TcpStream, _: &str| answer(&mut s, b"ERROR\r\n")) as Handler,
            "answered ERROR to version: not memcached?",
        ),
        (
            |mut s, _| answer(&mut s, b"SERVER_ERROR out of memory\r\n"),
            "-> SERVER_ERROR out of memory in",
        ),
        (
            |mut s, _| answer(&mut s, b"ERROR Too many open connections\r\n"),
            "-> too many connections: ERROR Too many open connections in",
        ),
        (
            |mut s, _| answer(&mut s, b"+PONG\r\n"),
            "not a memcached answer: +PONG",
        ),
        (
            |mut s, _| answer(&mut s, b"VERSION Echo5ecret\x1b[2J\r\n"),
            "VERSION Echo5ecret\\u{1b}[2J",
        ),
    ] {
        let s = Server::raw("127.0.0.1:0", handler);
        let url = format!("memcached://{}", s.addr);
        probe(&["-v", &url]).says(says).never_says("\u{1b}");
    }
}

#[test]
fn hostile_memcached_peers_end_in_one_line_within_the_deadline() {
    for handler in [
        // Silence.
        (|_s: TcpStream, _: &str| thread::sleep(Duration::from_secs(5))) as Handler,
        // A trickle.
        |mut s, _| {
            answer(&mut s, b"");
            for b in b"VERSION 1.6.18\r\n" {
                thread::sleep(Duration::from_millis(200));
                if s.write_all(&[*b]).is_err() {
                    return;
                }
            }
        },
        // A line that never ends.
        |mut s, _| {
            answer(&mut s, b"VERSION ");
            let chunk = [b'9'; 65536];
            while s.write_all(&chunk).is_ok() {}
        },
    ] {
        let s = Server::raw("127.0.0.1:0", handler);
        probe(&["--timeout", "1s", &format!("memcached://{}", s.addr)])
            .unhealthy()
            .one_line()
            .says("unhealthy: memcached ")
            .by_deadline(Duration::from_secs(1));
    }
}
