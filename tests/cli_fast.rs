//! The command line has one parser (src/cli/parse.rs) driven by one table
//! (src/cli/options.rs): the table is the help, and two spellings of the
//! same request read the same, with HEALTHPROBE_* variables set and global
//! options on both sides of the subcommand. The issue-20 examples run
//! against the real binary (they failed when a fast path and clap parsed
//! side by side).

mod common;
#[path = "support/spellings.rs"]
#[allow(dead_code)]
mod spellings;

use common::*;
use healthprobe::cli::options::{Level, Takes};
use healthprobe::cli::{OPTIONS, Sub};
use spellings::{Request, plain, read, uses, varied};

#[test]
fn the_table_is_the_help() {
    let schemes = healthprobe::cli::help::Schemes {
        list: healthprobe::probe::schemes::listed(", "),
        examples: healthprobe::probe::schemes::examples(),
    };
    let mut cmd = healthprobe::cli::help::command(&schemes);
    cmd.build();
    cmd.clone().debug_assert();
    let top = healthprobe::cli::help::render(None, &schemes);
    assert!(top.len() <= 4096, "{} bytes", top.len());
    for o in &OPTIONS {
        let help = match o.level {
            // The options that remember runs: `healthprobe history --help`.
            Level::Global if o.heading == healthprobe::cli::options::MEMORY => {
                healthprobe::cli::help::render(Some(Sub::History), &schemes)
            }
            Level::Global => top.clone(),
            Level::Only(sub) => healthprobe::cli::help::render(Some(sub), &schemes),
        };
        assert!(
            help.contains(&format!("--{}", o.long)),
            "--{} not in the help",
            o.long
        );
        if let Some(env) = o.env {
            // Named with its option, or by the rule the help states once.
            let by_rule = env == healthprobe::cli::help::variable_by_rule(o.long);
            assert!(
                help.contains(env) || (by_rule && help.contains("HEALTHPROBE_SOME_NAME")),
                "{env} not in the help of --{}",
                o.long
            );
            let name = o.long.to_ascii_uppercase().replace('-', "_");
            assert!(env.ends_with(&name), "{env} is not HEALTHPROBE_..{name}");
        }
    }
    // Every scheme the table has is named where targets are described.
    let wait = healthprobe::cli::help::render(Some(Sub::Wait), &schemes);
    for row in &healthprobe::probe::schemes::SCHEMES {
        let name = row.scheme.name;
        // A TLS twin is listed with its plain row: `http(s)://`.
        let twin = name
            .strip_suffix('s')
            .map(|plain| format!("{plain}(s):"))
            .unwrap_or_default();
        let named = |help: &str| {
            help.contains(&format!("{name}:"))
                || help.contains(&format!("{name}(s):"))
                || help.contains(&twin)
        };
        if !row.alias {
            assert!(named(&top) && named(&wait), "{name}");
        }
    }
}

fn opt(long: &str) -> usize {
    OPTIONS.iter().position(|o| o.long == long).expect(long)
}

/// Every variation of `r` reads as its plain spelling.
fn same_request(r: &Request) {
    let p = plain(r);
    let want = read(&p);
    let groups = uses(&p);
    for seed in 0..64u8 {
        let bytes: Vec<u8> = (0..32u8)
            .map(|i| seed.wrapping_mul(37).wrapping_add(i.wrapping_mul(91)) ^ (seed >> (i % 7)))
            .collect();
        let v = varied(r, &mut bytes.into_iter(), groups);
        let got = read(&v);
        match (&want, &got) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "\n{p:?}\n{v:?}"),
            (Err(_), Err(_)) => {}
            _ => panic!("\n{p:?} -> {want:?}\n{v:?} -> {got:?}"),
        }
    }
}

#[test]
fn two_spellings_of_one_request_read_the_same() {
    let s = |v: &str| v.to_string();
    let requests = [
        Request {
            opts: vec![
                (opt("body-json"), s("status=UP")),
                (opt("insecure"), s("true")),
                (opt("quiet"), s("true")),
                (opt("body-json"), s("db=UP")),
            ],
            sub: Some(Sub::Http),
            args: vec![s("http://127.0.0.1:1/")],
            env: vec![],
        },
        Request {
            opts: vec![
                (opt("header"), s("X-A: 1")),
                (opt("method"), s("GET")),
                (opt("header"), s("X-B: 2")),
            ],
            sub: Some(Sub::Http),
            args: vec![s("http://127.0.0.1:1/")],
            env: vec![],
        },
        Request {
            opts: vec![(opt("verbose"), s("true")), (opt("insecure"), s("true"))],
            sub: Some(Sub::Tcp),
            args: vec![s("127.0.0.1:1")],
            env: vec![(s("HEALTHPROBE_QUIET"), s("false"))],
        },
        Request {
            opts: vec![(opt("quiet"), s("true")), (opt("insecure"), s("true"))],
            sub: Some(Sub::Tcp),
            args: vec![s("127.0.0.1:1")],
            env: vec![(s("HEALTHPROBE_VERBOSE"), s("false"))],
        },
        Request {
            opts: vec![
                (opt("timeout"), s("2s")),
                (opt("insecure"), s("true")),
                (opt("quiet"), s("true")),
            ],
            sub: Some(Sub::Tcp),
            args: vec![s("127.0.0.1:1")],
            env: vec![(s("HEALTHPROBE_TIMEOUT"), s("0s"))],
        },
        Request {
            opts: vec![
                (opt("status"), s("200,204")),
                (opt("host"), s("h.example")),
                (opt("data"), s("a=1")),
                (opt("cacert"), s("/ca.pem")),
            ],
            sub: None,
            args: vec![s("https://a.example/"), s("redis://127.0.0.1:6379")],
            env: vec![(s("HEALTHPROBE_HOST"), s(""))],
        },
        Request {
            opts: vec![(opt("service"), s("db")), (opt("tls"), s("true"))],
            sub: Some(Sub::Grpc),
            args: vec![s("127.0.0.1:50051")],
            env: vec![(s("HEALTHPROBE_HEADER"), s("X-A: 1"))],
        },
        Request {
            opts: vec![(opt("interval"), s("1s")), (opt("timeout"), s("3s"))],
            sub: Some(Sub::Wait),
            args: vec![s("tcp://127.0.0.1:1"), s("http://127.0.0.1:1/")],
            env: vec![],
        },
        Request {
            opts: vec![(opt("redact-args"), s("true")), (opt("verbose"), s("true"))],
            sub: Some(Sub::Exec),
            args: vec![s("/bin/true"), s("-x")],
            env: vec![],
        },
    ];
    for r in &requests {
        same_request(r);
    }
    // And the fuzz target's requests, from a fixed stream of bytes.
    for n in 0..3000u32 {
        let bytes: Vec<u8> = (0..48u32)
            .map(|i| (n.wrapping_mul(2654435761).wrapping_add(i * 40503) >> (i % 13)) as u8)
            .collect();
        same_request(&spellings::request(&bytes));
    }
}

