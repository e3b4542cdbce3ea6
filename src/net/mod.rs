//! Name resolution and connecting, under the deadline: the one way every
//! check reaches its target, and the one way a failure to is described.
//!
//! IP literals and `localhost` never touch the system resolver (a scratch image
//! may have no /etc/hosts); other names go through getaddrinfo on a helper
//! thread so that a stuck resolver cannot outlive the deadline.

pub mod conn;
pub mod listening;
pub mod socket;
pub mod unix;

use std::fmt::{self, Write as _};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use crate::deadline::Deadline;
use crate::report::{MAX_SUBJECT, format_duration};
use crate::target::HostPort;

/// Resolves `target` and connects to the first of its addresses that answers,
/// giving each an equal share of what is left of the deadline (a silent
/// address cannot eat the others' time). Notes each step in `details` (-v).
pub fn connect_tcp(
    target: &HostPort,
    deadline: &Deadline,
    details: &mut Vec<String>,
) -> Result<(TcpStream, SocketAddr), String> {
    let addrs = resolve(target, deadline)?;
    details.push(format!(
        "resolved {} to {} at {}",
        target.host,
        list(&addrs),
        format_duration(deadline.elapsed())
    ));
    let mut failures = ConnectFailures::default();
    let mut refused = Vec::new();
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
        match TcpStream::connect_timeout(&addr, share) {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                details.push(format!(
                    "connected to {addr} at {}",
                    format_duration(deadline.elapsed())
                ));
                return Ok((stream, addr));
            }
            Err(e) => {
                if e.kind() == io::ErrorKind::ConnectionRefused {
                    refused.push(addr);
                }
                let reason = io_reason(&e);
                details.push(format!("connect {addr}: {reason}"));
                failures.0.push(AddrFailure { addr, reason });
            }
        }
    }
    if deadline.expired() {
        return Err(format!(
            "timed out after {} connecting: {failures}",
            deadline.budget()
        ));
    }
    let mut reason = failures.to_string();
    if !refused.is_empty() {
        let budget = MAX_SUBJECT.saturating_sub(reason.len());
        if let Some(listening) = listening::describe(&refused, budget, deadline) {
            reason.push_str(&listening.suffix);
            details.extend(listening.details);
        }
    }
    Err(reason)
}

/// The least time one address gets, however many there are.
const MIN_SHARE: Duration = Duration::from_millis(10);

/// Every address `target` names, IPv4 first for `localhost`.
pub fn resolve(target: &HostPort, deadline: &Deadline) -> Result<Vec<SocketAddr>, String> {
    let addrs = resolve_any(target, deadline)?;
    in_family(&target.host, family(), addrs)
}

/// The address families a target may be reached by: `-4` and `-6` narrow
/// every target of the run to one, as curl's do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Family {
    #[default]
    Any,
    V4,
    V6,
}

/// The run's family (-4, -6): one setting for every target, read by
/// [`resolve`], so every kind of check that connects obeys it.
static FAMILY: AtomicU8 = AtomicU8::new(0);

/// Narrows every target of this run to IPv4 (`-4`) or IPv6 (`-6`).
pub fn set_family(ipv4: bool, ipv6: bool) {
    let family = match (ipv4, ipv6) {
        (true, _) => 1,
        (_, true) => 2,
        _ => 0,
    };
    FAMILY.store(family, Ordering::Relaxed);
}

/// The run's family, for checks that pick addresses themselves (`dns:`).
pub fn family() -> Family {
    match FAMILY.load(Ordering::Relaxed) {
        1 => Family::V4,
        2 => Family::V6,
        _ => Family::Any,
    }
}

