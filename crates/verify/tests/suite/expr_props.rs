//! Property tests of the expression language: printing and parsing again is the identity,
//! the engine's derivative (`check::derivative_at`) equals finite differences of the
//! expression's value, and no input (random bytes, random strings over the language, deep
//! nesting) makes the parsers panic or overflow the stack.
//!
//! Case counts are modest by default; `PROPTEST_CASES` overrides them all.

use autograd::{Tape, Var};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::cell::Cell;
use std::collections::HashMap;
use verify::check::{check, derivative_at, CheckOptions};
use verify::expr::{self, BinOp, Expr, Func, Span, MAX_DEPTH, MAX_HEIGHT};
use verify::{Definition, System};

/// `PROPTEST_CASES` if set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn runner(default_cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases: cases(default_cases),
        failure_persistence: None,
        ..Config::default()
    })
}

/// The one-argument functions (leaky_relu's slope is generated apart).
fn unary() -> Vec<Func> {
    Func::ALL.into_iter().filter(|f| f.arity() == 1).collect()
}

fn name(n: &str) -> Expr {
    Expr::Name(n.to_string(), Span { start: 0, end: 0 })
}
fn neg(a: Expr) -> Expr {
    Expr::Neg(Box::new(a))
}
fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Bin(op, Box::new(a), Box::new(b))
}

/// Non-negative finite numbers (the parser reads `-2` as `Neg(2)`): integers, binary
/// fractions, scientific notation over a wide range of exponents, and arbitrary doubles.
fn any_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..100).prop_map(f64::from),
        (0u32..10_000).prop_map(|k| f64::from(k) / 64.0),
        (1u32..1000, -60i32..60).prop_map(|(m, e)| format!("{m}e{e}").parse::<f64>().unwrap()),
        (1u32..10, 290i32..308).prop_map(|(m, e)| format!("{m}e{e}").parse::<f64>().unwrap()),
        (1u32..10, -323i32..-300).prop_map(|(m, e)| format!("{m}e{e}").parse::<f64>().unwrap()),
        any::<f64>()
            .prop_filter("finite", |v| v.is_finite())
            .prop_map(f64::abs),
    ]
}

const NAMES: [&str; 5] = ["x", "y", "u_1", "Long_name2", "é"];

/// Any tree the parser can produce: every operator, every function, any subtree as an
/// exponent or as leaky_relu's slope.
fn any_expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        any_number().prop_map(Expr::Num),
        prop::sample::select(NAMES.to_vec()).prop_map(name)
    ];
    leaf.prop_recursive(6, 48, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(neg),
            (
                prop::sample::select(vec![BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div, BinOp::Pow]),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(o, a, b)| bin(o, a, b)),
            (prop::sample::select(unary()), inner.clone()).prop_map(|(f, a)| Expr::Call(f, vec![a])),
            (inner.clone(), inner).prop_map(|(a, b)| Expr::Call(Func::LeakyRelu, vec![a, b])),
        ]
    })
}

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

/// The expression's value by the engine (`verify::eval` on a tape).
fn engine_value(e: &Expr, env: &[(&str, f64)]) -> f64 {
    let tape = Tape::<f64>::new();
    let vars: HashMap<&str, Var<'_, f64>> = env.iter().map(|&(n, v)| (n, tape.scalar(v))).collect();
    verify::eval(e, &tape, &|n| vars.get(n).copied())
        .expect("every name has a value")
        .item()
}

