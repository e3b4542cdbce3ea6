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
use common::*;

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
fn answers_are_judged_and_shown_scrubbed_of_the_password() {
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
            |mut s, _| answer(&mut s, b"+PONG\r\n"),
            "not a memcached answer: +PONG",
        ),
        (
            |mut s, _| answer(&mut s, b"VERSION Echo5ecret\x1b[2J\r\n"),
            "VERSION ***\\u{1b}[2J",
        ),
    ] {
        let s = Server::raw("127.0.0.1:0", handler);
        let url = format!("memcached://u:Echo5ecret@{}", s.addr);
        probe(&["-v", &url])
            .says(says)
            .never_says("Echo5ecret")
            .never_says("\u{1b}");
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
