//! Printing and parsing again is the identity: the same tree and the same value, for any tree and any number.

use super::{any_expr, any_number, bin, name, neg, plain_value, runner, unary};
use autograd::{Tape, Var};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::HashMap;
use verify::expr::{self, BinOp, Expr, Func};

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
