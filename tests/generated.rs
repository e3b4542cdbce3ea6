//! The man page, the shell completions and the option list of
//! docs/options.md are generated from the option table (`src/cli/options.rs`)
//! and the scheme table (`src/probe/schemes.rs`), here, and checked in:
//!
//! - `docs/man/healthprobe.1`
//! - `docs/completions/healthprobe.bash`, `_healthprobe` (zsh), `healthprobe.fish`
//! - the part of `docs/options.md` between its `generated` markers
//!
//! Why a test and not code in the probe, an `xtask` or an `examples/`
//! program: the probe does not grow by a byte (the renderers link only
//! into this test), `cargo test` (what CI and every contributor run)
//! fails with a diff as soon as a row changes without its files, and no
//! second command has to be remembered. `HEALTHPROBE_REGENERATE=1 cargo test
//! --test generated` rewrites them. `scripts/release.sh` copies them into
//! dist/ beside the binaries (dist/ is rebuilt from scratch by each release,
//! so nothing generated lives there).
//!
//! The tools check what they read: `groff -ww -man` renders the page without
//! a warning, `bash -n`, `zsh -n` and `fish -n` accept the completions, and
//! bash completes `healthprobe --tim` to `--timeout` and `healthprobe re` to
//! `redis://` (fish and an interactive zsh on a pseudo-terminal likewise).

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::require;
use healthprobe::cli::options::{Level, OPTIONS, Opt, Sub, Takes};
use healthprobe::probe::schemes::SCHEMES;

/// `-h`/`--help` and `-V`/`--version` are the parser's own (src/cli/parse.rs), not rows.
const BUILT_IN: [(char, &str, &str); 2] = [
    ('h', "help", "Print the help (of the subcommand it follows)"),
    ('V', "version", "Print the version"),
];

