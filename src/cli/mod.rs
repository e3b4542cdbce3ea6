//! The command line: the clap types, with every flag and its help text.
//! Their values are parsed in `values.rs`; clap's errors become one line in
//! `usage.rs`. Nothing here touches the network.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

pub mod fast;
pub mod usage;
mod values;

pub use crate::probe::file::parse_size;
pub use crate::probe::http::header_check::HeaderCheck;
pub use crate::probe::http::json::JsonCheck;
pub use values::{BasicAuth, Header, HeaderValue, MAX_TIMEOUT, StatusSet};
use values::{
    parse_basic_auth, parse_duration, parse_host_name, parse_method, parse_nonempty, parse_timeout,
};

const EXAMPLES: &str = "\
Examples:
  healthprobe http://localhost:8080/health
  healthprobe http://localhost:${PORT}/health     (${VAR} is expanded by the probe)
  healthprobe tcp localhost:5432
  healthprobe grpc://localhost:50051/db
  healthprobe --body-json status=UP localhost:8080/actuator/health
  healthprobe postgres://localhost:5432 redis://:${REDIS_PASSWORD}@localhost:6379
  healthprobe exec -- /app/check --deep
  healthprobe wait postgres://db:5432 -- /app/server

In a Dockerfile (exec form, no shell):
  HEALTHCHECK --interval=10s --timeout=5s CMD [\"/healthprobe\", \"--timeout\", \"3s\", \"http://localhost:8080/health\"]

Exit status: 0 healthy, 1 unhealthy or unable to check, 2 only with
--start-period while the container is starting.";

#[derive(Debug, PartialEq, Parser)]
#[command(
    name = "healthprobe",
    version,
    about = "Container health check: many kinds of check, one deadline, one line of output.",
    after_help = EXAMPLES,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// http(s)://, tcp://, grpc(s)://, redis(s)://, postgres://, mysql:// (none: http); several run at once. Default: $HEALTHPROBE_URL.
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,

    #[command(flatten)]
    pub options: Options,
}

