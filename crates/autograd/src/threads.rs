//! The engine's threads: how many its kernels use, and the one pool they run on.
//!
//! Work is split only where the result cannot depend on the split: elementwise kernels write
//! disjoint ranges, a reduction over some axes gives each output element to one thread that
//! adds in the serial order, a sum of all elements adds fixed blocks of [`SUM_BLOCK`] and then
//! the blocks' sums in order, and the GEMM (gemmkit's) splits its output into tiles whose
//! blocking does not depend on the thread count. So every result is bit for bit the same on
//! any number of threads.
//!
//! The pool is rayon's, built once, on first use, with the thread that builds it as one of its
//! workers (`use_current_thread`): that thread runs its share of every split itself, and a
//! split whose other half no worker has taken yet is run by it too, so a second thread can
//! never make a step much slower than one. Idle workers sleep (rayon's), and nothing starts a
//! thread per op. After a split they keep looking for work for 200 us before they sleep, and
//! while a plan replays a step one of them stays awake ([`awake`]): waking a sleeping worker
//! can take longer than its share of a split.

use crate::error::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Elements below which an elementwise kernel or a reduction runs on the calling thread: a
/// split costs a hand-off to another worker and leaves half the result in that worker's cache
/// for the next op, which only tens of microseconds of work repay. On W2's 128 x 256 layers
/// (32,768 elements, 5 to 10 us an op) two threads took 14 to 20 us where one took 5 to 13
/// (docs/threads.md), so those stay on one thread.
pub(crate) const MIN_PARALLEL_ELEMENTS: usize = 1 << 16;

/// The block of a sum over all elements: each block is added in order, then the blocks' sums
/// in order, whatever the number of threads.
pub(crate) const SUM_BLOCK: usize = 4096;

/// The count asked for with [`set_num_threads`] (0: not asked, use the default).
static REQUESTED: AtomicUsize = AtomicUsize::new(0);

/// The largest count asked for so far: the pool starts with at least this many threads.
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The most threads the engine takes: each reserves a stack, and a pool of 100,000 threads spends
/// minutes starting before any work (a count from the environment or a user is bounded here).
pub const MAX_THREADS: usize = 1024;

/// The variable that sets the default number of threads (as `OMP_NUM_THREADS` does PyTorch's).
pub const NUM_THREADS_VAR: &str = "CHAINRULE_NUM_THREADS";

/// Sets the number of threads the engine's kernels (GEMM, elementwise ops, reductions) use, as
/// `torch.set_num_threads` does. Results do not depend on it (`docs/performance.md`,
/// "Threads"): only the time does.
///
/// The pool is started once, at the first split, with as many threads as the largest count asked
/// for so far or the default count ([`get_num_threads`] before any call), whichever is more;
/// later calls may lower the count (down to 1: every kernel on the calling thread) or raise it
/// up to the pool's size, not beyond. An error for 0, above [`MAX_THREADS`], for more than the
/// pool's size once it has started, and for more than 1 in a build without the `threads`
/// feature.
///
/// ```
/// use chainrule::{get_num_threads, try_set_num_threads};
/// try_set_num_threads(1).unwrap();
/// assert_eq!(get_num_threads(), 1);
/// assert!(try_set_num_threads(0).is_err());
/// ```
pub fn try_set_num_threads(n: usize) -> Result<()> {
    if n == 0 {
        return Err(Error::Threads {
            message: "the number of threads must be at least 1".into(),
        });
    }
    if n > MAX_THREADS {
        return Err(Error::Threads {
            message: format!("{n} threads asked for; at most {MAX_THREADS}"),
        });
    }
    if let Some(size) = pool::started_size()
        && n > size
    {
        return Err(Error::Threads {
            message: format!(
                "{n} threads asked for, but the pool started with {size}; call \
                 set_num_threads before the first op, or set {NUM_THREADS_VAR}"
            ),
        });
    }
    if n > 1 && !cfg!(feature = "threads") {
        return Err(Error::Threads {
            message: format!("{n} threads asked for, but chainrule was built without its `threads` feature"),
        });
    }
    REQUESTED.store(n, Ordering::Relaxed);
    PEAK.fetch_max(n, Ordering::Relaxed);
    Ok(())
}

