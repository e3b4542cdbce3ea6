//! https and grpcs against real TLS servers (`openssl s_server`, tonic,
//! grpcio) with certificates made for the test: --insecure, --cacert
//! (including the self-signed certificates `openssl req -x509` makes), and
//! client certificates (--cert, --key) with every key format.
#![cfg(feature = "tls")]

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
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
        Self::start_dated("20200101000000Z", "20200201000000Z")
    }

    /// The same, valid from `start` to `end` (openssl's YYYYMMDDHHMMSSZ).
    fn start_dated(start: &str, end: &str) -> TlsServer {
        let dir = std::env::temp_dir().join(unique("hp-tls-dated-"));
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
        args.extend(["-startdate", start, "-enddate", end]);
        openssl(&dir, &args);
        Self::serve(dir)
    }

    fn serve(dir: PathBuf) -> TlsServer {
        Self::serve_with(dir, &[])
    }

    /// s_server in `dir` (cert.pem, key.pem) with `extra` options.
    fn serve_with(dir: PathBuf, extra: &[&str]) -> TlsServer {
        let port = closed_port();
        let child = Command::new("openssl")
            .args([
                "s_server", "-quiet", "-www", "-cert", "cert.pem", "-key", "key.pem",
            ])
            .args(extra)
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

/// A test PKI in a fresh directory: a CA (ca.pem, ca.key), a server
/// certificate for localhost and 127.0.0.1 signed by it (cert.pem, key.pem),
/// and a client certificate signed by it (client.pem, client.key).
fn pki(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    let mut ca = vec!["req", "-x509"];
    ca.extend(OPENSSL_KEY);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
    ]);
    ca.extend(["-addext", "basicConstraints=critical,CA:TRUE"]);
    ca.extend(["-addext", "keyUsage=critical,keyCertSign"]);
    openssl(&dir, &ca);
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("client.ext"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    sign(
        &dir,
        "key.pem",
        "cert.pem",
        "/CN=localhost",
        "server.ext",
        None,
    );
    sign(
        &dir,
        "client.key",
        "client.pem",
        "/CN=probe",
        "client.ext",
        None,
    );
    dir
}

/// A new key (`key`, or an existing one) and a certificate for it signed by
/// the CA in `dir`.
fn sign(dir: &Path, key: &str, cert: &str, subject: &str, ext: &str, existing_key: Option<()>) {
    let mut req = vec!["req", "-new"];
    if existing_key.is_some() {
        req.extend(["-key", key]);
    } else {
        req.extend(OPENSSL_KEY);
        req.extend(["-keyout", key]);
    }
    req.extend(["-out", "req.csr", "-subj", subject]);
    openssl(dir, &req);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "req.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            ext,
            "-out",
            cert,
        ],
    );
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
        .says("TLS: certificate has expired (valid until 2020-02-01T00:00:00Z)");
    probe(&["--insecure", &s.url()]).healthy();
}

