//! Every option, once: its name, short form, variable, value, default, help,
//! level (global, or one subcommand's) and which checks read it. The parser
//! (`parse.rs`), the help (`help.rs`) and the tests read this table and
//! nothing else; a new option is one row here and one field in
//! [`Options`].
//!
//! Why a table and not clap's derive: clap's tree cost 752,000 instructions
//! to build (more than a whole TCP check), so a fast path parsed the common
//! forms beside clap, and the two drifted apart (a repeated `--body-json`
//! across the subcommand, `-kv` with `HEALTHPROBE_QUIET=false`, a variable
//! checked although its flag was given). Now one parser reads the table; clap
//! is built from it only to print `--help`.

use std::ffi::OsStr;
use std::path::PathBuf;

use crate::values::{
    ExitCodes, ExitSet, Format, Header, MAX_REDIRS_CEILING, Options, RestartSignal, StatusSet,
    parse_basic_auth, parse_count, parse_duration, parse_history, parse_host_name, parse_listen,
    parse_method, parse_nonempty, parse_restart_after, parse_size, parse_timeout,
};
pub use crate::values::{Group, Groups};

/// The subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sub {
    Http,
    Tcp,
    File,
    Wait,
    Grpc,
    Exec,
    Install,
    Serve,
    History,
}

impl Sub {
    pub const ALL: [Sub; 9] = [
        Sub::Http,
        Sub::Tcp,
        Sub::File,
        Sub::Wait,
        Sub::Grpc,
        Sub::Exec,
        Sub::Install,
        Sub::Serve,
        Sub::History,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Sub::Http => "http",
            Sub::Tcp => "tcp",
            Sub::File => "file",
            Sub::Wait => "wait",
            Sub::Grpc => "grpc",
            Sub::Exec => "exec",
            Sub::Install => "install",
            Sub::Serve => "serve",
            Sub::History => "history",
        }
    }

    pub fn named(name: &str) -> Option<Sub> {
        Sub::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What it does, in one line (the help, the man page, the completions).
    pub fn about(self) -> &'static str {
        match self {
            Sub::Http => "Healthy when URL answers with a status in --status",
            Sub::Tcp => "Healthy when HOST:PORT accepts a TCP connection",
            Sub::File => "Healthy when the file PATH exists and passes its checks",
            Sub::Wait => "Waits until all TARGETs pass (--timeout, default 60s), then runs PROGRAM",
            Sub::Grpc => "Healthy when grpc.health.v1.Health/Check answers SERVING",
            Sub::Exec => "Runs PROGRAM (no shell); healthy when it exits 0",
            Sub::Install => "Copies this binary to DIR/healthprobe",
            Sub::Serve => "Answers HTTP /healthz and gRPC health checks with the TARGETs' verdict",
            Sub::History => "Runs kept by --history; its --help: --restart-after, --start-interval",
        }
    }

    /// What follows it on the command line, for synopses.
    pub fn operands(self) -> &'static str {
        match self {
            Sub::Http => "URL",
            Sub::Tcp | Sub::Grpc => "HOST:PORT",
            Sub::File => "PATH",
            Sub::Exec => "[--] PROGRAM [ARGS...]",
            Sub::Wait => "TARGET... [-- PROGRAM [ARGS...]]",
            Sub::Install => "DIR",
            Sub::Serve => "[--listen ADDR:PORT] [TARGET...]",
            Sub::History => "[--format json] [TARGET...]",
        }
    }
}

/// Where an option may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Before or after any subcommand (clap's `global`).
    Global,
    /// After this subcommand only.
    Only(Sub),
}

/// What an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// A flag: given or not; its variable is `true` or `false`.
    Flag,
    /// One value (its name in the help); given at most once on each side of
    /// the subcommand, the subcommand's side winning.
    One(&'static str),
    /// Any number of values, all kept, from both sides of the subcommand;
    /// its variable holds one per line.
    Many(&'static str),
}

/// Sets an option's field from one value (the command line's, the
/// variable's, or the default).
pub type Setter = fn(&mut Options, &OsStr) -> Result<(), String>;

/// One option.
pub struct Opt {
    pub long: &'static str,
    pub short: Option<char>,
    pub env: Option<&'static str>,
    pub takes: Takes,
    pub default: Option<&'static str>,
    /// The only values accepted, listed in the help.
    pub choices: &'static [&'static str],
    pub level: Level,
    pub group: Group,
    /// The heading it is listed under in the help (`None`: "Options").
    pub heading: Option<&'static str>,
    pub help: &'static str,
    /// Its value may be a credential: messages name the option, never quote
    /// the value, and the help does not show the variable's value.
    pub secret: bool,
    pub set: Setter,
}

