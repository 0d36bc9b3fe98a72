//! Every activation as a module without parameters, named as PyTorch's (`nn.ReLU`, ...), to
//! sit between layers in a [`Sequential`](crate::Sequential).
//!
//! ```
//! use chainrule::{Tape, Tensor};
//! use chainrule::nn::{LeakyReLU, Module, ParamStore, ReLU, SiLU};
//! let ps = ParamStore::<f64>::new();
//! let tape = Tape::new();
//! let p = ps.bind(&tape);
//! let x = tape.constant(Tensor::from(vec![-2.0, 1.0]));
//! assert_eq!(ReLU.forward(&p, x).value().to_vec(), vec![0.0, 1.0]);
//! assert_eq!(LeakyReLU::new(0.1).forward(&p, x).value().to_vec(), vec![-0.2, 1.0]);
//! assert_eq!(Module::<f64>::spec(&LeakyReLU::new(0.1)).to_string(), "LeakyReLU(negative_slope=0.1)");
//! assert!((SiLU.forward(&p, x).value().as_slice()[1] - 1.0 / (1.0 + (-1.0f64).exp())).abs() < 1e-15);
//! ```

use crate::bound::Bound;
use crate::module::{Module, ModuleSpec};
use crate::param::ParamId;
use autograd::{Float, Var};

macro_rules! activation_module {
    ($(#[$doc:meta] $name:ident: |$x:ident| $body:expr;)*) => {$(
        #[$doc]
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name;

        impl<T: Float> Module<T> for $name {
            fn forward<'t>(&self, _: &Bound<'t, T>, $x: Var<'t, T>) -> Var<'t, T> {
                $body
            }

            fn parameters(&self) -> Vec<ParamId> {
                Vec::new()
            }

            fn replayable(&self) -> bool {
                true
            }

            fn spec(&self) -> ModuleSpec {
                ModuleSpec::new(stringify!($name))
            }
        }
    )*};
}

activation_module! {
    /// `max(x, 0)`, as PyTorch's `nn.ReLU`.
    ReLU: |x| x.relu();
    /// `1 / (1 + e^-x)`, as PyTorch's `nn.Sigmoid`.
    Sigmoid: |x| x.sigmoid();
    /// `tanh(x)`, as PyTorch's `nn.Tanh`.
    Tanh: |x| x.tanh();
    /// `x`, as PyTorch's `nn.Identity`.
    Identity: |x| x;
    /// `x sigmoid(x)`, as PyTorch's `nn.SiLU`.
    SiLU: |x| x.silu();
}

/// `x` for `x > 0`, else `negative_slope x`, as PyTorch's `nn.LeakyReLU` (default slope 0.01).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LeakyReLU {
    negative_slope: f64,
}

impl LeakyReLU {
    /// The activation with the given slope for negative inputs.
    ///
    /// ```
    /// use chainrule::nn::LeakyReLU;
    /// assert_eq!(LeakyReLU::new(0.2).negative_slope(), 0.2);
    /// assert_eq!(LeakyReLU::default(), LeakyReLU::new(0.01));
    /// ```
    pub fn new(negative_slope: f64) -> Self {
        Self { negative_slope }
    }

    /// The slope for negative inputs.
    pub fn negative_slope(&self) -> f64 {
        self.negative_slope
    }
}

impl Default for LeakyReLU {
    fn default() -> Self {
        Self::new(0.01)
    }
}

impl<T: Float> Module<T> for LeakyReLU {
    fn forward<'t>(&self, _: &Bound<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        x.leaky_relu(self.negative_slope)
    }

    fn parameters(&self) -> Vec<ParamId> {
        Vec::new()
    }

    fn replayable(&self) -> bool {
        true
    }

    fn spec(&self) -> ModuleSpec {
        ModuleSpec::new("LeakyReLU").with("negative_slope", self.negative_slope)
    }
}

/// `e^{x_i} / sum_j e^{x_j}` along the last axis, as PyTorch's `nn.Softmax(dim=-1)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Softmax;

impl<T: Float> Module<T> for Softmax {
    fn forward<'t>(&self, _: &Bound<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        x.softmax(-1)
    }

    fn parameters(&self) -> Vec<ParamId> {
        Vec::new()
    }

    fn replayable(&self) -> bool {
        true
    }

    fn spec(&self) -> ModuleSpec {
        ModuleSpec::new("Softmax").with("dim", -1)
    }
}