/// What each subcommand takes, and what it does (the table's words).
fn sub_usage(sub: Sub) -> (&'static str, &'static str) {
    (sub.operands(), sub.about())
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The options listed under one heading, in the table's order: the global
/// ones by their help heading, then each subcommand's.
fn sections() -> Vec<(String, Vec<&'static Opt>)> {
    let mut out: Vec<(String, Vec<&'static Opt>)> = Vec::new();
    for opt in &OPTIONS {
        let title = match (opt.level, opt.heading) {
            (Level::Global, None) => "Options".to_string(),
            (Level::Global, Some(h)) => format!("{h} options"),
            (Level::Only(sub), _) => format!("Options of `{}`", sub.name()),
        };
        match out.iter_mut().find(|(t, _)| *t == title) {
            Some((_, opts)) => opts.push(opt),
            None => out.push((title, vec![opt])),
        }
    }
    out
}

/// The schemes as the help lists them: not the aliases; each with the
/// probe that runs it and its default port.
fn schemes() -> Vec<(String, &'static str, u16, bool)> {
    SCHEMES
        .iter()
        .filter(|r| !r.alias)
        .map(|r| {
            let name = match r.scheme.opaque {
                true => format!("{}:", r.scheme.name),
                false => format!("{}://", r.scheme.name),
            };
            (name, r.probe, r.scheme.default_port, r.scheme.tls)
        })
        .collect()
}

/// Every spelling a target may start with (aliases too), for completion.
fn scheme_words() -> Vec<String> {
    SCHEMES
        .iter()
        .map(|r| match r.scheme.opaque {
            true => format!("{}:", r.scheme.name),
            false => format!("{}://", r.scheme.name),
        })
        .collect()
}

fn value_name(opt: &Opt) -> Option<&'static str> {
    match opt.takes {
        Takes::Flag => None,
        Takes::One(v) | Takes::Many(v) => Some(v),
    }
}

/// Whether the value is a path to complete as a file name.
fn is_path(opt: &Opt) -> bool {
    matches!(value_name(opt), Some("FILE" | "PATH"))
}

// ---------------------------------------------------------------- Markdown

const BEGIN: &str = "<!-- generated from the option and scheme tables by tests/generated.rs: do not edit by hand -->";
const END: &str = "<!-- end of the generated part -->";

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn markdown() -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{BEGIN}\n");
    out.push_str("## Synopsis\n\n```text\n");
    out.push_str("healthprobe [OPTIONS] TARGET...\n");
    for sub in Sub::ALL {
        let _ = writeln!(
            out,
            "healthprobe [OPTIONS] {} {}",
            sub.name(),
            sub_usage(sub).0
        );
    }
    out.push_str("```\n\n");
    out.push_str(
        "A target without a scheme is http. Options may stand before or after the \
         subcommand, except those listed under one subcommand, which follow it. \
         `-h`/`--help` prints the help (of the subcommand it follows), \
         `-V`/`--version` the version.\n\n",
    );
    for (title, opts) in sections() {
        let _ = writeln!(out, "## {title}\n");
        out.push_str("| option | variable | value | what it does |\n| --- | --- | --- | --- |\n");
        for opt in opts {
            let name = match opt.short {
                Some(c) => format!("`-{c}`, `--{}`", opt.long),
                None => format!("`--{}`", opt.long),
            };
            let mut value = match opt.takes {
                Takes::Flag => "flag".to_string(),
                Takes::One(v) => format!("`{v}`"),
                Takes::Many(v) => format!("`{v}`, repeatable"),
            };
            if !opt.choices.is_empty() {
                let _ = write!(value, ": {}", opt.choices.join(", "));
            }
            if let Some(d) = opt.default {
                let _ = write!(value, " (default `{d}`)");
            }
            let var = opt.env.map_or(String::new(), |v| format!("`{v}`"));
            let _ = writeln!(
                out,
                "| {name} | {var} | {} | {} |",
                cell(&value),
                cell(opt.help)
            );
        }
        out.push('\n');
    }
    out.push_str("## Targets\n\n");
    out.push_str("| scheme | checked by | default port | TLS from the first byte |\n| --- | --- | --- | --- |\n");
    for (name, probe, port, tls) in schemes() {
        let port = match port {
            0 => "none: give one".to_string(),
            p => p.to_string(),
        };
        let tls = if tls { "yes" } else { "" };
        let _ = writeln!(out, "| `{name}` | {probe} | {port} | {tls} |");
    }
    let aliases: Vec<String> = SCHEMES
        .iter()
        .filter(|r| r.alias)
        .map(|r| format!("`{}://`", r.scheme.name))
        .collect();
    if !aliases.is_empty() {
        let _ = writeln!(out, "\nAlso accepted: {}.", aliases.join(", "));
    }
    let _ = write!(out, "\n{END}\n");
    out
}

/// docs/options.md with its generated part replaced by `generated`.
fn options_page(current: &str, generated: &str) -> String {
    match (current.find(BEGIN), current.find(END)) {
        (Some(b), Some(e)) if b < e => {
            format!(
                "{}{generated}{}",
                &current[..b],
                &current[e + END.len() + 1..]
            )
        }
        _ => panic!("docs/options.md has lost its generated markers ({BEGIN})"),
    }
}

// ---------------------------------------------------------------- man page

/// Text as roff reads it: backslashes and hyphens escaped, no line
/// starting with a control character.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    match escaped.starts_with(['.', '\'']) {
        true => format!("\\&{escaped}"),
        false => escaped,
    }
}

