//! Two spellings of one request, for the differential test
//! (tests/cli_fast.rs) and the fuzz target (fuzz/fuzz_targets/cli.rs): a
//! request (options, a subcommand, its arguments, variables) is written out
//! plainly (`--long=value`, every global option before the subcommand) and
//! again driven by `choices`: short forms, clusters (`-kq`, `-kvXGET`),
//! attached and separate values, global options moved after the
//! subcommand, variables for options the command line then leaves out, and
//! noise the rules say must not matter (a variable for an option also
//! given as a flag; an empty variable). Both must read the same.

use healthprobe::cli::{Env, Groups, OPTIONS, Parsed, Sub, options::Level, options::Takes};

/// Values the options get: valid for some, wrong for others.
pub const VALUES: &[&str] = &[
    "2s",
    "0s",
    "soon",
    "200",
    "200-299",
    "X-A: 1",
    "X-B: 2",
    "a=1",
    "status=UP",
    "docker",
    "consul",
    "GET",
    "post",
    "/tmp/x",
    "u:p",
    "h.example",
    "",
    "UP",
    "true",
    "false",
    "-1",
];
/// Arguments for the subcommands and the bare targets.
pub const TARGETS: &[&str] = &[
    "http://127.0.0.1:8080/health",
    "tcp://127.0.0.1:5432",
    "127.0.0.1:5432",
    "redis://127.0.0.1:6379",
    "grpc://127.0.0.1:50051/db",
    "postgres://db:5432",
    "https://a.example/",
];

