//! `notes::run()`: the note's sections in the note's order, a complete and consistent report,
//! and, for every worked number and formula, a verdict consistent with values and derivatives
//! this file computes on its own in plain Rust (no verdict is written down here: each
//! expectation follows from the independent computation).

use std::collections::HashMap;
use verify::check::format_polynomial;
use verify::expr::{BinOp, Expr, Func};
use verify::notes::{run, Item, NotesReport};
use verify::verdict::Verdict;

fn report() -> NotesReport {
    run()
}

/// The item whose claim is `claim` in the section whose title contains `section`.
fn item<'a>(r: &'a NotesReport, section: &str, claim: &str) -> &'a Item {
    let s = r
        .sections
        .iter()
        .find(|s| s.title.to_lowercase().contains(section))
        .unwrap_or_else(|| panic!("no section {section:?}"));
    s.items.iter().find(|i| i.claim == claim).unwrap_or_else(|| {
        let claims: Vec<&str> = s.items.iter().map(|i| i.claim.as_str()).collect();
        panic!("no claim {claim:?} in {:?}; it has {claims:?}", s.title)
    })
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

// ---- The note's network, by hand -------------------------------------------------------

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        z.exp() / (1.0 + z.exp())
    }
}

/// d sigmoid / dz = e^-z / (1 + e^-z)^2 (symmetric in z).
fn sigmoid_slope(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    e / ((1.0 + e) * (1.0 + e))
}

fn relu(z: f64) -> f64 {
    z.max(0.0)
}

/// One forward and backward pass of a11 = sigmoid(x1 w11 + b1), y = a21 = relu(a11 w21 + b2),
/// J = 1/2 (y - label)^2, with the gradients derived by hand.
#[derive(Debug)]
struct Pass {
    a11: f64,
    z21: f64,
    y: f64,
    loss: f64,
    /// dJ/dw11, dJ/db1, dJ/dw21, dJ/db2.
    grads: [f64; 4],
}

fn pass(w11: f64, b1: f64, w21: f64, b2: f64, x1: f64, label: f64) -> Pass {
    let z11 = x1 * w11 + b1;
    let a11 = sigmoid(z11);
    let z21 = a11 * w21 + b2;
    let y = relu(z21);
    let dj_dy = y - label;
    let relu_slope = if z21 > 0.0 { 1.0 } else { 0.0 };
    let dj_dz21 = dj_dy * relu_slope;
    let dj_dz11 = dj_dz21 * w21 * sigmoid_slope(z11);
    Pass {
        a11,
        z21,
        y,
        loss: 0.5 * dj_dy * dj_dy,
        grads: [dj_dz11 * x1, dj_dz11, dj_dz21 * a11, dj_dz21],
    }
}

/// The note's values: w11 = 0.5, b1 = 0.5, w21 = 1, b2 = 1, x1 = 1, label 2, and lr 0.1.
struct Note {
    first: Pass,
    /// w11, b1, w21, b2 after one SGD step.
    updated: [f64; 4],
    second: Pass,
}

fn note() -> Note {
    let first = pass(0.5, 0.5, 1.0, 1.0, 1.0, 2.0);
    let old = [0.5, 0.5, 1.0, 1.0];
    let updated: [f64; 4] = std::array::from_fn(|i| old[i] - 0.1 * first.grads[i]);
    let second = pass(updated[0], updated[1], updated[2], updated[3], 1.0, 2.0);
    Note {
        first,
        updated,
        second,
    }
}

// ---- Judging printed numbers, independently ----------------------------------------------

/// A formula over a list of values.
type Formula = dyn Fn(&[f64]) -> f64;

/// The note's arithmetic for a number: a formula over inputs, each with its exact value and,
/// for an intermediate the note rounded, the decimals it was printed with.
struct Arithmetic {
    formula: Box<Formula>,
    inputs: Vec<(f64, Option<usize>)>,
}

