//! The engine's first and second derivatives (`check::derivative_at`) against finite differences of the value.

use super::{bin, cases, name, neg, plain_value, runner, unary};
use proptest::prelude::*;
use std::cell::Cell;
use verify::check::derivative_at;
use verify::expr::{BinOp, Expr, Func, Span};
use verify::{Definition, System};

/// Moderate numbers for derivative checks, some in scientific notation.
fn small_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..=6).prop_map(f64::from),
        (1u32..24).prop_map(|k| f64::from(k) / 8.0),
        (1u32..30, -3i32..=0).prop_map(|(m, e)| format!("{m}e{e}").parse::<f64>().unwrap()),
    ]
}

/// Trees over `x` and `y` whose exponents are small integers (0..=4, or -1, -2), so the value
/// is a function of real inputs wherever it is finite.
fn smooth_expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        3 => prop::sample::select(vec!["x", "y"]).prop_map(name),
        2 => small_number().prop_map(Expr::Num),
    ];
    leaf.prop_recursive(5, 32, 2, |inner| {
        let slope = prop_oneof![(0u32..=10).prop_map(|k| Expr::Num(f64::from(k) / 10.0)), inner.clone()];
        prop_oneof![
            1 => inner.clone().prop_map(neg),
            2 => (prop::sample::select(vec![BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div]), inner.clone(), inner.clone())
                .prop_map(|(o, a, b)| bin(o, a, b)),
            1 => (inner.clone(), 0u32..=4).prop_map(|(a, k)| bin(BinOp::Pow, a, Expr::Num(f64::from(k)))),
            1 => (inner.clone(), 1u32..=2).prop_map(|(a, k)| bin(BinOp::Pow, a, neg(Expr::Num(f64::from(k))))),
            2 => (prop::sample::select(unary()), inner.clone()).prop_map(|(f, a)| Expr::Call(f, vec![a])),
            1 => (inner, slope).prop_map(|(a, s)| Expr::Call(Func::LeakyRelu, vec![a, s])),
        ]
    })
}

/// Values at the stencil points `x + k h` for `k` in `ks`, if every value is finite and not
/// huge and no kink or singularity lies between them (each guard keeps a strict sign).
fn stencil(f: &dyn Fn(f64, &mut Vec<f64>) -> f64, x: f64, h: f64, ks: &[f64]) -> Option<Vec<f64>> {
    let mut signs: Option<Vec<f64>> = None;
    let mut out = Vec::new();
    for &k in ks {
        let mut guards = Vec::new();
        let v = f(x + k * h, &mut guards);
        if !v.is_finite() || v.abs() > 1e6 || guards.iter().any(|g| !g.is_finite() || g.abs() < 1e-6) {
            return None;
        }
        let s: Vec<f64> = guards.iter().map(|g| g.signum()).collect();
        match &signs {
            None => signs = Some(s),
            Some(prev) if *prev != s => return None,
            _ => {}
        }
        out.push(v);
    }
    Some(out)
}

/// The five-point central difference of `f` at `x`, and an estimate of its error (the
/// difference from the same stencil at twice the step).
fn central_difference(f: &dyn Fn(f64, &mut Vec<f64>) -> f64, x: f64, h: f64) -> Option<(f64, f64, f64)> {
    let five = |h: f64| -> Option<(f64, f64)> {
        let v = stencil(f, x, h, &[-2.0, -1.0, 0.0, 1.0, 2.0])?;
        let d = (v[0] - 8.0 * v[1] + 8.0 * v[3] - v[4]) / (12.0 * h);
        Some((d, v.iter().fold(0.0f64, |m, a| m.max(a.abs()))))
    };
    let (d1, m1) = five(h)?;
    let (d2, m2) = five(2.0 * h)?;
    Some((d1, (d1 - d2).abs(), m1.max(m2)))
}

fn system_of(e: &Expr) -> System {
    System {
        defs: vec![Definition {
            name: "f".into(),
            span: Span { start: 0, end: 0 },
            expr: e.clone(),
        }],
    }
}

fn point(x: f64, y: f64) -> Vec<(String, f64)> {
    vec![("x".into(), x), ("y".into(), y)]
}

