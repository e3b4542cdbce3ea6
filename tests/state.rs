//! Memory across runs (SPEC "Memory across runs", issue 29): the state
//! directory and its record, `--restart-after` against a PID 1 of the
//! test's own (a PID namespace made with `unshare -p -f --mount-proc`,
//! never this machine's PID 1), `--start-interval`, `--history` and the
//! `history` subcommand, `--format json` (jq is the oracle). Every state
//! directory is the test's own, never /dev/shm/healthprobe.

mod common;

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const OK: &str = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

/// A state directory path of this test's own (not made yet).
fn fresh_dir(prefix: &str) -> PathBuf {
    std::env::temp_dir().join(unique(prefix))
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// The one record in `dir`.
fn record_in(dir: &Path) -> PathBuf {
    let recs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rec"))
        .collect();
    assert_eq!(recs.len(), 1, "{recs:?}");
    recs[0].clone()
}

fn dead_target() -> String {
    format!("tcp://127.0.0.1:{}", closed_port())
}

/// `jq -r FILTER` on `json`: the oracle for every JSON we print.
fn jq(filter: &str, json: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("jq")
        .args(["-r", filter])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("missing prerequisite: jq");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(json.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "jq {filter} on {json:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// `healthprobe history --format json`: for a person, so not held to the
/// checks' 4 KiB (the launcher's bound); run directly.
fn history_json(dir: &str) -> String {
    let out = Command::new(bin())
        .args(["history", "--format", "json", "--state-dir", dir])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_run_that_remembers_nothing_touches_no_state() {
    let dir = fresh_dir("hp-state-plain-");
    let s_ = Server::http("127.0.0.1:0", OK);
    let url = s_.url("/");
    // --state-dir alone turns nothing on.
    probe(&["--state-dir", &s(&dir), &url]).healthy().one_line();
    probe_env(&[&url], &[("HEALTHPROBE_STATE_DIR", &s(&dir))]).healthy();
    assert!(!dir.exists(), "a plain run made {dir:?}");
    // Not one system call about it either (strace is the witness).
    let out = Command::new("strace")
        .args(["-f", "-s", "256", "-e", "trace=%file,%desc"])
        .arg(bin())
        .args(["--state-dir", &s(&dir), &url])
        .env_remove("HEALTHPROBE_HISTORY")
        .output();
    require(out.is_ok(), "strace");
    let trace = String::from_utf8_lossy(&out.unwrap().stderr).into_owned();
    // Every call after the execve that names the directory in its arguments.
    let calls: Vec<&str> = trace.lines().filter(|l| !l.contains("execve(")).collect();
    assert!(calls.len() > 3, "{trace}");
    assert!(
        !calls
            .iter()
            .any(|l| l.contains(&s(&dir)) || l.contains("flock")),
        "{trace}"
    );
}

#[test]
fn a_healthy_run_that_could_not_be_recorded_ends_the_streak() {
    // Unhealthy twice, then healthy while the record cannot be written (a
    // directory where its temporary file goes), then unhealthy once more:
    // that is one failure in a row, not three (issue 29: a healthy run
    // resets the count; --restart-after would signal on the old one).
    let dir = fresh_dir("hp-state-unrecorded-");
    let live = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("tcp://127.0.0.1:{}", live.local_addr().unwrap().port());
    let run = || probe(&["--state-dir", &s(&dir), "--history", "5", &target]);
    let record = || {
        std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "rec"))
    };
    run().healthy();
    let name = record().expect("a record");
    let blocker = PathBuf::from(format!("{}.tmp", name.display()));
    drop(live);
    run().unhealthy();
    run().unhealthy();
    let summary = probe(&["history", "--state-dir", &s(&dir)]);
    summary.says("unhealthy 2 in a row");
    let live = TcpListener::bind(target.trim_start_matches("tcp://")).unwrap();
    std::fs::create_dir(&blocker).unwrap();
    run().healthy().says("judged without recording");
    std::fs::remove_dir(&blocker).unwrap();
    drop(live);
    run().unhealthy();
    probe(&["history", "--state-dir", &s(&dir)])
        .says("unhealthy 1 in a row")
        .never_says("unhealthy 3 in a row");
}

#[test]
fn a_password_in_a_target_is_not_hashed_into_the_record() {
    // FNV-1a is fast: its hash of a URL with a password in it would let
    // whoever reads the record try passwords offline (issue 28: nothing
    // derived from a password is kept).
    let dir = fresh_dir("hp-state-pw-");
    let target = "postgres://app:Hunter2Secret@127.0.0.1:1/orders";
    probe(&["--state-dir", &s(&dir), "--history", "2", target]).unhealthy();
    let hash = format!(
        "{:016x}",
        healthprobe::state::fnv(0xcbf2_9ce4_8422_2325, target.as_bytes())
    );
    let mut records = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        records += usize::from(name.ends_with(".rec"));
        assert!(!text.contains(&hash), "{name}: {text}");
        assert!(!text.contains("Hunter2Secret"), "{name}: {text}");
    }
    assert_eq!(records, 1);
    // Nor a password given as an option: changing it keeps the record.
    let http = "http://127.0.0.1:1/health";
    for password in ["Hunter2Secret", "Other9Secret"] {
        let auth = format!("app:{password}");
        let header = format!("Authorization: Bearer {password}");
        probe(&[
            "--state-dir",
            &s(&dir),
            "--history",
            "2",
            "--basic-auth",
            &auth,
            "-H",
            &header,
            http,
        ])
        .unhealthy();
    }
    let records = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".rec"))
        .count();
    assert_eq!(
        records, 2,
        "one record for the postgres target, one for {http}"
    );
    // `history TARGET` still finds the record by the target as typed.
    probe(&["history", "--state-dir", &s(&dir), target])
        .healthy()
        .says("postgres app@127.0.0.1:1/orders")
        .never_says("Hunter2Secret");
}

