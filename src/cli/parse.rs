//! The one parser of the command line and the HEALTHPROBE_* environment,
//! driven by the table in `options.rs`. Two steps: [`parse`] reads the
//! arguments (and HEALTHPROBE_URL when no target is given), which is enough
//! to know which checks will run; [`Given::resolve`] then reads the
//! variables those checks use, and applies the defaults.
//!
//! The rules, written here once:
//! - a flag on the command line wins over its variable, which is then not
//!   read at all (so a bad value in it cannot fail the run);
//! - a variable that is empty counts as unset (a Dockerfile can blank an
//!   inherited ENV but not remove it), except HEALTHPROBE_URL when it is the
//!   only thing to check, and then the message names it;
//! - a flag's variable is `true` or `false`;
//! - a repeatable option (-H, --body-json) keeps every value, from both sides
//!   of the subcommand; its variable holds one value per line and is read
//!   only when the option is not given at all;
//! - a single-valued option may be given once on each side of the
//!   subcommand, the subcommand's side winning;
//! - --quiet and --verbose conflict; where one comes from the command line
//!   and the other from a variable, the command line wins.
//!
//! The grammar is clap's (which parsed it before, and still prints --help):
//! `--name value`, `--name=value`, `-x value`, `-xvalue`, `-x=value`,
//! clustered flags `-kq`, `--` ending the options.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Duration;

use super::options::{Group, Groups, OPTIONS, Opt, Sub, Takes};
use crate::report::shown;
use crate::values::Options;

/// A usage error: the message, one line, without the `healthprobe: error: ` prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn grammar(message: String) -> UsageError {
    UsageError(format!("{message} (see healthprobe --help)"))
}

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub enum Parsed {
    /// Checks to run; their options still to be read ([`Given::resolve`]).
    Run(Given),
    /// `--version` (or `-V`).
    Version,
    /// `--help` (or `-h`), of the subcommand it follows.
    Help(Option<Sub>),
}

/// The subcommand and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Http {
        url: String,
    },
    Tcp {
        address: String,
    },
    File {
        path: PathBuf,
    },
    Wait {
        targets: Vec<String>,
        program: Vec<OsString>,
    },
    Grpc {
        address: String,
    },
    Exec {
        command: Vec<OsString>,
    },
    /// Copy this binary to `dir`/healthprobe.
    Install {
        dir: PathBuf,
    },
    Serve {
        targets: Vec<String>,
    },
    /// `history [TARGET...]`: the recorded runs (of these targets' check sets).
    History {
        targets: Vec<String>,
    },
}

/// The command line read, its options not yet applied.
#[derive(Debug, PartialEq)]
pub struct Given {
    pub command: Option<Command>,
    /// The targets without a subcommand (from HEALTHPROBE_URL if none was given).
    pub targets: Vec<String>,
    /// Each option value in order: index into [`OPTIONS`], and the value.
    values: Vec<(usize, OsString)>,
}

/// The command line and the environment, fully read. Two spellings of
/// one request are equal (how the values were given is not compared).
#[derive(Debug, Clone)]
pub struct Cli {
    pub command: Option<Command>,
    pub targets: Vec<String>,
    pub options: Options,
    /// The options' values as given on the command line (index into
    /// [`OPTIONS`], value), and the options read from a variable: what the
    /// state's key is made of (`memory.rs`).
    pub given: Vec<(usize, OsString)>,
    pub from_env: Vec<usize>,
}

impl PartialEq for Cli {
    fn eq(&self, other: &Cli) -> bool {
        (&self.command, &self.targets, &self.options)
            == (&other.command, &other.targets, &other.options)
    }
}

/// Where HEALTHPROBE_* variables come from. Each is read at most once, and
/// only when needed: copying the whole environment (std::env::vars_os) cost
/// more than the rest of the parse.
pub enum Env {
    Process,
    Pairs(Vec<(OsString, OsString)>),
}

