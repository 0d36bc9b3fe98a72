//! Neurons, linear and dense layers: expressions of autograd ops over bound parameters.

use crate::activation::Activation;
use crate::bound::Bound;
use crate::init::Init;
use crate::module::{Module, ModuleSpec};
use crate::param::{ParamError, ParamId, ParamStore};
use autograd::{Float, Var};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// The note's unit: `a = h(w . x + b)` for an input vector `x` of `n` features (a scalar input
/// when `n = 1`), or a batch `[m, n]` giving `m` outputs.
///
/// ```
/// use chainrule::{Tape, Tensor};
/// use chainrule::nn::{Activation, Module, Neuron, ParamStore};
/// let mut ps = ParamStore::<f64>::new();
/// let n = Neuron::new(&mut ps, "neuron", 1, Activation::Sigmoid).unwrap();
/// ps.set("neuron.weight", Tensor::from(vec![0.5])).unwrap();
/// ps.set("neuron.bias", Tensor::scalar(0.5)).unwrap();
/// let tape = Tape::new();
/// let a = n.forward(&ps.bind(&tape), tape.constant(Tensor::from(vec![1.0])));
/// assert!((a.item() - 1.0 / (1.0 + (-1.0f64).exp())).abs() < 1e-15); // sigmoid(1*0.5 + 0.5)
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Neuron {
    weight: ParamId,
    bias: ParamId,
    activation: Activation,
}

impl Neuron {
    /// A neuron with `n` inputs, weights and bias zero (set them with [`ParamStore::set`]),
    /// parameters named `{prefix}.weight` (shape `[n]`) and `{prefix}.bias` (a scalar).
    pub fn new<T: Float>(
        ps: &mut ParamStore<T>,
        prefix: &str,
        n: usize,
        activation: Activation,
    ) -> Result<Self, ParamError> {
        Ok(Self {
            weight: ps.add(format!("{prefix}.weight"), autograd::Tensor::zeros(&[n]))?,
            bias: ps.add(format!("{prefix}.bias"), autograd::Tensor::scalar(T::zero()))?,
            activation,
        })
    }

    /// The activation `h`.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The weight and the bias (the same as [`Module::parameters`], callable without naming
    /// the element type).
    pub fn parameters(&self) -> Vec<ParamId> {
        vec![self.weight, self.bias]
    }
}

impl<T: Float> Module<T> for Neuron {
    fn forward<'t>(&self, p: &Bound<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let z = (x * p[self.weight]).sum_axes(&[-1], false) + p[self.bias];
        self.activation.apply(z)
    }

    fn parameters(&self) -> Vec<ParamId> {
        Neuron::parameters(self)
    }

    fn replayable(&self) -> bool {
        true
    }
}

/// A fully connected layer, batch-first as PyTorch's `nn.Linear` followed by an activation:
/// `h(x W^T + b)` with `W: [out, in]`, `b: [out]`, `x: [batch, in]` (or a single `[in]`).
///
/// ```
/// use chainrule::autograd::{Tape, Tensor};
/// use chainrule::nn::{Activation, Dense, Module, ParamStore};
/// let mut ps = ParamStore::<f64>::new();
/// let layer = Dense::new(&mut ps, "fc", 3, 2, Activation::Relu, 0).unwrap();
/// assert_eq!(ps.value("fc.weight").unwrap().shape(), &[2, 3]);
/// let tape = Tape::new();
/// let y = layer.forward(&ps.bind(&tape), tape.constant(Tensor::ones(&[5, 3])));
/// assert_eq!(y.shape().as_slice(), &[5, 2]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    linear: Linear,
    activation: Activation,
}

impl Dense {
    /// A layer with the default initialisation for its activation: Kaiming uniform for
    /// relu-like activations, Xavier uniform otherwise (gain from [`Activation::gain`]),
    /// zero bias; the weights are drawn from a generator seeded with `seed` (the same seed
    /// gives the same weights).
    ///
    /// ```
    /// use chainrule::nn::{Activation, Dense, ParamStore};
    /// let (mut a, mut b) = (ParamStore::<f32>::new(), ParamStore::<f32>::new());
    /// Dense::new(&mut a, "fc", 4, 3, Activation::Tanh, 7).unwrap();
    /// Dense::new(&mut b, "fc", 4, 3, Activation::Tanh, 7).unwrap();
    /// assert_eq!(a, b);
    /// ```
    pub fn new<T: Float>(
        ps: &mut ParamStore<T>,
        prefix: &str,
        inputs: usize,
        outputs: usize,
        activation: Activation,
        seed: u64,
    ) -> Result<Self, ParamError> {
        Self::new_from(
            ps,
            prefix,
            inputs,
            outputs,
            activation,
            &mut StdRng::seed_from_u64(seed),
        )
    }

