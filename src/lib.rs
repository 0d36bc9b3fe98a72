//! chainrule: a tape-based reverse-mode automatic-differentiation engine.
//!
//! This facade re-exports the engine ([`autograd`]).
pub use autograd;
pub use autograd::*;
