//! What to check: the checks the command line and the environment ask for,
//! made through the scheme table (`probe/schemes.rs`).

use anyhow::{Result, bail};

use crate::cli::{Cli, Command, Given, Groups};
use crate::net;
use crate::probe::Check;
use crate::probe::exec::ExecCheck;
use crate::probe::file::FileCheck;
use crate::probe::schemes::{self, Context};
use crate::target;
use crate::values::Options;

/// The option groups the checks `given` asks for read: which HEALTHPROBE_*
/// variables to read.
pub fn uses(given: &Given) -> Groups {
    // `${VAR}` may name the scheme too; a target that does not expand fails later.
    let of_targets = |targets: &[String]| {
        targets.iter().fold(Groups::NONE, |g, t| {
            let t = target::expand_vars(t).unwrap_or_else(|_| t.clone());
            g.with(schemes::uses_of_target(&t))
        })
    };
    match &given.command {
        Some(Command::Http { .. }) => schemes::uses_of_probe("http"),
        Some(Command::Grpc { .. }) => schemes::uses_of_probe("grpc"),
        Some(
            Command::Tcp { .. }
            | Command::File { .. }
            | Command::Exec { .. }
            | Command::Install { .. }
            | Command::History { .. },
        ) => Groups::NONE,
        Some(Command::Wait { targets, .. } | Command::Serve { targets }) => of_targets(targets),
        None => of_targets(&given.targets),
    }
}

/// Turns the parsed command line into checks (each wanting its target
/// down with --invert).
pub fn checks(cli: Cli) -> Result<Vec<Check>> {
    let invert = cli.options.invert;
    let checks = kinds(cli)?;
    Ok(checks.into_iter().map(|c| c.inverted(invert)).collect())
}

fn kinds(cli: Cli) -> Result<Vec<Check>> {
    let opts = &cli.options;
    net::set_family(opts.ipv4, opts.ipv6);
    let mut cx = Context::new(opts);
    match cli.command {
        Some(Command::Http { url }) => Ok(vec![schemes::check_as(
            "http",
            &target::expand_vars(&url)?,
            true,
            &mut cx,
        )?]),
        Some(Command::Tcp { address }) => Ok(vec![schemes::check_as(
            "tcp",
            &target::expand_vars(&address)?,
            true,
            &mut cx,
        )?]),
        Some(Command::Grpc { address }) => Ok(vec![schemes::check_as(
            "grpc",
            &target::expand_vars(&address)?,
            true,
            &mut cx,
        )?]),
        Some(Command::File { path }) => Ok(vec![Check::new(FileCheck {
            path,
            max_age: opts.max_age,
            non_empty: opts.non_empty,
            contains: opts.contains.clone(),
            min_size: opts.min_size,
            max_size: opts.max_size,
        })]),
        Some(Command::Exec { command }) => {
            let mut parts = command.into_iter();
            let Some(program) = parts.next() else {
                bail!("exec needs a program to run");
            };
            if program.is_empty() {
                bail!("exec: the program name is empty");
            }
            Ok(vec![Check::new(ExecCheck {
                program,
                args: parts.collect(),
                redact_args: opts.redact_args,
                stdout_contains: opts.stdout_contains.clone(),
                expect_exit: opts.expect_exit.clone(),
            })])
        }
        Some(Command::Install { .. }) => bail!("install checks nothing"),
        Some(Command::Wait { targets, .. } | Command::Serve { targets }) => {
            target_checks(&targets, opts)
        }
        Some(Command::History { .. }) => bail!("history runs no checks"),
        None => target_checks(&cli.targets, opts),
    }
}

/// Checks for bare targets (`scheme://...`), as `wait` and the targets
/// without a subcommand name them.
pub fn target_checks(targets: &[String], opts: &Options) -> Result<Vec<Check>> {
    net::set_family(opts.ipv4, opts.ipv6);
    let mut cx = Context::new(opts);
    targets
        .iter()
        .map(|t| Ok(schemes::check(&target::expand_vars(t)?, &mut cx)?.inverted(opts.invert)))
        .collect()
}
