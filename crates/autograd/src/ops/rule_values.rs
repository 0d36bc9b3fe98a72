//! An elementwise op's derivative rule applied to the values of a tensor below the threads'
//! split, element by element: what a sweep that keeps no graph does for such a node
//! (`backward.rs`), instead of recording the rule's ops one by one, whose bookkeeping costs more
//! than their arithmetic on a small tensor (`tanh`'s rule is three recorded ops). The rule is the
//! op's own ([`unary::vjp`], [`binary::vjp`]) on [`Val`]s, the numbers the kernels compute with,
//! so each element goes through the same steps and comes out with the same bits as when the rule
//! is recorded.

use crate::dtype::Float;
use crate::op::{BinaryOp, Cmp, UnaryOp};
use crate::ops::binary;
use crate::ops::elem::{Elem, Val};
use crate::ops::unary::{self, NO_BOUNDS};

/// What a rule made of its cotangent `g`: `g` itself, untouched, or anything else.
#[derive(Clone, Copy, PartialEq)]
enum Pass {
    Cotangent,
    Other,
}

impl Elem for Pass {
    fn unary(self, _: UnaryOp) -> Self {
        Pass::Other
    }
    fn binary(self, _: Self, _: BinaryOp) -> Self {
        Pass::Other
    }
    fn compare(self, _: Self, _: Cmp) -> Self {
        Pass::Other
    }
    fn select(self, _: Self, _: Self) -> Self {
        Pass::Other
    }
    fn constant(self, _: f64) -> Self {
        Pass::Other
    }
}
crate::ops::elem::elem_operators!(Pass);

/// Whether `op`'s rule hands the cotangent on unchanged (that of `x + c`), read off the rule
/// itself: then there is nothing to compute.
pub(crate) fn passes_cotangent(op: UnaryOp) -> bool {
    unary::vjp(op, Pass::Cotangent, Pass::Other, Pass::Other, NO_BOUNDS) == Pass::Cotangent
}

/// Which sides of `op`'s rule hand the cotangent on unchanged (both of `a + b`'s, the first of
/// `a - b`'s), read off the rule as [`passes_cotangent`] does.
pub(crate) fn binary_passes(op: BinaryOp) -> [bool; 2] {
    let p = Pass::Other;
    let [a, b] = binary::vjp(op, Pass::Cotangent, p, p, p, [true, true]);
    [a == Some(Pass::Cotangent), b == Some(Pass::Cotangent)]
}

/// `out = vjp(op, g, a, b, y)[SIDE]` element by element, one loop per op as [`unary_each`].
pub(crate) fn binary_each<T: Float, const SIDE: usize>(op: BinaryOp, [g, a, b, y]: [&[T]; 4], out: &mut [T]) {
    let n = out.len();
    let (g, a, b, y) = (&g[..n], &a[..n], &b[..n], &y[..n]);
    let need = [SIDE == 0, SIDE == 1];
    macro_rules! rule {
        ($op:expr) => {
            for i in 0..n {
                let ct = binary::vjp($op, Val(g[i]), Val(a[i]), Val(b[i]), Val(y[i]), need)[SIDE];
                out[i] = ct.map_or(T::zero(), |v| v.0);
            }
        };
    }
    match op {
        BinaryOp::Add => rule!(BinaryOp::Add),
        BinaryOp::Sub => rule!(BinaryOp::Sub),
        BinaryOp::Mul => rule!(BinaryOp::Mul),
        BinaryOp::Div => rule!(BinaryOp::Div),
        BinaryOp::Pow => rule!(BinaryOp::Pow),
        BinaryOp::Maximum => rule!(BinaryOp::Maximum),
        BinaryOp::Minimum => rule!(BinaryOp::Minimum),
    }
}

#[inline(always)]
fn each<T: Float>(g: &[T], x: &[T], y: &[T], out: &mut [T], rule: impl Fn(T, T, T) -> T) {
    let n = out.len();
    let (g, x, y) = (&g[..n], &x[..n], &y[..n]);
    for i in 0..n {
        out[i] = rule(g[i], x[i], y[i]);
    }
}

