//! The tape: an arena of recorded nodes. Values live in one flat buffer, nodes in a `Vec`, and
//! handles ([`Var`]) are an index plus a reference to the tape. Nothing points from node to node
//! except by index, so building, sweeping and dropping a graph never recurses.

use crate::anomaly::AnomalyState;
use crate::dtype::Float;
use crate::error::{Error, Result};
use crate::op::Op;
use crate::shape::{numel, Shape};
use crate::tensor::Tensor;
use crate::var::Var;
use std::cell::{Ref, RefCell};
use std::panic::Location;
use std::sync::atomic::{AtomicU64, Ordering};

/// One recorded value: the op that made it, where its inputs, shape and elements are.
/// 32 bytes; its elements live in the tape's value buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    /// The op that produced this value (for a constant computed from constants, still the op,
    /// but with no recorded inputs).
    pub op: Op,
    /// Offset of the first element in the value buffer. Reshape and detach share their input's.
    /// (`u32`: a node is 32 bytes, and a tape holds at most 2^32 - 1 elements.)
    pub data: u32,
    /// Offset of the first input index in the edge list.
    pub edges: u32,
    /// Offset of the first dimension in the dims list.
    pub dims: u32,
    /// Number of recorded inputs (0 for leaves and constants).
    pub n_in: u8,
    /// Rank of the value.
    pub rank: u8,
    /// Whether a gradient can flow to this node from a variable.
    pub requires_grad: bool,
}

/// A scalar node being recorded ([`Tape::record_scalar`]): the tape borrowed, the inputs'
/// values read.
pub(crate) struct ScalarRecord<'a, T, const N: usize> {
    g: std::cell::RefMut<'a, Inner<T>>,
    inputs: [u32; N],
    /// The inputs' values.
    pub xs: [T; N],
    any_grad: bool,
}

impl<T: Float, const N: usize> ScalarRecord<'_, T, N> {
    /// Records the node: `op` of the inputs, whose value is `y`.
    #[inline(always)]
    pub(crate) fn push(mut self, op: Op, y: T) -> u32 {
        let g = &mut *self.g;
        let off = g.used;
        if off < g.data.len() {
            g.data[off] = y;
        } else {
            g.data.push(y);
        }
        g.used = off + 1;
        let requires_grad = self.any_grad && g.no_grad_depth == 0;
        Tape::push_node(g, op, &self.inputs, 0, 0, off, requires_grad)
    }
}

#[derive(Default)]
pub(crate) struct Inner<T> {
    pub nodes: Vec<Node>,
    pub edges: Vec<u32>,
    pub dims: Vec<usize>,
    /// Integer arguments of ops that carry lists (permutations, index lists).
    pub aux: Vec<usize>,
    /// Real arguments of ops that carry more than one (clamp's bounds).
    pub consts: Vec<f64>,
    /// The variables (leaves that require a gradient), in the order recorded: the nodes whose
    /// gradients `backward` returns, found without a pass over every node.
    pub vars: Vec<u32>,
    /// The values of nodes, in `data[start..used]`. After a reset, `data` keeps the previous
    /// record's (initialised) values beyond `used`, so kernels that write every element of
    /// their output do not pay for zero-filling it first.
    pub data: Vec<T>,
    pub used: usize,
    /// Where the current record's values begin: set at [`Tape::reset`] so that element `start`
    /// is on a cache line in memory, from which every tensor of a line or more starts on one
    /// (0 in a new tape, and in a capturing one, whose plan moves the buffer instead).
    pub start: usize,
    pub no_grad_depth: u32,
    /// Names given to values with [`Var::named`], for DOT graphs and traces.
    pub names: std::collections::HashMap<u32, String>,
    /// Anomaly mode: `Some` while on.
    pub anomaly: Option<Box<AnomalyState>>,
    /// Capture mode ([`Tape::capturing`]): every node's inputs are kept in `edges` (from its
    /// `edges` offset to the next node's), even where `n_in` is 0, so a plan can replay it.
    pub capture: bool,
}

/// The elements of a 64-byte cache line. Tensors of at least this many elements start on a
/// line: misaligned, a split kernel's parts share a line at every row's edge, and a vector
/// load straddles two lines; aligned, W2's replayed step took 5% less time on 1 and on 2
/// threads (docs/threads.md, "A thread keeps its rows").
pub(crate) const fn line<T>() -> usize {
    64 / std::mem::size_of::<T>()
}

