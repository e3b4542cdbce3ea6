//! The healthprobe binary: everything is in the library (`src/lib.rs`); this
//! file holds what only a binary can: the global allocator and the signal
//! handlers installed before Rust's runtime starts.

use std::process::ExitCode;

use healthprobe::alloc::{ARENA_SIZE, Allocator};

#[global_allocator]
// SAFETY: ARENA is the global allocator's alone.
static ALLOCATOR: Allocator<ARENA_SIZE> = unsafe { Allocator::new(&raw mut ARENA) };
static mut ARENA: [u8; ARENA_SIZE] = [0; ARENA_SIZE];

/// SIGTERM and SIGINT are handled from the first instruction of ours that
/// runs: musl calls `.init_array` entries before Rust's runtime and main.
#[used]
// SAFETY: a plain function pointer in the section musl's start-up code walks;
// `install` only makes sigaction system calls.
#[unsafe(link_section = ".init_array")]
static INSTALL_SIGNAL_HANDLERS: extern "C" fn() = healthprobe::signals::install;

fn main() -> ExitCode {
    ExitCode::from(healthprobe::main())
}
