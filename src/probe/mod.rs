//! The checks, and the one contract they share: each kind probes its target
//! and returns an [`Outcome`] (healthy with what it saw, or unhealthy with
//! why), noting details for -v on the way; [`Check::run`] times it and makes
//! the report. Several checks run at once under one deadline.
//!
//! --invert is read here, in [`Check::run`], once for every kind: no probe
//! knows whether its target is wanted up or down.

pub mod amqp;
pub mod dns;
pub mod exec;
pub mod file;
pub mod grpc;
pub mod http;
pub mod memcached;
pub mod mqtt;
pub mod mysql;
pub mod nats;
pub mod postgres;
pub mod redis;
pub mod schemes;
pub mod tcp;

use std::time::Instant;

use crate::deadline::Deadline;
use crate::redacted::{Secrets, scrub, scrub_text};
use crate::report::CheckReport;
use crate::values::Health;

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Healthy, and what was seen: `200 OK`, `SERVING`, `exit 0`.
    Healthy(String),
    /// Unhealthy, and why: `503 Service Unavailable`, `connection refused (...)`.
    Unhealthy(String),
    /// Failed, but only a warning (HTTP 429), for --exit-codes consul.
    Warning(String),
    /// Nothing was checked, and why: the program does not exist, the probe
    /// was stopped. Unhealthy, and --invert does not make it healthy: a
    /// misspelt program is not a service that is down.
    NotChecked(String),
}

/// What a check notes on the way, besides its outcome.
#[derive(Debug, Clone, Default)]
pub struct Notes {
    /// Lines for -v: addresses, timings, headers.
    pub details: Vec<String>,
    /// The start of a response body or of a program's output, shown on failure.
    pub excerpt: Option<Vec<u8>>,
}

impl Notes {
    pub fn detail(&mut self, line: impl Into<String>) {
        self.details.push(line.into());
    }
}

/// One kind of check.
pub trait Probe {
    /// What is checked: `GET http://localhost:8080/health`, `tcp db:5432`.
    fn subject(&self) -> String;
    /// Checks the target within `deadline`.
    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome;
    /// What was given for this target that a peer must not get us to print
    /// (user names, passwords, tokens): [`Check::run`] scrubs them from
    /// everything the check reports, echoes included.
    fn secrets(&self) -> Secrets<'_> {
        Secrets::default()
    }
}

/// A check to run: any kind of [`Probe`] (the scheme table, `schemes.rs`,
/// makes them from targets).
pub struct Check {
    kind: Box<dyn Probe + Send + Sync>,
    /// --invert: healthy when the target is down.
    invert: bool,
}

impl Check {
    pub fn new(probe: impl Probe + Send + Sync + 'static) -> Check {
        Check {
            kind: Box::new(probe),
            invert: false,
        }
    }

    /// This check, passing when its target is down and failing when it is up.
    pub fn inverted(self, invert: bool) -> Check {
        Check { invert, ..self }
    }

    fn kind(&self) -> &dyn Probe {
        self.kind.as_ref()
    }

    pub fn subject(&self) -> String {
        self.kind().subject()
    }

    /// Runs the check and times it.
    pub fn run(&self, deadline: &Deadline) -> CheckReport {
        let started = Instant::now();
        let mut notes = Notes::default();
        let outcome = self.kind().probe(deadline, &mut notes);
        let (health, result) = match (outcome, self.invert) {
            (Outcome::Healthy(r), false) => (Health::Healthy, r),
            (Outcome::Warning(r), false) => (Health::Warning, r),
            (Outcome::Unhealthy(r) | Outcome::NotChecked(r), false) => (Health::Unhealthy, r),
            (Outcome::NotChecked(r), true) => (Health::Unhealthy, r),
            // A target that is up, a body that is there: the excerpt says
            // nothing about why it should be down.
            (Outcome::Healthy(r), true) => {
                notes.excerpt = None;
                (
                    Health::Unhealthy,
                    format!("up, but --invert asks for down: {r}"),
                )
            }
            // Refused, timed out, a wrong answer: down, whatever the reason.
            (Outcome::Unhealthy(r) | Outcome::Warning(r), true) => {
                (Health::Healthy, format!("down, as --invert asks: {r}"))
            }
        };
        let secrets = self.kind().secrets();
        // Most checks were given no secret: nothing to scrub, nothing to copy.
        let (result, excerpt, details) = match secrets.is_empty() {
            true => (result, notes.excerpt, notes.details),
            false => (
                scrub_text(&result, &secrets),
                notes.excerpt.map(|e| scrub(&e, &secrets)),
                notes
                    .details
                    .iter()
                    .map(|d| scrub_text(d, &secrets))
                    .collect(),
            ),
        };
        CheckReport {
            health,
            subject: self.subject(),
            result,
            elapsed: started.elapsed(),
            excerpt,
            details,
        }
    }

    /// The report of a check that could not run at all.
    fn failed(&self, why: &str) -> CheckReport {
        CheckReport {
            health: Health::Unhealthy,
            subject: self.subject(),
            result: why.into(),
            elapsed: std::time::Duration::ZERO,
            excerpt: None,
            details: Vec::new(),
        }
    }
}

/// Runs every check under `deadline`: one on this thread (no thread is started
/// for the common case), several at once so the time is the slowest, not the
/// sum. The first check runs here while the others run on their own threads;
/// when no thread can be had (RLIMIT_NPROC), a check runs here after the
/// others, on what is left of the deadline.
pub fn run_all(checks: &[Check], deadline: &Deadline) -> Vec<CheckReport> {
    let Some((first, others)) = checks.split_first() else {
        return Vec::new();
    };
    if others.is_empty() {
        // The common case, without std::thread::scope: it asks for the
        // current thread's handle, and std allocates that from libc's malloc
        // (brk, mmap and page faults) even when no thread is ever spawned.
        return vec![first.run(deadline)];
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = others
            .iter()
            .map(|c| {
                // Small stacks: a check needs little, and every thread's stack is an mmap.
                std::thread::Builder::new()
                    .stack_size(CHECK_STACK)
                    .spawn_scoped(scope, move || c.run(deadline))
            })
            .collect();
        let mut reports = vec![first.run(deadline)];
        for (handle, check) in handles.into_iter().zip(others) {
            reports.push(match handle {
                Ok(h) => h
                    .join()
                    .unwrap_or_else(|_| check.failed("the check failed unexpectedly")),
                Err(_) => check.run(deadline),
            });
        }
        reports
    })
}

/// Whether `needle` occurs in `haystack` (an empty needle always does): the
/// body, header, file and output checks' one reading of "contains".
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// Stack size of the threads that run extra targets.
const CHECK_STACK: usize = 256 * 1024;