fn man() -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut out = String::new();
    out.push_str(
        ".\\\" Generated from the option and scheme tables by tests/generated.rs: do not edit.\n",
    );
    let _ = writeln!(
        out,
        ".TH HEALTHPROBE 1 \"\" \"healthprobe {version}\" \"User Commands\""
    );
    // No hyphenation: HEALTHPROBE_TIMEOUT is a name to copy whole.
    out.push_str(".nh\n.ad l\n");
    out.push_str(
        ".SH NAME\nhealthprobe \\- container health checks under one deadline, in one line\n",
    );
    out.push_str(".SH SYNOPSIS\n.B healthprobe\n[\\fIOPTIONS\\fR] \\fITARGET\\fR...\n");
    for sub in Sub::ALL {
        let _ = writeln!(
            out,
            ".br\n.B healthprobe\n[\\fIOPTIONS\\fR] \\fB{}\\fR \\fI{}\\fR",
            sub.name(),
            roff(sub_usage(sub).0)
        );
    }
    out.push_str(".SH DESCRIPTION\n");
    out.push_str(&roff(
        "healthprobe checks HTTP(S) endpoints, TCP ports, gRPC health services, the \
         readiness of databases and brokers, DNS names, heartbeat files and programs \
         under one deadline, prints one line that says what was checked and what is \
         wrong, and exits 0 when healthy, 1 when not (or when the command line is \
         wrong), and 2 only with --start-period while the container starts.",
    ));
    out.push_str("\n.PP\n");
    out.push_str(&roff(
        "Several targets are checked at once; the run is healthy only if every one is. \
         A target without a scheme is http, as curl reads it.",
    ));
    out.push('\n');
    out.push_str(".SH TARGETS\n");
    for (name, probe, port, tls) in schemes() {
        let _ = writeln!(out, ".TP\n.B {}", roff(&name));
        let port = match port {
            0 => "no default port".to_string(),
            p => format!("default port {p}"),
        };
        let tls = if tls { "; TLS from the first byte" } else { "" };
        let _ = writeln!(out, "{}", roff(&format!("checked by {probe}; {port}{tls}")));
    }
    out.push_str(".SH COMMANDS\n");
    for sub in Sub::ALL {
        let (args, what) = sub_usage(sub);
        let _ = writeln!(
            out,
            ".TP\n\\fB{}\\fR \\fI{}\\fR\n{}",
            sub.name(),
            roff(args),
            roff(what)
        );
    }
    for (title, opts) in sections() {
        match title.as_str() {
            "Options" => out.push_str(".SH OPTIONS\n"),
            t => {
                let _ = writeln!(out, ".SS {}", roff(&t.replace('`', "")));
            }
        }
        for opt in opts {
            out.push_str(".TP\n");
            if let Some(c) = opt.short {
                let _ = write!(out, "\\fB\\-{}\\fR, ", roff(&c.to_string()));
            }
            let _ = write!(out, "\\fB\\-\\-{}\\fR", roff(opt.long));
            if let Some(v) = value_name(opt) {
                let _ = write!(out, " \\fI{}\\fR", roff(v));
            }
            out.push('\n');
            let mut text = opt.help.to_string();
            if let Takes::Many(_) = opt.takes {
                text.push_str(". May be given more than once");
            }
            if !opt.choices.is_empty() {
                let _ = write!(text, ". One of: {}", opt.choices.join(", "));
            }
            if let Some(d) = opt.default {
                let _ = write!(text, ". Default: {d}");
            }
            if let Some(var) = opt.env {
                let _ = write!(text, ". Variable: {var}");
            }
            let _ = writeln!(out, "{}.", roff(&text));
        }
        if title == "Options" {
            for (c, long, help) in BUILT_IN {
                let _ = writeln!(
                    out,
                    ".TP\n\\fB\\-{c}\\fR, \\fB\\-\\-{long}\\fR\n{}.",
                    roff(help)
                );
            }
        }
    }
    // The help's examples, from the scheme table.
    out.push_str(".SH EXAMPLES\n");
    for example in healthprobe::probe::schemes::examples() {
        let _ = writeln!(out, ".PP\n.nf\nhealthprobe {}\n.fi", roff(example));
    }
    out.push_str(".SH ENVIRONMENT\n");
    out.push_str(&roff(
        "Every option can be set as its HEALTHPROBE_* variable, listed with it above, and \
         the targets as HEALTHPROBE_URL (separated by spaces) when none are given. A flag \
         wins over its variable; an empty variable counts as unset; flags take true or \
         false. Proxy variables (HTTP_PROXY and the like) are ignored.",
    ));
    out.push_str("\n.SH EXIT STATUS\n.TP\n0\nEvery check passed.\n.TP\n1\n");
    out.push_str(&roff(
        "A check failed, or the probe could not run it (a usage error); the line says which.",
    ));
    out.push_str("\n.TP\n2\n");
    out.push_str(&roff(
        "Only with --start-period: a check failed while the container is younger than its value.",
    ));
    out.push_str("\n.SH SEE ALSO\n");
    out.push_str(&roff(
        "The manual: README.md and docs/ in the source (checks, options, output and exit \
         codes, recipes, security, limits).",
    ));
    out.push('\n');
    out
}

