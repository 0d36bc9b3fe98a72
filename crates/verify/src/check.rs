//! `chainrule check`: compare a hand-derived derivative with the engine's at many points, and
//! recover the derivative exactly when it is a polynomial in one variable.

use crate::expr::{parse, Expr, ParseError};
use crate::system::{eval, OutputError, System};
use crate::verdict::{fmt, plural};
use autograd::{grad, Tape, Var};
use std::collections::HashMap;

pub use crate::poly::{format_polynomial, Polynomial, EXACT_ULPS, MAX_DEGREE};

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
    /// Points where the engine's value or derivative is not finite (outside a function's
    /// domain, a pole): the derivative is undefined there, so nothing is compared, and such a
    /// point never counts as agreeing.
    pub undefined: Vec<Vec<(String, f64)>>,
    /// The first point of disagreement, if any.
    pub counterexample: Option<Counterexample>,
    /// The engine's derivative as a polynomial in the one input (exact, approximate, or none
    /// of degree at most [`MAX_DEGREE`]); `None` when there are several inputs.
    pub polynomial: Option<Polynomial>,
}

impl ClaimReport {
    /// Whether the claim agreed at every checked point (and at least one was checked).
    pub fn agrees(&self) -> bool {
        self.counterexample.is_none() && self.checked > 0
    }

    /// The report as text: "agrees at N points" or the first counterexample, the points where
    /// the derivative is undefined, then the exact polynomial when there is one.
    pub fn to_text(&self) -> String {
        let mut s = format!("{} = {}\n", self.derivative, self.claim);
        match &self.counterexample {
            None if self.checked > 0 => {
                s.push_str(&format!("  agrees at {}\n", plural(self.checked, "point")))
            }
            None => s.push_str("  no point where the derivative is defined was found\n"),
            Some(c) => s.push_str(&format!(
                "  does not agree: at {}: claim {}, engine {}, difference {}\n",
                show_point(&c.point),
                fmt(c.claim),
                fmt(c.engine),
                fmt(c.difference)
            )),
        }
        if !self.undefined.is_empty() {
            let listed: Vec<String> = self
                .undefined
                .iter()
                .take(MAX_LISTED_UNDEFINED)
                .map(|p| show_point(p))
                .collect();
            let more = self.undefined.len() - listed.len();
            s.push_str(&format!(
                "  undefined at {}{} ({}: the engine's value or derivative is not finite there)\n",
                listed.join("; "),
                if more > 0 {
                    format!("; and {}", plural(more, "more point"))
                } else {
                    String::new()
                },
                plural(self.undefined.len(), "point")
            ));
        }
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
            "undefined": self.undefined.iter().map(|p| point_json(p)).collect::<Vec<_>>(),
            "counterexample": self.counterexample.as_ref().map(|c| serde_json::json!({
                "point": point_json(&c.point),
                "claim": c.claim,
                "engine": c.engine,
                "difference": c.difference,
            })),
            "polynomial": match &self.polynomial {
                Some(Polynomial::Exact { var, coefficients }) => serde_json::json!({
                    "text": format_polynomial(coefficients, var),
                    "variable": var,
                    "coefficients": coefficients,
                    "exact": true,
                }),
                Some(Polynomial::Approximate { var, coefficients }) => serde_json::json!({
                    "text": format_polynomial(coefficients, var),
                    "variable": var,
                    "coefficients": coefficients,
                    "exact": false,
                }),
                Some(Polynomial::NotLowDegree) => serde_json::json!("not a polynomial of low degree"),
                None => serde_json::Value::Null,
            },
        })
    }
}

/// At most this many points where a derivative is undefined are listed in the text report
/// (all of them are in the JSON and counted).
pub const MAX_LISTED_UNDEFINED: usize = 8;

