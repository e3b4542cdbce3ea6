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
