//! `--restart-after`: signal PID 1, the container's main process, so that
//! the engine's restart policy restarts the container (Docker does nothing
//! about "unhealthy" itself: moby #28400).
//!
//! In a PID namespace, the kernel delivers a signal sent from inside to its
//! PID 1 only if PID 1 handles it: without a handler the signal is dropped
//! (SIGKILL included), so `python3` or `node` without a SIGTERM handler would
//! never see it. /proc/1/status says which signals PID 1 catches and
//! ignores; a PID 1 that would not act gets no signal and the line says
//! what to do instead. PID 1 named systemd or init means the probe is not
//! in a container: never signalled.

use rustix::io::Errno;
use rustix::process::{Pid, Signal, kill_process, test_kill_process};

use crate::values::RestartSignal;

/// What PID 1 does with signals, from /proc/1/status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pid1 {
    pub name: String,
    caught: u64,
    ignored: u64,
}

impl Pid1 {
    /// Reads /proc/1/status.
    pub fn read() -> Result<Pid1, String> {
        let text = std::fs::read_to_string("/proc/1/status")
            .map_err(|e| format!("cannot read /proc/1/status: {}", crate::net::io_reason(&e)))?;
        Pid1::parse(&text).ok_or_else(|| "cannot read /proc/1/status: no Name/SigCgt".into())
    }

    pub fn parse(status: &str) -> Option<Pid1> {
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .map(str::trim)
        };
        let mask = |name: &str| u64::from_str_radix(field(name)?, 16).ok();
        Some(Pid1 {
            name: crate::report::printable(field("Name")?, 64),
            caught: mask("SigCgt")?,
            ignored: mask("SigIgn").unwrap_or(0),
        })
    }

    fn bit(sig: Signal) -> u64 {
        1u64 << (sig.as_raw() - 1)
    }
}

/// What to do about PID 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Send the signal (after the line is printed): [`Kick::send`].
    Send(Kick),
    /// Not sent, and why (with what to do).
    Refused(String),
}

/// A signal for PID 1, sent once the line is out (a PID 1 that exits at
/// once ends the container, and this process with it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kick {
    pub signal: RestartSignal,
    /// PID 1's name, for the line.
    pub pid1: String,
}

impl Kick {
    pub fn send(&self) {
        // Errors were found out before (signal 0); a PID 1 gone meanwhile
        // is what we wanted.
        let _ = kill_process(Pid::INIT, signal(self.signal));
    }

    /// `sent SIGTERM to PID 1 (node)`.
    pub fn note(&self) -> String {
        format!("sent SIG{} to PID 1 ({})", self.signal.name(), self.pid1)
    }
}

pub fn signal(sig: RestartSignal) -> Signal {
    match sig {
        RestartSignal::Term => Signal::TERM,
        RestartSignal::Int => Signal::INT,
        RestartSignal::Quit => Signal::QUIT,
        RestartSignal::Hup => Signal::HUP,
        RestartSignal::Usr1 => Signal::USR1,
        RestartSignal::Usr2 => Signal::USR2,
    }
}

/// Whether to signal PID 1 with `sig`.
pub fn decide(sig: RestartSignal) -> Decision {
    let pid1 = match Pid1::read() {
        Ok(p) => p,
        Err(why) => return Decision::Refused(format!("{why}: PID 1 not signalled")),
    };
    judge(&pid1, sig, || test_kill_process(Pid::INIT))
}

/// The decision for `pid1`; `may_signal` asks the kernel (signal 0).
pub fn judge(
    pid1: &Pid1,
    sig: RestartSignal,
    may_signal: impl Fn() -> Result<(), Errno>,
) -> Decision {
    let name = &pid1.name;
    let sig_name = sig.name();
    if name == "systemd" || name == "init" {
        return Decision::Refused(format!(
            "PID 1 is {name}, not a container's process: not signalled"
        ));
    }
    let bit = Pid1::bit(signal(sig));
    if pid1.ignored & bit != 0 {
        return Decision::Refused(format!(
            "PID 1 ({name}) ignores SIG{sig_name}: not sent (use another --restart-signal)"
        ));
    }
    if pid1.caught & bit == 0 {
        return Decision::Refused(format!(
            "PID 1 ({name}) has no SIG{sig_name} handler and would not stop: not sent \
             (run the container with --init, or handle SIG{sig_name} in the app)"
        ));
    }
    match may_signal() {
        Ok(()) => Decision::Send(Kick {
            signal: sig,
            pid1: name.clone(),
        }),
        Err(Errno::PERM) => Decision::Refused(format!(
            "cannot signal PID 1 ({name}): not permitted (it runs as another user)"
        )),
        Err(e) => Decision::Refused(format!(
            "cannot signal PID 1 ({name}): {}",
            crate::net::io_reason(&std::io::Error::from(e))
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(name: &str, caught: &str, ignored: &str) -> Pid1 {
        Pid1::parse(&format!(
            "Name:\t{name}\nUmask:\t0022\nSigBlk:\t0000000000000000\nSigIgn:\t{ignored}\nSigCgt:\t{caught}\n"
        ))
        .unwrap()
    }

    #[test]
    fn pid1_is_signalled_only_when_it_would_act() {
        let ok = || Ok(());
        let term = RestartSignal::Term;
        // SIGTERM is signal 15: bit 14, 0x4000.
        let node = status("node", "0000000000004000", "0000000000000000");
        assert!(matches!(judge(&node, term, ok), Decision::Send(_)));
        let python = status("python3", "0000000000000002", "0000000000000000");
        let Decision::Refused(why) = judge(&python, term, ok) else {
            panic!()
        };
        assert!(
            why.contains("no SIGTERM handler") && why.contains("--init"),
            "{why}"
        );
        let deaf = status("app", "0000000000004000", "0000000000004000");
        assert!(matches!(judge(&deaf, term, ok), Decision::Refused(w) if w.contains("ignores")));
        let systemd = status("systemd", "ffffffffffffffff", "0");
        assert!(matches!(judge(&systemd, term, ok), Decision::Refused(w) if w.contains("systemd")));
        let other = judge(&node, term, || Err(Errno::PERM));
        assert!(matches!(other, Decision::Refused(w) if w.contains("not permitted")));
        // SIGUSR1 is 10: bit 9, 0x200.
        let usr1 = status("app", "0000000000000200", "0");
        assert!(matches!(
            judge(&usr1, RestartSignal::Usr1, ok),
            Decision::Send(_)
        ));
        assert!(Pid1::parse("garbage").is_none());
    }
}
