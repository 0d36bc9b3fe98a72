//! Fuzzing `chainrule check` and `trace` with the inputs of issue 10: nested expressions at
//! orders 1 to 10 (every backward sweep within `GRAPH_GROWTH` times the tape, each order
//! computed under `MAX_GRAPH_NODES` or refused naming it), polynomials and near-polynomials
//! (exact recovery of the first, never "exactly" for the second), and chains of up to 1,500
//! definitions with reused values (paths counted and summed, listing capped).
//!
//! 256 cases per property by default (32 for the high orders); `CHAINRULE_FUZZ_CASES=20000` for the long run (see
//! `docs/reliability.md`).

use proptest::prelude::*;
use verify::check::{check, CheckOptions};
use verify::System;

mod support;

/// Runs a property on `support::cases() / share` cases (at least one): the high orders cost
/// up to a second a case, the other properties milliseconds.
fn fuzz<S: Strategy>(
    name: &str,
    share: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let n = (support::cases() / share).max(1);
    let seconds = support::run(n, strategy, test);
    println!("{name}: {n} cases, no failure, {seconds:.1} s");
}

const FUNCS: [&str; 8] = ["sin", "cos", "tanh", "sigmoid", "exp", "softplus", "sqrt", "ln"];

/// A nested expression in `x`, from a list of choices (function, shape) per level.
fn nested(levels: &[(usize, u8)]) -> String {
    levels.iter().fold("x".to_string(), |inner, &(f, shape)| {
        let f = FUNCS[f % FUNCS.len()];
        match shape % 4 {
            0 => format!("{f}({inner})"),
            1 => format!("{inner} * {f}({inner})"),
            2 => format!("({inner}) / (1 + x^2)"),
            _ => format!("{f}({inner}) + x*{inner}"),
        }
    })
}

#[test]
fn fuzz_high_orders() {
    // Every backward sweep records at most GRAPH_GROWTH times the tape, so an order started
    // under MAX_GRAPH_NODES / GRAPH_GROWTH ends under MAX_GRAPH_NODES; derivative_at computes
    // exactly those orders and refuses the next one, naming it.
    use autograd::{grad, Tape};
    use verify::check::{derivative_at, GRAPH_GROWTH, MAX_GRAPH_NODES};
    let strategy = (
        proptest::collection::vec((0..8usize, 0..4u8), 1..6),
        1..=10usize,
        -2.0..2.0f64,
    );
    fuzz("high orders", 8, strategy, |(levels, order, x0)| {
        let src = format!("f = {}", nested(&levels));
        let s = System::parse(&src).unwrap();
        let tape = Tape::<f64>::new();
        let x = tape.scalar_var(x0);
        let mut d = s
            .build(&tape, &[("x".to_string(), x)].into_iter().collect())
            .unwrap()["f"];
        let mut reached = 0;
        while reached < order && tape.len() * GRAPH_GROWTH <= MAX_GRAPH_NODES {
            let before = tape.len();
            d = grad(d, &[x]).unwrap()[0];
            reached += 1;
            prop_assert!(
                tape.len() <= GRAPH_GROWTH * before,
                "{}: {} -> {}",
                src,
                before,
                tape.len()
            );
        }
        let point = [("x".to_string(), x0)];
        match derivative_at(&s, "f", "x", order, &point) {
            // The same bits, or NaN on both sides: Rust leaves a NaN's sign and payload to the
            // compiler (RFC 3514), so two builds of one formula may give NaNs of either sign.
            Ok(v) => prop_assert!(
                reached == order && (v.to_bits() == d.item().to_bits() || (v.is_nan() && d.item().is_nan())),
                "{} {}",
                v,
                d.item()
            ),
            Err(e) => {
                let head =
                    format!("--order {order}: the graph of the order-{reached} derivative already has");
                prop_assert!(reached < order && e.message.starts_with(&head), "{}", e.message);
            }
        }
        Ok(())
    });
}

/// `c0 + c1 x + ...` as a source expression, every coefficient in parentheses.
fn poly_src(c: &[f64]) -> String {
    let terms: Vec<String> = c
        .iter()
        .enumerate()
        .map(|(k, a)| format!("({a:?})*x^{k}"))
        .collect();
    terms.join(" + ")
}

