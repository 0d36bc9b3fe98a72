//! Elementwise ops of one input: the [`UnaryOp`] family. For each op: its variant, the method
//! (with its derivative in the doc), the one-element formula ([`scalar`]), the forward kernel
//! ([`forward`]) and the derivative rule ([`vjp`]), written in terms of primitive ops so that it
//! is itself differentiable. Every dispatch over the family is an exhaustive `match`.

use crate::dtype::Float;
use crate::op::{Cmp, Op, F64};
use crate::ops::elem::Elem;
use crate::var::Var;

/// The elementwise primitives of one input. Their rules are generic over [`Elem`], so a sweep
/// that keeps no graph applies them to scalar values (`backward.rs`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum UnaryOp {
    Neg,
    Exp,
    Expm1,
    Ln,
    Log1p,
    Sqrt,
    Powf(F64),
    Abs,
    /// Recorded under `no_grad` (its derivative is 0 everywhere), so its rule never runs.
    Sign,
    Sin,
    Cos,
    Tanh,
    Sigmoid,
    Relu,
    LeakyRelu(F64),
    Softplus,
    Recip,
    /// Bounds `[lo, hi]` at `consts[c]`, `consts[c + 1]` (two `f64`s would make a node larger);
    /// the formulas get them as `bounds`.
    Clamp {
        c: u32,
    },
    AddScalar(F64),
    MulScalar(F64),
}

/// `bounds` for every op but clamp, which alone reads them. Rules never record a clamp, so the
/// [`Elem`] algebra passes these.
pub(crate) const NO_BOUNDS: [f64; 2] = [0.0; 2];

impl UnaryOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Exp => "exp",
            UnaryOp::Expm1 => "expm1",
            UnaryOp::Ln => "ln",
            UnaryOp::Log1p => "log1p",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Powf(_) => "powf",
            UnaryOp::Abs => "abs",
            UnaryOp::Sign => "sign",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Relu => "relu",
            UnaryOp::LeakyRelu(_) => "leaky_relu",
            UnaryOp::Softplus => "softplus",
            UnaryOp::Recip => "recip",
            UnaryOp::Clamp { .. } => "clamp",
            UnaryOp::AddScalar(_) => "add_scalar",
            UnaryOp::MulScalar(_) => "mul_scalar",
        }
    }

    /// The constant arguments for DOT labels (`consts`: the tape's constant table).
    pub(crate) fn args(self, consts: &[f64]) -> Option<String> {
        match self {
            UnaryOp::Powf(c) => Some(format!("^{}", c.get())),
            UnaryOp::LeakyRelu(a) => Some(format!("alpha={}", a.get())),
            UnaryOp::Clamp { .. } => {
                let [lo, hi] = self.bounds(consts);
                Some(format!("[{lo}, {hi}]"))
            }
            UnaryOp::AddScalar(c) => Some(format!("+{}", c.get())),
            UnaryOp::MulScalar(c) => Some(format!("*{}", c.get())),
            UnaryOp::Neg
            | UnaryOp::Exp
            | UnaryOp::Expm1
            | UnaryOp::Ln
            | UnaryOp::Log1p
            | UnaryOp::Sqrt
            | UnaryOp::Abs
            | UnaryOp::Sign
            | UnaryOp::Sin
            | UnaryOp::Cos
            | UnaryOp::Tanh
            | UnaryOp::Sigmoid
            | UnaryOp::Relu
            | UnaryOp::Softplus
            | UnaryOp::Recip => None,
        }
    }

    /// The `bounds` the formulas of this op read from the tape's constant table.
    #[inline]
    pub(crate) fn bounds(self, consts: &[f64]) -> [f64; 2] {
        if let UnaryOp::Clamp { c } = self {
            [consts[c as usize], consts[c as usize + 1]]
        } else {
            NO_BOUNDS
        }
    }

    /// [`bounds`](Self::bounds) from `tape` (borrowed only for clamp).
    #[inline]
    pub(crate) fn bounds_on<T: Float>(self, tape: &crate::Tape<T>) -> [f64; 2] {
        if let UnaryOp::Clamp { .. } = self {
            self.bounds(&tape.borrow().consts)
        } else {
            NO_BOUNDS
        }
    }
}

impl<'t, T: Float> Var<'t, T> {
    #[track_caller]
    #[inline(always)]
    pub(crate) fn unary(self, op: UnaryOp) -> Self {
        self.unary_with(op, NO_BOUNDS)
    }