/// How far rounding the note's intermediates can move its formula's result from the exact
/// value: the largest change over the corners of the rounding box around the exact inputs.
fn rounding_reach(a: &Arithmetic) -> f64 {
    let exact: Vec<f64> = a.inputs.iter().map(|(v, _)| *v).collect();
    let centre = (a.formula)(&exact);
    let rounded: Vec<usize> = (0..a.inputs.len()).filter(|&i| a.inputs[i].1.is_some()).collect();
    let mut reach: f64 = 0.0;
    for mask in 0..(1u32 << rounded.len()) {
        let mut v = exact.clone();
        for (bit, &i) in rounded.iter().enumerate() {
            let half = 0.5 * 10f64.powi(-(a.inputs[i].1.unwrap() as i32));
            v[i] += if mask >> bit & 1 == 1 { half } else { -half };
        }
        reach = reach.max(((a.formula)(&v) - centre).abs());
    }
    reach
}

#[derive(Debug, PartialEq)]
enum Expect {
    Exactly(Verdict),
    /// Too close to the edge of the rounding allowance to call: holds within rounding or not.
    EitherWithinRoundingOrNot,
}

/// The verdict a printed number deserves: it holds if the exact value printed at the same
/// decimals is that number; it holds within rounding if it is well inside what the note's own
/// rounded intermediates (and its last printed digit) allow; it does not hold if it is well
/// outside that, or off by more than 0.1.
fn expected_verdict(printed: &str, exact: f64, arithmetic: Option<&Arithmetic>) -> Expect {
    let decimals = printed.split_once('.').map_or(0, |(_, d)| d.len());
    if format!("{exact:.decimals$}") == printed {
        return Expect::Exactly(Verdict::Holds);
    }
    let value: f64 = printed.parse().unwrap();
    let off = (value - exact).abs();
    let allowance = arithmetic.map_or(0.0, rounding_reach) + 0.5 * 10f64.powi(-(decimals as i32));
    if off > 0.1 || off > 2.0 * allowance {
        Expect::Exactly(Verdict::DoesNotHold)
    } else if off < 0.9 * allowance {
        Expect::Exactly(Verdict::HoldsWithinRounding)
    } else {
        Expect::EitherWithinRoundingOrNot
    }
}

/// The number the note states, as the report quotes it: `formula = NUMBER   (with ...)` or
/// just `NUMBER`.
fn quoted_number(note: &str) -> &str {
    let head = note.split("   (with").next().unwrap();
    head.rsplit(" = ").next().unwrap().trim()
}

fn arith(formula: impl Fn(&[f64]) -> f64 + 'static, inputs: &[(f64, Option<usize>)]) -> Option<Arithmetic> {
    Some(Arithmetic {
        formula: Box::new(formula),
        inputs: inputs.to_vec(),
    })
}