impl Opt {
    /// `--timeout <DURATION>` (for messages).
    pub fn shown(&self) -> String {
        match self.takes {
            Takes::Flag => format!("--{}", self.long),
            Takes::One(name) | Takes::Many(name) => format!("--{} <{name}>", self.long),
        }
    }

    pub fn allowed_in(&self, sub: Option<Sub>) -> bool {
        match self.level {
            Level::Global => true,
            Level::Only(only) => sub == Some(only),
        }
    }
}

/// The value as text; only paths may be other bytes.
fn text(v: &OsStr) -> Result<&str, String> {
    v.to_str().ok_or_else(|| "not valid UTF-8".to_string())
}

fn path(v: &OsStr) -> Result<Option<PathBuf>, String> {
    match v.is_empty() {
        true => Err("must not be empty".into()),
        false => Ok(Some(PathBuf::from(v))),
    }
}

/// A flag's value: from the command line "true", from a variable "true" or "false".
fn flag(v: &OsStr) -> Result<bool, String> {
    match v.to_str() {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        _ => Err("possible values: true, false".into()),
    }
}

const HTTP: Option<&str> = Some("HTTP");
const TLS: Option<&str> = Some("TLS");
/// Listed by `healthprobe history --help` only (see `help.rs`).
pub const MEMORY: Option<&str> = Some("Memory across runs");

