//! Seeded, reproducible parameter initialisation.
//!
//! For a weight of shape `[out, in]` (PyTorch's layout), `fan_in = in` and `fan_out = out`
//! (a fan of 0 counts as 1). The bounds and standard deviations are those of PyTorch's
//! `torch.nn.init` functions of the same names (fan-in mode for Kaiming); only `gain^2`
//! matters, so a negative gain means the same distribution as its absolute value.

use autograd::{Float, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal, Uniform};

/// How to fill a new parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// All zeros.
    Zeros,
    /// Every element `c`.
    Constant(f64),
    /// Uniform on `[low, high)`: variance `(high - low)^2 / 12` (reversed bounds are swapped).
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Normal `N(mean, std^2)`.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// Glorot/Xavier uniform: `U(-a, a)`, `a = gain sqrt(6 / (fan_in + fan_out))`, so the
    /// variance is `gain^2 2 / (fan_in + fan_out)`.
    XavierUniform {
        /// Gain (see [`Activation::gain`](crate::Activation::gain)).
        gain: f64,
    },
    /// Glorot/Xavier normal: `N(0, std^2)`, `std = gain sqrt(2 / (fan_in + fan_out))`.
    XavierNormal {
        /// Gain.
        gain: f64,
    },
    /// He/Kaiming uniform (fan-in mode): `U(-a, a)`, `a = gain sqrt(3 / fan_in)`, so the
    /// variance is `gain^2 / fan_in`.
    KaimingUniform {
        /// Gain (sqrt(2) for relu).
        gain: f64,
    },
    /// He/Kaiming normal (fan-in mode): `N(0, std^2)`, `std = gain / sqrt(fan_in)`.
    KaimingNormal {
        /// Gain (sqrt(2) for relu).
        gain: f64,
    },
}

impl Init {
    /// The variance of the distribution for the given fans (0 for constants).
    ///
    /// ```
    /// use chainrule::nn::Init;
    /// assert!((Init::KaimingNormal { gain: 2f64.sqrt() }.variance(50, 10) - 2.0 / 50.0).abs() < 1e-15);
    /// ```
    pub fn variance(&self, fan_in: usize, fan_out: usize) -> f64 {
        let (fi, fo) = (fan_in.max(1) as f64, fan_out.max(1) as f64);
        match *self {
            Init::Zeros | Init::Constant(_) => 0.0,
            Init::Uniform { low, high } => (high - low).powi(2) / 12.0,
            Init::Normal { std, .. } => std * std,
            Init::XavierUniform { gain } | Init::XavierNormal { gain } => gain * gain * 2.0 / (fi + fo),
            Init::KaimingUniform { gain } | Init::KaimingNormal { gain } => gain * gain / fi,
        }
    }

    /// A tensor of `shape` drawn from this distribution with the given fans, from a generator
    /// seeded with `seed`: the same seed gives the same tensor.
    ///
    /// ```
    /// use chainrule::nn::Init;
    /// let w = Init::XavierUniform { gain: 1.0 }.sample::<f64>(&[4, 3], 3, 4, 0);
    /// let a = (6.0f64 / 7.0).sqrt();
    /// assert!(w.as_slice().iter().all(|x| x.abs() <= a));
    /// assert_eq!(w, Init::XavierUniform { gain: 1.0 }.sample::<f64>(&[4, 3], 3, 4, 0));
    /// ```
    pub fn sample<T: Float>(&self, shape: &[usize], fan_in: usize, fan_out: usize, seed: u64) -> Tensor<T> {
        self.sample_from(shape, fan_in, fan_out, &mut StdRng::seed_from_u64(seed))
    }

    /// [`Init::sample`] drawing from a generator that the caller threads through several
    /// tensors (a model's layers share one stream, so one seed fixes them all).
    pub(crate) fn sample_from<T: Float>(
        &self,
        shape: &[usize],
        fan_in: usize,
        fan_out: usize,
        rng: &mut StdRng,
    ) -> Tensor<T> {
        let n: usize = shape.iter().product();
        let (fi, fo) = (fan_in.max(1) as f64, fan_out.max(1) as f64);
        let uniform = |a: f64, b: f64, rng: &mut StdRng| -> Vec<T> {
            if a == b {
                return vec![T::from_f64(a); n];
            }
            let d = Uniform::new(a.min(b), a.max(b)).expect("finite bounds, low < high");
            (0..n).map(|_| T::from_f64(d.sample(rng))).collect()
        };
        let normal = |m: f64, s: f64, rng: &mut StdRng| -> Vec<T> {
            let d = Normal::new(m, s.abs()).expect("a finite standard deviation");
            (0..n).map(|_| T::from_f64(d.sample(rng))).collect()
        };
        let data = match *self {
            Init::Zeros => vec![T::zero(); n],
            Init::Constant(c) => vec![T::from_f64(c); n],
            Init::Uniform { low, high } => uniform(low, high, rng),
            Init::Normal { mean, std } => normal(mean, std, rng),
            Init::XavierUniform { gain } => {
                let a = gain * (6.0 / (fi + fo)).sqrt();
                uniform(-a, a, rng)
            }
            Init::XavierNormal { gain } => normal(0.0, gain * (2.0 / (fi + fo)).sqrt(), rng),
            Init::KaimingUniform { gain } => {
                let a = gain * (3.0 / fi).sqrt();
                uniform(-a, a, rng)
            }
            Init::KaimingNormal { gain } => normal(0.0, gain / fi.sqrt(), rng),
        };
        Tensor::from_vec(data, shape).expect("the data has the shape's size")
    }
}
