//! The process's memory allocator: the system allocator for the commands
//! that run for milliseconds, mimalloc for the long-running gateway.
//!
//! mimalloc was 11% less CPU per gateway request than glibc under load
//! (docs/benchmarks/gateway.md), but a short command pays its start-up:
//! reserving its arena, zeroing a fresh transparent huge page per thread on
//! first touch, and purging at exit. That was 1.0-1.4 ms of a 3-4 ms
//! `rampart scan` of 46 files and of a 1 GB checkpoint
//! (docs/benchmarks/scan.md, session 13). So every allocation goes to the
//! system allocator until [`use_server_allocator`] is called (by `rampart
//! gateway` and `rampart up`, before their runtime starts), and to mimalloc
//! after; each block is freed by the allocator that owns it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether new blocks come from mimalloc. It only ever goes from false to
/// true.
static SERVER: AtomicBool = AtomicBool::new(false);

/// From now on, allocate from mimalloc. Call it before starting threads.
pub fn use_server_allocator() {
    SERVER.store(true, Ordering::Release);
}

pub struct Allocator;

/// Whether mimalloc owns `p`.
///
/// While `SERVER` is false, mimalloc has allocated nothing (every
/// allocation below reads the flag first, and it never goes back to false),
/// so every block is the system allocator's. A thread that frees a block
/// mimalloc gave another thread received the pointer through some
/// synchronisation, which also makes the `Release` store that preceded that
/// allocation visible to its `Acquire` load here; so a false read can only
/// mean that no mimalloc block exists yet.
fn owned_by_mimalloc(p: *mut u8) -> bool {
    // SAFETY: `mi_is_in_heap_region` only reads mimalloc's page map for the
    // address (it never dereferences `p`): it answers false for an address
    // mimalloc never mapped, before mimalloc is initialised too (its map
    // bound is then null). The system allocator's blocks lie in mappings
    // mimalloc does not own, so they are never reported as its own.
    SERVER.load(Ordering::Acquire) && unsafe { libmimalloc_sys::mi_is_in_heap_region(p.cast()) }
}

// SAFETY: each method forwards to an allocator that upholds the
// `GlobalAlloc` contract, with the caller's layout unchanged: blocks are
// allocated by the one `SERVER` selects, and `dealloc` and `realloc` go to
// the allocator that owns the block (`owned_by_mimalloc`), so no allocator
// is ever given a pointer it did not return. A system block reallocated
// after the switch stays in the system heap, where `realloc` keeps it.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if SERVER.load(Ordering::Acquire) {
            // SAFETY: the caller's contract (non-zero size) is passed on.
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        } else {
            // SAFETY: as above.
            unsafe { System.alloc(layout) }
        }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if SERVER.load(Ordering::Acquire) {
            // SAFETY: the caller's contract is passed on.
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        } else {
            // SAFETY: as above.
            unsafe { System.alloc_zeroed(layout) }
        }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if owned_by_mimalloc(ptr) {
            // SAFETY: mimalloc returned `ptr` (it owns it) with `layout`.
            unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
        } else {
            // SAFETY: the system allocator returned `ptr` with `layout`.
            unsafe { System.dealloc(ptr, layout) }
        }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if owned_by_mimalloc(ptr) {
            // SAFETY: mimalloc owns `ptr`, allocated with `layout`.
            unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
        } else {
            // SAFETY: the system allocator owns `ptr`, allocated with `layout`.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_freed_by_their_owner_across_the_switch() {
        let a = Allocator;
        let small = Layout::from_size_align(24, 8).unwrap();
        let big = Layout::from_size_align(1 << 20, 64).unwrap();
        // SAFETY: non-zero layouts; each block is freed once with its layout.
        unsafe {
            let before = a.alloc(small);
            assert!(!before.is_null());
            assert!(!owned_by_mimalloc(before));
            before.write_bytes(7, 24);
            let grown = a.realloc(before, small, 4096);
            assert_eq!(*grown.add(23), 7);
            use_server_allocator();
            let after = a.alloc_zeroed(big);
            assert!(!after.is_null());
            assert!(owned_by_mimalloc(after), "mimalloc serves after the switch");
            assert_eq!(*after.add((1 << 20) - 1), 0);
            // A system block allocated before the switch is still the
            // system allocator's, and is freed there.
            assert!(!owned_by_mimalloc(grown));
            let grown = a.realloc(grown, Layout::from_size_align(4096, 8).unwrap(), 8192);
            assert!(!owned_by_mimalloc(grown));
            assert_eq!(*grown.add(23), 7);
            a.dealloc(grown, Layout::from_size_align(8192, 8).unwrap());
            let moved = a.realloc(after, big, 2 << 20);
            assert!(owned_by_mimalloc(moved));
            a.dealloc(moved, Layout::from_size_align(2 << 20, 64).unwrap());
        }
    }
}
