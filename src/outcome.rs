//! From the checks' results to the verdict and Docker's exit codes.

use std::time::Duration;

use crate::report::Verdict;

impl Verdict {
    /// 0 healthy, 1 unhealthy, 2 starting (only ever with --start-period).
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Healthy => 0,
            Verdict::Unhealthy => 1,
            Verdict::Starting { .. } => 2,
        }
    }

    /// The verdict for checks that all passed (`healthy`) or not, given the
    /// optional start period.
    pub fn decide(healthy: bool, start_period: Option<Duration>) -> Verdict {
        if healthy {
            return Verdict::Healthy;
        }
        match (start_period, container_age()) {
            (Some(of), Some(up)) if up < of => Verdict::Starting { up, of },
            _ => Verdict::Unhealthy,
        }
    }
}

/// Age of PID 1 in our PID namespace: the container's age. `None` if /proc
/// cannot tell, in which case the check counts as a plain failure.
pub fn container_age() -> Option<Duration> {
    let uptime = std::fs::read_to_string("/proc/uptime").ok()?;
    let stat = std::fs::read_to_string("/proc/1/stat").ok()?;
    age_from_proc(&uptime, &stat, clock_ticks_per_second()?)
}

fn clock_ticks_per_second() -> Option<u64> {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    u64::try_from(ticks).ok().filter(|&t| t > 0)
}

fn age_from_proc(uptime: &str, stat: &str, ticks_per_second: u64) -> Option<Duration> {
    let uptime: f64 = uptime.split_whitespace().next()?.parse().ok()?;
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    let after_comm = &stat[stat.rfind(')')? + 1..];
    // Field 22 (starttime) is the 20th field after the command name.
    let start_ticks: u64 = after_comm.split_whitespace().nth(19)?.parse().ok()?;
    let started = start_ticks as f64 / ticks_per_second as f64;
    Some(Duration::from_secs_f64((uptime - started).max(0.0)))
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

    #[test]
    fn codes() {
        assert_eq!(
            Verdict::decide(true, Some(Duration::from_secs(1))).exit_code(),
            0
        );
        assert_eq!(Verdict::decide(false, None).exit_code(), 1);
        assert_eq!(Verdict::decide(false, Some(Duration::ZERO)).exit_code(), 1);
    }
}
