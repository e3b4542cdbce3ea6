//! `wait TARGET... [-- PROGRAM ARGS...]`: retry the checks until all pass, then
//! become PROGRAM (so signals reach the app), in place of wait-for-it scripts.
//!
//! Each attempt has a deadline of its own (--attempt-timeout), so a silent
//! target is retried. The whole wait has one too (--timeout), or none
//! (`--timeout 0`, as wait4x, wait-for-it and dockerize read 0): then only
//! readiness or SIGTERM/SIGINT ends it. The pause between attempts is
//! --interval, or with --backoff doubles after each failed attempt up to
//! --max-interval. The wait gives up as soon as the next attempt would start
//! past the deadline, and says so, with the time it really waited.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::deadline::Deadline;
use crate::net::listening;
use crate::probe::{self, Check};
use crate::report::{self, format_duration};
use crate::signals;
use crate::values::{Health, Options};
use crate::verdict::{Verdict, code};

/// How the attempts are paced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    /// The deadline of each attempt.
    pub attempt: Duration,
    /// The pause after a failed attempt (the first one, with backoff).
    pub interval: Duration,
    /// With backoff: each pause doubles, up to `max_interval`.
    pub backoff: bool,
    pub max_interval: Duration,
}

impl Pace {
    pub fn of(opts: &Options) -> Pace {
        Pace {
            attempt: opts.attempt_timeout,
            interval: opts.interval,
            backoff: opts.backoff,
            max_interval: opts.max_interval,
        }
    }

    /// The pause after `failed` failed attempts (1 or more).
    pub fn pause(&self, failed: u32) -> Duration {
        if !self.backoff {
            return self.interval;
        }
        // 2^31 times any interval is past every maximum.
        let factor = 1u32 << failed.saturating_sub(1).min(31);
        self.interval
            .checked_mul(factor)
            .unwrap_or(Duration::MAX)
            .min(self.max_interval.max(self.interval))
    }
}

/// Waits, then runs PROGRAM in place of the probe; returns what to print
/// last and the exit code when there is no PROGRAM (or the wait failed).
/// `deadline`: `None` waits until ready or stopped.
pub fn run(
    checks: &[Check],
    deadline: Option<&Deadline>,
    pace: Pace,
    program: &[OsString],
    quiet: bool,
) -> Result<(String, u8)> {
    let started = Instant::now();
    let mut printer = Printer { quiet, written: 0 };
    let mut last_state = None;
    let mut failed = 0u32;
    loop {
        // What is left of the wait, in whole milliseconds: a check that times
        // out says "after 198ms", not "after 198ms 306us 512ns".
        let left = |d: &Deadline| Duration::from_millis(d.remaining().as_millis() as u64);
        let budget = deadline.map_or(pace.attempt, |d| left(d).min(pace.attempt));
        let attempt = Deadline::start(budget);
        let reports = probe::run_all(checks, &attempt);
        if let Some(sig) = signals::stopped() {
            let line = format!(
                "wait: stopped by {} during an attempt, after {}\n",
                signals::name(sig),
                format_duration(started.elapsed())
            );
            return Ok((printer.last(line), code::FAILED));
        }
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
        failed = failed.saturating_add(1);
        let pause = pace.pause(failed);
        if let Some(d) = deadline
            && d.remaining() <= pause
        {
            let line = format!(
                "wait: gave up after {}: the next attempt, after a {} pause, would start past the {} deadline\n",
                format_duration(started.elapsed()),
                humantime::format_duration(pause),
                d.budget()
            );
            return Ok((printer.last(line), code::FAILED));
        }
        if let Some(sig) = signals::pause(pause) {
            let line = format!(
                "wait: stopped by {} while waiting to try again, after {} and {failed} failed attempt{}\n",
                signals::name(sig),
                format_duration(started.elapsed()),
                if failed == 1 { "" } else { "s" }
            );
            return Ok((printer.last(line), code::FAILED));
        }
    }
    let Some((name, args)) = program.split_first() else {
        return Ok((String::new(), code::HEALTHY));
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

    /// The last line, for the caller to print once it has claimed the
    /// output (a signal handler may be printing its own): empty if quiet or
    /// if it would not fit.
    fn last(&self, line: String) -> String {
        match self.quiet || self.written + line.len() > report::MAX_OUTPUT {
            true => String::new(),
            false => line,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_the_pause_up_to_the_maximum() {
        let ms = Duration::from_millis;
        let pace = Pace {
            attempt: ms(5000),
            interval: ms(100),
            backoff: true,
            max_interval: ms(500),
        };
        let pauses: Vec<_> = (1..=6).map(|n| pace.pause(n)).collect();
        assert_eq!(
            pauses,
            [ms(100), ms(200), ms(400), ms(500), ms(500), ms(500)]
        );
        assert_eq!(pace.pause(u32::MAX), ms(500));
        let steady = Pace {
            backoff: false,
            ..pace
        };
        assert_eq!(steady.pause(7), ms(100));
    }
}
