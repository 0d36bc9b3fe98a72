//! Every loss of `nn::loss` against PyTorch (float64): the value and the gradient of every
//! input, to 1e-12 relative; and every loss at logits/inputs of +-1e4 in `f32` and `f64`,
//! where values and gradients must be finite (and exact where the exact result is
//! representable).
//!
//! Beside each block of literals is the self-contained Python that produced it; all of them
//! are in `tools/pytorch_nn_reference.py` (`python tools/pytorch_nn_reference.py`, PyTorch >=
//! 2.0), which prints floats with `repr`, so the literals are PyTorch's f64 values bit for bit.

use autograd::{Gradients, Var};

use crate::pytorch::assert_close;

mod binary;
mod cross_entropy;
mod extremes;
mod penalty;
mod regression;

/// Checks a loss value.
#[track_caller]
fn assert_value(j: Var<'_, f64>, expected: f64) {
    assert_eq!(j.shape().len(), 0, "a loss is a scalar");
    assert_close("J", &[j.item()], &[expected]);
}

/// Checks the gradient of `x` (its shape and its values, row-major).
#[track_caller]
fn assert_grad(what: &str, g: &Gradients<f64>, x: Var<'_, f64>, expected: &[f64]) {
    assert_eq!(g[x].shape(), x.shape().as_slice(), "{what}: shape");
    assert_close(what, &g[x].to_vec(), expected);
}
