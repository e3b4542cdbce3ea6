//! clap's errors as the probe reports them: one line, exit 1. clap's own
//! usage errors exit 2, which Docker reserves; --help and --version are not
//! errors and exit 0.

use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::cli::SECRET_OPTIONS;
use crate::report::{MAX_LINE, printable, shown};

/// What to print for `e`, and the exit code.
pub fn explain(e: &clap::Error) -> (String, u8) {
    let text = e.render().to_string();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => (text, 0),
        ErrorKind::ValueValidation => {
            // Our own message says what is wrong; the value is quoted escaped
            // and cut, or not at all where it may be a credential.
            let context = |kind| match e.get(kind) {
                Some(ContextValue::String(s)) => s.clone(),
                _ => String::new(),
            };
            let arg = context(ContextKind::InvalidArg);
            let value = context(ContextKind::InvalidValue);
            let reason = std::error::Error::source(e)
                .map(|s| s.to_string())
                .unwrap_or_default();
            let message = if SECRET_OPTIONS.iter().any(|o| arg.starts_with(o)) {
                format!("invalid {arg}: {reason}")
            } else {
                format!("invalid value {} for {arg}: {reason}", shown(&value))
            };
            (line(&message), 1)
        }
        _ => {
            // clap's message is several lines; keep its first paragraph (the error) on one line.
            let first: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let first = first.join(" ");
            let first = first.trim_start_matches("error: ");
            (line(&format!("{first} (see healthprobe --help)")), 1)
        }
    }
}

/// `healthprobe: error: ...` as one line of at most [`MAX_LINE`] bytes.
pub fn line(message: &str) -> String {
    const PREFIX: &str = "healthprobe: error: ";
    format!(
        "{PREFIX}{}\n",
        printable(message, MAX_LINE - PREFIX.len() - 1)
    )
}
