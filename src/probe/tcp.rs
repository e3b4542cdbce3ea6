//! `tcp HOST:PORT`: healthy once a connection is established to any address.

use crate::deadline::Deadline;
use crate::net;
use crate::probe::{Notes, Outcome, Probe};
use crate::target::HostPort;

#[derive(Debug, Clone)]
pub struct TcpCheck {
    pub target: HostPort,
}

impl Probe for TcpCheck {
    fn subject(&self) -> String {
        format!("tcp {}", self.target)
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        match net::connect_tcp(&self.target, deadline, &mut notes.details) {
            Ok((_stream, addr)) => Outcome::Healthy(format!("connected to {addr}")),
            Err(reason) => Outcome::Unhealthy(reason),
        }
    }
}
