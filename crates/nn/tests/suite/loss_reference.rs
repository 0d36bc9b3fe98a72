//! Every loss of `nn::loss` against PyTorch (float64): the value and the gradient of every
//! input, to 1e-12 relative; and every loss at logits/inputs of +-1e4 in `f32` and `f64`,
//! where values and gradients must be finite (and exact where the exact result is
//! representable).
//!
//! Beside each block of literals is the self-contained Python that produced it; all of them
//! are in `tools/pytorch_nn_reference.py` (`python tools/pytorch_nn_reference.py`, PyTorch >=
//! 2.0), which prints floats with `repr`, so the literals are PyTorch's f64 values bit for bit.

use autograd::{Float, Gradients, Tape, Tensor, Var};
use nn::loss;

use crate::pytorch;
use pytorch::{assert_close, t};

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

/// The regression losses' predictions and targets, `[4, 3]` (as in the script).
const PREDICTIONS: [f64; 12] = [0.3, -1.2, 2.5, 0.7, -0.4, 1.1, -2.0, 0.9, 0.05, 1.6, -0.8, 0.4];
const TARGETS: [f64; 12] = [0.5, -1.0, 1.5, 0.2, 0.1, 0.8, -1.3, 1.7, -0.6, 1.0, 0.3, 0.9];
/// The cross-entropy losses' logits, `[3, 4]` (as in the script).
const LOGITS: [f64; 12] = [0.2, -1.3, 2.4, 0.7, 1.1, 0.4, -0.6, 3.2, -0.5, 0.9, 0.1, -2.2];

#[test]
fn mse_half() {
    let tape = Tape::<f64>::new();
    let f = tape.var(t(&PREDICTIONS, &[4, 3]));
    let y = tape.var(t(&TARGETS, &[4, 3]));
    let j = loss::mse_half(f, y).unwrap();
    let g = j.backward();

    // The study note's J = 1/(2m) sum (f - y)^2 with m = 4 samples (of 3 outputs each).
    // PyTorch (case `mse_half` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     f = torch.tensor([[0.3, -1.2, 2.5], [0.7, -0.4, 1.1], [-2.0, 0.9, 0.05], [1.6, -0.8, 0.4]], requires_grad=True)
    //     y = torch.tensor([[0.5, -1.0, 1.5], [0.2, 0.1, 0.8], [-1.3, 1.7, -0.6], [1.0, 0.3, 0.9]], requires_grad=True)
    //     m = f.shape[0]
    //     J = 0.5 * torch.nn.MSELoss(reduction='sum')(f, y) / m
    //     J.backward()
    //     print("J =", J.item())
    //     print("df =", f.grad.flatten().tolist())
    //     print("dy =", y.grad.flatten().tolist())
    assert_value(j, 0.6303125);
    assert_grad(
        "df",
        &g,
        f,
        &[
            -0.05,
            -0.04999999999999999,
            0.25,
            0.12499999999999999,
            -0.125,
            0.07500000000000001,
            -0.175,
            -0.19999999999999998,
            0.1625,
            0.15000000000000002,
            -0.275,
            -0.125,
        ],
    );
    assert_grad(
        "dy",
        &g,
        y,
        &[
            0.05,
            0.04999999999999999,
            -0.25,
            -0.12499999999999999,
            0.125,
            -0.07500000000000001,
            0.175,
            0.19999999999999998,
            -0.1625,
            -0.15000000000000002,
            0.275,
            0.125,
        ],
    );
}