#[test]
fn every_worked_number_has_the_right_engine_value_and_a_consistent_verdict() {
    let r = report();
    let n = note();
    let (p, q) = (&n.first, &n.second);
    let [g_w11, g_b1, g_w21, g_b2] = p.grads;
    let [w11n, b1n, w21n, b2n] = n.updated;
    let given = |v: f64| (v, None);
    let rounded3 = |v: f64| (v, Some(3));
    let neuron = |v: &[f64]| relu(v[0] * v[1] + v[2]);
    let hidden = |v: &[f64]| sigmoid(v[0] * v[1] + v[2]);
    let step = |v: &[f64]| v[0] - v[1] * v[2];
    // (section, claim, the number as the note prints it, the exact value, the note's arithmetic)
    let numbers: Vec<(&str, &str, &str, f64, Option<Arithmetic>)> = vec![
        (
            "forward",
            "a11 = sigmoid(x1 w11 + b1)",
            "0.731",
            p.a11,
            arith(hidden, &[given(1.0), given(0.5), given(0.5)]),
        ),
        (
            "forward",
            "a21 = relu(a11 w21 + b2)",
            "1.731",
            p.y,
            arith(neuron, &[rounded3(p.a11), given(1.0), given(1.0)]),
        ),
        ("forward", "y = a21", "1.731", p.y, None),
        (
            "back propagation",
            "dJ/dw21 = (y - 2) a11",
            "-0.196639",
            g_w21,
            arith(|v| (v[0] - 2.0) * v[1], &[rounded3(p.y), rounded3(p.a11)]),
        ),
        (
            "back propagation",
            "dJ/db2 = y - 2",
            "-0.269",
            g_b2,
            arith(|v| v[0] - 2.0, &[rounded3(p.y)]),
        ),
        (
            "back propagation",
            "dJ/dw11 = (y - 2) w21 a11 (1 - a11) x1",
            "-0.052895",
            g_w11,
            arith(
                |v| (v[0] - 2.0) * v[1] * v[2] * (1.0 - v[2]) * v[3],
                &[rounded3(p.y), given(1.0), rounded3(p.a11), given(1.0)],
            ),
        ),
        (
            "back propagation",
            "dJ/db1 = (y - 2) w21 a11 (1 - a11)",
            "-0.052895",
            g_b1,
            arith(
                |v| (v[0] - 2.0) * v[1] * v[2] * (1.0 - v[2]),
                &[rounded3(p.y), given(1.0), rounded3(p.a11)],
            ),
        ),
        (
            "update",
            "w11 after one step",
            "0.505",
            w11n,
            arith(step, &[given(0.5), given(0.1), rounded3(g_w11)]),
        ),
        (
            "update",
            "w21 after one step",
            "1.020",
            w21n,
            arith(step, &[given(1.0), given(0.1), rounded3(g_w21)]),
        ),
        (
            "update",
            "b1 after one step",
            "0.505",
            b1n,
            arith(step, &[given(0.5), given(0.1), rounded3(g_b1)]),
        ),
        (
            "update",
            "b2 after one step",
            "1.027",
            b2n,
            arith(step, &[given(1.0), given(0.1), rounded3(g_b2)]),
        ),
        (
            "second forward",
            "a11 after the update",
            "0.733",
            q.a11,
            arith(hidden, &[given(1.0), rounded3(w11n), rounded3(b1n)]),
        ),
        (
            "second forward",
            "a21 after the update",
            "1.775",
            q.y,
            arith(neuron, &[rounded3(q.a11), rounded3(w21n), rounded3(b2n)]),
        ),
        (
            "second forward",
            "y after the update",
            "1.775",
            q.y,
            arith(neuron, &[rounded3(q.a11), rounded3(w21n), rounded3(b2n)]),
        ),
        ("closing", "the final output", "0.1775", q.y, None),
    ];
    for (section, claim, printed, exact, arithmetic) in &numbers {
        let it = item(&r, section, claim);
        assert_eq!(
            quoted_number(&it.note),
            *printed,
            "{claim}: the note is quoted as {:?}",
            it.note
        );
        let engine: f64 = it
            .engine
            .parse()
            .unwrap_or_else(|_| panic!("{claim}: engine {:?}", it.engine));
        assert!(
            close(engine, *exact, 1e-9),
            "{claim}: engine {engine}, by hand {exact}"
        );
        match expected_verdict(printed, *exact, arithmetic.as_ref()) {
            Expect::Exactly(v) => assert_eq!(it.verdict, v, "{claim}: {it:?}"),
            Expect::EitherWithinRoundingOrNot => assert!(
                matches!(it.verdict, Verdict::HoldsWithinRounding | Verdict::DoesNotHold),
                "{claim}: {it:?}"
            ),
        }
        if it.verdict == Verdict::DoesNotHold {
            // The detail gives the right value.
            assert!(it.detail.contains(&it.engine), "{claim}: {}", it.detail);
        }
    }
}