/// `x = 1, y = -0.5`.
fn show_point(p: &[(String, f64)]) -> String {
    p.iter()
        .map(|(n, v)| format!("{n} = {}", fmt(*v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `{"x": 1, "y": -0.5}`.
fn point_json(p: &[(String, f64)]) -> serde_json::Value {
    p.iter()
        .map(|(n, v)| (n.clone(), serde_json::json!(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// The most nodes the recorded graph of a derivative may reach (about 170 MB of tape). Higher
/// derivatives of nested expressions grow about three times per order (`tanh(tanh(tanh(x)))`
/// has 257,000 nodes at order 10); a derivative that could pass this is refused.
pub const MAX_GRAPH_NODES: usize = 2_000_000;

/// The most nodes one backward sweep records per node already on the tape (each op's rule
/// records a handful; `crates/verify/tests/check_bounds.rs` measures it on generated
/// expressions). An order is only started when even this growth stays under the limit.
pub const GRAPH_GROWTH: usize = 8;

/// Why a derivative of a high order was not computed: the size its graph had reached.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "--order {order}: the graph of the order-{reached} derivative already has {nodes} nodes, and order {next} could pass the limit of {limit} nodes (higher derivatives of nested expressions grow about 3 times per order); use a lower --order",
    next = reached + 1,
    limit = MAX_GRAPH_NODES
)]
pub struct GraphTooLarge {
    /// The order asked for.
    pub order: usize,
    /// The highest order computed.
    pub reached: usize,
    /// The nodes on the tape then.
    pub nodes: usize,
}

/// Differentiates `d` with respect to each of `xs` in turn (`[x, x]`: the second derivative in
/// x; `[x, y]`: a mixed partial) on `tape`, refusing a step that could take the graph past
/// [`MAX_GRAPH_NODES`]. `order` is the order asked for, for the error.
fn nth_derivative<'t>(
    tape: &'t Tape<f64>,
    mut d: Var<'t, f64>,
    xs: &[Var<'t, f64>],
    order: usize,
) -> Result<Var<'t, f64>, GraphTooLarge> {
    for (reached, x) in xs.iter().enumerate() {
        if tape.len().saturating_mul(GRAPH_GROWTH) > MAX_GRAPH_NODES {
            return Err(GraphTooLarge {
                order,
                reached,
                nodes: tape.len(),
            });
        }
        d = grad(d, &[*x]).expect("scalar values on one tape")[0];
    }
    Ok(d)
}

/// The engine's value of `of` and its derivative, errors kept apart: the definitions'
/// ([`CheckError::System`]) and the graph's size ([`CheckError::TooLarge`]).
fn engine_at(
    system: &System,
    of: &str,
    wrt: &str,
    order: usize,
    point: &[(String, f64)],
) -> Result<(f64, f64), CheckError> {
    let (value, derivative, _) = partial_at(system, of, &vec![wrt.to_string(); order], point, false)?;
    Ok((value, derivative))
}

/// The engine's value of `of` and its partial derivative with respect to each of `wrt` in
/// turn, at `point`; with `scale`, also the sum of the finite magnitudes of the values it was computed from
/// (its rounding error grows with them, not with the result: reverse mode adds cotangents
/// that cancel).
pub(crate) fn partial_at(
    system: &System,
    of: &str,
    wrt: &[String],
    point: &[(String, f64)],
    scale: bool,
) -> Result<(f64, f64, f64), CheckError> {
    let tape = Tape::<f64>::new();
    let inputs: HashMap<String, Var<'_, f64>> = point
        .iter()
        .map(|(n, v)| (n.clone(), tape.scalar_var(*v)))
        .collect();
    let system_error = |message: String| CheckError::System(ParseError { column: 0, message });
    let env = system.build(&tape, &inputs).map_err(CheckError::System)?;
    let d = *env
        .get(of)
        .ok_or_else(|| system_error(format!("'{of}' is not defined")))?;
    let xs = wrt
        .iter()
        .map(|w| {
            inputs
                .get(w)
                .copied()
                .ok_or_else(|| system_error(format!("no value for '{w}' in the point")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let value = d.item();
    let d = nth_derivative(&tape, d, &xs, wrt.len())?;
    let mut total = 0.0f64;
    if scale {
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![d];
        while let Some(v) = stack.pop() {
            if seen.insert(v.index()) {
                let x = v.item().abs();
                if x.is_finite() {
                    total += x;
                }
                stack.extend(v.inputs());
            }
        }
    }
    Ok((value, d.item(), total))
}

/// The engine's derivative of `of` with respect to `wrt`, `order` times, at `point`. A graph
/// that would pass [`MAX_GRAPH_NODES`] is an error too (at column 0, naming the order).
///
/// ```
/// let s = chainrule::verify::System::parse("y = x^3").unwrap();
/// let d2 = chainrule::verify::check::derivative_at(&s, "y", "x", 2, &[("x".into(), 2.0)]).unwrap();
/// assert_eq!(d2, 12.0);
/// ```
pub fn derivative_at(
    system: &System,
    of: &str,
    wrt: &str,
    order: usize,
    point: &[(String, f64)],
) -> Result<f64, ParseError> {
    engine_at(system, of, wrt, order, point)
        .map(|(_, d)| d)
        .map_err(|e| match e {
            CheckError::System(e) => e,
            other => ParseError {
                column: 0,
                message: other.to_string(),
            },
        })
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

pub(crate) fn name_derivative(of: &str, wrt: &str, order: usize) -> String {
    if order == 1 {
        format!("d{of}/d{wrt}")
    } else {
        format!("d^{order}{of}/d{wrt}^{order}")
    }
}

/// What a check or a derivation works on, once the options are validated against the system.
pub(crate) struct Prepared {
    /// The name differentiated.
    pub(crate) of: String,
    /// The system's inputs.
    pub(crate) inputs: Vec<String>,
    /// The points: the defaults, then every `--at`.
    pub(crate) points: Vec<Vec<(String, f64)>>,
}

/// Validates `options` against `system` (a cycle first, then `of`, `wrt`, the order and every
/// `--at` point) and lists the points to compare at.
pub(crate) fn prepare(system: &System, options: &CheckOptions) -> Result<Prepared, CheckError> {
    // A cycle first: with one, no name is an input and any other message would mislead.
    system.order().map_err(CheckError::System)?;
    let inputs = system.inputs();
    let of = system.output_or(options.of.as_deref())?;
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
        // One value per input: a second one, or a name the system does not use, is a
        // mistake that would otherwise be read silently.
        for (i, (n, _)) in p.iter().enumerate() {
            if !inputs.contains(n) {
                return Err(CheckError::Usage(format!(
                    "--at {n}=...: '{n}' is not an input of the system (inputs: {})",
                    inputs.join(", ")
                )));
            }
            if p[..i].iter().any(|(m, _)| m == n) {
                return Err(CheckError::Usage(format!("--at gives '{n}' twice in one point")));
            }
        }
        points.push(p.clone());
    }
    Ok(Prepared { of, inputs, points })
}

/// Checks one claim per variable in `options.wrt`. Claims may use the system's intermediate
/// names. Errors (with a column into the claim or the system) for anything undefined.
pub fn check(
    system: &System,
    claims: &[String],
    options: &CheckOptions,
) -> Result<Vec<ClaimReport>, CheckError> {
    let Prepared { of, inputs, points } = prepare(system, options)?;
    if claims.len() != options.wrt.len() {
        return Err(CheckError::Usage(format!(
            "{} variable(s) in --wrt need as many --claim, got {}",
            options.wrt.len(),
            claims.len()
        )));
    }

    let mut reports = Vec::new();
    for (wrt, claim_src) in options.wrt.iter().zip(claims) {
        let claim = parse(claim_src).map_err(|e| CheckError::Claim(claim_src.clone(), e))?;
        let mut report = ClaimReport {
            derivative: name_derivative(&of, wrt, options.order),
            claim: claim.to_string(),
            checked: 0,
            undefined: Vec::new(),
            counterexample: None,
            polynomial: None,
        };
        // The derivative at each check point, by the variable's value, for the recovery.
        let mut known: Vec<(f64, f64)> = Vec::new();
        for p in &points {
            let (engine_value, engine) = engine_at(system, &of, wrt, options.order, p)?;
            let value = claim_at(system, &claim, p).map_err(|e| CheckError::Claim(claim_src.clone(), e))?;
            if let Some((_, x)) = p.iter().find(|(n, _)| n == wrt) {
                known.push((*x, engine));
            }
            if !engine.is_finite() || !engine_value.is_finite() {
                report.undefined.push(p.clone());
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
            let mut engine =
                |x: f64| engine_at(system, &of, wrt, options.order, &[(wrt.clone(), x)]).map(|(_, d)| d);
            report.polynomial = Some(crate::poly::recover(wrt, &known, &mut engine)?);
        }
        reports.push(report);
    }
    Ok(reports)
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
    /// A derivative's graph would pass [`MAX_GRAPH_NODES`].
    #[error(transparent)]
    TooLarge(#[from] GraphTooLarge),
    /// No `of` was given and the system has no single output, or `of` is not defined.
    #[error(transparent)]
    Output(#[from] OutputError),
}
