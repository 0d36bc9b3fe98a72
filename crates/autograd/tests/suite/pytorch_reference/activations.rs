//! Unary ops at extreme magnitudes and at zero: softplus, sigmoid, relu, abs, leaky_relu, log1p, expm1, silu.

use autograd::{grad, Tape, Var};

use super::{assert_grad, assert_value, t};

#[test]
fn softplus_and_sigmoid_at_large_magnitudes() {
    let tape = Tape::<f64>::new();
    let x = tape.var(t(&[-800.0, -30.0, -2.5, 0.0, 3.5, 30.0, 800.0], &[7]));
    let w = tape.constant(t(&[1.0, 2.0, -1.0, 0.5, 3.0, -2.0, 1.5], &[7]));
    let sp = x.softplus();
    let sg = x.sigmoid();
    let dsp = (sp * w).sum().backward();
    let dsg = (sg * w).sum().backward();

    // PyTorch (case `softplus_and_sigmoid_at_large_magnitudes` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([-800.0, -30.0, -2.5, 0.0, 3.5, 30.0, 800.0], requires_grad=True)
    //     w = torch.tensor([1.0, 2.0, -1.0, 0.5, 3.0, -2.0, 1.5])
    //     sp = torch.nn.functional.softplus(x)
    //     sg = torch.sigmoid(x)
    //     (dsp,) = torch.autograd.grad((sp * w).sum(), x)
    //     (dsg,) = torch.autograd.grad((sg * w).sum(), x)
    //     print("softplus =", sp.tolist())
    //     print("sigmoid =", sg.tolist())
    //     print("dsoftplus =", dsp.tolist())
    //     print("dsigmoid =", dsg.tolist())
    assert_value(
        "softplus",
        sp,
        &[
            0.0,
            9.357622968839737e-14,
            0.07888973429254963,
            0.6931471805599453,
            3.5297504182726205,
            30.0,
            800.0,
        ],
    );
    assert_value(
        "sigmoid",
        sg,
        &[
            0.0,
            9.357622968839299e-14,
            0.07585818002124355,
            0.5,
            0.9706877692486436,
            0.9999999999999065,
            1.0,
        ],
    );
    assert_grad(
        "dsoftplus",
        &dsp,
        x,
        &[
            0.0,
            1.87152459376786e-13,
            -0.07585818002124356,
            0.25,
            2.912063307745931,
            -2.0,
            1.5,
        ],
    );
    assert_grad(
        "dsigmoid",
        &dsg,
        x,
        &[
            0.0,
            1.8715245937676846e-13,
            -0.07010371654510815,
            0.125,
            0.0853590716392068,
            -1.869615573468589e-13,
            0.0,
        ],
    );
}

#[test]
fn relu_abs_leaky_relu_at_zero() {
    let tape = Tape::<f64>::new();
    let x = tape.var(t(&[-1.5, 0.0, 2.0, -0.0, 0.75], &[5]));
    let w = tape.constant(t(&[1.0, 2.0, 3.0, 4.0, 5.0], &[5]));
    let relu = x.relu();
    let abs = x.abs();
    let leaky = x.leaky_relu(0.2);
    let drelu = (relu * w).sum().backward();
    let dabs = (abs * w).sum().backward();
    let dleaky = (leaky * w).sum().backward();

    // PyTorch (case `relu_abs_leaky_relu_at_zero` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([-1.5, 0.0, 2.0, -0.0, 0.75], requires_grad=True)
    //     w = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    //     F = torch.nn.functional
    //     outs = {"relu": x.relu(), "abs": x.abs(), "leaky_relu": F.leaky_relu(x, 0.2)}
    //     for name, o in outs.items():
    //         (d,) = torch.autograd.grad((o * w).sum(), x)
    //         print(name, "=", o.tolist())
    //         print("d" + name, "=", d.tolist())
    assert_value("relu", relu, &[0.0, 0.0, 2.0, -0.0, 0.75]);
    assert_grad("drelu", &drelu, x, &[0.0, 0.0, 3.0, 0.0, 5.0]);
    assert_value("abs", abs, &[1.5, 0.0, 2.0, 0.0, 0.75]);
    assert_grad("dabs", &dabs, x, &[-1.0, 0.0, 3.0, 0.0, 5.0]);
    assert_value("leaky_relu", leaky, &[-0.30000000000000004, 0.0, 2.0, -0.0, 0.75]);
    assert_grad("dleaky_relu", &dleaky, x, &[0.2, 0.4, 3.0, 0.8, 5.0]);
}

/// An op of one input.
type Unary = for<'t> fn(Var<'t, f64>) -> Var<'t, f64>;