    /// Records `op` of this value; `bounds` are clamp's (see [`NO_BOUNDS`]). The scalar path is
    /// inlined where the op is a constant: its formula folds to one. The op reaches the tensor
    /// path through `black_box`, a copy made on that path only: without it the 12-byte op,
    /// passed by reference, was stored in two parts on entry and the scalar path read it back
    /// in one, a failed store forward on every node (1,500 scalar `x * c` and `x + c` took 25
    /// us to record with it, 10 without).
    #[track_caller]
    #[inline(always)]
    fn unary_with(self, op: UnaryOp, bounds: [f64; 2]) -> Self {
        let tape = self.tape();
        if let Some(rec) = tape.record_scalar([self.idx()]) {
            let y = scalar(op, rec.xs[0], bounds);
            return Var::new(tape, rec.push(Op::Unary(op), y));
        }
        self.unary_tensor(std::hint::black_box(op), bounds)
    }

    /// [`unary_with`](Self::unary_with) on a tensor (or in anomaly mode).
    #[track_caller]
    #[inline(never)]
    fn unary_tensor(self, op: UnaryOp, bounds: [f64; 2]) -> Self {
        let tape = self.tape();
        let idx = tape.record_like(Op::Unary(op), &[self.idx()], self.idx(), |ins, out| {
            forward(op, ins[0], out, bounds)
        });
        Var::new(tape, idx)
    }

    /// `e^x`. Derivative: `e^x` (the output itself).
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(1.0);
    /// let y = x.exp();
    /// assert_eq!(y.backward()[x].item(), std::f64::consts::E);
    /// ```
    #[track_caller]
    pub fn exp(self) -> Self {
        self.unary(UnaryOp::Exp)
    }

    /// Natural logarithm. Derivative: `1/x`. Negative inputs give NaN, zero gives `-inf`.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(4.0);
    /// assert_eq!(x.ln().backward()[x].item(), 0.25);
    /// ```
    #[track_caller]
    pub fn ln(self) -> Self {
        self.unary(UnaryOp::Ln)
    }

    /// `ln(1 + x)`, accurate for small `x` (where `(1 + x).ln()` loses the digits of `x`), as
    /// `torch.log1p`. Derivative: `1 / (1 + x)`. Below -1 it is NaN, at -1 `-inf`.
    ///
    /// ```
    /// use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(1e-10);
    /// let y = x.log1p();
    /// assert_eq!(y.item(), 9.999999999500001e-11); // (1.0 + 1e-10).ln() is 1.000000082690371e-10
    /// assert_eq!(y.backward()[x].item(), 1.0 / (1.0 + 1e-10));
    /// ```
    #[track_caller]
    pub fn log1p(self) -> Self {
        self.unary(UnaryOp::Log1p)
    }

    /// `e^x - 1`, accurate for small `x`, as `torch.expm1`. Derivative: `e^x`, computed as
    /// `y + 1` (PyTorch's rule).
    ///
    /// ```
    /// use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(1e-10);
    /// let y = x.expm1();
    /// assert_eq!(y.item(), 1.00000000005e-10);
    /// assert_eq!(y.backward()[x].item(), 1.0 + 1.00000000005e-10);
    /// ```
    #[track_caller]
    pub fn expm1(self) -> Self {
        self.unary(UnaryOp::Expm1)
    }

    /// Square root. Derivative: `1 / (2 sqrt(x))`.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(4.0);
    /// let y = x.sqrt();
    /// assert_eq!((y.item(), y.backward()[x].item()), (2.0, 0.25));
    /// ```
    #[track_caller]
    pub fn sqrt(self) -> Self {
        self.unary(UnaryOp::Sqrt)
    }

    /// `x^c` for a constant exponent `c`. Derivative: `c x^(c-1)` (zero when `c = 0`).
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(3.0);
    /// assert_eq!(x.powf(2.0).backward()[x].item(), 6.0);
    /// ```
    #[track_caller]
    pub fn powf(self, c: f64) -> Self {
        self.unary(UnaryOp::Powf(F64::new(c)))
    }

    /// `|x|`. Derivative: `sign(x)`, which is 0 at `x = 0` (as PyTorch).
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(-2.0);
    /// assert_eq!(x.abs().backward()[x].item(), -1.0);
    /// let z = t.scalar_var(0.0);
    /// assert_eq!(z.abs().backward()[z].item(), 0.0);
    /// ```
    #[track_caller]
    pub fn abs(self) -> Self {
        self.unary(UnaryOp::Abs)
    }

    /// `sign(x)`: -1, 0 or 1 (NaN stays NaN). Derivative: 0 everywhere, so the result is a
    /// constant.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(-2.5);
    /// assert_eq!(x.sign().item(), -1.0);
    /// assert!(!x.sign().requires_grad());
    /// ```
    #[track_caller]
    pub fn sign(self) -> Self {
        self.tape().no_grad(|| self.unary(UnaryOp::Sign))
    }