/// The elements from `at` to the next cache line (0 on one). Whole elements: a `Vec<T>` starts
/// on a multiple of `size_of::<T>()`.
pub(crate) fn to_line<T>(at: *const T) -> usize {
    (64 - at as usize % 64) % 64 / std::mem::size_of::<T>()
}

impl<T: Float> Inner<T> {
    #[inline]
    pub fn shape(&self, i: u32) -> &[usize] {
        let n = &self.nodes[i as usize];
        &self.dims[n.dims as usize..n.dims as usize + n.rank as usize]
    }
    #[inline]
    pub fn numel(&self, i: u32) -> usize {
        numel(self.shape(i))
    }
    #[inline]
    pub fn values(&self, i: u32) -> &[T] {
        let n = &self.nodes[i as usize];
        let start = n.data as usize;
        &self.data[start..start + self.numel(i)]
    }
    #[inline]
    pub fn inputs(&self, i: u32) -> &[u32] {
        let n = &self.nodes[i as usize];
        &self.edges[n.edges as usize..n.edges as usize + n.n_in as usize]
    }
}

/// What a kernel expects of its output buffer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Out {
    /// Zeros (the kernel adds into it, or writes only part of it).
    Zeroed,
    /// Anything: the kernel writes every element.
    Overwritten,
}

/// The shape of a node being recorded: given, or the same as an existing node's.
enum OutShape<'a> {
    Given(&'a [usize]),
    Like(u32),
}

static NEXT_TAPE_ID: AtomicU64 = AtomicU64::new(1);

/// A tape records every op applied to its [`Var`]s, so that gradients can be computed by one
/// reverse sweep over the record.
///
/// Create one per training step (or [`reset`](Tape::reset) it between steps: that keeps its
/// buffers' capacity, so memory does not grow). Handles borrow the tape, so the borrow checker
/// guarantees no handle outlives a reset.
///
/// ```
/// use chainrule::Tape;
/// let tape = Tape::<f64>::new();
/// let x = tape.scalar_var(3.0);
/// let y = x * x + 2.0 * x;          // y = x^2 + 2x
/// let g = y.backward();
/// assert_eq!(g[x].item(), 8.0);     // dy/dx = 2x + 2
/// ```
pub struct Tape<T: Float = f64> {
    id: u64,
    pub(crate) inner: RefCell<Inner<T>>,
}

impl<T: Float> Default for Tape<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Tape<T> {
    /// An empty tape.
    pub fn new() -> Self {
        Self {
            id: NEXT_TAPE_ID.fetch_add(1, Ordering::Relaxed),
            inner: RefCell::new(Inner {
                nodes: Vec::new(),
                edges: Vec::new(),
                dims: Vec::new(),
                aux: Vec::new(),
                consts: Vec::new(),
                vars: Vec::new(),
                data: Vec::new(),
                used: 0,
                start: 0,
                no_grad_depth: 0,
                names: Default::default(),
                anomaly: None,
                capture: false,
            }),
        }
    }

    /// An empty tape with room for `nodes` nodes and `elements` values before it reallocates
    /// (shapes are kept apart and grow as needed: scalars need none).
    pub fn with_capacity(nodes: usize, elements: usize) -> Self {
        let t = Self::new();
        {
            let mut g = t.inner.borrow_mut();
            g.nodes.reserve(nodes);
            g.edges.reserve(2 * nodes);
            g.data.reserve(elements);
        }
        t
    }

    /// A unique identifier of this tape's current record (distinct for every tape created in
    /// the process, and renewed by [`reset`](Tape::reset)).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The number of recorded nodes (leaves, constants and op results).
    pub fn len(&self) -> usize {
        self.inner.borrow().nodes.len()
    }

    /// Whether nothing has been recorded yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held by the tape's buffers (their capacity, not just what is in use).
    pub fn memory_bytes(&self) -> usize {
        let g = self.inner.borrow();
        g.nodes.capacity() * std::mem::size_of::<Node>()
            + g.edges.capacity() * 4
            + (g.dims.capacity() + g.aux.capacity()) * std::mem::size_of::<usize>()
            + g.consts.capacity() * std::mem::size_of::<f64>()
            + g.data.capacity() * std::mem::size_of::<T>()
    }

