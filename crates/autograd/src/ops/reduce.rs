//! Reductions over axes (with or without keeping them as size 1) and over all elements:
//! sum, max and min are primitives; mean and logsumexp are built from them.

use crate::dtype::Float;
use crate::error::Result;
use crate::op::{Axes, Op};
use crate::ops::binary::ok;
use crate::shape::{axes_mask, for_each_strided, reduced_shape, squeezed_shape, strides, Shape};
use crate::tape::Out;
use crate::var::Var;

/// The primitive reductions, each over an axis mask, keeping the reduced axes as size 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReduceOp {
    Sum(Axes),
    Max(Axes),
    Min(Axes),
}

impl ReduceOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum(_) => "sum",
            ReduceOp::Max(_) => "max",
            ReduceOp::Min(_) => "min",
        }
    }

    /// The reduced axes, as a bit mask.
    pub(crate) fn mask(self) -> u64 {
        match self {
            ReduceOp::Sum(m) | ReduceOp::Max(m) | ReduceOp::Min(m) => m.get(),
        }
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Records a reduction that keeps the reduced axes as size 1.
    #[track_caller]
    pub(crate) fn reduce_keepdim(self, op: ReduceOp) -> Self {
        let shape = self.shape();
        let out = reduced_shape(&shape, op.mask());
        let idx = self
            .tape()
            .record(Op::Reduce(op), &[self.idx()], &out, Out::Overwritten, |ins, o| {
                reduce_kernel(op, &shape, ins[0], o)
            });
        Var::new(self.tape(), idx)
    }

    #[track_caller]
    fn try_reduce(
        self,
        axes: &[isize],
        keepdim: bool,
        name: &'static str,
        make: fn(Axes) -> ReduceOp,
    ) -> Result<Self> {
        let shape = self.shape();
        let mask = axes_mask(name, axes, &shape)?;
        if mask == 0 {
            return Ok(self);
        }
        let r = self.reduce_keepdim(make(Axes::new(mask)));
        Ok(if keepdim {
            r
        } else {
            r.reshape(&squeezed_shape(&shape, mask))
        })
    }

    #[track_caller]
    fn all_axes(&self) -> Vec<isize> {
        (0..self.ndim() as isize).collect()
    }

    /// Sum over `axes` (negative count from the end; none listed = unchanged), keeping them as
    /// size 1 if `keepdim`. Derivative: 1 for every summed element (the gradient broadcast back).
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap());
    /// assert_eq!(x.sum_axes(&[-1], false).value().to_vec(), vec![3.0, 7.0]);
    /// assert_eq!(x.sum_axes(&[0], true).shape().as_slice(), &[1, 2]);
    /// ```
    #[track_caller]
    pub fn try_sum_axes(self, axes: &[isize], keepdim: bool) -> Result<Self> {
        self.try_reduce(axes, keepdim, "sum", ReduceOp::Sum)
    }

    /// Panicking form of [`try_sum_axes`](Self::try_sum_axes).
    #[track_caller]
    pub fn sum_axes(self, axes: &[isize], keepdim: bool) -> Self {
        ok(self.try_sum_axes(axes, keepdim))
    }

    /// Sum of all elements, as a scalar. Derivative: 1 for every element.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from(vec![1.0, 2.0, 3.0]));
    /// assert_eq!(x.sum().item(), 6.0);
    /// assert_eq!(x.sum().backward()[x].to_vec(), vec![1.0, 1.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn sum(self) -> Self {
        let axes = self.all_axes();
        ok(self.try_sum_axes(&axes, false))
    }

    /// Mean over `axes`. Derivative: `1/n` for every element, `n` the count averaged.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 5.0], &[2, 2]).unwrap());
    /// assert_eq!(x.mean_axes(&[0], false).value().to_vec(), vec![2.0, 3.5]);
    /// ```
    #[track_caller]
    pub fn try_mean_axes(self, axes: &[isize], keepdim: bool) -> Result<Self> {
        let shape = self.shape();
        let mask = axes_mask("mean", axes, &shape)?;
        let n: usize = (0..shape.len())
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| shape[i])
            .product();
        Ok(self.try_sum_axes(axes, keepdim)?.mul_scalar(1.0 / n as f64))
    }

    /// Panicking form of [`try_mean_axes`](Self::try_mean_axes).
    #[track_caller]
    pub fn mean_axes(self, axes: &[isize], keepdim: bool) -> Self {
        ok(self.try_mean_axes(axes, keepdim))
    }

    /// Mean of all elements. Derivative: `1/n` for every element.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from(vec![1.0, 2.0, 3.0, 6.0]));
    /// assert_eq!(x.mean().item(), 3.0);
    /// assert_eq!(x.mean().backward()[x].to_vec(), vec![0.25; 4]);
    /// ```
    #[track_caller]
    pub fn mean(self) -> Self {
        let axes = self.all_axes();
        ok(self.try_mean_axes(&axes, false))
    }

    /// Maximum over `axes`. Derivative: 1 at the maximum; when several elements tie, the
    /// gradient is split evenly among them (as PyTorch's `amax` and full `max()`).
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from(vec![1.0, 3.0, 3.0]));
    /// let m = x.max_axes(&[0], false);
    /// assert_eq!(m.item(), 3.0);
    /// assert_eq!(m.backward()[x].to_vec(), vec![0.0, 0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn try_max_axes(self, axes: &[isize], keepdim: bool) -> Result<Self> {
        self.try_reduce(axes, keepdim, "max", ReduceOp::Max)
    }

    /// Panicking form of [`try_max_axes`](Self::try_max_axes).
    #[track_caller]
    pub fn max_axes(self, axes: &[isize], keepdim: bool) -> Self {
        ok(self.try_max_axes(axes, keepdim))
    }

    /// Maximum of all elements. Derivative: as [`try_max_axes`](Self::try_max_axes).
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// assert_eq!(t.var(Tensor::from(vec![1.0, -3.0])).max().item(), 1.0);
    /// ```
    #[track_caller]
    pub fn max(self) -> Self {
        let axes = self.all_axes();
        ok(self.try_max_axes(&axes, false))
    }

    /// Minimum over `axes`. Derivative: 1 at the minimum, ties split evenly.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from_vec(vec![1.0, 4.0, 3.0, 2.0], &[2, 2]).unwrap());
    /// assert_eq!(x.min_axes(&[1], false).value().to_vec(), vec![1.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn try_min_axes(self, axes: &[isize], keepdim: bool) -> Result<Self> {
        self.try_reduce(axes, keepdim, "min", ReduceOp::Min)
    }

    /// Panicking form of [`try_min_axes`](Self::try_min_axes).
    #[track_caller]
    pub fn min_axes(self, axes: &[isize], keepdim: bool) -> Self {
        ok(self.try_min_axes(axes, keepdim))
    }

    /// Minimum of all elements. Derivative: as [`try_min_axes`](Self::try_min_axes).
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// assert_eq!(t.var(Tensor::from(vec![1.0, -3.0])).min().item(), -3.0);
    /// ```
    #[track_caller]
    pub fn min(self) -> Self {
        let axes = self.all_axes();
        ok(self.try_min_axes(&axes, false))
    }

    /// `ln(sum(exp(x)))` over `axes`, computed stably as `m + ln(sum(exp(x - m)))` with `m` the
    /// (detached) maximum. Derivative: `softmax(x)` over those axes.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from(vec![1000.0, 1000.0]));
    /// let y = x.logsumexp_axes(&[0], false);
    /// assert!((y.item() - (1000.0 + 2f64.ln())).abs() < 1e-12);
    /// assert_eq!(y.backward()[x].to_vec(), vec![0.5, 0.5]);
    /// ```
    #[track_caller]
    pub fn try_logsumexp_axes(self, axes: &[isize], keepdim: bool) -> Result<Self> {
        let shape = self.shape();
        let mask = axes_mask("logsumexp", axes, &shape)?;
        if mask == 0 {
            return Ok(self);
        }
        // The shift only improves conditioning: its derivative contributions cancel exactly,
        // so it is a constant. An infinite max (all -inf, or +inf present) shifts by 0 instead.
        let m = self
            .tape()
            .no_grad(|| self.reduce_keepdim(ReduceOp::Max(Axes::new(mask))));
        let m = m.finite_or_zero();
        let s = (self - m)
            .exp()
            .reduce_keepdim(ReduceOp::Sum(Axes::new(mask)))
            .ln()
            + m;
        Ok(if keepdim {
            s
        } else {
            s.reshape(&squeezed_shape(&shape, mask))
        })
    }

    /// Panicking form of [`try_logsumexp_axes`](Self::try_logsumexp_axes).
    #[track_caller]
    pub fn logsumexp_axes(self, axes: &[isize], keepdim: bool) -> Self {
        ok(self.try_logsumexp_axes(axes, keepdim))
    }

    /// `ln(sum(exp(x)))` over all elements, stable. Derivative: `softmax(x)`.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from(vec![0.0, 0.0]));
    /// assert_eq!(x.logsumexp().item(), 2f64.ln());
    /// ```
    #[track_caller]
    pub fn logsumexp(self) -> Self {
        let axes = self.all_axes();
        ok(self.try_logsumexp_axes(&axes, false))
    }
}

