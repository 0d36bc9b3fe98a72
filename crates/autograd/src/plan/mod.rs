//! Record once, replay: a [`Plan`] is one recorded step (forward and backward) that runs again
//! on new input values with no recording, no allocation and no shape checks per node.
//!
//! A step records the same ops on the same shapes every time, and every derivative rule is
//! recorded as ordinary nodes, so a whole step is a list of nodes on a tape.
//! [`Tape::capture`] records a step on a tape that keeps every node's inputs (a plain tape
//! drops those of values computed from constants), records the backward sweep onto it, then
//! keeps its buffers and the list of nodes to recompute. [`Plan::run`] writes new inputs into their leaves and
//! recomputes every node that the outputs and gradients depend on, in tape order, into its
//! existing slot, with the same kernels as recording: the results are bit for bit those of
//! recording the step again. A few groups of nodes run as one step (a linear layer's GEMM and
//! bias, `relu`'s mask and its product, two products side by side, a chain of scalar `add`s),
//! with the same bits; a group writes only the values read after it.
//!
//! What is replayed is what was recorded: values that enter as Rust numbers (`x * 2.0`,
//! `mul_scalar(c)`, an index list given to `gather`, a tensor bound with
//! [`Tape::constant_from`]) are part of the plan. Data that changes from step to step must
//! enter through the plan's inputs: [`PlanSpec::input`] for leaves, [`PlanSpec::indices`] for
//! the index list of a `gather` or `index_select`.

mod access;
mod eval;
mod fuse;
mod mask;
mod pair;
mod sum;

use crate::backward::{seed_for, sweep, Ct};
use crate::dtype::Float;
use crate::error::{Error, Result};
use crate::op::{IndexOp, Op};
use crate::shape::{numel, Shape};
use crate::tape::{Inner, Tape};
use crate::tensor::Tensor;
use crate::var::Var;

/// What a [`Plan`] takes and gives: its inputs (leaves rewritten by each run, and index lists),
/// its outputs, and the loss whose gradients with respect to the parameters it computes.
/// Built from [`Var`]s, keeping only their positions on the tape.
///
/// ```
/// use chainrule::{PlanSpec, Tape, Tensor};
/// let mut plan = Tape::<f64>::capture(|tape| {
///     let x = tape.constant(Tensor::from(vec![1.0, 2.0]));
///     let w = tape.var(Tensor::from(vec![3.0, 4.0]));
///     let y = (x * w).sum();
///     PlanSpec::new().input(x).output(y).grads(y, &[w])
/// });
/// plan.run(&[&Tensor::from(vec![5.0, 6.0])], &[]);
/// assert_eq!(plan.output(0), &[39.0]);
/// assert_eq!(plan.grad(0), &[5.0, 6.0]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct PlanSpec {
    tape: Option<u64>,
    mixed: bool,
    inputs: Vec<u32>,
    indices: Vec<u32>,
    outputs: Vec<u32>,
    loss: Option<u32>,
    params: Vec<u32>,
}

impl PlanSpec {
    /// An empty spec.
    pub fn new() -> Self {
        Self::default()
    }

    fn note<T: Float>(&mut self, v: Var<'_, T>) -> u32 {
        let id = v.tape().id();
        self.mixed |= self.tape.is_some_and(|t| t != id);
        self.tape = Some(id);
        v.idx()
    }

    /// A leaf (made by [`Tape::constant_from`], [`Tape::var`], ...) whose values each
    /// [`Plan::run`] replaces: value input `k` is the `k`-th named here.
    pub fn input<T: Float>(mut self, leaf: Var<'_, T>) -> Self {
        let i = self.note(leaf);
        self.inputs.push(i);
        self
    }

    /// An index list each [`Plan::run`] replaces (same length): that of `at` if it is a
    /// `gather` or `index_select`, else of the one `gather` or `index_select` that `at` was
    /// computed from (the targets of `nn::loss::cross_entropy`, named by its loss).
    pub fn indices<T: Float>(mut self, at: Var<'_, T>) -> Self {
        let i = self.note(at);
        self.indices.push(i);
        self
    }

    /// A value the plan gives back after each run ([`Plan::output`]).
    pub fn output<T: Float>(mut self, y: Var<'_, T>) -> Self {
        let i = self.note(y);
        self.outputs.push(i);
        self
    }