#[test]
fn the_backprop_network_claims_agree_with_hand_derivation() {
    let r = report();
    let n = note();
    // The relu is active at the note's values exactly when its pre-activation is positive.
    let active = item(
        &r,
        "back propagation",
        "the relu is active: a11 w21 + b2 > 0, so its derivative is 1",
    );
    assert_eq!(active.verdict == Verdict::Holds, n.first.z21 > 0.0, "{active:?}");
    // The output moves towards the label after the step exactly when |2 - y| shrinks.
    let closer = item(
        &r,
        "closing",
        "the new output is closer to the label 2 than 1.731",
    );
    let is_closer = (2.0 - n.second.y).abs() < (2.0 - n.first.y).abs();
    assert_eq!(closer.verdict == Verdict::Holds, is_closer, "{closer:?}");
    assert!(n.second.loss < n.first.loss);
}

/// `holds at A of B ... where the relu is active ..., and at C of D where it is not`.
fn active_inactive_counts(detail: &str) -> Option<[usize; 4]> {
    let count = |s: &str| -> usize { s.split(' ').next().unwrap().parse().unwrap() };
    let active = detail.strip_prefix("holds at ")?;
    let (a_ok, rest) = active.split_once(" of ")?;
    let (_, inactive) = rest.split_once("and at ")?;
    let (i_ok, rest_i) = inactive.split_once(" of ")?;
    rest_i
        .contains("where it is not")
        .then(|| [count(a_ok), count(rest), count(i_ok), count(rest_i)])
}

#[test]
fn gradient_formulas_hold_exactly_where_the_relu_is_active() {
    // By hand: with the relu active the note's formulas are the gradients; where it is not,
    // the gradients are 0 and the formulas are not (y = 0, a11 in (0, 1), w21 != 0 on a grid
    // that avoids 0). So every active point must agree and no inactive one.
    let r = report();
    for name in ["dJ/dw21", "dJ/db2", "dJ/dw11", "dJ/db1"] {
        let it = item(
            &r,
            "back propagation",
            &format!("{name} as a formula, over many parameter values"),
        );
        let agree: Vec<usize> = it
            .engine
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        let (ok, total) = (agree[0], agree[1]);
        match active_inactive_counts(&it.detail) {
            Some([a_ok, a, i_ok, i]) => {
                assert_eq!(a_ok, a, "{name}: every active point agrees: {}", it.detail);
                assert_eq!(i_ok, 0, "{name}: no inactive point agrees: {}", it.detail);
                assert_eq!((a_ok + i_ok, a + i), (ok, total));
                let expected = if i == 0 {
                    Verdict::Holds
                } else if a == 0 {
                    Verdict::DoesNotHold
                } else {
                    Verdict::HoldsPartly
                };
                assert_eq!(it.verdict, expected, "{it:?}");
            }
            None => {
                // No inactive point disagreed, so there was none (see above): all agree.
                assert_eq!(ok, total, "{it:?}");
                assert_eq!(it.verdict, Verdict::Holds, "{it:?}");
            }
        }
        // Check the hand derivation itself on a few points of each kind.
        for (w11, b1, w21, b2, x1) in [
            (0.5, 0.5, 1.0, 1.0, 1.0),
            (-1.2, 0.3, -0.55, -0.3, 0.75),
            (0.1, -0.9, 0.85, 0.3, 1.0),
        ] {
            let p = pass(w11, b1, w21, b2, x1, 2.0);
            let formula = match name {
                "dJ/dw21" => (p.y - 2.0) * p.a11,
                "dJ/db2" => p.y - 2.0,
                "dJ/dw11" => (p.y - 2.0) * w21 * p.a11 * (1.0 - p.a11) * x1,
                _ => (p.y - 2.0) * w21 * p.a11 * (1.0 - p.a11),
            };
            let index = ["dJ/dw11", "dJ/db1", "dJ/dw21", "dJ/db2"]
                .iter()
                .position(|n| *n == name)
                .unwrap();
            assert_eq!(
                close(formula, p.grads[index], 1e-12),
                p.z21 > 0.0,
                "{name} at {p:?}"
            );
        }
    }
}

// ---- The chain rule, by hand ---------------------------------------------------------------

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

// ---- Activations and losses, by hand -------------------------------------------------------

