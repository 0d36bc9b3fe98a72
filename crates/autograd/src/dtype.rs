//! The element types a [`Tensor`](crate::Tensor) can hold: `f64` (the default, for checking)
//! and `f32` (for fast training).

use crate::error::{Error, Result};
use std::fmt::{Debug, Display, LowerExp};

/// A floating-point element type: `f32` or `f64` (sealed: the engine's kernels are written for
/// these two, and the GEMM of each is reached through [`gemm`]).
pub trait Float:
    sealed::Sealed
    + num_traits::Float
    + num_traits::FloatConst
    + num_traits::NumAssign
    + Default
    + Debug
    + Display
    + LowerExp
    + Send
    + Sync
    + 'static
{
    /// The type's name as PyTorch spells the dtype (`"float32"` or `"float64"`).
    const NAME: &'static str;

    /// Converts an `f64` constant (a rule's coefficient, a literal) into this type.
    fn from_f64(x: f64) -> Self;

    /// Converts to `f64` (exact for both types).
    fn as_f64(self) -> f64;

    /// The slice as what it is, `f32` or `f64`: for code that must hand a buffer to a library
    /// with one entry point per type (a communication library's all-reduce), without `unsafe`.
    ///
    /// ```
    /// use chainrule::{Float, FloatSliceMut};
    /// fn name<T: Float>(x: &mut [T]) -> &'static str {
    ///     match T::typed_mut(x) {
    ///         FloatSliceMut::F32(_) => "f32",
    ///         FloatSliceMut::F64(_) => "f64",
    ///     }
    /// }
    /// assert_eq!((name(&mut [1.0f32]), name(&mut [1.0f64])), ("f32", "f64"));
    /// ```
    fn typed_mut(x: &mut [Self]) -> FloatSliceMut<'_>;
}

