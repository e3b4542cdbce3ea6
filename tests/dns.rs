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
/// than a 512-byte datagram holds) and one with three hundred (more than
/// the probe keeps), one with only a TXT record; and records of other
/// types ([`RECORDS`]).
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
    for i in 0..300 {
        names.push_str(&format!("10.6.{}.{} huge.test\n", i / 256, i % 256));
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
        "--mx-host=mx.test,mail.test,10".into(),
        "--mx-host=mx.test,Backup.test,20".into(),
        "--srv-host=_sip._tcp.srv.test,sip.test,5060,1,5".into(),
        "--txt-record=txt.test,v=spf1 a -all,second part".into(),
        "--cname=alias.test,both.test".into(),
        "--host-record=hr.test,10.7.7.7,fd00::77".into(),
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
    dnsmasq_with(&[])
}

/// dnsmasq on a free loopback port, with `extra` options.
fn dnsmasq_with(extra: &[&str]) -> Daemon {
    require_programs(&[("dnsmasq", "dnsmasq-base"), ("dig", "dnsutils")]);
    require(is_root(), "root, for dnsmasq's --user=root");
    let dir = fresh_dir("hp-dnsmasq-");
    let port = free_dns_port();
    let log = dir.join("dnsmasq.log");
    let mut child = Command::new("dnsmasq")
        .args(dnsmasq_args(&names_file(&dir), port))
        .args(extra)
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
    // Three hundred: more than the probe keeps, and counted all the same.
    assert_eq!(dig_at("A", "huge.test").len(), 300);
    probe(&[&at("huge.test")])
        .healthy()
        .one_line()
        .says("and 292 more in");
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

/// A network namespace of the test's own, where dnsmasq has 127.0.0.1:53,
/// and a mount namespace where `hosts` and `resolv` (files of the test's,
/// rewritten at will) are /etc/hosts and /etc/resolv.conf; they live as
/// long as dnsmasq, their first process, and end when this is dropped.
struct Resolver {
    _ns: Daemon,
    hosts: PathBuf,
    resolv: PathBuf,
    net: String,
    mnt: String,
}

impl Resolver {
    fn start(hosts: &str, resolv: &str) -> Resolver {
        require_programs(&[
            ("unshare", "util-linux"),
            ("nsenter", "util-linux"),
            ("ip", "iproute2"),
            ("dnsmasq", "dnsmasq-base"),
            ("dig", "dnsutils"),
            ("getent", "libc-bin"),
        ]);
        require(is_root(), "root, for namespaces and bind mounts");
        let dir = fresh_dir("hp-dns-ns-");
        let (hosts_path, resolv_path) = (dir.join("hosts"), dir.join("resolv.conf"));
        std::fs::write(&hosts_path, hosts).unwrap();
        std::fs::write(&resolv_path, resolv).unwrap();
        let setup = "ip link set lo up && mount --bind \"$1\" /etc/hosts && \
                     mount --bind \"$2\" /etc/resolv.conf && shift 2 && exec dnsmasq \"$@\"";
        let log = dir.join("dnsmasq.log");
        let child = Command::new("unshare")
            .args(["-n", "-m", "sh", "-c", setup, "sh"])
            .arg(&hosts_path)
            .arg(&resolv_path)
            .args(dnsmasq_args(&names_file(&dir), 53))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start unshare");
        // Stopped (and the namespaces with it) when the test ends, passed or not.
        let mut ns = Daemon {
            child,
            port: 53,
            dir,
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
        Resolver {
            net: format!("--net=/proc/{pid}/ns/net"),
            mnt: format!("--mount=/proc/{pid}/ns/mnt"),
            _ns: ns,
            hosts: hosts_path,
            resolv: resolv_path,
        }
    }

    /// `nsenter` into both namespaces, to run a command there.
    fn inside(&self) -> [&str; 4] {
        ["nsenter", self.net.as_str(), self.mnt.as_str(), "--"]
    }

    fn run(&self, args: &[&str]) -> Run {
        probe_wrapped(&self.inside(), args)
    }

    /// What glibc makes of `name` here: `getent ahosts`'s addresses, once
    /// each, in its order (none when it finds nothing).
    fn getent(&self, name: &str) -> Vec<String> {
        let out = Command::new("nsenter")
            .args(&self.inside()[1..])
            .args(["getent", "ahosts", name])
            .output()
            .expect("run getent");
        let mut addresses: Vec<String> = Vec::new();
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let address = line.split_whitespace().next().unwrap_or("").to_string();
            if !addresses.contains(&address) {
                addresses.push(address);
            }
        }
        addresses
    }
}

#[test]
#[ignore = "needs root, unshare and nsenter (util-linux), ip (iproute2), dnsmasq and dig; CI runs it"]
fn the_system_resolver_reads_etc_hosts_then_resolv_conf() {
    let r = Resolver::start(
        "127.0.0.1 localhost\n10.9.9.9 fromhosts.test alias.test\n",
        "# test\nnameserver 127.0.0.1\nsearch svc.test\noptions timeout:1 attempts:1\n",
    );
    let (hosts, resolv, inside) = (&r.hosts, &r.resolv, r.inside());
    let run = |args: &[&str]| r.run(args);

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
        resolv,
        "nameserver 127.0.0.2\nnameserver 127.0.0.1\noptions ndots:3\n",
    )
    .unwrap();
    run(&["-v", "dns:two.test"])
        .healthy()
        .says("connection refused (127.0.0.2:53)")
        .says("10.2.2.1");
    // Only a nameserver that is not there: unhealthy within the deadline.
    std::fs::write(resolv, "nameserver 127.0.0.2\n").unwrap();
    run(&["--timeout", "1s", "dns:two.test"])
        .unhealthy()
        .one_line()
        .says("connection refused (127.0.0.2:53)")
        .by_deadline(Duration::from_secs(1));
    // A SERVER given by name is found the same way.
    std::fs::write(resolv, "nameserver 127.0.0.1\n").unwrap();
    std::fs::write(hosts, "127.0.0.1 ns.test\n").unwrap();
    run(&["dns://ns.test/two.test"])
        .healthy()
        .says("dns two.test @ns.test:53 -> ");
    // No resolv.conf nameserver at all means 127.0.0.1, as in glibc.
    std::fs::write(resolv, "search svc.test\n").unwrap();
    run(&["dns:short"]).healthy().says("10.3.3.3");
}

