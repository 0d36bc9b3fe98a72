//! Property tests of the symbolic derivatives: on random systems of 1 to 6 definitions over
//! every function of the language, the simplified symbolic derivative (orders 1 and 2, mixed
//! partials included) equals the engine's at random points to 1e-9 relative (to the value or,
//! where a polynomial multiplied out cancels, to the size of its terms); `derive` never
//! reports a disagreement and its printed results, read back as claims, agree with the
//! engine; and on random polynomial systems the printed derivative is exactly the expanded
//! polynomial, coefficient by coefficient.

use chainrule::{grad, Tape, Var};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::HashMap;
use verify::check::{check, derivative_at, CheckOptions, Polynomial};
use verify::expr::{parse, BinOp, Expr, Func, Span};
use verify::symbolic::{derive, DeriveError, Formula};
use verify::{Definition, System};

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        failure_persistence: None,
        ..Config::default()
    })
}

fn name(n: &str) -> Expr {
    Expr::Name(n.to_string(), Span { start: 0, end: 0 })
}

fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Bin(op, Box::new(a), Box::new(b))
}

/// The one-argument functions (leaky_relu's slope is generated apart).
fn unary() -> Vec<Func> {
    Func::ALL.into_iter().filter(|f| f.arity() == 1).collect()
}

/// A tree whose leaves are numbers and placeholders `#k`, which [`system`] maps to the names a
/// definition may use (the inputs and the definitions before it).
fn tree(polynomial: bool) -> BoxedStrategy<Expr> {
    // Integers in polynomials, so that their coefficients are exact in f64.
    let denominator = if polynomial { 1.0 } else { 4.0 };
    let leaf = prop_oneof![
        3 => (0usize..8).prop_map(|k| name(&format!("#{k}"))),
        1 => (1u32..=8).prop_map(move |k| Expr::Num(f64::from(k) / denominator)),
    ];
    leaf.prop_recursive(4, 16, 2, move |inner| {
        let ops = if polynomial {
            vec![BinOp::Add, BinOp::Sub, BinOp::Mul]
        } else {
            vec![BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div]
        };
        let arith = (prop::sample::select(ops), inner.clone(), inner.clone()).prop_map(|(o, a, b)| bin(o, a, b));
        let power = (inner.clone(), 1u32..=3).prop_map(|(a, k)| bin(BinOp::Pow, a, Expr::Num(f64::from(k))));
        if polynomial {
            return prop_oneof![3 => arith, 1 => power, 1 => inner.prop_map(|a| Expr::Neg(Box::new(a)))].boxed();
        }
        prop_oneof![
            3 => arith,
            1 => power,
            1 => (inner.clone(), inner.clone()).prop_map(|(a, b)| bin(BinOp::Pow, a, b)),
            3 => (prop::sample::select(unary()), inner.clone()).prop_map(|(f, a)| Expr::Call(f, vec![a])),
            1 => (inner.clone(), 0u32..=10).prop_map(|(a, k)| Expr::Call(Func::LeakyRelu, vec![a, Expr::Num(f64::from(k) / 10.0)])),
            1 => inner.prop_map(|a| Expr::Neg(Box::new(a))),
        ]
        .boxed()
    })
    .boxed()
}

/// Replaces each placeholder `#k` by the `k`-th usable name (modulo their number).
fn bind(e: &Expr, names: &[String]) -> Expr {
    match e {
        Expr::Name(n, _) => name(&names[n[1..].parse::<usize>().expect("a placeholder") % names.len()]),
        Expr::Num(_) => e.clone(),
        Expr::Neg(a) => Expr::Neg(Box::new(bind(a, names))),
        Expr::Bin(o, a, b) => bin(*o, bind(a, names), bind(b, names)),
        Expr::Call(f, args) => Expr::Call(*f, args.iter().map(|a| bind(a, names)).collect()),
    }
}

