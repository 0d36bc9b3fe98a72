//! Ops that pick elements by integer index: `index_select` (whole slices along an axis) and
//! `gather` (one element per position, e.g. the target class of each row), with their adjoints
//! `index_add` and `scatter_add`, which are primitives too, so derivatives of any order work.

use crate::dtype::Float;
use crate::error::{Error, Result};
use crate::op::Op;
use crate::ops::binary::ok;
use crate::shape::{normalize_axis, numel, Shape};
use crate::tape::Out;
use crate::var::Var;

/// The primitives that pick or place elements by integer index (the list at `aux`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IndexOp {
    IndexSelect {
        axis: u32,
        aux: u32,
    },
    /// The adjoint of index_select (recorded only by its rule).
    IndexAdd {
        axis: u32,
        aux: u32,
    },
    Gather {
        axis: u32,
        aux: u32,
    },
    /// The adjoint of gather (recorded only by its rule).
    ScatterAdd {
        axis: u32,
        aux: u32,
    },
}

impl IndexOp {
    pub(crate) fn name(self) -> &'static str {
        match self {
            IndexOp::IndexSelect { .. } => "index_select",
            IndexOp::IndexAdd { .. } => "index_add",
            IndexOp::Gather { .. } => "gather",
            IndexOp::ScatterAdd { .. } => "scatter_add",
        }
    }

    /// The axis the indices run along.
    pub(crate) fn axis(self) -> u32 {
        match self {
            IndexOp::IndexSelect { axis, .. }
            | IndexOp::IndexAdd { axis, .. }
            | IndexOp::Gather { axis, .. }
            | IndexOp::ScatterAdd { axis, .. } => axis,
        }
    }
}

/// Sizes of the axes before `axis`, at `axis`, and after it.
fn split(shape: &[usize], axis: usize) -> (usize, usize, usize) {
    (numel(&shape[..axis]), shape[axis], numel(&shape[axis + 1..]))
}

impl<'t, T: Float> Var<'t, T> {
    #[track_caller]
    fn aux_indices(&self, aux: u32, n: usize) -> Vec<usize> {
        self.tape().borrow().aux[aux as usize..aux as usize + n].to_vec()
    }

    /// The slices at `indices` along `axis`, in that order (repeats allowed), like
    /// `torch.index_select`. Derivative: each slice's gradient added back at its index
    /// (summed where an index repeats).
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]).unwrap());
    /// let y = x.index_select(0, &[2, 0, 2]);
    /// assert_eq!(y.value().to_vec(), vec![5.0, 6.0, 1.0, 2.0, 5.0, 6.0]);
    /// assert_eq!(y.sum().backward()[x].to_vec(), vec![1.0, 1.0, 0.0, 0.0, 2.0, 2.0]);
    /// ```
    #[track_caller]
    pub fn try_index_select(self, axis: isize, indices: &[usize]) -> Result<Self> {
        let shape = self.shape();
        let ax = normalize_axis("index_select", axis, &shape)?;
        if let Some(&bad) = indices.iter().find(|&&i| i >= shape[ax]) {
            return Err(Error::InvalidArgument {
                op: "index_select",
                shape,
                message: format!("index {bad} is out of range for axis {ax}"),
            });
        }
        let aux = self.tape().push_aux(indices.iter().copied());
        Ok(self.index_select_aux(ax, aux, indices.len()))
    }

    /// Panicking form of [`try_index_select`](Self::try_index_select).
    #[track_caller]
    pub fn index_select(self, axis: isize, indices: &[usize]) -> Self {
        ok(self.try_index_select(axis, indices))
    }

    #[track_caller]
    fn index_select_aux(self, ax: usize, aux: u32, n: usize) -> Self {
        let shape = self.shape();
        let idx_list = self.aux_indices(aux, n);
        let mut out: Shape = shape.clone();
        out[ax] = n;
        let op = Op::Index(IndexOp::IndexSelect { axis: ax as u32, aux });
        let id = self
            .tape()
            .record(op, &[self.idx()], &out, Out::Overwritten, |ins, o| {
                index_select_kernel(&shape, ax, &idx_list, ins[0], o)
            });
        Var::new(self.tape(), id)
    }

    /// Adds the slices of `self` into zeros of size `size` along `ax` at the listed indices.
    #[track_caller]
    fn index_add_aux(self, ax: usize, aux: u32, size: usize) -> Self {
        let shape = self.shape();
        let n = shape[ax];
        let idx_list = self.aux_indices(aux, n);
        let mut out: Shape = shape.clone();
        out[ax] = size;
        let op = Op::Index(IndexOp::IndexAdd { axis: ax as u32, aux });
        let id = self
            .tape()
            .record(op, &[self.idx()], &out, Out::Zeroed, |ins, o| {
                index_add_kernel(&shape, ax, &idx_list, size, ins[0], o)
            });
        Var::new(self.tape(), id)
    }

    /// Picks one element along `axis` for every position of the other axes: the result has
    /// `axis` removed and `out[.., ..] = x[.., indices[..], ..]`. With a `[batch, classes]`
    /// input and `axis = -1`, it picks each row's target class. `indices` has one entry per
    /// output element, row-major. Derivative: the gradient scattered back to the picked
    /// positions, zeros elsewhere.
    ///
    /// ```
    /// # use chainrule::{Tape, Tensor};
    /// let t = Tape::<f64>::new();
    /// let x = t.var(Tensor::from_vec(vec![0.1, 0.7, 0.2, 0.5, 0.3, 0.2], &[2, 3]).unwrap());
    /// let picked = x.gather(-1, &[1, 0]);
    /// assert_eq!(picked.value().to_vec(), vec![0.7, 0.5]);
    /// assert_eq!(picked.sum().backward()[x].to_vec(), vec![0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
    /// ```
    #[track_caller]
    pub fn try_gather(self, axis: isize, indices: &[usize]) -> Result<Self> {
        let shape = self.shape();
        let ax = normalize_axis("gather", axis, &shape)?;
        let (outer, size, inner) = split(&shape, ax);
        if indices.len() != outer * inner {
            return Err(Error::InvalidArgument {
                op: "gather",
                shape,
                message: format!(
                    "needs one index per output element ({}), got {}",
                    outer * inner,
                    indices.len()
                ),
            });
        }
        if let Some(&bad) = indices.iter().find(|&&i| i >= size) {
            return Err(Error::InvalidArgument {
                op: "gather",
                shape,
                message: format!("index {bad} is out of range for axis {ax}"),
            });
        }
        let aux = self.tape().push_aux(indices.iter().copied());
        Ok(self.gather_aux(ax, aux))
    }

    /// Panicking form of [`try_gather`](Self::try_gather).
    #[track_caller]
    pub fn gather(self, axis: isize, indices: &[usize]) -> Self {
        ok(self.try_gather(axis, indices))
    }

    #[track_caller]
    fn gather_aux(self, ax: usize, aux: u32) -> Self {
        let shape = self.shape();
        let (outer, _, inner) = split(&shape, ax);
        let idx_list = self.aux_indices(aux, outer * inner);
        let out: Shape = shape
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != ax)
            .map(|(_, &d)| d)
            .collect();
        let op = Op::Index(IndexOp::Gather { axis: ax as u32, aux });
        let id = self
            .tape()
            .record(op, &[self.idx()], &out, Out::Overwritten, |ins, o| {
                gather_kernel(&shape, ax, &idx_list, ins[0], o)
            });
        Var::new(self.tape(), id)
    }

    /// Places each element of `self` (shape without `ax`) at its index along a new axis `ax` of
    /// size `size`, zeros elsewhere (the adjoint of gather).
    #[track_caller]
    fn scatter_add_aux(self, ax: usize, aux: u32, size: usize) -> Self {
        let shape = self.shape();
        let mut out: Shape = shape.clone();
        out.insert(ax, size);
        let (outer, _, inner) = split(&out, ax);
        let idx_list = self.aux_indices(aux, outer * inner);
        let op = Op::Index(IndexOp::ScatterAdd { axis: ax as u32, aux });
        let id = self
            .tape()
            .record(op, &[self.idx()], &out, Out::Zeroed, |ins, o| {
                scatter_add_kernel(&out, ax, &idx_list, ins[0], o)
            });
        Var::new(self.tape(), id)
    }
}

