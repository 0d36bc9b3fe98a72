//! Elementwise ops of one input. For each op: the method (with its derivative in the doc), the
//! forward kernel, and the derivative rule, written in terms of primitive ops so that it is
//! itself differentiable.

use crate::dtype::Float;
use crate::op::{Cmp, Op};
use crate::ops::elem::Elem;
use crate::var::Var;

impl<'t, T: Float> Var<'t, T> {
    #[track_caller]
    pub(crate) fn unary(self, op: Op) -> Self {
        if let Some(idx) = self.tape().record_scalar(op, [self.idx()], |[x]| scalar(op, x)) {
            return Var::new(self.tape(), idx);
        }
        let idx = self
            .tape()
            .record_like(op, &[self.idx()], self.idx(), |ins, out| forward(op, ins[0], out));
        Var::new(self.tape(), idx)
    }

    /// `e^x`. Derivative: `e^x` (the output itself).
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(1.0);
    /// let y = x.exp();
    /// assert_eq!(y.backward()[x].item(), std::f64::consts::E);
    /// ```
    #[track_caller]
    pub fn exp(self) -> Self {
        self.unary(Op::Exp)
    }

    /// Natural logarithm. Derivative: `1/x`. Negative inputs give NaN, zero gives `-inf`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(4.0);
    /// assert_eq!(x.ln().backward()[x].item(), 0.25);
    /// ```
    #[track_caller]
    pub fn ln(self) -> Self {
        self.unary(Op::Ln)
    }

    /// Square root. Derivative: `1 / (2 sqrt(x))`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(4.0);
    /// let y = x.sqrt();
    /// assert_eq!((y.item(), y.backward()[x].item()), (2.0, 0.25));
    /// ```
    #[track_caller]
    pub fn sqrt(self) -> Self {
        self.unary(Op::Sqrt)
    }

    /// `x^c` for a constant exponent `c`. Derivative: `c x^(c-1)` (zero when `c = 0`).
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(3.0);
    /// assert_eq!(x.powf(2.0).backward()[x].item(), 6.0);
    /// ```
    #[track_caller]
    pub fn powf(self, c: f64) -> Self {
        self.unary(Op::Powf(c))
    }

    /// `|x|`. Derivative: `sign(x)`, which is 0 at `x = 0` (as PyTorch).
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(-2.0);
    /// assert_eq!(x.abs().backward()[x].item(), -1.0);
    /// let z = t.scalar_var(0.0);
    /// assert_eq!(z.abs().backward()[z].item(), 0.0);
    /// ```
    #[track_caller]
    pub fn abs(self) -> Self {
        self.unary(Op::Abs)
    }

    /// `sign(x)`: -1, 0 or 1 (NaN stays NaN). Derivative: 0 everywhere, so the result is a
    /// constant.
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(-2.5);
    /// assert_eq!(x.sign().item(), -1.0);
    /// assert!(!x.sign().requires_grad());
    /// ```
    #[track_caller]
    pub fn sign(self) -> Self {
        self.tape().no_grad(|| self.unary(Op::Sign))
    }

    /// `sin(x)`. Derivative: `cos(x)`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(0.0);
    /// assert_eq!(x.sin().backward()[x].item(), 1.0);
    /// ```
    #[track_caller]
    pub fn sin(self) -> Self {
        self.unary(Op::Sin)
    }

    /// `cos(x)`. Derivative: `-sin(x)`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(std::f64::consts::FRAC_PI_2);
    /// assert_eq!(x.cos().backward()[x].item(), -1.0);
    /// ```
    #[track_caller]
    pub fn cos(self) -> Self {
        self.unary(Op::Cos)
    }

    /// Hyperbolic tangent. Derivative: `1 - tanh(x)^2`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(0.0);
    /// assert_eq!(x.tanh().backward()[x].item(), 1.0);
    /// ```
    #[track_caller]
    pub fn tanh(self) -> Self {
        self.unary(Op::Tanh)
    }

    /// Logistic sigmoid `1 / (1 + e^-x)`, computed without overflow for any `x` (through
    /// `e^x / (1 + e^x)` for negative `x`). Derivative: `s (1 - s)` with `s = sigmoid(x)`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(0.0);
    /// let s = x.sigmoid();
    /// assert_eq!((s.item(), s.backward()[x].item()), (0.5, 0.25));
    /// assert_eq!(t.scalar_var(-1e4).sigmoid().item(), 0.0);
    /// ```
    #[track_caller]
    pub fn sigmoid(self) -> Self {
        self.unary(Op::Sigmoid)
    }

