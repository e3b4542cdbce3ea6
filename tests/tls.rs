//! https against a real TLS server (`openssl s_server`) with a certificate made
//! for the test: no CA store needed, --insecure and --cacert work.
#![cfg(feature = "tls")]

mod common;

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::*;

struct TlsServer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl TlsServer {
    /// A self-signed server certificate (CA:FALSE) for localhost and 127.0.0.1.
    fn start() -> TlsServer {
        let dir = std::env::temp_dir().join(unique("hp-tls-"));
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
            ])
            .args([
                "-keyout",
                "key.pem",
                "-out",
                "cert.pem",
                "-days",
                "2",
                "-subj",
                "/CN=localhost",
            ])
            .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl is installed (.ci/run installs it)");
        assert!(status.success());
        let port = closed_port();
        let child = Command::new("openssl")
            .args([
                "s_server", "-quiet", "-www", "-cert", "cert.pem", "-key", "key.pem",
            ])
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "s_server did not start"
            );
            thread::sleep(Duration::from_millis(20));
        }
        TlsServer { child, port, dir }
    }

    fn url(&self) -> String {
        format!("https://localhost:{}/", self.port)
    }

    fn cert(&self) -> String {
        self.dir.join("cert.pem").to_string_lossy().into_owned()
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn an_untrusted_certificate_is_unhealthy_and_says_why() {
    let s = TlsServer::start();
    probe(&[&s.url()])
        .unhealthy()
        .one_line()
        .says("certificate not trusted");
}

#[test]
fn insecure_skips_verification() {
    let s = TlsServer::start();
    probe(&["--insecure", &s.url()]).healthy().says("200 OK");
}

#[test]
fn cacert_trusts_the_given_certificate() {
    let s = TlsServer::start();
    probe(&["--cacert", &s.cert(), &s.url()]).healthy();
    probe(&[
        "--cacert",
        &s.cert(),
        &format!("https://127.0.0.1:{}/", s.port),
    ])
    .healthy();
}

#[test]
fn host_sets_the_server_name_that_is_verified() {
    let s = TlsServer::start();
    probe(&["--cacert", &s.cert(), "--host", "other.example", &s.url()])
        .unhealthy()
        .says("not valid for name \"other.example\"");
}

#[test]
fn a_tls_server_that_stalls_in_the_handshake_is_cut_off() {
    let stalled = Server::start("127.0.0.1:0", |stream, _| {
        thread::sleep(Duration::from_secs(5));
        drop(stream);
    });
    probe(&[
        "--timeout",
        "400ms",
        "-k",
        &format!("https://127.0.0.1:{}/", stalled.port()),
    ])
    .unhealthy()
    .says("timed out")
    .within(Duration::from_millis(650));
}