/// A mutable slice of one of the two element types, as [`Float::typed_mut`] gives it.
#[derive(Debug)]
pub enum FloatSliceMut<'a> {
    /// `f32` elements.
    F32(&'a mut [f32]),
    /// `f64` elements.
    F64(&'a mut [f64]),
}

mod sealed {
    /// The supertrait that keeps [`Float`](super::Float) to `f32` and `f64` (it cannot be
    /// named outside this crate), and through which [`try_gemm`](super::try_gemm) reaches
    /// gemmkit's GEMM, generic over both, without gemmkit's trait in the public API.
    pub trait Sealed: gemmkit::GemmScalar + gemmkit::FusedScalar {}
}

/// `C = op(A) op(B) + beta C` for contiguous row-major buffers, `C` being `m x n`, where `op` is
/// the identity or, with `ta`/`tb`, the transpose (`A` stored `[k, m]`, `B` stored `[n, k]`,
/// read through strides, never copied). The engine's GEMM (gemmkit's, on
/// [`get_num_threads`](crate::get_num_threads) threads); `matmul` records the same call. With
/// `beta = 0`, `C`'s old values are ignored (even NaN). An error if a buffer's length is not its
/// shape's.
///
/// ```
/// use chainrule::try_gemm;
/// let a = [1.0, 2.0, 3.0, 4.0]; // [[1, 2], [3, 4]]
/// let b = [1.0, 0.0, 1.0, 1.0]; // [[1, 0], [1, 1]]
/// let mut c = [10.0; 4];
/// try_gemm(false, false, 2, 2, 2, &a, &b, 1.0, &mut c).unwrap();
/// assert_eq!(c, [13.0, 12.0, 17.0, 14.0]);
/// try_gemm(true, false, 2, 2, 2, &a, &b, 0.0, &mut c).unwrap(); // A^T B
/// assert_eq!(c, [4.0, 3.0, 6.0, 4.0]);
/// assert!(try_gemm(false, false, 2, 3, 2, &a, &b, 0.0, &mut c).is_err());
/// ```
#[allow(clippy::too_many_arguments)]
pub fn try_gemm<T: Float>(
    ta: bool,
    tb: bool,
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    b: &[T],
    beta: T,
    c: &mut [T],
) -> Result<()> {
    for (shape, len) in [([m, k], a.len()), ([k, n], b.len()), ([m, n], c.len())] {
        if shape[0].checked_mul(shape[1]) != Some(len) {
            return Err(Error::ElementCount {
                op: "gemm",
                shape: shape.as_slice().into(),
                expected: shape[0].saturating_mul(shape[1]),
                got: len,
            });
        }
    }
    if m * n == 0 {
        return Ok(());
    }
    if k == 0 {
        // An empty sum.
        for v in c.iter_mut() {
            *v = if beta == T::zero() { T::zero() } else { beta * *v };
        }
        return Ok(());
    }
    let (rsa, csa, rsb, csb) = strides(ta, tb, m, k, n);
    let out = Out(c.as_mut_ptr());
    on_pool(ta, tb, [m, k, n], |rows, cols, par| {
        // SAFETY: `a`, `b` and `c` hold exactly m*k, k*n and m*n elements (checked above), and
        // the strides (row-major, or its transpose) address only elements inside them; the
        // part reads A from row `rows.start` (`a_offset`) and B from column `cols.start`
        // (`b_offset`) and writes the block `rows` x `cols` of C (row stride `n`), inside the
        // buffers; parts write disjoint blocks of `c`, a distinct mutable borrow, so nothing
        // overlaps.
        unsafe {
            gemmkit::gemm_unchecked(
                rows.len(),
                k,
                cols.len(),
                T::one(),
                a.as_ptr().add(a_offset(ta, k, rows.start)),
                rsa,
                csa,
                b.as_ptr().add(b_offset(tb, k, cols.start)),
                rsb,
                csb,
                beta,
                out.ptr().add(rows.start * n + cols.start),
                n as isize,
                1,
                par,
            )
        }
    });
    Ok(())
}

/// `(rsa, csa, rsb, csb)`: the strides of row-major `A` (`[m, k]`, or `[k, m]` read transposed)
/// and `B` (`[k, n]`, or `[n, k]` read transposed).
fn strides(ta: bool, tb: bool, m: usize, k: usize, n: usize) -> (isize, isize, isize, isize) {
    let (rsa, csa) = if ta { (1, m as isize) } else { (k as isize, 1) };
    let (rsb, csb) = if tb { (1, k as isize) } else { (n as isize, 1) };
    (rsa, csa, rsb, csb)
}

/// Where part of a GEMM reading rows from `i` of `op(A)` starts in `A`'s buffer.
fn a_offset(ta: bool, k: usize, i: usize) -> usize {
    if ta {
        i
    } else {
        i * k
    }
}

/// Where part of a GEMM reading columns from `j` of `op(B)` starts in `B`'s buffer.
fn b_offset(tb: bool, k: usize, j: usize) -> usize {
    if tb {
        j * k
    } else {
        j
    }
}

/// A buffer's first element, shared by the parts of a split GEMM, which write disjoint blocks
/// of `C`, or by the two works of [`side_by_side_in`], which write disjoint spans.
#[derive(Clone, Copy)]
struct Out<T>(*mut T);

// SAFETY: the parts of one GEMM write disjoint rows or columns of `C` through this pointer
// (the works of `side_by_side_in`, disjoint spans none of them reads), while the mutable borrow
// it came from is held by the caller (`on_pool` and `side_by_side_in` return when every part
// has).
unsafe impl<T: Send> Send for Out<T> {}
// SAFETY: as for `Send`: no element is written by one part and touched by another.
unsafe impl<T: Send> Sync for Out<T> {}

impl<T> Out<T> {
    /// The pointer (a method, so that a closure captures the whole `Out`, not its field).
    fn ptr(self) -> *mut T {
        self.0
    }
}

/// Whether two works may run at once over a buffer of `len` elements: every span lies inside
/// it, and no work's write span overlaps any span of either work but itself (the spans only
/// read may overlap). [`side_by_side_in`]'s condition, and `plan/pair.rs`'s for pairing.
pub(crate) fn disjoint(
    len: usize,
    reads: &[[std::ops::Range<usize>; 2]; 2],
    writes: &[std::ops::Range<usize>; 2],
) -> bool {
    let overlap = |x: &std::ops::Range<usize>, y: &std::ops::Range<usize>| x.start < y.end && y.start < x.end;
    let inside = reads
        .iter()
        .flatten()
        .chain(writes)
        .all(|s| s.start <= s.end && s.end <= len);
    inside
        && writes.iter().enumerate().all(|(w, write)| {
            reads
                .iter()
                .flatten()
                .chain([&writes[1 - w]])
                .all(|s| !overlap(write, s))
        })
}

/// Runs `f(w, reads, write)` for the two works `w` = 0 and 1 side by side
/// ([`side_by_side`](crate::threads::side_by_side)) over one buffer: work `w` reads the spans
/// `reads[w]` of `data` and writes the span `writes[w]`. Two products of a replayed step at once
/// (`plan/pair.rs`).
///
/// # Panics
/// If a span lies outside `data`, or a work's write span overlaps any span of either work
/// other than itself (the two could race, or a work read what it writes).
pub(crate) fn side_by_side_in<T: Copy + Send + Sync>(
    data: &mut [T],
    reads: [[std::ops::Range<usize>; 2]; 2],
    writes: [std::ops::Range<usize>; 2],
    f: impl Fn(usize, [&[T]; 2], &mut [T]) + Sync,
) {
    assert!(
        disjoint(data.len(), &reads, &writes),
        "side_by_side_in: a work's write span overlaps another span or lies outside the buffer"
    );
    let base = Out(data.as_mut_ptr());
    crate::threads::side_by_side(
        || run_in(base, &reads[0], &writes[0], 0, &f),
        || run_in(base, &reads[1], &writes[1], 1, &f),
    );
}

/// Work `w` of [`side_by_side_in`] over the buffer at `base`.
fn run_in<T: Copy>(
    base: Out<T>,
    reads: &[std::ops::Range<usize>; 2],
    write: &std::ops::Range<usize>,
    w: usize,
    f: &impl Fn(usize, [&[T]; 2], &mut [T]),
) {
    // SAFETY: every span lies inside the buffer `base` points to, which the caller of
    // `side_by_side_in` borrows mutably until both works return; this work's write span
    // overlaps no span of either work but itself (both checked there), so its `&mut` aliases
    // nothing, and the spans it reads only are never written while the works run.
    let (a, b, o) = unsafe {
        let at = |s: &std::ops::Range<usize>| base.ptr().add(s.start);
        (
            std::slice::from_raw_parts(at(&reads[0]), reads[0].len()),
            std::slice::from_raw_parts(at(&reads[1]), reads[1].len()),
            std::slice::from_raw_parts_mut(at(write), write.len()),
        )
    };
    f(w, [a, b], o)
}

/// The rows or columns of `C` a part of a split GEMM takes at least (and the multiple its
/// boundaries fall on): a multiple of every microtile size gemmkit uses, so each part's tiles
/// are the whole product's tiles.
const PART_BLOCK: usize = 64;

/// Which way the parts of a split GEMM divide `C`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Axis {
    Rows,
    Columns,
}

