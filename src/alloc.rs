//! The global allocator: talc over a static 256 KiB arena, with the system
//! allocator behind it.
//!
//! A probe lives for a millisecond. musl's allocator gives memory back to the
//! kernel as soon as it is freed, which cost an mmap/munmap pair (and fresh
//! zeroed pages) per buffer: more than half of the probe's system calls. talc
//! serves allocations from an arena in .bss (pages are touched only when
//! used, no system call at all); clap alone allocates and frees some 200 KB
//! while it parses. What does not fit goes to the system allocator, so memory
//! stays bounded by what is live. talc (fuzzed, and checked with Miri by its
//! authors) replaced a hand-written arena whose size classes could hand out
//! memory still in use after a shrink. Measured on `--version`: the same
//! system calls as that arena (talc taking its memory from musl instead cost
//! four more), 4 KiB smaller.

use std::alloc::{GlobalAlloc, Layout, System};

use talc::TalcLock;
use talc::source::Claim;

/// The arena's size: a whole run of the probe fits in it.
pub const ARENA_SIZE: usize = 256 * 1024;

type Talc = TalcLock<spinning_top::RawSpinlock, Claim>;

pub struct Allocator<const N: usize> {
    talc: Talc,
    /// The arena talc owns; only compared with, never dereferenced here.
    arena: *mut [u8; N],
}

// SAFETY: the arena pointer is only compared with; talc synchronises all
// access to the memory behind it with its lock.
unsafe impl<const N: usize> Sync for Allocator<N> {}

impl<const N: usize> Allocator<N> {
    /// # Safety
    /// `arena` is used by nothing else for the rest of the program.
    pub const unsafe fn new(arena: *mut [u8; N]) -> Self {
        Allocator {
            // SAFETY: the caller hands us the arena for good.
            talc: TalcLock::new(unsafe { Claim::array(arena) }),
            arena,
        }
    }

    fn in_arena(&self, ptr: *mut u8) -> bool {
        let base = self.arena.cast::<u8>() as usize;
        (base..base + N).contains(&(ptr as usize))
    }
}

