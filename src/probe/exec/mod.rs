//! `exec PROGRAM [ARGS...]`: runs PROGRAM directly (no shell), healthy when it
//! exits 0 (or with a status --expect-exit lists).
//!
//! The program gets its own process group and dies with the probe (parent-
//! death signal). When it exits, at the deadline, or when the probe is told
//! to stop, its group is killed, and then every other process it started
//! (`reaper.rs`), and all are reaped. Its output is read as it comes, so it
//! never blocks on a full pipe, and only the start is kept.

mod reaper;

use std::ffi::OsString;
use std::io::{self, Read};
use std::os::fd::BorrowedFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::process::{Pid, PidfdFlags, Signal};

use crate::deadline::Deadline;
use crate::probe::{Notes, Outcome, Probe, contains};
use crate::redacted::{Secrets, scrub};
use crate::report::shown;
use crate::signals;
use crate::values::ExitSet;

/// How much of the child's output is kept; the rest is read and dropped so a
/// chatty child never blocks on a full pipe.
const KEEP_OUTPUT: usize = 2048;
/// How much is kept for `--stdout-contains` to look at (issue 24).
const SEARCH_OUTPUT: usize = 64 * 1024;
/// How long a process that holds the output pipe after the program exited
/// may keep it, before the check ends without it.
const PIPE_GRACE: Duration = Duration::from_millis(50);
/// How long before the deadline a program still running is killed (a tenth
/// of the budget, at most this): waking, killing a process tree and reaping
/// it take scheduling rounds, and with every CPU busy each costs up to tens
/// of milliseconds (a `--timeout 1s` check once ended at 1.31 s; with this
/// reserve, by 1.0 s). The reserve keeps the probe's exit within the deadline.
const KILL_RESERVE: Duration = Duration::from_millis(100);

#[derive(Debug, Clone)]
pub struct ExecCheck {
    pub program: OsString,
    pub args: Vec<OsString>,
    /// Show the program's name only: its arguments may hold a password.
    pub redact_args: bool,
    /// issue 24: healthy only if the output's first 64 KiB hold this.
    pub stdout_contains: Option<String>,
    /// The exit statuses that count as healthy (--expect-exit; default 0).
    pub expect_exit: ExitSet,
}

impl Probe for ExecCheck {
    fn subject(&self) -> String {
        let mut s = format!("exec {}", self.program.to_string_lossy());
        if self.redact_args && !self.args.is_empty() {
            let n = self.args.len();
            let noun = if n == 1 { "argument" } else { "arguments" };
            s.push_str(&format!(" ({n} {noun} redacted)"));
            return s;
        }
        for a in &self.args {
            s.push(' ');
            s.push_str(&a.to_string_lossy());
        }
        s
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        let outcome = self.outcome(deadline, notes);
        let redacted = self.redacted();
        if !redacted.is_empty() {
            notes.excerpt = notes.excerpt.take().map(|e| scrub(&e, &redacted));
        }
        outcome
    }
}

impl ExecCheck {
    fn outcome(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        match self.run(deadline, notes) {
            Ok(Ended::Exited(status)) => match status.code() {
                Some(code) if self.expect_exit.contains(code) => self.judge_output(code, notes),
                _ if self.expect_exit.is_only_zero() => Outcome::Unhealthy(describe_status(status)),
                _ => Outcome::Unhealthy(format!(
                    "{}, not in --expect-exit {}",
                    describe_status(status),
                    self.expect_exit
                )),
            },
            Ok(Ended::TimedOut) => Outcome::Unhealthy(format!(
                "timed out after {}; killed its process group",
                deadline.budget()
            )),
            Ok(Ended::Stopped) => Outcome::NotChecked("stopped before it finished".into()),
            // Not found, not executable: the program never ran.
            Err(reason) => Outcome::NotChecked(reason),
        }
    }

    /// With --redact-args, every argument is a secret: the program may echo
    /// one (an error quoting its password, `sh -x` tracing its script), and
    /// its output is scrubbed of them like a server's echo (after
    /// --stdout-contains has looked at it). Only the output: the rest of
    /// the line is the probe's own words, and an argument `1` must not hide
    /// `exit 1`. An argument that is not UTF-8 is not matched.
    fn redacted(&self) -> Secrets<'_> {
        Secrets {
            names: Vec::new(),
            passwords: match self.redact_args {
                true => self.args.iter().filter_map(|a| a.to_str()).collect(),
                false => Vec::new(),
            },
        }
    }
}

/// How the program's run ended.
enum Ended {
    Exited(ExitStatus),
    TimedOut,
    /// SIGTERM or SIGINT reached the probe.
    Stopped,
}

impl ExecCheck {
    /// After a healthy exit status: --stdout-contains, on the output kept.
    fn judge_output(&self, code: i32, notes: &Notes) -> Outcome {
        let Some(text) = &self.stdout_contains else {
            return Outcome::Healthy(format!("exit {code}"));
        };
        let output = notes.excerpt.as_deref().unwrap_or_default();
        match contains(output, text.as_bytes()) {
            true => Outcome::Healthy(format!("exit {code}, output contains {}", shown(text))),
            false => Outcome::Unhealthy(format!(
                "exit {code}, but {} not in the first {} bytes of its output",
                shown(text),
                output.len()
            )),
        }
    }

