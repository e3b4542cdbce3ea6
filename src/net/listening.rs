//! What does listen here, said when a connection to a local address is
//! refused: the commonest failure of a person debugging inside a container is
//! a probe aimed at the wrong place (another port, the other address family,
//! or the container's own address instead of loopback), and the image has no
//! `ss` or `netstat` to find out. `/proc/net/tcp` and `/proc/net/tcp6` tell it
//! without privileges, for the probe's own network namespace.
//!
//! Only on a refusal, never on the healthy path, and only when a refused
//! address is this host's (loopback, unspecified, or one a socket can bind
//! to). Reading the tables is not cheap: on a 24 GiB host the kernel walks
//! its whole established-connection hash (262,144 buckets, whatever the
//! namespace holds) for each file, 10-20 ms a file, measured on an idle
//! namespace. So they are read on a helper thread and waited for only until
//! the deadline; a late or unreadable table (no /proc) leaves the line as
//! it was.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::mpsc;

use crate::deadline::Deadline;

/// Read at most this much of each table (~100,000 sockets): the whole of
/// any real one, so the refused port's listener is found wherever the
/// kernel lists it, and every listener is counted. The deadline bounds the
/// time; memory stays a line's worth.
const MAX_TABLE: u64 = 16 * 1024 * 1024;
/// A table line is ~150 bytes; a longer one is not the kernel's.
const MAX_LINE: u64 = 512;
/// Listening sockets kept at most, besides those on the refused port (-v
/// has room for a few hundred); past it the line says "and more than N".
const MAX_LISTENERS: usize = 1024;
/// Entries named on the line; `-v` lists them all.
const ON_THE_LINE: usize = 4;
/// A `-v` line holding entries stays below this (report cuts at 160).
const DETAIL_WIDTH: usize = 150;

/// Where the line's part begins.
const HEAD: &str = "; listening here: ";

/// `result` without what listens here: what a check said, for comparing
/// attempts (`wait` prints a line when that changes, not when another
/// process opens a port).
pub fn without(result: &str) -> &str {
    result.split(HEAD).next().unwrap_or(result)
}

/// What listens here, for the line and for `-v`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listening {
    /// `; listening here: port 8080 only on [::1] (IPv6), 0.0.0.0:3000 and 2 more`
    pub suffix: String,
    /// Every entry, in lines for `-v`.
    pub details: Vec<String>,
}

/// For connections `refused` (all to one port): what listens here, with the
/// line's part at most `budget` bytes. None when no refused address is local,
/// the tables cannot be read before the deadline, or nothing listens.
pub fn describe(refused: &[SocketAddr], budget: usize, deadline: &Deadline) -> Option<Listening> {
    if deadline.expired() || !refused.iter().any(|a| is_local(a.ip())) {
        return None;
    }
    let port = refused.first()?.port();
    let (tx, rx) = mpsc::sync_channel(1);
    // A late thread is not waited for: it ends with its read (or the process).
    std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            let mut found = Found::default();
            for path in ["/proc/net/tcp", "/proc/net/tcp6"] {
                if let Ok(table) = File::open(path) {
                    listeners_in(table, u32::to_ne_bytes, port, &mut found);
                }
            }
            let _ = tx.send(found);
        })
        .ok()?;
    let found = rx.recv_timeout(deadline.remaining()).ok()?;
    render(&entries(refused, &found.listeners), found.more, budget)
}

/// The listening sockets read from the tables.
#[derive(Debug, Default)]
struct Found {
    /// Those on the refused port, all of them; others up to [`MAX_LISTENERS`].
    listeners: Vec<SocketAddr>,
    /// Whether others were left out past [`MAX_LISTENERS`].
    more: bool,
}

