//! The wall clock and file modification times in 64-bit seconds, on every
//! target.
//!
//! WHY: on the 32-bit targets (linux/386, arm/v7, arm/v6) Rust's std calls
//! musl's 32-bit `time_t` compatibility functions. Measured on the armv7
//! artifact under qemu: `file F --max-age 1m` on a file dated 2040-01-01 said
//! "last modified 123 years ago" (the time wrapped to 1904), and from
//! 2038-01-19 `SystemTime::now()` fails, where std panics: that takes
//! `file --max-age` and every TLS check with it (rustls reads the clock for
//! certificate validity). rustix makes the 64-bit system calls itself
//! (clock_gettime64, statx), so these two functions are right until the
//! year 292 billion on every target; the TLS configuration gets its clock
//! from here too (`tls::Clock`).

use std::path::Path;

/// Nanoseconds since 1970-01-01 UTC; negative before.
pub type Nanos = i128;

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// The wall clock (CLOCK_REALTIME).
pub fn now() -> Nanos {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
    i128::from(t.tv_sec) * NANOS_PER_SEC + i128::from(t.tv_nsec)
}

/// When the file at `path` (symlinks followed) was last modified.
pub fn modified(path: &Path) -> std::io::Result<Nanos> {
    let stat = rustix::fs::stat(path)?;
    // time_t is i64 already on the 64-bit targets, and rustix's own 64-bit
    // field on the 32-bit ones; the nanoseconds are below 10^9 everywhere.
    #[allow(clippy::unnecessary_cast)]
    let (secs, nanos) = (stat.st_mtime as i64, stat.st_mtime_nsec as i64);
    Ok(i128::from(secs) * NANOS_PER_SEC + i128::from(nanos))
}

/// Whole seconds in `nanos` (toward zero), saturated to i64.
pub fn secs(nanos: Nanos) -> i64 {
    i64::try_from(nanos / NANOS_PER_SEC).unwrap_or(if nanos < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_agrees_with_std_where_std_is_right() {
        let std_now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!((secs(now()) - std_now).abs() <= 1);
    }

    #[test]
    fn modified_reads_dates_past_2038() {
        let path = std::env::temp_dir().join(format!("hp-clock-{}", std::process::id()));
        let f = std::fs::File::create(&path).unwrap();
        // 2040-01-01T00:00:00Z
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(2_208_988_800);
        f.set_modified(t).unwrap();
        assert_eq!(modified(&path).unwrap(), 2_208_988_800 * NANOS_PER_SEC);
        let _ = std::fs::remove_file(&path);
    }
}
