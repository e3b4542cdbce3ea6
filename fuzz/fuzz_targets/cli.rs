//! The whole command line: every value parser through clap, as main runs it,
//! clap's errors as the one line the probe prints, and the fast path
//! (src/cli/fast.rs): wherever it answers, it answers what clap answers.
#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use clap::Parser;
use healthprobe::cli::{self, Cli, fast};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let mut args = vec![OsString::from("healthprobe")];
    args.extend(
        input
            .split(|&b| b == 0)
            .map(|a| OsString::from_vec(a.to_vec())),
    );
    let quick = fast::parse(&args, &fast::Env::from_process());
    let parsed = Cli::try_parse_from(&args);
    match (quick, &parsed) {
        (None, _) => {}
        (Some(fast::Parsed::Cli(f)), Ok(c)) => assert_eq!(*f, *c, "{args:?}"),
        (Some(fast::Parsed::Version), Err(e)) => {
            assert_eq!(e.kind(), clap::error::ErrorKind::DisplayVersion, "{args:?}")
        }
        (Some(f), other) => panic!("{args:?}: fast path {f:?}, clap {other:?}"),
    }
    match parsed {
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
