//! The one verdict every request reads: the checks run on one thread of
//! their own, never once per request. A request takes the last result while
//! it is younger than `--cache`; otherwise it joins the run in flight, or
//! starts one and waits for it with everyone who asks meanwhile. So a
//! thousand clients cost the checked services what one does (50 concurrent
//! requests against a 500 ms backend: one backend connection), and nothing
//! a client sends reaches the checks: they were planned from the command
//! line alone.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::deadline::Deadline;
use crate::probe::{self, Check};
use crate::report;
use crate::values::{Format, Options};
use crate::verdict::Verdict;

/// Stack of the thread that runs the checks: that of the threads `run_all`
/// starts for extra targets (a TLS handshake fits).
const RUNNER_STACK: usize = 256 * 1024;

/// One run's result, as every answer shows it.
#[derive(Debug)]
pub struct Answer {
    pub healthy: bool,
    /// The line a run prints (report::render), newline included.
    pub line: String,
    /// The same with -v's details.
    pub verbose: String,
    /// With --format json: the one JSON object a run prints, answered
    /// instead of the line (as application/json).
    pub json: Option<String>,
    at: Instant,
}

#[derive(Default)]
struct State {
    latest: Option<Arc<Answer>>,
    /// Runs finished so far.
    finished: u64,
    /// A run is asked for or under way.
    wanted: bool,
    running: bool,
}

/// The checks and their last result, shared by every connection.
pub struct Health {
    state: Mutex<State>,
    changed: Condvar,
    cache: Duration,
    /// How long a request may wait for a run: the checks' own deadline.
    pub run_limit: Duration,
}

/// What the runner thread needs to run and report the checks.
struct Runner {
    checks: Vec<Check>,
    timeout: Duration,
    start_period: Option<Duration>,
    exit_codes: crate::values::ExitCodes,
    /// --quiet: no verdict lines.
    quiet: bool,
    /// --format: what a request gets (the printed lines stay lines).
    format: Format,
}

impl Health {
    /// Starts the thread that runs `checks` whenever a request asks.
    pub fn start(
        checks: Vec<Check>,
        opts: &Options,
        timeout: Duration,
    ) -> std::io::Result<Arc<Health>> {
        // The first run starts at once: the first verdict is in the log (and
        // the cache) before the first request.
        let health = Arc::new(Health {
            state: Mutex::new(State {
                wanted: true,
                ..State::default()
            }),
            changed: Condvar::new(),
            cache: opts.cache,
            run_limit: timeout,
        });
        let runner = Runner {
            checks,
            timeout,
            start_period: opts.start_period,
            exit_codes: opts.exit_codes,
            quiet: opts.quiet,
            format: opts.format,
        };
        let shared = Arc::clone(&health);
        std::thread::Builder::new()
            .name("checks".into())
            .stack_size(RUNNER_STACK)
            .spawn(move || shared.run_forever(&runner))?;
        Ok(health)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a thread panicked holding it; the state is plain data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current answer: the cached one, or that of the run in flight or
    /// of a new one. `None` if no run finished within `wait` (the checks'
    /// deadline plus a little).
    pub fn answer(&self, wait: Duration) -> Option<Arc<Answer>> {
        let until = Instant::now() + wait;
        let mut state = self.lock();
        if let Some(latest) = &state.latest
            && latest.at.elapsed() < self.cache
        {
            return Some(Arc::clone(latest));
        }
        // Join the run in flight, or ask for one: either way, wait for the
        // next run to finish.
        let target = state.finished + 1;
        if !state.wanted && !state.running {
            state.wanted = true;
            self.changed.notify_all();
        }
        while state.finished < target {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            state = match self.changed.wait_timeout(state, left) {
                Ok((s, _)) => s,
                Err(e) => e.into_inner().0,
            };
        }
        state.latest.clone()
    }

    fn run_forever(&self, runner: &Runner) {
        let mut last: Option<bool> = None;
        loop {
            {
                let mut state = self.lock();
                while !state.wanted {
                    state = match self.changed.wait(state) {
                        Ok(s) => s,
                        Err(e) => e.into_inner(),
                    };
                }
                state.wanted = false;
                state.running = true;
            }
            let answer = Arc::new(runner.run());
            // One line at the first verdict and one per change, never per request.
            match last {
                _ if runner.quiet => {}
                None => report::print(&answer.line),
                Some(was) if was != answer.healthy => {
                    report::print(&format!("{} -> {}", word(was), answer.line))
                }
                Some(_) => {}
            }
            last = Some(answer.healthy);
            let mut state = self.lock();
            state.latest = Some(answer);
            state.finished += 1;
            state.running = false;
            self.changed.notify_all();
        }
    }
}

fn word(healthy: bool) -> &'static str {
    match healthy {
        true => "healthy",
        false => "unhealthy",
    }
}

impl Runner {
    fn run(&self) -> Answer {
        let deadline = Deadline::start(self.timeout);
        let reports = probe::run_all(&self.checks, &deadline);
        let verdict = Verdict::decide(&reports, self.start_period, self.exit_codes);
        let headline = verdict.headline();
        let elapsed = deadline.elapsed();
        let json = (self.format == Format::Json).then(|| {
            let code = verdict.exit_code(self.exit_codes);
            report::render_json(verdict.word(), code, &reports, elapsed, &[])
        });
        Answer {
            healthy: verdict == Verdict::Healthy,
            json,
            line: report::render(&headline, &reports, elapsed, false),
            verbose: report::render(&headline, &reports, elapsed, true),
            at: Instant::now(),
        }
    }
}