/// How a GEMM of `m k n` runs on the current threads: as `parts` gemmkit calls on disjoint
/// blocks of `C` along `axis` side by side, each splitting further with `par`.
///
/// gemmkit splits a product itself, with a fork-join per depth slice. Two shapes do better as
/// one call per block of [`PART_BLOCK`]s, each on its own thread, because then every thread
/// keeps to the same rows of a weight all step:
/// - `x W^T` (`W` read transposed: a linear layer's forward), by columns of `C`: the part on
///   thread `t` reads rows `r` of `W`. In W2's replayed step on 2 threads, measured against
///   gemmkit's split step by step in one process, 332 against 383 us for
///   `[128, 784] x [784, 256]` and 111 against 139 us for the second layer.
/// - `dY^T x` (`A` read transposed: a weight's gradient), by rows of `C`: the same thread
///   writes rows `r` of `dW`, which the optimiser, split in the same halves
///   ([`for_each_chunk_mut`](crate::for_each_chunk_mut)), then adds to rows `r` of `W` on that
///   thread, so that neither crosses to the other core's cache. With the split update and input
///   copy, W2's step took 3 to 7% less (median 4%) than with gemmkit's split and an update on
///   one thread (docs/threads.md, "A thread keeps its rows").
///
/// The bits are the same either way: every part takes gemmkit's general route with the whole
/// product's depth blocking (which depends on `k` alone once the dimension not split is above
/// gemmkit's small-matrix sizes, checked here) and its microtiles (the boundaries fall on
/// [`PART_BLOCK`]s), so each element is accumulated in the same order (`tests/threads.rs`
/// checks it on random shapes).
fn split(ta: bool, tb: bool, [m, k, n]: [usize; 3]) -> (Axis, usize, gemmkit::Parallelism) {
    let par = parallelism(m.saturating_mul(k).saturating_mul(n));
    // A product that does not split (every small one) returns before the tuning is read.
    let axis = match (ta, tb) {
        _ if par == gemmkit::Parallelism::Serial => return (Axis::Columns, 1, par),
        (true, _) => Axis::Rows,
        (false, true) => Axis::Columns,
        (false, false) => return (Axis::Columns, 1, par),
    };
    let (along, other) = if axis == Axis::Rows { (m, n) } else { (n, m) };
    let small = gemmkit::tuning::tiny_block_dim().max(gemmkit::tuning::small_mn_dim());
    let threads = crate::threads::kernel_threads();
    let parts = threads.min(along / PART_BLOCK);
    if other <= small || parts <= 1 {
        return (Axis::Columns, 1, par);
    }
    let each = threads / parts;
    (
        axis,
        parts,
        if each > 1 {
            gemmkit::Parallelism::Rayon(each)
        } else {
            gemmkit::Parallelism::Serial
        },
    )
}

