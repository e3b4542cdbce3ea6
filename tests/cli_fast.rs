//! The fast command-line path (src/cli/fast.rs) against clap: its table is
//! clap's definition, and wherever it answers, it answers what clap answers.
//! One test function: it sets environment variables, and nothing else in this
//! binary may read them meanwhile.

use std::ffi::OsString;

use clap::{CommandFactory, Parser};
use healthprobe::cli::fast::{self, Env, Parsed, SPECS, Sub};
use healthprobe::cli::{self, Cli};

fn table_matches_clap() {
    let cmd = Cli::command();
    let check = |arg: &clap::Arg, only_in: Option<Sub>| {
        let Some(long) = arg.get_long() else { return };
        if ["help", "version"].contains(&long) {
            return;
        }
        let spec = SPECS
            .iter()
            .find(|s| s.long == long)
            .unwrap_or_else(|| panic!("--{long} is missing from fast::SPECS"));
        assert_eq!(spec.short, arg.get_short(), "--{long} short");
        let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
        assert_eq!(spec.env.map(String::from), env, "--{long} env");
        assert_eq!(
            spec.takes_value,
            arg.get_action().takes_values(),
            "--{long} takes a value"
        );
        let scope = if arg.is_global_set() { None } else { only_in };
        assert_eq!(spec.only_in, scope, "--{long} scope");
    };
    for arg in cmd.get_arguments() {
        check(arg, None);
    }
    for (name, sub) in Sub::ALL {
        let sc = cmd
            .find_subcommand(name)
            .unwrap_or_else(|| panic!("subcommand {name}"));
        for arg in sc.get_arguments().filter(|a| !a.is_global_set()) {
            check(arg, Some(sub));
        }
    }
    let subcommands: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
    assert_eq!(subcommands.len(), Sub::ALL.len(), "{subcommands:?}");
    let clap_longs = cmd
        .get_arguments()
        .filter_map(|a| a.get_long())
        .filter(|l| !["help", "version"].contains(l))
        .count();
    let table_globals = SPECS.iter().filter(|s| s.only_in.is_none()).count();
    assert_eq!(clap_longs, table_globals, "global options");
}

/// A command line and the HEALTHPROBE_* variables set for it.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);

/// Sets exactly `env` among the HEALTHPROBE_* variables.
fn set_env(env: &[(&str, &str)]) {
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("HEALTHPROBE_") {
            // SAFETY: this binary runs one test, on one thread.
            unsafe { std::env::remove_var(k) };
        }
    }
    for (k, v) in env {
        // SAFETY: as above.
        unsafe { std::env::set_var(k, v) };
    }
}

/// Both parsers on `args` and `env`: where the fast path answers, clap agrees.
/// Returns whether the fast path answered.
fn agree(args: &[&str], env: &[(&str, &str)]) -> bool {
    set_env(env);
    let argv: Vec<OsString> = std::iter::once("healthprobe")
        .chain(args.iter().copied())
        .map(OsString::from)
        .collect();
    let fast = fast::parse(&argv, &Env::from_process());
    let clap = Cli::try_parse_from(&argv);
    match (&fast, clap) {
        (None, _) => false,
        (Some(Parsed::Cli(f)), Ok(c)) => {
            assert_eq!(**f, c, "{args:?} {env:?}");
            true
        }
        (Some(Parsed::Version), Err(e)) if e.kind() == clap::error::ErrorKind::DisplayVersion => {
            assert_eq!(e.render().to_string(), cli::version_line());
            true
        }
        (Some(f), Err(e)) => panic!("{args:?} {env:?}: fast path said {f:?}, clap: {e}"),
        (Some(f), Ok(c)) => panic!("{args:?} {env:?}: fast path said {f:?}, clap: {c:?}"),
    }
}

