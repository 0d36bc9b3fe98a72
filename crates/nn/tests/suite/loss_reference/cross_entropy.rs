//! `cross_entropy` (class indices, one row) and `cross_entropy_probs` against PyTorch.

use autograd::Tape;
use nn::loss;

use super::{assert_grad, assert_value};
use crate::pytorch::t;

/// The cross-entropy losses' logits, `[3, 4]` (as in the script).
const LOGITS: [f64; 12] = [0.2, -1.3, 2.4, 0.7, 1.1, 0.4, -0.6, 3.2, -0.5, 0.9, 0.1, -2.2];

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
