//! The kernels against naive references (issue 6), on odd shapes: sizes 1, 7, 33 and 129,
//! non-square, batched, transposed and broadcast operands.
//!
//! - `matmul`: every operand form (2-D, batched 3-D, 3-D by shared 2-D, vector forms), with
//!   inputs that are transposed views (`t()`), in f64 and f32. The GEMM kernel has three flag
//!   combinations in use: `A B` (forward), `G B^T` and `A^T G` (the two halves of the rule),
//!   checked through `backward_with` against naive products, and once more through grad of
//!   grad (the rules of the flagged products). `A^T B^T` is never recorded: no rule makes it.
//! - The strided copy kernels: `permute` (every permutation of rank 3, some of rank 4),
//!   `broadcast_to` and its adjoint `sum_to`, `narrow` and its adjoint `pad`, `concat` (also of
//!   more than 255 parts, which is joined in groups), `index_select`/`gather` and their
//!   scatter-adds, and the reductions `sum`, `max`, `min`, `mean` and `logsumexp` over every
//!   subset of axes, kept or not, with ties.
//!
//! The only `unsafe` code of the engine is the GEMM wrapper in `dtype.rs` (`try_gemm` and the
//! sealed trait method that forwards to `gemmkit`): the compiler holds it there (`lib.rs`
//! denies `unsafe_code` everywhere else), and clippy's `undocumented_unsafe_blocks` (denied in
//! the workspace) requires each block's `// SAFETY:` comment.

use autograd::{Float, Tensor, Var};

mod copies;
mod matmul;
mod reductions;

// ---------------------------------------------------------------------------------------------
// A naive n-d array.

#[derive(Clone, Debug, PartialEq)]
struct Nd {
    shape: Vec<usize>,
    data: Vec<f64>,
}

fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for a in (0..shape.len()).rev() {
        if shape[a] > 0 {
            idx[a] = i % shape[a];
            i /= shape[a];
        }
    }
    idx
}

fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(strides(shape)).map(|(i, s)| i * s).sum()
}

impl Nd {
    /// Distinct, irregular values (a fixed-seed generator), or small integers (with ties).
    fn new(shape: &[usize], seed: u64, ties: bool) -> Self {
        let n: usize = shape.iter().product();
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let data = (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let u = (s >> 11) as f64 / (1u64 << 53) as f64;
                if ties {
                    (u * 4.0).floor() - 2.0
                } else {
                    u * 2.0 - 1.0
                }
            })
            .collect();
        Self {
            shape: shape.to_vec(),
            data,
        }
    }

    fn zeros(shape: &[usize]) -> Self {
        Self {
            shape: shape.to_vec(),
            data: vec![0.0; shape.iter().product()],
        }
    }

    fn at(&self, idx: &[usize]) -> f64 {
        self.data[ravel(idx, &self.shape)]
    }

    fn tensor<T: Float>(&self) -> Tensor<T> {
        Tensor::from_vec(self.data.iter().map(|&v| T::from_f64(v)).collect(), &self.shape).unwrap()
    }

    fn len(&self) -> usize {
        self.data.len()
    }

    /// Naive `A B` of the last two axes with a shared or equal batch.
    fn matmul(&self, b: &Nd) -> Nd {
        let (sa, sb) = (&self.shape, &b.shape);
        let (m, k) = (sa[sa.len() - 2], sa[sa.len() - 1]);
        let n = sb[sb.len() - 1];
        assert_eq!(k, sb[sb.len() - 2]);
        let batch = if sa.len() == 3 { sa[0] } else { 1 };
        let mut out = vec![0.0; batch * m * n];
        for bi in 0..batch {
            let boff = if sb.len() == 3 { bi * k * n } else { 0 };
            for i in 0..m {
                for j in 0..n {
                    let mut acc = 0.0;
                    for p in 0..k {
                        acc += self.data[bi * m * k + i * k + p] * b.data[boff + p * n + j];
                    }
                    out[bi * m * n + i * n + j] = acc;
                }
            }
        }
        let mut shape = sa.clone();
        let r = shape.len();
        shape[r - 1] = n;
        Nd { shape, data: out }
    }

    /// Naive transpose of the last two axes.
    fn t(&self) -> Nd {
        let r = self.shape.len();
        let mut perm: Vec<usize> = (0..r).collect();
        perm.swap(r - 2, r - 1);
        self.permute(&perm)
    }

    fn permute(&self, perm: &[usize]) -> Nd {
        let shape: Vec<usize> = perm.iter().map(|&p| self.shape[p]).collect();
        let data = (0..self.len())
            .map(|i| {
                let o = unravel(i, &shape);
                let mut src = vec![0; o.len()];
                for (k, &p) in perm.iter().enumerate() {
                    src[p] = o[k];
                }
                self.at(&src)
            })
            .collect();
        Nd { shape, data }
    }

    /// Sums over `axes`, keeping them as size 1.
    fn sum_keep(&self, axes: &[usize]) -> Nd {
        self.reduce_keep(axes, 0.0, |a, b| a + b)
    }

    fn reduce_keep(&self, axes: &[usize], init: f64, f: impl Fn(f64, f64) -> f64) -> Nd {
        let shape: Vec<usize> = self
            .shape
            .iter()
            .enumerate()
            .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
            .collect();
        let mut out = Nd {
            data: vec![init; shape.iter().product()],
            shape,
        };
        for i in 0..self.len() {
            let mut idx = unravel(i, &self.shape);
            for &a in axes {
                idx[a] = 0;
            }
            let o = ravel(&idx, &out.shape);
            out.data[o] = f(out.data[o], self.data[i]);
        }
        out
    }

    /// Broadcasts (NumPy rules) to `shape`.
    fn broadcast(&self, shape: &[usize]) -> Nd {
        let lead = shape.len() - self.shape.len();
        let n: usize = shape.iter().product();
        let data = (0..n)
            .map(|i| {
                let o = unravel(i, shape);
                let src: Vec<usize> = self
                    .shape
                    .iter()
                    .enumerate()
                    .map(|(a, &d)| if d == 1 { 0 } else { o[a + lead] })
                    .collect();
                self.at(&src)
            })
            .collect();
        Nd {
            shape: shape.to_vec(),
            data,
        }
    }
}

fn shape_of<T: Float>(v: Var<'_, T>) -> Vec<usize> {
    v.shape().to_vec()
}

/// Exact agreement (for pure copies and sequential sums).
fn assert_exact<T: Float>(what: &str, got: &Tensor<T>, want: &Nd) {
    assert_eq!(got.shape(), &want.shape[..], "{what}: shape");
    for (i, (&g, &w)) in got.as_slice().iter().zip(&want.data).enumerate() {
        assert!(
            g == T::from_f64(w) || (g.is_nan() && w.is_nan()),
            "{what} [{i}] ({}): got {}, want {w}",
            T::NAME,
            g.as_f64()
        );
    }
}

/// Agreement to a few rounding errors of a k-term dot product.
fn assert_close<T: Float>(what: &str, got: &Tensor<T>, want: &Nd, k: usize) {
    assert_eq!(got.shape(), &want.shape[..], "{what}: shape");
    let tol = 4.0 * (k.max(1) as f64) * T::epsilon().as_f64();
    for (i, (&g, &w)) in got.as_slice().iter().zip(&want.data).enumerate() {
        // The operands lie in [-1, 1], so each product and partial sum is at most k.
        assert!(
            (g.as_f64() - w).abs() <= tol * (1.0 + w.abs()),
            "{what} [{i}] ({}): got {}, want {w}",
            T::NAME,
            g.as_f64()
        );
    }
}
