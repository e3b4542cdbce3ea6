//! `--help`, built from the option table with clap's builder. clap is here
//! for its help layout only: building its tree costs some 750,000
//! instructions, paid only when help is asked for.

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, Command};

use super::options::{Level, MEMORY, OPTIONS, Sub, Takes};

const ABOUT: &str = "Container health check: one deadline, one line of output.";

/// The examples before the schemes' own.
const EXAMPLES_FIRST: &[&str] = &[
    "http://localhost:8080/health",
    "localhost:${PORT}/health     (no scheme: http; ${VAR} expanded)",
];

/// The examples after the schemes' own.
const EXAMPLES_LAST: &[&str] = &[
    "--body-json status=UP localhost:8080/actuator/health",
    "exec -- /app/check --deep",
    "wait postgres://db amqp://mq dns:db -- /app/server",
];

/// How every option's variable is named, said once (see [`variable_by_rule`]).
const ENV_RULE: &str = "\
Every option --some-name may be set as HEALTHPROBE_SOME_NAME instead (flags:
true or false; repeatable ones: one value per line).";

const DOCKERFILE: &str = "\
In a Dockerfile (exec form, no shell):
  HEALTHCHECK --interval=10s --timeout=5s CMD [\"/healthprobe\", \"--timeout\", \"3s\", \"http://localhost:8080/health\"]";

const EXIT_STATUS: &str = "\
Exit status: 0 healthy, 1 unhealthy or unable to check, 2 only with
--start-period while the container is starting.";

/// The variable an option has by the rule the help states once
/// (`--some-name`: `HEALTHPROBE_SOME_NAME`); only the others are listed with
/// their option. Listing each one cost 30 bytes an option of the 4,096.
pub fn variable_by_rule(long: &str) -> String {
    format!(
        "HEALTHPROBE_{}",
        long.to_ascii_uppercase().replace('-', "_")
    )
}

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
        "Examples:\n  healthprobe {}\n\n{DOCKERFILE}\n\n{ENV_RULE}\n\n{EXIT_STATUS}",
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
        let mut sc = Command::new(sub.name())
            .about(about)
            .after_help(ENV_RULE)
            .args(positionals);
        for opt in OPTIONS.iter().filter(|o| o.level == Level::Only(sub)) {
            sc = sc.arg(arg(opt));
        }
        // The options that remember runs are listed by `healthprobe
        // history --help`, not in the main help, which is near the 4 KiB a
        // runtime keeps; the main help names the subcommand.
        if sub == Sub::History {
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
    let env = opt.env.filter(|env| *env != variable_by_rule(opt.long));
    a = match opt.takes {
        Takes::Flag => a.action(ArgAction::SetTrue),
        Takes::One(name) => a.action(ArgAction::Set).value_name(name),
        Takes::Many(name) => {
            if let Some(env) = env {
                help.push_str(&format!(" [env: {env}, one per line]"));
            }
            a.action(ArgAction::Append).value_name(name)
        }
    };
    if let (Some(env), false) = (env, matches!(opt.takes, Takes::Many(_))) {
        // The value is not shown: a long one would push the help past 4 KiB.
        a = a.env(env).hide_env_values(true);
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
            sub.about(),
            vec![required("url", "URL", "http:// or https:// URL")],
        ),
        Sub::Tcp => (
            sub.about(),
            vec![required("address", "ADDRESS", "HOST:PORT, [IPv6]:PORT or tcp://HOST:PORT")],
        ),
        Sub::File => (
            sub.about(),
            vec![required("path", "PATH", "The heartbeat file")],
        ),
        Sub::Wait => (
            sub.about(),
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
            sub.about(),
            vec![required("address", "ADDRESS", "HOST:PORT of the gRPC server")],
        ),
        Sub::Serve => (
            sub.about(),
            vec![
                Arg::new("targets")
                    .value_name("TARGET")
                    .action(ArgAction::Append)
                    .help(format!("What to check: {schemes}. Default: $HEALTHPROBE_URL")),
            ],
        ),
        Sub::Exec => (
            sub.about(),
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
        Sub::Install => (
            sub.about(),
            vec![required("dir", "DIR", "Where to put it, e.g. an emptyDir volume")],
        ),
        Sub::History => (
            sub.about(),
            vec![
                Arg::new("targets")
                    .value_name("TARGET")
                    .action(ArgAction::Append)
                    .help("Only the check sets of these targets"),
            ],
        ),
    }
}
