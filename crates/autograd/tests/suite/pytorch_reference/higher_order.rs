//! Higher-order derivatives: a Hessian-vector product, and derivatives up to the third.

use autograd::{grad, Tape};

use super::{assert_value, t};

#[test]
fn hessian_vector_product() {
    let tape = Tape::<f64>::new();
    let x = tape.var(t(&[0.4, -0.9, 1.3], &[3]));
    #[rustfmt::skip]
    let w = tape.var(t(&[
        0.5, -0.2, 0.8,
        0.3, 0.7, -0.6,
        -0.4, 0.1, 0.9,
    ], &[3, 3]));
    let v = tape.constant(t(&[1.0, -0.5, 2.0], &[3]));
    let f = w.matmul(x).tanh().powf(2.0).sum()
        + (x.sigmoid() * x).sum()
        + (x * x).softmax(0).narrow(0, 1, 1).reshape(&[]);
    let gx = grad(f, &[x]).unwrap()[0];
    let hv = grad((gx * v).sum(), &[x, w]).unwrap();

    // PyTorch (case `hessian_vector_product` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([0.4, -0.9, 1.3], requires_grad=True)
    //     W = torch.tensor([[0.5, -0.2, 0.8], [0.3, 0.7, -0.6], [-0.4, 0.1, 0.9]], requires_grad=True)
    //     v = torch.tensor([1.0, -0.5, 2.0])
    //     f = (torch.tanh(W @ x) ** 2).sum() + (x.sigmoid() * x).sum() + (x * x).softmax(0)[1]
    //     (g,) = torch.autograd.grad(f, x, create_graph=True)
    //     hv_x, hv_W = torch.autograd.grad((g * v).sum(), (x, W))
    //     print("f =", f.item())
    //     print("g =", g.tolist())
    //     print("hv_x =", hv_x.tolist())
    //     print("hv_W =", hv_W.flatten().tolist())
    assert_value("f", f, &[3.3115891661885968]);
    assert_value(
        "g",
        gx,
        &[0.4436486884714529, -0.5577649948632694, 1.7844432216065542],
    );
    assert_value(
        "hv_x",
        hv[0],
        &[0.4429556437430746, 0.9684527034697443, -1.971104764541778],
    );
    assert_value(
        "hv_W",
        hv[1],
        &[
            -0.13337126455254444,
            0.9496243432718634,
            -0.8974130369590825,
            -0.13198736299539154,
            -0.4905515595704259,
            0.1335575890578753,
            0.39007284656130436,
            0.3242445877859227,
            0.4092306852179124,
        ],
    );
    assert_eq!(hv[1].shape().as_slice(), &[3, 3]);
}

#[test]
fn second_and_third_order() {
    let tape = Tape::<f64>::new();
    let z = tape.var(t(&[0.3, -1.1, 2.2, 1.5, 0.2, -0.4], &[2, 3]));
    let v = tape.constant(t(&[0.5, 1.0, -1.5, 2.0, -0.5, 0.25], &[2, 3]));
    let loss = (z.logsumexp_axes(&[-1], false) - z.gather(-1, &[2, 0])).mean();
    let gz = grad(loss, &[z]).unwrap()[0];
    let hv = grad((gz * v).sum(), &[z]).unwrap()[0];

    let t0 = tape.scalar_var(0.7);
    let s = t0.softplus() * t0.sin() + t0.powf(3.0) / (1.0 + t0 * t0);
    let d1 = grad(s, &[t0]).unwrap()[0];
    let d2 = grad(d1, &[t0]).unwrap()[0];
    let d3 = grad(d2, &[t0]).unwrap()[0];

    // PyTorch (case `second_and_third_order` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     z = torch.tensor([[0.3, -1.1, 2.2], [1.5, 0.2, -0.4]], requires_grad=True)
    //     v = torch.tensor([[0.5, 1.0, -1.5], [2.0, -0.5, 0.25]])
    //     loss = (torch.logsumexp(z, -1) - z[torch.arange(2), torch.tensor([2, 0])]).mean()
    //     (g,) = torch.autograd.grad(loss, z, create_graph=True)
    //     (hv,) = torch.autograd.grad((g * v).sum(), z)
    //     t = torch.tensor(0.7, requires_grad=True)
    //     s = torch.nn.functional.softplus(t) * t.sin() + t ** 3 / (1.0 + t * t)
    //     (d1,) = torch.autograd.grad(s, t, create_graph=True)
    //     (d2,) = torch.autograd.grad(d1, t, create_graph=True)
    //     (d3,) = torch.autograd.grad(d2, t)
    //     print("g =", g.flatten().tolist())
    //     print("hv =", hv.flatten().tolist())
    //     print("s =", s.item())
    //     print("d1 =", d1.item())
    //     print("d2 =", d2.item())
    //     print("d3 =", d3.item())
    assert_value(
        "g",
        gz,
        &[
            0.06303189936113719,
            0.015543475013929317,
            -0.07857537437506651,
            -0.14840738692524574,
            0.09582016525877658,
            0.05258722166646917,
        ],
    );
    assert_value(
        "hv",
        hv,
        &[
            0.10527304360998258,
            0.03373175044607869,
            -0.1390047940560612,
            0.23316078682313357,
            -0.17600668584881168,
            -0.0571541009743218,
        ],
    );
    assert_value("s", s, &[0.9408933072877552]);
    assert_value("d1", d1, &[2.044502229828148]);
    assert_value("d2", d2, &[1.5165454382267254]);
    assert_value("d3", d3, &[-3.7437863031911887]);
}
