//! `dns:NAME`, `dns://NAME`, `dns://SERVER[:PORT]/NAME`: healthy when the
//! name has an A or AAAA record. Against dnsmasq serving names from a hosts
//! file (dig, on the same server, is the oracle), through the system's
//! resolver configuration (/etc/hosts and /etc/resolv.conf bind-mounted in a
//! network and mount namespace of the test's own, dnsmasq on its
//! 127.0.0.1:53), and against raw UDP/TCP servers that misbehave: silence,
//! wrong IDs, other questions, compression loops, impossible counts,
//! truncation then TCP, answers from another port, a flood.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::*;

// --- dnsmasq ------------------------------------------------------------------

/// What dnsmasq serves: a name with A and AAAA, one with two A records, one
/// found only through the search domain, one with forty A records (more
/// than a 512-byte datagram holds), one with only a TXT record.
const NAMES: &str = "\
10.1.1.1 both.test
fd00::11 both.test
10.2.2.1 two.test
10.2.2.2 two.test
10.3.3.3 short.svc.test
";

fn names_file(dir: &Path) -> PathBuf {
    let mut names = NAMES.to_string();
    for i in 1..=40 {
        names.push_str(&format!("10.4.0.{i} many.test\n"));
    }
    let path = dir.join("names");
    std::fs::write(&path, names).unwrap();
    path
}

/// dnsmasq's options for serving [`NAMES`] from `names` (and NXDOMAIN for
/// any other name under .test).
fn dnsmasq_args(names: &Path, port: u16) -> Vec<String> {
    vec![
        "--no-daemon".into(),
        format!("--port={port}"),
        "--listen-address=127.0.0.1".into(),
        "--bind-interfaces".into(),
        "--no-resolv".into(),
        "--no-hosts".into(),
        format!("--addn-hosts={}", names.display()),
        "--local=/test/".into(),
        "--txt-record=noaddr.test,hello".into(),
        "--pid-file=".into(),
        "--user=root".into(),
    ]
}

fn require_programs(programs: &[(&str, &str)]) {
    for (program, package) in programs {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        require(found, &format!("{program} (apt-get install {package})"));
    }
}

/// A process and its directory, stopped and removed when dropped.
struct Daemon {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fresh_dir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(prefix));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A loopback port free for both UDP and TCP.
fn free_dns_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// dnsmasq on a free loopback port.
fn dnsmasq() -> Daemon {
    require_programs(&[("dnsmasq", "dnsmasq-base"), ("dig", "dnsutils")]);
    require(is_root(), "root, for dnsmasq's --user=root");
    let dir = fresh_dir("hp-dnsmasq-");
    let port = free_dns_port();
    let log = dir.join("dnsmasq.log");
    let mut child = Command::new("dnsmasq")
        .args(dnsmasq_args(&names_file(&dir), port))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start dnsmasq");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("dnsmasq exited ({status}) before it listened:\n{log}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "dnsmasq did not start"
        );
        thread::sleep(Duration::from_millis(20));
    }
    Daemon { child, port, dir }
}

