//! Parameters and buffers: tensors that live outside any tape, under stable PyTorch-style
//! names, bound as leaves on each step's tape.

use crate::bound::{Bound, Mode};
use autograd::{Float, Tape, Tensor};
use indexmap::IndexMap;

/// A handle to one parameter of a [`ParamStore`] (its insertion position).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ParamId(pub(crate) usize);

impl ParamId {
    /// The position of the parameter in its store (insertion order).
    pub fn index(self) -> usize {
        self.0
    }
}

/// One entry of a [`ParamStore`]: its value, whether it is frozen (bound as a constant, never
/// updated by an optimiser) and whether it is a buffer (PyTorch's `register_buffer`: state
/// such as [`BatchNorm1d`](crate::BatchNorm1d)'s running mean, always frozen, saved with the
/// weights, updated by its module in training mode, not counted as a parameter).
///
/// The fields are private so that a value can only be replaced through
/// [`ParamStore::set`] / [`ParamStore::set_by_id`], which keep its shape: the model built on
/// the store relies on it.
///
/// ```
/// use chainrule::Tensor;
/// use chainrule::nn::ParamStore;
/// let mut ps = ParamStore::<f64>::new();
/// let w = ps.add("w", Tensor::from(vec![1.0, 2.0])).unwrap();
/// assert_eq!(ps.get(w).value().to_vec(), vec![1.0, 2.0]);
/// assert!(!ps.get(w).frozen());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Param<T: Float = f64> {
    value: Tensor<T>,
    frozen: bool,
    buffer: bool,
}

impl<T: Float> Param<T> {
    /// The current value.
    pub fn value(&self) -> &Tensor<T> {
        &self.value
    }

    /// Whether the parameter is frozen: bound as a constant, no gradient, no update (always
    /// true for a buffer).
    pub fn frozen(&self) -> bool {
        self.frozen
    }

    /// Whether this entry is a buffer rather than a parameter.
    pub fn is_buffer(&self) -> bool {
        self.buffer
    }

    /// The value's elements, to be updated in place by an optimiser (the shape cannot change).
    pub(crate) fn value_mut(&mut self) -> &mut [T] {
        self.value.as_mut_slice()
    }
}

/// All parameters of a model, in insertion order, by name (`layers.0.weight`, ...).
///
/// ```
/// use chainrule::nn::ParamStore;
/// use chainrule::Tensor;
/// let mut ps = ParamStore::<f64>::new();
/// let w = ps.add("layers.0.weight", Tensor::zeros(&[3, 2])).unwrap();
/// assert_eq!(ps.num_params(), 6);
/// assert_eq!(ps.name(w), "layers.0.weight");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParamStore<T: Float = f64> {
    params: IndexMap<String, Param<T>>,
}

/// Errors of the parameter store.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// A parameter of that name already exists.
    #[error("a parameter named {0:?} already exists")]
    Duplicate(String),
    /// No parameter has that name.
    #[error("no parameter named {0:?}")]
    Unknown(String),
    /// A buffer cannot be unfrozen: it is not trained.
    #[error("{0:?} is a buffer, which is never trained")]
    Buffer(String),
    /// A new value does not have the parameter's shape.
    #[error("parameter {name:?} has shape {expected:?}, got {got:?}")]
    Shape {
        /// The parameter.
        name: String,
        /// Its shape.
        expected: Vec<usize>,
        /// The shape given.
        got: Vec<usize>,
    },
}

impl<T: Float> ParamStore<T> {
    /// An empty store.
    pub fn new() -> Self {
        Self {
            params: IndexMap::new(),
        }
    }

    /// Adds a parameter under a new name.
    pub fn add(&mut self, name: impl Into<String>, value: Tensor<T>) -> Result<ParamId, ParamError> {
        self.insert(name.into(), value, false)
    }

