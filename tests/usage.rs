//! Mistakes on the command line: exit 1 (never clap's 2), one line naming the problem.

mod common;

use common::*;

#[test]
fn help_and_version_exit_0() {
    probe(&["--help"])
        .healthy()
        .says("Usage:")
        .says("Exit status");
    probe(&["--version"])
        .healthy()
        .says(env!("CARGO_PKG_VERSION"));
    probe(&["http", "--help"]).healthy().says("--status");
}

#[test]
fn the_help_stays_within_4_kib_whatever_the_environment_holds() {
    // Found while adding -L and --http2: clap showed each variable's value,
    // so a 3,000-byte HEALTHPROBE_DATA made --help 7,374 bytes.
    let long = "x".repeat(3000);
    for args in [&["--help"][..], &["grpc", "--help"]] {
        probe_env(
            args,
            &[
                ("HEALTHPROBE_DATA", &long),
                ("HEALTHPROBE_GRPC_SERVICE", &long),
            ],
        )
        .healthy()
        .says("HEALTHPROBE_SOME_NAME")
        .never_says("xxxxxxxx");
    }
}

#[test]
fn each_mistake_exits_1_and_names_itself() {
    let cases: &[(&[&str], &str)] = &[
        (&["--no-such-flag", "http://localhost/"], "--no-such-flag"),
        (&["--timeout", "soon", "http://localhost/"], "soon"),
        (&["--timeout", "0", "http://localhost/"], "for `wait` only"),
        (&["--timeout", "100y", "http://localhost/"], "maximum"),
        (
            &["http", "ftp://localhost:8080"],
            "must start with http:// or https://",
        ),
        (&["http://localhost:65536/"], "out of range"),
        (&["http://localhost:0/"], "out of range"),
        (&["tcp", "localhost:99999"], "out of range"),
        (&["tcp", "localhost"], "HOST:PORT"),
        (
            &["-H", "X-Evil: a\r\nX-Injected: b", "http://localhost/"],
            "CR, LF or NUL",
        ),
        (&["-H", "no colon", "http://localhost/"], "Name: value"),
        (&["--status", "999", "http://localhost/"], "999"),
        (&["--status", "400-200", "http://localhost/"], "backwards"),
        (&["--method", "GET /x", "http://localhost/"], "method"),
        (&["foo://localhost:8080"], "don't know how to check"),
        (&["-4", "-6", "localhost:8080"], "cannot be used with"),
        (&["file", "/x", "--min-size", "1KB"], "ambiguous"),
        (
            &["--header-contains", "no colon", "localhost:1"],
            "Name: TEXT",
        ),
        (&[], "nothing to check"),
        (&["exec"], "PROGRAM"),
        (
            &["--cacert", "/nonexistent.pem", "https://localhost/"],
            "/nonexistent.pem",
        ),
    ];
    for (args, needle) in cases {
        let r = probe(args);
        assert_eq!(r.code, 1, "{args:?}: {r:?}");
        r.one_line().says(needle);
    }
}

#[test]
fn a_bad_url_with_a_password_does_not_print_it() {
    probe(&["http://user:hunter2@localhost:99999/"])
        .unhealthy()
        .says("user:***@")
        .never_says("hunter2");
}

#[cfg(not(feature = "tls"))]
#[test]
fn the_slim_build_refuses_the_tls_options_by_name() {
    // (Read by checks that speak TLS only: issue 27.)
    for flag in ["--cacert", "--cert", "--key"] {
        probe(&[flag, "/some/file.pem", "https://localhost/"])
            .unhealthy()
            .one_line()
            .says(&format!("{flag} /some/file.pem: this build has no TLS"));
    }
    probe(&["https://localhost/"])
        .unhealthy()
        .says("https is not supported by this build");
}

#[test]
fn a_mistyped_option_names_the_one_meant() {
    // As clap answers (Jaro similarity above 0.7), from the option table.
    probe(&["--timout", "2s", "http://localhost/"])
        .unhealthy()
        .one_line()
        .says("healthprobe: error: unexpected argument '--timout' (did you mean --timeout?)\n");
    // A subcommand's own options are meant after it.
    probe(&["file", "/x", "--max-ag", "1m"])
        .unhealthy()
        .one_line()
        .says("unexpected argument '--max-ag' (did you mean --max-age?)");
    probe(&["--insecur", "https://localhost/"])
        .unhealthy()
        .says("(did you mean --insecure?)");
    // Nothing close: no guess.
    probe(&["--no-such-flag", "http://localhost/"])
        .unhealthy()
        .one_line()
        .says("unexpected argument '--no-such-flag' found")
        .never_says("did you mean");
}
