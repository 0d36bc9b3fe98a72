//! `autograd`'s tests in one binary: each file is a module, so the crate's generic code is
//! compiled and linked once for all of them, not once per file. `threads` and `fused` set the
//! process's thread count, so they stay binaries of their own.

mod anomaly;
mod big_graphs;
mod functional;
mod gradcheck_props;
mod kernels;
mod numerics;
mod plan;
mod plan_sums;
mod pytorch_reference;
mod tanh;
mod tape_reuse;
mod value_rules;

#[path = "../support/mod.rs"]
mod support;
