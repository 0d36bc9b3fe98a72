//! Derivatives of functions of several inputs (`jacobians`, `hessians`, `jvp`, `hvp`): against
//! JAX float64 literals, central finite differences, and each other.

// Block indices i, j mirror the maths (H[i][j]); iterators would hide the symmetry checked.
#![allow(clippy::needless_range_loop)]

use autograd::{hessian, hessians, hvp, jacobian, jacobians, jvp, Tape, Tensor, Var};
use proptest::prelude::*;

fn t(data: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(data.to_vec(), shape).unwrap()
}

/// `f(a, b) = sum(tanh(a b)^2) + sum(a^3) b[0, 0]` for `a: [2, 3]`, `b: [3, 2]`.
fn f<'t>(v: &[Var<'t, f64>]) -> Var<'t, f64> {
    let (a, b) = (v[0], v[1]);
    let b00 = b.narrow(0, 0, 1).narrow(1, 0, 1).sum();
    a.matmul(b).tanh().powf(2.0).sum() + a.powf(3.0).sum() * b00
}

fn inputs() -> [Tensor<f64>; 2] {
    [
        t(&[0.3, -1.2, 0.5, 0.8, 0.1, -0.4], &[2, 3]),
        t(&[1.0, -0.5, 0.2, 0.7, -0.3, 0.9], &[3, 2]),
    ]
}

fn tangents() -> [Tensor<f64>; 2] {
    [
        t(&[0.1, 0.2, -0.3, 0.4, -0.5, 0.6], &[2, 3]),
        t(&[-0.2, 0.3, 0.5, -0.1, 0.7, 0.2], &[3, 2]),
    ]
}

/// The element at a multi-index (row-major).
fn at(t: &Tensor<f64>, index: &[usize]) -> f64 {
    let flat = index.iter().zip(t.shape()).fold(0, |acc, (&i, &n)| acc * n + i);
    t.to_vec()[flat]
}

fn close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}[{i}]: {g} vs {w}");
    }
}

/// Literals from `tools/jax_functional_reference.py` (JAX 0.10, float64).
#[test]
fn jvp_and_hvp_match_jax() {
    let (y, jv) = jvp(f, &inputs(), &tangents()).unwrap();
    close("f", &[y.item()], &[0.02222782931279066], 1e-14);
    close("jvp", &[jv.item()], &[1.5596471126141065], 1e-13);
    let (_, hv) = hvp(f, &inputs(), &tangents()).unwrap();
    let hv_a = [
        -0.24382214781637712,
        -2.3120553678698137,
        -1.2294731339644196,
        1.3311656414610145,
        0.1303142762553029,
        -1.2747936577894372,
    ];
    let hv_b = [
        2.036354977882082,
        -0.37643237239413796,
        -0.17213701123240943,
        0.1695997133704277,
        0.31964558570649193,
        -0.2051897203842947,
    ];
    close("hvp a", &hv[0].to_vec(), &hv_a, 1e-13);
    close("hvp b", &hv[1].to_vec(), &hv_b, 1e-13);
    assert_eq!(
        (hv[0].shape(), hv[1].shape()),
        (&[2usize, 3][..], &[3usize, 2][..])
    );
}

#[test]
fn hessian_blocks_match_jax_and_are_symmetric() {
    let h = hessians(f, &inputs()).unwrap();
    assert_eq!(h[0][1].shape(), &[2, 3, 3, 2]);
    assert_eq!(h[1][0].shape(), &[3, 2, 2, 3]);
    // h_ab[0, 1, 2, 0] and h_ba[2, 0, 0, 1] from JAX: the same mixed partial.
    let (ab, ba) = (at(&h[0][1], &[0, 1, 2, 0]), at(&h[1][0], &[2, 0, 0, 1]));
    close("mixed", &[ab, ba], &[0.19359377598971786; 2], 1e-13);
    // Every block against its transpose partner, element by element.
    for i in 0..2 {
        for j in 0..2 {
            let (ni, nj) = (inputs()[i].numel(), inputs()[j].numel());
            let (hij, hji) = (h[i][j].to_vec(), h[j][i].to_vec());
            for p in 0..ni {
                for q in 0..nj {
                    let (x, y) = (hij[p * nj + q], hji[q * ni + p]);
                    assert!((x - y).abs() <= 1e-12 * (1.0 + x.abs()), "H[{i}][{j}][{p},{q}]");
                }
            }
        }
    }
}

#[test]
fn hvp_equals_the_hessian_blocks_times_the_tangents() {
    let h = hessians(f, &inputs()).unwrap();
    let (_, hv) = hvp(f, &inputs(), &tangents()).unwrap();
    let v = tangents();
    for i in 0..2 {
        let ni = inputs()[i].numel();
        let mut want = vec![0.0; ni];
        for (j, vj) in v.iter().enumerate() {
            let (block, nj) = (h[i][j].to_vec(), vj.numel());
            for (p, w) in want.iter_mut().enumerate() {
                *w += (0..nj).map(|q| block[p * nj + q] * vj.to_vec()[q]).sum::<f64>();
            }
        }
        close(&format!("Hv[{i}]"), &hv[i].to_vec(), &want, 1e-12);
    }
}