// SAFETY: every block comes from exactly one of talc (inside ARENA) or the
// system allocator, and goes back to the one that made it, told apart by its
// address; both uphold GlobalAlloc's contract themselves.
unsafe impl<const N: usize> GlobalAlloc for Allocator<N> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's layout contract is passed on unchanged.
        unsafe {
            let ptr = self.talc.alloc(layout);
            if ptr.is_null() {
                System.alloc(layout)
            } else {
                ptr
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: ptr came from the allocator its address points to.
        unsafe {
            if self.in_arena(ptr) {
                self.talc.dealloc(ptr, layout)
            } else {
                System.dealloc(ptr, layout)
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !self.in_arena(ptr) {
            // SAFETY: a system block stays with the system allocator.
            return unsafe { System.realloc(ptr, layout, new_size) };
        }
        // SAFETY: ptr is talc's, with this layout; on failure talc leaves it intact.
        let moved = unsafe { self.talc.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            return moved;
        }
        // The arena is full: move the block to the system allocator.
        // SAFETY: realloc's contract makes (new_size, align) a valid layout; the
        // new block is at least min(old, new) bytes and does not overlap the old.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = System.alloc(new_layout);
            if !new.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.talc.dealloc(ptr, layout);
            }
            new
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift), so a failure can be replayed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> usize {
            (self.next() % n) as usize
        }
    }

    struct Block {
        ptr: *mut u8,
        layout: Layout,
        fill: u8,
    }

    fn check(b: &Block) {
        // SAFETY: the block is live and `layout.size()` bytes long.
        let bytes = unsafe { std::slice::from_raw_parts(b.ptr, b.layout.size()) };
        assert!(
            bytes.iter().all(|&x| x == b.fill),
            "a live block was overwritten"
        );
    }

    /// Random sizes (up to 300 KiB, so the arena fills and spills over),
    /// alignments, grows, shrinks and frees from several threads at once; every
    /// block's contents are checked before each change and at the end.
    #[test]
    fn random_use_from_many_threads_never_overlaps_blocks() {
        static mut MEMORY: [u8; 64 * 1024] = [0; 64 * 1024];
        // SAFETY: MEMORY belongs to this allocator alone.
        static SHARED: Allocator<{ 64 * 1024 }> = unsafe { Allocator::new(&raw mut MEMORY) };
        std::thread::scope(|scope| {
            for t in 0..8u64 {
                scope.spawn(move || {
                    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t + 1));
                    let mut live: Vec<Block> = Vec::new();
                    for step in 0..3000 {
                        let fill = (step % 251) as u8 + 1;
                        match rng.below(4) {
                            0 | 1 if live.len() < 64 => {
                                let size = match rng.below(10) {
                                    0 => 65_536 + rng.below(240_000),
                                    1..=3 => 1 + rng.below(8192),
                                    _ => 1 + rng.below(256),
                                };
                                let align = 1 << rng.below(8);
                                let layout = Layout::from_size_align(size, align).unwrap();
                                // SAFETY: a non-zero size.
                                let ptr = unsafe { SHARED.alloc(layout) };
                                assert!(!ptr.is_null() && (ptr as usize).is_multiple_of(align));
                                // SAFETY: a fresh block of `size` bytes.
                                unsafe { ptr.write_bytes(fill, size) };
                                live.push(Block { ptr, layout, fill });
                            }
                            2 if !live.is_empty() => {
                                let i = rng.below(live.len() as u64);
                                let b = &mut live[i];
                                check(b);
                                // Half of the time shrink, often across the 64 KiB line.
                                let new_size = if rng.below(2) == 0 {
                                    1 + rng.below(b.layout.size() as u64)
                                } else {
                                    1 + rng.below(2 * b.layout.size() as u64 + 70_000)
                                };
                                // SAFETY: b is live with this layout; new_size is non-zero.
                                let ptr = unsafe { SHARED.realloc(b.ptr, b.layout, new_size) };
                                assert!(
                                    !ptr.is_null()
                                        && (ptr as usize).is_multiple_of(b.layout.align())
                                );
                                let kept = b.layout.size().min(new_size);
                                // SAFETY: the first `kept` bytes moved with the block.
                                let moved = unsafe { std::slice::from_raw_parts(ptr, kept) };
                                assert!(moved.iter().all(|&x| x == b.fill), "realloc lost data");
                                // SAFETY: the block is new_size bytes long now.
                                unsafe { ptr.write_bytes(fill, new_size) };
                                b.ptr = ptr;
                                b.layout =
                                    Layout::from_size_align(new_size, b.layout.align()).unwrap();
                                b.fill = fill;
                            }
                            _ if !live.is_empty() => {
                                let b = live.swap_remove(rng.below(live.len() as u64));
                                check(&b);
                                // SAFETY: b is live with this layout, and freed once.
                                unsafe { SHARED.dealloc(b.ptr, b.layout) };
                            }
                            _ => {}
                        }
                    }
                    for b in live {
                        check(&b);
                        // SAFETY: as above.
                        unsafe { SHARED.dealloc(b.ptr, b.layout) };
                    }
                });
            }
        });
    }

    /// The case that broke the hand-written arena: a large block shrunk below
    /// 64 KiB, freed, and its memory handed out while newer blocks sat in it.
    #[test]
    fn shrink_then_free_does_not_hand_out_live_memory() {
        static mut MEMORY: [u8; ARENA_SIZE] = [0; ARENA_SIZE];
        // SAFETY: MEMORY belongs to this allocator alone.
        static SHARED: Allocator<ARENA_SIZE> = unsafe { Allocator::new(&raw mut MEMORY) };
        let big = Layout::from_size_align(100_000, 8).unwrap();
        // SAFETY: non-zero sizes, each block freed once with its own layout.
        unsafe {
            let a = SHARED.alloc(big);
            let a = SHARED.realloc(a, big, 40_000);
            let shrunk = Layout::from_size_align(40_000, 8).unwrap();
            let b_layout = Layout::from_size_align(30_000, 8).unwrap();
            let b = SHARED.alloc(b_layout);
            b.write_bytes(0xbb, 30_000);
            SHARED.dealloc(a, shrunk);
            let c_layout = Layout::from_size_align(65_536, 8).unwrap();
            let c = SHARED.alloc(c_layout);
            c.write_bytes(0xcc, 65_536);
            let b_bytes = std::slice::from_raw_parts(b, 30_000);
            assert!(
                b_bytes.iter().all(|&x| x == 0xbb),
                "a live block was overwritten"
            );
            SHARED.dealloc(b, b_layout);
            SHARED.dealloc(c, c_layout);
        }
    }
}
