//! The values the command line hands to the checks: durations, status lists,
//! headers, methods, host names, credentials, the exit-code style and the
//! options as a whole, and the three states of health. They live below both
//! `cli` (which parses them) and `probe` (which uses them), so that neither
//! imports the other. Each parser says what is wrong in words, and never
//! repeats a value that may be a credential.

use std::path::PathBuf;
use std::time::Duration;

use crate::redacted::{SecretString, is_secret_header};

/// The longest deadline accepted: a health check that needs more is broken.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("{e} (write durations like 500ms, 2s or 1m)"))?;
    if d > MAX_TIMEOUT {
        return Err(format!("{s} is longer than the 24h maximum"));
    }
    Ok(d)
}

pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err("must be more than zero".into());
    }
    Ok(d)
}

/// `ADDR:PORT` to listen on: an IP address and a port, `[v6]:PORT`, or
/// `:PORT` for every IPv4 address. No names: what to bind is not looked up.
pub fn parse_listen(s: &str) -> Result<std::net::SocketAddr, String> {
    let full = match s.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => s.to_string(),
    };
    full.parse()
        .map_err(|_| "expected ADDR:PORT with an IP address, [::]:PORT or :PORT".into())
}

pub fn parse_method(s: &str) -> Result<String, String> {
    if s.is_empty() || s.len() > 32 || !s.bytes().all(is_token_byte) {
        return Err("a method is 1 to 32 letters, like GET or HEAD".into());
    }
    Ok(s.to_ascii_uppercase())
}

pub fn parse_nonempty(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(s.to_string())
}

pub fn parse_host_name(s: &str) -> Result<String, String> {
    if s.is_empty()
        || s.len() > 255
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:[]".contains(&b))
    {
        return Err("a host name is ASCII letters, digits, '-', '.', and an optional :port".into());
    }
    Ok(s.to_string())
}

/// RFC 9110 token characters (header names, methods).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A list of numbers and ranges, `200,204,300-399` or `0-2,5`, within the
/// bounds of what it counts: --status and --expect-exit read it the same way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeList(Vec<(u16, u16)>);

/// What a [`RangeList`] counts: its name in messages and its bounds.
struct Counted {
    what: &'static str,
    lo: u16,
    hi: u16,
}

impl RangeList {
    fn parse(s: &str, counted: &Counted) -> Result<RangeList, String> {
        let number = |s: &str| match s.trim().parse::<u16>() {
            Ok(n) if (counted.lo..=counted.hi).contains(&n) => Ok(n),
            _ => Err(format!(
                "{:?} is not {} ({} to {})",
                s.trim(),
                counted.what,
                counted.lo,
                counted.hi
            )),
        };
        let mut ranges = Vec::new();
        for part in s.split(',').map(str::trim) {
            let (lo, hi) = match part.split_once('-') {
                Some((lo, hi)) => (number(lo)?, number(hi)?),
                None => {
                    let n = number(part)?;
                    (n, n)
                }
            };
            if lo > hi {
                return Err(format!("range {part} runs backwards; write {hi}-{lo}"));
            }
            ranges.push((lo, hi));
        }
        Ok(RangeList(ranges))
    }

    pub fn contains(&self, n: u16) -> bool {
        self.0.iter().any(|&(lo, hi)| (lo..=hi).contains(&n))
    }
}

/// `200,204,300-399`, as given.
impl std::fmt::Display for RangeList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, &(lo, hi)) in self.0.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            match lo == hi {
                true => write!(f, "{sep}{lo}")?,
                false => write!(f, "{sep}{lo}-{hi}")?,
            }
        }
        Ok(())
    }
}

/// Statuses counted as healthy (--status).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusSet(RangeList);

impl StatusSet {
    pub fn parse(s: &str) -> Result<StatusSet, String> {
        const STATUS: Counted = Counted {
            what: "an HTTP status",
            lo: 100,
            hi: 599,
        };
        RangeList::parse(s, &STATUS).map(StatusSet)
    }

