//! The ops, by family. Each file holds the ops' forward kernels and their derivative rules.

pub(crate) mod arith;
pub(crate) mod binary;
pub(crate) mod compare;
pub(crate) mod elem;
pub(crate) mod index;
pub(crate) mod matmul;
pub(crate) mod movement;
pub(crate) mod reduce;
#[cfg(test)]
mod rule_graph;
#[cfg(test)]
mod rule_text;
pub(crate) mod rule_values;
pub(crate) mod softmax;
pub(crate) mod unary;

use crate::dtype::Float;
use crate::op::Op;
use crate::var::Var;
use smallvec::{smallvec, SmallVec};

/// Cotangents of a node's inputs (`None` where not needed).
pub(crate) type Cotangents<'t, T> = SmallVec<[Option<Var<'t, T>>; 2]>;

/// Dispatches to the derivative rule of `op`: given the output `y`, its cotangent `g` and the
/// inputs, the cotangent of every input marked in `need`.
pub(crate) fn vjp<'t, T: Float>(
    op: Op,
    g: Var<'t, T>,
    inputs: &[Var<'t, T>],
    y: Var<'t, T>,
    need: &[bool],
) -> Cotangents<'t, T> {
    match op {
        // Leaves have no inputs; masks are recorded without gradient.
        Op::Leaf | Op::Compare(_) => smallvec![None; inputs.len()],
        Op::Unary(op) => {
            let bounds = op.bounds_on(g.tape());
            smallvec![Some(unary::vjp(op, g, inputs[0], y, bounds))]
        }
        Op::Binary(op) => binary::vjp(op, g, inputs[0], inputs[1], y, [need[0], need[1]])
            .into_iter()
            .collect(),
        Op::Where => {
            let [a, b] = compare::where_vjp(g, inputs[0], [need[1], need[2]]);
            smallvec![None, a, b]
        }
        Op::Reduce(op) => smallvec![Some(reduce::vjp(op, g, inputs[0], y))],
        Op::Movement(op) => (0..inputs.len())
            .map(|i| need[i].then(|| movement::vjp(op, g, inputs, i)))
            .collect(),
        Op::Index(op) => smallvec![Some(index::vjp(op, g, inputs[0]))],
        Op::Matmul { ta, tb } => {
            let [a, b] = matmul::vjp(ta, tb, g, inputs[0], inputs[1], [need[0], need[1]]);
            smallvec![a, b]
        }
    }
}