/// Validity dates past 2038 on every target: the certificate's dates and
/// the clock are 64-bit (the 32-bit artifacts once used musl's 32-bit time_t
/// functions, which fail from 2038-01-19). The clock cannot be set past 2038
/// in a test; the dates on both sides of it can.
#[test]
fn a_certificate_valid_from_2039_is_not_valid_yet_and_says_from_when() {
    let s = TlsServer::start_dated("20390101000000Z", "20400101000000Z");
    probe(&["--cacert", &s.cert(), &s.url()])
        .unhealthy()
        .one_line()
        .says("TLS: certificate is not valid yet (valid from 2039-01-01T00:00:00Z)");
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

// --- self-signed certificates as `openssl req -x509` makes them ----------------

#[test]
fn a_self_signed_ca_certificate_given_with_cacert_is_trusted() {
    // OpenSSL 3's `req -x509` marks the certificate CA:TRUE; curl and OpenSSL
    // accept it as a server certificate when it is itself in --cacert.
    let s = TlsServer::serve(self_signed_ca_cert("hp-tls-ca-"));
    probe(&["--cacert", &s.cert(), &s.url()])
        .healthy()
        .says("200 OK");
    probe(&[
        "--cacert",
        &s.cert(),
        &format!("https://127.0.0.1:{}/", s.port),
    ])
    .healthy();
    // The name is still checked, and an unrelated --cacert still fails.
    probe(&["--cacert", &s.cert(), "--host", "other.example", &s.url()])
        .unhealthy()
        .says("not valid for name \"other.example\"");
    // A CA certificate served by a server is refused, as before, unless
    // that very certificate is in --cacert; the message says so.
    let other = self_signed_ca_cert("hp-tls-other-");
    for args in [vec!["--cacert", &path_in(&other, "cert.pem")], vec![]] {
        let mut args: Vec<&str> = args;
        let url = s.url();
        args.push(&url);
        probe(&args)
            .unhealthy()
            .one_line()
            .says("certificate is a CA certificate, not a server certificate (give that very certificate with --cacert");
    }
    let _ = std::fs::remove_dir_all(other);
}

#[test]
fn an_expired_self_signed_ca_certificate_is_still_expired() {
    let dir = std::env::temp_dir().join(unique("hp-tls-oldca-"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("ca.cnf"),
        EXPIRED_CA_CONFIG.replace("CA:FALSE", "CA:TRUE"),
    )
    .unwrap();
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
    openssl(
        &dir,
        &[
            "ca",
            "-batch",
            "-selfsign",
            "-config",
            "ca.cnf",
            "-keyfile",
            "key.pem",
            "-in",
            "csr.pem",
            "-out",
            "cert.pem",
            "-extensions",
            "ext",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200201000000Z",
        ],
    );
    let s = TlsServer::serve(dir);
    probe(&["--cacert", &s.cert(), &s.url()])
        .unhealthy()
        .one_line()
        .says("TLS: certificate has expired");
}

// --- client certificates (mTLS) --------------------------------------------------

/// s_server requiring a client certificate signed by the PKI's CA.
fn mtls_server(dir: &Path) -> TlsServer {
    TlsServer::serve_with(
        dir.to_path_buf(),
        &["-Verify", "1", "-verify_return_error", "-CAfile", "ca.pem"],
    )
}

#[test]
fn a_client_certificate_is_presented_when_the_server_requires_one() {
    let dir = pki("hp-mtls-");
    let s = mtls_server(&dir);
    let (ca, cert, key) = (
        path_in(&dir, "ca.pem"),
        path_in(&dir, "client.pem"),
        path_in(&dir, "client.key"),
    );
    probe(&["--cacert", &ca, "--cert", &cert, "--key", &key, &s.url()])
        .healthy()
        .says("200 OK");
    // From the environment too.
    probe_env(
        &[&s.url()],
        &[
            ("HEALTHPROBE_CACERT", &ca),
            ("HEALTHPROBE_CERT", &cert),
            ("HEALTHPROBE_KEY", &key),
        ],
    )
    .healthy();
    // Without one: one clear line.
    probe(&["--cacert", &ca, &s.url()])
        .unhealthy()
        .one_line()
        .says("TLS: the server requires a client certificate (use --cert and --key)");
    // One from another CA: rejected, one clear line.
    let other = pki("hp-mtls-other-");
    probe(&[
        "--cacert",
        &ca,
        "--cert",
        &path_in(&other, "client.pem"),
        "--key",
        &path_in(&other, "client.key"),
        &s.url(),
    ])
    .unhealthy()
    .one_line()
    .says("TLS: the server rejected the client certificate");
    let _ = std::fs::remove_dir_all(other);
}

#[test]
fn every_usual_key_format_works_and_one_file_may_hold_both() {
    let dir = pki("hp-mtls-keys-");
    let s = mtls_server(&dir);
    let ca = path_in(&dir, "ca.pem");
    // SEC1 ("EC PRIVATE KEY") from the PKCS#8 key.
    openssl(
        &dir,
        &["ec", "-in", "client.key", "-out", "client-sec1.key"],
    );
    let sec1 = std::fs::read_to_string(dir.join("client-sec1.key")).unwrap();
    assert!(sec1.contains("BEGIN EC PRIVATE KEY"), "{sec1}");
    // PKCS#1 RSA ("RSA PRIVATE KEY") with a certificate of its own.
    openssl(&dir, &["genrsa", "-traditional", "-out", "rsa.key", "2048"]);
    sign(
        &dir,
        "rsa.key",
        "rsa.pem",
        "/CN=probe-rsa",
        "client.ext",
        Some(()),
    );
    let rsa = std::fs::read_to_string(dir.join("rsa.key")).unwrap();
    assert!(rsa.contains("BEGIN RSA PRIVATE KEY"), "{rsa}");
    // One file with the certificate and the key.
    let both = format!(
        "{}{}",
        std::fs::read_to_string(dir.join("client.pem")).unwrap(),
        std::fs::read_to_string(dir.join("client.key")).unwrap()
    );
    std::fs::write(dir.join("both.pem"), both).unwrap();
    for (cert, key) in [
        ("client.pem", Some("client-sec1.key")),
        ("rsa.pem", Some("rsa.key")),
        ("both.pem", None),
    ] {
        let cert = path_in(&dir, cert);
        let mut args = vec!["--cacert", &ca, "--cert", &cert];
        let key = key.map(|k| path_in(&dir, k));
        if let Some(key) = &key {
            args.extend(["--key", key]);
        }
        let url = s.url();
        args.push(&url);
        probe(&args).healthy();
    }
}

#[test]
fn key_and_certificate_mistakes_get_one_line_and_never_the_key() {
    let dir = pki("hp-mtls-bad-");
    let other = pki("hp-mtls-bad2-");
    let url = format!("https://localhost:{}/", closed_port());
    let key_text = std::fs::read_to_string(dir.join("client.key")).unwrap();
    let key_lines: Vec<&str> = key_text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    std::fs::write(
        dir.join("garbage.pem"),
        "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let (cert, key, other_key) = (
        path_in(&dir, "client.pem"),
        path_in(&dir, "client.key"),
        path_in(&other, "client.key"),
    );
    let cases: [(Vec<String>, &str); 5] = [
        (
            vec!["--cert".into(), cert.clone(), "--key".into(), other_key],
            "does not belong to the certificate",
        ),
        (
            vec![
                "--cert".into(),
                cert.clone(),
                "--key".into(),
                path_in(&dir, "garbage.pem"),
            ],
            "no usable private key in the file",
        ),
        (
            vec!["--cert".into(), cert.clone()],
            "no usable private key in the file",
        ),
        (
            vec!["--cert".into(), key.clone(), "--key".into(), key.clone()],
            "no PEM certificate",
        ),
        (vec!["--key".into(), key.clone()], "needs --cert"),
    ];
    for (args, needle) in cases {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.push(&url);
        let r = probe(&args);
        r.unhealthy().one_line().says(needle);
        for line in &key_lines {
            r.never_says(line);
        }
    }
    probe(&["--cert", "/nonexistent/cert.pem", &url])
        .unhealthy()
        .one_line()
        .says("/nonexistent/cert.pem");
    let _ = std::fs::remove_dir_all(other);
}

#[test]
fn https_over_a_unix_socket_with_a_client_certificate() {
    let dir = pki("hp-mtls-unix-");
    let sock = std::env::temp_dir().join(unique("hp-tls-sock-"));
    let mut child = Command::new("openssl")
        .args([
            "s_server", "-quiet", "-www", "-cert", "cert.pem", "-key", "key.pem",
        ])
        .args(["-Verify", "1", "-verify_return_error", "-CAfile", "ca.pem"])
        .arg("-unix")
        .arg(&sock)
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::os::unix::net::UnixStream::connect(&sock).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "s_server did not start"
        );
        thread::sleep(Duration::from_millis(20));
    }
    let sock_arg = sock.to_string_lossy().into_owned();
    probe(&[
        "--cacert",
        &path_in(&dir, "ca.pem"),
        "--cert",
        &path_in(&dir, "client.pem"),
        "--key",
        &path_in(&dir, "client.key"),
        "--unix-socket",
        &sock_arg,
        "https://localhost/",
    ])
    .healthy()
    .says(&format!("GET https://localhost/ via {sock_arg} -> 200 OK"));
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(sock);
}