// ---------------------------------------------------------------- bash

fn bash() -> String {
    let mut out = String::new();
    out.push_str("# bash completion for healthprobe.\n");
    out.push_str(
        "# Generated from the option and scheme tables by tests/generated.rs: do not edit.\n\n",
    );
    out.push_str("_healthprobe() {\n");
    out.push_str("    local cur prev i sub=\"\"\n");
    out.push_str("    cur=${COMP_WORDS[COMP_CWORD]}\n    prev=${COMP_WORDS[COMP_CWORD-1]}\n");
    out.push_str("    # With bash-completion, a word holding ':' (redis://) stays one word.\n");
    out.push_str(
        "    if declare -F _get_comp_words_by_ref >/dev/null; then\n        _get_comp_words_by_ref -n : cur prev\n    fi\n",
    );
    let subs: Vec<&str> = Sub::ALL.iter().map(|s| s.name()).collect();
    out.push_str("    for ((i = 1; i < COMP_CWORD; i++)); do\n        case ${COMP_WORDS[i]} in\n");
    let _ = writeln!(
        out,
        "            {}) [[ -z $sub ]] && sub=${{COMP_WORDS[i]}} ;;",
        subs.join("|")
    );
    out.push_str("            --)\n                if [[ $sub == exec || $sub == wait ]]; then\n");
    out.push_str("                    COMPREPLY=($(compgen -c -- \"$cur\"))\n                    return\n                fi\n                ;;\n");
    out.push_str("        esac\n    done\n");
    // Options that take a value: complete the value.
    out.push_str("    case $prev in\n");
    let paths: Vec<String> = OPTIONS
        .iter()
        .filter(|o| is_path(o))
        .map(|o| format!("--{}", o.long))
        .collect();
    let _ = writeln!(
        out,
        "        {})\n            COMPREPLY=($(compgen -f -- \"$cur\"))\n            return\n            ;;",
        paths.join("|")
    );
    for opt in OPTIONS.iter().filter(|o| !o.choices.is_empty()) {
        let _ = writeln!(
            out,
            "        --{})\n            COMPREPLY=($(compgen -W \"{}\" -- \"$cur\"))\n            return\n            ;;",
            opt.long,
            opt.choices.join(" ")
        );
    }
    let valued: Vec<String> = OPTIONS
        .iter()
        .filter(|o| value_name(o).is_some() && !is_path(o) && o.choices.is_empty())
        .flat_map(|o| {
            let mut names = vec![format!("--{}", o.long)];
            names.extend(o.short.map(|c| format!("-{c}")));
            names
        })
        .collect();
    let _ = writeln!(
        out,
        "        {})\n            return\n            ;;",
        valued.join("|")
    );
    out.push_str("    esac\n");
    let globals: Vec<String> = OPTIONS
        .iter()
        .filter(|o| o.level == Level::Global)
        .flat_map(|o| {
            let mut names: Vec<String> = o.short.map(|c| format!("-{c}")).into_iter().collect();
            names.push(format!("--{}", o.long));
            names
        })
        .chain(
            BUILT_IN
                .iter()
                .flat_map(|(c, l, _)| [format!("-{c}"), format!("--{l}")]),
        )
        .collect();
    let _ = writeln!(out, "    local opts=\"{}\"", globals.join(" "));
    out.push_str("    case $sub in\n");
    for sub in Sub::ALL {
        let own: Vec<String> = OPTIONS
            .iter()
            .filter(|o| o.level == Level::Only(sub))
            .map(|o| format!("--{}", o.long))
            .collect();
        if !own.is_empty() {
            let _ = writeln!(
                out,
                "        {}) opts=\"$opts {}\" ;;",
                sub.name(),
                own.join(" ")
            );
        }
    }
    out.push_str("    esac\n");
    out.push_str("    if [[ $cur == -* ]]; then\n        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n        return\n    fi\n");
    let _ = writeln!(out, "    local schemes=\"{}\"", scheme_words().join(" "));
    out.push_str("    case $sub in\n");
    out.push_str("        \"\") COMPREPLY=($(compgen -W \"");
    out.push_str(&subs.join(" "));
    out.push_str(" $schemes\" -- \"$cur\")) ;;\n");
    out.push_str("        file) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n");
    out.push_str("        exec) COMPREPLY=($(compgen -c -- \"$cur\")) ;;\n");
    out.push_str("        *) COMPREPLY=($(compgen -W \"$schemes\" -- \"$cur\")) ;;\n");
    out.push_str("    esac\n");
    out.push_str("    # A scheme is the start of a target: no space after it.\n");
    out.push_str("    if [[ ${COMPREPLY[*]} == *: || ${COMPREPLY[*]} == *:/ || ${COMPREPLY[*]} == *:// ]]; then\n");
    out.push_str("        compopt -o nospace 2>/dev/null\n    fi\n");
    out.push_str("    if declare -F __ltrim_colon_completions >/dev/null; then\n        __ltrim_colon_completions \"$cur\"\n    fi\n");
    out.push_str("}\ncomplete -F _healthprobe healthprobe\n");
    out
}

