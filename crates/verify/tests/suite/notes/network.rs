//! The note's network: every worked number (allowing for the note's rounding) and the backprop claims, against a pass by hand.

use super::{close, item, note, pass, relu, report, sigmoid};
use verify::verdict::Verdict;

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
