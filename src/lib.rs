//! healthprobe: a container health check that runs its checks under one
//! deadline, prints one honest line and exits 0 (healthy), 1 (unhealthy) or,
//! only with --start-period, 2 (starting).
//!
//! [`main`] is the table of contents: read the command line, plan the checks,
//! run them under the deadline, decide the verdict, print the line. The
//! binary (`src/main.rs`) only calls it; tests and fuzz targets link the
//! pieces.

pub mod alloc;
pub mod cli;
pub mod clock;
pub mod deadline;
pub mod net;
pub mod plan;
pub mod probe;
pub mod redacted;
pub mod report;
pub mod signals;
pub mod target;
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(not(feature = "tls"))]
#[path = "no_tls.rs"]
pub mod tls;
pub mod verdict;
pub mod wait;

use anyhow::Result;

use cli::Command;
use cli::fast::Parsed;
use deadline::Deadline;
use verdict::Verdict;

/// Runs the probe; returns the exit code. Never panics with a code of its
/// own: a panic prints one line and exits 1.
pub fn main() -> u8 {
    signals::install();
    // A panic must not become exit code 101 (or 134 under panic=abort).
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        if signals::claim_report() {
            report::print(&cli::usage::line(&format!("internal error: {msg}")));
        }
        std::process::exit(1);
    }));
    let (text, code) = match run() {
        Ok(done) => done,
        Err(e) => (cli::usage::line(&format!("{e:#}")), 1),
    };
    if signals::claim_report() {
        report::print(&text);
        code
    } else {
        // A signal handler has printed the stop line and is ending the process.
        loop {
            std::thread::park();
        }
    }
}

/// Reads the command line, runs the checks; returns what to print and the exit code.
fn run() -> Result<(String, u8)> {
    let cli = match cli::parse_args() {
        Ok(Parsed::Cli(cli)) => *cli,
        Ok(Parsed::Version) => return Ok((cli::version_line(), 0)),
        Err(e) => return Ok(cli::usage::explain(&e)),
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
        let code = wait::run(&checks, &deadline, *interval, program, opts.quiet)?;
        return Ok((String::new(), code));
    }
    let deadline = Deadline::start(opts.timeout.unwrap_or(cli::DEFAULT_TIMEOUT));
    let checks = plan::checks(cli.command, cli.targets, opts)?;
    let reports = probe::run_all(&checks, &deadline);
    if let Some(sig) = signals::stopped() {
        return Ok((signals::stop_line(sig).to_string(), 1));
    }
    let verdict = Verdict::decide(&reports, opts.start_period, opts.exit_codes);
    let text = match opts.quiet {
        true => String::new(),
        false => report::render(
            &verdict.headline(),
            &reports,
            deadline.elapsed(),
            opts.verbose,
        ),
    };
    Ok((text, verdict.exit_code(opts.exit_codes)))
}
