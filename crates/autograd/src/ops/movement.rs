//! Ops that move elements without arithmetic: reshape, permute/transpose, broadcast_to,
//! narrow (and its adjoint pad), concat and stack. Every kernel is one strided walk
//! ([`for_each_strided`]).

use crate::dtype::Float;
use crate::error::{Error, Result};
use crate::op::{Axes, Op, ReduceOp};
use crate::ops::binary::ok;
use crate::shape::{
    broadcast_strides, broadcasts_to, for_each_strided, normalize_axis, numel, strides, Shape,
};
use crate::tape::Out;
use crate::tape::Tape;
use crate::var::Var;

/// The primitives that move elements without arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MovementOp {
    Reshape,
    /// The permutation at `aux`.
    Permute {
        aux: u32,
    },
    /// `broadcast_to`.
    Expand,
    Narrow {
        axis: u32,
        start: u32,
    },
    /// The adjoint of narrow (recorded only by its rule).
    Pad {
        axis: u32,
        start: u32,
    },
    Concat {
        axis: u32,
    },
}

impl MovementOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            MovementOp::Reshape => "reshape",
            MovementOp::Permute { .. } => "permute",
            MovementOp::Expand => "broadcast_to",
            MovementOp::Narrow { .. } => "narrow",
            MovementOp::Pad { .. } => "pad",
            MovementOp::Concat { .. } => "concat",
        }
    }

    /// The constant arguments for DOT labels.
    pub(crate) fn args(self) -> Option<String> {
        match self {
            MovementOp::Narrow { axis, start } | MovementOp::Pad { axis, start } => {
                Some(format!("axis={axis}, start={start}"))
            }
            MovementOp::Concat { axis } => Some(format!("axis={axis}")),
            MovementOp::Reshape | MovementOp::Permute { .. } | MovementOp::Expand => None,
        }
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// The same elements under a new shape with as many elements; shares memory with the input.
    /// Derivative: the gradient reshaped back.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::arange(0.0, 6.0, 1.0));
    /// let y = x.reshape(&[2, 3]);
    /// assert_eq!(y.shape().as_slice(), &[2, 3]);
    /// assert_eq!(y.sum().backward()[x].to_vec(), vec![1.0; 6]);
    /// ```
    #[track_caller]
    pub fn try_reshape(self, shape: &[usize]) -> Result<Self> {
        let from = self.shape();
        if numel(shape) != numel(&from) {
            return Err(Error::ShapeMismatch {
                op: "reshape",
                lhs: from,
                rhs: shape.into(),
                expected: "the same number of elements".into(),
            });
        }
        Ok(Var::new(
            self.tape(),
            self.tape()
                .record_alias(Op::Movement(MovementOp::Reshape), self.idx(), shape, true),
        ))
    }

    /// Panicking form of [`try_reshape`](Self::try_reshape).
    #[track_caller]
    pub fn reshape(self, shape: &[usize]) -> Self {
        ok(self.try_reshape(shape))
    }

    /// Reorders the axes: output axis `i` is input axis `perm[i]` (like `torch.permute`).
    /// Derivative: the gradient permuted by the inverse permutation.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::arange(0.0, 6.0, 1.0).reshape(&[1, 2, 3]).unwrap());
    /// let y = x.permute(&[2, 0, 1]);
    /// assert_eq!(y.shape().as_slice(), &[3, 1, 2]);
    /// assert_eq!(y.value().to_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    /// ```
    #[track_caller]
    pub fn try_permute(self, perm: &[usize]) -> Result<Self> {
        let shape = self.shape();
        let mut seen = vec![false; shape.len()];
        if perm.len() != shape.len()
            || perm
                .iter()
                .any(|&p| p >= shape.len() || std::mem::replace(&mut seen[p], true))
        {
            return Err(Error::InvalidArgument {
                op: "permute",
                shape,
                message: format!("{perm:?} is not a permutation of the axes"),
            });
        }
        let out: Shape = perm.iter().map(|&p| shape[p]).collect();
        let aux = self.tape().push_aux(perm.iter().copied());
        let idx = self.tape().record(
            Op::Movement(MovementOp::Permute { aux }),
            &[self.idx()],
            &out,
            Out::Overwritten,
            |ins, o| permute_kernel(&shape, perm, ins[0], o),
        );
        Ok(Var::new(self.tape(), idx))
    }

    /// Panicking form of [`try_permute`](Self::try_permute).
    #[track_caller]
    pub fn permute(self, perm: &[usize]) -> Self {
        ok(self.try_permute(perm))
    }

    /// Swaps two axes (negative axes count from the end). Derivative: the gradient swapped back.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap());
    /// let y = x.transpose(0, 1);
    /// assert_eq!(y.value().to_vec(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    /// ```
    #[track_caller]
    pub fn try_transpose(self, a: isize, b: isize) -> Result<Self> {
        let shape = self.shape();
        let a = normalize_axis("transpose", a, &shape)?;
        let b = normalize_axis("transpose", b, &shape)?;
        let mut perm: Vec<usize> = (0..shape.len()).collect();
        perm.swap(a, b);
        self.try_permute(&perm)
    }

    /// Panicking form of [`try_transpose`](Self::try_transpose).
    #[track_caller]
    pub fn transpose(self, a: isize, b: isize) -> Self {
        ok(self.try_transpose(a, b))
    }

    /// The transpose of a matrix (the last two axes swapped), like `x.mT` in PyTorch.
    #[track_caller]
    pub fn t(self) -> Self {
        ok(self.try_transpose(-2, -1))
    }

    /// Repeats the value along new leading axes and axes of size 1 to reach `shape`
    /// (NumPy broadcasting, like `torch.broadcast_to`). Derivative: the gradient summed over the
    /// broadcast axes: the engine's one unbroadcasting sum.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from(vec![1.0, 2.0]));
    /// let y = x.broadcast_to(&[3, 2]);
    /// assert_eq!(y.value().to_vec(), vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
    /// assert_eq!(y.sum().backward()[x].to_vec(), vec![3.0, 3.0]);
    /// ```
    #[track_caller]
    pub fn try_broadcast_to(self, shape: &[usize]) -> Result<Self> {
        let from = self.shape();
        if !broadcasts_to(&from, shape) {
            return Err(Error::ShapeMismatch {
                op: "broadcast_to",
                lhs: from,
                rhs: shape.into(),
                expected: "sizes that match or are 1 at every aligned axis".into(),
            });
        }
        Ok(self.expand_unchecked(shape))
    }

    /// Panicking form of [`try_broadcast_to`](Self::try_broadcast_to).
    #[track_caller]
    pub fn broadcast_to(self, shape: &[usize]) -> Self {
        ok(self.try_broadcast_to(shape))
    }

    /// `broadcast_to` for a shape known to be reachable.
    #[track_caller]
    pub(crate) fn expand_unchecked(self, shape: &[usize]) -> Self {
        let from = self.shape();
        if from.as_slice() == shape {
            return self;
        }
        let idx = self.tape().record(
            Op::Movement(MovementOp::Expand),
            &[self.idx()],
            shape,
            Out::Overwritten,
            |ins, o| expand_kernel(&from, shape, ins[0], o),
        );
        Var::new(self.tape(), idx)
    }

    /// Sums a broadcast gradient back to `shape` (the adjoint of `broadcast_to`).
    #[track_caller]
    pub(crate) fn sum_to(self, shape: &[usize]) -> Self {
        let from = self.shape();
        if from.as_slice() == shape {
            return self;
        }
        let lead = from.len() - shape.len();
        let mut mask = 0u64;
        for (i, &d) in from.iter().enumerate() {
            if i < lead || (shape[i - lead] == 1 && d != 1) {
                mask |= 1 << i;
            }
        }
        self.reduce_keepdim(ReduceOp::Sum(Axes::new(mask))).reshape(shape)
    }

    /// The slice `start..start + len` along `axis` (like `torch.narrow`). Derivative: the
    /// gradient placed back at those positions, zeros elsewhere.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::arange(0.0, 5.0, 1.0));
    /// let y = x.narrow(0, 1, 2);
    /// assert_eq!(y.value().to_vec(), vec![1.0, 2.0]);
    /// assert_eq!(y.sum().backward()[x].to_vec(), vec![0.0, 1.0, 1.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn try_narrow(self, axis: isize, start: usize, len: usize) -> Result<Self> {
        let shape = self.shape();
        let ax = normalize_axis("narrow", axis, &shape)?;
        if start.checked_add(len).is_none_or(|end| end > shape[ax]) || start > u32::MAX as usize {
            return Err(Error::InvalidArgument {
                op: "narrow",
                shape,
                message: format!("slice {start}..{} exceeds axis {ax}", start.saturating_add(len)),
            });
        }
        let mut out = shape.clone();
        out[ax] = len;
        let op = Op::Movement(MovementOp::Narrow {
            axis: ax as u32,
            start: start as u32,
        });
        let idx = self
            .tape()
            .record(op, &[self.idx()], &out, Out::Zeroed, |ins, o| {
                window_kernel(&shape, &out, ax, start, ins[0], o)
            });
        Ok(Var::new(self.tape(), idx))
    }

    /// Panicking form of [`try_narrow`](Self::try_narrow).
    #[track_caller]
    pub fn narrow(self, axis: isize, start: usize, len: usize) -> Self {
        ok(self.try_narrow(axis, start, len))
    }

    /// Zeros of size `full` along `axis` with this value at `start..` (the adjoint of narrow).
    #[track_caller]
    pub(crate) fn pad(self, axis: usize, start: usize, full: usize) -> Self {
        let shape = self.shape();
        let mut out = shape.clone();
        out[axis] = full;
        let op = Op::Movement(MovementOp::Pad {
            axis: axis as u32,
            start: start as u32,
        });
        let idx = self
            .tape()
            .record(op, &[self.idx()], &out, Out::Zeroed, |ins, o| {
                window_kernel(&shape, &out, axis, start, ins[0], o)
            });
        Var::new(self.tape(), idx)
    }

    /// Inserts an axis of size 1 at `axis` (like `torch.unsqueeze`). Derivative: reshape back.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from(vec![1.0, 2.0]));
    /// assert_eq!(x.unsqueeze(-1).shape().as_slice(), &[2, 1]);
    /// ```
    #[track_caller]
    pub fn try_unsqueeze(self, axis: isize) -> Result<Self> {
        let mut shape = self.shape();
        let rank = shape.len() as isize + 1;
        let a = if axis < 0 { axis + rank } else { axis };
        if !(0..rank).contains(&a) {
            return Err(Error::AxisOutOfRange {
                op: "unsqueeze",
                axis,
                shape,
            });
        }
        shape.insert(a as usize, 1);
        self.try_reshape(&shape)
    }

    /// Panicking form of [`try_unsqueeze`](Self::try_unsqueeze).
    #[track_caller]
    pub fn unsqueeze(self, axis: isize) -> Self {
        ok(self.try_unsqueeze(axis))
    }

    /// All elements as a 1-D vector. Derivative: reshape back.
    #[track_caller]
    pub fn flatten(self) -> Self {
        let n = self.numel();
        self.reshape(&[n])
    }
}

