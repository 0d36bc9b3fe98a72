//! Matrix products: 2-D, batched 3-D, and vector-matrix, on gemmkit's GEMM. The
//! primitive carries "transposed" flags so that the derivative rule reads its operands
//! transposed in place instead of copying them.

use crate::dtype::Float;
use crate::error::{Error, Result};
use crate::op::Op;
use crate::ops::binary::ok;
use crate::shape::Shape;
use crate::tape::Out;
use crate::tape::Tape;
use crate::var::Var;

impl<'t, T: Float> Var<'t, T> {
    /// Matrix product, like `torch.matmul` for these cases:
    /// `[m, k] @ [k, n] -> [m, n]`; batched `[b, m, k] @ [b, k, n] -> [b, m, n]` (a 2-D right
    /// operand is shared by every batch); vector-matrix `[k] @ [k, n] -> [n]`; matrix-vector
    /// `[m, k] @ [k] -> [m]`; and the dot product `[k] @ [k] -> []`.
    /// Derivative: `dA = G B^T`, `dB = A^T G`.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let a = t.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap());
    /// let b = t.var(Tensor::from_vec(vec![5.0, 6.0, 7.0, 8.0], &[2, 2]).unwrap());
    /// let c = a.matmul(b);
    /// assert_eq!(c.value().to_vec(), vec![19.0, 22.0, 43.0, 50.0]);
    /// let g = c.sum().backward();
    /// assert_eq!(g[a].to_vec(), vec![11.0, 15.0, 11.0, 15.0]); // G B^T with G = ones
    /// ```
    #[track_caller]
    pub fn try_matmul(self, other: Self) -> Result<Self> {
        Tape::check_same("matmul", &self, &other)?;
        let (sa, sb) = (self.shape(), other.shape());
        let mismatch = |expected: &str| Error::ShapeMismatch {
            op: "matmul",
            lhs: sa.clone(),
            rhs: sb.clone(),
            expected: expected.into(),
        };
        match (sa.len(), sb.len()) {
            (1, 1) | (1, 2) => {
                let a = self.reshape(&[1, sa[0]]);
                let r = a
                    .try_matmul(other)
                    .map_err(|_| mismatch("a vector of length k and a [k, n] matrix (or vector)"))?;
                let out: Shape = r.shape()[1..].iter().copied().collect();
                let out: Shape = if sb.len() == 1 { Shape::new() } else { out };
                Ok(r.reshape(&out))
            }
            (2, 1) | (3, 1) => {
                let b = other.reshape(&[sb[0], 1]);
                let r = self
                    .try_matmul(b)
                    .map_err(|_| mismatch("a [.., m, k] matrix and a vector of length k"))?;
                let s = r.shape();
                Ok(r.reshape(&s[..s.len() - 1]))
            }
            (2, 2) | (3, 3) | (3, 2) => {
                let b = if sa.len() == 3 && sb.len() == 2 {
                    other.expand_unchecked(&[sa[0], sb[0], sb[1]])
                } else {
                    other
                };
                let sb2 = b.shape();
                let r = sa.len();
                if sa[r - 1] != sb2[r - 2] || (r == 3 && sa[0] != sb2[0]) {
                    return Err(mismatch(
                        "inner sizes to agree ([.., m, k] @ [.., k, n]) and equal batch sizes",
                    ));
                }
                Ok(self.matmul_t(b, false, false))
            }
            _ => Err(mismatch("operands of rank 1, 2 or 3")),
        }
    }

    /// Panicking form of [`try_matmul`](Self::try_matmul).
    #[track_caller]
    pub fn matmul(self, other: Self) -> Self {
        ok(self.try_matmul(other))
    }

