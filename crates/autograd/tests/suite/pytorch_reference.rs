//! Reference values from PyTorch (float64) for composite expressions: each test builds the
//! same expression in chainrule and checks its value and the gradient of every input against
//! literals that PyTorch printed.
//!
//! Beside each block of literals is the self-contained Python that produced it; all of them
//! are in `tools/pytorch_reference.py`, which prints every literal used here
//! (`python tools/pytorch_reference.py`, PyTorch >= 2.0). Floats are printed with `repr`, which
//! round-trips exactly, so the literals are PyTorch's f64 values bit for bit. Inputs are
//! decimal literals or formulas of plain `+ - * /` on floats, which are evaluated identically
//! in Python and Rust.
//!
//! Tolerance: relative 1e-12 (the two engines may sum or associate in a different order).

// The literals are PyTorch's printed values; some equal named constants (softplus(0) = ln 2).
#![allow(clippy::approx_constant)]

use autograd::{concat, grad, stack, Gradients, Tape, Tensor, Var};

#[path = "../support/pytorch.rs"]
mod pytorch;
use pytorch::{assert_close, t};

/// A tensor of `shape` whose element `k` (row-major) is `f(k)`.
fn from_fn(shape: &[usize], f: impl Fn(f64) -> f64) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|k| f(k as f64)).collect(), shape).unwrap()
}

/// Checks a forward value (any shape, row-major).
#[track_caller]
fn assert_value(what: &str, v: Var<'_, f64>, expected: &[f64]) {
    assert_close(what, &v.value().to_vec(), expected);
}

/// Checks the gradient of `x` (its shape and its values, row-major).
#[track_caller]
fn assert_grad(what: &str, g: &Gradients<f64>, x: Var<'_, f64>, expected: &[f64]) {
    assert_eq!(g[x].shape(), x.shape().as_slice(), "{what}: shape");
    assert_close(what, &g[x].to_vec(), expected);
}

#[test]
fn broadcast_column_with_row() {
    let tape = Tape::<f64>::new();
    let a = tape.var(t(&[0.5, -1.25, 2.0], &[3, 1]));
    let b = tape.var(t(&[0.3, -0.7, 1.1, 2.5], &[4]));
    let y = ((a * b).sin() + a / (b + 3.0) - (a - b).powf(2.0)).sum();
    let g = y.backward();

    // PyTorch (case `broadcast_column_with_row` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     a = torch.tensor([[0.5], [-1.25], [2.0]], requires_grad=True)
    //     b = torch.tensor([0.3, -0.7, 1.1, 2.5], requires_grad=True)
    //     y = ((a * b).sin() + a / (b + 3.0) - (a - b) ** 2).sum()
    //     y.backward()
    //     print("y =", y.item())
    //     print("da =", a.grad.flatten().tolist())
    //     print("db =", b.grad.flatten().tolist())
    assert_value("y", y, &[-37.804820014524445]);
    assert_grad(
        "da",
        &g,
        a,
        &[4.928686837209803, 15.108334634511564, -8.246038548311555],
    );
    assert_grad(
        "db",
        &g,
        b,
        &[
            1.5671380357036881,
            6.47207967348977,
            -5.168285108169731,
            -10.566508830573392,
        ],
    );
}

#[test]
fn broadcast_scalar_with_matrix() {
    let tape = Tape::<f64>::new();
    let s = tape.scalar_var(0.7);
    let m = tape.var(t(&[1.5, -0.4, 2.2, 0.1, -1.8, 0.9], &[2, 3]));
    let y = ((s * m).exp() / (1.0 + s + m * m) + (s - m).abs() * s + (m / s).tanh()).sum();
    let g = y.backward();

    // PyTorch (case `broadcast_scalar_with_matrix` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     s = torch.tensor(0.7, requires_grad=True)
    //     m = torch.tensor([[1.5, -0.4, 2.2], [0.1, -1.8, 0.9]], requires_grad=True)
    //     y = ((s * m).exp() / (1.0 + s + m * m) + (s - m).abs() * s + (m / s).tanh()).sum()
    //     y.backward()
    //     print("y =", y.item())
    //     print("ds =", s.grad.item())
    //     print("dm =", m.grad.flatten().tolist())
    assert_value("y", y, &[9.42992831849772]);
    assert_grad("ds", &g, s, &[8.43885774681755]);
    assert_grad(
        "dm",
        &g,
        m,
        &[
            0.7334880010412475,
            0.8068071083400838,
            0.7300169499933575,
            1.065491003619465,
            -0.5849711949066057,
            1.0640934314515693,
        ],
    );
}

