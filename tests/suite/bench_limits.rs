//! The benchmarks' reference implementations agree with the engine (`benches/common/`):
//!
//! - W1's scalar graph (one node per scalar op, as micrograd) gives the loss and gradients of
//!   the tensor path through `nn::Mlp`, and records about 65,000 forward nodes;
//! - the hand-written limits of W1 and W2 (analytic gradients, no tape, the same GEMM) give the
//!   engine's loss and gradients, in `f64` to rounding and W2 also in `f32`;
//! - one SGD step of each limit leaves the parameters where the engine's step leaves them.
//!
//! So a benchmark compares equal computations.

use crate::common;

use common::{W1Limit, W1Scalar, W1Tensor, W2Engine, W2Limit};

/// The largest `|a - b| / (1 + |b|)` over all elements.
fn max_rel_diff<T: Copy + Into<f64>>(a: &[Vec<T>], b: &[Vec<T>]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .flat_map(|(a, b)| {
            assert_eq!(a.len(), b.len());
            a.iter().zip(b).map(|(&a, &b)| {
                let (a, b): (f64, f64) = (a.into(), b.into());
                (a - b).abs() / (1.0 + b.abs())
            })
        })
        .fold(0.0, f64::max)
}

#[test]
fn w1_scalar_graph_matches_the_tensor_path() {
    let (loss_t, grads_t) = W1Tensor::new().loss_and_grads();
    let mut scalar = W1Scalar::new();
    let (loss_s, grads_s) = scalar.loss_and_grads();
    assert!((loss_s - loss_t).abs() < 1e-12, "loss {loss_s} vs {loss_t}");
    let d = max_rel_diff(&grads_s, &grads_t);
    assert!(d < 1e-12, "gradients differ by {d}");
    // micrograd's graph has about 65,000 nodes a step; so must this one.
    scalar.step();
    let nodes = scalar.forward_nodes();
    assert!((60_000..70_000).contains(&nodes), "{nodes} forward nodes");
    assert!(scalar.tape_len() > nodes);
}

#[test]
fn w1_limit_matches_the_engine() {
    let (loss_e, grads_e) = W1Tensor::new().loss_and_grads();
    let mut limit = W1Limit::new();
    let loss_l = limit.loss_and_grads();
    assert!((loss_l - loss_e).abs() < 1e-12, "loss {loss_l} vs {loss_e}");
    let d = max_rel_diff(&limit.mlp.grads, &grads_e);
    assert!(d < 1e-12, "gradients differ by {d}");
    // Some hinge terms are active and some are not, so the masks are exercised.
    assert!(loss_e > 0.0);
}

#[test]
fn w1_steps_agree() {
    let (mut engine, mut scalar, mut limit) = (W1Tensor::new(), W1Scalar::new(), W1Limit::new());
    for _ in 0..5 {
        let (a, b, c) = (engine.step(), scalar.step(), limit.step());
        assert!(
            (a - b).abs() < 1e-12 && (a - c).abs() < 1e-12,
            "losses {a} {b} {c}"
        );
    }
    let params: Vec<Vec<f64>> = common::param_vecs(&engine.params);
    assert!(max_rel_diff(&scalar.params, &params) < 1e-12);
    assert!(max_rel_diff(&limit.mlp.params, &params) < 1e-12);
}

#[test]
fn w2_limit_matches_the_engine_in_f64() {
    let (loss_e, grads_e) = W2Engine::<f64>::new().loss_and_grads();
    let mut limit = W2Limit::<f64>::new();
    let loss_l = limit.loss_and_grads();
    assert!((loss_l - loss_e).abs() < 1e-12, "loss {loss_l} vs {loss_e}");
    let d = max_rel_diff(&limit.mlp.grads, &grads_e);
    assert!(d < 1e-12, "gradients differ by {d}");
}

#[test]
fn w2_limit_matches_the_engine_in_f32() {
    let mut engine = W2Engine::<f32>::new();
    let (loss_e, grads_e) = engine.loss_and_grads();
    let mut limit = W2Limit::<f32>::new();
    let loss_l = limit.loss_and_grads();
    assert!(
        (loss_l - loss_e).abs() < 1e-5 * loss_e.abs(),
        "loss {loss_l} vs {loss_e}"
    );
    let d = max_rel_diff(&limit.mlp.grads, &grads_e);
    assert!(d < 1e-5, "gradients differ by {d}");
    // And after a step each.
    engine.step();
    limit.step();
    let params = common::param_vecs(&engine.params);
    assert!(max_rel_diff(&limit.mlp.params, &params) < 1e-6);
}