    /// `sin(x)`. Derivative: `cos(x)`.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(0.0);
    /// assert_eq!(x.sin().backward()[x].item(), 1.0);
    /// ```
    #[track_caller]
    pub fn sin(self) -> Self {
        self.unary(UnaryOp::Sin)
    }

    /// `cos(x)`. Derivative: `-sin(x)`.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(std::f64::consts::FRAC_PI_2);
    /// assert_eq!(x.cos().backward()[x].item(), -1.0);
    /// ```
    #[track_caller]
    pub fn cos(self) -> Self {
        self.unary(UnaryOp::Cos)
    }

    /// Hyperbolic tangent. Derivative: `1 - tanh(x)^2`.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(0.0);
    /// assert_eq!(x.tanh().backward()[x].item(), 1.0);
    /// ```
    #[track_caller]
    pub fn tanh(self) -> Self {
        self.unary(UnaryOp::Tanh)
    }

    /// Logistic sigmoid `1 / (1 + e^-x)`, computed without overflow for any `x` (through
    /// `e^x / (1 + e^x)` for negative `x`). Derivative: `s (1 - s)` with `s = sigmoid(x)`.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(0.0);
    /// let s = x.sigmoid();
    /// assert_eq!((s.item(), s.backward()[x].item()), (0.5, 0.25));
    /// assert_eq!(t.scalar_var(-1e4).sigmoid().item(), 0.0);
    /// ```
    #[track_caller]
    pub fn sigmoid(self) -> Self {
        self.unary(UnaryOp::Sigmoid)
    }

    /// SiLU (swish), `x sigmoid(x)`, as `torch.nn.functional.silu`: a composite, recorded as
    /// `sigmoid` and `*`. Derivative (by composition): `s + x s (1 - s)` with `s = sigmoid(x)`.
    ///
    /// ```
    /// use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(0.0);
    /// let y = x.silu();
    /// assert_eq!((y.item(), y.backward()[x].item()), (0.0, 0.5));
    /// ```
    #[track_caller]
    pub fn silu(self) -> Self {
        self * self.sigmoid()
    }

    /// `max(x, 0)`. Derivative: 1 where `x > 0`, else 0 (so `relu'(0) = 0`, as PyTorch).
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(0.0);
    /// assert_eq!(x.relu().backward()[x].item(), 0.0);
    /// let x = t.scalar_var(2.0);
    /// assert_eq!(x.relu().backward()[x].item(), 1.0);
    /// ```
    #[track_caller]
    pub fn relu(self) -> Self {
        self.unary(UnaryOp::Relu)
    }

    /// `x` where `x > 0`, else `alpha x`. Derivative: 1 where `x > 0`, else `alpha`
    /// (including at 0, as PyTorch).
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(-2.0);
    /// let y = x.leaky_relu(0.1);
    /// assert_eq!((y.item(), y.backward()[x].item()), (-0.2, 0.1));
    /// ```
    #[track_caller]
    pub fn leaky_relu(self, alpha: f64) -> Self {
        self.unary(UnaryOp::LeakyRelu(F64::new(alpha)))
    }

    /// `ln(1 + e^x)`, computed stably as `max(x, 0) + ln(1 + e^-|x|)`. Derivative: `sigmoid(x)`.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(0.0);
    /// let y = x.softplus();
    /// assert_eq!((y.item(), y.backward()[x].item()), (std::f64::consts::LN_2, 0.5));
    /// assert_eq!(t.scalar_var(1e4).softplus().item(), 1e4);
    /// ```
    #[track_caller]
    pub fn softplus(self) -> Self {
        self.unary(UnaryOp::Softplus)
    }

    /// `1 / x`. Derivative: `-1 / x^2`.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(2.0);
    /// assert_eq!(x.recip().backward()[x].item(), -0.25);
    /// ```
    #[track_caller]
    pub fn recip(self) -> Self {
        self.unary(UnaryOp::Recip)
    }

    /// `x` limited to `[min, max]`. Derivative: 1 where `min < x < max`, else 0: 0 at the
    /// bounds themselves, as PyTorch's `clamp` with scalar bounds (and `relu`, `hardtanh`).
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(3.0);
    /// let y = x.clamp(0.0, 1.0);
    /// assert_eq!((y.item(), y.backward()[x].item()), (1.0, 0.0));
    /// ```
    #[track_caller]
    pub fn clamp(self, min: f64, max: f64) -> Self {
        let c = self.tape().push_consts(&[min, max]);
        self.unary_with(UnaryOp::Clamp { c }, [min, max])
    }