fn same_value(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The expression's value in plain f64 arithmetic, independent of the engine, recording
/// every quantity whose sign decides a kink or a singularity (arguments of abs, relu,
/// leaky_relu, ln, sqrt; denominators; bases of negative powers).
fn plain_value(e: &Expr, x: f64, y: f64, guards: &mut Vec<f64>) -> f64 {
    match e {
        Expr::Num(v) => *v,
        Expr::Name(n, _) => match n.as_str() {
            "x" => x,
            "y" => y,
            other => panic!("unexpected name {other}"),
        },
        Expr::Neg(a) => -plain_value(a, x, y, guards),
        Expr::Bin(op, a, b) => {
            let va = plain_value(a, x, y, guards);
            match (op, &**b) {
                (BinOp::Pow, Expr::Num(c)) => va.powf(*c),
                (BinOp::Pow, Expr::Neg(c)) if matches!(**c, Expr::Num(_)) => {
                    let Expr::Num(c) = **c else { unreachable!() };
                    guards.push(va);
                    va.powf(-c)
                }
                _ => {
                    let vb = plain_value(b, x, y, guards);
                    match op {
                        BinOp::Add => va + vb,
                        BinOp::Sub => va - vb,
                        BinOp::Mul => va * vb,
                        BinOp::Div => {
                            guards.push(vb);
                            va / vb
                        }
                        BinOp::Pow => unreachable!("smooth trees have constant integer exponents"),
                    }
                }
            }
        }
        Expr::Call(f, args) => {
            let v = plain_value(&args[0], x, y, guards);
            match f {
                Func::Exp => v.exp(),
                Func::Ln => {
                    guards.push(v);
                    v.ln()
                }
                Func::Sqrt => {
                    guards.push(v);
                    v.sqrt()
                }
                Func::Abs => {
                    guards.push(v);
                    v.abs()
                }
                Func::Sin => v.sin(),
                Func::Cos => v.cos(),
                Func::Tanh => v.tanh(),
                Func::Sigmoid => 1.0 / (1.0 + (-v).exp()),
                Func::Relu => {
                    guards.push(v);
                    v.max(0.0)
                }
                Func::Softplus => v.max(0.0) + (-v.abs()).exp().ln_1p(),
                Func::LeakyRelu => {
                    let slope = plain_value(&args[1], x, y, guards);
                    guards.push(v);
                    // An undefined slope (ln of a negative number) makes the value undefined.
                    if v > 0.0 {
                        v + 0.0 * slope
                    } else {
                        slope * v
                    }
                }
            }
        }
    }
}

/// Any tree's value in plain f64 arithmetic, over the names `x` and `y`.
fn plain_any(e: &Expr, x: f64, y: f64) -> f64 {
    let f = |a: &Expr| plain_any(a, x, y);
    match e {
        Expr::Num(v) => *v,
        Expr::Name(n, _) => match n.as_str() {
            "x" => x,
            "y" => y,
            other => panic!("unexpected name {other}"),
        },
        Expr::Neg(a) => -f(a),
        Expr::Bin(op, a, b) => {
            let (a, b) = (f(a), f(b));
            match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div => a / b,
                BinOp::Pow => a.powf(b),
            }
        }
        Expr::Call(Func::LeakyRelu, args) => {
            let (v, slope) = (f(&args[0]), f(&args[1]));
            if v > 0.0 {
                v
            } else {
                slope * v
            }
        }
        // The one-argument functions, as the smooth evaluator computes them.
        Expr::Call(func, args) => plain_value(
            &Expr::Call(*func, vec![Expr::Num(f(&args[0]))]),
            x,
            y,
            &mut Vec::new(),
        ),
    }
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
fn printing_and_parsing_again_gives_the_same_tree_and_value() {
    let env: Vec<(&str, f64)> = vec![
        ("x", 0.7),
        ("y", -1.3),
        ("u_1", 2.0),
        ("Long_name2", 0.25),
        ("é", -0.5),
    ];
    runner(256)
        .run(&any_expr(), |e| {
            let printed = e.to_string();
            let back = expr::parse(&printed).map_err(|err| TestCaseError::fail(err.render(&printed)))?;
            prop_assert_eq!(&back, &e, "printed as {}", printed);
            prop_assert_eq!(back.to_string(), printed.clone());
            let (a, b) = (engine_value(&e, &env), engine_value(&back, &env));
            prop_assert!(same_value(a, b), "{printed}: {a} before, {b} after");
            Ok(())
        })
        .unwrap();
}

#[test]
fn printing_trees_with_negative_numbers_keeps_their_value() {
    // The parser never makes a negative number (`-2` is `Neg(2)`), but a tree built in code
    // may hold one; it must print as something that means the same.
    // (Not -0: `leaky_relu(-0, --0)` and `leaky_relu(-0, 0)` differ in the sign of a zero.)
    let num = prop_oneof![
        any_number(),
        any_number().prop_filter("not 0", |v| *v != 0.0).prop_map(|v| -v)
    ];
    let leaf = prop_oneof![
        num.prop_map(Expr::Num),
        prop::sample::select(vec!["x", "y"]).prop_map(name)
    ];
    let tree = leaf.prop_recursive(5, 32, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(neg),
            (
                prop::sample::select(vec![BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div, BinOp::Pow]),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(o, a, b)| bin(o, a, b)),
            (prop::sample::select(unary()), inner.clone()).prop_map(|(f, a)| Expr::Call(f, vec![a])),
            (inner.clone(), inner).prop_map(|(a, b)| Expr::Call(Func::LeakyRelu, vec![a, b])),
        ]
    });
    runner(256)
        .run(&tree, |e| {
            let printed = e.to_string();
            let back = expr::parse(&printed).map_err(|err| TestCaseError::fail(err.render(&printed)))?;
            // The same value in plain arithmetic. (The engine evaluates leaky_relu with a
            // constant slope `-2` and a computed one `-(-2)` differently, down to the sign of
            // a zero; that is not the printer's business.)
            let (a, b) = (plain_any(&e, 1.7, -0.4), plain_any(&back, 1.7, -0.4));
            prop_assert!(
                a == b || (a.is_nan() && b.is_nan()),
                "{printed}: {a} before, {b} after"
            );
            // And from then on printing is stable.
            prop_assert_eq!(expr::parse(&back.to_string()).unwrap(), back);
            Ok(())
        })
        .unwrap();
}