/// The options, in the order the help lists them.
pub static OPTIONS: [Opt; 49] = [
    Opt {
        long: "timeout",
        short: None,
        env: Some("HEALTHPROBE_TIMEOUT"),
        takes: Takes::One("DURATION"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Run,
        heading: None,
        help: "Deadline for everything, below the runtime's [default: 10s; wait: 60s]",
        secret: false,
        set: |o, v| {
            // 0 (no deadline) is for wait only: `parse::resolve` says so.
            o.timeout = Some(parse_duration(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "quiet",
        short: Some('q'),
        env: Some("HEALTHPROBE_QUIET"),
        takes: Takes::Flag,
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Run,
        heading: None,
        help: "Print nothing, only exit",
        secret: false,
        set: |o, v| {
            o.quiet = flag(v)?;
            Ok(())
        },
    },
    Opt {
        long: "verbose",
        short: Some('v'),
        env: Some("HEALTHPROBE_VERBOSE"),
        takes: Takes::Flag,
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Run,
        heading: None,
        help: "Also print addresses, timings, headers",
        secret: false,
        set: |o, v| {
            o.verbose = flag(v)?;
            Ok(())
        },
    },
    Opt {
        long: "ipv4",
        short: Some('4'),
        env: Some("HEALTHPROBE_IPV4"),
        takes: Takes::Flag,
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Run,
        heading: None,
        help: "IPv4 only",
        secret: false,
        set: |o, v| {
            o.ipv4 = flag(v)?;
            Ok(())
        },
    },
    Opt {
        long: "ipv6",
        short: Some('6'),
        env: Some("HEALTHPROBE_IPV6"),
        takes: Takes::Flag,
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Run,
        heading: None,
        help: "IPv6 only",
        secret: false,
        set: |o, v| {
            o.ipv6 = flag(v)?;
            Ok(())
        },
    },
    Opt {
        long: "start-period",
        short: None,
        env: Some("HEALTHPROBE_START_PERIOD"),
        takes: Takes::One("DURATION"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Run,
        heading: None,
        help: "Exit 2, not 1, while the container is younger",
        secret: false,
        set: |o, v| {
            o.start_period = Some(parse_duration(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "exit-codes",
        short: None,
        env: Some("HEALTHPROBE_EXIT_CODES"),
        takes: Takes::One("STYLE"),
        default: Some("docker"),
        choices: &ExitCodes::NAMES,
        level: Level::Global,
        group: Group::Run,
        heading: None,
        help: "docker, or consul: 1 warning (HTTP 429), 2 critical",
        secret: false,
        set: |o, v| {
            o.exit_codes = ExitCodes::parse(text(v)?)?;
            Ok(())
        },
    },
    Opt {
        long: "invert",
        short: None,
        env: Some("HEALTHPROBE_INVERT"),
        takes: Takes::Flag,
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Run,
        heading: None,
        help: "Pass when targets are down",
        secret: false,
        set: |o, v| {
            o.invert = flag(v)?;
            Ok(())
        },
    },
    Opt {
        long: "method",
        short: Some('X'),
        env: Some("HEALTHPROBE_METHOD"),
        takes: Takes::One("METHOD"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Http,
        heading: HTTP,
        help: "HTTP method [default: GET, or POST with --data]",
        secret: false,
        set: |o, v| {
            o.method = Some(parse_method(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "data",
        short: Some('d'),
        env: Some("HEALTHPROBE_DATA"),
        takes: Takes::One("TEXT"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Http,
        heading: HTTP,
        help: "Send TEXT as the body (JSON for {...}, else a form)",
        secret: false,
        set: |o, v| {
            o.data = Some(text(v)?.to_string());
            Ok(())
        },
    },
    Opt {
        long: "status",
        short: None,
        env: Some("HEALTHPROBE_STATUS"),
        takes: Takes::One("LIST"),
        default: Some("200-399"),
        choices: &[],
        level: Level::Global,
        group: Group::Http,
        heading: HTTP,
        help: "Healthy statuses, e.g. 200,204,300-399",
        secret: false,
        set: |o, v| {
            o.status = StatusSet::parse(text(v)?)?;
            Ok(())
        },
    },
    Opt {
        long: "header",
        short: Some('H'),
        env: Some("HEALTHPROBE_HEADER"),
        takes: Takes::Many("HEADER"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Headers,
        heading: HTTP,
        help: "Add or replace a header, 'Name: value'",
        secret: true,
        set: |o, v| {
            o.headers.push(Header::parse(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "host",
        short: None,
        env: Some("HEALTHPROBE_HOST"),
        takes: Takes::One("NAME"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Http,
        heading: HTTP,
        help: "Host header and TLS server name to send",
        secret: false,
        set: |o, v| {
            o.host = Some(parse_host_name(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "location",
        short: Some('L'),
        env: Some("HEALTHPROBE_LOCATION"),
        takes: Takes::Flag,
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Http,
        heading: HTTP,
        help: "Follow redirects as curl -L does",
        secret: false,
        set: |o, v| {
            o.location = flag(v)?;
            Ok(())
        },
    },
    Opt {
        long: "max-redirs",
        short: None,
        env: Some("HEALTHPROBE_MAX_REDIRS"),
        takes: Takes::One("N"),
        default: Some("10"),
        choices: &[],
        level: Level::Global,
        group: Group::Http,
        heading: HTTP,
        help: "Redirects -L follows at most",
        secret: false,
        set: |o, v| {
            o.max_redirs = parse_count(text(v)?, MAX_REDIRS_CEILING)?;
            Ok(())
        },
    },
    Opt {
        long: "http2",
        short: None,
        env: Some("HEALTHPROBE_HTTP2"),
        takes: Takes::Flag,
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Http,
        heading: HTTP,
        help: "HTTP/2: h2c on http://, ALPN h2 on https://",
        secret: false,
        set: |o, v| {
            o.http2 = flag(v)?;
            Ok(())
        },
    },
    Opt {
        long: "body-contains",
        short: None,
        env: Some("HEALTHPROBE_BODY_CONTAINS"),
        takes: Takes::One("TEXT"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Http,
        heading: HTTP,
        help: "Healthy only if the body's first 64 KiB contain TEXT",
        secret: false,
        set: |o, v| {
            o.body_contains = Some(parse_nonempty(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "body-not-contains",
        short: None,
        env: Some("HEALTHPROBE_BODY_NOT_CONTAINS"),
        takes: Takes::One("TEXT"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Http,
        heading: HTTP,
        help: "Unhealthy if the body's first 64 KiB contain TEXT",
        secret: false,
        set: |o, v| {
            o.body_not_contains = Some(parse_nonempty(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "header-contains",
        short: None,
        env: Some("HEALTHPROBE_HEADER_CONTAINS"),
        takes: Takes::Many("HEADER"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Http,
        heading: HTTP,
        help: "Healthy only if header Name holds TEXT",
        secret: false,
        set: |o, v| {
            let text = text(v)?;
            if !text.contains(':') {
                return Err("expected 'Name: TEXT'".into());
            }
            o.header_contains.push(text.to_string());
            Ok(())
        },
    },
    Opt {
        long: "body-json",
        short: None,
        env: Some("HEALTHPROBE_BODY_JSON"),
        takes: Takes::Many("PATH=VALUE"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Http,
        heading: HTTP,
        help: "Healthy only if the JSON body has VALUE at PATH: status=UP",
        secret: false,
        set: |o, v| {
            let text = text(v)?;
            if !text.contains('=') {
                return Err("expected PATH=VALUE".into());
            }
            o.body_json.push(text.to_string());
            Ok(())
        },
    },
    Opt {
        long: "basic-auth",
        short: None,
        env: Some("HEALTHPROBE_BASIC_AUTH"),
        takes: Takes::One("USER:PASSWORD"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Http,
        heading: HTTP,
        help: "Basic authentication (never printed)",
        secret: true,
        set: |o, v| {
            o.basic_auth = Some(parse_basic_auth(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "unix-socket",
        short: None,
        env: Some("HEALTHPROBE_UNIX_SOCKET"),
        takes: Takes::One("PATH"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Http,
        heading: HTTP,
        help: "HTTP over this unix socket, not TCP",
        secret: false,
        set: |o, v| {
            o.unix_socket = path(v)?;
            Ok(())
        },
    },
    Opt {
        long: "insecure",
        short: Some('k'),
        env: Some("HEALTHPROBE_INSECURE"),
        takes: Takes::Flag,
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Tls,
        heading: TLS,
        help: "Do not verify the server's certificate",
        secret: false,
        set: |o, v| {
            o.insecure = flag(v)?;
            Ok(())
        },
    },
    Opt {
        long: "cacert",
        short: None,
        env: Some("HEALTHPROBE_CACERT"),
        takes: Takes::One("FILE"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Tls,
        heading: TLS,
        help: "Trust FILE's PEM certificates (a self-signed one too)",
        secret: false,
        set: |o, v| {
            o.cacert = path(v)?;
            Ok(())
        },
    },
    Opt {
        long: "cert",
        short: None,
        env: Some("HEALTHPROBE_CERT"),
        takes: Takes::One("FILE"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Tls,
        heading: TLS,
        help: "Client certificate (PEM; may hold the chain and key)",
        secret: false,
        set: |o, v| {
            o.cert = path(v)?;
            Ok(())
        },
    },
    Opt {
        long: "key",
        short: None,
        env: Some("HEALTHPROBE_KEY"),
        takes: Takes::One("FILE"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Tls,
        heading: TLS,
        help: "The client certificate's key (PEM)",
        secret: false,
        set: |o, v| {
            o.key = path(v)?;
            Ok(())
        },
    },
    Opt {
        long: "max-age",
        short: None,
        env: Some("HEALTHPROBE_MAX_AGE"),
        takes: Takes::One("DURATION"),
        default: None,
        choices: &[],
        level: Level::Only(Sub::File),
        group: Group::Run,
        heading: None,
        help: "Unhealthy when the file was last modified longer ago than this",
        secret: false,
        set: |o, v| {
            o.max_age = Some(parse_timeout(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "non-empty",
        short: None,
        env: Some("HEALTHPROBE_NON_EMPTY"),
        takes: Takes::Flag,
        default: None,
        choices: &[],
        level: Level::Only(Sub::File),
        group: Group::Run,
        heading: None,
        help: "Unhealthy when the file is empty",
        secret: false,
        set: |o, v| {
            o.non_empty = flag(v)?;
            Ok(())
        },
    },
    Opt {
        long: "contains",
        short: None,
        env: Some("HEALTHPROBE_CONTAINS"),
        takes: Takes::One("TEXT"),
        default: None,
        choices: &[],
        level: Level::Only(Sub::File),
        group: Group::Run,
        heading: None,
        help: "Healthy only if the file's first 64 KiB contain TEXT",
        secret: false,
        set: |o, v| {
            o.contains = Some(parse_nonempty(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "min-size",
        short: None,
        env: Some("HEALTHPROBE_MIN_SIZE"),
        takes: Takes::One("SIZE"),
        default: None,
        choices: &[],
        level: Level::Only(Sub::File),
        group: Group::Run,
        heading: None,
        help: "Unhealthy when smaller: bytes, or K, M, G (1K = 1024)",
        secret: false,
        set: |o, v| {
            o.min_size = Some(parse_size(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "max-size",
        short: None,
        env: Some("HEALTHPROBE_MAX_SIZE"),
        takes: Takes::One("SIZE"),
        default: None,
        choices: &[],
        level: Level::Only(Sub::File),
        group: Group::Run,
        heading: None,
        help: "Unhealthy when larger (SIZE as for --min-size)",
        secret: false,
        set: |o, v| {
            o.max_size = Some(parse_size(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "interval",
        short: None,
        env: Some("HEALTHPROBE_INTERVAL"),
        takes: Takes::One("DURATION"),
        default: Some("500ms"),
        choices: &[],
        level: Level::Only(Sub::Wait),
        group: Group::Run,
        heading: None,
        help: "Pause between attempts",
        secret: false,
        set: |o, v| {
            o.interval = parse_timeout(text(v)?)?;
            Ok(())
        },
    },
    Opt {
        long: "attempt-timeout",
        short: None,
        env: Some("HEALTHPROBE_ATTEMPT_TIMEOUT"),
        takes: Takes::One("DURATION"),
        default: Some("5s"),
        choices: &[],
        level: Level::Only(Sub::Wait),
        group: Group::Run,
        heading: None,
        help: "Deadline of each attempt",
        secret: false,
        set: |o, v| {
            o.attempt_timeout = parse_timeout(text(v)?)?;
            Ok(())
        },
    },
    Opt {
        long: "backoff",
        short: None,
        env: Some("HEALTHPROBE_BACKOFF"),
        takes: Takes::Flag,
        default: None,
        choices: &[],
        level: Level::Only(Sub::Wait),
        group: Group::Run,
        heading: None,
        help: "Double the pause after each failed attempt",
        secret: false,
        set: |o, v| {
            o.backoff = flag(v)?;
            Ok(())
        },
    },
    Opt {
        long: "max-interval",
        short: None,
        env: Some("HEALTHPROBE_MAX_INTERVAL"),
        takes: Takes::One("DURATION"),
        default: Some("10s"),
        choices: &[],
        level: Level::Only(Sub::Wait),
        group: Group::Run,
        heading: None,
        help: "Longest pause with --backoff",
        secret: false,
        set: |o, v| {
            o.max_interval = parse_timeout(text(v)?)?;
            Ok(())
        },
    },
    Opt {
        long: "service",
        short: None,
        env: Some("HEALTHPROBE_GRPC_SERVICE"),
        takes: Takes::One("NAME"),
        default: None,
        choices: &[],
        level: Level::Only(Sub::Grpc),
        group: Group::Run,
        heading: None,
        help: "The service to ask about; empty means the server as a whole",
        secret: false,
        set: |o, v| {
            o.service = text(v)?.to_string();
            Ok(())
        },
    },
    Opt {
        long: "tls",
        short: None,
        env: Some("HEALTHPROBE_GRPC_TLS"),
        takes: Takes::Flag,
        default: None,
        choices: &[],
        level: Level::Only(Sub::Grpc),
        group: Group::Run,
        heading: None,
        help: "Use TLS (ALPN h2); --insecure and --cacert apply",
        secret: false,
        set: |o, v| {
            o.tls = flag(v)?;
            Ok(())
        },
    },
    Opt {
        long: "authority",
        short: None,
        env: Some("HEALTHPROBE_GRPC_AUTHORITY"),
        takes: Takes::One("NAME"),
        default: None,
        choices: &[],
        level: Level::Only(Sub::Grpc),
        group: Group::Run,
        heading: None,
        help: ":authority to send (and TLS server name), instead of HOST:PORT",
        secret: false,
        set: |o, v| {
            o.authority = Some(parse_host_name(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "redact-args",
        short: None,
        env: Some("HEALTHPROBE_REDACT_ARGS"),
        takes: Takes::Flag,
        default: None,
        choices: &[],
        level: Level::Only(Sub::Exec),
        group: Group::Run,
        heading: None,
        help: "Print the program's name but not its arguments (they may hold a password)",
        secret: false,
        set: |o, v| {
            o.redact_args = flag(v)?;
            Ok(())
        },
    },
    Opt {
        long: "stdout-contains",
        short: None,
        env: Some("HEALTHPROBE_STDOUT_CONTAINS"),
        takes: Takes::One("TEXT"),
        default: None,
        choices: &[],
        level: Level::Only(Sub::Exec),
        group: Group::Run,
        heading: None,
        help: "Healthy only if the output's first 64 KiB contain TEXT",
        secret: false,
        set: |o, v| {
            o.stdout_contains = Some(parse_nonempty(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "expect-exit",
        short: None,
        env: Some("HEALTHPROBE_EXPECT_EXIT"),
        takes: Takes::One("LIST"),
        default: Some("0"),
        choices: &[],
        level: Level::Only(Sub::Exec),
        group: Group::Run,
        heading: None,
        help: "Healthy exit statuses, e.g. 0,3 or 0-2",
        secret: false,
        set: |o, v| {
            o.expect_exit = ExitSet::parse(text(v)?)?;
            Ok(())
        },
    },
    Opt {
        long: "state-dir",
        short: None,
        env: Some("HEALTHPROBE_STATE_DIR"),
        takes: Takes::One("DIR"),
        default: Some("/dev/shm/healthprobe"),
        choices: &[],
        level: Level::Global,
        group: Group::Run,
        heading: MEMORY,
        help: "Where the options below keep their record (private, 0700)",
        secret: false,
        set: |o, v| {
            o.state_dir = path(v)?;
            Ok(())
        },
    },
    Opt {
        long: "listen",
        short: None,
        env: Some("HEALTHPROBE_LISTEN"),
        takes: Takes::One("ADDR:PORT"),
        default: Some(":8081"),
        choices: &[],
        level: Level::Only(Sub::Serve),
        group: Group::Run,
        heading: None,
        help: "Where to listen (:PORT is every IPv4 address)",
        secret: false,
        set: |o, v| {
            o.listen = Some(parse_listen(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "restart-after",
        short: None,
        env: Some("HEALTHPROBE_RESTART_AFTER"),
        takes: Takes::One("N"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Run,
        heading: MEMORY,
        help: "Signal PID 1 once after N unhealthy runs in a row",
        secret: false,
        set: |o, v| {
            o.restart_after = Some(parse_restart_after(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "cache",
        short: None,
        env: Some("HEALTHPROBE_CACHE"),
        takes: Takes::One("DURATION"),
        default: Some("1s"),
        choices: &[],
        level: Level::Only(Sub::Serve),
        group: Group::Run,
        heading: None,
        help: "Answer from the last run this long (0: run for every request)",
        secret: false,
        set: |o, v| {
            o.cache = parse_duration(text(v)?)?;
            Ok(())
        },
    },
    Opt {
        long: "restart-signal",
        short: None,
        env: Some("HEALTHPROBE_RESTART_SIGNAL"),
        takes: Takes::One("SIGNAL"),
        default: Some("TERM"),
        choices: &RestartSignal::NAMES,
        level: Level::Global,
        group: Group::Run,
        heading: MEMORY,
        help: "TERM, INT, QUIT, HUP, USR1 or USR2",
        secret: false,
        set: |o, v| {
            o.restart_signal = RestartSignal::parse(text(v)?)?;
            Ok(())
        },
    },
    Opt {
        long: "start-interval",
        short: None,
        env: Some("HEALTHPROBE_START_INTERVAL"),
        takes: Takes::One("DURATION"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Run,
        heading: MEMORY,
        help: "Until the first healthy run, retry this often within a run",
        secret: false,
        set: |o, v| {
            o.start_interval = Some(parse_timeout(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "history",
        short: None,
        env: Some("HEALTHPROBE_HISTORY"),
        takes: Takes::One("N"),
        default: None,
        choices: &[],
        level: Level::Global,
        group: Group::Run,
        heading: MEMORY,
        help: "Keep the last N runs for `healthprobe history`",
        secret: false,
        set: |o, v| {
            o.history = Some(parse_history(text(v)?)?);
            Ok(())
        },
    },
    Opt {
        long: "format",
        short: None,
        env: Some("HEALTHPROBE_FORMAT"),
        takes: Takes::One("FORMAT"),
        default: Some("line"),
        choices: &Format::NAMES,
        level: Level::Global,
        group: Group::Run,
        heading: MEMORY,
        help: "line, or json: one JSON object",
        secret: false,
        set: |o, v| {
            o.format = Format::parse(text(v)?)?;
            Ok(())
        },
    },
];