// --- gRPC over TLS: self-signed CA certificates, client certificates, ALPN ------

#[test]
fn grpcs_with_a_self_signed_ca_certificate_and_with_mtls() {
    use common::grpc::{Tls, Tonic};
    let dir = self_signed_ca_cert("hp-grpc-ca-");
    let _s = Tonic::start(Some(Tls {
        dir: &dir,
        client_ca: None,
    }));
    probe(&[
        "--cacert",
        &path_in(&dir, "cert.pem"),
        &format!("grpcs://localhost:{}", _s_port(&_s)),
    ])
    .healthy()
    .says("SERVING");
    let pki = pki("hp-grpc-mtls-");
    let ca = pki.join("ca.pem");
    let s = Tonic::start(Some(Tls {
        dir: &pki,
        client_ca: Some(&ca),
    }));
    let target = format!("grpcs://localhost:{}", _s_port(&s));
    let ca = path_in(&pki, "ca.pem");
    probe(&[
        "--cacert",
        &ca,
        "--cert",
        &path_in(&pki, "client.pem"),
        "--key",
        &path_in(&pki, "client.key"),
        &target,
    ])
    .healthy()
    .says("SERVING");
    probe(&["--cacert", &ca, &target])
        .unhealthy()
        .one_line()
        .says("TLS: the server");
}

