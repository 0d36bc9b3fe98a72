//! Property tests of the expression language: printing and parsing again is the identity,
//! the engine's derivative (`check::derivative_at`) equals finite differences of the
//! expression's value, and no input (random bytes, random strings over the language, deep
//! nesting) makes the parsers panic or overflow the stack.
//!
//! Case counts are modest by default; `PROPTEST_CASES` overrides them all.

mod derivatives;
mod printing;
mod robustness;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use verify::expr::{BinOp, Expr, Func, Span};

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
