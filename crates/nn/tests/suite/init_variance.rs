//! Statistical tests of every `Init` variant, and `Activation::gain` against PyTorch's
//! `torch.nn.init.calculate_gain`.
//!
//! Each distribution is drawn as a `[400, 300]` weight (`fan_in = 300`, `fan_out = 400`, as
//! PyTorch's `[out, in]` layout), so `n = 120000` samples. With `n` independent draws of mean
//! `mu`, variance `s2` and kurtosis `k = E(x - mu)^4 / s2^2`, the sample mean has standard
//! error `sqrt(s2 / n)`, the sample variance `s2 sqrt((k - 1) / n)`, and the sample kurtosis
//! `sqrt(24 / n)` for a normal (`k = 3`) and `sqrt(1.3166 / n)` for a uniform (`k = 1.8`; delta
//! method). Every statistic must be within 5 standard errors of its exact value, which a
//! correct sampler misses with probability about 6e-7 per check; the seeds are fixed, so the
//! tests are deterministic. The kurtosis tells a uniform from a normal of the same variance
//! (1.8 and 3 are about 85 standard errors apart).

// The literals are PyTorch's printed values; one equals a named constant (sqrt 2).
#![allow(clippy::approx_constant)]

use autograd::Tensor;
use nn::{Activation, Init};

const SHAPE: [usize; 2] = [400, 300];
const FAN_IN: usize = 300;
const FAN_OUT: usize = 400;
/// Tolerance, in standard errors.
const Z: f64 = 5.0;
const GAINS: [f64; 4] = [1.0, 5.0 / 3.0, std::f64::consts::SQRT_2, 0.5];

fn draw(init: Init, seed: u64) -> Tensor<f64> {
    init.sample::<f64>(&SHAPE, FAN_IN, FAN_OUT, seed)
}

/// Sample mean, variance and kurtosis.
fn moments(x: &[f64]) -> (f64, f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let m2 = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let m4 = x.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
    (mean, m2, m4 / (m2 * m2))
}

/// The shape of a distribution: its kurtosis and the standard error of the sample kurtosis.
#[derive(Clone, Copy, Debug)]
enum Family {
    Uniform,
    Normal,
}

impl Family {
    fn kurtosis(self) -> f64 {
        match self {
            Family::Uniform => 1.8,
            Family::Normal => 3.0,
        }
    }
    /// `n` times the variance of the sample kurtosis.
    fn kurtosis_n_var(self) -> f64 {
        match self {
            Family::Uniform => 1.316571428571428,
            Family::Normal => 24.0,
        }
    }
}

/// Draws `init` and checks its sample mean, variance (against `Init::variance`) and kurtosis.
#[track_caller]
fn check_moments(init: Init, mean: f64, family: Family, seed: u64) -> Tensor<f64> {
    let w = draw(init, seed);
    assert_eq!(w.shape(), &SHAPE);
    let var = init.variance(FAN_IN, FAN_OUT);
    let n = w.numel() as f64;
    let (m, s2, k) = moments(w.as_slice());
    let se_mean = (var / n).sqrt();
    assert!(
        (m - mean).abs() <= Z * se_mean,
        "{init:?}: mean {m}, expected {mean} +- {}",
        Z * se_mean
    );
    let se_var = var * ((family.kurtosis() - 1.0) / n).sqrt();
    assert!(
        (s2 - var).abs() <= Z * se_var,
        "{init:?}: variance {s2}, expected {var} +- {}",
        Z * se_var
    );
    let se_k = (family.kurtosis_n_var() / n).sqrt();
    assert!(
        (k - family.kurtosis()).abs() <= Z * se_k,
        "{init:?}: kurtosis {k}, expected {} +- {} ({family:?})",
        family.kurtosis(),
        Z * se_k
    );
    w
}

/// Checks that uniform draws lie in `[low, high)` and come close to both ends (each end is
/// missed by 1e-3 of the width with probability `(1 - 1e-3)^n`, about e^-120).
#[track_caller]
fn check_bounds(w: &Tensor<f64>, low: f64, high: f64) {
    let x = w.as_slice();
    assert!(
        x.iter().all(|&v| low <= v && v < high),
        "a draw outside [{low}, {high})"
    );
    let (min, max) = x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
        (a.min(v), b.max(v))
    });
    let slack = 1e-3 * (high - low);
    assert!(
        min < low + slack && max > high - slack,
        "draws span [{min}, {max}] of [{low}, {high})"
    );
}

#[track_caller]
fn assert_rel(what: &str, a: f64, e: f64) {
    assert!((a - e).abs() <= 1e-15 * e.abs(), "{what}: {a} vs {e}");
}

#[test]
fn zeros_and_constant() {
    assert!(draw(Init::Zeros, 1).as_slice().iter().all(|&v| v == 0.0));
    assert!(draw(Init::Constant(-0.75), 1)
        .as_slice()
        .iter()
        .all(|&v| v == -0.75));
    assert_eq!(Init::Zeros.variance(FAN_IN, FAN_OUT), 0.0);
    assert_eq!(Init::Constant(-0.75).variance(FAN_IN, FAN_OUT), 0.0);
}

#[test]
fn uniform() {
    let (low, high) = (-0.3, 1.7);
    let init = Init::Uniform { low, high };
    assert_rel("variance", init.variance(FAN_IN, FAN_OUT), 4.0 / 12.0);
    let w = check_moments(init, (low + high) / 2.0, Family::Uniform, 11);
    check_bounds(&w, low, high);
}

