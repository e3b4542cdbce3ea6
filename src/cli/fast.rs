//! The command line without clap's command tree, for the plain forms that
//! nearly every run uses.
//!
//! Building clap's tree costs more than the rest of a check: `--version`
//! executed 752,000 instructions, 99% of them clap copying 17 global options
//! into 7 subcommands (300,000), constructing some 40 arguments (every help
//! text copied, every `env` a locked walk of `environ`: 360,000) and dropping
//! it all again. This parser reads the same grammar from a table and builds
//! the same [`Cli`] value; whatever it is not sure of (help, errors, repeated
//! or conflicting options, `-XPOST`, `-qk`, non-UTF-8, anything unusual)
//! makes it answer `None`, and clap parses as always, with its messages. A
//! test holds the table to clap's definitions, and tests and a fuzz target
//! hold both parsers to the same answers (tests/cli_fast.rs, fuzz/cli).

use std::borrow::Cow;
use std::ffi::OsString;
use std::path::PathBuf;

use super::values::{
    Header, StatusSet, parse_basic_auth, parse_duration, parse_host_name, parse_method,
    parse_nonempty, parse_timeout,
};
use super::{Cli, Command, DEFAULT_INTERVAL, DEFAULT_STATUS, ExitCodes, JsonCheck, Options};

/// What the fast path made of the command line.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    Cli(Box<Cli>),
    /// `healthprobe --version` (or `-V`) and nothing else.
    Version,
}

/// The subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sub {
    Http,
    Tcp,
    File,
    Wait,
    Grpc,
    Exec,
}

impl Sub {
    pub const ALL: [(&'static str, Sub); 6] = [
        ("http", Sub::Http),
        ("tcp", Sub::Tcp),
        ("file", Sub::File),
        ("wait", Sub::Wait),
        ("grpc", Sub::Grpc),
        ("exec", Sub::Exec),
    ];

    fn named(name: &str) -> Option<Sub> {
        Sub::ALL.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }
}

/// The options, one name each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Id {
    Timeout,
    Quiet,
    Verbose,
    StartPeriod,
    ExitCodes,
    Method,
    Data,
    Status,
    Header,
    Host,
    BodyContains,
    BodyJson,
    BasicAuth,
    UnixSocket,
    Insecure,
    Cacert,
    Cert,
    Key,
    MaxAge,
    Interval,
    Service,
    Tls,
    Authority,
    RedactArgs,
    // issue 24: parsed by clap only (see ISSUE_24).
    Ipv4,
    Ipv6,
    BodyNotContains,
    HeaderContains,
    StdoutContains,
    NonEmpty,
    Contains,
    MinSize,
    MaxSize,
}

/// issue 24's options: whenever one is given, on the command line or in the
/// environment, clap parses (the fast path does not know their values).
const ISSUE_24: [Id; 9] = [
    Id::Ipv4,
    Id::Ipv6,
    Id::BodyNotContains,
    Id::HeaderContains,
    Id::StdoutContains,
    Id::NonEmpty,
    Id::Contains,
    Id::MinSize,
    Id::MaxSize,
];

/// An option as clap defines it (tests/cli_fast.rs checks each against clap).
#[derive(Debug)]
pub struct Spec {
    pub id: Id,
    pub long: &'static str,
    pub short: Option<char>,
    pub env: Option<&'static str>,
    pub takes_value: bool,
    /// `None`: anywhere (clap's global options); else after this subcommand only.
    pub only_in: Option<Sub>,
}

const fn spec(
    id: Id,
    long: &'static str,
    short: Option<char>,
    env: Option<&'static str>,
    takes_value: bool,
    only_in: Option<Sub>,
) -> Spec {
    Spec {
        id,
        long,
        short,
        env,
        takes_value,
        only_in,
    }
}

