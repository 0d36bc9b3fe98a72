//! [`SequentialBuilder`]: appends modules named by position and initialised from one seed;
//! [`Mlp`], the builder of a stack of dense layers.

use super::{BoxedModule, Sequential};
use crate::act::{Identity, LeakyReLU, ReLU, SiLU, Sigmoid, Softmax, Tanh};
use crate::activation::Activation;
use crate::dropout::Dropout;
use crate::layers::{Dense, LayerError, Linear};
use crate::module::Module;
use crate::norm::{BatchNorm1d, LayerNorm};
use crate::param::ParamStore;
use autograd::Float;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardUniform};

/// Builds a [`Sequential`] in a [`ParamStore`]: each module's parameters are named after its
/// position (`0.weight`, `3.running_var`; `{prefix}.0.weight` with [`prefix`](Self::prefix)),
/// and every random initialisation and dropout seed is drawn from one generator seeded once,
/// so the seed fixes the whole model. The first error (a name already taken, a dropout
/// probability outside `[0, 1]`) is kept and returned by [`build`](Self::build); later calls
/// do nothing, so the calls chain without `?`.
///
/// ```
/// use chainrule::nn::{ParamStore, Sequential};
/// let mut ps = ParamStore::<f32>::new();
/// let err = Sequential::builder(&mut ps, 0).linear(2, 4).dropout(2.0).relu().build().unwrap_err();
/// assert_eq!(err.to_string(), "dropout probability has to be between 0 and 1, but got 2");
/// ```
pub struct SequentialBuilder<'a, T: Float> {
    ps: &'a mut ParamStore<T>,
    rng: StdRng,
    model: Sequential<T>,
    error: Option<LayerError>,
}

impl<T: Float> Sequential<T> {
    /// A builder adding to `ps`, with initialisations drawn from `seed`.
    pub fn builder(ps: &mut ParamStore<T>, seed: u64) -> SequentialBuilder<'_, T> {
        SequentialBuilder {
            ps,
            rng: StdRng::seed_from_u64(seed),
            model: Sequential::new(),
            error: None,
        }
    }
}

impl<'a, T: Float> SequentialBuilder<'a, T> {
    /// Names the parameters `{prefix}.{i}.weight` instead of `{i}.weight` (as a PyTorch
    /// `Sequential` held in a field `prefix`). Set it before appending.
    ///
    /// ```
    /// use chainrule::nn::{ParamStore, Sequential};
    /// let mut ps = ParamStore::<f64>::new();
    /// Sequential::builder(&mut ps, 0).prefix("layers").linear(2, 1).build().unwrap();
    /// assert!(ps.id("layers.0.bias").is_some());
    /// ```
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.model.prefix = prefix.to_string();
        self
    }

    /// The name prefix of the next module's parameters (`"3"`, or `"layers.3"`).
    fn next_name(&self) -> String {
        let i = self.model.len();
        if self.model.prefix.is_empty() {
            i.to_string()
        } else {
            format!("{}.{i}", self.model.prefix)
        }
    }

    /// Appends the module that `make` returns, given the store, the module's name prefix
    /// (`"3"`) and a seed drawn from the builder's generator: the way to append a module that
    /// has parameters, such as one written outside the crate.
    ///
    /// ```
    /// use chainrule::nn::{Linear, ParamStore, Sequential};
    /// let mut ps = ParamStore::<f64>::new();
    /// let model = Sequential::builder(&mut ps, 0)
    ///     .relu()
    ///     .append_with(|ps, name, seed| Linear::new(ps, name, 2, 3, seed))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(ps.value("1.weight").unwrap().shape(), &[3, 2]);
    /// assert_eq!(model.len(), 2);
    /// ```
    pub fn append_with<M, E>(
        mut self,
        make: impl FnOnce(&mut ParamStore<T>, &str, u64) -> Result<M, E>,
    ) -> Self
    where
        M: Module<T> + Send + Sync + 'static,
        E: Into<LayerError>,
    {
        if self.error.is_none() {
            let name = self.next_name();
            let seed = StandardUniform.sample(&mut self.rng);
            match make(self.ps, &name, seed) {
                Ok(m) => self.model.append(m),
                Err(e) => self.error = Some(e.into()),
            }
        }
        self
    }

    /// Appends the module `make` returns, `None` if it returns `None` (a checkpoint's
    /// resolver that does not know a module type).
    pub(crate) fn append_resolved(
        mut self,
        make: impl FnOnce(&mut ParamStore<T>, &str, u64) -> Option<Result<BoxedModule<T>, LayerError>>,
    ) -> Option<Self> {
        if self.error.is_none() {
            let name = self.next_name();
            let seed = StandardUniform.sample(&mut self.rng);
            match make(self.ps, &name, seed)? {
                Ok(m) => self.model.append_boxed(m),
                Err(e) => self.error = Some(e),
            }
        }
        Some(self)
    }

    /// Appends a module made without the store (an activation), or made by hand.
    pub fn append(mut self, module: impl Module<T> + Send + Sync + 'static) -> Self {
        if self.error.is_none() {
            self.model.append(module);
        }
        self
    }

    /// Appends a [`Linear`] layer with a bias, initialised as PyTorch does.
    pub fn linear(self, in_features: usize, out_features: usize) -> Self {
        self.linear_bias(in_features, out_features, true)
    }

    /// Appends a [`Linear`] layer with or without a bias.
    ///
    /// ```
    /// use chainrule::nn::{ParamStore, Sequential};
    /// let mut ps = ParamStore::<f64>::new();
    /// let model = Sequential::builder(&mut ps, 0).linear_bias(3, 2, false).build().unwrap();
    /// assert_eq!((ps.len(), ps.id("0.bias"), model.parameters().len()), (1, None, 1));
    /// ```
    pub fn linear_bias(mut self, in_features: usize, out_features: usize, bias: bool) -> Self {
        if self.error.is_none() {
            let name = self.next_name();
            match Linear::new_from(self.ps, &name, in_features, out_features, bias, &mut self.rng) {
                Ok(m) => self.model.append(m),
                Err(e) => self.error = Some(e.into()),
            }
        }
        self
    }

    /// Appends a [`Dense`] layer (linear and activation in one module, initialised for the
    /// activation as [`Dense::new`] is).
    ///
    /// ```
    /// use chainrule::nn::{Activation, ParamStore, Sequential};
    /// let mut ps = ParamStore::<f64>::new();
    /// let model = Sequential::builder(&mut ps, 0).dense(3, 2, Activation::Tanh).build().unwrap();
    /// assert_eq!(model.specs()[0].to_string(), "Dense(in_features=3, out_features=2, activation=tanh)");
    /// ```
    pub fn dense(mut self, in_features: usize, out_features: usize, activation: Activation) -> Self {
        if self.error.is_none() {
            let name = self.next_name();
            match Dense::new_from(
                self.ps,
                &name,
                in_features,
                out_features,
                activation,
                &mut self.rng,
            ) {
                Ok(m) => self.model.append(m),
                Err(e) => self.error = Some(e.into()),
            }
        }
        self
    }

    /// Appends a [`LayerNorm`] over a last axis of `normalized_shape` elements.
    pub fn layer_norm(self, normalized_shape: usize) -> Self {
        self.append_with(|ps, name, _| LayerNorm::new(ps, name, normalized_shape))
    }

    /// Appends a [`BatchNorm1d`] of `num_features` features.
    pub fn batch_norm1d(self, num_features: usize) -> Self {
        self.append_with(|ps, name, _| BatchNorm1d::new(ps, name, num_features))
    }

    /// Appends a [`Dropout`] with probability `p`, seeded from the builder's generator.
    pub fn dropout(self, p: f64) -> Self {
        self.append_with(|_, _, seed| Dropout::new(p, seed))
    }

    /// Appends [`ReLU`].
    pub fn relu(self) -> Self {
        self.append(ReLU)
    }

    /// Appends [`Sigmoid`].
    pub fn sigmoid(self) -> Self {
        self.append(Sigmoid)
    }

    /// Appends [`Tanh`].
    pub fn tanh(self) -> Self {
        self.append(Tanh)
    }

    /// Appends [`LeakyReLU`] with the given negative slope.
    pub fn leaky_relu(self, negative_slope: f64) -> Self {
        self.append(LeakyReLU::new(negative_slope))
    }

    /// Appends [`SiLU`].
    pub fn silu(self) -> Self {
        self.append(SiLU)
    }

    /// Appends [`Softmax`] over the last axis.
    pub fn softmax(self) -> Self {
        self.append(Softmax)
    }

    /// Appends [`Identity`].
    pub fn identity(self) -> Self {
        self.append(Identity)
    }

    /// The model, or the first error met.
    pub fn build(self) -> Result<Sequential<T>, LayerError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.model),
        }
    }
}

