//! The record of one check set: a few counters and the last runs, as text
//! lines (`name value`), a version on the first line. Text, so that
//! `cat /dev/shm/healthprobe/*.rec` explains itself; every field is one
//! line, and a line that does not parse makes the whole file foreign (it is
//! replaced, never trusted in part).

use std::fmt::Write as _;

use crate::report::{MAX_LINE, printable};
use crate::values::MAX_HISTORY;

/// The first line of every record; the number is the format's version.
pub const MAGIC: &str = "healthprobe-state";
pub const VERSION: u32 = 1;
/// The largest record read: [`MAX_HISTORY`] runs of a [`MAX_LINE`] line and
/// their fields, plus the counters. A bigger file is not ours.
pub const MAX_RECORD_BYTES: usize = MAX_HISTORY as usize * (MAX_LINE + 96) + 8 * 1024;
/// The most targets a record lists (their hashes, for `history TARGET`).
pub const MAX_TARGETS: usize = 256;

/// One run, as `healthprobe history` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// Wall-clock time, milliseconds since the Unix epoch.
    pub at_ms: u64,
    pub exit_code: u8,
    /// `healthy`, `unhealthy`, `starting`, `warning`, `critical`.
    pub verdict: String,
    pub micros: u64,
    /// The line as printed (scrubbed, escaped, at most [`MAX_LINE`] bytes).
    pub line: String,
}

/// What is remembered of one check set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// PID 1's start time (clock ticks after boot): another value means
    /// another container, and the counts start again.
    pub pid1_start: u64,
    /// Unhealthy runs in a row.
    pub streak: u32,
    /// When the streak's first run was.
    pub streak_since_ms: u64,
    /// PID 1 was signalled in this streak.
    pub signalled: bool,
    /// A healthy run was recorded since PID 1 started.
    pub ever_healthy: bool,
    /// The last healthy run: when, and what its checks said.
    pub last_healthy: Option<(u64, String)>,
    /// Hashes of the targets as written (`history TARGET` finds them).
    pub targets: Vec<u64>,
    /// What is checked, for `history`'s heading.
    pub subjects: String,
    /// The last runs, oldest first, as kept in the file (see [`Run::text`]):
    /// a run copies them on, only `history` reads them ([`Record::runs`]).
    pub runs: Vec<String>,
}

/// Why a file is not a record we can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unreadable {
    /// Another version of the format (an older or newer probe's).
    Version(String),
    /// Not a record at all, or damaged.
    Corrupt,
}

impl Record {
    /// The record as it is written to disk.
    pub fn to_text(&self) -> String {
        let mut out = format!("{MAGIC} {VERSION}\n");
        let _ = writeln!(out, "pid1 {}", self.pid1_start);
        let _ = writeln!(out, "streak {} {}", self.streak, self.streak_since_ms);
        let _ = writeln!(out, "signalled {}", u8::from(self.signalled));
        let _ = writeln!(out, "healthy {}", u8::from(self.ever_healthy));
        if let Some((at, text)) = &self.last_healthy {
            let _ = writeln!(out, "last-healthy {at} {}", one_line(text));
        }
        out.push_str("targets");
        for t in self.targets.iter().take(MAX_TARGETS) {
            let _ = write!(out, " {t:016x}");
        }
        out.push('\n');
        let _ = writeln!(out, "subjects {}", one_line(&self.subjects));
        for r in &self.runs {
            out.push_str("run ");
            out.push_str(r);
            out.push('\n');
        }
        out
    }

    /// The runs kept, oldest first (one that does not read is left out).
    pub fn runs(&self) -> Vec<Run> {
        self.runs.iter().filter_map(|r| Run::parse(r)).collect()
    }

