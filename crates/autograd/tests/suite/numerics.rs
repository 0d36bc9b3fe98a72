//! Numerics at the extremes (issue 6): sigmoid, tanh, softplus, softmax, log_softmax and
//! logsumexp at inputs of +-1e4 (and mixtures with ordinary values), in f32 and f64. Values
//! and gradients must be finite and match the exact result to within a few ulps (after
//! rounding the exact result to the type: an exact `e^-10000` is 0 in both).
//!
//! The references are written independently of the engine, in f64 with the stable formulas
//! (for f32 the f64 reference is rounded once, which is within half an ulp of the exact
//! value). `crates/nn/tests/suite/loss_numerics.rs` does the same for cross-entropy and BCE with
//! logits.
//!
//! A second group pins down what is *not* promised: in the saturated tails, sigmoid' and tanh'
//! are computed from the output as `y (1 - y)` and `1 - y^2` (as PyTorch does), so their
//! relative error there grows (the absolute error stays below an ulp of 1).

use autograd::{Float, Tape, Tensor};

use crate::support;
use support::numerics::{assert_close, shifted_logsumexp, sigmoid, softmax, softplus, ulps};

// ---------------------------------------------------------------------------------------------
// References in f64.

/// sigmoid'(x) = sigmoid(x) sigmoid(-x): no cancellation anywhere.
fn sigmoid_grad(x: f64) -> f64 {
    sigmoid(x) * sigmoid(-x)
}

/// tanh'(x) = 1 / cosh(x)^2 (0 once cosh overflows, as the exact value underflows).
fn tanh_grad(x: f64) -> f64 {
    let c = x.cosh();
    1.0 / (c * c)
}

fn logsumexp(x: &[f64]) -> f64 {
    let (m, l) = shifted_logsumexp(x);
    m + l
}

/// log_softmax as `(x - max) - ln(sum(exp(x - max)))`, the sum taken as `ln_1p` of the
/// terms other than the maximum.
fn log_softmax(x: &[f64]) -> Vec<f64> {
    let (m, l) = shifted_logsumexp(x);
    x.iter().map(|&v| (v - m) - l).collect()
}

// ---------------------------------------------------------------------------------------------

/// Inputs of +-1e4, alone and mixed with ordinary values.
const EXTREMES: [f64; 8] = [1e4, -1e4, 1e4, -1e4, 0.0, 1.0, -2.5, 9999.0];

/// A unary op: its value and its derivative (from `sum().backward()`) at `xs`, in `T`.
fn unary<T: Float>(
    xs: &[f64],
    f: impl for<'t> Fn(autograd::Var<'t, T>) -> autograd::Var<'t, T>,
) -> (Vec<T>, Vec<T>) {
    let tape = Tape::<T>::new();
    let x = tape.var(Tensor::from(
        xs.iter().map(|&v| T::from_f64(v)).collect::<Vec<_>>(),
    ));
    let y = f(x);
    let g = y.sum().backward();
    (y.value().to_vec(), g[x].to_vec())
}

/// The inputs as `T` sees them, back in f64 (so the f32 reference uses the f32 inputs).
fn as_t<T: Float>(xs: &[f64]) -> Vec<f64> {
    xs.iter().map(|&v| T::from_f64(v).as_f64()).collect()
}

fn elementwise_at_extremes<T: Float>() {
    let xs = as_t::<T>(&EXTREMES);
    let map = |f: fn(f64) -> f64| xs.iter().map(|&v| f(v)).collect::<Vec<f64>>();

    // The derivatives of sigmoid and tanh are computed from the output (`y (1 - y)`,
    // `1 - y^2`): a few ulps, or an absolute ulp of 1 where `y` is near +-1 (see the last
    // tests); at +-1e4 exactly 0, the exact result rounded.
    let (v, g) = unary::<T>(&xs, |x| x.sigmoid());
    assert_close("sigmoid", &v, &map(sigmoid), 2);
    assert_grad_close("sigmoid'", &g, &map(sigmoid_grad), 4);
    assert_eq!(v[0], T::one(), "sigmoid(1e4) = 1 exactly");
    assert_eq!(v[1], T::zero(), "sigmoid(-1e4) = 0 exactly");
    assert_eq!(
        (g[0], g[1]),
        (T::zero(), T::zero()),
        "sigmoid'(+-1e4) = 0 exactly"
    );

    let (v, g) = unary::<T>(&xs, |x| x.tanh());
    assert_close("tanh", &v, &map(f64::tanh), 2);
    assert_grad_close("tanh'", &g, &map(tanh_grad), 4);
    assert_eq!((v[0], v[1]), (T::one(), -T::one()), "tanh(+-1e4) = +-1 exactly");
    assert_eq!((g[0], g[1]), (T::zero(), T::zero()), "tanh'(+-1e4) = 0 exactly");

    let (v, g) = unary::<T>(&xs, |x| x.softplus());
    assert_close("softplus", &v, &map(softplus), 2);
    assert_close("softplus'", &g, &map(sigmoid), 2);
    assert_eq!(v[0], T::from_f64(1e4), "softplus(1e4) = 1e4 exactly");
    assert_eq!(v[1], T::zero(), "softplus(-1e4) = 0 exactly");
}

