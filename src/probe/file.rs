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
/// How far a file whose metadata says size 0 (the kernel's /proc and /sys
/// files) is read to learn its size for --min-size / --max-size.
const UNSIZED_READ_LIMIT: u64 = 16 * 1024 * 1024;

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
        // The kernel's own files (/proc/self/status, /proc/mounts, sysfs)
        // say they are empty and are not: their size is what a read gives,
        // as grep finds. Read as far as the checks need, bounded.
        let (size, head) = match meta.len() {
            0 => {
                let read =
                    read_counting(&mut file, deadline, self.unsized_read()).map_err(cannot)?;
                notes.detail(format!(
                    "size 0 in the file's metadata: read {} bytes{}",
                    read.count,
                    if read.ended { "" } else { " (and more)" }
                ));
                (
                    Size {
                        bytes: read.count,
                        exact: read.ended,
                    },
                    Some(read.head),
                )
            }
            bytes => (Size { bytes, exact: true }, None),
        };
        let mut seen = vec![size.to_string()];
        if size.bytes == 0 {
            return Err("is empty".into());
        }
        if let Some(min) = self.min_size.filter(|&min| size.bytes < min) {
            return match size.exact {
                true => Err(format!("{size}, less than --min-size {min}")),
                false => Err(format!(
                    "its size is unknown (0 in its metadata) and only {UNSIZED_READ_LIMIT} bytes are read to count it, fewer than --min-size {min}"
                )),
            };
        }
        if let Some(max) = self.max_size.filter(|&max| size.bytes > max) {
            return Err(format!("{size}, more than --max-size {max}"));
        }
        if let Some(text) = &self.contains {
            let head = match head {
                Some(mut head) => {
                    head.truncate(SEARCH_LIMIT);
                    head
                }
                None => {
                    read_counting(&mut file, deadline, SEARCH_LIMIT as u64)
                        .map_err(cannot)?
                        .head
                }
            };
            notes.detail(format!("read {} bytes", head.len()));
            if !contains(&head, text.as_bytes()) {
                notes.excerpt = Some(head.iter().copied().take(512).collect());
                let of = match (size.bytes > head.len() as u64, size.exact) {
                    (true, true) => format!(" (of {})", size.bytes),
                    (true, false) => " (of more)".to_string(),
                    (false, _) => String::new(),
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

    /// How far to read a file whose metadata says size 0: enough to decide
    /// every check asked for, at most [`UNSIZED_READ_LIMIT`].
    fn unsized_read(&self) -> u64 {
        let search = match self.contains {
            Some(_) => SEARCH_LIMIT as u64,
            None => 1,
        };
        let min = self.min_size.unwrap_or(0);
        let max = self.max_size.map_or(0, |m| m.saturating_add(1));
        search.max(min).max(max).min(UNSIZED_READ_LIMIT)
    }
}

/// A size in bytes, or at least that many (read as far as needed, not to the end).
struct Size {
    bytes: u64,
    exact: bool,
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.exact {
            true => write!(f, "{} bytes", self.bytes),
            false => write!(f, "at least {} bytes", self.bytes),
        }
    }
}

/// What [`read_counting`] read.
struct Content {
    /// The first [`SEARCH_LIMIT`] bytes.
    head: Vec<u8>,
    /// How many bytes were read in all.
    count: u64,
    /// Whether the end of the file was reached.
    ended: bool,
}

/// Reads `file` up to `limit` bytes, keeping the first [`SEARCH_LIMIT`] and
/// counting the rest, the deadline looked at between reads.
fn read_counting(file: &mut File, deadline: &Deadline, limit: u64) -> std::io::Result<Content> {
    let mut read = Content {
        head: Vec::new(),
        count: 0,
        ended: false,
    };
    let mut chunk = [0u8; 8192];
    while read.count < limit {
        if deadline.expired() {
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        let want = (limit - read.count).min(chunk.len() as u64) as usize; // at most 8192
        match file.read(&mut chunk[..want]) {
            Ok(0) => {
                read.ended = true;
                break;
            }
            Ok(n) => {
                let room = SEARCH_LIMIT.saturating_sub(read.head.len()).min(n);
                read.head.extend_from_slice(&chunk[..room]);
                read.count += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(read)
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
