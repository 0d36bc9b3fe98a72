//! The chain-rule claims, measured by `chainrule check`: where the claimed derivative and
//! the engine's disagree, and by how much as a formula.

use super::judge::Facts;
use crate::check::{check, derivative_at, format_polynomial, CheckOptions, Polynomial};
use crate::system::System;
use crate::verdict::fmt;
use autograd::Tape;

/// Checks `claim` as the derivative of `system`'s output with respect to `wrt`, and records
/// what the checker found (and, when it disagrees, `claim - engine` as a polynomial if it is
/// one).
pub(crate) fn check_claim(system_src: &str, wrt: &str, claim: &str) -> Facts {
    let system = System::parse(system_src).expect("the note's system parses");
    let opts = CheckOptions {
        wrt: vec![wrt.to_string()],
        ..Default::default()
    };
    let report = check(&system, &[claim.to_string()], &opts)
        .expect("the claim parses")
        .remove(0);
    let exact = match &report.polynomial {
        Some(p @ Polynomial::Exact { .. }) => format!("; the engine's derivative is exactly {p}"),
        _ => String::new(),
    };
    let facts = Facts::default()
        .text("derivative", report.derivative.clone())
        .text("claim", claim)
        .text("system", system_src)
        .text("exact", exact)
        .num("checked", report.checked as f64)
        .flag("agrees", report.counterexample.is_none());
    let Some(c) = &report.counterexample else {
        return facts;
    };
    let point = c
        .point
        .iter()
        .map(|(n, v)| format!("{n} = {}", fmt(*v)))
        .collect::<Vec<_>>()
        .join(", ");
    let diff = claim_minus_engine(&system, system_src, wrt, claim)
        .map(|p| format!("; claim - engine = {p}"))
        .unwrap_or_default();
    facts
        .text("point", point)
        .num("at_claim", c.claim)
        .num("at_engine", c.engine)
        .num("at_difference", c.difference)
        .text("diff", diff)
}

/// `claim - engine` as a polynomial in `wrt`, recovered exactly, if it is one.
fn claim_minus_engine(system: &System, system_src: &str, wrt: &str, claim: &str) -> Option<String> {
    let of = system.output().ok()?.to_string();
    let s = System::parse(&format!("{system_src}; diff_claim = {claim}")).ok()?;
    let d = |x: f64| {
        let engine = derivative_at(&s, &of, wrt, 1, &[(wrt.into(), x)]).ok()?;
        let tape = Tape::<f64>::new();
        let xv = tape.scalar(x);
        let env = s
            .build(&tape, &[(wrt.to_string(), xv)].into_iter().collect())
            .ok()?;
        Some(env["diff_claim"].item() - engine)
    };
    difference_polynomial(&d, wrt)
}

/// Fits a polynomial of degree <= 4 through the difference at a few points (exact for
/// polynomial differences) and confirms it elsewhere.
fn difference_polynomial(d: &dyn Fn(f64) -> Option<f64>, var: &str) -> Option<String> {
    // Newton's divided differences on integer nodes, then conversion to coefficients.
    let nodes: Vec<f64> = (0..5).map(|i| i as f64 - 2.0).collect();
    let values: Vec<f64> = nodes.iter().map(|&x| d(x)).collect::<Option<_>>()?;
    let mut coef = values.clone();
    for j in 1..nodes.len() {
        for i in (j..nodes.len()).rev() {
            coef[i] = (coef[i] - coef[i - 1]) / (nodes[i] - nodes[i - j]);
        }
    }
    let mut poly = vec![0.0; nodes.len()];
    for i in (0..nodes.len()).rev() {
        // poly = poly * (x - nodes[i]) + coef[i]
        let mut next = vec![0.0; nodes.len()];
        for k in 0..nodes.len() {
            if k + 1 < nodes.len() {
                next[k + 1] += poly[k];
            }
            next[k] -= nodes[i] * poly[k];
        }
        next[0] += coef[i];
        poly = next;
    }
    let poly: Vec<f64> = poly
        .iter()
        .map(|&c| {
            if (c - c.round()).abs() < 1e-7 {
                c.round()
            } else {
                c
            }
        })
        .collect();
    for x in [0.37, -1.9, 2.6] {
        let p = poly.iter().rev().fold(0.0, |acc, &c| acc * x + c);
        if (p - d(x)?).abs() > 1e-7 * (1.0 + p.abs()) {
            return None;
        }
    }
    Some(format_polynomial(&poly, var))
}