#[test]
fn history_keeps_the_last_runs_and_sums_them_up() {
    let dir = fresh_dir("hp-state-hist-");
    let live = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("tcp://127.0.0.1:{}", live.local_addr().unwrap().port());
    let args = |extra: &[&str]| {
        let mut a = vec![
            "--state-dir".to_string(),
            s(&dir),
            "--history".into(),
            "3".into(),
        ];
        a.extend(extra.iter().map(|x| x.to_string()));
        a.push(target.clone());
        a
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        probe(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    run(&[]).healthy().one_line();
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "state dir mode {mode:o}");
    drop(live);
    for _ in 0..4 {
        run(&[]).unhealthy().one_line().says("connection refused");
    }
    let shown = probe(&["history", "--state-dir", &s(&dir)]);
    shown.healthy();
    let lines: Vec<&str> = shown.out.lines().collect();
    // Heading, the last three runs (newest last), the summary.
    assert_eq!(lines.len(), 5, "{shown:?}");
    assert!(lines[0].starts_with("tcp 127.0.0.1:"), "{shown:?}");
    for l in &lines[1..4] {
        assert!(
            l.contains("Z exit 1 ") && l.contains("unhealthy: tcp"),
            "{l}"
        );
    }
    assert!(
        lines[4].starts_with("unhealthy 4 in a row since ") && lines[4].contains("; last healthy "),
        "{}",
        lines[4]
    );
    assert!(
        lines[4].contains("Z: connected to 127.0.0.1:"),
        "{}",
        lines[4]
    );
    // The same as JSON, read by jq; and found by its target, whatever its options.
    let json = probe(&[
        "history",
        "--format",
        "json",
        "--state-dir",
        &s(&dir),
        &target,
    ]);
    json.healthy();
    assert_eq!(jq(".check_sets | length", &json.out), "1");
    assert_eq!(jq(".check_sets[0].runs | length", &json.out), "3");
    assert_eq!(jq(".check_sets[0].unhealthy_in_a_row", &json.out), "4");
    assert_eq!(jq(".check_sets[0].runs[2].exit_code", &json.out), "1");
    probe(&["history", "--state-dir", &s(&dir), "tcp://127.0.0.1:1"])
        .unhealthy()
        .says("no runs recorded for tcp://127.0.0.1:1");
    // A target typed with its password is named without it.
    probe(&[
        "history",
        "--state-dir",
        &s(&dir),
        "postgres://app:Hunter2Secret@127.0.0.1:1/db",
    ])
    .unhealthy()
    .says("no runs recorded for postgres://app:***@127.0.0.1:1/db")
    .never_says("Hunter2Secret");
    // Another check set in the same directory has a record of its own.
    // (-4 keeps it apart even when the kernel hands out the same closed port.)
    let other = dead_target();
    probe(&["--state-dir", &s(&dir), "--history", "2", "-4", &other]).unhealthy();
    let all = probe(&["history", "--format", "json", "--state-dir", &s(&dir)]);
    assert_eq!(jq(".check_sets | length", &all.out), "2");
    probe(&["--history", "1001", &target])
        .unhealthy()
        .says("1 to 1000");
}

#[test]
fn json_output_is_one_bounded_object_scrubbed_like_the_line() {
    let srv = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 24\r\nConnection: close\r\n\r\n{\"db\":\"down\",\"pw\":\"s3\"}",
    );
    let url = format!("http://user:s3cr3t@{}/h", srv.addr);
    let run = probe(&["--format", "json", &url]);
    run.unhealthy().one_line().never_says("s3cr3t");
    assert_eq!(jq(".verdict", &run.out), "unhealthy");
    assert_eq!(jq(".exit_code", &run.out), "1");
    assert_eq!(jq(".checks[0].health", &run.out), "unhealthy");
    assert_eq!(jq(".checks[0].result", &run.out), "503 Service Unavailable");
    assert!(jq(".checks[0].excerpt", &run.out).contains("down"));
    assert!(jq(".checks[0].ms", &run.out).parse::<f64>().is_ok());
    // The line says the same subject.
    let line = probe(&[&url]);
    let subject = jq(".checks[0].subject", &run.out);
    assert!(line.out.contains(&subject), "{subject} in {line:?}");
    // Many long targets: still one object within 4 KiB, the rest counted.
    let long: Vec<String> = (0..40)
        .map(|i| format!("http://127.0.0.1:{}/{}", closed_port(), "x".repeat(150 + i)))
        .collect();
    let mut args = vec!["--format", "json", "--timeout", "2s"];
    args.extend(long.iter().map(String::as_str));
    let many = probe_env(&args, &[]);
    assert!(many.out.len() <= 4096);
    let shown: usize = jq(".checks | length", &many.out).parse().unwrap();
    let omitted: usize = jq(".omitted // 0", &many.out).parse().unwrap();
    assert_eq!(shown + omitted, 40, "{many:?}");
    // From the environment too; a bad value is named.
    probe_env(&[&line_url(&srv)], &[("HEALTHPROBE_FORMAT", "json")]).says("{\"verdict\":");
    probe(&["--format", "yaml", &url])
        .unhealthy()
        .says("line, json");
}

fn line_url(s: &Server) -> String {
    s.url("/")
}

#[test]
fn start_interval_retries_within_the_run_until_the_first_healthy_one() {
    let dir = fresh_dir("hp-state-start-");
    let port = closed_port();
    let target = format!("tcp://127.0.0.1:{port}");
    // The app is ready 700 ms after the check starts.
    let opener = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700));
        TcpListener::bind(("127.0.0.1", port)).unwrap()
    });
    let sd = s(&dir);
    let first = probe(&[
        "--state-dir",
        &sd,
        "--start-interval",
        "100ms",
        "--timeout",
        "5s",
        &target,
    ]);
    first.healthy().one_line().says("attempts");
    assert!(
        first.took >= Duration::from_millis(650)
            && first.took < scaled(Duration::from_millis(1500)),
        "{first:?}"
    );
    let listener = opener.join().unwrap();
    drop(listener);
    // After the first healthy run, one attempt per run.
    let later = probe(&[
        "--state-dir",
        &sd,
        "--start-interval",
        "100ms",
        "--timeout",
        "5s",
        &target,
    ]);
    later
        .unhealthy()
        .never_says("attempts")
        .within(Duration::from_millis(500));
    // Without a state to keep, every run retries until its deadline.
    let file = fresh_dir("hp-state-notdir-");
    std::fs::write(&file, "not a directory").unwrap();
    let stateless = probe(&[
        "--state-dir",
        &s(&file),
        "--start-interval",
        "100ms",
        "--timeout",
        "1s",
        &target,
    ]);
    stateless
        .unhealthy()
        .says("attempts")
        .says("judged without recording")
        .by_deadline(Duration::from_secs(1));
    assert!(
        stateless.took >= Duration::from_millis(800),
        "{stateless:?}"
    );
}