    /// Adds a buffer under a new name: an entry bound as a constant, never trained, saved and
    /// loaded with the parameters (PyTorch's `register_buffer`), and updated by its module
    /// through [`ParamStore::update_buffers`].
    ///
    /// ```
    /// use chainrule::Tensor;
    /// use chainrule::nn::ParamStore;
    /// let mut ps = ParamStore::<f64>::new();
    /// ps.add("w", Tensor::zeros(&[3])).unwrap();
    /// let m = ps.add_buffer("running_mean", Tensor::zeros(&[3])).unwrap();
    /// assert!(ps.get(m).is_buffer() && ps.get(m).frozen());
    /// assert_eq!((ps.len(), ps.num_params(), ps.num_buffers()), (2, 3, 3));
    /// ```
    pub fn add_buffer(&mut self, name: impl Into<String>, value: Tensor<T>) -> Result<ParamId, ParamError> {
        self.insert(name.into(), value, true)
    }

    fn insert(&mut self, name: String, value: Tensor<T>, buffer: bool) -> Result<ParamId, ParamError> {
        if self.params.contains_key(&name) {
            return Err(ParamError::Duplicate(name));
        }
        let param = Param {
            value,
            frozen: buffer,
            buffer,
        };
        let (i, _) = self.params.insert_full(name, param);
        Ok(ParamId(i))
    }

    /// The number of entries (parameter and buffer tensors).
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// The total number of scalar parameters (elements of all parameter tensors; buffers are
    /// not parameters).
    pub fn num_params(&self) -> usize {
        self.count(|p| !p.buffer)
    }

    /// The number of scalar parameters that are not frozen.
    pub fn num_trainable(&self) -> usize {
        self.count(|p| !p.frozen)
    }

    /// The number of scalars held in buffers.
    pub fn num_buffers(&self) -> usize {
        self.count(|p| p.buffer)
    }

    fn count(&self, which: impl Fn(&Param<T>) -> bool) -> usize {
        self.params
            .values()
            .filter(|p| which(p))
            .map(|p| p.value().numel())
            .sum()
    }

    /// The id of the parameter called `name`.
    pub fn id(&self, name: &str) -> Option<ParamId> {
        self.params.get_index_of(name).map(ParamId)
    }

    /// The name of a parameter.
    ///
    /// # Panics
    /// If `id` is not from this store.
    pub fn name(&self, id: ParamId) -> &str {
        self.params.get_index(id.0).expect("a ParamId of this store").0
    }

    /// A parameter by id.
    pub fn get(&self, id: ParamId) -> &Param<T> {
        &self.params[id.0]
    }

    /// A parameter's value by name.
    pub fn value(&self, name: &str) -> Option<&Tensor<T>> {
        self.params.get(name).map(|p| &p.value)
    }

    /// Replaces a parameter's value (same shape required).
    ///
    /// ```
    /// use chainrule::Tensor;
    /// use chainrule::nn::ParamStore;
    /// let mut ps = ParamStore::<f64>::new();
    /// ps.add("w", Tensor::zeros(&[2])).unwrap();
    /// ps.set("w", Tensor::from(vec![3.0, 4.0])).unwrap();
    /// assert_eq!(ps.value("w").unwrap().to_vec(), vec![3.0, 4.0]);
    /// let err = ps.set("w", Tensor::zeros(&[3])).unwrap_err();
    /// assert_eq!(err.to_string(), r#"parameter "w" has shape [2], got [3]"#);
    /// ```
    pub fn set(&mut self, name: &str, value: Tensor<T>) -> Result<(), ParamError> {
        let id = self.id(name).ok_or_else(|| ParamError::Unknown(name.into()))?;
        self.set_by_id(id, value)
    }

    /// Replaces the value of the parameter `id` (same shape required).
    ///
    /// # Panics
    /// If `id` is not from this store.
    pub fn set_by_id(&mut self, id: ParamId, value: Tensor<T>) -> Result<(), ParamError> {
        let (name, p) = self.params.get_index_mut(id.0).expect("a ParamId of this store");
        if p.value().shape() != value.shape() {
            return Err(ParamError::Shape {
                name: name.clone(),
                expected: p.value().shape().to_vec(),
                got: value.shape().to_vec(),
            });
        }
        p.value = value;
        Ok(())
    }

