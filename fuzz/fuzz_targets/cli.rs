//! The whole command line through the one parser (src/cli/parse.rs), with
//! HEALTHPROBE_* variables set, in two ways:
//! - raw: any arguments and variables; never a panic, an error is one line
//!   within the length limit, a parsed --timeout is within its bounds;
//! - spelled twice: a request built from the bytes (options from the table,
//!   global ones on both sides of the subcommand, variables) written plainly
//!   and again with short forms, clusters, attached values and variables in
//!   place of flags (tests/support/spellings.rs); both must read the same.
#![no_main]

#[path = "../../tests/support/spellings.rs"]
#[allow(dead_code)]
mod spellings;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use healthprobe::cli::{self, Env, Parsed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        raw(rest);
    } else {
        twice(rest);
    }
});

fn raw(input: &[u8]) {
    let mut args = Vec::new();
    let mut pairs: Vec<(OsString, OsString)> = Vec::new();
    for part in input.split(|&b| b == 0) {
        match part.strip_prefix(b"HEALTHPROBE_").and_then(|p| {
            let eq = p.iter().position(|&b| b == b'=')?;
            Some((&part[..12 + eq], &p[eq + 1..]))
        }) {
            Some((k, v)) => pairs.push((
                OsString::from_vec(k.to_vec()),
                OsString::from_vec(v.to_vec()),
            )),
            None => args.push(OsString::from_vec(part.to_vec())),
        }
    }
    let env = Env::Pairs(pairs);
    let result = cli::parse::parse(&args, &env).and_then(|p| match p {
        Parsed::Run(given) => {
            let uses = healthprobe::plan::uses(&given);
            given.resolve(&env, uses).map(Some)
        }
        _ => Ok(None),
    });
    match result {
        Ok(Some(cli)) => {
            if let Some(timeout) = cli.options.timeout {
                assert!(timeout > std::time::Duration::ZERO && timeout <= cli::MAX_TIMEOUT);
            }
        }
        Ok(None) => {}
        Err(e) => {
            let line = cli::usage::line(&e.0);
            assert_eq!(line.matches('\n').count(), 1, "{line}");
            assert!(line.len() <= healthprobe::report::MAX_LINE);
        }
    }
}

fn twice(input: &[u8]) {
    let half = input.len() / 2;
    let r = spellings::request(&input[..half]);
    let p = spellings::plain(&r);
    let v = spellings::varied(&r, &mut input[half..].iter().copied(), spellings::uses(&p));
    match (spellings::read(&p), spellings::read(&v)) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "\n{p:?}\n{v:?}"),
        (Err(_), Err(_)) => {}
        (a, b) => panic!("\n{p:?} -> {a:?}\n{v:?} -> {b:?}"),
    }
}
