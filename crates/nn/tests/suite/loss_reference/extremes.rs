//! Every loss at inputs of +-1e4 in f32 and f64: finite, exact where the result is representable.

use autograd::{Float, Tape, Tensor, Var};
use nn::loss;

fn tv<T: Float>(data: &[f64], shape: &[usize]) -> Tensor<T> {
    Tensor::from_vec(data.iter().map(|&x| T::from_f64(x)).collect(), shape).unwrap()
}

/// `a` equals `e`, or is within a few ulps of `T` of it (`e` = 0 must be met exactly).
fn near<T: Float>(a: f64, e: f64) -> bool {
    a == e || (a - e).abs() <= 4.0 * T::epsilon().as_f64() * a.abs().max(e.abs())
}

/// Backpropagates `j` and checks that its value and the gradients of `xs` are finite and
/// equal the exact results `value` and `xs[k].1` (to a few ulps).
#[track_caller]
fn check_extreme<T: Float>(what: &str, j: Var<'_, T>, value: f64, xs: &[(Var<'_, T>, &[f64])]) {
    let v = j.item().as_f64();
    assert!(
        v.is_finite() && near::<T>(v, value),
        "{what} ({}): value {v}, exact {value}",
        T::NAME
    );
    let g = j.backward();
    for (k, &(x, expected)) in xs.iter().enumerate() {
        let gx: Vec<f64> = g[x].as_slice().iter().map(|d| d.as_f64()).collect();
        assert!(
            gx.iter().all(|d| d.is_finite()),
            "{what} ({}): gradient {k} {gx:?} is not finite",
            T::NAME
        );
        assert_eq!(gx.len(), expected.len(), "{what}: gradient {k}");
        assert!(
            gx.iter().zip(expected).all(|(&a, &e)| near::<T>(a, e)),
            "{what} ({}): gradient {k} {gx:?}, exact {expected:?}",
            T::NAME
        );
    }
}

