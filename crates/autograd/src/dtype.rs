//! The element types a [`Tensor`](crate::Tensor) can hold: `f64` (the default, for checking)
//! and `f32` (for fast training).

use std::fmt::{Debug, Display, LowerExp};

/// A floating-point element type: `f32` or `f64`.
///
/// Besides the arithmetic of [`num_traits::Float`], it knows how to call the GEMM kernel of
/// its own precision, so matrix products need no dynamic dispatch.
pub trait Float:
    num_traits::Float
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

    /// `C = alpha * A B + beta * C` on strided row/column layouts, by gemmkit's GEMM (runtime
    /// dispatch to AVX-512 or AVX2/FMA kernels). With `beta = 0`, `C` is only written. On one
    /// thread, or with the `threads` feature on `MATMUL_NUM_THREADS` threads (read once).
    ///
    /// # Safety
    /// The pointers and strides must describe valid, non-overlapping matrices of the given
    /// sizes: `A` is `m x k`, `B` is `k x n`, `C` is `m x n`.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

/// How the GEMM runs: on this thread, or (feature `threads`) on `MATMUL_NUM_THREADS` rayon
/// workers, read once per process (unset or 0: rayon's default, one per core).
#[cfg(feature = "threads")]
fn parallelism() -> gemmkit::Parallelism {
    static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let n = *THREADS.get_or_init(|| {
        std::env::var("MATMUL_NUM_THREADS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    });
    if n == 1 {
        gemmkit::Parallelism::Serial
    } else {
        gemmkit::Parallelism::Rayon(n)
    }
}

/// How the GEMM runs: on this thread (the `threads` feature is off).
#[cfg(not(feature = "threads"))]
fn parallelism() -> gemmkit::Parallelism {
    gemmkit::Parallelism::Serial
}

/// `Float` for one primitive type: its PyTorch dtype name, the conversions, and gemmkit's GEMM
/// (generic over both types, so the two impls differ only in these arguments).
macro_rules! float_impl {
    ($t:ty, $name:literal) => {
        impl Float for $t {
            const NAME: &'static str = $name;
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
            unsafe fn gemm(
                m: usize,
                k: usize,
                n: usize,
                alpha: Self,
                a: *const Self,
                rsa: isize,
                csa: isize,
                b: *const Self,
                rsb: isize,
                csb: isize,
                beta: Self,
                c: *mut Self,
                rsc: isize,
                csc: isize,
            ) {
                // SAFETY: the caller upholds the contract of this method, which is gemmkit's
                // `gemm_unchecked` contract (valid, non-overlapping strided matrices).
                unsafe {
                    gemmkit::gemm_unchecked(
                        m,
                        k,
                        n,
                        alpha,
                        a,
                        rsa,
                        csa,
                        b,
                        rsb,
                        csb,
                        beta,
                        c,
                        rsc,
                        csc,
                        parallelism(),
                    )
                }
            }
        }
    };
}

float_impl!(f64, "float64");
float_impl!(f32, "float32");
