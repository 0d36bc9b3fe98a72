//! The op tables: each unary, binary and reduction op with its input domains and second-order check.

use autograd::Var;

use super::{Dom, Second, NONZERO, OFF_ZERO, POSITIVE, R2, R3};

/// A unary op with a random real parameter `p` in `[-2, 3)`.
type Unary = for<'t> fn(Var<'t, f64>, f64) -> Var<'t, f64>;

fn un(name: &'static str, dom: Dom, second: Second, f: Unary) -> (&'static str, Dom, Second, Unary) {
    (name, dom, second, f)
}

pub(super) fn unary_ops() -> Vec<(&'static str, Dom, Second, Unary)> {
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

pub(super) fn binary_ops() -> Vec<(&'static str, Dom, Dom, Second, Binary)> {
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
pub(super) fn form(f: Binary) -> Binary {
    f
}

/// A matmul form: (name, shape of A, shape of B, shape of the product, the expression).
pub(super) type MatmulForm = (&'static str, Vec<usize>, Vec<usize>, Vec<usize>, Binary);

/// A reduction over `axes` (or over everything, ignoring them), `keepdim` or not.
type Reduce = for<'t> fn(Var<'t, f64>, &[isize], bool) -> Var<'t, f64>;

/// (name, domain, second order, over all axes, op)
type ReduceEntry = (&'static str, Dom, Second, bool, Reduce);

fn red(name: &'static str, dom: Dom, second: Second, all: bool, f: Reduce) -> ReduceEntry {
    (name, dom, second, all, f)
}

pub(super) fn reductions() -> Vec<ReduceEntry> {
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
