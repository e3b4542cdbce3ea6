//! `file PATH [--max-age D]`: a heartbeat file, for workers with no port.
//!
//! Issue 24 adds the file's content: `--non-empty`, `--min-size`,
//! `--max-size` and `--contains TEXT`. Plain `file PATH` stays healthy on an
//! empty file, because the usual heartbeat is `touch`; each content check
//! makes an empty file unhealthy, as a user asking about the content of a
//! heartbeat means one that has some. The content is read only from a
//! regular file (opened non-blocking, so a FIFO gets a line, not a hang), at
//! most 64 KiB of it, with the deadline looked at between reads.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::time::Duration;

use crate::deadline::Deadline;
use crate::probe::{Notes, Outcome, Probe, contains};
use crate::report::shown;

/// How much of the file `--contains` looks at.
const SEARCH_LIMIT: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct FileCheck {
    pub path: PathBuf,
    pub max_age: Option<Duration>,
    /// issue 24: unhealthy when empty (also implied by the checks below).
    pub non_empty: bool,
    /// issue 24: the first 64 KiB must hold this.
    pub contains: Option<String>,
    /// issue 24: bounds on the size, in bytes.
    pub min_size: Option<u64>,
    pub max_size: Option<u64>,
}

impl Probe for FileCheck {
    fn subject(&self) -> String {
        format!("file {}", self.path.display())
    }

    fn probe(&self, deadline: &Deadline, notes: &mut Notes) -> Outcome {
        // 64-bit times on every target (crate::clock says why).
        let modified = match crate::clock::modified(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Outcome::Unhealthy("does not exist".into());
            }
            Err(e) => {
                return Outcome::Unhealthy(format!("cannot read: {}", crate::net::io_reason(&e)));
            }
        };
        let ago = crate::clock::secs(crate::clock::now() - modified);
        let shown =
            |secs: i64| humantime::format_duration(Duration::from_secs(secs.unsigned_abs()));
        // A modification time in the future (clock skew) counts as just now,
        // and says so.
        let (age, shown_age) = if ago < 0 {
            (Duration::ZERO, format!("{} in the future", shown(ago)))
        } else {
            (
                Duration::from_secs(ago.unsigned_abs()),
                format!("{} ago", shown(ago)),
            )
        };
        if let Some(max) = self.max_age.filter(|max| age > *max) {
            return Outcome::Unhealthy(format!(
                "last modified {shown_age}, more than {}",
                humantime::format_duration(max)
            ));
        }
        let seen = format!("modified {shown_age}");
        if !self.checks_content() {
            return Outcome::Healthy(seen);
        }
        match self.check_content(deadline, notes) {
            Ok(content) => Outcome::Healthy(format!("{seen}, {content}")),
            Err(why) => Outcome::Unhealthy(why),
        }
    }
}

impl FileCheck {
    fn checks_content(&self) -> bool {
        self.non_empty
            || self.contains.is_some()
            || self.min_size.is_some()
            || self.max_size.is_some()
    }

    /// The content checks; what they saw, or why they failed.
    fn check_content(&self, deadline: &Deadline, notes: &mut Notes) -> Result<String, String> {
        let cannot = |e: std::io::Error| format!("cannot read: {}", crate::net::io_reason(&e));
        let mut file = File::options()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(&self.path)
            .map_err(cannot)?;
        // The file opened, not the path looked at before: it may have been replaced.
        let meta = file.metadata().map_err(cannot)?;
        if !meta.file_type().is_file() {
            return Err(format!("not a regular file ({})", kind(&meta.file_type())));
        }
        let size = meta.len();
        let mut seen = vec![format!("{size} bytes")];
        if size == 0 {
            return Err("is empty".into());
        }
        if let Some(min) = self.min_size.filter(|&min| size < min) {
            return Err(format!("{size} bytes, less than --min-size {min}"));
        }
        if let Some(max) = self.max_size.filter(|&max| size > max) {
            return Err(format!("{size} bytes, more than --max-size {max}"));
        }
        if let Some(text) = &self.contains {
            let head = read_head(&mut file, deadline).map_err(cannot)?;
            notes.detail(format!("read {} bytes", head.len()));
            if !contains(&head, text.as_bytes()) {
                notes.excerpt = Some(head.iter().copied().take(512).collect());
                let of = match size > head.len() as u64 {
                    true => format!(" (of {size})"),
                    false => String::new(),
                };
                return Err(format!(
                    "{} not in its first {} bytes{of}",
                    shown(text),
                    head.len()
                ));
            }
            seen.push(format!("contains {}", shown(text)));
        }
        Ok(seen.join(", "))
    }
}

/// The first [`SEARCH_LIMIT`] bytes of `file`, the deadline looked at
/// between reads.
fn read_head(file: &mut File, deadline: &Deadline) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::new();
    let mut chunk = [0u8; 8192];
    while head.len() < SEARCH_LIMIT {
        if deadline.expired() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        let want = chunk.len().min(SEARCH_LIMIT - head.len());
        match file.read(&mut chunk[..want]) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(head)
}

/// What a file that is not regular is, in words.
fn kind(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "not a plain file"
    }
}

#[cfg(test)]
mod tests {
    use crate::values::parse_size;

    #[test]
    fn sizes_are_bytes_or_binary_units() {
        for (input, bytes) in [
            ("0", 0),
            ("512", 512),
            ("1K", 1024),
            ("1k", 1024),
            ("1KiB", 1024),
            ("10M", 10 << 20),
            ("10mib", 10 << 20),
            ("2G", 2 << 30),
        ] {
            assert_eq!(parse_size(input), Ok(bytes), "{input}");
        }
        for bad in [
            "",
            "K",
            "1 K",
            " 1",
            "1.5K",
            "1KB",
            "1kB",
            "-1",
            "1T",
            "99999999999999999999",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert!(parse_size("1KB").unwrap_err().contains("ambiguous"));
    }
}
