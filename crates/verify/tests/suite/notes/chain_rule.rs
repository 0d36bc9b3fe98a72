//! The chain-rule section: every verdict, counterexample and exact polynomial against derivatives by hand.

use super::{close, report};
use std::collections::HashMap;
use verify::check::format_polynomial;
use verify::expr::{BinOp, Expr, Func};
use verify::verdict::Verdict;

/// Every defined value of the note's chain-rule systems at the given inputs, by hand.
fn chain_values(src: &str, env: &HashMap<String, f64>) -> HashMap<String, f64> {
    let mut v = env.clone();
    let get = |v: &HashMap<String, f64>, n: &str| v[n];
    let mut set = |n: &str, x: f64| {
        v.insert(n.to_string(), x);
    };
    match src {
        "z = u^2" => set("z", get(env, "u").powi(2)),
        "u = 2 - y" => set("u", 2.0 - get(env, "y")),
        "y = 4*x" => set("y", 4.0 * get(env, "x")),
        "v = 4 + y" => set("v", 4.0 + get(env, "y")),
        "z = u^2 + v^3" => set("z", get(env, "u").powi(2) + get(env, "v").powi(3)),
        "z = u^2; u = 2 - y; y = 4*x" => {
            let y = 4.0 * get(env, "x");
            let u = 2.0 - y;
            set("y", y);
            set("u", u);
            set("z", u * u);
        }
        "z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x" => {
            let y = 4.0 * get(env, "x");
            let (u, v2) = (2.0 - y, 4.0 + y);
            set("y", y);
            set("u", u);
            set("v", v2);
            set("z", u * u + v2 * v2 * v2);
        }
        other => panic!("a chain-rule system this test does not know: {other}"),
    }
    v
}

/// The system's inputs, the derivative of its output with respect to `wrt` derived by hand,
/// and that derivative's coefficients when it is a polynomial in the one input.
fn chain_derivative(
    src: &str,
    wrt: &str,
    env: &HashMap<String, f64>,
) -> (Vec<&'static str>, f64, Option<Vec<f64>>) {
    let val = |n: &str| env[n];
    match (src, wrt) {
        ("z = u^2", "u") => (vec!["u"], 2.0 * val("u"), Some(vec![0.0, 2.0])),
        ("u = 2 - y", "y") => (vec!["y"], -1.0, Some(vec![-1.0])),
        ("y = 4*x", "x") => (vec!["x"], 4.0, Some(vec![4.0])),
        ("v = 4 + y", "y") => (vec!["y"], 1.0, Some(vec![1.0])),
        ("z = u^2 + v^3", "v") => (vec!["u", "v"], 3.0 * val("v").powi(2), None),
        ("z = u^2 + v^3", "u") => (vec!["u", "v"], 2.0 * val("u"), None),
        ("z = u^2; u = 2 - y; y = 4*x", "x") => {
            // z = (2 - 4x)^2: dz/dx = 2(2 - 4x)(-4) = 32x - 16.
            let x = val("x");
            (vec!["x"], 2.0 * (2.0 - 4.0 * x) * -4.0, Some(vec![-16.0, 32.0]))
        }
        ("z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x", "x") => {
            // z = (2 - 4x)^2 + (4 + 4x)^3: dz/dx = -8(2 - 4x) + 12(4 + 4x)^2
            //   = -16 + 32x + 192 + 384x + 192x^2.
            let x = val("x");
            (
                vec!["x"],
                -8.0 * (2.0 - 4.0 * x) + 12.0 * (4.0 + 4.0 * x).powi(2),
                Some(vec![176.0, 416.0, 192.0]),
            )
        }
        other => panic!("a derivative this test does not know: {other:?}"),
    }
}