    /// [`Dense::new`] drawing from a generator shared with other layers.
    pub(crate) fn new_from<T: Float>(
        ps: &mut ParamStore<T>,
        prefix: &str,
        inputs: usize,
        outputs: usize,
        activation: Activation,
        rng: &mut StdRng,
    ) -> Result<Self, ParamError> {
        let init = match activation {
            Activation::Relu | Activation::LeakyRelu(_) => Init::KaimingUniform {
                gain: activation.gain(),
            },
            _ => Init::XavierUniform {
                gain: activation.gain(),
            },
        };
        Self::with_init_from(ps, prefix, inputs, outputs, activation, [init, Init::Zeros], rng)
    }

    /// A layer with explicit initialisations `[weight, bias]`, drawn from a generator seeded
    /// with `seed`.
    ///
    /// ```
    /// use chainrule::nn::{Activation, Dense, Init, ParamStore};
    /// let mut ps = ParamStore::<f64>::new();
    /// let inits = [Init::Constant(0.5), Init::Constant(-1.0)];
    /// Dense::with_init(&mut ps, "fc", 2, 3, Activation::Identity, inits, 0).unwrap();
    /// assert_eq!(ps.value("fc.bias").unwrap().as_slice(), &[-1.0; 3]);
    /// ```
    pub fn with_init<T: Float>(
        ps: &mut ParamStore<T>,
        prefix: &str,
        inputs: usize,
        outputs: usize,
        activation: Activation,
        inits: [Init; 2],
        seed: u64,
    ) -> Result<Self, ParamError> {
        Self::with_init_from(
            ps,
            prefix,
            inputs,
            outputs,
            activation,
            inits,
            &mut StdRng::seed_from_u64(seed),
        )
    }

    fn with_init_from<T: Float>(
        ps: &mut ParamStore<T>,
        prefix: &str,
        inputs: usize,
        outputs: usize,
        activation: Activation,
        inits: [Init; 2],
        rng: &mut StdRng,
    ) -> Result<Self, ParamError> {
        Ok(Self {
            linear: Linear::with_inits(ps, prefix, inputs, outputs, inits, true, rng)?,
            activation,
        })
    }

    /// The activation `h`.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The weight's id.
    pub fn weight(&self) -> ParamId {
        self.linear.weight
    }

    /// The bias's id.
    pub fn bias(&self) -> ParamId {
        self.linear.bias.expect("a dense layer has a bias")
    }

    /// The weight and the bias (the same as [`Module::parameters`], callable without naming
    /// the element type).
    pub fn parameters(&self) -> Vec<ParamId> {
        self.linear.parameters()
    }
}

impl<T: Float> Module<T> for Dense {
    fn forward<'t>(&self, p: &Bound<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        self.activation.apply(self.linear.forward(p, x))
    }

    fn parameters(&self) -> Vec<ParamId> {
        Dense::parameters(self)
    }

    fn replayable(&self) -> bool {
        true
    }

    /// `Dense(in_features=3, out_features=2, activation=relu)`.
    fn spec(&self) -> ModuleSpec {
        ModuleSpec::new("Dense")
            .with("in_features", self.linear.inputs)
            .with("out_features", self.linear.outputs)
            .with("activation", self.activation)
    }
}

