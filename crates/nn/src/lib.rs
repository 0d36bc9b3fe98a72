//! # nn: neural networks as autograd expressions
//!
//! Neurons, layers, MLPs, activations and losses are ordinary expressions of the `autograd`
//! crate's public ops; this crate contains no derivative code. Backprop is the engine's
//! generic reverse sweep.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod activation;
pub mod checkpoint;
pub mod data;
mod init;
mod layers;
pub mod loss;
pub mod metrics;
mod module;
pub mod optim;
mod param;
pub mod train;

pub use activation::{Activation, ActivationParseError};
pub use init::Init;
pub use layers::{Dense, LayerError, Mlp, Neuron};
pub use module::Module;
pub use param::{Bound, Param, ParamError, ParamId, ParamStore};