/// Keeps the addresses of `family`; none left is a failure naming the
/// family and what the name has instead.
pub fn in_family(
    host: &str,
    family: Family,
    mut addrs: Vec<SocketAddr>,
) -> Result<Vec<SocketAddr>, String> {
    let (wanted, name, flag): (fn(&SocketAddr) -> bool, _, _) = match family {
        Family::Any => return Ok(addrs),
        Family::V4 => (SocketAddr::is_ipv4, "IPv4", "-4"),
        Family::V6 => (SocketAddr::is_ipv6, "IPv6", "-6"),
    };
    let others: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
    addrs.retain(wanted);
    if !addrs.is_empty() {
        return Ok(addrs);
    }
    let mut why = format!("no {name} address for {host} ({flag})");
    if host.parse::<IpAddr>().is_err() {
        // A name may have many addresses: the line names a few.
        const SHOWN: usize = 3;
        let has: Vec<String> = others.iter().take(SHOWN).map(IpAddr::to_string).collect();
        let _ = write!(why, "; it has {}", has.join(", "));
        if others.len() > SHOWN {
            let _ = write!(why, " and {} more", others.len() - SHOWN);
        }
    }
    Err(why)
}

/// Every address `target` names, whatever the family.
fn resolve_any(target: &HostPort, deadline: &Deadline) -> Result<Vec<SocketAddr>, String> {
    if let Some(addrs) = resolve_without_resolver(&target.host, target.port) {
        return Ok(addrs);
    }
    let query = (target.host.clone(), target.port);
    let (tx, rx) = mpsc::sync_channel(1);
    // The thread is left behind on a timeout: the process exits right after.
    let spawned = std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            let _ = tx.send(query.to_socket_addrs().map(|it| it.collect::<Vec<_>>()));
        });
    let answer = match spawned {
        Ok(_) => rx.recv_timeout(deadline.remaining()).ok(),
        // No thread to be had (RLIMIT_NPROC): ask on this one, unbounded.
        Err(_) => Some(
            (target.host.as_str(), target.port)
                .to_socket_addrs()
                .map(|it| it.collect()),
        ),
    };
    match answer {
        Some(Ok(mut addrs)) => {
            dedup(&mut addrs);
            if addrs.is_empty() {
                Err(format!("{} has no addresses", target.host))
            } else {
                Ok(addrs)
            }
        }
        Some(Err(e)) => Err(format!(
            "cannot resolve {}: {}",
            target.host,
            resolve_error(&e)
        )),
        None => Err(format!("timed out resolving {}", target.host)),
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

fn list(addrs: &[SocketAddr]) -> String {
    addrs
        .iter()
        .map(SocketAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why one address could not be connected to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct AddrFailure {
    addr: SocketAddr,
    reason: String,
}

/// The failures of every address tried, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ConnectFailures(Vec<AddrFailure>);

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

/// Why talking to a peer failed, for the line: TLS failures in words, a
/// timeout with the whole budget, and `phase` saying when it happened
/// ("during the TLS handshake", "waiting for the response").
pub fn describe_io(e: &io::Error, deadline: &Deadline, phase: &str) -> String {
    if let Some(tls) = crate::tls::reason(e) {
        return tls;
    }
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            format!("timed out after {} {phase}", deadline.budget())
        }
        io::ErrorKind::UnexpectedEof => format!("connection closed {phase}"),
        _ if e.raw_os_error().is_some() => format!("{} {phase}", io_reason(e)),
        _ => format!("{e} {phase}"),
    }
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
    fn a_family_keeps_its_addresses_or_says_what_there_is() {
        let both = || resolve_without_resolver("localhost", 80).unwrap();
        assert_eq!(
            in_family("localhost", Family::V6, both()).unwrap(),
            vec!["[::1]:80".parse().unwrap()]
        );
        assert_eq!(
            in_family("localhost", Family::V4, both()).unwrap(),
            vec!["127.0.0.1:80".parse().unwrap()]
        );
        let v4 = |n: u8| SocketAddr::from(([10, 0, 0, n], 80));
        assert_eq!(
            in_family("db", Family::V6, (1..=5).map(v4).collect()).unwrap_err(),
            "no IPv6 address for db (-6); it has 10.0.0.1, 10.0.0.2, 10.0.0.3 and 2 more"
        );
        assert_eq!(
            in_family("::1", Family::V4, vec!["[::1]:80".parse().unwrap()]).unwrap_err(),
            "no IPv4 address for ::1 (-4)"
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