/// Part `p` of `parts` of `len` rows or columns: whole [`PART_BLOCK`]s shared out evenly, the
/// last part also taking the rest after the last whole block.
fn part_range(len: usize, parts: usize, p: usize) -> std::ops::Range<usize> {
    let blocks = len / PART_BLOCK;
    let start = p * blocks / parts * PART_BLOCK;
    let end = if p + 1 == parts {
        len
    } else {
        (p + 1) * blocks / parts * PART_BLOCK
    };
    start..end
}

/// Runs a GEMM of `m k n` as `run(rows of C, columns of C, how that part splits)`: on the
/// calling thread when it does not split, else on the pool, with the calling thread as one of
/// its workers.
fn on_pool(
    ta: bool,
    tb: bool,
    [m, k, n]: [usize; 3],
    run: impl Fn(std::ops::Range<usize>, std::ops::Range<usize>, gemmkit::Parallelism) + Sync,
) {
    match split(ta, tb, [m, k, n]) {
        (_, 1, gemmkit::Parallelism::Serial) => run(0..m, 0..n, gemmkit::Parallelism::Serial),
        (Axis::Rows, parts, par) => {
            crate::threads::for_each_part(parts, |p| run(part_range(m, parts, p), 0..n, par))
        }
        // One part (`0..n`) is gemmkit's own split, run on the pool.
        (Axis::Columns, parts, par) => {
            crate::threads::for_each_part(parts, |p| run(0..m, part_range(n, parts, p), par))
        }
    }
}

/// `C = op(A) op(B) + bias` (`bias[j]` added to column `j`) in one pass: the bias is added in
/// the GEMM's store (gemmkit's epilogue), to the value [`gemm`] with `beta = 0` would store, so
/// `C` is bit for bit [`gemm`]'s followed by `C[i][j] + bias[j]` (gemmkit documents this for
/// `f32` and `f64`, `tests/fused.rs` checks it), on any number of threads. The replayed
/// `linear` (`plan/fuse.rs`). Lengths are the caller's to check (`m k n > 0`).
pub(crate) fn gemm_bias<T: Float>(
    ta: bool,
    tb: bool,
    [m, k, n]: [usize; 3],
    a: &[T],
    b: &[T],
    bias: &[T],
    c: &mut [T],
) {
    assert!(
        a.len() == m * k && b.len() == k * n && bias.len() == n && c.len() == m * n && m * k * n > 0,
        "gemm_bias: buffer lengths do not match [{m}, {k}] x [{k}, {n}]"
    );
    let (rsa, csa, rsb, csb) = strides(ta, tb, m, k, n);
    let out = Out(c.as_mut_ptr());
    on_pool(ta, tb, [m, k, n], |rows, cols, par| {
        // SAFETY: `a`, `b`, `c` and `bias` hold exactly m*k, k*n, m*n and n elements (asserted
        // above); the strides address only elements inside them, from row `rows.start` of A
        // and column `cols.start` of B and the bias on; parts write disjoint blocks of `c`, a
        // distinct mutable borrow, so it overlaps none of the others and no part another.
        unsafe {
            gemmkit::gemm_fused_unchecked(
                rows.len(),
                k,
                cols.len(),
                T::one(),
                a.as_ptr().add(a_offset(ta, k, rows.start)),
                rsa,
                csa,
                b.as_ptr().add(b_offset(tb, k, cols.start)),
                rsb,
                csb,
                T::zero(),
                out.ptr().add(rows.start * n + cols.start),
                n as isize,
                1,
                bias.as_ptr().add(cols.start),
                gemmkit::BiasDim::PerCol,
                true,
                None,
                par,
            )
        }
    });
}