/// `out = vjp(op, g, x, y)` element by element; one loop per op, the op fixed inside it (so
/// simple rules vectorise).
pub(crate) fn unary_each<T: Float>(op: UnaryOp, g: &[T], x: &[T], y: &[T], out: &mut [T], bounds: [f64; 2]) {
    // A closure of its own per arm, with the op a constant in it.
    macro_rules! rule {
        ($op:expr) => {
            |g: T, x: T, y: T| unary::vjp($op, Val(g), Val(x), Val(y), bounds).0
        };
    }
    match op {
        UnaryOp::Neg => each(g, x, y, out, rule!(UnaryOp::Neg)),
        UnaryOp::Exp => each(g, x, y, out, rule!(UnaryOp::Exp)),
        UnaryOp::Expm1 => each(g, x, y, out, rule!(UnaryOp::Expm1)),
        UnaryOp::Ln => each(g, x, y, out, rule!(UnaryOp::Ln)),
        UnaryOp::Log1p => each(g, x, y, out, rule!(UnaryOp::Log1p)),
        UnaryOp::Sqrt => each(g, x, y, out, rule!(UnaryOp::Sqrt)),
        UnaryOp::Powf(c) => each(g, x, y, out, rule!(UnaryOp::Powf(c))),
        UnaryOp::Abs => each(g, x, y, out, rule!(UnaryOp::Abs)),
        UnaryOp::Sign => each(g, x, y, out, rule!(UnaryOp::Sign)),
        UnaryOp::Sin => each(g, x, y, out, rule!(UnaryOp::Sin)),
        UnaryOp::Cos => each(g, x, y, out, rule!(UnaryOp::Cos)),
        UnaryOp::Tanh => each(g, x, y, out, rule!(UnaryOp::Tanh)),
        UnaryOp::Sigmoid => each(g, x, y, out, rule!(UnaryOp::Sigmoid)),
        UnaryOp::Relu => each(g, x, y, out, rule!(UnaryOp::Relu)),
        UnaryOp::LeakyRelu(a) => each(g, x, y, out, rule!(UnaryOp::LeakyRelu(a))),
        UnaryOp::Softplus => each(g, x, y, out, rule!(UnaryOp::Softplus)),
        UnaryOp::Recip => each(g, x, y, out, rule!(UnaryOp::Recip)),
        UnaryOp::Clamp { c } => each(g, x, y, out, rule!(UnaryOp::Clamp { c })),
        UnaryOp::AddScalar(c) => each(g, x, y, out, rule!(UnaryOp::AddScalar(c))),
        UnaryOp::MulScalar(c) => each(g, x, y, out, rule!(UnaryOp::MulScalar(c))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::F64;

    /// The probe reads the rules: only `x + c`'s, `a + b`'s and `a - b`'s (to `a`) hand the
    /// cotangent on.
    #[test]
    fn only_the_rules_of_adding_pass_the_cotangent_on() {
        let c = F64::new(0.5);
        let ops = [
            UnaryOp::Neg,
            UnaryOp::Exp,
            UnaryOp::Expm1,
            UnaryOp::Ln,
            UnaryOp::Log1p,
            UnaryOp::Sqrt,
            UnaryOp::Powf(c),
            UnaryOp::Powf(F64::new(1.0)),
            UnaryOp::Abs,
            UnaryOp::Sign,
            UnaryOp::Sin,
            UnaryOp::Cos,
            UnaryOp::Tanh,
            UnaryOp::Sigmoid,
            UnaryOp::Relu,
            UnaryOp::LeakyRelu(c),
            UnaryOp::Softplus,
            UnaryOp::Recip,
            UnaryOp::Clamp { c: 0 },
            UnaryOp::AddScalar(c),
            UnaryOp::MulScalar(c),
            UnaryOp::MulScalar(F64::new(1.0)),
        ];
        for op in ops {
            assert_eq!(
                passes_cotangent(op),
                matches!(op, UnaryOp::AddScalar(_)),
                "{op:?}"
            );
        }
    }
}
