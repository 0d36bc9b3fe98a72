//! Reference values from PyTorch (float64) for composite expressions: each test builds the
//! same expression in chainrule and checks its value and the gradient of every input against
//! literals that PyTorch printed.
//!
//! Beside each block of literals is the self-contained Python that produced it; all of them
//! are in `tools/pytorch_reference.py`, which prints every literal used here
//! (`python tools/pytorch_reference.py`, PyTorch >= 2.0). Floats are printed with `repr`, which
//! round-trips exactly, so the literals are PyTorch's f64 values bit for bit. Inputs are
//! decimal literals or formulas of plain `+ - * /` on floats, which are evaluated identically
//! in Python and Rust.
//!
//! Tolerance: relative 1e-12 (the two engines may sum or associate in a different order).

// The literals are PyTorch's printed values; some equal named constants (softplus(0) = ln 2).
#![allow(clippy::approx_constant)]

use autograd::{Gradients, Tensor, Var};

#[path = "../support/pytorch.rs"]
mod pytorch;
use pytorch::{assert_close, t};

mod activations;
mod broadcast;
mod higher_order;
mod indexing;
mod matmul;
mod piecewise;
mod reductions;
mod softmax;

/// A tensor of `shape` whose element `k` (row-major) is `f(k)`.
fn from_fn(shape: &[usize], f: impl Fn(f64) -> f64) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|k| f(k as f64)).collect(), shape).unwrap()
}

/// Checks a forward value (any shape, row-major).
#[track_caller]
fn assert_value(what: &str, v: Var<'_, f64>, expected: &[f64]) {
    assert_close(what, &v.value().to_vec(), expected);
}

/// Checks the gradient of `x` (its shape and its values, row-major).
#[track_caller]
fn assert_grad(what: &str, g: &Gradients<f64>, x: Var<'_, f64>, expected: &[f64]) {
    assert_eq!(g[x].shape(), x.shape().as_slice(), "{what}: shape");
    assert_close(what, &g[x].to_vec(), expected);
}