#[test]
fn mse() {
    let tape = Tape::<f64>::new();
    let f = tape.var(t(&PREDICTIONS, &[4, 3]));
    let y = tape.var(t(&TARGETS, &[4, 3]));
    let j = loss::mse(f, y).unwrap();
    let g = j.backward();

    // PyTorch (case `mse` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     f = torch.tensor([[0.3, -1.2, 2.5], [0.7, -0.4, 1.1], [-2.0, 0.9, 0.05], [1.6, -0.8, 0.4]], requires_grad=True)
    //     y = torch.tensor([[0.5, -1.0, 1.5], [0.2, 0.1, 0.8], [-1.3, 1.7, -0.6], [1.0, 0.3, 0.9]], requires_grad=True)
    //     J = torch.nn.MSELoss()(f, y)
    //     J.backward()
    //     print("J =", J.item())
    //     print("df =", f.grad.flatten().tolist())
    //     print("dy =", y.grad.flatten().tolist())
    assert_value(j, 0.42020833333333335);
    assert_grad(
        "df",
        &g,
        f,
        &[
            -0.03333333333333333,
            -0.033333333333333326,
            0.16666666666666666,
            0.08333333333333331,
            -0.08333333333333333,
            0.05,
            -0.11666666666666665,
            -0.1333333333333333,
            0.10833333333333334,
            0.1,
            -0.18333333333333335,
            -0.08333333333333333,
        ],
    );
    assert_grad(
        "dy",
        &g,
        y,
        &[
            0.03333333333333333,
            0.033333333333333326,
            -0.16666666666666666,
            -0.08333333333333331,
            0.08333333333333333,
            -0.05,
            0.11666666666666665,
            0.1333333333333333,
            -0.10833333333333334,
            -0.1,
            0.18333333333333335,
            0.08333333333333333,
        ],
    );
}

#[test]
fn bce() {
    let tape = Tape::<f64>::new();
    let p = tape.var(t(&[0.2, 0.9, 0.55, 0.7, 0.05, 0.35], &[2, 3]));
    let y = tape.var(t(&[0.0, 1.0, 1.0, 0.0, 0.3, 1.0], &[2, 3]));
    let j = loss::bce(p, y).unwrap();
    let g = j.backward();

    // PyTorch (case `bce` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     p = torch.tensor([[0.2, 0.9, 0.55], [0.7, 0.05, 0.35]], requires_grad=True)
    //     y = torch.tensor([[0.0, 1.0, 1.0], [0.0, 0.3, 1.0]], requires_grad=True)
    //     J = torch.nn.BCELoss()(p, y)
    //     J.backward()
    //     print("J =", J.item())
    //     print("dp =", p.grad.flatten().tolist())
    //     print("dy =", y.grad.flatten().tolist())
    assert_value(j, 0.6857934974482922);
    assert_grad(
        "dp",
        &g,
        p,
        &[
            0.2083333333333333,
            -0.1851851851851852,
            -0.30303030303030304,
            0.5555555555555555,
            -0.8771929824561404,
            -0.4761904761904763,
        ],
    );
    assert_grad(
        "dy",
        &g,
        y,
        &[
            0.23104906018664842,
            -0.3662040962227033,
            -0.03344511591035857,
            -0.14121631006453392,
            0.4907398298610734,
            0.10317320140103725,
        ],
    );
}

#[test]
fn bce_saturated() {
    let tape = Tape::<f64>::new();
    let p = tape.var(t(&[0.0, 1.0, 0.0, 1.0, 0.25], &[5]));
    let y = tape.constant(t(&[1.0, 0.0, 0.0, 1.0, 0.5], &[5]));
    let j = loss::bce(p, y).unwrap();
    let g = j.backward();

    // PyTorch (case `bce_saturated` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     p = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.25], requires_grad=True)
    //     y = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.5])
    //     J = torch.nn.BCELoss()(p, y)
    //     J.backward()
    //     print("J =", J.item())
    //     print("dp =", p.grad.tolist())
    assert_value(j, 40.16739764335717);
    let torch_dp: &[f64] = &[
        -200000000799.16058,
        200000000799.16058,
        0.0,
        0.0,
        -0.26666666666666666,
    ];
    // Where p is not saturated the gradients agree.
    assert_close("dp[4]", &g[p].as_slice()[4..], &torch_dp[4..]);
    // Where p is 0 or 1 they differ by design (see `loss::bce`): PyTorch's backward divides by
    // max(p (1 - p), 1e-12) (its 1e-12 is an f32 constant: -1 / 9.9999999600419720e-13 / 5 is
    // the -200000000799.16058 above) and is not the derivative of its forward. Ours is: 0
    // through a clamped log, and (1 - y) / (1 - p) / n = 1/5, -y / p / n = -1/5 where the log
    // is not clamped.
    assert_eq!(g[p].as_slice()[..4], [0.0, 0.0, 0.2, -0.2]);
}

