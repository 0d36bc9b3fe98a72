//! Reductions over axes (max/min with ties; sum, mean, logsumexp after permute and reshape).

use autograd::Tape;

use super::{assert_grad, assert_value, from_fn, t};

#[test]
fn max_min_reductions_with_ties() {
    let tape = Tape::<f64>::new();
    #[rustfmt::skip]
    let x = tape.var(t(&[
        1.5, -0.5, 1.5, 0.25,
        2.0, 2.0, 2.0, -1.0,
        -0.75, -0.5, -3.0, 0.5,
    ], &[3, 4]));
    #[rustfmt::skip]
    let u = tape.var(t(&[
        1.0, 3.0, 3.0, -2.0, 0.5, -2.0,
        3.0, -1.0, 0.0, 0.5, 0.5, -4.0,
    ], &[2, 2, 3]));
    let rmax = x.max_axes(&[1], false);
    let cmin = x.min_axes(&[0], false);
    let umax = u.max_axes(&[0, 2], true);
    let k_row = tape.constant(t(&[1.0, 2.0, -3.0], &[3]));
    let k_col = tape.constant(t(&[0.5, 1.5, -1.0, 2.0], &[4]));
    let k_u = tape.constant(t(&[1.5, -2.0], &[1, 2, 1]));
    let y = (rmax * k_row).sum() + (cmin * k_col).sum() + 3.0 * x.max() - x.min()
        + (umax * k_u).sum()
        + u.min_axes(&[1, 2], false).sum();
    let g = y.backward();

    // PyTorch (case `max_min_reductions_with_ties` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[1.5, -0.5, 1.5, 0.25], [2.0, 2.0, 2.0, -1.0], [-0.75, -0.5, -3.0, 0.5]], requires_grad=True)
    //     u = torch.tensor([[[1.0, 3.0, 3.0], [-2.0, 0.5, -2.0]], [[3.0, -1.0, 0.0], [0.5, 0.5, -4.0]]], requires_grad=True)
    //     rmax = x.amax(1)
    //     cmin = x.amin(0)
    //     umax = u.amax((0, 2), keepdim=True)
    //     y = (rmax * torch.tensor([1.0, 2.0, -3.0])).sum() + (cmin * torch.tensor([0.5, 1.5, -1.0, 2.0])).sum() + 3.0 * x.max() - x.min() + (umax * torch.tensor([[[1.5], [-2.0]]])).sum() + u.amin((1, 2)).sum()
    //     y.backward()
    //     print("rmax =", rmax.tolist())
    //     print("cmin =", cmin.tolist())
    //     print("umax =", umax.flatten().tolist())
    //     print("y =", y.item())
    //     print("dx =", x.grad.flatten().tolist())
    //     print("du =", u.grad.flatten().tolist())
    assert_value("rmax", rmax, &[1.5, 2.0, 0.5]);
    assert_value("cmin", cmin, &[-0.75, -0.5, -3.0, -1.0]);
    assert_value("umax", umax, &[3.0, 0.5]);
    assert_value("y", y, &[10.375]);
    assert_grad(
        "dx",
        &g,
        x,
        &[
            0.5,
            0.75,
            0.5,
            0.0,
            1.6666666666666665,
            1.6666666666666665,
            1.6666666666666665,
            2.0,
            0.5,
            0.75,
            -2.0,
            -3.0,
        ],
    );
    assert_grad(
        "du",
        &g,
        u,
        &[
            0.0,
            0.5,
            0.5,
            0.5,
            -0.6666666666666666,
            0.5,
            0.5,
            0.0,
            0.0,
            -0.6666666666666666,
            -0.6666666666666666,
            1.0,
        ],
    );
}

#[test]
fn movement_and_reductions() {
    let tape = Tape::<f64>::new();
    let x = tape.var(from_fn(&[2, 3, 4], |k| ((k * 9.0) % 24.0 - 12.0) / 7.0));
    let b = tape.var(t(&[0.5, -1.5, 2.0], &[3]));
    let p = x.permute(&[2, 0, 1]);
    let r = x.transpose(0, 1).reshape(&[3, 8]);
    let k = tape.constant(t(&[1.0, -1.0, 0.5, 2.0], &[4, 1, 1]));
    let y = (p * k).sin().sum()
        + (r.sum_axes(&[1], true) * r).mean()
        + (x.mean_axes(&[0, 2], false) * b).sum()
        + b.broadcast_to(&[4, 3]).cos().sum()
        + x.logsumexp_axes(&[0, 2], false).sum()
        + x.transpose(1, 2).mean_axes(&[0], false).max();
    let g = y.backward();

    // PyTorch (case `movement_and_reductions` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([((k * 9) % 24 - 12.0) / 7 for k in range(24)]).reshape(2, 3, 4).requires_grad_()
    //     b = torch.tensor([0.5, -1.5, 2.0], requires_grad=True)
    //     p = x.permute(2, 0, 1)
    //     r = x.transpose(0, 1).reshape(3, 8)
    //     y = (p * torch.tensor([1.0, -1.0, 0.5, 2.0]).reshape(4, 1, 1)).sin().sum() + (r.sum(1, keepdim=True) * r).mean() + (x.mean((0, 2)) * b).sum() + b.broadcast_to(4, 3).cos().sum() + torch.logsumexp(x, (0, 2)).sum() + x.transpose(1, 2).mean(0).max()
    //     y.backward()
    //     print("y =", y.item())
    //     print("dx =", x.grad.flatten().tolist())
    //     print("db =", b.grad.tolist())
    assert_value("y", y, &[5.677627451437795]);
    assert_grad(
        "dx",
        &g,
        x,
        &[
            -0.20541911327430287,
            -0.7583734998012506,
            0.6091005988608664,
            -1.736449806200192,
            0.7692336435922855,
            -0.0846818077326259,
            0.16668665842868985,
            1.131721122834545,
            -0.017919113274302872,
            -0.5708734998012506,
            0.7966005988608664,
            -1.548949806200192,
            1.0192336435922855,
            0.1653181922673741,
            0.4166866584286899,
            1.381721122834545,
            -0.45541911327430284,
            -1.0083734998012506,
            0.3591005988608665,
            -1.986449806200192,
            1.2067336435922855,
            0.35281819226737415,
            0.6041866584286899,
            1.569221122834545,
        ],
    );
    assert_grad(
        "db",
        &g,
        b,
        &[-2.1319878687025264, 3.7756942321305034, -3.8514754215884413],
    );
}
