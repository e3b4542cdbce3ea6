//! `grpc HOST:PORT` against real gRPC health servers: tonic-health (Rust, in
//! this process) always, and the reference Python grpcio server where it is
//! installed (CI), plain and TLS, with statuses flipped during the test.

mod common;

use std::thread;
use std::time::Duration;

#[cfg(feature = "tls")]
use common::grpc::Tls;
use common::grpc::{Grpcio, HealthServer, Tonic};
use common::*;

fn serving_not_serving_and_unknown_services(s: &mut dyn HealthServer) {
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
    s.set("", "NOT_SERVING");
    probe(&["grpc", &addr]).unhealthy().says("NOT_SERVING");
    s.set("", "SERVING");

    // An unknown service is a gRPC error status, named.
    probe(&["grpc", &addr, "--service", "nope"])
        .unhealthy()
        .one_line()
        .says("gRPC status NOT_FOUND");

    // Several targets share the deadline; the line names the failing one.
    s.set("a", "SERVING");
    s.set("b", "NOT_SERVING");
    probe(&[&format!("grpc://{addr}/a"), &format!("grpc://{addr}/b")])
        .unhealthy()
        .says("1 of 2 checks failed")
        .says("service \"b\" -> NOT_SERVING");
}

#[test]
fn tonic_health_statuses() {
    serving_not_serving_and_unknown_services(&mut Tonic::start(None));
}

#[test]
#[ignore = "needs Python grpcio (HEALTHPROBE_TEST_PYTHON); bash .ci/run installs it"]
fn grpcio_statuses() {
    serving_not_serving_and_unknown_services(&mut Grpcio::start(None));
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
        .by_deadline(Duration::from_millis(500));
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
fn tls_with_a_test_certificate(s: &mut dyn HealthServer, cert: &str) {
    s.set("db", "SERVING");
    let port = s.port();
    let target = format!("grpcs://localhost:{port}/db");
    probe(&[&target])
        .unhealthy()
        .one_line()
        .says("certificate not trusted");
    probe(&["--cacert", cert, &target])
        .healthy()
        .says("grpcs localhost:")
        .says("SERVING");
    probe(&["--insecure", &target]).healthy();
    probe(&[
        "grpc",
        "--tls",
        "--cacert",
        cert,
        &format!("localhost:{port}"),
        "--service",
        "db",
    ])
    .healthy();
    // The subcommand takes the target form too: grpcs:// means TLS, /db the service.
    probe(&["grpc", "--cacert", cert, &target])
        .healthy()
        .says("service \"db\"");
    // --authority names the server for TLS too.
    probe(&[
        "grpc",
        "--cacert",
        cert,
        "--authority",
        "other.example",
        &format!("grpcs://127.0.0.1:{port}"),
    ])
    .unhealthy()
    .says("not valid for name \"other.example\"");
    // Plain text to a TLS port: a clear failure, not a hang.
    probe(&["--timeout", "2s", "grpc", &format!("127.0.0.1:{port}")])
        .unhealthy()
        .one_line()
        .within(Duration::from_millis(1500));
}

#[cfg(feature = "tls")]
#[test]
fn tonic_over_tls() {
    let dir = self_signed_cert("hp-grpc-tls-");
    let mut s = Tonic::start(Some(Tls {
        dir: &dir,
        client_ca: None,
    }));
    tls_with_a_test_certificate(&mut s, &path_in(&dir, "cert.pem"));
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(feature = "tls")]
#[test]
#[ignore = "needs Python grpcio (HEALTHPROBE_TEST_PYTHON); bash .ci/run installs it"]
fn grpcio_over_tls() {
    let dir = self_signed_cert("hp-grpc-tls-");
    let mut s = Grpcio::start(Some(Tls {
        dir: &dir,
        client_ca: None,
    }));
    tls_with_a_test_certificate(&mut s, &path_in(&dir, "cert.pem"));
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(not(feature = "tls"))]
#[test]
fn grpcs_without_tls_says_so() {
    probe(&[&format!("grpcs://127.0.0.1:{}", closed_port())])
        .unhealthy()
        .one_line()
        .says("TLS is not supported by this build");
}
