//! `dns:NAME`, `dns://NAME` (the system's resolver: /etc/hosts, then the
//! nameservers of /etc/resolv.conf) and `dns://SERVER[:PORT]/NAME` (that
//! server only): healthy when NAME has at least one A or AAAA record (with
//! `-4` A only, with `-6` AAAA only, the server reached over that family),
//! and the line lists them; with `?type=T` (A, AAAA, CNAME, MX, NS, TXT,
//! SRV) when it has a record of that type. With `?expect=V[,V...]` only
//! when each value is among them: addresses as addresses, names without
//! regard to case or a final dot (MX and SRV by their target), TXT when
//! the record's text contains it. NXDOMAIN, a name without such records,
//! SERVFAIL and REFUSED are unhealthy, in words.
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
//! servers, UDP and TCP, response checks), not one exchange. Record types,
//! `-4`/`-6`, the streamed /etc/hosts and exact counts added 11,936 bytes
//! of code (8 KiB of file), about 7,000 of them the record types (symbol
//! sizes: reading MX/NS/SRV/TXT/CNAME data, `type=`/`expect=`, the line).

pub mod message;
mod system;
mod transport;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Result, bail};

use crate::deadline::Deadline;
use crate::net::{self, Family};
use crate::probe::{Notes, Outcome, Probe};
use crate::report::{format_duration, shown};
use crate::target::{self, HostPort, shown_url};

use message::{MAX_RECORDS, NOERROR, NXDOMAIN, Record, TYPE_A, TYPE_AAAA, TYPES, type_name};
use system::{MAX_SEARCH, ResolvConf};
use transport::Silence;

/// Where DNS servers listen.
const DNS_PORT: u16 = 53;

/// Records the line shows; the rest are counted.
const SHOWN_RECORDS: usize = 8;
/// Values `?expect=` may list.
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
    /// `?type=T`; `None`: addresses.
    rtype: Option<u16>,
    /// The query types asked, in this order.
    qtypes: &'static [u16],
    /// The run's family (`-4`, `-6`): the servers' addresses.
    family: Family,
    expect: Vec<Expect>,
}

/// One value of `?expect=`, as the type reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    Address(IpAddr),
    /// Lower case, without a final dot.
    Name(String),
    Text(String),
}

impl Expect {
    fn found_in(&self, record: &Record) -> bool {
        match (self, record) {
            (Expect::Address(ip), Record::Address(a)) => ip == a,
            (Expect::Name(n), Record::Name(_, name)) => name.eq_ignore_ascii_case(n),
            (Expect::Text(t), Record::Text(text)) => {
                text.windows(t.len().max(1)).any(|w| w == t.as_bytes())
            }
            _ => false,
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Address(ip) => ip.fmt(f),
            Expect::Name(name) => f.write_str(name),
            Expect::Text(text) => f.write_str(&shown(text)),
        }
    }
}

/// The address queries for `family`.
fn address_types(family: Family) -> &'static [u16] {
    match family {
        Family::Any => &[TYPE_A, TYPE_AAAA],
        Family::V4 => &[TYPE_A],
        Family::V6 => &[TYPE_AAAA],
    }
}

