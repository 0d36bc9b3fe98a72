#![doc = include_str!("../README.md")]
//!
//! This facade re-exports the engine ([`autograd`], whose API is also available at the top
//! level), the neural-network crate ([`nn`]) and the verifier ([`verify`]).

pub use autograd;
pub use autograd::*;
pub use nn;
pub use verify;
