//! The binary losses `bce` (also saturated), `bce_with_logits` and `hinge` against PyTorch.

use autograd::Tape;
use nn::loss;

use super::{assert_grad, assert_value};
use crate::pytorch::{assert_close, t};

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
