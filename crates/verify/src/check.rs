//! `chainrule check`: compare a hand-derived derivative with the engine's at many points, and
//! recover the derivative exactly when it is a polynomial in one variable.

use crate::expr::{parse, Expr, ParseError};
use crate::system::{eval, System};
use autograd::{grad, Tape, Var};
use std::collections::HashMap;
use std::fmt;

/// The highest degree tried when recovering a polynomial from Taylor coefficients.
pub const MAX_DEGREE: usize = 8;

/// What to check.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckOptions {
    /// The defined name to differentiate (default: the system's output, the name nothing
    /// else uses).
    pub of: Option<String>,
    /// The variables; one claim per variable (partial derivatives).
    pub wrt: Vec<String>,
    /// The order of each derivative (1 = first derivative).
    pub order: usize,
    /// Extra points, each a full assignment of the system's inputs.
    pub at: Vec<Vec<(String, f64)>>,
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            of: None,
            wrt: Vec::new(),
            order: 1,
            at: Vec::new(),
            rtol: 1e-9,
            atol: 1e-9,
        }
    }
}

/// A point where a claim and the engine disagree.
#[derive(Clone, Debug, PartialEq)]
pub struct Counterexample {
    /// The inputs' values.
    pub point: Vec<(String, f64)>,
    /// The claim's value there.
    pub claim: f64,
    /// The engine's derivative there.
    pub engine: f64,
    /// `claim - engine`.
    pub difference: f64,
}

/// The verdict on one claimed derivative.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimReport {
    /// The derivative, e.g. `d z/d x` or `d^2 z/d x^2`.
    pub derivative: String,
    /// The claim as parsed and printed back.
    pub claim: String,
    /// Points where both were compared.
    pub checked: usize,
    /// Points skipped because the engine's derivative is not finite there (outside the domain).
    pub skipped: usize,
    /// The first point of disagreement, if any.
    pub counterexample: Option<Counterexample>,
    /// The engine's derivative as an exact polynomial in the one input, if it is one of
    /// degree at most [`MAX_DEGREE`] (`None` when there are several inputs).
    pub polynomial: Option<Polynomial>,
}

impl ClaimReport {
    /// Whether the claim agreed at every checked point (and at least one was checked).
    pub fn agrees(&self) -> bool {
        self.counterexample.is_none() && self.checked > 0
    }

    /// The report as text: "agrees at N points" or the first counterexample, then the exact
    /// polynomial when there is one.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{} = {}
",
            self.derivative, self.claim
        );
        match &self.counterexample {
            None if self.checked > 0 => s.push_str(&format!("  agrees at {} points", self.checked)),
            None => s.push_str("  no point where the derivative is defined was found"),
            Some(c) => s.push_str(&format!(
                "  does not agree: at {}: claim {}, engine {}, difference {}",
                c.point
                    .iter()
                    .map(|(n, v)| format!("{n} = {}", crate::verdict::fmt(*v)))
                    .collect::<Vec<_>>()
                    .join(", "),
                crate::verdict::fmt(c.claim),
                crate::verdict::fmt(c.engine),
                crate::verdict::fmt(c.difference)
            )),
        }
        if self.skipped > 0 {
            s.push_str(&format!(
                " ({} points skipped where the derivative is not finite)",
                self.skipped
            ));
        }
        s.push('\n');
        match &self.polynomial {
            Some(p @ Polynomial::Exact { .. }) => {
                s.push_str(&format!("  the engine's {} is exactly {p}\n", self.derivative))
            }
            Some(p) => s.push_str(&format!("  the engine's {} is {p}\n", self.derivative)),
            None => {}
        }
        s
    }

    /// The report as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "derivative": self.derivative,
            "claim": self.claim,
            "agrees": self.agrees(),
            "checked": self.checked,
            "skipped": self.skipped,
            "counterexample": self.counterexample.as_ref().map(|c| serde_json::json!({
                "point": c.point.iter().map(|(n, v)| (n.clone(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
                "claim": c.claim,
                "engine": c.engine,
                "difference": c.difference,
            })),
            "polynomial": match &self.polynomial {
                Some(Polynomial::Exact { var, coefficients }) => serde_json::json!({
                    "text": format_polynomial(coefficients, var),
                    "variable": var,
                    "coefficients": coefficients,
                }),
                Some(Polynomial::NotLowDegree) => serde_json::json!("not a polynomial of low degree"),
                None => serde_json::Value::Null,
            },
        })
    }
}

/// The outcome of recovering a polynomial.
#[derive(Clone, Debug, PartialEq)]
pub enum Polynomial {
    /// The derivative equals this polynomial (coefficients of `x^0, x^1, ...`), confirmed at
    /// every check point.
    Exact {
        /// The variable.
        var: String,
        /// Coefficients, lowest degree first.
        coefficients: Vec<f64>,
    },
    /// The Taylor polynomial at 0 does not match the derivative elsewhere (or the derivative
    /// is not defined at 0).
    NotLowDegree,
}

