//! `--help`, built from the option table with clap's builder. clap is here
//! for its help layout only: building its tree costs some 750,000
//! instructions, paid only when help is asked for.

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, Command};

use super::options::{Level, MEMORY, OPTIONS, Sub, Takes};

const ABOUT: &str =
    "Container health check: many kinds of check, one deadline, one line of output.";

/// The examples before the schemes' own.
const EXAMPLES_FIRST: &[&str] = &[
    "http://localhost:8080/health",
    "localhost:${PORT}/health     (no scheme: http; ${VAR} expanded by the probe)",
];

/// The examples after the schemes' own.
const EXAMPLES_LAST: &[&str] = &[
    "--body-json status=UP localhost:8080/actuator/health",
    "exec -- /app/check --deep",
    "wait postgres://db amqp://mq mqtt://broker memcached://cache nats://bus dns:db -- /app/server",
];

const FOOTER: &str = "\
In a Dockerfile (exec form, no shell):
  HEALTHCHECK --interval=10s --timeout=5s CMD [\"/healthprobe\", \"--timeout\", \"3s\", \"http://localhost:8080/health\"]

Exit status: 0 healthy, 1 unhealthy or unable to check, 2 only with
--start-period while the container is starting.";

/// What the help says about the target schemes, from the scheme table.
pub struct Schemes {
    /// `http(s)://, tcp://, ...`
    pub list: String,
    /// Arguments that check one scheme, for the examples.
    pub examples: Vec<&'static str>,
}

/// The help of `sub` (or of the whole command).
pub fn render(sub: Option<Sub>, schemes: &Schemes) -> String {
    let mut root = command(schemes);
    root.build();
    match sub.and_then(|s| root.find_subcommand_mut(s.name())) {
        Some(sc) => sc.render_help().to_string(),
        None => root.render_help().to_string(),
    }
}

/// The clap command the table describes (public for the tests).
pub fn command(schemes: &Schemes) -> Command {
    let examples: Vec<&str> = EXAMPLES_FIRST
        .iter()
        .chain(&schemes.examples)
        .chain(EXAMPLES_LAST)
        .copied()
        .collect();
    let after = format!(
        "Examples:\n  healthprobe {}\n\n{FOOTER}",
        examples.join("\n  healthprobe ")
    );
    let schemes = schemes.list.as_str();
    let mut root = Command::new("healthprobe")
        .version(env!("CARGO_PKG_VERSION"))
        .about(ABOUT)
        .after_help(after)
        .disable_help_subcommand(true)
        .arg(
            Arg::new("targets")
                .value_name("TARGET")
                .action(ArgAction::Append)
                .help(format!(
                    "{schemes}; several run at once. Default: $HEALTHPROBE_URL"
                )),
        );
    for sub in Sub::ALL {
        let (about, positionals) = subcommand(sub, schemes);
        let mut sc = Command::new(sub.name()).about(about).args(positionals);
        for opt in OPTIONS.iter().filter(|o| o.level == Level::Only(sub)) {
            sc = sc.arg(arg(opt));
        }
        // `history` and the options that remember runs are listed by
        // `healthprobe history --help`, not in the main help, which is at
        // the 4 KiB a runtime keeps.
        if sub == Sub::History {
            sc = sc.hide(true);
            for opt in OPTIONS.iter().filter(|o| o.heading == MEMORY) {
                sc = sc.arg(arg(opt));
            }
        }
        root = root.subcommand(sc);
    }
    for opt in OPTIONS
        .iter()
        .filter(|o| o.level == Level::Global && o.heading != MEMORY)
    {
        root = root.arg(arg(opt).global(true));
    }
    root
}

fn arg(opt: &super::options::Opt) -> Arg {
    let mut a = Arg::new(opt.long).long(opt.long);
    if let Some(short) = opt.short {
        a = a.short(short);
    }
    if let Some(heading) = opt.heading {
        a = a.help_heading(heading);
    }
    let mut help = opt.help.to_string();
    a = match opt.takes {
        Takes::Flag => a.action(ArgAction::SetTrue),
        Takes::One(name) => a.action(ArgAction::Set).value_name(name),
        Takes::Many(name) => {
            if let Some(env) = opt.env {
                help.push_str(&format!(" [env: {env}, one per line]"));
            }
            a.action(ArgAction::Append).value_name(name)
        }
    };
    if let (Some(env), false) = (opt.env, matches!(opt.takes, Takes::Many(_))) {
        a = a.env(env).hide_env_values(opt.secret);
    }
    if let Some(default) = opt.default {
        a = a.default_value(default);
    }
    if !opt.choices.is_empty() {
        // The help text names the choices; clap's list would say it twice.
        a = a
            .value_parser(PossibleValuesParser::new(opt.choices))
            .hide_possible_values(true);
    }
    a.help(help)
}

/// A subcommand's description and positional arguments.
fn subcommand(sub: Sub, schemes: &str) -> (&'static str, Vec<Arg>) {
    let required = |id: &'static str, name: &'static str, help: &'static str| {
        Arg::new(id).value_name(name).required(true).help(help)
    };
    match sub {
        Sub::Http => (
            "Healthy when URL answers with a status in --status",
            vec![required("url", "URL", "http:// or https:// URL")],
        ),
        Sub::Tcp => (
            "Healthy when HOST:PORT accepts a TCP connection",
            vec![required("address", "ADDRESS", "HOST:PORT, [IPv6]:PORT or tcp://HOST:PORT")],
        ),
        Sub::File => (
            "Healthy when the heartbeat file PATH exists and passes its checks",
            vec![required("path", "PATH", "The heartbeat file")],
        ),
        Sub::Wait => (
            "Waits until all TARGETs pass (--timeout, default 60s), then runs PROGRAM",
            vec![
                Arg::new("targets")
                    .value_name("TARGET")
                    .required(true)
                    .action(ArgAction::Append)
                    .help(format!("What to wait for: {schemes}")),
                Arg::new("program")
                    .value_name("PROGRAM")
                    .last(true)
                    .action(ArgAction::Append)
                    .help("The program to run once every target passes (after `--`)"),
            ],
        ),
        Sub::Grpc => (
            "Healthy when grpc.health.v1.Health/Check answers SERVING",
            vec![required("address", "ADDRESS", "HOST:PORT of the gRPC server")],
        ),
        Sub::Exec => (
            "Runs PROGRAM (no shell); healthy when it exits 0",
            vec![
                required(
                    "command",
                    "PROGRAM",
                    "The program and its arguments. Put `--` before it if an argument starts with `-`",
                )
                .action(ArgAction::Append)
                .trailing_var_arg(true)
                .allow_hyphen_values(true),
            ],
        ),
        Sub::History => (
            "Runs kept by --history; restarts, start-up",
            vec![
                Arg::new("targets")
                    .value_name("TARGET")
                    .action(ArgAction::Append)
                    .help("Only the check sets of these targets"),
            ],
        ),
    }
}