    /// `x + c` for a constant `c`. Derivative: 1.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(1.0);
    /// assert_eq!(x.add_scalar(0.5).item(), 1.5);
    /// ```
    #[track_caller]
    pub fn add_scalar(self, c: f64) -> Self {
        self.unary(UnaryOp::AddScalar(F64::new(c)))
    }

    /// `c x` for a constant `c`. Derivative: `c`.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(1.0);
    /// assert_eq!(x.mul_scalar(3.0).backward()[x].item(), 3.0);
    /// ```
    #[track_caller]
    pub fn mul_scalar(self, c: f64) -> Self {
        self.unary(UnaryOp::MulScalar(F64::new(c)))
    }
}

/// `out[i] = f(x[i])`, split over threads above a size (`threads::for_each_chunk`).
#[inline]
fn each<T: Float>(x: &[T], out: &mut [T], f: impl Fn(T) -> T + Sync) {
    crate::threads::for_each_chunk_mut(out, |start, out| {
        for (o, &v) in out.iter_mut().zip(&x[start..]) {
            *o = f(v);
        }
    })
}

/// `x^c`: squares (l2 penalties, the rule of x^3) without libm's pow, as `x * x` is exact to
/// rounding and about 20 times cheaper; `c = 1` is the identity.
#[inline(always)]
fn powf<T: Float>(v: T, c: f64) -> T {
    if c == 2.0 {
        v * v
    } else if c == 1.0 {
        v
    } else {
        v.powf(T::from_f64(c))
    }
}

/// The forward formulas, one element at a time (scalar graphs call this directly).
#[inline(always)]
pub(crate) fn scalar<T: Float>(op: UnaryOp, v: T, bounds: [f64; 2]) -> T {
    let zero = T::zero();
    let one = T::one();
    match op {
        UnaryOp::Neg => -v,
        UnaryOp::Exp => v.exp(),
        UnaryOp::Expm1 => v.exp_m1(),
        UnaryOp::Ln => v.ln(),
        UnaryOp::Log1p => v.ln_1p(),
        UnaryOp::Sqrt => v.sqrt(),
        UnaryOp::Powf(c) => powf(v, c.get()),
        UnaryOp::Abs => v.abs(),
        UnaryOp::Sign => {
            if v > zero {
                one
            } else if v < zero {
                -one
            } else {
                v // 0 stays 0, NaN stays NaN
            }
        }
        UnaryOp::Sin => v.sin(),
        UnaryOp::Cos => v.cos(),
        // The engine's own, vectorisable (`math.rs`); f32 computed in f64, rounded once.
        UnaryOp::Tanh => T::from_f64(crate::math::tanh(v.as_f64())),
        UnaryOp::Sigmoid => {
            if v >= zero {
                one / (one + (-v).exp())
            } else {
                let e = v.exp();
                e / (one + e)
            }
        }
        // Written so that NaN passes through, as in PyTorch.
        UnaryOp::Relu => {
            if v <= zero {
                zero
            } else {
                v
            }
        }
        UnaryOp::LeakyRelu(a) => {
            if v > zero {
                v
            } else {
                T::from_f64(a.get()) * v
            }
        }
        UnaryOp::Softplus => v.max(zero) + (-v.abs()).exp().ln_1p(),
        UnaryOp::Recip => one / v,
        // NaN passes through.
        UnaryOp::Clamp { .. } => {
            let (lo, hi) = (T::from_f64(bounds[0]), T::from_f64(bounds[1]));
            if v < lo {
                lo
            } else if v > hi {
                hi
            } else {
                v
            }
        }
        UnaryOp::AddScalar(c) => v + T::from_f64(c.get()),
        UnaryOp::MulScalar(c) => v * T::from_f64(c.get()),
    }
}

