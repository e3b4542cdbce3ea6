//! What a run remembers, when asked to (`--restart-after`,
//! `--start-interval`, `--history`): before the checks, whether this run
//! retries until healthy (no healthy run recorded yet); after them, the
//! record's update under its lock, and whether PID 1 is to be signalled.
//! Whatever goes wrong with the state, the verdict stands: the trouble
//! becomes a note on the line.
//!
//! The record belongs to a check set: the targets as resolved (variables
//! expanded) and the options that change what is checked, so two
//! HEALTHCHECK lines never share one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use std::ffi::OsString;

use crate::cli::options::MEMORY;
use crate::cli::{Cli, Command, Env, OPTIONS};
use crate::deadline::Deadline;
use crate::probe::Check;
use crate::restart::{self, Decision, Kick};
use crate::state::{Key, Record, Run, Store, fnv};
use crate::target;
use crate::values::RestartSignal;
use crate::verdict::{self, Verdict};

/// One run's use of the state.
pub struct Memory {
    path: std::path::PathBuf,
    key: Key,
    targets: Vec<u64>,
    subjects: String,
    restart_after: Option<u32>,
    restart_signal: RestartSignal,
    start_interval: Option<Duration>,
    history: Option<u16>,
    store: Option<Result<Store, String>>,
    notes: Vec<String>,
}

/// The targets as written (variables expanded), one string each.
pub fn targets_of(cli: &Cli) -> Vec<String> {
    let expand = |t: &String| target::expand_vars(t).unwrap_or_else(|_| t.clone());
    match &cli.command {
        Some(Command::Http { url }) => vec![expand(url)],
        Some(Command::Tcp { address } | Command::Grpc { address }) => vec![expand(address)],
        Some(Command::File { path }) => vec![path.to_string_lossy().into_owned()],
        Some(Command::Exec { command }) => vec![
            command
                .iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
        ],
        Some(Command::Install { dir }) => vec![dir.to_string_lossy().into_owned()],
        Some(
            Command::Wait { targets, .. }
            | Command::History { targets }
            | Command::Serve { targets },
        ) => targets.iter().map(expand).collect(),
        None => cli.targets.iter().map(expand).collect(),
    }
}

/// The hash `history TARGET` looks a target up by (the record keeps no
/// target in clear: a URL may hold a password). Taken without the
/// password: a fast hash of it would let whoever reads the record try
/// passwords offline.
pub fn target_hash(target: &str) -> u64 {
    fnv(0xcbf2_9ce4_8422_2325, without_password(target).as_bytes())
}

/// `scheme://user:***@host/...`: the target with the user information's
/// password (or, without a `:`, all of it: redis and nats read that as a
/// password or token) replaced. Only the authority is looked at (it ends at
/// the first `/`, `?` or `#` after `://`), so targets that differ elsewhere
/// stay apart.
pub fn without_password(target: &str) -> std::borrow::Cow<'_, str> {
    let Some(start) = target.find("://").map(|i| i + 3) else {
        return target.into();
    };
    let end = target[start..]
        .find(['/', '?', '#'])
        .map_or(target.len(), |i| start + i);
    let Some(at) = target[start..end].rfind('@').map(|i| start + i) else {
        return target.into();
    };
    let user = match target[start..at].find(':') {
        Some(colon) => &target[start..start + colon],
        None => "",
    };
    format!("{}{user}:***{}", &target[..start], &target[at..]).into()
}

