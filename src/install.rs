//! `install DIR`: copies the running binary to DIR/healthprobe. A `FROM
//! scratch` image has no `cp`, and a Kubernetes init container that hands the
//! probe to an application image through an `emptyDir` needs one.
//!
//! The copy is written under a temporary name beside the target and renamed
//! over it, so a container that starts meanwhile never runs half a binary.
//! The bytes come from /proc/self/exe: the file this process runs, whatever
//! name or path started it.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{Result, anyhow};

use crate::net::io_reason;
use crate::report::{MAX_SUBJECT, printable, shown};

/// The name the copy gets in DIR.
pub const NAME: &str = "healthprobe";
/// Its mode: executable by every user the application may run as.
const MODE: u32 = 0o755;

/// Copies this binary into `dir`; returns the line to print.
pub fn run(dir: &Path) -> Result<String> {
    let target = dir.join(NAME);
    let temp = dir.join(format!(".{NAME}.{}.tmp", std::process::id()));
    let shown_dir = shown(&dir.to_string_lossy());
    let mut source = File::open("/proc/self/exe").map_err(|e| {
        anyhow!(
            "install: cannot read this binary (/proc/self/exe): {}",
            io_reason(&e)
        )
    })?;
    let copied = copy(&mut source, &temp).inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    });
    let bytes =
        copied.map_err(|e| anyhow!("install: cannot write into {shown_dir}: {}", io_reason(&e)))?;
    fs::rename(&temp, &target).map_err(|e| {
        let _ = fs::remove_file(&temp);
        anyhow!(
            "install: cannot put the copy at {}: {}",
            shown(&target.to_string_lossy()),
            io_reason(&e)
        )
    })?;
    Ok(format!(
        "installed {} ({bytes} bytes, mode 755)\n",
        printable(&target.to_string_lossy(), MAX_SUBJECT)
    ))
}

/// Writes `source` to a new file at `temp` (never through a symlink, never
/// over an existing file), mode 0755 whatever the umask, synced.
fn copy(source: &mut File, temp: &Path) -> io::Result<u64> {
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(temp)?;
    let bytes = io::copy(source, &mut out)?;
    out.set_permissions(fs::Permissions::from_mode(MODE))?;
    out.sync_all()?;
    Ok(bytes)
}