#[test]
fn the_fast_path_is_clap_where_it_answers() {
    table_matches_clap();

    // What health checks write: the fast path must take these.
    let common: &[Case] = &[
        (&["--version"], &[]),
        (&["-V"], &[]),
        (&["http://localhost:8080/health"], &[]),
        (&["--timeout", "3s", "http://localhost:8080/health"], &[]),
        (&["--timeout=3s", "-q", "http://a/", "tcp://b:1"], &[]),
        (
            &[],
            &[
                ("HEALTHPROBE_URL", "http://a/ tcp://b:1"),
                ("HEALTHPROBE_TIMEOUT", "2s"),
            ],
        ),
        (
            &[
                "http",
                "http://a/",
                "--status",
                "200,204",
                "-H",
                "X-A: 1",
                "-H",
                "X-B: 2",
            ],
            &[],
        ),
        (
            &[
                "--method",
                "head",
                "-k",
                "--cacert",
                "/ca.pem",
                "https://a/",
            ],
            &[],
        ),
        (
            &[
                "--cert",
                "/c.pem",
                "--key",
                "/k.pem",
                "--basic-auth",
                "u:p",
                "https://a/",
            ],
            &[],
        ),
        (&["tcp", "localhost:5432"], &[]),
        (
            &[
                "grpc",
                "localhost:50051",
                "--service",
                "db",
                "--tls",
                "--authority",
                "x.example",
            ],
            &[],
        ),
        (
            &["grpc://localhost:50051/db"],
            &[("HEALTHPROBE_GRPC_SERVICE", "ignored")],
        ),
        (
            &["grpc", "h:1"],
            &[
                ("HEALTHPROBE_GRPC_SERVICE", "db"),
                ("HEALTHPROBE_GRPC_TLS", "true"),
            ],
        ),
        (&["exec", "--", "sh", "-c", "exit 0"], &[]),
        (
            &[
                "--timeout",
                "5s",
                "exec",
                "--redact-args",
                "--",
                "pg_isready",
                "-h",
                "x",
            ],
            &[],
        ),
        (&["exec", "/app/check", "--deep", "-v"], &[]),
        (&["exec", "-v", "true"], &[]),
        (
            &["file", "/tmp/beat", "--max-age", "1m"],
            &[("HEALTHPROBE_MAX_AGE", "2m")],
        ),
        (
            &[
                "wait",
                "--timeout",
                "60s",
                "tcp://db:5432",
                "http://c/",
                "--",
                "/app",
                "-x",
            ],
            &[],
        ),
        (&["wait", "tcp://db:5432", "--interval", "1s"], &[]),
        (
            &["http://a/"],
            &[("HEALTHPROBE_QUIET", "true"), ("HEALTHPROBE_STATUS", "200")],
        ),
        (
            &["http://a/"],
            &[
                ("HEALTHPROBE_EXIT_CODES", "consul"),
                ("HEALTHPROBE_START_PERIOD", "30s"),
            ],
        ),
        (
            &["-v", "http://a/"],
            &[
                ("HEALTHPROBE_INSECURE", "false"),
                ("HEALTHPROBE_HOST", "h.example"),
            ],
        ),
        (
            &["--unix-socket", "/run/a.sock", "http://localhost/health"],
            &[],
        ),
        (
            &["--body-contains", "UP", "http://a/"],
            &[("HEALTHPROBE_METHOD", "POST")],
        ),
        (&["http://a/", "--exit-codes", "consul"], &[]),
        (&["http://localhost:${PORT}/health"], &[]),
        (
            &[
                "-d",
                "{\"q\":1}",
                "--body-json",
                "status=UP",
                "--body-json",
                "a[0].b=2",
                "http://a/",
            ],
            &[],
        ),
        (&["http://a/"], &[("HEALTHPROBE_DATA", "x=1")]),
        (
            &[
                "redis://:pw@cache:6379",
                "postgres://db:5432/app",
                "mysql://db",
            ],
            &[],
        ),
    ];
    for (args, env) in common {
        assert!(
            agree(args, env),
            "the fast path should take {args:?} {env:?}"
        );
    }

    // Forms left to clap (errors, help, unusual spellings); where the fast
    // path answers anyway, it must agree.
    let others: &[Case] = &[
        (&["--help"], &[]),
        (&["http", "--help"], &[]),
        (&["--version", "http://a/"], &[]),
        (&["-q", "-v", "http://a/"], &[]),
        (&["-XPOST", "http://a/"], &[]),
        (&["-X=POST", "http://a/"], &[]),
        (&["-qk", "http://a/"], &[]),
        (&["--timeout", "1s", "--timeout", "2s", "http://a/"], &[]),
        (&["-q", "-q", "http://a/"], &[]),
        (&["--timeout", "soon", "http://a/"], &[]),
        (&["--timeout", "", "http://a/"], &[]),
        (&["--timeout"], &[]),
        (&["--no-such-flag", "http://a/"], &[]),
        (&["--service", "db", "grpc", "h:1"], &[]),
        (&["http", "http://a/", "http://b/"], &[]),
        (&["http"], &[]),
        (&["exec"], &[]),
        (&["exec", "--"], &[]),
        (&["exec", "-x", "true"], &[]),
        (&["wait"], &[]),
        (&["wait", "--", "prog"], &[]),
        (&["http://a/", "http"], &[]),
        (&["--", "http://a/"], &[]),
        (&["-", "http://a/"], &[]),
        (&["--status=", "http://a/"], &[]),
        (&["--quiet=true", "http://a/"], &[]),
        (&["-H", "bad header", "http://a/"], &[]),
        (&["--exit-codes", "nagios", "http://a/"], &[]),
        (&["--exit-codes", "Docker", "http://a/"], &[]),
        (&["http://a/"], &[("HEALTHPROBE_QUIET", "1")]),
        (&["http://a/"], &[("HEALTHPROBE_QUIET", "")]),
        (&["http://a/"], &[("HEALTHPROBE_TIMEOUT", "")]),
        (&["http://a/"], &[("HEALTHPROBE_TIMEOUT", "nonsense")]),
        (&["-v", "http://a/"], &[("HEALTHPROBE_QUIET", "true")]),
        (&["http://a/"], &[("HEALTHPROBE_CACERT", "")]),
        (
            &["--cacert", "/x", "http://a/"],
            &[("HEALTHPROBE_CACERT", "/y")],
        ),
        (&["tcp", "h:1", "--redact-args"], &[]),
        (&["exec", "true"], &[("HEALTHPROBE_REDACT_ARGS", "yes")]),
        (&["grpc", "h:1"], &[("HEALTHPROBE_GRPC_TLS", "TRUE")]),
        (&["file", "/x"], &[("HEALTHPROBE_INTERVAL", "1s")]),
        (&["-H", "-x", "http://a/"], &[]),
        (&["--host", "--verbose", "http://a/"], &[]),
        (&["file", "-k", ""], &[]),
        (&["--body-json", "nope", "http://a/"], &[]),
        (&["-d", "", "http://a/"], &[]),
        (&["http", ""], &[]),
        // issue 24's options: clap parses them (the fast path defers).
        (&["-4", "localhost:8080/health"], &[]),
        (&["-6", "--ipv4", "http://a/"], &[]),
        (&["http://a/"], &[("HEALTHPROBE_IPV6", "true")]),
        (&["--header-contains", "X-A: b", "http://a/"], &[]),
        (&["--body-not-contains=down", "http://a/"], &[]),
        (&["http://a/"], &[("HEALTHPROBE_BODY_NOT_CONTAINS", "down")]),
        (&["exec", "--stdout-contains", "ok", "--", "true"], &[]),
        (&["exec", "true"], &[("HEALTHPROBE_STDOUT_CONTAINS", "ok")]),
        (&["file", "/x", "--contains", "ok", "--min-size", "1K"], &[]),
        (&["file", "/x", "--non-empty", "--max-size=1M"], &[]),
        (&["file", "/x"], &[("HEALTHPROBE_MIN_SIZE", "1")]),
    ];
    // Each of them must reach clap.
    for (args, env) in &others[others.len() - 11..] {
        assert!(!agree(args, env), "{args:?} {env:?} must go to clap");
    }
    let mut fast_taken = 0;
    for (args, env) in others {
        fast_taken += usize::from(agree(args, env));
    }
    eprintln!(
        "{} of {} unusual forms answered by the fast path too",
        fast_taken,
        others.len()
    );
    set_env(&[]);
}