impl Env {
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Env {
        Env::Pairs(
            pairs
                .iter()
                .map(|(k, v)| (OsString::from(k), OsString::from(v)))
                .collect(),
        )
    }

    /// The variable's value, empty or not.
    fn raw(&self, name: &str) -> Option<OsString> {
        match self {
            Env::Process => process_vars()
                .iter()
                .find(|(k, _)| k.as_slice() == name.as_bytes())
                .map(|(_, v)| v.clone()),
            Env::Pairs(pairs) => pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone()),
        }
    }

    /// The variable's value; an empty one counts as unset.
    pub fn get(&self, name: &str) -> Option<OsString> {
        self.raw(name).filter(|v| !v.is_empty())
    }
}

/// The process's `HEALTHPROBE_*` variables, found in one pass over the
/// environment that copies nothing else. A lookup each (std::env::var_os)
/// cost some 1,000 instructions an option, 10% of an http check, and
/// copying the whole environment (std::env::vars_os) cost more.
fn process_vars() -> &'static [(Vec<u8>, OsString)] {
    static VARS: std::sync::OnceLock<Vec<(Vec<u8>, OsString)>> = std::sync::OnceLock::new();
    VARS.get_or_init(|| {
        let mut vars = Vec::new();
        // SAFETY: `environ` is the C runtime's NULL-terminated array of
        // NUL-terminated `NAME=value` strings. The probe never changes its
        // environment (no setenv or putenv, and std::env::set_var only in a
        // unit test of target.rs that sets a name not read here), so the
        // array is not changed while it is read.
        unsafe {
            let mut entry = environ;
            while !entry.is_null() && !(*entry).is_null() {
                let bytes = std::ffi::CStr::from_ptr(*entry).to_bytes();
                if bytes.starts_with(b"HEALTHPROBE_")
                    && let Some(eq) = bytes.iter().position(|&b| b == b'=')
                {
                    vars.push((bytes[..eq].to_vec(), os(&bytes[eq + 1..])));
                }
                entry = entry.add(1);
            }
        }
        vars
    })
}

unsafe extern "C" {
    /// The environment, as the C runtime (musl or glibc) keeps it.
    static environ: *const *const std::ffi::c_char;
}

/// Which side of the subcommand a value was given on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Before,
    After,
}