#[test]
fn non_finite_numbers_print_as_expressions_with_the_same_value() {
    for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let printed = Expr::Num(v).to_string();
        let back = expr::parse(&printed).unwrap();
        assert!(same_value(engine_value(&back, &[]), v), "{printed}");
    }
}

#[test]
fn a_negative_base_keeps_its_parentheses_even_when_it_is_minus_zero() {
    // (-0)^-2 = +inf, but -0^-2 = -(0^-2) = -inf.
    for base in [-0.0, -2.0, f64::NEG_INFINITY] {
        let e = bin(BinOp::Pow, Expr::Num(base), Expr::Num(-2.0));
        let printed = e.to_string();
        let back = expr::parse(&printed).unwrap();
        assert!(
            same_value(engine_value(&back, &[]), engine_value(&e, &[])),
            "{printed}"
        );
        assert!(same_value(engine_value(&e, &[]), base.powf(-2.0)), "{printed}");
    }
}

#[test]
fn scientific_notation_parses_to_the_number_it_names() {
    for (src, v) in [
        ("1e3", 1e3),
        ("2.5E-3", 2.5e-3),
        ("1e+2", 100.0),
        (".5e1", 5.0),
        ("7E0", 7.0),
        ("1e-320", 1e-320),
    ] {
        assert_eq!(expr::parse(src).unwrap(), Expr::Num(v), "{src}");
    }
    // `2e` is the number 2 followed by the name e: not an expression.
    assert!(expr::parse("2e").is_err());
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

/// Runs the parsers and everything downstream of a successful parse on `src`; none may panic.
fn exercise(src: &str) -> Result<(), TestCaseError> {
    let chars = src.chars().count();
    match expr::parse(src) {
        Ok(e) => {
            let printed = e.to_string();
            prop_assert!(expr::parse(&printed).is_ok(), "{printed}");
        }
        Err(err) => {
            prop_assert!(
                err.column <= chars,
                "column {} past the end of {src:?}",
                err.column
            );
            let rendered = err.render(src);
            prop_assert!(rendered.ends_with('^'));
            prop_assert!(!err.message.is_empty());
        }
    }
    match System::parse(src) {
        Ok(system) => {
            let inputs = system.inputs();
            let _ = system.output();
            if system.order().is_ok() && inputs.len() <= 2 {
                let tape = Tape::<f64>::new();
                let vars: HashMap<String, Var<'_, f64>> =
                    inputs.iter().map(|n| (n.clone(), tape.scalar_var(0.5))).collect();
                let _ = system.build(&tape, &vars);
                if let Some(first) = inputs.first() {
                    let opts = CheckOptions {
                        wrt: vec![first.clone()],
                        ..Default::default()
                    };
                    let _ = check(&system, &["0".to_string()], &opts);
                }
            }
        }
        Err(err) => {
            prop_assert!(
                err.column <= chars,
                "column {} past the end of {src:?}",
                err.column
            );
            let _ = err.render(src);
        }
    }
    Ok(())
}

#[test]
fn random_bytes_never_panic_the_parsers() {
    runner(512)
        .run(&proptest::collection::vec(any::<u8>(), 0..120), |bytes| {
            exercise(&String::from_utf8_lossy(&bytes))
        })
        .unwrap();
}

#[test]
fn random_strings_over_the_language_never_panic_the_parsers() {
    let long_number = "9".repeat(400);
    let tokens: Vec<String> = [
        "x",
        "y",
        "u",
        "z",
        "_a",
        "é",
        "exp",
        "ln",
        "log",
        "sqrt",
        "abs",
        "sin",
        "cos",
        "tanh",
        "sigmoid",
        "relu",
        "leaky_relu",
        "softplus",
        "0",
        "1",
        "2.5",
        ".5",
        "1e3",
        "1E-2",
        "1e",
        "1e999",
        "1.2.3",
        &long_number,
        "(",
        ")",
        "(",
        ")",
        ",",
        "+",
        "-",
        "*",
        "/",
        "^",
        "=",
        "=",
        ";",
        ";",
        "\n",
        " ",
        " ",
        "\t",
        "#",
        "∑",
        "\0",
        ".",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let strategy = proptest::collection::vec(prop::sample::select(tokens), 0..40).prop_map(|t| t.concat());
    runner(512).run(&strategy, |src| exercise(&src)).unwrap();
}

#[test]
fn random_systems_of_printed_expressions_never_panic() {
    // Definitions of random expressions under random names: valid systems, cycles, undefined
    // and duplicate names, self-references.
    let def = (prop::sample::select(vec!["a", "b", "c", "x", "f"]), any_expr()).prop_map(|(n, e)| {
        format!(
            "{n} = {}",
            e.to_string().replace("u_1", "a").replace("Long_name2", "b")
        )
    });
    let strategy = (proptest::collection::vec(def, 1..5), prop::bool::ANY)
        .prop_map(|(defs, newline)| defs.join(if newline { "\n" } else { "; " }));
    runner(128).run(&strategy, |src| exercise(&src)).unwrap();
}

/// Runs `f` on a thread with a small stack; the test fails (the process aborts) if it
/// overflows.
fn on_small_stack<R: Send + 'static>(stack: usize, f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic")
}

/// Enough stack for the parser at its maximum depth in every build profile, and far less
/// than unbounded recursion over the inputs below would need (they are 100 times deeper).
const SMALL_STACK: usize = 1 << 20;

#[test]
fn nesting_beyond_max_depth_is_an_error_not_a_stack_overflow() {
    let n = 100 * MAX_DEPTH;
    let inputs: Vec<String> = vec![
        format!("{}x{}", "(".repeat(n), ")".repeat(n)),
        format!("{}x", "(".repeat(n)),
        format!("{}x", "-".repeat(n)),
        format!("{}x", "+".repeat(n)),
        format!("{}x{}", "sin(".repeat(n), ")".repeat(n)),
        format!("{}x, 1{}", "leaky_relu(".repeat(n), ")".repeat(n)),
        format!("x{}", "^x".repeat(n)),
        format!("x{}", "^-x".repeat(n)),
        format!("{}x{}", "(x+".repeat(n), ")".repeat(n)),
        format!("{}x{}", "2*(".repeat(n), ")".repeat(n)),
    ];
    for src in inputs {
        let head: String = src.chars().take(12).collect();
        let (expr_err, system_err) = on_small_stack(SMALL_STACK, move || {
            let e = expr::parse(&src).map(|_| ()).map_err(|e| e.message);
            let s = System::parse(&format!("z = {src}"))
                .map(|_| ())
                .map_err(|e| e.message);
            (e, s)
        });
        for err in [expr_err, system_err] {
            let message = err.expect_err(&format!("{head}... nested {n} deep parses"));
            assert!(message.contains("nested more than"), "{head}...: {message}");
        }
    }
}

#[test]
fn nesting_up_to_max_depth_parses() {
    let n = MAX_DEPTH - 1;
    for src in [
        format!("{}x{}", "(".repeat(n), ")".repeat(n)),
        format!("{}x{}", "sin(".repeat(n), ")".repeat(n)),
        format!("{}x", "-".repeat(n)),
    ] {
        let ok = on_small_stack(SMALL_STACK, move || expr::parse(&src).is_ok());
        assert!(ok);
    }
}

#[test]
fn long_chains_are_an_error_not_a_stack_overflow() {
    // `x + x + ... + x` builds a tree as deep as the chain is long without the parser
    // recursing; printing, evaluating and dropping that tree recurse once per level.
    for op in ["+", "-", "*", "/"] {
        let src = format!("x{}", format!("{op}x").repeat(100_000));
        let (expr_err, system_err) = on_small_stack(SMALL_STACK, move || {
            let e = expr::parse(&src)
                .map(|e| e.to_string().len())
                .map_err(|e| e.message);
            let s = System::parse(&format!("z = {src}"))
                .map(|s| derivative_at(&s, "z", "x", 1, &[("x".into(), 1.0)]).map_err(|e| e.message));
            (e, s.map(|_| ()).map_err(|e| e.message))
        });
        for err in [expr_err.map(|_| ()), system_err] {
            let message = err.expect_err(&format!("a chain of 100000 '{op}' parses"));
            assert!(
                message.contains(&format!("more than {MAX_HEIGHT} operators in a row")),
                "{message}"
            );
        }
    }
}

#[test]
fn chains_up_to_max_height_work_on_a_main_thread_stack() {
    // As long as a layered network's widest sum (`--layers 4096,1`) and more; 8 MiB is the
    // main thread's stack, where the command line runs.
    let n = MAX_HEIGHT - 1;
    let (value, derivative, printed) = on_small_stack(8 << 20, move || {
        let s = System::parse(&format!("z = x{}", "+x".repeat(n))).unwrap();
        let point = [("x".to_string(), 1.5)];
        let value = derivative_at(&s, "z", "x", 0, &point).unwrap();
        let derivative = derivative_at(&s, "z", "x", 1, &point).unwrap();
        let printed = s.defs[0].expr.to_string();
        (value, derivative, printed)
    });
    assert_eq!((value, derivative), ((n + 1) as f64 * 1.5, (n + 1) as f64));
    assert_eq!(printed.matches('+').count(), n);
    assert!(System::parse(&format!("z = x{}", "*x".repeat(MAX_HEIGHT + 1))).is_err());
}

#[test]
fn derivative_at_without_a_value_for_the_variable_is_an_error() {
    let s = System::parse("z = x^2").unwrap();
    assert!(derivative_at(&s, "z", "y", 1, &[("x".into(), 1.0)]).is_err());
    assert!(derivative_at(&s, "w", "x", 1, &[("x".into(), 1.0)]).is_err());
    assert!(derivative_at(&s, "z", "x", 1, &[]).is_err());
}
