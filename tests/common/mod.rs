//! Shared by the integration tests: one way to run the real binary and hold
//! every run to the contract, the limits tests state once, and small loopback
//! servers that behave well or badly on purpose.
//!
//! Environment:
//! - `HEALTHPROBE_TEST_BIN`: the binary under test (default: this build's);
//!   `.ci/run` points it at the static release builds, x86_64 and aarch64
//!   (which runs under emulation).
//! - `HEALTHPROBE_TEST_SLACK`: multiplies every time limit (default 1; 4
//!   under emulation, where starting a process costs milliseconds).
//! - `HEALTHPROBE_TEST_EMULATED=1`: the binary runs under qemu, whose own
//!   memory hides the probe's: peak RSS is not asserted then.
#![allow(dead_code)]

pub mod brokers;
pub mod daemons;
pub mod grpc;
pub mod h2;
pub mod netns;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The binary under test.
pub fn bin() -> String {
    std::env::var("HEALTHPROBE_TEST_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_healthprobe").to_string())
}

/// Peak RSS allowed for any run of a release build, whatever a server, a
/// child or a user sends: the probe runs in the application's memory cgroup.
pub const MAX_RSS_KIB: u64 = 8 * 1024;

/// The bound for this run: [`MAX_RSS_KIB`] for the binary CI ships
/// (`HEALTHPROBE_TEST_BIN`), twice that for the unoptimised build `cargo
/// test` makes, whose code alone is several times larger. Either way a
/// probe that grows with what a peer sends (once: 487 MB) fails.
pub fn max_rss_kib() -> u64 {
    if std::env::var_os("HEALTHPROBE_TEST_BIN").is_none() && cfg!(debug_assertions) {
        2 * MAX_RSS_KIB
    } else {
        MAX_RSS_KIB
    }
}

/// How late after its deadline the probe may end: process start and exit,
/// scheduling on a loaded 2-core machine running tests in parallel.
pub const LATE: Duration = Duration::from_millis(250);

/// The factor on every time limit (see the module notes).
pub fn slack() -> f64 {
    std::env::var("HEALTHPROBE_TEST_SLACK")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

/// `d` stretched by the slack factor.
pub fn scaled(d: Duration) -> Duration {
    d.mul_f64(slack())
}

pub fn emulated() -> bool {
    std::env::var_os("HEALTHPROBE_TEST_EMULATED").is_some()
}

/// A prerequisite of a test: present, or the test fails and says what is
/// missing. Tests whose prerequisites a fresh machine may lack are
/// `#[ignore = "needs ..."]`; `cargo test -- --include-ignored` (what CI
/// runs, after installing them) runs them too.
pub fn require(present: bool, what: &str) {
    assert!(present, "missing prerequisite: {what}");
}

/// What one run of the probe did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub out: String,
    pub took: Duration,
    /// Peak resident set size, KiB (wait4's ru_maxrss).
    pub peak_rss_kib: u64,
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

    /// Ended by itself within `limit` (times the slack factor) of being started.
    pub fn within(&self, limit: Duration) -> &Self {
        let limit = scaled(limit);
        assert!(
            self.took <= limit,
            "took {:?}, limit {limit:?}: {self:?}",
            self.took
        );
        self
    }

    /// Ended by itself at most [`LATE`] after a deadline of `deadline`.
    pub fn by_deadline(&self, deadline: Duration) -> &Self {
        let limit = deadline + scaled(LATE);
        assert!(
            self.took <= limit,
            "took {:?}, deadline {deadline:?}: {self:?}",
            self.took
        );
        self
    }
}

/// Runs the probe with `args`.
pub fn probe(args: &[&str]) -> Run {
    probe_env(args, &[])
}

/// Runs the probe with `args` and, besides, the variables `env`.
pub fn probe_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    launch(&[], &args, env)
}

/// Runs the probe with arguments that need not be UTF-8.
pub fn probe_os(args: &[&OsStr]) -> Run {
    launch(&[], args, &[])
}

/// Runs the probe with `args` under `wrapper` (a command that runs the rest
/// of its arguments, e.g. `nsenter --net=... --mount=...`), held to the same
/// contract.
pub fn probe_wrapped(wrapper: &[&str], args: &[&str]) -> Run {
    let wrapper: Vec<&OsStr> = wrapper.iter().map(OsStr::new).collect();
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    launch(&wrapper, &args, &[])
}

