//! The command line: one table of options (`options.rs`), one parser that
//! reads it with the environment (`parse.rs`), the help built from it
//! (`help.rs`), and usage errors as one line (`usage.rs`). Nothing here
//! touches the network, and nothing here knows the checks: the schemes'
//! facts the help and the parser need are handed in by the caller.

use std::ffi::OsString;
use std::time::Duration;

pub mod help;
pub mod options;
pub mod parse;
pub mod usage;

pub use crate::values::{BasicAuth, Header, HeaderValue, MAX_TIMEOUT, StatusSet};
pub use options::{Group, Groups, OPTIONS, Sub};
pub use parse::{Cli, Command, Env, Given, Parsed, UsageError};

/// Reads the process's command line (the HEALTHPROBE_* variables are read
/// by [`Given::resolve`], once the checks are known).
pub fn parse_args() -> Result<Parsed, UsageError> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    parse::parse(&args, &Env::Process)
}

/// What `--version` prints.
pub fn version_line() -> String {
    format!("healthprobe {}\n", env!("CARGO_PKG_VERSION"))
}

/// The deadline when --timeout is not given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The deadline of `wait` when --timeout is not given.
pub const DEFAULT_WAIT_TIMEOUT: Duration = Duration::from_secs(60);