// ---------------------------------------------------------------- zsh

/// Text inside a zsh `_arguments` spec's `[...]`, in single quotes.
fn zsh_help(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace(':', "\\:")
        .replace('\'', "'\\''")
}

fn zsh_spec(opt: &Opt) -> String {
    let help = zsh_help(opt.help);
    let action = match (value_name(opt), opt.choices.is_empty()) {
        (None, _) => String::new(),
        (Some(v), false) => format!(":{v}:({})", opt.choices.join(" ")),
        (Some(v), true) if is_path(opt) => format!(":{v}:_files"),
        (Some(v), true) => format!(":{v}: "),
    };
    let many = matches!(opt.takes, Takes::Many(_));
    let takes = value_name(opt).is_some();
    let long = match takes {
        true => format!("--{}=", opt.long),
        false => format!("--{}", opt.long),
    };
    match opt.short {
        Some(c) => {
            let short = match takes {
                true => format!("-{c}+"),
                false => format!("-{c}"),
            };
            let prefix = match many {
                true => "'*'".to_string(),
                false => format!("'(-{c} --{})'", opt.long),
            };
            format!("{prefix}{{{short},{long}}}'[{help}]{action}'")
        }
        None => {
            let star = if many { "*" } else { "" };
            format!("'{star}{long}[{help}]{action}'")
        }
    }
}

fn zsh() -> String {
    let mut out = String::new();
    out.push_str("#compdef healthprobe\n");
    out.push_str("# zsh completion for healthprobe.\n");
    out.push_str(
        "# Generated from the option and scheme tables by tests/generated.rs: do not edit.\n\n",
    );
    out.push_str("local -a args\nlocal dd=${words[(I)--]}\n");
    out.push_str("# After exec's or wait's --: the program and its arguments.\n");
    out.push_str(
        "if (( dd > 1 && CURRENT > dd )) && (( ${words[(I)exec]} || ${words[(I)wait]} )); then\n",
    );
    out.push_str("  shift $dd words\n  (( CURRENT -= dd ))\n  _normal\n  return\nfi\n");
    out.push_str("args=(\n");
    for opt in OPTIONS.iter().filter(|o| o.level == Level::Global) {
        let _ = writeln!(out, "  {}", zsh_spec(opt));
    }
    for (c, long, help) in BUILT_IN {
        let _ = writeln!(
            out,
            "  '(-{c} --{long})'{{-{c},--{long}}}'[{}]'",
            zsh_help(help)
        );
    }
    out.push_str(")\n");
    for sub in Sub::ALL {
        let own: Vec<String> = OPTIONS
            .iter()
            .filter(|o| o.level == Level::Only(sub))
            .map(zsh_spec)
            .collect();
        if !own.is_empty() {
            let _ = writeln!(
                out,
                "(( ${{words[(I){}]}} )) && args+=(\n  {}\n)",
                sub.name(),
                own.join("\n  ")
            );
        }
    }
    out.push_str("_arguments -s -S $args '*:target:->target' && return\n");
    out.push_str("case $state in\n  target)\n");
    let subs: Vec<&str> = Sub::ALL.iter().map(|s| s.name()).collect();
    let _ = writeln!(
        out,
        "    (( ${{words[(I)({})]}} )) || compadd -- {}",
        subs.join("|"),
        subs.join(" ")
    );
    let _ = writeln!(out, "    compadd -S '' -- {}", scheme_words().join(" "));
    out.push_str("    ;;\nesac\n");
    out
}

