//! Replay's one dispatch: recomputes a recorded node from its op, its inputs' values and its
//! recorded shapes and arguments, with the forward kernels the recording path calls. Every
//! match over the ops is exhaustive, so a new op family makes the compiler ask for its replay.

use super::fuse::Linear;
use super::mask::MaskedProduct;
use super::pair::Pair;
use super::sum::Sums;
use crate::dtype::Float;
use crate::op::{BinaryOp, Cmp, IndexOp, MovementOp, Op, UnaryOp};
use crate::ops::{binary, compare, index, matmul, movement, reduce, unary};
use crate::shape::numel;
use crate::tape::{Inner, Node};

/// One instruction of a plan. Rank-0 elementwise nodes (every node of a scalar graph) read and
/// write the value buffer directly, without a node lookup; the rest go through [`eval_node`].
/// The commonest scalar ops have a variant each, so a step costs one dispatch, not two; and a
/// step is 16 bytes (a unary op, up to 12 bytes, is read from its node instead).
#[derive(Clone, Copy, Debug)]
pub(super) enum Step {
    /// `y = relu(x)`, offsets into the value buffer.
    Relu { x: u32, y: u32 },
    /// `y = a + b`.
    Add { a: u32, b: u32, y: u32 },
    /// `y = a * b`.
    Mul { a: u32, b: u32, y: u32 },
    /// `y = op(x)`, with `op` that of node `node`.
    Unary { node: u32, x: u32, y: u32 },
    /// `y = a op b`.
    Binary { op: BinaryOp, a: u32, b: u32, y: u32 },
    /// `y = a cmp b` (1 or 0).
    Compare { cmp: Cmp, a: u32, b: u32, y: u32 },
    /// Any other node, with its inputs at `edges[edges..edges + n]`.
    Node { node: u32, edges: u32, n: u32 },
    /// The fused linear group `k` of the plan (`fuse.rs`): three recorded nodes in one GEMM.
    Linear { k: u32 },
    /// The products of pair `k` of the plan, side by side (`pair.rs`): two recorded nodes.
    Pair { k: u32 },
    /// The fused masked product `k` of the plan (`mask.rs`): a comparison and its product.
    Masked { k: u32 },
    /// The fused scalar sum `k` of the plan (`sum.rs`): a chain of `add`s and their products.
    Sum { k: u32 },
}

/// The step that recomputes node `i` (inputs `ins`), or `None` if it has nothing to compute:
/// a leaf, or a value that shares its input's elements (reshape, detach).
pub(super) fn step_for<T: Float>(g: &Inner<T>, i: u32, edges: u32, ins: &[u32]) -> Option<Step> {
    let nd = g.nodes[i as usize];
    let off = |j: u32| g.nodes[j as usize].data;
    let scalar = nd.rank == 0 && ins.iter().all(|&j| g.nodes[j as usize].rank == 0);
    Some(match nd.op {
        Op::Leaf | Op::Movement(MovementOp::Reshape) => return None,
        // Clamp reads its bounds from the constant table: the general path.
        Op::Unary(op) if scalar && !matches!(op, UnaryOp::Clamp { .. }) => {
            let (x, y) = (off(ins[0]), nd.data);
            match op {
                UnaryOp::Relu => Step::Relu { x, y },
                _ => Step::Unary { node: i, x, y },
            }
        }
        Op::Binary(op) if scalar => {
            let (a, b, y) = (off(ins[0]), off(ins[1]), nd.data);
            match op {
                BinaryOp::Add => Step::Add { a, b, y },
                BinaryOp::Mul => Step::Mul { a, b, y },
                _ => Step::Binary { op, a, b, y },
            }
        }
        Op::Compare(cmp) if scalar => Step::Compare {
            cmp,
            a: off(ins[0]),
            b: off(ins[1]),
            y: nd.data,
        },
        Op::Unary(_)
        | Op::Binary(_)
        | Op::Compare(_)
        | Op::Where
        | Op::Reduce(_)
        | Op::Movement(_)
        | Op::Index(_)
        | Op::Matmul { .. } => Step::Node {
            node: i,
            edges,
            n: ins.len() as u32,
        },
    })
}

/// A plan's instructions: its steps in tape order, its fused groups, and the most work one step
/// does, which decides whether a replay keeps the pool's workers awake.
#[derive(Clone, Debug)]
pub(super) struct Program {
    pub(super) steps: Vec<Step>,
    pub(super) linears: Vec<Linear>,
    pub(super) pairs: Vec<Pair>,
    pub(super) masked: Vec<MaskedProduct>,
    pub(super) sums: Sums,
    /// The most elements one step writes or reads.
    elements: usize,
    /// The largest `m k n` of one GEMM.
    mkn: usize,
}