#[test]
fn broadcast_rank3_with_column() {
    let tape = Tape::<f64>::new();
    let a = tape.var(from_fn(&[2, 3, 4], |k| ((k * 7.0) % 24.0 - 11.5) / 8.0));
    let b = tape.var(t(&[0.6, -1.3, 2.1], &[3, 1]));
    let y = ((a * b).tanh() * (a - b)).sum() + (a / (b * b + 1.0)).mean() + (b - a).exp().mean();
    let g = y.backward();

    // PyTorch (case `broadcast_rank3_with_column` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     a = torch.tensor([((k * 7) % 24 - 11.5) / 8 for k in range(24)]).reshape(2, 3, 4).requires_grad_()
    //     b = torch.tensor([[0.6], [-1.3], [2.1]], requires_grad=True)
    //     y = (torch.tanh(a * b) * (a - b)).sum() + (a / (b * b + 1.0)).mean() + (b - a).exp().mean()
    //     y.backward()
    //     print("y =", y.item())
    //     print("da =", a.grad.flatten().tolist())
    //     print("db =", b.grad.flatten().tolist())
    assert_value("y", y, &[7.197356950326959]);
    assert_grad(
        "da",
        &g,
        a,
        &[
            -1.6142201167196377,
            -1.0515690515919909,
            -0.006149888394570285,
            0.8400933467551929,
            0.6864754911876518,
            -1.5137030142392454,
            -1.8310585007743316,
            0.9114923158089271,
            -3.7700687199156824,
            -1.1412938278056912,
            0.8815993131819665,
            -2.4509651443050027,
            -0.3252489810101765,
            0.6606007594287041,
            -1.5010259176148306,
            -0.7871627449876374,
            -2.0937987078530154,
            -1.264088418458344,
            0.31495986388165637,
            -2.056219450838489,
            0.7690727740477908,
            -2.2535009797984036,
            -4.907019338494951,
            0.1379314033195026,
        ],
    );
    assert_grad(
        "db",
        &g,
        b,
        &[5.728757062239932, 1.699446499500577, 3.440711516503457],
    );
}

#[test]
fn softmax_and_log_softmax_2d() {
    let tape = Tape::<f64>::new();
    #[rustfmt::skip]
    let x = tape.var(t(&[
        0.2, -1.3, 2.4, 0.7,
        1.1, 0.4, -0.6, 3.2,
        50.0, -40.0, 0.9, 49.5,
    ], &[3, 4]));
    #[rustfmt::skip]
    let w_rows = [
        [0.5, -1.0, 2.0, 0.25],
        [1.5, 0.75, -0.5, 1.0],
        [-2.0, 0.3, 1.2, 0.8],
    ];
    let w = tape.constant(t(&w_rows.concat(), &[3, 4]));
    let w_flipped: Vec<f64> = w_rows.iter().rev().flatten().copied().collect();
    let w_flipped = tape.constant(t(&w_flipped, &[3, 4]));
    let p0 = x.softmax(0);
    let l1 = x.log_softmax(1);
    let y = (p0 * w).sum()
        + (l1 * w_flipped).sum()
        + (x.softmax(-1) * w * w).sum()
        + (x.log_softmax(0) * w).sum();
    let g = y.backward();

    // PyTorch (case `softmax_and_log_softmax_2d` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[0.2, -1.3, 2.4, 0.7], [1.1, 0.4, -0.6, 3.2], [50.0, -40.0, 0.9, 49.5]], requires_grad=True)
    //     w = torch.tensor([[0.5, -1.0, 2.0, 0.25], [1.5, 0.75, -0.5, 1.0], [-2.0, 0.3, 1.2, 0.8]])
    //     p0 = x.softmax(0)
    //     l1 = x.log_softmax(1)
    //     y = (p0 * w).sum() + (l1 * w.flip(0)).sum() + (x.softmax(-1) * w * w).sum() + (x.log_softmax(0) * w).sum()
    //     y.backward()
    //     print("p0 =", p0.flatten().tolist())
    //     print("l1 =", l1.flatten().tolist())
    //     print("y =", y.item())
    //     print("dx =", x.grad.flatten().tolist())
    assert_value(
        "p0",
        p0,
        &[
            2.355780384104144e-22,
            0.15446526508353467,
            0.7855970345892759,
            6.403675009950564e-22,
            5.794284761945059e-22,
            0.8455347349164652,
            0.039112573270687456,
            7.80127321350305e-21,
            1.0,
            2.407877476997631e-18,
            0.1752903921400367,
            1.0,
        ],
    );
    assert_value(
        "l1",
        l1,
        &[
            -2.4762749141713605,
            -3.976274914171361,
            -0.2762749141713607,
            -1.9762749141713607,
            -2.287008275893618,
            -2.987008275893618,
            -3.987008275893618,
            -0.18700827589361768,
            -0.4740769841801067,
            -90.4740769841801,
            -49.57407698418011,
            -0.9740769841801067,
        ],
    );
    assert_value("y", y, &[-171.35475679868887]);
    assert_grad(
        "dx",
        &g,
        x,
        &[
            -1.763333934520137,
            -0.9809745323625905,
            1.7340449027225615,
            0.5898511440713627,
            2.8384044268236432,
            1.5209230261759277,
            -1.2607071857384926,
            -0.35641299770899515,
            -1.7996913566058883,
            -0.7,
            2.6282051505367194,
            -2.450308643394112,
        ],
    );
}

