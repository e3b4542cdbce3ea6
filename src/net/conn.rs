//! The byte stream a check talks over: TCP, a unix socket, or TLS over either,
//! all waiting at most until the deadline. HTTP/1.1 (through ureq) and HTTP/2
//! (gRPC) read and write through this one type.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;

use crate::net::socket::DeadlineStream;
use crate::tls;

#[derive(Debug)]
pub enum Conn {
    Tcp(DeadlineStream<TcpStream>),
    Unix(DeadlineStream<UnixStream>),
    Tls(Box<tls::Stream<Conn>>),
}

impl Conn {
    pub fn is_tls(&self) -> bool {
        matches!(self, Conn::Tls(_))
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
            Conn::Tls(s) => s.write(buf),
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
