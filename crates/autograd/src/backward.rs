//! Reverse mode: one sweep over the tape from the output down to index 0. No recursion and no
//! topological sort: the tape's order already is one.
//!
//! Every derivative rule is recorded as ordinary ops. For `backward` they run with recording
//! off (only values); for [`grad`] they are recorded, so the gradient is itself a graph that
//! can be differentiated again, to any order.

use crate::dtype::Float;
use crate::error::{Error, Result};
use crate::op::{BinaryOp, Op, UnaryOp};
use crate::ops;
use crate::ops::elem::Val;
use crate::tensor::Tensor;
use crate::var::Var;
use smallvec::SmallVec;
use std::collections::HashMap;

/// A node's cotangent during a sweep: a recorded node, or, in a sweep that keeps no graph, a
/// plain number for a scalar node (its rule applied to values, nothing recorded).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ct<T> {
    Node(u32),
    Value(T),
}

/// Adds the recorded cotangent `c` into a slot (the multivariable chain rule: a value used
/// several times gets the sum). A scalar slot that already holds a number (from value rules)
/// stays a number: the sum as numbers, the add kernel's `+`. Otherwise the sum is recorded.
#[inline]
fn accumulate<T: Float>(tape: &crate::Tape<T>, slot: &mut Option<Ct<T>>, c: u32) {
    *slot = Some(match *slot {
        None => Ct::Node(c),
        Some(Ct::Node(p)) => Ct::Node((Var::new(tape, p) + Var::new(tape, c)).idx()),
        Some(Ct::Value(p)) => Ct::Value((Val(p) + Val(tape.borrow().values(c)[0])).0),
    });
}

/// Which nodes a sweep visits: those on a path from a target to the root.
enum Relevance {
    /// Every variable is a target: exactly the nodes that require a gradient.
    RequiresGrad,
    /// Marked by a forward pass from the targets.
    Marked(Vec<bool>),
}

impl Relevance {
    #[inline]
    fn of<T: Float>(&self, g: &crate::tape::Inner<T>, i: u32) -> bool {
        match self {
            Relevance::RequiresGrad => g.nodes[i as usize].requires_grad,
            Relevance::Marked(rel) => rel[i as usize],
        }
    }
}