#[test]
fn fifty_runs_at_once_count_exactly() {
    let dir = fresh_dir("hp-state-fifty-");
    let target = dead_target();
    let sd = s(&dir);
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..50)
            .map(|_| {
                scope.spawn(|| {
                    probe(&[
                        "--state-dir",
                        &sd,
                        "--history",
                        "100",
                        "--timeout",
                        "5s",
                        &target,
                    ])
                })
            })
            .collect();
        for r in runs {
            r.join()
                .unwrap()
                .unhealthy()
                .never_says("without recording");
        }
    });
    let json = history_json(&sd);
    assert_eq!(jq(".check_sets[0].unhealthy_in_a_row", &json), "50");
    assert_eq!(jq(".check_sets[0].runs | length", &json), "50");
}

#[test]
fn a_lock_held_too_long_means_a_verdict_without_recording() {
    use std::os::fd::AsRawFd;
    let dir = fresh_dir("hp-state-lock-");
    let target = dead_target();
    let sd = s(&dir);
    let args = [
        "--state-dir",
        &sd,
        "--history",
        "5",
        "--timeout",
        "300ms",
        &target,
    ];
    probe(&args).unhealthy();
    let rec = record_in(&dir);
    let lock = std::fs::File::open(rec.with_extension("lock")).unwrap();
    // SAFETY: flock on an open file descriptor.
    assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
    probe(&args)
        .unhealthy()
        .one_line()
        .says("judged without recording: another run held the state lock")
        .by_deadline(Duration::from_millis(300));
    drop(lock);
    let json = history_json(&sd);
    assert_eq!(jq(".check_sets[0].runs | length", &json), "1");
}