/// Panicking form of [`try_gemm`].
///
/// ```
/// use chainrule::gemm;
/// let mut c = [0.0f32; 1];
/// gemm(false, true, 1, 2, 1, &[1.0, 2.0], &[3.0, 4.0], 0.0, &mut c);
/// assert_eq!(c, [11.0]);
/// ```
#[track_caller]
#[allow(clippy::too_many_arguments)]
pub fn gemm<T: Float>(
    ta: bool,
    tb: bool,
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    b: &[T],
    beta: T,
    c: &mut [T],
) {
    crate::ops::binary::ok(try_gemm(ta, tb, m, k, n, a, b, beta, c))
}

/// Whether a GEMM of `m k n` splits on the current number of threads.
pub(crate) fn gemm_splits(mkn: usize) -> bool {
    parallelism(mkn) != gemmkit::Parallelism::Serial
}

/// How the GEMM runs: on the calling thread, or on [`get_num_threads`](crate::get_num_threads)
/// workers of the engine's pool (gemmkit's blocking does not depend on the count, so neither
/// does the result).
/// Serial below gemmkit's own threshold of `m k n` (where it would not split anyway), so that a
/// small product never touches the pool.
fn parallelism(mkn: usize) -> gemmkit::Parallelism {
    match crate::threads::kernel_threads() {
        n if n > 1 && mkn >= gemmkit::tuning::parallel_threshold() => gemmkit::Parallelism::Rayon(n),
        _ => gemmkit::Parallelism::Serial,
    }
}

/// `Float` for one primitive type: its PyTorch dtype name and the conversions.
macro_rules! float_impl {
    ($t:ty, $name:literal, $variant:ident) => {
        impl Float for $t {
            const NAME: &'static str = $name;
            #[inline]
            fn typed_mut(x: &mut [Self]) -> FloatSliceMut<'_> {
                FloatSliceMut::$variant(x)
            }
            #[inline]
            #[allow(clippy::unnecessary_cast)] // `f64 as f64` in the `f64` impl
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            #[allow(clippy::unnecessary_cast)]
            fn as_f64(self) -> f64 {
                self as f64
            }
        }
        impl sealed::Sealed for $t {}
    };
}

float_impl!(f64, "float64", F64);
float_impl!(f32, "float32", F32);

#[cfg(test)]
mod tests {
    use super::side_by_side_in;

    /// Two works write their own spans from spans both read; a write span that overlaps any
    /// other span, or lies outside the buffer, is refused before anything runs.
    #[test]
    fn side_by_side_in_writes_disjoint_spans_and_refuses_overlaps() {
        let mut data: Vec<f32> = (0..10).map(|i| i as f32).collect();
        side_by_side_in(
            &mut data,
            [[0..2, 2..4], [0..2, 2..4]],
            [4..6, 6..10],
            |w, [a, b], o| {
                for (k, o) in o.iter_mut().enumerate() {
                    *o = a[k % 2] + b[k % 2] + 100.0 * w as f32;
                }
            },
        );
        assert_eq!(&data[4..], &[2.0, 4.0, 102.0, 104.0, 102.0, 104.0]);
        let bad = [
            [[0..2, 2..4], [0..2, 5..6]], // work 1 reads what work 0 writes
            [[0..2, 4..5], [0..2, 2..4]], // work 0 reads what it writes
        ];
        for reads in bad {
            let r = std::panic::catch_unwind(|| {
                let mut data = vec![0.0f32; 10];
                side_by_side_in(&mut data, reads, [4..6, 6..10], |_, _, _| {})
            });
            assert!(r.is_err());
        }
        for writes in [[4..7, 6..10], [4..6, 8..11]] {
            let r = std::panic::catch_unwind(|| {
                let mut data = vec![0.0f32; 10];
                side_by_side_in(&mut data, [[0..2, 2..4], [0..2, 2..4]], writes, |_, _, _| {})
            });
            assert!(r.is_err());
        }
    }
}