/// Holds where the note's formula equals the truth at every point, does not hold where it
/// equals it nowhere, holds partly otherwise.
fn expected_formula_verdict(
    points: &[f64],
    claim: impl Fn(f64) -> f64,
    truth: impl Fn(f64) -> f64,
) -> Verdict {
    let agree = points
        .iter()
        .filter(|&&z| close(claim(z), truth(z), 1e-9))
        .count();
    if agree == points.len() {
        Verdict::Holds
    } else if agree == 0 {
        Verdict::DoesNotHold
    } else {
        Verdict::HoldsPartly
    }
}

/// A step for slopes of piecewise-linear functions: a power of two, so `z +- H` is exact for
/// the integer points used.
const H: f64 = 1.0 / 1048576.0;

#[test]
fn activation_formulas_agree_with_derivatives_by_hand() {
    let r = report();
    let pts: Vec<f64> = (0..=60)
        .map(|i| -30.0 + i as f64)
        .filter(|z| *z != 0.0)
        .chain([0.37, -0.61, 1e-3])
        .collect();
    let pts20: Vec<f64> = pts.iter().copied().filter(|z| z.abs() <= 20.0).collect();
    type F = Box<dyn Fn(f64) -> f64>;
    let mut cases: Vec<(String, &[f64], F, F)> = vec![
        (
            "sigmoid".into(),
            &pts,
            Box::new(|z: f64| 1.0 / (1.0 + (-z).exp())),
            Box::new(sigmoid),
        ),
        (
            "sigmoid's derivative".into(),
            &pts,
            Box::new(|z| sigmoid(z) * (1.0 - sigmoid(z))),
            Box::new(sigmoid_slope),
        ),
        (
            "tanh".into(),
            &pts20,
            Box::new(|z: f64| (z.exp() - (-z).exp()) / (z.exp() + (-z).exp())),
            Box::new(|z: f64| z.tanh()),
        ),
        (
            "tanh's derivative".into(),
            &pts20,
            Box::new(|z: f64| 1.0 - z.tanh().powi(2)),
            Box::new(|z: f64| 1.0 / z.cosh().powi(2)),
        ),
        (
            "ReLU".into(),
            &pts,
            Box::new(|z| if z > 0.0 { z } else { 0.0 }),
            Box::new(relu),
        ),
        (
            "ReLU's derivative (at 0 the engine uses PyTorch's convention, 0)".into(),
            &pts,
            Box::new(|z| if z > 0.0 { 1.0 } else { 0.0 }),
            // The slope of max(z, 0) away from 0: 1 on the right, 0 on the left.
            Box::new(|z| (relu(z + H) - relu(z - H)) / (2.0 * H)),
        ),
    ];
    for a in [0.01, 0.2] {
        cases.push((
            format!("LeakyReLU with a = {a}"),
            &pts,
            Box::new(move |z| if z > 0.0 { z } else { a * z }),
            Box::new(move |z: f64| z.max(a * z)),
        ));
        cases.push((
            format!("LeakyReLU's derivative with a = {a}"),
            &pts,
            Box::new(move |z| if z > 0.0 { 1.0 } else { a }),
            Box::new(move |z: f64| ((z + H).max(a * (z + H)) - (z - H).max(a * (z - H))) / (2.0 * H)),
        ));
    }
    for (claim, points, note_formula, truth) in cases {
        let it = item(&r, "activation", &claim);
        assert_eq!(
            it.verdict,
            expected_formula_verdict(points, note_formula, truth),
            "{it:?}"
        );
    }
    // Ranges: sigmoid in (0, 1) and tanh in [-1, 1] over [-30, 30].
    let sig_in = pts.iter().all(|&z| sigmoid(z) > 0.0 && sigmoid(z) < 1.0);
    assert_eq!(
        item(&r, "activation", "sigmoid's outputs lie in (0, 1)")
            .verdict
            .held(),
        sig_in
    );
    let tanh_in = pts.iter().all(|&z| z.tanh().abs() <= 1.0);
    assert_eq!(item(&r, "activation", "tanh's range").verdict.held(), tanh_in);
    // Vanishing gradients: sigmoid' is at most 1/4, so ten stacked sigmoids give at most 4^-10.
    let mut h = 0.0;
    let mut chain = 1.0;
    for _ in 0..10 {
        chain *= sigmoid_slope(h);
        h = sigmoid(h);
    }
    let max_slope = pts
        .iter()
        .map(|&z| sigmoid_slope(z))
        .fold(sigmoid_slope(0.0), f64::max);
    let it = item(
        &r,
        "activation",
        "sigmoid suffers from vanishing gradients in backprop",
    );
    assert_eq!(it.verdict.held(), max_slope <= 0.25 && chain < 1e-5, "{it:?}");
}

