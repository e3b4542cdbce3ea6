//! `wait TARGET... [-- PROGRAM]`: retry until healthy, then run PROGRAM in place.
//! Also: no deadline (`--timeout 0`), each attempt's deadline, backoff
//! (measured by when a server accepted each attempt), --invert, and lines
//! that say what really happened.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::*;

#[test]
fn waits_for_a_port_that_opens_later_then_runs_the_program() {
    let port = closed_port();
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(700));
        let l = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let _held: Vec<_> = l.incoming().take(50).collect();
    });
    let r = probe(&[
        "wait",
        "--timeout",
        "10s",
        "--interval",
        "100ms",
        &format!("tcp://127.0.0.1:{port}"),
        "--",
        "sh",
        "-c",
        "echo app started; exit 0",
    ]);
    r.healthy()
        .says("wait: unhealthy: tcp 127.0.0.1:")
        .says("connection refused")
        .says("wait: healthy: tcp")
        .says("app started");
    // One line per change of state, not per attempt.
    assert_eq!(r.out.matches("connection refused").count(), 1, "{}", r.out);
    assert!(r.took >= Duration::from_millis(600), "{:?}", r.took);
}

#[test]
fn the_program_replaces_the_probe_and_its_exit_code_is_the_result() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("tcp://127.0.0.1:{}", l.local_addr().unwrap().port());
    // `exec` keeps the pid: the program's $PPID is our test process, not a healthprobe.
    let r = probe(&["wait", &target, "--", "sh", "-c", "exit 2"]);
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn gives_up_at_the_deadline() {
    let dead = format!("tcp://127.0.0.1:{}", closed_port());
    probe(&[
        "wait",
        "--timeout",
        "800ms",
        "--interval",
        "100ms",
        &dead,
        "--",
        "sh",
        "-c",
        "echo must not run",
    ])
    .unhealthy()
    .says("past the 800ms deadline")
    .never_says("must not run")
    .by_deadline(Duration::from_millis(800));
}

#[test]
fn without_a_program_it_exits_0_once_healthy() {
    let s = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    probe(&["wait", &s.url("/")])
        .healthy()
        .one_line()
        .says("wait: healthy: GET");
}

/// A loopback server that notes when it accepted each connection and
/// handles it with `answer` (on the accepting thread: attempts come one at a
/// time).
struct Accepts {
    port: u16,
    times: Arc<Mutex<Vec<Instant>>>,
}

impl Accepts {
    fn start(answer: fn(TcpStream)) -> Accepts {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let times = Arc::new(Mutex::new(Vec::new()));
        let noted = times.clone();
        thread::spawn(move || {
            for stream in l.incoming().flatten() {
                noted.lock().unwrap().push(Instant::now());
                thread::spawn(move || answer(stream));
            }
        });
        Accepts { port, times }
    }

    /// The pauses between accepted connections, in ms.
    fn gaps_ms(&self) -> Vec<u128> {
        let t = self.times.lock().unwrap();
        t.windows(2).map(|w| (w[1] - w[0]).as_millis()).collect()
    }
}

/// Reads the request head and answers 503.
fn unavailable(mut s: TcpStream) {
    let _ = common::read_head(&s);
    let _ = s.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
}

/// Accepts and says nothing for 30 s.
fn silent(mut s: TcpStream) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let mut sink = [0u8; 1024];
    while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
}

/// `gave up after 1.03s` -> 1.03 s.
fn gave_up_after(out: &str) -> Duration {
    let rest = out.split("gave up after ").nth(1).expect("a give-up line");
    let word = rest.split(':').next().unwrap();
    match word.strip_suffix("ms") {
        Some(ms) => Duration::from_secs_f64(ms.parse::<f64>().unwrap() / 1000.0),
        None => Duration::from_secs_f64(word.trim_end_matches('s').parse().unwrap()),
    }
}

#[test]
fn giving_up_says_the_next_attempt_no_longer_fitted_and_how_long_it_really_took() {
    // issue 27 item 13: it used to print "gave up after 2s" at 1.03 s.
    let dead = format!("tcp://127.0.0.1:{}", closed_port());
    let r = probe(&["wait", "--timeout", "2s", "--interval", "1s", &dead]);
    r.unhealthy()
        .says("the next attempt, after a 1s pause, would start past the 2s deadline")
        .never_says("gave up after 2s");
    let said = gave_up_after(&r.out);
    assert!(
        said >= Duration::from_millis(1000) && said < Duration::from_millis(1900),
        "{said:?}: {r:?}"
    );
    // The line rounds to 10 ms.
    assert!(
        said <= r.took + Duration::from_millis(5),
        "{said:?} is longer than the run: {r:?}"
    );
    r.by_deadline(Duration::from_millis(1000));
}

#[test]
fn sigterm_during_the_pause_says_it_was_stopped_while_waiting() {
    // issue 27 item 13: the line said "before the check finished".
    let dead = format!("tcp://127.0.0.1:{}", closed_port());
    let child = spawn(&["wait", "--timeout", "30s", "--interval", "10s", &dead]);
    thread::sleep(Duration::from_millis(600));
    let signalled = Instant::now();
    // SAFETY: kill on the pid of our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let took = signalled.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("wait: stopped by SIGTERM while waiting to try again, after ")
            && text.contains("and 1 failed attempt\n")
            && !text.contains("before the check finished"),
        "{text}"
    );
    assert!(took < scaled(Duration::from_millis(500)), "{took:?}");
}

