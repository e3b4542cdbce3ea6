//! `dns:NAME`, `dns://NAME` (the system's resolver: /etc/hosts, then the
//! nameservers of /etc/resolv.conf) and `dns://SERVER[:PORT]/NAME` (that
//! server only): healthy when NAME has at least one A or AAAA record, and
//! the line lists them; with `?expect=ADDR[,ADDR...]` only when each of those
//! is among them. NXDOMAIN, a name without addresses, SERVFAIL and REFUSED
//! are unhealthy, in words.
//!
//! No libc resolver: getaddrinfo blocks, so it would need a thread that can
//! outlive the deadline, and a static musl binary's resolver is not the
//! app's anyway. The probe reads the two files itself (`system.rs`, glibc's
//! reading) and asks the servers itself (`transport.rs`, non-blocking UDP
//! with TCP when truncated), checking every response (`message.rs`).
//!
//! Cost: 33,304 bytes of code and data in the slim x86_64 release build
//! (`--no-default-features`, musl; 32 KiB of file), measured against the
//! same build without it: over the 8 KiB aim of one protocol, since this is
//! a resolver (two configuration files, search list, retries across
//! servers, UDP and TCP, response checks), not one exchange.

mod message;
mod system;
mod transport;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Result, bail};

use crate::deadline::Deadline;
use crate::probe::{Notes, Outcome, Probe};
use crate::report::format_duration;
use crate::target::{self, HostPort, shown_url};

use message::{MAX_ADDRESSES, NOERROR, NXDOMAIN};
use system::ResolvConf;
use transport::Silence;

/// Where DNS servers listen.
const DNS_PORT: u16 = 53;

/// Addresses the line shows; the rest are counted.
const SHOWN_ADDRESSES: usize = 8;
/// Addresses `?expect=` may list.
const MAX_EXPECT: usize = 16;
/// The least time one try gets, however many are left.
const MIN_SHARE: Duration = Duration::from_millis(10);
/// Asking SERVER directly retries as dig does: three tries of up to 5 s.
const DIRECT_ATTEMPTS: usize = 3;
const DIRECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct DnsCheck {
    /// As typed (a trailing dot: no search domains).
    name: String,
    /// `dns://SERVER[:PORT]/NAME`: ask only this server.
    server: Option<HostPort>,
    expect: Vec<IpAddr>,
}

impl DnsCheck {
    /// Parses `dns:NAME`, `dns://NAME` or `dns://SERVER[:PORT]/NAME`, each
    /// with an optional `?expect=ADDR[,ADDR...]`.
    pub fn parse(input: &str) -> Result<DnsCheck> {
        let bad = |why: String| anyhow::anyhow!("bad DNS target {}: {why}", shown_url(input));
        let rest = input.get(4..).filter(|_| {
            input
                .get(..4)
                .is_some_and(|s| s.eq_ignore_ascii_case("dns:"))
        });
        let Some(rest) = rest else {
            bail!(bad("must start with dns: or dns://".into()));
        };
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        if rest.contains('@') {
            bail!(bad("no user name or password here".into()));
        }
        let (server, name) = match rest.strip_prefix("//") {
            None => (None, rest),
            Some(rest) => match rest.split_once('/') {
                Some((name, "")) => (None, name),
                Some((server, name)) => (Some(parse_server(server).map_err(bad)?), name),
                None => (None, rest),
            },
        };
        check_name(name).map_err(bad)?;
        let mut expect = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let Some(list) = pair.strip_prefix("expect=") else {
                bail!(bad(format!("unknown option {:?} (expect=ADDR,...)", pair)));
            };
            for addr in list.split(',').filter(|a| !a.is_empty()) {
                let bare = addr.trim_start_matches('[').trim_end_matches(']');
                let ip = target::percent_decode(bare)
                    .parse::<IpAddr>()
                    .map_err(|_| bad(format!("expect: {addr:?} is not an IP address")))?;
                if expect.len() == MAX_EXPECT {
                    bail!(bad(format!(
                        "expect lists more than {MAX_EXPECT} addresses"
                    )));
                }
                expect.push(ip);
            }
        }
        Ok(DnsCheck {
            name: name.to_string(),
            server,
            expect,
        })
    }
}

/// `SERVER[:PORT]`: an IP address (IPv6 in brackets when there is a port)
/// or a name, port 53 by default.
fn parse_server(server: &str) -> Result<HostPort, String> {
    if let Ok(ip) = server.parse::<Ipv6Addr>() {
        return Ok(HostPort {
            host: ip.to_string(),
            port: DNS_PORT,
        });
    }
    let with_port = if server.ends_with(']') || !server.contains(':') {
        format!("{server}:{}", DNS_PORT)
    } else {
        server.to_string()
    };
    target::parse_host_port(&with_port).map_err(|e| format!("{e:#}"))
}