impl Program {
    /// The program of `steps` (`steps[i]` computes node `nodes[i]`) with `kept` (the nodes the
    /// plan gives back) and its fused groups.
    pub(super) fn new<T: Float>(g: &Inner<T>, steps: Vec<Step>, nodes: &[u32], kept: &[u32]) -> Self {
        let readers = super::fuse::readers(g, kept);
        let (steps, sums) = super::sum::sums(g, steps, nodes, &readers);
        let (steps, linears) = super::fuse::linears(g, steps, &readers);
        let (mut elements, mut mkn) = (1, linears.iter().map(Linear::mkn).max().unwrap_or(0));
        for s in &steps {
            if let Step::Node { node, edges, n } = *s {
                let ins = &g.edges[edges as usize..(edges + n) as usize];
                let most = ins.iter().map(|&j| g.numel(j)).max().unwrap_or(0);
                elements = elements.max(most).max(g.numel(node));
                if let Op::Matmul { ta, tb } = g.nodes[node as usize].op {
                    let [_, m, k, n] = matmul::matmul_dims(g.shape(ins[0]), g.shape(ins[1]), ta, tb);
                    mkn = mkn.max(m.saturating_mul(k).saturating_mul(n));
                }
            }
        }
        let (steps, masked) = super::mask::masked_products(g, steps, &readers);
        let (steps, pairs) = super::pair::pairs(g, steps);
        Program {
            steps,
            linears,
            pairs,
            masked,
            sums,
            elements,
            mkn,
        }
    }

    /// Runs `write` (the new inputs written in), then the steps over `g`'s value buffer, with
    /// the pool's workers kept awake for the whole step if any of its kernels splits on the
    /// current number of threads (a step of small kernels never touches the pool).
    pub(super) fn run<T: Float>(&self, g: &mut Inner<T>, write: impl FnOnce(&mut Inner<T>) + Send) {
        self.while_threaded(|| {
            write(g);
            run(g, self)
        })
    }

    /// Runs `op` with the pool's workers kept awake if the step splits on the current number
    /// of threads, so that work around a replay which splits too (an optimiser's update) finds
    /// them awake, and never leaves one lingering on a job of its own (an allocation).
    pub(super) fn while_threaded<R: Send>(&self, op: impl FnOnce() -> R + Send) -> R {
        if crate::threads::splits(self.elements) || crate::dtype::gemm_splits(self.mkn) {
            crate::threads::awake(op)
        } else {
            op()
        }
    }
}

/// Runs `program`'s steps in order over `g`'s value buffer.
fn run<T: Float>(g: &mut Inner<T>, program: &Program) {
    let Inner {
        nodes,
        edges,
        dims,
        aux,
        consts,
        data,
        ..
    } = g;
    for s in &program.steps {
        match *s {
            // Each calls the one-element formula of its op (as recording a scalar node does),
            // with the op known here, so the formula's own dispatch folds away.
            Step::Relu { x, y } => {
                data[y as usize] = unary::scalar(UnaryOp::Relu, data[x as usize], unary::NO_BOUNDS);
            }
            Step::Add { a, b, y } => {
                data[y as usize] = binary::scalar(BinaryOp::Add, data[a as usize], data[b as usize]);
            }
            Step::Mul { a, b, y } => {
                data[y as usize] = binary::scalar(BinaryOp::Mul, data[a as usize], data[b as usize]);
            }
            Step::Unary { node, x, y } => {
                // Always a unary op (see `step_for`).
                if let Op::Unary(op) = nodes[node as usize].op {
                    data[y as usize] = unary::scalar(op, data[x as usize], unary::NO_BOUNDS);
                }
            }
            Step::Binary { op, a, b, y } => {
                let (x, z) = (data[a as usize], data[b as usize]);
                data[y as usize] = binary::scalar(op, x, z);
            }
            Step::Compare { cmp, a, b, y } => {
                let mut out = [T::zero()];
                compare::compare_kernel(cmp, &[data[a as usize]], &[data[b as usize]], &mut out);
                data[y as usize] = out[0];
            }
            Step::Node { node, edges: e, n } => {
                let ins = &edges[e as usize..(e + n) as usize];
                eval_node(nodes, dims, aux, consts, data, node, ins);
            }
            Step::Linear { k } => program.linears[k as usize].run(data),
            Step::Pair { k } => program.pairs[k as usize].run(nodes, dims, data),
            Step::Masked { k } => program.masked[k as usize].run(data),
            Step::Sum { k } => program.sums.run(k, data),
        }
    }
}

