//! `file PATH [--max-age D]`: heartbeat files.

mod common;

use std::fs::File;
use std::time::{Duration, SystemTime};

use common::*;

fn heartbeat(age: Duration) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(unique("hp-beat-"));
    let f = File::create(&path).unwrap();
    f.set_modified(SystemTime::now() - age).unwrap();
    path
}

#[test]
fn an_existing_file_is_healthy() {
    let path = heartbeat(Duration::from_secs(3600));
    probe(&["file", path.to_str().unwrap()])
        .healthy()
        .one_line()
        .says("modified 1h ago");
    let _ = std::fs::remove_file(path);
}

#[test]
fn a_missing_file_is_unhealthy() {
    let path = std::env::temp_dir().join(unique("hp-nobeat-"));
    probe(&["file", path.to_str().unwrap()])
        .unhealthy()
        .one_line()
        .says("does not exist");
}

#[test]
fn max_age_decides_by_modification_time() {
    let fresh = heartbeat(Duration::from_secs(5));
    let stale = heartbeat(Duration::from_secs(120));
    probe(&["file", fresh.to_str().unwrap(), "--max-age", "1m"])
        .healthy()
        .says("modified 5s ago");
    probe(&["file", stale.to_str().unwrap(), "--max-age", "1m"])
        .unhealthy()
        .says("last modified 2m ago, more than 1m");
    probe_env(
        &["file", stale.to_str().unwrap()],
        &[("HEALTHPROBE_MAX_AGE", "10m")],
    )
    .healthy();
    let _ = std::fs::remove_file(fresh);
    let _ = std::fs::remove_file(stale);
}

/// A fresh file holding `content`.
fn file_with(content: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(unique("hp-content-"));
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn an_empty_file_is_healthy_unless_its_content_is_asked_about() {
    let empty = file_with(b"");
    let p = empty.to_str().unwrap();
    // `touch` heartbeats are empty: plain `file` is about existence.
    probe(&["file", p]).healthy();
    for extra in [
        &["--non-empty"][..],
        &["--contains", "x"],
        &["--min-size", "0"],
        &["--max-size", "1K"],
    ] {
        let mut args = vec!["file", p];
        args.extend_from_slice(extra);
        probe(&args).unhealthy().one_line().says("is empty");
    }
    probe_env(&["file", p], &[("HEALTHPROBE_NON_EMPTY", "true")]).unhealthy();
    let _ = std::fs::remove_file(empty);
}

#[test]
fn contains_reads_the_first_64_kib() {
    let ready = file_with(b"state=ready\n");
    let p = ready.to_str().unwrap();
    probe(&["file", p, "--contains", "ready"])
        .healthy()
        .one_line()
        .says(r#"12 bytes, contains "ready""#);
    probe(&["file", p, "--contains", "busy"])
        .unhealthy()
        .says(r#""busy" not in its first 12 bytes"#)
        .says(": state=ready");
    probe_env(&["file", p], &[("HEALTHPROBE_CONTAINS", "state=")]).healthy();
    // Beyond 64 KiB is not looked at; a large file costs no memory.
    let mut late = vec![b'a'; 64 * 1024];
    late.extend_from_slice(b"ready");
    let late = file_with(&late);
    probe(&["file", late.to_str().unwrap(), "--contains", "ready"])
        .unhealthy()
        .says("not in its first 65536 bytes");
    let big = file_with(b"");
    std::fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    probe(&["file", big.to_str().unwrap(), "--contains", "ready"])
        .unhealthy()
        .says("not in its first 65536 bytes (of 1073741824)")
        .within(Duration::from_secs(2));
    for f in [ready, late, big] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn sizes_are_bytes_or_k_m_g_of_1024() {
    let f = file_with(&[b'x'; 2000]);
    let p = f.to_str().unwrap();
    probe(&["file", p, "--min-size", "1K", "--max-size", "2000"])
        .healthy()
        .says("2000 bytes");
    probe(&["file", p, "--min-size", "2KiB"])
        .unhealthy()
        .says("2000 bytes, less than --min-size 2048");
    probe(&["file", p, "--max-size", "1k"])
        .unhealthy()
        .says("2000 bytes, more than --max-size 1024");
    probe_env(&["file", p], &[("HEALTHPROBE_MAX_SIZE", "1M")]).healthy();
    for bad in ["1KB", "1.5K", "lots", "1T"] {
        probe(&["file", p, "--min-size", bad])
            .unhealthy()
            .one_line()
            .says("invalid value");
    }
    let _ = std::fs::remove_file(f);
}

#[test]
fn content_is_read_from_regular_files_only() {
    let fifo = std::env::temp_dir().join(unique("hp-fifo-"));
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let p = fifo.to_str().unwrap();
    // Nobody writes to it: opening it for reading must not wait.
    probe(&["--timeout", "5s", "file", p, "--contains", "x"])
        .unhealthy()
        .one_line()
        .says("not a regular file (a FIFO)")
        .within(Duration::from_secs(2));
    probe(&["file", p]).healthy();
    probe(&["file", "/tmp", "--non-empty"])
        .unhealthy()
        .says("not a regular file (a directory)");
    let _ = std::fs::remove_file(fifo);
}

/// A file dated past 2038 (here 2040-01-01): 64-bit file times and clock on
/// every target. The 32-bit artifacts once read it through musl's 32-bit
/// time_t functions and said "last modified 123 years ago".
#[test]
fn a_file_dated_2040_is_modified_in_the_future() {
    let path = std::env::temp_dir().join(unique("hp-beat-2040-"));
    let f = File::create(&path).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(2_208_988_800))
        .unwrap();
    probe(&["file", path.to_str().unwrap(), "--max-age", "1m"])
        .healthy()
        .one_line()
        .says(" in the future");
    let _ = std::fs::remove_file(path);
}

/// A file dated before 1970 (here 1960-01-01) is as old as it is.
#[test]
fn a_file_dated_1960_is_decades_old() {
    let path = std::env::temp_dir().join(unique("hp-beat-1960-"));
    let f = File::create(&path).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH - Duration::from_secs(315_619_200))
        .unwrap();
    probe(&["file", path.to_str().unwrap(), "--max-age", "1m"])
        .unhealthy()
        .one_line()
        .says("last modified 6");
    let _ = std::fs::remove_file(path);
}

/// `grep -qF TEXT PATH`: the oracle for what a file holds.
fn grep_finds(text: &str, path: &str) -> bool {
    std::process::Command::new("grep")
        .args(["-qF", "--", text, path])
        .status()
        .expect("grep")
        .success()
}

#[test]
fn files_the_kernel_says_are_empty_are_read_as_grep_reads_them() {
    // issue 27: /proc files have size 0 in their metadata and content when read.
    for (path, text) in [("/proc/self/status", "Name:"), ("/proc/mounts", " / ")] {
        assert!(grep_finds(text, path), "grep -qF {text:?} {path}");
        probe(&["file", path, "--contains", text])
            .healthy()
            .one_line()
            .says("bytes, contains");
        probe(&["file", path, "--non-empty"]).healthy();
        probe(&["file", path, "--min-size", "10"]).healthy();
        probe(&["file", path, "--max-size", "10"])
            .unhealthy()
            .says("at least 11 bytes, more than --max-size 10");
        let absent = "no such text 8c1f";
        assert!(!grep_finds(absent, path));
        probe(&["file", path, "--contains", absent])
            .unhealthy()
            .says("not in its first");
    }
}