/// PyTorch's `nn.Linear`: `x W^T + b` with `W: [out, in]`, `b: [out]` (optional), batch-first
/// (`x: [batch, in]` or a single `[in]`), parameters `{prefix}.weight` and `{prefix}.bias`.
/// Initialised as PyTorch does: weight and bias uniform on `[-1/sqrt(in), 1/sqrt(in))`.
///
/// ```
/// use chainrule::{Tape, Tensor};
/// use chainrule::nn::{Linear, Module, ParamStore};
/// let mut ps = ParamStore::<f64>::new();
/// let fc = Linear::new(&mut ps, "fc", 4, 2, 0).unwrap();
/// assert!(ps.value("fc.weight").unwrap().as_slice().iter().all(|w| w.abs() <= 0.5));
/// let tape = Tape::new();
/// let y = fc.forward(&ps.bind(&tape), tape.constant(Tensor::ones(&[3, 4])));
/// assert_eq!(y.shape().as_slice(), &[3, 2]);
/// assert_eq!(Module::<f64>::spec(&fc).to_string(), "Linear(in_features=4, out_features=2, bias=true)");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    weight: ParamId,
    bias: Option<ParamId>,
    inputs: usize,
    outputs: usize,
}

impl Linear {
    /// A layer with a bias and PyTorch's initialisation, drawn from a generator seeded with
    /// `seed`.
    pub fn new<T: Float>(
        ps: &mut ParamStore<T>,
        prefix: &str,
        inputs: usize,
        outputs: usize,
        seed: u64,
    ) -> Result<Self, ParamError> {
        Self::new_from(
            ps,
            prefix,
            inputs,
            outputs,
            true,
            &mut StdRng::seed_from_u64(seed),
        )
    }

    /// [`Linear::new`], with or without a bias, drawing from a generator shared with other
    /// layers.
    pub(crate) fn new_from<T: Float>(
        ps: &mut ParamStore<T>,
        prefix: &str,
        inputs: usize,
        outputs: usize,
        bias: bool,
        rng: &mut StdRng,
    ) -> Result<Self, ParamError> {
        // kaiming_uniform_(a = sqrt(5)) for the weight and U(-1/sqrt(in), 1/sqrt(in)) for the
        // bias reduce to the same bound.
        let a = 1.0 / (inputs.max(1) as f64).sqrt();
        let init = Init::Uniform { low: -a, high: a };
        Self::with_inits(ps, prefix, inputs, outputs, [init, init], bias, rng)
    }

    fn with_inits<T: Float>(
        ps: &mut ParamStore<T>,
        prefix: &str,
        inputs: usize,
        outputs: usize,
        [weight_init, bias_init]: [Init; 2],
        bias: bool,
        rng: &mut StdRng,
    ) -> Result<Self, ParamError> {
        let w = weight_init.sample_from(&[outputs, inputs], inputs, outputs, rng);
        // Drawn even without a bias, so that the layers after it get the same weights.
        let b = bias_init.sample_from(&[outputs], inputs, outputs, rng);
        Ok(Self {
            weight: ps.add(format!("{prefix}.weight"), w)?,
            bias: bias.then(|| ps.add(format!("{prefix}.bias"), b)).transpose()?,
            inputs,
            outputs,
        })
    }

    /// The weight's id.
    pub fn weight(&self) -> ParamId {
        self.weight
    }

    /// The bias's id, if the layer has one.
    pub fn bias(&self) -> Option<ParamId> {
        self.bias
    }

    /// The weight and the bias if any (the same as [`Module::parameters`]).
    pub fn parameters(&self) -> Vec<ParamId> {
        std::iter::once(self.weight).chain(self.bias).collect()
    }
}

impl<T: Float> Module<T> for Linear {
    fn forward<'t>(&self, p: &Bound<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        x.linear(p[self.weight], self.bias.map(|b| p[b]))
    }

    fn parameters(&self) -> Vec<ParamId> {
        Linear::parameters(self)
    }

    fn replayable(&self) -> bool {
        true
    }

    fn spec(&self) -> ModuleSpec {
        ModuleSpec::new("Linear")
            .with("in_features", self.inputs)
            .with("out_features", self.outputs)
            .with("bias", self.bias.is_some())
    }
}

/// Errors building a layer stack.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum LayerError {
    /// Not one activation per layer.
    #[error("{sizes} layer sizes need {} activations, got {got}", sizes.saturating_sub(1))]
    Activations {
        /// The number of layer sizes given (inputs first).
        sizes: usize,
        /// The number of activations given.
        got: usize,
    },
    /// A parameter name is taken.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// A dropout probability outside `[0, 1]` (PyTorch's message).
    #[error("dropout probability has to be between 0 and 1, but got {0}")]
    Probability(f64),
}
