//! Leaving nothing behind: every process an exec check's program started is
//! killed and reaped before the probe reports, where PID 1 reaps nothing.
//!
//! The probe is a child subreaper, so whatever its program starts comes back
//! to it as a child when its own parent exits, whichever process group or
//! session it moved to (`setsid`, `setpgrp`). Killing our children round
//! after round (each killed one hands its own children to us) therefore
//! reaches the whole tree, and reaping them leaves no zombie.

use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, WaitOptions};

/// How long the cleanup may take at most.
const CLEANUP_LIMIT: Duration = Duration::from_millis(100);

/// Makes orphans of our descendants come back to us instead of going to PID 1.
/// Failure only means they go to PID 1, as without the probe.
pub fn become_subreaper() {
    let _ = rustix::process::set_child_subreaper(Some(rustix::process::getpid()));
}

pub fn kill_group(group: Pid) {
    // ESRCH (the group is gone already) is fine.
    let _ = rustix::process::kill_process_group(group, Signal::KILL);
}

/// Kills every child of ours, and the children they hand to us as they die,
/// and reaps them all, for at most [`CLEANUP_LIMIT`]. Call it after the exec
/// check's own child has been waited for: it reaps any child.
pub fn kill_and_reap_all() {
    let give_up = Instant::now() + CLEANUP_LIMIT;
    loop {
        let children = our_children();
        if children.is_empty() {
            return;
        }
        for &pid in &children {
            let _ = rustix::process::kill_process(pid, Signal::KILL);
        }
        // Reap whatever has died; the rest is looked at again next round.
        while let Ok(Some(_)) = rustix::process::wait(WaitOptions::NOHANG) {}
        if Instant::now() > give_up {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Our children, from /proc/self/task/*/children (zombies included).
fn our_children() -> Vec<Pid> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let mut pids = Vec::new();
    for task in tasks.flatten() {
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            pids.extend(
                list.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok())
                    .filter_map(Pid::from_raw),
            );
        }
    }
    pids
}