    fn run(&self, deadline: &Deadline, notes: &mut Notes) -> Result<Ended, String> {
        reaper::become_subreaper();
        let (reader, writer) = io::pipe().map_err(|e| format!("cannot create a pipe: {e}"))?;
        let writer2 = writer
            .try_clone()
            .map_err(|e| format!("cannot create a pipe: {e}"))?;
        let parent = rustix::process::getpid();
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(writer2)
            .process_group(0);
        // SAFETY: between fork and exec this only makes system calls (no
        // allocation: the errors are plain codes).
        unsafe {
            command.pre_exec(move || {
                rustix::process::set_parent_process_death_signal(Some(Signal::KILL))?;
                // The probe may have died before the line above: then no
                // signal will come, so do not start.
                if rustix::process::getppid() != Some(parent) {
                    return Err(io::ErrorKind::Other.into());
                }
                Ok(())
            });
        }
        let spawned = command.spawn();
        drop(command); // closes our copies of the pipe's write end
        let mut child = spawned.map_err(|e| spawn_error(&self.program, &e))?;
        let group = Pid::from_child(&child);
        let (guard, wake) = signals::ExecGuard::start(group.as_raw_nonzero().get());
        notes.detail(format!("started pid {}", group.as_raw_nonzero()));

        let mut output = Output {
            limit: match self.stdout_contains {
                Some(_) => SEARCH_OUTPUT,
                None => KEEP_OUTPUT,
            },
            ..Output::default()
        };
        let reserve = KILL_RESERVE.min(deadline.remaining() / 10);
        let kill_at = Deadline::ending_before(deadline, reserve);
        let ended = supervise(&mut child, reader, wake, &kill_at, &mut output);
        reaper::kill_tree(group);
        reaper::kill_group(group);
        let _ = child.wait();
        reaper::kill_and_reap_all();
        drop(guard);
        notes.detail(format!("output {} bytes", output.total));
        notes.excerpt = Some(output.kept);
        Ok(ended)
    }
}

/// Waits for the child to exit while draining its output, until the deadline
/// or a stop signal.
fn supervise(
    child: &mut Child,
    mut reader: io::PipeReader,
    wake: Option<BorrowedFd<'_>>,
    deadline: &Deadline,
    output: &mut Output,
) -> Ended {
    let pidfd = rustix::process::pidfd_open(Pid::from_child(child), PidfdFlags::empty()).ok();
    let mut pipe_open = true;
    let mut status = None;
    let mut exited_at: Option<Instant> = None;
    loop {
        if signals::stopped().is_some() {
            return Ended::Stopped;
        }
        if status.is_none() {
            status = child.try_wait().ok().flatten();
        }
        if let Some(s) = status {
            if !pipe_open {
                return Ended::Exited(s);
            }
            // The child is gone but something it left behind holds the pipe:
            // kill the group once, then give the pipe a moment to close.
            match exited_at {
                None => {
                    reaper::kill_group(Pid::from_child(child));
                    exited_at = Some(Instant::now());
                }
                Some(t) if t.elapsed() > PIPE_GRACE => return Ended::Exited(s),
                Some(_) => {}
            }
        }
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            return status.map_or(Ended::TimedOut, Ended::Exited);
        }
        // Without a pidfd, look at the child every 10ms.
        let watching_pidfd = pidfd.is_some() && status.is_none();
        let slice = if watching_pidfd {
            remaining
        } else {
            remaining.min(Duration::from_millis(10))
        };
        let timeout = Timespec {
            tv_sec: slice.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: slice.subsec_nanos() as _, // below 10^9: fits any integer type
        };
        let mut fds = Vec::with_capacity(3);
        if pipe_open {
            fds.push(PollFd::new(&reader, PollFlags::IN));
        }
        if let (Some(fd), true) = (&pidfd, watching_pidfd) {
            fds.push(PollFd::new(fd, PollFlags::IN));
        }
        if let Some(fd) = wake {
            fds.push(PollFd::from_borrowed_fd(fd, PollFlags::IN));
        }
        let ready = rustix::event::poll(&mut fds, Some(&timeout)).unwrap_or(0);
        let pipe_ready = pipe_open && ready > 0 && !fds[0].revents().is_empty();
        drop(fds);
        if pipe_ready {
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
    /// How much to keep.
    limit: usize,
}

impl Output {
    fn push(&mut self, bytes: &[u8]) {
        self.total = self.total.saturating_add(bytes.len());
        let room = self.limit.saturating_sub(self.kept.len());
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
    const NAMES: [(i32, &str); 12] = [
        (1, " (SIGHUP)"),
        (2, " (SIGINT)"),
        (3, " (SIGQUIT)"),
        (4, " (SIGILL)"),
        (6, " (SIGABRT)"),
        (7, " (SIGBUS)"),
        (8, " (SIGFPE)"),
        (9, " (SIGKILL)"),
        (11, " (SIGSEGV)"),
        (13, " (SIGPIPE)"),
        (14, " (SIGALRM)"),
        (15, " (SIGTERM)"),
    ];
    NAMES
        .iter()
        .find(|(n, _)| *n == sig)
        .map_or("", |(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_keeps_a_bounded_head() {
        let mut o = Output {
            limit: KEEP_OUTPUT,
            ..Output::default()
        };
        o.push(&[b'a'; 5000]);
        o.push(b"more");
        assert_eq!((o.kept.len(), o.total), (KEEP_OUTPUT, 5004));
    }

    #[test]
    fn arguments_can_be_kept_out_of_the_line() {
        let check = |redact_args| ExecCheck {
            program: "mysqladmin".into(),
            args: vec!["-phunter2".into(), "ping".into()],
            redact_args,
            stdout_contains: None,
            expect_exit: ExitSet::default(),
        };
        assert_eq!(check(false).subject(), "exec mysqladmin -phunter2 ping");
        assert_eq!(
            check(true).subject(),
            "exec mysqladmin (2 arguments redacted)"
        );
        let one = ExecCheck {
            args: vec!["-phunter2".into()],
            ..check(true)
        };
        assert_eq!(one.subject(), "exec mysqladmin (1 argument redacted)");
    }
}
