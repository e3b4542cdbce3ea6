//! The command line: clap types and the parsers of their values. Nothing here
//! touches the network.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::redacted::SecretString;

const EXAMPLES: &str = "\
Examples:
  healthprobe http://localhost:8080/health
  healthprobe http://localhost:${PORT}/health     (${VAR} is expanded by the probe)
  healthprobe --timeout 2s http://localhost:8080/health --status 200,204
  healthprobe https://localhost:8443/ready --cacert /etc/app/ca.pem
  healthprobe tcp localhost:5432
  healthprobe grpc localhost:50051 --service db   (or grpc://localhost:50051/db)
  healthprobe exec -- /app/check --deep
  healthprobe http://localhost:8080/health tcp://localhost:5432
  healthprobe http --unix-socket /run/app.sock http://localhost/health
  healthprobe file /tmp/heartbeat --max-age 1m
  healthprobe wait --timeout 60s tcp://db:5432 -- /app/server

In a Dockerfile (exec form: no shell needed):
  HEALTHCHECK --interval=10s --timeout=5s CMD [\"/healthprobe\", \"--timeout\", \"3s\", \"http://localhost:8080/health\"]

Exit status: 0 healthy, 1 unhealthy or unable to run the check,
2 only with --start-period while the container is still starting
(or, with --exit-codes consul: 0 passing, 1 warning, 2 critical).";

#[derive(Debug, Parser)]
#[command(
    name = "healthprobe",
    version,
    about = "Container health check: http, tcp and exec checks under one deadline, one line of output.",
    after_help = EXAMPLES,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// http(s)://..., tcp://, grpc(s)://HOST:PORT[/SERVICE]; several run at once. Default: $HEALTHPROBE_URL.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    #[command(flatten)]
    pub options: Options,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Healthy when URL answers with a status in --status.
    Http {
        /// http:// or https:// URL.
        url: String,
    },
    /// Healthy when HOST:PORT accepts a TCP connection.
    Tcp {
        /// HOST:PORT, [IPv6]:PORT or tcp://HOST:PORT.
        address: String,
    },
    /// Healthy when the heartbeat file PATH exists (and is younger than --max-age).
    File {
        /// The heartbeat file.
        path: PathBuf,
        /// Unhealthy when the file was last modified longer ago than this.
        #[arg(long, value_name = "DURATION", value_parser = parse_timeout, env = "HEALTHPROBE_MAX_AGE")]
        max_age: Option<Duration>,
    },
    /// Retries TARGETs until all pass (--timeout, default 60s), then runs PROGRAM in its place.
    Wait {
        /// What to wait for: http://..., https://..., tcp://HOST:PORT.
        #[arg(required = true, value_name = "TARGET")]
        targets: Vec<String>,
        /// Pause between attempts.
        #[arg(long, value_name = "DURATION", default_value = "500ms", value_parser = parse_timeout,
              env = "HEALTHPROBE_INTERVAL")]
        interval: Duration,
        /// The program to run once every target passes (after `--`).
        #[arg(last = true, value_name = "PROGRAM")]
        program: Vec<OsString>,
    },
    /// Healthy when grpc.health.v1.Health/Check answers SERVING.
    Grpc {
        /// HOST:PORT of the gRPC server.
        address: String,
        /// The service to ask about; empty means the server as a whole.
        #[arg(
            long,
            value_name = "NAME",
            default_value = "",
            env = "HEALTHPROBE_GRPC_SERVICE"
        )]
        service: String,
        /// Use TLS (ALPN h2); --insecure and --cacert apply.
        #[arg(long, env = "HEALTHPROBE_GRPC_TLS")]
        tls: bool,
        /// :authority to send (and TLS server name), instead of HOST:PORT.
        #[arg(long, value_name = "NAME", value_parser = parse_host_name, env = "HEALTHPROBE_GRPC_AUTHORITY")]
        authority: Option<String>,
    },
    /// Runs PROGRAM (no shell); healthy when it exits 0.
    Exec {
        /// The program and its arguments. Put `--` before it if an argument starts with `-`.
        #[arg(
            required = true,
            trailing_var_arg = true,
            allow_hyphen_values = true,
            value_name = "PROGRAM"
        )]
        command: Vec<OsString>,
    },
}