/// Panicking form of [`try_set_num_threads`].
///
/// ```
/// chainrule::set_num_threads(1);
/// assert_eq!(chainrule::get_num_threads(), 1);
/// ```
#[track_caller]
pub fn set_num_threads(n: usize) {
    crate::ops::binary::ok(try_set_num_threads(n))
}

/// The number of threads the engine's kernels use: the count set with [`set_num_threads`], else
/// `CHAINRULE_NUM_THREADS`, else the number of cores this process may run on (its CPU affinity
/// and quota), as `torch.get_num_threads`. Always 1 without the `threads` feature.
///
/// ```
/// assert!(chainrule::get_num_threads() >= 1);
/// ```
pub fn get_num_threads() -> usize {
    if !cfg!(feature = "threads") {
        return 1;
    }
    match REQUESTED.load(Ordering::Relaxed) {
        0 => default_threads(),
        n => n,
    }
}

/// `CHAINRULE_NUM_THREADS` if it holds a count of 1 to [`MAX_THREADS`], else the usable cores
/// (at most [`MAX_THREADS`]); read once.
fn default_threads() -> usize {
    static DEFAULT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *DEFAULT.get_or_init(|| {
        std::env::var(NUM_THREADS_VAR)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| (1..=MAX_THREADS).contains(&n))
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS)))
    })
}

