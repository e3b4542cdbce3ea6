//! The global allocator: a small-block arena in front of the system allocator.
//!
//! A probe lives for a millisecond. musl's allocator returns memory to the
//! kernel as soon as it is freed, which costs an mmap/munmap pair (and fresh
//! zeroed pages) per buffer: more than half of the probe's system calls. Here
//! blocks come from one static arena; freed blocks up to 64 KiB go on a free
//! list per power-of-two size and are reused (clap alone allocates and frees
//! some 200 KB while it parses, much of it copies of the same vectors), larger
//! ones are grown in place or taken back only when they are the latest. Once
//! the arena is used up, the system allocator takes over, so memory stays
//! bounded by ARENA_SIZE plus what is live.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const ARENA_SIZE: usize = 256 * 1024;
/// Size classes: 16, 32, ... 64 KiB.
const MIN_CLASS_SHIFT: u32 = 4;
const CLASSES: usize = 13;
/// Every block is at least this aligned; larger alignments skip the classes.
const BLOCK_ALIGN: usize = 16;

#[repr(C, align(4096))]
struct Memory(UnsafeCell<[u8; ARENA_SIZE]>);

/// Heads of the free lists (offsets + 1 into the arena; 0 = empty). Each free
/// block holds the next head in its first word.
struct FreeLists(UnsafeCell<[usize; CLASSES]>);

// SAFETY: `Memory` ranges are handed to one allocation at a time (decided by
// the atomic `used` or under `lock`); `FreeLists` is only touched under `lock`.
unsafe impl Sync for Memory {}
unsafe impl Sync for FreeLists {}

pub struct Arena {
    memory: Memory,
    used: AtomicUsize,
    free: FreeLists,
    lock: AtomicBool,
}

impl Arena {
    pub const fn new() -> Self {
        Arena {
            memory: Memory(UnsafeCell::new([0; ARENA_SIZE])),
            used: AtomicUsize::new(0),
            free: FreeLists(UnsafeCell::new([0; CLASSES])),
            lock: AtomicBool::new(false),
        }
    }

    fn base(&self) -> usize {
        self.memory.0.get() as usize
    }

    fn contains(&self, ptr: *mut u8) -> bool {
        let p = ptr as usize;
        p >= self.base() && p < self.base() + ARENA_SIZE
    }

    /// The size class for `layout`, if it has one.
    fn class(layout: Layout) -> Option<usize> {
        if layout.align() > BLOCK_ALIGN {
            return None;
        }
        let size = layout.size().max(1 << MIN_CLASS_SHIFT).next_power_of_two();
        let class = (size.trailing_zeros() - MIN_CLASS_SHIFT) as usize;
        (class < CLASSES).then_some(class)
    }

    fn class_size(class: usize) -> usize {
        1 << (class as u32 + MIN_CLASS_SHIFT)
    }

    /// Runs `f` on the free lists, holding the spin lock.
    fn with_free_lists<T>(&self, f: impl FnOnce(&mut [usize; CLASSES]) -> T) -> T {
        while self
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        // SAFETY: the lock gives us the only access to the lists.
        let result = f(unsafe { &mut *self.free.0.get() });
        self.lock.store(false, Ordering::Release);
        result
    }

