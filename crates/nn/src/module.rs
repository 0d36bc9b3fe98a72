//! The [`Module`] trait: a forward pass written with autograd's ops, and its parameters.

use crate::param::{Bound, ParamId};
use autograd::{Float, Var};

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

    /// The parameters this module reads, in a fixed order. ([`Dense`](crate::Dense),
    /// [`Mlp`](crate::Mlp) and [`Neuron`](crate::Neuron) also have it as an inherent method,
    /// so `layer.parameters()` needs no type annotation.)
    fn parameters(&self) -> Vec<ParamId>;
}