#[test]
#[ignore = "needs root, unshare and nsenter (util-linux), ip (iproute2), dnsmasq, dig and getent; CI runs it"]
fn a_name_under_the_ninth_search_domain_is_found_as_glibc_finds_it() {
    // The search domain that has the name is the ninth: glibc asks it.
    let domains = |n: usize| (1..=n).map(|i| format!("d{i}.test ")).collect::<String>();
    let r = Resolver::start(
        "127.0.0.1 localhost\n",
        &format!(
            "nameserver 127.0.0.1\nsearch {}svc.test\noptions timeout:1 attempts:1\n",
            domains(8)
        ),
    );
    assert_eq!(r.getent("short"), ["10.3.3.3"]);
    r.run(&["dns:short"])
        .healthy()
        .one_line()
        .says("10.3.3.3 (as short.svc.test)");
    // Behind 32 others, glibc still finds it; the probe asks 32 and says so.
    std::fs::write(
        &r.resolv,
        format!("nameserver 127.0.0.1\nsearch {}svc.test\n", domains(32)),
    )
    .unwrap();
    assert_eq!(r.getent("short"), ["10.3.3.3"]);
    r.run(&["dns:short"])
        .unhealthy()
        .one_line()
        .says("/etc/resolv.conf lists 33 search domains, the first 32 were asked");
}

#[test]
#[ignore = "needs root, unshare and nsenter (util-linux), ip (iproute2), dnsmasq, dig and getent; CI runs it"]
fn a_final_dot_does_not_match_etc_hosts_as_in_glibc() {
    let r = Resolver::start(
        "127.0.0.1 localhost\n10.9.9.7 hosty.test\n",
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    );
    // A final dot is not the /etc/hosts entry without one: glibc finds
    // nothing there, and nor does DNS.
    assert_eq!(r.getent("hosty.test"), ["10.9.9.7"]);
    assert_eq!(r.getent("hosty.test."), Vec::<String>::new());
    r.run(&["dns:hosty.test"])
        .healthy()
        .says("10.9.9.7 (from /etc/hosts)");
    r.run(&["dns:hosty.test."])
        .unhealthy()
        .one_line()
        .says("no such name (NXDOMAIN)")
        .never_says("10.9.9.7");
}

