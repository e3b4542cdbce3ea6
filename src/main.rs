//! healthprobe: a container health check that runs its checks under one
//! deadline, prints one honest line and exits 0 (healthy), 1 (unhealthy) or,
//! only with --start-period, 2 (starting).

mod arena;
mod cli;
mod deadline;
mod hpack;
mod net;
mod outcome;
mod probe;
mod redacted;
mod report;
mod signals;
mod socket;
mod target;
mod wait;

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;

use cli::{Cli, Command, Options};
use deadline::Deadline;
use probe::Check;
use report::Verdict;

#[global_allocator]
static ALLOCATOR: arena::Arena = arena::Arena::new();

fn main() -> ExitCode {
    signals::install();
    // A panic must not become exit code 101 (or 134 under panic=abort).
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        print_and_flush(&format!(
            "healthprobe: internal error: {}\n",
            report::cut(&msg, 300)
        ));
        std::process::exit(1);
    }));
    match run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            print_and_flush(&format!(
                "healthprobe: error: {}\n",
                report::cut(&format!("{e:#}"), report::MAX_LINE)
            ));
            ExitCode::from(1)
        }
    }
}

/// Reads the command line, runs the checks, prints the report; returns the exit code.
fn run() -> Result<u8> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return Ok(usage_error(&e)),
    };
    let opts = &cli.options;
    if let Some(Command::Wait {
        targets,
        interval,
        program,
    }) = &cli.command
    {
        let deadline = Deadline::start(opts.timeout.unwrap_or(cli::DEFAULT_WAIT_TIMEOUT));
        let checks = targets
            .iter()
            .map(|t| target_check(t, opts))
            .collect::<Result<Vec<_>>>()?;
        return wait::run(&checks, &deadline, *interval, program, opts.quiet);
    }
    let deadline = Deadline::start(opts.timeout.unwrap_or(cli::DEFAULT_TIMEOUT));
    let checks = checks(cli.command, cli.targets, opts)?;
    let reports = probe::run_all(&checks, &deadline);
    let verdict = Verdict::decide(&reports, opts.start_period, opts.exit_codes);
    if !opts.quiet {
        print_and_flush(&report::render(
            verdict,
            &reports,
            deadline.elapsed(),
            opts.verbose,
        ));
    }
    Ok(verdict.exit_code(opts.exit_codes))
}

/// clap's own errors exit 2, which Docker reserves: print them and exit 1.
/// --help and --version are not errors: they exit 0.
fn usage_error(e: &clap::Error) -> u8 {
    use clap::error::ErrorKind;
    let text = e.render().to_string();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            print_and_flush(&text);
            0
        }
        ErrorKind::ValueValidation => {
            // Our own message says what is wrong; the value is quoted escaped and
            // cut, or not at all where it may be a credential.
            use clap::error::{ContextKind, ContextValue};
            let context = |kind| match e.get(kind) {
                Some(ContextValue::String(s)) => s.clone(),
                _ => String::new(),
            };
            let arg = context(ContextKind::InvalidArg);
            let value = context(ContextKind::InvalidValue);
            let reason = std::error::Error::source(e)
                .map(|s| s.to_string())
                .unwrap_or_default();
            let message = if arg.starts_with("--header") || arg.starts_with("--basic-auth") {
                format!("invalid {arg}: {reason}")
            } else {
                format!(
                    "invalid value {} for {arg}: {reason}",
                    target::shown(&value)
                )
            };
            print_and_flush(&format!(
                "healthprobe: error: {}\n",
                report::cut(&message, report::MAX_LINE)
            ));
            1
        }
        _ => {
            // clap's message is several lines; keep its first paragraph (the error) on one line.
            let first: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let first = first.join(" ");
            let first = first.trim_start_matches("error: ");
            print_and_flush(&format!(
                "healthprobe: error: {} (see healthprobe --help)\n",
                report::cut(first, report::MAX_LINE)
            ));
            1
        }
    }
}

