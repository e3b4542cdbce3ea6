//! `healthprobe serve [--listen ADDR:PORT] TARGET...`: the checks' verdict
//! over HTTP (`GET /healthz`) and gRPC health v1 on one port, for what an
//! orchestrator cannot check itself (databases, unix sockets, TLS gRPC)
//! without an exec probe, which costs a process per probe.
//!
//! It sits beside `lib::run` and `wait`: the same plan, `probe::run_all`
//! and `report::render`, so a served line means what a printed one does.
//! The parts: `health.rs` (one run shared by every request, cached),
//! `conn.rs` (a client's socket, bounded waits, the stop), `http1.rs` and
//! `grpc.rs` (the two protocols, told apart by the HTTP/2 preface).
//!
//! Threads: the accepting one (this), one for the checks, one per client
//! connection with a small stack, at most [`MAX_CONNECTIONS`]; a client
//! past that is answered 503 and closed at once, from this thread, without
//! waiting on it. Blocking threads and not an event loop: the code reads
//! like the plain run's, and it is fast enough by far (with keep-alive,
//! 70-90% of nginx's rate on one core; 10,000 connections at once: 9,936
//! turned away, 2 MiB peak RSS; docs/incoming/serve-performance.md).
//! SIGTERM or SIGINT (see `signals::serve_mode`) stops the accepting, lets
//! answers in flight go out, and exits 0 within [`DRAIN_LIMIT`].

mod conn;
mod grpc;
mod health;
pub mod http1;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rustix::event::{PollFd, PollFlags, Timespec};

use crate::probe::Check;
use crate::report;
use crate::signals;
use crate::values::Options;
use conn::Conn;
use health::Health;

/// Client connections served at once.
pub const MAX_CONNECTIONS: usize = 64;
/// Connections the kernel holds for us before we accept them.
pub const ACCEPT_BACKLOG: i32 = 1024;
/// How long accepting pauses when accept fails (EMFILE, ENOMEM).
pub const ACCEPT_PAUSE: Duration = Duration::from_millis(50);
/// Stack of a connection's thread: it parses, waits and writes; the checks
/// run on their own thread.
pub const CONNECTION_STACK: usize = 64 * 1024;
/// After a stop, answers in flight get this long before the process exits.
pub const DRAIN_LIMIT: Duration = Duration::from_millis(800);

/// Serves until SIGTERM or SIGINT; `Ok` after a clean stop.
pub fn run(checks: Vec<Check>, opts: &Options) -> Result<()> {
    let addr = opts
        .listen
        .unwrap_or(SocketAddr::from(([0, 0, 0, 0], 8081)));
    let stop = signals::serve_mode().context("serve: cannot make the stop pipe")?;
    let listener = listen(addr).with_context(|| format!("listen on {addr}"))?;
    let targets = checks.len();
    let shown = listener.local_addr().unwrap_or(addr);
    log(
        opts.quiet,
        &format!(
            "serving /healthz and grpc.health.v1 on {shown} for {targets} target{}\n",
            if targets == 1 { "" } else { "s" }
        ),
    );
    let health = Health::start(
        checks,
        opts,
        opts.timeout.unwrap_or(crate::cli::DEFAULT_TIMEOUT),
    )
    .context("serve: cannot start the checks' thread")?;
    let active = Arc::new(AtomicUsize::new(0));
    while wait_for_client(&listener, stop) {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            // Out of descriptors or memory: the client waits in the backlog
            // while we pause, rather than this loop spinning on it.
            Err(_) => {
                std::thread::sleep(ACCEPT_PAUSE);
                continue;
            }
        };
        admit(stream, &active, &health, stop);
    }
    drop(listener);
    let until = Instant::now() + DRAIN_LIMIT;
    while active.load(Ordering::SeqCst) > 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

/// A listening socket with room for [`ACCEPT_BACKLOG`] clients not yet
/// accepted (std's 128 made a burst of 1,000 connections wait for the
/// kernel's SYN retries instead of getting their 503 at once).
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    use rustix::net::{AddressFamily, SocketFlags, SocketType, sockopt};
    let family = match addr {
        SocketAddr::V4(_) => AddressFamily::INET,
        SocketAddr::V6(_) => AddressFamily::INET6,
    };
    let flags = SocketFlags::CLOEXEC | SocketFlags::NONBLOCK;
    let socket = rustix::net::socket_with(family, SocketType::STREAM, flags, None)?;
    sockopt::set_socket_reuseaddr(&socket, true)?;
    rustix::net::bind(&socket, &addr)?;
    rustix::net::listen(&socket, ACCEPT_BACKLOG)?;
    Ok(TcpListener::from(socket))
}

/// Prints a line of the log, unless --quiet.
fn log(quiet: bool, line: &str) {
    if !quiet {
        report::print(line);
    }
}

/// Waits for a client or the stop: `false` once stopping.
fn wait_for_client(listener: &TcpListener, stop: BorrowedFd<'_>) -> bool {
    loop {
        let mut fds = [
            PollFd::new(listener, PollFlags::IN),
            PollFd::new(&stop, PollFlags::IN),
        ];
        match rustix::event::poll(&mut fds, None::<&Timespec>) {
            Ok(_) if !fds[1].revents().is_empty() => return false,
            Ok(_) => return true,
            Err(rustix::io::Errno::INTR) => continue,
            // Not expected with two valid descriptors; stop rather than spin.
            Err(_) => return false,
        }
    }
}

/// Serves `stream` on a thread of its own, or answers 503 when
/// [`MAX_CONNECTIONS`] are served already (or no thread can be had).
fn admit(
    stream: TcpStream,
    active: &Arc<AtomicUsize>,
    health: &Arc<Health>,
    stop: BorrowedFd<'static>,
) {
    let opened = Instant::now();
    if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
        active.fetch_sub(1, Ordering::SeqCst);
        return turn_away(stream);
    }
    let Ok(conn) = Conn::new(stream, stop) else {
        active.fetch_sub(1, Ordering::SeqCst);
        return;
    };
    let counted = Counted(Arc::clone(active));
    let health = Arc::clone(health);
    // No thread to be had: the closure, with the connection and its count,
    // is dropped, and the client sees the close.
    let _ = std::thread::Builder::new()
        .stack_size(CONNECTION_STACK)
        .spawn(move || {
            let _counted = counted;
            let mut conn = conn;
            http1::serve(&mut conn, &health, opened);
        });
}

/// One connection in the count while it lives.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// 503 to a client over the limit, written only if the socket takes it at
/// once, then closed.
fn turn_away(stream: TcpStream) {
    use std::io::Write;
    let mut stream = stream;
    if stream.set_nonblocking(true).is_ok() {
        let _ = stream.write(&http1::busy(MAX_CONNECTIONS));
    }
}
