//! A client's connection: a non-blocking socket whose every wait is a poll
//! on the socket and on the stop pipe together, bounded by a deadline. A
//! client that sends nothing, or one byte a second, holds a thread only
//! until its deadline; a stop reaches every waiting connection at once.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};

/// Before closing on a client that broke a rule, what it still sends is
/// read and dropped for this long (at most [`LINGER_BYTES`]): closing with
/// unread bytes resets the connection, and the reset can destroy the
/// answer (431, GOAWAY) before the client reads it.
pub const LINGER_LIMIT: Duration = Duration::from_millis(250);
pub const LINGER_BYTES: usize = 2 * 1024 * 1024;

/// How a wait for the client ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Got {
    /// This many bytes arrived (0: the client closed).
    Bytes(usize),
    TimedOut,
    /// SIGTERM or SIGINT: the server is stopping.
    Stopped,
}

pub struct Conn {
    pub stream: TcpStream,
    stop: BorrowedFd<'static>,
}

impl Conn {
    pub fn new(stream: TcpStream, stop: BorrowedFd<'static>) -> io::Result<Conn> {
        stream.set_nonblocking(true)?;
        // Answers are one write each: no need to wait for the client's ack.
        stream.set_nodelay(true)?;
        Ok(Conn { stream, stop })
    }

    /// Reads what the client sends by `until`. A stop wins only when
    /// `stoppable` (waiting between requests, or for a head not yet whole).
    pub fn read(&mut self, buf: &mut [u8], until: Instant, stoppable: bool) -> io::Result<Got> {
        loop {
            match self.stream.read(buf) {
                Ok(n) => return Ok(Got::Bytes(n)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
                Err(_) => {}
            }
            match self.wait(PollFlags::IN, until, stoppable)? {
                Some(got) => return Ok(got),
                None => continue,
            }
        }
    }

    /// Like [`Conn::read`], but waits first: after an answer the next
    /// request is rarely there yet, and a read that would block is a system
    /// call spent for nothing.
    pub fn read_next(&mut self, buf: &mut [u8], until: Instant) -> io::Result<Got> {
        match self.wait(PollFlags::IN, until, true)? {
            Some(got) => Ok(got),
            None => self.read(buf, until, true),
        }
    }

    /// Writes all of `bytes` by `until` (the client must read its answer).
    pub fn write_all(&mut self, mut bytes: &[u8], until: Instant) -> io::Result<()> {
        while !bytes.is_empty() {
            match self.stream.write(bytes) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if self.wait(PollFlags::OUT, until, false)?.is_some() {
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Ends our side after a last answer, then drops what the client still
    /// sends until it closes too, or the linger limits.
    pub fn close_gently(&mut self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
        let until = Instant::now() + LINGER_LIMIT;
        let (mut chunk, mut dropped) = ([0u8; 4096], 0);
        while dropped < LINGER_BYTES {
            match self.read(&mut chunk, until, true) {
                Ok(Got::Bytes(n)) if n > 0 => dropped += n,
                _ => return,
            }
        }
    }

    /// Whether the server is stopping: the flag the signal handler sets
    /// (no system call, unlike polling the pipe).
    pub fn stopping(&self) -> bool {
        crate::signals::stopped().is_some()
    }

    /// Waits for the socket to be ready: `None` when it is, or how the wait ended.
    fn wait(&self, events: PollFlags, until: Instant, stoppable: bool) -> io::Result<Option<Got>> {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Some(Got::TimedOut));
        }
        let timeout = Timespec {
            tv_sec: left.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: left.subsec_nanos() as _, // below 10^9: fits any integer type
        };
        let mut fds = [
            PollFd::new(&self.stream, events),
            PollFd::new(&self.stop, PollFlags::IN),
        ];
        let fds = match stoppable {
            true => &mut fds[..],
            false => &mut fds[..1],
        };
        match rustix::event::poll(fds, Some(&timeout)) {
            Ok(0) | Err(rustix::io::Errno::INTR) => Ok(None),
            Ok(_) if stoppable && !fds[1].revents().is_empty() => Ok(Some(Got::Stopped)),
            Ok(_) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// The connection as the HTTP/2 server side reads and writes it.
impl crate::h2::server::Transport for Conn {
    fn read_by(&mut self, buf: &mut [u8], until: Instant, stoppable: bool) -> Option<usize> {
        match self.read(buf, until, stoppable) {
            Ok(Got::Bytes(n)) if n > 0 => Some(n),
            _ => None,
        }
    }

    fn write_by(&mut self, bytes: &[u8], until: Instant) -> io::Result<()> {
        self.write_all(bytes, until)
    }

    fn stopping(&self) -> bool {
        Conn::stopping(self)
    }

    fn close_gently(&mut self) {
        Conn::close_gently(self)
    }
}