#[test]
fn errors_name_the_problem() {
    let err = hessians(|v| v[0] * v[1], &[t(&[1.0, 2.0], &[2]), t(&[3.0, 4.0], &[2])]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "hessians: expected a scalar (one element), got shape [2]"
    );
    let err = jvp(f, &inputs(), &tangents()[..1]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "jvp: 2 inputs need 2 tangents, got 1 (shape [2])"
    );
    let err = hvp(f, &inputs(), &[tangents()[1].clone(), tangents()[0].clone()]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "hvp: shapes [2, 3] and [3, 2] are incompatible: a tangent of its input's shape"
    );
}

#[test]
fn several_inputs_agree_with_one_concatenated_input() {
    // f(a, b) = a^2 b + sin(a b) as one vector input [a, b] (the old narrow trick) and as two.
    let one = hessian(
        |x| {
            let (a, b) = (x.narrow(0, 0, 1).sum(), x.narrow(0, 1, 1).sum());
            a.powf(2.0) * b + (a * b).sin()
        },
        &t(&[0.7, -1.3], &[2]),
    )
    .unwrap();
    let two = hessians(
        |v| v[0].powf(2.0) * v[1] + (v[0] * v[1]).sin(),
        &[Tensor::scalar(0.7), Tensor::scalar(-1.3)],
    )
    .unwrap();
    let blocks: Vec<f64> = two.iter().flatten().map(|b| b.item()).collect();
    close("hessian", &blocks, &one.to_vec(), 1e-15);
}

#[test]
fn indexing_gradients_with_an_intermediate_value_names_grad() {
    let result = std::panic::catch_unwind(|| {
        let tape = Tape::<f64>::new();
        let x = tape.scalar_var(2.0);
        let h = x * x;
        let g = (h * 3.0).backward();
        let _ = g[h].item();
    });
    let message = *result.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("use `grad(y, &[h])`"), "{message}");
    // ... and that way works: dy/dh = 3 for y = 3h.
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(2.0);
    let h = x * x;
    assert_eq!(autograd::grad(h * 3.0, &[h]).unwrap()[0].item(), 3.0);
}

fn g<'t>(v: &[Var<'t, f64>]) -> Var<'t, f64> {
    (v[0].sin() * v[1]).exp() + v[0] * v[0]
}

/// Central differences in f64 (eps 1e-6), per element of each input.
fn finite_jacobian(g: impl Fn(&[Tensor<f64>]) -> Tensor<f64>, xs: &[Tensor<f64>], i: usize) -> Vec<f64> {
    let eps = 1e-6;
    let y0 = g(xs);
    let mut out = vec![0.0; y0.numel() * xs[i].numel()];
    for k in 0..xs[i].numel() {
        let mut plus = xs.to_vec();
        let mut minus = xs.to_vec();
        plus[i].as_mut_slice()[k] += eps;
        minus[i].as_mut_slice()[k] -= eps;
        let (p, m) = (g(&plus).to_vec(), g(&minus).to_vec());
        for j in 0..y0.numel() {
            out[j * xs[i].numel() + k] = (p[j] - m[j]) / (2.0 * eps);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// `jacobians` and `jvp` against central differences on random shapes and values.
    #[test]
    fn jacobians_and_jvp_match_finite_differences(
        n in 1usize..4, m in 1usize..4, seed in 0u64..1000,
    ) {
        let xs = [Tensor::rand_uniform(&[n, m], -1.0, 1.0, seed), Tensor::rand_uniform(&[m], -1.0, 1.0, seed + 1)];
        let eval = |xs: &[Tensor<f64>]| {
            let tape = Tape::new();
            let v: Vec<_> = xs.iter().map(|x| tape.var_from(x)).collect();
            g(&v).value()
        };
        let j = jacobians(g, &xs).unwrap();
        for i in 0..2 {
            let fd = finite_jacobian(eval, &xs, i);
            for (a, b) in j[i].to_vec().iter().zip(&fd) {
                prop_assert!((a - b).abs() <= 1e-7 + 1e-6 * b.abs(), "J[{i}]: {a} vs {b}");
            }
        }
        // jvp = sum_i J_i v_i, and the one-input `jacobian` agrees with block 0.
        let vs = [Tensor::rand_normal(&[n, m], 0.0, 1.0, seed + 2), Tensor::rand_normal(&[m], 0.0, 1.0, seed + 3)];
        let (_, jv) = jvp(g, &xs, &vs).unwrap();
        let out = n * m;
        for r in 0..out {
            let want: f64 = (0..2)
                .map(|i| {
                    let k = xs[i].numel();
                    (0..k).map(|c| j[i].to_vec()[r * k + c] * vs[i].to_vec()[c]).sum::<f64>()
                })
                .sum();
            prop_assert!((jv.to_vec()[r] - want).abs() <= 1e-12 * (1.0 + want.abs()));
        }
        let x1 = xs[1].clone();
        let single = jacobian(|a| (a.sin() * a.tape().constant_from(&x1)).exp() + a * a, &xs[0]);
        prop_assert_eq!(single.to_vec(), j[0].to_vec());
    }
}