/// Loopback, unspecified (connecting there reaches this host), or an
/// address of this host: one a socket can bind to.
fn is_local(ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    ip.is_loopback() || ip.is_unspecified() || UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

/// Adds the listening sockets of one table to `out`: every one on `port`
/// (the refused one, wherever the kernel lists it), the others up to
/// [`MAX_LISTENERS`] in all, noting any left out. Reads at most
/// [`MAX_TABLE`] bytes of it, a line at a time: memory stays a buffer's
/// worth however many sockets the host has. The kernel prints each 32-bit
/// word of an address in host byte order: `word_bytes` turns one back into
/// the address's bytes (`u32::to_ne_bytes` for this host's tables).
fn listeners_in(table: impl Read, word_bytes: fn(u32) -> [u8; 4], port: u16, out: &mut Found) {
    let mut table = BufReader::with_capacity(8 * 1024, table.take(MAX_TABLE));
    let mut line = Vec::with_capacity(MAX_LINE as usize);
    let mut header = true;
    let mut others = out.listeners.iter().filter(|a| a.port() != port).count();
    loop {
        line.clear();
        // A longer line is read in pieces, which do not parse.
        match (&mut table).take(MAX_LINE).read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if std::mem::take(&mut header) => continue,
            Ok(_) => {}
        }
        // A cut last line (the read is bounded) does not parse either.
        let Some(addr) = listener(&line, word_bytes) else {
            continue;
        };
        let asked = addr.port() == port;
        if !asked && others >= MAX_LISTENERS {
            // Already kept (SO_REUSEPORT lists a socket per process) or left out.
            out.more |= !out.listeners.contains(&addr);
            continue;
        }
        // The refused port's own: as many as a port can have addresses, at
        // most MAX_LISTENERS as well.
        let kept_on_port = || out.listeners.iter().filter(|a| a.port() == port).count();
        if asked && kept_on_port() >= MAX_LISTENERS {
            out.more |= !out.listeners.contains(&addr);
            continue;
        }
        if !out.listeners.contains(&addr) {
            out.listeners.push(addr);
            others += usize::from(!asked);
        }
    }
}

/// The local address of a table line in state LISTEN (0A).
fn listener(line: &[u8], word_bytes: fn(u32) -> [u8; 4]) -> Option<SocketAddr> {
    let line = std::str::from_utf8(line).ok()?;
    let mut fields = line.split_ascii_whitespace();
    let (local, state) = (fields.nth(1)?, fields.nth(1)?);
    if state != "0A" {
        return None;
    }
    parse_local(local, word_bytes)
}

/// `0100007F:1F90` or `00000000000000000000000001000000:1F90`.
fn parse_local(field: &str, word_bytes: fn(u32) -> [u8; 4]) -> Option<SocketAddr> {
    let (hex, port) = field.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |i: usize| {
        hex.get(i * 8..i * 8 + 8)
            .and_then(|w| u32::from_str_radix(w, 16).ok())
            .map(word_bytes)
    };
    let ip = match hex.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(0)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&word(i)?);
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip.to_canonical(), port))
}

/// The entries to name, near misses first: the refused port where it does
/// listen (on other addresses), then every other port, in order, each
/// address once (a wildcard stands for its family's other addresses).
fn entries(refused: &[SocketAddr], listeners: &[SocketAddr]) -> Vec<String> {
    let Some(port) = refused.first().map(SocketAddr::port) else {
        return Vec::new();
    };
    let mut ports: Vec<u16> = listeners.iter().map(SocketAddr::port).collect();
    ports.sort_unstable();
    ports.dedup();
    // The refused port first; the sort is stable.
    ports.sort_by_key(|&p| p != port);
    let mut out = Vec::new();
    for p in ports {
        let ips = addresses_on(p, listeners);
        if p == port {
            out.push(near_miss(port, &ips, refused));
        } else if ips.contains(&IpAddr::V4(Ipv4Addr::UNSPECIFIED))
            && ips.contains(&IpAddr::V6(Ipv6Addr::UNSPECIFIED))
        {
            out.push(format!("*:{p}"));
        } else {
            out.extend(ips.iter().map(|&ip| SocketAddr::new(ip, p).to_string()));
        }
    }
    out
}

/// The addresses port `p` listens on, IPv4 first; a family's wildcard
/// (0.0.0.0, [::]) hides that family's other addresses.
fn addresses_on(p: u16, listeners: &[SocketAddr]) -> Vec<IpAddr> {
    let mut ips: Vec<IpAddr> = listeners
        .iter()
        .filter(|a| a.port() == p)
        .map(SocketAddr::ip)
        .collect();
    let any4 = ips.contains(&IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let any6 = ips.contains(&IpAddr::V6(Ipv6Addr::UNSPECIFIED));
    ips.retain(|ip| match ip {
        IpAddr::V4(_) => !any4 || ip.is_unspecified(),
        IpAddr::V6(_) => !any6 || ip.is_unspecified(),
    });
    ips.sort_by_key(|ip| (ip.is_ipv6(), *ip));
    ips.dedup();
    ips
}

/// `port 8080 only on [::1] (IPv6)`, `port 8080 only on 127.0.0.1 (IPv4)`,
/// `port 8080 only on 172.17.0.2 (not loopback)`: the refused port, where
/// it does listen, and why the target's addresses missed it.
fn near_miss(port: u16, ips: &[IpAddr], refused: &[SocketAddr]) -> String {
    let shown: Vec<String> = ips
        .iter()
        .map(|ip| match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        })
        .collect();
    let mut why = Vec::new();
    let same_family = ips
        .iter()
        .any(|ip| refused.iter().any(|r| r.is_ipv6() == ip.is_ipv6()));
    if !same_family {
        why.push(if ips.iter().all(IpAddr::is_ipv6) {
            "IPv6"
        } else {
            "IPv4"
        });
    }
    let asked_loopback = refused.iter().any(|r| r.ip().to_canonical().is_loopback());
    if asked_loopback && !ips.iter().any(|ip| ip.is_loopback() || ip.is_unspecified()) {
        why.push("not loopback");
    }
    let mut s = format!("port {port} only on {}", shown.join(" and "));
    if !why.is_empty() {
        let _ = write!(s, " ({})", why.join(", "));
    }
    s
}