/// Joins values along an existing axis (like `torch.cat`); all other sizes must agree.
/// Derivative: each input gets its slice of the gradient.
///
/// ```
/// # use chainrule::{Tape, Tensor, concat};
/// let t = Tape::<f64>::new();
/// let a = t.var(Tensor::from(vec![1.0, 2.0]));
/// let b = t.var(Tensor::from(vec![3.0]));
/// let c = concat(&[a, b], 0).unwrap();
/// assert_eq!(c.value().to_vec(), vec![1.0, 2.0, 3.0]);
/// let g = (c * c).sum().backward();
/// assert_eq!(g[b].to_vec(), vec![6.0]);
/// ```
#[track_caller]
pub fn concat<'t, T: Float>(parts: &[Var<'t, T>], axis: isize) -> Result<Var<'t, T>> {
    let first = parts.first().ok_or_else(|| Error::InvalidArgument {
        op: "concat",
        shape: Shape::new(),
        message: "needs at least one input".into(),
    })?;
    let s0 = first.shape();
    let ax = normalize_axis("concat", axis, &s0)?;
    let mut out = s0.clone();
    out[ax] = 0;
    for p in parts {
        Tape::check_same("concat", first, p)?;
        let s = p.shape();
        if s.len() != s0.len() || s.iter().zip(&s0).enumerate().any(|(i, (a, b))| i != ax && a != b) {
            return Err(Error::ShapeMismatch {
                op: "concat",
                lhs: s0,
                rhs: s,
                expected: format!("equal sizes on every axis but {ax}"),
            });
        }
        out[ax] += s[ax];
    }
    if parts.len() > u8::MAX as usize {
        // Node input counts are one byte: join in groups.
        let groups: Result<Vec<_>> = parts.chunks(u8::MAX as usize).map(|c| concat(c, axis)).collect();
        return concat(&groups?, axis);
    }
    let inputs: Vec<u32> = parts.iter().map(|p| p.idx()).collect();
    let idx = first.tape().record(
        Op::Movement(MovementOp::Concat { axis: ax as u32 }),
        &inputs,
        &out,
        Out::Zeroed,
        |ins, o| concat_kernel(&out, ax, ins.iter().copied(), o),
    );
    Ok(Var::new(first.tape(), idx))
}