    /// Reads a record; anything else is [`Unreadable`], never a panic.
    pub fn parse(text: &str) -> Result<Record, Unreadable> {
        let mut lines = text.lines();
        let head = lines.next().ok_or(Unreadable::Corrupt)?;
        match head.split_once(' ') {
            Some((MAGIC, v)) if v == VERSION.to_string() => {}
            Some((MAGIC, v)) => return Err(Unreadable::Version(printable(v, 20))),
            _ => return Err(Unreadable::Corrupt),
        }
        let mut r = Record::default();
        for line in lines {
            let (name, value) = line.split_once(' ').unwrap_or((line, ""));
            parse_field(&mut r, name, value).ok_or(Unreadable::Corrupt)?;
        }
        Ok(r)
    }

    /// Notes a run, keeping the last `keep`.
    pub fn push_run(&mut self, run: &Run, keep: usize) {
        self.runs.push(run.text());
        let extra = self.runs.len().saturating_sub(keep);
        self.runs.drain(..extra);
    }
}

fn parse_field(r: &mut Record, name: &str, value: &str) -> Option<()> {
    let num = |s: &str| s.parse::<u64>().ok();
    let flag = |s: &str| match s {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    };
    match name {
        "pid1" => r.pid1_start = num(value)?,
        "streak" => {
            let (n, since) = value.split_once(' ')?;
            r.streak = n.parse().ok()?;
            r.streak_since_ms = num(since)?;
        }
        "signalled" => r.signalled = flag(value)?,
        "healthy" => r.ever_healthy = flag(value)?,
        "last-healthy" => {
            let (at, text) = value.split_once(' ').unwrap_or((value, ""));
            // Printed by `history` as it is: as plain as a run line.
            if !plain(text) {
                return None;
            }
            r.last_healthy = Some((num(at)?, text.to_string()));
        }
        "targets" => {
            for t in value.split(' ').filter(|t| !t.is_empty()) {
                if r.targets.len() == MAX_TARGETS {
                    return None;
                }
                r.targets.push(u64::from_str_radix(t, 16).ok()?);
            }
        }
        "subjects" => {
            if !plain(value) {
                return None;
            }
            r.subjects = value.to_string();
        }
        "run" => {
            // Copied on as it is: checked only for what it must not hold.
            if r.runs.len() == MAX_HISTORY as usize || !plain(value) || value.len() > MAX_RUN {
                return None;
            }
            r.runs.push(value.to_string());
        }
        _ => return None,
    }
    Some(())
}

/// The longest run entry: its numbers, verdict and line.
const MAX_RUN: usize = MAX_LINE + 96;

impl Run {
    /// `AT_MS EXIT_CODE MICROS VERDICT LINE`, as kept after `run `.
    fn text(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.at_ms,
            self.exit_code,
            self.micros,
            word(&self.verdict),
            one_line(&self.line)
        )
    }

    fn parse(text: &str) -> Option<Run> {
        let mut parts = text.splitn(5, ' ');
        Some(Run {
            at_ms: parts.next()?.parse().ok()?,
            exit_code: parts.next()?.parse().ok()?,
            micros: parts.next()?.parse().ok()?,
            verdict: parts.next()?.to_string(),
            line: parts.next().unwrap_or("").to_string(),
        })
    }
}

/// Text safe to keep on one line of the record: escaped, bounded.
fn one_line(text: &str) -> String {
    match plain(text) && text.len() <= MAX_LINE {
        true => text.to_string(),
        false => printable(text, MAX_LINE),
    }
}

/// Holds nothing [`printable`] would escape: no control character (C0,
/// DEL, C1: U+0080 to U+009F) and no bidi control (U+200E, U+200F,
/// U+202A to U+202E, U+2066 to U+2069), tested on the UTF-8 bytes.
fn plain(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len()).all(|i| match b[i] {
        0..0x20 | 0x7f => false,
        0xc2 => !matches!(b.get(i + 1), Some(0x80..=0x9f)),
        0xe2 => !matches!(
            (b.get(i + 1), b.get(i + 2)),
            (Some(0x80), Some(0x8e | 0x8f | 0xaa..=0xae)) | (Some(0x81), Some(0xa6..=0xa9))
        ),
        _ => true,
    })
}