#[test]
fn what_is_planted_in_the_state_dir_is_replaced_never_followed() {
    let dir = fresh_dir("hp-state-plant-");
    let target = dead_target();
    let sd = s(&dir);
    let run = || probe(&["--state-dir", &sd, "--history", "5", &target]);
    run().unhealthy().never_says("replaced");
    let rec = record_in(&dir);
    // A symlink at the record's name: the file it points to is untouched.
    let victim = fresh_dir("hp-state-victim-");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::remove_file(&rec).unwrap();
    std::os::unix::fs::symlink(&victim, &rec).unwrap();
    run().unhealthy().one_line().says("was a symlink: replaced");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(!std::fs::symlink_metadata(&rec).unwrap().is_symlink());
    // Said once: the next run finds its own record again.
    run().unhealthy().never_says("replaced");
    // A corrupt record.
    std::fs::write(&rec, b"\x00\xffnot a record\n").unwrap();
    run().unhealthy().says("was corrupt: replaced");
    run().unhealthy().never_says("replaced");
    // A 100 MB record (sparse): not read, replaced, memory bounded (the launcher).
    let big = std::fs::OpenOptions::new().write(true).open(&rec).unwrap();
    big.set_len(100 * 1024 * 1024).unwrap();
    drop(big);
    run()
        .unhealthy()
        .says("was larger than")
        .says("bytes (104857600): replaced");
    assert!(std::fs::metadata(&rec).unwrap().len() < 64 * 1024);
    // A record of another version.
    let text = std::fs::read_to_string(&rec).unwrap();
    std::fs::write(
        &rec,
        text.replacen("healthprobe-state 1", "healthprobe-state 9", 1),
    )
    .unwrap();
    run().unhealthy().says("had version 9: replaced");
    // A FIFO at the record's name does not hang the run.
    std::fs::remove_file(&rec).unwrap();
    assert!(Command::new("mkfifo").arg(&rec).status().unwrap().success());
    run()
        .unhealthy()
        .says("was not a regular file: replaced")
        .within(Duration::from_secs(2));
}