    /// `max(x, 0)`. Derivative: 1 where `x > 0`, else 0 (so `relu'(0) = 0`, as PyTorch).
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(0.0);
    /// assert_eq!(x.relu().backward()[x].item(), 0.0);
    /// let x = t.scalar_var(2.0);
    /// assert_eq!(x.relu().backward()[x].item(), 1.0);
    /// ```
    #[track_caller]
    pub fn relu(self) -> Self {
        self.unary(Op::Relu)
    }

    /// `x` where `x > 0`, else `alpha x`. Derivative: 1 where `x > 0`, else `alpha`
    /// (including at 0, as PyTorch).
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(-2.0);
    /// let y = x.leaky_relu(0.1);
    /// assert_eq!((y.item(), y.backward()[x].item()), (-0.2, 0.1));
    /// ```
    #[track_caller]
    pub fn leaky_relu(self, alpha: f64) -> Self {
        self.unary(Op::LeakyRelu(alpha))
    }

    /// `ln(1 + e^x)`, computed stably as `max(x, 0) + ln(1 + e^-|x|)`. Derivative: `sigmoid(x)`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(0.0);
    /// let y = x.softplus();
    /// assert_eq!((y.item(), y.backward()[x].item()), (std::f64::consts::LN_2, 0.5));
    /// assert_eq!(t.scalar_var(1e4).softplus().item(), 1e4);
    /// ```
    #[track_caller]
    pub fn softplus(self) -> Self {
        self.unary(Op::Softplus)
    }

    /// `1 / x`. Derivative: `-1 / x^2`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(2.0);
    /// assert_eq!(x.recip().backward()[x].item(), -0.25);
    /// ```
    #[track_caller]
    pub fn recip(self) -> Self {
        self.unary(Op::Recip)
    }

    /// `x` limited to `[min, max]`. Derivative: 1 where `min < x < max`, else 0: 0 at the
    /// bounds themselves, as PyTorch's `clamp` with scalar bounds (and `relu`, `hardtanh`).
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(3.0);
    /// let y = x.clamp(0.0, 1.0);
    /// assert_eq!((y.item(), y.backward()[x].item()), (1.0, 0.0));
    /// ```
    #[track_caller]
    pub fn clamp(self, min: f64, max: f64) -> Self {
        let c = self.tape().push_consts(&[min, max]);
        let (lo, hi) = (T::from_f64(min), T::from_f64(max));
        let idx = self
            .tape()
            .record_like(Op::Clamp { c }, &[self.idx()], self.idx(), |ins, out| {
                each(ins[0], out, |v| {
                    if v < lo {
                        lo
                    } else if v > hi {
                        hi
                    } else {
                        v
                    }
                })
            });
        Var::new(self.tape(), idx)
    }

    /// `x + c` for a constant `c`. Derivative: 1.
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(1.0);
    /// assert_eq!(x.add_scalar(0.5).item(), 1.5);
    /// ```
    #[track_caller]
    pub fn add_scalar(self, c: f64) -> Self {
        self.unary(Op::AddScalar(c))
    }

    /// `c x` for a constant `c`. Derivative: `c`.
    ///
    /// ```
    /// # use autograd::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(1.0);
    /// assert_eq!(x.mul_scalar(3.0).backward()[x].item(), 3.0);
    /// ```
    #[track_caller]
    pub fn mul_scalar(self, c: f64) -> Self {
        self.unary(Op::MulScalar(c))
    }
}

#[inline]
fn each<T: Float>(x: &[T], out: &mut [T], f: impl Fn(T) -> T) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = f(v);
    }
}

/// The forward formulas, one element at a time (scalar graphs call this directly).
#[inline(always)]
pub(crate) fn scalar<T: Float>(op: Op, v: T) -> T {
    let zero = T::zero();
    let one = T::one();
    match op {
        Op::Neg => -v,
        Op::Exp => v.exp(),
        Op::Ln => v.ln(),
        Op::Sqrt => v.sqrt(),
        // Squares (l2 penalties, the rule of x^3) without libm's pow: x * x is exact to
        // rounding, and about 20 times cheaper.
        Op::Powf(2.0) => v * v,
        Op::Powf(1.0) => v,
        Op::Powf(c) => v.powf(T::from_f64(c)),
        Op::Abs => v.abs(),
        Op::Sign => {
            if v > zero {
                one
            } else if v < zero {
                -one
            } else {
                v // 0 stays 0, NaN stays NaN
            }
        }
        Op::Sin => v.sin(),
        Op::Cos => v.cos(),
        Op::Tanh => v.tanh(),
        Op::Sigmoid => {
            if v >= zero {
                one / (one + (-v).exp())
            } else {
                let e = v.exp();
                e / (one + e)
            }
        }
        // Written so that NaN passes through, as in PyTorch.
        Op::Relu => {
            if v <= zero {
                zero
            } else {
                v
            }
        }
        Op::LeakyRelu(a) => {
            if v > zero {
                v
            } else {
                T::from_f64(a) * v
            }
        }
        Op::Softplus => v.max(zero) + (-v.abs()).exp().ln_1p(),
        Op::Recip => one / v,
        Op::AddScalar(c) => v + T::from_f64(c),
        Op::MulScalar(c) => v * T::from_f64(c),
        _ => unreachable!("{} is not a unary op", op.name()),
    }
}