#[test]
fn sigmoid_tanh_softplus_at_plus_minus_1e4_f64() {
    elementwise_at_extremes::<f64>();
}

#[test]
fn sigmoid_tanh_softplus_at_plus_minus_1e4_f32() {
    elementwise_at_extremes::<f32>();
}

/// Rows for the reductions: all at the extremes, ties at the extremes, mixtures.
const ROWS: [[f64; 4]; 6] = [
    [1e4, -1e4, 0.0, 1.0],
    [1e4, 1e4, -1e4, -1e4],
    [-1e4, -1e4, -1e4, -1e4],
    [1e4, 1e4 - 1.0, 1e4 - 2.0, -1e4],
    [-1e4, 0.5, -1e4, 3.0],
    [1e4, 1e4, 1e4, 1e4],
];

/// `w`: a weight per element for the gradients of `sum(w * f(x))`; chosen so that the sums
/// the rules take are exact (0/1 weights).
const W: [f64; 4] = [1.0, 0.0, 1.0, 0.0];

fn reductions_at_extremes<T: Float>() {
    for row in ROWS {
        let row = as_t::<T>(&row);
        let what = format!("row {row:?}");
        let tape = Tape::<T>::new();
        let t =
            |v: &[f64]| Tensor::from_vec(v.iter().map(|&x| T::from_f64(x)).collect(), &[1, v.len()]).unwrap();
        let x = tape.var(t(&row));
        let w = tape.constant(t(&W));

        // logsumexp: value, and its gradient softmax(x).
        let l = x.logsumexp();
        let g = l.backward();
        assert_close(&format!("logsumexp {what}"), &[l.item()], &[logsumexp(&row)], 2);
        assert_close(&format!("logsumexp' {what}"), &g[x].to_vec(), &softmax(&row), 4);

        // softmax: value, and the gradient of sum(w * softmax(x)): s * (w - sum(w s)).
        let s = x.softmax(-1);
        let ws = (s * w).sum();
        let g = ws.backward();
        let p = softmax(&row);
        let dot: f64 = p.iter().zip(&W).map(|(a, b)| a * b).sum();
        let want: Vec<f64> = p.iter().zip(&W).map(|(pi, wi)| pi * (wi - dot)).collect();
        assert_close(&format!("softmax {what}"), &s.value().to_vec(), &p, 4);
        assert_grad_close(&format!("softmax' {what}"), &g[x].to_vec(), &want, 4);

        // log_softmax: value x - lse, and the gradient of sum(w * log_softmax(x)):
        // w - softmax(x) sum(w).
        let ls = x.log_softmax(-1);
        let g = (ls * w).sum().backward();
        let want_v = log_softmax(&row);
        let sw: f64 = W.iter().sum();
        let want_g: Vec<f64> = p.iter().zip(&W).map(|(pi, wi)| wi - pi * sw).collect();
        // 8, not 4: the engine takes `ln` of a sum near 1 where the reference uses `ln_1p`.
        assert_close(&format!("log_softmax {what}"), &ls.value().to_vec(), &want_v, 8);
        assert_grad_close(&format!("log_softmax' {what}"), &g[x].to_vec(), &want_g, 4);
    }
}

/// As [`assert_close`], but an exact result that is a difference of terms near 1 (such as
/// `p (w - sum(w p))` with `p` near 1) is only promised to an absolute ulp of 1: the engine
/// computes it as such a difference.
fn assert_grad_close<T: Float>(what: &str, got: &[T], exact: &[f64], max: u64) {
    for (i, (&g, &e)) in got.iter().zip(exact).enumerate() {
        assert!(g.is_finite(), "{what} [{i}]: {} is not finite", g.as_f64());
        let d = ulps(g, T::from_f64(e));
        let abs = (g.as_f64() - e).abs();
        assert!(
            d <= max || abs <= T::epsilon().as_f64(),
            "{what} [{i}] ({}): got {:e}, exact {e:e}, {d} ulps apart",
            T::NAME,
            g.as_f64()
        );
    }
}

#[test]
fn softmax_log_softmax_logsumexp_at_plus_minus_1e4_f64() {
    reductions_at_extremes::<f64>();
}

#[test]
fn softmax_log_softmax_logsumexp_at_plus_minus_1e4_f32() {
    reductions_at_extremes::<f32>();
}