impl DnsCheck {
    /// Parses `dns:NAME`, `dns://NAME` or `dns://SERVER[:PORT]/NAME`, each
    /// with optional `?type=T` and `?expect=V[,V...]`, for a run of `family`.
    pub fn parse(input: &str, family: Family) -> Result<DnsCheck> {
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
        let (mut rtype, mut values) = (None, Vec::new());
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            if let Some(t) = pair.strip_prefix("type=") {
                let t = target::percent_decode(t);
                let Some((_, code)) = TYPES.iter().find(|(n, _)| n.eq_ignore_ascii_case(&t)) else {
                    bail!(bad(format!(
                        "type {} is not one of A, AAAA, CNAME, MX, NS, TXT, SRV",
                        shown(&t)
                    )));
                };
                if rtype.replace(code).is_some() {
                    bail!(bad("type= given twice".into()));
                }
            } else if let Some(list) = pair.strip_prefix("expect=") {
                // Split first: %2C is a comma inside a value.
                values.extend(list.split(',').filter(|v| !v.is_empty()));
            } else {
                bail!(bad(format!(
                    "unknown option {} (type=T, expect=VALUE,...)",
                    shown(pair)
                )));
            }
        }
        if values.len() > MAX_EXPECT {
            bail!(bad(format!("expect lists more than {MAX_EXPECT} values")));
        }
        // What the addresses may be: the type's family, within the run's.
        let (qtypes, wants) = match rtype {
            None => (address_types(family), family),
            Some(t) => (
                std::slice::from_ref(t),
                match *t {
                    TYPE_A => Family::V4,
                    TYPE_AAAA => Family::V6,
                    _ => family,
                },
            ),
        };
        if family != Family::Any && wants != family {
            bail!(bad(format!(
                "type={} contradicts {} (only {} records)",
                type_name(qtypes[0]),
                if family == Family::V4 { "-4" } else { "-6" },
                type_name(address_types(family)[0]),
            )));
        }
        let mut expect = Vec::new();
        for raw in values {
            let value = target::percent_decode(raw);
            expect.push(match rtype.copied() {
                None | Some(TYPE_A | TYPE_AAAA) => {
                    let bare = value.trim_start_matches('[').trim_end_matches(']');
                    let Ok(ip) = bare.parse::<IpAddr>() else {
                        bail!(bad(format!(
                            "expect: {} is not an IP address",
                            shown(&value)
                        )));
                    };
                    if (wants == Family::V4 && ip.is_ipv6())
                        || (wants == Family::V6 && ip.is_ipv4())
                    {
                        let asked = qtypes.iter().map(|&t| type_name(t));
                        bail!(bad(format!(
                            "expect: {ip} cannot be among the {} records asked for",
                            asked.collect::<Vec<_>>().join(" and ")
                        )));
                    }
                    Expect::Address(ip)
                }
                Some(message::TYPE_TXT) => Expect::Text(value),
                Some(_) => {
                    let name = value.trim_end_matches('.').to_ascii_lowercase();
                    if name.is_empty() {
                        bail!(bad("expect: an empty name".into()));
                    }
                    Expect::Name(name)
                }
            });
        }
        Ok(DnsCheck {
            name: name.to_string(),
            server,
            rtype: rtype.copied(),
            qtypes,
            family,
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
        let mut cut = None;
        let lookup = match &self.server {
            None => system_lookup(
                &self.name,
                self.qtypes,
                self.family,
                &mut cut,
                deadline,
                notes,
            ),
            Some(server) => match server_addresses(server, self.family, deadline, notes) {
                Ok(servers) => ask_each_name(
                    &[self.name.trim_end_matches('.').to_string()],
                    &servers,
                    self.qtypes,
                    (DIRECT_ATTEMPTS, DIRECT_TIMEOUT),
                    deadline,
                    notes,
                ),
                Err(why) => Lookup::Failed(why, false),
            },
        };
        match (self.judge(lookup), cut) {
            (Outcome::Unhealthy(why), Some(cut)) => Outcome::Unhealthy(format!("{why}; {cut}")),
            (outcome, _) => outcome,
        }
    }
}

impl DnsCheck {
    fn judge(&self, lookup: Lookup) -> Outcome {
        let (found, mut shown) = match lookup {
            Lookup::Found {
                name,
                records,
                more,
                from_hosts,
            } => {
                let mut shown = list(&records, more, from_hosts);
                if let Some(t) = self.rtype {
                    shown.insert_str(0, &format!("{} ", type_name(t)));
                }
                if from_hosts {
                    shown.push_str(" (from /etc/hosts)");
                } else if !name.eq_ignore_ascii_case(self.name.trim_end_matches('.')) {
                    shown.push_str(&format!(" (as {name})"));
                }
                (records, shown)
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
            Lookup::NoRecord(name) => {
                let addresses = matches!(self.rtype, None | Some(TYPE_A | TYPE_AAAA));
                let types: Vec<&str> = self.qtypes.iter().map(|&t| type_name(t)).collect();
                return Outcome::Unhealthy(format!(
                    "no {}: {name} has no {} record",
                    if addresses { "address" } else { "record" },
                    types.join(" or ")
                ));
            }
            Lookup::Failed(why, _) => return Outcome::Unhealthy(why),
        };
        let missing: Vec<String> = self
            .expect
            .iter()
            .filter(|e| !found.iter().any(|r| e.found_in(r)))
            .map(Expect::to_string)
            .collect();
        if missing.is_empty() {
            return Outcome::Healthy(shown);
        }
        shown.push_str(&format!("; missing {} (expect=)", missing.join(", ")));
        Outcome::Unhealthy(shown)
    }
}

/// What looking a name up came to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lookup {
    Found {
        /// The name that had them (after the search list).
        name: String,
        records: Vec<Record>,
        /// Records beyond those kept: counted exactly from DNS; from
        /// /etc/hosts, lines that may repeat an address.
        more: usize,
        from_hosts: bool,
    },
    /// NXDOMAIN for each of these names.
    NoSuchName(Vec<String>),
    /// The name exists, without records of the types asked.
    NoRecord(String),
    /// Why not, and whether a server answered (with an error code).
    Failed(String, bool),
}

/// /etc/hosts (for addresses), then the nameservers of /etc/resolv.conf
/// of `family`; `cut` says so when not every search domain was asked.
fn system_lookup(
    name: &str,
    qtypes: &[u16],
    family: Family,
    cut: &mut Option<String>,
    deadline: &Deadline,
    notes: &mut Notes,
) -> Lookup {
    // glibc's files module answers only for the family asked.
    let wanted = |ip: &IpAddr| qtypes.contains(if ip.is_ipv4() { &TYPE_A } else { &TYPE_AAAA });
    if qtypes.iter().any(|t| [TYPE_A, TYPE_AAAA].contains(t)) {
        match system::hosts_lookup(system::HOSTS, name, wanted, MAX_RECORDS, deadline) {
            Ok((addresses, more)) if !addresses.is_empty() => {
                let records: Vec<Record> = addresses.into_iter().map(Record::Address).collect();
                notes.detail(format!("{}: {}", system::HOSTS, list(&records, more, true)));
                return Lookup::Found {
                    name: name.trim_end_matches('.').to_string(),
                    records,
                    more,
                    from_hosts: true,
                };
            }
            Ok(_) => notes.detail(format!("{}: not there", system::HOSTS)),
            Err(why) => return Lookup::Failed(why, false),
        }
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
    let servers = match net::in_family(
        "the nameservers of /etc/resolv.conf",
        family,
        conf.nameservers.clone(),
    ) {
        Ok(servers) => servers,
        Err(why) => return Lookup::Failed(format!("no acceptable nameserver: {why}"), false),
    };
    if conf.search_over > 0 {
        *cut = Some(format!(
            "{} lists {} search domains, the first {MAX_SEARCH} were asked",
            system::RESOLV_CONF,
            MAX_SEARCH + conf.search_over
        ));
    }
    ask_each_name(
        &conf.candidates(name),
        &servers,
        qtypes,
        (conf.attempts, conf.timeout),
        deadline,
        notes,
    )
}

/// The addresses of `dns://SERVER/` in `family`: an IP address as it is,
/// `localhost` as both loopbacks, another name through the system's resolver.
fn server_addresses(
    server: &HostPort,
    family: Family,
    deadline: &Deadline,
    notes: &mut Notes,
) -> Result<Vec<SocketAddr>, String> {
    let at = |ip: IpAddr| SocketAddr::new(ip, server.port);
    let addresses = if let Ok(ip) = server.host.parse::<IpAddr>() {
        vec![at(ip)]
    } else if server.host.eq_ignore_ascii_case("localhost") {
        vec![
            at(IpAddr::V4(Ipv4Addr::LOCALHOST)),
            at(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        ]
    } else {
        let qtypes = address_types(family);
        match system_lookup(&server.host, qtypes, family, &mut None, deadline, notes) {
            Lookup::Found { records, .. } => records
                .iter()
                .filter_map(|r| match r {
                    Record::Address(ip) => Some(at(*ip)),
                    _ => None,
                })
                .collect(),
            Lookup::Failed(why, _) => {
                return Err(format!("cannot resolve the server {}: {why}", server.host));
            }
            _ => {
                return Err(format!(
                    "cannot resolve the server {}: no address",
                    server.host
                ));
            }
        }
    };
    net::in_family(&server.host, family, addresses)
        .map_err(|why| format!("no acceptable nameserver: {why}"))
}

/// Asks for each of `names` in turn (the search list) until one has
/// records; a name that does not exist, or has none, or that a server
/// failed on, passes to the next; no answer at all ends the search.
fn ask_each_name(
    names: &[String],
    servers: &[SocketAddr],
    qtypes: &[u16],
    tries: (usize, Duration),
    deadline: &Deadline,
    notes: &mut Notes,
) -> Lookup {
    let mut no_such = Vec::new();
    let mut no_record = None;
    let mut failed = None;
    for name in names {
        match ask_servers(name, servers, qtypes, tries, deadline, notes) {
            found @ Lookup::Found { .. } => return found,
            Lookup::NoSuchName(_) => no_such.push(name.clone()),
            Lookup::NoRecord(n) => no_record = no_record.or(Some(n)),
            Lookup::Failed(why, true) => failed = failed.or(Some(why)),
            silent @ Lookup::Failed(_, false) => return silent,
        }
    }
    if let Some(name) = no_record {
        Lookup::NoRecord(name)
    } else if let Some(why) = failed {
        Lookup::Failed(why, true)
    } else {
        Lookup::NoSuchName(no_such)
    }
}

/// Asks `servers` in turn, `attempts` rounds, for `name`'s records of
/// `qtypes`, until one answers for good (records, NXDOMAIN, or none).
/// Each try waits at most `timeout` and at most an equal share of what is
/// left of the deadline, so a silent first server leaves time for the next.
fn ask_servers(
    name: &str,
    servers: &[SocketAddr],
    qtypes: &[u16],
    (attempts, timeout): (usize, Duration),
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
        .map(|&server| transport::Asker::new(server, &qname, qtypes))
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
        let mut records = Vec::new();
        let mut more = 0;
        for response in answers.iter().flatten() {
            more += response.more;
            for record in &response.records {
                if !records.contains(record) {
                    records.push(record.clone());
                }
            }
        }
        let rcodes: Vec<u8> = answers.iter().flatten().map(|r| r.rcode).collect();
        let unanswered = answers.iter().any(Option::is_none);
        if !records.is_empty() {
            return Lookup::Found {
                name: name.to_string(),
                records,
                more,
                from_hosts: false,
            };
        } else if rcodes.contains(&NXDOMAIN) {
            return Lookup::NoSuchName(vec![name.to_string()]);
        } else if rcodes.iter().all(|&r| r == NOERROR) && !unanswered {
            return Lookup::NoRecord(name.to_string());
        }
        last = Some(match rcodes.into_iter().find(|&r| r != NOERROR) {
            Some(rcode) => (message::rcode_words(rcode, &server.to_string()), true),
            // One query answered without a record, another not yet.
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

/// `10.0.0.1, 10.0.0.2 and 3 more`: at most [`SHOWN_RECORDS`], then how
/// many others; `and more than N` when the count is a floor (`at_least`:
/// lines of /etc/hosts past the cap may repeat an address).
fn list(records: &[Record], more: usize, at_least: bool) -> String {
    let mut s = records
        .iter()
        .take(SHOWN_RECORDS)
        .map(Record::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let hidden = records.len().saturating_sub(SHOWN_RECORDS);
    if at_least && more > 0 {
        s.push_str(&format!(" and more than {hidden}"));
    } else if hidden + more > 0 {
        s.push_str(&format!(" and {} more", hidden + more));
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

    fn parse(input: &str) -> Result<DnsCheck> {
        DnsCheck::parse(input, Family::Any)
    }

    #[test]
    fn target_forms() {
        let c = parse("dns:db").unwrap();
        assert_eq!((c.name.as_str(), c.server.is_none()), ("db", true));
        assert_eq!(c.qtypes, [TYPE_A, TYPE_AAAA]);
        let c = parse("DNS://db.example./").unwrap();
        assert_eq!((c.name.as_str(), c.server.is_none()), ("db.example.", true));
        let c = parse("dns://10.0.0.2:5353/db?expect=10.0.0.5,[::1]").unwrap();
        assert_eq!(c.server.unwrap().to_string(), "10.0.0.2:5353");
        assert_eq!(
            c.expect,
            ["10.0.0.5", "::1"].map(|a| Expect::Address(a.parse().unwrap()))
        );
        let c = parse("dns://[::1]/db").unwrap();
        assert_eq!(c.server.unwrap().to_string(), "[::1]:53");
        let c = parse("dns://::1/db").unwrap();
        assert_eq!(c.server.unwrap().to_string(), "[::1]:53");
        let c = parse("dns://ns.internal/db").unwrap();
        assert_eq!(c.server.unwrap().to_string(), "ns.internal:53");
        assert_eq!(parse("dns:db").unwrap().subject(), "dns db");
        assert_eq!(
            DnsCheck::parse("dns:db", Family::V6).unwrap().qtypes,
            [TYPE_AAAA]
        );
    }

    #[test]
    fn types_and_what_they_expect() {
        let c = parse("dns:ex?type=mx&expect=Mail.Example.com.,b%2Cc").unwrap();
        assert_eq!(c.qtypes, [message::TYPE_MX]);
        assert_eq!(
            c.expect,
            [
                Expect::Name("mail.example.com".into()),
                Expect::Name("b,c".into())
            ]
        );
        let c = parse("dns:ex?expect=v%3Dspf1%20a,x&type=TXT").unwrap();
        assert_eq!(
            c.expect,
            [Expect::Text("v=spf1 a".into()), Expect::Text("x".into())]
        );
        let c = DnsCheck::parse("dns:ex?type=SRV", Family::V4).unwrap();
        assert_eq!(c.qtypes, [message::TYPE_SRV]);
        for (input, family, needle) in [
            (
                "dns:ex?type=AAAA",
                Family::V4,
                "type=AAAA contradicts -4 (only A records)",
            ),
            ("dns:ex?type=A", Family::V6, "type=A contradicts -6"),
            (
                "dns:ex?type=A&expect=::1",
                Family::Any,
                "::1 cannot be among the A records",
            ),
            (
                "dns:ex?expect=10.0.0.1",
                Family::V6,
                "cannot be among the AAAA records",
            ),
            ("dns:ex?type=PTR", Family::Any, "type \"PTR\" is not one of"),
            ("dns:ex?type=A&type=MX", Family::Any, "given twice"),
            ("dns:ex?type=NS&expect=.", Family::Any, "an empty name"),
        ] {
            let err = format!("{:#}", DnsCheck::parse(input, family).unwrap_err());
            assert!(err.contains(needle), "{input}: {err}");
        }
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
            ("dns:db?class=IN", "unknown option"),
            ("dns:bü.example", "punycode"),
            ("dns:a..b", "empty label"),
            ("dns://10.0.0.2:99999/db", "out of range"),
            ("dns://u:hunter2@10.0.0.2/db", "no user name"),
        ] {
            let err = format!("{:#}", parse(input).unwrap_err());
            assert!(err.contains(needle), "{input}: {err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }

    fn found(records: Vec<Record>, more: usize) -> Lookup {
        Lookup::Found {
            name: "db.svc".into(),
            records,
            more,
            from_hosts: false,
        }
    }

    fn addresses(addrs: &[&str]) -> Vec<Record> {
        addrs
            .iter()
            .map(|a| Record::Address(a.parse().unwrap()))
            .collect()
    }

    #[test]
    fn the_line_says_what_it_resolved_to() {
        let check = parse("dns:db?expect=10.0.0.1").unwrap();
        assert_eq!(
            check.judge(found(addresses(&["10.0.0.1", "::1"]), 0)),
            Outcome::Healthy("10.0.0.1, ::1 (as db.svc)".into())
        );
        assert_eq!(
            check.judge(found(addresses(&["10.0.0.2"]), 0)),
            Outcome::Unhealthy("10.0.0.2 (as db.svc); missing 10.0.0.1 (expect=)".into())
        );
        let many: Vec<String> = (1..=20).map(|i| format!("10.0.0.{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let Outcome::Healthy(line) = check.judge(found(addresses(&many), 280)) else {
            panic!()
        };
        assert!(
            line.ends_with("10.0.0.8 and 292 more (as db.svc)"),
            "{line}"
        );
        assert_eq!(
            list(&addresses(&many), 3, true),
            list(&addresses(&many[..8]), 0, false) + " and more than 12"
        );
        assert_eq!(
            check.judge(Lookup::NoSuchName(vec!["db.a".into(), "db".into()])),
            Outcome::Unhealthy("no such name (NXDOMAIN for db.a, db)".into())
        );
        assert_eq!(
            check.judge(Lookup::NoRecord("db".into())),
            Outcome::Unhealthy("no address: db has no A or AAAA record".into())
        );
    }

    #[test]
    fn records_are_compared_as_their_type_reads_them() {
        let name = |n: &str, s: &str| Record::Name(n.into(), s.into());
        let mx = parse("dns:db?type=MX&expect=MAIL.example.").unwrap();
        let records = vec![name("10", "mail.example"), name("20", "backup.example")];
        assert_eq!(
            mx.judge(found(records.clone(), 0)),
            Outcome::Healthy("MX 10 mail.example, 20 backup.example (as db.svc)".into())
        );
        let other = parse("dns:db?type=MX&expect=mail2.example").unwrap();
        let Outcome::Unhealthy(line) = other.judge(found(records, 0)) else {
            panic!()
        };
        assert!(
            line.ends_with("; missing mail2.example (expect=)"),
            "{line}"
        );
        let txt = parse("dns:db?type=TXT&expect=spf1,x%2Cy").unwrap();
        let text = |t: &str| Record::Text(t.as_bytes().to_vec());
        assert!(matches!(
            txt.judge(found(vec![text("v=spf1"), text("a x,y b")], 0)),
            Outcome::Healthy(_)
        ));
        let Outcome::Unhealthy(line) = txt.judge(found(vec![text("v=spf1")], 0)) else {
            panic!()
        };
        assert!(line.ends_with("; missing \"x,y\" (expect=)"), "{line}");
        assert_eq!(
            txt.judge(Lookup::NoRecord("db".into())),
            Outcome::Unhealthy("no record: db has no TXT record".into())
        );
    }
}