#[test]
fn fuzz_near_polynomials() {
    // A polynomial (integer or half-integer coefficients, expanded or as a product of
    // factors) is recovered exactly at orders 1 to 3; one plus a non-polynomial term that
    // rounding cannot hide (relative 1e-11 and up), or a function polynomial only near 0, is
    // never "exactly" anything.
    use verify::check::Polynomial;
    let strategy = (
        proptest::collection::vec(-12i32..=12, 1..=9),
        (any::<bool>(), any::<bool>(), 1..=3usize),
        (0..7usize, 3i32..=11),
    );
    fuzz(
        "near polynomials",
        1,
        strategy,
        |(c, (halves, factored, order), (kind, eps_exp))| {
            let scale = if halves { 0.5 } else { 1.0 };
            let mut p: Vec<f64> = c.iter().map(|&a| f64::from(a) * scale).collect();
            let mut src = format!("f = {}", poly_src(&p));
            if factored {
                // scale * (x - r1)(x - r2)...: expanded here in exact dyadic arithmetic.
                let roots: Vec<f64> = c.iter().take(5).map(|&r| f64::from(r) / 4.0).collect();
                p = vec![scale];
                for r in &roots {
                    let mut next = vec![0.0; p.len() + 1];
                    for (k, a) in p.iter().enumerate() {
                        next[k + 1] += a;
                        next[k] -= r * a;
                    }
                    p = next;
                }
                let factors: Vec<String> = roots.iter().map(|r| format!("(x - ({r:?}))")).collect();
                src = format!("f = {scale:?}*{}", factors.join("*"));
            }
            let size: f64 = p
                .iter()
                .enumerate()
                .map(|(k, a)| a.abs() * 4f64.powi(k as i32))
                .sum();
            let eps = 10f64.powi(-eps_exp) * size.max(1.0);
            let big = 10f64.powi(eps_exp.min(6));
            let src = match kind {
                0 => src,
                1 => format!("{src} + {eps:e}*sin(x)"),
                2 => format!("{src} + {eps:e}*exp(x)"),
                3 => format!("{src} + {eps:e}*x^{}", 9 + order),
                4 => format!("{src} + {eps:e}*sigmoid(x)"),
                // Near-polynomial on its own: a polynomial of high degree would hide it far out.
                5 => format!("f = {}*x + {big:e}*tanh(x/{big:e})", c[0]),
                _ => format!("f = {}*x + {big:e}*ln(1 + x^2/{big:e})", c[0]),
            };
            let system = System::parse(&src).unwrap();
            let options = CheckOptions {
                wrt: vec!["x".into()],
                order,
                ..CheckOptions::default()
            };
            let r = check(&system, &["0".to_string()], &options).unwrap().remove(0);
            match (&r.polynomial, kind) {
                (Some(Polynomial::Exact { coefficients, .. }), 0) => {
                    let mut want = p.clone();
                    for _ in 0..order {
                        want = want
                            .iter()
                            .enumerate()
                            .skip(1)
                            .map(|(k, a)| k as f64 * a)
                            .collect();
                    }
                    while want.len() > 1 && want.last() == Some(&0.0) {
                        want.pop();
                    }
                    want.resize(want.len().max(1), 0.0);
                    prop_assert_eq!(
                        coefficients.len(),
                        want.len(),
                        "{} at order {}: {:?}",
                        src,
                        order,
                        coefficients
                    );
                    for (g, w) in coefficients.iter().zip(&want) {
                        prop_assert!(
                            (g - w).abs() <= 1e-12 * w.abs().max(1.0),
                            "{} at order {}: {:?}",
                            src,
                            order,
                            coefficients
                        );
                    }
                }
                (other, 0) => prop_assert!(false, "{} at order {}: {:?}", src, order, other),
                (Some(Polynomial::Exact { .. }), _) => {
                    prop_assert!(false, "{} at order {}: {:?}", src, order, r.polynomial)
                }
                _ => {}
            }
            Ok(())
        },
    );
}

#[test]
fn fuzz_long_chains() {
    // Up to 1,500 definitions, each the sum of two earlier values (or x): trace counts the
    // paths to x (here by dynamic programming, saturating like trace), sums them to the
    // engine's gradient, and lists at most MAX_PATHS paths and MAX_LISTED_STEPS steps.
    use verify::trace::{trace, MAX_LISTED_STEPS, MAX_PATHS};
    let strategy = (2..1500usize, any::<u64>());
    fuzz("long chains", 1, strategy, |(n, seed)| {
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
        let (mut defs, mut count) = (Vec::with_capacity(n), Vec::<u128>::with_capacity(n));
        for i in 0..n {
            let mut pick = || -> (String, u128) {
                if i == 0 || rand::RngExt::random_bool(&mut rng, 0.1) {
                    ("x".into(), 1)
                } else {
                    // Mostly recent values, so chains get long.
                    let j = i - 1 - rand::RngExt::random_range(&mut rng, 0..i.min(3));
                    (format!("v{j}"), count[j])
                }
            };
            let ((a, ca), (b, cb)) = (pick(), pick());
            defs.push(format!("v{i} = {a} + 0.5*{b}"));
            count.push(ca.saturating_add(cb));
        }
        let s = System::parse(&defs.join("; ")).unwrap();
        let last = format!("v{}", n - 1);
        let t = trace(&s, Some(&last), &["x".into()], &[("x".into(), 1.5)], 0.1).unwrap();
        let p = &t.params[0];
        let want = usize::try_from(count[n - 1]).unwrap_or(usize::MAX);
        prop_assert_eq!(p.path_count, want);
        prop_assert!(p.sum == p.engine || (p.sum - p.engine).abs() <= 1e-9 * p.engine.abs().max(1.0));
        let steps: usize = p.paths.iter().map(|path| path.steps.len()).sum();
        prop_assert!(!p.paths.is_empty() || steps == 0);
        prop_assert!(p.paths.len() <= MAX_PATHS.min(want) && steps <= MAX_LISTED_STEPS);
        for path in &p.paths {
            prop_assert_eq!(path.steps.last().map(|s| s.to.as_str()), Some("x"));
        }
        if n <= 100 {
            // Several values may be unused by the others: name the output, as trace does.
            let options = CheckOptions {
                of: Some(last.clone()),
                wrt: vec!["x".into()],
                ..CheckOptions::default()
            };
            let r = check(&s, &["0".into()], &options).unwrap().remove(0);
            prop_assert!(r.checked == 19);
        }
        Ok(())
    });
}