/// Turns the parsed command line into checks.
fn checks(command: Option<Command>, targets: Vec<String>, opts: &Options) -> Result<Vec<Check>> {
    match command {
        Some(Command::Http { url }) => Ok(vec![http_check(&target::expand_vars(&url)?, opts)?]),
        Some(Command::Tcp { address }) => Ok(vec![Check::Tcp(target::parse_host_port(
            &target::expand_vars(&address)?,
        )?)]),
        Some(Command::Grpc {
            address,
            service,
            tls,
            authority,
        }) => {
            let (target, _, _) = target::parse_grpc(&target::expand_vars(&address)?)?;
            Ok(vec![grpc_check(target, service, tls, authority, opts)?])
        }
        Some(Command::File { path, max_age }) => {
            Ok(vec![Check::File(probe::file::FileCheck { path, max_age })])
        }
        Some(Command::Exec { command }) => {
            let mut parts = command.into_iter();
            let program = parts.next().context("exec needs a program to run")?;
            if program.is_empty() {
                bail!("exec: the program name is empty");
            }
            Ok(vec![Check::Exec(probe::exec::ExecCheck {
                program,
                args: parts.collect(),
            })])
        }
        Some(Command::Wait { .. }) => unreachable!("wait is handled by run()"),
        None => {
            let targets = if targets.is_empty() {
                targets_from_env()?
            } else {
                targets
            };
            targets.iter().map(|t| target_check(t, opts)).collect()
        }
    }
}

/// A check for a bare target: `http://`, `https://` or `tcp://`.
fn target_check(raw: &str, opts: &Options) -> Result<Check> {
    let t = target::expand_vars(raw)?;
    let lower = t.get(..8).unwrap_or(&t).to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        http_check(&t, opts)
    } else if lower.starts_with("tcp://") {
        Ok(Check::Tcp(target::parse_host_port(&t)?))
    } else if lower.starts_with("grpc://") || lower.starts_with("grpcs://") {
        let (target, tls, service) = target::parse_grpc(&t)?;
        grpc_check(target, service, tls, None, opts)
    } else {
        bail!(
            "don't know how to check {}: use http://, https://, tcp:// or grpc://, or a subcommand",
            target::shown(&target::redact_userinfo(&t))
        )
    }
}

/// What HTTP and gRPC checks take from options that need reading: the CA
/// certificates of --cacert and the headers (-H or HEALTHPROBE_HEADER).
fn tls_and_headers(opts: &Options) -> Result<(Option<probe::http::CaCerts>, Vec<cli::Header>)> {
    let ca_certs = match &opts.cacert {
        Some(path) => Some(probe::http::load_ca_certs(path)?),
        None => None,
    };
    let headers = if opts.headers.is_empty() {
        headers_from_env()?
    } else {
        opts.headers.clone()
    };
    Ok((ca_certs, headers))
}

fn http_check(url: &str, opts: &Options) -> Result<Check> {
    let (ca_certs, headers) = tls_and_headers(opts)?;
    Ok(Check::Http(Box::new(probe::http::HttpCheck {
        url: target::parse_url(url)?,
        method: opts.method.clone(),
        status: opts.status.clone(),
        headers,
        host: opts.host.clone(),
        body_contains: opts.body_contains.clone(),
        basic_auth: opts.basic_auth.clone(),
        insecure: opts.insecure,
        ca_certs,
        unix_socket: opts.unix_socket.clone(),
    })))
}

fn grpc_check(
    target: target::HostPort,
    service: String,
    tls: bool,
    authority: Option<String>,
    opts: &Options,
) -> Result<Check> {
    let (ca_certs, headers) = tls_and_headers(opts)?;
    Ok(Check::Grpc(Box::new(probe::grpc::GrpcCheck {
        target,
        service,
        tls,
        authority,
        headers,
        insecure: opts.insecure,
        ca_certs,
    })))
}

/// HEALTHPROBE_HEADER: one `Name: value` per line, when no -H is given.
fn headers_from_env() -> Result<Vec<cli::Header>> {
    let Ok(value) = std::env::var("HEALTHPROBE_HEADER") else {
        return Ok(Vec::new());
    };
    value
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            cli::Header::parse(l.trim_end_matches('\r'))
                .map_err(|e| anyhow::anyhow!("HEALTHPROBE_HEADER: {e}"))
        })
        .collect()
}

fn targets_from_env() -> Result<Vec<String>> {
    let value = match std::env::var("HEALTHPROBE_URL") {
        Ok(v) => v,
        Err(std::env::VarError::NotPresent) => {
            bail!(
                "nothing to check: give a target (e.g. http://localhost:8080/health) or set HEALTHPROBE_URL"
            )
        }
        Err(std::env::VarError::NotUnicode(_)) => bail!("HEALTHPROBE_URL is not valid UTF-8"),
    };
    let targets: Vec<String> = value.split_whitespace().map(String::from).collect();
    if targets.is_empty() {
        bail!("HEALTHPROBE_URL is empty: nothing to check");
    }
    Ok(targets)
}

/// One write; a closed stdout (EPIPE) is not worth a panic.
pub fn print_and_flush(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