/// dig's answer, one address a line (`+short`), run under `wrapper`.
fn dig(wrapper: &[&str], args: &[&str]) -> Vec<String> {
    let (program, rest) = match wrapper.split_first() {
        Some((p, rest)) => (*p, rest.iter().chain(&["dig"]).copied().collect::<Vec<_>>()),
        None => ("dig", Vec::new()),
    };
    let out = Command::new(program)
        .args(rest)
        .args(["+short", "+tries=1", "+time=2"])
        .args(args)
        .output()
        .expect("run dig");
    assert!(out.status.success(), "dig {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect()
}

#[test]
#[ignore = "needs dnsmasq (apt dnsmasq-base), dig (apt dnsutils) and root; CI runs it"]
fn names_dnsmasq_serves_resolve_as_dig_sees_them() {
    let d = dnsmasq();
    let server = format!("127.0.0.1:{}", d.port);
    let at = |name: &str| format!("dns://{server}/{name}");
    let dig_at =
        |qtype: &str, name: &str| dig(&[], &["-p", &d.port.to_string(), "@127.0.0.1", qtype, name]);
    // Both families, and two addresses: each address dig sees is on the line.
    for name in ["both.test", "two.test"] {
        let r = probe(&[&at(name)]);
        r.healthy()
            .one_line()
            .says(&format!("healthy: dns {name} @{server} -> "));
        let mut seen = dig_at("A", name);
        seen.extend(dig_at("AAAA", name));
        assert!(!seen.is_empty());
        for addr in seen {
            r.says(&addr);
        }
    }
    assert_eq!(dig_at("AAAA", "both.test"), ["fd00::11"]);
    probe(&[&at("two.test?expect=10.2.2.2,10.2.2.1")]).healthy();
    probe(&[&at("both.test?expect=fd00::11")]).healthy();
    probe(&[&at("two.test?expect=10.2.2.1,10.2.2.9")])
        .unhealthy()
        .one_line()
        .says("missing 10.2.2.9 (expect=)");
    // NXDOMAIN, as dig sees it.
    let status = Command::new("dig")
        .args(["-p", &d.port.to_string(), "@127.0.0.1", "missing.test"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&status.stdout).contains("status: NXDOMAIN"));
    probe(&[&at("missing.test")])
        .unhealthy()
        .one_line()
        .says("no such name (NXDOMAIN)");
    probe(&[&at("noaddr.test")])
        .unhealthy()
        .says("no address: noaddr.test has no A or AAAA record");
    // Outside .test dnsmasq has nowhere to ask.
    probe(&[&at("example.org")])
        .unhealthy()
        .says(&format!("{server} refused the query (REFUSED)"));
    // Forty addresses do not fit in 512 bytes: asked again over TCP.
    assert_eq!(dig_at("A", "many.test").len(), 40);
    probe(&["-v", &at("many.test")])
        .healthy()
        .says("10.4.0.")
        .says("and 32 more")
        .says("answered many.test over TCP");
    // Several at once, with other kinds, and in `wait`.
    probe(&[&at("both.test"), &at("two.test")])
        .healthy()
        .says("2 checks");
    probe(&[&at("both.test"), &at("missing.test")])
        .unhealthy()
        .says("1 of 2 checks failed")
        .says("missing.test");
    probe(&["wait", "--timeout", "5s", &at("two.test"), "--", "true"]).healthy();
    probe(&["wait", "--timeout", "1s", &at("missing.test")])
        .unhealthy()
        .says("no such name (NXDOMAIN)");
}

#[test]
#[ignore = "needs root, unshare and nsenter (util-linux), ip (iproute2), dnsmasq and dig; CI runs it"]
fn the_system_resolver_reads_etc_hosts_then_resolv_conf() {
    require_programs(&[
        ("unshare", "util-linux"),
        ("nsenter", "util-linux"),
        ("ip", "iproute2"),
        ("dnsmasq", "dnsmasq-base"),
        ("dig", "dnsutils"),
    ]);
    require(is_root(), "root, for namespaces and bind mounts");
    let dir = fresh_dir("hp-dns-ns-");
    let hosts = dir.join("hosts");
    std::fs::write(
        &hosts,
        "127.0.0.1 localhost\n10.9.9.9 fromhosts.test alias.test\n",
    )
    .unwrap();
    let resolv = dir.join("resolv.conf");
    std::fs::write(
        &resolv,
        "# test\nnameserver 127.0.0.1\nsearch svc.test\noptions timeout:1 attempts:1\n",
    )
    .unwrap();
    // A network namespace of our own, where dnsmasq can have 127.0.0.1:53,
    // and a mount namespace where our files are /etc/hosts and resolv.conf.
    // The namespaces live as long as dnsmasq, their first process.
    let setup = "ip link set lo up && mount --bind \"$1\" /etc/hosts && \
                 mount --bind \"$2\" /etc/resolv.conf && shift 2 && exec dnsmasq \"$@\"";
    let log = dir.join("dnsmasq.log");
    let child = Command::new("unshare")
        .args(["-n", "-m", "sh", "-c", setup, "sh"])
        .arg(&hosts)
        .arg(&resolv)
        .args(dnsmasq_args(&names_file(&dir), 53))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start unshare");
    // Stopped (and the namespaces with it) when the test ends, passed or not.
    let mut ns = Daemon {
        child,
        port: 53,
        dir: dir.clone(),
    };
    let pid = ns.child.id();
    let start = Instant::now();
    loop {
        let udp = std::fs::read_to_string(format!("/proc/{pid}/net/udp")).unwrap_or_default();
        if udp.contains("0100007F:0035") {
            break;
        }
        if let Ok(Some(status)) = ns.child.try_wait() {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("the namespace's dnsmasq exited ({status}):\n{log}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "dnsmasq did not start"
        );
        thread::sleep(Duration::from_millis(20));
    }
    let net = format!("--net=/proc/{pid}/ns/net");
    let mnt = format!("--mount=/proc/{pid}/ns/mnt");
    let inside = ["nsenter", net.as_str(), mnt.as_str(), "--"];
    let run = |args: &[&str]| probe_wrapped(&inside, args);

    // /etc/hosts first (dnsmasq does not know these names), aliases too.
    run(&["dns:fromhosts.test"])
        .healthy()
        .one_line()
        .says("healthy: dns fromhosts.test -> 10.9.9.9 (from /etc/hosts)");
    run(&["dns://ALIAS.test"]).healthy().says("10.9.9.9");
    // Then resolv.conf's nameserver, as dig (which reads it too) sees it.
    let r = run(&["dns:both.test"]);
    r.healthy().says("10.1.1.1").says("fd00::11");
    assert_eq!(dig(&inside, &["both.test"]), ["10.1.1.1"]);
    // The search list: "short" has fewer dots than ndots (1), so
    // short.svc.test is asked first.
    run(&["-v", "dns:short"])
        .healthy()
        .says("10.3.3.3 (as short.svc.test)")
        .says("search svc.test; ndots 1, timeout 1s, attempts 1");
    assert_eq!(dig(&inside, &["+search", "short"]), ["10.3.3.3"]);
    // A trailing dot: no search list; dnsmasq has nowhere to ask for "short".
    run(&["dns:short."])
        .unhealthy()
        .says("refused the query (REFUSED)");
    run(&["dns:missing.test"])
        .unhealthy()
        .one_line()
        .says("no such name (NXDOMAIN for missing.test, missing.test.svc.test)");
    run(&["dns:two.test?expect=10.2.2.1,10.2.2.2"]).healthy();

    // A first nameserver with nothing listening: the next one answers.
    std::fs::write(
        &resolv,
        "nameserver 127.0.0.2\nnameserver 127.0.0.1\noptions ndots:3\n",
    )
    .unwrap();
    run(&["-v", "dns:two.test"])
        .healthy()
        .says("connection refused (127.0.0.2:53)")
        .says("10.2.2.1");
    // Only a nameserver that is not there: unhealthy within the deadline.
    std::fs::write(&resolv, "nameserver 127.0.0.2\n").unwrap();
    run(&["--timeout", "1s", "dns:two.test"])
        .unhealthy()
        .one_line()
        .says("connection refused (127.0.0.2:53)")
        .by_deadline(Duration::from_secs(1));
    // A SERVER given by name is found the same way.
    std::fs::write(&resolv, "nameserver 127.0.0.1\n").unwrap();
    std::fs::write(&hosts, "127.0.0.1 ns.test\n").unwrap();
    run(&["dns://ns.test/two.test"])
        .healthy()
        .says("dns two.test @ns.test:53 -> ");
    // No resolv.conf nameserver at all means 127.0.0.1, as in glibc.
    std::fs::write(&resolv, "search svc.test\n").unwrap();
    run(&["dns:short"]).healthy().says("10.3.3.3");

    drop(ns);
}

// --- hostile servers ------------------------------------------------------------

/// What a stand-in does with each query: the datagrams it sends back.
type Answer = fn(&[u8]) -> Vec<Vec<u8>>;

/// A UDP DNS stand-in on 127.0.0.1 (on `port`, or any).
fn fake_udp(port: u16, answer: Answer) -> SocketAddr {
    fake_udp_at(&format!("127.0.0.1:{port}"), answer)
}

fn fake_udp_at(bind: &str, answer: Answer) -> SocketAddr {
    let socket = UdpSocket::bind(bind).expect("bind a UDP port");
    let addr = socket.local_addr().unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            for reply in answer(&buf[..n]) {
                let _ = socket.send_to(&reply, from);
            }
        }
    });
    addr
}

