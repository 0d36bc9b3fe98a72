//! Activation functions, as choices of autograd ops.

use autograd::{Float, Var};
use std::fmt;
use std::str::FromStr;

/// The non-linearity `h` applied after a layer's weighted sum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// `h(z) = z` (linear regression when used alone).
    Identity,
    /// `1 / (1 + e^-z)` (logistic regression when used alone).
    Sigmoid,
    /// `tanh(z)`.
    Tanh,
    /// `max(z, 0)`.
    Relu,
    /// `z` for `z > 0`, else `alpha z`.
    LeakyRelu(f64),
    /// `e^{z_i} / sum_j e^{z_j}` along the last (class) axis.
    Softmax,
}

impl Activation {
    /// Applies the activation.
    ///
    /// ```
    /// use chainrule::Tape;
    /// use chainrule::nn::Activation;
    /// let t = Tape::<f64>::new();
    /// let z = t.scalar_var(-2.0);
    /// assert_eq!(Activation::LeakyRelu(0.1).apply(z).item(), -0.2);
    /// assert_eq!(Activation::Relu.apply(z).item(), 0.0);
    /// ```
    pub fn apply<'t, T: Float>(self, z: Var<'t, T>) -> Var<'t, T> {
        match self {
            Activation::Identity => z,
            Activation::Sigmoid => z.sigmoid(),
            Activation::Tanh => z.tanh(),
            Activation::Relu => z.relu(),
            Activation::LeakyRelu(a) => z.leaky_relu(a),
            Activation::Softmax => z.softmax(-1),
        }
    }

    /// The recommended initialisation gain, as PyTorch's `nn.init.calculate_gain`:
    /// 1 (identity, sigmoid, softmax), 5/3 (tanh), sqrt(2) (relu), sqrt(2 / (1 + a^2))
    /// (leaky relu).
    ///
    /// ```
    /// use chainrule::nn::Activation;
    /// assert_eq!(Activation::Relu.gain(), 2f64.sqrt());
    /// ```
    pub fn gain(self) -> f64 {
        match self {
            Activation::Identity | Activation::Sigmoid | Activation::Softmax => 1.0,
            Activation::Tanh => 5.0 / 3.0,
            Activation::Relu => 2f64.sqrt(),
            Activation::LeakyRelu(a) => (2.0 / (1.0 + a * a)).sqrt(),
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Activation::Identity => write!(f, "identity"),
            Activation::Sigmoid => write!(f, "sigmoid"),
            Activation::Tanh => write!(f, "tanh"),
            Activation::Relu => write!(f, "relu"),
            Activation::LeakyRelu(a) => write!(f, "leaky_relu({a})"),
            Activation::Softmax => write!(f, "softmax"),
        }
    }
}

/// Parses `identity`, `sigmoid`, `tanh`, `relu`, `leaky_relu` (alpha 0.01), `leaky_relu(0.2)`
/// or `softmax`.
///
/// ```
/// use chainrule::nn::Activation;
/// assert_eq!("leaky_relu(0.2)".parse::<Activation>().unwrap(), Activation::LeakyRelu(0.2));
/// let err = "swish".parse::<Activation>().unwrap_err();
/// assert!(err.to_string().starts_with(r#"unknown activation "swish": expected identity"#));
/// ```
impl FromStr for Activation {
    type Err = ActivationParseError;
    fn from_str(s: &str) -> Result<Self, ActivationParseError> {
        let s = s.trim();
        Ok(match s {
            "identity" | "linear" | "none" => Activation::Identity,
            "sigmoid" => Activation::Sigmoid,
            "tanh" => Activation::Tanh,
            "relu" => Activation::Relu,
            "leaky_relu" => Activation::LeakyRelu(0.01),
            "softmax" => Activation::Softmax,
            _ => {
                let arg = s
                    .strip_prefix("leaky_relu(")
                    .and_then(|r| r.strip_suffix(')'))
                    .and_then(|a| a.trim().parse::<f64>().ok())
                    .filter(|a| a.is_finite());
                match arg {
                    Some(a) => Activation::LeakyRelu(a),
                    None => return Err(ActivationParseError(s.to_string())),
                }
            }
        })
    }
}

/// A name that is not an [`Activation`] (see its `FromStr`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown activation {0:?}: expected identity, sigmoid, tanh, relu, leaky_relu, leaky_relu(A) or softmax"
)]
pub struct ActivationParseError(pub String);
