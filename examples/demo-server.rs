//! A tiny app to point healthprobe at: `cargo run --example demo-server [PORT]`.
//!
//! GET /health answers 200 {"status":"up"} while healthy and 503
//! {"status":"down","db":"unreachable"} after GET /fail; GET /recover heals it.
//! Listens on 127.0.0.1 and ::1 (port 8080 by default).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let healthy = Arc::new(AtomicBool::new(true));
    let v4 = TcpListener::bind(("127.0.0.1", port))?;
    if let Ok(v6) = TcpListener::bind(("::1", port)) {
        let healthy = healthy.clone();
        std::thread::spawn(move || serve(v6, &healthy));
    }
    eprintln!("demo-server: http://localhost:{port}/health (GET /fail and /recover flip it)");
    serve(v4, &healthy);
    Ok(())
}

fn serve(listener: TcpListener, healthy: &AtomicBool) {
    for stream in listener.incoming().flatten() {
        let _ = answer(stream, healthy);
    }
}

fn answer(mut stream: TcpStream, healthy: &AtomicBool) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let (status, body) = match path {
        "/fail" => {
            healthy.store(false, Ordering::SeqCst);
            ("200 OK", "failing from now on\n".to_string())
        }
        "/recover" => {
            healthy.store(true, Ordering::SeqCst);
            ("200 OK", "healthy again\n".to_string())
        }
        "/health" if healthy.load(Ordering::SeqCst) => {
            ("200 OK", "{\"status\":\"up\"}\n".to_string())
        }
        "/health" => (
            "503 Service Unavailable",
            "{\"status\":\"down\",\"db\":\"unreachable\"}\n".to_string(),
        ),
        _ => ("404 Not Found", "no such page\n".to_string()),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}