    /// The gradients of the scalar `loss` with respect to the variables `params`
    /// ([`Plan::grad`]; the parameters' values are [`Plan::param`], updatable in place).
    pub fn grads<T: Float>(mut self, loss: Var<'_, T>, params: &[Var<'_, T>]) -> Self {
        let l = self.note(loss);
        self.loss = Some(l);
        for &p in params {
            let i = self.note(p);
            self.params.push(i);
        }
        self
    }
}

/// A slot of the value buffer: where a value's elements are, and its shape.
#[derive(Clone, Debug)]
struct Slot {
    start: usize,
    shape: Shape,
    name: String,
}

impl Slot {
    fn range(&self) -> std::ops::Range<usize> {
        self.start..self.start + numel(&self.shape)
    }
}

/// An index list of the plan: where it is in the tape's list, and the size of the axis it
/// indexes.
#[derive(Clone, Debug)]
struct IndexSlot {
    start: usize,
    len: usize,
    size: usize,
    name: String,
}

/// One captured step, replayed by [`run`](Plan::run): made by [`Tape::capture`] (see
/// "Record once, replay" in docs/design.md).
///
/// ```
/// use chainrule::{PlanSpec, Tape, Tensor};
/// // f(x, w) = sum((x w)^2); record it once with a first x...
/// let mut plan = Tape::<f64>::capture(|tape| {
///     let x = tape.constant(Tensor::from(vec![1.0, 1.0]));
///     let w = tape.var(Tensor::from(vec![2.0, -1.0]));
///     let f = (x * w).powf(2.0).sum();
///     PlanSpec::new().input(x).output(f).grads(f, &[w])
/// });
/// // ...then replay it: a step of gradient descent on w, then a new x.
/// plan.update_params(|_, w, g| w.iter_mut().zip(g).for_each(|(w, g)| *w -= 0.25 * g));
/// plan.run(&[&Tensor::from(vec![1.0, 2.0])], &[]);
/// assert_eq!(plan.param(0), &[1.0, -0.5]);
/// assert_eq!(plan.output(0), &[2.0]);          // 1^2 + (-1)^2
/// assert_eq!(plan.grad(0), &[2.0, -4.0]);      // 2 x^2 w
/// ```
pub struct Plan<T: Float = f64> {
    g: Inner<T>,
    program: eval::Program,
    inputs: Vec<Slot>,
    indices: Vec<IndexSlot>,
    outputs: Vec<Slot>,
    params: Vec<Slot>,
    grads: Vec<Slot>,
}

fn capture_error(message: impl Into<String>) -> Error {
    Error::Capture {
        message: message.into(),
    }
}

/// The inputs of node `i` as recorded in capture mode (its edges up to the next node's).
fn captured<T: Float>(g: &Inner<T>, i: u32) -> &[u32] {
    let start = g.nodes[i as usize].edges as usize;
    let end = g
        .nodes
        .get(i as usize + 1)
        .map_or(g.edges.len(), |n| n.edges as usize);
    &g.edges[start..end]
}

/// Moves the captured values to a buffer whose element 0 of the tape's sits on a cache line:
/// capture mode started every tensor of a line or more on a line from there (`tape.rs`,
/// `line`), so in the plan each one starts on a line in memory. A plan never grows its
/// buffer, so the alignment holds for its life.
fn align_start<T: Float>(g: &mut Inner<T>) {
    let mut data: Vec<T> = Vec::with_capacity(g.data.len() + crate::tape::line::<T>());
    let pad = crate::tape::to_line(data.as_ptr());
    if u32::try_from(g.data.len() + pad).is_err() {
        return; // a buffer at the tape's limit stays as it is
    }
    data.resize(pad, T::zero());
    data.extend_from_slice(&g.data);
    for nd in &mut g.nodes {
        nd.data += pad as u32;
    }
    g.used += pad;
    g.data = data;
}

fn slot<T: Float>(g: &Inner<T>, i: u32, name: String) -> Slot {
    Slot {
        start: g.nodes[i as usize].data as usize,
        shape: g.shape(i).into(),
        name,
    }
}

