//! SIGTERM and SIGINT end the probe within milliseconds, with exit 1 and one
//! line, whatever the moment they arrive.
//!
//! One verdict, one line: whoever prints first (main with the checks'
//! verdict, or the handler with "stopped by SIGTERM") claims the output
//! through one atomic flag, and the other stays silent (1,500 runs with
//! SIGTERM at random moments once printed two contradictory lines). While an
//! exec check runs, the handler only wakes it (a byte down a pipe that is
//! never closed, so the write can never hit a reused descriptor): the check
//! then kills and reaps everything its program started, in its process group
//! or not, and main prints the stop line. Otherwise the handler kills the
//! exec process groups it knows, prints and exits at once.
//!
//! `wait`'s pause between attempts is woken the same way, so that its line
//! says it was stopped while waiting, and after how long.
//!
//! `serve` lives until it is told to stop: once [`serve_mode`] is called the
//! handler only notes the signal and makes a pipe readable (never drained,
//! so every thread polling it sees it), and the server drains and exits 0.
//!
//! The handler is installed before Rust's runtime starts (an `.init_array`
//! entry in main.rs): what is left is the few microseconds between execve
//! and musl's start-up code, where any program dies by the signal.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// The signal that asked us to stop (0: none yet).
static STOPPED: AtomicI32 = AtomicI32::new(0);
/// Set by whoever prints the verdict line.
static REPORTED: AtomicBool = AtomicBool::new(false);
/// The write end of the wake pipe while an exec check runs (-1 otherwise).
static WAKE: AtomicI32 = AtomicI32::new(-1);
/// Process groups of running exec checks (0 = free slot).
static GROUPS: [AtomicI32; 16] = [const { AtomicI32::new(0) }; 16];

/// The write end of serve's stop pipe once serving (-1 otherwise).
static SERVE_STOP: AtomicI32 = AtomicI32::new(-1);

/// The wake pipe: created once, never closed.
static WAKE_PIPE: OnceLock<(OwnedFd, OwnedFd)> = OnceLock::new();

/// Installs the handlers. Runs before main (see main.rs) and again, harmlessly,
/// first thing in main for builds that link the library otherwise.
pub extern "C" fn install() {
    let handler: extern "C" fn(libc::c_int) = on_signal;
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: a zeroed sigaction with a valid handler address; the handler
        // only uses atomics and async-signal-safe calls (kill, write, _exit).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as usize;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// The signal that stopped the probe, if one did.
pub fn stopped() -> Option<i32> {
    match STOPPED.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// Claims the output for the verdict. `false`: the signal handler has claimed
/// it and is ending the process; print nothing.
pub fn claim_report() -> bool {
    !REPORTED.swap(true, Ordering::SeqCst)
}

/// The line printed when a signal stopped the checks.
pub fn stop_line(sig: i32) -> &'static str {
    if sig == libc::SIGINT {
        "unhealthy: stopped by SIGINT before the check finished\n"
    } else {
        "unhealthy: stopped by SIGTERM before the check finished\n"
    }
}

/// An exec check in progress: while it lives, a signal wakes `wake_fd()`
/// instead of ending the process, and its process group is known.
pub struct ExecGuard {
    group: i32,
}

impl ExecGuard {
    /// The read end of the wake pipe, for the check to poll; `None` if no
    /// pipe could be made (the handler then ends the process itself).
    pub fn start(group: i32) -> (ExecGuard, Option<BorrowedFd<'static>>) {
        for slot in &GROUPS {
            if slot
                .compare_exchange(0, group, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                break;
            }
        }
        let pipe = wake_pipe();
        if let Some((_, write)) = pipe {
            WAKE.store(write.as_raw_fd(), Ordering::SeqCst);
        }
        (ExecGuard { group }, pipe.map(|(read, _)| read.as_fd()))
    }
}

impl Drop for ExecGuard {
    fn drop(&mut self) {
        WAKE.store(-1, Ordering::SeqCst);
        for slot in &GROUPS {
            let _ = slot.compare_exchange(self.group, 0, Ordering::SeqCst, Ordering::SeqCst);
        }
    }
}

/// Sleeps for `pause`, unless SIGTERM or SIGINT comes first: then returns
/// the signal, and the caller reports (the handler only wakes the sleeper).
pub fn pause(pause: std::time::Duration) -> Option<i32> {
    let Some((read, write)) = wake_pipe() else {
        // No pipe: the handler ends the process itself, with its own line.
        std::thread::sleep(pause);
        return stopped();
    };
    WAKE.store(write.as_raw_fd(), Ordering::SeqCst);
    let end = std::time::Instant::now() + pause;
    while stopped().is_none() {
        let left = end.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        let timeout = rustix::event::Timespec {
            tv_sec: left.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: left.subsec_nanos() as _, // below 10^9: fits any integer type
        };
        let mut fds = [rustix::event::PollFd::new(
            read,
            rustix::event::PollFlags::IN,
        )];
        let _ = rustix::event::poll(&mut fds, Some(&timeout));
    }
    WAKE.store(-1, Ordering::SeqCst);
    stopped()
}

/// The signal's name, for lines.
pub fn name(sig: i32) -> &'static str {
    match sig {
        libc::SIGINT => "SIGINT",
        _ => "SIGTERM",
    }
}