/// Gradients of every node `0..=root` (`None` where no gradient flows).
///
/// `targets`: the leaves whose gradients are wanted (`None` = every variable). Only nodes on a
/// path from a target to the root are visited. `create_graph` records the rules for higher
/// order; without it (and outside anomaly mode, which checks what rules record), the rules of
/// scalar elementwise nodes run on values and record nothing.
pub(crate) fn sweep<'t, T: Float>(
    root: Var<'t, T>,
    seed: Var<'t, T>,
    targets: Option<&[u32]>,
    create_graph: bool,
) -> Vec<Option<Ct<T>>> {
    let tape = root.tape();
    let n = root.idx() as usize + 1;
    let relevant = if targets.is_none() {
        // Every variable is a target, so the nodes on a path from one are exactly those that
        // require a gradient: no pass needed.
        Relevance::RequiresGrad
    } else {
        let g = tape.borrow();
        let mut is_target = vec![false; n];
        for &t in targets.unwrap_or(&[]) {
            if (t as usize) < n {
                is_target[t as usize] = true;
            }
        }
        let mut rel = vec![false; n];
        for i in 0..n {
            let node = &g.nodes[i];
            // A target may be an intermediate value too (the gradient with respect to it).
            rel[i] =
                node.requires_grad && (is_target[i] || g.inputs(i as u32).iter().any(|&j| rel[j as usize]));
        }
        Relevance::Marked(rel)
    };
    let mut grads: Vec<Option<Ct<T>>> = vec![None; n];
    if !relevant.of(&tape.borrow(), (n - 1) as u32) {
        return grads;
    }
    grads[n - 1] = Some(Ct::Node(seed.idx()));
    // A capturing tape records every rule (a value rule would leave nothing to replay).
    let values_only = !create_graph && !tape.is_detecting_anomalies() && !tape.borrow().capture;
    let mut run = || {
        let mut end = n;
        while end > 0 {
            if values_only {
                end = scalar_rules(&tape.borrow(), end, &relevant, &mut grads);
                if end == 0 {
                    break;
                }
            }
            end -= 1;
            let i = end;
            let Some(gi) = grads[i] else { continue };
            let op = {
                let g = tape.borrow();
                let node = g.nodes[i];
                if node.n_in == 0 {
                    continue;
                }
                node.op
            };
            // Below the threads' split, where recorded kernels would run on one thread too: an
            // elementwise rule on values (against 4,096 elements as the limit, this one took the
            // recorded W2 step 1.0% less time, the same loss bits).
            if values_only
                && let Ct::Node(k) = gi
                && tape.borrow().numel(i as u32) < crate::threads::MIN_PARALLEL_ELEMENTS
            {
                match op {
                    Op::Unary(op) => {
                        tensor_unary_rule(tape, i as u32, op, k, &relevant, &mut grads);
                        continue;
                    }
                    // Broadcasting happens before (`broadcast_to`): the inputs have the node's
                    // shape. Checked all the same, as the loops index all three alike.
                    Op::Binary(op) if same_sizes(&tape.borrow(), i as u32) => {
                        tensor_binary_rule(tape, i as u32, op, k, &relevant, &mut grads);
                        continue;
                    }
                    _ => {}
                }
            }
            let inputs = SmallVec::<[u32; 3]>::from_slice(tape.borrow().inputs(i as u32));
            let gi = match gi {
                Ct::Node(k) => k,
                Ct::Value(v) => tape.scalar(v).idx(),
            };
            let need: SmallVec<[bool; 3]> = {
                let g = tape.borrow();
                inputs.iter().map(|&j| relevant.of(&g, j)).collect()
            };
            let vars: SmallVec<[Var<'t, T>; 3]> = inputs.iter().map(|&j| Var::new(tape, j)).collect();
            if !need.iter().any(|&b| b) {
                continue;
            }
            tape.set_backward_of(Some(i as u32));
            let cts = ops::vjp(op, Var::new(tape, gi), &vars, Var::new(tape, i as u32), &need);
            for ((&j, ct), &needed) in inputs.iter().zip(cts).zip(&need) {
                let (Some(ct), true) = (ct, needed) else { continue };
                accumulate(tape, &mut grads[j as usize], ct.idx());
            }
        }
    };
    if create_graph {
        run();
    } else {
        tape.no_grad(run);
    }
    tape.set_backward_of(None);
    grads
}

/// Applies the rule of the elementwise unary node `i` (rank above 0, below the threads' split)
/// to values, element by element (`ops/rule_values.rs`): its input's cotangent recorded as one
/// constant node, or the cotangent `gi` itself where the rule hands it on.
fn tensor_unary_rule<T: Float>(
    tape: &crate::Tape<T>,
    i: u32,
    op: UnaryOp,
    gi: u32,
    relevant: &Relevance,
    grads: &mut [Option<Ct<T>>],
) {
    let (a, bounds) = {
        let g = tape.borrow();
        let a = g.inputs(i)[0];
        if !relevant.of(&g, a) {
            return;
        }
        (a, op.bounds(&g.consts))
    };
    let ct = if ops::rule_values::passes_cotangent(op) {
        gi
    } else {
        tape.record_like(Op::Leaf, &[gi, a, i], i, |ins, out| {
            ops::rule_values::unary_each(op, ins[0], ins[1], ins[2], out, bounds)
        })
    };
    accumulate(tape, &mut grads[a as usize], ct);
}

/// Whether node `i`'s inputs have as many elements as it.
fn same_sizes<T: Float>(g: &crate::tape::Inner<T>, i: u32) -> bool {
    g.inputs(i).iter().all(|&j| g.numel(j) == g.numel(i))
}

/// [`tensor_unary_rule`] for the elementwise binary node `i` (its inputs of its shape): a
/// constant node per input that needs a cotangent, in the order of the recorded rule's sums.
fn tensor_binary_rule<T: Float>(
    tape: &crate::Tape<T>,
    i: u32,
    op: BinaryOp,
    gi: u32,
    relevant: &Relevance,
    grads: &mut [Option<Ct<T>>],
) {
    let (a, b, need) = {
        let g = tape.borrow();
        let ins = g.inputs(i);
        let (a, b) = (ins[0], ins[1]);
        (a, b, [relevant.of(&g, a), relevant.of(&g, b)])
    };
    let passes = ops::rule_values::binary_passes(op);
    let mut cts = [None, None];
    for side in 0..2 {
        if !need[side] {
            continue;
        }
        cts[side] = Some(if passes[side] {
            gi
        } else {
            tape.record_like(Op::Leaf, &[gi, a, b, i], i, |ins, out| {
                let ins = [ins[0], ins[1], ins[2], ins[3]];
                if side == 0 {
                    ops::rule_values::binary_each::<T, 0>(op, ins, out)
                } else {
                    ops::rule_values::binary_each::<T, 1>(op, ins, out)
                }
            })
        });
    }
    for (j, ct) in [a, b].into_iter().zip(cts) {
        if let Some(ct) = ct {
            accumulate(tape, &mut grads[j as usize], ct);
        }
    }
}

/// Applies the rules of nodes `end - 1, end - 2, ...` down to the first that is not a scalar
/// elementwise node (returning its index + 1; 0 when none is left), under one borrow of the
/// tape: each rule on values, the cotangent read as a number, the inputs' cotangents
/// accumulated as numbers. Nodes without a cotangent or inputs are passed over.
fn scalar_rules<T: Float>(
    g: &crate::tape::Inner<T>,
    end: usize,
    relevant: &Relevance,
    grads: &mut [Option<Ct<T>>],
) -> usize {
    // One loop for each kind of relevance, so that the loop does not ask which per node.
    match relevant {
        Relevance::RequiresGrad => scalar_rules_by(g, end, grads, |j| g.nodes[j as usize].requires_grad),
        Relevance::Marked(rel) => scalar_rules_by(g, end, grads, |j| rel[j as usize]),
    }
}

/// [`scalar_rules`], `needs(j)` saying whether input `j` is relevant.
#[inline(always)]
fn scalar_rules_by<T: Float>(
    g: &crate::tape::Inner<T>,
    end: usize,
    grads: &mut [Option<Ct<T>>],
    needs: impl Fn(u32) -> bool,
) -> usize {
    let value = |k: u32| Val(g.data[g.nodes[k as usize].data as usize]);
    for i in (0..end).rev() {
        let Some(gi) = grads[i] else { continue };
        let node = &g.nodes[i];
        if node.n_in == 0 {
            continue;
        }
        // Elementwise ops keep their inputs' shape, so a rank-0 node has rank-0 inputs.
        if node.rank != 0 {
            return i + 1;
        }
        let gv = match gi {
            Ct::Value(v) => Val(v),
            Ct::Node(k) => value(k),
        };
        let y = Val(g.data[node.data as usize]);
        let e = node.edges as usize;
        match node.op {
            Op::Unary(op) => {
                let a = g.edges[e];
                if needs(a) {
                    let ct = ops::unary::vjp(op, gv, value(a), y, op.bounds(&g.consts));
                    add_value(grads, a, ct, value);
                }
            }
            Op::Binary(op) => {
                let (a, b) = (g.edges[e], g.edges[e + 1]);
                let cts = ops::binary::vjp(op, gv, value(a), value(b), y, [needs(a), needs(b)]);
                for (j, ct) in [a, b].into_iter().zip(cts) {
                    if let Some(ct) = ct {
                        add_value(grads, j, ct, value);
                    }
                }
            }
            // The other families' rules are recorded (a new family must be placed on one side:
            // its rule generic over `Elem`, or not).
            Op::Leaf
            | Op::Compare(_)
            | Op::Where
            | Op::Reduce(_)
            | Op::Movement(_)
            | Op::Index(_)
            | Op::Matmul { .. } => return i + 1,
        }
    }
    0
}

/// Adds the number `ct` into node `j`'s cotangent (the chain rule's sum, as numbers: the add
/// kernel's `+`); `value(k)` is node `k`'s value.
#[inline(always)]
fn add_value<T: Float>(grads: &mut [Option<Ct<T>>], j: u32, ct: Val<T>, value: impl Fn(u32) -> Val<T>) {
    let slot = &mut grads[j as usize];
    *slot = Some(Ct::Value(match *slot {
        None => ct.0,
        Some(Ct::Value(prev)) => (Val(prev) + ct).0,
        Some(Ct::Node(prev)) => (value(prev) + ct).0,
    }));
}

pub(crate) fn seed_for<'t, T: Float>(y: Var<'t, T>, op: &'static str) -> Result<Var<'t, T>> {
    let shape = y.shape();
    if y.numel() != 1 {
        return Err(Error::NotScalar { op, shape });
    }
    Ok(y.tape().constant(Tensor::ones(&shape)))
}

fn cotangent_for<'t, T: Float>(y: Var<'t, T>, cotangent: &Tensor<T>, op: &'static str) -> Result<Var<'t, T>> {
    let shape = y.shape();
    if cotangent.shape() != shape.as_slice() {
        return Err(Error::ShapeMismatch {
            op,
            lhs: shape,
            rhs: cotangent.shape().into(),
            expected: "a cotangent of the output's shape".into(),
        });
    }
    Ok(y.tape().constant_from(cotangent))
}

/// Gradients of one output with respect to every variable of its tape, keyed by [`Var`].
///
/// Every variable has an entry: zeros if the output does not depend on it.
#[derive(Clone, Debug)]
pub struct Gradients<T: Float = f64> {
    tape_id: u64,
    grads: HashMap<u32, Tensor<T>>,
}

impl<T: Float> Gradients<T> {
    /// The gradient of `var`, if it is a variable of the tape this came from.
    pub fn get(&self, var: Var<'_, T>) -> Option<&Tensor<T>> {
        if var.tape().id() != self.tape_id {
            return None;
        }
        self.grads.get(&var.idx())
    }

    /// Takes the gradient of `var` out of the store (moving it, no copy), if it is a variable of
    /// the tape this came from and was not taken before.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(3.0);
    /// let mut g = (x * x).backward();
    /// assert_eq!(g.remove(x).unwrap().item(), 6.0);
    /// assert!(g.remove(x).is_none());
    /// ```
    pub fn remove(&mut self, var: Var<'_, T>) -> Option<Tensor<T>> {
        if var.tape().id() != self.tape_id {
            return None;
        }
        self.grads.remove(&var.idx())
    }

    /// The number of variables with a gradient.
    pub fn len(&self) -> usize {
        self.grads.len()
    }

    /// Whether there are no gradients (the tape had no variables).
    pub fn is_empty(&self) -> bool {
        self.grads.is_empty()
    }

    /// `(node index, gradient)` for every variable, in tape order.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Tensor<T>)> {
        let mut v: Vec<_> = self.grads.iter().map(|(&i, t)| (i as usize, t)).collect();
        v.sort_by_key(|(i, _)| *i);
        v.into_iter()
    }
}

