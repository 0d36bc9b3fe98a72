//! [`Var`]: a `Copy` handle to a value recorded on a [`Tape`].

use crate::dtype::Float;
use crate::shape::Shape;
use crate::tape::Tape;
use crate::tensor::Tensor;
use crate::Op;

/// A handle to a value on a [`Tape`]: 16 bytes, `Copy`, so expressions read like maths.
///
/// Every op on a `Var` records a node on its tape and returns the handle of the result.
/// Combining handles of two different tapes is an error (the `try_` forms return
/// [`Error::TapeMismatch`](crate::Error::TapeMismatch); operators panic with that message).
///
/// ```
/// use chainrule::Tape;
/// let tape = Tape::<f64>::new();
/// let a = tape.scalar_var(2.0);
/// let b = tape.scalar_var(-3.0);
/// let c = a * b + b.powf(2.0);      // c = ab + b^2
/// assert_eq!(c.item(), 3.0);
/// let g = c.backward();
/// assert_eq!(g[a].item(), -3.0);    // dc/da = b
/// assert_eq!(g[b].item(), -4.0);    // dc/db = a + 2b
/// ```
#[derive(Clone, Copy)]
pub struct Var<'t, T: Float = f64> {
    tape: &'t Tape<T>,
    idx: u32,
}

impl<'t, T: Float> Var<'t, T> {
    #[inline]
    pub(crate) fn new(tape: &'t Tape<T>, idx: u32) -> Self {
        Self { tape, idx }
    }

    /// The tape this handle belongs to.
    #[inline]
    pub fn tape(&self) -> &'t Tape<T> {
        self.tape
    }

    /// The node's position on its tape (its creation order).
    #[inline]
    pub fn index(&self) -> usize {
        self.idx as usize
    }

    #[inline]
    pub(crate) fn idx(&self) -> u32 {
        self.idx
    }

    /// The value's shape.
    pub fn shape(&self) -> Shape {
        self.tape.shape_of(self.idx)
    }

    /// The value's rank.
    pub fn ndim(&self) -> usize {
        self.tape.borrow().nodes[self.idx as usize].rank as usize
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.tape.borrow().numel(self.idx)
    }

    /// A copy of the value.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.var(Tensor::from(vec![1.0, 4.0]));
    /// assert_eq!(x.sqrt().value().to_vec(), vec![1.0, 2.0]);
    /// ```
    pub fn value(&self) -> Tensor<T> {
        self.tape.value_of(self.idx)
    }

    /// Calls `f` with the value's elements (row-major) without copying them.
    pub fn with_values<R>(&self, f: impl FnOnce(&[T]) -> R) -> R {
        f(self.tape.borrow().values(self.idx))
    }

    /// The single value of a one-element variable.
    ///
    /// # Panics
    /// If the value has more than one element.
    #[track_caller]
    pub fn item(&self) -> T {
        let g = self.tape.borrow();
        let v = g.values(self.idx);
        if v.len() != 1 {
            panic!(
                "item: expected a scalar (one element), got shape {:?}",
                g.shape(self.idx)
            );
        }
        v[0]
    }

    /// Whether a gradient can flow into this value from a variable.
    pub fn requires_grad(&self) -> bool {
        self.tape.borrow().nodes[self.idx as usize].requires_grad
    }

    /// Whether this value has no recorded inputs: a variable, a constant, or a value computed
    /// only from constants (or under [`Tape::no_grad`](crate::Tape::no_grad)), which the
    /// backward sweep treats as a constant.
    pub fn is_leaf(&self) -> bool {
        self.tape.borrow().nodes[self.idx as usize].n_in == 0
    }

    /// The name of the op that produced this value (`"leaf"` for leaves).
    pub fn op_name(&self) -> &'static str {
        self.op().name()
    }

    /// The recorded inputs this value was computed from, in the op's argument order (empty
    /// for leaves and for values that carry no gradient). Lets tools walk the graph backwards,
    /// one index step at a time.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let (a, b) = (t.scalar_var(2.0), t.scalar_var(3.0));
    /// let c = a * b;
    /// assert_eq!(c.inputs().iter().map(|v| v.index()).collect::<Vec<_>>(), vec![a.index(), b.index()]);
    /// assert!(a.inputs().is_empty());
    /// ```
    pub fn inputs(&self) -> Vec<Var<'t, T>> {
        let g = self.tape.borrow();
        g.inputs(self.idx)
            .iter()
            .map(|&i| Var::new(self.tape, i))
            .collect()
    }

    /// The local derivatives of this value with respect to each of its [`inputs`](Self::inputs),
    /// computed by the op's own derivative rule with a cotangent of ones: for a scalar op of
    /// scalars, `d self / d input`. (For tensors it is the rule's output for a ones cotangent,
    /// i.e. the gradient of `sum(self)`.) No graph is recorded for them.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let (a, b) = (t.scalar_var(2.0), t.scalar_var(3.0));
    /// let c = a * b;
    /// let d: Vec<f64> = c.local_derivatives().iter().map(|(_, d)| d.item()).collect();
    /// assert_eq!(d, vec![3.0, 2.0]); // dc/da = b, dc/db = a
    /// ```
    pub fn local_derivatives(&self) -> Vec<(Var<'t, T>, crate::Tensor<T>)> {
        let inputs = self.inputs();
        if inputs.is_empty() {
            return Vec::new();
        }
        let op = self.op();
        let me = *self;
        self.tape.no_grad(|| {
            let ones = me.tape.constant(crate::Tensor::ones(&me.shape()));
            let need = vec![true; inputs.len()];
            let cts = crate::ops::vjp(op, ones, &inputs, me, &need);
            inputs
                .iter()
                .zip(cts)
                .map(|(&x, ct)| {
                    let d = ct.map_or_else(|| crate::Tensor::zeros(&x.shape()), |c| c.value());
                    (x, d)
                })
                .collect()
        })
    }

    pub(crate) fn op(&self) -> Op {
        self.tape.borrow().nodes[self.idx as usize].op
    }

    /// The same value, cut off from the graph: a constant that shares the elements (no copy),
    /// like PyTorch's `detach()`. Derivative: none (gradients stop here).
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let tape = Tape::<f64>::new();
    /// let x = tape.scalar_var(3.0);
    /// let y = x * x.detach();           // d/dx treats the detached x as the constant 3
    /// assert_eq!(y.backward()[x].item(), 3.0);
    /// ```
    #[track_caller]
    pub fn detach(&self) -> Self {
        let shape = self.shape();
        Var::new(
            self.tape,
            self.tape.record_alias(Op::Leaf, self.idx, &shape, false),
        )
    }
}

impl<T: Float> std::fmt::Debug for Var<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Var {{ index: {}, op: {}, value: {} }}",
            self.idx,
            self.op_name(),
            self.value()
        )
    }
}

impl<T: Float> std::fmt::Display for Var<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.value(), f)
    }
}