impl Memory {
    /// `None` unless an option that remembers was given: then nothing is
    /// read or written, not even the directory looked at.
    pub fn new(cli: &Cli) -> Option<Memory> {
        let opts = &cli.options;
        if !opts.remembers() {
            return None;
        }
        // Hashed into the record's name and kept in it: never a password.
        let targets: Vec<String> = targets_of(cli)
            .iter()
            .map(|t| without_password(t).into_owned())
            .collect();
        // The options that change what is checked, as given or from the
        // environment (not how the result is shown, nor these options),
        // whatever their order or spelling: a sum of one hash per value.
        let counts = |i: &usize| {
            let opt = &OPTIONS[*i];
            opt.heading != MEMORY && !matches!(opt.long, "quiet" | "verbose")
        };
        let env: Vec<(usize, OsString)> = cli
            .from_env
            .iter()
            .filter(|i| counts(i))
            .filter_map(|&i| Some((i, Env::Process.get(OPTIONS[i].env?)?)))
            .collect();
        let options = cli
            .given
            .iter()
            .filter(|(i, _)| counts(i))
            .chain(&env)
            .map(|(i, v)| {
                let opt = &OPTIONS[*i];
                // A value that may be a credential counts up to its first
                // `:` only (a header's name, --basic-auth's user): no
                // password is hashed into the record's name.
                let v = v.as_encoded_bytes();
                let v = match opt.secret {
                    true => v.split(|&b| b == b':').next().unwrap_or_default(),
                    false => v,
                };
                Key::of(&[opt.long.as_bytes(), v]).0
            })
            .fold(0u64, u64::wrapping_add)
            .to_le_bytes();
        let mut parts: Vec<&[u8]> = vec![
            cli.command
                .as_ref()
                .map_or("", |c| c.sub().name())
                .as_bytes(),
            &options,
        ];
        parts.extend(targets.iter().map(|t| t.as_bytes()));
        Some(Memory {
            path: opts.state_dir.clone().unwrap_or_default(),
            key: Key::of(&parts),
            targets: targets
                .iter()
                .map(|t| fnv(0xcbf2_9ce4_8422_2325, t.as_bytes()))
                .collect(),
            subjects: String::new(),
            restart_after: opts.restart_after,
            restart_signal: opts.restart_signal,
            start_interval: opts.start_interval,
            history: opts.history,
            store: None,
            notes: Vec::new(),
        })
    }

    /// Notes what the checks are, for `history`'s heading.
    pub fn checking(&mut self, checks: &[Check]) {
        let subjects: Vec<String> = checks.iter().map(Check::subject).collect();
        self.subjects = subjects.join("; ");
    }

