//! Comparing with PyTorch's printed float64 literals, shared by
//! `crates/autograd/tests/suite/pytorch_reference.rs` and `crates/nn/tests/suite/{loss,optim}_reference.rs`
//! (which include this file by path).

use autograd::Tensor;

/// Relative tolerance of every comparison (the two engines may sum or associate in a different
/// order).
pub const RTOL: f64 = 1e-12;

/// A tensor of `shape` holding `data` (row-major).
pub fn t(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), shape).unwrap()
}

/// Each element of `actual` equals PyTorch's or is within [`RTOL`] of it, relatively.
#[track_caller]
pub fn assert_close(what: &str, actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{what}: number of elements");
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        let tol = RTOL * a.abs().max(e.abs());
        assert!(
            a == e || (a - e).abs() <= tol,
            "{what}[{i}]: chainrule {a:e}, PyTorch {e:e} (difference {:e})\n  chainrule: {actual:?}\n  PyTorch:   {expected:?}",
            a - e
        );
    }
}