fn _s_port(s: &dyn common::grpc::HealthServer) -> u16 {
    s.port()
}

#[test]
#[ignore = "needs Python grpcio (HEALTHPROBE_TEST_PYTHON); bash .ci/run installs it"]
fn grpcio_requiring_client_certificates() {
    use common::grpc::{Grpcio, HealthServer, Tls};
    let pki = pki("hp-grpcio-mtls-");
    let ca = pki.join("ca.pem");
    let s = Grpcio::start(Some(Tls {
        dir: &pki,
        client_ca: Some(&ca),
    }));
    let target = format!("grpcs://localhost:{}", s.port());
    let ca = path_in(&pki, "ca.pem");
    probe(&[
        "--cacert",
        &ca,
        "--cert",
        &path_in(&pki, "client.pem"),
        "--key",
        &path_in(&pki, "client.key"),
        &target,
    ])
    .healthy()
    .says("SERVING");
    probe(&["--cacert", &ca, &target])
        .unhealthy()
        .one_line()
        .says("TLS: the server");
}

#[test]
fn grpcs_to_a_tls_server_without_http2_fails_at_once() {
    // Found by review: the probe waited out its whole deadline.
    let s = TlsServer::start();
    probe(&[
        "--timeout",
        "5s",
        "--cacert",
        &s.cert(),
        &format!("grpcs://localhost:{}", s.port),
    ])
    .unhealthy()
    .one_line()
    .says("does not speak HTTP/2 (no ALPN h2)")
    .within(Duration::from_millis(500));
}

// --- Certificate and key files (issue 19) ------------------------------------

