//! The structure, activation and loss sections: formulas, ranges and the loss against values by hand.

use super::{close, item, relu, report, sigmoid, sigmoid_slope};
use verify::verdict::Verdict;

/// Holds where the note's formula equals the truth at every point, does not hold where it
/// equals it nowhere, holds partly otherwise.
fn expected_formula_verdict(
    points: &[f64],
    claim: impl Fn(f64) -> f64,
    truth: impl Fn(f64) -> f64,
) -> Verdict {
    let agree = points
        .iter()
        .filter(|&&z| close(claim(z), truth(z), 1e-9))
        .count();
    if agree == points.len() {
        Verdict::Holds
    } else if agree == 0 {
        Verdict::DoesNotHold
    } else {
        Verdict::HoldsPartly
    }
}

/// A step for slopes of piecewise-linear functions: a power of two, so `z +- H` is exact for
/// the integer points used.
const H: f64 = 1.0 / 1048576.0;

#[test]
fn activation_formulas_agree_with_derivatives_by_hand() {
    let r = report();
    let pts: Vec<f64> = (0..=60)
        .map(|i| -30.0 + i as f64)
        .filter(|z| *z != 0.0)
        .chain([0.37, -0.61, 1e-3])
        .collect();
    let pts20: Vec<f64> = pts.iter().copied().filter(|z| z.abs() <= 20.0).collect();
    type F = Box<dyn Fn(f64) -> f64>;
    let mut cases: Vec<(String, &[f64], F, F)> = vec![
        (
            "sigmoid".into(),
            &pts,
            Box::new(|z: f64| 1.0 / (1.0 + (-z).exp())),
            Box::new(sigmoid),
        ),
        (
            "sigmoid's derivative".into(),
            &pts,
            Box::new(|z| sigmoid(z) * (1.0 - sigmoid(z))),
            Box::new(sigmoid_slope),
        ),
        (
            "tanh".into(),
            &pts20,
            Box::new(|z: f64| (z.exp() - (-z).exp()) / (z.exp() + (-z).exp())),
            Box::new(|z: f64| z.tanh()),
        ),
        (
            "tanh's derivative".into(),
            &pts20,
            Box::new(|z: f64| 1.0 - z.tanh().powi(2)),
            Box::new(|z: f64| 1.0 / z.cosh().powi(2)),
        ),
        (
            "ReLU".into(),
            &pts,
            Box::new(|z| if z > 0.0 { z } else { 0.0 }),
            Box::new(relu),
        ),
        (
            "ReLU's derivative (at 0 the engine uses PyTorch's convention, 0)".into(),
            &pts,
            Box::new(|z| if z > 0.0 { 1.0 } else { 0.0 }),
            // The slope of max(z, 0) away from 0: 1 on the right, 0 on the left.
            Box::new(|z| (relu(z + H) - relu(z - H)) / (2.0 * H)),
        ),
    ];
    for a in [0.01, 0.2] {
        cases.push((
            format!("LeakyReLU with a = {a}"),
            &pts,
            Box::new(move |z| if z > 0.0 { z } else { a * z }),
            Box::new(move |z: f64| z.max(a * z)),
        ));
        cases.push((
            format!("LeakyReLU's derivative with a = {a}"),
            &pts,
            Box::new(move |z| if z > 0.0 { 1.0 } else { a }),
            Box::new(move |z: f64| ((z + H).max(a * (z + H)) - (z - H).max(a * (z - H))) / (2.0 * H)),
        ));
    }
    for (claim, points, note_formula, truth) in cases {
        let it = item(&r, "activation", &claim);
        assert_eq!(
            it.verdict,
            expected_formula_verdict(points, note_formula, truth),
            "{it:?}"
        );
    }
    // Ranges: sigmoid in (0, 1) and tanh in [-1, 1] over [-30, 30].
    let sig_in = pts.iter().all(|&z| sigmoid(z) > 0.0 && sigmoid(z) < 1.0);
    assert_eq!(
        item(&r, "activation", "sigmoid's outputs lie in (0, 1)")
            .verdict
            .held(),
        sig_in
    );
    let tanh_in = pts.iter().all(|&z| z.tanh().abs() <= 1.0);
    assert_eq!(item(&r, "activation", "tanh's range").verdict.held(), tanh_in);
    // Vanishing gradients: sigmoid' is at most 1/4, so ten stacked sigmoids give at most 4^-10.
    let mut h = 0.0;
    let mut chain = 1.0;
    for _ in 0..10 {
        chain *= sigmoid_slope(h);
        h = sigmoid(h);
    }
    let max_slope = pts
        .iter()
        .map(|&z| sigmoid_slope(z))
        .fold(sigmoid_slope(0.0), f64::max);
    let it = item(
        &r,
        "activation",
        "sigmoid suffers from vanishing gradients in backprop",
    );
    assert_eq!(it.verdict.held(), max_slope <= 0.25 && chain < 1e-5, "{it:?}");
}

