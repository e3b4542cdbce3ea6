//! A usage error as the probe reports it: one line, exit 1 (clap's usage
//! errors exited 2, which Docker reserves).

use crate::report::{MAX_LINE, printable};

/// `healthprobe: error: ...` as one line of at most [`MAX_LINE`] bytes.
pub fn line(message: &str) -> String {
    const PREFIX: &str = "healthprobe: error: ";
    format!(
        "{PREFIX}{}\n",
        printable(message, MAX_LINE - PREFIX.len() - 1)
    )
}
