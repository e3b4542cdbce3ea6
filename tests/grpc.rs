//! `grpc HOST:PORT` against the reference gRPC server (Python grpcio with
//! grpcio-health-checking), plain and TLS, with statuses flipped during the test.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::thread;
use std::time::Duration;

use common::*;

/// The Python that has grpcio: $HEALTHPROBE_TEST_PYTHON (set by .ci/run) or python3.
fn python() -> Option<String> {
    let python = std::env::var("HEALTHPROBE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import grpc, grpc_health.v1"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(python);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must provide grpcio (HEALTHPROBE_TEST_PYTHON)"
    );
    eprintln!("skipped: no Python with grpcio and grpcio-health-checking");
    None
}

struct GrpcServer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    port: u16,
}

impl GrpcServer {
    fn start(python: &str, tls: Option<(&str, &str)>) -> GrpcServer {
        let port = closed_port();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/grpc_health_server.py"
        );
        let mut cmd = Command::new(python);
        cmd.arg(script).arg(port.to_string());
        if let Some((cert, key)) = tls {
            cmd.args([cert, key]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready");
        GrpcServer {
            child,
            stdin,
            stdout,
            port,
        }
    }

    fn set(&mut self, service: &str, status: &str) {
        writeln!(self.stdin, "set {service} {status}").unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ok");
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for GrpcServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn serving_not_serving_and_unknown_services() {
    let Some(py) = python() else { return };
    let mut s = GrpcServer::start(&py, None);
    let addr = s.addr();
    probe(&["grpc", &addr])
        .healthy()
        .one_line()
        .says(&format!("healthy: grpc {addr} -> SERVING in "));
    probe(&[&format!("grpc://{addr}")]).healthy();

    s.set("db", "SERVING");
    probe(&["grpc", &addr, "--service", "db"])
        .healthy()
        .says(&format!("grpc {addr} service \"db\" -> SERVING"));
    s.set("db", "NOT_SERVING");
    probe(&["grpc", &addr, "--service", "db"])
        .unhealthy()
        .says("-> NOT_SERVING in ");
    probe(&[&format!("grpc://{addr}/db")])
        .unhealthy()
        .says("NOT_SERVING");
    s.set("db", "SERVING");
    probe(&[&format!("grpc://{addr}/db")]).healthy();

    // The whole server flips too.
    s.set("-", "NOT_SERVING");
    probe(&["grpc", &addr]).unhealthy().says("NOT_SERVING");

    // An unknown service is a gRPC error status, named.
    probe(&["grpc", &addr, "--service", "nope"])
        .unhealthy()
        .one_line()
        .says("gRPC status NOT_FOUND");
}

#[test]
fn several_grpc_targets_share_the_deadline() {
    let Some(py) = python() else { return };
    let mut s = GrpcServer::start(&py, None);
    s.set("a", "SERVING");
    s.set("b", "NOT_SERVING");
    let addr = s.addr();
    probe(&[&format!("grpc://{addr}/a"), &format!("grpc://{addr}/b")])
        .unhealthy()
        .says("1 of 2 checks failed")
        .says("service \"b\" -> NOT_SERVING");
}

#[test]
fn a_refused_port_and_a_silent_peer() {
    let port = closed_port();
    probe(&["grpc", &format!("localhost:{port}")])
        .unhealthy()
        .one_line()
        .says("connection refused (127.0.0.1:");
    let silent = Server::start("127.0.0.1:0", |_s, _| thread::sleep(Duration::from_secs(5)));
    probe(&["--timeout", "500ms", "grpc", &silent.addr.to_string()])
        .unhealthy()
        .one_line()
        .says("timed out after 500ms")
        .within(Duration::from_millis(750));
}

#[test]
fn an_http1_server_is_not_mistaken_for_grpc() {
    let s = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
    );
    probe(&["grpc", &s.addr.to_string()])
        .unhealthy()
        .one_line()
        .says("HTTP/1");
}

#[cfg(feature = "tls")]
#[test]
fn tls_with_a_test_certificate() {
    let Some(py) = python() else { return };
    let dir = self_signed_cert("hp-grpc-tls-");
    let cert = dir.join("cert.pem").to_string_lossy().into_owned();
    let key = dir.join("key.pem").to_string_lossy().into_owned();
    let mut s = GrpcServer::start(&py, Some((&cert, &key)));
    s.set("db", "SERVING");
    let target = format!("grpcs://localhost:{}/db", s.port);
    probe(&[&target])
        .unhealthy()
        .one_line()
        .says("certificate not trusted");
    probe(&["--cacert", &cert, &target])
        .healthy()
        .says("grpcs localhost:")
        .says("SERVING");
    probe(&["--insecure", &target]).healthy();
    probe(&[
        "grpc",
        "--tls",
        "--cacert",
        &cert,
        &format!("localhost:{}", s.port),
        "--service",
        "db",
    ])
    .healthy();
    // The subcommand takes the target form too: grpcs:// means TLS, /db the service.
    probe(&["grpc", "--cacert", &cert, &target])
        .healthy()
        .says("service \"db\"");
    // Plain text to a TLS port: a clear failure, not a hang.
    probe(&["--timeout", "2s", "grpc", &format!("127.0.0.1:{}", s.port)])
        .unhealthy()
        .one_line();
    let _ = std::fs::remove_dir_all(dir);
}