/// A name DNS can carry: letters, digits, `-` and `_`, labels of 1 to 63
/// bytes, at most 253 in all; not an IP address.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("no name to look up".into());
    }
    if name.contains(':') {
        return Err("no name after the server (dns://SERVER[:PORT]/NAME)".into());
    }
    if name.parse::<IpAddr>().is_ok() {
        return Err(format!("{name} is an address, not a name"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "the name contains {c:?} (international names go in punycode, xn--...)"
        ));
    }
    message::encode_name(name).map(|_| ())
}

impl Probe for DnsCheck {
    fn subject(&self) -> String {
        match &self.server {
            None => format!("dns {}", self.name),
            Some(server) => format!("dns {} @{server}", self.name),
        }
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        let lookup = match &self.server {
            None => system_lookup(&self.name, deadline, notes),
            Some(server) => match server_addresses(server, deadline, notes) {
                Ok(servers) => ask_each_name(
                    &[self.name.trim_end_matches('.').to_string()],
                    &servers,
                    DIRECT_ATTEMPTS,
                    DIRECT_TIMEOUT,
                    deadline,
                    notes,
                ),
                Err(why) => Lookup::Failed(why, false),
            },
        };
        self.judge(lookup)
    }
}

impl DnsCheck {
    fn judge(&self, lookup: Lookup) -> Outcome {
        let (found, mut shown) = match lookup {
            Lookup::Found {
                name,
                addresses,
                from_hosts,
            } => {
                let mut shown = list(&addresses);
                if from_hosts {
                    shown.push_str(" (from /etc/hosts)");
                } else if !name.eq_ignore_ascii_case(self.name.trim_end_matches('.')) {
                    shown.push_str(&format!(" (as {name})"));
                }
                (addresses, shown)
            }
            Lookup::NoSuchName(tried) if tried.len() > 1 => {
                return Outcome::Unhealthy(format!(
                    "no such name (NXDOMAIN for {})",
                    names(&tried)
                ));
            }
            Lookup::NoSuchName(_) => {
                return Outcome::Unhealthy(message::rcode_words(NXDOMAIN, ""));
            }
            Lookup::NoAddress(name) => {
                return Outcome::Unhealthy(format!("no address: {name} has no A or AAAA record"));
            }
            Lookup::Failed(why, _) => return Outcome::Unhealthy(why),
        };
        let missing: Vec<IpAddr> = self
            .expect
            .iter()
            .filter(|ip| !found.contains(ip))
            .copied()
            .collect();
        if missing.is_empty() {
            return Outcome::Healthy(shown);
        }
        shown.push_str(&format!("; missing {} (expect=)", list(&missing)));
        Outcome::Unhealthy(shown)
    }
}

/// What looking a name up came to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lookup {
    Found {
        /// The name that had them (after the search list).
        name: String,
        addresses: Vec<IpAddr>,
        from_hosts: bool,
    },
    /// NXDOMAIN for each of these names.
    NoSuchName(Vec<String>),
    /// The name exists, without A or AAAA records.
    NoAddress(String),
    /// Why not, and whether a server answered (with an error code).
    Failed(String, bool),
}