std::thread_local! {
    /// The threads a kernel on this thread may split over inside one side of
    /// [`side_by_side`] (its share of the pool); 0 outside.
    static SHARE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The threads a kernel may split over here: [`get_num_threads`], or inside one side of
/// [`side_by_side`] that side's share of them.
#[inline]
pub(crate) fn kernel_threads() -> usize {
    match SHARE.with(|s| s.get()) {
        0 => get_num_threads(),
        n => n,
    }
}

/// Runs `a` and `b`, two pieces of work that share nothing they write: on 2 threads or more
/// side by side, each with half of the threads for its own kernels; else `a` then `b`. The
/// result cannot depend on which, as long as each computes the same bits on any number of
/// threads (every kernel of the engine does).
pub(crate) fn side_by_side(a: impl Fn() + Sync, b: impl Fn() + Sync) {
    let threads = kernel_threads();
    if threads < 2 {
        a();
        b();
        return;
    }
    /// Sets this thread's share until dropped (or unwound), then restores the one before.
    struct Share(usize);
    impl Drop for Share {
        fn drop(&mut self) {
            SHARE.with(|s| s.set(self.0));
        }
    }
    for_each_part(2, |p| {
        let _share = Share(SHARE.with(|s| s.replace(threads / 2)));
        if p == 0 {
            a()
        } else {
            b()
        }
    });
}

/// How many parts to split `len` elements into: 1 below [`MIN_PARALLEL_ELEMENTS`].
#[inline]
fn parts(len: usize) -> usize {
    if len < MIN_PARALLEL_ELEMENTS {
        1
    } else {
        kernel_threads().min(len / (MIN_PARALLEL_ELEMENTS / 2)).max(1)
    }
}

/// Whether an elementwise kernel or a reduction over `len` elements splits on the current
/// number of threads.
pub(crate) fn splits(len: usize) -> bool {
    parts(len) > 1
}

/// Calls `f(start, chunk)` on disjoint chunks that cover `out` (`start`: the chunk's offset in
/// `out`), on as many of the engine's threads as the length warrants (one below 65,536
/// elements): the split of its elementwise kernels, for elementwise work outside the tape,
/// such as an optimiser's update. Where `f` computes each element from its position alone, the
/// result cannot depend on the number of threads.
///
/// ```
/// let g = vec![1.0f32; 100_000];
/// let mut w = vec![2.0f32; 100_000];
/// chainrule::for_each_chunk_mut(&mut w, |start, w| {
///     for (w, &g) in w.iter_mut().zip(&g[start..]) {
///         *w -= 0.5 * g;
///     }
/// });
/// assert!(w.iter().all(|&w| w == 1.5));
/// ```
#[inline]
pub fn for_each_chunk_mut<T: Send>(out: &mut [T], f: impl Fn(usize, &mut [T]) + Sync) {
    let n = parts(out.len());
    if n <= 1 {
        f(0, out);
        return;
    }
    // A multiple of 64 elements, so that no two threads write one cache line.
    let chunk = out.len().div_ceil(n).next_multiple_of(64);
    pool::split(out, chunk, &f);
}

/// `to.copy_from_slice(from)`, split as [`for_each_chunk_mut`] splits `to`: each of the
/// engine's threads writes the part it then computes with (a batch or a weight copied into a
/// step that splits its kernels the same way), instead of one thread writing all of it.
///
/// # Panics
/// If the lengths differ, as `copy_from_slice`.
///
/// ```
/// let from: Vec<f32> = (0..100_000).map(|i| i as f32).collect();
/// let mut to = vec![0.0f32; 100_000];
/// chainrule::copy_split(&mut to, &from);
/// assert_eq!(to[99_999], 99_999.0);
/// ```
#[track_caller]
pub fn copy_split<T: Copy + Send + Sync>(to: &mut [T], from: &[T]) {
    assert_eq!(
        to.len(),
        from.len(),
        "copy_split: destination and source lengths differ"
    );
    for_each_chunk_mut(to, |start, part| {
        part.copy_from_slice(&from[start..start + part.len()])
    });
}

/// [`for_each_chunk`] with chunks of whole units of `unit` elements (rows of a reduction's
/// output), as many as `work` (the elements the caller reads) warrants.
#[inline]
pub(crate) fn for_each_unit_chunk<T: Send>(
    out: &mut [T],
    unit: usize,
    work: usize,
    f: impl Fn(usize, &mut [T]) + Sync,
) {
    let units = out.len() / unit.max(1);
    let n = parts(work).min(units);
    if n <= 1 {
        f(0, out);
        return;
    }
    pool::split(out, units.div_ceil(n) * unit, &f);
}

/// The sum of all elements: the blocks of [`SUM_BLOCK`] each added in order, then their sums in
/// order (one block: the plain running sum), on as many threads as the length warrants.
pub(crate) fn sum<T: crate::Float>(x: &[T]) -> T {
    let add = |s: &[T]| s.iter().fold(T::zero(), |a, &b| a + b);
    if x.len() <= SUM_BLOCK {
        return add(x);
    }
    // On the stack up to 64 blocks (262,144 elements), so that a replayed step with such a sum
    // (an L2 penalty over a layer) allocates nothing.
    let mut partial: smallvec::SmallVec<[T; 64]> =
        smallvec::smallvec![T::zero(); x.len().div_ceil(SUM_BLOCK)];
    // Split by the elements read, not by the (short) list of the blocks' sums.
    for_each_unit_chunk(&mut partial, 1, x.len(), |start, part| {
        for (k, p) in part.iter_mut().enumerate() {
            let b = (start + k) * SUM_BLOCK;
            *p = add(&x[b..(b + SUM_BLOCK).min(x.len())]);
        }
    });
    add(&partial)
}

/// Calls `f(p)` for each part `p` of `parts`, side by side on the pool (the calling thread one
/// of its workers, so that a GEMM's own split lands on the pool too): the parts of a GEMM.
pub(crate) fn for_each_part(parts: usize, f: impl Fn(usize) + Sync) {
    pool::for_each_part(parts, &f)
}

/// Runs `op` with another of the pool's workers kept awake, looking for work, until it returns
/// (a replayed step), as OpenMP's workers spin between parallel regions; on one thread, `op`
/// alone; any further workers are woken by the splits, as before. A sleeping worker is woken
/// per split, and on a virtual machine waking a halted core can take longer than the split's
/// work: W2's first GEMM gained nothing from the second core until its worker was kept awake
/// (docs/threads.md, "Workers kept awake during a replayed step").
pub(crate) fn awake<R: Send>(op: impl FnOnce() -> R + Send) -> R {
    if get_num_threads() <= 1 {
        op()
    } else {
        pool::awake(op)
    }
}

#[cfg(feature = "threads")]
mod pool {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
    use std::sync::OnceLock;
    use std::time::Instant;

    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();

    /// The pool, started with the current count on first use; `None` if it cannot start (no
    /// threads on this platform): then everything runs on the calling thread.
    fn pool() -> Option<&'static rayon::ThreadPool> {
        POOL.get_or_init(|| {
            let n = super::default_threads().max(super::PEAK.load(Ordering::Relaxed));
            let builder = || {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("chainrule-{i}"))
            };
            // The building thread joins as worker 0; inside another rayon pool it cannot, and
            // then the pool has `n` threads of its own.
            let pool = builder()
                .use_current_thread()
                .build()
                .or_else(|_| builder().build())
                .ok()?;
            // The building thread's first steal registers it with crossbeam's epoch, a one-time
            // allocation: do it now, so that it never lands inside a step (a replayed step
            // allocates nothing, `tests/recording_alloc.rs`).
            pool.yield_local();
            Some(pool)
        })
        .as_ref()
    }

    /// The pool's size once it has started.
    pub(super) fn started_size() -> Option<usize> {
        POOL.get()
            .and_then(|p| p.as_ref())
            .map(|p| p.current_num_threads())
    }

    pub(super) fn install<R: Send>(op: impl FnOnce() -> R + Send) -> R {
        match pool() {
            Some(p) => {
                let r = p.install(op);
                linger(p);
                r
            }
            None => op(),
        }
    }

    /// How long the pool's other workers keep looking for work after a split before they go to
    /// sleep, as OpenMP's keep spinning after a parallel region (GCC's for about 300,000 spins,
    /// Intel's for 200 ms): the next op's split usually comes sooner, and finds them awake.
    const LINGER_NANOS: u64 = 200_000;

    /// How many callers are inside [`awake`] (whose workers are awake already).
    static AWAKE: AtomicUsize = AtomicUsize::new(0);
    /// How many workers are lingering.
    static LINGERING: AtomicUsize = AtomicUsize::new(0);
    /// When the last split ended, in nanoseconds since [`EPOCH`].
    static LAST_SPLIT: AtomicU64 = AtomicU64::new(0);
    static EPOCH: OnceLock<Instant> = OnceLock::new();

    fn now() -> u64 {
        EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
    }

    /// After a split outside [`awake`]: unless they linger already, the pool's other workers
    /// look for work until no split has ended for [`LINGER_NANOS`], then sleep (rayon's). A
    /// recorded step's ops split one after another, each finding the workers awake, as a
    /// replayed step's do inside [`awake`]. One broadcast job (an allocation) per idle spell.
    fn linger(p: &'static rayon::ThreadPool) {
        LAST_SPLIT.store(now(), Ordering::Relaxed);
        if AWAKE.load(Ordering::Relaxed) > 0 || LINGERING.load(Ordering::Relaxed) > 0 {
            return;
        }
        let me = p.current_thread_index();
        let others = p.current_num_threads() - usize::from(me.is_some());
        if others == 0
            || LINGERING
                .compare_exchange(0, others, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        p.spawn_broadcast(move |ctx| {
            if Some(ctx.index()) == me {
                return;
            }
            look_for_work_until(|| false);
            LINGERING.fetch_sub(1, Ordering::Release);
        });
    }

    /// Runs the pool's jobs as they come until `stop()`, or until it has found none for
    /// [`LINGER_NANOS`] since its last job or the last split. So a worker that took this while
    /// waiting inside other work (rayon runs queued jobs then) hands that work back within
    /// 200 us, even if `stop` waits on it. Between looks it gives the core to any other thread
    /// that wants it (more threads than cores) without halting it, which is what makes waking
    /// it slow.
    fn look_for_work_until(stop: impl Fn() -> bool) {
        let mut worked = now();
        while !stop() {
            if rayon::yield_now() == Some(rayon::Yield::Executed) {
                worked = now();
            } else if now().saturating_sub(worked.max(LAST_SPLIT.load(Ordering::Relaxed))) >= LINGER_NANOS {
                return;
            } else {
                std::thread::yield_now();
            }
        }
    }

    /// Sets its flag when dropped, so that whoever waits on it is released when the work it
    /// waits for returns or unwinds (a panicking part must not leave its waiter spinning).
    struct Done<'a>(&'a AtomicBool);
    impl Drop for Done<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }

    pub(super) fn awake<R: Send>(op: impl FnOnce() -> R + Send) -> R {
        /// Counts a caller in [`AWAKE`] until it leaves (or unwinds).
        struct Inside;
        impl Drop for Inside {
            fn drop(&mut self) {
                AWAKE.fetch_sub(1, Ordering::Relaxed);
            }
        }
        AWAKE.fetch_add(1, Ordering::Relaxed);
        let _inside = Inside;
        // The spinner's idle clock starts with the step.
        LAST_SPLIT.store(now(), Ordering::Relaxed);
        let done = AtomicBool::new(false);
        // One spinner, a `join` on the stack (a replayed step allocates nothing): one other
        // worker is kept awake. Not one per worker: a spinner queued on a worker's deque can be
        // taken by a thread waiting inside the step (rayon runs queued jobs then), which would
        // hold the step up until it gave up. Run by the caller itself (no worker took it), it
        // returns at once.
        install(|| {
            let me = rayon::current_thread_index();
            rayon::join(
                || {
                    let _done = Done(&done);
                    op()
                },
                || {
                    if rayon::current_thread_index() != me {
                        look_for_work_until(|| done.load(Ordering::Acquire));
                    }
                },
            )
            .0
        })
    }

    pub(super) fn for_each_part(parts: usize, f: &(impl Fn(usize) + Sync)) {
        install(|| halves(0..parts, f))
    }

    /// Runs `f` on parts `range`, the second half offered to the pool's other workers: when
    /// another worker has started it, this thread waits for it awake (yielding its core, never
    /// halting it) instead of in rayon's join, where a wait of more than a few tens of
    /// microseconds puts the thread to sleep and the other worker's end has to wake it, which
    /// on a virtual machine takes about as long again (docs/threads.md).
    fn halves(range: std::ops::Range<usize>, f: &(impl Fn(usize) + Sync)) {
        if range.len() <= 1 {
            range.for_each(f);
            return;
        }
        let mid = range.start + range.len() / 2;
        let (started, done) = (AtomicBool::new(false), AtomicBool::new(false));
        rayon::join(
            || {
                halves(range.start..mid, f);
                // Not started: still queued here, and the join runs it on this thread.
                if started.load(Ordering::Acquire) {
                    while !done.load(Ordering::Acquire) {
                        std::thread::yield_now();
                    }
                }
            },
            || {
                started.store(true, Ordering::Release);
                let _done = Done(&done);
                halves(mid..range.end, f);
            },
        );
    }

    pub(super) fn split<T: Send>(out: &mut [T], chunk: usize, f: &(impl Fn(usize, &mut [T]) + Sync)) {
        install(|| {
            out.par_chunks_mut(chunk)
                .enumerate()
                .for_each(|(k, c)| f(k * chunk, c))
        })
    }
}