fn losses_at_extremes<T: Float>() {
    let big = [1e4, -1e4, 1e4, -1e4];
    let y01 = [1.0, 0.0, 0.0, 1.0];

    // mse_half: m = 2 samples, J = (1e8 + 1e8) / (2 * 2), dJ/df = (f - y) / m.
    let tape = Tape::<T>::new();
    let f = tape.var(tv::<T>(&[1e4, -1e4], &[2]));
    let y = tape.constant(tv::<T>(&[0.0, 0.0], &[2]));
    check_extreme(
        "mse_half",
        loss::mse_half(f, y).unwrap(),
        5e7,
        &[(f, &[5e3, -5e3])],
    );

    // mse: J = 1e8, dJ/df = 2 (f - y) / n.
    let tape = Tape::<T>::new();
    let f = tape.var(tv::<T>(&[1e4, -1e4], &[2]));
    let y = tape.constant(tv::<T>(&[0.0, 0.0], &[2]));
    check_extreme("mse", loss::mse(f, y).unwrap(), 1e8, &[(f, &[1e4, -1e4])]);

    // bce of sigmoid(+-1e4), which is exactly 1 or 0: each clamped log costs 100, and the
    // gradient through the saturated sigmoid is 0.
    let tape = Tape::<T>::new();
    let z = tape.var(tv::<T>(&big, &[4]));
    let y = tape.constant(tv::<T>(&y01, &[4]));
    check_extreme(
        "bce(sigmoid)",
        loss::bce(z.sigmoid(), y).unwrap(),
        50.0,
        &[(z, &[0.0; 4])],
    );

    // bce of probabilities exactly 0 and 1: 0 through a clamped log, (1 - y) / (1 - p) / n and
    // -y / p / n through an unclamped one.
    let tape = Tape::<T>::new();
    let p = tape.var(tv::<T>(&[0.0, 1.0, 0.0, 1.0], &[4]));
    let y = tape.constant(tv::<T>(&y01, &[4]));
    check_extreme(
        "bce",
        loss::bce(p, y).unwrap(),
        50.0,
        &[(p, &[0.0, 0.0, 0.25, -0.25])],
    );

    // bce_with_logits: softplus(1e4) = 1e4, softplus(-1e4) = 0; dJ/dz = (sigmoid(z) - y) / n.
    let tape = Tape::<T>::new();
    let z = tape.var(tv::<T>(&big, &[4]));
    let y = tape.var(tv::<T>(&y01, &[4]));
    // dJ/dy = -z / n.
    let dy = [-2.5e3, 2.5e3, -2.5e3, 2.5e3];
    check_extreme(
        "bce_with_logits",
        loss::bce_with_logits(z, y).unwrap(),
        5e3,
        &[(z, &[0.0, 0.0, 0.25, -0.25]), (y, &dy)],
    );

    // cross_entropy of a single row [1e4, 0]: exactly 0 for target 0 and 1e4 for target 1.
    for (target, value, dz) in [(0, 0.0, [0.0, 0.0]), (1, 1e4, [1.0, -1.0])] {
        let tape = Tape::<T>::new();
        let z = tape.var(tv::<T>(&[1e4, 0.0], &[2]));
        let j = loss::cross_entropy(z, &[target]).unwrap();
        assert_eq!(
            j.item().as_f64(),
            value,
            "cross_entropy([1e4, 0], {target}) ({})",
            T::NAME
        );
        check_extreme("cross_entropy", j, value, &[(z, &dz)]);
    }

    // cross_entropy over a batch: per row 0, 1e4 and 2e4.
    let tape = Tape::<T>::new();
    let z = tape.var(tv::<T>(&[1e4, 0.0, 1e4, 0.0, -1e4, 1e4], &[3, 2]));
    let third = 1.0 / 3.0;
    let dz = [0.0, 0.0, third, -third, -third, third];
    check_extreme(
        "cross_entropy (batch)",
        loss::cross_entropy(z, &[0, 1, 0]).unwrap(),
        1e4,
        &[(z, &dz)],
    );

    // cross_entropy_probs: rows cost 0 and -(0.5 (-2e4) + 0.5 * 0) = 1e4;
    // dJ/dz = (softmax(z) - p) / n and dJ/dp = -log_softmax(z) / n.
    let tape = Tape::<T>::new();
    let z = tape.var(tv::<T>(&[1e4, 0.0, -1e4, 1e4], &[2, 2]));
    let p = tape.var(tv::<T>(&[1.0, 0.0, 0.5, 0.5], &[2, 2]));
    check_extreme(
        "cross_entropy_probs",
        loss::cross_entropy_probs(z, p).unwrap(),
        5e3,
        &[(z, &[0.0, 0.0, -0.25, 0.25]), (p, &[0.0, 5e3, 1e4, 0.0])],
    );

    // hinge: margins relu(1 - y s) = 0, 10001, 10001, 0.
    let tape = Tape::<T>::new();
    let s = tape.var(tv::<T>(&big, &[4]));
    let y = tape.constant(tv::<T>(&[1.0, 1.0, -1.0, -1.0], &[4]));
    check_extreme(
        "hinge",
        loss::hinge(s, y).unwrap(),
        5000.5,
        &[(s, &[0.0, -0.25, 0.25, 0.0])],
    );

    // l2_penalty: 1e8 + 1e8 + 1e8, gradients 2 w.
    let tape = Tape::<T>::new();
    let w = tape.var(tv::<T>(&[1e4, -1e4], &[2]));
    let c = tape.scalar_var(T::from_f64(1e4));
    check_extreme(
        "l2_penalty",
        loss::l2_penalty(&[w, c]).unwrap(),
        3e8,
        &[(w, &[2e4, -2e4]), (c, &[2e4])],
    );
}

#[test]
fn losses_finite_at_extreme_inputs_f32() {
    losses_at_extremes::<f32>();
}

#[test]
fn losses_finite_at_extreme_inputs_f64() {
    losses_at_extremes::<f64>();
}
