//! Real gRPC health servers for the tests, behind one interface: tonic-health
//! (the gRPC project's Rust health service, in this process: no Python
//! needed) and the reference Python implementation, grpcio with
//! grpcio-health-checking (`tests/support/grpc_health_server.py`), an
//! independent second implementation that CI installs.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

/// TLS for a test server: its certificate and key, and (for mTLS) the CA
/// whose client certificates it requires.
pub struct Tls<'a> {
    pub dir: &'a Path,
    pub client_ca: Option<&'a Path>,
}

/// A gRPC health server on 127.0.0.1 whose statuses a test sets.
pub trait HealthServer {
    fn port(&self) -> u16;
    /// Sets `service` ("" for the server as a whole) to SERVING, NOT_SERVING or UNKNOWN.
    fn set(&mut self, service: &str, status: &str);

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port())
    }
}

/// tonic-health, served by a tokio runtime on a thread of its own.
pub struct Tonic {
    port: u16,
    reporter: HealthReporter,
    /// Runs the reporter's updates (they need no I/O driver).
    handle: Handle,
    stop: Option<oneshot::Sender<()>>,
}

impl Tonic {
    pub fn start(tls: Option<Tls<'_>>) -> Tonic {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let (reporter, service) = tonic_health::server::health_reporter();
        let mut builder = Server::builder();
        if let Some(tls) = tls {
            let read = |name: &str| std::fs::read(tls.dir.join(name)).expect("test certificate");
            let mut config = ServerTlsConfig::new()
                .identity(Identity::from_pem(read("cert.pem"), read("key.pem")));
            if let Some(ca) = tls.client_ca {
                config = config
                    .client_ca_root(Certificate::from_pem(std::fs::read(ca).expect("client CA")));
            }
            builder = builder.tls_config(config).expect("tonic TLS config");
        }
        let (stop, stopped) = oneshot::channel::<()>();
        let router = builder.add_service(service);
        let handle = runtime.handle().clone();
        // The runtime's own thread drives its I/O.
        std::thread::spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
                let _ = router
                    .serve_with_incoming_shutdown(incoming, async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        let mut server = Tonic {
            port,
            reporter,
            handle,
            stop: Some(stop),
        };
        server.set("", "SERVING");
        server
    }
}

impl HealthServer for Tonic {
    fn port(&self) -> u16 {
        self.port
    }

    fn set(&mut self, service: &str, status: &str) {
        let status = match status {
            "SERVING" => ServingStatus::Serving,
            "NOT_SERVING" => ServingStatus::NotServing,
            _ => ServingStatus::Unknown,
        };
        let reporter = self.reporter.clone();
        let service = service.to_string();
        self.handle
            .block_on(async move { reporter.set_service_status(service, status).await });
    }
}

impl Drop for Tonic {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The Python that has grpcio: $HEALTHPROBE_TEST_PYTHON (set by .ci/run).
/// Its tests are ignored by default; run with --include-ignored, they fail
/// when it is missing.
pub fn python() -> String {
    let python = std::env::var("HEALTHPROBE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import grpc, grpc_health.v1"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    super::require(
        ok,
        "a Python with grpcio and grpcio-health-checking: set HEALTHPROBE_TEST_PYTHON \
         (bash .ci/run makes one in target/grpc-venv)",
    );
    python
}

/// grpcio, the reference implementation, in a Python child process.
pub struct Grpcio {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    port: u16,
}

impl Grpcio {
    pub fn start(tls: Option<Tls<'_>>) -> Grpcio {
        let python = python();
        let port = super::closed_port();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/grpc_health_server.py"
        );
        let mut cmd = Command::new(python);
        cmd.arg(script).arg(port.to_string());
        if let Some(tls) = tls {
            cmd.arg(tls.dir.join("cert.pem"))
                .arg(tls.dir.join("key.pem"));
            if let Some(ca) = tls.client_ca {
                cmd.arg(ca);
            }
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the grpcio server");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready");
        Grpcio {
            child,
            stdin,
            stdout,
            port,
        }
    }
}

impl HealthServer for Grpcio {
    fn port(&self) -> u16 {
        self.port
    }

    fn set(&mut self, service: &str, status: &str) {
        let service = if service.is_empty() { "-" } else { service };
        writeln!(self.stdin, "set {service} {status}").unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ok");
    }
}

impl Drop for Grpcio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
