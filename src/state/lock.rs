//! One run at a time updates a record: an exclusive `flock` on a lock file
//! beside it (the record itself is replaced by rename, so it cannot carry
//! the lock). flock has no timeout, so the lock is tried without blocking
//! and retried until the caller gives up; a run that gives up judges
//! without recording. The kernel drops the lock when the process ends, so a
//! probe SIGKILLed by its runtime never leaves it held.

use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use rustix::fs::{FlockOperation, flock};
use rustix::io::Errno;

/// Held until dropped (closing the file releases the lock).
pub struct Lock {
    _fd: OwnedFd,
}

/// The pause between two tries: short, as a holder keeps the lock for
/// the few system calls of one update.
const RETRY: Duration = Duration::from_millis(1);

impl Lock {
    /// Takes the lock on `fd` within `patience`; `Err` says why not.
    pub fn take(fd: OwnedFd, patience: Duration) -> Result<Lock, String> {
        let started = Instant::now();
        loop {
            match flock(&fd, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(Lock { _fd: fd }),
                Err(Errno::WOULDBLOCK | Errno::INTR) if started.elapsed() < patience => {
                    std::thread::sleep(RETRY.min(patience.saturating_sub(started.elapsed())));
                }
                Err(Errno::WOULDBLOCK | Errno::INTR) => {
                    return Err(format!(
                        "another run held the state lock for {}",
                        crate::report::format_duration(started.elapsed())
                    ));
                }
                Err(e) => {
                    let why = crate::net::io_reason(&std::io::Error::from(e));
                    return Err(format!("cannot lock the state: {why}"));
                }
            }
        }
    }
}
