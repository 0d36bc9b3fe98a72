//! Property tests: every differentiable op of the engine is gradchecked against central finite
//! differences, first and second order, in `f64`, on random shapes (rank 0 to 4, every size 1
//! to 5) with inputs kept away from kinks.
//!
//! Each case also checks that the gradient of every input has that input's shape (through
//! both `vjp` and `Var::backward`).
//!
//! Second order: for ops with a non-zero second derivative, `gradgradcheck(f)`. For (piecewise)
//! linear ops the second derivative of `f` itself is zero, which would only test that a
//! constant is a constant, so they are checked as `gradgradcheck(f(x) * f(x))`: its gradient
//! `2 J^T (v * f(x))` runs the op's derivative rule on a value that depends on `x`, so the rule
//! of the rule (pad for narrow, index_add for index_select, ...) is differentiated as well.
//!
//! The number of cases per property is 32, or `PROPTEST_CASES` when set.

use autograd::{gradcheck, gradgradcheck, vjp, GradcheckOptions, Tape, Tensor, Var};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

mod elementwise;
mod harness;
mod matmul;
mod ops;
mod reductions;
mod shapes;
mod strategies;

// ---------------------------------------------------------------------------------------------
// Configuration and the checking harness
// ---------------------------------------------------------------------------------------------

/// 32 cases per property unless `PROPTEST_CASES` says otherwise. Failures are not persisted
/// to a file: proptest prints the shrunk failing case.
fn config() -> ProptestConfig {
    let base = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        base.cases
    } else {
        32
    };
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..base
    }
}

/// How the second derivative of an op is checked.
#[derive(Clone, Copy, Debug)]
enum Second {
    /// `gradgradcheck(f)`: for ops with a non-zero second derivative.
    Direct,
    /// `gradgradcheck(f * f)`: for (piecewise) linear ops, whose own second derivative is zero.
    Squared,
}

/// The default options, with the random projection's seed varied with the inputs.
fn options_for(inputs: &[Tensor<f64>]) -> GradcheckOptions {
    let seed = inputs
        .iter()
        .flat_map(|t| t.as_slice())
        .fold(0x5eed_u64, |h, v| h.rotate_left(7) ^ v.to_bits());
    GradcheckOptions {
        seed,
        ..GradcheckOptions::default()
    }
}

/// Gradchecks `f` at `inputs` (first and second order) and checks the gradients' shapes.
fn check<F>(what: &str, f: F, inputs: &[Tensor<f64>], second: Second) -> Result<(), TestCaseError>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let opts = options_for(inputs);
    let report = gradcheck(&f, inputs, &opts);
    prop_assert!(report.passed, "{}: {}", what, report);
    let n_in: usize = inputs.iter().map(Tensor::numel).sum();
    prop_assert!(
        report.checked >= n_in.min(1),
        "{}: nothing compared: {}",
        what,
        report
    );
    gradient_shapes(what, &f, inputs)?;
    let report = match second {
        Second::Direct => gradgradcheck(&f, inputs, &opts),
        Second::Squared => gradgradcheck(
            |v| {
                let y = f(v);
                y * y
            },
            inputs,
            &opts,
        ),
    };
    prop_assert!(report.passed, "{} (second order, {:?}): {}", what, second, report);
    Ok(())
}