/// The forward kernels: [`scalar`] over every element, one loop per op (the op, and so the
/// formula, is fixed inside each loop).
#[inline]
pub(crate) fn forward<T: Float>(op: Op, x: &[T], out: &mut [T]) {
    match op {
        Op::Neg => each(x, out, |v| scalar(Op::Neg, v)),
        Op::Exp => each(x, out, |v| scalar(Op::Exp, v)),
        Op::Ln => each(x, out, |v| scalar(Op::Ln, v)),
        Op::Sqrt => each(x, out, |v| scalar(Op::Sqrt, v)),
        Op::Powf(2.0) => each(x, out, |v| scalar(Op::Powf(2.0), v)),
        Op::Powf(1.0) => out.copy_from_slice(x),
        Op::Powf(c) => each(x, out, |v| scalar(Op::Powf(c), v)),
        Op::Abs => each(x, out, |v| scalar(Op::Abs, v)),
        Op::Sign => each(x, out, |v| scalar(Op::Sign, v)),
        Op::Sin => each(x, out, |v| scalar(Op::Sin, v)),
        Op::Cos => each(x, out, |v| scalar(Op::Cos, v)),
        Op::Tanh => each(x, out, |v| scalar(Op::Tanh, v)),
        Op::Sigmoid => each(x, out, |v| scalar(Op::Sigmoid, v)),
        Op::Relu => each(x, out, |v| scalar(Op::Relu, v)),
        Op::LeakyRelu(a) => each(x, out, |v| scalar(Op::LeakyRelu(a), v)),
        Op::Softplus => each(x, out, |v| scalar(Op::Softplus, v)),
        Op::Recip => each(x, out, |v| scalar(Op::Recip, v)),
        Op::AddScalar(c) => each(x, out, |v| scalar(Op::AddScalar(c), v)),
        Op::MulScalar(c) => each(x, out, |v| scalar(Op::MulScalar(c), v)),
        _ => unreachable!("{} is not a unary op", op.name()),
    }
}

/// The derivative rules: given the output's cotangent `g`, the input `x` and the output `y`,
/// the input's cotangent. Every rule is built from primitive ops, generic over [`Elem`]: on
/// [`Var`](crate::Var) it records them (so it can be differentiated again), on values it
/// computes them. `bounds`: clamp's `[lo, hi]` (from the tape's constant table).
pub(crate) fn vjp<V: Elem>(op: Op, g: V, x: V, y: V, bounds: [f64; 2]) -> V {
    match op {
        Op::Neg => -g,
        Op::Exp => g * y,
        Op::Ln => g / x,
        Op::Sqrt => g / y.mul_scalar(2.0),
        Op::Powf(0.0) => g.mul_scalar(0.0),
        Op::Powf(2.0) => (g * x).mul_scalar(2.0),
        Op::Powf(c) => g * x.unary(Op::Powf(c - 1.0)).mul_scalar(c),
        Op::Abs => g * x.unary(Op::Sign),
        Op::Sin => g * x.unary(Op::Cos),
        Op::Cos => -(g * x.unary(Op::Sin)),
        // g (1 - y^2) and g y (1 - y), in three recorded ops each.
        Op::Tanh => g - g * y * y,
        Op::Sigmoid => {
            let gy = g * y;
            gy - gy * y
        }
        Op::Relu => g * x.compare_scalar(0.0, Cmp::Gt),
        Op::LeakyRelu(a) => g * x.compare_scalar(0.0, Cmp::Gt).mul_scalar(1.0 - a).add_scalar(a),
        Op::Softplus => g * x.unary(Op::Sigmoid),
        Op::Recip => -(g * y * y),
        Op::Clamp { .. } => {
            let [lo, hi] = bounds;
            g * (x.compare_scalar(lo, Cmp::Gt) * x.compare_scalar(hi, Cmp::Lt))
        }
        Op::AddScalar(_) => g,
        Op::MulScalar(c) => g.mul_scalar(c),
        _ => unreachable!("{} has no unary derivative rule", op.name()),
    }
}