/// The index_select kernel: the slices of `x` (shape `shape`) at `idx` along `ax`.
pub(crate) fn index_select_kernel<T: Float>(shape: &[usize], ax: usize, idx: &[usize], x: &[T], o: &mut [T]) {
    let (outer, size, inner) = split(shape, ax);
    let n = idx.len();
    for b in 0..outer {
        for (k, &j) in idx.iter().enumerate() {
            let src = &x[(b * size + j) * inner..][..inner];
            o[(b * n + k) * inner..][..inner].copy_from_slice(src);
        }
    }
}

/// The index_add kernel (into zeros): the slices of `x` (shape `shape`, one per index along
/// `ax`) added at `idx` along an axis of size `size`.
pub(crate) fn index_add_kernel<T: Float>(
    shape: &[usize],
    ax: usize,
    idx: &[usize],
    size: usize,
    x: &[T],
    o: &mut [T],
) {
    let (outer, n, inner) = split(shape, ax);
    for b in 0..outer {
        for (k, &j) in idx.iter().enumerate() {
            let src = &x[(b * n + k) * inner..][..inner];
            for (d, &s) in o[(b * size + j) * inner..][..inner].iter_mut().zip(src) {
                *d += s;
            }
        }
    }
}

/// The gather kernel: one element of `x` (shape `shape`) per position, at `idx` along `ax`.
pub(crate) fn gather_kernel<T: Float>(shape: &[usize], ax: usize, idx: &[usize], x: &[T], o: &mut [T]) {
    let (outer, size, inner) = split(shape, ax);
    for b in 0..outer {
        for i in 0..inner {
            let p = b * inner + i;
            o[p] = x[(b * size + idx[p]) * inner + i];
        }
    }
}

/// The scatter_add kernel (into zeros of shape `out`): each element of `x` added at its index
/// along `ax`.
pub(crate) fn scatter_add_kernel<T: Float>(out: &[usize], ax: usize, idx: &[usize], x: &[T], o: &mut [T]) {
    let (outer, size, inner) = split(out, ax);
    for b in 0..outer {
        for i in 0..inner {
            let p = b * inner + i;
            o[(b * size + idx[p]) * inner + i] += x[p];
        }
    }
}

/// The derivative rules of the index ops: each one's adjoint.
pub(crate) fn vjp<'t, T: Float>(op: IndexOp, g: Var<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
    let shape = x.shape();
    match op {
        IndexOp::IndexSelect { axis, aux } => g.index_add_aux(axis as usize, aux, shape[axis as usize]),
        IndexOp::IndexAdd { axis, aux } => g.index_select_aux(axis as usize, aux, shape[axis as usize]),
        IndexOp::Gather { axis, aux } => g.scatter_add_aux(axis as usize, aux, shape[axis as usize]),
        IndexOp::ScatterAdd { axis, aux } => g.gather_aux(axis as usize, aux),
    }
}