/// The one launcher. The environment is free of HEALTHPROBE_* and proxy
/// variables (plus `env`). Every run is held to the contract: exit code 0, 1
/// or 2 (never a signal); at most 4096 bytes of UTF-8; peak RSS within
/// [`max_rss_kib`], measured by `tests/support/maxrss.c`.
fn launch(wrapper: &[&OsStr], args: &[&OsStr], env: &[(&str, &str)]) -> Run {
    let rss_file = std::env::temp_dir().join(unique("hp-rss-"));
    let mut cmd = match wrapper.split_first() {
        Some((program, rest)) => {
            let mut cmd = Command::new(program);
            cmd.args(rest).arg(maxrss_launcher());
            cmd
        }
        None => Command::new(maxrss_launcher()),
    };
    cmd.arg(&rss_file)
        .arg(bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars_os() {
        let name = k.to_string_lossy();
        if name.starts_with("HEALTHPROBE_") || name.to_ascii_lowercase().ends_with("_proxy") {
            cmd.env_remove(&k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let shown: Vec<String> = args
        .iter()
        .map(|a| {
            let a = a.to_string_lossy();
            match a.char_indices().nth(80) {
                Some((cut, _)) => format!("{}...", &a[..cut]),
                None => a.into_owned(),
            }
        })
        .collect();
    let started = Instant::now();
    let output = cmd.output().expect("run healthprobe");
    let took = started.elapsed();
    let peak_rss_kib = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| panic!("{shown:?}: no peak RSS measured ({output:?})"));
    let _ = std::fs::remove_file(&rss_file);
    // HEALTHPROBE_TEST_RSS_LOG=FILE: one line per run (peak KiB, arguments),
    // for finding the suite's worst case: `sort -n FILE | tail`.
    if let Some(log) = std::env::var_os("HEALTHPROBE_TEST_RSS_LOG") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
        {
            let _ = writeln!(f, "{peak_rss_kib}\t{shown:?}");
        }
    }
    let mut bytes = output.stdout;
    bytes.extend_from_slice(&output.stderr);
    let code = output.status.code().unwrap_or_else(|| {
        panic!(
            "{shown:?}: ended by a signal (output: {:?})",
            String::from_utf8_lossy(&bytes)
        )
    });
    assert!(
        matches!(code, 0..=2),
        "{shown:?}: exit code {code} outside 0/1/2"
    );
    assert!(
        bytes.len() <= 4096,
        "{shown:?}: {} bytes of output",
        bytes.len()
    );
    let out = String::from_utf8(bytes).expect("output is UTF-8");
    if !emulated() {
        let max = max_rss_kib();
        assert!(
            peak_rss_kib <= max,
            "{shown:?}: peak RSS {peak_rss_kib} KiB, more than {max} KiB ({out:?})"
        );
    }
    Run {
        code,
        out,
        took,
        peak_rss_kib,
    }
}

/// `tests/support/maxrss.c`, compiled once per test binary with the C
/// compiler the TLS build needs anyway ($CC, else cc).
pub fn maxrss_launcher() -> &'static std::path::Path {
    static LAUNCHER: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    LAUNCHER.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let exe = dir.join("maxrss");
        let source = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/maxrss.c");
        // Each test binary builds its own copy and moves it into place whole.
        let fresh = dir.join(unique("maxrss-"));
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        let status = Command::new(&cc)
            .args(["-O2", "-o"])
            .arg(&fresh)
            .arg(source)
            .status()
            .unwrap_or_else(|e| panic!("missing prerequisite: a C compiler ({cc}): {e}"));
        assert!(status.success(), "{cc} could not build {source}");
        std::fs::rename(&fresh, &exe).expect("install the maxrss launcher");
        exe
    })
}

/// Starts the probe without waiting for it (for tests that signal it).
pub fn spawn(args: &[&str]) -> std::process::Child {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("HEALTHPROBE_") {
            cmd.env_remove(&k);
        }
    }
    cmd.spawn().expect("run healthprobe")
}

/// A connection's handler: the stream and the request head it sent.
pub type Handler = fn(TcpStream, &str);

/// A loopback server calling `handle` for each connection, on its own thread.
pub struct Server {
    pub addr: SocketAddr,
    /// Each request head the server read, for tests that look at what was sent.
    requests: mpsc::Receiver<String>,
}

impl Server {
    /// A server the test runs itself, at `addr`.
    pub fn at(addr: SocketAddr) -> Server {
        let (_, requests) = mpsc::channel();
        Server { addr, requests }
    }

    pub fn start(bind: &str, handle: Handler) -> Server {
        Self::serve(bind, handle, true)
    }

    /// Like `start`, but the handler reads the request itself (HTTP/2 peers).
    pub fn raw(bind: &str, handle: Handler) -> Server {
        Self::serve(bind, handle, false)
    }

    fn serve(bind: &str, handle: Handler, read_request: bool) -> Server {
        let listener = TcpListener::bind(bind).expect("bind loopback");
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let tx = tx.clone();
                thread::spawn(move || {
                    let head = if read_request {
                        read_head(&stream)
                    } else {
                        String::new()
                    };
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

/// A unix-socket server answering every request with `response` verbatim;
/// the request heads it read come out of the receiver.
pub fn unix_http(response: &'static str) -> (PathBuf, mpsc::Receiver<String>) {
    let path = std::env::temp_dir().join(unique("hp-sock-"));
    let listener = UnixListener::bind(&path).unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let head = read_head_from(&mut stream);
            let _ = tx.send(head);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (path, rx)
}

/// Reads up to the blank line that ends a request head (or EOF), at most 64 KiB.
pub fn read_head(stream: &TcpStream) -> String {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut stream = stream;
    read_head_from(&mut stream)
}

fn read_head_from(stream: &mut impl Read) -> String {
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

/// Whether the tests run as root (for tests that change user or namespaces).
pub fn is_root() -> bool {
    // SAFETY: getuid has no preconditions.
    unsafe { libc::getuid() == 0 }
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
        .expect("the openssl command (apt-get install openssl)");
    assert!(status.success(), "openssl {args:?}");
}

/// A fresh directory holding cert.pem and key.pem: a self-signed server
/// certificate (CA:FALSE) for localhost and 127.0.0.1, valid two days.
pub fn self_signed_cert(prefix: &str) -> PathBuf {
    self_signed(prefix, &["-addext", "basicConstraints=critical,CA:FALSE"])
}

/// The same as `openssl req -x509` makes it by default: a certificate that
/// says it is a CA (basicConstraints CA:TRUE), as most users' test
/// certificates are.
pub fn self_signed_ca_cert(prefix: &str) -> PathBuf {
    self_signed(prefix, &[])
}

fn self_signed(prefix: &str, extra: &[&str]) -> PathBuf {
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
    args.extend(extra);
    openssl(&dir, &args);
    dir
}

/// A path in a directory, as a String for argument lists.
pub fn path_in(dir: &std::path::Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}
