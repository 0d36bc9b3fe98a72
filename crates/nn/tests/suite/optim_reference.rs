//! Optimisers, learning-rate schedules and gradient clipping against PyTorch (float64).
//!
//! Every optimiser case trains the same two parameters, a `[2, 3]` weight `W` and a `[3]` bias
//! `b`, for five steps on the loss `mean((tanh((x + b) W^T) - y)^2) + 0.05 sum(b^4)`, where the
//! gradient of each step is the engine's gradient of that loss at the current parameters. The
//! loss of every step and the parameters after the fifth step must match
//! `torch.optim.SGD`/`Adam`/`AdamW` to 1e-12 relative.
//!
//! Beside each block of literals is the self-contained Python that produced it; all of them
//! are in `tools/pytorch_nn_reference.py` (`python tools/pytorch_nn_reference.py`, PyTorch >=
//! 2.0), which prints floats with `repr`, so the literals are PyTorch's f64 values bit for bit.
//!
//! Tolerance: relative 1e-12 (the engines may associate sums differently; the optimisers'
//! own arithmetic follows PyTorch's operation by operation).

use autograd::Tape;
use nn::optim::{clip_grad_norm, Optimizer};
use nn::ParamStore;

use crate::pytorch;
use pytorch::{assert_close, t};

mod adam;
mod clip;
mod schedule;
mod sgd;

/// What five steps of an optimiser produced.
struct Run {
    /// The loss at each step, before its update.
    losses: Vec<f64>,
    /// The gradients' joint norm at each step (before clipping), if clipping.
    norms: Vec<f64>,
    /// The weight after the fifth step (row-major).
    w: Vec<f64>,
    /// The bias after the fifth step.
    b: Vec<f64>,
}

/// Five steps of `opt` on the loss of the module docs (with `clip_grad_norm` before each step
/// if `clip` is set), from `W = [[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]]`, `b = [0.1, -0.2, 0.3]`.
fn train(opt: &mut impl Optimizer<f64>, clip: Option<f64>) -> Run {
    let x = t(
        &[1.0, 2.0, -1.0, 0.5, -1.5, 2.0, -0.7, 0.3, 0.9, 1.2, -0.4, -0.8],
        &[4, 3],
    );
    let y = t(&[0.3, -0.5, 0.8, 0.1, -0.2, 0.6, 0.4, -0.9], &[4, 2]);
    let mut store = ParamStore::<f64>::new();
    let w = store
        .add("weight", t(&[0.5, -0.3, 0.8, -0.6, 0.2, 0.4], &[2, 3]))
        .unwrap();
    let b = store.add("bias", t(&[0.1, -0.2, 0.3], &[3])).unwrap();
    let (mut losses, mut norms) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let tape = Tape::<f64>::new();
        let p = store.bind(&tape);
        let (xv, yv) = (tape.constant_from(&x), tape.constant_from(&y));
        let fit = ((xv + p[b]).matmul(p[w].t()).tanh() - yv).powf(2.0).mean();
        let loss = fit + p[b].powf(4.0).sum().mul_scalar(0.05);
        let mut grads = p.grads(loss.backward());
        losses.push(loss.item());
        if let Some(max_norm) = clip {
            norms.push(clip_grad_norm(&mut grads, max_norm));
        }
        opt.step(&mut store, &grads);
    }
    let w = store.value("weight").unwrap().to_vec();
    let b = store.value("bias").unwrap().to_vec();
    Run { losses, norms, w, b }
}

/// Checks a run against PyTorch's printed `losses`, `W` and `b`.
#[track_caller]
fn assert_run(run: &Run, losses: &[f64], w: &[f64], b: &[f64]) {
    assert_close("losses", &run.losses, losses);
    assert_close("W", &run.w, w);
    assert_close("b", &run.b, b);
}
