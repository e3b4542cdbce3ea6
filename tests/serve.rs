//! `healthprobe serve`: the checks' verdict over HTTP/1.x and gRPC health v1
//! on one port. Real clients (curl, grpcio's stub, this probe's own `grpc`
//! check, a kubelet-shaped request) and hostile ones written here by hand;
//! every server is stopped with a signal at the end and held to the
//! contract: exit 0, within the drain limit, peak RSS bounded.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::h2;
use common::*;

/// The drain limit plus process exit: what serve may take after SIGTERM.
const STOP_LIMIT: Duration = Duration::from_secs(1);

/// A running `healthprobe serve`, under the peak-RSS launcher.
struct Served {
    launcher: Child,
    pid: i32,
    port: u16,
    lines: mpsc::Receiver<String>,
    rss_file: PathBuf,
}

/// How a stopped server ended.
#[derive(Debug)]
struct Ended {
    /// From the signal to the exit.
    took: Duration,
}

/// Starts `healthprobe serve --listen 127.0.0.1:PORT ARGS...` and waits for its start line.
fn serve(args: &[&str]) -> Served {
    let port = closed_port();
    let listen = format!("127.0.0.1:{port}");
    let rss_file = std::env::temp_dir().join(unique("hp-serve-rss-"));
    let mut cmd = Command::new(maxrss_launcher());
    cmd.arg(&rss_file)
        .arg(bin())
        .args(["serve", "--listen", &listen])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("HEALTHPROBE_") {
            cmd.env_remove(&k);
        }
    }
    let mut launcher = cmd.spawn().expect("start serve");
    let stdout = launcher.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let pid = child_of(launcher.id());
    // Made before anything can fail, so that its Drop ends the server.
    let served = Served {
        launcher,
        pid,
        port,
        lines,
        rss_file,
    };
    let first = served
        .lines
        .recv_timeout(scaled(Duration::from_secs(5)))
        .expect("serve prints its start line");
    let start = format!("serving /healthz and grpc.health.v1 on {listen} for ");
    assert!(first.starts_with(&start), "{first}");
    served
}

/// The one child of `parent` (the launcher's: the probe).
fn child_of(parent: u32) -> i32 {
    let path = format!("/proc/{parent}/task/{parent}/children");
    for _ in 0..100 {
        if let Some(pid) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|s| s.split_whitespace().next().and_then(|p| p.parse().ok()))
        {
            return pid;
        }
        thread::sleep(Duration::from_millis(10));
    }
    panic!("no child of {parent}");
}

impl Served {
    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The next line it prints, within `limit`.
    fn line(&self, limit: Duration) -> Option<String> {
        self.lines.recv_timeout(scaled(limit)).ok()
    }

    fn signal(&self, sig: i32) {
        // SAFETY: kill has no memory effects; the pid is our launcher's child, not yet reaped.
        unsafe { libc::kill(self.pid, sig) };
    }

    /// Stops it with `sig`; holds it to the contract: exit 0 within
    /// STOP_LIMIT, nothing printed per request, peak RSS bounded.
    fn stop_with(mut self, sig: i32) -> Ended {
        let asked = Instant::now();
        self.signal(sig);
        let until = asked + scaled(Duration::from_secs(5));
        let status = loop {
            if let Some(status) = self.launcher.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < until, "serve did not stop");
            thread::sleep(Duration::from_millis(5));
        };
        let took = asked.elapsed();
        let peak_rss_kib: u64 = std::fs::read_to_string(&self.rss_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .expect("peak RSS measured");
        let _ = std::fs::remove_file(&self.rss_file);
        // As the launcher does: HEALTHPROBE_TEST_RSS_LOG gets a line per server.
        if let Some(log) = std::env::var_os("HEALTHPROBE_TEST_RSS_LOG")
            && let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
        {
            let _ = writeln!(f, "{peak_rss_kib}\tserve on port {}", self.port);
        }
        let code = status.code().expect("serve exits, not killed by a signal");
        assert_eq!(code, 0, "serve's exit code after a stop");
        assert!(took <= scaled(STOP_LIMIT), "stopping took {took:?}");
        if !emulated() {
            assert!(
                peak_rss_kib <= max_rss_kib(),
                "peak RSS {peak_rss_kib} KiB, more than {} KiB",
                max_rss_kib()
            );
        }
        Ended { took }
    }

    fn stop(self) -> Ended {
        self.stop_with(libc::SIGTERM)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if self.launcher.try_wait().ok().flatten().is_none() {
            // SAFETY: as in `signal`.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
            let _ = self.launcher.wait();
        }
    }
}