pub const SPECS: [Spec; 33] = [
    spec(
        Id::Timeout,
        "timeout",
        None,
        Some("HEALTHPROBE_TIMEOUT"),
        true,
        None,
    ),
    spec(
        Id::Quiet,
        "quiet",
        Some('q'),
        Some("HEALTHPROBE_QUIET"),
        false,
        None,
    ),
    spec(
        Id::Verbose,
        "verbose",
        Some('v'),
        Some("HEALTHPROBE_VERBOSE"),
        false,
        None,
    ),
    spec(
        Id::StartPeriod,
        "start-period",
        None,
        Some("HEALTHPROBE_START_PERIOD"),
        true,
        None,
    ),
    spec(
        Id::ExitCodes,
        "exit-codes",
        None,
        Some("HEALTHPROBE_EXIT_CODES"),
        true,
        None,
    ),
    spec(
        Id::Method,
        "method",
        Some('X'),
        Some("HEALTHPROBE_METHOD"),
        true,
        None,
    ),
    spec(
        Id::Data,
        "data",
        Some('d'),
        Some("HEALTHPROBE_DATA"),
        true,
        None,
    ),
    spec(
        Id::Status,
        "status",
        None,
        Some("HEALTHPROBE_STATUS"),
        true,
        None,
    ),
    spec(Id::Header, "header", Some('H'), None, true, None),
    spec(Id::Host, "host", None, Some("HEALTHPROBE_HOST"), true, None),
    spec(
        Id::BodyContains,
        "body-contains",
        None,
        Some("HEALTHPROBE_BODY_CONTAINS"),
        true,
        None,
    ),
    spec(Id::BodyJson, "body-json", None, None, true, None),
    spec(
        Id::BasicAuth,
        "basic-auth",
        None,
        Some("HEALTHPROBE_BASIC_AUTH"),
        true,
        None,
    ),
    spec(
        Id::UnixSocket,
        "unix-socket",
        None,
        Some("HEALTHPROBE_UNIX_SOCKET"),
        true,
        None,
    ),
    spec(
        Id::Insecure,
        "insecure",
        Some('k'),
        Some("HEALTHPROBE_INSECURE"),
        false,
        None,
    ),
    spec(
        Id::Cacert,
        "cacert",
        None,
        Some("HEALTHPROBE_CACERT"),
        true,
        None,
    ),
    spec(Id::Cert, "cert", None, Some("HEALTHPROBE_CERT"), true, None),
    spec(Id::Key, "key", None, Some("HEALTHPROBE_KEY"), true, None),
    spec(
        Id::MaxAge,
        "max-age",
        None,
        Some("HEALTHPROBE_MAX_AGE"),
        true,
        Some(Sub::File),
    ),
    spec(
        Id::Interval,
        "interval",
        None,
        Some("HEALTHPROBE_INTERVAL"),
        true,
        Some(Sub::Wait),
    ),
    spec(
        Id::Service,
        "service",
        None,
        Some("HEALTHPROBE_GRPC_SERVICE"),
        true,
        Some(Sub::Grpc),
    ),
    spec(
        Id::Tls,
        "tls",
        None,
        Some("HEALTHPROBE_GRPC_TLS"),
        false,
        Some(Sub::Grpc),
    ),
    spec(
        Id::Authority,
        "authority",
        None,
        Some("HEALTHPROBE_GRPC_AUTHORITY"),
        true,
        Some(Sub::Grpc),
    ),
    spec(
        Id::RedactArgs,
        "redact-args",
        None,
        Some("HEALTHPROBE_REDACT_ARGS"),
        false,
        Some(Sub::Exec),
    ),
    // issue 24:
    spec(
        Id::Ipv4,
        "ipv4",
        Some('4'),
        Some("HEALTHPROBE_IPV4"),
        false,
        None,
    ),
    spec(
        Id::Ipv6,
        "ipv6",
        Some('6'),
        Some("HEALTHPROBE_IPV6"),
        false,
        None,
    ),
    spec(
        Id::BodyNotContains,
        "body-not-contains",
        None,
        Some("HEALTHPROBE_BODY_NOT_CONTAINS"),
        true,
        None,
    ),
    spec(
        Id::HeaderContains,
        "header-contains",
        None,
        None,
        true,
        None,
    ),
    spec(
        Id::StdoutContains,
        "stdout-contains",
        None,
        Some("HEALTHPROBE_STDOUT_CONTAINS"),
        true,
        Some(Sub::Exec),
    ),
    spec(
        Id::NonEmpty,
        "non-empty",
        None,
        Some("HEALTHPROBE_NON_EMPTY"),
        false,
        Some(Sub::File),
    ),
    spec(
        Id::Contains,
        "contains",
        None,
        Some("HEALTHPROBE_CONTAINS"),
        true,
        Some(Sub::File),
    ),
    spec(
        Id::MinSize,
        "min-size",
        None,
        Some("HEALTHPROBE_MIN_SIZE"),
        true,
        Some(Sub::File),
    ),
    spec(
        Id::MaxSize,
        "max-size",
        None,
        Some("HEALTHPROBE_MAX_SIZE"),
        true,
        Some(Sub::File),
    ),
];

/// The options the command line gave, raw, in order.
#[derive(Default)]
struct Given<'a>(Vec<(Id, &'a str)>);

impl<'a> Given<'a> {
    /// Records `value`; `None` for a repeat clap would refuse (-H and
    /// --body-json may repeat).
    fn add(&mut self, id: Id, value: &'a str) -> Option<()> {
        let repeats = matches!(id, Id::Header | Id::BodyJson);
        if !repeats && self.0.iter().any(|(i, _)| *i == id) {
            return None;
        }
        self.0.push((id, value));
        Some(())
    }