#[derive(Debug, PartialEq, Subcommand)]
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
    /// Healthy when the heartbeat file PATH exists and passes its checks.
    File {
        /// The heartbeat file.
        path: PathBuf,
        /// Unhealthy when the file was last modified longer ago than this.
        #[arg(long, value_name = "DURATION", value_parser = parse_timeout, env = "HEALTHPROBE_MAX_AGE")]
        max_age: Option<Duration>,
        // issue 24: the file's content (each of these makes an empty file unhealthy).
        /// Unhealthy when the file is empty.
        #[arg(long, env = "HEALTHPROBE_NON_EMPTY")]
        non_empty: bool,
        /// Healthy only if the file's first 64 KiB contain TEXT.
        #[arg(long, value_name = "TEXT", value_parser = parse_nonempty, env = "HEALTHPROBE_CONTAINS")]
        contains: Option<String>,
        /// Unhealthy when smaller: bytes, or with K, M, G (KiB, MiB, GiB): 1K = 1024.
        #[arg(long, value_name = "SIZE", value_parser = parse_size, env = "HEALTHPROBE_MIN_SIZE")]
        min_size: Option<u64>,
        /// Unhealthy when larger (SIZE as for --min-size).
        #[arg(long, value_name = "SIZE", value_parser = parse_size, env = "HEALTHPROBE_MAX_SIZE")]
        max_size: Option<u64>,
    },
    /// Waits until all TARGETs pass (--timeout, default 60s), then runs PROGRAM.
    Wait {
        /// What to wait for: http://..., https://..., tcp://HOST:PORT.
        #[arg(required = true, value_name = "TARGET")]
        targets: Vec<String>,
        /// Pause between attempts.
        #[arg(long, value_name = "DURATION", default_value = DEFAULT_INTERVAL, value_parser = parse_timeout,
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
        /// Print the program's name but not its arguments (they may hold a password).
        #[arg(long, env = "HEALTHPROBE_REDACT_ARGS")]
        redact_args: bool,
        // issue 24: --stdout-contains.
        /// Healthy only if the program's output (stdout and stderr, first 64 KiB) contains TEXT.
        #[arg(long, value_name = "TEXT", value_parser = parse_nonempty, env = "HEALTHPROBE_STDOUT_CONTAINS")]
        stdout_contains: Option<String>,
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

#[derive(Debug, PartialEq, Args)]
pub struct Options {
    /// Deadline for everything, below the runtime's own [default: 10s; wait: 60s]
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_timeout,
          env = "HEALTHPROBE_TIMEOUT")]
    pub timeout: Option<Duration>,

    /// Print nothing, only exit.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        env = "HEALTHPROBE_QUIET"
    )]
    pub quiet: bool,

    /// Also print addresses, timings, headers.
    #[arg(short, long, global = true, env = "HEALTHPROBE_VERBOSE")]
    pub verbose: bool,

    // issue 24: -4 / -6.
    /// IPv4 addresses only (localhost: 127.0.0.1).
    #[arg(
        short = '4',
        long,
        global = true,
        conflicts_with = "ipv6",
        env = "HEALTHPROBE_IPV4"
    )]
    pub ipv4: bool,

    // issue 24: -4 / -6.
    /// IPv6 addresses only (localhost: ::1).
    #[arg(short = '6', long, global = true, env = "HEALTHPROBE_IPV6")]
    pub ipv6: bool,

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
        hide_possible_values = true,
        env = "HEALTHPROBE_EXIT_CODES"
    )]
    pub exit_codes: ExitCodes,

    /// HTTP method [default: GET, or POST with --data]
    #[arg(long, short = 'X', global = true, value_parser = parse_method,
          env = "HEALTHPROBE_METHOD", help_heading = "HTTP")]
    pub method: Option<String>,

    /// Send TEXT as the body (JSON for {...}, else a form).
    #[arg(
        long,
        short = 'd',
        global = true,
        value_name = "TEXT",
        env = "HEALTHPROBE_DATA",
        help_heading = "HTTP"
    )]
    pub data: Option<String>,

    /// Healthy statuses, e.g. 200,204,300-399.
    #[arg(long, global = true, value_name = "LIST", default_value = DEFAULT_STATUS,
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

    // issue 24: --body-not-contains.
    /// Unhealthy if the body's first 64 KiB contain TEXT.
    #[arg(long, global = true, value_name = "TEXT", value_parser = parse_nonempty,
          env = "HEALTHPROBE_BODY_NOT_CONTAINS", help_heading = "HTTP")]
    pub body_not_contains: Option<String>,

    // issue 24: --header-contains.
    /// Healthy only if header Name holds TEXT: 'Name: TEXT' [env: HEALTHPROBE_HEADER_CONTAINS, one per line]
    #[arg(long = "header-contains", global = true, value_name = "HEADER",
          value_parser = HeaderCheck::parse, help_heading = "HTTP")]
    pub header_contains: Vec<HeaderCheck>,

    /// Healthy only if the JSON body has VALUE at PATH: status=UP [env: HEALTHPROBE_BODY_JSON, one per line]
    #[arg(long = "body-json", global = true, value_name = "PATH=VALUE",
          value_parser = JsonCheck::parse, help_heading = "HTTP")]
    pub body_json: Vec<JsonCheck>,

    /// Basic authentication (never printed).
    #[arg(long, global = true, value_name = "USER:PASSWORD", value_parser = parse_basic_auth,
          env = "HEALTHPROBE_BASIC_AUTH", hide_env_values = true, help_heading = "HTTP")]
    pub basic_auth: Option<BasicAuth>,

    /// HTTP over this unix socket, not TCP.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        env = "HEALTHPROBE_UNIX_SOCKET",
        help_heading = "HTTP"
    )]
    pub unix_socket: Option<PathBuf>,

    /// Do not verify the server's certificate (https, grpcs, rediss, sslmode).
    #[arg(
        long,
        short = 'k',
        global = true,
        env = "HEALTHPROBE_INSECURE",
        help_heading = "TLS"
    )]
    pub insecure: bool,

    /// Trust FILE's PEM certificates, not the bundled roots (a self-signed one too).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "HEALTHPROBE_CACERT",
        help_heading = "TLS"
    )]
    pub cacert: Option<PathBuf>,

    /// Client certificate (PEM; may hold the chain and key).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "HEALTHPROBE_CERT",
        help_heading = "TLS"
    )]
    pub cert: Option<PathBuf>,

    /// The client certificate's key (PEM).
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        env = "HEALTHPROBE_KEY",
        help_heading = "TLS"
    )]
    pub key: Option<PathBuf>,
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

/// Defaults, shared by clap's definitions and the fast path.
pub const DEFAULT_STATUS: &str = "200-399";
pub const DEFAULT_INTERVAL: &str = "500ms";

/// Reads the command line and the HEALTHPROBE_* environment: through the
/// fast path (`fast.rs`) when it is sure of them, else through clap.
pub fn parse_args() -> Result<fast::Parsed, clap::Error> {
    let args: Vec<OsString> = std::env::args_os().collect();
    if let Some(parsed) = fast::parse(&args, &fast::Env::from_process()) {
        return Ok(parsed);
    }
    Cli::try_parse_from(args).map(|cli| fast::Parsed::Cli(Box::new(cli)))
}

/// What `--version` prints.
pub fn version_line() -> String {
    format!("healthprobe {}\n", env!("CARGO_PKG_VERSION"))
}

/// The deadline when --timeout is not given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The deadline of `wait` when --timeout is not given.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(60);

/// Options whose values may be credentials: messages name them, never quote them.
pub const SECRET_OPTIONS: [&str; 2] = ["--header", "--basic-auth"];

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