/// A TCP backend that accepts and closes connections, until dropped.
struct TcpBackend {
    stop: Arc<std::sync::atomic::AtomicBool>,
    done: Option<thread::JoinHandle<()>>,
}

impl Drop for TcpBackend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(done) = self.done.take() {
            let _ = done.join();
        }
    }
}

fn tcp_backend() -> (TcpBackend, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    let done = thread::spawn(move || {
        while !stopped.load(Ordering::SeqCst) {
            if listener.accept().is_err() {
                thread::sleep(Duration::from_millis(5));
            }
        }
    });
    let backend = TcpBackend {
        stop,
        done: Some(done),
    };
    (backend, port)
}

/// An HTTP backend that takes `delay` to answer 200; counts its connections.
fn slow_backend(delay: Duration) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&count);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counted.fetch_add(1, Ordering::SeqCst);
            thread::spawn(move || {
                let _ = read_head(&stream);
                thread::sleep(delay);
                let mut stream = stream;
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                );
            });
        }
    });
    (port, count)
}

/// `curl -s -i ARGS...`: the whole response, head and body.
fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "-i", "--max-time", "5"])
        .args(args)
        .output()
        .expect("missing prerequisite: curl");
    String::from_utf8(out.stdout).unwrap()
}

/// The status code of each response in `text`.
fn statuses(text: &str) -> Vec<u16> {
    text.lines()
        .filter_map(|l| l.strip_prefix("HTTP/1.1 ").or(l.strip_prefix("HTTP/1.0 ")))
        .filter_map(|l| l.get(..3)?.parse().ok())
        .collect()
}

fn body_of(response: &str) -> &str {
    response.split_once("\r\n\r\n").map_or("", |(_, b)| b)
}

/// Sends `request` raw and reads until the server closes (or 5 s).
fn raw(addr: &str, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads one response (head and Content-Length body) from a kept connection.
fn one_response(s: &mut TcpStream, head_only: bool) -> String {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => got.push(byte[0]),
            _ => panic!(
                "connection ended mid-head: {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
    let head = String::from_utf8_lossy(&got).into_owned();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("Content-Length");
    let mut body = vec![0u8; if head_only { 0 } else { len }];
    s.read_exact(&mut body).unwrap();
    head + &String::from_utf8_lossy(&body)
}

#[test]
fn healthz_answers_200_with_the_line_then_503_when_the_target_fails() {
    let (backend, port) = tcp_backend();
    let served = serve(&[&format!("tcp://127.0.0.1:{port}"), "--cache", "100ms"]);
    let first = served
        .line(Duration::from_secs(5))
        .expect("the first verdict");
    assert!(
        first.starts_with(&format!("healthy: tcp 127.0.0.1:{port} -> connected")),
        "{first}"
    );
    let ok = curl(&[&served.url("/healthz")]);
    assert_eq!(statuses(&ok), [200], "{ok}");
    assert!(ok.contains("Content-Type: text/plain"), "{ok}");
    // The line a run prints, timings aside.
    let printed = probe(&[&format!("tcp://127.0.0.1:{port}")]);
    let cut = |s: &str| s.split(" in ").next().unwrap_or_default().to_string();
    assert_eq!(cut(body_of(&ok)), cut(&printed.out));
    assert_eq!(statuses(&curl(&[&served.url("/")])), [200]);

    drop(backend);
    thread::sleep(Duration::from_millis(200));
    let bad = curl(&[&served.url("/healthz")]);
    assert_eq!(statuses(&bad), [503], "{bad}");
    assert!(body_of(&bad).starts_with("unhealthy: tcp"), "{bad}");
    assert!(body_of(&bad).ends_with('\n') && body_of(&bad).lines().count() == 1);
    let change = served
        .line(Duration::from_secs(2))
        .expect("a line for the change");
    assert!(change.starts_with("healthy -> unhealthy: tcp"), "{change}");
    // Further requests print nothing: one line per change, never per request.
    for _ in 0..3 {
        curl(&[&served.url("/healthz")]);
    }
    assert_eq!(served.line(Duration::from_millis(300)), None);
    served.stop();
}

#[test]
fn every_method_and_path_as_curl_sees_them() {
    let (_backend, port) = tcp_backend();
    let served = serve(&[&format!("tcp://127.0.0.1:{port}")]);
    let url = served.url("/healthz");
    let head = curl(&["-I", &url]);
    assert_eq!(statuses(&head), [200], "{head}");
    assert!(
        head.contains("Content-Length: ") && body_of(&head).is_empty(),
        "{head}"
    );
    let get = curl(&[&url]);
    let len = format!("Content-Length: {}", body_of(&get).len());
    assert!(
        head.contains(&len),
        "HEAD announces GET's length: {head} / {get}"
    );
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        let r = curl(&["-X", method, &url]);
        assert_eq!(statuses(&r), [405], "{method}: {r}");
        assert!(r.contains("Allow: GET, HEAD"), "{r}");
    }
    let missing = curl(&[&served.url("/nope")]);
    assert_eq!(statuses(&missing), [404], "{missing}");
    let with_body = curl(&["-d", "x=1", &url]);
    assert_eq!(statuses(&with_body), [400], "{with_body}");
    let chunked = curl(&["-H", "Transfer-Encoding: chunked", "-d", "x", &url]);
    assert_eq!(statuses(&chunked), [400], "{chunked}");
    let verbose = curl(&[&served.url("/healthz?verbose")]);
    assert_eq!(statuses(&verbose), [200]);
    assert!(body_of(&verbose).lines().count() > 1, "{verbose}");
    assert!(
        body_of(&verbose).contains("\n  "),
        "-v's details: {verbose}"
    );
    assert_eq!(body_of(&get).lines().count(), 1, "{get}");
    // HTTP/1.0: closed unless asked; kept when asked (curl reuses it).
    let closed = curl(&["-0", &url]);
    assert!(closed.contains("Connection: close"), "{closed}");
    let kept = Command::new("curl")
        .args([
            "-s",
            "-v",
            "-0",
            "-H",
            "Connection: keep-alive",
            "--max-time",
            "5",
        ])
        .args([&url, &url])
        .output()
        .unwrap();
    let trace = String::from_utf8_lossy(&kept.stderr);
    assert!(trace.contains("Connection: keep-alive"), "{trace}");
    assert!(trace.contains("Re-using existing connection"), "{trace}");
    // HTTP/1.1 reuses by default.
    let reuse = Command::new("curl")
        .args(["-s", "-v", "--max-time", "5", &url, &url])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&reuse.stderr).contains("Re-using existing connection"));
    served.stop();
}

