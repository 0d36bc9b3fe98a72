//! Elementwise ops of two inputs with NumPy broadcasting. Broadcasting is done once, here, by
//! the explicit `broadcast_to` op; the binary kernels themselves only see equal shapes.

use crate::dtype::Float;
use crate::error::Result;
use crate::op::{Cmp, Op, UnaryOp};
use crate::ops::elem::Elem;
use crate::shape::broadcast_shapes;
use crate::tape::Tape;
use crate::var::Var;

/// Unwraps a `try_` result, panicking with the error's message at the caller's line.
#[track_caller]
#[inline]
pub(crate) fn ok<V>(r: Result<V>) -> V {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{e}"),
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Brings two operands to their common broadcast shape.
    #[track_caller]
    pub(crate) fn try_broadcast_pair(self, other: Self, op: &'static str) -> Result<(Self, Self)> {
        Tape::check_same(op, &self, &other)?;
        if self.tape().same_shape(self.idx(), other.idx()) {
            return Ok((self, other));
        }
        let (sa, sb) = (self.shape(), other.shape());
        let out = broadcast_shapes(op, &sa, &sb)?;
        Ok((self.expand_unchecked(&out), other.expand_unchecked(&out)))
    }

    #[track_caller]
    pub(crate) fn try_binary(self, other: Self, op: BinaryOp) -> Result<Self> {
        if std::ptr::eq(self.tape(), other.tape())
            && let Some(rec) = self.tape().record_scalar([self.idx(), other.idx()])
        {
            let [x, y] = rec.xs;
            let z = scalar(op, x, y);
            return Ok(Var::new(self.tape(), rec.push(Op::Binary(op), z)));
        }
        let (a, b) = self.try_broadcast_pair(other, op.name())?;
        let idx = self
            .tape()
            .record_like(Op::Binary(op), &[a.idx(), b.idx()], a.idx(), |ins, out| {
                forward(op, ins[0], ins[1], out)
            });
        Ok(Var::new(self.tape(), idx))
    }

    /// `a + b` with broadcasting. Derivative: 1 for each operand (summed over broadcast axes).
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let a = t.var(Tensor::from(vec![1.0, 2.0]));
    /// let b = t.scalar_var(10.0);
    /// let y = a.try_add(b).unwrap();
    /// assert_eq!(y.value().to_vec(), vec![11.0, 12.0]);
    /// assert_eq!(y.sum().backward()[b].item(), 2.0); // b was used twice
    /// ```
    #[track_caller]
    pub fn try_add(self, other: Self) -> Result<Self> {
        self.try_binary(other, BinaryOp::Add)
    }

    /// `a - b` with broadcasting. Derivative: 1 and -1.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let (a, b) = (t.scalar_var(5.0), t.scalar_var(3.0));
    /// let g = a.try_sub(b).unwrap().backward();
    /// assert_eq!((g[a].item(), g[b].item()), (1.0, -1.0));
    /// ```
    #[track_caller]
    pub fn try_sub(self, other: Self) -> Result<Self> {
        self.try_binary(other, BinaryOp::Sub)
    }

    /// `a * b` (elementwise) with broadcasting. Derivative: `b` and `a`.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let (a, b) = (t.scalar_var(5.0), t.scalar_var(3.0));
    /// let g = a.try_mul(b).unwrap().backward();
    /// assert_eq!((g[a].item(), g[b].item()), (3.0, 5.0));
    /// ```
    #[track_caller]
    pub fn try_mul(self, other: Self) -> Result<Self> {
        self.try_binary(other, BinaryOp::Mul)
    }

    /// `a / b` with broadcasting. Derivative: `1/b` and `-a/b^2`.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let (a, b) = (t.scalar_var(6.0), t.scalar_var(2.0));
    /// let g = a.try_div(b).unwrap().backward();
    /// assert_eq!((g[a].item(), g[b].item()), (0.5, -1.5));
    /// ```
    #[track_caller]
    pub fn try_div(self, other: Self) -> Result<Self> {
        self.try_binary(other, BinaryOp::Div)
    }

    /// `a ^ b` with a tensor exponent, broadcasting. Derivative: `b a^(b-1)` for `a` (0 where
    /// `b = 0`), and `a^b ln(a)` for `b` (0 where `a = 0` and `b >= 0`), as PyTorch.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let (a, b) = (t.scalar_var(2.0), t.scalar_var(3.0));
    /// let y = a.pow(b);
    /// let g = y.backward();
    /// assert_eq!((y.item(), g[a].item()), (8.0, 12.0));
    /// assert!((g[b].item() - 8.0 * 2f64.ln()).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn try_pow(self, exponent: Self) -> Result<Self> {
        self.try_binary(exponent, BinaryOp::Pow)
    }

    /// Panicking form of [`try_pow`](Self::try_pow).
    #[track_caller]
    pub fn pow(self, exponent: Self) -> Self {
        ok(self.try_pow(exponent))
    }

    /// Elementwise maximum with broadcasting. Derivative: 1 to the larger operand; at ties the
    /// gradient is split evenly (1/2 each), as PyTorch.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let (a, b) = (t.scalar_var(2.0), t.scalar_var(2.0));
    /// let g = a.maximum(b).backward();
    /// assert_eq!((g[a].item(), g[b].item()), (0.5, 0.5));
    /// ```
    #[track_caller]
    pub fn try_maximum(self, other: Self) -> Result<Self> {
        self.try_binary(other, BinaryOp::Maximum)
    }

    /// Panicking form of [`try_maximum`](Self::try_maximum).
    #[track_caller]
    pub fn maximum(self, other: Self) -> Self {
        ok(self.try_maximum(other))
    }

    /// Elementwise minimum with broadcasting. Derivative: 1 to the smaller operand; ties split
    /// evenly, as PyTorch.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let (a, b) = (t.scalar_var(1.0), t.scalar_var(2.0));
    /// let g = a.minimum(b).backward();
    /// assert_eq!((g[a].item(), g[b].item()), (1.0, 0.0));
    /// ```
    #[track_caller]
    pub fn try_minimum(self, other: Self) -> Result<Self> {
        self.try_binary(other, BinaryOp::Minimum)
    }

    /// Panicking form of [`try_minimum`](Self::try_minimum).
    #[track_caller]
    pub fn minimum(self, other: Self) -> Self {
        ok(self.try_minimum(other))
    }
}

