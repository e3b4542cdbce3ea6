//! healthprobe: a container health check that runs its checks under one
//! deadline, prints one honest line and exits 0 (healthy), 1 (unhealthy) or,
//! only with --start-period, 2 (starting).

mod alloc;
mod cli;
mod deadline;
mod hpack;
mod net;
mod outcome;
mod plan;
mod probe;
mod redacted;
mod report;
mod signals;
mod socket;
mod target;
mod wait;

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use cli::{Cli, Command};
use deadline::Deadline;
use report::Verdict;

#[global_allocator]
static ALLOCATOR: alloc::Allocator<{ alloc::ARENA_SIZE }> =
    // SAFETY: ARENA is the global allocator's alone.
    unsafe { alloc::Allocator::new(&raw mut ARENA) };
static mut ARENA: [u8; alloc::ARENA_SIZE] = [0; alloc::ARENA_SIZE];

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
            report::printable(&msg, 300)
        ));
        std::process::exit(1);
    }));
    match run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            print_and_flush(&format!(
                "healthprobe: error: {}\n",
                report::printable(&format!("{e:#}"), report::MAX_LINE)
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
        let checks = plan::target_checks(targets, opts)?;
        return wait::run(&checks, &deadline, *interval, program, opts.quiet);
    }
    let deadline = Deadline::start(opts.timeout.unwrap_or(cli::DEFAULT_TIMEOUT));
    let checks = plan::checks(cli.command, cli.targets, opts)?;
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
                report::printable(&message, report::MAX_LINE)
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
                report::printable(first, report::MAX_LINE)
            ));
            1
        }
    }
}

/// One write; a closed stdout (EPIPE) is not worth a panic.
pub fn print_and_flush(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}