// ---------------------------------------------------------------- fish

fn fish_quote(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn fish() -> String {
    let mut out = String::new();
    out.push_str("# fish completion for healthprobe.\n");
    out.push_str(
        "# Generated from the option and scheme tables by tests/generated.rs: do not edit.\n\n",
    );
    out.push_str("complete -c healthprobe -f\n");
    let subs: Vec<&str> = Sub::ALL.iter().map(|s| s.name()).collect();
    let seen = format!("__fish_seen_subcommand_from {}", subs.join(" "));
    for sub in Sub::ALL {
        let _ = writeln!(
            out,
            "complete -c healthprobe -n {} -a {} -d {}",
            fish_quote(&format!("not {seen}")),
            sub.name(),
            fish_quote(sub_usage(sub).1)
        );
    }
    for (name, probe, _, _) in schemes() {
        let _ = writeln!(
            out,
            "complete -c healthprobe -n {} -a {} -d {}",
            fish_quote("not __fish_seen_subcommand_from file exec"),
            fish_quote(&name),
            fish_quote(&format!("a {probe} check"))
        );
    }
    for opt in &OPTIONS {
        let mut line = String::from("complete -c healthprobe");
        if let Level::Only(sub) = opt.level {
            let _ = write!(
                line,
                " -n {}",
                fish_quote(&format!("__fish_seen_subcommand_from {}", sub.name()))
            );
        }
        if let Some(c) = opt.short {
            let _ = write!(line, " -s {c}");
        }
        let _ = write!(line, " -l {}", opt.long);
        match (value_name(opt), opt.choices.is_empty()) {
            (None, _) => {}
            (Some(_), false) => {
                let _ = write!(line, " -x -a {}", fish_quote(&opt.choices.join(" ")));
            }
            (Some(_), true) if is_path(opt) => line.push_str(" -r -F"),
            (Some(_), true) => line.push_str(" -x"),
        }
        let _ = writeln!(line, " -d {}", fish_quote(opt.help));
        out.push_str(&line);
    }
    for (c, long, help) in BUILT_IN {
        let _ = writeln!(
            out,
            "complete -c healthprobe -s {c} -l {long} -d {}",
            fish_quote(help)
        );
    }
    out.push_str("complete -c healthprobe -n '__fish_seen_subcommand_from file' -F\n");
    out.push_str("complete -c healthprobe -n '__fish_seen_subcommand_from exec' -a '(__fish_complete_subcommand)'\n");
    out
}

// ---------------------------------------------------------------- the check

/// The files and what they should hold.
fn generated() -> Vec<(PathBuf, String)> {
    let root = root();
    let options = root.join("docs/options.md");
    let current = std::fs::read_to_string(&options).unwrap_or_else(|e| panic!("{options:?}: {e}"));
    vec![
        (options_page(&current, &markdown()), options),
        (man(), root.join("docs/man/healthprobe.1")),
        (bash(), root.join("docs/completions/healthprobe.bash")),
        (zsh(), root.join("docs/completions/_healthprobe")),
        (fish(), root.join("docs/completions/healthprobe.fish")),
    ]
    .into_iter()
    .map(|(text, path)| (path, text))
    .collect()
}

/// The first lines where `want` and `have` differ, as a short diff.
fn diff(want: &str, have: &str) -> String {
    let want: Vec<&str> = want.lines().collect();
    let have: Vec<&str> = have.lines().collect();
    let mut out = String::new();
    let mut shown = 0;
    for i in 0..want.len().max(have.len()) {
        let (w, h) = (want.get(i), have.get(i));
        if w != h {
            let _ = writeln!(out, "line {}:", i + 1);
            if let Some(h) = h {
                let _ = writeln!(out, "- {h}");
            }
            if let Some(w) = w {
                let _ = writeln!(out, "+ {w}");
            }
            shown += 1;
            if shown == 8 {
                out.push_str("...\n");
                break;
            }
        }
    }
    out
}

#[test]
fn the_generated_files_are_current() {
    let regenerate = std::env::var_os("HEALTHPROBE_REGENERATE").is_some_and(|v| v == "1");
    let mut stale = Vec::new();
    for (path, want) in generated() {
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have == want {
            continue;
        }
        if regenerate {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{dir:?}: {e}"));
            }
            std::fs::write(&path, &want).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            eprintln!("rewrote {}", path.display());
        } else {
            stale.push(format!("{}:\n{}", path.display(), diff(&want, &have)));
        }
    }
    assert!(
        stale.is_empty(),
        "out of date (HEALTHPROBE_REGENERATE=1 cargo test --test generated rewrites them):\n{}",
        stale.join("\n")
    );
}