#[test]
fn the_engines_derivative_equals_finite_differences() {
    let checked = Cell::new(0usize);
    let tried = Cell::new(0usize);
    let strategy = (
        smooth_expr(),
        proptest::collection::vec((-3.0f64..3.0, -3.0f64..3.0), 6),
    );
    let n = cases(256);
    runner(256)
        .run(&strategy, |(e, points)| {
            let system = system_of(&e);
            for (x, y) in points {
                tried.set(tried.get() + 1);
                let f = |x: f64, g: &mut Vec<f64>| plain_value(&e, x, y, g);
                let Some((fd, err, fmax)) = central_difference(&f, x, 1e-4) else {
                    continue;
                };
                // Skip where the step is too coarse for the function (the two steps disagree).
                if err > 1e-4 * (1.0 + fd.abs()) {
                    continue;
                }
                let value = derivative_at(&system, "f", "x", 0, &point(x, y)).unwrap();
                let engine = derivative_at(&system, "f", "x", 1, &point(x, y)).unwrap();
                if !engine.is_finite() || engine.abs() > 1e6 {
                    continue;
                }
                let mut g = Vec::new();
                let plain = plain_value(&e, x, y, &mut g);
                prop_assert!(
                    (value - plain).abs() <= 1e-12 * (1.0 + plain.abs()),
                    "value of {e} at x = {x}, y = {y}: engine {value}, plain {plain}"
                );
                let tol = 1e-6 * (1.0 + engine.abs()) + 1e-10 * fmax + 4.0 * err;
                prop_assert!(
                    (engine - fd).abs() <= tol,
                    "d/dx {e} at x = {x}, y = {y}: engine {engine}, finite differences {fd} (tolerance {tol})"
                );
                checked.set(checked.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    // Most points are away from kinks and singularities; make sure the property was tested.
    eprintln!(
        "first derivative: {} of {} points checked",
        checked.get(),
        tried.get()
    );
    assert!(
        checked.get() * 2 >= n as usize,
        "only {} of {} points were checked",
        checked.get(),
        tried.get()
    );
}

#[test]
fn the_engines_second_derivative_equals_finite_differences_of_the_first() {
    let checked = Cell::new(0usize);
    let strategy = (
        smooth_expr(),
        proptest::collection::vec((-3.0f64..3.0, -3.0f64..3.0), 3),
    );
    let n = cases(64);
    runner(64)
        .run(&strategy, |(e, points)| {
            let system = system_of(&e);
            for (x, y) in points {
                // The guards of the plain evaluation decide where the first derivative is smooth.
                let first = |x: f64, g: &mut Vec<f64>| {
                    let v = plain_value(&e, x, y, g);
                    let d = derivative_at(&system, "f", "x", 1, &point(x, y)).unwrap();
                    if v.is_finite() {
                        d
                    } else {
                        f64::NAN
                    }
                };
                let Some((fd, err, fmax)) = central_difference(&first, x, 1e-4) else { continue };
                if err > 1e-4 * (1.0 + fd.abs()) {
                    continue;
                }
                let engine = derivative_at(&system, "f", "x", 2, &point(x, y)).unwrap();
                if !engine.is_finite() || engine.abs() > 1e6 {
                    continue;
                }
                let tol = 1e-5 * (1.0 + engine.abs()) + 1e-10 * fmax + 4.0 * err;
                prop_assert!(
                    (engine - fd).abs() <= tol,
                    "d2/dx2 {e} at x = {x}, y = {y}: engine {engine}, finite differences {fd} (tolerance {tol})"
                );
                checked.set(checked.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    eprintln!("second derivative: {} points checked", checked.get());
    assert!(
        checked.get() * 2 >= n as usize,
        "only {} points were checked",
        checked.get()
    );
}

#[test]
fn derivative_at_without_a_value_for_the_variable_is_an_error() {
    let s = System::parse("z = x^2").unwrap();
    assert!(derivative_at(&s, "z", "y", 1, &[("x".into(), 1.0)]).is_err());
    assert!(derivative_at(&s, "w", "x", 1, &[("x".into(), 1.0)]).is_err());
    assert!(derivative_at(&s, "z", "x", 1, &[]).is_err());
}