    /// PyTorch's `nn.functional.linear`: `x W^T + b` for `x: [.., in]`, `W: [out, in]` and an
    /// optional `b: [out]`, giving `[.., out]`. `W` is read transposed in place (no copy of
    /// `W^T`, unlike `x.matmul(w.t())`). A composite of `matmul`, `reshape` and `add`, so its
    /// derivative follows from theirs: `dx = G W`, `dW = G^T x` (over the leading axes
    /// flattened), `db = G` summed over the leading axes.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap());
    /// let w = t.var(Tensor::from_vec(vec![1.0, 0.0, 1.0, 1.0, 0.0, 2.0], &[3, 2]).unwrap());
    /// let b = t.var(Tensor::from(vec![0.5, 0.0, -1.0]));
    /// let y = x.linear(w, Some(b));
    /// assert_eq!(y.value().to_vec(), vec![1.5, 3.0, 3.0, 3.5, 7.0, 7.0]);
    /// let g = y.sum().backward();
    /// assert_eq!(g[w].to_vec(), vec![4.0, 6.0, 4.0, 6.0, 4.0, 6.0]); // G^T x, G = ones
    /// assert_eq!(g[b].to_vec(), vec![2.0, 2.0, 2.0]);
    /// assert_eq!(g[x].to_vec(), vec![2.0, 3.0, 2.0, 3.0]);               // G W
    /// ```
    #[track_caller]
    pub fn try_linear(self, weight: Self, bias: Option<Self>) -> Result<Self> {
        Tape::check_same("linear", &self, &weight)?;
        let (sx, sw) = (self.shape(), weight.shape());
        if sx.is_empty() || sw.len() != 2 || sx[sx.len() - 1] != sw[1] {
            return Err(Error::ShapeMismatch {
                op: "linear",
                lhs: sx,
                rhs: sw,
                expected: "an input [.., in] and a weight [out, in]".into(),
            });
        }
        let (inputs, outputs) = (sw[1], sw[0]);
        if let Some(b) = bias {
            Tape::check_same("linear", &self, &b)?;
            if b.shape().as_slice() != [outputs] {
                return Err(Error::ShapeMismatch {
                    op: "linear",
                    lhs: sw,
                    rhs: b.shape(),
                    expected: "a bias [out] for a weight [out, in]".into(),
                });
            }
        }
        // Leading axes flattened into rows, and back.
        let rows = sx[..sx.len() - 1].iter().product();
        let x2 = if sx.len() == 2 {
            self
        } else {
            self.reshape(&[rows, inputs])
        };
        let y = x2.matmul_t(weight, false, true);
        let mut out: Shape = sx;
        *out.last_mut().expect("rank >= 1") = outputs;
        let y = if out.len() == 2 { y } else { y.reshape(&out) };
        Ok(match bias {
            Some(b) => y + b,
            None => y,
        })
    }

    /// Panicking form of [`try_linear`](Self::try_linear).
    #[track_caller]
    pub fn linear(self, weight: Self, bias: Option<Self>) -> Self {
        ok(self.try_linear(weight, bias))
    }

    /// `op(a) @ op(b)` where `op` transposes the last two axes when its flag is set. Shapes
    /// are checked by the caller.
    #[track_caller]
    pub(crate) fn matmul_t(self, other: Self, ta: bool, tb: bool) -> Self {
        let (sa, sb) = (self.shape(), other.shape());
        let r = sa.len();
        let [_, m, _, n] = matmul_dims(&sa, &sb, ta, tb);
        let mut out: Shape = sa.clone();
        out[r - 2] = m;
        out[r - 1] = n;
        let idx = self.tape().record(
            Op::Matmul { ta, tb },
            &[self.idx(), other.idx()],
            &out,
            Out::Overwritten,
            |ins, o| matmul_kernel(&sa, &sb, ta, tb, ins[0], ins[1], o),
        );
        Var::new(self.tape(), idx)
    }
}

/// `[batch, m, k, n]` of `op(a) @ op(b)` for operands of shapes `sa`, `sb` (rank 2 or 3).
pub(crate) fn matmul_dims(sa: &[usize], sb: &[usize], ta: bool, tb: bool) -> [usize; 4] {
    let r = sa.len();
    let batch = if r == 3 { sa[0] } else { 1 };
    let (m, k) = if ta {
        (sa[r - 1], sa[r - 2])
    } else {
        (sa[r - 2], sa[r - 1])
    };
    let n = if tb { sb[r - 2] } else { sb[r - 1] };
    [batch, m, k, n]
}

/// The matmul kernel: `op(a) @ op(b)` for operands of shapes `sa`, `sb`, into `o`.
pub(crate) fn matmul_kernel<T: Float>(
    sa: &[usize],
    sb: &[usize],
    ta: bool,
    tb: bool,
    a: &[T],
    b: &[T],
    o: &mut [T],
) {
    let [batch, m, k, n] = matmul_dims(sa, sb, ta, tb);
    if m * n == 0 || k == 0 {
        o.fill(T::zero()); // an empty sum
        return;
    }
    for bi in 0..batch {
        let a = &a[bi * m * k..][..m * k];
        let b = &b[bi * k * n..][..k * n];
        let c = &mut o[bi * m * n..][..m * n];
        crate::dtype::gemm(ta, tb, m, k, n, a, b, T::zero(), c);
    }
}

/// The derivative rule of `C = op(A) op(B)`: `d op(A) = G op(B)^T`, `d op(B) = op(A)^T G`,
/// each expressed as another flagged product so no operand is copied.
pub(crate) fn vjp<'t, T: Float>(
    ta: bool,
    tb: bool,
    g: Var<'t, T>,
    a: Var<'t, T>,
    b: Var<'t, T>,
    need: [bool; 2],
) -> [Option<Var<'t, T>>; 2] {
    let da = || {
        if ta {
            b.matmul_t(g, tb, true)
        } else {
            g.matmul_t(b, false, !tb)
        }
    };
    let db = || {
        if tb {
            g.matmul_t(a, true, ta)
        } else {
            a.matmul_t(g, !ta, false)
        }
    };
    [need[0].then(da), need[1].then(db)]
}