    pub fn contains(&self, status: u16) -> bool {
        self.0.contains(status)
    }
}

/// Exit statuses counted as healthy (exec --expect-exit).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExitSet(RangeList);

impl ExitSet {
    pub fn parse(s: &str) -> Result<ExitSet, String> {
        const EXIT: Counted = Counted {
            what: "an exit status",
            lo: 0,
            hi: 255,
        };
        RangeList::parse(s, &EXIT).map(ExitSet)
    }

    pub fn contains(&self, status: i32) -> bool {
        u16::try_from(status).is_ok_and(|s| self.0.contains(s))
    }

    /// Only 0: what a program's exit status means without --expect-exit.
    pub fn is_only_zero(&self) -> bool {
        self.0.0 == [(0, 0)]
    }
}

impl std::fmt::Display for ExitSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A request header from `-H 'Name: value'`. Values of headers that carry
/// credentials are kept as secrets.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub name: String,
    pub value: HeaderValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HeaderValue {
    Plain(String),
    Secret(SecretString),
}

impl HeaderValue {
    pub fn expose(&self) -> &str {
        match self {
            HeaderValue::Plain(v) => v,
            HeaderValue::Secret(s) => s.expose(),
        }
    }
}

impl std::fmt::Display for HeaderValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderValue::Plain(v) => f.write_str(v),
            HeaderValue::Secret(s) => write!(f, "{s}"),
        }
    }
}

impl Header {
    pub fn parse(s: &str) -> Result<Header, String> {
        let Some((name, value)) = s.split_once(':') else {
            return Err("expected 'Name: value'".into());
        };
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(format!("{name:?} is not a valid header name"));
        }
        if value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
            // The value may be a credential: name the header, not the value.
            return Err(format!("the value of {name} contains CR, LF or NUL"));
        }
        let value = value.trim();
        let value = if is_secret_header(name) {
            HeaderValue::Secret(SecretString::new(value.to_string()))
        } else {
            HeaderValue::Plain(value.to_string())
        };
        Ok(Header {
            name: name.to_string(),
            value,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BasicAuth {
    pub user: String,
    pub password: SecretString,
}

pub fn parse_basic_auth(s: &str) -> Result<BasicAuth, String> {
    let Some((user, password)) = s.split_once(':') else {
        return Err("expected USER:PASSWORD".into());
    };
    if s.bytes().any(|b| b.is_ascii_control()) {
        return Err("contains a control character".into());
    }
    Ok(BasicAuth {
        user: user.to_string(),
        password: SecretString::new(password.to_string()),
    })
}

/// Which checks read an option: its variable is read only when a check
/// that reads it runs, so a malformed HEALTHPROBE_HEADER cannot fail a
/// Redis check. Options given on the command line are always checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Every run (the deadline, the output, the subcommands' own options).
    Run,
    /// HTTP requests.
    Http,
    /// Request headers: HTTP and gRPC.
    Headers,
    /// TLS: every scheme that may speak it.
    Tls,
}

/// A set of [`Group`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Groups(u8);

impl Groups {
    pub const NONE: Groups = Groups(0);

    pub const fn of(groups: &[Group]) -> Groups {
        let mut bits = 0;
        let mut i = 0;
        while i < groups.len() {
            bits |= 1 << groups[i] as u8;
            i += 1;
        }
        Groups(bits)
    }

    pub fn with(self, other: Groups) -> Groups {
        Groups(self.0 | other.0)
    }

    pub fn has(self, group: Group) -> bool {
        group == Group::Run || self.0 & (1 << group as u8) != 0
    }
}

/// What a check found, in the one word that matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Healthy,
    /// Failed, but only a warning (HTTP 429: alive, shedding load); it
    /// differs from unhealthy only with --exit-codes consul.
    Warning,
    Unhealthy,
}

impl Health {
    pub fn is_healthy(self) -> bool {
        self == Health::Healthy
    }
}

