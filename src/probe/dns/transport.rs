//! Asking one server, under a deadline: the A and AAAA queries go out
//! together in two UDP datagrams (as glibc sends them), and what comes back
//! is matched to them; a truncated answer is asked again over TCP.
//!
//! The UDP socket is connected to the server, so the kernel drops datagrams
//! from any other address or port (and an ICMP "port unreachable" ends the
//! wait at once as "connection refused"). IDs come from std's per-process
//! random hash keys (getrandom), the source port from the kernel. The socket
//! is non-blocking and every wait is a `ppoll` bounded by the deadline, as in
//! `net::socket`; TCP goes through `net::socket::DeadlineStream`.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};

use rustix::event::{PollFd, PollFlags, Timespec};

use crate::deadline::Deadline;
use crate::net::io_reason;
use crate::net::socket::DeadlineStream;

use super::message::{self, Rejected, Response, TYPE_A, TYPE_AAAA};

/// What we ask for, in this order.
pub const QTYPES: [u16; 2] = [TYPE_A, TYPE_AAAA];
/// A UDP response we read whole: without EDNS a server sends at most 512
/// bytes; anything longer is cut here and fails the checks.
const MAX_DATAGRAM: usize = 4096;

/// The responses to the A and AAAA queries (`None`: none came in time).
pub type Answers = [Option<Response>; 2];

/// Why asking a server got nothing usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Silence {
    /// Nothing we could use before the deadline; when replies came that
    /// failed the checks, why the last one did.
    TimedOut(Option<&'static str>),
    /// The connection (or an ICMP error) says why.
    Failed(String),
}

/// Asks `server` for the A and AAAA records of `qname` (wire form) until
/// `until`; `Ok` once either query was answered.
pub fn ask(server: SocketAddr, qname: &[u8], until: &Deadline) -> Result<(Answers, bool), Silence> {
    let mut answers = ask_udp(server, qname, until)?;
    let mut over_tcp = false;
    for (i, qtype) in QTYPES.into_iter().enumerate() {
        if answers[i].as_ref().is_some_and(|r| r.truncated) {
            answers[i] = Some(ask_tcp(server, qname, qtype, until)?);
            over_tcp = true;
        }
    }
    Ok((answers, over_tcp))
}

fn ask_udp(server: SocketAddr, qname: &[u8], until: &Deadline) -> Result<Answers, Silence> {
    let failed = |e: io::Error| Silence::Failed(io_reason(&e));
    let local: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local).map_err(failed)?;
    socket.connect(server).map_err(failed)?;
    socket.set_nonblocking(true).map_err(failed)?;
    let ids = random_ids();
    for (id, qtype) in ids.into_iter().zip(QTYPES) {
        socket
            .send(&message::query(id, qname, qtype))
            .map_err(failed)?;
    }
    let mut answers: Answers = [None, None];
    let mut rejected = None;
    let mut buf = [0u8; MAX_DATAGRAM];
    while answers.iter().any(Option::is_none) {
        let n = match socket.recv(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if !wait_readable(&socket, until) {
                    break;
                }
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(failed(e)),
        };
        for i in 0..QTYPES.len() {
            if answers[i].is_some() {
                continue;
            }
            match message::parse_response(&buf[..n], ids[i], qname, QTYPES[i]) {
                Ok(r) => {
                    answers[i] = Some(r);
                    break;
                }
                Err(Rejected::OtherId) => rejected = rejected.or(Some("another ID")),
                Err(Rejected::NotOurs(why) | Rejected::Malformed(why)) => rejected = Some(why),
            }
        }
    }
    if answers.iter().all(Option::is_none) {
        return Err(Silence::TimedOut(rejected));
    }
    Ok(answers)
}

/// One query over TCP (two length bytes, then the message), for a response
/// that did not fit in a datagram.
fn ask_tcp(
    server: SocketAddr,
    qname: &[u8],
    qtype: u16,
    until: &Deadline,
) -> Result<Response, Silence> {
    let timed_out = |e: &io::Error| {
        matches!(
            e.kind(),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
        )
    };
    let failed = |e: io::Error| {
        if timed_out(&e) {
            Silence::Failed("truncated over UDP, and no answer over TCP in time".into())
        } else {
            Silence::Failed(format!(
                "truncated over UDP, and over TCP: {}",
                io_reason(&e)
            ))
        }
    };
    let left = until.remaining();
    if left.is_zero() {
        return Err(failed(io::ErrorKind::TimedOut.into()));
    }
    let stream = TcpStream::connect_timeout(&server, left).map_err(failed)?;
    let mut stream = DeadlineStream::new(stream, *until).map_err(failed)?;
    let [id, _] = random_ids();
    let query = message::query(id, qname, qtype);
    let mut framed = (query.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&query);
    stream.write_all(&framed).map_err(failed)?;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).map_err(failed)?;
    // At most 65,535 bytes, by the two bytes that count them.
    let mut msg = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut msg).map_err(failed)?;
    match message::parse_response(&msg, id, qname, qtype) {
        Ok(r) => Ok(r),
        Err(Rejected::OtherId) => Err(Silence::Failed(
            "over TCP, a reply that fails the checks (another ID)".into(),
        )),
        Err(Rejected::NotOurs(why) | Rejected::Malformed(why)) => Err(Silence::Failed(format!(
            "over TCP, a reply that fails the checks ({why})"
        ))),
    }
}

/// Two different query IDs no one on the path can guess.
fn random_ids() -> [u16; 2] {
    let bits = RandomState::new().hash_one(std::time::Instant::now());
    let a = bits as u16;
    let b = (bits >> 16) as u16;
    [a, if b == a { a.wrapping_add(1) } else { b }]
}

/// Waits until `socket` has something to read; false at the deadline.
fn wait_readable(socket: &UdpSocket, until: &Deadline) -> bool {
    loop {
        let left = until.remaining();
        if left.is_zero() {
            return false;
        }
        let timeout = Timespec {
            tv_sec: left.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: left.subsec_nanos() as _, // below 10^9: fits any integer type
        };
        let mut fds = [PollFd::new(socket, PollFlags::IN)];
        match rustix::event::poll(&mut fds, Some(&timeout)) {
            Ok(0) | Err(rustix::io::Errno::INTR) => {}
            Ok(_) => return true,
            Err(_) => return false,
        }
    }
}
