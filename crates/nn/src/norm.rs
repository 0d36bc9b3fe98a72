//! Normalisation layers: PyTorch's `nn.LayerNorm` and `nn.BatchNorm1d`, as expressions of
//! autograd ops (means, squares, a square root), with the running statistics as buffers.

use crate::bound::Bound;
use crate::module::{Module, ModuleSpec};
use crate::param::{ParamError, ParamId, ParamStore};
use autograd::{Float, Tensor, Var};

/// `(x - mean) / sqrt(var + eps)` over `axis`, the biased variance, as PyTorch normalises;
/// also returns the mean and the variance.
fn normalise<'t, T: Float>(x: Var<'t, T>, axis: isize, eps: f64) -> [Var<'t, T>; 3] {
    let mean = x.mean_axes(&[axis], true);
    let d = x - mean;
    let var = (d * d).mean_axes(&[axis], true);
    [d / var.add_scalar(eps).sqrt(), mean, var]
}

/// PyTorch's `nn.LayerNorm(normalized_shape)` over the last axis: each row is normalised to
/// mean 0 and variance 1 (biased, `eps = 1e-5` added), then scaled by `weight` (ones) and
/// shifted by `bias` (zeros), parameters `{prefix}.weight` and `{prefix}.bias` of shape
/// `[normalized_shape]`. The same in training and evaluation mode.
///
/// ```
/// use chainrule::{Tape, Tensor};
/// use chainrule::nn::{LayerNorm, Module, ParamStore};
/// let mut ps = ParamStore::<f64>::new();
/// let norm = LayerNorm::new(&mut ps, "ln", 2).unwrap();
/// let tape = Tape::new();
/// let y = norm.forward(&ps.bind(&tape), tape.constant(Tensor::from(vec![1.0, 3.0])));
/// let want = 1.0 / (1.0f64 + 1e-5).sqrt(); // (3 - 2) / sqrt(1 + eps)
/// assert!((y.value().as_slice()[1] - want).abs() < 1e-15);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LayerNorm {
    weight: ParamId,
    bias: ParamId,
    features: usize,
    eps: f64,
}

impl LayerNorm {
    /// A layer norm over a last axis of `normalized_shape` elements, `eps = 1e-5`.
    pub fn new<T: Float>(
        ps: &mut ParamStore<T>,
        prefix: &str,
        normalized_shape: usize,
    ) -> Result<Self, ParamError> {
        Self::with_eps(ps, prefix, normalized_shape, 1e-5)
    }

    /// [`LayerNorm::new`] with another `eps`.
    ///
    /// ```
    /// use chainrule::nn::{LayerNorm, Module, ParamStore};
    /// let mut ps = ParamStore::<f64>::new();
    /// let norm = LayerNorm::with_eps(&mut ps, "ln", 8, 1e-6).unwrap();
    /// assert_eq!(ps.num_params(), 16);
    /// assert_eq!(Module::<f64>::spec(&norm).to_string(), "LayerNorm(normalized_shape=8, eps=0.000001)");
    /// ```
    pub fn with_eps<T: Float>(
        ps: &mut ParamStore<T>,
        prefix: &str,
        normalized_shape: usize,
        eps: f64,
    ) -> Result<Self, ParamError> {
        Ok(Self {
            weight: ps.add(format!("{prefix}.weight"), Tensor::ones(&[normalized_shape]))?,
            bias: ps.add(format!("{prefix}.bias"), Tensor::zeros(&[normalized_shape]))?,
            features: normalized_shape,
            eps,
        })
    }
}

impl<T: Float> Module<T> for LayerNorm {
    fn forward<'t>(&self, p: &Bound<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let [z, _, _] = normalise(x, -1, self.eps);
        z * p[self.weight] + p[self.bias]
    }

    fn parameters(&self) -> Vec<ParamId> {
        vec![self.weight, self.bias]
    }

    fn replayable(&self) -> bool {
        true
    }

    fn spec(&self) -> ModuleSpec {
        ModuleSpec::new("LayerNorm")
            .with("normalized_shape", self.features)
            .with("eps", self.eps)
    }
}

/// PyTorch's `nn.BatchNorm1d(num_features)` on `[batch, num_features]` inputs.
///
/// In training mode each feature is normalised with the batch's mean and biased variance
/// (`eps = 1e-5` added), then scaled by `weight` (ones) and shifted by `bias` (zeros); the
/// running statistics, buffers `{prefix}.running_mean` (zeros) and `{prefix}.running_var`
/// (ones), move towards the batch's mean and *unbiased* variance by `momentum` (0.1):
/// `running = (1 - momentum) running + momentum batch`. The new values are recorded in the
/// [`Bound`] and written by [`ParamStore::update_buffers`]. In evaluation mode the running
/// statistics are used and nothing changes. PyTorch's `num_batches_tracked` (only used when
/// `momentum` is `None`) is not kept; a PyTorch file that has it still loads.
///
/// ```
/// use chainrule::{Tape, Tensor};
/// use chainrule::nn::{BatchNorm1d, Module, ParamStore};
/// let mut ps = ParamStore::<f64>::new();
/// let bn = BatchNorm1d::new(&mut ps, "bn", 1).unwrap();
/// let x = Tensor::from_vec(vec![1.0, 3.0], &[2, 1]).unwrap();
/// let tape = Tape::new();
/// let bound = ps.bind(&tape);
/// bn.forward(&bound, tape.constant(x));
/// ps.update_buffers(&bound);
/// // mean 2, unbiased variance 2: 0.9 * 0 + 0.1 * 2 and 0.9 * 1 + 0.1 * 2.
/// assert!((ps.value("bn.running_mean").unwrap().as_slice()[0] - 0.2).abs() < 1e-15);
/// assert!((ps.value("bn.running_var").unwrap().as_slice()[0] - 1.1).abs() < 1e-15);
/// assert_eq!((ps.num_params(), ps.num_buffers()), (2, 2));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct BatchNorm1d {
    weight: ParamId,
    bias: ParamId,
    running_mean: ParamId,
    running_var: ParamId,
    features: usize,
    eps: f64,
    momentum: f64,
}