/// Whether node `op`'s kernel needs its output zeroed first (it was recorded with
/// `Out::Zeroed`: it adds into its output or writes only part of it).
fn zeroed(op: Op) -> bool {
    match op {
        Op::Movement(MovementOp::Narrow { .. } | MovementOp::Pad { .. } | MovementOp::Concat { .. })
        | Op::Index(IndexOp::IndexAdd { .. } | IndexOp::ScatterAdd { .. }) => true,
        Op::Leaf
        | Op::Unary(_)
        | Op::Binary(_)
        | Op::Compare(_)
        | Op::Where
        | Op::Reduce(_)
        | Op::Matmul { .. }
        | Op::Movement(MovementOp::Reshape | MovementOp::Permute { .. } | MovementOp::Expand)
        | Op::Index(IndexOp::IndexSelect { .. } | IndexOp::Gather { .. }) => false,
    }
}

/// Recomputes node `i` from its inputs `ins` into its slot of `data`.
fn eval_node<T: Float>(
    nodes: &[Node],
    dims: &[usize],
    aux: &[usize],
    consts: &[f64],
    data: &mut [T],
    i: u32,
    ins: &[u32],
) {
    let nd = nodes[i as usize];
    let shape = |j: u32| -> &[usize] {
        let n = &nodes[j as usize];
        &dims[n.dims as usize..][..n.rank as usize]
    };
    let out_shape = shape(i);
    // Every input was recorded before this node, so its elements lie before this node's.
    let (before, after) = data.split_at_mut(nd.data as usize);
    let o = &mut after[..numel(out_shape)];
    let val = |j: u32| -> &[T] { &before[nodes[j as usize].data as usize..][..numel(shape(j))] };
    if zeroed(nd.op) {
        o.fill(T::zero());
    }
    let x = ins.first().copied().unwrap_or(i);
    let list = |at: u32, n: usize| &aux[at as usize..][..n];
    match nd.op {
        // Nothing to compute (never made a step).
        Op::Leaf => {}
        Op::Unary(op) => unary::forward(op, val(x), o, op.bounds(consts)),
        Op::Binary(op) => binary::forward(op, val(x), val(ins[1]), o),
        Op::Compare(cmp) => compare::compare_kernel(cmp, val(x), val(ins[1]), o),
        Op::Where => compare::where_kernel(val(x), val(ins[1]), val(ins[2]), o),
        Op::Reduce(op) => reduce::reduce_kernel(op, shape(x), val(x), o),
        Op::Movement(op) => match op {
            MovementOp::Reshape => {}
            MovementOp::Permute { aux: at } => {
                movement::permute_kernel(shape(x), list(at, out_shape.len()), val(x), o)
            }
            MovementOp::Expand => movement::expand_kernel(shape(x), out_shape, val(x), o),
            MovementOp::Narrow { axis, start } | MovementOp::Pad { axis, start } => {
                movement::window_kernel(shape(x), out_shape, axis as usize, start as usize, val(x), o)
            }
            MovementOp::Concat { axis } => {
                movement::concat_kernel(out_shape, axis as usize, ins.iter().map(|&j| val(j)), o)
            }
        },
        Op::Index(op) => match op {
            IndexOp::IndexSelect { axis, aux: at } => {
                let ax = axis as usize;
                index::index_select_kernel(shape(x), ax, list(at, out_shape[ax]), val(x), o)
            }
            IndexOp::IndexAdd { axis, aux: at } => {
                let (ax, sx) = (axis as usize, shape(x));
                index::index_add_kernel(sx, ax, list(at, sx[ax]), out_shape[ax], val(x), o)
            }
            IndexOp::Gather { axis, aux: at } => {
                let idx = list(at, numel(out_shape));
                index::gather_kernel(shape(x), axis as usize, idx, val(x), o)
            }
            IndexOp::ScatterAdd { axis, aux: at } => {
                let idx = list(at, numel(shape(x)));
                index::scatter_add_kernel(out_shape, axis as usize, idx, val(x), o)
            }
        },
        Op::Matmul { ta, tb } => {
            let b = ins[1];
            matmul::matmul_kernel(shape(x), shape(b), ta, tb, val(x), val(b), o)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_step_is_16_bytes() {
        assert_eq!(std::mem::size_of::<super::Step>(), 16);
    }
}