/// The line's part (a few entries within `budget` bytes, then "and N more",
/// or "and more than N" when `more` were left out) and every entry for `-v`.
fn render(entries: &[String], more: bool, budget: usize) -> Option<Listening> {
    if entries.is_empty() {
        return None;
    }
    // Room kept for " and more than 2048".
    let room = budget.saturating_sub(HEAD.len() + 19);
    let mut shown = 0;
    let mut used = 0;
    for e in entries.iter().take(ON_THE_LINE) {
        let cost = e.len() + if shown == 0 { 0 } else { 2 };
        if used + cost > room {
            break;
        }
        used += cost;
        shown += 1;
    }
    let mut suffix = String::new();
    if shown > 0 {
        suffix = format!("{HEAD}{}", entries[..shown].join(", "));
        match (more, entries.len() - shown) {
            (true, 0) => suffix.push_str(" and more"),
            (true, n) => _ = write!(suffix, " and more than {n}"),
            (false, 0) => {}
            (false, n) => _ = write!(suffix, " and {n} more"),
        }
    } else if budget >= HEAD.len() + 19 {
        let over = if more { "more than " } else { "" };
        suffix = format!("{HEAD}{over}{} (see -v)", entries.len());
    }
    let mut details = Vec::new();
    let counted = match more {
        true => format!("more than {}", entries.len()),
        false => entries.len().to_string(),
    };
    let mut line = format!("listening here ({counted}):");
    for e in entries {
        if line.len() + 1 + e.len() > DETAIL_WIDTH {
            details.push(std::mem::take(&mut line));
        } else {
            line.push(' ');
        }
        line.push_str(e);
    }
    details.push(line);
    Some(Listening { suffix, details })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    /// A table as the kernel prints it on a host whose byte order `word`
    /// gives (`u32::from_le_bytes` or `u32::from_be_bytes`).
    fn table(rows: &[(SocketAddr, &str)], word: fn([u8; 4]) -> u32) -> Vec<u8> {
        let mut t = String::from(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n",
        );
        for (i, (addr, state)) in rows.iter().enumerate() {
            let bytes: Vec<u8> = match addr.ip() {
                IpAddr::V4(v4) => v4.octets().to_vec(),
                IpAddr::V6(v6) => v6.octets().to_vec(),
            };
            let mut hex = String::new();
            for w in bytes.chunks_exact(4) {
                let _ = write!(hex, "{:08X}", word([w[0], w[1], w[2], w[3]]));
            }
            let zero = "0".repeat(hex.len());
            let _ = writeln!(
                t,
                "{i:4}: {hex}:{:04X} {zero}:0000 {state} 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0",
                addr.port()
            );
        }
        t.into_bytes()
    }

    /// The listeners of one table, the refused port being `port`.
    fn read(table: &[u8], word_bytes: fn(u32) -> [u8; 4], port: u16) -> Found {
        let mut found = Found::default();
        listeners_in(table, word_bytes, port, &mut found);
        found
    }

    #[test]
    fn tables_parse_in_either_byte_order() {
        let rows = [
            (sa("127.0.0.1:8080"), "0A"),
            (sa("172.17.0.2:3000"), "0A"),
            (sa("10.0.0.1:40000"), "01"), // established: not a listener
            (sa("[::1]:9090"), "0A"),
            (sa("[fd00::1:2]:443"), "0A"),
            (sa("[::ffff:10.1.2.3]:25"), "0A"),
        ];
        let want = vec![
            sa("127.0.0.1:8080"),
            sa("172.17.0.2:3000"),
            sa("[::1]:9090"),
            sa("[fd00::1:2]:443"),
            sa("10.1.2.3:25"),
        ];
        let little = table(&rows, u32::from_le_bytes);
        let big = table(&rows, u32::from_be_bytes);
        assert_ne!(little, big);
        assert_eq!(read(&little, u32::to_le_bytes, 1).listeners, want);
        assert_eq!(read(&big, u32::to_be_bytes, 1).listeners, want);
        // This host's own order reads this host's tables.
        let native = table(&rows, u32::from_ne_bytes);
        assert_eq!(read(&native, u32::to_ne_bytes, 1).listeners, want);
    }

    #[test]
    fn the_kernels_text_for_loopback_reads_as_loopback() {
        // As printed on x86_64 (little-endian).
        let le = |s| parse_local(s, u32::to_le_bytes);
        assert_eq!(le("0100007F:1F90"), Some(sa("127.0.0.1:8080")));
        assert_eq!(
            le("00000000000000000000000001000000:2382"),
            Some(sa("[::1]:9090"))
        );
        // As printed on s390x (big-endian).
        let be = |s| parse_local(s, u32::to_be_bytes);
        assert_eq!(be("7F000001:1F90"), Some(sa("127.0.0.1:8080")));
        assert_eq!(
            be("00000000000000000000000000000001:2382"),
            Some(sa("[::1]:9090"))
        );
        for bad in [
            "",
            "0100007F",
            "0100007:1F90",
            "0100007F:1F90X",
            "ZZ00007F:0001",
        ] {
            assert_eq!(le(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_cut_or_hostile_table_is_read_as_far_as_it_parses() {
        let mut t = table(&[(sa("127.0.0.1:1"), "0A")], u32::from_le_bytes);
        t.extend_from_slice(b"   1: 0100007F:00"); // cut by the bounded read
        t.extend_from_slice(b"\n\xff\xfe 0A\n\n   2: 0A\n");
        t.extend_from_slice(&[b'7'; 1000]); // not a line the kernel writes
        t.extend_from_slice(b"\n");
        t.extend_from_slice(&table(&[(sa("127.0.0.1:2"), "0A")], u32::from_le_bytes)[1..]);
        assert_eq!(
            read(&t, u32::to_le_bytes, 1).listeners,
            vec![sa("127.0.0.1:1"), sa("127.0.0.1:2")]
        );
        // Nothing past the first MAX_TABLE bytes is read.
        let established = vec![(sa("127.0.0.1:9"), "01"); 3000];
        let one = table(&established, u32::from_le_bytes);
        let mut t = Vec::new();
        while t.len() as u64 <= MAX_TABLE {
            t.extend_from_slice(&one);
        }
        t.extend_from_slice(b"   1: 0100007F:0050 00000000:0000 0A\n");
        assert_eq!(read(&t, u32::to_le_bytes, 1).listeners, vec![]);
        t.drain(..t.len() - 40);
        assert_eq!(
            read(&t, u32::to_le_bytes, 1).listeners,
            vec![sa("127.0.0.1:80")],
            "{:?}",
            String::from_utf8_lossy(&t)
        );
    }

    #[test]
    fn the_refused_port_is_found_and_the_rest_counted_however_many_listen() {
        // issue 27: 3000 IPv4 listeners, the refused port's listed last.
        let many: Vec<(SocketAddr, &str)> = (1..=3000u16)
            .map(|p| (SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 20000 + p), "0A"))
            .collect();
        let t = table(&many, u32::from_le_bytes);
        let found = read(&t, u32::to_le_bytes, 23000);
        assert_eq!(found.listeners.len(), MAX_LISTENERS + 1);
        assert!(found.more);
        assert!(found.listeners.contains(&sa("127.0.0.1:23000")));
        let refused = [sa("[::1]:23000")];
        let got = render(&entries(&refused, &found.listeners), found.more, 200).unwrap();
        assert!(
            got.suffix
                .starts_with("; listening here: port 23000 only on 127.0.0.1 (IPv4), "),
            "{}",
            got.suffix
        );
        assert!(
            got.suffix.ends_with(" and more than 1021"),
            "{}",
            got.suffix
        );
        assert!(got.details[0].starts_with("listening here (more than 1025): "));
        // Within the bound, counted exactly.
        let found = read(&t[..t.len() / 4], u32::to_le_bytes, 23000);
        assert!(!found.more);
        let got = render(&entries(&refused, &found.listeners), found.more, 200).unwrap();
        assert!(
            got.suffix
                .ends_with(&format!(" and {} more", found.listeners.len() - 4))
        );
    }

    #[test]
    fn near_misses_come_first_in_words() {
        let v4 = [sa("127.0.0.1:8080")];
        let both = [sa("127.0.0.1:8080"), sa("[::1]:8080")];
        let l = |s: &[&str]| s.iter().map(|x| sa(x)).collect::<Vec<_>>();
        assert_eq!(
            entries(&v4, &l(&["0.0.0.0:3000", "[::1]:8080"])),
            ["port 8080 only on [::1] (IPv6)", "0.0.0.0:3000"]
        );
        assert_eq!(
            entries(&[sa("[::1]:8080")], &l(&["127.0.0.1:8080"])),
            ["port 8080 only on 127.0.0.1 (IPv4)"]
        );
        assert_eq!(
            entries(&v4, &l(&["[::]:8080"])),
            ["port 8080 only on [::] (IPv6)"]
        );
        assert_eq!(
            entries(&both, &l(&["[::]:9090", "172.17.0.2:8080", "0.0.0.0:3000"])),
            [
                "port 8080 only on 172.17.0.2 (not loopback)",
                "0.0.0.0:3000",
                "[::]:9090"
            ]
        );
        assert_eq!(
            entries(&v4, &l(&["[fd00::2]:8080"])),
            ["port 8080 only on [fd00::2] (IPv6, not loopback)"]
        );
        assert_eq!(
            entries(&v4, &l(&["127.0.0.5:8080", "10.0.0.1:8080"])),
            ["port 8080 only on 10.0.0.1 and 127.0.0.5"]
        );
    }

    #[test]
    fn each_port_and_address_is_named_once() {
        let l: Vec<SocketAddr> = [
            "0.0.0.0:3000",
            "[::]:3000",
            "127.0.0.1:5432",
            "[::1]:5432",
            "0.0.0.0:80",
            "127.0.0.1:80",
            "[::1]:80",
        ]
        .iter()
        .map(|x| sa(x))
        .collect();
        assert_eq!(
            entries(&[sa("127.0.0.1:1")], &l),
            [
                "0.0.0.0:80",
                "[::1]:80",
                "*:3000",
                "127.0.0.1:5432",
                "[::1]:5432"
            ]
        );
    }

    #[test]
    fn the_line_names_a_few_and_counts_the_rest() {
        let e: Vec<String> = (1..=10).map(|p| format!("0.0.0.0:{p}")).collect();
        let got = render(&e, false, 200).unwrap();
        assert_eq!(
            got.suffix,
            "; listening here: 0.0.0.0:1, 0.0.0.0:2, 0.0.0.0:3, 0.0.0.0:4 and 6 more"
        );
        assert_eq!(
            got.details,
            [
                "listening here (10): 0.0.0.0:1 0.0.0.0:2 0.0.0.0:3 0.0.0.0:4 0.0.0.0:5 \
              0.0.0.0:6 0.0.0.0:7 0.0.0.0:8 0.0.0.0:9 0.0.0.0:10"
            ]
        );
        // A tight budget names fewer, never more than it has room for.
        let got = render(&e, false, 60).unwrap();
        assert_eq!(
            got.suffix,
            "; listening here: 0.0.0.0:1, 0.0.0.0:2 and 8 more"
        );
        assert_eq!(render(&e, false, 20).unwrap().suffix, "");
        assert!(render(&[], false, 200).is_none());
        // -v lines stay within what the report shows of each.
        let many: Vec<String> = (1..=2048).map(|p| format!("[::]:{p}")).collect();
        let got = render(&many, false, 200).unwrap();
        assert!(got.details.iter().all(|d| d.len() <= DETAIL_WIDTH));
        assert_eq!(got.details.concat().matches("[::]:").count(), 2048);
    }

    #[test]
    fn without_it_the_result_is_what_the_check_said() {
        let e = vec!["0.0.0.0:3000".to_string()];
        let said = "connection refused (127.0.0.1:1)";
        let full = format!("{said}{}", render(&e, false, 200).unwrap().suffix);
        assert_eq!(without(&full), said);
        assert_eq!(without(said), said);
    }

    #[test]
    fn only_this_hosts_addresses_count_as_local() {
        assert!(is_local("127.0.0.1".parse().unwrap()));
        assert!(is_local("::1".parse().unwrap()));
        assert!(is_local("0.0.0.0".parse().unwrap()));
        assert!(is_local("::ffff:127.0.0.1".parse().unwrap()));
        // TEST-NET-3: documentation only, never an address of a host.
        assert!(!is_local("203.0.113.7".parse().unwrap()));
        let deadline = Deadline::start(std::time::Duration::from_secs(5));
        assert!(describe(&[sa("203.0.113.7:80")], 200, &deadline).is_none());
    }
}
