//! Fusion in a replayed step: a linear layer's `x W^T + b`, recorded as three nodes (`matmul`,
//! the `expand` of the bias to the product's shape, `add`), runs as one GEMM that adds the bias
//! in its store ([`gemm_bias`]): no pass writes the broadcast bias, none reads it back to add.
//!
//! Only the forward kernels are fused: the derivative rules were recorded by the backward sweep
//! as ordinary nodes (`matmul`, the sum of `expand`'s rule, `relu`'s mask, ...), one rule per
//! primitive, and replay as they were recorded. A fused group writes the one value its rules
//! and later nodes read, the sum, into the `add` node's slot, bit for bit the value the three
//! kernels write there; the group is fused only where nothing else reads the product or the
//! broadcast bias, which it leaves unwritten. The activation that follows stays its own step,
//! reading that slot (see "Fusion" in docs/design.md for why not in the GEMM's store too).

use super::eval::Step;
use super::{captured, Plan};
use crate::dtype::{gemm_bias, Float};
use crate::op::{BinaryOp, MovementOp, Op};
use crate::ops::matmul::matmul_dims;
use crate::tape::Inner;

/// Columns below which a group is not fused: on narrower outputs gemmkit's fused store took
/// about 3 us longer than the plain GEMM, broadcast and add together (a probe of W2's and the
/// digits' shapes on 2 cores, docs/threads.md, "Fused linear"); from 64 it took as long or
/// less. Not tuned by a sweep.
pub(super) const MIN_FUSED_COLUMNS: usize = 64;

/// One fused `op(a) op(b) + bias` of a plan: offsets of its operands and output in the value
/// buffer, and its sizes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Linear {
    ta: bool,
    tb: bool,
    /// `[m, k, n]`: `op(a)` is `[m, k]`, `op(b)` `[k, n]`, the bias `[n]`.
    dims: [usize; 3],
    a: usize,
    b: usize,
    bias: usize,
    out: usize,
}

impl Linear {
    /// The GEMM's `m k n`.
    pub(super) fn mkn(&self) -> usize {
        let [m, k, n] = self.dims;
        m * k * n
    }

    /// Computes the group into the `add` node's slot.
    pub(super) fn run<T: Float>(&self, data: &mut [T]) {
        let [m, k, n] = self.dims;
        // The operands were recorded before the `add`, so their elements lie before its own.
        let (before, after) = data.split_at_mut(self.out);
        let (a, b) = (&before[self.a..][..m * k], &before[self.b..][..k * n]);
        let bias = &before[self.bias..][..n];
        gemm_bias(self.ta, self.tb, self.dims, a, b, bias, &mut after[..m * n]);
    }
}

/// The group ending at node `i`, if `i` is the `add` of `matmul` (2-D) and the `expand` of a
/// bias of `n` elements (`[n]` or `[1, n]`) recorded just before it, in that order, with
/// `readers[j]` the number of nodes that read node `j` (or more, if the plan gives it back).
fn group<T: Float>(g: &Inner<T>, i: u32, readers: &[u32]) -> Option<Linear> {
    if i < 2 || g.nodes[i as usize].op != Op::Binary(BinaryOp::Add) {
        return None;
    }
    let (mm, ex) = (i - 2, i - 1);
    if captured(g, i) != [mm, ex] || readers[mm as usize] != 1 || readers[ex as usize] != 1 {
        return None;
    }
    let Op::Matmul { ta, tb } = g.nodes[mm as usize].op else {
        return None;
    };
    if g.nodes[ex as usize].op != Op::Movement(MovementOp::Expand) {
        return None;
    }
    let (&[x, w], &[bias]) = (captured(g, mm), captured(g, ex)) else {
        return None;
    };
    let (sx, sw) = (g.shape(x), g.shape(w));
    if sx.len() != 2 || sw.len() != 2 {
        return None;
    }
    let [_, m, k, n] = matmul_dims(sx, sw, ta, tb);
    let sb = g.shape(bias);
    if m * k == 0 || n < MIN_FUSED_COLUMNS || !(sb == [n] || sb == [1, n]) {
        return None;
    }
    let data = |j: u32| g.nodes[j as usize].data as usize;
    Some(Linear {
        ta,
        tb,
        dims: [m, k, n],
        a: data(x),
        b: data(w),
        bias: data(bias),
        out: data(i),
    })
}

/// Replaces each fusable group's three steps in `steps` (in tape order) by one
/// [`Step::Linear`]; the groups, indexed by those steps. `readers`: per node, the nodes that
/// read it and 1 more if the plan gives it back ([`readers`]), so that nothing read elsewhere
/// is fused away.
pub(super) fn linears<T: Float>(g: &Inner<T>, steps: Vec<Step>, readers: &[u32]) -> (Vec<Step>, Vec<Linear>) {
    let node = |s: Option<&Step>| match s {
        Some(&Step::Node { node, .. }) => Some(node),
        _ => None,
    };
    let mut out: Vec<Step> = Vec::with_capacity(steps.len());
    let mut groups = Vec::new();
    for s in steps {
        if let Some(i) = node(Some(&s)) {
            let n = out.len();
            let before = (n >= 2).then(|| (node(out.get(n - 2)), node(out.get(n - 1))));
            if before == Some((i.checked_sub(2), i.checked_sub(1)))
                && let Some(linear) = group(g, i, readers)
            {
                out.truncate(n - 2);
                out.push(Step::Linear {
                    k: groups.len() as u32,
                });
                groups.push(linear);
                continue;
            }
        }
        out.push(s);
    }
    (out, groups)
}

impl<T: Float> Plan<T> {
    /// The number of linear layers (`x W^T + b`: `matmul`, broadcast bias, `add`) a run
    /// computes as one GEMM with the bias added in its store, with the same results bit for bit
    /// (docs/design.md, "Fusion"). A group is fused where the product and the broadcast bias
    /// are read by nothing else (and not outputs), and the layer has at least 64 outputs
    /// (below that the plain kernels are faster).
    ///
    /// ```
    /// use chainrule::{PlanSpec, Tape, Tensor};
    /// let plan = Tape::<f32>::capture(|tape| {
    ///     let x = tape.constant(Tensor::ones(&[4, 3]));
    ///     let w = tape.var(Tensor::ones(&[64, 3]));
    ///     let b = tape.var(Tensor::from(vec![-4.0; 64]));
    ///     let h = x.linear(w, Some(b.add_scalar(4.5))).relu(); // 64 outputs: fused
    ///     let y = h.linear(w.t(), None).sum(); // no bias: not fused
    ///     PlanSpec::new().input(x).output(y).grads(y, &[w, b])
    /// });
    /// assert_eq!(plan.num_fused_linears(), 1);
    /// assert_eq!(plan.output(0), &[4.0 * 3.0 * 3.5 * 64.0]); // 4 rows of 3 columns of 64 * 3.5
    /// ```
    pub fn num_fused_linears(&self) -> usize {
        self.program.linears.len()
    }
}

/// Per node of `g`, how many nodes read it, plus 1 if it is among `kept` (the nodes the plan
/// gives back): a value read once, by the node it is fused into, may go unwritten.
pub(super) fn readers<T: Float>(g: &Inner<T>, kept: &[u32]) -> Vec<u32> {
    let mut readers = vec![0u32; g.nodes.len()];
    for i in 0..g.nodes.len() as u32 {
        for &j in captured(g, i) {
            readers[j as usize] += 1;
        }
    }
    for &j in kept {
        readers[j as usize] += 1;
    }
    readers
}