/// Reads the arguments (`args` without the program name).
pub fn parse(args: &[OsString], env: &Env) -> Result<Parsed, UsageError> {
    let mut sub: Option<Sub> = None;
    let mut positionals: Vec<&OsStr> = Vec::new();
    let mut program: Option<&[OsString]> = None;
    let mut values: Vec<(usize, OsString)> = Vec::new();
    let mut seen: Vec<(usize, Side)> = Vec::new();
    let mut options_ended = false;
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let bytes = arg.as_encoded_bytes();
        let side = match sub {
            None => Side::Before,
            Some(_) => Side::After,
        };
        if options_ended || bytes.len() < 2 || bytes[0] != b'-' {
            // A positional argument.
            match sub {
                None if !options_ended && positionals.is_empty() => {
                    if let Some(s) = arg.to_str().and_then(Sub::named) {
                        sub = Some(s);
                        continue;
                    }
                    positionals.push(arg);
                }
                Some(Sub::Exec) => {
                    program = Some(&args[i - 1..]);
                    break;
                }
                _ => positionals.push(arg),
            }
            continue;
        }
        if bytes == b"--" {
            match sub {
                Some(Sub::Exec | Sub::Wait) => {
                    program = Some(&args[i..]);
                    break;
                }
                _ => options_ended = true,
            }
            continue;
        }
        if let Some(body) = bytes.strip_prefix(b"--") {
            let (name, attached) = match body.iter().position(|&b| b == b'=') {
                Some(at) => (&body[..at], Some(&body[at + 1..])),
                None => (body, None),
            };
            let name = String::from_utf8_lossy(name);
            match (&*name, sub) {
                ("help", _) => return Ok(Parsed::Help(sub)),
                ("version", None) => return Ok(Parsed::Version),
                _ => {}
            }
            let Some(index) = find(sub, |o| o.long == name) else {
                if sub == Some(Sub::Exec) {
                    exec_program_may_start(&args[i..], &format!("--{name}"))?;
                    program = Some(&args[i - 1..]);
                    break;
                }
                return Err(unknown_long(&name, sub));
            };
            let opt = &OPTIONS[index];
            let value = match (opt.takes, attached) {
                (Takes::Flag, None) => OsString::from("true"),
                (Takes::Flag, Some(v)) => {
                    return Err(grammar(format!(
                        "unexpected value {} for '--{name}' found; no more were expected",
                        shown(&String::from_utf8_lossy(v))
                    )));
                }
                (_, Some(v)) => os(v),
                (_, None) => next_value(args, &mut i, opt)?,
            };
            record(&mut values, &mut seen, index, side, value)?;
            continue;
        }
        // A cluster of short options: -k, -kq, -XPOST, -X=POST, -kvXPOST.
        let cluster = &bytes[1..];
        let mut at = 0;
        while at < cluster.len() {
            let c = cluster[at] as char;
            at += 1;
            match (c, sub) {
                ('h', _) => return Ok(Parsed::Help(sub)),
                ('V', None) => return Ok(Parsed::Version),
                _ => {}
            }
            let index = match find(sub, |o| o.short == Some(c)) {
                Some(index) if c.is_ascii() => index,
                _ if sub == Some(Sub::Exec) && at == 1 => {
                    let c = String::from_utf8_lossy(&cluster[at - 1..]);
                    let c = c.chars().next().unwrap_or('?');
                    exec_program_may_start(&args[i..], &format!("-{c}"))?;
                    program = Some(&args[i - 1..]);
                    break;
                }
                _ => {
                    let c = String::from_utf8_lossy(&cluster[at - 1..]);
                    let c = c.chars().next().unwrap_or('?');
                    return Err(grammar(format!("unexpected argument '-{c}' found")));
                }
            };
            let opt = &OPTIONS[index];
            let value = match opt.takes {
                Takes::Flag => OsString::from("true"),
                Takes::One(_) | Takes::Many(_) => {
                    let rest = &cluster[at..];
                    let rest = rest.strip_prefix(b"=").unwrap_or(rest);
                    at = cluster.len();
                    match rest.is_empty() {
                        true => next_value(args, &mut i, opt)?,
                        false => os(rest),
                    }
                }
            };
            record(&mut values, &mut seen, index, side, value)?;
        }
        if program.is_some() {
            break;
        }
    }
    let text = |a: &OsStr| -> Result<String, UsageError> {
        a.to_str().map(String::from).ok_or_else(|| {
            UsageError(format!(
                "{} is not valid UTF-8",
                shown(&a.to_string_lossy())
            ))
        })
    };
    let one = |name: &str| -> Result<&OsStr, UsageError> {
        match positionals.as_slice() {
            [one] => Ok(one),
            [] => Err(grammar(format!(
                "the following required arguments were not provided: <{name}>"
            ))),
            [_, extra, ..] => Err(grammar(format!(
                "unexpected argument {} found",
                shown(&extra.to_string_lossy())
            ))),
        }
    };
    let program = program.unwrap_or_default().to_vec();
    let command = match sub {
        None => None,
        Some(Sub::Http) => Some(Command::Http {
            url: text(one("URL")?)?,
        }),
        Some(Sub::Tcp) => Some(Command::Tcp {
            address: text(one("ADDRESS")?)?,
        }),
        Some(Sub::Grpc) => Some(Command::Grpc {
            address: text(one("ADDRESS")?)?,
        }),
        Some(Sub::Install) => {
            let dir = one("DIR")?;
            if dir.is_empty() {
                return Err(grammar(
                    "a value is required for '<DIR>' but none was supplied".into(),
                ));
            }
            Some(Command::Install { dir: dir.into() })
        }
        Some(Sub::File) => {
            let path = one("PATH")?;
            if path.is_empty() {
                return Err(grammar(
                    "a value is required for '<PATH>' but none was supplied".into(),
                ));
            }
            Some(Command::File { path: path.into() })
        }
        Some(Sub::Wait) => {
            if positionals.is_empty() {
                return Err(grammar(
                    "the following required arguments were not provided: <TARGET>...".into(),
                ));
            }
            Some(Command::Wait {
                targets: positionals
                    .iter()
                    .map(|a| text(a))
                    .collect::<Result<_, _>>()?,
                program,
            })
        }
        // As a plain run: the targets, or HEALTHPROBE_URL's (a sidecar's ENV).
        Some(Sub::Serve) => Some(Command::Serve {
            targets: match positionals.is_empty() {
                true => targets_from_env(env)?,
                false => positionals
                    .iter()
                    .map(|a| text(a))
                    .collect::<Result<_, _>>()?,
            },
        }),
        Some(Sub::Exec) => {
            if program.is_empty() {
                return Err(grammar(
                    "the following required arguments were not provided: <PROGRAM>...".into(),
                ));
            }
            Some(Command::Exec { command: program })
        }
        Some(Sub::History) => Some(Command::History {
            targets: positionals
                .iter()
                .map(|a| text(a))
                .collect::<Result<_, _>>()?,
        }),
    };
    let targets = match (&command, positionals.is_empty()) {
        (Some(_), _) => Vec::new(),
        (None, false) => positionals
            .iter()
            .map(|a| text(a))
            .collect::<Result<_, _>>()?,
        (None, true) => targets_from_env(env)?,
    };
    Ok(Parsed::Run(Given {
        command,
        targets,
        values,
    }))
}

