//! Dropout: a seeded random mask, a constant of the tape, in training mode only.

use crate::bound::Bound;
use crate::layers::LayerError;
use crate::module::{Module, ModuleSpec};
use crate::param::ParamId;
use autograd::{Float, Tensor, Var};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Bernoulli, Distribution};
use std::sync::atomic::{AtomicU64, Ordering};

/// PyTorch's `nn.Dropout(p)`: in training mode each element is zeroed with probability `p` and
/// the others are scaled by `1 / (1 - p)` (inverted dropout, so the expectation is unchanged
/// and evaluation needs no rescaling); in evaluation mode it is the identity.
///
/// The mask is a constant of the tape multiplied into `x`, so the derivative is the engine's
/// product rule. Each training-mode forward pass draws a new mask from a generator seeded with
/// `(seed, n)`, `n` counting this module's training passes: the same seed gives the same
/// sequence of masks. The count is the module's only state; it is atomic so that a model can
/// be shared between threads (masks then depend on the order of the passes), and
/// [`Dropout::reset`] starts the sequence again.
///
/// ```
/// use chainrule::{Tape, Tensor};
/// use chainrule::nn::{Dropout, Module, ParamStore};
/// let ps = ParamStore::<f64>::new();
/// let drop = Dropout::new(0.5, 0).unwrap();
/// let tape = Tape::new();
/// let x = tape.constant(Tensor::ones(&[1000]));
/// let y = drop.forward(&ps.bind(&tape), x).value();
/// assert!(y.as_slice().iter().all(|&v| v == 0.0 || v == 2.0));
/// assert_eq!(drop.forward(&ps.bind_eval(&tape), x).value(), Tensor::ones(&[1000]));
/// assert_eq!(Dropout::new(1.5, 0).unwrap_err().to_string(),
///            "dropout probability has to be between 0 and 1, but got 1.5");
/// ```
#[derive(Debug)]
pub struct Dropout {
    p: f64,
    seed: u64,
    passes: AtomicU64,
}

impl Dropout {
    /// Dropout with probability `p` in `[0, 1]` and masks seeded with `seed`.
    pub fn new(p: f64, seed: u64) -> Result<Self, LayerError> {
        if !(0.0..=1.0).contains(&p) {
            return Err(LayerError::Probability(p));
        }
        Ok(Self {
            p,
            seed,
            passes: AtomicU64::new(0),
        })
    }

    /// The probability of zeroing an element.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// The seed of the masks.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Starts the sequence of masks again from the first.
    ///
    /// ```
    /// use chainrule::{Tape, Tensor};
    /// use chainrule::nn::{Dropout, Module, ParamStore};
    /// let (ps, tape) = (ParamStore::<f64>::new(), Tape::new());
    /// let drop = Dropout::new(0.5, 3).unwrap();
    /// let x = tape.constant(Tensor::ones(&[64]));
    /// let first = drop.forward(&ps.bind(&tape), x).value();
    /// assert_ne!(drop.forward(&ps.bind(&tape), x).value(), first);
    /// drop.reset();
    /// assert_eq!(drop.forward(&ps.bind(&tape), x).value(), first);
    /// ```
    pub fn reset(&self) {
        self.passes.store(0, Ordering::Relaxed);
    }

    /// The mask of the next training pass, scaled: `0` or `1 / (1 - p)` per element.
    fn next_mask<T: Float>(&self, shape: &[usize]) -> Tensor<T> {
        let pass = self.passes.fetch_add(1, Ordering::Relaxed);
        let mut rng = StdRng::seed_from_u64(mix(self.seed ^ mix(pass)));
        let keep = Bernoulli::new(1.0 - self.p).expect("p in [0, 1]");
        // p = 1 drops everything (PyTorch returns zeros rather than 0 * inf).
        let scale = if self.p < 1.0 {
            T::from_f64(1.0 / (1.0 - self.p))
        } else {
            T::zero()
        };
        let n = shape.iter().product();
        let data = (0..n)
            .map(|_| if keep.sample(&mut rng) { scale } else { T::zero() })
            .collect();
        Tensor::from_vec(data, shape).expect("n elements for the shape")
    }
}

/// SplitMix64's finaliser: nearby `(seed, pass)` pairs give unrelated generator seeds.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Clone for Dropout {
    /// A copy at the same point of the mask sequence.
    fn clone(&self) -> Self {
        Self {
            p: self.p,
            seed: self.seed,
            passes: AtomicU64::new(self.passes.load(Ordering::Relaxed)),
        }
    }
}

impl PartialEq for Dropout {
    /// The same probability and seed (wherever each is in its sequence of masks).
    fn eq(&self, other: &Self) -> bool {
        self.p == other.p && self.seed == other.seed
    }
}

impl<T: Float> Module<T> for Dropout {
    fn forward<'t>(&self, p: &Bound<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        if !p.training() || self.p == 0.0 {
            return x;
        }
        x * x.tape().constant(self.next_mask::<T>(&x.shape()))
    }

    fn parameters(&self) -> Vec<ParamId> {
        Vec::new()
    }

    /// Only without dropping (`p = 0`): each training step draws a new mask in Rust.
    fn replayable(&self) -> bool {
        self.p == 0.0
    }

    fn spec(&self) -> ModuleSpec {
        ModuleSpec::new("Dropout")
            .with("p", self.p)
            .with("seed", self.seed)
    }
}
