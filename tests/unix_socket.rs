//! `http --unix-socket PATH URL`: HTTP to an app that listens on no port.

mod common;

use std::io::Write;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use common::*;

fn socket_path() -> PathBuf {
    std::env::temp_dir().join(unique("hp-sock-"))
}

/// Serves `response` to every connection on a fresh unix socket.
fn serve(response: &'static str) -> (PathBuf, mpsc_like::Rx) {
    let path = socket_path();
    let listener = UnixListener::bind(&path).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut head = String::new();
            let mut buf = [0u8; 4096];
            while !head.contains("\r\n\r\n") {
                match std::io::Read::read(&mut stream, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.push_str(&String::from_utf8_lossy(&buf[..n])),
                }
            }
            let _ = tx.send(head);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (path, rx)
}

mod mpsc_like {
    pub type Rx = std::sync::mpsc::Receiver<String>;
}

#[test]
fn http_over_a_unix_socket() {
    let (path, requests) = serve("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
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
        serve("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown");
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
    .within(Duration::from_millis(650));
    let _ = std::fs::remove_file(path);
}