/// /etc/hosts, then the nameservers of /etc/resolv.conf.
fn system_lookup(name: &str, deadline: &Deadline, notes: &mut Notes) -> Lookup {
    match system::hosts_lookup(system::HOSTS, name, MAX_ADDRESSES, deadline) {
        Ok(addresses) if !addresses.is_empty() => {
            notes.detail(format!("{}: {}", system::HOSTS, list(&addresses)));
            return Lookup::Found {
                name: name.trim_end_matches('.').to_string(),
                addresses,
                from_hosts: true,
            };
        }
        Ok(_) => notes.detail(format!("{}: not there", system::HOSTS)),
        Err(why) => return Lookup::Failed(why, false),
    }
    let conf = match ResolvConf::load(system::RESOLV_CONF, deadline) {
        Ok(conf) => conf,
        Err(why) => return Lookup::Failed(why, false),
    };
    notes.detail(format!(
        "{}: nameserver {}; search {}; ndots {}, timeout {}s, attempts {}",
        system::RESOLV_CONF,
        conf.nameservers
            .iter()
            .map(SocketAddr::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        conf.search.join(" "),
        conf.ndots,
        conf.timeout.as_secs(),
        conf.attempts
    ));
    ask_each_name(
        &conf.candidates(name),
        &conf.nameservers,
        conf.attempts,
        conf.timeout,
        deadline,
        notes,
    )
}

/// The addresses of `dns://SERVER/`: an IP address as it is, `localhost`
/// as both loopbacks, another name through the system's resolver.
fn server_addresses(
    server: &HostPort,
    deadline: &Deadline,
    notes: &mut Notes,
) -> Result<Vec<SocketAddr>, String> {
    let at = |ip: &IpAddr| SocketAddr::new(*ip, server.port);
    if let Ok(ip) = server.host.parse::<IpAddr>() {
        return Ok(vec![at(&ip)]);
    }
    if server.host.eq_ignore_ascii_case("localhost") {
        return Ok([
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]
        .iter()
        .map(at)
        .collect());
    }
    match system_lookup(&server.host, deadline, notes) {
        Lookup::Found { addresses, .. } => Ok(addresses.iter().map(at).collect()),
        Lookup::Failed(why, _) => Err(format!("cannot resolve the server {}: {why}", server.host)),
        _ => Err(format!(
            "cannot resolve the server {}: no address",
            server.host
        )),
    }
}

/// Asks for each of `names` in turn (the search list) until one has
/// addresses; a name that does not exist, or has no address, or that a
/// server failed on, passes to the next; no answer at all ends the search.
fn ask_each_name(
    names: &[String],
    servers: &[SocketAddr],
    attempts: usize,
    timeout: Duration,
    deadline: &Deadline,
    notes: &mut Notes,
) -> Lookup {
    let mut no_such = Vec::new();
    let mut no_address = None;
    let mut failed = None;
    for name in names {
        match ask_servers(name, servers, attempts, timeout, deadline, notes) {
            found @ Lookup::Found { .. } => return found,
            Lookup::NoSuchName(_) => no_such.push(name.clone()),
            Lookup::NoAddress(n) => no_address = no_address.or(Some(n)),
            Lookup::Failed(why, true) => failed = failed.or(Some(why)),
            silent @ Lookup::Failed(_, false) => return silent,
        }
    }
    if let Some(name) = no_address {
        Lookup::NoAddress(name)
    } else if let Some(why) = failed {
        Lookup::Failed(why, true)
    } else {
        Lookup::NoSuchName(no_such)
    }
}

/// Asks `servers` in turn, `attempts` rounds, for `name`'s A and AAAA
/// records, until one answers for good (addresses, NXDOMAIN, or none).
/// Each try waits at most `timeout` and at most an equal share of what is
/// left of the deadline, so a silent first server leaves time for the next.
fn ask_servers(
    name: &str,
    servers: &[SocketAddr],
    attempts: usize,
    timeout: Duration,
    deadline: &Deadline,
    notes: &mut Notes,
) -> Lookup {
    let qname = match message::encode_name(name) {
        Ok(q) => q,
        Err(why) => return Lookup::Failed(why, false),
    };
    let tries = attempts * servers.len();
    let mut askers: Vec<transport::Asker> = servers
        .iter()
        .map(|&server| transport::Asker::new(server, &qname))
        .collect();
    let mut last: Option<(String, bool)> = None;
    for n in 0..tries {
        let asker = &mut askers[n % servers.len()];
        let server = servers[n % servers.len()];
        let left = deadline.remaining();
        if left.is_zero() {
            break;
        }
        let share = (left / (tries - n) as u32)
            .min(timeout)
            .max(MIN_SHARE)
            .min(left);
        let until = Deadline::start(share);
        let answers = match asker.ask(&until) {
            Ok((answers, over_tcp)) => {
                notes.detail(format!(
                    "{server} answered {name} over {} at {}",
                    if over_tcp { "TCP" } else { "UDP" },
                    format_duration(deadline.elapsed())
                ));
                answers
            }
            Err(Silence::TimedOut(why)) => {
                let mut reason = if deadline.expired() {
                    format!("timed out after {} asking {server}", deadline.budget())
                } else {
                    format!("no answer from {server}")
                };
                if let Some(why) = why {
                    reason.push_str(&format!(", ignoring a reply that fails the checks ({why})"));
                }
                notes.detail(reason.clone());
                last = Some((reason, false));
                continue;
            }
            Err(Silence::Failed(why)) => {
                let reason = format!("{why} ({server})");
                notes.detail(reason.clone());
                last = Some((reason, false));
                continue;
            }
        };
        let mut addresses = Vec::new();
        for ip in answers.iter().flatten().flat_map(|r| &r.addresses) {
            if !addresses.contains(ip) {
                addresses.push(*ip);
            }
        }
        let rcodes: Vec<u8> = answers.iter().flatten().map(|r| r.rcode).collect();
        let unanswered = answers.iter().any(Option::is_none);
        if !addresses.is_empty() {
            return Lookup::Found {
                name: name.to_string(),
                addresses,
                from_hosts: false,
            };
        } else if rcodes.contains(&NXDOMAIN) {
            return Lookup::NoSuchName(vec![name.to_string()]);
        } else if rcodes.iter().all(|&r| r == NOERROR) && !unanswered {
            return Lookup::NoAddress(name.to_string());
        }
        last = Some(match rcodes.into_iter().find(|&r| r != NOERROR) {
            Some(rcode) => (message::rcode_words(rcode, &server.to_string()), true),
            // One query answered without an address, the other not yet.
            None => (format!("no complete answer from {server}"), false),
        });
    }
    let (why, answered) = last.unwrap_or_else(|| {
        (
            format!("timed out after {} asking for {name}", deadline.budget()),
            false,
        )
    });
    Lookup::Failed(why, answered)
}

/// `10.0.0.1, 10.0.0.2 and 3 more`: at most [`SHOWN_ADDRESSES`].
fn list(addresses: &[IpAddr]) -> String {
    let mut s = addresses
        .iter()
        .take(SHOWN_ADDRESSES)
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if addresses.len() > SHOWN_ADDRESSES {
        s.push_str(&format!(" and {} more", addresses.len() - SHOWN_ADDRESSES));
    }
    s
}

/// `a.example, b.example and 2 more`: at most three names.
fn names(names: &[String]) -> String {
    let mut s = names.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 3 {
        s.push_str(&format!(" and {} more", names.len() - 3));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_forms() {
        let c = DnsCheck::parse("dns:db").unwrap();
        assert_eq!((c.name.as_str(), c.server.is_none()), ("db", true));
        let c = DnsCheck::parse("DNS://db.example./").unwrap();
        assert_eq!((c.name.as_str(), c.server.is_none()), ("db.example.", true));
        let c = DnsCheck::parse("dns://10.0.0.2:5353/db?expect=10.0.0.5,[::1]").unwrap();
        assert_eq!(c.server.unwrap().to_string(), "10.0.0.2:5353");
        assert_eq!(
            c.expect,
            [
                "10.0.0.5".parse::<IpAddr>().unwrap(),
                "::1".parse().unwrap()
            ]
        );
        let c = DnsCheck::parse("dns://[::1]/db").unwrap();
        assert_eq!(c.server.unwrap().to_string(), "[::1]:53");
        let c = DnsCheck::parse("dns://::1/db").unwrap();
        assert_eq!(c.server.unwrap().to_string(), "[::1]:53");
        let c = DnsCheck::parse("dns://ns.internal/db").unwrap();
        assert_eq!(c.server.unwrap().to_string(), "ns.internal:53");
        assert_eq!(DnsCheck::parse("dns:db").unwrap().subject(), "dns db");
    }

    #[test]
    fn bad_targets_name_the_problem() {
        for (input, needle) in [
            ("dns:", "no name"),
            ("dns://", "no name"),
            ("dns://10.0.0.2/", "is an address"),
            ("dns://10.0.0.2:5353/", "no name after the server"),
            ("dns:1.2.3.4", "is an address"),
            ("dns:db?expect=nope", "not an IP address"),
            ("dns:db?type=MX", "unknown option"),
            ("dns:bü.example", "punycode"),
            ("dns:a..b", "empty label"),
            ("dns://10.0.0.2:99999/db", "out of range"),
            ("dns://u:hunter2@10.0.0.2/db", "no user name"),
        ] {
            let err = format!("{:#}", DnsCheck::parse(input).unwrap_err());
            assert!(err.contains(needle), "{input}: {err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn the_line_says_what_it_resolved_to() {
        let check = DnsCheck::parse("dns:db?expect=10.0.0.1").unwrap();
        let found = |addrs: &[&str]| Lookup::Found {
            name: "db.svc".into(),
            addresses: addrs.iter().map(|a| a.parse().unwrap()).collect(),
            from_hosts: false,
        };
        assert_eq!(
            check.judge(found(&["10.0.0.1", "::1"])),
            Outcome::Healthy("10.0.0.1, ::1 (as db.svc)".into())
        );
        assert_eq!(
            check.judge(found(&["10.0.0.2"])),
            Outcome::Unhealthy("10.0.0.2 (as db.svc); missing 10.0.0.1 (expect=)".into())
        );
        let many: Vec<String> = (1..=20).map(|i| format!("10.0.0.{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let Outcome::Healthy(line) = check.judge(found(&many)) else {
            panic!()
        };
        assert!(line.ends_with("10.0.0.8 and 12 more (as db.svc)"), "{line}");
        assert_eq!(
            check.judge(Lookup::NoSuchName(vec!["db.a".into(), "db".into()])),
            Outcome::Unhealthy("no such name (NXDOMAIN for db.a, db)".into())
        );
    }
}
