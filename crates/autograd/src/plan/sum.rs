//! Sums of products in a replayed scalar graph: a chain of scalar `add`s, each adding one term
//! to the sum before it, runs as one step that keeps the running sum in a register.
//!
//! A neuron written with scalars, `b + w0 x0 + w1 x1 + ...`, records a `mul` and an `add` per
//! input; its weights' gradients are recorded the same way, one `ct x` and one `add` per use
//! (the backward sweep sums a value's cotangents in the order it meets them). Replayed node by
//! node, every `add` stores its sum and the next loads it back: a stored value read at once
//! costs the latency of a store and a load on top of the addition's, and two steps to dispatch
//! per input. Fused, the sum is computed in the recorded order, each term with the `*` and `+`
//! of the two kernels (`binary::scalar`): the bits of the nodes it replaces. Only the chain's
//! last sum is written; the partial sums and the products are fused only where nothing else
//! reads them (and the plan does not give them back), so they are left unwritten. The step
//! runs where the chain's last `add` was; every value of a plan has a slot of its own, written
//! once a run, so each term read there is the value its `add` read. The rules are untouched: this changes which loop computes recorded values, as `fuse.rs` does for a
//! linear layer.

use super::eval::Step;
use super::Plan;
use crate::dtype::Float;
use crate::op::BinaryOp;
use crate::ops::binary;
use crate::tape::Inner;

/// `b` of a term that is a value, not a product: no element's offset (a tape holds at most
/// `2^32 - 1` elements).
const VALUE: u32 = u32::MAX;

/// One term of a sum: the product of the values at offsets `a` and `b` of the value buffer (in
/// that order), or the value at `a` if `b` is [`VALUE`].
#[derive(Clone, Copy, Debug)]
pub(super) struct Term {
    a: u32,
    b: u32,
}

impl Term {
    #[inline(always)]
    fn value<T: Float>(self, data: &[T]) -> T {
        let x = data[self.a as usize];
        if self.b == VALUE {
            x
        } else {
            binary::scalar(BinaryOp::Mul, x, data[self.b as usize])
        }
    }
}

/// One fused sum: `((first + terms[0]) + terms[1]) + ...` into offset `out`, its terms at
/// `start..start + len` of the plan's list.
#[derive(Clone, Copy, Debug)]
pub(super) struct Sum {
    first: Term,
    start: u32,
    len: u32,
    out: u32,
}

/// A plan's fused sums and their terms, one list for all.
#[derive(Clone, Debug, Default)]
pub(super) struct Sums {
    sums: Vec<Sum>,
    terms: Vec<Term>,
}

impl Sums {
    /// The number of fused sums.
    pub(super) fn len(&self) -> usize {
        self.sums.len()
    }

    /// Computes sum `k` into its slot.
    #[inline(always)]
    pub(super) fn run<T: Float>(&self, k: u32, data: &mut [T]) {
        let s = self.sums[k as usize];
        let mut acc = s.first.value(data);
        for t in &self.terms[s.start as usize..][..s.len as usize] {
            acc = binary::scalar(BinaryOp::Add, acc, t.value(data));
        }
        data[s.out as usize] = acc;
    }
}

