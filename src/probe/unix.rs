//! HTTP over a unix socket (`--unix-socket PATH`), for apps that listen on no
//! port. ureq's transports are TCP and TLS; this is the small one it lacks.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ureq::unversioned::transport::{ConnectionDetails, Connector, LazyBuffers};

use crate::deadline::Deadline;
use crate::probe::http::ConnectLog;
use crate::socket::{DeadlineStream, StreamTransport};

/// Connects to the socket at `path` within the deadline. A listener whose
/// backlog is full makes connect() fail with EAGAIN: retry until the deadline.
pub fn connect(path: &Path, deadline: &Deadline) -> io::Result<UnixStream> {
    let bytes = path.as_os_str().as_bytes();
    // SAFETY: sockaddr_un is plain old data; zeroed is a valid value.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    if bytes.len() >= addr.sun_path.len() || bytes.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "socket path too long or contains NUL",
        ));
    }
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (dst, src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    loop {
        // SAFETY: plain socket(2) call.
        let fd = unsafe {
            libc::socket(
                libc::AF_UNIX,
                libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh socket we own.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: addr is a valid sockaddr_un of the given size.
        let rc = unsafe {
            libc::connect(
                fd,
                (&addr as *const libc::sockaddr_un).cast(),
                std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t,
            )
        };
        let err = io::Error::last_os_error();
        if rc == 0 {
            let stream = UnixStream::from(owned);
            stream.set_nonblocking(false)?;
            return Ok(stream);
        }
        if err.raw_os_error() != Some(libc::EAGAIN) {
            return Err(err);
        }
        if deadline.remaining() < Duration::from_millis(2) {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "timed out"));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Hands ureq a connection to the unix socket, whatever the URL's host.
#[derive(Debug)]
pub struct UnixConnector {
    pub path: std::path::PathBuf,
    pub deadline: Deadline,
    pub log: Arc<Mutex<ConnectLog>>,
}

impl Connector<()> for UnixConnector {
    type Out = StreamTransport<UnixStream>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        _: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let stream = connect(&self.path, &self.deadline)?;
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        log.connected = Some((self.path.display().to_string(), self.deadline.elapsed()));
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        let stream = DeadlineStream::new(stream, self.deadline)?;
        Ok(Some(StreamTransport::new(stream, buffers)))
    }
}