/// Which exit codes mean what.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExitCodes {
    /// 0 healthy, 1 unhealthy (2 starting, only with --start-period).
    #[default]
    Docker,
    /// 0 passing, 1 warning, 2 critical: a Consul script check treats 1 as
    /// a mere warning and keeps the instance in service.
    Consul,
}

impl ExitCodes {
    pub const NAMES: [&'static str; 2] = ["docker", "consul"];

    pub fn parse(s: &str) -> Result<ExitCodes, String> {
        match s {
            "docker" => Ok(ExitCodes::Docker),
            "consul" => Ok(ExitCodes::Consul),
            _ => Err("possible values: docker, consul".into()),
        }
    }
}

/// A file an option names, and how the user gave it: `--cacert` or
/// `HEALTHPROBE_CACERT`, so that a message about it names what to fix.
#[derive(Debug, Clone, Copy)]
pub struct FileOption<'a> {
    pub path: &'a std::path::Path,
    pub given_as: &'a str,
}

impl std::fmt::Display for FileOption<'_> {
    /// `--cacert /etc/ca.pem`, or `HEALTHPROBE_CACERT=/etc/ca.pem`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let between = if self.given_as.starts_with('-') {
            " "
        } else {
            "="
        };
        write!(f, "{}{between}{}", self.given_as, self.path.display())
    }
}

/// The options whose value came from a variable: (long name, variable).
/// Where a value came from is not part of what it means: any two are equal,
/// so two spellings of one command line compare equal.
#[derive(Debug, Clone, Default)]
pub struct FromEnv(pub Vec<(&'static str, &'static str)>);

impl PartialEq for FromEnv {
    fn eq(&self, _: &FromEnv) -> bool {
        true
    }
}

/// Every option's value once the command line and the environment are read
/// (`cli::options` fills it from its table; the checks read it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    pub timeout: Option<Duration>,
    pub quiet: bool,
    pub verbose: bool,
    pub start_period: Option<Duration>,
    pub exit_codes: ExitCodes,
    pub method: Option<String>,
    pub data: Option<String>,
    pub status: StatusSet,
    pub headers: Vec<Header>,
    pub host: Option<String>,
    pub body_contains: Option<String>,
    /// `PATH=VALUE` assertions, checked for form here and compiled by the
    /// HTTP check (their grammar is the JSON matcher's).
    pub body_json: Vec<String>,
    pub basic_auth: Option<BasicAuth>,
    pub unix_socket: Option<PathBuf>,
    pub insecure: bool,
    pub cacert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// `file`: the heartbeat's greatest age.
    pub max_age: Option<Duration>,
    /// `wait`: the pause between attempts (the first, with --backoff).
    pub interval: Duration,
    /// `wait`: the deadline of each attempt.
    pub attempt_timeout: Duration,
    /// `wait`: double the pause after each failed attempt...
    pub backoff: bool,
    /// ... up to this.
    pub max_interval: Duration,
    /// Each check passes when its target is down, and fails when it is up.
    pub invert: bool,
    /// `exec`: the exit statuses that count as healthy.
    pub expect_exit: ExitSet,
    /// `serve`: the address to listen on.
    pub listen: Option<std::net::SocketAddr>,
    /// `serve`: how long a result answers requests.
    pub cache: Duration,
    /// `grpc`: the service to ask about.
    pub service: String,
    /// `grpc`: use TLS.
    pub tls: bool,
    /// `grpc`: the :authority to send.
    pub authority: Option<String>,
    /// `exec`: print the program's name but not its arguments.
    pub redact_args: bool,
    /// `exec`: healthy only if the output's first 64 KiB hold this.
    pub stdout_contains: Option<String>,
    /// `file`: unhealthy when empty (also implied by the content checks).
    pub non_empty: bool,
    /// `file`: the first 64 KiB must hold this.
    pub contains: Option<String>,
    /// `file`: bounds on the size, in bytes.
    pub min_size: Option<u64>,
    pub max_size: Option<u64>,
    /// -4: IPv4 addresses only.
    pub ipv4: bool,
    /// -6: IPv6 addresses only.
    pub ipv6: bool,
    /// Unhealthy if the body's first 64 KiB hold this.
    pub body_not_contains: Option<String>,
    /// `Name: TEXT` response header checks, checked for form here and
    /// compiled by the HTTP check.
    pub header_contains: Vec<String>,
    /// -L: follow redirects.
    pub location: bool,
    /// The redirects -L follows at most.
    pub max_redirs: u32,
    /// Speak HTTP/2 (h2c with prior knowledge, or offered by ALPN).
    pub http2: bool,
    /// Where the record of past runs is kept (used only by the next three).
    pub state_dir: Option<PathBuf>,
    /// Signal PID 1 after this many unhealthy runs in a row.
    pub restart_after: Option<u32>,
    /// The signal --restart-after sends.
    pub restart_signal: RestartSignal,
    /// Until the first healthy run is recorded, retry this often within a run.
    pub start_interval: Option<Duration>,
    /// Keep the last N runs for `healthprobe history`.
    pub history: Option<u16>,
    /// What the run prints: the line, or one JSON object.
    pub format: Format,
    /// The options whose value came from a variable, for messages to name
    /// what the user set.
    pub from_env: FromEnv,
}

