//! Secrets are never printed: not in the line, not with -v, not in any
//! error, whether what holds them parses or not.

mod common;

use std::io::Write;
use std::net::TcpStream;

use common::h2::*;
use common::*;

const SECRET: &str = "hunter2";

#[test]
fn no_error_message_quotes_a_url_password() {
    let dead = closed_port();
    let cases: Vec<Vec<String>> = vec![
        vec![format!("http://admin:{SECRET}@127.0.0.1:{dead}/a b")],
        vec![format!("htp://admin:{SECRET}@127.0.0.1/")],
        vec![format!("http:/admin:{SECRET}@127.0.0.1/")],
        vec![format!("http://admin:{SECRET}/x@127.0.0.1/")],
        vec![format!("http://admin:{SECRET}?x@127.0.0.1/")],
        vec![format!("http://admin:{SECRET}#x@127.0.0.1/")],
        vec![format!("tcp://u:{SECRET}@127.0.0.1:{dead}")],
        vec![format!("grpc://u:{SECRET}@127.0.0.1:{dead}")],
        vec!["http".into(), format!("htp://admin:{SECRET}@127.0.0.1/")],
        vec!["tcp".into(), format!("u:{SECRET}@127.0.0.1:{dead}")],
        vec![
            "wait".into(),
            "--timeout".into(),
            "1s".into(),
            format!("http:/admin:{SECRET}@127.0.0.1"),
        ],
    ];
    for args in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        probe(&args).unhealthy().one_line().never_says(SECRET);
    }
    // A password with a space, from a variable the probe expands.
    probe_env(
        &[&format!("http://admin:${{PASS}}@127.0.0.1:{dead}/")],
        &[("PASS", &format!("{SECRET} x"))],
    )
    .unhealthy()
    .one_line()
    .says("admin:***@")
    .never_says(SECRET);
}

#[test]
fn a_location_header_that_echoes_credentials_is_redacted() {
    let s = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 302 Found\r\nLocation: http://admin:hunter2@127.0.0.1/next\r\nContent-Length: 0\r\n\r\n",
    );
    probe(&["-v", &s.url("/")])
        .healthy()
        .says("< location: http://admin:***@127.0.0.1/next")
        .never_says(SECRET);
}

#[test]
fn grpc_response_headers_are_redacted_like_http_ones() {
    let s = Server::raw("127.0.0.1:0", |mut stream, _| {
        if !read_request(&mut stream) {
            return;
        }
        drain(&stream);
        let _ = handshake(&mut stream);
        let mut head = response_head();
        literal(&mut head, "set-cookie", b"session=hunter2");
        literal(&mut head, "location", b"http://u:hunter2@h/");
        let mut out = frame(HEADERS, END_HEADERS, 1, &head);
        out.extend(frame(DATA, 0, 1, &SERVING_MESSAGE));
        out.extend(frame(HEADERS, END_HEADERS | END_STREAM, 1, &ok_trailers()));
        let _ = stream.write_all(&out);
        let _ = TcpStream::shutdown(&stream, std::net::Shutdown::Write);
    });
    probe(&["-v", "grpc", &s.addr.to_string()])
        .healthy()
        .says("< set-cookie: (redacted)")
        .says("< location: http://u:***@h/")
        .never_says(SECRET);
}

#[test]
fn exec_arguments_can_be_kept_out_of_the_line() {
    // A password in an argument is printed unless asked not to.
    probe(&["exec", "--", "sh", "-c", "exit 1", "-phunter2"])
        .unhealthy()
        .says(SECRET);
    for args in [
        &[
            "exec",
            "--redact-args",
            "--",
            "sh",
            "-c",
            "exit 1",
            "-phunter2",
        ][..],
        &[
            "-v",
            "exec",
            "--redact-args",
            "--",
            "sh",
            "-c",
            "exit 1",
            "-phunter2",
        ][..],
    ] {
        probe(args)
            .unhealthy()
            .says("exec sh (3 arguments redacted) -> exit 1")
            .never_says(SECRET);
    }
    probe_env(
        &["exec", "--", "sh", "-c", "exit 0", "-phunter2"],
        &[("HEALTHPROBE_REDACT_ARGS", "true")],
    )
    .healthy()
    .never_says(SECRET);
}

/// Answers 503 with the request's Authorization header echoed back, in a
/// header of its own and in the body.
fn echo_authorization(mut stream: TcpStream, head: &str) {
    let auth = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(n, _)| n.eq_ignore_ascii_case("authorization"))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_default();
    let body = format!("you sent {auth}");
    let _ = write!(
        stream,
        "HTTP/1.1 503 Service Unavailable\r\nX-Echo-Authorization: {auth}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
}

