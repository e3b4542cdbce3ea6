//! Where a check connects (issue 24): `-4` / `-6` narrow every target to one
//! address family, and a target without a scheme is http, as curl reads
//! it. curl is the oracle for both.

mod common;

use std::process::{Command, Stdio};

use common::*;

const OK: &str = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";

/// Whether curl, given `args`, got an answer (exit 0).
fn curl_ok(args: &[&str]) -> bool {
    Command::new("curl")
        .args(["-s", "-o", "/dev/null", "--max-time", "5"])
        .args(args)
        .stdin(Stdio::null())
        .status()
        .expect("run curl")
        .success()
}

fn has_curl() -> bool {
    Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn minus_4_makes_localhost_127_0_0_1_only() {
    let s = Server::http("127.0.0.1:0", OK);
    let port = s.port();
    probe(&["-4", "-v", &format!("localhost:{port}/health")])
        .healthy()
        .says(&format!("resolved localhost to 127.0.0.1:{port} at"))
        .never_says("[::1]");
    let closed = closed_port();
    for args in [
        vec!["-4".to_string(), format!("tcp://localhost:{closed}")],
        vec![
            "--ipv4".to_string(),
            "tcp".into(),
            format!("localhost:{closed}"),
        ],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        probe(&args)
            .unhealthy()
            .one_line()
            .says(&format!("connection refused (127.0.0.1:{closed})"))
            // Only the target's own addresses: what else listens here may
            // be on ::1.
            .never_says(&format!("[::1]:{closed}"));
    }
    probe_env(
        &[&format!("tcp://localhost:{closed}")],
        &[("HEALTHPROBE_IPV4", "true")],
    )
    .unhealthy()
    .says(&format!("(127.0.0.1:{closed})"))
    .never_says(&format!("[::1]:{closed}"));
}

#[test]
fn every_kind_of_target_says_when_no_address_of_the_family_exists() {
    let s = Server::http("127.0.0.1:0", OK);
    let p = s.port();
    for target in [
        format!("http://127.0.0.1:{p}/"),
        format!("127.0.0.1:{p}"),
        format!("tcp://127.0.0.1:{p}"),
        format!("grpc://127.0.0.1:{p}"),
        format!("redis://127.0.0.1:{p}"),
        format!("postgres://127.0.0.1:{p}"),
        format!("mysql://127.0.0.1:{p}"),
    ] {
        probe(&["-6", &target])
            .unhealthy()
            .one_line()
            .says("no IPv6 address for 127.0.0.1 (-6)");
    }
    probe(&["-4", "tcp", &format!("[::1]:{p}")])
        .unhealthy()
        .says("no IPv4 address for ::1 (-4)");
    probe_env(
        &["grpc", &format!("127.0.0.1:{p}")],
        &[("HEALTHPROBE_IPV6", "true")],
    )
    .unhealthy()
    .says("no IPv6 address for 127.0.0.1 (-6)");
    // Not a network check: nothing to narrow.
    probe(&["-6", "exec", "--", "true"]).healthy();
}

#[test]
#[ignore = "needs curl (apt curl) and IPv6 loopback (::1); CI runs it"]
fn minus_4_and_minus_6_reach_what_curl_reaches() {
    require(has_curl(), "curl (apt-get install curl)");
    require(has_ipv6(), "IPv6 loopback (::1)");
    let v4 = Server::http("127.0.0.1:0", OK);
    let v6 = Server::http("[::1]:0", OK);
    for server in [&v4, &v6] {
        let url = format!("http://localhost:{}/", server.port());
        for flag in ["-4", "-6"] {
            let curl = curl_ok(&[flag, &url]);
            let run = probe(&[flag, "-v", &url]);
            assert_eq!(
                run.code == 0,
                curl,
                "{flag} {url}: curl reached it: {curl}; the probe: {run:?}"
            );
            let other = if flag == "-4" { "[::1]" } else { "127.0.0.1" };
            run.never_says(&format!("{other}:{}", server.port()));
        }
    }
}

#[test]
fn a_target_without_a_scheme_is_http() {
    let s = Server::http("127.0.0.1:0", OK);
    let p = s.port();
    probe(&[&format!("127.0.0.1:{p}/health?x=1")])
        .healthy()
        .one_line()
        .says(&format!("GET http://127.0.0.1:{p}/health?x=1 -> 200 OK"));
    assert!(s.request().starts_with("GET /health?x=1 HTTP/1.1\r\n"));
    probe(&["http", &format!("localhost:{p}")])
        .healthy()
        .says(&format!("GET http://localhost:{p}/ -> 200 OK"));
    assert!(s.request().starts_with("GET / HTTP/1.1\r\n"));
    probe_env(&[], &[("HEALTHPROBE_URL", &format!("localhost:{p}/a"))])
        .healthy()
        .says(&format!("http://localhost:{p}/a"));
    probe(&["wait", "--timeout", "5s", &format!("127.0.0.1:{p}")]).healthy();
    // The tcp subcommand still reads HOST:PORT as an address, not a URL.
    probe(&["tcp", &format!("127.0.0.1:{p}")])
        .healthy()
        .says(&format!("tcp 127.0.0.1:{p} -> connected"));
    // An unknown scheme stays an error.
    probe(&[&format!("foo://127.0.0.1:{p}/")])
        .unhealthy()
        .says("don't know how to check");
}

#[test]
#[ignore = "needs curl (apt curl) and IPv6 loopback (::1); CI runs it"]
fn curl_reads_targets_without_a_scheme_the_same_way() {
    require(has_curl(), "curl (apt-get install curl)");
    require(has_ipv6(), "IPv6 loopback (::1)");
    let v4 = Server::http("127.0.0.1:0", OK);
    let v6 = Server::http("[::1]:0", OK);
    for (server, target) in [
        (&v4, format!("localhost:{}/health", v4.port())),
        (&v4, format!("127.0.0.1:{}", v4.port())),
        (&v6, format!("[::1]:{}/x?y=1", v6.port())),
    ] {
        // curl -g: brackets are an IPv6 address, not a glob.
        assert!(curl_ok(&["-g", &target]), "curl {target}");
        let by_curl = server.request();
        probe(&[&target]).healthy().one_line();
        let by_probe = server.request();
        let first = |head: &str| head.lines().next().unwrap_or_default().to_string();
        assert_eq!(first(&by_probe), first(&by_curl), "{target}");
    }
}
