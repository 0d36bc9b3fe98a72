//! [`Bound`]: a store's parameters bound on one tape for one forward pass, with the mode the
//! modules run in and the buffer values they compute.

use crate::param::ParamId;
use autograd::{Float, Gradients, Tensor, Var};
use std::cell::RefCell;

/// Training or evaluation, as PyTorch's `model.train()` / `model.eval()`: chosen when the
/// parameters are bound ([`ParamStore::bind_mode`](crate::ParamStore::bind_mode)) and read by
/// the modules through [`Bound::mode`]. [`Dropout`](crate::Dropout) drops only in training
/// mode; [`BatchNorm1d`](crate::BatchNorm1d) normalises with the batch's statistics and updates
/// its running ones in training mode, and uses the running ones in evaluation mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Training (the default, as in PyTorch).
    #[default]
    Train,
    /// Evaluation (inference).
    Eval,
}

/// The parameters of a store bound on one tape, by [`ParamId`], in a [`Mode`].
///
/// The mode lives here rather than in the modules because `forward` takes `&self`: one model
/// can run a training step and an evaluation side by side, and a module passes the mode on to
/// the modules it contains by passing `p` on. The buffer values computed in training mode
/// ([`Bound::set_buffer`]) wait here until [`ParamStore::update_buffers`](crate::ParamStore::update_buffers)
/// writes them into the store.
#[derive(Clone, Debug)]
pub struct Bound<'t, T: Float = f64> {
    vars: Vec<Var<'t, T>>,
    mode: Mode,
    updates: RefCell<Vec<(ParamId, Tensor<T>)>>,
}

impl<'t, T: Float> Bound<'t, T> {
    pub(crate) fn new(vars: Vec<Var<'t, T>>, mode: Mode) -> Self {
        Self {
            vars,
            mode,
            updates: RefCell::new(Vec::new()),
        }
    }

    /// The variable bound for a parameter.
    pub fn get(&self, id: ParamId) -> Var<'t, T> {
        self.vars[id.0]
    }

    /// The mode of this forward pass.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether this forward pass is in training mode.
    pub fn training(&self) -> bool {
        self.mode == Mode::Train
    }

    /// A buffer's current value: the last one set in this pass by [`Bound::set_buffer`], else
    /// the value bound from the store (so a module run twice in one step updates its running
    /// statistics twice, as in PyTorch).
    pub fn buffer(&self, id: ParamId) -> Tensor<T> {
        let updates = self.updates.borrow();
        match updates.iter().rev().find(|(u, _)| *u == id) {
            Some((_, v)) => v.clone(),
            None => self.vars[id.0].value().clone(),
        }
    }

    /// Records a new value for the buffer `id`, written into the store by
    /// [`ParamStore::update_buffers`](crate::ParamStore::update_buffers) (not differentiated:
    /// buffers are state, not parameters).
    ///
    /// ```
    /// use chainrule::{Tape, Tensor};
    /// use chainrule::nn::ParamStore;
    /// let mut ps = ParamStore::<f64>::new();
    /// let n = ps.add_buffer("count", Tensor::scalar(0.0)).unwrap();
    /// let tape = Tape::new();
    /// let bound = ps.bind(&tape);
    /// bound.set_buffer(n, Tensor::scalar(bound.buffer(n).item() + 1.0));
    /// ps.update_buffers(&bound);
    /// assert_eq!(ps.get(n).value().item(), 1.0);
    /// ```
    pub fn set_buffer(&self, id: ParamId, value: Tensor<T>) {
        self.updates.borrow_mut().push((id, value));
    }

    /// The recorded buffer values, in order, leaving none.
    pub(crate) fn take_buffer_updates(&self) -> Vec<(ParamId, Tensor<T>)> {
        std::mem::take(&mut *self.updates.borrow_mut())
    }

    /// Every bound parameter, in store order (frozen ones and buffers are constants), e.g. for
    /// a penalty over all weights: `loss::l2_penalty(bound.vars())`.
    ///
    /// ```
    /// use chainrule::{Tape, Tensor};
    /// use chainrule::nn::ParamStore;
    /// let mut ps = ParamStore::<f64>::new();
    /// ps.add("w", Tensor::from(vec![1.0, 2.0])).unwrap();
    /// ps.add("b", Tensor::scalar(3.0)).unwrap();
    /// let tape = Tape::new();
    /// let bound = ps.bind(&tape);
    /// assert_eq!(chainrule::nn::loss::l2_penalty(bound.vars()).unwrap().item(), 14.0);
    /// ```
    pub fn vars(&self) -> &[Var<'t, T>] {
        &self.vars
    }

    /// The number of bound parameters.
    pub fn len(&self) -> usize {
        self.vars.len()
    }

    /// Whether no parameter is bound.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// The gradients of every parameter, in store order (`None` for frozen ones and buffers),
    /// taken out of the gradients of a loss (moved, not copied).
    pub fn grads(&self, mut g: Gradients<T>) -> Vec<Option<Tensor<T>>> {
        self.vars.iter().map(|&v| g.remove(v)).collect()
    }
}

impl<'t, T: Float> std::ops::Index<ParamId> for Bound<'t, T> {
    type Output = Var<'t, T>;
    fn index(&self, id: ParamId) -> &Var<'t, T> {
        &self.vars[id.0]
    }
}