#[test]
fn the_basic_credentials_the_probe_builds_are_never_printed() {
    // issue 27: the base64 of user:password is as secret as the password.
    let s = Server::start("127.0.0.1:0", echo_authorization);
    let blob = "YXBwOmh1bnRlcjI="; // base64("app:hunter2"), what curl sends too
    let curl = std::process::Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-D",
            "-",
            "-u",
            "app:hunter2",
            &s.url("/"),
        ])
        .output()
        .expect("curl");
    assert!(
        String::from_utf8_lossy(&curl.stdout).contains(blob),
        "curl's oracle: {curl:?}"
    );
    let url_with_user = format!("http://app:{SECRET}@{}/", s.addr);
    let runs = [
        vec![
            "--basic-auth",
            "app:hunter2",
            "--status",
            "503",
            "--header-contains",
            "x-echo-authorization: nothing",
        ],
        vec!["--basic-auth", "app:hunter2"],
        vec!["-v", "--basic-auth", "app:hunter2"],
        vec![
            "-v",
            "--status",
            "503",
            "--header-contains",
            "x-echo-authorization: nothing",
            &url_with_user,
        ],
        vec!["-v", &url_with_user],
    ];
    for args in runs {
        let mut args = args.clone();
        let url = s.url("/");
        if !args.iter().any(|a| a.starts_with("http://")) {
            args.push(&url);
        }
        probe(&args)
            .unhealthy()
            .never_says(blob)
            .never_says("YXBwOmh1bnR")
            .never_says(SECRET);
    }
}

#[test]
fn redacted_exec_arguments_are_scrubbed_from_the_programs_output() {
    // issue 27: the program's own words, its -x trace and the excerpt
    // --stdout-contains shows, all without the redacted arguments.
    let script = r#"echo "login failed for $1" >&2; exit 2"#;
    probe(&[
        "exec",
        "--redact-args",
        "--",
        "sh",
        "-c",
        script,
        "sh",
        "S3cretPw",
    ])
    .unhealthy()
    .one_line()
    .says("exec sh (4 arguments redacted) -> exit 2")
    .says("login failed for ***")
    .never_says("S3cret");
    probe(&[
        "-v",
        "exec",
        "--redact-args",
        "--",
        "sh",
        "-xc",
        "exit 3",
        "sh",
        "S3cretPw",
    ])
    .unhealthy()
    .says("exit 3")
    .never_says("S3cret");
    probe(&[
        "exec",
        "--redact-args",
        "--",
        "sh",
        "-xc",
        r#"echo "$1" >/dev/null; exit 1"#,
        "sh",
        "S3cretPw",
    ])
    .unhealthy()
    .says("+ echo ***")
    .never_says("S3cret");
    probe(&[
        "exec",
        "--redact-args",
        "--stdout-contains",
        "healthy",
        "--",
        "sh",
        "-c",
        r#"echo "token=$1 starting""#,
        "sh",
        "S3cretPw",
    ])
    .unhealthy()
    .says(r#"exit 0, but "healthy" not in the first"#)
    .says("token=*** starting")
    .never_says("S3cret");
    // The probe's own words are not scrubbed: an argument `1` hides no `exit 1`.
    probe(&["exec", "--redact-args", "--", "sh", "-c", "exit $0", "1"])
        .unhealthy()
        .says("exec sh (3 arguments redacted) -> exit 1 in");
    probe(&["exec", "--redact-args", "--", "sh", "-c", "exit 0"])
        .healthy()
        .says("exec sh (2 arguments redacted) -> exit 0");
    probe(&["exec", "--redact-args", "--", "false", "S3cretPw"])
        .unhealthy()
        .says("exec false (1 argument redacted) -> exit 1")
        .never_says("S3cret");
}

#[test]
fn a_misspelt_exec_option_before_the_double_dash_is_a_usage_error() {
    // issue 27: `--redact-arg` ran as the program, every argument shown.
    for misspelt in ["--redact-arg", "--redact-arg=yes", "-r"] {
        probe(&["exec", misspelt, "--", "/bin/false", "S3cretPw"])
            .unhealthy()
            .one_line()
            .says("unexpected argument")
            .says("before '--'")
            .never_says("S3cret");
    }
    // Without `--`, an argument like an option is still the program (as before).
    probe(&["exec", "-nonexistent-program", "S3cretPw"])
        .unhealthy()
        .says("program not found: -nonexistent-program");
}