    fn get(&self, id: Id) -> Option<&'a str> {
        self.0.iter().find(|(i, _)| *i == id).map(|(_, v)| *v)
    }
}

/// Where HEALTHPROBE_* variables come from. Each is read at most once, and
/// only when its option is not on the command line: copying the whole
/// environment (std::env::vars_os) cost more than the rest of the parse.
pub enum Env {
    Process,
    Pairs(Vec<(OsString, OsString)>),
}

impl Env {
    pub fn from_process() -> Env {
        Env::Process
    }

    pub fn from_pairs(pairs: &[(&str, &str)]) -> Env {
        Env::Pairs(
            pairs
                .iter()
                .map(|(k, v)| (OsString::from(k), OsString::from(v)))
                .collect(),
        )
    }

    /// The variable's value; `Some(None)`: set but not UTF-8.
    fn get(&self, name: &str) -> Option<Option<String>> {
        match self {
            Env::Process => std::env::var_os(name).map(|v| v.into_string().ok()),
            Env::Pairs(pairs) => pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.to_str().map(String::from)),
        }
    }
}

/// The command line as clap would parse it, or `None` when clap must decide.
/// `args` includes the program name.
pub fn parse(args: &[OsString], env: &Env) -> Option<Parsed> {
    let tokens: Vec<&str> = args
        .get(1..)?
        .iter()
        .map(|a| a.to_str().filter(|s| !s.is_empty()))
        .collect::<Option<_>>()?;
    if tokens == ["--version"] || tokens == ["-V"] {
        return Some(Parsed::Version);
    }
    let mut given = Given::default();
    let mut sub: Option<Sub> = None;
    let mut positionals: Vec<&str> = Vec::new();
    let mut program: Option<&[&str]> = None;
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        i += 1;
        if token == "--" {
            match sub {
                Some(Sub::Exec | Sub::Wait) => {
                    program = Some(&tokens[i..]);
                    break;
                }
                _ => return None,
            }
        }
        let (spec, attached) = if let Some(body) = token.strip_prefix("--") {
            let (name, attached) = match body.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (body, None),
            };
            (find(sub, |s| s.long == name)?, attached)
        } else if let Some(short) = token.strip_prefix('-').filter(|s| !s.is_empty()) {
            let mut chars = short.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                return None;
            };
            (find(sub, |s| s.short == Some(c))?, None)
        } else {
            match sub {
                None if positionals.is_empty() && Sub::named(token).is_some() => {
                    sub = Sub::named(token);
                }
                Some(Sub::Exec) => {
                    program = Some(&tokens[i - 1..]);
                    break;
                }
                None if Sub::named(token).is_some() => return None,
                _ => positionals.push(token),
            }
            continue;
        };
        if ISSUE_24.contains(&spec.id) {
            return None;
        }
        let value = match (spec.takes_value, attached) {
            (false, None) => "true",
            (false, Some(_)) => return None,
            (true, Some(value)) => value,
            (true, None) => {
                let value = tokens.get(i)?;
                i += 1;
                value
            }
        };
        if value.is_empty() || value.starts_with('-') {
            return None;
        }
        given.add(spec.id, value)?;
    }
    let options = options(&given, env)?;
    let owned = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let one = |p: &[&str]| match p {
        [one] => Some(one.to_string()),
        _ => None,
    };
    let command = match sub {
        None => None,
        Some(Sub::Http) => Some(Command::Http {
            url: one(&positionals)?,
        }),
        Some(Sub::Tcp) => Some(Command::Tcp {
            address: one(&positionals)?,
        }),
        Some(Sub::File) => Some(Command::File {
            path: PathBuf::from(one(&positionals)?),
            max_age: value_of(&given, env, Id::MaxAge, parse_timeout)?,
            non_empty: false,
            contains: None,
            min_size: None,
            max_size: None,
        }),
        Some(Sub::Grpc) => Some(Command::Grpc {
            address: one(&positionals)?,
            service: value_or(&given, env, Id::Service, "", |s| Ok(s.to_string()))?,
            tls: flag(&given, env, Id::Tls)?,
            authority: value_of(&given, env, Id::Authority, parse_host_name)?,
        }),
        Some(Sub::Wait) if !positionals.is_empty() => Some(Command::Wait {
            targets: owned(&positionals),
            interval: value_or(&given, env, Id::Interval, DEFAULT_INTERVAL, parse_timeout)?,
            program: program
                .unwrap_or_default()
                .iter()
                .map(OsString::from)
                .collect(),
        }),
        Some(Sub::Exec) if positionals.is_empty() && program.is_some_and(|p| !p.is_empty()) => {
            Some(Command::Exec {
                redact_args: flag(&given, env, Id::RedactArgs)?,
                stdout_contains: None,
                command: program
                    .unwrap_or_default()
                    .iter()
                    .map(OsString::from)
                    .collect(),
            })
        }
        Some(_) => return None,
    };
    let targets = match sub {
        None => owned(&positionals),
        Some(_) => Vec::new(),
    };
    Some(Parsed::Cli(Box::new(Cli {
        command,
        targets,
        options,
    })))
}