impl<'t, T: Float> std::ops::Index<Var<'t, T>> for Gradients<T> {
    type Output = Tensor<T>;
    #[track_caller]
    fn index(&self, var: Var<'t, T>) -> &Tensor<T> {
        match self.get(var) {
            Some(g) => g,
            None if var.tape().id() != self.tape_id => panic!(
                "no gradient for node {}: it belongs to another tape than the one these gradients came from",
                var.index()
            ),
            None => panic!(
                "no gradient for node {}: `backward` keeps gradients of variables (made with `Tape::var`) \
                 only; for an intermediate value h, use `grad(y, &[h])`",
                var.index()
            ),
        }
    }
}

/// The cotangent of node `i` as a tensor of its shape (zeros if none flowed).
pub(crate) fn ct_tensor<T: Float>(g: &crate::tape::Inner<T>, grads: &[Option<Ct<T>>], i: u32) -> Tensor<T> {
    match grads.get(i as usize).copied().flatten() {
        Some(Ct::Node(k)) => Tensor::from_parts(g.shape(k).into(), g.values(k).to_vec()),
        Some(Ct::Value(v)) => Tensor::from_parts(g.shape(i).into(), vec![v]),
        None => Tensor::zeros(g.shape(i)),
    }
}

fn collect<'t, T: Float>(y: Var<'t, T>, grads: &[Option<Ct<T>>]) -> Gradients<T> {
    let tape = y.tape();
    let g = tape.borrow();
    let mut out = HashMap::with_capacity(g.vars.len());
    for &i in &g.vars {
        // Variables recorded after `y` are not in the sweep's gradients; they get zeros.
        out.insert(i, ct_tensor(&g, grads, i));
    }
    Gradients {
        tape_id: tape.id(),
        grads: out,
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Reverse-mode gradients of this scalar with respect to every variable, like PyTorch's
    /// `y.backward()` followed by reading `.grad`. Calling it again gives the same result (it
    /// returns a fresh store; nothing accumulates in the variables).
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(2.0);
    /// let y = x * x * x;
    /// assert_eq!(y.backward()[x].item(), 12.0);
    /// assert_eq!(y.backward()[x].item(), 12.0); // no doubling
    /// ```
    ///
    /// # Panics
    /// If this value has more than one element; see [`try_backward`](Self::try_backward).
    #[track_caller]
    pub fn backward(self) -> Gradients<T> {
        crate::ops::binary::ok(self.try_backward())
    }

    /// [`backward`](Self::backward), or an error if this value is not a scalar.
    pub fn try_backward(self) -> Result<Gradients<T>> {
        let seed = seed_for(self, "backward")?;
        let grads = sweep(self, seed, None, false);
        Ok(collect(self, &grads))
    }

    /// The vector-Jacobian product `cotangent^T J` for a value of any shape, with respect to
    /// every variable (PyTorch's `y.backward(gradient=cotangent)`).
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from(vec![1.0, 2.0]));
    /// let y = x * x;
    /// let g = y.backward_with(&Tensor::from(vec![1.0, 10.0])).unwrap();
    /// assert_eq!(g[x].to_vec(), vec![2.0, 40.0]);
    /// ```
    pub fn backward_with(self, cotangent: &Tensor<T>) -> Result<Gradients<T>> {
        let seed = cotangent_for(self, cotangent, "backward_with")?;
        let grads = sweep(self, seed, None, false);
        Ok(collect(self, &grads))
    }
}

