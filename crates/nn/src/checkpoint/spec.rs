//! The model description stored in a checkpoint: an MLP's layer sizes and activations.

use super::{Metadata, ACTIVATIONS_KEY, SIZES_KEY};
use crate::activation::Activation;
use crate::param::ParamStore;
use crate::sequential::{Mlp, Sequential};
use autograd::Float;
use std::fmt;

/// Why an [`MlpSpec`] cannot be made or read from metadata.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// Fewer than two layer sizes (inputs and outputs).
    #[error("an MLP needs at least 2 layer sizes (inputs and outputs), got {0:?}")]
    TooFewSizes(Vec<usize>),
    /// A layer size of 0.
    #[error("layer sizes must be positive, got {0:?}")]
    ZeroSize(Vec<usize>),
    /// Not one activation per layer.
    #[error("{sizes} layer sizes need {} activations, got {found}", sizes - 1)]
    Activations {
        /// The number of layer sizes.
        sizes: usize,
        /// The number of activations given.
        found: usize,
    },
    /// The metadata lacks one of the two keys.
    #[error("the metadata has no {0:?} entry, so the model cannot be rebuilt")]
    MissingKey(&'static str),
    /// A size in the metadata is not a whole number.
    #[error("{SIZES_KEY}: {0:?} is not a layer size")]
    BadSize(String),
    /// An activation in the metadata is not one chainrule knows.
    #[error("{ACTIVATIONS_KEY}: {0}")]
    BadActivation(String),
}

/// The architecture of an [`Mlp`]: layer sizes (inputs first) and one activation per layer,
/// as stored in a checkpoint's metadata under [`SIZES_KEY`] and [`ACTIVATIONS_KEY`].
///
/// ```
/// use chainrule::nn::{Activation, checkpoint::MlpSpec};
/// let spec = MlpSpec::new(vec![64, 32, 10], vec![Activation::Relu, Activation::Identity]).unwrap();
/// let meta = spec.to_metadata();
/// assert_eq!(meta["chainrule.sizes"], "64,32,10");
/// assert_eq!(meta["chainrule.activations"], "relu,identity");
/// assert_eq!(MlpSpec::from_metadata(&meta).unwrap(), spec);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MlpSpec {
    sizes: Vec<usize>,
    activations: Vec<Activation>,
}

impl MlpSpec {
    /// A spec, checked: at least two sizes, none zero, one activation per layer.
    ///
    /// ```
    /// use chainrule::nn::{Activation, checkpoint::{MlpSpec, SpecError}};
    /// let err = MlpSpec::new(vec![0, 10], vec![Activation::Identity]).unwrap_err();
    /// assert_eq!(err, SpecError::ZeroSize(vec![0, 10]));
    /// assert_eq!(err.to_string(), "layer sizes must be positive, got [0, 10]");
    /// ```
    pub fn new(sizes: Vec<usize>, activations: Vec<Activation>) -> Result<Self, SpecError> {
        if sizes.len() < 2 {
            return Err(SpecError::TooFewSizes(sizes));
        }
        if sizes.contains(&0) {
            return Err(SpecError::ZeroSize(sizes));
        }
        if activations.len() + 1 != sizes.len() {
            return Err(SpecError::Activations {
                sizes: sizes.len(),
                found: activations.len(),
            });
        }
        Ok(Self { sizes, activations })
    }

    /// The spec as checkpoint metadata (the two keys).
    pub fn to_metadata(&self) -> Metadata {
        let join = |v: Vec<String>| v.join(",");
        Metadata::from([
            (
                SIZES_KEY.to_string(),
                join(self.sizes.iter().map(|s| s.to_string()).collect()),
            ),
            (
                ACTIVATIONS_KEY.to_string(),
                join(self.activations.iter().map(|a| a.to_string()).collect()),
            ),
        ])
    }

    /// Parses the spec from checkpoint metadata; the error says which key is missing or bad.
    ///
    /// ```
    /// use chainrule::nn::checkpoint::{Metadata, MlpSpec, SpecError};
    /// let meta = Metadata::from([("chainrule.sizes".to_string(), "64,x".to_string())]);
    /// assert_eq!(MlpSpec::from_metadata(&meta).unwrap_err(), SpecError::BadSize("x".into()));
    /// ```
    pub fn from_metadata<'a>(meta: &'a Metadata) -> Result<Self, SpecError> {
        let get = |k: &'static str| meta.get(k).ok_or(SpecError::MissingKey(k));
        // An empty value is an empty list (a model with no layers is then rejected by `new`).
        let items = |v: &'a String| v.split(',').filter(move |_| !v.trim().is_empty());
        let sizes = items(get(SIZES_KEY)?)
            .map(|s| {
                s.trim()
                    .parse::<usize>()
                    .map_err(|_| SpecError::BadSize(s.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let activations = items(get(ACTIVATIONS_KEY)?)
            .map(|s| {
                s.parse::<Activation>()
                    .map_err(|e| SpecError::BadActivation(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(sizes, activations)
    }

    /// Builds the MLP (layers `{prefix}.0`, `{prefix}.1`, ...) with fresh random parameters in
    /// `ps`, drawn from a generator seeded with `seed`; [`load`](super::load) then fills them
    /// from the checkpoint.
    pub fn build<T: Float>(
        &self,
        ps: &mut ParamStore<T>,
        prefix: &str,
        seed: u64,
    ) -> Result<Sequential<T>, crate::LayerError> {
        Mlp::new(ps, prefix, &self.sizes, &self.activations, seed)
    }

    /// Layer sizes, inputs first: at least two, none zero.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// One activation per layer.
    pub fn activations(&self) -> &[Activation] {
        &self.activations
    }

    /// The number of inputs.
    pub fn inputs(&self) -> usize {
        self.sizes[0]
    }

    /// The number of outputs (classes for a classifier).
    pub fn outputs(&self) -> usize {
        *self.sizes.last().expect("at least two sizes")
    }

    /// The number of parameters of the MLP (weights and biases), `None` if it overflows.
    ///
    /// ```
    /// use chainrule::nn::{Activation, checkpoint::MlpSpec};
    /// let spec = MlpSpec::new(vec![64, 32, 10], vec![Activation::Relu, Activation::Identity]).unwrap();
    /// assert_eq!(spec.num_params(), Some(64 * 32 + 32 + 32 * 10 + 10));
    /// ```
    pub fn num_params(&self) -> Option<usize> {
        self.sizes.windows(2).try_fold(0usize, |n, w| {
            n.checked_add(w[1].checked_mul(w[0].checked_add(1)?)?)
        })
    }
}

impl fmt::Display for MlpSpec {
    /// `64-32-10 (relu, identity)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sizes: Vec<String> = self.sizes.iter().map(|s| s.to_string()).collect();
        let acts: Vec<String> = self.activations.iter().map(|a| a.to_string()).collect();
        write!(f, "{} ({})", sizes.join("-"), acts.join(", "))
    }
}
