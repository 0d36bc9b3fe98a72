//! The primitive ops a tape records, grouped by family. Each family's enum lives in its file
//! under `ops/`, next to its forward kernels and derivative rules, all exhaustive matches over
//! it: adding a variant makes the compiler list every place that must handle it. Composite ops
//! (mean, softmax, logsumexp, ...) are built from primitives and need no rule of their own.

pub(crate) use crate::ops::binary::BinaryOp;
pub(crate) use crate::ops::compare::Cmp;
pub(crate) use crate::ops::index::IndexOp;
pub(crate) use crate::ops::movement::MovementOp;
pub(crate) use crate::ops::reduce::ReduceOp;
pub(crate) use crate::ops::unary::UnaryOp;

/// A recorded primitive. Axis sets are bit masks; list arguments live in the tape's `aux` list,
/// real arguments beyond one in its `consts` list. 16 bytes, so that a node is 32.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op {
    /// A variable, a constant, or a detached value: no inputs, no rule.
    Leaf,
    /// Elementwise, one input (`ops/unary.rs`).
    Unary(UnaryOp),
    /// Elementwise, two inputs of equal shape (`ops/binary.rs`; broadcasting happens before,
    /// through `broadcast_to`).
    Binary(BinaryOp),
    /// A comparison mask, recorded without gradient (`ops/compare.rs`).
    Compare(Cmp),
    /// `where(cond, on_true, on_false)` (`ops/compare.rs`).
    Where,
    /// A reduction keeping the reduced axes as size 1 (`ops/reduce.rs`).
    Reduce(ReduceOp),
    /// Elements moved without arithmetic (`ops/movement.rs`).
    Movement(MovementOp),
    /// Elements picked or placed by integer index (`ops/index.rs`).
    Index(IndexOp),
    /// `op(a) @ op(b)`, `op` transposing where its flag is set (`ops/matmul.rs`).
    Matmul { ta: bool, tb: bool },
}

impl Op {
    /// The op's name as shown in DOT graphs, anomaly reports and the ops table.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Op::Leaf => "leaf",
            Op::Unary(op) => op.name(),
            Op::Binary(op) => op.name(),
            Op::Compare(cmp) => cmp.name(),
            Op::Where => "where",
            Op::Reduce(op) => op.name(),
            Op::Movement(op) => op.name(),
            Op::Index(op) => op.name(),
            Op::Matmul { .. } => "matmul",
        }
    }

    /// Whether the order of the inputs matters (`a - b` is not `b - a`), so that a drawing
    /// must say which input is which.
    pub(crate) fn operands_ordered(&self) -> bool {
        match self {
            Op::Binary(op) => matches!(op, BinaryOp::Sub | BinaryOp::Div | BinaryOp::Pow),
            Op::Compare(_) | Op::Where | Op::Matmul { .. } => true,
            _ => false,
        }
    }

    /// A short description of the op's constant arguments, for DOT labels (`consts`: the
    /// tape's constant table).
    pub(crate) fn args(&self, consts: &[f64]) -> Option<String> {
        match self {
            Op::Leaf | Op::Binary(_) | Op::Compare(_) | Op::Where => None,
            Op::Unary(op) => op.args(consts),
            Op::Reduce(op) => Some(format!("axes={}", mask_list(op.mask()))),
            Op::Movement(op) => op.args(),
            Op::Index(op) => Some(format!("axis={}", op.axis())),
            Op::Matmul { ta, tb } => (*ta || *tb).then(|| format!("ta={ta}, tb={tb}")),
        }
    }
}

/// An `f64` argument of an op, stored as two `u32` halves: 4-byte aligned, so that an [`Op`]
/// stays 16 bytes (an `f64` field would align it to 8 and make it 24).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct F64([u32; 2]);

impl F64 {
    #[inline]
    pub(crate) const fn new(x: f64) -> Self {
        let b = x.to_bits();
        F64([b as u32, (b >> 32) as u32])
    }
    #[inline]
    pub(crate) const fn get(self) -> f64 {
        f64::from_bits(self.0[0] as u64 | (self.0[1] as u64) << 32)
    }
}

impl std::fmt::Debug for F64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.get())
    }
}

/// An axis bit mask (bit `i`: axis `i`), stored as two `u32` halves for the same reason as
/// [`F64`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Axes([u32; 2]);

impl Axes {
    #[inline]
    pub(crate) const fn new(mask: u64) -> Self {
        Axes([mask as u32, (mask >> 32) as u32])
    }
    #[inline]
    pub(crate) const fn get(self) -> u64 {
        self.0[0] as u64 | (self.0[1] as u64) << 32
    }
}

impl std::fmt::Debug for Axes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", mask_list(self.get()))
    }
}

fn mask_list(mask: u64) -> String {
    let axes: Vec<String> = (0..64)
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| i.to_string())
        .collect();
    format!("[{}]", axes.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_arguments_round_trip_and_keep_op_small() {
        for x in [0.0, -0.0, 2.0, -1.5e-300, f64::INFINITY, f64::MIN_POSITIVE] {
            assert_eq!(F64::new(x).get().to_bits(), x.to_bits());
        }
        assert!(F64::new(f64::NAN).get().is_nan());
        for m in [0, 1, 1 << 31, 1 << 32, u64::MAX] {
            assert_eq!(Axes::new(m).get(), m);
        }
        assert_eq!(std::mem::size_of::<Op>(), 16);
    }
}
