//! The state directory: made private (0700) if absent, trusted only if it
//! is ours and nobody else can write to it, and every file in it opened
//! relative to it without following a symlink. Files are replaced whole
//! (written beside, then renamed over), so a reader sees the old record or
//! the new one, never half of one.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::net::io_reason;

/// A state directory we may use.
pub struct Dir {
    fd: OwnedFd,
    pub path: PathBuf,
}

/// What is at a file's name.
pub enum Found {
    /// Nothing.
    Absent,
    /// Our regular file, at most the size asked for.
    Ours(Vec<u8>),
    /// Something we do not read: the note says what.
    Foreign(String),
}

impl Dir {
    /// Opens `path`, creating it 0700 if it does not exist. A directory not
    /// owned by our user, or writable by another, is refused.
    pub fn open(path: &Path) -> Result<Dir, String> {
        let shown = path.display();
        match rustix::fs::mkdir(path, Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(format!("cannot make state dir {shown}: {}", reason(e))),
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::open(path, flags, Mode::empty()).map_err(|e| match e {
            Errno::LOOP | Errno::NOTDIR => {
                format!("state dir {shown} is not a directory (a symlink?): not used")
            }
            e => format!("cannot open state dir {shown}: {}", reason(e)),
        })?;
        let st = rustix::fs::fstat(&fd)
            .map_err(|e| format!("cannot open state dir {shown}: {}", reason(e)))?;
        let me = rustix::process::geteuid().as_raw();
        if st.st_uid != me {
            return Err(format!(
                "state dir {shown} belongs to uid {}, not {me}: not used",
                st.st_uid
            ));
        }
        if st.st_mode & 0o022 != 0 {
            return Err(format!(
                "state dir {shown} is writable by others (mode {:o}): not used",
                st.st_mode & 0o7777
            ));
        }
        Ok(Dir {
            fd,
            path: path.to_path_buf(),
        })
    }

    /// Reads `name` if it is our regular file of at most `max` bytes.
    pub fn read(&self, name: &str, max: usize) -> Found {
        // NONBLOCK: a FIFO planted at the name must not hang the run.
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(&self.fd, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Found::Absent,
            Err(Errno::LOOP) => return Found::Foreign("was a symlink".into()),
            Err(e) => return Found::Foreign(format!("could not be read ({})", reason(e))),
        };
        let Ok(st) = rustix::fs::fstat(&fd) else {
            return Found::Foreign("could not be read".into());
        };
        if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
            return Found::Foreign("was not a regular file".into());
        }
        if st.st_uid != rustix::process::geteuid().as_raw() {
            return Found::Foreign(format!("belonged to uid {}", st.st_uid));
        }
        if st.st_size < 0 || st.st_size as u64 > max as u64 {
            return Found::Foreign(format!("was larger than {max} bytes ({})", st.st_size));
        }
        let mut bytes = Vec::with_capacity(st.st_size as usize);
        match File::from(fd).take(max as u64 + 1).read_to_end(&mut bytes) {
            Ok(n) if n <= max => Found::Ours(bytes),
            Ok(_) => Found::Foreign(format!("was larger than {max} bytes")),
            Err(e) => Found::Foreign(format!("could not be read ({})", io_reason(&e))),
        }
    }

    /// Replaces `name` with `bytes`: written to `name.tmp`, then renamed over
    /// (whatever was at `name`, a symlink included, is replaced, not followed).
    pub fn replace(&self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let temp = format!("{name}.tmp");
        let flags = OFlags::WRONLY
            | OFlags::CREATE
            | OFlags::TRUNC
            | OFlags::NOFOLLOW
            | OFlags::NONBLOCK
            | OFlags::CLOEXEC;
        let written = rustix::fs::openat(&self.fd, &temp, flags, Mode::from_raw_mode(0o600))
            .map_err(reason)
            .and_then(|fd| {
                File::from(fd)
                    .write_all(bytes)
                    .map_err(|e| io_reason(&e).to_string())
            })
            .and_then(|()| rustix::fs::renameat(&self.fd, &temp, &self.fd, name).map_err(reason));
        written.map_err(|why| {
            let _ = rustix::fs::unlinkat(&self.fd, &temp, AtFlags::empty());
            format!("cannot write {}/{name}: {why}", self.path.display())
        })
    }

    /// Removes the file `name`, if it can (nothing to do if it is gone).
    pub fn remove(&self, name: &str) {
        let _ = rustix::fs::unlinkat(&self.fd, name, AtFlags::empty());
    }

    /// Opens (making it if needed) `name` for locking.
    pub fn lock_file(&self, name: &str) -> Result<OwnedFd, String> {
        let flags =
            OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let open = || rustix::fs::openat(&self.fd, name, flags, Mode::from_raw_mode(0o600));
        let fd = match open() {
            // Something planted at the lock's name: ours to remove (the directory is ours).
            Err(Errno::LOOP | Errno::ISDIR) => {
                let _ = rustix::fs::unlinkat(&self.fd, name, AtFlags::empty());
                let _ = rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR);
                open()
            }
            other => other,
        };
        fd.map_err(|e| format!("cannot open {}/{name}: {}", self.path.display(), reason(e)))
    }

    /// The names of the files in the directory ending in `suffix`, at most
    /// `max`, in the directory's order.
    pub fn names(&self, suffix: &str, max: usize) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.path) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(suffix))
            .take(max)
            .collect()
    }
}

fn reason(e: Errno) -> String {
    io_reason(&std::io::Error::from(e)).to_string()
}
