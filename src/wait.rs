//! `wait TARGET... [-- PROGRAM ARGS...]`: retry the checks until all pass, then
//! become PROGRAM (so signals reach the app), in place of wait-for-it scripts.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::deadline::Deadline;
use crate::net::listening;
use crate::probe::{self, Check};
use crate::report;
use crate::values::Health;
use crate::verdict::{Verdict, code};

/// One attempt may take at most this long, so a silent target is retried.
const ATTEMPT_LIMIT: Duration = Duration::from_secs(5);

/// Returns the exit code when there is no PROGRAM to run (or the wait failed).
pub fn run(
    checks: &[Check],
    deadline: &Deadline,
    interval: Duration,
    program: &[OsString],
    quiet: bool,
) -> Result<u8> {
    let mut printer = Printer { quiet, written: 0 };
    let mut last_state = None;
    loop {
        let attempt = Deadline::start(deadline.remaining().min(ATTEMPT_LIMIT));
        let reports = probe::run_all(checks, &attempt);
        let healthy = reports.iter().all(|r| r.health.is_healthy());
        let verdict = if healthy {
            Verdict::Healthy
        } else {
            Verdict::Unhealthy
        };
        let line = report::render(&verdict.headline(), &reports, attempt.elapsed(), false);
        // A state is what each check said, not how long it took nor what
        // else listens meanwhile.
        let state: Vec<(Health, String)> = reports
            .iter()
            .map(|r| (r.health, listening::without(&r.result).to_string()))
            .collect();
        if last_state.as_ref() != Some(&state) {
            printer.print(&format!("wait: {line}"));
            last_state = Some(state);
        }
        if healthy {
            break;
        }
        if deadline.remaining() <= interval {
            printer.print(&format!("wait: gave up after {}\n", deadline.budget()));
            return Ok(code::FAILED);
        }
        std::thread::sleep(interval);
    }
    let Some((name, args)) = program.split_first() else {
        return Ok(code::HEALTHY);
    };
    // Replaces this process: on success, exec does not return.
    let err = Command::new(name).args(args).exec();
    bail!(
        "cannot run {}: {}",
        name.to_string_lossy(),
        crate::net::io_reason(&err)
    )
}

/// Prints at most [`report::MAX_OUTPUT`] bytes over the whole wait.
struct Printer {
    quiet: bool,
    written: usize,
}

impl Printer {
    fn print(&mut self, line: &str) {
        if self.quiet || self.written + line.len() > report::MAX_OUTPUT {
            return;
        }
        self.written += line.len();
        report::print(line);
    }
}