#[test]
fn normal() {
    let init = Init::Normal { mean: 0.4, std: 0.05 };
    assert_rel("variance", init.variance(FAN_IN, FAN_OUT), 0.05 * 0.05);
    check_moments(init, 0.4, Family::Normal, 12);
}

#[test]
fn xavier_uniform() {
    for (i, gain) in GAINS.into_iter().enumerate() {
        let init = Init::XavierUniform { gain };
        // Bound gain sqrt(6 / (fan_in + fan_out)), so variance bound^2 / 3.
        let a = gain * (6.0 / (FAN_IN + FAN_OUT) as f64).sqrt();
        assert_rel("variance", init.variance(FAN_IN, FAN_OUT), a * a / 3.0);
        let w = check_moments(init, 0.0, Family::Uniform, 20 + i as u64);
        check_bounds(&w, -a, a);
    }
}

#[test]
fn xavier_normal() {
    for (i, gain) in GAINS.into_iter().enumerate() {
        let init = Init::XavierNormal { gain };
        // std gain sqrt(2 / (fan_in + fan_out)).
        let std = gain * (2.0 / (FAN_IN + FAN_OUT) as f64).sqrt();
        assert_rel("variance", init.variance(FAN_IN, FAN_OUT), std * std);
        check_moments(init, 0.0, Family::Normal, 30 + i as u64);
    }
}

#[test]
fn kaiming_uniform() {
    for (i, gain) in GAINS.into_iter().enumerate() {
        let init = Init::KaimingUniform { gain };
        // Bound gain sqrt(3 / fan_in), so variance gain^2 / fan_in.
        let a = gain * (3.0 / FAN_IN as f64).sqrt();
        assert_rel("variance", init.variance(FAN_IN, FAN_OUT), a * a / 3.0);
        let w = check_moments(init, 0.0, Family::Uniform, 40 + i as u64);
        check_bounds(&w, -a, a);
    }
}

#[test]
fn kaiming_normal() {
    for (i, gain) in GAINS.into_iter().enumerate() {
        let init = Init::KaimingNormal { gain };
        // std gain / sqrt(fan_in).
        let std = gain / (FAN_IN as f64).sqrt();
        assert_rel("variance", init.variance(FAN_IN, FAN_OUT), std * std);
        check_moments(init, 0.0, Family::Normal, 50 + i as u64);
    }
}

#[test]
fn negative_gain_or_reversed_bounds_mean_the_same_distribution() {
    // Only gain^2 matters (as in `variance`); reversed uniform bounds are swapped.
    let a = 2.0 * (3.0 / FAN_IN as f64).sqrt();
    let w = check_moments(Init::KaimingUniform { gain: -2.0 }, 0.0, Family::Uniform, 60);
    check_bounds(&w, -a, a);
    check_moments(Init::XavierNormal { gain: -2.0 }, 0.0, Family::Normal, 61);
    let w = check_moments(Init::Uniform { low: 1.0, high: -1.0 }, 0.0, Family::Uniform, 62);
    check_bounds(&w, -1.0, 1.0);
}

#[test]
fn seeds_reproduce() {
    let all = [
        Init::Uniform { low: -1.0, high: 2.0 },
        Init::Normal { mean: 1.0, std: 2.0 },
        Init::XavierUniform { gain: 1.0 },
        Init::XavierNormal { gain: 1.0 },
        Init::KaimingUniform { gain: 2f64.sqrt() },
        Init::KaimingNormal { gain: 2f64.sqrt() },
    ];
    for init in all {
        let sample = |seed| init.sample::<f64>(&[7, 5], 5, 7, seed);
        assert_eq!(
            sample(3),
            sample(3),
            "{init:?}: the same seed draws the same tensor"
        );
        assert_ne!(
            sample(3),
            sample(4),
            "{init:?}: another seed draws another tensor"
        );
        // f32 draws are the f64 draws, rounded.
        let single = init.sample::<f32>(&[7, 5], 5, 7, 3);
        assert_eq!(single, sample(3).cast::<f32>(), "{init:?}: f32 draws");
    }
}

#[test]
fn gains_match_pytorch() {
    // PyTorch (case `calculate_gain` of tools/pytorch_nn_reference.py):
    //     import torch
    //     g = torch.nn.init.calculate_gain
    //     print("linear =", g('linear'))
    //     print("sigmoid =", g('sigmoid'))
    //     print("tanh =", g('tanh'))
    //     print("relu =", g('relu'))
    //     print("leaky_relu_default =", g('leaky_relu'))
    //     print("leaky_relu_0_2 =", g('leaky_relu', 0.2))
    //     print("leaky_relu_0_01 =", g('leaky_relu', 0.01))
    assert_eq!(Activation::Identity.gain(), 1.0);
    assert_eq!(Activation::Sigmoid.gain(), 1.0);
    assert_eq!(Activation::Tanh.gain(), 1.6666666666666667);
    assert_eq!(Activation::Relu.gain(), 1.4142135623730951);
    let default_leaky: Activation = "leaky_relu".parse().unwrap();
    assert_eq!(default_leaky.gain(), 1.4141428569978354);
    assert_eq!(Activation::LeakyRelu(0.2).gain(), 1.3867504905630728);
    assert_eq!(Activation::LeakyRelu(0.01).gain(), 1.4141428569978354);
    // PyTorch has no gain for softmax (calculate_gain raises); chainrule uses the linear one.
    assert_eq!(Activation::Softmax.gain(), 1.0);
}
