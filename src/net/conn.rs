//! The byte stream a check talks over: TCP, a unix socket, or TLS over either,
//! all waiting at most until the deadline. HTTP/1.1 (through ureq) and HTTP/2
//! (gRPC) read and write through this one type.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;

use crate::deadline::Deadline;
use crate::net::socket::DeadlineStream;
use crate::net::{self, describe_io};
use crate::report::format_duration;
use crate::target::HostPort;
use crate::tls;

#[derive(Debug)]
pub enum Conn {
    Tcp(DeadlineStream<TcpStream>),
    Unix(DeadlineStream<UnixStream>),
    Tls(Box<tls::Stream<Conn>>),
}

impl Conn {
    /// A TCP connection to `target` (every address tried, see `net::connect_tcp`).
    pub fn tcp(
        target: &HostPort,
        deadline: &Deadline,
        details: &mut Vec<String>,
    ) -> Result<Conn, String> {
        let (stream, _) = net::connect_tcp(target, deadline, details)?;
        let stream = DeadlineStream::new(stream, *deadline).map_err(|e| net::io_reason(&e))?;
        Ok(Conn::Tcp(stream))
    }

    /// This connection with TLS set up over it for `server_name`, the
    /// handshake done (and noted in `details`).
    pub fn with_tls(
        self,
        client: tls::Client,
        server_name: &str,
        deadline: &Deadline,
        details: &mut Vec<String>,
    ) -> Result<Conn, String> {
        let stream = tls::handshake(client, server_name, self)
            .map_err(|e| describe_io(&e, deadline, "during the TLS handshake"))?;
        details.push(format!(
            "TLS handshake done at {}",
            format_duration(deadline.elapsed())
        ));
        Ok(Conn::Tls(Box::new(stream)))
    }

    pub fn is_tls(&self) -> bool {
        matches!(self, Conn::Tls(_))
    }

    /// The protocol the server chose by ALPN, over TLS.
    pub fn alpn(&self) -> Option<&[u8]> {
        match self {
            Conn::Tls(s) => tls::alpn(s),
            _ => None,
        }
    }
}

/// A TLS peer that refuses us (say, our client certificate) sends an alert
/// and closes: a write then fails with a broken pipe, the alert unread. Read
/// once to learn what the alert says.
fn why_gone(stream: &mut tls::Stream<Conn>, e: io::Error) -> io::Error {
    if !matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
    ) {
        return e;
    }
    match stream.read(&mut [0u8; 1]) {
        Err(alert) if tls::reason(&alert).is_some() => alert,
        _ => e,
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf).map_err(|e| why_gone(s, e)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Tcp(s) => s.flush(),
            Conn::Unix(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}