/// Replaces each chain of scalar `add`s in `steps` (node `nodes[i]` computed by `steps[i]`, in
/// tape order) by one [`Step::Sum`]. An `add` continues the chain of its left input if that is
/// an `add` read by it alone; a term (or the chain's first value) that is a scalar `mul` read by
/// its `add` alone is fused too. `readers`: per node, the nodes that read it, plus 1 if the plan
/// gives it back (`fuse::readers`). Chains of one `add` of two values are left as they are.
pub(super) fn sums<T: Float>(
    g: &Inner<T>,
    mut steps: Vec<Step>,
    nodes: &[u32],
    readers: &[u32],
) -> (Vec<Step>, Sums) {
    // Per node, the index of its step if that is a scalar `add` or `mul` (the only steps fused
    // here), else `NONE`: four bytes a node, as a scalar graph may have millions.
    const NONE: u32 = u32::MAX;
    let mut at = vec![NONE; g.nodes.len()];
    for (k, (&i, s)) in nodes.iter().zip(&steps).enumerate() {
        if matches!(s, Step::Add { .. } | Step::Mul { .. }) {
            at[i as usize] = k as u32;
        }
    }
    let step_of = |j: u32| steps.get(at[j as usize] as usize).copied();
    let once = |j: u32| readers[j as usize] == 1;
    let left_of = |i: u32| super::captured(g, i)[0];
    // The partial sums: `add`s whose one reader continues their chain.
    let mut partial = vec![false; g.nodes.len()];
    for (&i, s) in nodes.iter().zip(&steps) {
        if let Step::Add { .. } = s {
            let l = left_of(i);
            if once(l) && matches!(step_of(l), Some(Step::Add { .. })) {
                partial[l as usize] = true;
            }
        }
    }
    // A node's value as a term: the product it computes if it may be fused, else its value.
    let term = |j: u32, fused: &mut Vec<u32>| match step_of(j) {
        Some(Step::Mul { a, b, .. }) if once(j) => {
            fused.push(j);
            Term { a, b }
        }
        _ => Term {
            a: g.nodes[j as usize].data,
            b: VALUE,
        },
    };
    // Per step, whether it stays (a fused node's step does not) or becomes a sum.
    let (mut keep, mut ends) = (vec![true; steps.len()], Vec::new());
    let mut out = Sums::default();
    for (k, (&i, s)) in nodes.iter().zip(&steps).enumerate() {
        if !matches!(s, Step::Add { .. }) || partial[i as usize] {
            continue;
        }
        // The chain ending at `i`, walked back through its partial sums.
        let (mut adds, mut l) = (vec![i], left_of(i));
        while partial[l as usize] {
            adds.push(l);
            l = left_of(l);
        }
        adds.reverse();
        let mut products = Vec::new();
        let first = term(l, &mut products);
        let start = out.terms.len() as u32;
        for &a in &adds {
            let t = term(super::captured(g, a)[1], &mut products);
            out.terms.push(t);
        }
        if adds.len() == 1 && products.is_empty() {
            out.terms.truncate(start as usize);
            continue;
        }
        // Every node of the chain but its last `add` (step `k`, which becomes the sum).
        for j in adds[..adds.len() - 1].iter().chain(&products) {
            keep[at[*j as usize] as usize] = false;
        }
        ends.push((k, out.sums.len() as u32));
        out.sums.push(Sum {
            first,
            start,
            len: adds.len() as u32,
            out: g.nodes[i as usize].data,
        });
    }
    for (k, s) in ends {
        steps[k] = Step::Sum { k: s };
    }
    let mut kept = keep.into_iter();
    steps.retain(|_| kept.next().unwrap_or(true));
    (steps, out)
}

impl<T: Float> Plan<T> {
    /// The number of sums a run computes as one step each, with the same results bit for bit
    /// (docs/design.md, "Fusion"): chains of scalar `add`s, `((s + t1) + t2) + ...`, where each
    /// partial sum is read only by the next `add` (as its left operand) and is not an output;
    /// a term that is a scalar product read by its `add` alone is fused too. A sum of tensors
    /// is not one of these: its kernel already runs over all its elements in one pass.
    ///
    /// ```
    /// use chainrule::{PlanSpec, Tape, Tensor};
    /// let plan = Tape::<f64>::capture(|tape| {
    ///     let x = [tape.scalar(1.0), tape.scalar(2.0), tape.scalar(3.0)];
    ///     let w = [tape.scalar_var(0.5), tape.scalar_var(-1.0), tape.scalar_var(2.0)];
    ///     let b = tape.scalar_var(0.25);
    ///     // A neuron written with scalars: b + w0 x0 + w1 x1 + w2 x2, one sum.
    ///     let z = (0..3).fold(b, |acc, i| acc + w[i] * x[i]);
    ///     let y = z.relu();
    ///     PlanSpec::new().output(y).grads(y, &[w[0], w[1], w[2], b])
    /// });
    /// assert_eq!(plan.num_fused_sums(), 1);
    /// assert_eq!(plan.output(0), &[4.75]); // 0.25 + 0.5 - 2 + 6
    /// assert_eq!(plan.grad(1), &[2.0]);
    /// ```
    pub fn num_fused_sums(&self) -> usize {
        self.program.sums.len()
    }
}
