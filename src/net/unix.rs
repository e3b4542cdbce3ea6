//! Connecting to a unix socket (`--unix-socket PATH`) within the deadline, for
//! apps that listen on no port.

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use rustix::io::Errno;
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};

use crate::deadline::Deadline;

/// Connects to the socket at `path` within the deadline. A listener whose
/// backlog is full makes connect() fail with EAGAIN: retry until the deadline.
pub fn connect(path: &Path, deadline: &Deadline) -> io::Result<UnixStream> {
    if path.as_os_str().as_bytes().contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "socket path contains NUL",
        ));
    }
    let addr = SocketAddrUnix::new(path)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "socket path too long"))?;
    loop {
        let fd = rustix::net::socket_with(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
            None,
        )?;
        match rustix::net::connect(&fd, &addr) {
            Ok(()) => {
                let stream = UnixStream::from(fd);
                stream.set_nonblocking(false)?;
                return Ok(stream);
            }
            Err(Errno::AGAIN) => {}
            Err(e) => return Err(e.into()),
        }
        if deadline.remaining() < Duration::from_millis(2) {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}