/// Joins values of equal shape along a new axis (like `torch.stack`). Derivative: each input
/// gets its slice of the gradient.
///
/// ```
/// # use chainrule::{Tape, Tensor, stack};
/// let t = Tape::<f64>::new();
/// let a = t.var(Tensor::from(vec![1.0, 2.0]));
/// let b = t.var(Tensor::from(vec![3.0, 4.0]));
/// let s = stack(&[a, b], 0).unwrap();
/// assert_eq!(s.shape().as_slice(), &[2, 2]);
/// assert_eq!(s.value().to_vec(), vec![1.0, 2.0, 3.0, 4.0]);
/// ```
#[track_caller]
pub fn stack<'t, T: Float>(parts: &[Var<'t, T>], axis: isize) -> Result<Var<'t, T>> {
    let lifted: Result<Vec<_>> = parts.iter().map(|p| p.try_unsqueeze(axis)).collect();
    concat(&lifted?, axis)
}

/// The permute kernel: output axis `i` is axis `perm[i]` of `x` (of shape `shape`).
pub(crate) fn permute_kernel<T: Float>(shape: &[usize], perm: &[usize], x: &[T], o: &mut [T]) {
    let out: Shape = perm.iter().map(|&p| shape[p]).collect();
    let st = strides(shape);
    let src: Shape = perm.iter().map(|&p| st[p]).collect();
    copy_strided(&out, &src, x, o);
}