#[test]
fn repeated_options_keep_every_value_from_both_sides() {
    let r = read(&(
        [
            "-H",
            "X-A: 1",
            "-XGET",
            "http",
            "-H",
            "X-B: 2",
            "http://a/",
            "--body-json",
            "a=1",
        ]
        .map(String::from)
        .to_vec(),
        vec![("HEALTHPROBE_BODY_JSON".into(), "b=2".into())],
    ))
    .unwrap()
    .unwrap();
    let names: Vec<&str> = r.options.headers.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["X-A", "X-B"]);
    // The flag wins over the variable.
    assert_eq!(r.options.body_json, ["a=1"]);
    let _ = Takes::Flag;
}

// --- the examples, against the binary -------------------------------

#[test]
fn body_json_on_both_sides_is_checked_whatever_the_flags_spelling() {
    let s = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"status\":\"DOWN\",\"db\":\"UP\"}",
    );
    let url = s.url("/");
    for flags in [&["-k", "-q"][..], &["-kq"], &["-qk"]] {
        let mut args = vec!["--body-json", "status=UP"];
        args.extend_from_slice(flags);
        args.extend(["http", "--body-json", "db=UP", &url]);
        assert_eq!(probe(&args).code, 1, "{args:?}");
    }
}

#[test]
fn headers_on_both_sides_are_sent_whatever_the_methods_spelling() {
    for method in [&["-X", "GET"][..], &["-XGET"], &["-X=GET"]] {
        let s = Server::http(
            "127.0.0.1:0",
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        );
        let url = s.url("/");
        let mut args = vec!["-H", "X-A: 1"];
        args.extend_from_slice(method);
        args.extend(["http", "-H", "X-B: 2", &url]);
        probe(&args).healthy();
        let head = s.request().to_ascii_lowercase();
        assert!(
            head.contains("x-a: 1\r\n") && head.contains("x-b: 2\r\n"),
            "{method:?}: {head}"
        );
    }
}

#[test]
fn a_false_variable_does_not_conflict_whatever_the_spelling() {
    let s = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    let at = format!("127.0.0.1:{}", s.port());
    for args in [&["-v", "-k", "tcp", &at][..], &["-kv", "tcp", &at]] {
        probe_env(args, &[("HEALTHPROBE_QUIET", "false")]).healthy();
    }
    for args in [
        &["-q", "-k", "tcp", &at][..],
        &["-qk", "tcp", &at],
        &["-kq", "tcp", &at],
    ] {
        probe_env(args, &[("HEALTHPROBE_VERBOSE", "false")]).healthy();
    }
}

#[test]
fn a_flag_wins_over_its_variable_whatever_the_spelling() {
    let s = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    let at = format!("127.0.0.1:{}", s.port());
    for flags in [&["-k", "-q"][..], &["-kq"]] {
        let mut args = vec!["--timeout", "2s"];
        args.extend_from_slice(flags);
        args.extend(["tcp", &at]);
        probe_env(&args, &[("HEALTHPROBE_TIMEOUT", "0s")]).healthy();
    }
}

#[test]
fn an_empty_variable_is_unset_and_the_line_names_a_missing_target() {
    let s = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    for var in [
        "HEALTHPROBE_HOST",
        "HEALTHPROBE_TIMEOUT",
        "HEALTHPROBE_QUIET",
        "HEALTHPROBE_STATUS",
        "HEALTHPROBE_CACERT",
        "HEALTHPROBE_HEADER",
        "HEALTHPROBE_METHOD",
    ] {
        probe_env(&[&s.url("/")], &[(var, "")]).healthy();
    }
    probe_env(&[], &[("HEALTHPROBE_URL", "")])
        .unhealthy()
        .one_line()
        .says("HEALTHPROBE_URL");
}

#[test]
fn a_check_reads_only_the_variables_its_scheme_uses() {
    let s = Server::http(
        "127.0.0.1:0",
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    );
    let at = format!("127.0.0.1:{}", s.port());
    probe_env(
        &["tcp", &at],
        &[
            ("HEALTHPROBE_HEADER", "bad header"),
            ("HEALTHPROBE_STATUS", "999"),
        ],
    )
    .healthy();
    probe_env(&[&s.url("/")], &[("HEALTHPROBE_HEADER", "bad header")])
        .unhealthy()
        .says("HEALTHPROBE_HEADER");
}