#[test]
fn softmax_and_log_softmax_3d_middle_axis() {
    let tape = Tape::<f64>::new();
    let x = tape.var(from_fn(&[2, 3, 4], |k| ((k * 5.0) % 24.0 - 11.0) / 4.0));
    let w = tape.constant(from_fn(&[2, 3, 4], |k| ((k * 11.0) % 24.0 - 7.0) / 6.0));
    let p = x.softmax(1);
    let l = x.log_softmax(1);
    let y = (p * w).sum() + (l * w * w).sum();
    let g = y.backward();

    // PyTorch (case `softmax_and_log_softmax_3d_middle_axis` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([((k * 5) % 24 - 11.0) / 4 for k in range(24)]).reshape(2, 3, 4).requires_grad_()
    //     w = torch.tensor([((k * 11) % 24 - 7.0) / 6 for k in range(24)]).reshape(2, 3, 4)
    //     p = x.softmax(1)
    //     l = x.log_softmax(1)
    //     y = (p * w).sum() + (l * w * w).sum()
    //     y.backward()
    //     print("p =", p.flatten().tolist())
    //     print("l =", l.flatten().tolist())
    //     print("y =", y.item())
    //     print("dx =", x.grad.flatten().tolist())
    assert_value(
        "p",
        p,
        &[
            0.004901689049672921,
            0.0178679818703045,
            0.6652409557748218,
            0.6652409557748218,
            0.7274751568004648,
            0.006573263185309083,
            0.24472847105479764,
            0.24472847105479764,
            0.2676231541498624,
            0.9755587549443865,
            0.09003057317038046,
            0.09003057317038046,
            0.6652409557748218,
            0.6652409557748218,
            0.6652409557748218,
            0.004901689049672921,
            0.24472847105479764,
            0.24472847105479764,
            0.24472847105479764,
            0.7274751568004648,
            0.09003057317038046,
            0.09003057317038046,
            0.09003057317038046,
            0.2676231541498624,
        ],
    );
    assert_value(
        "l",
        l,
        &[
            -5.318175429247454,
            -4.024744890138822,
            -0.4076059644443804,
            -0.4076059644443804,
            -0.318175429247454,
            -5.024744890138822,
            -1.4076059644443804,
            -1.4076059644443804,
            -1.3181754292474541,
            -0.02474489013882259,
            -2.4076059644443806,
            -2.4076059644443806,
            -0.4076059644443804,
            -0.4076059644443804,
            -0.4076059644443804,
            -5.318175429247454,
            -1.4076059644443804,
            -1.4076059644443804,
            -1.4076059644443804,
            -0.318175429247454,
            -2.4076059644443806,
            -2.4076059644443806,
            -2.4076059644443806,
            -1.3181754292474541,
        ],
    );
    assert_value("y", y, &[-65.12324838703263]);
    assert_grad(
        "dx",
        &g,
        x,
        &[
            1.305015522401974,
            0.4518817827203627,
            -0.8607799640318881,
            -0.5135695341162652,
            -1.2059618982625753,
            -0.0016461316081249249,
            0.582049037613439,
            -0.2818483696022839,
            -0.0990536241393997,
            -0.4502356511122378,
            0.2787309264184514,
            0.7954179037185491,
            0.23607403816077377,
            -1.2747140181558532,
            -0.20837040628367084,
            5.403366290749641,
            -0.30399958517191783,
            0.7518750236472992,
            -0.30399958517191783,
            -3.803744220036326,
            0.06792554701114425,
            0.5228389945085551,
            0.5123699914555888,
            -1.5996220707133149,
        ],
    );
}