/// `--name` is no option here: say so, and which option was meant when
/// one is close, as clap does (`--timout` -> `--timeout`).
fn unknown_long(name: &str, sub: Option<Sub>) -> UsageError {
    let allowed = OPTIONS
        .iter()
        .filter(|o| o.allowed_in(sub))
        .map(|o| o.long)
        .chain(["help", "version"]);
    match suggestion(name, allowed) {
        Some(meant) => UsageError(format!(
            "unexpected argument '--{name}' (did you mean --{meant}?)"
        )),
        None => grammar(format!("unexpected argument '--{name}' found")),
    }
}

/// Names longer than this get no suggestion: the longest option is 17
/// characters, and the similarity costs time in the length.
pub const MAX_SUGGESTED_LEN: usize = 64;

/// The most similar of `names` to `typed`, if similar enough: Jaro
/// similarity above 0.7, clap's rule (through strsim) for "did you mean".
fn suggestion<'a>(typed: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    if typed.len() > MAX_SUGGESTED_LEN {
        return None;
    }
    let mut best: Option<(f64, &str)> = None;
    for name in names {
        let score = jaro(typed, name);
        if score > 0.7 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, name));
        }
    }
    best.map(|(_, name)| name)
}

/// Jaro similarity, 0 (nothing alike) to 1 (equal): the characters that
/// match within half the longer length, less half their transpositions.
fn jaro(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() || b.is_empty() {
        return if a.len() == b.len() { 1.0 } else { 0.0 };
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut taken = vec![false; b.len()];
    let mut from_a = Vec::new();
    for (i, &c) in a.iter().enumerate() {
        let range = i.saturating_sub(window)..(i + window + 1).min(b.len());
        if let Some(j) = range.into_iter().find(|&j| !taken[j] && b[j] == c) {
            taken[j] = true;
            from_a.push(c);
        }
    }
    if from_a.is_empty() {
        return 0.0;
    }
    let from_b = b.iter().zip(&taken).filter(|(_, t)| **t).map(|(c, _)| *c);
    let swapped = from_a.iter().zip(from_b).filter(|(x, y)| **x != *y).count() / 2;
    let m = from_a.len() as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - swapped as f64) / m) / 3.0
}