impl BatchNorm1d {
    /// Batch normalisation of `num_features` features, `eps = 1e-5`, `momentum = 0.1`.
    pub fn new<T: Float>(
        ps: &mut ParamStore<T>,
        prefix: &str,
        num_features: usize,
    ) -> Result<Self, ParamError> {
        Self::with_options(ps, prefix, num_features, 1e-5, 0.1)
    }

    /// [`BatchNorm1d::new`] with another `eps` and `momentum`.
    ///
    /// ```
    /// use chainrule::nn::{BatchNorm1d, Module, ParamStore};
    /// let mut ps = ParamStore::<f64>::new();
    /// let bn = BatchNorm1d::with_options(&mut ps, "bn", 4, 1e-3, 0.01).unwrap();
    /// assert_eq!(
    ///     Module::<f64>::spec(&bn).to_string(),
    ///     "BatchNorm1d(num_features=4, eps=0.001, momentum=0.01)"
    /// );
    /// assert!(ps.get(ps.id("bn.running_var").unwrap()).is_buffer());
    /// ```
    pub fn with_options<T: Float>(
        ps: &mut ParamStore<T>,
        prefix: &str,
        num_features: usize,
        eps: f64,
        momentum: f64,
    ) -> Result<Self, ParamError> {
        let n = [num_features];
        Ok(Self {
            weight: ps.add(format!("{prefix}.weight"), Tensor::ones(&n))?,
            bias: ps.add(format!("{prefix}.bias"), Tensor::zeros(&n))?,
            running_mean: ps.add_buffer(format!("{prefix}.running_mean"), Tensor::zeros(&n))?,
            running_var: ps.add_buffer(format!("{prefix}.running_var"), Tensor::ones(&n))?,
            features: num_features,
            eps,
            momentum,
        })
    }

    /// The ids of the running mean and variance buffers.
    ///
    /// ```
    /// use chainrule::nn::{BatchNorm1d, ParamStore};
    /// let mut ps = ParamStore::<f64>::new();
    /// let [mean, var] = BatchNorm1d::new(&mut ps, "bn", 3).unwrap().buffers();
    /// assert_eq!((ps.name(mean), ps.name(var)), ("bn.running_mean", "bn.running_var"));
    /// ```
    pub fn buffers(&self) -> [ParamId; 2] {
        [self.running_mean, self.running_var]
    }

    /// Records the running statistics moved towards the batch's (unbiased variance).
    fn track<T: Float>(&self, p: &Bound<'_, T>, mean: &Tensor<T>, var: &Tensor<T>, n: usize) {
        let m = T::from_f64(self.momentum);
        let unbias = T::from_f64(n as f64 / (n - 1) as f64);
        let step = |id: ParamId, batch: &Tensor<T>, scale: T| {
            let old = p.buffer(id);
            let new: Vec<T> = old
                .as_slice()
                .iter()
                .zip(batch.as_slice())
                .map(|(&r, &b)| (T::one() - m) * r + m * (b * scale))
                .collect();
            p.set_buffer(
                id,
                Tensor::from_vec(new, old.shape()).expect("the buffer's shape"),
            );
        };
        step(self.running_mean, mean, T::one());
        step(self.running_var, var, unbias);
    }
}

impl<T: Float> Module<T> for BatchNorm1d {
    /// # Panics
    /// If `x` is not `[batch, num_features]`, or in training mode with a batch of one (there
    /// is no variance to estimate; PyTorch raises the same error).
    fn forward<'t>(&self, p: &Bound<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let shape = x.shape();
        assert!(
            shape.len() == 2 && shape[1] == self.features,
            "BatchNorm1d({}): expected input of shape [batch, {}], got {:?}",
            self.features,
            self.features,
            shape.as_slice()
        );
        let z = if p.training() {
            assert!(
                shape[0] > 1,
                "BatchNorm1d: expected more than 1 value per channel when training, got input shape {:?} \
                 (with nn::train::fit, set `drop_last: true` in TrainConfig or pick a batch size \
                 that leaves no last batch of one row)",
                shape.as_slice()
            );
            let [z, mean, var] = normalise(x, 0, self.eps);
            self.track(p, &mean.value(), &var.value(), shape[0]);
            z
        } else {
            let (mean, var) = (p[self.running_mean], p[self.running_var]);
            (x - mean) / var.add_scalar(self.eps).sqrt()
        };
        z * p[self.weight] + p[self.bias]
    }

    /// The weight and the bias (the buffers are not parameters: [`BatchNorm1d::buffers`]).
    fn parameters(&self) -> Vec<ParamId> {
        vec![self.weight, self.bias]
    }

    fn spec(&self) -> ModuleSpec {
        ModuleSpec::new("BatchNorm1d")
            .with("num_features", self.features)
            .with("eps", self.eps)
            .with("momentum", self.momentum)
    }
}