#[test]
fn a_state_dir_that_is_not_private_is_refused_and_the_verdict_stands() {
    let live = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("tcp://127.0.0.1:{}", live.local_addr().unwrap().port());
    let dir = fresh_dir("hp-state-open-");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    probe(&["--state-dir", &s(&dir), "--history", "5", &target])
        .healthy()
        .one_line()
        .says("is writable by others (mode 777): not used");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    // A symlink as the directory.
    let real = fresh_dir("hp-state-real-");
    std::fs::create_dir(&real).unwrap();
    let link = fresh_dir("hp-state-link-");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    probe(&["--state-dir", &s(&link), "--history", "5", &target])
        .healthy()
        .says("is not a directory (a symlink?): not used");
    assert_eq!(std::fs::read_dir(&real).unwrap().count(), 0);
    if is_root() {
        let theirs = fresh_dir("hp-state-theirs-");
        std::fs::create_dir(&theirs).unwrap();
        std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
        probe(&["--state-dir", &s(&theirs), "--history", "5", &target])
            .healthy()
            .says("belongs to uid 65534, not 0: not used");
    }
    // No /dev/shm (or no parent): a note, the verdict.
    probe(&[
        "--state-dir",
        "/nonexistent/healthprobe",
        "--history",
        "5",
        &target,
    ])
    .healthy()
    .says("cannot make state dir /nonexistent/healthprobe: no such file or directory");
}

/// Runs the probe in a mount namespace where `dir` is an 8 KiB tmpfs
/// prepared by `setup` (shell).
fn in_tiny_tmpfs(dir: &Path, setup: &str, args: &[&str]) -> Run {
    std::fs::create_dir_all(dir).unwrap();
    let d = s(dir);
    let script =
        format!("mount -t tmpfs -o size=8k,mode=0700 tmpfs {d} && {setup} && exec \"$0\" \"$@\"");
    probe_wrapped(&["unshare", "-m", "sh", "-c", &script], args)
}

#[test]
#[ignore = "needs root and unshare (util-linux) for a mount namespace; CI runs it"]
fn a_read_only_or_full_state_dir_still_gives_the_verdict() {
    require(is_root(), "root, for a tmpfs in a mount namespace");
    let live = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("tcp://127.0.0.1:{}", live.local_addr().unwrap().port());
    let dir = fresh_dir("hp-state-ro-");
    let d = s(&dir);
    let ro = in_tiny_tmpfs(
        &dir,
        &format!("mount -o remount,ro {d}"),
        &["--state-dir", &d, "--history", "5", &target],
    );
    ro.healthy()
        .one_line()
        .says("judged without recording: cannot open ")
        .says("read-only file system");
    let dir = fresh_dir("hp-state-full-");
    let d = s(&dir);
    let full = in_tiny_tmpfs(
        &dir,
        &format!("(cat /dev/zero > {d}/fill 2>/dev/null; true)"),
        &["--state-dir", &d, "--history", "5", &target],
    );
    full.healthy()
        .one_line()
        .says("judged without recording: cannot write ")
        .says("no space left on device");
}

/// A PID namespace of the test's own, its PID 1 running `command`.
struct Namespace {
    unshare: Child,
    pid1: u32,
}