/// After `exec`, an argument that looks like an option but is none of
/// exec's starts the program (`exec -x`), unless a `--` follows: then the
/// user meant to end exec's options there, and a misspelt one
/// (`--redact-arg`) must not run as the program with every argument shown.
fn exec_program_may_start(rest: &[OsString], arg: &str) -> Result<(), UsageError> {
    match rest.iter().any(|a| a == "--") {
        true => Err(grammar(format!(
            "unexpected argument '{arg}' found before '--' (not an option of exec)"
        ))),
        false => Ok(()),
    }
}

/// The option `matches` picks among those allowed after `sub`.
fn find(sub: Option<Sub>, matches: impl Fn(&Opt) -> bool) -> Option<usize> {
    OPTIONS.iter().position(|o| matches(o) && o.allowed_in(sub))
}

/// Bytes split from an argument, back as an argument.
fn os(bytes: &[u8]) -> OsString {
    OsStr::from_bytes(bytes).to_os_string()
}

/// The next argument as `opt`'s value: not one that looks like an option.
fn next_value(args: &[OsString], i: &mut usize, opt: &Opt) -> Result<OsString, UsageError> {
    match args.get(*i) {
        Some(v) if !(v.len() > 1 && v.as_encoded_bytes()[0] == b'-') => {
            *i += 1;
            Ok(v.clone())
        }
        _ => Err(grammar(format!(
            "a value is required for '{}' but none was supplied",
            opt.shown()
        ))),
    }
}

/// Notes a value; a single-valued option or a flag given twice on one side
/// of the subcommand is an error.
fn record(
    values: &mut Vec<(usize, OsString)>,
    seen: &mut Vec<(usize, Side)>,
    index: usize,
    side: Side,
    value: OsString,
) -> Result<(), UsageError> {
    let opt = &OPTIONS[index];
    if !matches!(opt.takes, Takes::Many(_)) {
        if seen.contains(&(index, side)) {
            return Err(grammar(format!(
                "the argument '{}' cannot be used multiple times",
                opt.shown()
            )));
        }
        seen.push((index, side));
    }
    values.push((index, value));
    Ok(())
}

/// HEALTHPROBE_URL: the targets when the command line gives none.
fn targets_from_env(env: &Env) -> Result<Vec<String>, UsageError> {
    const NAME: &str = "HEALTHPROBE_URL";
    let Some(value) = env.raw(NAME) else {
        return Err(UsageError(format!(
            "nothing to check: give a target (e.g. http://localhost:8080/health) or set {NAME}"
        )));
    };
    let Some(value) = value.to_str() else {
        return Err(UsageError(format!("{NAME} is not valid UTF-8")));
    };
    let targets: Vec<String> = value.split_whitespace().map(String::from).collect();
    if targets.is_empty() {
        return Err(UsageError(format!("{NAME} is empty: nothing to check")));
    }
    Ok(targets)
}

/// Where an option's value came from.
/// Applies the variables of the options not given on the command line that
/// may be given after `sub` and belong to the groups `uses`.
fn read_env(
    env: &Env,
    sub: Option<Sub>,
    uses: Groups,
    options: &mut Options,
    source: &mut [Source; OPTIONS.len()],
) -> Result<(), UsageError> {
    for (index, opt) in OPTIONS.iter().enumerate() {
        if source[index] != Source::Unset || !opt.allowed_in(sub) || !uses.has(opt.group) {
            continue;
        }
        let Some(name) = opt.env else { continue };
        let Some(value) = env.get(name) else { continue };
        let invalid = |why: String| {
            UsageError(match opt.secret {
                true => format!("{name}: {why}"),
                false => format!(
                    "{name}: {why} (the value is {})",
                    shown(&value.to_string_lossy())
                ),
            })
        };
        match opt.takes {
            Takes::Many(_) => {
                let text = value
                    .to_str()
                    .ok_or_else(|| invalid("not valid UTF-8".into()))?;
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    let line = OsStr::new(line.trim_end_matches('\r'));
                    (opt.set)(options, line).map_err(|why| {
                        UsageError(match opt.secret {
                            true => format!("{name}: {why}"),
                            false => format!(
                                "{name}: {why} (the line is {})",
                                shown(&line.to_string_lossy())
                            ),
                        })
                    })?;
                }
            }
            _ => (opt.set)(options, &value).map_err(invalid)?,
        }
        source[index] = Source::Env;
        options.from_env.0.push((opt.long, name));
    }
    Ok(())
}

