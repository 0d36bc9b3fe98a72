//! Helpers shared by the engine's tests.

pub mod numerics;