#[test]
fn a_kubelet_shaped_client_gets_its_answer_within_its_1s_timeout() {
    let (_backend, port) = tcp_backend();
    let served = serve(&[&format!("tcp://127.0.0.1:{port}")]);
    for _ in 0..3 {
        let started = Instant::now();
        let mut s = TcpStream::connect(served.addr()).unwrap();
        s.set_read_timeout(Some(scaled(Duration::from_secs(1))))
            .unwrap();
        // What the kubelet's httpGet probe sends (keep-alives disabled).
        let request = format!(
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nUser-Agent: kube-probe/1.35\r\n\
             Accept: */*\r\nConnection: close\r\nAccept-Encoding: gzip\r\n\r\n",
            served.port
        );
        s.write_all(request.as_bytes()).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out)
            .expect("whole answer, then close, within 1 s");
        assert!(started.elapsed() < scaled(Duration::from_secs(1)));
        assert_eq!(statuses(&out), [200], "{out}");
        assert!(out.contains("Connection: close"), "{out}");
    }
    served.stop();
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let (_backend, port) = tcp_backend();
    let served = serve(&[&format!("tcp://127.0.0.1:{port}")]);
    let out = raw(
        &served.addr(),
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n\
          POST /healthz HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(statuses(&out), [200, 404, 405, 200], "{out}");
    served.stop();
}

#[test]
fn http10_keep_alive_is_kept_and_never_stalls() {
    let (_backend, port) = tcp_backend();
    let served = serve(&[&format!("tcp://127.0.0.1:{port}")]);
    let mut s = TcpStream::connect(served.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    for _ in 0..3 {
        s.write_all(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .unwrap();
        let r = one_response(&mut s, false);
        assert_eq!(statuses(&r), [200], "{r}");
        assert!(r.contains("Connection: keep-alive"), "{r}");
    }
    // Without keep-alive, 1.0 closes after the answer: read_to_end returns.
    let plain = raw(&served.addr(), b"GET /healthz HTTP/1.0\r\n\r\n");
    assert_eq!(statuses(&plain), [200], "{plain}");
    served.stop();
}

#[test]
fn the_probes_own_grpc_check_asks_serve() {
    let (backend, port) = tcp_backend();
    let served = serve(&[&format!("tcp://127.0.0.1:{port}"), "--cache", "0"]);
    probe(&["grpc", &served.addr()])
        .healthy()
        .one_line()
        .says("SERVING");
    probe(&["grpc", "--service", "db", &served.addr()])
        .unhealthy()
        .says("NOT_FOUND");
    drop(backend);
    probe(&["grpc", &served.addr()])
        .unhealthy()
        .says("NOT_SERVING");
    served.stop();
}

#[test]
#[ignore = "needs Python grpcio (HEALTHPROBE_TEST_PYTHON); bash .ci/run installs it"]
fn grpcios_health_stub_asks_serve() {
    let python = common::grpc::python();
    let (backend, port) = tcp_backend();
    let served = serve(&[&format!("tcp://127.0.0.1:{port}"), "--cache", "0"]);
    let script = r#"
import sys, grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
with grpc.insecure_channel(sys.argv[1]) as channel:
    stub = health_pb2_grpc.HealthStub(channel)
    for service in ["", "other"]:
        try:
            r = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=3)
            print(health_pb2.HealthCheckResponse.ServingStatus.Name(r.status))
        except grpc.RpcError as e:
            print(e.code().name)
    # Twenty calls at once on the one connection (serve takes one stream at a time).
    calls = [stub.Check.future(health_pb2.HealthCheckRequest(), timeout=3) for _ in range(20)]
    statuses = set()
    for c in calls:
        try:
            statuses.add(health_pb2.HealthCheckResponse.ServingStatus.Name(c.result().status))
        except grpc.RpcError as e:
            statuses.add(e.code().name)
    print(" ".join(sorted(statuses)))
"#;
    let ask = || {
        let out = Command::new(&python)
            .args(["-c", script, &served.addr()])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(ask(), "SERVING\nNOT_FOUND\nSERVING\n");
    drop(backend);
    assert_eq!(ask(), "NOT_SERVING\nNOT_FOUND\nNOT_SERVING\n");
    served.stop();
}

#[test]
fn concurrent_requests_share_one_run() {
    let (port, count) = slow_backend(scaled(Duration::from_millis(500)));
    let target = format!("http://127.0.0.1:{port}/");
    // --cache 0: every request wants a run of its own, yet they coalesce.
    let served = serve(&[&target, "--cache", "0"]);
    // Let the start-up run finish, and count from zero.
    served.line(Duration::from_secs(3)).expect("first verdict");
    thread::sleep(Duration::from_millis(100));
    count.store(0, Ordering::SeqCst);
    let addr = served.addr();
    let clients: Vec<_> = (0..50)
        .map(|_| {
            let addr = addr.clone();
            thread::spawn(move || {
                raw(
                    &addr,
                    b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                )
            })
        })
        .collect();
    for c in clients {
        let out = c.join().unwrap();
        assert_eq!(statuses(&out), [200], "{out}");
    }
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "backend connections for 50 requests"
    );
    served.stop();
}

#[test]
fn a_result_is_reused_for_the_cache_duration() {
    let (port, count) = slow_backend(Duration::ZERO);
    let served = serve(&[&format!("http://127.0.0.1:{port}/"), "--cache", "2s"]);
    served.line(Duration::from_secs(3)).expect("first verdict");
    for _ in 0..20 {
        assert_eq!(statuses(&curl(&[&served.url("/healthz")])), [200]);
    }
    assert_eq!(count.load(Ordering::SeqCst), 1, "one run for 20 requests");
    served.stop();
}

#[test]
fn nothing_a_client_sends_changes_what_is_checked() {
    let backend = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    let served = serve(&[&backend.url("/health"), "--cache", "0"]);
    assert!(backend.request().starts_with("GET /health HTTP/1.1"));
    let out = curl(&[
        "-H",
        "Host: evil.example",
        "-H",
        "Authorization: Bearer x",
        &served.url("/healthz?url=http://evil.example/&verbose"),
    ]);
    assert_eq!(statuses(&out), [200], "{out}");
    let seen = backend.request();
    assert!(seen.starts_with("GET /health HTTP/1.1"), "{seen}");
    assert!(!seen.contains("evil") && !seen.contains("Bearer"), "{seen}");
    served.stop();
}

#[test]
fn answers_are_scrubbed_like_the_line() {
    let backend = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 500 Oops\r\nContent-Length: 20\r\nConnection: close\r\n\r\npassword=hunter2\x1b[31m",
    );
    let target = format!("http://admin:hunter2@127.0.0.1:{}/", backend.port());
    let served = serve(&[&target]);
    let out = curl(&[&served.url("/healthz?verbose")]);
    assert_eq!(statuses(&out), [503], "{out}");
    assert!(!out.contains("hunter2") && !out.contains('\x1b'), "{out}");
    served.stop();
}

#[test]
fn sigterm_lets_answers_in_flight_finish_then_exits_0() {
    // The answers in flight must be out within the drain limit (800 ms) of the signal.
    let lead = scaled(Duration::from_millis(150));
    let (port, _count) = slow_backend(lead + Duration::from_millis(250));
    let served = serve(&[&format!("http://127.0.0.1:{port}/"), "--cache", "0"]);
    served.line(Duration::from_secs(3)).expect("first verdict");
    // The first run is published just after its line: ask after it.
    thread::sleep(Duration::from_millis(100));
    let addr = served.addr();
    let clients: Vec<_> = (0..5)
        .map(|_| {
            let addr = addr.clone();
            thread::spawn(move || raw(&addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
        })
        .collect();
    // An idle kept-alive connection is closed by the stop, not waited for.
    let mut idle = TcpStream::connect(&addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    thread::sleep(lead);
    let ended = served.stop();
    for c in clients {
        let out = c.join().unwrap();
        assert_eq!(statuses(&out), [200], "an answer in flight: {out}");
        assert!(out.contains("Connection: close"), "{out}");
    }
    let mut rest = String::new();
    let _ = idle.read_to_string(&mut rest);
    assert_eq!(statuses(&rest), [200], "{rest}");
    assert!(
        TcpStream::connect(&addr).is_err(),
        "still accepting after the stop"
    );
    assert!(ended.took <= STOP_LIMIT, "{ended:?}");
}

#[test]
fn sigint_stops_an_idle_server_at_once() {
    let (_backend, port) = tcp_backend();
    let served = serve(&[&format!("tcp://127.0.0.1:{port}")]);
    let ended = served.stop_with(libc::SIGINT);
    assert!(ended.took < scaled(Duration::from_millis(300)), "{ended:?}");
}

// Hostile clients.

#[test]
fn slowloris_heads_are_cut_at_2s_and_do_not_delay_others() {
    let (_backend, port) = tcp_backend();
    let served = serve(&[&format!("tcp://127.0.0.1:{port}")]);
    let addr = served.addr();
    let slow: Vec<_> = (0..20)
        .map(|_| {
            let addr = addr.clone();
            thread::spawn(move || {
                let started = Instant::now();
                let mut s = TcpStream::connect(&addr).unwrap();
                s.set_read_timeout(Some(Duration::from_millis(100)))
                    .unwrap();
                let _ = s.write_all(b"GET /healthz HTTP/1.1\r\n");
                let mut got = Vec::new();
                // One byte of header every 100 ms, for as long as the server listens.
                while started.elapsed() < Duration::from_secs(6) {
                    if s.write_all(b"X").is_err() {
                        break;
                    }
                    let mut buf = [0u8; 512];
                    match s.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                        Err(_) => {}
                    }
                }
                (
                    started.elapsed(),
                    String::from_utf8_lossy(&got).into_owned(),
                )
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(statuses(&curl(&[&served.url("/healthz")])), [200]);
    assert!(
        started.elapsed() < scaled(Duration::from_millis(500)),
        "{:?}",
        started.elapsed()
    );
    for s in slow {
        let (took, got) = s.join().unwrap();
        assert!(got.starts_with("HTTP/1.1 408"), "{got:?}");
        assert!(
            took >= Duration::from_millis(1900) && took < scaled(Duration::from_secs(3)),
            "{took:?}"
        );
    }
    served.stop();
}

#[test]
fn connections_past_64_are_answered_503_at_once() {
    let (_backend, port) = tcp_backend();
    let served = serve(&[&format!("tcp://127.0.0.1:{port}")]);
    let started = Instant::now();
    let conns: Vec<TcpStream> = (0..1000)
        .map(|_| TcpStream::connect(served.addr()).unwrap())
        .collect();
    let mut busy = 0;
    for mut c in conns.iter() {
        c.set_read_timeout(Some(scaled(Duration::from_millis(500))))
            .unwrap();
        let mut buf = [0u8; 128];
        if let Ok(n) = c.read(&mut buf)
            && buf[..n].starts_with(b"HTTP/1.1 503")
        {
            busy += 1;
        }
    }
    assert!(busy >= 1000 - 64, "{busy} of 1000 turned away");
    assert!(started.elapsed() < scaled(Duration::from_secs(2)) + Duration::from_millis(50 * 64));
    drop(conns);
    thread::sleep(Duration::from_millis(100));
    assert_eq!(statuses(&curl(&[&served.url("/healthz")])), [200]);
    served.stop();
}

#[test]
fn a_1_mib_header_is_refused_with_431() {
    let (_backend, port) = tcp_backend();
    let served = serve(&[&format!("tcp://127.0.0.1:{port}")]);
    let mut request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    request.extend(std::iter::repeat_n(b'a', 1 << 20));
    request.extend_from_slice(b"\r\n\r\n");
    let mut s = TcpStream::connect(served.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let writer = {
        let mut s = s.try_clone().unwrap();
        thread::spawn(move || {
            let _ = s.write_all(&request);
        })
    };
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let out = String::from_utf8_lossy(&out);
    assert!(out.starts_with("HTTP/1.1 431"), "{out}");
    assert!(out.contains("8192 bytes"), "{out}");
    let _ = writer.join();
    // So does a head of too many fields.
    let mut many = b"GET /healthz HTTP/1.1\r\n".to_vec();
    for i in 0..100 {
        many.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let out = raw(&served.addr(), &many);
    assert!(
        out.starts_with("HTTP/1.1 431") && out.contains("64 header fields"),
        "{out}"
    );
    served.stop();
}

#[test]
fn an_http2_preface_then_silence_is_closed_at_the_head_limit() {
    let (_backend, port) = tcp_backend();
    let served = serve(&[&format!("tcp://127.0.0.1:{port}")]);
    let started = Instant::now();
    let mut s = TcpStream::connect(served.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1900) && took < scaled(Duration::from_secs(3)),
        "{took:?}"
    );
    // Our SETTINGS first, a GOAWAY last.
    assert_eq!(out.get(3), Some(&h2::SETTINGS), "{out:?}");
    assert_eq!(
        out.get(out.len().saturating_sub(17) + 3),
        Some(&h2::GOAWAY),
        "{out:?}"
    );
    // Half a preface, then silence: the same.
    let started = Instant::now();
    let out = raw(&served.addr(), b"PRI * HTTP/2.0\r\n");
    assert!(out.is_empty() || out.starts_with("HTTP/1.1 408"), "{out:?}");
    assert!(started.elapsed() < scaled(Duration::from_secs(3)));
    served.stop();
}

/// The error code of the GOAWAY in `out`, if there is one.
fn goaway_code(out: &[u8]) -> Option<u32> {
    let mut at = 0;
    while at + 9 <= out.len() {
        let len = u32::from_be_bytes([0, out[at], out[at + 1], out[at + 2]]) as usize;
        if out[at + 3] == h2::GOAWAY && at + 9 + 8 <= out.len() {
            let p = &out[at + 9 + 4..at + 9 + 8];
            return Some(u32::from_be_bytes([p[0], p[1], p[2], p[3]]));
        }
        at += 9 + len;
    }
    None
}

/// A connection after the preface and an empty SETTINGS.
fn h2_connection(addr: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    hello.extend(h2::frame(h2::SETTINGS, 0, 0, &[]));
    s.write_all(&hello).unwrap();
    s
}

#[test]
fn hpack_bombs_are_refused_within_the_limits() {
    let (_backend, port) = tcp_backend();
    let served = serve(&[&format!("tcp://127.0.0.1:{port}")]);
    // One 4 KiB entry in the dynamic table, then referenced 4,000 times: 16 MB decoded.
    let mut block = vec![0x40];
    h2::string(&mut block, b"x-bomb");
    h2::string(&mut block, &[b'a'; 4000]);
    for _ in 0..4000 {
        block.push(0x80 | 62);
    }
    let mut s = h2_connection(&served.addr());
    let _ = s.write_all(&h2::frame(h2::HEADERS, h2::END_HEADERS, 1, &block));
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    assert_eq!(goaway_code(&out), Some(0xb), "ENHANCE_YOUR_CALM: {out:?}");

    // Endless CONTINUATION frames: refused past 16 KiB of block.
    let mut s = h2_connection(&served.addr());
    let mut literal = Vec::new();
    h2::literal(&mut literal, "x", &[b'b'; 1000]);
    let _ = s.write_all(&h2::frame(h2::HEADERS, 0, 1, &literal));
    for _ in 0..100 {
        if s.write_all(&h2::frame(h2::CONTINUATION, 0, 1, &literal))
            .is_err()
        {
            break;
        }
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    assert_eq!(goaway_code(&out), Some(0xb), "{out:?}");

    // Endless PINGs: a request's worth of idle frames, then GOAWAY.
    let mut s = h2_connection(&served.addr());
    for _ in 0..500 {
        if s.write_all(&h2::frame(h2::PING, 0, 0, &[0; 8])).is_err() {
            break;
        }
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    assert_eq!(goaway_code(&out), Some(0xb), "{out:?}");
    // And the server still answers.
    probe(&["grpc", &served.addr()]).healthy();
    served.stop();
}

#[test]
fn listen_and_cache_come_from_their_variables_too() {
    let (_backend, port) = tcp_backend();
    let listen = format!("127.0.0.1:{}", closed_port());
    let mut child = Command::new(bin())
        .args(["serve", &format!("tcp://127.0.0.1:{port}")])
        .env("HEALTHPROBE_LISTEN", &listen)
        .env("HEALTHPROBE_CACHE", "0")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.contains(&format!("on {listen} for 1 target")),
        "{line}"
    );
    // SAFETY: kill has no memory effects; the pid is our own unreaped child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
    probe(&["serve", "--listen", "localhost:80", "tcp://127.0.0.1:1"])
        .unhealthy()
        .says("ADDR:PORT");
    probe(&["serve", "--cache", "soon", "tcp://127.0.0.1:1"]).unhealthy();
}

#[test]
fn a_port_in_use_is_one_line_and_exit_1() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    probe(&["serve", "--listen", &listen, "tcp://127.0.0.1:1"])
        .unhealthy()
        .one_line()
        .says(&format!("listen on {listen}"));
}

/// The frames in `out`: (type, flags, stream, payload).
fn frames(out: &[u8]) -> Vec<(u8, u8, u32, Vec<u8>)> {
    let mut list = Vec::new();
    let mut at = 0;
    while at + 9 <= out.len() {
        let len = u32::from_be_bytes([0, out[at], out[at + 1], out[at + 2]]) as usize;
        let stream = u32::from_be_bytes([out[at + 5], out[at + 6], out[at + 7], out[at + 8]]);
        let Some(payload) = out.get(at + 9..at + 9 + len) else {
            break;
        };
        list.push((out[at + 3], out[at + 4], stream, payload.to_vec()));
        at += 9 + len;
    }
    list
}

#[test]
fn a_second_grpc_stream_at_once_is_refused_and_the_first_answered() {
    let (_backend, port) = tcp_backend();
    let served = serve(&[&format!("tcp://127.0.0.1:{port}")]);
    let mut block = Vec::new();
    h2::literal(&mut block, ":method", b"POST");
    h2::literal(&mut block, ":scheme", b"http");
    h2::literal(&mut block, ":path", b"/grpc.health.v1.Health/Check");
    h2::literal(&mut block, ":authority", b"x");
    h2::literal(&mut block, "content-type", b"application/grpc");
    let mut s = h2_connection(&served.addr());
    let mut out = h2::frame(h2::HEADERS, h2::END_HEADERS, 1, &block);
    out.extend(h2::frame(
        h2::HEADERS,
        h2::END_HEADERS | h2::END_STREAM,
        3,
        &block,
    ));
    out.extend(h2::frame(h2::DATA, h2::END_STREAM, 1, &[0, 0, 0, 0, 0]));
    out.extend(h2::frame(h2::GOAWAY, 0, 0, &[0; 8]));
    s.write_all(&out).unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    let list = frames(&got);
    assert!(
        list.iter()
            .any(|(k, _, id, p)| *k == h2::RST_STREAM && *id == 3 && p[..] == [0, 0, 0, 7]),
        "REFUSED_STREAM for stream 3: {list:?}"
    );
    let on_1: Vec<u8> = list
        .iter()
        .filter(|f| f.2 == 1 && f.0 != h2::WINDOW_UPDATE)
        .map(|f| f.0)
        .collect();
    assert_eq!(on_1, [h2::HEADERS, h2::DATA, h2::HEADERS], "{list:?}");
    let data = list.iter().find(|f| f.0 == h2::DATA).unwrap();
    assert_eq!(data.3, [0, 0, 0, 0, 2, 0x08, 1], "SERVING");
    // The GOAWAY names stream 1 as the last taken, not the refused 3.
    let goaway = list.iter().find(|f| f.0 == h2::GOAWAY).expect("GOAWAY");
    assert_eq!(goaway.3[..4], [0, 0, 0, 1], "{list:?}");
    served.stop();
}

#[test]
fn quiet_serves_and_prints_nothing() {
    let (_backend, port) = tcp_backend();
    let listen = format!("127.0.0.1:{}", closed_port());
    let child = Command::new(bin())
        .args(["serve", "-q", "--listen", &listen])
        .arg(format!("tcp://127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while TcpStream::connect(&listen).is_err() {
        assert!(
            started.elapsed() < scaled(Duration::from_secs(5)),
            "never listened"
        );
        thread::sleep(Duration::from_millis(10));
    }
    let out = curl(&[&format!("http://{listen}/healthz")]);
    assert_eq!(statuses(&out), [200], "{out}");
    // SAFETY: kill has no memory effects; the pid is our own unreaped child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let done = child.wait_with_output().unwrap();
    assert!(done.status.success());
    assert_eq!(String::from_utf8_lossy(&done.stdout), "");
    assert_eq!(String::from_utf8_lossy(&done.stderr), "");
}

#[test]
fn targets_come_from_healthprobe_url_as_in_a_plain_run() {
    let (_backend, port) = tcp_backend();
    let listen = format!("127.0.0.1:{}", closed_port());
    let mut child = Command::new(bin())
        .args(["serve", "--listen", &listen])
        .env(
            "HEALTHPROBE_URL",
            format!("tcp://127.0.0.1:{port} tcp://127.0.0.1:{port}"),
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.ends_with("for 2 targets\n"), "{line}");
    assert_eq!(
        statuses(&curl(&[&format!("http://{listen}/healthz")])),
        [200]
    );
    // SAFETY: kill has no memory effects; the pid is our own unreaped child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
    probe(&["serve"])
        .unhealthy()
        .one_line()
        .says("HEALTHPROBE_URL");
}

#[test]
#[ignore = "needs IPv6 loopback (::1), which containers often lack; CI runs it"]
fn listens_on_ipv6_too() {
    require(has_ipv6(), "IPv6 loopback (::1)");
    let (_backend, port) = tcp_backend();
    let listen = format!("[::1]:{}", closed_port());
    let mut child = Command::new(bin())
        .args([
            "serve",
            "--listen",
            &listen,
            &format!("tcp://127.0.0.1:{port}"),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(
        line.contains(&format!("on {listen} for 1 target")),
        "{line}"
    );
    assert_eq!(
        statuses(&curl(&["-g", &format!("http://{listen}/healthz")])),
        [200]
    );
    probe(&["grpc", &listen]).healthy().says("SERVING");
    // SAFETY: kill has no memory effects; the pid is our own unreaped child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_pipelined_head_split_after_a_slow_answer_gets_its_own_head_limit() {
    // The first answer takes 2.5 s (a slow backend, --cache 0), longer than
    // the head limit; the second request's first half came with the first.
    let (port, _count) = slow_backend(Duration::from_millis(2500));
    let served = serve(&[
        &format!("http://127.0.0.1:{port}/"),
        "--cache",
        "0",
        "--timeout",
        "5s",
    ]);
    let mut s = TcpStream::connect(served.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\n")
        .unwrap();
    let first = one_response(&mut s, false);
    assert_eq!(statuses(&first), [200], "{first}");
    s.write_all(b"Host: x\r\n\r\n").unwrap();
    let second = one_response(&mut s, false);
    assert_eq!(statuses(&second), [404], "{second}");
    served.stop();
}

#[test]
fn format_json_answers_the_runs_json_object() {
    let (backend, port) = tcp_backend();
    let target = format!("tcp://127.0.0.1:{port}");
    let served = serve(&["--format", "json", &target, "--cache", "100ms"]);
    // The printed lines stay lines: a log reads them.
    let first = served
        .line(Duration::from_secs(5))
        .expect("the first verdict");
    assert!(first.starts_with("healthy: tcp"), "{first}");
    let ok = curl(&[&served.url("/healthz")]);
    assert_eq!(statuses(&ok), [200], "{ok}");
    assert!(ok.contains("Content-Type: application/json"), "{ok}");
    // What a run with --format json prints, read by jq, timings aside.
    let fields = |json: &str| {
        let mut jq = std::process::Command::new("jq")
            .args([
                "-c",
                "[.verdict, .exit_code, [.checks[] | .subject, .health]]",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("jq");
        use std::io::Write as _;
        jq.stdin
            .take()
            .expect("stdin")
            .write_all(json.as_bytes())
            .expect("write");
        let out = jq.wait_with_output().expect("jq output");
        assert!(out.status.success(), "jq refused {json:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let printed = probe(&["--format", "json", &target]);
    assert_eq!(fields(body_of(&ok)), fields(&printed.out));
    drop(backend);
    thread::sleep(Duration::from_millis(200));
    let bad = curl(&[&served.url("/healthz")]);
    assert_eq!(statuses(&bad), [503], "{bad}");
    assert!(
        fields(body_of(&bad)).starts_with("[\"unhealthy\",1,"),
        "{bad}"
    );
    served.stop();
}

#[test]
fn an_idle_kept_alive_connection_is_closed_after_5s() {
    // IDLE_LIMIT (src/serve/http1.rs): after an answer, a kept-alive
    // connection waits 5 s for its next request, then it is closed.
    let (_backend, port) = tcp_backend();
    let served = serve(&[&format!("tcp://127.0.0.1:{port}")]);
    let mut conn = TcpStream::connect(served.addr()).unwrap();
    conn.set_read_timeout(Some(scaled(Duration::from_secs(10))))
        .unwrap();
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = conn.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);
    let answered = Instant::now();
    // Nothing more comes until the close.
    loop {
        match conn.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(e) => panic!("not closed within 10 s: {e}"),
        }
    }
    let idle = answered.elapsed();
    assert!(
        idle >= Duration::from_millis(4800) && idle <= scaled(Duration::from_millis(6500)),
        "closed after {idle:?}"
    );
    served.stop();
}
