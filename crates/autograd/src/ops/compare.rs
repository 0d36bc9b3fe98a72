//! Comparisons, which produce masks (1 where true, 0 where false) that carry no gradient, and
//! `where_`, which routes the gradient to the chosen branch.

use crate::dtype::Float;
use crate::error::Result;
use crate::op::Op;
use crate::ops::binary::ok;
use crate::shape::broadcast_shapes;
use crate::tape::Out;
use crate::tape::Tape;
use crate::var::Var;

/// Which comparison produced a mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Cmp {
    /// Whether `x cmp y` (false when either is NaN, except for `Ne`).
    #[inline]
    pub(crate) fn holds<T: PartialOrd>(self, x: T, y: T) -> bool {
        match self {
            Cmp::Gt => x > y,
            Cmp::Ge => x >= y,
            Cmp::Lt => x < y,
            Cmp::Le => x <= y,
            Cmp::Eq => x == y,
            Cmp::Ne => x != y,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Cmp::Gt => "gt",
            Cmp::Ge => "ge",
            Cmp::Lt => "lt",
            Cmp::Le => "le",
            Cmp::Eq => "eq",
            Cmp::Ne => "ne",
        }
    }
}

macro_rules! comparison {
    ($try_name:ident, $name:ident, $scalar:ident, $cmp:ident, $sym:literal) => {
        #[doc = concat!("Mask of `a ", $sym, " b` (1 or 0) with broadcasting; a constant: no gradient flows through it.")]
        ///
        /// ```
        /// # use chainrule::{Tape, Tensor};
        /// let t = Tape::<f64>::new();
        /// let a = t.var(Tensor::from(vec![1.0, 2.0, 3.0]));
        /// let b = t.scalar(2.0);
        #[doc = concat!("let m = a.", stringify!($try_name), "(b).unwrap();")]
        /// assert!(!m.requires_grad());
        /// assert!(m.value().to_vec().iter().all(|&v| v == 0.0 || v == 1.0));
        /// ```
        #[track_caller]
        pub fn $try_name(self, other: Self) -> Result<Self> {
            self.try_compare(other, Cmp::$cmp)
        }

        #[doc = concat!("Panicking form of [`", stringify!($try_name), "`](Self::", stringify!($try_name), ").")]
        #[track_caller]
        #[allow(clippy::should_implement_trait)]
        pub fn $name(self, other: Self) -> Self {
            ok(self.$try_name(other))
        }

        #[doc = concat!("Mask of `x ", $sym, " c` for a constant `c`; no gradient.")]
        #[track_caller]
        pub fn $scalar(self, c: f64) -> Self {
            let c = self.tape().scalar(T::from_f64(c));
            ok(self.try_compare(c, Cmp::$cmp))
        }
    };
}

impl<'t, T: Float> Var<'t, T> {
    #[track_caller]
    pub(crate) fn try_compare(self, other: Self, cmp: Cmp) -> Result<Self> {
        let op = Op::Compare(cmp);
        // Against a scalar (relu's and clamp's rules): compare in place, not against a
        // broadcast copy. The mask carries no gradient, so its operands need not share a shape.
        let (a, b) = if other.shape().is_empty() {
            Tape::check_same(op.name(), &self, &other)?;
            (self, other)
        } else {
            self.try_broadcast_pair(other, op.name())?
        };
        let idx = self.tape().no_grad(|| {
            self.tape()
                .record_like(op, &[a.idx(), b.idx()], a.idx(), |ins, out| {
                    compare_kernel(cmp, ins[0], ins[1], out)
                })
        });
        Ok(Var::new(self.tape(), idx))
    }

    comparison!(try_gt, gt, gt_scalar, Gt, ">");
    comparison!(try_ge, ge, ge_scalar, Ge, ">=");
    comparison!(try_lt, lt, lt_scalar, Lt, "<");
    comparison!(try_le, le, le_scalar, Le, "<=");
    comparison!(try_eq, eq, eq_scalar, Eq, "==");
    comparison!(try_ne, ne, ne_scalar, Ne, "!=");

    /// `where(self, on_true, on_false)`: elementwise, `on_true` where this mask is nonzero, else
    /// `on_false`, with broadcasting of all three. Derivative: the gradient goes to the chosen
    /// branch only (0 to the other); the mask gets none.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from(vec![-1.0, 2.0]));
    /// let y = x.gt_scalar(0.0).try_where(x, x * 3.0).unwrap();
    /// assert_eq!(y.value().to_vec(), vec![-3.0, 2.0]);
    /// assert_eq!(y.sum().backward()[x].to_vec(), vec![3.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn try_where(self, on_true: Self, on_false: Self) -> Result<Self> {
        let op = Op::Where;
        Tape::check_same(op.name(), &self, &on_true)?;
        Tape::check_same(op.name(), &self, &on_false)?;
        let s = broadcast_shapes(op.name(), &on_true.shape(), &on_false.shape())?;
        let s = broadcast_shapes(op.name(), &self.shape(), &s)?;
        let (c, a, b) = (
            self.detach().expand_unchecked(&s),
            on_true.expand_unchecked(&s),
            on_false.expand_unchecked(&s),
        );
        let idx = self.tape().record(
            op,
            &[c.idx(), a.idx(), b.idx()],
            &s,
            Out::Overwritten,
            |ins, out| where_kernel(ins[0], ins[1], ins[2], out),
        );
        Ok(Var::new(self.tape(), idx))
    }

    /// Panicking form of [`try_where`](Self::try_where).
    #[track_caller]
    pub fn where_(self, on_true: Self, on_false: Self) -> Self {
        ok(self.try_where(on_true, on_false))
    }
}