/// A system of 1 to 6 definitions `d1..dn` over the inputs `inputs`, each using the inputs and
/// the definitions before it; the output is the last.
fn system(polynomial: bool, inputs: &'static [&'static str]) -> impl Strategy<Value = System> {
    prop::collection::vec(tree(polynomial), 1..=6).prop_map(move |trees| {
        let mut names: Vec<String> = inputs.iter().map(|s| s.to_string()).collect();
        let mut defs = Vec::new();
        for (i, t) in trees.iter().enumerate() {
            let d = format!("d{}", i + 1);
            defs.push(Definition {
                name: d.clone(),
                span: Span { start: 0, end: 0 },
                expr: bind(t, &names),
            });
            names.push(d);
        }
        System { defs }
    })
}

/// The output's expression in the inputs: each definition substituted into the next.
fn inlined(s: &System) -> Expr {
    fn sub(e: &Expr, env: &HashMap<String, Expr>) -> Expr {
        match e {
            Expr::Name(n, _) => env.get(n).cloned().unwrap_or_else(|| e.clone()),
            Expr::Num(_) => e.clone(),
            Expr::Neg(a) => Expr::Neg(Box::new(sub(a, env))),
            Expr::Bin(o, a, b) => bin(*o, sub(a, env), sub(b, env)),
            Expr::Call(f, args) => Expr::Call(*f, args.iter().map(|a| sub(a, env)).collect()),
        }
    }
    let mut env = HashMap::new();
    for d in &s.defs {
        let e = sub(&d.expr, &env);
        env.insert(d.name.clone(), e);
    }
    env.remove(&s.defs.last().expect("a definition").name)
        .expect("the output")
}

/// The engine's partial derivative of the last definition in `by[0]`, then `by[1]`, ...
fn engine(s: &System, by: &[&str], x: f64, y: f64) -> f64 {
    engine_and_scale(s, by, x, y).0
}

/// [`engine`], and the sum of the magnitudes of the values it was computed from (its
/// rounding grows with them: `(d1*d2/d1)^d2` differentiates to exactly 0 symbolically, but to
/// the rounding of values near 1e12 in the engine).
fn engine_and_scale(s: &System, by: &[&str], x: f64, y: f64) -> (f64, f64) {
    let tape = Tape::<f64>::new();
    let inputs: HashMap<String, Var<'_, f64>> = [
        ("x".to_string(), tape.scalar_var(x)),
        ("y".to_string(), tape.scalar_var(y)),
    ]
    .into();
    let env = s.build(&tape, &inputs).expect("a valid system");
    let mut d = env[&s.defs.last().expect("a definition").name];
    for w in by {
        d = grad(d, &[inputs[*w]]).expect("one tape")[0];
    }
    let (mut seen, mut stack, mut scale) = (std::collections::HashSet::new(), vec![d], 0.0f64);
    while let Some(v) = stack.pop() {
        if seen.insert(v.index()) {
            if v.item().is_finite() {
                scale += v.item().abs();
            }
            stack.extend(v.inputs());
        }
    }
    (d.item(), scale)
}

/// The rounding the engine's derivative may carry at `check`'s points: reverse mode adds
/// cotangents that cancel (`(x - x)*x` times a large value), so its error is relative to the
/// largest value it computed from, not to the result.
fn noise(s: &System, by: &[&str]) -> f64 {
    let value = |p: &[(String, f64)], n: &str| p.iter().find(|(m, _)| m == n).map_or(0.0, |v| v.1);
    verify::check::default_points(&s.inputs())
        .iter()
        .map(|p| 1e-10 * engine_and_scale(s, by, value(p, "x"), value(p, "y")).1)
        .fold(0.0, f64::max)
}

/// Whether the output's value is finite at `point` (where it is not, `check` still compares
/// the derivative, and `derive` counts the point as undefined).
fn defined(s: &System, point: &[(String, f64)]) -> bool {
    let tape = Tape::<f64>::new();
    let inputs: HashMap<String, Var<'_, f64>> =
        point.iter().map(|(n, v)| (n.clone(), tape.scalar(*v))).collect();
    let env = s.build(&tape, &inputs).expect("a valid system");
    env[&s.defs.last().expect("a definition").name].item().is_finite()
}

