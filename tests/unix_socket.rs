//! `http --unix-socket PATH URL`: HTTP to an app that listens on no port.

mod common;

use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use common::*;

fn socket_path() -> PathBuf {
    std::env::temp_dir().join(unique("hp-sock-"))
}

#[test]
fn http_over_a_unix_socket() {
    let (path, requests) = unix_http("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    let sock = path.to_str().unwrap();
    probe(&["http", "--unix-socket", sock, "http://localhost/health"])
        .healthy()
        .one_line()
        .says(&format!("GET http://localhost/health via {sock} -> 200 OK"));
    let head = requests
        .recv_timeout(Duration::from_secs(5))
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        head.starts_with("get /health http/1.1\r\n") && head.contains("host: localhost"),
        "{head}"
    );
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_failing_app_on_a_unix_socket_is_unhealthy() {
    let (path, _requests) =
        unix_http("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown");
    probe(&["--unix-socket", path.to_str().unwrap(), "http://app/ready"])
        .unhealthy()
        .says("503 Service Unavailable")
        .says(": down");
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_missing_socket_is_named() {
    let path = socket_path();
    probe(&["--unix-socket", path.to_str().unwrap(), "http://localhost/"])
        .unhealthy()
        .one_line()
        .says("no such file or directory")
        .says(path.to_str().unwrap());
}

#[test]
fn a_silent_unix_socket_is_cut_off_at_the_deadline() {
    let path = socket_path();
    let listener = UnixListener::bind(&path).unwrap();
    thread::spawn(move || {
        let _held: Vec<_> = listener.incoming().flatten().collect();
    });
    probe(&[
        "--timeout",
        "400ms",
        "--unix-socket",
        path.to_str().unwrap(),
        "http://localhost/",
    ])
    .unhealthy()
    .says("timed out")
    .by_deadline(Duration::from_millis(400));
    let _ = std::fs::remove_file(path);
}
