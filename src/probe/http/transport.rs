//! ureq's side of an HTTP check: the agent gets the connection the check made
//! itself (TCP or a unix socket, with TLS already set up) and never resolves
//! a name or connects on its own. That keeps one resolver (no thread, no
//! /etc/hosts for localhost), one address loop that names every address
//! tried, and one TLS setup for HTTP and gRPC alike.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Mutex, PoisonError};

use ureq::Agent;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

use crate::deadline::Deadline;
use crate::net::conn::Conn;

/// ureq's input buffer; it also bounds the response head.
pub const INPUT_BUFFER: usize = 16 * 1024;
/// ureq's output buffer: the request head must fit.
pub const OUTPUT_BUFFER: usize = 8 * 1024;

/// The User-Agent sent (over HTTP/2 as well).
pub const USER_AGENT: &str = concat!("healthprobe/", env!("CARGO_PKG_VERSION"));
/// The Accept sent.
pub const ACCEPT: &str = "*/*";

/// An agent that speaks HTTP/1.1 over `conn`, for one request.
pub fn agent(conn: Conn, deadline: &Deadline) -> Agent {
    let config = Config::builder()
        .timeout_global(Some(deadline.remaining()))
        .proxy(None) // HTTP_PROXY & co. are ignored: a health check talks to its own container.
        .http_status_as_error(false)
        .max_redirects(0) // a 3xx is a verdict, as with curl without -L
        .save_redirect_history(false)
        .user_agent(USER_AGENT)
        .accept(ACCEPT)
        .allow_non_standard_methods(true)
        .max_idle_connections(0)
        // ureq's 128 KiB buffers cost more to zero than the whole request; a
        // health check's heads fit in these (larger is reported as such).
        .input_buffer_size(INPUT_BUFFER)
        .output_buffer_size(OUTPUT_BUFFER)
        .max_response_header_size(INPUT_BUFFER - 1024)
        .build();
    Agent::with_parts(config, Handover(Mutex::new(Some(conn))), NoResolver)
}

/// Hands ureq the one connection the check made.
#[derive(Debug)]
struct Handover(Mutex<Option<Conn>>);

impl Connector<()> for Handover {
    type Out = ConnTransport;

    fn connect(
        &self,
        details: &ConnectionDetails,
        _: Option<()>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let conn = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or(ureq::Error::ConnectionFailed)?;
        let buffers = SmallBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(ConnTransport { conn, buffers }))
    }
}

/// ureq must be given an address to "connect" to; the connection is made
/// already, so this one is never dialled.
#[derive(Debug)]
struct NoResolver;

impl Resolver for NoResolver {
    fn resolve(
        &self,
        _: &Uri,
        _: &Config,
        _: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let mut out = self.empty();
        out.push(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        Ok(out)
    }
}

/// A ureq transport over our connection: it waits with the deadline's
/// precision (see `crate::net::socket`).
#[derive(Debug)]
struct ConnTransport {
    conn: Conn,
    buffers: SmallBuffers,
}

/// ureq's buffers, kept as its `LazyBuffers` keeps them, with two differences
/// measured on a whole http check: they are allocated zeroed in one go
/// (`LazyBuffers` grows them with `Vec::resize`, which under this crate's
/// `opt-level = "z"` zeroes a byte at a time: 148,000 of the check's 356,000
/// instructions, callgrind), and the input starts at 4 KiB, growing to its
/// full size only for a response head that needs it (zeroing 16 KiB that a
/// 200-byte answer never uses cost three page faults).
#[derive(Debug)]
struct SmallBuffers {
    input: Vec<u8>,
    /// What the input may grow to for reading (ureq's input buffer size).
    input_max: usize,
    /// `input[consumed..filled]` is read and not yet parsed.
    filled: usize,
    consumed: usize,
    /// The last consume took something (see `Buffers::can_use_input`).
    progress: bool,
    output: Vec<u8>,
}

/// The input's first size: a health endpoint's whole answer fits.
const INPUT_START: usize = 4 * 1024;

impl SmallBuffers {
    fn new(input_max: usize, output: usize) -> SmallBuffers {
        SmallBuffers {
            input: vec![0; INPUT_START.min(input_max)],
            input_max,
            filled: 0,
            consumed: 0,
            progress: false,
            output: vec![0; output],
        }
    }

    /// Room at the end of the input, at least `want` bytes where the input
    /// may grow that far: drops what is parsed, moves the rest to the front
    /// when it sits in the back half, and grows the input (doubling) when
    /// the room is short.
    fn free(&mut self, want: usize, max: usize) -> &mut [u8] {
        if self.consumed == self.filled {
            (self.consumed, self.filled) = (0, 0);
        } else if self.consumed > 0 && self.filled > self.input.len() / 2 {
            self.input.copy_within(self.consumed..self.filled, 0);
            (self.consumed, self.filled) = (0, self.filled - self.consumed);
        }
        let room = self.input.len() - self.filled;
        if room < want && self.input.len() < max {
            let size = (self.input.len() * 2).max(self.filled + want).min(max);
            let mut bigger = vec![0; size];
            bigger[..self.filled].copy_from_slice(&self.input[..self.filled]);
            self.input = bigger;
        }
        &mut self.input[self.filled..]
    }
}

impl Buffers for SmallBuffers {
    fn output(&mut self) -> &mut [u8] {
        &mut self.output
    }

    fn input(&self) -> &[u8] {
        &self.input[self.consumed..self.filled]
    }

    fn input_append_buf(&mut self) -> &mut [u8] {
        // Grows before it is full, so that a read never gets an empty
        // buffer while the input may still grow (ureq would take the 0 for
        // the end of the stream).
        self.free(1024, self.input_max)
    }

    fn input_appended(&mut self, amount: usize) {
        self.filled = (self.filled + amount).min(self.input.len());
    }

    fn input_consume(&mut self, amount: usize) {
        self.progress = amount > 0;
        self.consumed = (self.consumed + amount).min(self.filled);
    }

    fn tmp_and_output(&mut self) -> (&mut [u8], &mut [u8]) {
        // ureq reads a request body into the free input as scratch space and
        // wants 10 KiB of it, as LazyBuffers gives it.
        const MIN_TMP: usize = 10 * 1024;
        let want = self.filled + MIN_TMP;
        self.free(MIN_TMP, want.max(self.input_max));
        (&mut self.input[self.filled..], &mut self.output)
    }

    fn can_use_input(&self) -> bool {
        self.consumed < self.filled && self.progress
    }
}

fn ureq_error(e: std::io::Error, timeout: NextTimeout) -> ureq::Error {
    match e.kind() {
        std::io::ErrorKind::TimedOut => ureq::Error::Timeout(timeout.reason),
        _ => ureq::Error::Io(e),
    }
}

impl Transport for ConnTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        use std::io::Write;
        let output = &self.buffers.output()[..amount];
        self.conn
            .write_all(output)
            .and_then(|()| self.conn.flush())
            .map_err(|e| ureq_error(e, timeout))
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        use std::io::Read;
        let input = self.buffers.input_append_buf();
        let amount = self.conn.read(input).map_err(|e| ureq_error(e, timeout))?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        true
    }

    fn is_tls(&self) -> bool {
        self.conn.is_tls()
    }
}
