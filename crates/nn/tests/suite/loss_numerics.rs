//! The losses at the extremes (issue 6): `nn::loss::cross_entropy` and
//! `nn::loss::bce_with_logits` with logits of +-1e4 (and mixtures with ordinary values), in f32
//! and f64. Values and gradients must be finite and within a few ulps of the exact result
//! rounded to the type. The references are computed independently in f64 with the stable
//! formulas. `crates/autograd/tests/suite/numerics.rs` covers the activations and softmax family.

use autograd::{Float, Tape, Tensor};
use nn::loss;

#[path = "../../../autograd/tests/support/numerics.rs"]
mod numerics;
use numerics::{assert_close, shifted_logsumexp, sigmoid, softmax, softplus};

const ROWS: [[f64; 3]; 6] = [
    [1e4, -1e4, 0.0],
    [1e4, -1e4, 0.0],
    [1e4, -1e4, 0.0],
    [1e4, 1e4, -1e4],
    [-1e4, -1e4, -1e4],
    [-1e4, 2.0, 0.5],
];
const LABELS: [usize; 6] = [0, 1, 2, 0, 1, 2];

fn cross_entropy_at_extremes<T: Float>() {
    let n = ROWS.len();
    let flat: Vec<T> = ROWS.iter().flatten().map(|&v| T::from_f64(v)).collect();
    let tape = Tape::<T>::new();
    let z = tape.var(Tensor::from_vec(flat, &[n, 3]).unwrap());
    let l = loss::cross_entropy(z, &LABELS).unwrap();
    let g = l.backward();
    // Per row: -(log_softmax)[label] = ln(sum exp(x - m)) - (x[label] - m).
    let per_row: Vec<f64> = ROWS
        .iter()
        .zip(LABELS)
        .map(|(r, k)| {
            let (m, s) = shifted_logsumexp(r);
            s - (r[k] - m)
        })
        .collect();
    let mut sorted = per_row.clone();
    sorted.sort_by(f64::total_cmp);
    let mean = sorted.iter().sum::<f64>() / n as f64;
    assert_close("cross_entropy", &[l.item()], &[mean], 4);
    // d/dz = (softmax(z) - onehot) / n.
    let want: Vec<f64> = ROWS
        .iter()
        .zip(LABELS)
        .flat_map(|(r, k)| {
            softmax(r)
                .into_iter()
                .enumerate()
                .map(move |(j, p)| (p - if j == k { 1.0 } else { 0.0 }) / n as f64)
        })
        .collect();
    assert_close("cross_entropy'", &g[z].to_vec(), &want, 4);

    // Single rows with known exact values.
    let one = |row: &[f64], label: usize| {
        let t = Tape::<T>::new();
        let z =
            t.var(Tensor::from_vec(row.iter().map(|&v| T::from_f64(v)).collect(), &[1, row.len()]).unwrap());
        loss::cross_entropy(z, &[label]).unwrap().item()
    };
    assert_eq!(one(&[1e4, -1e4], 0), T::zero());
    assert_eq!(one(&[1e4, -1e4], 1), T::from_f64(2e4));
    assert_eq!(one(&[1e4, 1e4], 1), T::from_f64(std::f64::consts::LN_2));
}

#[test]
fn cross_entropy_at_plus_minus_1e4_f64() {
    cross_entropy_at_extremes::<f64>();
}

#[test]
fn cross_entropy_at_plus_minus_1e4_f32() {
    cross_entropy_at_extremes::<f32>();
}

fn bce_with_logits_at_extremes<T: Float>() {
    let z0 = [1e4, -1e4, 1e4, -1e4, 1e4, -1e4, 0.0, 3.0];
    let y0 = [1.0, 0.0, 0.0, 1.0, 0.5, 0.5, 1.0, 0.25];
    let n = z0.len() as f64;
    let tape = Tape::<T>::new();
    let t = |v: &[f64]| Tensor::from(v.iter().map(|&x| T::from_f64(x)).collect::<Vec<_>>());
    let z = tape.var(t(&z0));
    let y = tape.constant(t(&y0));
    let l = loss::bce_with_logits(z, y).unwrap();
    let g = l.backward();
    let terms: Vec<f64> = z0
        .iter()
        .zip(&y0)
        .map(|(&z, &y)| y * softplus(-z) + (1.0 - y) * softplus(z))
        .collect();
    assert_close(
        "bce_with_logits",
        &[l.item()],
        &[terms.iter().sum::<f64>() / n],
        4,
    );
    let want: Vec<f64> = z0.iter().zip(&y0).map(|(&z, &y)| (sigmoid(z) - y) / n).collect();
    assert_close("bce_with_logits'", &g[z].to_vec(), &want, 4);
    // Confidently right costs nothing, confidently wrong costs |z|.
    let one = |z: f64, y: f64| {
        let t = Tape::<T>::new();
        let l = loss::bce_with_logits(
            t.var(Tensor::from(vec![T::from_f64(z)])),
            t.constant(Tensor::from(vec![T::from_f64(y)])),
        );
        l.unwrap().item()
    };
    assert_eq!(one(1e4, 1.0), T::zero());
    assert_eq!(one(-1e4, 0.0), T::zero());
    assert_eq!(one(1e4, 0.0), T::from_f64(1e4));
    assert_eq!(one(-1e4, 1.0), T::from_f64(1e4));
}

#[test]
fn bce_with_logits_at_plus_minus_1e4_f64() {
    bce_with_logits_at_extremes::<f64>();
}

#[test]
fn bce_with_logits_at_plus_minus_1e4_f32() {
    bce_with_logits_at_extremes::<f32>();
}
