//! The regression losses `mse_half` and `mse` against PyTorch: value and both gradients.

use autograd::Tape;
use nn::loss;

use super::{assert_grad, assert_value};
use crate::pytorch::t;

/// The regression losses' predictions and targets, `[4, 3]` (as in the script).
const PREDICTIONS: [f64; 12] = [0.3, -1.2, 2.5, 0.7, -0.4, 1.1, -2.0, 0.9, 0.05, 1.6, -0.8, 0.4];
const TARGETS: [f64; 12] = [0.5, -1.0, 1.5, 0.2, 0.1, 0.8, -1.3, 1.7, -0.6, 1.0, 0.3, 0.9];

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
