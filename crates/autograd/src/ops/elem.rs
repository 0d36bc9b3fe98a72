//! The algebra the elementwise derivative rules are written in, and its two implementations:
//!
//! - [`Var`]: every step is recorded, so the gradient is a graph that can be differentiated
//!   again (`grad`), and tensors of any shape work;
//! - [`Val`]: a plain number, computed with the one-element formulas the forward kernels loop
//!   over (`unary::scalar`, `binary::scalar`): `backward` (which keeps no graph) applies the
//!   rules of scalar nodes this way, without recording a node.
//!
//! Each rule (in `unary.rs` and `binary.rs`) is written once, generic over [`Elem`], so both
//! paths apply the same formula, step by step, and round the same way.

use crate::dtype::Float;
use crate::op::{BinaryOp, Cmp, UnaryOp, F64};
use crate::ops::{binary, unary};
use crate::var::Var;
use std::ops::{Add, Div, Mul, Neg, Sub};

/// What a derivative rule may do with the cotangent, the inputs and the output.
pub(crate) trait Elem:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self>
{
    /// A one-input elementwise primitive (`exp`, `powf(c)`, `mul_scalar(c)`, ...).
    fn unary(self, op: UnaryOp) -> Self;
    /// A two-input elementwise primitive (`pow`).
    fn binary(self, other: Self, op: BinaryOp) -> Self;
    /// A mask: 1 where `self cmp other`, else 0 (no gradient).
    fn compare(self, other: Self, cmp: Cmp) -> Self;
    /// `where(self, on_true, on_false)`.
    fn select(self, on_true: Self, on_false: Self) -> Self;
    /// A scalar constant `c` (broadcast where combined with a tensor).
    fn constant(self, c: f64) -> Self;

    fn mul_scalar(self, c: f64) -> Self {
        self.unary(UnaryOp::MulScalar(F64::new(c)))
    }
    fn add_scalar(self, c: f64) -> Self {
        self.unary(UnaryOp::AddScalar(F64::new(c)))
    }
    fn compare_scalar(self, c: f64, cmp: Cmp) -> Self {
        self.compare(self.constant(c), cmp)
    }
}

impl<'t, T: Float> Elem for Var<'t, T> {
    #[inline]
    fn unary(self, op: UnaryOp) -> Self {
        Var::unary(self, op)
    }
    #[inline]
    fn binary(self, other: Self, op: BinaryOp) -> Self {
        binary::ok(self.try_binary(other, op))
    }
    #[inline]
    fn compare(self, other: Self, cmp: Cmp) -> Self {
        binary::ok(self.try_compare(other, cmp))
    }
    #[inline]
    fn select(self, on_true: Self, on_false: Self) -> Self {
        self.where_(on_true, on_false)
    }
    #[inline]
    fn constant(self, c: f64) -> Self {
        self.tape().scalar(T::from_f64(c))
    }
}

/// A scalar value with the engine's elementwise semantics (the kernels' one-element formulas).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Val<T>(pub T);

impl<T: Float> Elem for Val<T> {
    #[inline(always)]
    fn unary(self, op: UnaryOp) -> Self {
        Val(unary::scalar(op, self.0, unary::NO_BOUNDS))
    }
    #[inline(always)]
    fn binary(self, other: Self, op: BinaryOp) -> Self {
        Val(binary::scalar(op, self.0, other.0))
    }
    #[inline(always)]
    fn compare(self, other: Self, cmp: Cmp) -> Self {
        Val(if cmp.holds(self.0, other.0) {
            T::one()
        } else {
            T::zero()
        })
    }
    #[inline(always)]
    fn select(self, on_true: Self, on_false: Self) -> Self {
        if self.0 != T::zero() {
            on_true
        } else {
            on_false
        }
    }
    #[inline(always)]
    fn constant(self, c: f64) -> Self {
        Val(T::from_f64(c))
    }
}

/// `+ - * /` and unary `-` on an [`Elem`] implementation (`$ty`, with its generic parameter),
/// through its primitives.
macro_rules! elem_operators {
    ($ty:ty $(, $g:ident: $bound:path)?) => {
        $crate::ops::elem::elem_operators!(@op $ty, Add, add, Add $(, $g: $bound)?);
        $crate::ops::elem::elem_operators!(@op $ty, Sub, sub, Sub $(, $g: $bound)?);
        $crate::ops::elem::elem_operators!(@op $ty, Mul, mul, Mul $(, $g: $bound)?);
        $crate::ops::elem::elem_operators!(@op $ty, Div, div, Div $(, $g: $bound)?);
        impl<$($g: $bound)?> std::ops::Neg for $ty {
            type Output = $ty;
            #[inline]
            fn neg(self) -> Self {
                $crate::ops::elem::Elem::unary(self, $crate::op::UnaryOp::Neg)
            }
        }
    };
    (@op $ty:ty, $trait:ident, $method:ident, $op:ident $(, $g:ident: $bound:path)?) => {
        impl<$($g: $bound)?> std::ops::$trait for $ty {
            type Output = $ty;
            #[inline]
            fn $method(self, rhs: Self) -> Self {
                $crate::ops::elem::Elem::binary(self, rhs, $crate::op::BinaryOp::$op)
            }
        }
    };
}
// Also for the symbolic values of `rule_text.rs` (a unit test).
#[allow(unused_imports)]
pub(crate) use elem_operators;

elem_operators!(Val<T>, T: Float);