/// The broadcast kernel: `x` of shape `from` repeated to shape `to`.
pub(crate) fn expand_kernel<T: Float>(from: &[usize], to: &[usize], x: &[T], o: &mut [T]) {
    if x.len() == 1 {
        o.fill(x[0]);
    } else {
        let src = broadcast_strides(from, to);
        copy_strided(to, &src, x, o);
    }
}

/// The narrow kernel (`o`, of shape `to`, the slice of `x`, of shape `from`, at `start` on
/// `axis`) and its adjoint, pad (`x` placed at `start` on `axis` of `o`, zeros of shape `to`):
/// one strided walk over the smaller shape.
pub(crate) fn window_kernel<T: Float>(
    from: &[usize],
    to: &[usize],
    axis: usize,
    start: usize,
    x: &[T],
    o: &mut [T],
) {
    if to[axis] <= from[axis] {
        let st = strides(from);
        for_each_strided(to, &st, start * st[axis], |i, s| o[i] = x[s]);
    } else {
        let st = strides(to);
        for_each_strided(from, &st, start * st[axis], |i, d| o[d] = x[i]);
    }
}

/// The concat kernel (into zeros): `parts`, which agree with `out` on every axis but `axis`,
/// one after another along it (each part's size there follows from its length).
pub(crate) fn concat_kernel<'a, T: Float>(
    out: &[usize],
    axis: usize,
    parts: impl IntoIterator<Item = &'a [T]>,
    o: &mut [T],
) {
    let rest = numel(out) / out[axis].max(1);
    if rest == 0 {
        return; // every part is empty
    }
    let st = strides(out);
    let mut offset = 0;
    for x in parts {
        let mut s: Shape = out.into();
        s[axis] = x.len() / rest;
        for_each_strided(&s, &st, offset * st[axis], |i, d| o[d] = x[i]);
        offset += s[axis];
    }
}