/// The reduction kernel: `x` of shape `shape` reduced over `op`'s axes into `o` (which it
/// overwrites).
pub(crate) fn reduce_kernel<T: Float>(op: ReduceOp, shape: &[usize], x: &[T], o: &mut [T]) {
    let mask = op.mask();
    let init = match op {
        ReduceOp::Sum(_) => T::zero(),
        ReduceOp::Max(_) => T::neg_infinity(),
        ReduceOp::Min(_) => T::infinity(),
    };
    let mut dst = strides(&reduced_shape(shape, mask));
    for (i, s) in dst.iter_mut().enumerate() {
        if mask & (1 << i) != 0 {
            *s = 0;
        }
    }
    o.fill(init);
    match op {
        ReduceOp::Sum(_) if o.len() == 1 => o[0] = crate::threads::sum(x),
        ReduceOp::Sum(_) => reduce_into(shape, &dst, mask, x, o, |a, v| *a += v),
        // NaN wins, as in PyTorch.
        ReduceOp::Max(_) => reduce_into(shape, &dst, mask, x, o, |a, v| {
            if v > *a || v.is_nan() {
                *a = v
            }
        }),
        ReduceOp::Min(_) => reduce_into(shape, &dst, mask, x, o, |a, v| {
            if v < *a || v.is_nan() {
                *a = v
            }
        }),
    }
}

