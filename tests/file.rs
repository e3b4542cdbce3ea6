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