/// The gradient of every input has the input's shape and finite values, through `vjp` and
/// through `backward` of the sum (which must agree).
fn gradient_shapes<F>(what: &str, f: &F, inputs: &[Tensor<f64>]) -> Result<(), TestCaseError>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let tape = Tape::<f64>::new();
    let xs: Vec<_> = inputs.iter().map(|x| tape.var_from(x)).collect();
    let y = f(&xs);
    let ones = Tensor::ones(&y.shape());
    let by_vjp = vjp(y, &ones, &xs).map_err(|e| TestCaseError::fail(format!("{what}: vjp: {e}")))?;
    let by_backward = y.sum().backward();
    for (i, ((x, xv), g)) in inputs.iter().zip(&xs).zip(&by_vjp).enumerate() {
        prop_assert_eq!(g.shape(), x.shape(), "{}: vjp gradient of input {}", what, i);
        let gb = &by_backward[*xv];
        prop_assert_eq!(
            gb.shape(),
            x.shape(),
            "{}: backward gradient of input {}",
            what,
            i
        );
        prop_assert!(g.as_slice().iter().all(|v| v.is_finite()), "{}: {:?}", what, g);
        let diff = g.max_abs_diff(gb).unwrap_or(f64::NAN);
        prop_assert!(diff <= 1e-12, "{}: vjp and backward differ by {}", what, diff);
    }
    Ok(())
}

/// The value of `f` at `inputs` (to check output shapes).
fn evaluate<F>(f: F, inputs: &[Tensor<f64>]) -> Tensor<f64>
where
    F: for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
{
    let tape = Tape::<f64>::new();
    let xs: Vec<_> = inputs.iter().map(|x| tape.var_from(x)).collect();
    f(&xs).value()
}

// ---------------------------------------------------------------------------------------------
// Value domains: every input is drawn as uniforms in [0, 1) and mapped into its op's domain
// ---------------------------------------------------------------------------------------------

/// Where an op's inputs live, keeping them away from kinks and singularities.
#[derive(Clone, Copy, Debug)]
enum Dom {
    /// Uniform in `[lo, hi)`.
    Range(f64, f64),
    /// `|x|` in `[lo, hi)`, either sign (away from 0).
    Signed(f64, f64),
    /// In `[-2, 2]`, at least 0.1 from every listed point (clamp bounds).
    AwayFrom(&'static [f64]),
    /// `k + offset + [0, 0.3)` with an integer `k` in `-2..=2`. Values of `Lattice(0.0)` and
    /// `Lattice(0.5)` differ by at least 0.2, so `maximum`/`minimum` never tie.
    Lattice(f64),
    /// Pairwise distinct, at least 0.15 apart (for `max`/`min` reductions).
    Distinct,
}

fn realize(dom: Dom, u: &Tensor<f64>) -> Tensor<f64> {
    let s = u.as_slice();
    let map = |f: &dyn Fn(f64) -> f64| s.iter().map(|&t| f(t)).collect::<Vec<_>>();
    let values = match dom {
        Dom::Range(lo, hi) => map(&|t| lo + t * (hi - lo)),
        Dom::Signed(lo, hi) => map(&|t| {
            let m = lo + (2.0 * t).fract() * (hi - lo);
            if t < 0.5 {
                -m
            } else {
                m
            }
        }),
        Dom::AwayFrom(points) => map(&|t| {
            let mut x = -2.0 + 4.0 * t;
            for &p in points {
                let d = x - p;
                if d.abs() < 0.1 {
                    x = p + d + 0.1f64.copysign(d);
                }
            }
            x
        }),
        Dom::Lattice(offset) => map(&|t| {
            let w = 5.0 * t;
            w.floor() - 2.0 + offset + 0.3 * w.fract()
        }),
        Dom::Distinct => {
            let n = s.len();
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&i, &j| s[i].total_cmp(&s[j]).then(i.cmp(&j)));
            let mut out = vec![0.0; n];
            for (rank, &i) in order.iter().enumerate() {
                out[i] = 0.2 * (rank as f64 - n as f64 / 2.0) + 0.05 * (1000.0 * s[i]).fract();
            }
            out
        }
    };
    Tensor::from_vec(values, u.shape()).expect("same number of elements")
}

const R2: Dom = Dom::Range(-2.0, 2.0);
const R3: Dom = Dom::Range(-3.0, 3.0);
const POSITIVE: Dom = Dom::Range(0.5, 2.0);
const NONZERO: Dom = Dom::Signed(0.5, 2.0);
const OFF_ZERO: Dom = Dom::Signed(0.1, 2.0);