/// dy_i/dz_j of softmax by hand: y_i (delta_ij - y_j).
fn softmax_jacobian(z: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    let y: Vec<f64> = e.iter().map(|v| v / s).collect();
    let j = (0..z.len())
        .map(|i| {
            (0..z.len())
                .map(|k| y[i] * (f64::from(u8::from(i == k)) - y[k]))
                .collect()
        })
        .collect();
    (y, j)
}

#[test]
fn softmax_claims_agree_with_the_jacobian_by_hand() {
    let r = report();
    let vectors: [&[f64]; 3] = [
        &[0.5, -1.0, 2.0],
        &[1.0, 1.0, 1.0, 1.0],
        &[3.0, -2.0, 0.1, 0.7, -0.4],
    ];
    let (mut diagonal_ok, mut off_diagonal_zero, mut in_range, mut sums_to_one) = (true, true, true, true);
    for z in vectors {
        let (y, j) = softmax_jacobian(z);
        for (a, row) in j.iter().enumerate() {
            for (b, d) in row.iter().enumerate() {
                if a == b {
                    diagonal_ok &= close(*d, y[a] * (1.0 - y[a]), 1e-12);
                } else {
                    off_diagonal_zero &= d.abs() <= 1e-15;
                }
            }
        }
        in_range &= y.iter().all(|v| (0.0..=1.0).contains(v));
        sums_to_one &= (y.iter().sum::<f64>() - 1.0).abs() <= 1e-15;
    }
    // The note's y_i' = y_i (1 - y_i) is about dy_i/dz_i; for i != j it says nothing nonzero.
    let expected = match (diagonal_ok, off_diagonal_zero) {
        (true, true) => Verdict::Holds,
        (true, false) => Verdict::HoldsPartly,
        (false, _) => Verdict::DoesNotHold,
    };
    let it = item(&r, "activation", "softmax's derivative");
    assert_eq!(it.verdict, expected, "{it:?}");
    let it = item(&r, "activation", "softmax's outputs lie in [0, 1] and sum to 1");
    assert_eq!(it.verdict.held(), in_range && sums_to_one, "{it:?}");
}

#[test]
fn structure_and_loss_claims_agree_with_direct_computation() {
    let r = report();
    let digits = nn::data::digits::test::<f64>().unwrap();
    let mut classes = digits.labels.clone();
    classes.sort_unstable();
    classes.dedup();
    let it = item(
        &r,
        "structure",
        "a digit classifier's output layer has one neuron per class",
    );
    assert_eq!(it.verdict.held(), classes.len() == 10, "{it:?}");
    // The loss with the 1/2, by hand, against nn's.
    let (f, y) = (vec![0.3, -1.2, 2.0], vec![1.0, 0.5, -0.25]);
    let by_hand: f64 = f
        .iter()
        .zip(&y)
        .map(|(a, b): (&f64, &f64)| (a - b).powi(2))
        .sum::<f64>()
        / (2.0 * 3.0);
    let tape = autograd::Tape::<f64>::new();
    let nn_loss = nn::loss::mse_half(
        tape.constant(autograd::Tensor::from(f)),
        tape.constant(autograd::Tensor::from(y)),
    )
    .unwrap()
    .item();
    let it = item(&r, "loss", "mean squared error with the 1/2");
    assert_eq!(it.verdict.held(), close(nn_loss, by_hand, 1e-15), "{it:?}");
}