/// Whether a power with a non-constant exponent in `e` has a base of at most 0 or an exponent
/// of 0 at (x, y): there the engine follows PyTorch's convention for the derivative of `a^b`
/// (and the symbolic form, which may merge powers, need not).
fn pow_convention(e: &Expr, x: f64, y: f64) -> bool {
    let value = |e: &Expr| {
        let tape = Tape::<f64>::new();
        let (vx, vy) = (tape.scalar(x), tape.scalar(y));
        verify::eval(e, &tape, &|n| match n {
            "x" => Some(vx),
            "y" => Some(vy),
            _ => None,
        })
        .map_or(f64::NAN, |v| v.item())
    };
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Bin(BinOp::Pow, a, b) if !matches!(**b, Expr::Num(_)) => {
                if value(a) <= 0.0 || value(b) == 0.0 {
                    return true;
                }
                stack.extend([&**a, &**b]);
            }
            Expr::Bin(_, a, b) => stack.extend([&**a, &**b]),
            Expr::Neg(a) => stack.push(a),
            Expr::Call(_, args) => stack.extend(args),
            Expr::Num(_) | Expr::Name(..) => {}
        }
    }
    false
}

fn options(s: &System, wrt: &[&str], order: usize, at: Vec<Vec<(String, f64)>>) -> CheckOptions {
    CheckOptions {
        of: Some(s.defs.last().expect("a definition").name.clone()),
        wrt: wrt.iter().map(|w| w.to_string()).collect(),
        order,
        at,
        ..Default::default()
    }
}

#[test]
fn symbolic_derivatives_equal_the_engines_at_random_points() {
    let points = prop::collection::vec((-3.0f64..3.0, -3.0f64..3.0), 4);
    let counts = std::cell::Cell::new((0usize, 0usize));
    runner(256)
        .run(&(system(false, &["x", "y"]), points), |(s, points)| {
            let source = inlined(&s);
            let f = Formula::from_expr(&source);
            let Ok(dx) = f.derivative("x") else { return Ok(()) };
            let (Ok(dxx), Ok(dxy)) = (dx.derivative("x"), dx.derivative("y")) else {
                return Ok(());
            };
            let (mut c, mut k) = counts.get();
            for &(x, y) in &points {
                let at = [("x".to_string(), x), ("y".to_string(), y)];
                for (form, by) in [
                    (&dx, &["x"][..]),
                    (&dxx, &["x", "x"][..]),
                    (&dxy, &["x", "y"][..]),
                ] {
                    let (e, scale) = engine_and_scale(&s, by, x, y);
                    // Moderate values only: `sin(x^18)` at x = 2.4 has an argument near 6e6,
                    // whose rounding alone moves the result by 1e-9 of itself. And points
                    // where the function is defined (`(y - y)*ln(x)` is 0 symbolically, NaN
                    // in the engine for x < 0).
                    if !e.is_finite() || scale > 1e7 || !defined(&s, &at) || pow_convention(&source, x, y) {
                        k += 1;
                        continue;
                    }
                    // The engine's convention for a^b at a zero base or exponent.
                    let Some((v, size)) = form.eval_checked(&at) else {
                        k += 1;
                        continue;
                    };
                    c += 1;
                    prop_assert!(
                        v == e || (v - e).abs() <= 1e-9 * (e.abs().max(1.0) + size) + 1e-10 * scale,
                        "{s:?}\nd/d{by:?} at x = {x}, y = {y}: symbolic {form} = {v}, engine {e}"
                    );
                }
            }
            counts.set((c, k));
            Ok(())
        })
        .unwrap();
    let (compared, skipped) = counts.get();
    assert!(
        compared > 3 * skipped,
        "most points compare: {compared} compared, {skipped} skipped"
    );
}

