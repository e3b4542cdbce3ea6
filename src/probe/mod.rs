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
/// for the common case), several at once so the time is the slowest, not the sum.
pub fn run_all(checks: &[Check], deadline: &Deadline) -> Vec<CheckReport> {
    if let [one] = checks {
        return vec![one.run(deadline)];
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = checks
            .iter()
            .map(|c| scope.spawn(move || c.run(deadline)))
            .collect();
        handles
            .into_iter()
            .zip(checks)
            .map(|(h, c)| {
                h.join().unwrap_or_else(|_| {
                    let mut r = CheckReport::new(format!("{c:?}"));
                    r.result = "the check failed unexpectedly".into();
                    r
                })
            })
            .collect()
    })
}
