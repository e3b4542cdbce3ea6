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
pub mod h2;
pub mod install;
pub mod net;
pub mod plan;
pub mod probe;
pub mod redacted;
pub mod report;
pub mod serve;
pub mod signals;
pub mod target;
#[cfg(feature = "tls")]
pub mod tls;
#[cfg(not(feature = "tls"))]
#[path = "no_tls.rs"]
pub mod tls;
pub mod values;
pub mod verdict;
pub mod wait;

use anyhow::Result;

use cli::{Command, Env, Parsed};
use deadline::Deadline;
use verdict::{Verdict, code};

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
        std::process::exit(code::FAILED.into());
    }));
    let (text, code) = match run() {
        Ok(done) => done,
        Err(e) => (cli::usage::line(&format!("{e:#}")), code::FAILED),
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
    let given = match cli::parse_args()? {
        Parsed::Run(given) => given,
        Parsed::Version => return Ok((cli::version_line(), code::HEALTHY)),
        Parsed::Help(sub) => {
            let schemes = cli::help::Schemes {
                list: probe::schemes::listed(", "),
                examples: probe::schemes::examples(),
            };
            return Ok((cli::help::render(sub, &schemes), code::HEALTHY));
        }
    };
    let uses = plan::uses(&given);
    let cli = given.resolve(&Env::Process, uses)?;
    let opts = &cli.options;
    if let Some(Command::Wait { targets, program }) = &cli.command {
        // `--timeout 0`: no deadline (the parser allows it for wait only).
        let deadline = match opts.timeout.unwrap_or(cli::DEFAULT_WAIT_TIMEOUT) {
            d if d.is_zero() => None,
            d => Some(Deadline::start(d)),
        };
        let checks = plan::target_checks(targets, opts)?;
        let pace = wait::Pace::of(opts);
        return wait::run(&checks, deadline.as_ref(), pace, program, opts.quiet);
    }
    if let Some(Command::Install { dir }) = &cli.command {
        let line = install::run(dir)?;
        return Ok((if opts.quiet { String::new() } else { line }, code::HEALTHY));
    }
    if let Some(Command::Serve { targets }) = &cli.command {
        let checks = plan::target_checks(targets, opts)?;
        serve::run(checks, opts)?;
        return Ok((String::new(), code::HEALTHY));
    }
    let deadline = Deadline::start(opts.timeout.unwrap_or(cli::DEFAULT_TIMEOUT));
    let (quiet, verbose, start_period, exit_codes) =
        (opts.quiet, opts.verbose, opts.start_period, opts.exit_codes);
    let checks = plan::checks(cli)?;
    let reports = probe::run_all(&checks, &deadline);
    if let Some(sig) = signals::stopped() {
        return Ok((signals::stop_line(sig).to_string(), code::FAILED));
    }
    let verdict = Verdict::decide(&reports, start_period, exit_codes);
    let text = match quiet {
        true => String::new(),
        false => report::render(&verdict.headline(), &reports, deadline.elapsed(), verbose),
    };
    Ok((text, verdict.exit_code(exit_codes)))
}
