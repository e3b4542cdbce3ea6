//! `wait TARGET... [-- PROGRAM]`: retry until healthy, then run PROGRAM in place.

mod common;

use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use common::*;

#[test]
fn waits_for_a_port_that_opens_later_then_runs_the_program() {
    let port = closed_port();
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(700));
        let l = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let _held: Vec<_> = l.incoming().take(50).collect();
    });
    let r = probe(&[
        "wait",
        "--timeout",
        "10s",
        "--interval",
        "100ms",
        &format!("tcp://127.0.0.1:{port}"),
        "--",
        "sh",
        "-c",
        "echo app started; exit 0",
    ]);
    r.healthy()
        .says("wait: unhealthy: tcp 127.0.0.1:")
        .says("connection refused")
        .says("wait: healthy: tcp")
        .says("app started");
    // One line per change of state, not per attempt.
    assert_eq!(r.out.matches("connection refused").count(), 1, "{}", r.out);
    assert!(r.took >= Duration::from_millis(600), "{:?}", r.took);
}

#[test]
fn the_program_replaces_the_probe_and_its_exit_code_is_the_result() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("tcp://127.0.0.1:{}", l.local_addr().unwrap().port());
    // `exec` keeps the pid: the program's $PPID is our test process, not a healthprobe.
    let r = probe(&["wait", &target, "--", "sh", "-c", "exit 2"]);
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn gives_up_at_the_deadline() {
    let dead = format!("tcp://127.0.0.1:{}", closed_port());
    probe(&[
        "wait",
        "--timeout",
        "800ms",
        "--interval",
        "100ms",
        &dead,
        "--",
        "sh",
        "-c",
        "echo must not run",
    ])
    .unhealthy()
    .says("wait: gave up after 800ms")
    .never_says("must not run")
    .by_deadline(Duration::from_millis(800));
}

#[test]
fn without_a_program_it_exits_0_once_healthy() {
    let s = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    probe(&["wait", &s.url("/")])
        .healthy()
        .one_line()
        .says("wait: healthy: GET");
}