impl fmt::Display for Polynomial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Polynomial::Exact { var, coefficients } => write!(f, "{}", format_polynomial(coefficients, var)),
            Polynomial::NotLowDegree => write!(f, "not a polynomial of degree <= {MAX_DEGREE}"),
        }
    }
}

/// Snaps `c` to the nearest integer when within rounding of it.
fn tidy(c: f64) -> f64 {
    let r = c.round();
    if (c - r).abs() <= 1e-9 * r.abs().max(1.0) {
        r
    } else {
        c
    }
}

fn fmt_coef(c: f64) -> String {
    if c == c.trunc() && c.abs() < 1e15 {
        format!("{}", c as i64)
    } else {
        let s = format!("{c:.12}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Prints `c0 + c1 x + c2 x^2 + ...` highest degree first, as a person writes it:
/// `192x^2 + 416x + 176`, `-8x`, `x^3 - 1`, `0`.
///
/// ```
/// assert_eq!(verify::check::format_polynomial(&[176.0, 416.0, 192.0], "x"), "192x^2 + 416x + 176");
/// assert_eq!(verify::check::format_polynomial(&[-1.0, 0.0, 0.0, 1.0], "t"), "t^3 - 1");
/// assert_eq!(verify::check::format_polynomial(&[0.0, -0.5], "x"), "-0.5x");
/// ```
pub fn format_polynomial(coefficients: &[f64], var: &str) -> String {
    let mut out = String::new();
    for (k, &c) in coefficients.iter().enumerate().rev() {
        if c == 0.0 {
            continue;
        }
        let mag = c.abs();
        let sign = if c < 0.0 { "-" } else { "+" };
        if out.is_empty() {
            if c < 0.0 {
                out.push('-');
            }
        } else {
            out.push_str(&format!(" {sign} "));
        }
        let coef = if mag == 1.0 && k > 0 {
            String::new()
        } else {
            fmt_coef(mag)
        };
        let term = match k {
            0 => coef,
            1 => format!("{coef}{var}"),
            _ => format!("{coef}{var}^{k}"),
        };
        out.push_str(&term);
    }
    if out.is_empty() {
        "0".into()
    } else {
        out
    }
}

/// The engine's derivative of `of` with respect to `wrt`, `order` times, at `point`.
pub fn derivative_at(
    system: &System,
    of: &str,
    wrt: &str,
    order: usize,
    point: &[(String, f64)],
) -> Result<f64, ParseError> {
    let tape = Tape::<f64>::new();
    let inputs: HashMap<String, Var<'_, f64>> = point
        .iter()
        .map(|(n, v)| (n.clone(), tape.scalar_var(*v)))
        .collect();
    let env = system.build(&tape, &inputs)?;
    let mut d = *env.get(of).ok_or_else(|| ParseError {
        column: 0,
        message: format!("'{of}' is not defined"),
    })?;
    let x = *inputs.get(wrt).ok_or_else(|| ParseError {
        column: 0,
        message: format!("no value for '{wrt}' in the point"),
    })?;
    for _ in 0..order {
        d = grad(d, &[x]).expect("scalar values on one tape")[0];
    }
    Ok(d.item())
}

/// The claim's value at `point`, with the system's names substituted.
fn claim_at(system: &System, claim: &Expr, point: &[(String, f64)]) -> Result<f64, ParseError> {
    let tape = Tape::<f64>::new();
    let inputs: HashMap<String, Var<'_, f64>> =
        point.iter().map(|(n, v)| (n.clone(), tape.scalar(*v))).collect();
    let env = system.build(&tape, &inputs)?;
    let v = eval(claim, &tape, &|n| env.get(n).or_else(|| inputs.get(n)).copied())?;
    Ok(v.item())
}

/// The default points: for one input a spread over [-3, 3] (integers, halves, and a few
/// irrational-looking values); for several inputs a Halton sequence over [-3, 3]^k.
pub fn default_points(inputs: &[String]) -> Vec<Vec<(String, f64)>> {
    const ONE: [f64; 19] = [
        -3.0, -2.37, -2.0, -1.5, -1.0, -0.73, -0.5, -0.25, 0.0, 0.25, 0.5, 0.61, 1.0, 1.29, 1.5, 2.0, 2.71,
        3.0, 0.1,
    ];
    if inputs.len() == 1 {
        return ONE.iter().map(|&v| vec![(inputs[0].clone(), v)]).collect();
    }
    const PRIMES: [u32; 8] = [2, 3, 5, 7, 11, 13, 17, 19];
    let halton = |mut i: u32, b: u32| {
        let (mut f, mut r) = (1.0, 0.0);
        while i > 0 {
            f /= b as f64;
            r += f * (i % b) as f64;
            i /= b;
        }
        r
    };
    (1..=24)
        .map(|i| {
            inputs
                .iter()
                .enumerate()
                .map(|(j, n)| {
                    (
                        n.clone(),
                        -3.0 + 6.0 * halton(i, PRIMES[j % 8] + 8 * (j / 8) as u32),
                    )
                })
                .collect()
        })
        .collect()
}

fn name_derivative(of: &str, wrt: &str, order: usize) -> String {
    if order == 1 {
        format!("d{of}/d{wrt}")
    } else {
        format!("d^{order}{of}/d{wrt}^{order}")
    }
}

/// Checks one claim per variable in `options.wrt`. Claims may use the system's intermediate
/// names. Errors (with a column into the claim or the system) for anything undefined.
pub fn check(
    system: &System,
    claims: &[String],
    options: &CheckOptions,
) -> Result<Vec<ClaimReport>, CheckError> {
    let inputs = system.inputs();
    let of = options.of.clone().unwrap_or_else(|| system.output().to_string());
    if system.get(&of).is_none() {
        return Err(CheckError::Usage(format!("'{of}' is not defined in the system")));
    }
    if options.wrt.is_empty() {
        return Err(CheckError::Usage(
            "name the variable to differentiate with --wrt".into(),
        ));
    }
    for w in &options.wrt {
        if !inputs.contains(w) {
            return Err(CheckError::Usage(format!(
                "--wrt {w}: '{w}' is not an input of the system (inputs: {})",
                if inputs.is_empty() {
                    "none".to_string()
                } else {
                    inputs.join(", ")
                }
            )));
        }
    }
    if claims.len() != options.wrt.len() {
        return Err(CheckError::Usage(format!(
            "{} variable(s) in --wrt need as many --claim, got {}",
            options.wrt.len(),
            claims.len()
        )));
    }
    if options.order == 0 {
        return Err(CheckError::Usage("--order must be at least 1".into()));
    }
    let mut points = default_points(&inputs);
    for p in &options.at {
        for input in &inputs {
            if !p.iter().any(|(n, _)| n == input) {
                return Err(CheckError::Usage(format!(
                    "--at gives no value for the input '{input}'"
                )));
            }
        }
        points.push(p.clone());
    }
    system.order().map_err(CheckError::System)?;

    let mut reports = Vec::new();
    for (wrt, claim_src) in options.wrt.iter().zip(claims) {
        let claim = parse(claim_src).map_err(|e| CheckError::Claim(claim_src.clone(), e))?;
        let mut report = ClaimReport {
            derivative: name_derivative(&of, wrt, options.order),
            claim: claim.to_string(),
            checked: 0,
            skipped: 0,
            counterexample: None,
            polynomial: None,
        };
        for p in &points {
            let engine = derivative_at(system, &of, wrt, options.order, p).map_err(CheckError::System)?;
            let value = claim_at(system, &claim, p).map_err(|e| CheckError::Claim(claim_src.clone(), e))?;
            if !engine.is_finite() {
                report.skipped += 1;
                continue;
            }
            report.checked += 1;
            let diff = value - engine;
            let within = diff.abs() <= options.atol + options.rtol * engine.abs();
            if !within && report.counterexample.is_none() {
                report.counterexample = Some(Counterexample {
                    point: p.clone(),
                    claim: value,
                    engine,
                    difference: diff,
                });
            }
        }
        if inputs.len() == 1 {
            report.polynomial = Some(recover_polynomial(system, &of, wrt, options.order, &points)?);
        }
        reports.push(report);
    }
    Ok(reports)
}

/// Taylor coefficients of the derivative at 0 from the engine's higher derivatives, kept if
/// the polynomial matches the derivative at every check point.
fn recover_polynomial(
    system: &System,
    of: &str,
    wrt: &str,
    order: usize,
    points: &[Vec<(String, f64)>],
) -> Result<Polynomial, CheckError> {
    let zero = vec![(wrt.to_string(), 0.0)];
    let mut coefficients = Vec::with_capacity(MAX_DEGREE + 1);
    let mut factorial = 1.0;
    for k in 0..=MAX_DEGREE {
        if k > 0 {
            factorial *= k as f64;
        }
        let d = derivative_at(system, of, wrt, order + k, &zero).map_err(CheckError::System)?;
        if !d.is_finite() {
            return Ok(Polynomial::NotLowDegree);
        }
        coefficients.push(tidy(d / factorial));
    }
    while coefficients.len() > 1 && coefficients.last() == Some(&0.0) {
        coefficients.pop();
    }
    for p in points {
        let x = p[0].1;
        let engine = derivative_at(system, of, wrt, order, p).map_err(CheckError::System)?;
        if !engine.is_finite() {
            continue;
        }
        let poly = coefficients.iter().rev().fold(0.0, |acc, &c| acc * x + c);
        let within = (poly - engine).abs() <= 1e-9 * (1.0 + engine.abs());
        if !within {
            return Ok(Polynomial::NotLowDegree);
        }
    }
    Ok(Polynomial::Exact {
        var: wrt.to_string(),
        coefficients,
    })
}

/// Why a check could not run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CheckError {
    /// The system has an error (syntax, cycle, undefined name).
    #[error("in the definitions, {0}")]
    System(ParseError),
    /// A claim has an error.
    #[error("in the claim {0:?}, {1}")]
    Claim(String, ParseError),
    /// The options do not fit the system.
    #[error("{0}")]
    Usage(String),
}