#[derive(Debug, Args)]
pub struct Options {
    /// Deadline for everything, below the runtime's own [default: 10s; wait: 60s]
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_timeout,
          env = "HEALTHPROBE_TIMEOUT")]
    pub timeout: Option<Duration>,

    /// Print nothing; the exit status says it all.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        env = "HEALTHPROBE_QUIET"
    )]
    pub quiet: bool,

    /// Also print addresses, timings and response headers.
    #[arg(short, long, global = true, env = "HEALTHPROBE_VERBOSE")]
    pub verbose: bool,

    /// Exit 2 ("starting"), not 1, on failure while the container is younger.
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration,
          env = "HEALTHPROBE_START_PERIOD")]
    pub start_period: Option<Duration>,

    /// docker: 0 healthy, 1 not; consul: 0 passing, 1 warning (HTTP 429), 2 critical.
    #[arg(
        long,
        global = true,
        value_name = "STYLE",
        default_value = "docker",
        value_enum,
        env = "HEALTHPROBE_EXIT_CODES"
    )]
    pub exit_codes: ExitCodes,

    /// HTTP method.
    #[arg(long, short = 'X', global = true, default_value = "GET", value_parser = parse_method,
          env = "HEALTHPROBE_METHOD", help_heading = "HTTP")]
    pub method: String,

    /// Healthy statuses, e.g. 200,204,300-399.
    #[arg(long, global = true, value_name = "LIST", default_value = "200-399",
          value_parser = StatusSet::parse, env = "HEALTHPROBE_STATUS", help_heading = "HTTP")]
    pub status: StatusSet,

    /// Add or replace a header, 'Name: value' [env: HEALTHPROBE_HEADER, one per line]
    #[arg(long = "header", short = 'H', global = true, value_name = "HEADER",
          value_parser = Header::parse, help_heading = "HTTP")]
    pub headers: Vec<Header>,

    /// Host header and TLS server name to send.
    #[arg(long, global = true, value_name = "NAME", value_parser = parse_host_name,
          env = "HEALTHPROBE_HOST", help_heading = "HTTP")]
    pub host: Option<String>,

    /// Healthy only if the body's first 64 KiB contain TEXT.
    #[arg(long, global = true, value_name = "TEXT", value_parser = parse_nonempty,
          env = "HEALTHPROBE_BODY_CONTAINS", help_heading = "HTTP")]
    pub body_contains: Option<String>,

    /// Basic authentication (never printed).
    #[arg(long, global = true, value_name = "USER:PASSWORD", value_parser = parse_basic_auth,
          env = "HEALTHPROBE_BASIC_AUTH", hide_env_values = true, help_heading = "HTTP")]
    pub basic_auth: Option<BasicAuth>,

    /// Talk HTTP over this unix socket instead of TCP.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        env = "HEALTHPROBE_UNIX_SOCKET",
        help_heading = "HTTP"
    )]
    pub unix_socket: Option<PathBuf>,

    /// Do not verify the server's certificate.
    #[arg(
        long,
        short = 'k',
        global = true,
        env = "HEALTHPROBE_INSECURE",
        help_heading = "HTTP"
    )]
    pub insecure: bool,

    /// Trust these PEM CA certificates instead of the bundled roots.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "HEALTHPROBE_CACERT",
        help_heading = "HTTP"
    )]
    pub cacert: Option<PathBuf>,
}

/// Which exit codes mean what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExitCodes {
    // 0 healthy, 1 unhealthy (2 starting, only with --start-period).
    Docker,
    // 0 passing, 1 warning, 2 critical: a Consul script check treats 1 as a
    // mere warning and keeps the instance in service.
    Consul,
}

/// The deadline when --timeout is not given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The deadline of `wait` when --timeout is not given.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(60);

/// The longest deadline accepted: a health check that needs more is broken.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("{e} (write durations like 500ms, 2s or 1m)"))?;
    if d > MAX_TIMEOUT {
        return Err(format!("{s} is longer than the 24h maximum"));
    }
    Ok(d)
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err("must be more than zero".into());
    }
    Ok(d)
}

fn parse_method(s: &str) -> Result<String, String> {
    if s.is_empty() || s.len() > 32 || !s.bytes().all(is_token_byte) {
        return Err("a method is 1 to 32 letters, like GET or HEAD".into());
    }
    Ok(s.to_ascii_uppercase())
}

fn parse_nonempty(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    Ok(s.to_string())
}

fn parse_host_name(s: &str) -> Result<String, String> {
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

/// Statuses counted as healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet(Vec<(u16, u16)>);

impl StatusSet {
    pub fn parse(s: &str) -> Result<StatusSet, String> {
        let mut ranges = Vec::new();
        for part in s.split(',').map(str::trim) {
            let (lo, hi) = match part.split_once('-') {
                Some((lo, hi)) => (status_code(lo)?, status_code(hi)?),
                None => {
                    let code = status_code(part)?;
                    (code, code)
                }
            };
            if lo > hi {
                return Err(format!("range {part} runs backwards; write {hi}-{lo}"));
            }
            ranges.push((lo, hi));
        }
        Ok(StatusSet(ranges))
    }

    pub fn contains(&self, status: u16) -> bool {
        self.0.iter().any(|&(lo, hi)| (lo..=hi).contains(&status))
    }
}

fn status_code(s: &str) -> Result<u16, String> {
    match s.trim().parse::<u16>() {
        Ok(n @ 100..=599) => Ok(n),
        _ => Err(format!("{:?} is not an HTTP status (100 to 599)", s.trim())),
    }
}

/// A request header from `-H 'Name: value'`. Values of headers that carry
/// credentials are kept as secrets.
#[derive(Debug, Clone)]
pub struct Header {
    pub name: String,
    pub value: HeaderValue,
}

#[derive(Debug, Clone)]
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

/// Headers whose values are never printed.
pub fn is_secret_header(name: &str) -> bool {
    ["authorization", "proxy-authorization", "cookie"]
        .iter()
        .any(|s| name.eq_ignore_ascii_case(s))
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

#[derive(Debug, Clone)]
pub struct BasicAuth {
    pub user: String,
    pub password: SecretString,
}

fn parse_basic_auth(s: &str) -> Result<BasicAuth, String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

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
