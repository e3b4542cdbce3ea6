//! Asking one server, under a deadline: the queries (A and AAAA, or one
//! type) go out together, one UDP datagram each (as glibc sends them), and
//! what comes back is matched to them; a truncated answer is asked again
//! over TCP. The deadline is looked at after every datagram, so a peer that
//! keeps the socket's buffer full cannot hold the probe past it.
//!
//! The UDP socket is connected to the server, so the kernel drops datagrams
//! from any other address or port (and an ICMP "port unreachable" ends the
//! wait at once as "connection refused"). IDs come from getrandom, the
//! source port from the kernel. The socket is non-blocking and every wait is
//! a `ppoll` bounded by the deadline, as in `net::socket`; TCP goes through
//! `net::conn::Conn`, as every check's does.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

use rustix::event::{PollFd, PollFlags, Timespec};

use crate::deadline::Deadline;
use crate::net::conn::Conn;
use crate::net::io_reason;
use crate::target::HostPort;

use super::message::{self, Rejected, Response};

/// A UDP response we read whole: without EDNS a server sends at most 512
/// bytes; anything longer is cut here and fails the checks.
const MAX_DATAGRAM: usize = 4096;

/// The responses to the queries, in their order (`None`: none came in time).
pub type Answers = Vec<Option<Response>>;

/// Why asking a server got nothing usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Silence {
    /// Nothing we could use before the deadline; when replies came that
    /// failed the checks, why the last one did.
    TimedOut(Option<&'static str>),
    /// The connection (or an ICMP error) says why.
    Failed(String),
}

/// One server, asked for records of one name (one query a type) over UDP, on one
/// socket for every try: an answer to an earlier try that comes late still
/// counts, and a try sends again only what is still unanswered.
pub struct Asker<'a> {
    server: SocketAddr,
    qname: &'a [u8],
    qtypes: &'a [u16],
    socket: Option<UdpSocket>,
    /// The IDs of every try so far, per query type (the first `qtypes.len()`).
    sent: Vec<[u16; 2]>,
    answers: Answers,
    over_tcp: bool,
}

impl<'a> Asker<'a> {
    pub fn new(server: SocketAddr, qname: &'a [u8], qtypes: &'a [u16]) -> Self {
        Asker {
            server,
            qname,
            qtypes,
            socket: None,
            sent: Vec::new(),
            answers: vec![None; qtypes.len()],
            over_tcp: false,
        }
    }

    /// One more try, waiting until `until`: the answers so far (at least
    /// one), and whether TCP was needed.
    pub fn ask(&mut self, until: &Deadline) -> Result<(&Answers, bool), Silence> {
        self.ask_udp(until)?;
        for (i, &qtype) in self.qtypes.iter().enumerate() {
            if self.answers[i].as_ref().is_some_and(|r| r.truncated) {
                self.answers[i] = Some(ask_tcp(self.server, self.qname, qtype, until)?);
                self.over_tcp = true;
            }
        }
        Ok((&self.answers, self.over_tcp))
    }

    fn socket(&mut self) -> io::Result<&UdpSocket> {
        if self.socket.is_none() {
            let local: SocketAddr = if self.server.is_ipv4() {
                (Ipv4Addr::UNSPECIFIED, 0).into()
            } else {
                (Ipv6Addr::UNSPECIFIED, 0).into()
            };
            let socket = UdpSocket::bind(local)?;
            socket.connect(self.server)?;
            socket.set_nonblocking(true)?;
            self.socket = Some(socket);
        }
        self.socket
            .as_ref()
            .ok_or_else(|| io::ErrorKind::NotConnected.into())
    }

    fn ask_udp(&mut self, until: &Deadline) -> Result<(), Silence> {
        let failed = |e: io::Error| Silence::Failed(io_reason(&e));
        let ids = random_ids();
        let (qname, qtypes) = (self.qname, self.qtypes);
        let missing: Vec<bool> = self.answers.iter().map(Option::is_none).collect();
        let socket = self.socket().map_err(failed)?;
        for ((id, &qtype), missing) in ids.into_iter().zip(qtypes).zip(missing) {
            if missing {
                socket
                    .send(&message::query(id, qname, qtype))
                    .map_err(failed)?;
            }
        }
        self.sent.push(ids);
        let mut rejected = None;
        let mut buf = [0u8; MAX_DATAGRAM];
        while self.answers.iter().any(Option::is_none) && !until.expired() {
            let Some(socket) = self.socket.as_ref() else {
                break;
            };
            let n = match socket.recv(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if !wait_readable(socket, until) {
                        break;
                    }
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(failed(e)),
            };
            if let Err(why) = self.take(&buf[..n]) {
                rejected = Some(why);
            }
        }
        if self.answers.iter().all(Option::is_none) {
            return Err(Silence::TimedOut(rejected));
        }
        Ok(())
    }

    /// Files `datagram` as the answer to the query it answers, or says why
    /// it answers none.
    fn take(&mut self, datagram: &[u8]) -> Result<(), &'static str> {
        let mut why = "another ID";
        for (i, &qtype) in self.qtypes.iter().enumerate() {
            if self.answers[i].is_some() {
                continue;
            }
            for ids in &self.sent {
                match message::parse_response(datagram, ids[i], self.qname, qtype) {
                    Ok(r) => {
                        self.answers[i] = Some(r);
                        return Ok(());
                    }
                    Err(Rejected::OtherId) => {}
                    Err(Rejected::NotOurs(w) | Rejected::Malformed(w)) => why = w,
                }
            }
        }
        Err(why)
    }
}

/// One query over TCP (two length bytes, then the message), for a response
/// that did not fit in a datagram; through `Conn`, as every check's TCP.
fn ask_tcp(
    server: SocketAddr,
    qname: &[u8],
    qtype: u16,
    until: &Deadline,
) -> Result<Response, Silence> {
    let target = HostPort {
        host: server.ip().to_string(),
        port: server.port(),
    };
    let mut conn = Conn::tcp(&target, until, &mut Vec::new())
        .map_err(|e| Silence::Failed(format!("truncated over UDP, and over TCP: {e}")))?;
    let failed = |e: io::Error| {
        if matches!(
            e.kind(),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
        ) {
            Silence::Failed("truncated over UDP, and no answer over TCP in time".into())
        } else {
            Silence::Failed(format!(
                "truncated over UDP, and over TCP: {}",
                io_reason(&e)
            ))
        }
    };
    let [id, _] = random_ids();
    let query = message::query(id, qname, qtype);
    let mut framed = (query.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&query);
    conn.write_all(&framed).map_err(failed)?;
    let mut len = [0u8; 2];
    conn.read_exact(&mut len).map_err(failed)?;
    // At most 65,535 bytes, by the two bytes that count them.
    let mut msg = vec![0u8; u16::from_be_bytes(len) as usize];
    conn.read_exact(&mut msg).map_err(failed)?;
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

/// Two different query IDs no one off the path can guess (getrandom; the
/// clock if the kernel refuses).
fn random_ids() -> [u16; 2] {
    let mut bytes = [0u8; 4];
    if rustix::rand::getrandom(&mut bytes, rustix::rand::GetRandomFlags::empty()).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        bytes = (nanos ^ std::process::id().rotate_left(16)).to_le_bytes();
    }
    let a = u16::from_le_bytes([bytes[0], bytes[1]]);
    let b = u16::from_le_bytes([bytes[2], bytes[3]]);
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