impl Namespace {
    /// Starts `command` as PID 1 and waits until it runs (its name is
    /// `name` and, with `handles`, its SIGTERM handler is in place).
    fn start(command: &[&str], name: &str, handles: bool) -> Namespace {
        require(is_root(), "root, for a PID namespace");
        let unshare = Command::new("unshare")
            .args(["-p", "-f", "--mount-proc", "--"])
            .args(command)
            .stdin(Stdio::null())
            .spawn();
        require(unshare.is_ok(), "unshare (util-linux)");
        // Made at once, so that Drop ends it whatever happens next.
        let mut ns = Namespace {
            unshare: unshare.unwrap(),
            pid1: 0,
        };
        let id = ns.unshare.id();
        let started = Instant::now();
        loop {
            let children = std::fs::read_to_string(format!("/proc/{id}/task/{id}/children"))
                .unwrap_or_default();
            if let Some(pid1) = children
                .split_whitespace()
                .next()
                .and_then(|p| p.parse().ok())
            {
                let status =
                    std::fs::read_to_string(format!("/proc/{pid1}/status")).unwrap_or_default();
                let named = status.lines().any(|l| l == format!("Name:\t{name}"));
                let caught = status
                    .lines()
                    .find_map(|l| l.strip_prefix("SigCgt:\t"))
                    .and_then(|m| u64::from_str_radix(m, 16).ok())
                    .is_some_and(|m| m & (1 << 14) != 0);
                if named && (caught || !handles) {
                    ns.pid1 = pid1;
                    return ns;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "PID 1 did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The probe inside the namespace (its /proc, its PID 1).
    fn probe(&self, args: &[&str]) -> Run {
        let pid = self.pid1.to_string();
        probe_wrapped(&["nsenter", "-t", &pid, "-p", "-m", "--"], args)
    }

    fn alive(&self) -> bool {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid1)).unwrap_or_default();
        !stat.is_empty() && !stat.contains(") Z ")
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        if self.pid1 != 0 {
            // SAFETY: kill has no memory preconditions; the pid is our namespace's PID 1.
            unsafe { libc::kill(self.pid1 as i32, libc::SIGKILL) };
        }
        let _ = self.unshare.kill();
        let _ = self.unshare.wait();
    }
}

#[test]
#[ignore = "needs root and unshare/nsenter (util-linux) for a PID namespace; CI runs it"]
fn restart_after_signals_a_pid1_that_handles_it_once_per_streak() {
    let dir = fresh_dir("hp-state-restart-");
    let caught = fresh_dir("hp-state-caught-");
    let script = format!(
        "trap 'echo TERM >> {}' TERM; while :; do sleep 0.05; done",
        s(&caught)
    );
    let ns = Namespace::start(&["sh", "-c", &script], "sh", true);
    let live = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = live.local_addr().unwrap().port();
    let target = format!("tcp://127.0.0.1:{port}");
    let sd = s(&dir);
    let run = || ns.probe(&["--state-dir", &sd, "--restart-after", "3", &target]);
    run().healthy();
    drop(live);
    run().unhealthy().never_says("in a row");
    run().unhealthy().never_says("in a row");
    let third = run();
    third.unhealthy().one_line();
    assert!(
        third
            .out
            .trim_end()
            .ends_with("; 3 failures in a row: sent SIGTERM to PID 1 (sh)"),
        "{third:?}"
    );
    run()
        .unhealthy()
        .says("4 failures in a row: SIGTERM was sent to PID 1 already");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(std::fs::read_to_string(&caught).unwrap(), "TERM\n");
    // A healthy run ends the streak; the next streak signals again, once.
    let live = TcpListener::bind(("127.0.0.1", port)).unwrap();
    run().healthy().never_says("in a row");
    drop(live);
    for _ in 0..2 {
        run().unhealthy();
    }
    run().unhealthy().says("3 failures in a row: sent SIGTERM");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(std::fs::read_to_string(&caught).unwrap(), "TERM\nTERM\n");
    assert!(ns.alive());
    // A restarted container (another PID 1, the same directory): counted afresh.
    drop(ns);
    let ns = Namespace::start(&["sh", "-c", &script], "sh", true);
    let run = || ns.probe(&["--state-dir", &sd, "--restart-after", "3", &target]);
    run().unhealthy().never_says("in a row");
    run().unhealthy().never_says("in a row");
    run().unhealthy().says("3 failures in a row: sent SIGTERM");
}

#[test]
#[ignore = "needs root and unshare/nsenter (util-linux) for a PID namespace; CI runs it"]
fn a_pid1_that_would_not_act_on_the_signal_is_not_sent_it() {
    let target = dead_target();
    // No handler: in its namespace, the signal would be dropped.
    let dir = fresh_dir("hp-state-nohandler-");
    let ns = Namespace::start(&["sleep", "60"], "sleep", false);
    let sd = s(&dir);
    let run = || ns.probe(&["--state-dir", &sd, "--restart-after", "2", &target]);
    run().unhealthy().never_says("in a row");
    run()
        .unhealthy()
        .one_line()
        .says("2 failures in a row: PID 1 (sleep) has no SIGTERM handler")
        .says("--init, or handle SIGTERM");
    assert!(ns.alive());
    drop(ns);
    // Named systemd: the probe is on a host, not in a container.
    let bin_dir = fresh_dir("hp-state-systemd-");
    std::fs::create_dir(&bin_dir).unwrap();
    let systemd = bin_dir.join("systemd");
    std::fs::copy("/bin/sleep", &systemd).unwrap();
    let dir = fresh_dir("hp-state-host-");
    let ns = Namespace::start(&[&s(&systemd), "60"], "systemd", false);
    let sd = s(&dir);
    ns.probe(&["--state-dir", &sd, "--restart-after", "1", &target])
        .unhealthy()
        .says("1 failure in a row: PID 1 is systemd, not a container's process: not signalled");
    assert!(ns.alive());
    // The signal is chosen; KILL is refused with the reason.
    probe(&["--restart-after", "1", "--restart-signal", "KILL", &target])
        .unhealthy()
        .says("ignores SIGKILL sent from inside it");
}

#[test]
fn one_record_per_check_set_whatever_its_spelling() {
    let dir = fresh_dir("hp-state-key-");
    let sd = s(&dir);
    let target = dead_target();
    probe(&[
        "--state-dir",
        &sd,
        "--history",
        "5",
        "--timeout",
        "2s",
        "-4",
        &target,
    ])
    .unhealthy();
    // The same check, spelled otherwise, output and memory options aside: the same record.
    probe_env(
        &["-4", "-q", "--history", "9", &target],
        &[
            ("HEALTHPROBE_TIMEOUT", "2s"),
            ("HEALTHPROBE_STATE_DIR", &sd),
        ],
    )
    .unhealthy();
    probe(&[
        "--state-dir",
        &sd,
        "--history",
        "5",
        "--format",
        "json",
        "--timeout=2s",
        "-4",
        &target,
    ])
    .unhealthy();
    let json = history_json(&sd);
    assert_eq!(jq(".check_sets | length", &json), "1", "{json}");
    assert_eq!(jq(".check_sets[0].unhealthy_in_a_row", &json), "3");
    // Another deadline is another check set: a record of its own.
    probe(&[
        "--state-dir",
        &sd,
        "--history",
        "5",
        "--timeout",
        "3s",
        "-4",
        &target,
    ])
    .unhealthy();
    assert_eq!(jq(".check_sets | length", &history_json(&sd)), "2");
}

#[test]
fn history_reads_at_most_256_records_and_says_so() {
    let dir = fresh_dir("hp-state-many-");
    let sd = s(&dir);
    probe(&["--state-dir", &sd, "--history", "1", &dead_target()]).unhealthy();
    let rec = record_in(&dir);
    for i in 0..256 {
        std::fs::copy(&rec, dir.join(format!("{i:016x}.rec"))).unwrap();
    }
    let out = Command::new(bin())
        .args(["history", "--state-dir", &sd])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("exit 1 ").count(), 256, "{text}");
    assert!(
        text.ends_with(&format!("(only the first 256 records in {sd} were read)\n")),
        "{text}"
    );
    assert_eq!(jq(".more_than_256", &history_json(&sd)), "true");
}

#[test]
fn the_record_is_keyed_without_the_passwords_it_was_given() {
    // A fast hash of a password in the state file would let whoever reads
    // it test guesses offline: credentials count by where they stand, not
    // by their value, so two runs that differ only in them share a record.
    let dir = fresh_dir("hp-state-secret-");
    let sd = s(&dir);
    let port = closed_port();
    for (password, token) in [
        ("Fir5tPassw0rd", "tok-one-123456"),
        ("Sec0ndPassw0rd", "tok-two-654321"),
    ] {
        let target = format!("http://app:{password}@127.0.0.1:{port}/");
        let header = format!("Authorization: Bearer {token}");
        probe(&[
            "--state-dir",
            &sd,
            "--history",
            "5",
            "--timeout",
            "2s",
            "-H",
            &header,
            &target,
        ])
        .unhealthy()
        .never_says(password);
    }
    let json = history_json(&sd);
    assert_eq!(jq(".check_sets | length", &json), "1", "{json}");
    assert_eq!(
        jq(".check_sets[0].unhealthy_in_a_row", &json),
        "2",
        "{json}"
    );
    // history finds it by the target with any password.
    let target = format!("http://app:Other@127.0.0.1:{port}/");
    let out = Command::new(bin())
        .args(["history", "--format", "json", "--state-dir", &sd, &target])
        .output()
        .unwrap();
    let json = String::from_utf8(out.stdout).unwrap();
    assert_eq!(jq(".check_sets | length", &json), "1", "{target}: {json}");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        for secret in ["Fir5tPassw0rd", "Sec0ndPassw0rd", "tok-one", "tok-two"] {
            assert!(!text.contains(secret), "{secret} in the state file");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