    fn store(&mut self) -> Result<&Store, String> {
        let path = &self.path;
        self.store
            .get_or_insert_with(|| Store::open(path))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// `--start-interval`: how often this run retries, if it does: until a
    /// healthy run is recorded in this container (every run when the state
    /// cannot be kept).
    pub fn retry_every(&mut self) -> Option<Duration> {
        let every = self.start_interval?;
        let key = self.key;
        let seen_healthy = match self.store() {
            Ok(store) => store
                .peek(key)
                .is_some_and(|r| r.ever_healthy && Some(r.pid1_start) == verdict::pid1_start()),
            Err(_) => false,
        };
        (!seen_healthy).then_some(every)
    }

    /// Records the run (`line`: its first line as printed, `results`: what
    /// its checks said) and decides about PID 1. The notes for the line are
    /// in [`Memory::notes`] afterwards.
    pub fn record(
        &mut self,
        verdict: Verdict,
        exit_code: u8,
        line: &str,
        results: &str,
        deadline: &Deadline,
    ) -> Option<Kick> {
        let now = now_ms();
        let pid1 = verdict::pid1_start().unwrap_or(0);
        let (key, patience) = (self.key, deadline.remaining());
        let (restart_after, signal, history) =
            (self.restart_after, self.restart_signal, self.history);
        let targets = std::mem::take(&mut self.targets);
        let subjects = std::mem::take(&mut self.subjects);
        let mut kick = None;
        let mut note = None;
        let earlier = self.notes.clone();
        let updated = match self.store() {
            Err(why) => Err(why),
            Ok(store) => store.update(key, patience, |old| {
                let mut r = match old.pid1_start == pid1 {
                    true => old,
                    // Another container (PID 1 restarted): the counts start
                    // again; the runs before are kept for `history`.
                    false => Record {
                        pid1_start: pid1,
                        runs: old.runs,
                        ..Record::default()
                    },
                };
                r.targets = targets;
                r.subjects = subjects;
                match verdict {
                    Verdict::Healthy => {
                        r.streak = 0;
                        r.signalled = false;
                        r.ever_healthy = true;
                        r.last_healthy = Some((now, results.to_string()));
                    }
                    // Starting (exit 2) and a Consul warning do not count.
                    Verdict::Starting { .. } | Verdict::Warning => {}
                    Verdict::Unhealthy | Verdict::Critical => {
                        if r.streak == 0 {
                            r.streak_since_ms = now;
                        }
                        r.streak = r.streak.saturating_add(1);
                        if let Some(after) = restart_after
                            && r.streak >= after
                        {
                            let what = match (r.signalled, restart::decide(signal)) {
                                (true, _) => {
                                    format!("SIG{} was sent to PID 1 already", signal.name())
                                }
                                (false, Decision::Send(k)) => {
                                    r.signalled = true;
                                    let what = k.note();
                                    kick = Some(k);
                                    what
                                }
                                (false, Decision::Refused(why)) => why,
                            };
                            let runs = match r.streak {
                                1 => "1 failure".to_string(),
                                n => format!("{n} failures"),
                            };
                            note = Some(format!("{runs} in a row: {what}"));
                        }
                    }
                }
                match history {
                    Some(keep) => {
                        let notes: Vec<String> =
                            earlier.iter().chain(note.iter()).cloned().collect();
                        let run = Run {
                            at_ms: now,
                            exit_code,
                            verdict: verdict.word().into(),
                            micros: deadline.elapsed().as_micros() as u64,
                            line: crate::report::with_notes(line, &notes, crate::report::MAX_LINE)
                                .trim_end()
                                .to_string(),
                        };
                        r.push_run(&run, keep.into());
                    }
                    None => r.runs.clear(),
                }
                r
            }),
        };
        match updated {
            Ok(notes) => {
                self.notes.extend(notes);
                self.notes.extend(note);
                kick
            }
            Err(why) => {
                self.notes.push(format!("judged without recording: {why}"));
                None
            }
        }
    }

    /// What the line should add: state that could not be kept, what was
    /// done about PID 1.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    pub fn note(&mut self, note: String) {
        self.notes.push(note);
    }
}

/// Runs the checks; with `retry_every` (`--start-interval`), again after
/// each such pause until all pass or the deadline leaves no room for
/// another try. Returns the last attempt's reports and how many were made.
pub fn run_until_healthy(
    checks: &[Check],
    deadline: &Deadline,
    retry_every: Option<Duration>,
) -> (Vec<crate::report::CheckReport>, u32) {
    let mut attempts = 1;
    loop {
        let reports = crate::probe::run_all(checks, deadline);
        let healthy = reports.iter().all(|r| r.health.is_healthy());
        match retry_every {
            Some(every)
                if !healthy
                    && deadline.remaining() > every
                    && crate::signals::stopped().is_none() =>
            {
                std::thread::sleep(every);
                attempts += 1;
            }
            _ => return (reports, attempts),
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_left_out_of_what_is_hashed() {
        for (typed, kept) in [
            ("postgres://app:pw@db/x", "postgres://app:***@db/x"),
            ("redis://:pw@db", "redis://:***@db"),
            ("redis://pw@db", "redis://:***@db"),
            ("http://u:p@h1/a@b", "http://u:***@h1/a@b"),
            ("http://h/a@b:c", "http://h/a@b:c"),
            ("tcp://db:5432", "tcp://db:5432"),
            ("db:5432", "db:5432"),
        ] {
            assert_eq!(without_password(typed), kept, "{typed}");
        }
        assert_ne!(
            target_hash("http://u:p@h1/a@b"),
            target_hash("http://u:p@h2/a@b")
        );
        assert_eq!(target_hash("mysql://a:x@db"), target_hash("mysql://a:y@db"));
    }
}