/// The derivative rules of the movement ops.
pub(crate) fn vjp<'t, T: Float>(
    op: MovementOp,
    g: Var<'t, T>,
    inputs: &[Var<'t, T>],
    i: usize,
) -> Var<'t, T> {
    let x = inputs[i];
    match op {
        MovementOp::Reshape => g.reshape(&x.shape()),
        MovementOp::Permute { aux } => {
            let rank = x.ndim();
            let perm: Vec<usize> = g.tape().borrow().aux[aux as usize..aux as usize + rank].to_vec();
            let mut inverse = vec![0; rank];
            for (k, &p) in perm.iter().enumerate() {
                inverse[p] = k;
            }
            g.permute(&inverse)
        }
        MovementOp::Expand => g.sum_to(&x.shape()),
        MovementOp::Narrow { axis, start } => g.pad(axis as usize, start as usize, x.shape()[axis as usize]),
        MovementOp::Pad { axis, start } => g.narrow(axis as isize, start as usize, x.shape()[axis as usize]),
        MovementOp::Concat { axis } => {
            let offset: usize = inputs[..i].iter().map(|p| p.shape()[axis as usize]).sum();
            g.narrow(axis as isize, offset, x.shape()[axis as usize])
        }
    }
}

/// `o[i] = x[s]` for every element `i` of `shape` (row-major `o`), `s` its offset through the
/// source strides `src`; split over threads by rows of the output's first axis.
fn copy_strided<T: Float>(shape: &[usize], src: &[usize], x: &[T], o: &mut [T]) {
    if o.is_empty() || shape.first().is_none_or(|&n| n < 2) {
        copy_runs(shape, src, 0, x, o);
        return;
    }
    let row = o.len() / shape[0];
    crate::threads::for_each_unit_chunk(o, row, o.len(), |start, o| {
        let mut sub = Shape::from(shape);
        sub[0] = o.len() / row;
        copy_runs(&sub, src, start / row * src[0], x, o);
    });
}

/// [`copy_strided`]'s walk from source offset `base`, a run of the last axis at a time: a fill
/// where that axis is broadcast (a bias or a row's maximum expanded along it), a slice copy
/// where it is contiguous, so the common expands cost a `memset` or `memcpy` a row instead of
/// an odometer step an element.
fn copy_runs<T: Float>(shape: &[usize], src: &[usize], base: usize, x: &[T], o: &mut [T]) {
    let (Some((&inner, outer)), Some((&step, outer_src))) = (shape.split_last(), src.split_last()) else {
        // Rank 0: one element.
        for_each_strided(shape, src, base, |i, s| o[i] = x[s]);
        return;
    };
    if inner == 0 {
        return;
    }
    for_each_strided(outer, outer_src, base, |r, s| {
        let run = &mut o[r * inner..][..inner];
        match step {
            0 => run.fill(x[s]),
            1 => run.copy_from_slice(&x[s..][..inner]),
            _ => run.iter_mut().enumerate().for_each(|(j, v)| *v = x[s + j * step]),
        }
    });
}