    /// Offset of a fresh block of `size` bytes aligned to `align`, or None when
    /// the arena is full.
    fn bump(&self, size: usize, align: usize) -> Option<usize> {
        let base = self.base();
        let mut used = self.used.load(Ordering::Relaxed);
        loop {
            let start = (base + used).checked_next_multiple_of(align)? - base;
            let end = start.checked_add(size)?;
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

// SAFETY: blocks never overlap (atomic bump; free-list blocks are handed out
// once under the lock), are aligned as asked, and pointers outside the arena
// go back to the system allocator that made them.
unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let base = self.base();
        if let Some(class) = Self::class(layout) {
            let reused = self.with_free_lists(|lists| {
                let head = lists[class];
                if head == 0 {
                    return None;
                }
                let block = (base + head - 1) as *mut usize;
                // SAFETY: a free block in the arena, holding the next head.
                lists[class] = unsafe { block.read() };
                Some(block.cast::<u8>())
            });
            if let Some(ptr) = reused {
                return ptr;
            }
            if let Some(offset) = self.bump(Self::class_size(class), BLOCK_ALIGN) {
                return (base + offset) as *mut u8;
            }
        } else if let Some(offset) = self.bump(layout.size(), layout.align().max(BLOCK_ALIGN)) {
            return (base + offset) as *mut u8;
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !self.contains(ptr) {
            // SAFETY: not ours, so the system allocator made it.
            unsafe { System.dealloc(ptr, layout) };
            return;
        }
        let offset = ptr as usize - self.base();
        match Self::class(layout) {
            Some(class) => self.with_free_lists(|lists| {
                // SAFETY: the block is ours again, at least 16 bytes and 16-aligned.
                unsafe { ptr.cast::<usize>().write(lists[class]) };
                lists[class] = offset + 1;
            }),
            None => {
                // A large block goes back only if it is the latest one.
                let end = offset + layout.size();
                let _ =
                    self.used
                        .compare_exchange(end, offset, Ordering::Relaxed, Ordering::Relaxed);
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if self.contains(ptr) {
            match Self::class(layout) {
                // Still fits the block it has: nothing to do.
                Some(class)
                    if new_size <= Self::class_size(class)
                        && new_size > Self::class_size(class) / 2 =>
                {
                    return ptr;
                }
                Some(_) => {}
                // A large block that is the latest grows or shrinks in place.
                None => {
                    let start = ptr as usize - self.base();
                    let old_end = start + layout.size();
                    if let Some(new_end) = start.checked_add(new_size).filter(|&e| e <= ARENA_SIZE)
                    {
                        let moved = self.used.compare_exchange(
                            old_end,
                            new_end,
                            Ordering::Relaxed,
                            Ordering::Relaxed,
                        );
                        if moved.is_ok() {
                            return ptr;
                        }
                    }
                }
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

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    #[test]
    fn blocks_are_aligned_disjoint_reused_and_spill_over() {
        let arena = Box::leak(Box::new(Arena::new()));
        unsafe {
            let a = arena.alloc(layout(3, 1));
            let b = arena.alloc(layout(64, 64));
            assert!(arena.contains(a) && arena.contains(b));
            assert_eq!(b as usize % 64, 0);
            assert!(b as usize >= a as usize + 3);
            // A freed small block is handed out again for the same class.
            arena.dealloc(a, layout(3, 1));
            assert_eq!(arena.alloc(layout(10, 8)), a);
            // Growing within the class keeps the block.
            let c = arena.alloc(layout(100, 8));
            assert_eq!(arena.realloc(c, layout(100, 8), 120), c);
            let d = arena.realloc(c, layout(100, 8), 300);
            assert_ne!(c, d);
            // Large blocks that are the latest grow in place.
            let l1 = arena.alloc(layout(70_000, 8));
            assert_eq!(arena.realloc(l1, layout(70_000, 8), 90_000), l1);
            arena.dealloc(l1, layout(90_000, 8));
            // Too big for what is left: the system allocator serves it.
            let big = arena.alloc(layout(ARENA_SIZE, 8));
            assert!(!arena.contains(big));
            big.write_bytes(1, ARENA_SIZE);
            arena.dealloc(big, layout(ARENA_SIZE, 8));
            // A large block that is the latest gives its room back.
            let used = arena.used.load(Ordering::Relaxed);
            let large = arena.alloc(layout(100_000, 8));
            arena.dealloc(large, layout(100_000, 8));
            assert_eq!(arena.used.load(Ordering::Relaxed), used);
        }
    }

    #[test]
    fn threads_share_it_safely() {
        let arena: &'static Arena = Box::leak(Box::new(Arena::new()));
        std::thread::scope(|s| {
            for t in 0..4u8 {
                s.spawn(move || unsafe {
                    for i in 0..2000usize {
                        let l = layout(16 + (i % 200), 8);
                        let p = arena.alloc(l);
                        p.write_bytes(t, l.size());
                        assert!((0..l.size()).all(|k| *p.add(k) == t));
                        arena.dealloc(p, l);
                    }
                });
            }
        });
    }
}
