//! Elementwise ops at their ties, corners and bounds: maximum/minimum, pow, where, clamp.

use autograd::Tape;

use super::{assert_grad, assert_value, t};

#[test]
fn maximum_minimum_with_ties() {
    let tape = Tape::<f64>::new();
    let a = tape.var(t(&[0.5, -1.0, 2.0, 3.0, -0.25], &[5]));
    let b = tape.var(t(&[0.5, -2.0, 2.0, 1.0, 0.75], &[5]));
    let m = tape.var(t(&[0.2, -0.4, 1.0, 0.7, 0.3, -1.0], &[2, 3]));
    let c = tape.var(t(&[0.2, 0.3, 0.0], &[3]));
    let k = tape.constant(t(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5]));
    let y = (a.maximum(b) * k).sum()
        + a.minimum(b).powf(2.0).sum()
        + m.maximum(c).exp().sum()
        + (c.minimum(m) * m).sum();
    let g = y.backward();

    // PyTorch (case `maximum_minimum_with_ties` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     a = torch.tensor([0.5, -1.0, 2.0, 3.0, -0.25], requires_grad=True)
    //     b = torch.tensor([0.5, -2.0, 2.0, 1.0, 0.75], requires_grad=True)
    //     A = torch.tensor([[0.2, -0.4, 1.0], [0.7, 0.3, -1.0]], requires_grad=True)
    //     c = torch.tensor([0.2, 0.3, 0.0], requires_grad=True)
    //     y = (torch.maximum(a, b) * torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum() + (torch.minimum(a, b) ** 2).sum() + torch.maximum(A, c).exp().sum() + (torch.minimum(c, A) * A).sum()
    //     y.backward()
    //     print("y =", y.item())
    //     print("da =", a.grad.tolist())
    //     print("db =", b.grad.tolist())
    //     print("dA =", A.grad.flatten().tolist())
    //     print("dc =", c.grad.tolist())
    assert_value("y", y, &[40.6456549092417]);
    assert_grad("da", &g, a, &[1.0, 2.0, 3.5, 4.0, -0.5]);
    assert_grad("db", &g, b, &[1.0, -4.0, 3.5, 2.0, 5.0]);
    assert_grad(
        "dA",
        &g,
        m,
        &[
            0.910701379080085,
            -0.8,
            2.718281828459045,
            2.213752707470477,
            1.1249294037880015,
            -2.0,
        ],
    );
    assert_grad("dc", &g, c, &[1.4107013790800849, 2.1747882113640045, 2.0]);
}

/// Includes the corners PyTorch defines specially: `0^b` with `b > 0` and `0^0` (whose
/// derivatives for both base and exponent are 0, not NaN), and negative bases with a
/// constant exponent.
#[test]
fn pow_with_tensor_exponent() {
    let tape = Tape::<f64>::new();
    let a = tape.var(t(&[0.5, 1.7, 2.0, 0.0, 0.0, 3.1], &[6]));
    let b = tape.var(t(&[1.5, -0.8, 3.0, 2.5, 0.0, 0.0], &[6]));
    let p = tape.var(t(&[1.3, 0.6], &[2, 1]));
    let q = tape.var(t(&[2.0, -1.5, 0.5], &[3]));
    let n = tape.var(t(&[-1.5, -0.7], &[2]));
    let e = tape.constant(t(&[2.0, 3.0], &[2]));
    let k = tape.constant(t(&[1.0, -0.5, 0.25, 2.0, 1.5, 0.75], &[6]));
    let ab = a.pow(b);
    let y = (ab * k).sum() + p.pow(q).sum() + n.pow(e).sum();
    let g = y.backward();

    // PyTorch (case `pow_with_tensor_exponent` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     a = torch.tensor([0.5, 1.7, 2.0, 0.0, 0.0, 3.1], requires_grad=True)
    //     b = torch.tensor([1.5, -0.8, 3.0, 2.5, 0.0, 0.0], requires_grad=True)
    //     p = torch.tensor([[1.3], [0.6]], requires_grad=True)
    //     q = torch.tensor([2.0, -1.5, 0.5], requires_grad=True)
    //     n = torch.tensor([-1.5, -0.7], requires_grad=True)
    //     e = torch.tensor([2.0, 3.0])
    //     ab = a ** b
    //     y = (ab * torch.tensor([1.0, -0.5, 0.25, 2.0, 1.5, 0.75])).sum() + (p ** q).sum() + (n ** e).sum()
    //     y.backward()
    //     print("ab =", ab.tolist())
    //     print("y =", y.item())
    //     print("da =", a.grad.tolist())
    //     print("db =", b.grad.tolist())
    //     print("dp =", p.grad.flatten().tolist())
    //     print("dq =", q.grad.tolist())
    //     print("dn =", n.grad.tolist())
    assert_value(
        "ab",
        ab,
        &[0.3535533905932738, 0.6540950505521052, 8.0, 0.0, 1.0, 1.0],
    );
    assert_value("y", y, &[12.97459538906908]);
    assert_grad(
        "da",
        &g,
        a,
        &[1.0606601717798214, 0.15390471777696593, 3.0, 0.0, 0.0, 0.0],
    );
    assert_grad(
        "db",
        &g,
        b,
        &[
            -0.2450645358671368,
            -0.17354065635144275,
            1.3862943611198906,
            0.0,
            0.0,
            0.8485515836183255,
        ],
    );
    assert_grad("dp", &g, p, &[2.260075146363252, -3.533646312031288]);
    assert_grad(
        "dq",
        &g,
        q,
        &[0.25949838239430323, -0.9221150623610092, -0.09654253996229523],
    );
    assert_grad("dn", &g, n, &[-3.0, 1.4699999999999998]);
}