#[cfg(not(feature = "threads"))]
mod pool {
    pub(super) fn started_size() -> Option<usize> {
        None
    }

    pub(super) fn awake<R: Send>(op: impl FnOnce() -> R + Send) -> R {
        op()
    }

    pub(super) fn for_each_part(parts: usize, f: &(impl Fn(usize) + Sync)) {
        (0..parts).for_each(f)
    }

    pub(super) fn split<T: Send>(out: &mut [T], chunk: usize, f: &(impl Fn(usize, &mut [T]) + Sync)) {
        for (k, c) in out.chunks_mut(chunk).enumerate() {
            f(k * chunk, c)
        }
    }
}

#[cfg(all(test, feature = "threads"))]
mod tests {
    /// A part that panics on another worker releases the thread waiting for it, and the panic
    /// reaches the caller (as rayon's join passes it on), instead of leaving it spinning.
    #[test]
    fn a_panicking_part_releases_its_waiter_and_the_panic_reaches_the_caller() {
        let ran = std::sync::atomic::AtomicUsize::new(0);
        for _ in 0..20 {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                super::pool::for_each_part(2, &|p| {
                    ran.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if p == 1 {
                        panic!("part 1 fails");
                    }
                    std::thread::sleep(std::time::Duration::from_millis(2));
                })
            }));
            assert!(r.is_err());
        }
        assert_eq!(ran.load(std::sync::atomic::Ordering::Relaxed), 40);
    }
}