/// The most redirects --max-redirs may allow: each hop is a connection
/// and a line in the chain, and a health endpoint is a hop or two away.
pub const MAX_REDIRS_CEILING: u32 = 100;

/// A count from 0 to `max`.
pub fn parse_count(s: &str, max: u32) -> Result<u32, String> {
    s.parse()
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| format!("expected a whole number from 0 to {max}"))
}

impl Options {
    /// How the user gave the option `flag` (`--cacert`): the flag, or the
    /// variable it came from (`HEALTHPROBE_CACERT`).
    pub fn given_as(&self, flag: &'static str) -> &'static str {
        let long = flag.trim_start_matches('-');
        self.from_env
            .0
            .iter()
            .find(|(l, _)| *l == long)
            .map_or(flag, |(_, var)| var)
    }
}

impl Options {
    /// Whether a feature that keeps a record across runs is asked for
    /// (`--state-dir` alone is not one).
    pub fn remembers(&self) -> bool {
        self.restart_after.is_some() || self.start_interval.is_some() || self.history.is_some()
    }
}

/// The most runs `--history` keeps.
pub const MAX_HISTORY: u16 = 1000;
/// The most unhealthy runs in a row `--restart-after` waits for.
pub const MAX_RESTART_AFTER: u32 = 10_000;

/// `--history N`: 1 to [`MAX_HISTORY`].
pub fn parse_history(s: &str) -> Result<u16, String> {
    match s.trim().parse::<u16>() {
        Ok(n @ 1..=MAX_HISTORY) => Ok(n),
        _ => Err(format!("keeps 1 to {MAX_HISTORY} runs")),
    }
}

/// `--restart-after N`: 1 to [`MAX_RESTART_AFTER`].
pub fn parse_restart_after(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n @ 1..=MAX_RESTART_AFTER) => Ok(n),
        _ => Err(format!(
            "a count of unhealthy runs, 1 to {MAX_RESTART_AFTER}"
        )),
    }
}

/// The signals `--restart-after` may send to PID 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RestartSignal {
    #[default]
    Term,
    Int,
    Quit,
    Hup,
    Usr1,
    Usr2,
}

