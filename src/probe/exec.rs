//! `exec PROGRAM [ARGS...]`: runs PROGRAM directly, healthy when it exits 0.
//!
//! The child gets its own process group and dies with us (parent-death
//! signal). At the deadline, or once the child has exited, the whole group is
//! killed and every process of it that came back to us (we are a child
//! subreaper) is reaped: no zombie is left where PID 1 does not reap.

use std::ffi::OsString;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::deadline::Deadline;
use crate::report::CheckReport;

/// How much of the child's output is kept; the rest is read and dropped so a
/// chatty child never blocks on a full pipe.
const KEEP_OUTPUT: usize = 2048;

#[derive(Debug, Clone)]
pub struct ExecCheck {
    pub program: OsString,
    pub args: Vec<OsString>,
}

impl ExecCheck {
    pub fn subject(&self) -> String {
        let mut s = format!("exec {}", self.program.to_string_lossy());
        for a in &self.args {
            s.push(' ');
            s.push_str(&a.to_string_lossy());
        }
        s
    }
}

pub fn check(c: &ExecCheck, deadline: &Deadline) -> CheckReport {
    let started = Instant::now();
    let mut report = CheckReport::new(c.subject());
    match run(c, deadline, &mut report) {
        Ok(status) if status.success() => {
            report.healthy = true;
            report.result = "exit 0".into();
        }
        Ok(status) => report.result = describe_status(status),
        Err(reason) => report.result = reason,
    }
    report.elapsed = started.elapsed();
    report
}

fn run(c: &ExecCheck, deadline: &Deadline, report: &mut CheckReport) -> Result<ExitStatus, String> {
    become_subreaper();
    let (reader, writer) = io::pipe().map_err(|e| format!("cannot create a pipe: {e}"))?;
    let writer2 = writer
        .try_clone()
        .map_err(|e| format!("cannot create a pipe: {e}"))?;
    let mut command = Command::new(&c.program);
    command
        .args(&c.args)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer2)
        .process_group(0);
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let spawned = command.spawn();
    drop(command); // closes our copies of the pipe's write end
    let mut child = spawned.map_err(|e| spawn_error(&c.program, &e))?;
    let group = child.id() as libc::pid_t;
    crate::signals::remember_group(group);
    report.details.push(format!("started pid {group}"));

    let mut output = Output::default();
    let status = supervise(&mut child, reader, deadline, &mut output);
    kill_group(group);
    let status = match status {
        Some(s) => Ok(s),
        None => {
            let _ = child.wait();
            Err(format!(
                "timed out after {}; killed its process group",
                deadline.budget()
            ))
        }
    };
    reap_group(group);
    crate::signals::forget_group(group);
    report
        .details
        .push(format!("output {} bytes", output.total));
    report.excerpt = Some(output.kept);
    status
}

/// Waits for the child to exit while draining its output, until the deadline.
/// Returns `None` on timeout.
fn supervise(
    child: &mut Child,
    reader: io::PipeReader,
    deadline: &Deadline,
    output: &mut Output,
) -> Option<ExitStatus> {
    let pidfd = pidfd_open(child.id());
    let mut pipe_open = true;
    let mut status = None;
    let mut killed_at: Option<Instant> = None;
    let mut reader = reader;
    loop {
        if status.is_none() {
            status = child.try_wait().ok().flatten();
        }
        if let Some(s) = status {
            if !pipe_open {
                return Some(s);
            }
            // The child is gone but something it left behind holds the pipe:
            // kill the group once, then give the pipe a moment to close.
            match killed_at {
                None => {
                    kill_group(child.id() as libc::pid_t);
                    killed_at = Some(Instant::now());
                }
                Some(t) if t.elapsed() > Duration::from_millis(50) => return Some(s),
                Some(_) => {}
            }
        }
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            return status;
        }
        // Without a pidfd, look at the child every 10ms.
        let slice = match (&pidfd, status) {
            (Some(_), None) => remaining,
            _ => remaining.min(Duration::from_millis(10)),
        };
        let mut fds = [
            libc::pollfd {
                fd: if pipe_open { reader.as_raw_fd() } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: match (&pidfd, status) {
                    (Some(fd), None) => fd.as_raw_fd(),
                    _ => -1,
                },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ms = slice.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: fds is a valid array of two pollfd for the duration of the call.
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
        if ready > 0 && pipe_open && fds[0].revents != 0 {
            let mut buf = [0u8; 8192];
            match reader.read(&mut buf) {
                Ok(0) => pipe_open = false,
                Ok(n) => output.push(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => pipe_open = false,
            }
        }
    }
}

#[derive(Default)]
struct Output {
    kept: Vec<u8>,
    total: usize,
}

impl Output {
    fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len();
        let room = KEEP_OUTPUT.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&bytes[..room.min(bytes.len())]);
    }
}