/// From now on a signal stops the server instead of the process: returns
/// the read end of a pipe that becomes readable (and stays so) on SIGTERM
/// or SIGINT. The pipe is never closed.
pub fn serve_mode() -> std::io::Result<BorrowedFd<'static>> {
    static STOP_PIPE: OnceLock<(OwnedFd, OwnedFd)> = OnceLock::new();
    let flags = rustix::pipe::PipeFlags::CLOEXEC | rustix::pipe::PipeFlags::NONBLOCK;
    let pipe = rustix::pipe::pipe_with(flags)?;
    let (read, write) = STOP_PIPE.get_or_init(|| pipe);
    SERVE_STOP.store(write.as_raw_fd(), Ordering::SeqCst);
    if stopped().is_some() {
        // The signal came before the pipe was known: make it readable now.
        let _ = rustix::io::write(write, &[1]);
    }
    Ok(read.as_fd())
}

fn wake_pipe() -> Option<&'static (OwnedFd, OwnedFd)> {
    if let Some(pipe) = WAKE_PIPE.get() {
        return Some(pipe);
    }
    let flags = rustix::pipe::PipeFlags::CLOEXEC | rustix::pipe::PipeFlags::NONBLOCK;
    let pipe = rustix::pipe::pipe_with(flags).ok()?;
    Some(WAKE_PIPE.get_or_init(|| pipe))
}

extern "C" fn on_signal(sig: libc::c_int) {
    let first = STOPPED
        .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok();
    let wake = WAKE.load(Ordering::SeqCst);
    let serving = SERVE_STOP.load(Ordering::SeqCst);
    if serving >= 0 {
        // Serving: stop accepting, drain, exit 0 (serve's own loop does it);
        // a running exec check is woken to clean up as in a run.
        // SAFETY: write is async-signal-safe; both pipes are never closed.
        unsafe {
            if first && wake >= 0 {
                libc::write(wake, [1u8].as_ptr().cast(), 1);
            }
            libc::write(serving, [1u8].as_ptr().cast(), 1);
        }
        return;
    }
    if first && wake >= 0 {
        // An exec check runs: it cleans up and main reports.
        // SAFETY: write is async-signal-safe; the pipe is never closed.
        unsafe { libc::write(wake, [1u8].as_ptr().cast(), 1) };
        return;
    }
    for slot in &GROUPS {
        let group = slot.load(Ordering::SeqCst);
        if group > 0 {
            // SAFETY: kill is async-signal-safe.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
    }
    if !REPORTED.swap(true, Ordering::SeqCst) {
        let sig = STOPPED.load(Ordering::SeqCst);
        let line = stop_line(sig).as_bytes();
        // SAFETY: write and _exit are async-signal-safe; the line is static.
        unsafe {
            libc::write(1, line.as_ptr().cast(), line.len());
            libc::_exit(crate::verdict::code::FAILED.into());
        }
    }
    // main has claimed the output and is printing its verdict: let it finish.
}