#[test]
fn where_with_broadcasting() {
    let tape = Tape::<f64>::new();
    let x = tape.var(t(&[0.9, -0.4, 0.25, 1.6, 0.1, -2.0], &[2, 3]));
    let v = tape.var(t(&[0.3, -1.2, 0.8], &[3]));
    let o = x.gt_scalar(0.25).where_(x * v, (v - x).sin());
    let k = tape.constant(t(&[1.0, 2.0, -1.0, 0.5, -3.0, 1.5], &[2, 3]));
    let y = (o * k).sum() + v.lt_scalar(0.0).where_(x.powf(2.0), v.exp()).sum();
    let g = y.backward();

    // PyTorch (case `where_with_broadcasting` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[0.9, -0.4, 0.25], [1.6, 0.1, -2.0]], requires_grad=True)
    //     v = torch.tensor([0.3, -1.2, 0.8], requires_grad=True)
    //     o = torch.where(x > 0.25, x * v, (v - x).sin())
    //     y = (o * torch.tensor([[1.0, 2.0, -1.0], [0.5, -3.0, 1.5]])).sum() + torch.where(v < 0.0, x ** 2, v.exp()).sum()
    //     y.backward()
    //     print("o =", o.flatten().tolist())
    //     print("y =", y.item())
    //     print("dx =", x.grad.flatten().tolist())
    //     print("dv =", v.grad.tolist())
    assert_value(
        "o",
        o,
        &[
            0.27,
            -0.7173560908995227,
            0.5226872289306592,
            0.48,
            -0.963558185417193,
            0.3349881501559051,
        ],
    );
    assert_value("y", y, &[9.266556842892674]);
    assert_grad(
        "dx",
        &g,
        x,
        &[
            0.3,
            -2.1934134186943313,
            0.8525245220595057,
            0.15,
            1.002496485873762,
            1.4133335110029872,
        ],
    );
    assert_grad(
        "dv",
        &g,
        v,
        &[4.3997176151520065, 0.590916932820569, 2.185223823922443],
    );
}

/// At the bounds themselves PyTorch's `clamp` with scalar bounds has derivative 0 (the
/// minimum-norm subgradient, as `relu` and `hardtanh`; pytorch/pytorch#184574). Here `x = -1.0`
/// and `x = 1.5` sit exactly on the bounds.
#[test]
fn clamp_at_and_outside_bounds() {
    let tape = Tape::<f64>::new();
    let x = tape.var(t(&[-2.0, -1.0, -0.3, 0.5, 1.5, 3.0], &[6]));
    let c = x.clamp(-1.0, 1.5);
    let k = tape.constant(t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[6]));
    let y = (c * k).sum() + (c * x).sum();
    let g = y.backward();

    // PyTorch (case `clamp_at_and_outside_bounds` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([-2.0, -1.0, -0.3, 0.5, 1.5, 3.0], requires_grad=True)
    //     c = x.clamp(-1.0, 1.5)
    //     y = (c * torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])).sum() + (c * x).sum()
    //     y.backward()
    //     print("c =", c.tolist())
    //     print("y =", y.item())
    //     print("dx =", x.grad.tolist())
    assert_value("c", c, &[-1.0, -1.0, -0.3, 0.5, 1.5, 1.5]);
    assert_value("y", y, &[24.689999999999998]);
    assert_grad("dx", &g, x, &[-1.0, -1.0, 2.4000000000000004, 5.0, 1.5, 1.5]);
}