/// dy_i/dz_j of softmax by hand: y_i (delta_ij - y_j).
fn softmax_jacobian(z: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    let y: Vec<f64> = e.iter().map(|v| v / s).collect();
    let j = (0..z.len())
        .map(|i| {
            (0..z.len())
                .map(|k| y[i] * (f64::from(u8::from(i == k)) - y[k]))
                .collect()
        })
        .collect();
    (y, j)
}

#[test]
fn softmax_claims_agree_with_the_jacobian_by_hand() {
    let r = report();
    let vectors: [&[f64]; 3] = [
        &[0.5, -1.0, 2.0],
        &[1.0, 1.0, 1.0, 1.0],
        &[3.0, -2.0, 0.1, 0.7, -0.4],
    ];
    let (mut diagonal_ok, mut off_diagonal_zero, mut in_range, mut sums_to_one) = (true, true, true, true);
    for z in vectors {
        let (y, j) = softmax_jacobian(z);
        for (a, row) in j.iter().enumerate() {
            for (b, d) in row.iter().enumerate() {
                if a == b {
                    diagonal_ok &= close(*d, y[a] * (1.0 - y[a]), 1e-12);
                } else {
                    off_diagonal_zero &= d.abs() <= 1e-15;
                }
            }
        }
        in_range &= y.iter().all(|v| (0.0..=1.0).contains(v));
        sums_to_one &= (y.iter().sum::<f64>() - 1.0).abs() <= 1e-15;
    }
    // The note's y_i' = y_i (1 - y_i) is about dy_i/dz_i; for i != j it says nothing nonzero.
    let expected = match (diagonal_ok, off_diagonal_zero) {
        (true, true) => Verdict::Holds,
        (true, false) => Verdict::HoldsPartly,
        (false, _) => Verdict::DoesNotHold,
    };
    let it = item(&r, "activation", "softmax's derivative");
    assert_eq!(it.verdict, expected, "{it:?}");
    let it = item(&r, "activation", "softmax's outputs lie in [0, 1] and sum to 1");
    assert_eq!(it.verdict.held(), in_range && sums_to_one, "{it:?}");
}

#[test]
fn structure_and_loss_claims_agree_with_direct_computation() {
    let r = report();
    let digits = nn::data::digits::test::<f64>().unwrap();
    let mut classes = digits.labels.clone();
    classes.sort_unstable();
    classes.dedup();
    let it = item(
        &r,
        "structure",
        "a digit classifier's output layer has one neuron per class",
    );
    assert_eq!(it.verdict.held(), classes.len() == 10, "{it:?}");
    // The loss with the 1/2, by hand, against nn's.
    let (f, y) = (vec![0.3, -1.2, 2.0], vec![1.0, 0.5, -0.25]);
    let by_hand: f64 = f
        .iter()
        .zip(&y)
        .map(|(a, b): (&f64, &f64)| (a - b).powi(2))
        .sum::<f64>()
        / (2.0 * 3.0);
    let tape = autograd::Tape::<f64>::new();
    let nn_loss = nn::loss::mse_half(
        tape.constant(autograd::Tensor::from(f)),
        tape.constant(autograd::Tensor::from(y)),
    )
    .unwrap()
    .item();
    let it = item(&r, "loss", "mean squared error with the 1/2");
    assert_eq!(it.verdict.held(), close(nn_loss, by_hand, 1e-15), "{it:?}");
}

