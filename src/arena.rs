//! The global allocator: a bump arena in front of the system allocator.
//!
//! A probe lives for a millisecond. musl's allocator returns memory to the
//! kernel as soon as it is freed, which costs an mmap/munmap pair (and fresh
//! zeroed pages) per buffer: more than half of the probe's system calls. Here
//! allocations are carved from one static arena and frees are only taken back
//! when they are the latest allocation; once the arena is used up, the system
//! allocator takes over, so memory stays bounded by ARENA_SIZE plus what is live.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicUsize, Ordering};

const ARENA_SIZE: usize = 256 * 1024;

#[repr(C, align(4096))]
struct Memory(UnsafeCell<[u8; ARENA_SIZE]>);

// SAFETY: every byte range is handed to at most one allocation at a time,
// decided by the atomic `used` below.
unsafe impl Sync for Memory {}

pub struct Arena {
    memory: Memory,
    used: AtomicUsize,
}

impl Arena {
    pub const fn new() -> Self {
        Arena {
            memory: Memory(UnsafeCell::new([0; ARENA_SIZE])),
            used: AtomicUsize::new(0),
        }
    }

    fn base(&self) -> usize {
        self.memory.0.get() as usize
    }

    fn contains(&self, ptr: *mut u8) -> bool {
        let p = ptr as usize;
        p >= self.base() && p < self.base() + ARENA_SIZE
    }

    /// Offset of a fresh block for `layout`, or None when the arena is full.
    fn bump(&self, layout: Layout) -> Option<usize> {
        let base = self.base();
        let mut used = self.used.load(Ordering::Relaxed);
        loop {
            let start = (base + used).checked_next_multiple_of(layout.align())? - base;
            let end = start.checked_add(layout.size())?;
            if end > ARENA_SIZE {
                return None;
            }
            match self
                .used
                .compare_exchange_weak(used, end, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return Some(start),
                Err(now) => used = now,
            }
        }
    }
}

// SAFETY: blocks never overlap (atomic bump), are aligned as asked, and
// pointers outside the arena are passed to the system allocator that made them.
unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.bump(layout) {
            Some(offset) => (self.base() + offset) as *mut u8,
            // SAFETY: same contract as ours.
            None => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if self.contains(ptr) {
            // Give the block back only if it is the latest one; otherwise it
            // stays used until the process exits.
            let end = ptr as usize - self.base() + layout.size();
            let _ = self.used.compare_exchange(
                end,
                end - layout.size(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        } else {
            // SAFETY: not ours, so the system allocator made it.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if self.contains(ptr) {
            // The latest block grows or shrinks in place when it fits.
            let start = ptr as usize - self.base();
            let old_end = start + layout.size();
            if let Some(new_end) = start.checked_add(new_size) {
                if new_end <= ARENA_SIZE
                    && self
                        .used
                        .compare_exchange(old_end, new_end, Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    return ptr;
                }
            }
            if new_size <= layout.size() {
                return ptr;
            }
        }
        // SAFETY: new_size and align make a valid layout, as realloc's contract requires.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: a fresh block of new_layout; copy the smaller of the two sizes, then free the old.
        unsafe {
            let new = self.alloc(new_layout);
            if !new.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_aligned_disjoint_and_spill_over() {
        let arena = Box::leak(Box::new(Arena::new()));
        unsafe {
            let a = arena.alloc(Layout::from_size_align(3, 1).unwrap());
            let b = arena.alloc(Layout::from_size_align(64, 64).unwrap());
            assert!(arena.contains(a) && arena.contains(b));
            assert_eq!(b as usize % 64, 0);
            assert!(b as usize >= a as usize + 3);
            // The latest block grows in place.
            let b2 = arena.realloc(b, Layout::from_size_align(64, 64).unwrap(), 128);
            assert_eq!(b, b2);
            // Too big for what is left: the system allocator serves it.
            let big = arena.alloc(Layout::from_size_align(ARENA_SIZE, 8).unwrap());
            assert!(!arena.contains(big));
            big.write_bytes(1, ARENA_SIZE);
            arena.dealloc(big, Layout::from_size_align(ARENA_SIZE, 8).unwrap());
            // Freeing the latest block gives its room back.
            let used = arena.used.load(Ordering::Relaxed);
            arena.dealloc(b2, Layout::from_size_align(128, 64).unwrap());
            assert_eq!(arena.used.load(Ordering::Relaxed), used - 128);
        }
    }
}