impl Command {
    /// Its subcommand.
    pub fn sub(&self) -> Sub {
        match self {
            Command::Http { .. } => Sub::Http,
            Command::Tcp { .. } => Sub::Tcp,
            Command::File { .. } => Sub::File,
            Command::Wait { .. } => Sub::Wait,
            Command::Grpc { .. } => Sub::Grpc,
            Command::Exec { .. } => Sub::Exec,
            Command::Install { .. } => Sub::Install,
            Command::Serve { .. } => Sub::Serve,
            Command::History { .. } => Sub::History,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Unset,
    Args,
    Env,
}

impl Given {
    /// The subcommand, if any.
    pub fn sub(&self) -> Option<Sub> {
        self.command.as_ref().map(Command::sub)
    }

    /// Applies the command line's values, then the variables of the options
    /// it did not give that the checks `uses`, then the defaults.
    pub fn resolve(self, env: &Env, uses: Groups) -> Result<Cli, UsageError> {
        let sub = self.sub();
        let mut options = Options::default();
        let mut source = [Source::Unset; OPTIONS.len()];
        for (index, value) in &self.values {
            let opt = &OPTIONS[*index];
            (opt.set)(&mut options, value).map_err(|why| {
                UsageError(match opt.secret {
                    true => format!("invalid {}: {why}", opt.shown()),
                    false => format!(
                        "invalid value {} for {}: {why}",
                        shown(&value.to_string_lossy()),
                        opt.shown()
                    ),
                })
            })?;
            source[*index] = Source::Args;
        }
        read_env(env, sub, uses, &mut options, &mut source)?;
        // -L may take an http:// check to https://: then it reads the TLS
        // variables too (a plain run without -L reads none of them).
        if options.location && uses.has(Group::Http) && !uses.has(Group::Tls) {
            let tls = Groups::of(&[Group::Tls]);
            read_env(env, sub, tls, &mut options, &mut source)?;
        }
        // Only the defaults this run can read: a plain check does not pay
        // for parsing wait's durations or exec's status list.
        for (index, opt) in OPTIONS.iter().enumerate() {
            if !opt.allowed_in(sub) {
                continue;
            }
            if let (Source::Unset, Some(default)) = (source[index], opt.default) {
                (opt.set)(&mut options, OsStr::new(default))
                    .map_err(|why| UsageError(format!("default of --{}: {why}", opt.long)))?;
            }
        }
        settle_conflicts(&mut options, &source)?;
        settle_waiting(&options, sub, &source)?;
        let from_env = match options.remembers() {
            true => (0..OPTIONS.len())
                .filter(|&i| source[i] == Source::Env)
                .collect(),
            false => Vec::new(),
        };
        Ok(Cli {
            command: self.command,
            targets: self.targets,
            options,
            given: self.values,
            from_env,
        })
    }
}

/// What only `wait` may ask for, and what its pauses need: `--timeout 0`
/// (no deadline) is refused elsewhere, and --max-interval is not below
/// --interval when --backoff or the option itself asks for it.
fn settle_waiting(
    options: &Options,
    sub: Option<Sub>,
    source: &[Source],
) -> Result<(), UsageError> {
    // `--interval 2s`, `HEALTHPROBE_INTERVAL=2s` or `--interval 2s (the default)`.
    let named = |long: &str, value: Duration| {
        let index = OPTIONS.iter().position(|o| o.long == long);
        let value = humantime::format_duration(value);
        match index.map(|i| (source[i], OPTIONS[i].env)) {
            Some((Source::Env, Some(env))) => format!("{env}={value}"),
            Some((Source::Unset, _)) => format!("--{long} {value} (the default)"),
            _ => format!("--{long} {value}"),
        }
    };
    if let Some(timeout) = options.timeout.filter(|t| t.is_zero())
        && sub != Some(Sub::Wait)
    {
        return Err(UsageError(format!(
            "{}: no deadline is for `wait` only; a health check needs one below the runtime's",
            named("timeout", timeout)
        )));
    }
    if sub != Some(Sub::Wait) {
        return Ok(());
    }
    let max_given = OPTIONS
        .iter()
        .position(|o| o.long == "max-interval")
        .is_some_and(|i| source[i] != Source::Unset);
    if (options.backoff || max_given) && options.max_interval < options.interval {
        return Err(UsageError(format!(
            "{} is below {}: the pauses grow from --interval up to --max-interval",
            named("max-interval", options.max_interval),
            named("interval", options.interval),
        )));
    }
    Ok(())
}

/// Flags that exclude each other: --quiet and --verbose, -4 and -6.
/// Two flags' fields.
type Pair = fn(&mut Options) -> (&mut bool, &mut bool);

const CONFLICTS: [(&str, &str, Pair); 2] = [
    ("quiet", "verbose", |o| (&mut o.quiet, &mut o.verbose)),
    ("ipv4", "ipv6", |o| (&mut o.ipv4, &mut o.ipv6)),
];

/// Two conflicting flags both from the command line, or both from the
/// environment, is an error; otherwise the command line's wins.
fn settle_conflicts(options: &mut Options, source: &[Source]) -> Result<(), UsageError> {
    let of = |long: &'static str| {
        OPTIONS
            .iter()
            .position(|o| o.long == long)
            .map(|i| (source[i], OPTIONS[i].env.unwrap_or(long)))
            .unwrap_or((Source::Unset, long))
    };
    for (a, b, fields) in CONFLICTS {
        let (first, second) = fields(options);
        if !(*first && *second) {
            continue;
        }
        match (of(a), of(b)) {
            ((Source::Args, _), (Source::Env, _)) => *second = false,
            ((Source::Env, _), (Source::Args, _)) => *first = false,
            ((Source::Env, va), (Source::Env, vb)) => {
                return Err(UsageError(format!("{va} and {vb} are both true; set one")));
            }
            _ => {
                return Err(grammar(format!(
                    "the argument '--{a}' cannot be used with '--{b}'"
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaro_agrees_with_the_published_values() {
        // Jaro's and Winkler's examples, as strsim computes them.
        for (a, b, want) in [
            ("martha", "marhta", 0.944),
            ("dixon", "dicksonx", 0.767),
            ("jellyfish", "smellyfish", 0.896),
            ("abc", "abc", 1.0),
            ("abc", "xyz", 0.0),
            ("", "", 1.0),
            ("", "a", 0.0),
        ] {
            let got = jaro(a, b);
            assert!(
                (got - want).abs() < 0.001,
                "jaro({a}, {b}) = {got}, not {want}"
            );
        }
    }

    #[test]
    fn a_close_name_is_suggested_and_a_far_one_is_not() {
        let names = || OPTIONS.iter().map(|o| o.long);
        assert_eq!(suggestion("timout", names()), Some("timeout"));
        assert_eq!(suggestion("insecur", names()), Some("insecure"));
        assert_eq!(suggestion("body-jsn", names()), Some("body-json"));
        assert_eq!(suggestion("no-such-flag", names()), None);
        assert_eq!(
            suggestion(&"t".repeat(MAX_SUGGESTED_LEN + 1), names()),
            None
        );
    }
}