/// The forward kernels: [`scalar`] over every element, one loop per op (the op, and so the
/// formula, is fixed inside each loop).
#[inline]
pub(crate) fn forward<T: Float>(op: UnaryOp, x: &[T], out: &mut [T], bounds: [f64; 2]) {
    let b = bounds;
    match op {
        UnaryOp::Neg => each(x, out, |v| scalar(UnaryOp::Neg, v, b)),
        UnaryOp::Exp => each(x, out, |v| scalar(UnaryOp::Exp, v, b)),
        UnaryOp::Expm1 => each(x, out, |v| scalar(UnaryOp::Expm1, v, b)),
        UnaryOp::Ln => each(x, out, |v| scalar(UnaryOp::Ln, v, b)),
        UnaryOp::Log1p => each(x, out, |v| scalar(UnaryOp::Log1p, v, b)),
        UnaryOp::Sqrt => each(x, out, |v| scalar(UnaryOp::Sqrt, v, b)),
        UnaryOp::Powf(c) => match c.get() {
            2.0 => each(x, out, |v| powf(v, 2.0)),
            1.0 => each(x, out, |v| v),
            c => each(x, out, |v| powf(v, c)),
        },
        UnaryOp::Abs => each(x, out, |v| scalar(UnaryOp::Abs, v, b)),
        UnaryOp::Sign => each(x, out, |v| scalar(UnaryOp::Sign, v, b)),
        UnaryOp::Sin => each(x, out, |v| scalar(UnaryOp::Sin, v, b)),
        UnaryOp::Cos => each(x, out, |v| scalar(UnaryOp::Cos, v, b)),
        // `math::tanh` on each element, in the CPU's widest vectors.
        UnaryOp::Tanh => crate::threads::for_each_chunk_mut(out, |start, out| {
            crate::math::tanh_into(&x[start..start + out.len()], out)
        }),
        UnaryOp::Sigmoid => each(x, out, |v| scalar(UnaryOp::Sigmoid, v, b)),
        UnaryOp::Relu => each(x, out, |v| scalar(UnaryOp::Relu, v, b)),
        UnaryOp::LeakyRelu(a) => each(x, out, |v| scalar(UnaryOp::LeakyRelu(a), v, b)),
        UnaryOp::Softplus => each(x, out, |v| scalar(UnaryOp::Softplus, v, b)),
        UnaryOp::Recip => each(x, out, |v| scalar(UnaryOp::Recip, v, b)),
        UnaryOp::Clamp { c } => each(x, out, |v| scalar(UnaryOp::Clamp { c }, v, b)),
        UnaryOp::AddScalar(c) => each(x, out, |v| scalar(UnaryOp::AddScalar(c), v, b)),
        UnaryOp::MulScalar(c) => each(x, out, |v| scalar(UnaryOp::MulScalar(c), v, b)),
    }
}

/// The derivative rules: given the output's cotangent `g`, the input `x` and the output `y`,
/// the input's cotangent. Every rule is built from primitive ops, generic over [`Elem`]: on
/// [`Var`](crate::Var) it records them (so it can be differentiated again), on values it
/// computes them. `bounds`: clamp's `[lo, hi]` (from the tape's constant table).
// Always inlined: `rule_values.rs` calls it with the op fixed, one loop per op.
#[inline(always)]
pub(crate) fn vjp<V: Elem>(op: UnaryOp, g: V, x: V, y: V, bounds: [f64; 2]) -> V {
    match op {
        UnaryOp::Neg => -g,
        UnaryOp::Exp => g * y,
        UnaryOp::Expm1 => g * y.add_scalar(1.0),
        UnaryOp::Ln => g / x,
        UnaryOp::Log1p => g / x.add_scalar(1.0),
        UnaryOp::Sqrt => g / y.mul_scalar(2.0),
        UnaryOp::Powf(c) => match c.get() {
            0.0 => g.mul_scalar(0.0),
            2.0 => (g * x).mul_scalar(2.0),
            c => g * x.unary(UnaryOp::Powf(F64::new(c - 1.0))).mul_scalar(c),
        },
        UnaryOp::Abs => g * x.unary(UnaryOp::Sign),
        UnaryOp::Sign => g.mul_scalar(0.0),
        UnaryOp::Sin => g * x.unary(UnaryOp::Cos),
        UnaryOp::Cos => -(g * x.unary(UnaryOp::Sin)),
        // g (1 - y^2) and g y (1 - y), in three recorded ops each.
        UnaryOp::Tanh => g - g * y * y,
        UnaryOp::Sigmoid => {
            let gy = g * y;
            gy - gy * y
        }
        UnaryOp::Relu => g * x.compare_scalar(0.0, Cmp::Gt),
        UnaryOp::LeakyRelu(a) => {
            let a = a.get();
            g * x.compare_scalar(0.0, Cmp::Gt).mul_scalar(1.0 - a).add_scalar(a)
        }
        UnaryOp::Softplus => g * x.unary(UnaryOp::Sigmoid),
        UnaryOp::Recip => -(g * y * y),
        UnaryOp::Clamp { .. } => {
            let [lo, hi] = bounds;
            g * (x.compare_scalar(lo, Cmp::Gt) * x.compare_scalar(hi, Cmp::Lt))
        }
        UnaryOp::AddScalar(_) => g,
        UnaryOp::MulScalar(c) => g.mul_scalar(c.get()),
    }
}