fn spawn_error(program: &OsString, e: &io::Error) -> String {
    let name = program.to_string_lossy();
    match e.kind() {
        io::ErrorKind::NotFound => format!("program not found: {name}"),
        io::ErrorKind::PermissionDenied if std::path::Path::new(program).is_dir() => {
            format!("{name} is a directory, not a program")
        }
        io::ErrorKind::PermissionDenied => format!("{name} is not executable (permission denied)"),
        _ => format!("cannot run {name}: {}", crate::net::io_reason(e)),
    }
}

fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit {code}");
    }
    match status.signal() {
        Some(sig) => format!("killed by signal {sig}{}", signal_name(sig)),
        None => "ended abnormally".into(),
    }
}

fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGHUP => " (SIGHUP)",
        libc::SIGINT => " (SIGINT)",
        libc::SIGQUIT => " (SIGQUIT)",
        libc::SIGILL => " (SIGILL)",
        libc::SIGABRT => " (SIGABRT)",
        libc::SIGBUS => " (SIGBUS)",
        libc::SIGFPE => " (SIGFPE)",
        libc::SIGKILL => " (SIGKILL)",
        libc::SIGSEGV => " (SIGSEGV)",
        libc::SIGPIPE => " (SIGPIPE)",
        libc::SIGALRM => " (SIGALRM)",
        libc::SIGTERM => " (SIGTERM)",
        _ => "",
    }
}

fn become_subreaper() {
    // SAFETY: plain prctl on our own process. Failure only means orphans go to PID 1.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1);
    }
}

fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    // SAFETY: a non-negative return is a fresh fd that we now own.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

fn kill_group(group: libc::pid_t) {
    // SAFETY: kill has no memory-safety preconditions; ESRCH (no such group) is fine.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

/// Reaps the processes of `group` that were orphaned to us (grandchildren
/// whose parent exited), after `kill_group`. Bounded: at most ~100ms.
fn reap_group(group: libc::pid_t) {
    let give_up = Instant::now() + Duration::from_millis(100);
    loop {
        let members: Vec<libc::pid_t> = our_children()
            .into_iter()
            .filter(|&p| process_group_of(p) == Some(group))
            .collect();
        if members.is_empty() {
            return;
        }
        for pid in &members {
            let mut status = 0;
            // SAFETY: waiting on our own child pid with WNOHANG.
            unsafe {
                libc::kill(*pid, libc::SIGKILL);
                libc::waitpid(*pid, &mut status, libc::WNOHANG);
            }
        }
        if Instant::now() > give_up {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Our children, from /proc/self/task/*/children.
fn our_children() -> Vec<libc::pid_t> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let mut pids = Vec::new();
    for task in tasks.flatten() {
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            pids.extend(
                list.split_whitespace()
                    .filter_map(|p| p.parse::<libc::pid_t>().ok()),
            );
        }
    }
    pids
}

fn process_group_of(pid: libc::pid_t) -> Option<libc::pid_t> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name: state, ppid, pgrp.
    stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_keeps_a_bounded_head() {
        let mut o = Output::default();
        o.push(&[b'a'; 5000]);
        o.push(b"more");
        assert_eq!((o.kept.len(), o.total), (KEEP_OUTPUT, 5004));
    }
}
