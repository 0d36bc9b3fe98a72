//! Shared by `crates/autograd/tests/suite/numerics.rs` and `crates/nn/tests/suite/loss_numerics.rs` (which
//! includes this file by path): stable f64 references of the activations and the softmax
//! family, and comparing floats in units in the last place.

use autograd::Float;

/// The logistic function, without overflow at either end.
pub fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `ln(1 + e^x)`, without overflow or cancellation.
pub fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

/// `(max, ln(sum(exp(x - max))))`, the sum as `ln_1p` of the other terms, smallest first.
pub fn shifted_logsumexp(x: &[f64]) -> (f64, f64) {
    let (k, m) =
        x.iter().copied().enumerate().fold(
            (0, f64::NEG_INFINITY),
            |(k, m), (i, v)| if v > m { (i, v) } else { (k, m) },
        );
    let mut rest: Vec<f64> = x
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != k)
        .map(|(_, &v)| (v - m).exp())
        .collect();
    rest.sort_by(f64::total_cmp);
    (m, rest.iter().sum::<f64>().ln_1p())
}

/// softmax as `exp(x - max) / sum`: the shifted exponents are exact for these inputs (not
/// `exp(x - logsumexp(x))`, whose shift is rounded at the magnitude of `x`).
pub fn softmax(x: &[f64]) -> Vec<f64> {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = x.iter().map(|&v| (v - m).exp()).collect();
    let mut sorted = e.clone();
    sorted.sort_by(f64::total_cmp);
    let s: f64 = sorted.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// Distance in units in the last place between two values of the same type (0 for +0 and -0,
/// `u64::MAX` if either is NaN).
pub fn ulps<T: Float>(a: T, b: T) -> u64 {
    if a == b {
        return 0;
    }
    if a.is_nan() || b.is_nan() {
        return u64::MAX;
    }
    // Map the bits to integers that are ordered like the floats.
    let key = |x: T| -> i128 {
        if std::mem::size_of::<T>() == 4 {
            let b = (x.as_f64() as f32).to_bits() as i32;
            i128::from(if b < 0 { i32::MIN - b } else { b })
        } else {
            let b = x.as_f64().to_bits() as i64;
            i128::from(if b < 0 { i64::MIN - b } else { b })
        }
    };
    (key(a) - key(b)).unsigned_abs() as u64
}

/// Asserts `got` is finite and within `max` ulps of the f64 `exact` rounded to `T`.
pub fn assert_close<T: Float>(what: &str, got: &[T], exact: &[f64], max: u64) {
    assert_eq!(got.len(), exact.len(), "{what}");
    for (i, (&g, &e)) in got.iter().zip(exact).enumerate() {
        let want = T::from_f64(e);
        assert!(
            g.is_finite(),
            "{what} [{i}] ({}): {} is not finite",
            T::NAME,
            g.as_f64()
        );
        let d = ulps(g, want);
        assert!(
            d <= max,
            "{what} [{i}] ({}): got {:e}, exact {:e} (rounded {:e}), {d} ulps apart",
            T::NAME,
            g.as_f64(),
            e,
            want.as_f64()
        );
    }
}
