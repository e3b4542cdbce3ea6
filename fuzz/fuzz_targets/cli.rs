//! The whole command line: every value parser (durations, status lists,
//! headers, methods, host names, basic auth) through clap, as main runs it.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/cli.rs"]
mod cli;
#[path = "../../src/redacted.rs"]
mod redacted;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use clap::Parser;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let mut args = vec![OsString::from("healthprobe")];
    args.extend(
        input
            .split(|&b| b == 0)
            .map(|a| OsString::from_vec(a.to_vec())),
    );
    match cli::Cli::try_parse_from(args) {
        Ok(parsed) => {
            if let Some(timeout) = parsed.options.timeout {
                assert!(timeout > std::time::Duration::ZERO && timeout <= cli::MAX_TIMEOUT);
            }
        }
        Err(e) => {
            let _ = e.render().to_string();
        }
    }
});
