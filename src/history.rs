//! `healthprobe history [--format json] [TARGET...]`: the runs `--history`
//! kept, newest last, and a summary per check set, for
//! `docker exec app /healthprobe history` (Docker keeps five results).
//! Without targets every check set in the state directory is shown; with
//! targets, the check sets of exactly those targets, whatever their options.
//!
//! This is for a person and prints every kept run (up to 1000 per check
//! set); the 4 KiB bound is the checks' output's, which a runtime keeps.

use std::time::Duration;

use crate::memory::target_hash;
use crate::report::{format_duration, json_string};
use crate::state::{MAX_RECORDS, Record, Store};
use crate::values::{Format, Options};
use crate::verdict::code;

/// What to print, and the exit code (1 when nothing was recorded).
pub fn run(targets: &[String], opts: &Options) -> (String, u8) {
    let path = opts.state_dir.clone().unwrap_or_default();
    let shown = path.display();
    // Looking does not make the directory.
    if std::fs::symlink_metadata(&path).is_err() {
        return (
            format!("no runs recorded: {shown} does not exist\n"),
            code::FAILED,
        );
    }
    let store = match Store::open(&path) {
        Ok(s) => s,
        Err(why) => return (format!("{why}\n"), code::FAILED),
    };
    let wanted: Vec<u64> = targets.iter().map(|t| target_hash(t)).collect();
    // The same targets, in any order.
    let (sets, more) = store.records();
    let sets: Vec<(String, Record)> = sets
        .into_iter()
        .filter(|(_, r)| {
            wanted.is_empty()
                || (r.targets.len() == wanted.len() && wanted.iter().all(|w| r.targets.contains(w)))
        })
        .collect();
    if sets.is_empty() {
        let which = match targets {
            [] => String::new(),
            // As typed, but never a password typed in one.
            _ => {
                let shown: Vec<_> = targets
                    .iter()
                    .map(|t| crate::target::shown_path(t))
                    .collect();
                format!(" for {}", shown.join(" "))
            }
        };
        return (
            format!("no runs recorded{which} in {shown}\n"),
            code::FAILED,
        );
    }
    let mut text: String = match opts.format {
        Format::Line => sets.iter().map(|(name, r)| lines(name, r)).collect(),
        Format::Json => {
            let sets: Vec<String> = sets.iter().map(|(name, r)| json(name, r)).collect();
            format!(
                "{{\"check_sets\":[{}],\"more_than_{MAX_RECORDS}\":{more}}}\n",
                sets.join(",")
            )
        }
    };
    if more && opts.format == Format::Line {
        text.push_str(&format!(
            "(only the first {MAX_RECORDS} records in {shown} were read)\n"
        ));
    }
    (text, code::HEALTHY)
}

/// `2026-12-06T12:01:03Z`: the civil date of the Unix day (Howard
/// Hinnant's days-to-civil), smaller than a date library's formatter.
fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let t = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

/// `12:01:03Z`: the time of day of [`utc`].
fn clock(ms: u64) -> String {
    let full = utc(ms);
    full.get(11..).unwrap_or(&full).to_string()
}

/// One check set: a heading, its runs, the summary.
fn lines(name: &str, r: &Record) -> String {
    let mut out = format!(
        "{} ({})\n",
        r.subjects,
        name.strip_suffix(".rec").unwrap_or(name)
    );
    for run in &r.runs() {
        out.push_str(&format!(
            "{} exit {} {} {}\n",
            utc(run.at_ms),
            run.exit_code,
            format_duration(Duration::from_micros(run.micros)),
            run.line
        ));
    }
    out.push_str(&summary(r));
    out.push('\n');
    out
}

/// `unhealthy 3 in a row since 12:01:03Z; last healthy 12:00:33Z: 200 OK`
pub fn summary(r: &Record) -> String {
    let last_healthy = match &r.last_healthy {
        Some((at, result)) => format!("last healthy {}: {result}", clock(*at)),
        None => "never healthy".into(),
    };
    let runs = r.runs();
    let mut s = match (r.streak, runs.last(), &r.last_healthy) {
        (0, Some(last), Some((at, result))) if *at == last.at_ms => {
            format!("healthy at {}: {result}", clock(*at))
        }
        (0, Some(last), _) => format!("{} at {}; {last_healthy}", last.verdict, clock(last.at_ms)),
        (0, None, _) => last_healthy,
        (n, _, _) => format!(
            "unhealthy {n} in a row since {}; {last_healthy}",
            clock(r.streak_since_ms)
        ),
    };
    if r.signalled {
        s.push_str("; PID 1 was signalled");
    }
    s
}

fn json(name: &str, r: &Record) -> String {
    let runs: Vec<String> = r
        .runs()
        .iter()
        .map(|run| {
            format!(
                "{{\"time\":\"{}\",\"exit_code\":{},\"verdict\":{},\"ms\":{:.1},\"line\":{}}}",
                utc(run.at_ms),
                run.exit_code,
                json_string(&run.verdict),
                run.micros as f64 / 1000.0,
                json_string(&run.line)
            )
        })
        .collect();
    format!(
        "{{\"check_set\":{},\"subjects\":{},\"unhealthy_in_a_row\":{},\"pid1_signalled\":{},\"summary\":{},\"runs\":[{}]}}",
        json_string(name.strip_suffix(".rec").unwrap_or(name)),
        json_string(&r.subjects),
        r.streak,
        r.signalled,
        json_string(&summary(r)),
        runs.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn utc_times_read_as_rfc3339_says() {
        // humantime (a dependency already) is the oracle.
        for ms in [
            0,
            951_782_400_000,
            1_709_164_799_999,
            1_796_601_543_491,
            4_102_444_800_000,
        ] {
            let want = humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(ms));
            assert_eq!(utc(ms), want.to_string(), "{ms}");
        }
        assert_eq!(clock(1_796_601_543_491), "23:59:03Z");
    }
}
