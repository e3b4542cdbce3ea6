//! Several targets, configuration from the environment, and --start-period.

mod common;

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use common::*;

const OK: &str = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

#[test]
fn several_targets_must_all_pass_and_the_line_names_the_failing_one() {
    let s = Server::http("127.0.0.1:0", OK);
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let tcp = format!("tcp://127.0.0.1:{}", l.local_addr().unwrap().port());
    probe(&[&s.url("/"), &tcp])
        .healthy()
        .one_line()
        .says("healthy: 2 checks in");
    let dead = format!("tcp://127.0.0.1:{}", closed_port());
    probe(&[&s.url("/"), &tcp, &dead])
        .unhealthy()
        .one_line()
        .says("1 of 3 checks failed")
        .says("connection refused")
        .never_says("200 OK");
}

#[test]
fn several_slow_targets_take_the_time_of_one() {
    let silent = Server::start("127.0.0.1:0", |stream, _| {
        std::thread::sleep(Duration::from_secs(5));
        drop(stream);
    });
    let url = silent.url("/");
    probe(&["--timeout", "400ms", &url, &url, &url])
        .unhealthy()
        .says("3 of 3 checks failed")
        .by_deadline(Duration::from_millis(400));
}

#[test]
fn targets_and_options_come_from_the_environment() {
    let s = Server::http("127.0.0.1:0", "HTTP/1.1 204 No Content\r\n\r\n");
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let urls = format!(
        "{} tcp://127.0.0.1:{}",
        s.url("/"),
        l.local_addr().unwrap().port()
    );
    probe_env(&[], &[("HEALTHPROBE_URL", &urls)])
        .healthy()
        .says("2 checks");
    probe_env(
        &[],
        &[
            ("HEALTHPROBE_URL", &s.url("/")),
            ("HEALTHPROBE_STATUS", "200"),
        ],
    )
    .unhealthy();
    // Flags win over the environment.
    probe_env(
        &["--status", "204"],
        &[
            ("HEALTHPROBE_URL", &s.url("/")),
            ("HEALTHPROBE_STATUS", "200"),
        ],
    )
    .healthy();
    probe_env(&[], &[("HEALTHPROBE_URL", "  ")])
        .unhealthy()
        .says("HEALTHPROBE_URL is empty");
    probe_env(&[&s.url("/")], &[("HEALTHPROBE_TIMEOUT", "nonsense")])
        .unhealthy()
        .says("nonsense");
}

#[test]
fn start_period_turns_a_failure_into_2_only_while_the_container_is_young() {
    let dead = format!("tcp://127.0.0.1:{}", closed_port());
    // In this namespace PID 1 has been up for more than a second.
    probe(&["--start-period", "1s", &dead]).unhealthy();
    // A healthy check is 0 whatever the start period.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let live = format!("tcp://127.0.0.1:{}", l.local_addr().unwrap().port());
    probe(&["--start-period", "24h", &live]).healthy();
    // Without --start-period, never 2.
    probe(&[&dead]).unhealthy();
}

#[test]
#[ignore = "needs root and unshare (util-linux) for a PID namespace; CI runs it"]
fn start_period_exits_2_in_a_fresh_pid_namespace() {
    // The probe as PID 1 of a new PID namespace: a container that just started.
    let has_unshare = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .status()
        .is_ok_and(|s| s.success());
    require(
        has_unshare,
        "unshare --pid --fork --mount-proc (root, util-linux)",
    );
    let dead = format!("tcp://127.0.0.1:{}", closed_port());
    let out = Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc"])
        .arg(bin())
        .args(["--start-period", "30s", &dead])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        text.starts_with("starting (up 0s of 30s): tcp 127.0.0.1:"),
        "{text}"
    );
}

#[test]
fn variables_in_targets_are_expanded_by_the_probe() {
    let s = Server::http("127.0.0.1:0", OK);
    let port = s.port().to_string();
    probe_env(
        &["http://127.0.0.1:${APP_PORT}/health"],
        &[("APP_PORT", &port)],
    )
    .healthy()
    .says(&format!(":{port}/health"));
    probe_env(
        &[],
        &[
            ("HEALTHPROBE_URL", "http://127.0.0.1:${APP_PORT}/"),
            ("APP_PORT", &port),
        ],
    )
    .healthy();
    probe(&["http://127.0.0.1:${HP_UNSET_PORT}/"])
        .unhealthy()
        .one_line()
        .says("${HP_UNSET_PORT}, which is not set");
}

