//! Two products side by side in a replayed step: where two large matrix products follow each
//! other and neither reads or writes what the other writes, each runs whole on its own thread
//! instead of each being split over the threads in turn.
//!
//! A linear layer's rule records two such products one after the other, the gradients of its
//! input, `dX = dY W`, and of its weight, `dW = dY^T X`: the same `m k n`, so the same work.
//! Split in turn, each pays a hand-off per product, packs the operand every part reads once per
//! part, and waits for its slower part; side by side, each thread packs only its own operands
//! and the pair is one hand-off. The values are the same bits: a product's elements are
//! accumulated in the same order whether it is split or not (`dtype.rs`, `split`), and the two
//! write disjoint elements.

use super::eval::Step;
use super::Plan;
use crate::dtype::Float;
use crate::op::Op;
use crate::ops::matmul::{matmul_dims, matmul_kernel};
use crate::shape::numel;
use crate::tape::{Inner, Node};
use std::ops::Range;

/// Products below this `m k n` are not paired: below gemmkit's own parallel threshold they
/// run on the calling thread anyway, and a hand-off costs about what pairing saves (W2's third
/// layer's two, paired with the threshold at a quarter of gemmkit's, made the step 0.2 to 1.1%
/// slower on 2 threads: docs/threads.md).
fn large(mkn: usize) -> bool {
    mkn >= gemmkit::tuning::parallel_threshold()
}

/// The most one product of a pair may outweigh the other (in `m k n`): the pair takes as long
/// as its larger product, which split over 2 threads would have taken about half as long.
const MAX_IMBALANCE: usize = 2;

/// One product of a pair: the node, and its two inputs.
#[derive(Clone, Copy, Debug)]
struct Product {
    node: u32,
    a: u32,
    b: u32,
    ta: bool,
    tb: bool,
}

/// Two products a plan runs side by side (when it runs on 2 threads or more; else one after
/// the other, in their recorded order).
#[derive(Clone, Copy, Debug)]
pub(super) struct Pair([Product; 2]);

/// Step `s` as a product of a pair, with its `m k n`, if it is one large enough.
fn product<T: Float>(g: &Inner<T>, s: &Step) -> Option<(Product, usize)> {
    let Step::Node { node, edges, n: 2 } = *s else {
        return None;
    };
    let Op::Matmul { ta, tb } = g.nodes[node as usize].op else {
        return None;
    };
    let (a, b) = (g.edges[edges as usize], g.edges[edges as usize + 1]);
    let [batch, m, k, n] = matmul_dims(g.shape(a), g.shape(b), ta, tb);
    let mkn = batch.saturating_mul(m).saturating_mul(k).saturating_mul(n);
    large(mkn).then_some((Product { node, a, b, ta, tb }, mkn))
}

/// `steps` with each two adjacent large independent products of like size as one
/// [`Step::Pair`]; the pairs, indexed by those steps.
pub(super) fn pairs<T: Float>(g: &Inner<T>, steps: Vec<Step>) -> (Vec<Step>, Vec<Pair>) {
    let (mut out, mut pairs) = (Vec::with_capacity(steps.len()), Vec::new());
    let mut i = 0;
    while i < steps.len() {
        if let (Some((p, x)), Some((q, y))) = (
            product(g, &steps[i]),
            steps.get(i + 1).and_then(|s| product(g, s)),
        ) && x.max(y) <= x.min(y).saturating_mul(MAX_IMBALANCE)
            && Pair([p, q]).independent(g)
        {
            out.push(Step::Pair {
                k: pairs.len() as u32,
            });
            pairs.push(Pair([p, q]));
            i += 2;
            continue;
        }
        out.push(steps[i]);
        i += 1;
    }
    (out, pairs)
}

/// The spans of the value buffer the two products read, and write, given each node's.
type Spans = ([[Range<usize>; 2]; 2], [Range<usize>; 2]);

impl Pair {
    fn spans(&self, at: impl Fn(u32) -> Range<usize>) -> Spans {
        let [p, q] = self.0;
        ([[at(p.a), at(p.b)], [at(q.a), at(q.b)]], [at(p.node), at(q.node)])
    }

    /// Whether the two may run at once: neither writes an element the other reads or writes.
    fn independent<T: Float>(&self, g: &Inner<T>) -> bool {
        let (reads, writes) = self.spans(|j| {
            let start = g.nodes[j as usize].data as usize;
            start..start + g.numel(j)
        });
        crate::dtype::disjoint(g.data.len(), &reads, &writes)
    }

    /// Computes both products into their slots of `data`: side by side on 2 threads or more,
    /// each on half of them; else one after the other.
    pub(super) fn run<T: Float>(&self, nodes: &[Node], dims: &[usize], data: &mut [T]) {
        let shape = |j: u32| -> &[usize] {
            let nd = &nodes[j as usize];
            &dims[nd.dims as usize..][..nd.rank as usize]
        };
        let (reads, writes) = self.spans(|j| {
            let start = nodes[j as usize].data as usize;
            start..start + numel(shape(j))
        });
        crate::dtype::side_by_side_in(data, reads, writes, |w, [a, b], o| {
            let r = self.0[w];
            matmul_kernel(shape(r.a), shape(r.b), r.ta, r.tb, a, b, o)
        });
    }
}

impl<T: Float> Plan<T> {
    /// The pairs of products this plan runs side by side, each whole on its own thread (on 1
    /// thread, one after the other): two adjacent products of at least gemmkit's parallel
    /// threshold (48 * 48 * 256 `m k n`), neither more than twice the other, neither reading or
    /// writing what the other writes, such as the gradients of a linear layer's input and
    /// weight. The results are the same bits as each product split over the threads in turn.
    ///
    /// ```
    /// use chainrule::{PlanSpec, Tape, Tensor};
    /// let plan = Tape::<f32>::capture(|tape| {
    ///     let x = tape.var(Tensor::ones(&[128, 256]));
    ///     let w = tape.var(Tensor::ones(&[256, 256]));
    ///     let y = x.matmul(w.t()).sum();
    ///     // dX = G W and dW = G^T x: 128 * 256 * 256 each, independent.
    ///     PlanSpec::new().output(y).grads(y, &[x, w])
    /// });
    /// assert_eq!(plan.num_product_pairs(), 1);
    /// assert_eq!(plan.grad(0)[0], 256.0); // a row of W summed
    /// assert_eq!(plan.grad(1)[0], 128.0); // a column of x summed
    /// ```
    pub fn num_product_pairs(&self) -> usize {
        self.program.pairs.len()
    }
}
