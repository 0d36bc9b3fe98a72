//! Neurons, dense layers and MLPs: expressions of autograd ops over bound parameters.

use crate::activation::Activation;
use crate::init::Init;
use crate::module::Module;
use crate::param::{Bound, ParamError, ParamId, ParamStore};
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
    weight: ParamId,
    bias: ParamId,
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

    /// A layer with explicit weight and bias initialisations, drawn from a generator seeded
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
        [weight_init, bias_init]: [Init; 2],
        seed: u64,
    ) -> Result<Self, ParamError> {
        let inits = [weight_init, bias_init];
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
        [weight_init, bias_init]: [Init; 2],
        rng: &mut StdRng,
    ) -> Result<Self, ParamError> {
        let w = weight_init.sample_from(&[outputs, inputs], inputs, outputs, rng);
        let b = bias_init.sample_from(&[outputs], inputs, outputs, rng);
        Ok(Self {
            weight: ps.add(format!("{prefix}.weight"), w)?,
            bias: ps.add(format!("{prefix}.bias"), b)?,
            activation,
        })
    }

    /// The activation `h`.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// The weight's id.
    pub fn weight(&self) -> ParamId {
        self.weight
    }

    /// The bias's id.
    pub fn bias(&self) -> ParamId {
        self.bias
    }

    /// The weight and the bias (the same as [`Module::parameters`], callable without naming
    /// the element type).
    pub fn parameters(&self) -> Vec<ParamId> {
        vec![self.weight, self.bias]
    }
}

impl<T: Float> Module<T> for Dense {
    fn forward<'t>(&self, p: &Bound<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let z = x.linear(p[self.weight], Some(p[self.bias]));
        self.activation.apply(z)
    }

    fn parameters(&self) -> Vec<ParamId> {
        Dense::parameters(self)
    }
}

/// A multilayer perceptron: dense layers named `{prefix}.0`, `{prefix}.1`, ...
///
/// ```
/// use chainrule::autograd::{Tape, Tensor};
/// use chainrule::nn::{Activation, Mlp, Module, ParamStore};
/// let mut ps = ParamStore::<f32>::new();
/// let mlp = Mlp::new(&mut ps, "layers", &[64, 32, 10], &[Activation::Relu, Activation::Identity], 0).unwrap();
/// assert_eq!(ps.num_params(), 64 * 32 + 32 + 32 * 10 + 10);
/// assert!(ps.id("layers.1.bias").is_some());
/// let tape = Tape::new();
/// let logits = mlp.forward(&ps.bind(&tape), tape.constant(Tensor::zeros(&[8, 64])));
/// assert_eq!(logits.shape().as_slice(), &[8, 10]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    layers: Vec<Dense>,
}

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
    /// assert_eq!((mlp.layers().len(), ps.num_params()), (2, 9));
    /// ```
    pub fn new<T: Float>(
        ps: &mut ParamStore<T>,
        prefix: &str,
        sizes: &[usize],
        activations: &[Activation],
        seed: u64,
    ) -> Result<Self, LayerError> {
        let rng = &mut StdRng::seed_from_u64(seed);
        if activations.len() + 1 != sizes.len() {
            return Err(LayerError::Activations {
                sizes: sizes.len(),
                got: activations.len(),
            });
        }
        let layers = sizes
            .windows(2)
            .zip(activations)
            .enumerate()
            .map(|(i, (w, &act))| Dense::new_from(ps, &format!("{prefix}.{i}"), w[0], w[1], act, rng))
            .collect::<Result<_, _>>()?;
        Ok(Self { layers })
    }

    /// An MLP from already built layers.
    pub fn from_layers(layers: Vec<Dense>) -> Self {
        Self { layers }
    }

    /// The layers, input side first.
    pub fn layers(&self) -> &[Dense] {
        &self.layers
    }

    /// Every layer's weight and bias, input side first (the same as [`Module::parameters`],
    /// callable without naming the element type).
    pub fn parameters(&self) -> Vec<ParamId> {
        self.layers.iter().flat_map(Dense::parameters).collect()
    }
}

impl<T: Float> Module<T> for Mlp {
    fn forward<'t>(&self, p: &Bound<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        self.layers.iter().fold(x, |h, layer| layer.forward(p, h))
    }

    fn parameters(&self) -> Vec<ParamId> {
        Mlp::parameters(self)
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
}
