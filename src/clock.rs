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

/// Seconds since 1970-01-01 UTC; negative before.
pub type Seconds = i64;

/// The wall clock (CLOCK_REALTIME), whole seconds.
pub fn now() -> Seconds {
    rustix::time::clock_gettime(rustix::time::ClockId::Realtime).tv_sec
}

/// When the file at `path` (symlinks followed) was last modified, whole
/// seconds.
pub fn modified(path: &Path) -> std::io::Result<Seconds> {
    let stat = rustix::fs::stat(path)?;
    // time_t is i64 already on the 64-bit targets; rustix's own 64-bit field
    // on the 32-bit ones.
    #[allow(clippy::unnecessary_cast)]
    Ok(stat.st_mtime as Seconds)
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
        assert!((now() - std_now).abs() <= 1);
    }

    #[test]
    fn modified_reads_dates_past_2038() {
        let path = std::env::temp_dir().join(format!("hp-clock-{}", std::process::id()));
        let f = std::fs::File::create(&path).unwrap();
        // 2040-01-01T00:00:00Z
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(2_208_988_800);
        f.set_modified(t).unwrap();
        assert_eq!(modified(&path).unwrap(), 2_208_988_800);
        let _ = std::fs::remove_file(&path);
    }
}