/// The response to `query` with `flags` and these (type, data) records,
/// each owned by the question's name (a pointer to offset 12).
fn reply(query: &[u8], flags: u16, records: &[(u16, &[u8])]) -> Vec<u8> {
    let mut m = query.to_vec();
    m[2..4].copy_from_slice(&flags.to_be_bytes());
    m[6..8].copy_from_slice(&(records.len() as u16).to_be_bytes());
    for (rtype, data) in records {
        m.extend_from_slice(&[0xc0, 12]);
        m.extend_from_slice(&rtype.to_be_bytes());
        m.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
        m.extend_from_slice(&(data.len() as u16).to_be_bytes());
        m.extend_from_slice(data);
    }
    m
}

fn qtype(query: &[u8]) -> u16 {
    let n = query.len();
    u16::from_be_bytes([query[n - 4], query[n - 3]])
}

/// The A query gets 10.5.5.5, the AAAA query no record.
fn good(query: &[u8]) -> Vec<u8> {
    if qtype(query) == 1 {
        reply(query, 0x8180, &[(1, &[10, 5, 5, 5])])
    } else {
        reply(query, 0x8180, &[])
    }
}

#[test]
fn a_plain_server_answers_and_the_line_lists_it() {
    let server = fake_udp(0, |q| vec![good(q)]);
    probe(&[&format!("dns://{server}/db.test")])
        .healthy()
        .one_line()
        .says(&format!("healthy: dns db.test @{server} -> 10.5.5.5 in "));
}