impl<T: Float> Tape<T> {
    /// Records one step with `f` on a fresh tape in capture mode and makes a [`Plan`] of it:
    /// `f` records the step (forward only) and returns the [`PlanSpec`] naming its inputs,
    /// outputs, loss and parameters; then the backward sweep of the loss is recorded (the same
    /// as `loss.backward()`) and the plan keeps the tape's buffers and the list of nodes its
    /// outputs and gradients depend on. It holds the recorded step's results until its first
    /// run.
    ///
    /// In capture mode the tape keeps every node's inputs (a plain tape drops those of values
    /// computed only from constants), and the backward sweep records every derivative rule as
    /// nodes (a plain `backward` applies those of scalar nodes to numbers, which a plan could
    /// not replay).
    ///
    /// Errors (`f`'s own, or the engine's converted with `From`): anomaly mode switched on in
    /// `f` (a plan runs no checks), handles of another tape, an input that is not a leaf, a
    /// parameter that is not a variable, a loss with more than one element, an index input
    /// with no (or more than one) `gather`/`index_select` to rebind.
    ///
    /// ```
    /// use chainrule::{Error, PlanSpec, Tape, Tensor};
    /// let plan = Tape::<f64>::try_capture(|tape| {
    ///     let x = tape.var(Tensor::from(vec![1.0, 2.0]));
    ///     let y = x.try_reshape(&[2, 1])?.exp();
    ///     Ok::<_, Error>(PlanSpec::new().input(y))
    /// });
    /// assert_eq!(
    ///     plan.unwrap_err().to_string(),
    ///     "plan: input 0 is not a leaf (made by Tape::constant_from, Tape::var, ...)"
    /// );
    /// ```
    pub fn try_capture<E: From<Error>>(
        f: impl for<'t> FnOnce(&'t Tape<T>) -> std::result::Result<PlanSpec, E>,
    ) -> std::result::Result<Plan<T>, E> {
        let tape = Self::new();
        tape.inner.borrow_mut().capture = true;
        let spec = f(&tape)?;
        if tape.is_detecting_anomalies() {
            return Err(capture_error(
                "anomaly mode is on; a plan replays without its checks, so switch it off first",
            )
            .into());
        }
        if spec.mixed || spec.tape.is_some_and(|t| t != tape.id()) {
            return Err(Error::TapeMismatch { op: "plan" }.into());
        }
        let grads = tape.record_grads(&spec)?;
        let g = tape.inner.into_inner();
        Ok(Plan::build(g, &spec, grads)?)
    }

    /// Panicking form of [`try_capture`](Tape::try_capture), for a step that cannot fail.
    ///
    /// ```
    /// use chainrule::{PlanSpec, Tape};
    /// let plan = Tape::<f64>::capture(|tape| {
    ///     let w = tape.scalar_var(3.0);
    ///     let y = w * w;
    ///     PlanSpec::new().output(y).grads(y, &[w])
    /// });
    /// assert_eq!((plan.output(0), plan.grad(0)), (&[9.0][..], &[6.0][..]));
    /// ```
    #[track_caller]
    pub fn capture(f: impl for<'t> FnOnce(&'t Tape<T>) -> PlanSpec) -> Plan<T> {
        crate::ops::binary::ok(Self::try_capture(|tape| Ok::<_, Error>(f(tape))))
    }

    /// Records the backward sweep of the spec's loss; the node of each parameter's gradient.
    fn record_grads(&self, spec: &PlanSpec) -> Result<Vec<u32>> {
        let Some(loss) = spec.loss else {
            return Ok(Vec::new());
        };
        for (k, &p) in spec.params.iter().enumerate() {
            let g = self.borrow();
            let n = g.nodes[p as usize];
            if !(n.op == Op::Leaf && n.requires_grad && captured(&g, p).is_empty()) {
                return Err(capture_error(format!(
                    "parameter {k} is not a variable (a leaf made by Tape::var)"
                )));
            }
        }
        let loss = Var::new(self, loss);
        let seed = seed_for(loss, "plan")?;
        let grads = sweep(loss, seed, None, false);
        spec.params
            .iter()
            .map(|&p| match grads.get(p as usize).copied().flatten() {
                Some(Ct::Node(k)) => Ok(k),
                // A capturing tape records every rule, so no cotangent is a bare number.
                Some(Ct::Value(_)) => Err(capture_error("a gradient was computed off the tape")),
                None => Ok(self.constant(Tensor::zeros(&self.shape_of(p))).idx()),
            })
            .collect()
    }
}

