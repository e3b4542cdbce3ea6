//! The one deadline every check of an invocation runs under.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    start: Instant,
    end: Instant,
}

impl Deadline {
    /// Starts the clock now. `budget` has already been bounded by the CLI, so the
    /// addition cannot overflow; should it ever, the deadline is "now".
    pub fn start(budget: Duration) -> Self {
        let start = Instant::now();
        let end = start.checked_add(budget).unwrap_or(start);
        Deadline { start, end }
    }

    /// `deadline`, ending `early` before it (never before it started).
    pub fn ending_before(deadline: &Deadline, early: Duration) -> Deadline {
        let end = deadline
            .end
            .checked_sub(early)
            .map_or(deadline.start, |e| e.max(deadline.start));
        Deadline {
            start: deadline.start,
            end,
        }
    }

    pub fn remaining(&self) -> Duration {
        self.end.saturating_duration_since(Instant::now())
    }

    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }

    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// The whole budget, for messages: `1s`, `500ms` as given; `1.0s` for
    /// a budget cut from another's remaining time (never `999ms 995us`).
    pub fn budget(&self) -> String {
        crate::report::rounded(self.end - self.start)
    }
}
