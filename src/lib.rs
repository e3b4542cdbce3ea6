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
pub mod history;
pub mod install;
pub mod memory;
pub mod net;
pub mod plan;
pub mod probe;
pub mod redacted;
pub mod report;
pub mod restart;
pub mod serve;
pub mod signals;
pub mod state;
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
use memory::Memory;
use restart::Kick;
use values::Format;
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
    let (text, code, kick) = match run() {
        Ok(done) => done,
        Err(e) => (cli::usage::line(&format!("{e:#}")), code::FAILED, None),
    };
    if signals::claim_report() {
        report::print(&text);
        // After the line: a PID 1 that exits at once takes this process with it.
        if let Some(kick) = kick {
            kick.send();
        }
        code
    } else {
        // A signal handler has printed the stop line and is ending the process.
        loop {
            std::thread::park();
        }
    }
}

/// Reads the command line, runs the checks; returns what to print, the exit
/// code, and the signal for PID 1 to send once it is printed.
fn run() -> Result<(String, u8, Option<Kick>)> {
    let given = match cli::parse_args()? {
        Parsed::Run(given) => given,
        Parsed::Version => return Ok((cli::version_line(), code::HEALTHY, None)),
        Parsed::Help(sub) => {
            let schemes = cli::help::Schemes {
                list: probe::schemes::listed(", "),
                examples: probe::schemes::examples(),
            };
            return Ok((cli::help::render(sub, &schemes), code::HEALTHY, None));
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
        let (text, code) = wait::run(&checks, deadline.as_ref(), pace, program, opts.quiet)?;
        return Ok((text, code, None));
    }
    if let Some(Command::Install { dir }) = &cli.command {
        let line = install::run(dir)?;
        let text = if opts.quiet { String::new() } else { line };
        return Ok((text, code::HEALTHY, None));
    }
    if let Some(Command::Serve { targets }) = &cli.command {
        let checks = plan::target_checks(targets, opts)?;
        serve::run(checks, opts)?;
        return Ok((String::new(), code::HEALTHY, None));
    }
    if let Some(Command::History { targets }) = &cli.command {
        let (text, code) = history::run(targets, opts);
        return Ok((text, code, None));
    }
    let deadline = Deadline::start(opts.timeout.unwrap_or(cli::DEFAULT_TIMEOUT));
    let (quiet, verbose, start_period, exit_codes, format) = (
        opts.quiet,
        opts.verbose,
        opts.start_period,
        opts.exit_codes,
        opts.format,
    );
    // Only when an option that remembers is given: a plain run touches no state.
    let mut memory = Memory::new(&cli);
    let checks = plan::checks(cli)?;
    let (reports, attempts) = match memory.as_mut() {
        None => (probe::run_all(&checks, &deadline), 1),
        Some(m) => {
            m.checking(&checks);
            memory::run_until_healthy(&checks, &deadline, m.retry_every())
        }
    };
    if let Some(sig) = signals::stopped() {
        return Ok((signals::stop_line(sig).to_string(), code::FAILED, None));
    }
    let verdict = Verdict::decide(&reports, start_period, exit_codes);
    let exit_code = verdict.exit_code(exit_codes);
    let Some(mut m) = memory else {
        let text = match (quiet, format) {
            (true, _) => String::new(),
            (false, Format::Line) => {
                report::render(&verdict.headline(), &reports, deadline.elapsed(), verbose)
            }
            (false, Format::Json) => {
                report::render_json(verdict.word(), exit_code, &reports, deadline.elapsed(), &[])
            }
        };
        return Ok((text, exit_code, None));
    };
    if attempts > 1 {
        m.note(format!("{attempts} attempts"));
    }
    let text = report::render(&verdict.headline(), &reports, deadline.elapsed(), verbose);
    let results: Vec<&str> = reports.iter().map(|r| r.result.as_str()).collect();
    let first = text.lines().next().unwrap_or_default();
    let kick = m.record(verdict, exit_code, first, &results.join("; "), &deadline);
    let text = match (quiet, format) {
        (true, _) => String::new(),
        (false, Format::Line) => report::with_notes(&text, m.notes(), report::MAX_LINE),
        (false, Format::Json) => report::render_json(
            verdict.word(),
            exit_code,
            &reports,
            deadline.elapsed(),
            m.notes(),
        ),
    };
    Ok((text, exit_code, kick))
}
