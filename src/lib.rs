#![doc = include_str!("../README.md")]
//!
//! This facade re-exports the engine ([`autograd`]): everything below is `autograd`'s API.

pub use autograd;
pub use autograd::*;
