//! SIGTERM and SIGINT end the probe at once with exit 1 and one line, after
//! killing the process groups of any exec checks still running.

use std::sync::atomic::{AtomicI32, Ordering};

/// Process groups of running exec checks (0 = free slot).
static GROUPS: [AtomicI32; 16] = [const { AtomicI32::new(0) }; 16];

/// Remembers an exec check's process group until [`forget_group`].
pub fn remember_group(group: i32) {
    for slot in &GROUPS {
        if slot
            .compare_exchange(0, group, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return;
        }
    }
}

pub fn forget_group(group: i32) {
    for slot in &GROUPS {
        let _ = slot.compare_exchange(group, 0, Ordering::SeqCst, Ordering::SeqCst);
    }
}

/// Installs the handlers. Called once, first thing in main.
pub fn install() {
    let handler: extern "C" fn(libc::c_int) = on_signal;
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: a zeroed sigaction with a valid handler address; the handler
        // only calls async-signal-safe functions (kill, write, _exit).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler as usize;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

extern "C" fn on_signal(sig: libc::c_int) {
    for slot in &GROUPS {
        let group = slot.load(Ordering::SeqCst);
        if group > 0 {
            // SAFETY: kill is async-signal-safe.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
    }
    let message: &[u8] = if sig == libc::SIGINT {
        b"unhealthy: stopped by SIGINT before the check finished\n"
    } else {
        b"unhealthy: stopped by SIGTERM before the check finished\n"
    };
    // SAFETY: write and _exit are async-signal-safe; the buffer is static.
    unsafe {
        libc::write(1, message.as_ptr().cast(), message.len());
        libc::_exit(1);
    }
}
