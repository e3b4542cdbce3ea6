//! `tcp HOST:PORT`: healthy once a connection is established to any address.

use std::net::TcpStream;
use std::time::Instant;

use crate::deadline::Deadline;
use crate::net;
use crate::report::{CheckReport, format_duration};
use crate::target::HostPort;

pub fn subject(target: &HostPort) -> String {
    format!("tcp {target}")
}

pub fn check(target: &HostPort, deadline: &Deadline) -> CheckReport {
    let started = Instant::now();
    let mut report = CheckReport::new(subject(target));
    match net::resolve(target, deadline) {
        Err(reason) => report.result = reason,
        Ok(addrs) => {
            let outcome = net::connect_any(
                &addrs,
                deadline,
                |addr, share| TcpStream::connect_timeout(&addr, share),
                net::io_reason,
            );
            match outcome {
                Ok((_stream, addr)) => {
                    report.healthy = true;
                    report.result = format!("connected to {addr}");
                }
                Err(failures) if deadline.expired() => {
                    report.result = format!(
                        "timed out after {} connecting: {failures}",
                        deadline.budget()
                    );
                }
                Err(failures) => report.result = failures.to_string(),
            }
            report.details.push(format!(
                "resolved {} to {} addresses",
                target.host,
                addrs.len()
            ));
        }
    }
    report.elapsed = started.elapsed();
    report
        .details
        .push(format!("done in {}", format_duration(report.elapsed)));
    report
}
