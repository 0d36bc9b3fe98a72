//! The [`Module`] trait: a forward pass written with autograd's ops, its parameters, and the
//! [`ModuleSpec`] that describes it in a summary and a checkpoint.

use crate::bound::Bound;
use crate::param::ParamId;
use autograd::{Float, Var};
use std::fmt;
use std::str::FromStr;

/// A differentiable building block. `forward` is an ordinary expression of autograd's public
/// ops on the parameters bound for this step; its derivative comes from the engine.
///
/// A model of your own is a struct of layers whose `forward` composes them, as a PyTorch
/// `nn.Module` subclass would; any expression of ops can sit between the layers (here
/// SiLU, `z * sigmoid(z)`, which [`Activation`](crate::Activation) does not offer). No
/// derivative is written anywhere:
///
/// ```
/// use chainrule::{Float, Tape, Tensor, Var};
/// use chainrule::nn::{Activation, Bound, Dense, Module, ParamId, ParamStore};
///
/// struct SiluNet { fc1: Dense, fc2: Dense }
///
/// impl<T: Float> Module<T> for SiluNet {
///     fn forward<'t>(&self, p: &Bound<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
///         let h = self.fc1.forward(p, x);
///         self.fc2.forward(p, h * h.sigmoid())
///     }
///     fn parameters(&self) -> Vec<ParamId> {
///         [self.fc1.parameters(), self.fc2.parameters()].concat()
///     }
/// }
///
/// let mut ps = ParamStore::<f64>::new();
/// let net = SiluNet {
///     fc1: Dense::new(&mut ps, "fc1", 3, 8, Activation::Identity, 0).unwrap(),
///     fc2: Dense::new(&mut ps, "fc2", 8, 1, Activation::Identity, 1).unwrap(),
/// };
/// let tape = Tape::new();
/// let bound = ps.bind(&tape);
/// let y = net.forward(&bound, tape.constant(Tensor::ones(&[4, 3]))).sum();
/// let grads = bound.grads(y.backward());
/// assert!(grads.iter().all(|g| g.is_some()));
/// assert_eq!(Module::<f64>::parameters(&net).len(), 4);
/// ```
pub trait Module<T: Float> {
    /// Applies the module to `x`, using the parameters bound in `p`.
    fn forward<'t>(&self, p: &Bound<'t, T>, x: Var<'t, T>) -> Var<'t, T>;

    /// The parameters this module reads, in a fixed order (buffers excluded). ([`Dense`](crate::Dense),
    /// [`Linear`](crate::Linear), [`Sequential`](crate::Sequential) and [`Neuron`](crate::Neuron) also have it as an inherent method,
    /// so `layer.parameters()` needs no type annotation.)
    fn parameters(&self) -> Vec<ParamId>;

    /// Whether a training step of this module can be captured once and replayed
    /// ([`Tape::capture`](autograd::Tape::capture)) with the same results as recording it:
    /// its forward pass records the same ops for every batch of a shape and computes nothing
    /// from data outside the tape (no fresh random mask, no buffer updated). [`train::fit`](crate::train::fit)
    /// replays the steps of such models and records those of others. The default is `false`,
    /// so a module of your own is recorded every step unless it says otherwise.
    ///
    /// ```
    /// use chainrule::nn::{Dropout, Linear, Module, ParamStore};
    /// let mut ps = ParamStore::<f64>::new();
    /// let fc = Linear::new(&mut ps, "fc", 3, 2, 0).unwrap();
    /// assert!(Module::<f64>::replayable(&fc));
    /// assert!(!Module::<f64>::replayable(&Dropout::new(0.5, 0).unwrap()));
    /// ```
    fn replayable(&self) -> bool {
        false
    }

    /// What the module is: its PyTorch-style type name and constructor arguments, as shown by
    /// a [`Sequential`](crate::Sequential)'s `Debug` and summary and stored in a checkpoint's
    /// metadata to rebuild the model. The default is the type's name without arguments
    /// (`ResidualBlock()`); a module with settings returns them so that it can be rebuilt.
    fn spec(&self) -> ModuleSpec {
        ModuleSpec::new(short_type_name(std::any::type_name::<Self>()))
    }
}

/// `my_crate::block::Residual<f64>` -> `Residual`.
fn short_type_name(full: &str) -> &str {
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

/// A module's description: a type name (`Linear`) and named arguments (`in_features=3`), in
/// the order given. `Display` writes it as PyTorch prints a module:
///
/// ```
/// use chainrule::nn::ModuleSpec;
/// let spec = ModuleSpec::new("Linear").with("in_features", 3).with("out_features", 4);
/// assert_eq!(spec.to_string(), "Linear(in_features=3, out_features=4)");
/// assert_eq!(spec.get::<usize>("out_features").unwrap(), 4);
/// assert_eq!(
///     spec.get::<usize>("bias").unwrap_err().to_string(),
///     "Linear: no argument \"bias\""
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleSpec {
    kind: String,
    args: Vec<(String, String)>,
}

/// An argument of a [`ModuleSpec`] that is missing or does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModuleSpecError {
    /// The argument is not in the spec.
    #[error("{kind}: no argument {key:?}")]
    Missing {
        /// The module's type name.
        kind: String,
        /// The argument's name.
        key: String,
    },
    /// The argument's value does not parse as the type wanted.
    #[error("{kind}: argument {key}={value:?} is not valid")]
    Invalid {
        /// The module's type name.
        kind: String,
        /// The argument's name.
        key: String,
        /// Its value.
        value: String,
    },
    /// No module of that type name is known.
    #[error("unknown module type {0:?}")]
    Unknown(String),
}

impl ModuleSpec {
    /// A spec of the type `kind`, without arguments.
    pub fn new(kind: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            args: Vec::new(),
        }
    }

    /// The spec with one more argument (its value written with `Display`).
    pub fn with(mut self, key: impl Into<String>, value: impl fmt::Display) -> Self {
        self.args.push((key.into(), value.to_string()));
        self
    }

    /// The type name.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The arguments, in order.
    pub fn args(&self) -> &[(String, String)] {
        &self.args
    }

    /// An argument's text, if present.
    pub fn arg(&self, key: &str) -> Option<&str> {
        self.args.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// An argument parsed as `V`; the error names the module and the argument.
    pub fn get<V: FromStr>(&self, key: &str) -> Result<V, ModuleSpecError> {
        let value = self.arg(key).ok_or_else(|| ModuleSpecError::Missing {
            kind: self.kind.clone(),
            key: key.into(),
        })?;
        value.parse().map_err(|_| ModuleSpecError::Invalid {
            kind: self.kind.clone(),
            key: key.into(),
            value: value.into(),
        })
    }
}

impl fmt::Display for ModuleSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let args: Vec<String> = self.args.iter().map(|(k, v)| format!("{k}={v}")).collect();
        write!(f, "{}({})", self.kind, args.join(", "))
    }
}