impl RestartSignal {
    pub const NAMES: [&'static str; 6] = ["TERM", "INT", "QUIT", "HUP", "USR1", "USR2"];
    const ALL: [RestartSignal; 6] = [
        RestartSignal::Term,
        RestartSignal::Int,
        RestartSignal::Quit,
        RestartSignal::Hup,
        RestartSignal::Usr1,
        RestartSignal::Usr2,
    ];

    /// `TERM`, `SIGTERM`, `term`.
    pub fn parse(s: &str) -> Result<RestartSignal, String> {
        let s = s.trim();
        let name = match s.get(..3) {
            Some(sig) if sig.eq_ignore_ascii_case("SIG") => &s[3..],
            _ => s,
        };
        if name.eq_ignore_ascii_case("KILL") {
            return Err("PID 1 of a container ignores SIGKILL sent from inside it; \
                 use TERM (the default), INT, QUIT, HUP, USR1 or USR2"
                .into());
        }
        Self::ALL
            .into_iter()
            .zip(Self::NAMES)
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(sig, _)| sig)
            .ok_or_else(|| "possible values: TERM, INT, QUIT, HUP, USR1, USR2".into())
    }

    /// `TERM`.
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// What a run prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// The one line.
    #[default]
    Line,
    /// One JSON object, for tools reading `docker inspect`.
    Json,
}

impl Format {
    pub const NAMES: [&'static str; 2] = ["line", "json"];

    pub fn parse(s: &str) -> Result<Format, String> {
        match s {
            "line" => Ok(Format::Line),
            "json" => Ok(Format::Json),
            _ => Err("possible values: line, json".into()),
        }
    }
}

/// A size: bytes, or a whole number followed by K, M or G (or KiB, MiB,
/// GiB; any case), each 1024 times the one before: `512`, `1K`, `10MiB`.
/// Decimal units (kB, MB) are refused rather than guessed at.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = s.split_at(digits);
    if number.is_empty() {
        return Err("expected a number of bytes, e.g. 512, 1K, 10M".into());
    }
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        "kb" | "mb" | "gb" => {
            return Err(format!(
                "{unit:?} is ambiguous: write K or KiB (1024 bytes), M or MiB, G or GiB"
            ));
        }
        _ => return Err(format!("unknown unit {unit:?}: use K, M or G (1K = 1024)")),
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| "too large".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lists() {
        let s = StatusSet::parse("200,204,300-399").unwrap();
        assert!(
            s.contains(200)
                && s.contains(204)
                && s.contains(302)
                && !s.contains(201)
                && !s.contains(400)
        );
        assert!(StatusSet::parse("999").unwrap_err().contains("999"));
        assert!(
            StatusSet::parse("400-200")
                .unwrap_err()
                .contains("backwards")
        );
        assert!(StatusSet::parse("").is_err());
        assert!(StatusSet::parse("200,").is_err());
    }

    #[test]
    fn exit_status_lists_read_as_status_lists() {
        let s = ExitSet::parse("0,3").unwrap();
        assert!(s.contains(0) && s.contains(3) && !s.contains(1) && !s.contains(-1));
        assert_eq!(s.to_string(), "0,3");
        let s = ExitSet::parse(" 0-2 , 255").unwrap();
        assert!(s.contains(2) && s.contains(255) && !s.contains(256));
        assert_eq!(s.to_string(), "0-2,255");
        assert!(ExitSet::parse("0").unwrap().is_only_zero());
        assert!(ExitSet::parse("256").unwrap_err().contains("0 to 255"));
        assert!(ExitSet::parse("3-1").unwrap_err().contains("backwards"));
        assert!(ExitSet::parse("").is_err() && ExitSet::parse("1,").is_err());
    }

    #[test]
    fn headers() {
        let h = Header::parse("X-Probe:  yes ").unwrap();
        assert_eq!((h.name.as_str(), h.value.expose()), ("X-Probe", "yes"));
        let h = Header::parse("authorization: Bearer tok").unwrap();
        assert_eq!(h.value.to_string(), "(redacted)");
        let e = Header::parse("Authorization: Bearer a\r\nX: y").unwrap_err();
        assert!(e.contains("CR") && !e.contains("Bearer"), "{e}");
        assert!(Header::parse("Bad Name: x").is_err());
        assert!(Header::parse("novalue").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_timeout("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_timeout("0s").is_err());
        assert!(parse_timeout("100y").unwrap_err().contains("maximum"));
        assert!(parse_timeout("abc").is_err());
        assert!(parse_timeout("").is_err());
    }
}