#[test]
fn every_option_and_scheme_is_in_each_file() {
    for (path, text) in generated() {
        for opt in &OPTIONS {
            let long = format!("--{}", opt.long);
            let as_roff = format!("\\-\\-{}", opt.long.replace('-', "\\-"));
            let fish = format!("-l {}", opt.long);
            assert!(
                text.contains(&long) || text.contains(&as_roff) || text.contains(&fish),
                "{}: no {long}",
                path.display()
            );
        }
        for (name, ..) in schemes() {
            let as_roff = name.replace('-', "\\-");
            assert!(
                text.contains(&name) || text.contains(&as_roff),
                "{}: no {name}",
                path.display()
            );
        }
    }
}

fn tool(name: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn file(relative: &str) -> String {
    root().join(relative).display().to_string()
}

#[test]
#[ignore = "needs groff (apt); CI runs it"]
fn groff_renders_the_man_page_without_a_warning() {
    require(tool("groff"), "groff (apt groff)");
    let page = file("docs/man/healthprobe.1");
    // As the issue asks (PostScript, the default device), then as man shows it.
    for device in [None, Some("-Tascii")] {
        let mut args = vec!["-ww", "-man"];
        if let Some(device) = device {
            args.extend([device, "-P-cbou"]);
        }
        args.push(&page);
        let out = Command::new("groff")
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("groff: {e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "groff {args:?}: {stderr}"
        );
        if device.is_some() {
            // What groff made of the escapes: the options as a reader types them.
            let text = String::from_utf8_lossy(&out.stdout);
            for word in [
                "--timeout DURATION",
                "HEALTHPROBE_TIMEOUT",
                "redis://",
                "EXIT STATUS",
            ] {
                assert!(text.contains(word), "no {word} in:\n{text}");
            }
        }
    }
}

#[test]
#[ignore = "needs zsh and fish (apt); CI runs it"]
fn the_shells_accept_their_completions() {
    for (shell, path) in [
        ("bash", "docs/completions/healthprobe.bash"),
        ("zsh", "docs/completions/_healthprobe"),
        ("fish", "docs/completions/healthprobe.fish"),
    ] {
        require(tool(shell), &format!("{shell} (apt {shell})"));
        let out = Command::new(shell)
            .args(["-n", &file(path)])
            .output()
            .unwrap_or_else(|e| panic!("{shell}: {e}"));
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{shell} -n {path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// What bash's completion offers for the words of `line` (the last one
/// being completed), with bash-completion's helpers loaded when
/// `with_library`.
fn bash_completes(line: &[&str], with_library: bool) -> Vec<String> {
    let library = "/usr/share/bash-completion/bash_completion";
    let words: Vec<String> = line.iter().map(|w| format!("'{w}'")).collect();
    let script = format!(
        "{load}source '{file}'\nCOMP_WORDS=({words})\nCOMP_CWORD={cword}\nCOMP_LINE='{joined}'\nCOMP_POINT=${{#COMP_LINE}}\n_healthprobe\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        load = if with_library {
            format!("source {library}\n")
        } else {
            String::new()
        },
        file = file("docs/completions/healthprobe.bash"),
        words = words.join(" "),
        cword = line.len() - 1,
        joined = line.join(" "),
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &script])
        .output()
        .unwrap_or_else(|e| panic!("bash: {e}"));
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completes_options_and_schemes() {
    assert_eq!(
        bash_completes(&["healthprobe", "--tim"], false),
        ["--timeout"]
    );
    let re = bash_completes(&["healthprobe", "re"], false);
    assert!(re.contains(&"redis://".to_string()), "{re:?}");
    assert!(re.iter().all(|w| w.starts_with("re")), "{re:?}");
    // A subcommand's own options after it, not before.
    assert_eq!(
        bash_completes(&["healthprobe", "file", "/tmp/x", "--max-a"], false),
        ["--max-age"]
    );
    assert!(bash_completes(&["healthprobe", "--max-a"], false).is_empty());
    assert_eq!(
        bash_completes(&["healthprobe", "--exit-codes", "co"], false),
        ["consul"]
    );
}

#[test]
#[ignore = "needs bash-completion (apt); CI runs it"]
fn bash_completes_with_bash_completion_loaded() {
    let library = Path::new("/usr/share/bash-completion/bash_completion");
    require(library.exists(), "bash-completion (apt bash-completion)");
    assert_eq!(
        bash_completes(&["healthprobe", "--tim"], true),
        ["--timeout"]
    );
    let re = bash_completes(&["healthprobe", "re"], true);
    assert!(re.contains(&"redis://".to_string()), "{re:?}");
}

#[test]
#[ignore = "needs fish (apt); CI runs it"]
fn fish_completes_options_and_schemes() {
    require(tool("fish"), "fish (apt fish)");
    let script = format!(
        "source '{}'; complete -C 'healthprobe --tim'; complete -C 'healthprobe re'",
        file("docs/completions/healthprobe.fish")
    );
    let out = Command::new("fish")
        .args(["--no-config", "-c", &script])
        .output()
        .unwrap_or_else(|e| panic!("fish: {e}"));
    let words: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split('\t').next().map(String::from))
        .collect();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(words, ["--timeout", "redis://", "rediss://"]);
}

/// What zsh shows after Tab at the end of `line`, in an interactive zsh
/// (on a pseudo-terminal, zpty) with compinit and our completion loaded.
fn zsh_completes(line: &str) -> String {
    const SCRIPT: &str = r#"
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='> '; fpath=($1 \$fpath); autoload -U compinit; compinit -u -D; bindkey '^I' complete-word"
zpty -w z "$2"$'\t'
sleep 1
out=""
while zpty -r -t z chunk; do out+=$chunk; done
print -r -- "$out"
zpty -d z
"#;
    let out = Command::new("zsh")
        .args(["-f", "-c", SCRIPT, "zsh", &file("docs/completions"), line])
        .output()
        .unwrap_or_else(|e| panic!("zsh: {e}"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
#[ignore = "needs zsh (apt); CI runs it"]
fn zsh_completes_options_and_schemes() {
    require(tool("zsh"), "zsh (apt zsh)");
    for (typed, shown) in [
        ("healthprobe --tim", "healthprobe --timeout"),
        ("healthprobe mysq", "healthprobe mysql://"),
        (
            "healthprobe file /x --max-a",
            "healthprobe file /x --max-age",
        ),
        (
            "healthprobe --exit-codes co",
            "healthprobe --exit-codes consul",
        ),
    ] {
        let out = zsh_completes(typed);
        assert!(out.contains(shown), "{typed:?}: no {shown:?} in {out:?}");
    }
}
