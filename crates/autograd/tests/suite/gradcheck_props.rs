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

use autograd::{
    broadcast_shapes, concat, gradcheck, gradgradcheck, stack, vjp, GradcheckOptions, Tape, Tensor, Var,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

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

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

/// A shape of rank `min_rank..=max_rank`, every size 1 to 5.
fn shape(min_rank: usize, max_rank: usize) -> impl Strategy<Value = Vec<usize>> {
    vec(1usize..=5, min_rank..=max_rank)
}

/// A tensor of the given shape with uniforms in `[0, 1)` (mapped by [`realize`]).
fn unit(shape: Vec<usize>) -> impl Strategy<Value = Tensor<f64>> {
    let n: usize = shape.iter().product();
    vec(0.0f64..1.0, n).prop_map(move |v| Tensor::from_vec(v, &shape).expect("numel"))
}

/// A uniform tensor of random shape of rank `min_rank..=max_rank`.
fn unit_tensor(min_rank: usize, max_rank: usize) -> impl Strategy<Value = Tensor<f64>> {
    shape(min_rank, max_rank).prop_flat_map(unit)
}

/// An axis of a rank-`rank` value (`rank >= 1`), as given to the API: non-negative or counted
/// from the end.
fn axis(rank: usize) -> impl Strategy<Value = isize> {
    (0..rank, any::<bool>()).prop_map(move |(a, neg)| {
        if neg {
            a as isize - rank as isize
        } else {
            a as isize
        }
    })
}

/// Resolves a possibly negative axis.
fn resolve(axis: isize, rank: usize) -> usize {
    if axis < 0 {
        (axis + rank as isize) as usize
    } else {
        axis as usize
    }
}

/// A random subset of the axes of a rank-`rank` value, in random order, some negative.
fn axis_subset(rank: usize) -> impl Strategy<Value = Vec<isize>> {
    (
        vec((any::<bool>(), any::<bool>()), rank),
        Just((0..rank).collect::<Vec<_>>()).prop_shuffle(),
    )
        .prop_map(move |(pick, order)| {
            order
                .into_iter()
                .filter(|&i| pick[i].0)
                .map(|i| {
                    if pick[i].1 {
                        i as isize - rank as isize
                    } else {
                        i as isize
                    }
                })
                .collect()
        })
}

/// A shape that broadcasts to `out`: `drop` leading axes removed, sizes set to 1 where `ones`.
fn broadcast_source(out: &[usize], drop: usize, ones: &[bool]) -> Vec<usize> {
    out[drop..]
        .iter()
        .zip(&ones[drop..])
        .map(|(&d, &one)| if one { 1 } else { d })
        .collect()
}

/// `k` uniform tensors whose shapes broadcast together: each is a random shape of rank 0 to 4
/// with leading axes dropped and sizes set to 1 at random, so every pattern occurs (scalar vs
/// tensor, missing leading axes, size-1 axes on either or both sides, [3, 1] with [1, 4]).
fn broadcast_units(k: usize) -> impl Strategy<Value = Vec<Tensor<f64>>> {
    shape(0, 4)
        .prop_flat_map(move |out| {
            let r = out.len();
            (Just(out), vec((0..=r, vec(prop::bool::weighted(0.35), r)), k))
        })
        .prop_flat_map(|(out, sides)| {
            sides
                .iter()
                .map(|(drop, ones)| unit(broadcast_source(&out, *drop, ones)))
                .collect::<Vec<_>>()
        })
}

/// A factorization of `n` into a shape: random divisors, then the rest, with 1s sprinkled in.
fn factor_shape(n: usize, picks: &[(u32, bool)]) -> Vec<usize> {
    let mut rest = n;
    let mut out = Vec::new();
    for &(p, one) in picks {
        if one {
            out.push(1);
            continue;
        }
        let divisors: Vec<usize> = (1..=rest).filter(|d| rest.is_multiple_of(*d)).collect();
        let d = divisors[p as usize % divisors.len()];
        out.push(d);
        rest /= d;
    }
    if rest > 1 {
        out.push(rest);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Op tables
// ---------------------------------------------------------------------------------------------

/// A unary op with a random real parameter `p` in `[-2, 3)`.
type Unary = for<'t> fn(Var<'t, f64>, f64) -> Var<'t, f64>;

fn un(name: &'static str, dom: Dom, second: Second, f: Unary) -> (&'static str, Dom, Second, Unary) {
    (name, dom, second, f)
}

fn unary_ops() -> Vec<(&'static str, Dom, Second, Unary)> {
    use Second::{Direct, Squared};
    vec![
        un("neg", R2, Squared, |x, _| -x),
        un("exp", R2, Direct, |x, _| x.exp()),
        un("ln", POSITIVE, Direct, |x, _| x.ln()),
        un("log1p", Dom::Range(-0.5, 2.0), Direct, |x, _| x.log1p()),
        un("expm1", R2, Direct, |x, _| x.expm1()),
        un("sqrt", POSITIVE, Direct, |x, _| x.sqrt()),
        un("powf(p)", POSITIVE, Direct, |x, p| x.powf(p)),
        un("powf(0)", POSITIVE, Direct, |x, _| x.powf(0.0)),
        un("powf(2)", R2, Direct, |x, _| x.powf(2.0)),
        un("powf(3)", R2, Direct, |x, _| x.powf(3.0)),
        un("powf(-1.5)", POSITIVE, Direct, |x, _| x.powf(-1.5)),
        un("abs", OFF_ZERO, Squared, |x, _| x.abs()),
        un("sign", OFF_ZERO, Direct, |x, _| x.sign()),
        un("sin", R3, Direct, |x, _| x.sin()),
        un("cos", R3, Direct, |x, _| x.cos()),
        un("tanh", R3, Direct, |x, _| x.tanh()),
        un("sigmoid", R3, Direct, |x, _| x.sigmoid()),
        un("relu", OFF_ZERO, Squared, |x, _| x.relu()),
        un("leaky_relu(|p|/3)", OFF_ZERO, Squared, |x, p| {
            x.leaky_relu(p.abs() / 3.0)
        }),
        un("softplus", R3, Direct, |x, _| x.softplus()),
        un("silu", R3, Direct, |x, _| x.silu()),
        un("recip", NONZERO, Direct, |x, _| x.recip()),
        un("clamp(-0.5, 1)", Dom::AwayFrom(&[-0.5, 1.0]), Squared, |x, _| {
            x.clamp(-0.5, 1.0)
        }),
        un("add_scalar(p)", R2, Squared, |x, p| x.add_scalar(p)),
        un("mul_scalar(p)", R2, Squared, |x, p| x.mul_scalar(p)),
        un("x + p", R2, Squared, |x, p| x + p),
        un("x - p", R2, Squared, |x, p| x - p),
        un("p - x", R2, Squared, |x, p| p - x),
        un("p * x", R2, Squared, |x, p| p * x),
        un("x / 2.5", R2, Squared, |x, _| x / 2.5),
        un("p / x", NONZERO, Direct, |x, p| p / x),
        un("x * x", R2, Direct, |x, _| x * x),
        un("x / (x * x + 1)", R2, Direct, |x, _| x / (x * x + 1.0)),
    ]
}

/// A binary op.
type Binary = for<'t> fn(Var<'t, f64>, Var<'t, f64>) -> Var<'t, f64>;

fn bin(
    name: &'static str,
    da: Dom,
    db: Dom,
    second: Second,
    f: Binary,
) -> (&'static str, Dom, Dom, Second, Binary) {
    (name, da, db, second, f)
}

fn binary_ops() -> Vec<(&'static str, Dom, Dom, Second, Binary)> {
    use Second::{Direct, Squared};
    let (lo, hi) = (Dom::Lattice(0.0), Dom::Lattice(0.5));
    vec![
        bin("add", R2, R2, Squared, |a, b| a + b),
        bin("sub", R2, R2, Squared, |a, b| a - b),
        bin("mul", R2, R2, Direct, |a, b| a * b),
        bin("div", R2, NONZERO, Direct, |a, b| a / b),
        bin("pow", POSITIVE, R2, Direct, |a, b| a.pow(b)),
        bin("maximum", lo, hi, Squared, |a, b| a.maximum(b)),
        bin("maximum (swapped)", hi, lo, Squared, |a, b| a.maximum(b)),
        bin("minimum", lo, hi, Squared, |a, b| a.minimum(b)),
        bin("minimum (swapped)", hi, lo, Squared, |a, b| a.minimum(b)),
        // Comparison masks carry no gradient: only the product rule's other factor remains.
        bin("gt(a, b) * a * b", lo, hi, Direct, |a, b| a.gt(b) * a * b),
        bin("ge(a, b) * a * b", lo, hi, Direct, |a, b| a.ge(b) * a * b),
        bin("lt(a, b) * a * b", lo, hi, Direct, |a, b| a.lt(b) * a * b),
        bin("le(a, b) * a * b", lo, hi, Direct, |a, b| a.le(b) * a * b),
        bin("ne(a, b) * a * b", lo, hi, Direct, |a, b| a.ne(b) * a * b),
        bin("eq(a, b) + a * b", lo, hi, Direct, |a, b| a.eq(b) + a * b),
        bin("where(a > b, sin a, exp b)", lo, hi, Direct, |a, b| {
            a.gt(b).where_(a.sin(), b.exp())
        }),
    ]
}

/// A binary op given as a closure (fixes its higher-ranked signature).
fn form(f: Binary) -> Binary {
    f
}

/// A matmul form: (name, shape of A, shape of B, shape of the product, the expression).
type MatmulForm = (&'static str, Vec<usize>, Vec<usize>, Vec<usize>, Binary);

/// A reduction over `axes` (or over everything, ignoring them), `keepdim` or not.
type Reduce = for<'t> fn(Var<'t, f64>, &[isize], bool) -> Var<'t, f64>;

/// (name, domain, second order, over all axes, op)
type ReduceEntry = (&'static str, Dom, Second, bool, Reduce);

fn red(name: &'static str, dom: Dom, second: Second, all: bool, f: Reduce) -> ReduceEntry {
    (name, dom, second, all, f)
}

fn reductions() -> Vec<ReduceEntry> {
    use Second::{Direct, Squared};
    vec![
        red("sum_axes", R2, Squared, false, |x, a, k| x.sum_axes(a, k)),
        red("mean_axes", R2, Squared, false, |x, a, k| x.mean_axes(a, k)),
        red("max_axes", Dom::Distinct, Squared, false, |x, a, k| {
            x.max_axes(a, k)
        }),
        red("min_axes", Dom::Distinct, Squared, false, |x, a, k| {
            x.min_axes(a, k)
        }),
        red("logsumexp_axes", R3, Direct, false, |x, a, k| {
            x.logsumexp_axes(a, k)
        }),
        red("sum", R2, Squared, true, |x, _, _| x.sum()),
        red("mean", R2, Squared, true, |x, _, _| x.mean()),
        red("max", Dom::Distinct, Squared, true, |x, _, _| x.max()),
        red("min", Dom::Distinct, Squared, true, |x, _, _| x.min()),
        red("logsumexp", R3, Direct, true, |x, _, _| x.logsumexp()),
    ]
}

// ---------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    /// Every elementwise unary op (and the scalar operators) on a random shape.
    #[test]
    fn unary_ops_gradcheck(u in unit_tensor(0, 4), p in -2.0f64..3.0) {
        for (name, dom, second, f) in unary_ops() {
            let x = realize(dom, &u);
            check(name, |v| f(v[0], p), &[x], second)?;
        }
    }

    /// Every binary op, with both operands differentiated, on a random broadcasting pair.
    #[test]
    fn binary_ops_gradcheck(us in broadcast_units(2)) {
        let expected = broadcast_shapes("test", us[0].shape(), us[1].shape()).unwrap();
        for (name, da, db, second, f) in binary_ops() {
            let inputs = [realize(da, &us[0]), realize(db, &us[1])];
            let what = format!("{name} {:?} with {:?}", us[0].shape(), us[1].shape());
            let y = evaluate(|v| f(v[0], v[1]), &inputs);
            prop_assert_eq!(y.shape(), expected.as_slice(), "{}", what);
            check(&what, |v| f(v[0], v[1]), &inputs, second)?;
        }
    }

    /// `where_` with a constant mask: the gradient goes to both branches (each where chosen),
    /// with all three operands broadcasting.
    #[test]
    fn where_gradcheck(us in broadcast_units(3)) {
        let mask = us[0].map(|t| if t < 0.5 { 1.0 } else { 0.0 });
        let inputs = [realize(R2, &us[1]), realize(R2, &us[2])];
        let what = format!("where {:?} ? {:?} : {:?}", mask.shape(), inputs[0].shape(), inputs[1].shape());
        check(&what, |v| v[0].tape().constant_from(&mask).where_(v[0], v[1]), &inputs, Second::Squared)?;
        // Nonlinear branches, so the second derivative of each branch is routed too.
        check(
            &what,
            |v| v[0].tape().constant_from(&mask).where_(v[0].sin(), v[1] * v[1]),
            &inputs,
            Second::Direct,
        )?;
    }

    /// Every reduction over a random subset of axes (some negative, in any order), with and
    /// without keepdim, and over all elements.
    #[test]
    fn reductions_gradcheck(
        (u, axes) in unit_tensor(0, 4).prop_flat_map(|u| { let r = u.ndim(); (Just(u), axis_subset(r)) }),
        keepdim in any::<bool>(),
    ) {
        let rank = u.ndim();
        let reduced: Vec<usize> = axes.iter().map(|&a| resolve(a, rank)).collect();
        let kept: Vec<usize> = (0..rank)
            .filter(|i| keepdim || !reduced.contains(i))
            .map(|i| if reduced.contains(&i) { 1 } else { u.shape()[i] })
            .collect();
        for (name, dom, second, all, f) in reductions() {
            let x = realize(dom, &u);
            let what = format!("{name} over {axes:?} (keepdim {keepdim}) of {:?}", u.shape());
            let y = evaluate(|v| f(v[0], &axes, keepdim), std::slice::from_ref(&x));
            let expected: &[usize] = if all { &[] } else { &kept };
            prop_assert_eq!(y.shape(), expected, "{}", what);
            check(&what, |v| f(v[0], &axes, keepdim), &[x], second)?;
        }
    }

    /// softmax and log_softmax over a random axis.
    #[test]
    fn softmax_gradcheck((u, ax) in unit_tensor(1, 4).prop_flat_map(|u| { let r = u.ndim(); (Just(u), axis(r)) })) {
        let x = realize(R3, &u);
        let what = format!("over axis {ax} of {:?}", u.shape());
        check(&format!("softmax {what}"), |v| v[0].softmax(ax), std::slice::from_ref(&x), Second::Direct)?;
        check(&format!("log_softmax {what}"), |v| v[0].log_softmax(ax), &[x], Second::Direct)?;
    }

    /// reshape to a random factorization of the size, flatten, unsqueeze at a random axis.
    #[test]
    fn reshape_gradcheck(
        u in unit_tensor(0, 4),
        picks in vec((any::<u32>(), prop::bool::weighted(0.2)), 0..=4),
        at in any::<prop::sample::Index>(),
    ) {
        let x = realize(R2, &u);
        let target = factor_shape(u.numel(), &picks);
        let what = format!("reshape {:?} -> {target:?}", u.shape());
        let y = evaluate(|v| v[0].reshape(&target), std::slice::from_ref(&x));
        prop_assert_eq!(y.as_slice(), x.as_slice(), "{}", what);
        check(&what, |v| v[0].reshape(&target), std::slice::from_ref(&x), Second::Squared)?;
        check("flatten", |v| v[0].flatten(), std::slice::from_ref(&x), Second::Squared)?;
        let r = u.ndim() as isize;
        let axis = at.index(2 * u.ndim() + 2) as isize - (r + 1); // -(r + 1) ..= r
        check(&format!("unsqueeze({axis})"), |v| v[0].unsqueeze(axis), &[x], Second::Squared)?;
    }

    /// permute by a random permutation, transpose of two random axes, and `t()`.
    #[test]
    fn permute_transpose_gradcheck(
        (u, perm) in unit_tensor(0, 4).prop_flat_map(|u| {
            let r = u.ndim();
            (Just(u), Just((0..r).collect::<Vec<_>>()).prop_shuffle())
        }),
        picks in prop::array::uniform2((any::<prop::sample::Index>(), any::<bool>())),
    ) {
        let x = realize(R2, &u);
        let r = u.ndim();
        let [a, b] = picks.map(|(i, neg)| {
            let a = i.index(r.max(1)) as isize;
            if neg { a - r as isize } else { a }
        });
        let inputs = std::slice::from_ref(&x);
        check(&format!("permute {perm:?} of {:?}", u.shape()), |v| v[0].permute(&perm), inputs, Second::Squared)?;
        if u.ndim() >= 1 {
            let what = format!("transpose({a}, {b}) of {:?}", u.shape());
            check(&what, |v| v[0].transpose(a, b), inputs, Second::Squared)?;
        }
        if u.ndim() >= 2 {
            check(&format!("t() of {:?}", u.shape()), |v| v[0].t(), inputs, Second::Squared)?;
            // Transposed operands in a nonlinear expression.
            check("t() * x.t()", |v| v[0].t() * v[0].t().exp(), inputs, Second::Direct)?;
        }
    }

    /// broadcast_to from every kind of broadcastable shape.
    #[test]
    fn broadcast_to_gradcheck(
        (u, out) in shape(0, 4)
            .prop_flat_map(|out| {
                let r = out.len();
                (Just(out), 0..=r, vec(prop::bool::weighted(0.4), r))
            })
            .prop_flat_map(|(out, drop, ones)| (unit(broadcast_source(&out, drop, &ones)), Just(out))),
    ) {
        let x = realize(R2, &u);
        let what = format!("broadcast_to {:?} -> {out:?}", u.shape());
        let y = evaluate(|v| v[0].broadcast_to(&out), std::slice::from_ref(&x));
        prop_assert_eq!(y.shape(), out.as_slice(), "{}", what);
        check(&what, |v| v[0].broadcast_to(&out), &[x], Second::Squared)?;
    }

    /// narrow with a random axis, start and length.
    #[test]
    fn narrow_gradcheck(
        (u, ax, start, len) in unit_tensor(1, 4)
            .prop_flat_map(|u| { let r = u.ndim(); (Just(u), axis(r)) })
            .prop_flat_map(|(u, ax)| {
                let d = u.shape()[resolve(ax, u.ndim())];
                (Just(u), Just(ax), 0..d)
            })
            .prop_flat_map(|(u, ax, start)| {
                let d = u.shape()[resolve(ax, u.ndim())];
                (Just(u), Just(ax), Just(start), 1..=d - start)
            }),
    ) {
        let x = realize(R2, &u);
        let what = format!("narrow({ax}, {start}, {len}) of {:?}", u.shape());
        check(&what, |v| v[0].narrow(ax, start, len), &[x], Second::Squared)?;
    }

    /// index_select with random indices (repeats allowed) along a random axis.
    #[test]
    fn index_select_gradcheck(
        (u, ax, idx) in unit_tensor(1, 4)
            .prop_flat_map(|u| { let r = u.ndim(); (Just(u), axis(r)) })
            .prop_flat_map(|(u, ax)| {
                let d = u.shape()[resolve(ax, u.ndim())];
                (Just(u), Just(ax), vec(0..d, 1..=6))
            }),
    ) {
        let x = realize(R2, &u);
        let what = format!("index_select({ax}, {idx:?}) of {:?}", u.shape());
        check(&what, |v| v[0].index_select(ax, &idx), &[x], Second::Squared)?;
    }

    /// gather with a random index per output position along a random axis.
    #[test]
    fn gather_gradcheck(
        (u, ax, idx) in unit_tensor(1, 4)
            .prop_flat_map(|u| { let r = u.ndim(); (Just(u), axis(r)) })
            .prop_flat_map(|(u, ax)| {
                let a = resolve(ax, u.ndim());
                let (d, rest) = (u.shape()[a], u.numel() / u.shape()[a]);
                (Just(u), Just(ax), vec(0..d, rest))
            }),
    ) {
        let x = realize(R2, &u);
        let what = format!("gather({ax}, {idx:?}) of {:?}", u.shape());
        check(&what, |v| v[0].gather(ax, &idx), &[x], Second::Squared)?;
    }

    /// concat of 2 or 3 inputs along a random axis (sizes along it differ).
    #[test]
    fn concat_gradcheck(
        (ax, us) in shape(1, 4)
            .prop_flat_map(|base| { let r = base.len(); (Just(base), axis(r), vec(1usize..=5, 2..=3)) })
            .prop_flat_map(|(base, ax, sizes)| {
                let a = resolve(ax, base.len());
                let parts: Vec<_> = sizes
                    .iter()
                    .map(|&s| {
                        let mut sh = base.clone();
                        sh[a] = s;
                        unit(sh)
                    })
                    .collect();
                (Just(ax), parts)
            }),
    ) {
        let inputs: Vec<_> = us.iter().map(|u| realize(R2, u)).collect();
        let shapes: Vec<_> = us.iter().map(|u| u.shape().to_vec()).collect();
        let what = format!("concat({shapes:?}, {ax})");
        check(&what, |v| concat(v, ax).unwrap(), &inputs, Second::Squared)?;
    }

    /// stack of 2 or 3 equal-shape inputs along a random (new) axis.
    #[test]
    fn stack_gradcheck(
        (ax, us) in shape(0, 3).prop_flat_map(|s| {
            let r = s.len() as isize;
            (-(r + 1)..=r, vec(unit(s), 2..=3))
        }),
    ) {
        let inputs: Vec<_> = us.iter().map(|u| realize(R2, u)).collect();
        let what = format!("stack({} x {:?}, {ax})", us.len(), us[0].shape());
        check(&what, |v| stack(v, ax).unwrap(), &inputs, Second::Squared)?;
    }

    /// matmul in every form it supports, plus transposed operands and a Gram matrix.
    #[test]
    fn matmul_gradcheck(
        ((b, m, k, n), pa, pb) in (1usize..=4, 1usize..=5, 1usize..=5, 1usize..=5).prop_flat_map(|(b, m, k, n)| {
            (Just((b, m, k, n)), vec(-2.0f64..2.0, b * m * k), vec(-2.0f64..2.0, (b * k * n).max(m * m)))
        }),
    ) {
        let t = |pool: &[f64], s: &[usize]| {
            let len = s.iter().product();
            Tensor::from_vec(pool[..len].to_vec(), s).unwrap()
        };
        let mm = form(|x, y| x.matmul(y));
        let forms: Vec<MatmulForm> = vec![
            ("2-D", vec![m, k], vec![k, n], vec![m, n], mm),
            ("batched 3-D", vec![b, m, k], vec![b, k, n], vec![b, m, n], mm),
            ("3-D x 2-D", vec![b, m, k], vec![k, n], vec![b, m, n], mm),
            ("vector-matrix", vec![k], vec![k, n], vec![n], mm),
            ("matrix-vector", vec![m, k], vec![k], vec![m], mm),
            ("batched matrix-vector", vec![b, m, k], vec![k], vec![b, m], mm),
            ("dot", vec![k], vec![k], vec![], mm),
            ("A^T B", vec![k, m], vec![k, n], vec![m, n], form(|x, y| x.t().matmul(y))),
            ("A B^T", vec![m, k], vec![n, k], vec![m, n], form(|x, y| x.matmul(y.t()))),
            ("batched A^T B^T", vec![b, k, m], vec![b, n, k], vec![b, m, n], form(|x, y| x.t().matmul(y.t()))),
            ("Gram A A^T + B", vec![m, k], vec![m, m], vec![m, m], form(|x, y| x.matmul(x.t()) + y)),
            ("linear x W^T", vec![m, k], vec![n, k], vec![m, n], form(|x, y| x.linear(y, None))),
            ("linear, batched input", vec![b, m, k], vec![n, k], vec![b, m, n], form(|x, y| x.linear(y, None))),
            ("linear, vector input", vec![k], vec![n, k], vec![n], form(|x, y| x.linear(y, None))),
        ];
        for (name, sa, sb, out, f) in forms {
            let inputs = [t(&pa, &sa), t(&pb, &sb)];
            let what = format!("matmul {name}: {sa:?} @ {sb:?}");
            let y = evaluate(|v| f(v[0], v[1]), &inputs);
            prop_assert_eq!(y.shape(), out.as_slice(), "{}", what);
            check(&what, |v| f(v[0], v[1]), &inputs, Second::Direct)?;
        }
    }

    /// A small network: everything composed, as in a training step.
    #[test]
    fn composite_gradcheck(
        ((batch, din, classes), px, pw, pb) in (1usize..=4, 1usize..=4, 2usize..=4).prop_flat_map(|(n, d, c)| {
            (Just((n, d, c)), vec(-2.0f64..2.0, n * d), vec(-1.0f64..1.0, c * d), vec(-1.0f64..1.0, c))
        }),
        targets in vec(0usize..2, 4),
    ) {
        let x = Tensor::from_vec(px, &[batch, din]).unwrap();
        let inputs = [
            Tensor::from_vec(pw, &[classes, din]).unwrap(),
            Tensor::from_vec(pb, &[classes]).unwrap(),
        ];
        let targets = &targets[..batch];
        check(
            "mlp loss",
            |v| {
                let xs = v[0].tape().constant_from(&x);
                let logits = xs.matmul(v[0].t()).tanh() + v[1];
                -logits.log_softmax(-1).gather(-1, targets).mean()
            },
            &inputs,
            Second::Direct,
        )?;
        check(
            "linear with bias, then log_softmax",
            |v| {
                let xs = v[0].tape().constant_from(&x);
                -xs.linear(v[0], Some(v[1])).tanh().log_softmax(-1).gather(-1, targets).mean()
            },
            &inputs,
            Second::Direct,
        )?;
    }
}

// ---------------------------------------------------------------------------------------------
// Deterministic coverage of the named broadcasting patterns, and the harness itself
// ---------------------------------------------------------------------------------------------

/// Every binary op on each named broadcasting pattern, both operand orders.
#[test]
fn binary_ops_on_every_broadcast_pattern() {
    let patterns: &[(&[usize], &[usize])] = &[
        (&[], &[]),                     // scalar with scalar
        (&[], &[2, 3]),                 // scalar with tensor
        (&[1], &[3]),                   // size-1 vector
        (&[3], &[2, 3]),                // a missing leading axis
        (&[4], &[2, 3, 4]),             // two missing leading axes
        (&[2, 1], &[2, 3]),             // size 1 on one side
        (&[1, 3], &[2, 3]),             // size 1 in front on one side
        (&[3, 1], &[1, 4]),             // both sides broadcast
        (&[2, 1, 4], &[3, 1]),          // both sides, missing axis too
        (&[1, 1], &[2, 3]),             // all size 1
        (&[2, 3, 1, 5], &[4, 1]),       // rank 4 with rank 2
        (&[5], &[1, 2, 3, 1]),          // rank 1 with rank 4, both broadcast
        (&[2, 3, 4, 5], &[2, 3, 4, 5]), // no broadcasting
    ];
    let mut seed = 1;
    for &(sa, sb) in patterns {
        for (sa, sb) in [(sa, sb), (sb, sa)] {
            seed += 1;
            let ua = Tensor::rand_uniform(sa, 0.0, 1.0, seed);
            let ub = Tensor::rand_uniform(sb, 0.0, 1.0, seed + 1000);
            let expected = broadcast_shapes("test", sa, sb).unwrap();
            for (name, da, db, second, f) in binary_ops() {
                let inputs = [realize(da, &ua), realize(db, &ub)];
                let what = format!("{name} {sa:?} with {sb:?}");
                let y = evaluate(|v| f(v[0], v[1]), &inputs);
                assert_eq!(y.shape(), expected.as_slice(), "{what}");
                if let Err(e) = check(&what, |v| f(v[0], v[1]), &inputs, second) {
                    panic!("{e}");
                }
            }
        }
    }
}

/// The harness can fail: a derivative that is wrong (the detached factor is treated as a
/// constant) fails `gradcheck`, and a first derivative that is right but not differentiable
/// further fails `gradgradcheck` while passing `gradcheck`.
#[test]
fn wrong_derivatives_are_caught() {
    let x = Tensor::from(vec![0.3, -1.2, 0.8]);
    let opts = GradcheckOptions::default();

    let wrong_first = gradcheck(|v| v[0] * v[0].detach(), std::slice::from_ref(&x), &opts);
    assert!(!wrong_first.passed, "{wrong_first}");
    let worst = wrong_first.worst.as_ref().expect("a worst entry");
    // analytical x, numerical 2x
    assert!(
        (worst.numerical - 2.0 * worst.analytical).abs() < 1e-6,
        "{wrong_first}"
    );

    // e^x whose gradient is the constant e^x: right first derivative, zero second derivative.
    fn frozen<'t>(v: &[Var<'t, f64>]) -> Var<'t, f64> {
        let e = v[0].detach().exp();
        (v[0] - v[0].detach()) * e + e
    }
    let first = gradcheck(frozen, std::slice::from_ref(&x), &opts);
    assert!(first.passed, "{first}");
    let second = gradgradcheck(frozen, &[x], &opts);
    assert!(!second.passed, "{second}");
}

/// The value domains keep their promises (the kink-avoidance the properties rely on).
#[test]
fn domains_keep_away_from_kinks() {
    let u = Tensor::rand_uniform(&[4000], 0.0, 1.0, 7);
    let away = realize(Dom::AwayFrom(&[-0.5, 1.0]), &u);
    assert!(away
        .as_slice()
        .iter()
        .all(|&v| (v + 0.5).abs() >= 0.1 - 1e-12 && (v - 1.0).abs() >= 0.1 - 1e-12));
    assert!(realize(OFF_ZERO, &u).as_slice().iter().all(|v| v.abs() >= 0.1));
    let lo = realize(Dom::Lattice(0.0), &u);
    let hi = realize(Dom::Lattice(0.5), &Tensor::rand_uniform(&[4000], 0.0, 1.0, 8));
    for &a in lo.as_slice() {
        for &b in &hi.as_slice()[..200] {
            assert!((a - b).abs() >= 0.2 - 1e-12, "{a} {b}");
        }
    }
    let mut d = realize(Dom::Distinct, &u).to_vec();
    d.sort_by(f64::total_cmp);
    assert!(d.windows(2).all(|w| w[1] - w[0] >= 0.15 - 1e-12));
}