#[test]
fn headers_come_from_the_environment_one_per_line() {
    let s = Server::http("127.0.0.1:0", OK);
    probe_env(
        &[&s.url("/")],
        &[("HEALTHPROBE_HEADER", "X-One: 1\nX-Two: 2\n")],
    )
    .healthy();
    let head = s.request().to_ascii_lowercase();
    assert!(
        head.contains("x-one: 1\r\n") && head.contains("x-two: 2\r\n"),
        "{head}"
    );
    probe_env(&[&s.url("/")], &[("HEALTHPROBE_HEADER", "bad header")])
        .unhealthy()
        .says("HEALTHPROBE_HEADER");
}

#[test]
fn consul_exit_codes_tell_warning_from_critical() {
    let busy = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n",
    );
    let down = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
    );
    let up = Server::http("127.0.0.1:0", OK);
    probe(&["--exit-codes", "consul", &up.url("/")]).healthy();
    let r = probe(&["--exit-codes", "consul", &busy.url("/")]);
    assert_eq!(r.code, 1, "{r:?}");
    r.says("warning: GET").says("429 Too Many Requests");
    let r = probe_env(&[&down.url("/")], &[("HEALTHPROBE_EXIT_CODES", "consul")]);
    assert_eq!(r.code, 2, "{r:?}");
    r.says("critical: GET");
    // Docker codes: a 429 is simply unhealthy.
    probe(&[&busy.url("/")]).unhealthy();
}

#[test]
fn tls_variables_are_read_only_by_checks_that_speak_tls() {
    // issue 27: HEALTHPROBE_CACERT=/nonexistent failed plain mqtt:// and
    // amqp:// checks with an error about --cacert.
    let broker = Server::raw("127.0.0.1:0", |mut s, _| {
        use std::io::{Read, Write};
        let mut connect = [0u8; 256];
        if s.read(&mut connect).unwrap_or(0) > 0 {
            let _ = s.write_all(&[0x20, 2, 0, 0]); // CONNACK 0
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    });
    let web = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    let bad = [
        ("HEALTHPROBE_CACERT", "/nonexistent/ca.pem"),
        ("HEALTHPROBE_CERT", "/nonexistent/cert.pem"),
        ("HEALTHPROBE_KEY", "/nonexistent/key.pem"),
        ("HEALTHPROBE_INSECURE", "maybe"),
    ];
    let mqtt = format!("mqtt://{}", broker.addr);
    let http = web.url("/");
    for target in [&mqtt, &http] {
        probe_env(&[target], &bad).healthy().one_line();
    }
    let dead = closed_port();
    for target in [
        format!("amqp://127.0.0.1:{dead}"),
        format!("redis://127.0.0.1:{dead}"),
    ] {
        probe_env(&[&target], &bad)
            .unhealthy()
            .one_line()
            .says("connection refused")
            .never_says("nonexistent");
    }
    // A check that speaks TLS reads them, and the message names the variable.
    probe_env(
        &[&format!("mqtts://127.0.0.1:{dead}")],
        &[("HEALTHPROBE_CACERT", "/nonexistent/ca.pem")],
    )
    .unhealthy()
    .one_line()
    .says("HEALTHPROBE_CACERT=/nonexistent/ca.pem: ")
    .never_says("--cacert");
    probe_env(
        &[&format!("https://127.0.0.1:{dead}/")],
        &[("HEALTHPROBE_CERT", "/nonexistent/cert.pem")],
    )
    .unhealthy()
    .says("HEALTHPROBE_CERT=/nonexistent/cert.pem: ");
    // The same given as a flag is named as the flag.
    probe(&[
        "--cacert",
        "/nonexistent/ca.pem",
        &format!("https://127.0.0.1:{dead}/"),
    ])
    .unhealthy()
    .says("--cacert /nonexistent/ca.pem: ");
}