impl<T: Float> Plan<T> {
    fn build(mut g: Inner<T>, spec: &PlanSpec, grads: Vec<u32>) -> Result<Self> {
        align_start(&mut g);
        let name = |i: u32, what: &str, k: usize| match g.names.get(&i) {
            Some(n) => format!("{what} {k} ('{n}')"),
            None => format!("{what} {k}"),
        };
        let mut inputs = Vec::with_capacity(spec.inputs.len());
        for (k, &i) in spec.inputs.iter().enumerate() {
            if g.nodes[i as usize].op != Op::Leaf || !captured(&g, i).is_empty() {
                return Err(capture_error(format!(
                    "{} is not a leaf (made by Tape::constant_from, Tape::var, ...)",
                    name(i, "input", k)
                )));
            }
            inputs.push(slot(&g, i, name(i, "input", k)));
        }
        let mut indices = Vec::with_capacity(spec.indices.len());
        for (k, &i) in spec.indices.iter().enumerate() {
            indices.push(Self::index_slot(&g, i, name(i, "index input", k))?);
        }
        let outputs: Vec<Slot> = spec
            .outputs
            .iter()
            .enumerate()
            .map(|(k, &i)| slot(&g, i, name(i, "output", k)))
            .collect();
        let params: Vec<Slot> = spec
            .params
            .iter()
            .enumerate()
            .map(|(k, &i)| slot(&g, i, name(i, "parameter", k)))
            .collect();
        let grad_slots: Vec<Slot> = grads
            .iter()
            .enumerate()
            .map(|(k, &i)| slot(&g, i, format!("gradient {k}")))
            .collect();
        for (p, d) in params.iter().zip(&grad_slots) {
            let (pr, dr) = (p.range(), d.range());
            if pr.start < dr.end && dr.start < pr.end {
                return Err(capture_error(format!(
                    "the gradient of {} shares its elements",
                    p.name
                )));
            }
        }
        // The nodes the outputs and gradients depend on, by one sweep down the tape.
        let n = g.nodes.len();
        let mut needed = vec![false; n];
        for &i in spec.outputs.iter().chain(&grads) {
            needed[i as usize] = true;
        }
        let (mut steps, mut computed) = (Vec::new(), Vec::new());
        for i in (0..n as u32).rev() {
            if !needed[i as usize] {
                continue;
            }
            let ins = captured(&g, i);
            for &j in ins {
                needed[j as usize] = true;
            }
            let edges = g.nodes[i as usize].edges;
            if let Some(s) = eval::step_for(&g, i, edges, ins) {
                steps.push(s);
                computed.push(i);
            }
        }
        steps.reverse();
        computed.reverse();
        let kept: Vec<u32> = spec.outputs.iter().chain(&grads).copied().collect();
        Ok(Plan {
            program: eval::Program::new(&g, steps, &computed, &kept),
            g,
            inputs,
            indices,
            outputs,
            params,
            grads: grad_slots,
        })
    }

    /// The index list node `i` (or the one `gather`/`index_select` it depends on) reads.
    fn index_slot(g: &Inner<T>, i: u32, name: String) -> Result<IndexSlot> {
        let is_index = |j: u32| {
            matches!(
                g.nodes[j as usize].op,
                Op::Index(IndexOp::Gather { .. } | IndexOp::IndexSelect { .. })
            )
        };
        let found = if is_index(i) {
            i
        } else {
            let mut seen = vec![false; i as usize + 1];
            seen[i as usize] = true;
            let mut hits = Vec::new();
            for j in (0..=i).rev() {
                if !seen[j as usize] {
                    continue;
                }
                if is_index(j) {
                    hits.push(j);
                }
                for &k in captured(g, j) {
                    seen[k as usize] = true;
                }
            }
            match hits[..] {
                [one] => one,
                [] => {
                    return Err(capture_error(format!(
                        "{name} depends on no gather or index_select"
                    )))
                }
                _ => {
                    return Err(capture_error(format!(
                        "{name} depends on {} gathers or index_selects: name the one to rebind",
                        hits.len()
                    )))
                }
            }
        };
        let node = g.nodes[found as usize];
        let x = captured(g, found)[0];
        let sx = g.shape(x);
        let (axis, aux, len) = match node.op {
            Op::Index(IndexOp::Gather { axis, aux }) => (axis, aux, g.numel(found)),
            Op::Index(IndexOp::IndexSelect { axis, aux }) => (axis, aux, g.shape(found)[axis as usize]),
            _ => return Err(capture_error(format!("{name} is not an index op"))),
        };
        Ok(IndexSlot {
            start: aux as usize,
            len,
            size: sx[axis as usize],
            name,
        })
    }