/// Gradients of the scalar `y` with respect to `xs`, as values on the same tape that are
/// themselves differentiable (PyTorch's `autograd.grad(..., create_graph=True)`, JAX's `grad`).
/// Apply `grad` to a result again for second, third, ... derivatives. An `x` that `y` does not
/// depend on gets zeros.
///
/// ```
/// # use chainrule::{Tape, grad};
/// let t = Tape::<f64>::new();
/// let x = t.scalar_var(2.0);
/// let y = x.powf(4.0);                          // x^4
/// let [d1] = grad(y, &[x]).unwrap()[..] else { panic!() };
/// let [d2] = grad(d1, &[x]).unwrap()[..] else { panic!() };
/// let [d3] = grad(d2, &[x]).unwrap()[..] else { panic!() };
/// assert_eq!((d1.item(), d2.item(), d3.item()), (32.0, 48.0, 48.0)); // 4x^3, 12x^2, 24x
/// ```
pub fn grad<'t, T: Float>(y: Var<'t, T>, xs: &[Var<'t, T>]) -> Result<Vec<Var<'t, T>>> {
    let seed = seed_for(y, "grad")?;
    grad_with(y, seed, xs)
}

/// The vector-Jacobian product `cotangent^T dy/dx` for each `x`, as differentiable values
/// (the cotangent is a value of `y`'s shape on the same tape).
///
/// ```
/// # use chainrule::{Tape, Tensor, grad_with};
/// let t = Tape::<f64>::new();
/// let x = t.var(Tensor::from(vec![1.0, 2.0]));
/// let y = x * x;
/// let v = t.constant(Tensor::from(vec![1.0, 1.0]));
/// let g = grad_with(y, v, &[x]).unwrap();
/// assert_eq!(g[0].value().to_vec(), vec![2.0, 4.0]);
/// ```
pub fn grad_with<'t, T: Float>(
    y: Var<'t, T>,
    cotangent: Var<'t, T>,
    xs: &[Var<'t, T>],
) -> Result<Vec<Var<'t, T>>> {
    for x in xs {
        crate::Tape::check_same("grad", &y, x)?;
    }
    crate::Tape::check_same("grad", &y, &cotangent)?;
    if cotangent.shape() != y.shape() {
        return Err(Error::ShapeMismatch {
            op: "grad",
            lhs: y.shape(),
            rhs: cotangent.shape(),
            expected: "a cotangent of the output's shape".into(),
        });
    }
    let targets: Vec<u32> = xs.iter().map(|x| x.idx()).collect();
    let grads = sweep(y, cotangent, Some(&targets), true);
    Ok(xs
        .iter()
        .map(|x| match grads.get(x.idx() as usize).copied().flatten() {
            Some(Ct::Node(g)) => Var::new(y.tape(), g),
            Some(Ct::Value(_)) => unreachable!("a sweep that records its rules keeps no values"),
            None => y.tape().constant(Tensor::zeros(&x.shape())),
        })
        .collect())
}

/// The vector-Jacobian product `cotangent^T dy/dx` for each `x`, as tensors (no graph kept).
///
/// ```
/// # use chainrule::{Tape, Tensor, vjp};
/// let t = Tape::<f64>::new();
/// let x = t.var(Tensor::from(vec![3.0, 4.0]));
/// let y = x.sin();
/// let g = vjp(y, &Tensor::from(vec![1.0, 0.0]), &[x]).unwrap();
/// assert_eq!(g[0].to_vec(), vec![3f64.cos(), 0.0]);
/// ```
pub fn vjp<'t, T: Float>(y: Var<'t, T>, cotangent: &Tensor<T>, xs: &[Var<'t, T>]) -> Result<Vec<Tensor<T>>> {
    for x in xs {
        crate::Tape::check_same("vjp", &y, x)?;
    }
    let seed = cotangent_for(y, cotangent, "vjp")?;
    let targets: Vec<u32> = xs.iter().map(|x| x.idx()).collect();
    let grads = sweep(y, seed, Some(&targets), false);
    let g = y.tape().borrow();
    Ok(xs.iter().map(|x| ct_tensor(&g, &grads, x.idx())).collect())
}