#[test]
fn known_values_at_the_extremes() {
    // Values an exact computation gives, spelled out.
    let tape = Tape::<f64>::new();
    let x = tape.var(Tensor::from(vec![0.0, 1e4]));
    assert_eq!(x.log_softmax(-1).value().to_vec(), vec![-1e4, 0.0]);
    assert_eq!(x.softmax(-1).value().to_vec(), vec![0.0, 1.0]);
    let both = tape.var(Tensor::from(vec![1e4, 1e4]));
    assert_eq!(both.logsumexp().item(), 1e4 + std::f64::consts::LN_2);
    let lows = tape.var(Tensor::from(vec![-1e4, -1e4]));
    assert_eq!(lows.logsumexp().item(), -1e4 + std::f64::consts::LN_2);
    assert_eq!(lows.softmax(-1).value().to_vec(), vec![0.5, 0.5]);
    // All -inf: logsumexp is -inf (the shift is 0, not NaN) and the gradient is NaN-free where
    // it is defined; +inf gives +inf.
    let ninf = tape.var(Tensor::from(vec![f64::NEG_INFINITY, f64::NEG_INFINITY]));
    assert_eq!(ninf.logsumexp().item(), f64::NEG_INFINITY);
    let pinf = tape.var(Tensor::from(vec![f64::INFINITY, 0.0]));
    assert_eq!(pinf.logsumexp().item(), f64::INFINITY);

    let t32 = Tape::<f32>::new();
    let x = t32.var(Tensor::from(vec![1e4f32, 1e4]));
    assert_eq!(x.logsumexp().item(), 1e4f32 + std::f32::consts::LN_2);
    assert_eq!(t32.var(Tensor::from(vec![-1e4f32])).sigmoid().item(), 0.0);
    assert_eq!(t32.var(Tensor::from(vec![1e4f32])).softplus().item(), 1e4);
}

/// Values at a grid of ordinary and large inputs: a few ulps everywhere.
fn values_on_a_grid<T: Float>() {
    let xs: Vec<f64> = (-40..=40)
        .map(|k| k as f64 * 0.37)
        .chain([-700.0, -88.0, -30.0, 30.0, 88.0, 700.0, 1e-8, -1e-8, 1e3, -1e3])
        .collect();
    let xs = as_t::<T>(&xs);
    let map = |f: fn(f64) -> f64| xs.iter().map(|&v| f(v)).collect::<Vec<f64>>();
    let (v, g) = unary::<T>(&xs, |x| x.sigmoid());
    assert_close("sigmoid on the grid", &v, &map(sigmoid), 3);
    // sigmoid' = y (1 - y): accurate where y is not close to 1.
    let left: Vec<usize> = (0..xs.len()).filter(|&i| xs[i] <= 1.0).collect();
    assert_close(
        "sigmoid' on the grid, x <= 1",
        &left.iter().map(|&i| g[i]).collect::<Vec<_>>(),
        &left.iter().map(|&i| sigmoid_grad(xs[i])).collect::<Vec<_>>(),
        8,
    );
    let (v, _) = unary::<T>(&xs, |x| x.tanh());
    assert_close("tanh on the grid", &v, &map(f64::tanh), 2);
    let (v, g) = unary::<T>(&xs, |x| x.softplus());
    assert_close("softplus on the grid", &v, &map(softplus), 3);
    assert_close("softplus' on the grid", &g, &map(sigmoid), 3);
}

#[test]
fn values_on_a_grid_f64() {
    values_on_a_grid::<f64>();
}

#[test]
fn values_on_a_grid_f32() {
    values_on_a_grid::<f32>();
}

#[test]
fn saturated_derivatives_are_accurate_to_an_absolute_ulp_of_one() {
    // Not a promise of relative accuracy: sigmoid'(x) = y (1 - y) and tanh'(x) = 1 - y^2 lose
    // relative precision where y rounds near 1 (x of about 20 in f64, 9 in f32), as in
    // PyTorch, whose rules are the same. The absolute error stays below one ulp of 1, and at
    // +-1e4 the exact results (0) come out exactly.
    fn check<T: Float>() {
        let xs: Vec<f64> = as_t::<T>(&[5.0, 10.0, 20.0, 30.0, 40.0, 1e4]);
        let (_, gs) = unary::<T>(&xs, |x| x.sigmoid());
        let (_, gt) = unary::<T>(&xs, |x| x.tanh());
        for (i, &x) in xs.iter().enumerate() {
            let eps = T::epsilon().as_f64();
            assert!((gs[i].as_f64() - sigmoid_grad(x)).abs() <= eps, "sigmoid'({x})");
            assert!((gt[i].as_f64() - tanh_grad(x)).abs() <= 2.0 * eps, "tanh'({x})");
            assert!(gs[i] >= T::zero() && gt[i] >= T::zero());
        }
    }
    check::<f64>();
    check::<f32>();
}

#[test]
fn second_derivatives_stay_finite_at_the_extremes() {
    // grad of grad through the stable forms: no inf - inf or 0 * inf at +-1e4.
    for x0 in [1e4, -1e4] {
        let tape = Tape::<f64>::new();
        let x = tape.scalar_var(x0);
        for (name, y) in [
            ("sigmoid", x.sigmoid()),
            ("tanh", x.tanh()),
            ("softplus", x.softplus()),
            (
                "logsumexp",
                autograd::stack(&[x, x * 0.5, -x], 0).unwrap().logsumexp(),
            ),
        ] {
            let d1 = autograd::grad(y, &[x]).unwrap()[0];
            let d2 = autograd::grad(d1, &[x]).unwrap()[0];
            assert!(
                d1.item().is_finite() && d2.item().is_finite(),
                "{name} at {x0}: {} {}",
                d1.item(),
                d2.item()
            );
        }
    }
}
