//! Broadcasting elementwise ops: a column with a row, a scalar with a matrix, rank 3 with a column.

use autograd::Tape;

use super::{assert_grad, assert_value, from_fn, t};

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