/// A multilayer perceptron: a [`Sequential`] of [`Dense`] layers named `{prefix}.0`,
/// `{prefix}.1`, ... ([`Mlp::new`] builds it; there is no `Mlp` value).
///
/// ```
/// use chainrule::{Tape, Tensor};
/// use chainrule::nn::{Activation, Mlp, Module, ParamStore};
/// let mut ps = ParamStore::<f32>::new();
/// let mlp = Mlp::new(&mut ps, "layers", &[64, 32, 10], &[Activation::Relu, Activation::Identity], 0).unwrap();
/// assert_eq!(ps.num_params(), 64 * 32 + 32 + 32 * 10 + 10);
/// assert!(ps.id("layers.1.bias").is_some());
/// let tape = Tape::new();
/// let logits = mlp.forward(&ps.bind(&tape), tape.constant(Tensor::zeros(&[8, 64])));
/// assert_eq!(logits.shape().as_slice(), &[8, 10]);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Mlp;

impl Mlp {
    /// An MLP with layer sizes `sizes` (inputs first) and one activation per layer
    /// (`activations.len() == sizes.len() - 1`): an error if the counts differ or a parameter
    /// name is taken. The layers' weights are drawn one after the other from one generator
    /// seeded with `seed`: the same seed gives the same model.
    ///
    /// ```
    /// use chainrule::nn::{Activation, Mlp, ParamStore};
    /// let err = Mlp::new(&mut ParamStore::<f64>::new(), "l", &[2, 3, 1], &[Activation::Relu], 0).unwrap_err();
    /// assert_eq!(err.to_string(), "3 layer sizes need 2 activations, got 1");
    /// let mut ps = ParamStore::<f64>::new();
    /// let mlp = Mlp::new(&mut ps, "layers", &[2, 2, 1], &[Activation::Sigmoid; 2], 0).unwrap();
    /// assert_eq!((mlp.len(), ps.num_params()), (2, 9));
    /// ```
    // A builder: the model it returns is a `Sequential`.
    #[allow(clippy::new_ret_no_self)]
    pub fn new<T: Float>(
        ps: &mut ParamStore<T>,
        prefix: &str,
        sizes: &[usize],
        activations: &[Activation],
        seed: u64,
    ) -> Result<Sequential<T>, LayerError> {
        if activations.len() + 1 != sizes.len() {
            return Err(LayerError::Activations {
                sizes: sizes.len(),
                got: activations.len(),
            });
        }
        sizes
            .windows(2)
            .zip(activations)
            .fold(Sequential::builder(ps, seed).prefix(prefix), |b, (w, &act)| {
                b.dense(w[0], w[1], act)
            })
            .build()
    }
}