#[test]
#[ignore = "needs root, unshare and nsenter (util-linux), ip (iproute2), dnsmasq, dig and getent; CI runs it"]
fn a_hosts_file_of_megabytes_is_read_whole_as_glibc_reads_it() {
    let r = Resolver::start("", "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
    // An ad-blocking list of 3 MB with the name on its last line: read
    // whole, in the launcher's memory bound.
    let mut big = std::io::BufWriter::new(std::fs::File::create(&r.hosts).unwrap());
    let mut written = 0;
    for i in 0.. {
        let line = format!("0.0.0.0 ad{i}.tracker.example\n");
        big.write_all(line.as_bytes()).unwrap();
        written += line.len();
        if written > 3 << 20 {
            break;
        }
    }
    big.write_all(b"10.9.9.8 last.test\n").unwrap();
    drop(big);
    assert_eq!(r.getent("last.test"), ["10.9.9.8"]);
    r.run(&["dns:last.test"])
        .healthy()
        .one_line()
        .says("10.9.9.8 (from /etc/hosts)");
}

#[test]
#[ignore = "needs root, unshare and nsenter (util-linux), ip (iproute2), dnsmasq, dig and getent; CI runs it"]
fn families_narrow_the_system_resolver_as_dig_and_getent_do() {
    let r = Resolver::start(
        "127.0.0.1 localhost\n10.9.9.6 dual.test\nfd00::66 dual.test\n",
        "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    );
    // With only an IPv4 nameserver, dig -6 gets no answer (it falls back
    // to ::1, where nothing listens); the probe has no nameserver to ask.
    let out = Command::new("nsenter")
        .args(&r.inside()[1..])
        .args(["dig", "-6", "+tries=1", "+time=1", "both.test"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("no servers could be reached"), "{said}");
    r.run(&["-6", "dns:both.test"])
        .unhealthy()
        .one_line()
        .says("no acceptable nameserver: no IPv6 address for the nameservers of /etc/resolv.conf (-6); it has 127.0.0.1");
    r.run(&["-4", "dns:both.test"])
        .healthy()
        .one_line()
        .says("-> 10.1.1.1 in")
        .never_says("fd00::11");
    // /etc/hosts answers each family with its own addresses.
    r.run(&["-6", "dns:dual.test"])
        .healthy()
        .says("-> fd00::66 (from /etc/hosts)");
    r.run(&["-4", "dns:dual.test"])
        .healthy()
        .says("-> 10.9.9.6 (from /etc/hosts)");
    assert_eq!(r.getent("dual.test"), ["fd00::66", "10.9.9.6"]);
}

#[test]
#[ignore = "needs dnsmasq (apt dnsmasq-base), dig (apt dnsutils), root and IPv6 loopback; CI runs it"]
fn families_pick_the_queries_and_the_servers_address() {
    require(has_ipv6(), "IPv6 loopback (::1)");
    let d = dnsmasq_with(&["--listen-address=::1"]);
    let port = d.port.to_string();
    let at = |server: &str, rest: &str| format!("dns://{server}:{port}/{rest}");
    // dig -6 will not ask 127.0.0.1; at ::1 it gets the AAAA record.
    let out = Command::new("dig")
        .args([
            "-6",
            "+tries=1",
            "+time=1",
            "-p",
            &port,
            "@127.0.0.1",
            "both.test",
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("No acceptable nameservers"), "{said}");
    probe(&["-6", &at("127.0.0.1", "both.test")])
        .unhealthy()
        .one_line()
        .says("no acceptable nameserver: no IPv6 address for 127.0.0.1 (-6)");
    assert_eq!(
        dig(&[], &["-6", "-p", &port, "@::1", "AAAA", "both.test"]),
        ["fd00::11"]
    );
    probe(&["-6", &at("[::1]", "both.test")])
        .healthy()
        .one_line()
        .says("-> fd00::11 in")
        .never_says("10.1.1.1");
    probe(&["-6", "-v", &at("localhost", "both.test")])
        .healthy()
        .says(&format!("[::1]:{port} answered both.test"))
        .never_says("127.0.0.1");
    probe(&["-4", "-v", &at("localhost", "both.test")])
        .healthy()
        .says("-> 10.1.1.1 in")
        .says(&format!("127.0.0.1:{port} answered both.test"))
        .never_says("fd00::11")
        .never_says("[::1]");
    probe(&["-4", &at("[::1]", "both.test")])
        .unhealthy()
        .says("no acceptable nameserver: no IPv4 address for ::1 (-4)");
    // A type the family rules out is a mistake in the command line.
    probe(&["-4", &at("127.0.0.1", "both.test?type=AAAA")])
        .unhealthy()
        .one_line()
        .says("type=AAAA contradicts -4");
    probe(&["-6", &at("[::1]", "both.test?type=a")])
        .unhealthy()
        .one_line()
        .says("type=A contradicts -6");
    probe(&["-6", &at("[::1]", "both.test?type=MX")])
        .unhealthy()
        .says("no record: both.test has no MX record");
}

#[test]
#[ignore = "needs dnsmasq (apt dnsmasq-base), dig (apt dnsutils) and root; CI runs it"]
fn record_types_read_as_dig_reads_them() {
    let d = dnsmasq();
    let port = d.port.to_string();
    let server = format!("127.0.0.1:{port}");
    let at = |rest: &str| format!("dns://{server}/{rest}");
    for (qtype, name) in [
        ("MX", "mx.test"),
        ("SRV", "_sip._tcp.srv.test"),
        ("TXT", "txt.test"),
        ("CNAME", "alias.test"),
        ("A", "hr.test"),
        ("AAAA", "hr.test"),
    ] {
        let seen = dig(&[], &["-p", &port, "@127.0.0.1", qtype, name]);
        assert!(!seen.is_empty(), "{qtype} {name}");
        // The type in any case; the line lists what dig lists, without the
        // final dots, a TXT record's strings joined.
        let r = probe(&[&at(&format!("{name}?type={}", qtype.to_lowercase()))]);
        r.healthy()
            .one_line()
            .says(&format!("dns {name} @{server} -> {qtype} "));
        for record in seen {
            r.says(record.trim_end_matches('.').replace("\" \"", "").as_str());
        }
    }
    for (query, needle) in [
        ("mx.test?type=MX&expect=MAIL.test.,backup.test", ""),
        (
            "mx.test?type=MX&expect=mail.test,mail2.test",
            "; missing mail2.test (expect=)",
        ),
        ("_sip._tcp.srv.test?type=SRV&expect=sip.test.", ""),
        (
            "_sip._tcp.srv.test?type=SRV&expect=5060",
            "; missing 5060 (expect=)",
        ),
        ("txt.test?type=TXT&expect=v%3Dspf1%20a,second%20part", ""),
        (
            "txt.test?type=TXT&expect=spf1,-all%2Csecond",
            "; missing \"-all,second\" (expect=)",
        ),
        ("alias.test?type=CNAME&expect=Both.Test", ""),
        ("hr.test?type=AAAA&expect=fd00:0::77", ""),
        (
            "hr.test?type=A&expect=10.7.7.8",
            "; missing 10.7.7.8 (expect=)",
        ),
        ("mx.test?type=TXT", "no record: mx.test has no TXT record"),
        ("nothing.test?type=SRV", "no such name (NXDOMAIN)"),
    ] {
        let r = probe(&[&at(query)]);
        if needle.is_empty() {
            r.healthy().one_line();
        } else {
            r.unhealthy().one_line().says(needle);
        }
    }
    // A CNAME's chain is followed for other types, as dig shows it.
    assert_eq!(
        dig(&[], &["-p", &port, "@127.0.0.1", "A", "alias.test"]),
        ["both.test.", "10.1.1.1"]
    );
    probe(&[&at("alias.test?type=A")])
        .healthy()
        .says("-> A 10.1.1.1 in");
}

#[test]
#[ignore = "needs dig (apt dnsutils); CI runs it"]
fn name_servers_read_as_dig_reads_them() {
    require_programs(&[("dig", "dnsutils")]);
    // NS records (dnsmasq serves none outside its authoritative mode): two,
    // the second's name compressed against the first's.
    let server = fake_udp(0, |q| {
        let mut r = reply(q, 0x8180, &[(2, b"\x03ns1\x04zone\x04test\x00")]);
        let first = (q.len() + 12) as u8;
        let second = [3, b'N', b'S', b'2', 0xc0, first + 4];
        r[7] = 2;
        r.extend_from_slice(&[0xc0, 12, 0, 2, 0, 1, 0, 0, 0, 60, 0, 6]);
        r.extend_from_slice(&second);
        vec![r]
    });
    let seen = dig(
        &[],
        // No EDNS: the stand-in answers after the question as sent.
        &[
            "+noedns",
            "-p",
            &server.port().to_string(),
            "@127.0.0.1",
            "NS",
            "zone.test",
        ],
    );
    assert_eq!(seen, ["ns1.zone.test.", "NS2.zone.test."]);
    probe(&[&format!(
        "dns://{server}/zone.test?type=NS&expect=ns2.zone.test.,NS1.ZONE.TEST"
    )])
    .healthy()
    .one_line()
    .says("-> NS ns1.zone.test, ns2.zone.test in");
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

/// Our ID and question, then records that each cost the reader some work
/// (their owner, a name of 115 labels each reached through a pointer), the
/// last one cut short: it fails the checks only at its end.
fn costly_to_refuse(query: &[u8]) -> Vec<u8> {
    let mut m = reply(query, 0x8180, &[]);
    let chain_at = m.len() + 12;
    let mut chain = Vec::new();
    let mut prev = 12u16;
    for i in 0..115 {
        chain.extend_from_slice(&[1, b'a']);
        chain.extend_from_slice(&(0xc000 | prev).to_be_bytes());
        prev = (chain_at + i * 4) as u16;
    }
    // A record of another type holding the chain, owned by the question.
    m.extend_from_slice(&[0xc0, 12, 0, 99, 0, 1, 0, 0, 0, 60]);
    m.extend_from_slice(&(chain.len() as u16).to_be_bytes());
    m.extend_from_slice(&chain);
    let mut count = 1u16;
    while m.len() < 3900 {
        m.extend_from_slice(&(0xc000 | prev).to_be_bytes());
        m.extend_from_slice(&[0, 99, 0, 1, 0, 0, 0, 60, 0, 0]);
        count += 1;
    }
    // The last record's data runs past the end.
    let end = m.len();
    m[end - 1] = 9;
    m[6..8].copy_from_slice(&count.to_be_bytes());
    m
}

#[test]
fn a_flood_of_datagrams_cannot_hold_the_probe_past_its_deadline() {
    // After the first query, two threads send datagrams that fail the checks
    // as fast as they can: the socket's buffer is never empty.
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = socket.local_addr().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flooding = stop.clone();
    thread::spawn(move || {
        let mut buf = [0u8; 1500];
        let Ok((n, from)) = socket.recv_from(&mut buf) else {
            return;
        };
        let flood = costly_to_refuse(&buf[..n]);
        let until = Instant::now() + Duration::from_secs(4);
        for _ in 0..2 {
            let (socket, flood, stop) =
                (socket.try_clone().unwrap(), flood.clone(), flooding.clone());
            thread::spawn(move || {
                while Instant::now() < until && !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = socket.send_to(&flood, from);
                }
            });
        }
    });
    let r = probe(&["--timeout", "1s", &format!("dns://{server}/db.test")]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    r.unhealthy()
        .one_line()
        .says("timed out after 1s")
        .says("(a record's data runs past the end)")
        .by_deadline(Duration::from_secs(1));
}

#[test]
fn a_servers_text_records_are_shown_escaped_and_cut() {
    // Two TXT records: terminal escapes, a bidi override and a newline in
    // one; 250 bytes in two strings in the other.
    let server = fake_udp(0, |q| {
        let long = [&[200u8][..], &[b'x'; 200], &[50], &[b'y'; 50]].concat();
        vec![reply(
            q,
            0x8180,
            &[
                (16, "\x10\x1b[31mred\u{202e}\nline".as_bytes()),
                (16, &long),
            ],
        )]
    });
    let at = format!("dns://{server}/db.test?type=TXT");
    probe(&[&at])
        .healthy()
        .one_line()
        .says(r#"-> TXT "\u{1b}[31mred\u{202e}\nline", "xxxxx"#)
        .says("xxx…\" in")
        .never_says("\x1b")
        .never_says("\u{202e}")
        .never_says("yyy");
    // expect= sees the whole text, past what the line shows.
    probe(&[&format!("{at}&expect=xy,redxline")])
        .unhealthy()
        .one_line()
        .says(r#"; missing "redxline" (expect=)"#);
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
        (
            "dns:db?type=PTR",
            "is not one of A, AAAA, CNAME, MX, NS, TXT, SRV",
        ),
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