/// The option `matches` picks among those allowed here.
fn find(sub: Option<Sub>, matches: impl Fn(&Spec) -> bool) -> Option<&'static Spec> {
    SPECS
        .iter()
        .find(|s| matches(s) && (s.only_in.is_none() || s.only_in == sub))
}

fn env_name(id: Id) -> Option<&'static str> {
    SPECS.iter().find(|s| s.id == id).and_then(|s| s.env)
}

/// The raw value of `id`: the command line's, else the environment's.
/// `Some(None)`: neither; `None`: one clap must judge (not UTF-8).
fn raw<'a>(given: &Given<'a>, env: &Env, id: Id) -> Option<Option<Cow<'a, str>>> {
    if let Some(v) = given.get(id) {
        return Some(Some(Cow::Borrowed(v)));
    }
    match env_name(id).and_then(|name| env.get(name)) {
        None => Some(None),
        Some(value) => value.map(|v| Some(Cow::Owned(v))),
    }
}

/// An optional value, parsed.
fn value_of<T>(
    given: &Given<'_>,
    env: &Env,
    id: Id,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<Option<T>> {
    match raw(given, env, id)? {
        Some(v) => parse(&v).ok().map(Some),
        None => Some(None),
    }
}

/// A value with a default, parsed.
fn value_or<T>(
    given: &Given<'_>,
    env: &Env,
    id: Id,
    default: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    parse(raw(given, env, id)?.as_deref().unwrap_or(default)).ok()
}

/// A flag: given, or "true"/"false" in the environment (clap's bool parser).
fn flag(given: &Given<'_>, env: &Env, id: Id) -> Option<bool> {
    match raw(given, env, id)?.as_deref() {
        None | Some("false") => Some(false),
        Some("true") => Some(true),
        Some(_) => None,
    }
}

fn options(given: &Given<'_>, env: &Env) -> Option<Options> {
    // issue 24: clap reads these from the environment.
    let issue_24_env = SPECS
        .iter()
        .filter(|s| ISSUE_24.contains(&s.id))
        .filter_map(|s| s.env);
    for name in issue_24_env {
        if env.get(name).is_some() {
            return None;
        }
    }
    let quiet = flag(given, env, Id::Quiet)?;
    let verbose = flag(given, env, Id::Verbose)?;
    if quiet && verbose {
        return None;
    }
    Some(Options {
        timeout: value_of(given, env, Id::Timeout, parse_timeout)?,
        quiet,
        verbose,
        ipv4: false,
        ipv6: false,
        start_period: value_of(given, env, Id::StartPeriod, parse_duration)?,
        exit_codes: value_or(given, env, Id::ExitCodes, "docker", |s| match s {
            "docker" => Ok(ExitCodes::Docker),
            "consul" => Ok(ExitCodes::Consul),
            _ => Err(String::new()),
        })?,
        method: value_of(given, env, Id::Method, parse_method)?,
        data: value_of(given, env, Id::Data, |s| Ok(s.to_string()))?,
        status: value_or(given, env, Id::Status, DEFAULT_STATUS, StatusSet::parse)?,
        headers: all(given, Id::Header, Header::parse)?,
        host: value_of(given, env, Id::Host, parse_host_name)?,
        body_contains: value_of(given, env, Id::BodyContains, parse_nonempty)?,
        body_not_contains: None,
        header_contains: Vec::new(),
        body_json: all(given, Id::BodyJson, JsonCheck::parse)?,
        basic_auth: value_of(given, env, Id::BasicAuth, parse_basic_auth)?,
        unix_socket: value_of(given, env, Id::UnixSocket, nonempty_path)?,
        insecure: flag(given, env, Id::Insecure)?,
        cacert: value_of(given, env, Id::Cacert, nonempty_path)?,
        cert: value_of(given, env, Id::Cert, nonempty_path)?,
        key: value_of(given, env, Id::Key, nonempty_path)?,
    })
}

/// Every value of a repeatable option, parsed.
fn all<T>(given: &Given<'_>, id: Id, parse: impl Fn(&str) -> Result<T, String>) -> Option<Vec<T>> {
    given
        .0
        .iter()
        .filter(|(i, _)| *i == id)
        .map(|(_, v)| parse(v).ok())
        .collect()
}

/// clap refuses an empty path.
fn nonempty_path(s: &str) -> Result<PathBuf, String> {
    match s.is_empty() {
        true => Err("empty".into()),
        false => Ok(PathBuf::from(s)),
    }
}
