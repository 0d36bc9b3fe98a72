//! The engine's one error type.

use crate::shape::Shape;

/// Everything that can go wrong when recording an op: the op's name, the shapes involved,
/// the axis, and what was expected.
///
/// Each shape-dependent op has a `try_` form returning `Result<_, Error>`; the plain form panics
/// with this error's message at the caller's line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// Two shapes that had to agree (or broadcast) do not.
    #[error("{op}: shapes {lhs:?} and {rhs:?} are incompatible: {expected}")]
    ShapeMismatch {
        /// The op being recorded.
        op: &'static str,
        /// The first operand's shape.
        lhs: Shape,
        /// The second operand's shape.
        rhs: Shape,
        /// What the op requires.
        expected: String,
    },
    /// An axis is out of range for the operand's rank.
    #[error("{op}: axis {axis} is out of range for shape {shape:?} (rank {rank})", rank = shape.len())]
    AxisOutOfRange {
        /// The op being recorded.
        op: &'static str,
        /// The axis as given (negative axes count from the end).
        axis: isize,
        /// The operand's shape.
        shape: Shape,
    },
    /// An argument is invalid for the operand's shape (an index, a length, a permutation...).
    #[error("{op}: {message} (shape {shape:?})")]
    InvalidArgument {
        /// The op being recorded.
        op: &'static str,
        /// The operand's shape.
        shape: Shape,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A data buffer does not hold as many elements as the shape needs.
    #[error("{op}: shape {shape:?} needs {expected} elements, got {got}")]
    ElementCount {
        /// The constructor or op.
        op: &'static str,
        /// The requested shape.
        shape: Shape,
        /// The number of elements the shape needs.
        expected: usize,
        /// The number of elements supplied.
        got: usize,
    },
    /// An op needs a scalar (a tensor with one element) and got something else.
    #[error("{op}: expected a scalar (one element), got shape {shape:?}")]
    NotScalar {
        /// The op (for example `backward`).
        op: &'static str,
        /// The shape given.
        shape: Shape,
    },
    /// Handles from two different tapes were combined.
    #[error("{op}: the operands belong to different tapes")]
    TapeMismatch {
        /// The op being recorded.
        op: &'static str,
    },
    /// A thread count that cannot be used ([`set_num_threads`](crate::set_num_threads)).
    #[error("set_num_threads: {message}")]
    Threads {
        /// What is wrong and what to do instead.
        message: String,
    },
    /// A [`Plan`](crate::Plan) cannot be made from this tape and spec.
    #[error("plan: {message}")]
    Capture {
        /// What is wrong and what was expected.
        message: String,
    },
    /// A plan was run with the wrong number of inputs of one kind.
    #[error("plan: expected {expected} {kind} input(s), got {got}")]
    PlanInputCount {
        /// `"value"` or `"index"`.
        kind: &'static str,
        /// The number of inputs the plan was made with.
        expected: usize,
        /// The number given.
        got: usize,
    },
    /// A plan input of another shape than the one the plan was captured with.
    #[error("plan: {input} has shape {got:?}, but the plan was captured with shape {expected:?}")]
    PlanInputShape {
        /// The input (its name, if it was given one with `Var::named`).
        input: String,
        /// The shape the plan was captured with.
        expected: Shape,
        /// The shape given.
        got: Shape,
    },
    /// An index list of another length than the one the plan was captured with.
    #[error("plan: {input} has {got} indices, but the plan was captured with {expected}")]
    PlanIndexCount {
        /// The index input (its name, if it was given one with `Var::named`).
        input: String,
        /// The number of indices the plan was captured with.
        expected: usize,
        /// The number given.
        got: usize,
    },
    /// An index out of range for the axis it indexes.
    #[error("plan: {input} holds index {index}, out of range for an axis of size {size}")]
    PlanIndexRange {
        /// The index input (its name, if it was given one with `Var::named`).
        input: String,
        /// The first index out of range.
        index: usize,
        /// The size of the indexed axis.
        size: usize,
    },
}

/// `Result` with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
