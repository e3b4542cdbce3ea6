//! The checks: what each kind needs, and running several under one deadline.

pub mod exec;
pub mod file;
pub mod grpc;
pub mod http;
pub mod tcp;
pub mod unix;

use crate::deadline::Deadline;
use crate::report::CheckReport;
use crate::target::HostPort;

#[derive(Debug, Clone)]
pub enum Check {
    Http(Box<http::HttpCheck>),
    Tcp(HostPort),
    Exec(exec::ExecCheck),
    File(file::FileCheck),
    Grpc(Box<grpc::GrpcCheck>),
}

impl Check {
    /// What is checked, for a report made without running the check.
    fn subject(&self) -> String {
        match self {
            Check::Http(c) => c.subject(),
            Check::Tcp(t) => tcp::subject(t),
            Check::Exec(c) => c.subject(),
            Check::File(c) => c.subject(),
            Check::Grpc(c) => c.subject(),
        }
    }

    pub fn run(&self, deadline: &Deadline) -> CheckReport {
        match self {
            Check::Http(c) => http::check(c, deadline),
            Check::Tcp(t) => tcp::check(t, deadline),
            Check::Exec(c) => exec::check(c, deadline),
            Check::File(c) => file::check(c),
            Check::Grpc(c) => grpc::check(c, deadline),
        }
    }
}

/// Runs every check under `deadline`: one on this thread (no thread is started
/// for the common case), several at once so the time is the slowest, not the
/// sum. The first check runs here while the others run on their own threads.
pub fn run_all(checks: &[Check], deadline: &Deadline) -> Vec<CheckReport> {
    let Some((first, others)) = checks.split_first() else {
        return Vec::new();
    };
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
            let report = match handle {
                Ok(h) => h.join().ok(),
                // No thread to be had: run it here, on what is left of the deadline.
                Err(_) => Some(check.run(deadline)),
            };
            reports.push(report.unwrap_or_else(|| {
                let mut r = CheckReport::new(check.subject());
                r.result = "the check failed unexpectedly".into();
                r
            }));
        }
        reports
    })
}

/// Stack size of the threads that run extra targets.
const CHECK_STACK: usize = 256 * 1024;
