//! Shared by the integration tests: run the real binary, and small loopback
//! servers that behave well or badly on purpose.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_healthprobe");

/// What one run of the probe did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub out: String,
    pub took: Duration,
}

impl Run {
    pub fn healthy(&self) -> &Self {
        assert_eq!(self.code, 0, "expected healthy, got: {self:?}");
        self
    }

    pub fn unhealthy(&self) -> &Self {
        assert_eq!(self.code, 1, "expected unhealthy, got: {self:?}");
        self
    }

    pub fn says(&self, needle: &str) -> &Self {
        assert!(
            self.out.contains(needle),
            "expected {needle:?} in output: {self:?}"
        );
        self
    }

    pub fn never_says(&self, needle: &str) -> &Self {
        assert!(
            !self.out.contains(needle),
            "{needle:?} must not be printed: {self:?}"
        );
        self
    }

    pub fn one_line(&self) -> &Self {
        assert_eq!(self.out.lines().count(), 1, "expected one line: {self:?}");
        assert!(self.out.ends_with('\n'), "{self:?}");
        self
    }

    /// Ended by itself within `limit` of being started.
    pub fn within(&self, limit: Duration) -> &Self {
        assert!(
            self.took <= limit,
            "took {:?}, limit {limit:?}: {self:?}",
            self.took
        );
        self
    }
}

/// Runs the probe with `args` and an environment free of HEALTHPROBE_* and
/// proxy variables (plus `env`). Every run is held to the contract: exit code
/// 0, 1 or 2; output at most 4096 bytes of UTF-8.
pub fn probe_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.starts_with("HEALTHPROBE_") || k.to_ascii_lowercase().ends_with("_proxy") {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let output = cmd.output().expect("run healthprobe");
    let took = started.elapsed();
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {output:?}"));
    assert!(
        matches!(code, 0..=2),
        "exit code {code} outside 0/1/2: {output:?}"
    );
    let mut bytes = output.stdout;
    bytes.extend_from_slice(&output.stderr);
    assert!(bytes.len() <= 4096, "{} bytes of output", bytes.len());
    let out = String::from_utf8(bytes).expect("output is UTF-8");
    Run { code, out, took }
}

pub fn probe(args: &[&str]) -> Run {
    probe_env(args, &[])
}

/// A loopback server calling `handle` for each connection, on its own thread.
pub struct Server {
    pub addr: SocketAddr,
    /// Each request head the server read, for tests that look at what was sent.
    requests: mpsc::Receiver<String>,
}

impl Server {
    pub fn start(bind: &str, handle: fn(TcpStream, &str)) -> Server {
        let listener = TcpListener::bind(bind).expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let tx = tx.clone();
                thread::spawn(move || {
                    let head = read_head(&stream);
                    let _ = tx.send(head.clone());
                    handle(stream, &head);
                });
            }
        });
        Server { addr, requests: rx }
    }

    /// A server answering every request with `response` verbatim.
    pub fn http(bind: &str, response: &'static str) -> Server {
        let listener = TcpListener::bind(bind).expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let head = read_head(&stream);
                let _ = tx.send(head);
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Server { addr, requests: rx }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The head of the next request the server received.
    pub fn request(&self) -> String {
        self.requests
            .recv_timeout(Duration::from_secs(5))
            .expect("a request reached the server")
    }
}

/// Reads up to the blank line that ends a request head (or EOF), at most 64 KiB.
pub fn read_head(stream: &TcpStream) -> String {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.take(65536));
    let mut head = String::new();
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let end = line == "\r\n" || line == "\n";
                head.push_str(&line);
                if end {
                    break;
                }
            }
        }
    }
    head
}

/// Closes with RST instead of FIN (SO_LINGER 0).
pub fn reset(stream: TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket fd and a correctly sized linger struct.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// A loopback port with nothing listening on it (bound, then released).
pub fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

/// Whether this machine has IPv6 loopback.
pub fn has_ipv6() -> bool {
    TcpListener::bind("[::1]:0").is_ok()
}

/// Processes whose command line contains `marker`.
pub fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(marker) {
                found.push(format!(
                    "{}: {cmdline}",
                    entry.file_name().to_string_lossy()
                ));
            }
        }
    }
    found
}

/// A marker unique to this test run, for finding processes it left.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}{}{nanos}", std::process::id())
}

/// Key options for `openssl req`: a P-256 key, unencrypted.
pub const OPENSSL_KEY: [&str; 5] = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
];

/// Runs the openssl CLI in `dir`; it must succeed.
pub fn openssl(dir: &std::path::Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl is installed (.ci/run installs it)");
    assert!(status.success(), "openssl {args:?}");
}

/// A fresh directory holding cert.pem and key.pem: a self-signed server
/// certificate (CA:FALSE) for localhost and 127.0.0.1, valid two days.
pub fn self_signed_cert(prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    let mut args = vec!["req", "-x509"];
    args.extend(OPENSSL_KEY);
    args.extend([
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
        "-days",
        "2",
        "-subj",
        "/CN=localhost",
    ]);
    args.extend(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]);
    args.extend(["-addext", "basicConstraints=critical,CA:FALSE"]);
    openssl(&dir, &args);
    dir
}
