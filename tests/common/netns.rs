//! A network namespace of the test's own: nothing else on this machine
//! listens in it, no traffic leaves it, and 10.250.0.2/32 on its `lo` stands
//! for a container's own address. Made by one thread of the test with
//! unshare(CLONE_NEWNET), which moves that thread only; what it starts (the
//! probe, `ip`) and the sockets it opens are inside.

use std::process::Command;

use super::{is_root, require};

/// Runs `f` on a thread inside a fresh network namespace with `lo` up and
/// 10.250.0.2/32 on it: the container's own address.
pub fn in_namespace<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        s.spawn(|| {
            new_net_namespace();
            ip(&["link", "set", "lo", "up"]);
            ip(&["addr", "add", "10.250.0.2/32", "dev", "lo"]);
            f()
        })
        .join()
        .expect("the namespaced part of the test")
    })
}

/// Moves this thread (and what it starts) into a new network namespace.
pub fn new_net_namespace() {
    require(is_root(), "root, for a network namespace of the test's own");
    // SAFETY: unshare has no memory-safety preconditions; CLONE_NEWNET
    // applies to the calling thread only.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    require(
        rc == 0,
        "unshare(CLONE_NEWNET): root and a kernel with network namespaces",
    );
}

pub fn ip(args: &[&str]) {
    let status = Command::new("ip").args(args).status();
    require(
        status.as_ref().is_ok_and(|s| s.success()),
        &format!("ip {} (apt install iproute2): {status:?}", args.join(" ")),
    );
}