/// A claim's value, evaluated in plain f64 (the note's claims use numbers, names, + - * ^).
fn plain(e: &Expr, env: &HashMap<String, f64>) -> f64 {
    match e {
        Expr::Num(v) => *v,
        Expr::Name(n, _) => *env.get(n).unwrap_or_else(|| panic!("{n} has no value")),
        Expr::Neg(a) => -plain(a, env),
        Expr::Bin(op, a, b) => {
            let (a, b) = (plain(a, env), plain(b, env));
            match op {
                BinOp::Add => a + b,
                BinOp::Sub => a - b,
                BinOp::Mul => a * b,
                BinOp::Div => a / b,
                BinOp::Pow => a.powf(b),
            }
        }
        Expr::Call(Func::Exp, a) => plain(&a[0], env).exp(),
        Expr::Call(f, _) => panic!("{f:?} in a chain-rule claim"),
    }
}

/// The text inside the last balanced parentheses of `s`, which must end with `)`.
fn last_parenthesised(s: &str) -> &str {
    assert!(s.ends_with(')'), "{s}");
    let mut depth = 0;
    for (i, c) in s.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth -= 1;
                if depth == 0 {
                    return &s[i + 1..s.len() - 1];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced {s}")
}

fn number_after(s: &str, key: &str) -> f64 {
    let rest = &s[s.find(key).unwrap_or_else(|| panic!("no {key:?} in {s}")) + key.len()..];
    let end = rest.find([',', ';', ':']).unwrap_or(rest.len());
    rest[..end]
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{key:?} in {s}"))
}

#[test]
fn chain_rule_verdicts_agree_with_derivatives_by_hand() {
    let r = report();
    let section = r
        .sections
        .iter()
        .find(|s| s.title.to_lowercase().contains("chain rule"))
        .unwrap();
    assert!(section.items.len() >= 4);
    let grid = [-3.0, -2.37, -1.0, -0.5, 0.0, 0.25, 1.0, 2.71];
    for it in &section.items {
        // The note's statement `dz/dx = claim` and the system `(...)` at the end of the detail.
        let (derivative, claim_src) = it.note.split_once(" = ").unwrap();
        let (of, wrt) = derivative.trim_start_matches('d').split_once("/d").unwrap();
        let src = last_parenthesised(&it.detail);
        let claim = verify::expr::parse(claim_src).unwrap();
        let (inputs, _, poly) = chain_derivative(
            src,
            wrt,
            &chain_values(
                src,
                &HashMap::from([
                    ("u".to_string(), 0.0),
                    ("v".to_string(), 0.0),
                    ("x".to_string(), 0.0),
                    ("y".to_string(), 0.0),
                ]),
            ),
        );
        let points: Vec<HashMap<String, f64>> = if inputs.len() == 1 {
            grid.iter()
                .map(|&a| HashMap::from([(inputs[0].to_string(), a)]))
                .collect()
        } else {
            grid.iter()
                .flat_map(|&a| grid.iter().map(move |&b| (a, b)))
                .map(|(a, b)| HashMap::from([(inputs[0].to_string(), a), (inputs[1].to_string(), b)]))
                .collect()
        };
        let holds = points.iter().all(|p| {
            let env = chain_values(src, p);
            close(plain(&claim, &env), chain_derivative(src, wrt, &env).1, 1e-12)
        });
        assert!(
            chain_values(src, &points[0]).contains_key(of),
            "{src} defines {of}"
        );
        let expected = if holds {
            Verdict::Holds
        } else {
            Verdict::DoesNotHold
        };
        assert_eq!(it.verdict, expected, "{it:?}");
        if let Some(c) = poly {
            assert!(
                it.engine
                    .contains(&format!("exactly {}", format_polynomial(&c, wrt))),
                "{it:?}"
            );
        }
        if !holds {
            // The counterexample's numbers are the claim and the derivative at its point.
            let at = number_after(&it.engine, &format!("first counterexample {wrt} = "));
            let env = chain_values(src, &HashMap::from([(wrt.to_string(), at)]));
            let (claim_there, truth_there) = (plain(&claim, &env), chain_derivative(src, wrt, &env).1);
            assert!(
                close(number_after(&it.engine, "claim "), claim_there, 1e-9),
                "{it:?}"
            );
            assert!(
                close(number_after(&it.engine, "engine "), truth_there, 1e-9),
                "{it:?}"
            );
            assert!(
                close(
                    number_after(&it.engine, "difference "),
                    claim_there - truth_there,
                    1e-9
                ),
                "{it:?}"
            );
        }
    }
}
