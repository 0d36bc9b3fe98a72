//! `clip_grad_norm` against `torch.nn.utils.clip_grad_norm_`: inside an Adam run, and alone.

use autograd::Tensor;
use nn::optim::{clip_grad_norm, Adam};

use super::{assert_run, train};
use crate::pytorch::{assert_close, t};

#[test]
fn adam_with_clipping() {
    let mut opt = Adam::new(0.05);
    let run = train(&mut opt, Some(0.3));

    // PyTorch (case `adam_with_clipping` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-0.7, 0.3, 0.9], [1.2, -0.4, -0.8]])
    //     y = torch.tensor([[0.3, -0.5], [0.8, 0.1], [-0.2, 0.6], [0.4, -0.9]])
    //     W = torch.tensor([[0.5, -0.3, 0.8], [-0.6, 0.2, 0.4]], requires_grad=True)
    //     b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
    //     opt = torch.optim.Adam([W, b], lr=0.05)
    //     losses, norms = [], []
    //     for _ in range(5):
    //         opt.zero_grad()
    //         loss = ((torch.tanh((x + b) @ W.T) - y) ** 2).mean() + 0.05 * (b ** 4).sum()
    //         loss.backward(); losses.append(loss.item())
    //         norms.append(torch.nn.utils.clip_grad_norm_([W, b], max_norm=0.3).item()); opt.step()
    //     print("losses =", losses)
    //     print("norms =", norms)
    //     print("W =", W.flatten().tolist())
    //     print("b =", b.tolist())
    assert_close(
        "norms",
        &run.norms,
        &[
            0.45370714621319524,
            0.4375158506220869,
            0.3717153174069377,
            0.285053960508814,
            0.21339219357657338,
        ],
    );
    assert_run(
        &run,
        &[
            0.16110068576226813,
            0.12370605290718602,
            0.08854536985564841,
            0.057362744294288975,
            0.03522893186398616,
        ],
        &[
            0.7465021975439396,
            -0.05221268566570851,
            0.5503192567693516,
            -0.5601033218049148,
            0.20631435604115045,
            0.40049209050766066,
        ],
        &[0.06708344461054386, -0.15904825296512984, 0.14873934814486306],
    );
}

/// The gradients of the clipping cases: a `[2, 3]`, a `[3]`, and a parameter without one.
fn clip_grads() -> Vec<Option<Tensor<f64>>> {
    vec![
        Some(t(&[0.3, -1.2, 2.5, 0.7, -0.4, 1.1], &[2, 3])),
        Some(t(&[-0.9, 0.05, 1.6], &[3])),
        None,
    ]
}

#[test]
fn clip_grad_norm_scales_down() {
    let mut grads = clip_grads();
    let norm = clip_grad_norm(&mut grads, 1.5);

    // PyTorch (case `clip_grad_norm` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     p1, p2 = torch.zeros(2, 3, requires_grad=True), torch.zeros(3, requires_grad=True)
    //     p3 = torch.zeros(2, requires_grad=True)  # no gradient
    //     p1.grad = torch.tensor([[0.3, -1.2, 2.5], [0.7, -0.4, 1.1]])
    //     p2.grad = torch.tensor([-0.9, 0.05, 1.6])
    //     norm = torch.nn.utils.clip_grad_norm_([p1, p2, p3], max_norm=1.5)
    //     print("norm =", norm.item())
    //     print("g1 =", p1.grad.flatten().tolist())
    //     print("g2 =", p2.grad.tolist())
    assert_close("norm", &[norm], &[3.6072842970855516]);
    assert_close(
        "g1",
        grads[0].as_ref().unwrap().as_slice(),
        &[
            0.1247475491787606,
            -0.4989901967150424,
            1.039562909823005,
            0.2910776147504414,
            -0.16633006557168084,
            0.4574076803221223,
        ],
    );
    assert_close(
        "g2",
        grads[1].as_ref().unwrap().as_slice(),
        &[-0.37424264753628184, 0.020791258196460105, 0.6653202622867234],
    );
    assert!(grads[2].is_none());
}

#[test]
fn clip_grad_norm_below_max_leaves_gradients() {
    let mut grads = clip_grads();
    grads.pop();
    let norm = clip_grad_norm(&mut grads, 10.0);

    // PyTorch (case `clip_grad_norm_below_max` of tools/pytorch_nn_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     p1, p2 = torch.zeros(2, 3, requires_grad=True), torch.zeros(3, requires_grad=True)
    //     p1.grad = torch.tensor([[0.3, -1.2, 2.5], [0.7, -0.4, 1.1]])
    //     p2.grad = torch.tensor([-0.9, 0.05, 1.6])
    //     norm = torch.nn.utils.clip_grad_norm_([p1, p2], max_norm=10.0)
    //     print("norm =", norm.item())
    //     print("g1 =", p1.grad.flatten().tolist())
    //     print("g2 =", p2.grad.tolist())
    assert_close("norm", &[norm], &[3.6072842970855516]);
    assert_close(
        "g1",
        grads[0].as_ref().unwrap().as_slice(),
        &[0.3, -1.2, 2.5, 0.7, -0.4, 1.1],
    );
    assert_close("g2", grads[1].as_ref().unwrap().as_slice(), &[-0.9, 0.05, 1.6]);
}