#[test]
#[ignore = "needs IPv6 loopback (::1), which containers often lack; CI runs it"]
fn a_server_on_ipv6_loopback() {
    require(has_ipv6(), "IPv6 loopback (::1)");
    let server = fake_udp_at("[::1]:0", |q| vec![good(q)]);
    probe(&[&format!("dns://[::1]:{}/db.test", server.port())])
        .healthy()
        .says(&format!("dns db.test @[::1]:{} -> 10.5.5.5", server.port()));
}

#[test]
fn error_codes_in_words() {
    for (answer, needle) in [
        (
            (|q: &[u8]| vec![reply(q, 0x8182, &[])]) as Answer,
            "failed (SERVFAIL)",
        ),
        (
            |q| vec![reply(q, 0x8185, &[])],
            "refused the query (REFUSED)",
        ),
        (|q| vec![reply(q, 0x8183, &[])], "no such name (NXDOMAIN)"),
        (
            |q| vec![reply(q, 0x8184, &[])],
            "does not do such queries (NOTIMP)",
        ),
        (
            |q| vec![reply(q, 0x8180, &[])],
            "no address: db.test has no A or AAAA",
        ),
    ] {
        let server = fake_udp(0, answer);
        probe(&["--timeout", "2s", &format!("dns://{server}/db.test")])
            .unhealthy()
            .one_line()
            .says(needle);
    }
}

#[test]
fn hostile_dns_servers_end_in_one_line_within_the_deadline() {
    for (answer, needle) in [
        (
            (|_: &[u8]| vec![]) as Answer,
            "timed out after 1s asking 127.0.0.1:",
        ),
        (
            |q| {
                let mut r = good(q);
                r[1] ^= 1;
                vec![r]
            },
            "(another ID)",
        ),
        (
            |q| {
                // Our ID, another name ("xb.test").
                let mut r = good(q);
                r[13] = b'x';
                vec![r]
            },
            "(another question)",
        ),
        (
            |q| {
                // The answer's name points at itself.
                let mut r = reply(q, 0x8180, &[(1, &[10, 5, 5, 5])]);
                let at = q.len();
                r[at + 1] = at as u8;
                vec![r]
            },
            "(a compression pointer that does not point back)",
        ),
        (
            |q| {
                let mut r = good(q);
                r[6..8].copy_from_slice(&[0xff, 0xff]);
                vec![r]
            },
            "(more answers counted than the message holds)",
        ),
        (
            |q| {
                // A flood: a thousand datagrams with wrong IDs for each query.
                let mut r = good(q);
                r[0] ^= 0x80;
                vec![r; 1000]
            },
            "(another ID)",
        ),
        (|q| vec![q.to_vec()], "(a query, not a response)"),
    ] {
        let server = fake_udp(0, answer);
        probe(&["--timeout", "1s", &format!("dns://{server}/db.test")])
            .unhealthy()
            .one_line()
            .says(needle)
            .by_deadline(Duration::from_secs(1));
    }
}

#[test]
fn a_late_answer_to_an_earlier_try_still_counts() {
    // Three tries of a third of a second each; each answer takes 0.6 s.
    let server = fake_udp(0, |q| {
        thread::sleep(Duration::from_millis(600));
        vec![good(q)]
    });
    probe(&["--timeout", "1s", &format!("dns://{server}/db.test")])
        .healthy()
        .says("10.5.5.5");
}