#[test]
fn derive_confirms_its_results_and_they_read_back_as_agreeing_claims() {
    let points = prop::collection::vec((-3.0f64..3.0, -3.0f64..3.0), 2);
    runner(128)
        .run(
            &(system(false, &["x", "y"]), points, 1usize..=2),
            |(s, points, order)| {
                let inputs = s.inputs();
                if inputs.is_empty() {
                    return Ok(());
                }
                let wrt: Vec<&str> = inputs.iter().map(String::as_str).collect();
                let at = points
                    .iter()
                    .map(|&(x, y)| {
                        inputs
                            .iter()
                            .map(|n| (n.clone(), if n == "x" { x } else { y }))
                            .collect()
                    })
                    .collect();
                let opts = options(&s, &wrt, order, at);
                let ds = match derive(&s, &opts) {
                    Ok(ds) => ds,
                    Err(DeriveError::TooLarge(_) | DeriveError::NoPoint { .. }) => return Ok(()),
                    Err(e) => return Err(TestCaseError::fail(format!("{s:?}: {e}"))),
                };
                prop_assert_eq!(
                    ds.len(),
                    if order == 1 || wrt.len() == 1 {
                        wrt.len()
                    } else {
                        3
                    }
                );
                for d in &ds {
                    for (p, v) in &d.values {
                        let by: Vec<&str> = d.wrt.iter().map(String::as_str).collect();
                        let value = |n: &str| p.iter().find(|(m, _)| m == n).map_or(0.0, |v| v.1);
                        let e = engine(&s, &by, value("x"), value("y"));
                        // NaN where the function or its derivative is undefined.
                        let undefined = !e.is_finite() || !defined(&s, p);
                        prop_assert!(v.to_bits() == e.to_bits() || (v.is_nan() && undefined));
                    }
                    // Read back as claims (`sign` and `step` are not in the language).
                    // (Where the engine follows its a^b convention, check has no such exception.)
                    if d.wrt.iter().any(|w| w != &d.wrt[0]) || d.conventions > 0 {
                        continue;
                    }
                    for text in [&d.expression, &d.in_names] {
                        if text.contains("sign(") || text.contains("step(") {
                            continue;
                        }
                        let by: Vec<&str> = d.wrt.iter().map(String::as_str).collect();
                        let noise = noise(&s, &by);
                        if noise > 1e-4 {
                            continue; // values too large to compare to 1e-9 (as above)
                        }
                        let atol = 1e-9 + noise;
                        let one = CheckOptions {
                            atol,
                            ..options(&s, &[&d.wrt[0]], order, Vec::new())
                        };
                        let r = &check(&s, std::slice::from_ref(text), &one).expect("a valid claim")[0];
                        if let Some(c) = &r.counterexample {
                            prop_assert!(
                                !defined(&s, &c.point),
                                "{s:?}: {} = {text}: {}",
                                d.derivative,
                                r.to_text()
                            );
                        }
                    }
                }
                Ok(())
            },
        )
        .unwrap();
}

/// Polynomials as coefficients, lowest degree first.
fn poly(e: &Expr) -> Vec<f64> {
    let add = |a: Vec<f64>, b: Vec<f64>, sign: f64| {
        let mut out = vec![0.0; a.len().max(b.len())];
        for (i, c) in a.iter().enumerate() {
            out[i] += c;
        }
        for (i, c) in b.iter().enumerate() {
            out[i] += sign * c;
        }
        out
    };
    let mul = |a: &[f64], b: &[f64]| {
        let mut out = vec![0.0; a.len() + b.len() - 1];
        for (i, x) in a.iter().enumerate() {
            for (j, y) in b.iter().enumerate() {
                out[i + j] += x * y;
            }
        }
        out
    };
    match e {
        Expr::Num(v) => vec![*v],
        Expr::Name(n, _) if n == "x" => vec![0.0, 1.0],
        Expr::Neg(a) => poly(a).iter().map(|c| -c).collect(),
        Expr::Bin(BinOp::Add, a, b) => add(poly(a), poly(b), 1.0),
        Expr::Bin(BinOp::Sub, a, b) => add(poly(a), poly(b), -1.0),
        Expr::Bin(BinOp::Mul, a, b) => mul(&poly(a), &poly(b)),
        // A coefficient 1/n prints below the line: `x/2`.
        Expr::Bin(BinOp::Div, a, b) => match **b {
            Expr::Num(n) => poly(a).iter().map(|c| c / n).collect(),
            _ => panic!("a division by {b}"),
        },
        Expr::Bin(BinOp::Pow, a, b) => {
            let Expr::Num(k) = **b else {
                panic!("a constant exponent")
            };
            let base = poly(a);
            (0..k as u32).fold(vec![1.0], |p, _| mul(&p, &base))
        }
        other => panic!("not a polynomial: {other}"),
    }
}

