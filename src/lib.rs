#![doc = include_str!("../README.md")]
//!
//! This facade re-exports the engine ([`autograd`], whose API is also available at the top
//! level), the neural-network crate ([`nn`]) and the verifier ([`verify`]).

pub use autograd;
pub use autograd::*;
pub use nn;
pub use verify;

/// What a typical program needs, in one import: `use chainrule::prelude::*;`.
///
/// The engine (`Tape`, `Tensor`, `Var`, `Float`, `grad` and the other derivatives), the
/// building blocks of models (`ParamStore`, the `Module` trait, the layers and `Activation`),
/// the losses (as the module `loss`), the data sets (as the module `data`), the optimisers with the `Optimizer` trait (without it,
/// `opt.step(..)` does not resolve), `Dataset`, and the training loop (`fit`, `TrainConfig`,
/// `EarlyStopping`). Less common items stay in their modules (`chainrule::nn::checkpoint`, ...).
///
/// ```
/// use chainrule::prelude::*;
///
/// let data: Dataset<f64> = data::xor();
/// let mut params = ParamStore::new();
/// let model = Mlp::new(&mut params, "layers", &[2, 4, 2], &[Activation::Tanh, Activation::Identity], 0).unwrap();
/// let mut opt = Adam::new(0.05);
/// let mut tape = Tape::new();
/// for _ in 0..200 {
///     tape.reset();
///     let bound = params.bind(&tape);
///     let logits = model.forward(&bound, tape.constant_from(&data.x));
///     let j = loss::cross_entropy(logits, &data.labels).unwrap();
///     let grads = bound.grads(j.backward());
///     opt.step(&mut params, &grads);
/// }
/// assert_eq!(evaluate(&model, &params, &data, 4).accuracy, Some(1.0));
/// ```
pub mod prelude {
    pub use autograd::{
        grad, grad_with, hessian, hessians, hvp, jacobian, jacobians, jvp, Float, Gradients, Plan, PlanSpec,
        Tape, Tensor, Var,
    };
    pub use nn::data::Task;
    pub use nn::data::{self, Dataset};
    pub use nn::loss;
    pub use nn::optim::{Adam, LrSchedule, Optimizer, Sgd};
    pub use nn::train::{evaluate, fit, fit_with, predict, EarlyStopping, TrainConfig};
    pub use nn::{checkpoint, Activation, Bound, Dense, Init, Mlp, Module, Neuron, ParamId, ParamStore};
    pub use nn::{
        BatchNorm1d, Dropout, Identity, LayerNorm, LeakyReLU, Linear, ModuleSpec, ReLU, Sequential, SiLU,
        Sigmoid, Softmax, Tanh,
    };
}

/// Every page of `docs/` compiled and run as doctests, exactly as written: their examples use
/// the `chainrule` facade as a user's crate does.
#[cfg(doctest)]
pub mod doc_pages {
    #[doc = include_str!("../docs/cli.md")]
    pub struct Cli;
    #[doc = include_str!("../docs/design.md")]
    pub struct Design;
    #[doc = include_str!("../docs/nn.md")]
    pub struct Nn;
    #[doc = include_str!("../docs/notes.md")]
    pub struct Notes;
    #[doc = include_str!("../docs/ops.md")]
    pub struct Ops;
    #[doc = include_str!("../docs/performance.md")]
    pub struct Performance;
    #[doc = include_str!("../docs/reliability.md")]
    pub struct Reliability;
    #[doc = include_str!("../docs/scale.md")]
    pub struct Scale;
    #[doc = include_str!("../docs/threads.md")]
    pub struct Threads;
}