#[test]
fn mlp_matmul_chain() {
    let tape = Tape::<f64>::new();
    #[rustfmt::skip]
    let x = tape.var(t(&[
        0.5, -1.2, 0.3,
        1.4, 0.2, -0.7,
        -0.9, 0.8, 1.1,
        0.05, -0.35, 0.6,
    ], &[4, 3]));
    #[rustfmt::skip]
    let w1 = tape.var(t(&[
        0.2, -0.5, 0.7, 0.1, -0.3,
        0.9, 0.4, -0.8, 0.6, 0.05,
        -0.4, 0.3, 0.25, -0.7, 0.5,
    ], &[3, 5]));
    let b1 = tape.var(t(&[0.1, -0.2, 0.05, 0.3, -0.15], &[5]));
    #[rustfmt::skip]
    let w2 = tape.var(t(&[
        0.6, -0.4,
        -0.3, 0.8,
        0.5, 0.2,
        -0.7, -0.1,
        0.35, 0.45,
    ], &[5, 2]));
    let b2 = tape.var(t(&[0.03, -0.06], &[2]));
    let target = tape.constant(t(&[0.5, -0.5, 1.0, 0.0, -0.25, 0.75, 0.1, 0.2], &[4, 2]));
    let out = (x.matmul(w1) + b1).tanh().matmul(w2) + b2;
    let y = (out - target).powf(2.0).mean();
    let g = y.backward();

    // PyTorch (case `mlp_matmul_chain` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     x = torch.tensor([[0.5, -1.2, 0.3], [1.4, 0.2, -0.7], [-0.9, 0.8, 1.1], [0.05, -0.35, 0.6]], requires_grad=True)
    //     W1 = torch.tensor([[0.2, -0.5, 0.7, 0.1, -0.3], [0.9, 0.4, -0.8, 0.6, 0.05], [-0.4, 0.3, 0.25, -0.7, 0.5]], requires_grad=True)
    //     b1 = torch.tensor([0.1, -0.2, 0.05, 0.3, -0.15], requires_grad=True)
    //     W2 = torch.tensor([[0.6, -0.4], [-0.3, 0.8], [0.5, 0.2], [-0.7, -0.1], [0.35, 0.45]], requires_grad=True)
    //     b2 = torch.tensor([0.03, -0.06], requires_grad=True)
    //     t = torch.tensor([[0.5, -0.5], [1.0, 0.0], [-0.25, 0.75], [0.1, 0.2]])
    //     out = torch.tanh(x @ W1 + b1) @ W2 + b2
    //     y = ((out - t) ** 2).mean()
    //     y.backward()
    //     print("out =", out.flatten().tolist())
    //     print("y =", y.item())
    //     for n, v in [("dx", x), ("dW1", W1), ("db1", b1), ("dW2", W2), ("db2", b2)]:
    //         print(n, "=", v.grad.flatten().tolist())
    assert_value(
        "out",
        out,
        &[
            0.5185570989628637,
            -0.16634063011351002,
            0.17458944319255396,
            -1.2359035496111712,
            -0.1656019696225541,
            0.5693735075233604,
            0.3318745022633557,
            0.13957922462286088,
        ],
    );
    assert_value("y", y, &[0.30219981555983716]);
    assert_grad(
        "dx",
        &g,
        x,
        &[
            -0.029258438820105363,
            -0.0039834814597619825,
            0.041122626261709525,
            0.000624181440359646,
            0.0902813473680053,
            -0.14700093141820716,
            0.01814055845284337,
            0.011231306957503264,
            -0.014762467683343383,
            0.027564080841455636,
            -0.01763824626269261,
            0.014311909207542103,
        ],
    );
    assert_grad(
        "dW1",
        &g,
        w1,
        &[
            -0.03147400895068535,
            -0.06954570995017173,
            -0.14517260513670766,
            0.09863575569520555,
            -0.11525176960730187,
            0.027215259659343075,
            -0.0629583223227739,
            -0.0321938755450738,
            0.027916141574506212,
            -0.0764062232360302,
            0.04892570056147241,
            0.022565246223002353,
            0.08774304238480689,
            -0.08258264844348369,
            0.08128592559030673,
        ],
    );
    assert_grad(
        "db1",
        &g,
        b1,
        &[
            0.05026245901229245,
            -0.08885972593223765,
            -0.08066080067785787,
            0.014343342582722601,
            -0.05872084454068072,
        ],
    );
    assert_grad(
        "dW2",
        &g,
        w2,
        &[
            -0.16510538483764267,
            -0.27802886998833487,
            0.16102640157151196,
            0.1523297794143504,
            -0.10800832907847412,
            -0.08514200205537224,
            -0.18364032402404656,
            -0.2768091778559528,
            0.16751248927886775,
            0.17620555949996108,
        ],
    );
    assert_grad("db2", &g, b2, &[-0.12264523130094518, -0.285822861894615]);
}