/// A word without spaces (the verdict).
fn word(text: &str) -> String {
    printable(text, 32).replace(' ', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        let mut r = Record {
            pid1_start: 4242,
            streak: 3,
            streak_since_ms: 1_700_000_000_000,
            signalled: true,
            ever_healthy: true,
            last_healthy: Some((1_699_999_999_000, "200 OK".into())),
            targets: vec![1, u64::MAX],
            subjects: "GET http://localhost:8080/health".into(),
            runs: Vec::new(),
        };
        for i in 0..5 {
            r.push_run(
                &Run {
                    at_ms: i,
                    exit_code: 1,
                    verdict: "unhealthy".into(),
                    micros: 1800,
                    line: format!("unhealthy: run {i}\nforged line"),
                },
                3,
            );
        }
        r
    }

    #[test]
    fn a_record_reads_back_as_written_and_keeps_the_last_runs() {
        let r = sample();
        assert_eq!(r.runs.len(), 3);
        assert_eq!(r.runs()[0].at_ms, 2);
        let text = r.to_text();
        let back = Record::parse(&text).unwrap();
        assert_eq!(back.streak, 3);
        assert_eq!(back.targets, vec![1, u64::MAX]);
        assert_eq!(back.runs()[2].line, "unhealthy: run 4\\nforged line");
        assert_eq!(Record::parse(&back.to_text()).unwrap(), back);
    }

    #[test]
    fn plain_text_is_what_printable_leaves_alone() {
        for text in [
            "a…b",
            "é ü",
            "\u{202e}x",
            "\u{85}",
            "\u{2068}",
            "\u{200f}",
            "tab\t",
            "\u{7f}",
        ] {
            assert_eq!(plain(text), printable(text, 100) == text, "{text:?}");
        }
    }

    #[test]
    fn anything_else_is_unreadable() {
        assert_eq!(Record::parse(""), Err(Unreadable::Corrupt));
        assert_eq!(
            Record::parse("\u{0}\u{ff}garbage"),
            Err(Unreadable::Corrupt)
        );
        assert_eq!(
            Record::parse("healthprobe-state 99\n"),
            Err(Unreadable::Version("99".into()))
        );
        let text = sample().to_text().replace("streak 3", "streak x");
        assert_eq!(Record::parse(&text), Err(Unreadable::Corrupt));
        // A run line that would print a terminal escape is not ours.
        let text = format!("{}run 1 1 1 unhealthy \u{1b}[31mred\n", sample().to_text());
        assert_eq!(Record::parse(&text), Err(Unreadable::Corrupt));
        // Nor one whose heading or last healthy answer would (`history`
        // prints both as they are).
        for field in [
            "subjects \u{1b}[2J",
            "last-healthy 5 a\u{0}b",
            "subjects a\u{9b}1m",
        ] {
            let text = format!("{}{field}\n", sample().to_text());
            assert_eq!(Record::parse(&text), Err(Unreadable::Corrupt), "{field:?}");
        }
        let text = format!("{}unknown field\n", sample().to_text());
        assert_eq!(Record::parse(&text), Err(Unreadable::Corrupt));
        let many = format!(
            "{MAGIC} {VERSION}\n{}",
            "run 1 1 1 unhealthy x\n".repeat(1001)
        );
        assert_eq!(Record::parse(&many), Err(Unreadable::Corrupt));
    }

    #[test]
    fn the_bound_holds_a_full_history() {
        let mut r = sample();
        for i in 0..2000 {
            let line = "é".repeat(2000);
            let run = Run {
                at_ms: u64::MAX - i,
                exit_code: 1,
                verdict: "starting (up 4s of 30s)".into(),
                micros: u64::MAX,
                line,
            };
            r.push_run(&run, MAX_HISTORY as usize);
        }
        r.subjects = "s".repeat(100_000);
        r.targets = vec![u64::MAX; 1000];
        let text = r.to_text();
        assert!(text.len() <= MAX_RECORD_BYTES, "{}", text.len());
        assert_eq!(Record::parse(&text).unwrap().runs().len(), 1000);
    }
}
