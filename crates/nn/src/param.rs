//! Parameters: tensors that live outside any tape, under stable PyTorch-style names, bound as
//! leaves on each step's tape.

use autograd::{Float, Gradients, Tape, Tensor, Var};
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

/// One parameter: its value and whether it is frozen (bound as a constant, never updated).
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
}

impl<T: Float> Param<T> {
    /// The current value.
    pub fn value(&self) -> &Tensor<T> {
        &self.value
    }

    /// Whether the parameter is frozen: bound as a constant, no gradient, no update.
    pub fn frozen(&self) -> bool {
        self.frozen
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
        let name = name.into();
        if self.params.contains_key(&name) {
            return Err(ParamError::Duplicate(name));
        }
        let (i, _) = self.params.insert_full(name, Param { value, frozen: false });
        Ok(ParamId(i))
    }

    /// The number of parameters (tensors).
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// The total number of scalar parameters (elements of all tensors).
    pub fn num_params(&self) -> usize {
        self.params.values().map(|p| p.value().numel()).sum()
    }

    /// The number of scalar parameters that are not frozen.
    pub fn num_trainable(&self) -> usize {
        self.params
            .values()
            .filter(|p| !p.frozen)
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

    /// Freezes or unfreezes a parameter: a frozen one is bound as a constant.
    pub fn set_frozen(&mut self, name: &str, frozen: bool) -> Result<(), ParamError> {
        let p = self
            .params
            .get_mut(name)
            .ok_or_else(|| ParamError::Unknown(name.into()))?;
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

    /// Binds every parameter as a leaf of `tape`: a variable, or a constant if frozen.
    pub fn bind<'t>(&self, tape: &'t Tape<T>) -> Bound<'t, T> {
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
        Bound { vars }
    }
}

/// The parameters of a store bound on one tape, by [`ParamId`].
#[derive(Clone, Debug)]
pub struct Bound<'t, T: Float = f64> {
    vars: Vec<Var<'t, T>>,
}

impl<'t, T: Float> Bound<'t, T> {
    /// The variable bound for a parameter.
    pub fn get(&self, id: ParamId) -> Var<'t, T> {
        self.vars[id.0]
    }

    /// Every bound parameter, in store order (frozen ones are constants), e.g. for a penalty
    /// over all weights: `loss::l2_penalty(bound.vars())`.
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

    /// The gradients of every parameter, in store order (`None` for frozen ones), taken out of
    /// the gradients of a loss (moved, not copied).
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