// ---- The report as a whole -----------------------------------------------------------------

#[test]
fn sections_follow_the_note_and_every_item_is_complete() {
    let r = report();
    let order = [
        "structure",
        "activation",
        "forward propagation",
        "loss",
        "chain rule",
        "back propagation",
        "update",
        "second forward pass",
        "closing sentence",
    ];
    let titles: Vec<String> = r.sections.iter().map(|s| s.title.to_lowercase()).collect();
    assert_eq!(titles.len(), order.len(), "{titles:?}");
    for (t, want) in titles.iter().zip(order) {
        assert!(
            t.contains(want),
            "{t:?} should be the section on {want}; sections: {titles:?}"
        );
    }
    for s in &r.sections {
        assert!(!s.items.is_empty(), "{} is empty", s.title);
        for i in &s.items {
            for (field, text) in [
                ("claim", &i.claim),
                ("note", &i.note),
                ("engine", &i.engine),
                ("detail", &i.detail),
            ] {
                assert!(
                    !text.trim().is_empty(),
                    "{}: an item with an empty {field}: {i:?}",
                    s.title
                );
            }
        }
    }
}

#[test]
fn summary_counts_add_up_and_match_the_json_and_the_text() {
    let r = report();
    let items: Vec<&Item> = r.sections.iter().flat_map(|s| &s.items).collect();
    let s = r.summary();
    assert_eq!(s.checked, items.len());
    assert_eq!(s.held + s.partly + s.not_held, s.checked);
    assert_eq!(s.held, items.iter().filter(|i| i.verdict.held()).count());
    assert_eq!(
        s.partly,
        items.iter().filter(|i| i.verdict == Verdict::HoldsPartly).count()
    );
    assert_eq!(
        s.not_held,
        items.iter().filter(|i| i.verdict == Verdict::DoesNotHold).count()
    );

    let json = r.to_json();
    let js = &json["summary"];
    assert_eq!(
        (
            js["checked"].as_u64(),
            js["held"].as_u64(),
            js["held_partly"].as_u64(),
            js["not_held"].as_u64()
        ),
        (
            Some(s.checked as u64),
            Some(s.held as u64),
            Some(s.partly as u64),
            Some(s.not_held as u64)
        )
    );
    let sections = json["sections"].as_array().unwrap();
    assert_eq!(sections.len(), r.sections.len());
    for (js, sec) in sections.iter().zip(&r.sections) {
        assert_eq!(js["title"], sec.title.as_str());
        let ji = js["items"].as_array().unwrap();
        assert_eq!(ji.len(), sec.items.len());
        for (j, i) in ji.iter().zip(&sec.items) {
            assert_eq!(j["claim"], i.claim.as_str());
            assert_eq!(j["note"], i.note.as_str());
            assert_eq!(j["engine"], i.engine.as_str());
            assert_eq!(j["detail"], i.detail.as_str());
            assert_eq!(j["verdict"], i.verdict.label());
        }
    }
    // JSON round-trips through text.
    let reparsed: serde_json::Value = serde_json::from_str(&json.to_string()).unwrap();
    assert_eq!(reparsed, json);

    let text = r.to_text();
    for (k, sec) in r.sections.iter().enumerate() {
        assert!(
            text.contains(&format!("== {}. {} ==", k + 1, sec.title)),
            "no title {:?}",
            sec.title
        );
        for i in &sec.items {
            assert!(
                text.contains(&format!("[{}] {}", i.verdict.label(), i.claim)),
                "no item {:?}",
                i.claim
            );
        }
    }
    let summary = format!(
        "Summary: {} claims checked: {} hold, {} hold partly, {} do not hold.",
        s.checked, s.held, s.partly, s.not_held
    );
    assert!(
        text.trim_end().ends_with(&summary),
        "{}",
        &text[text.len().saturating_sub(200)..]
    );
}

#[test]
fn the_report_is_the_same_every_run() {
    assert_eq!(report(), report());
}