#[test]
fn bce_with_logits() {
    let tape = Tape::<f64>::new();
    let z = tape.var(t(&[0.8, -1.5, 2.3, -0.2, 3.1, -2.7], &[2, 3]));
    let y = tape.var(t(&[1.0, 0.0, 1.0, 0.0, 0.6, 0.25], &[2, 3]));
    let j = loss::bce_with_logits(z, y).unwrap();
    let g = j.backward();

    // PyTorch (case `bce_with_logits` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     z = torch.tensor([[0.8, -1.5, 2.3], [-0.2, 3.1, -2.7]], requires_grad=True)
    //     y = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.6, 0.25]], requires_grad=True)
    //     J = torch.nn.BCEWithLogitsLoss()(z, y)
    //     J.backward()
    //     print("J =", J.item())
    //     print("dz =", z.grad.flatten().tolist())
    //     print("dy =", y.grad.flatten().tolist())
    assert_value(j, 0.5483843012708749);
    assert_grad(
        "dz",
        &g,
        z,
        &[
            -0.051670919812064585,
            0.030404253967726058,
            -0.015187160169142696,
            0.07502766711458703,
            0.05948212417648565,
            -0.031171107323833918,
        ],
    );
    assert_grad(
        "dy",
        &g,
        y,
        &[
            -0.13333333333333333,
            0.25,
            -0.3833333333333333,
            0.03333333333333333,
            -0.5166666666666667,
            0.45,
        ],
    );
}

#[test]
fn cross_entropy() {
    let tape = Tape::<f64>::new();
    let z = tape.var(t(&LOGITS, &[3, 4]));
    let j = loss::cross_entropy(z, &[2, 0, 3]).unwrap();
    let g = j.backward();

    // PyTorch (case `cross_entropy` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     z = torch.tensor([[0.2, -1.3, 2.4, 0.7], [1.1, 0.4, -0.6, 3.2], [-0.5, 0.9, 0.1, -2.2]], requires_grad=True)
    //     J = torch.nn.CrossEntropyLoss()(z, torch.tensor([2, 0, 3]))
    //     J.backward()
    //     print("J =", J.item())
    //     print("dz =", z.grad.flatten().tolist())
    assert_value(j, 2.072576188705036);
    assert_grad(
        "dz",
        &g,
        z,
        &[
            0.028018586012929808,
            0.0062517915841975805,
            -0.08046521633158583,
            0.046194838734458454,
            -0.29947670773013635,
            0.016812702710515576,
            0.006185047677726064,
            0.2764789573418947,
            0.047214337840182925,
            0.19146358124410306,
            0.08603013262658633,
            -0.3247080517108723,
        ],
    );
}

#[test]
fn cross_entropy_single_row() {
    let tape = Tape::<f64>::new();
    let z = tape.var(t(&[0.3, -0.8, 1.7, 0.4], &[4]));
    let j = loss::cross_entropy(z, &[1]).unwrap();
    let g = j.backward();

    // PyTorch (case `cross_entropy_single_row` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     z = torch.tensor([0.3, -0.8, 1.7, 0.4], requires_grad=True)
    //     J = torch.nn.CrossEntropyLoss()(z, torch.tensor(1))
    //     J.backward()
    //     print("J =", J.item())
    //     print("dz =", z.grad.tolist())
    assert_value(j, 2.9707619389059747);
    assert_grad(
        "dz",
        &g,
        z,
        &[
            0.15400627372781778,
            -0.9487357647679182,
            0.6245262361149185,
            0.1702032549251819,
        ],
    );
}