fn trimmed(mut c: Vec<f64>) -> Vec<f64> {
    while c.len() > 1 && c.last() == Some(&0.0) {
        c.pop();
    }
    c
}

#[test]
fn a_polynomial_systems_derivative_prints_expanded_with_exact_coefficients() {
    let seen_cell = std::cell::Cell::new(0usize);
    runner(256)
        .run(&system(true, &["x"]), |s| {
            if s.inputs().is_empty() {
                return Ok(());
            }
            let value = trimmed(poly(&inlined(&s)));
            // Exact in f64 (integers below 2^40), degree at most 8 (what check recovers).
            if value.len() > 9 || value.iter().any(|c| c.abs() > 2f64.powi(40)) {
                return Ok(());
            }
            let expected: Vec<f64> = trimmed(
                value
                    .iter()
                    .enumerate()
                    .skip(1)
                    .map(|(k, c)| k as f64 * c)
                    .collect(),
            );
            let expected = if expected.is_empty() { vec![0.0] } else { expected };
            let d = &derive(&s, &options(&s, &["x"], 1, Vec::new()))
                .map_err(|e| TestCaseError::fail(e.to_string()))?[0];
            // The printed result, read back, is the same polynomial: coefficient by coefficient.
            let printed = parse(&d.expression).map_err(|e| TestCaseError::fail(e.render(&d.expression)))?;
            prop_assert_eq!(
                trimmed(poly(&printed)),
                expected.clone(),
                "{:?}: printed {}",
                s,
                d.expression
            );
            // Expanded: one term per degree, highest first.
            let terms = d.expression.replace(" - ", " + -");
            let degrees: Vec<usize> = terms
                .split(" + ")
                .map(|t| {
                    t.split_once("x^").map_or(usize::from(t.contains('x')), |(_, k)| {
                        k.chars()
                            .take_while(char::is_ascii_digit)
                            .collect::<String>()
                            .parse()
                            .expect("a degree")
                    })
                })
                .collect();
            prop_assert!(
                degrees.windows(2).all(|w| w[0] > w[1]),
                "not expanded: {}",
                d.expression
            );
            // And check's own recovery (poly.rs) finds the same coefficients in the engine.
            let one = CheckOptions {
                atol: 1e-9 + noise(&s, &["x"]),
                ..options(&s, &["x"], 1, Vec::new())
            };
            let r = &check(&s, std::slice::from_ref(&d.expression), &one).expect("valid")[0];
            prop_assert!(r.agrees(), "{}", r.to_text());
            if let Some(Polynomial::Exact { coefficients, .. }) = &r.polynomial {
                prop_assert_eq!(coefficients, &expected);
            }
            seen_cell.set(seen_cell.get() + 1);
            Ok(())
        })
        .unwrap();
    let seen = seen_cell.get();
    assert!(
        seen > 100,
        "most random polynomial systems are small enough: {seen}"
    );
}

#[test]
fn derivative_at_agrees_with_the_order_two_formula() {
    // The same comparison through the public derivative_at, for a fixed system.
    let s = System::parse("d1 = x*y + sin(x); d2 = d1^2 - x").unwrap();
    let d2 = Formula::from_expr(&inlined(&s))
        .derivative("x")
        .unwrap()
        .derivative("x")
        .unwrap();
    for x in [-1.5, 0.25, 2.0] {
        let p = vec![("x".to_string(), x), ("y".to_string(), 0.5)];
        let e = derivative_at(&s, "d2", "x", 2, &p).unwrap();
        assert!((d2.eval(&p) - e).abs() <= 1e-12 * e.abs().max(1.0));
    }
}
