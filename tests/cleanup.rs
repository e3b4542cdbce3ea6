//! No process of an exec check outlives the probe: not the program, not what
//! it started in its process group, not what left the group (setsid,
//! setpgrp), and no zombie either, where PID 1 reaps nothing.
//!
//! This test binary makes itself a child subreaper, as a container's init
//! would be if it reaped nothing: whatever the probe leaves behind comes to
//! it, so a survivor, or a zombie nobody reaped, is found by name.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Once;
use std::thread;
use std::time::{Duration, Instant};

use common::*;

/// Orphans of the probe come to this process instead of PID 1.
fn become_subreaper() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: prctl on our own process, plain integer arguments.
        let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        assert_eq!(rc, 0, "PR_SET_CHILD_SUBREAPER");
    });
}

/// A copy of `sleep` with a name of its own, visible in /proc/PID/stat even
/// as a zombie (whose command line is empty).
fn sleeper() -> (PathBuf, String) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("hpz{}{}", std::process::id() % 1000, nanos % 1_000_000);
    let path = std::env::temp_dir().join(&name);
    std::fs::copy("/bin/sleep", &path).expect("copy /bin/sleep");
    (path, name)
}

/// Processes named `name`, with their state (`Z` for a zombie).
fn named(name: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) {
            let comm = stat.split_once('(').and_then(|(_, r)| r.rsplit_once(')'));
            if let Some((comm, rest)) = comm
                && comm == name
            {
                found.push(format!(
                    "{} {}",
                    entry.file_name().to_string_lossy(),
                    rest.trim()
                ));
            }
        }
    }
    found
}

/// Nothing named `name` is left, running or zombie, a moment after the probe.
fn nothing_left(name: &str) {
    let until = Instant::now() + Duration::from_millis(500);
    let mut left = named(name);
    while !left.is_empty() && Instant::now() < until {
        thread::sleep(Duration::from_millis(20));
        left = named(name);
    }
    assert_eq!(left, Vec::<String>::new(), "left behind by the probe");
}

#[test]
fn a_program_that_left_the_group_with_setsid_is_killed_and_reaped() {
    become_subreaper();
    let (path, name) = sleeper();
    let script = format!("setsid {} 30 & sleep 0.2", path.display());
    probe(&["--timeout", "5s", "exec", "--", "sh", "-c", &script])
        .healthy()
        .one_line();
    nothing_left(&name);
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_program_that_left_the_group_with_setpgrp_is_killed_and_reaped() {
    become_subreaper();
    let (path, name) = sleeper();
    let script = format!(
        "perl -e 'setpgrp(0, 0); exec \"{}\", \"30\"' & sleep 0.2",
        path.display()
    );
    require(
        Command::new("perl").arg("-v").output().is_ok(),
        "perl, for setpgrp",
    );
    probe(&["--timeout", "5s", "exec", "--", "sh", "-c", &script])
        .healthy()
        .one_line();
    nothing_left(&name);
    let _ = std::fs::remove_file(path);
}

#[test]
fn at_the_deadline_everything_the_program_started_is_killed_and_reaped() {
    become_subreaper();
    let (path, name) = sleeper();
    let p = path.display();
    let script = format!("setsid {p} 30 & {p} 30 & sleep 30");
    probe(&["--timeout", "500ms", "exec", "--", "sh", "-c", &script])
        .unhealthy()
        .says("timed out after 500ms")
        .by_deadline(Duration::from_millis(500));
    nothing_left(&name);
    let _ = std::fs::remove_file(path);
}

#[test]
fn sigterm_during_an_exec_check_kills_and_reaps_everything_first() {
    become_subreaper();
    let (path, name) = sleeper();
    let p = path.display();
    let script = format!("setsid {p} 30 & {p} 30 & sleep 30");
    let child = spawn(&["--timeout", "10s", "exec", "--", "sh", "-c", &script]);
    thread::sleep(Duration::from_millis(300));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "unhealthy: stopped by SIGTERM before the check finished\n"
    );
    nothing_left(&name);
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_probe_killed_as_it_starts_its_program_leaves_nothing_running() {
    // The program dies with the probe (parent-death signal), also when the
    // probe dies between fork and the signal being set: it checks its parent.
    let marker = format!("305.{}", unique(""));
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..40 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut child = spawn(&["exec", "--", "sleep", &marker]);
        thread::sleep(Duration::from_micros(state % 3000));
        let _ = child.kill();
        let _ = child.wait();
    }
    let until = Instant::now() + Duration::from_millis(500);
    while !processes_with(&marker).is_empty() && Instant::now() < until {
        thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(processes_with(&marker), Vec::<String>::new());
}