/// A request, as chosen by the fuzzer or a test.
#[derive(Debug, Clone)]
pub struct Request {
    /// Option (index into OPTIONS) and value ("true" for a flag).
    pub opts: Vec<(usize, String)>,
    pub sub: Option<Sub>,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

pub type Spelling = (Vec<String>, Vec<(String, String)>);

/// The plain spelling.
pub fn plain(r: &Request) -> Spelling {
    let mut before = Vec::new();
    let mut after = Vec::new();
    for (i, v) in &r.opts {
        let o = &OPTIONS[*i];
        let token = match o.takes {
            Takes::Flag => format!("--{}", o.long),
            _ => format!("--{}={v}", o.long),
        };
        match o.level {
            Level::Global => before.push(token),
            Level::Only(_) => after.push(token),
        }
    }
    (assemble(r, before, after), r.env.clone())
}

/// Another spelling, its forms picked by `choices`; `uses` are the option
/// groups the request's checks read (variables of others are not read).
pub fn varied(r: &Request, choices: &mut impl Iterator<Item = u8>, uses: Groups) -> Spelling {
    let mut pick = |n: u8| choices.next().map_or(0, |c| c % n);
    let mut env = r.env.clone();
    // Moving --quiet to a variable while --verbose is anywhere (or the
    // reverse; likewise -4 and -6) changes which wins: the rules say so, so
    // it is not a respelling.
    let both = |pair: [&str; 2]| {
        pair.iter().all(|l| {
            r.opts.iter().any(|(i, _)| OPTIONS[*i].long == *l)
                || r.env
                    .iter()
                    .any(|(k, _)| k.ends_with(&l.to_ascii_uppercase()))
        })
    };
    let quiet_and_verbose = both(["quiet", "verbose"]);
    let ipv4_and_ipv6 = both(["ipv4", "ipv6"]);
    let split = pick(u8::try_from(r.opts.len() + 1).unwrap_or(u8::MAX)) as usize;
    let (mut before, mut after): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    // A pending cluster of short flags, e.g. "-kq".
    let mut cluster = String::new();
    let mut given = Vec::new();
    for (n, (i, v)) in r.opts.iter().enumerate() {
        let o = &OPTIONS[*i];
        let side_after = matches!(o.level, Level::Only(_)) || (n >= split && r.sub.is_some());
        let once = r.opts.iter().filter(|(j, _)| j == i).count() == 1;
        let to_env = o.env.is_some()
            && once
            && !v.is_empty()
            && uses.has(o.group)
            && !(quiet_and_verbose && matches!(o.long, "quiet" | "verbose"))
            && !(ipv4_and_ipv6 && matches!(o.long, "ipv4" | "ipv6"))
            && !env.iter().any(|(k, _)| Some(k.as_str()) == o.env);
        if to_env && pick(4) == 0 {
            env.push((o.env.unwrap_or_default().to_string(), v.clone()));
            continue;
        }
        given.push(*i);
        let out = if side_after { &mut after } else { &mut before };
        let short = o.short.filter(|_| pick(2) == 0);
        let tokens: Vec<String> = match (o.takes, short) {
            (Takes::Flag, Some(c)) => {
                cluster.push(c);
                if pick(2) == 0 {
                    continue;
                }
                vec![format!("-{}", std::mem::take(&mut cluster))]
            }
            (Takes::Flag, None) => vec![format!("--{}", o.long)],
            (_, Some(c)) if !v.is_empty() && pick(2) == 0 => {
                let eq = if pick(2) == 0 { "=" } else { "" };
                vec![format!("-{}{c}{eq}{v}", std::mem::take(&mut cluster))]
            }
            (_, Some(c)) if !v.starts_with('-') => {
                vec![format!("-{}{c}", std::mem::take(&mut cluster)), v.clone()]
            }
            (_, None) if !v.starts_with('-') && pick(2) == 0 => {
                vec![format!("--{}", o.long), v.clone()]
            }
            _ => vec![format!("--{}={v}", o.long)],
        };
        if !cluster.is_empty() {
            out.push(format!("-{}", std::mem::take(&mut cluster)));
        }
        out.extend(tokens);
    }
    if !cluster.is_empty() {
        let last_after = r
            .opts
            .last()
            .is_some_and(|(i, _)| matches!(OPTIONS[*i].level, Level::Only(_)))
            || (split < r.opts.len() && r.sub.is_some());
        let out = if last_after { &mut after } else { &mut before };
        out.push(format!("-{cluster}"));
    }
    // Noise: a variable for an option the command line gives (it wins), and
    // an empty variable for one it does not (empty means unset).
    if let Some(&i) = given.get(pick(8) as usize)
        && let Some(name) = OPTIONS[i].env
        && !env.iter().any(|(k, _)| k == name)
    {
        env.push((name.to_string(), "nonsense".to_string()));
    }
    let unset = OPTIONS[pick(OPTIONS.len() as u8) as usize].env;
    if let Some(name) = unset
        && !env.iter().any(|(k, _)| k == name)
    {
        env.push((name.to_string(), String::new()));
    }
    (assemble(r, before, after), env)
}

fn assemble(r: &Request, before: Vec<String>, after: Vec<String>) -> Vec<String> {
    let mut args = before;
    match r.sub {
        None => args.extend(r.args.iter().cloned()),
        Some(Sub::Exec) => {
            args.push("exec".into());
            args.extend(after);
            args.push("--".into());
            args.extend(r.args.iter().cloned());
            return args;
        }
        Some(sub) => {
            args.push(sub.name().into());
            args.extend(r.args.iter().cloned());
        }
    }
    args.extend(after);
    args
}

/// What the one parser makes of a spelling: `Ok(Some(cli))` to run,
/// `Ok(None)` for help or version, `Err` for a usage error.
pub fn read(s: &Spelling) -> Result<Option<healthprobe::cli::Cli>, String> {
    let args: Vec<std::ffi::OsString> = s.0.iter().map(Into::into).collect();
    let pairs: Vec<(&str, &str)> = s.1.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let env = Env::from_pairs(&pairs);
    match healthprobe::cli::parse::parse(&args, &env).map_err(|e| e.0)? {
        Parsed::Run(given) => {
            let uses = healthprobe::plan::uses(&given);
            given.resolve(&env, uses).map(Some).map_err(|e| e.0)
        }
        Parsed::Version | Parsed::Help(_) => Ok(None),
    }
}

/// The groups the plain spelling's checks read (none if it does not parse).
pub fn uses(s: &Spelling) -> Groups {
    let args: Vec<std::ffi::OsString> = s.0.iter().map(Into::into).collect();
    let pairs: Vec<(&str, &str)> = s.1.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    match healthprobe::cli::parse::parse(&args, &Env::from_pairs(&pairs)) {
        Ok(Parsed::Run(given)) => healthprobe::plan::uses(&given),
        _ => Groups::NONE,
    }
}

/// A request from fuzzer bytes.
pub fn request(bytes: &[u8]) -> Request {
    let mut it = bytes.iter().copied();
    let mut next = |n: usize| it.next().map_or(0, |b| b as usize % n);
    let sub = match next(8) {
        0 => Some(Sub::Http),
        1 => Some(Sub::Tcp),
        2 => Some(Sub::Grpc),
        3 => Some(Sub::Wait),
        4 => Some(Sub::Exec),
        5 => Some(Sub::File),
        _ => None,
    };
    let mut opts = Vec::new();
    for _ in 0..next(6) {
        let i = next(OPTIONS.len());
        let o = &OPTIONS[i];
        if !o.allowed_in(sub) {
            continue;
        }
        let single = !matches!(o.takes, Takes::Many(_));
        if single && opts.iter().any(|(j, _)| *j == i) {
            continue;
        }
        let v = match o.takes {
            Takes::Flag => "true".to_string(),
            _ => VALUES[next(VALUES.len())].to_string(),
        };
        opts.push((i, v));
    }
    let args = match sub {
        Some(Sub::Exec) => vec!["/bin/true".to_string(), "-x".to_string()],
        Some(Sub::File) => vec!["/tmp/beat".to_string()],
        Some(Sub::Wait) | None => (0..1 + next(2))
            .map(|_| TARGETS[next(TARGETS.len())].to_string())
            .collect(),
        Some(_) => vec![TARGETS[next(TARGETS.len())].to_string()],
    };
    let mut env = Vec::new();
    for _ in 0..next(3) {
        let o = &OPTIONS[next(OPTIONS.len())];
        if let Some(name) = o.env
            && !env.iter().any(|(k, _): &(String, String)| k == name)
        {
            env.push((name.to_string(), VALUES[next(VALUES.len())].to_string()));
        }
    }
    Request {
        opts,
        sub,
        args,
        env,
    }
}
