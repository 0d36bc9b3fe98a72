//! Selecting and joining: gather (a cross-entropy), index_select with repeats, narrow, concat, stack.

use autograd::{concat, stack, Tape};

use super::{assert_grad, assert_value, from_fn, t};

#[test]
fn cross_entropy_gather_logsumexp() {
    let tape = Tape::<f64>::new();
    #[rustfmt::skip]
    let z = tape.var(t(&[
        1.2, -0.3, 0.8, 2.1, -1.5,
        0.0, 0.4, -0.9, 0.3, 1.7,
        100.0, 98.5, -20.0, 99.0, 0.0,
        -2.2, -0.7, 0.6, 0.1, -1.0,
    ], &[4, 5]));
    let target = [1, 0, 4, 2];
    let y = (z.logsumexp_axes(&[-1], false) - z.gather(-1, &target)).mean();
    let g = y.backward();

    // PyTorch (case `cross_entropy_gather_logsumexp` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     z = torch.tensor([[1.2, -0.3, 0.8, 2.1, -1.5], [0.0, 0.4, -0.9, 0.3, 1.7], [100.0, 98.5, -20.0, 99.0, 0.0], [-2.2, -0.7, 0.6, 0.1, -1.0]], requires_grad=True)
    //     target = torch.tensor([1, 0, 4, 2])
    //     y = (torch.logsumexp(z, -1) - z[torch.arange(4), target]).mean()
    //     y.backward()
    //     print("y =", y.item())
    //     print("cross_entropy =", torch.nn.functional.cross_entropy(z, target).item())
    //     print("dz =", z.grad.flatten().tolist())
    assert_value("y", y, &[26.621652790886557]);
    assert_value("y vs F.cross_entropy", y, &[26.62165279088656]);
    assert_grad(
        "dz",
        &g,
        z,
        &[
            0.056557774015109405,
            -0.23738025482636993,
            0.037911809681481425,
            0.13910967692767479,
            0.003800994202104322,
            -0.2242856569824516,
            0.038361291997198045,
            0.010454671691097704,
            0.034710732403268205,
            0.14075896089088757,
            0.15713292980294027,
            0.03506109579152205,
            1.2048400065218092e-53,
            0.05780597440553715,
            -0.25,
            0.007098111616829456,
            0.031811529253184236,
            -0.133274061719419,
            0.07079786035089693,
            0.02356656049850836,
        ],
    );
}

#[test]
fn index_select_with_repeats() {
    let tape = Tape::<f64>::new();
    #[rustfmt::skip]
    let x = tape.var(t(&[
        0.3, -1.1, 2.0,
        0.8, 0.5, -0.4,
        1.7, -0.2, 0.9,
        -0.6, 1.3, 0.1,
    ], &[4, 3]));
    let r = x.index_select(0, &[2, 0, 2, 3]);
    let c = x.index_select(1, &[2, 2, 0]);
    let k = tape.constant(t(&[1.0, -2.0, 0.5], &[3]));
    let y = (r * k).sin().sum() + c.powf(3.0).sum();
    let g = y.backward();

    // PyTorch (case `index_select_with_repeats` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[0.3, -1.1, 2.0], [0.8, 0.5, -0.4], [1.7, -0.2, 0.9], [-0.6, 1.3, 0.1]], requires_grad=True)
    //     r = x.index_select(0, torch.tensor([2, 0, 2, 3]))
    //     c = x.index_select(1, torch.tensor([2, 2, 0]))
    //     y = (r * torch.tensor([1.0, -2.0, 0.5])).sin().sum() + (c ** 3).sum()
    //     y.backward()
    //     print("r =", r.flatten().tolist())
    //     print("c =", c.flatten().tolist())
    //     print("y =", y.item())
    //     print("dx =", x.grad.flatten().tolist())
    assert_value(
        "r",
        r,
        &[1.7, -0.2, 0.9, 0.3, -1.1, 2.0, 1.7, -0.2, 0.9, -0.6, 1.3, 0.1],
    );
    assert_value(
        "c",
        c,
        &[2.0, 2.0, 0.3, -0.4, -0.4, 0.8, 0.9, 0.9, 1.7, 0.1, 0.1, -0.6],
    );
    assert_value("y", y, &[27.11542029308771]);
    assert_grad(
        "dx",
        &g,
        x,
        &[
            1.225336489125606,
            1.1770022345106916,
            24.27015115293407,
            1.9200000000000004,
            0.0,
            0.9600000000000002,
            8.41231101140895,
            -3.6842439760115404,
            5.7604471023526775,
            1.9053356149096783,
            1.7137775067378946,
            0.5593751301974832,
        ],
    );
}

#[test]
fn narrow_concat_stack() {
    let tape = Tape::<f64>::new();
    #[rustfmt::skip]
    let x = tape.var(t(&[
        0.4, -1.2, 0.9, 2.3,
        -0.5, 1.6, 0.2, -0.8,
        1.1, 0.3, -1.7, 0.6,
    ], &[3, 4]));
    let z = tape.var(t(&[0.7, -0.1, 1.4, -2.0, 0.25, 0.9, -0.6, 1.2], &[2, 4]));
    let n = x.narrow(1, 1, 2);
    let c = concat(&[x, z], 0).unwrap();
    let s = stack(&[x.narrow(0, 1, 2), z], 1).unwrap();
    let w = tape.constant(from_fn(&[2, 2, 4], |k| (k + 1.0) / 8.0));
    let y =
        n.sin().sum() + c.powf(3.0).sum() + (s * w).exp().sum() + stack(&[z, z * z], 0).unwrap().tanh().sum();
    let g = y.backward();

    // PyTorch (case `narrow_concat_stack` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[0.4, -1.2, 0.9, 2.3], [-0.5, 1.6, 0.2, -0.8], [1.1, 0.3, -1.7, 0.6]], requires_grad=True)
    //     z = torch.tensor([[0.7, -0.1, 1.4, -2.0], [0.25, 0.9, -0.6, 1.2]], requires_grad=True)
    //     n = x.narrow(1, 1, 2)
    //     c = torch.cat([x, z], 0)
    //     s = torch.stack([x.narrow(0, 1, 2), z], 1)
    //     w = torch.arange(1.0, 17.0).reshape(2, 2, 4) / 8
    //     y = n.sin().sum() + (c ** 3).sum() + (s * w).exp().sum() + torch.stack([z, z * z], 0).tanh().sum()
    //     y.backward()
    //     print("s =", s.flatten().tolist())
    //     print("y =", y.item())
    //     print("dx =", x.grad.flatten().tolist())
    //     print("dz =", z.grad.flatten().tolist())
    assert_value(
        "s",
        s,
        &[
            -0.5, 1.6, 0.2, -0.8, 0.7, -0.1, 1.4, -2.0, 1.1, 0.3, -1.7, 0.6, 0.25, 0.9, -0.6, 1.2,
        ],
    );
    assert_value("y", y, &[50.468826454362876]);
    assert_grad(
        "dx",
        &g,
        x,
        &[
            0.4800000000000001,
            4.682357754476674,
            3.0516099682706646,
            15.869999999999997,
            0.8674266328516844,
            8.02375665210903,
            1.5042731344229785,
            2.25516002301782,
            7.50785837351191,
            3.0440757573983577,
            8.673937548780778,
            4.769404666735424,
        ],
    );
    assert_grad(
        "dz",
        &g,
        z,
        &[
            4.1839209318227555,
            1.5158939042605966,
            9.288455525097042,
            12.200622305357674,
            4.064980723833813,
            12.363683184443929,
            1.3433084141210734,
            27.15450325122813,
        ],
    );
}
