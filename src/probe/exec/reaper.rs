//! Leaving nothing behind: every process an exec check's program started is
//! killed and reaped before the probe reports, where PID 1 reaps nothing.
//!
//! The probe is a child subreaper, so whatever its program starts comes back
//! to it as a child when its own parent exits, whichever process group or
//! session it moved to (`setsid`, `setpgrp`). Killing our children round
//! after round (each killed one hands its own children to us) therefore
//! reaches the whole tree, and reaping them leaves no zombie.

use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::process::{Pid, PidfdFlags, Signal, WaitOptions};

/// How long the cleanup may take at most.
const CLEANUP_LIMIT: Duration = Duration::from_millis(100);
/// Processes [`kill_tree`] looks for at most (each costs a read of /proc).
const MAX_TREE: usize = 256;

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
/// check's own child has been waited for: it reaps any child. Between rounds
/// it waits on the killed children's pidfds, so it wakes as soon as one is
/// gone rather than after a sleep, which on a busy machine lasts longer
/// than asked.
pub fn kill_and_reap_all() {
    let give_up = Instant::now() + CLEANUP_LIMIT;
    loop {
        // Reap whatever has died; the rest is looked at again next round.
        while let Ok(Some(_)) = rustix::process::wait(WaitOptions::NOHANG) {}
        let children = our_children();
        if children.is_empty() {
            return;
        }
        let mut pidfds = Vec::with_capacity(children.len());
        for &pid in &children {
            pidfds.extend(rustix::process::pidfd_open(pid, PidfdFlags::empty()).ok());
            let _ = rustix::process::kill_process(pid, Signal::KILL);
        }
        let left = give_up.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        // Without pidfds (kernels before 5.3), look again in a millisecond.
        let slice = match pidfds.is_empty() {
            true => left.min(Duration::from_millis(1)),
            false => left,
        };
        let timeout = Timespec {
            tv_sec: 0,
            tv_nsec: slice.subsec_nanos() as _, // CLEANUP_LIMIT is below a second
        };
        let mut fds: Vec<PollFd<'_>> = pidfds
            .iter()
            .map(|fd| PollFd::new(fd, PollFlags::IN))
            .collect();
        let _ = rustix::event::poll(&mut fds, Some(&timeout));
    }
}

/// Our children, from /proc/self/task/*/children (zombies included).
fn our_children() -> Vec<Pid> {
    children_of("self")
}

/// The children of process `pid` (`self` for ours), from its tasks'
/// `children` files (zombies included).
fn children_of(pid: &str) -> Vec<Pid> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
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

/// Kills `root`'s whole tree at once, at most [`MAX_TREE`] processes: its
/// descendants die together instead of one generation per round (a killed
/// parent's children come back to us only once it is gone), which on a busy
/// machine is a scheduling delay per generation. What it misses (a process
/// started meanwhile, a tree larger than that) [`kill_and_reap_all`] gets.
pub fn kill_tree(root: Pid) {
    let mut found = vec![root];
    let mut next = 0;
    while next < found.len() && found.len() < MAX_TREE {
        let pid = found[next];
        next += 1;
        let room = MAX_TREE - found.len();
        found.extend(
            children_of(&pid.as_raw_nonzero().to_string())
                .into_iter()
                .take(room),
        );
    }
    for pid in found {
        let _ = rustix::process::kill_process(pid, Signal::KILL);
    }
}