    /// Freezes or unfreezes a parameter: a frozen one is bound as a constant. A buffer cannot
    /// be unfrozen ([`ParamError::Buffer`]).
    pub fn set_frozen(&mut self, name: &str, frozen: bool) -> Result<(), ParamError> {
        let p = self
            .params
            .get_mut(name)
            .ok_or_else(|| ParamError::Unknown(name.into()))?;
        if p.buffer && !frozen {
            return Err(ParamError::Buffer(name.into()));
        }
        p.frozen = frozen;
        Ok(())
    }

    /// `(id, name, param)` in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (ParamId, &str, &Param<T>)> {
        self.params
            .iter()
            .enumerate()
            .map(|(i, (n, p))| (ParamId(i), n.as_str(), p))
    }

    /// Mutable `(name, param)` in insertion order, for the optimisers (which keep shapes).
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Param<T>)> {
        self.params.iter_mut().map(|(n, p)| (n.as_str(), p))
    }

    /// Binds every parameter as a leaf of `tape`, in training mode (PyTorch's default): a
    /// variable, or a constant if frozen or a buffer. The same as
    /// `bind_mode(tape, Mode::Train)`.
    pub fn bind<'t>(&self, tape: &'t Tape<T>) -> Bound<'t, T> {
        self.bind_mode(tape, Mode::Train)
    }

    /// Binds every parameter in evaluation mode (PyTorch's `model.eval()`): dropout is the
    /// identity and batch normalisation uses its running statistics. The same as
    /// `bind_mode(tape, Mode::Eval)`.
    ///
    /// ```
    /// use chainrule::Tape;
    /// use chainrule::nn::{Mode, ParamStore};
    /// let tape = Tape::new();
    /// assert_eq!(ParamStore::<f64>::new().bind_eval(&tape).mode(), Mode::Eval);
    /// ```
    pub fn bind_eval<'t>(&self, tape: &'t Tape<T>) -> Bound<'t, T> {
        self.bind_mode(tape, Mode::Eval)
    }

    /// Binds every parameter as a leaf of `tape` (constants if frozen or buffers), for a
    /// forward pass in `mode`, which the modules read through [`Bound::mode`].
    ///
    /// ```
    /// use chainrule::Tape;
    /// use chainrule::nn::{Mode, ParamStore};
    /// let ps = ParamStore::<f64>::new();
    /// let tape = Tape::new();
    /// assert_eq!(ps.bind(&tape).mode(), Mode::Train);
    /// assert!(!ps.bind_mode(&tape, Mode::Eval).training());
    /// ```
    pub fn bind_mode<'t>(&self, tape: &'t Tape<T>, mode: Mode) -> Bound<'t, T> {
        let vars = self
            .params
            .values()
            .map(|p| {
                if p.frozen() {
                    tape.constant_from(&p.value)
                } else {
                    tape.var_from(&p.value)
                }
            })
            .collect();
        Bound::new(vars, mode)
    }

    /// Writes the buffer values that the modules computed during a training-mode forward pass
    /// on `bound` (the running statistics of [`BatchNorm1d`](crate::BatchNorm1d)) into the
    /// store. Call it once per training step after the forward pass, as
    /// [`train::fit`](crate::train::fit) does; without it the buffers keep their values. A
    /// no-op for a model without buffers or a binding in evaluation mode.
    ///
    /// # Panics
    /// If `bound` was not bound from this store (an update of another shape).
    pub fn update_buffers(&mut self, bound: &Bound<'_, T>) {
        for (id, value) in bound.take_buffer_updates() {
            self.set_by_id(id, value)
                .expect("a buffer update of the buffer's shape");
        }
    }
}
