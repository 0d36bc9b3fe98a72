//! # nn: neural networks as autograd expressions
//!
//! Neurons, layers, MLPs, activations and losses are ordinary expressions of the `autograd`
//! crate's public ops; this crate contains no derivative code. Backprop is the engine's
//! generic reverse sweep.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod act;
mod activation;
mod bound;
pub mod checkpoint;
pub mod data;
mod dropout;
mod init;
mod layers;
pub mod loss;
pub mod metrics;
mod module;
mod norm;
pub mod optim;
mod param;
mod sequential;
pub mod train;

pub use act::{Identity, LeakyReLU, ReLU, SiLU, Sigmoid, Softmax, Tanh};
pub use activation::{Activation, ActivationParseError};
pub use bound::{Bound, Mode};
pub use dropout::Dropout;
pub use init::Init;
pub use layers::{Dense, LayerError, Linear, Neuron};
pub use module::{Module, ModuleSpec, ModuleSpecError};
pub use norm::{BatchNorm1d, LayerNorm};
pub use param::{Param, ParamError, ParamId, ParamStore};
pub use sequential::{BoxedModule, Mlp, Sequential, SequentialBuilder, Summary, SummaryRow};
