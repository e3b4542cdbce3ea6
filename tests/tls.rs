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

const EXPIRED_CA_CONFIG: &str = "[ca]\ndefault_ca = ca\n[ca]\ndatabase = index.txt\nnew_certs_dir = .\n\
serial = serial\ndefault_md = sha256\npolicy = any\n[any]\ncommonName = supplied\n\
[ext]\nbasicConstraints = critical,CA:FALSE\nsubjectAltName = DNS:localhost,IP:127.0.0.1\n";

impl TlsServer {
    /// A self-signed server certificate (CA:FALSE) for localhost and 127.0.0.1.
    fn start() -> TlsServer {
        Self::serve(self_signed_cert("hp-tls-"))
    }

    /// The same, but valid only in January 2020.
    fn start_expired() -> TlsServer {
        let dir = std::env::temp_dir().join(unique("hp-tls-old-"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ca.cnf"), EXPIRED_CA_CONFIG).unwrap();
        std::fs::write(dir.join("index.txt"), "").unwrap();
        std::fs::write(dir.join("serial"), "01\n").unwrap();
        let mut args = vec!["req", "-new"];
        args.extend(OPENSSL_KEY);
        args.extend([
            "-keyout",
            "key.pem",
            "-out",
            "csr.pem",
            "-subj",
            "/CN=localhost",
        ]);
        openssl(&dir, &args);
        let mut args = vec![
            "ca",
            "-batch",
            "-selfsign",
            "-config",
            "ca.cnf",
            "-keyfile",
            "key.pem",
        ];
        args.extend(["-in", "csr.pem", "-out", "cert.pem", "-extensions", "ext"]);
        args.extend([
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200201000000Z",
        ]);
        openssl(&dir, &args);
        Self::serve(dir)
    }

    fn serve(dir: PathBuf) -> TlsServer {
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
fn an_expired_certificate_says_so() {
    let s = TlsServer::start_expired();
    probe(&["--cacert", &s.cert(), &s.url()])
        .unhealthy()
        .one_line()
        .says("TLS: certificate has expired");
    probe(&["--insecure", &s.url()]).healthy();
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
    .says("timed out after 400ms during the TLS handshake")
    .by_deadline(Duration::from_millis(400));
}
