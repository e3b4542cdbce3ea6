//! From the checks' results to one verdict, its word, and the exit code.
//!
//! Docker reads 0 as healthy and 1 as unhealthy, and reserves 2 (it once
//! meant "starting"): the probe exits 2 only when asked to with
//! --start-period. Consul reads 1 as a mere warning, so it has its own table.

use std::time::Duration;

use crate::report::CheckReport;
use crate::values::{ExitCodes, Health};

/// Every exit code the probe uses, here only.
pub mod code {
    pub const HEALTHY: u8 = 0;
    /// Unhealthy; also a usage error, a stop by signal, an internal error
    /// (never clap's 2, which Docker reserves), and Consul's warning.
    pub const FAILED: u8 = 1;
    /// Docker: starting (only with --start-period).
    pub const STARTING: u8 = 2;
    /// Consul: critical.
    pub const CRITICAL: u8 = 2;
}

/// The verdict word that starts the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Healthy,
    Unhealthy,
    /// Failed, but within --start-period: `starting (up 4s of 30s)`.
    Starting {
        up: Duration,
        of: Duration,
    },
    /// --exit-codes consul: every failure was only a warning.
    Warning,
    /// --exit-codes consul: a real failure.
    Critical,
}

impl Verdict {
    /// The verdict on `reports`, given the start period and exit-code style.
    pub fn decide(
        reports: &[CheckReport],
        start_period: Option<Duration>,
        style: ExitCodes,
    ) -> Verdict {
        if reports.iter().all(|r| r.health.is_healthy()) {
            return Verdict::Healthy;
        }
        if let Some(of) = start_period
            && let Some(up) = container_age().filter(|&up| up < of)
        {
            return Verdict::Starting { up, of };
        }
        match style {
            ExitCodes::Docker => Verdict::Unhealthy,
            ExitCodes::Consul if reports.iter().all(|r| r.health != Health::Unhealthy) => {
                Verdict::Warning
            }
            ExitCodes::Consul => Verdict::Critical,
        }
    }

    /// Docker: 0 healthy, 1 unhealthy, 2 starting (only ever with --start-period).
    /// Consul: 0 passing, 1 warning (or starting), 2 critical.
    pub fn exit_code(self, style: ExitCodes) -> u8 {
        match (self, style) {
            (Verdict::Healthy, _) => code::HEALTHY,
            (Verdict::Unhealthy | Verdict::Warning, _) => code::FAILED,
            (Verdict::Starting { .. }, ExitCodes::Docker) => code::STARTING,
            (Verdict::Starting { .. }, ExitCodes::Consul) => code::FAILED,
            (Verdict::Critical, _) => code::CRITICAL,
        }
    }

    /// The verdict in one word, for records and JSON.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Healthy => "healthy",
            Verdict::Unhealthy => "unhealthy",
            Verdict::Warning => "warning",
            Verdict::Critical => "critical",
            Verdict::Starting { .. } => "starting",
        }
    }

    /// The word (or words) that start the line.
    pub fn headline(self) -> String {
        match self {
            Verdict::Healthy => "healthy".into(),
            Verdict::Unhealthy => "unhealthy".into(),
            Verdict::Warning => "warning".into(),
            Verdict::Critical => "critical".into(),
            Verdict::Starting { up, of } => format!(
                "starting (up {} of {})",
                humantime::format_duration(Duration::from_secs(up.as_secs())),
                humantime::format_duration(of)
            ),
        }
    }
}

/// Age of PID 1 in our PID namespace: the container's age. `None` if /proc
/// cannot tell, in which case the check counts as a plain failure.
fn container_age() -> Option<Duration> {
    let uptime = std::fs::read_to_string("/proc/uptime").ok()?;
    let stat = std::fs::read_to_string("/proc/1/stat").ok()?;
    age_from_proc(&uptime, &stat, rustix::param::clock_ticks_per_second())
}

fn age_from_proc(uptime: &str, stat: &str, ticks_per_second: u64) -> Option<Duration> {
    if ticks_per_second == 0 {
        return None;
    }
    let uptime: f64 = uptime.split_whitespace().next()?.parse().ok()?;
    let start_ticks = start_ticks(stat)?;
    let started = start_ticks as f64 / ticks_per_second as f64;
    Some(Duration::from_secs_f64((uptime - started).max(0.0)))
}

/// When PID 1 started (clock ticks after boot): tells one container's
/// life from the next.
pub fn pid1_start() -> Option<u64> {
    start_ticks(&std::fs::read_to_string("/proc/1/stat").ok()?)
}

/// Field 22 (starttime) of a /proc/PID/stat line.
fn start_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    let after_comm = &stat[stat.rfind(')')? + 1..];
    // Field 22 is the 20th field after the command name.
    after_comm.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_counts_from_pid1_start_time() {
        let stat = "1 (my (odd) init) S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 5000 1000 100";
        assert_eq!(
            age_from_proc("100.00 50.0", stat, 100),
            Some(Duration::from_secs(50))
        );
        assert_eq!(age_from_proc("garbage", stat, 100), None);
    }

    fn report(healthy: bool, warning: bool) -> CheckReport {
        CheckReport {
            health: match (healthy, warning) {
                (true, _) => Health::Healthy,
                (false, true) => Health::Warning,
                (false, false) => Health::Unhealthy,
            },
            subject: String::new(),
            result: String::new(),
            elapsed: Duration::ZERO,
            excerpt: None,
            details: Vec::new(),
        }
    }

    #[test]
    fn codes() {
        let ok = report(true, false);
        let bad = report(false, false);
        let busy = report(false, true);
        let docker = |r: &[CheckReport], sp| {
            Verdict::decide(r, sp, ExitCodes::Docker).exit_code(ExitCodes::Docker)
        };
        let consul = |r: &[CheckReport]| {
            Verdict::decide(r, None, ExitCodes::Consul).exit_code(ExitCodes::Consul)
        };
        assert_eq!(
            docker(std::slice::from_ref(&ok), Some(Duration::from_secs(1))),
            0
        );
        assert_eq!(docker(&[ok.clone(), bad.clone()], None), 1);
        assert_eq!(docker(std::slice::from_ref(&busy), None), 1);
        assert_eq!(docker(std::slice::from_ref(&bad), Some(Duration::ZERO)), 1);
        assert_eq!(consul(std::slice::from_ref(&ok)), 0);
        assert_eq!(consul(&[ok, busy.clone()]), 1);
        assert_eq!(consul(&[busy, bad]), 2);
    }

    #[test]
    fn headlines() {
        assert_eq!(Verdict::Healthy.headline(), "healthy");
        let starting = Verdict::Starting {
            up: Duration::from_millis(4300),
            of: Duration::from_secs(30),
        };
        assert_eq!(starting.headline(), "starting (up 4s of 30s)");
    }
}
