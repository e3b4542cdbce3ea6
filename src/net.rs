//! Name resolution and connecting, under the deadline.
//!
//! IP literals and `localhost` never touch the system resolver (a scratch image
//! may have no /etc/hosts); other names go through getaddrinfo on a helper
//! thread so that a stuck resolver cannot outlive the deadline.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

use crate::deadline::Deadline;
use crate::target::HostPort;

/// Every address `target` names, IPv4 first for `localhost`.
pub fn resolve(target: &HostPort, deadline: &Deadline) -> Result<Vec<SocketAddr>, String> {
    if let Some(addrs) = resolve_without_resolver(&target.host, target.port) {
        return Ok(addrs);
    }
    let query = (target.host.clone(), target.port);
    let (tx, rx) = mpsc::sync_channel(1);
    // The thread is left behind on a timeout: the process exits right after.
    std::thread::spawn(move || {
        let _ = tx.send(query.to_socket_addrs().map(|it| it.collect::<Vec<_>>()));
    });
    match rx.recv_timeout(deadline.remaining()) {
        Ok(Ok(mut addrs)) => {
            dedup(&mut addrs);
            if addrs.is_empty() {
                Err(format!("{} has no addresses", target.host))
            } else {
                Ok(addrs)
            }
        }
        Ok(Err(e)) => Err(format!(
            "cannot resolve {}: {}",
            target.host,
            resolve_error(&e)
        )),
        Err(_) => Err(format!("timed out resolving {}", target.host)),
    }
}

fn resolve_without_resolver(host: &str, port: u16) -> Option<Vec<SocketAddr>> {
    if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost.") {
        return Some(vec![
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port),
        ]);
    }
    host.parse::<IpAddr>()
        .ok()
        .map(|ip| vec![SocketAddr::new(ip, port)])
}

fn dedup(addrs: &mut Vec<SocketAddr>) {
    let mut seen = Vec::with_capacity(addrs.len());
    addrs.retain(|a| {
        let new = !seen.contains(a);
        seen.push(*a);
        new
    });
}

fn resolve_error(e: &io::Error) -> String {
    let text = e.to_string();
    // std wraps getaddrinfo's text as "failed to lookup address information: ...".
    text.strip_prefix("failed to lookup address information: ")
        .unwrap_or(&text)
        .to_lowercase()
}

/// Why one address could not be connected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrFailure {
    pub addr: SocketAddr,
    pub reason: String,
}

/// The failures of every address tried, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectFailures(pub Vec<AddrFailure>);

impl fmt::Display for ConnectFailures {
    /// `connection refused (127.0.0.1:5432, [::1]:5432)` when all agree, else
    /// `127.0.0.1:5432 connection refused, [::1]:5432 timed out`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(first) = self.0.first() else {
            return f.write_str("no address to connect to");
        };
        if self.0.iter().all(|x| x.reason == first.reason) {
            write!(f, "{} (", first.reason)?;
            for (i, x) in self.0.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                write!(f, "{sep}{}", x.addr)?;
            }
            f.write_str(")")
        } else {
            for (i, x) in self.0.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                write!(f, "{sep}{} {}", x.addr, x.reason)?;
            }
            Ok(())
        }
    }
}

/// Tries each address in turn, giving each an equal share of what is left of
/// the deadline (a silent address cannot eat the others' time), and returns
/// the first connection made.
pub fn connect_any<T, E>(
    addrs: &[SocketAddr],
    deadline: &Deadline,
    mut connect: impl FnMut(SocketAddr, Duration) -> Result<T, E>,
    describe: impl Fn(&E) -> String,
) -> Result<(T, SocketAddr), ConnectFailures> {
    const MIN_SHARE: Duration = Duration::from_millis(10);
    let mut failures = ConnectFailures::default();
    for (i, &addr) in addrs.iter().enumerate() {
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            failures.0.push(AddrFailure {
                addr,
                reason: "not tried (deadline reached)".into(),
            });
            continue;
        }
        let left = (addrs.len() - i) as u32;
        let share = (remaining / left).max(MIN_SHARE).min(remaining);
        match connect(addr, share) {
            Ok(t) => return Ok((t, addr)),
            Err(e) => failures.0.push(AddrFailure {
                addr,
                reason: describe(&e),
            }),
        }
    }
    Err(failures)
}

/// An io::Error as a short, lower-case reason: "connection refused".
pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => "timed out".into(),
        io::ErrorKind::ConnectionRefused => "connection refused".into(),
        io::ErrorKind::ConnectionReset => "connection reset".into(),
        _ => {
            let text = e.to_string();
            // Drop std's " (os error 101)" suffix; the words say it.
            let text = text.split(" (os error").next().unwrap_or(&text);
            text.to_ascii_lowercase()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_is_both_loopbacks_without_a_resolver() {
        let addrs = resolve_without_resolver("LOCALHOST", 80).unwrap();
        assert_eq!(
            addrs,
            vec!["127.0.0.1:80".parse().unwrap(), "[::1]:80".parse().unwrap()]
        );
        assert!(resolve_without_resolver("db", 80).is_none());
        assert_eq!(
            resolve_without_resolver("::1", 9).unwrap(),
            vec!["[::1]:9".parse().unwrap()]
        );
    }

    #[test]
    fn failures_read_as_one_phrase() {
        let a = |s: &str, r: &str| AddrFailure {
            addr: s.parse().unwrap(),
            reason: r.into(),
        };
        let same = ConnectFailures(vec![
            a("127.0.0.1:1", "connection refused"),
            a("[::1]:1", "connection refused"),
        ]);
        assert_eq!(
            same.to_string(),
            "connection refused (127.0.0.1:1, [::1]:1)"
        );
        let mixed = ConnectFailures(vec![
            a("127.0.0.1:1", "connection refused"),
            a("[::1]:1", "timed out"),
        ]);
        assert_eq!(
            mixed.to_string(),
            "127.0.0.1:1 connection refused, [::1]:1 timed out"
        );
    }
}
