//! `l2_penalty` against PyTorch: value and the gradient of each parameter.

use autograd::Tape;
use nn::loss;

use super::{assert_grad, assert_value};
use crate::pytorch::t;

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