/// Folds `x` (of `shape`) into `o` with `f`, `dst` giving each input's output offset (0 along
/// the reduced axes of `mask`). Every output element takes its inputs in row-major order, on
/// whichever thread owns it: threads split the output, by rows when axis 0 is kept, by
/// columns when the reduced axes are the leading ones (a bias gradient's sum over the batch),
/// so the result does not depend on the thread count.
fn reduce_into<T: Float>(
    shape: &[usize],
    dst: &[usize],
    mask: u64,
    x: &[T],
    o: &mut [T],
    f: impl Fn(&mut T, T) + Sync,
) {
    if x.is_empty() {
        return;
    }
    let lead = mask.trailing_ones() as usize;
    if mask & 1 == 0 && shape[0] > 1 {
        let (in_row, out_row) = (x.len() / shape[0], o.len() / shape[0]);
        crate::threads::for_each_unit_chunk(o, out_row, x.len(), |start, o| {
            let (r0, rows) = (start / out_row, o.len() / out_row);
            let mut sub = Shape::from(shape);
            sub[0] = rows;
            let x = &x[r0 * in_row..(r0 + rows) * in_row];
            for_each_strided(&sub, dst, 0, |i, d| f(&mut o[d], x[i]));
        });
    } else if lead > 0 && mask >> lead == 0 {
        let width = o.len();
        crate::threads::for_each_unit_chunk(o, 1, x.len(), |c0, o| {
            for row in x.chunks_exact(width) {
                for (a, &v) in o.iter_mut().zip(&row[c0..]) {
                    f(a, v);
                }
            }
        });
    } else {
        for_each_strided(shape, dst, 0, |i, d| f(&mut o[d], x[i]));
    }
}

/// The derivative rules of the primitive reductions (`g` has the kept-dims shape).
pub(crate) fn vjp<'t, T: Float>(op: ReduceOp, g: Var<'t, T>, x: Var<'t, T>, y: Var<'t, T>) -> Var<'t, T> {
    let shape: Shape = x.shape();
    match op {
        ReduceOp::Sum(_) => g.expand_unchecked(&shape),
        ReduceOp::Max(mask) | ReduceOp::Min(mask) => {
            // Split evenly among the elements equal to the extreme.
            let hits = x.eq(y.expand_unchecked(&shape));
            let count = hits.reduce_keepdim(ReduceOp::Sum(mask));
            (g / count).expand_unchecked(&shape) * hits
        }
    }
}