    /// Forgets every node, keeping the buffers' capacity: the next step records into the same
    /// memory. Needs `&mut self`, so no [`Var`] of the old record can still be alive.
    pub fn reset(&mut self) {
        // A new identity: gradients collected before the reset no longer match new handles.
        self.id = NEXT_TAPE_ID.fetch_add(1, Ordering::Relaxed);
        let g = self.inner.get_mut();
        g.nodes.clear();
        g.edges.clear();
        g.dims.clear();
        g.aux.clear();
        g.consts.clear();
        g.vars.clear();
        // The old values stay, to be overwritten. A buffer kept from step to step starts each
        // record on a cache line in memory (`line`).
        g.start = to_line(g.data.as_ptr());
        g.used = g.start;
        g.no_grad_depth = 0;
        g.names.clear();
        if let Some(a) = g.anomaly.as_mut() {
            **a = AnomalyState::default();
        }
    }

    /// A leaf that requires a gradient (a variable, like PyTorch's `requires_grad=True`).
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let tape = Tape::new();
    /// let w = tape.var(Tensor::from(vec![1.0, 2.0]));
    /// assert!(w.requires_grad());
    /// ```
    #[track_caller]
    pub fn var(&self, value: impl Into<Tensor<T>>) -> Var<'_, T> {
        self.leaf(value.into(), true)
    }

    /// A scalar variable.
    #[track_caller]
    pub fn scalar_var(&self, value: T) -> Var<'_, T> {
        self.leaf_slice(&[], &[value], true)
    }

    /// A leaf that never receives a gradient (data, labels, fixed coefficients).
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let c = tape.constant(Tensor::scalar(2.0));
    /// assert!(!c.requires_grad());
    /// ```
    #[track_caller]
    pub fn constant(&self, value: impl Into<Tensor<T>>) -> Var<'_, T> {
        self.leaf(value.into(), false)
    }

    /// A scalar constant.
    #[track_caller]
    pub fn scalar(&self, value: T) -> Var<'_, T> {
        self.leaf_slice(&[], &[value], false)
    }

    /// A variable bound from a parameter held outside the tape (copies its values in).
    #[track_caller]
    pub fn var_from(&self, value: &Tensor<T>) -> Var<'_, T> {
        self.leaf_slice(value.shape(), value.as_slice(), true)
    }

    /// A constant bound from data held outside the tape (copies its values in).
    #[track_caller]
    pub fn constant_from(&self, value: &Tensor<T>) -> Var<'_, T> {
        self.leaf_slice(value.shape(), value.as_slice(), false)
    }

    #[track_caller]
    fn leaf(&self, value: Tensor<T>, requires_grad: bool) -> Var<'_, T> {
        self.leaf_slice(value.shape(), value.as_slice(), requires_grad)
    }

    #[track_caller]
    fn leaf_slice(&self, shape: &[usize], values: &[T], requires_grad: bool) -> Var<'_, T> {
        let idx = self.record(Op::Leaf, &[], shape, Out::Overwritten, |_, out| {
            out.copy_from_slice(values)
        });
        if requires_grad {
            let mut g = self.inner.borrow_mut();
            g.nodes[idx as usize].requires_grad = true;
            g.vars.push(idx);
        }
        Var::new(self, idx)
    }

    /// Runs `f` with gradient recording switched off: everything computed inside is a constant
    /// (like `torch.no_grad()`). Nests; restored even if `f` panics.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let tape = Tape::<f64>::new();
    /// let x = tape.scalar_var(1.0);
    /// let y = tape.no_grad(|| x * 2.0);
    /// assert!(!y.requires_grad());
    /// ```
    pub fn no_grad<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Restore<'a, T: Float>(&'a Tape<T>);
        impl<T: Float> Drop for Restore<'_, T> {
            fn drop(&mut self) {
                self.0.inner.borrow_mut().no_grad_depth -= 1;
            }
        }
        self.inner.borrow_mut().no_grad_depth += 1;
        let _restore = Restore(self);
        f()
    }

    /// Whether ops recorded now can carry gradients (false inside [`no_grad`](Tape::no_grad)).
    pub fn is_grad_enabled(&self) -> bool {
        self.inner.borrow().no_grad_depth == 0
    }

    /// Records a node: computes its value with `kernel(inputs' values, output)` into the value
    /// buffer and remembers `op` and its inputs if any input requires a gradient. `init` says
    /// whether the kernel needs its output zeroed or overwrites every element.
    #[inline]
    #[track_caller]
    pub(crate) fn record(
        &self,
        op: Op,
        inputs: &[u32],
        shape: &[usize],
        init: Out,
        kernel: impl FnOnce(&[&[T]], &mut [T]),
    ) -> u32 {
        self.record_impl(op, inputs, OutShape::Given(shape), init, kernel)
    }

    /// [`record`](Self::record) for an output of the same shape as node `like` (elementwise
    /// ops, whose kernels write every element): the node shares `like`'s dims instead of
    /// copying them.
    #[inline]
    #[track_caller]
    pub(crate) fn record_like(
        &self,
        op: Op,
        inputs: &[u32],
        like: u32,
        kernel: impl FnOnce(&[&[T]], &mut [T]),
    ) -> u32 {
        self.record_impl(op, inputs, OutShape::Like(like), Out::Overwritten, kernel)
    }

    #[inline]
    #[track_caller]
    fn record_impl(
        &self,
        op: Op,
        inputs: &[u32],
        out_shape: OutShape<'_>,
        init: Out,
        kernel: impl FnOnce(&[&[T]], &mut [T]),
    ) -> u32 {
        let mut guard = self.inner.borrow_mut();
        let g = &mut *guard;
        let requires_grad = g.no_grad_depth == 0 && inputs.iter().any(|&i| g.nodes[i as usize].requires_grad);
        let (dims, rank) = match out_shape {
            OutShape::Given(shape) => {
                assert!(shape.len() <= u8::MAX as usize, "tensors have rank at most 255");
                let off = g.dims.len() as u32;
                g.dims.extend_from_slice(shape);
                (off, shape.len() as u8)
            }
            OutShape::Like(i) => {
                let nd = &g.nodes[i as usize];
                (nd.dims, nd.rank)
            }
        };
        let n = numel(&g.dims[dims as usize..dims as usize + rank as usize]);
        let off = if n >= line::<T>() {
            // Tensors start on a cache line from `start` (where a reset put a line; a plan moves
            // a captured buffer so that its start is on one).
            g.start + (g.used - g.start).next_multiple_of(line::<T>())
        } else {
            g.used
        };
        let end = off + n;
        if init == Out::Zeroed {
            // Below `data.len()` the buffer holds a previous record's values; beyond it, the
            // growth below adds zeros (`off` may lie beyond it, after a line's padding).
            let stale = off.min(g.data.len())..end.min(g.data.len());
            g.data[stale].fill(T::zero());
        }
        if end > g.data.len() {
            g.data.resize(end, T::zero());
        }
        g.used = end;
        {
            let (before, out) = g.data.split_at_mut(off);
            let out = &mut out[..n];
            let (nodes, all_dims) = (&g.nodes, &g.dims);
            let slice = |i: u32| -> &[T] {
                let nd = &nodes[i as usize];
                let d = &all_dims[nd.dims as usize..nd.dims as usize + nd.rank as usize];
                &before[nd.data as usize..nd.data as usize + numel(d)]
            };
            // Fixed-size arrays for the common arities: no collecting on the hot path.
            match *inputs {
                [] => kernel(&[], out),
                [a] => kernel(&[slice(a)], out),
                [a, b] => kernel(&[slice(a), slice(b)], out),
                [a, b, c] => kernel(&[slice(a), slice(b), slice(c)], out),
                [a, b, c, d] => kernel(&[slice(a), slice(b), slice(c), slice(d)], out),
                _ => kernel(&inputs.iter().map(|&i| slice(i)).collect::<Vec<_>>(), out),
            }
        }
        if g.anomaly.is_some() {
            crate::anomaly::check(g, op, inputs, dims, rank, off, n, Location::caller());
        }
        Self::push_node(g, op, inputs, dims, rank, off, requires_grad)
    }

    /// Starts recording an elementwise op on rank-0 inputs (every node of a scalar graph) in
    /// one borrow, without the shape bookkeeping of [`record`](Self::record): the inputs'
    /// values, for the caller to compute the result from and hand to
    /// [`ScalarRecord::push`]. `None` (nothing recorded) if an input is not rank 0 or anomaly
    /// mode is on; the caller then takes the general path.
    ///
    /// Two steps, not a closure: the caller computes the value in its own straight-line code,
    /// where the op is a constant. (A closure holding the one-element formula was compiled out
    /// of line: a call on every scalar node that matched on the op again.)
    #[inline(always)]
    pub(crate) fn record_scalar<const N: usize>(&self, inputs: [u32; N]) -> Option<ScalarRecord<'_, T, N>> {
        let g = self.inner.borrow_mut();
        if g.anomaly.is_some() {
            return None;
        }
        let mut xs = [T::zero(); N];
        let mut any_grad = false;
        for (x, &i) in xs.iter_mut().zip(&inputs) {
            let nd = g.nodes[i as usize];
            if nd.rank != 0 {
                return None;
            }
            *x = g.data[nd.data as usize];
            any_grad |= nd.requires_grad;
        }
        Some(ScalarRecord {
            g,
            inputs,
            xs,
            any_grad,
        })
    }

    /// Records a node that shares its single input's elements (reshape, detach): no copy.
    #[track_caller]
    pub(crate) fn record_alias(&self, op: Op, input: u32, shape: &[usize], keep_grad: bool) -> u32 {
        let mut guard = self.inner.borrow_mut();
        let g = &mut *guard;
        let requires_grad = keep_grad && g.no_grad_depth == 0 && g.nodes[input as usize].requires_grad;
        let off = g.nodes[input as usize].data as usize;
        if let Some(a) = g.anomaly.as_mut() {
            a.locations.push(Some(Location::caller()));
        }
        let dims = g.dims.len() as u32;
        g.dims.extend_from_slice(shape);
        Self::push_node(g, op, &[input], dims, shape.len() as u8, off, requires_grad)
    }

    #[inline(always)]
    fn push_node(
        g: &mut Inner<T>,
        op: Op,
        inputs: &[u32],
        dims: u32,
        rank: u8,
        data: usize,
        requires_grad: bool,
    ) -> u32 {
        let idx = g.nodes.len();
        assert!(idx < u32::MAX as usize, "a tape holds at most 2^32 - 1 nodes");
        assert!(
            g.used <= u32::MAX as usize,
            "a tape holds at most 2^32 - 1 elements"
        );
        let edges = g.edges.len() as u32;
        // A value computed only from constants keeps no edges: the sweep never visits it. In
        // capture mode its inputs are stored all the same (`n_in` stays 0), for replay.
        let n_in = if requires_grad {
            g.edges.extend_from_slice(inputs);
            inputs.len() as u8
        } else {
            if g.capture {
                g.edges.extend_from_slice(inputs);
            }
            0
        };
        g.nodes.push(Node {
            op,
            data: data as u32,
            edges,
            dims,
            n_in,
            rank,
            requires_grad,
        });
        idx as u32
    }

    /// Stores real constants an op needs and returns their offset.
    pub(crate) fn push_consts(&self, values: &[f64]) -> u32 {
        let mut g = self.inner.borrow_mut();
        let off = g.consts.len() as u32;
        g.consts.extend_from_slice(values);
        off
    }

    /// Stores a list of integers an op needs (a permutation, indices) and returns its offset.
    pub(crate) fn push_aux(&self, values: impl IntoIterator<Item = usize>) -> u32 {
        let mut g = self.inner.borrow_mut();
        let off = g.aux.len() as u32;
        g.aux.extend(values);
        off
    }

    pub(crate) fn borrow(&self) -> Ref<'_, Inner<T>> {
        self.inner.borrow()
    }

    /// Whether nodes `a` and `b` have the same shape (no copy).
    #[inline]
    pub(crate) fn same_shape(&self, a: u32, b: u32) -> bool {
        let g = self.inner.borrow();
        let (a, b) = (g.shape(a), g.shape(b));
        // Not `a == b`: for scalars both are empty slices of a never-allocated `dims`, and
        // libc's memcmp on that dangling pointer costs ~140 ns (a masked load from an unmapped
        // page); a loop over at most a few dims costs ~1 ns.
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
    }

    /// The shape of node `i`.
    pub(crate) fn shape_of(&self, i: u32) -> Shape {
        self.inner.borrow().shape(i).into()
    }

    /// A copy of node `i`'s value.
    pub(crate) fn value_of(&self, i: u32) -> Tensor<T> {
        let g = self.inner.borrow();
        Tensor::from_parts(g.shape(i).into(), g.values(i).to_vec())
    }

    /// Checks that handles belong to this tape.
    pub(crate) fn check_same(op: &'static str, a: &Var<'_, T>, b: &Var<'_, T>) -> Result<()> {
        if std::ptr::eq(a.tape(), b.tape()) {
            Ok(())
        } else {
            Err(Error::TapeMismatch { op })
        }
    }
}

impl<T: Float> std::fmt::Debug for Tape<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tape {{ id: {}, nodes: {} }}", self.id, self.len())
    }
}

#[cfg(test)]
#[path = "tape_tests.rs"]
mod tests;
