//! softmax and log_softmax along an axis: composites of primitives, stable for any input.

use crate::dtype::Float;
use crate::error::Result;
use crate::ops::binary::ok;
use crate::var::Var;

impl<'t, T: Float> Var<'t, T> {
    /// This value where finite, else 0 (the shift of the stable softmax and logsumexp),
    /// recorded as ops rather than computed here and recorded as a constant, so that a replayed
    /// [`Plan`](crate::Plan) computes it from the new values.
    pub(crate) fn finite_or_zero(self) -> Self {
        // `m - m` is 0 exactly where `m` is finite (NaN at infinities and NaN).
        #[allow(clippy::eq_op)]
        let finite = (self - self).eq_scalar(0.0);
        finite.where_(self, self.tape().scalar(T::zero()))
    }

    /// `log(softmax(x))` along `axis`, computed as `(x - m) - ln(sum(exp(x - m)))` with `m` the
    /// maximum along the axis (a constant), so it never overflows or takes the log of 0, and a
    /// small result keeps its digits however large `x` is. Derivative (vector-Jacobian):
    /// `g - softmax(x) * sum(g)` along the axis.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from(vec![0.0, 1e4]));
    /// let y = x.log_softmax(-1);
    /// assert_eq!(y.value().to_vec(), vec![-1e4, 0.0]);
    /// ```
    #[track_caller]
    pub fn try_log_softmax(self, axis: isize) -> Result<Self> {
        // Not `x - logsumexp(x)`: logsumexp is rounded at the magnitude of `x`, so that
        // difference loses the digits of a small result (in f32, log_softmax([1e4, 1e4]) came
        // out as -0.69336 instead of -0.6931472). The shift is detached as in logsumexp (its
        // derivative contributions cancel exactly), and 0 where the maximum is not finite.
        let m = self.tape().no_grad(|| self.try_max_axes(&[axis], true))?;
        let m = m.finite_or_zero();
        let shifted = self - m;
        Ok(shifted - shifted.exp().try_sum_axes(&[axis], true)?.ln())
    }

    /// Panicking form of [`try_log_softmax`](Self::try_log_softmax).
    #[track_caller]
    pub fn log_softmax(self, axis: isize) -> Self {
        ok(self.try_log_softmax(axis))
    }

    /// `exp(x_i) / sum_j exp(x_j)` along `axis`, computed with the maximum subtracted first.
    /// Derivative: `dy_i/dx_j = y_i (delta_ij - y_j)`; its vector-Jacobian product is
    /// `y * (g - sum(g * y))`.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from(vec![0.0, 0.0]));
    /// let y = x.softmax(0);
    /// assert_eq!(y.value().to_vec(), vec![0.5, 0.5]);
    /// // d y_0 / d x = [y0 (1 - y0), -y0 y1]
    /// assert_eq!(y.narrow(0, 0, 1).sum().backward()[x].to_vec(), vec![0.25, -0.25]);
    /// ```
    #[track_caller]
    pub fn try_softmax(self, axis: isize) -> Result<Self> {
        let m = self.tape().no_grad(|| self.try_max_axes(&[axis], true))?;
        let m = m.finite_or_zero();
        let e = (self - m).exp();
        Ok(e / e.try_sum_axes(&[axis], true)?)
    }

    /// Panicking form of [`try_softmax`](Self::try_softmax).
    #[track_caller]
    pub fn softmax(self, axis: isize) -> Self {
        ok(self.try_softmax(axis))
    }
}