#[test]
fn batched_matmul() {
    let tape = Tape::<f64>::new();
    let a = tape.var(from_fn(&[2, 3, 4], |k| ((k * 7.0) % 13.0 - 6.0) / 5.0));
    let b = tape.var(from_fn(&[2, 4, 2], |k| ((k * 3.0) % 11.0 - 5.0) / 4.0));
    let w = tape.var(t(&[0.3, -0.2, 0.5, 0.1, -0.4, 0.6, 0.2, -0.7], &[4, 2]));
    let v = tape.var(t(&[0.9, -0.3, 0.4, 1.2], &[4]));
    let ab = a.matmul(b);
    let y = ab.sin().sum() + (a.matmul(w) * ab).sum() + v.matmul(w).exp().sum();
    let g = y.backward();

    // PyTorch (case `batched_matmul` of tools/pytorch_reference.py):
    //     import torch; torch.set_default_dtype(torch.float64)
    //     A = torch.tensor([((k * 7) % 13 - 6) / 5 for k in range(24)]).reshape(2, 3, 4).requires_grad_()
    //     B = torch.tensor([((k * 3) % 11 - 5) / 4 for k in range(16)]).reshape(2, 4, 2).requires_grad_()
    //     W = torch.tensor([[0.3, -0.2], [0.5, 0.1], [-0.4, 0.6], [0.2, -0.7]], requires_grad=True)
    //     v = torch.tensor([0.9, -0.3, 0.4, 1.2], requires_grad=True)
    //     AB = A @ B
    //     y = AB.sin().sum() + ((A @ W) * AB).sum() + (v @ W).exp().sum()
    //     y.backward()
    //     print("AB =", AB.flatten().tolist())
    //     print("y =", y.item())
    //     print("dA =", A.grad.flatten().tolist())
    //     print("dB =", B.grad.flatten().tolist())
    //     print("dW =", W.grad.flatten().tolist())
    //     print("dv =", v.grad.flatten().tolist())
    assert_value(
        "AB",
        ab,
        &[
            2.75,
            1.55,
            2.15,
            2.15,
            1.5499999999999998,
            2.75,
            -2.0,
            2.55,
            -1.8000000000000003,
            1.75,
            -1.6,
            0.95,
        ],
    );
    assert_value("y", y, &[10.57831442677283]);
    assert_grad(
        "dA",
        &g,
        a,
        &[
            1.694980559389033,
            0.7547192331449766,
            0.6841036716816903,
            -1.6361576545623662,
            0.947875914590474,
            0.020802918149661398,
            0.8291970818503385,
            -2.677875914590474,
            -0.13384234543763412,
            -0.47410367168169043,
            0.7352807668550231,
            -3.3849805593890325,
            -0.13788987258964314,
            -1.554543208366329,
            2.9455600344647657,
            -3.35109330131192,
            -0.23959842898018469,
            -1.9275940014579502,
            2.314039533434171,
            -2.893956039043595,
            -0.3481003582740333,
            -2.429003503555821,
            1.705020533516615,
            -2.5358826117651723,
        ],
    );
    assert_grad(
        "dB",
        &g,
        b,
        &[
            0.6267310556219361,
            2.398653290473491,
            0.5275197527884372,
            -2.5725580123600076,
            0.6125580123600076,
            1.6884802472115625,
            0.5133467095265088,
            -3.2827310556219356,
            -0.690240455718266,
            1.07404804931131,
            2.420817688531556,
            -0.6460121489836931,
            -1.2087501464265697,
            1.3607247490271437,
            1.9023079978232524,
            -0.35933544926785926,
        ],
    );
    assert_grad(
        "dW",
        &g,
        w,
        &[
            -6.540737517655847,
            -2.8196277403993526,
            7.503579172551948,
            -0.6234574198668824,
            -6.9414388967359315,
            -0.7020567735108234,
            9.545683309792203,
            2.3838296794675293,
        ],
    );
    assert_grad(
        "dv",
        &g,
        v,
        &[
            0.2774492142034627,
            0.655187185702379,
            -0.2216462635303033,
            -0.06712009472402475,
        ],
    );
}

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