#[test]
fn certificate_files_are_regular_files_of_bounded_size_or_one_line() {
    let dir = std::env::temp_dir().join(unique("hp-tls-files-"));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = path_in(&dir, "fifo");
    let status = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let big = path_in(&dir, "big.pem");
    std::fs::write(&big, vec![b'A'; 2 * 1024 * 1024]).unwrap();
    let certs = self_signed_cert("hp-tls-files-cert-");
    let (cert, key) = (path_in(&certs, "cert.pem"), path_in(&certs, "key.pem"));
    let url = "https://127.0.0.1:1/";
    let tmp = dir.to_string_lossy().into_owned();
    for (args, says) in [
        (
            vec!["--cacert", "/dev/zero"],
            "--cacert /dev/zero: not a regular file".to_string(),
        ),
        (
            vec!["--cacert", &fifo],
            format!("--cacert {fifo}: not a regular file"),
        ),
        (
            vec!["--cacert", &tmp],
            format!("--cacert {tmp}: not a regular file"),
        ),
        (
            vec!["--cacert", &big],
            format!("--cacert {big}: 2097152 bytes"),
        ),
        (
            vec!["--cert", &fifo, "--key", &key],
            format!("--cert {fifo}: not a regular file"),
        ),
        (
            vec!["--cert", &cert, "--key", &fifo],
            format!("--key {fifo}: not a regular file"),
        ),
        (
            vec!["--cert", &cert, "--key", "/dev/zero"],
            "--key /dev/zero: not a regular file".into(),
        ),
    ] {
        let mut all = args.clone();
        all.push(url);
        probe(&all)
            .unhealthy()
            .one_line()
            .says(&says)
            .within(Duration::from_secs(1));
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&certs);
}

/// A client certificate in X.509 version 1, as `openssl x509 -req` makes
/// it without an extensions file: v1.pem and v1.key, signed by the CA in `dir`.
fn v1_client_certificate(dir: &Path) {
    let mut req = vec!["req", "-new"];
    req.extend(OPENSSL_KEY);
    req.extend([
        "-keyout",
        "v1.key",
        "-out",
        "v1.csr",
        "-subj",
        "/CN=v1-client",
    ]);
    openssl(dir, &req);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "v1.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            "v1.pem",
        ],
    );
    let text = Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(dir.join("v1.pem"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("Version: 1 (0x0)"),
        "not a v1 certificate: {text}"
    );
}

#[test]
fn a_version_1_client_certificate_is_presented_as_curl_presents_it() {
    let dir = pki("hp-mtls-v1-");
    v1_client_certificate(&dir);
    let s = mtls_server(&dir);
    let (ca, cert, key) = (
        path_in(&dir, "ca.pem"),
        path_in(&dir, "v1.pem"),
        path_in(&dir, "v1.key"),
    );
    probe(&["--cacert", &ca, "--cert", &cert, "--key", &key, &s.url()])
        .healthy()
        .says("200 OK");
    // A key that is not the certificate's is still told apart.
    probe(&[
        "--cacert",
        &ca,
        "--cert",
        &cert,
        "--key",
        &path_in(&dir, "client.key"),
        &s.url(),
    ])
    .unhealthy()
    .one_line()
    .says("does not belong to the certificate");
}

#[test]
#[ignore = "needs curl (apt); CI runs it"]
fn curl_presents_the_same_version_1_client_certificate() {
    let dir = pki("hp-mtls-v1-curl-");
    v1_client_certificate(&dir);
    let s = mtls_server(&dir);
    let args = [
        "--cacert",
        &path_in(&dir, "ca.pem"),
        "--cert",
        &path_in(&dir, "v1.pem"),
        "--key",
        &path_in(&dir, "v1.key"),
    ];
    let curl = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "--max-time", "5"])
        .args(args)
        .arg(s.url())
        .status()
        .expect("curl (apt-get install curl)");
    assert!(curl.success(), "curl refused the v1 certificate: {curl:?}");
    let mut ours = args.to_vec();
    let url = s.url();
    ours.push(&url);
    probe(&ours).healthy();
}
