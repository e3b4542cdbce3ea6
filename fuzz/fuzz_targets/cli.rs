//! The whole command line: every value parser (durations, status lists,
//! headers, methods, host names, basic auth) through clap, as main runs it,
//! and clap's errors as the one line the probe prints.
#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use clap::Parser;
use healthprobe::cli;
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
            let (text, code) = cli::usage::explain(&e);
            assert!(code <= 1);
            if code == 1 {
                assert_eq!(text.matches('\n').count(), 1, "{text}");
                assert!(text.len() <= healthprobe::report::MAX_LINE);
            }
        }
    }
});