#[test]
fn timeout_0_waits_without_a_deadline_until_ready() {
    let port = closed_port();
    let mut child = spawn(&[
        "wait",
        "--timeout",
        "0",
        "--interval",
        "50ms",
        &format!("tcp://127.0.0.1:{port}"),
    ]);
    // Well past one --attempt-timeout and many attempts, it is still waiting.
    thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "ended on its own");
    let l = TcpListener::bind(("127.0.0.1", port)).unwrap();
    thread::spawn(move || {
        let _held: Vec<_> = l.incoming().take(50).collect();
    });
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("wait: healthy: tcp"), "{text}");
}

#[test]
fn timeout_0_is_for_wait_only_and_the_error_says_why() {
    probe(&["--timeout", "0", "tcp://127.0.0.1:1"])
        .unhealthy()
        .one_line()
        .says("--timeout 0s: no deadline is for `wait` only");
    probe_env(&["tcp://127.0.0.1:1"], &[("HEALTHPROBE_TIMEOUT", "0")])
        .unhealthy()
        .one_line()
        .says("HEALTHPROBE_TIMEOUT=0s: no deadline is for `wait` only");
}

#[test]
fn each_attempt_has_its_own_deadline() {
    let server = Accepts::start(silent);
    let r = probe(&[
        "wait",
        "--timeout",
        "2s",
        "--attempt-timeout",
        "300ms",
        "--interval",
        "100ms",
        &format!("http://127.0.0.1:{}/", server.port),
    ]);
    r.unhealthy()
        .says("timed out")
        .by_deadline(Duration::from_secs(2));
    // Attempts start every 300 ms + 100 ms: several fit in 2 s, not one.
    let gaps = server.gaps_ms();
    assert!(gaps.len() >= 2, "{gaps:?}: {r:?}");
    for gap in &gaps {
        assert!((380..900).contains(gap), "{gaps:?}");
    }
}

#[test]
fn backoff_doubles_the_pause_up_to_max_interval() {
    let server = Accepts::start(unavailable);
    let url = format!("http://127.0.0.1:{}/", server.port);
    let r = probe(&[
        "wait",
        "--timeout",
        "2500ms",
        "--interval",
        "100ms",
        "--backoff",
        "--max-interval",
        "400ms",
        &url,
    ]);
    r.unhealthy().says("503").says("after a 400ms pause");
    // Pauses 100, 200, 400, 400 ms (plus an attempt's few ms each), as the
    // server saw the attempts arrive; bounded above for a busy machine.
    let gaps = server.gaps_ms();
    assert!(gaps.len() >= 4, "{gaps:?}: {r:?}");
    let want = [100, 200, 400, 400];
    for (gap, want) in gaps.iter().zip(want) {
        assert!(
            *gap >= want - 5 && *gap < want + 250,
            "pauses {gaps:?}, wanted about {want:?}"
        );
    }
    assert!(gaps[2] > 2 * gaps[0] + 100, "{gaps:?}");

    // Without --backoff, every pause is --interval.
    let steady = Accepts::start(unavailable);
    let url = format!("http://127.0.0.1:{}/", steady.port);
    probe(&["wait", "--timeout", "1s", "--interval", "100ms", &url]).unhealthy();
    let gaps = steady.gaps_ms();
    assert!(gaps.len() >= 5, "{gaps:?}");
    assert!(gaps.iter().all(|g| (95..350).contains(g)), "{gaps:?}");
}

#[test]
fn max_interval_below_interval_is_a_usage_error() {
    probe(&[
        "wait",
        "--backoff",
        "--interval",
        "2s",
        "--max-interval",
        "1s",
        "tcp://127.0.0.1:1",
    ])
    .unhealthy()
    .one_line()
    .says("--max-interval 1s is below --interval 2s");
    probe(&[
        "wait",
        "--backoff",
        "--interval",
        "20s",
        "tcp://127.0.0.1:1",
    ])
    .unhealthy()
    .says("--max-interval 10s (the default) is below --interval 20s");
}

#[test]
fn with_invert_it_waits_until_the_port_is_released() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(700));
        drop(l);
    });
    let r = probe(&[
        "wait",
        "--invert",
        "--timeout",
        "5s",
        "--interval",
        "100ms",
        &format!("tcp://127.0.0.1:{port}"),
    ]);
    r.healthy()
        .says("wait: unhealthy: tcp 127.0.0.1:")
        .says("up, but --invert asks for down")
        .says("wait: healthy: tcp")
        .says("down, as --invert asks: connection refused");
    assert!(r.took >= Duration::from_millis(600), "{r:?}");
}

#[test]
fn with_invert_a_target_that_does_not_answer_in_time_counts_as_down() {
    let server = Accepts::start(silent);
    probe(&[
        "wait",
        "--invert",
        "--attempt-timeout",
        "300ms",
        &format!("http://127.0.0.1:{}/", server.port),
    ])
    .healthy()
    .says("down, as --invert asks")
    .says("timed out")
    .within(Duration::from_secs(2));
}

#[test]
fn an_attempt_cut_short_by_the_deadline_reads_in_whole_milliseconds() {
    // issue 27 item 13: "timed out after 999ms 995us 543ns".
    let server = Accepts::start(silent);
    let r = probe(&[
        "wait",
        "--timeout",
        "700ms",
        &format!("http://127.0.0.1:{}/", server.port),
    ]);
    r.unhealthy().says("timed out after ");
    assert!(
        !r.out.contains("us ") && !r.out.contains("ns "),
        "sub-millisecond durations: {r:?}"
    );
}