#[test]
fn answers_from_another_port_are_not_taken() {
    // The right answers, sent from a socket other than the one asked.
    let asked = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = asked.local_addr().unwrap();
    thread::spawn(move || {
        let other = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut buf = [0u8; 1500];
        while let Ok((n, from)) = asked.recv_from(&mut buf) {
            let _ = other.send_to(&good(&buf[..n]), from);
        }
    });
    probe(&["--timeout", "1s", &format!("dns://{server}/db.test")])
        .unhealthy()
        .one_line()
        .says(&format!("timed out after 1s asking {server}"))
        .by_deadline(Duration::from_secs(1));
}

#[test]
fn a_port_nobody_listens_on_is_refused_at_once() {
    let port = free_dns_port();
    probe(&[
        "--timeout",
        "5s",
        &format!("dns://127.0.0.1:{port}/db.test"),
    ])
    .unhealthy()
    .one_line()
    .says(&format!("connection refused (127.0.0.1:{port})"))
    .within(Duration::from_secs(1));
}

/// A TCP stand-in on the port of a UDP one that truncates everything.
fn truncating(tcp: Handler) -> SocketAddr {
    loop {
        let server = Server::raw("127.0.0.1:0", tcp);
        if UdpSocket::bind(("127.0.0.1", server.port())).is_ok() {
            // Free for UDP too: the stand-in takes it (its TCP side runs on).
            return fake_udp(server.port(), |q| vec![reply(q, 0x8380, &[])]);
        }
    }
}

/// Reads one length-prefixed query from `s`.
fn read_tcp_query(s: &mut TcpStream) -> Option<Vec<u8>> {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut len = [0u8; 2];
    s.read_exact(&mut len).ok()?;
    let mut q = vec![0u8; u16::from_be_bytes(len) as usize];
    s.read_exact(&mut q).ok()?;
    Some(q)
}

#[test]
fn a_truncated_answer_is_asked_again_over_tcp() {
    let server = truncating(|mut s, _| {
        while let Some(q) = read_tcp_query(&mut s) {
            let r = good(&q);
            let mut framed = (r.len() as u16).to_be_bytes().to_vec();
            framed.extend_from_slice(&r);
            let _ = s.write_all(&framed);
        }
    });
    probe(&["-v", &format!("dns://{server}/db.test")])
        .healthy()
        .says("-> 10.5.5.5 in")
        .says("answered db.test over TCP");

    for (tcp, needle) in [
        (
            (|mut s: TcpStream, _: &str| {
                // 65535 bytes announced, ten sent, then silence.
                if read_tcp_query(&mut s).is_some() {
                    let _ = s.write_all(&[0xff, 0xff]);
                    let _ = s.write_all(&[0; 10]);
                    thread::sleep(Duration::from_secs(5));
                }
            }) as Handler,
            "truncated over UDP, and no answer over TCP in time",
        ),
        (
            |mut s, _| {
                if let Some(q) = read_tcp_query(&mut s) {
                    let mut r = good(&q);
                    r[0] ^= 0xff;
                    let mut framed = (r.len() as u16).to_be_bytes().to_vec();
                    framed.extend_from_slice(&r);
                    let _ = s.write_all(&framed);
                }
            },
            "over TCP, a reply that fails the checks (another ID)",
        ),
        (|_s, _| {}, "truncated over UDP, and over TCP:"),
    ] {
        let server = truncating(tcp);
        probe(&["--timeout", "1s", &format!("dns://{server}/db.test")])
            .unhealthy()
            .one_line()
            .says(needle)
            .by_deadline(Duration::from_secs(1));
    }
}

#[test]
fn dns_targets_parse_strictly() {
    for (target, needle) in [
        ("dns:", "no name to look up"),
        ("dns://127.0.0.1:5353/", "no name after the server"),
        ("dns:10.0.0.1", "is an address, not a name"),
        ("dns:db?expect=10.0.0", "not an IP address"),
        ("dns:db?class=IN", "unknown option"),
        ("dns:db?type=PTR", "is not one of A, AAAA, CNAME, MX, NS, TXT, SRV"),
        ("dns:db?type=A&expect=::1", "cannot be among the A records"),
        ("dns:bad_name!", "contains '!'"),
        ("dns://u:hunter2@127.0.0.1/db", "no user name or password"),
    ] {
        probe(&[target])
            .unhealthy()
            .one_line()
            .says(needle)
            .never_says("hunter2");
    }
}
