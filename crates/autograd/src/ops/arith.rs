//! Operator overloading: `Var op Var`, `Var op scalar`, `scalar op Var` for + - * / and unary -.
//! `Var op Var` broadcasts and panics (at the caller's line) where the `try_` form would
//! return an error.

use crate::dtype::Float;
use crate::ops::binary::ok;
use crate::var::Var;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// `-x`. Derivative: -1.
///
/// ```
/// # use chainrule::Tape;
/// let t = Tape::<f64>::new();
/// let x = t.scalar_var(2.0);
/// let y = -x;
/// assert_eq!((y.item(), y.backward()[x].item()), (-2.0, -1.0));
/// ```
impl<'t, T: Float> Neg for Var<'t, T> {
    type Output = Var<'t, T>;
    #[track_caller]
    fn neg(self) -> Self::Output {
        self.unary(crate::op::UnaryOp::Neg)
    }
}

macro_rules! binary_operator {
    ($trait:ident, $method:ident, $try:ident) => {
        impl<'t, T: Float> $trait for Var<'t, T> {
            type Output = Var<'t, T>;
            #[track_caller]
            fn $method(self, rhs: Self) -> Self::Output {
                ok(self.$try(rhs))
            }
        }
    };
}
binary_operator!(Add, add, try_add);
binary_operator!(Sub, sub, try_sub);
binary_operator!(Mul, mul, try_mul);
binary_operator!(Div, div, try_div);

macro_rules! scalar_operators {
    ($t:ty) => {
        impl<'t> Add<$t> for Var<'t, $t> {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn add(self, c: $t) -> Self::Output {
                self.add_scalar(c as f64)
            }
        }
        impl<'t> Sub<$t> for Var<'t, $t> {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn sub(self, c: $t) -> Self::Output {
                self.add_scalar(-(c as f64))
            }
        }
        impl<'t> Mul<$t> for Var<'t, $t> {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn mul(self, c: $t) -> Self::Output {
                self.mul_scalar(c as f64)
            }
        }
        /// `x / c` is recorded as a true division by a constant, so it rounds exactly as
        /// `x / c` would (not as `x * (1/c)`).
        impl<'t> Div<$t> for Var<'t, $t> {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn div(self, c: $t) -> Self::Output {
                let c = self.tape().scalar(c);
                self / c
            }
        }
        impl<'t> Add<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn add(self, x: Var<'t, $t>) -> Self::Output {
                x.add_scalar(self as f64)
            }
        }
        impl<'t> Sub<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn sub(self, x: Var<'t, $t>) -> Self::Output {
                (-x).add_scalar(self as f64)
            }
        }
        impl<'t> Mul<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn mul(self, x: Var<'t, $t>) -> Self::Output {
                x.mul_scalar(self as f64)
            }
        }
        impl<'t> Div<Var<'t, $t>> for $t {
            type Output = Var<'t, $t>;
            #[track_caller]
            fn div(self, x: Var<'t, $t>) -> Self::Output {
                let c = x.tape().scalar(self);
                c / x
            }
        }
    };
}
scalar_operators!(f64);
scalar_operators!(f32);

#[cfg(test)]
mod tests {
    use crate::Tape;

    #[test]
    fn scalar_operators_match_plain_arithmetic() {
        let t = Tape::<f64>::new();
        let x = t.scalar_var(3.0);
        assert_eq!((x + 1.0).item(), 4.0);
        assert_eq!((x - 1.0).item(), 2.0);
        assert_eq!((x * 2.0).item(), 6.0);
        assert_eq!((x / 3.0).item(), 1.0);
        assert_eq!((1.0 + x).item(), 4.0);
        assert_eq!((1.0 - x).item(), -2.0);
        assert_eq!((2.0 * x).item(), 6.0);
        assert_eq!((6.0 / x).item(), 2.0);
        let g = (6.0 / x).backward();
        assert!((g[x].item() + 6.0 / 9.0).abs() < 1e-15);
    }

    #[test]
    #[should_panic(expected = "add: shapes [2] and [3] are incompatible")]
    fn operators_panic_with_the_shapes() {
        let t = Tape::<f64>::new();
        let a = t.var(crate::Tensor::zeros(&[2]));
        let b = t.var(crate::Tensor::zeros(&[3]));
        let _ = a + b;
    }
}