    /// Writes new inputs and replays the step: `values[k]` into value input `k` (of the shape
    /// it was captured with), `indices[k]` into index input `k` (as many indices, each in
    /// range). Checks everything before writing anything: on an error the plan is unchanged.
    ///
    /// ```
    /// use chainrule::{Error, PlanSpec, Tape, Tensor};
    /// let mut plan = Tape::<f64>::capture(|tape| {
    ///     let x = tape.constant(Tensor::zeros(&[2, 3])).named("x");
    ///     PlanSpec::new().input(x).output(x.sum())
    /// });
    /// let err = plan.try_run(&[&Tensor::zeros(&[3, 2])], &[]).unwrap_err();
    /// assert!(matches!(err, Error::PlanInputShape { .. }));
    /// assert_eq!(err.to_string(), "plan: input 0 ('x') has shape [3, 2], but the plan was captured with shape [2, 3]");
    /// plan.try_run(&[&Tensor::ones(&[2, 3])], &[]).unwrap();
    /// assert_eq!(plan.output(0), &[6.0]);
    /// ```
    pub fn try_run(&mut self, values: &[&Tensor<T>], indices: &[&[usize]]) -> Result<()> {
        self.check(values, indices)?;
        let (inputs, slots) = (&self.inputs, &self.indices);
        self.program.run(&mut self.g, |g| {
            for (s, v) in inputs.iter().zip(values) {
                // Split as the kernels split: each thread writes the part of the batch it then
                // holds in its cache (docs/threads.md, "A thread keeps its rows").
                crate::threads::copy_split(&mut g.data[s.range()], v.as_slice());
            }
            for (s, idx) in slots.iter().zip(indices) {
                g.aux[s.start..s.start + s.len].copy_from_slice(idx);
            }
        });
        Ok(())
    }

    fn check(&self, values: &[&Tensor<T>], indices: &[&[usize]]) -> Result<()> {
        let count = |kind, expected, got| {
            if expected == got {
                Ok(())
            } else {
                Err(Error::PlanInputCount { kind, expected, got })
            }
        };
        count("value", self.inputs.len(), values.len())?;
        count("index", self.indices.len(), indices.len())?;
        for (s, v) in self.inputs.iter().zip(values) {
            if v.shape() != s.shape.as_slice() {
                return Err(Error::PlanInputShape {
                    input: s.name.clone(),
                    expected: s.shape.clone(),
                    got: v.shape().into(),
                });
            }
        }
        for (s, idx) in self.indices.iter().zip(indices) {
            if idx.len() != s.len {
                return Err(Error::PlanIndexCount {
                    input: s.name.clone(),
                    expected: s.len,
                    got: idx.len(),
                });
            }
            if let Some(&index) = idx.iter().find(|&&i| i >= s.size) {
                return Err(Error::PlanIndexRange {
                    input: s.name.clone(),
                    index,
                    size: s.size,
                });
            }
        }
        Ok(())
    }

    /// Panicking form of [`try_run`](Plan::try_run).
    ///
    /// ```
    /// use chainrule::{PlanSpec, Tape, Tensor};
    /// let mut plan = Tape::<f64>::capture(|tape| {
    ///     let z = tape.constant(Tensor::zeros(&[2, 2]));
    ///     let picked = z.gather(-1, &[0, 1]);
    ///     PlanSpec::new().input(z).indices(picked).output(picked)
    /// });
    /// plan.run(&[&Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]).unwrap()], &[&[1, 1]]);
    /// assert_eq!(plan.output(0), &[2.0, 4.0]);
    /// ```
    #[track_caller]
    pub fn run(&mut self, values: &[&Tensor<T>], indices: &[&[usize]]) {
        crate::ops::binary::ok(self.try_run(values, indices))
    }

    /// Replays the step on the values in place (after [`input_mut`](Plan::input_mut) or
    /// [`param_mut`](Plan::param_mut)).
    ///
    /// ```
    /// use chainrule::{PlanSpec, Tape};
    /// let mut plan = Tape::<f64>::capture(|tape| {
    ///     let x = tape.scalar(2.0);
    ///     PlanSpec::new().input(x).output(x.exp())
    /// });
    /// plan.input_mut(0)[0] = 0.0;
    /// plan.replay();
    /// assert_eq!(plan.output(0), &[1.0]);
    /// ```
    pub fn replay(&mut self) {
        self.program.run(&mut self.g, |_| ());
    }
}