/// The comparison kernel: 1 where `a cmp b`, else 0 (`b` of one element: against it).
pub(crate) fn compare_kernel<T: Float>(cmp: Cmp, a: &[T], b: &[T], out: &mut [T]) {
    // One loop per comparison, so that each compiles to a branch-free vector select: with the
    // comparison matched per element, relu's mask `x > 0` over a layer of random signs cost a
    // mispredicted branch every other element (70 us on W2's 128 x 256, 8 times relu's own).
    match cmp {
        Cmp::Gt => fill(a, b, out, |x, y| x > y),
        Cmp::Ge => fill(a, b, out, |x, y| x >= y),
        Cmp::Lt => fill(a, b, out, |x, y| x < y),
        Cmp::Le => fill(a, b, out, |x, y| x <= y),
        Cmp::Eq => fill(a, b, out, |x, y| x == y),
        Cmp::Ne => fill(a, b, out, |x, y| x != y),
    }
}

/// `out[i] = f(a[i], b[i])` as 1 or 0 (`b` of one element: against it).
#[inline(always)]
fn fill<T: Float>(a: &[T], b: &[T], out: &mut [T], f: impl Fn(T, T) -> bool + Copy + Sync) {
    let (one, zero) = (T::one(), T::zero());
    crate::threads::for_each_chunk_mut(out, |start, out| {
        let a = &a[start..];
        if let [y] = *b {
            for (o, &x) in out.iter_mut().zip(a) {
                *o = if f(x, y) { one } else { zero };
            }
        } else {
            for ((o, &x), &y) in out.iter_mut().zip(a).zip(&b[start..]) {
                *o = if f(x, y) { one } else { zero };
            }
        }
    })
}

/// `out[i] = g[i] * m[i]` (`m[i] * g[i]` with `mask_first`), `m` being the mask
/// `compare_kernel(cmp, a, b)` would write, which is never written: a comparison and the one
/// product that reads it in a replayed step (`plan/mask.rs`; `relu`'s rule, `g * (x > 0)`),
/// bit for bit the two kernels, in one pass.
pub(crate) fn masked_product_kernel<T: Float>(
    cmp: Cmp,
    a: &[T],
    b: &[T],
    g: &[T],
    mask_first: bool,
    out: &mut [T],
) {
    match (cmp, mask_first) {
        (Cmp::Gt, false) => masked(a, b, g, out, |x, y| x > y, |g, m| g * m),
        (Cmp::Gt, true) => masked(a, b, g, out, |x, y| x > y, |g, m| m * g),
        (Cmp::Ge, false) => masked(a, b, g, out, |x, y| x >= y, |g, m| g * m),
        (Cmp::Ge, true) => masked(a, b, g, out, |x, y| x >= y, |g, m| m * g),
        (Cmp::Lt, false) => masked(a, b, g, out, |x, y| x < y, |g, m| g * m),
        (Cmp::Lt, true) => masked(a, b, g, out, |x, y| x < y, |g, m| m * g),
        (Cmp::Le, false) => masked(a, b, g, out, |x, y| x <= y, |g, m| g * m),
        (Cmp::Le, true) => masked(a, b, g, out, |x, y| x <= y, |g, m| m * g),
        (Cmp::Eq, false) => masked(a, b, g, out, |x, y| x == y, |g, m| g * m),
        (Cmp::Eq, true) => masked(a, b, g, out, |x, y| x == y, |g, m| m * g),
        (Cmp::Ne, false) => masked(a, b, g, out, |x, y| x != y, |g, m| g * m),
        (Cmp::Ne, true) => masked(a, b, g, out, |x, y| x != y, |g, m| m * g),
    }
}

/// [`masked_product_kernel`] with its comparison `f` and product `mul` known (one loop each,
/// so each compiles to a vector select and multiply, as [`fill`]'s).
#[inline(always)]
fn masked<T: Float>(
    a: &[T],
    b: &[T],
    g: &[T],
    out: &mut [T],
    f: impl Fn(T, T) -> bool + Copy + Sync,
    mul: impl Fn(T, T) -> T + Copy + Sync,
) {
    let (one, zero) = (T::one(), T::zero());
    crate::threads::for_each_chunk_mut(out, |start, out| {
        let (a, g) = (&a[start..], &g[start..]);
        if let [y] = *b {
            for ((o, &x), &g) in out.iter_mut().zip(a).zip(g) {
                *o = mul(g, if f(x, y) { one } else { zero });
            }
        } else {
            for (((o, &x), &y), &g) in out.iter_mut().zip(a).zip(&b[start..]).zip(g) {
                *o = mul(g, if f(x, y) { one } else { zero });
            }
        }
    })
}

/// The `where` kernel (operands of the output's shape).
pub(crate) fn where_kernel<T: Float>(cond: &[T], on_true: &[T], on_false: &[T], out: &mut [T]) {
    let zero = T::zero();
    crate::threads::for_each_chunk_mut(out, |start, out| {
        for (i, o) in (start..).zip(out.iter_mut()) {
            *o = if cond[i] != zero { on_true[i] } else { on_false[i] };
        }
    })
}

/// The derivative rule of `where`: `g` to the chosen branch, zeros to the other.
pub(crate) fn where_vjp<'t, T: Float>(
    g: Var<'t, T>,
    cond: Var<'t, T>,
    need: [bool; 2],
) -> [Option<Var<'t, T>>; 2] {
    let zeros = g.tape().constant(crate::Tensor::zeros(&g.shape()));
    [
        need[0].then(|| cond.where_(g, zeros)),
        need[1].then(|| cond.where_(zeros, g)),
    ]
}