#[test]
fn cross_entropy_probs() {
    let tape = Tape::<f64>::new();
    let z = tape.var(t(&LOGITS, &[3, 4]));
    let p = tape.var(t(
        &[0.1, 0.2, 0.3, 0.4, 0.7, 0.1, 0.15, 0.05, 0.25, 0.25, 0.25, 0.25],
        &[3, 4],
    ));
    let j = loss::cross_entropy_probs(z, p).unwrap();
    let g = j.backward();

    // PyTorch (case `cross_entropy_probs` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     z = torch.tensor([[0.2, -1.3, 2.4, 0.7], [1.1, 0.4, -0.6, 3.2], [-0.5, 0.9, 0.1, -2.2]], requires_grad=True)
    //     p = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.15, 0.05], [0.25, 0.25, 0.25, 0.25]], requires_grad=True)
    //     J = torch.nn.CrossEntropyLoss()(z, p)
    //     J.backward()
    //     print("J =", J.item())
    //     print("dz =", z.grad.flatten().tolist())
    //     print("dp =", p.grad.flatten().tolist())
    assert_value(j, 2.100909522038369);
    assert_grad(
        "dz",
        &g,
        z,
        &[
            -0.005314747320403521,
            -0.06041487508246909,
            0.15286811700174754,
            -0.08713849459887488,
            -0.19947670773013634,
            -0.016520630622817757,
            -0.043814952322273934,
            0.25981229067522804,
            -0.0361189954931504,
            0.10813024791076975,
            0.002696799293253005,
            -0.07470805171087233,
        ],
    );
    assert_grad(
        "dp",
        &g,
        p,
        &[
            0.8254249713904535,
            1.3254249713904536,
            0.09209163805712023,
            0.6587583047237868,
            0.7623360919645392,
            0.9956694252978726,
            1.3290027586312059,
            0.06233609196453922,
            0.6514817920167096,
            0.184815125350043,
            0.4514817920167096,
            1.2181484586833764,
        ],
    );
}

#[test]
fn hinge() {
    let tape = Tape::<f64>::new();
    let s = tape.var(t(&[2.0, 0.5, -0.3, 1.4, -1.2, 0.85], &[6]));
    let y = tape.var(t(&[1.0, 1.0, -1.0, -1.0, 1.0, 1.0], &[6]));
    let j = loss::hinge(s, y).unwrap();
    let g = j.backward();

    // PyTorch has no loss of this form; it is written out with the same ops.
    // PyTorch (case `hinge` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     s = torch.tensor([2.0, 0.5, -0.3, 1.4, -1.2, 0.85], requires_grad=True)
    //     y = torch.tensor([1.0, 1.0, -1.0, -1.0, 1.0, 1.0], requires_grad=True)
    //     J = torch.relu(1.0 - y * s).mean()
    //     J.backward()
    //     print("J =", J.item())
    //     print("ds =", s.grad.tolist())
    //     print("dy =", y.grad.tolist())
    assert_value(j, 0.9916666666666666);
    assert_grad(
        "ds",
        &g,
        s,
        &[
            -0.0,
            -0.16666666666666666,
            0.16666666666666666,
            0.16666666666666666,
            -0.16666666666666666,
            -0.16666666666666666,
        ],
    );
    assert_grad(
        "dy",
        &g,
        y,
        &[
            -0.0,
            -0.08333333333333333,
            0.049999999999999996,
            -0.2333333333333333,
            0.19999999999999998,
            -0.14166666666666666,
        ],
    );
}

#[test]
fn l2_penalty() {
    let tape = Tape::<f64>::new();
    let w = tape.var(t(&[0.5, -0.3, 0.8, -0.6, 0.2, 0.4], &[2, 3]));
    let b = tape.var(t(&[0.1, -0.2, 0.3], &[3]));
    let c = tape.scalar_var(1.7);
    let j = loss::l2_penalty(&[w, b, c]).unwrap();
    let g = j.backward();

    // PyTorch (case `l2_penalty` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     c = torch.tensor(1.7, requires_grad=True)
    //     J = (W ** 2).sum() + (b ** 2).sum() + c ** 2
    //     J.backward()
    //     print("J =", J.item())
    //     print("dW =", W.grad.flatten().tolist())
    //     print("db =", b.grad.tolist())
    //     print("dc =", c.grad.item())
    assert_value(j, 4.57);
    assert_grad("dW", &g, w, &[1.0, -0.6, 1.6, -1.2, 0.4, 0.8]);
    assert_grad("db", &g, b, &[0.2, -0.4, 0.6]);
    assert_grad("dc", &g, c, &[3.4]);
}

// ---------------------------------------------------------------------------------------------
// Logits and inputs of +-1e4, in f32 and f64: finite, and exact where the result is
// representable.
// ---------------------------------------------------------------------------------------------

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