#[test]
fn log1p_expm1_silu() {
    let tape = Tape::<f64>::new();
    // The same six ordinary points for each op, then three extreme ones of its own.
    let base = [-0.75, -1e-10, 1e-12, 0.3, 2.5, 40.0];
    let extremes: [(&str, Unary, [f64; 3]); 3] = [
        ("log1p", |x| x.log1p(), [-1.0 + 1e-10, 0.0, 1e-300]),
        // At -40, e^x is below half an ulp of 1, so the rule `y + 1` (PyTorch's) gives 0.
        ("expm1", |x| x.expm1(), [1e-10, 700.0, -40.0]),
        ("silu", |x| x.silu(), [-800.0, 0.0, 800.0]),
    ];
    let w = tape.constant(t(&[1.0, -2.0, 0.5, 3.0, -1.5, 0.25, 2.0, -0.5, 1.5], &[9]));

    // PyTorch (case `log1p_expm1_silu` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     base = [-0.75, -1e-10, 1e-12, 0.3, 2.5, 40.0]
    //     points = {"log1p": base + [-1.0 + 1e-10, 0.0, 1e-300], "expm1": base + [1e-10, 700.0, -40.0], "silu": base + [-800.0, 0.0, 800.0]}
    //     w = torch.tensor([1.0, -2.0, 0.5, 3.0, -1.5, 0.25, 2.0, -0.5, 1.5])
    //     for name, f in [("log1p", torch.log1p), ("expm1", torch.expm1), ("silu", torch.nn.functional.silu)]:
    //         x = torch.tensor(points[name], requires_grad=True)
    //         y = f(x)
    //         (g,) = torch.autograd.grad((y * w).sum(), x, create_graph=True)
    //         (gg,) = torch.autograd.grad((g * w).sum(), x)
    //         print(name, "=", y.tolist())
    //         print("d" + name, "=", g.tolist())
    //         print("dd" + name, "=", gg.tolist())
    let expected: [[&[f64]; 3]; 3] = [
        [
            &[
                -1.3862943611198906,
                -1.00000000005e-10,
                9.999999999995e-13,
                0.26236426446749106,
                1.252762968495368,
                3.713572066704308,
                -23.02585084720009,
                0.0,
                1e-300,
            ],
            &[
                4.0,
                -2.0000000002,
                0.49999999999949996,
                2.3076923076923075,
                -0.42857142857142855,
                0.006097560975609756,
                19999998345.19272,
                -0.5,
                1.5,
            ],
            &[
                -16.0,
                -4.0000000008,
                -0.24999999999949996,
                -5.325443786982248,
                -0.18367346938775508,
                -3.7180249851279e-05,
                -3.999999338077114e+20,
                -0.25,
                -2.25,
            ],
        ],
        [
            &[
                -0.5276334472589853,
                -9.999999999500001e-11,
                1.0000000000005e-12,
                0.3498588075760031,
                11.182493960703473,
                2.3538526683702e+17,
                1.00000000005e-10,
                1.0142320547350045e+304,
                -1.0,
            ],
            &[
                0.4723665527410147,
                -1.9999999998,
                0.5000000000005,
                4.049576422728009,
                -18.27374094105521,
                5.8846316709255e+16,
                2.0000000002,
                -5.0711602736750225e+303,
                0.0,
            ],
            &[
                0.4723665527410147,
                3.9999999996,
                0.25000000000025,
                12.148729268184029,
                27.410611411582813,
                1.471157917731375e+16,
                4.0000000004,
                2.5355801368375112e+303,
                0.0,
            ],
        ],
        [
            &[
                -0.24061597561845527,
                -4.9999999997500004e-11,
                5.0000000000025e-13,
                0.1723327550434977,
                2.3103545499468914,
                40.0,
                -0.0,
                0.0,
                800.0,
            ],
            &[
                0.1574000555032465,
                -0.9999999999,
                0.25000000000025,
                1.9433400309566484,
                -1.64910166701229,
                0.25,
                -0.0,
                -0.25,
                1.5,
            ],
            &[
                0.3772267752150198,
                2.0,
                0.125,
                4.301979913753369,
                -0.019039852177580002,
                0.0,
                0.0,
                0.125,
                0.0,
            ],
        ],
    ];
    for ((name, f, extreme), [value, d1, d2]) in extremes.into_iter().zip(expected) {
        let points: Vec<f64> = base.iter().chain(&extreme).copied().collect();
        let x = tape.var(t(&points, &[9]));
        let y = f(x);
        assert_value(name, y, value);
        let [g] = grad((y * w).sum(), &[x]).unwrap()[..] else {
            panic!("one gradient")
        };
        assert_value(&format!("d{name}"), g, d1);
        let [gg] = grad((g * w).sum(), &[x]).unwrap()[..] else {
            panic!("one gradient")
        };
        assert_value(&format!("dd{name}"), gg, d2);
    }
}