/// The elementwise primitives of two inputs (of equal shape: operands are broadcast before).
/// Their rules are generic over [`Elem`], as the unary ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Maximum,
    Minimum,
}

impl BinaryOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Pow => "pow",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
        }
    }
}

#[inline]
fn each<T: Float>(a: &[T], b: &[T], out: &mut [T], f: impl Fn(T, T) -> T + Sync) {
    crate::threads::for_each_chunk_mut(out, |start, out| {
        for ((o, &x), &y) in out.iter_mut().zip(&a[start..]).zip(&b[start..]) {
            *o = f(x, y);
        }
    })
}

/// The forward formulas, one element at a time (scalar graphs call this directly).
#[inline(always)]
pub(crate) fn scalar<T: Float>(op: BinaryOp, x: T, y: T) -> T {
    match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        BinaryOp::Div => x / y,
        BinaryOp::Pow => x.powf(y),
        // NaN propagates, as in PyTorch.
        BinaryOp::Maximum => {
            if x.is_nan() || x > y {
                x
            } else {
                y
            }
        }
        BinaryOp::Minimum => {
            if x.is_nan() || x < y {
                x
            } else {
                y
            }
        }
    }
}

/// The forward kernels (equal shapes): [`scalar`] over every element, one loop per op so that
/// each loop's body is the op's formula alone.
#[inline]
pub(crate) fn forward<T: Float>(op: BinaryOp, a: &[T], b: &[T], out: &mut [T]) {
    match op {
        BinaryOp::Add => each(a, b, out, |x, y| scalar(BinaryOp::Add, x, y)),
        BinaryOp::Sub => each(a, b, out, |x, y| scalar(BinaryOp::Sub, x, y)),
        BinaryOp::Mul => each(a, b, out, |x, y| scalar(BinaryOp::Mul, x, y)),
        BinaryOp::Div => each(a, b, out, |x, y| scalar(BinaryOp::Div, x, y)),
        BinaryOp::Pow => each(a, b, out, |x, y| scalar(BinaryOp::Pow, x, y)),
        BinaryOp::Maximum => each(a, b, out, |x, y| scalar(BinaryOp::Maximum, x, y)),
        BinaryOp::Minimum => each(a, b, out, |x, y| scalar(BinaryOp::Minimum, x, y)),
    }
}

/// The derivative rules: cotangents of `a` and `b` given the output's cotangent `g` (all of the
/// broadcast shape; the `broadcast_to` rule sums them back to each operand's shape). Generic
/// over [`Elem`], as the unary rules.
#[inline]
pub(crate) fn vjp<V: Elem>(op: BinaryOp, g: V, a: V, b: V, y: V, need: [bool; 2]) -> [Option<V>; 2] {
    match op {
        BinaryOp::Add => [need[0].then_some(g), need[1].then_some(g)],
        BinaryOp::Sub => [need[0].then_some(g), need[1].then(|| -g)],
        BinaryOp::Mul => [need[0].then(|| g * b), need[1].then(|| g * a)],
        BinaryOp::Div => [need[0].then(|| g / b), need[1].then(|| -(g * y) / b)],
        BinaryOp::Pow => [
            need[0].then(|| {
                // d/da a^b = b a^(b-1), defined as 0 where b = 0 (PyTorch; a^0 is constant,
                // and 0 * 0^-1 would be NaN at a = 0).
                let zero = g.constant(0.0);
                let db = g * b * a.binary(b.add_scalar(-1.0), BinaryOp::Pow);
                b.compare_scalar(0.0, Cmp::Eq).select(zero, db)
            }),
            need[1].then(|| {
                // d/db a^b = a^b ln a, defined as 0 where a = 0 and b >= 0 (PyTorch).
                let zero_base = a.compare_scalar(0.0, Cmp::Eq) * b.compare_scalar(0.0, Cmp::Ge);
                g * zero_base.select(y.mul_scalar(0.0), y * a.unary(UnaryOp::Ln))
            }),
        ],
        BinaryOp::Maximum | BinaryOp::Minimum => {
            // Weight 1 to the winner, 1/2 each at ties.
            let ties = a.compare(b, Cmp::Eq).mul_scalar(0.5);
            let (wa, wb) = if op == BinaryOp::Maximum {
                (a.compare(b, Cmp::Gt), b.compare(a, Cmp::Gt))
            } else {
                (a.compare(b, Cmp::Lt), b.compare(a, Cmp::Lt))
            };
            [need[0].then(|| g * (wa + ties)), need[1].then(|| g * (wb + ties))]
        }
    }
}
