//! Scaffolding shared by `nn`'s tests of untrusted input (`data.rs`, `fuzz_idx.rs`,
//! `fuzz_checkpoint.rs`): an allocator that records the largest single allocation of the
//! current thread (so a test can show that a header declaring a huge array is rejected without
//! allocating for it), a scratch directory in memory, the fuzzing case count and the runner
//! that prints each property's count and time. Each test
//! binary installs the allocator itself:
//!
//! ```ignore
//! mod common;
//! #[global_allocator]
//! static ALLOCATOR: common::LargestAllocation = common::LargestAllocation;
//! ```

#![allow(dead_code)] // each test binary uses part of this module

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Forwards to the system allocator, noting the largest request of each thread.
pub struct LargestAllocation;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    // `try_with`: the thread-local may already be gone while a thread shuts down.
    let _ = LARGEST.try_with(|l| l.set(l.get().max(size)));
}

// SAFETY: every method forwards to the system allocator with the caller's arguments unchanged,
// so `System` upholds the `GlobalAlloc` contract; `note` only updates a `Cell<usize>` in a
// const-initialised thread-local, which does not allocate or re-enter the allocator.
unsafe impl GlobalAlloc for LargestAllocation {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from `System` via this allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: forwarded unchanged; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `f` and returns its result and the largest single allocation it made on this thread
/// (meaningful only in a test binary that installed [`LargestAllocation`]).
pub fn largest_allocation<R>(f: impl FnOnce() -> R) -> (R, usize) {
    LARGEST.with(|l| l.set(0));
    let r = f();
    (r, LARGEST.with(Cell::get))
}

/// A scratch directory for the cases that go through files: in memory (`/dev/shm`) where
/// there is one, as writing a file per case to a disk costs milliseconds.
pub fn scratch_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(d) = tempfile::tempdir_in(shm)
    {
        return d;
    }
    tempfile::tempdir().unwrap()
}

/// Cases per property: `CHAINRULE_FUZZ_CASES` if set (the long run uses 100000), else 256.
pub fn cases() -> u32 {
    std::env::var("CHAINRULE_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

thread_local! {
    /// Cases of the running property that loaded (per thread: tests run in parallel).
    static LOADED: Cell<usize> = const { Cell::new(0) };
}

/// Counts a case of the running property that loaded what it fed.
pub fn count_loaded() {
    LOADED.with(|l| l.set(l.get() + 1));
}

/// Runs `test` on `cases()` values of `strategy` and prints the count, the time and how many
/// cases [`count_loaded`] (as "N `loaded`").
pub fn fuzz<S: proptest::strategy::Strategy>(
    name: &str,
    loaded: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), proptest::test_runner::TestCaseError>,
) {
    use proptest::test_runner::{Config, TestRunner};
    let n = cases();
    let mut runner = TestRunner::new(Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    });
    LOADED.with(|l| l.set(0));
    let start = std::time::Instant::now();
    runner.run(&strategy, test).unwrap();
    println!(
        "{name}: {n} cases, no failure, {:.1} s ({} {loaded})",
        start.elapsed().as_secs_f64(),
        LOADED.with(Cell::get)
    );
}
