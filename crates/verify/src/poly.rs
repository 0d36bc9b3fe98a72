//! Recovering the engine's derivative as a polynomial in one variable, and proving it: a
//! candidate interpolated from the derivative's values at a few integer nodes must equal the
//! engine's derivative, to within a few units in the last place of its terms, at every other
//! sampled point, from 0.1 out to 10^6. Anything less is "approximately" or "not a polynomial".

use crate::check::CheckError;
use std::fmt;

/// The highest degree recovered.
pub const MAX_DEGREE: usize = 8;

/// How far (in units of `f64::EPSILON` times `sum |c_k| |x|^k`) the engine may be from a
/// polynomial at a sampled point for the polynomial to count as exact: the rounding of a
/// few dozen operations, far below any coefficient that matters (`x + 1e-13 sin(x)` is caught).
pub const EXACT_ULPS: f64 = 64.0;

/// The interpolation nodes, in the order they are used: degree `d` uses the first `d + 1`.
/// Integers, so that a polynomial with integer coefficients has exact values there.
const NODES: [f64; MAX_DEGREE + 1] = [0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 4.0, -4.0];

/// Points that take no part in the interpolation and try the candidate at every scale: a
/// function that only looks polynomial near 0 (`1000 tanh(x/1000)`) shows itself far out.
const FRESH: [f64; 16] = [
    0.37,
    -0.81,
    1.29,
    -2.6,
    7.0,
    -9.5,
    13.0,
    -29.0,
    57.25,
    -101.0,
    1000.0,
    -3003.0,
    10007.0,
    -100_000.0,
    999_983.0,
    -1_000_000.0,
];

/// Within this relative distance of the engine on the nodes' range (`|x| <= 4`), a candidate
/// that is not exact is reported as an approximation.
const APPROXIMATE_RTOL: f64 = 1e-9;

/// The outcome of recovering a polynomial.
#[derive(Clone, Debug, PartialEq)]
pub enum Polynomial {
    /// The derivative equals this polynomial (coefficients of `x^0, x^1, ...`) to within
    /// [`EXACT_ULPS`] units in the last place of its terms at every sampled point.
    Exact {
        /// The variable.
        var: String,
        /// Coefficients, lowest degree first.
        coefficients: Vec<f64>,
    },
    /// Not exactly a polynomial of degree at most [`MAX_DEGREE`], but this one is within a
    /// relative 1e-9 of it for `|x| <= 4` (a near-polynomial such as `1000 tanh(x/1000)`).
    Approximate {
        /// The variable.
        var: String,
        /// Coefficients, lowest degree first.
        coefficients: Vec<f64>,
    },
    /// No polynomial of degree at most [`MAX_DEGREE`] matches the derivative (or it is not
    /// finite somewhere it was sampled).
    NotLowDegree,
}

impl fmt::Display for Polynomial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Polynomial::Exact { var, coefficients } => write!(f, "{}", format_polynomial(coefficients, var)),
            Polynomial::Approximate { var, coefficients } => write!(
                f,
                "approximately {} for |{var}| <= 4 (not exactly a polynomial of degree <= {MAX_DEGREE})",
                format_polynomial(coefficients, var)
            ),
            Polynomial::NotLowDegree => write!(f, "not a polynomial of degree <= {MAX_DEGREE}"),
        }
    }
}

/// A coefficient as a person writes it: integers in full, other values with the fewest
/// significant digits (at most 17) that stay within 4 units in the last place, positional
/// from 1e-4 to 1e15 and in scientific notation outside (`5e-324`, never `0`).
fn fmt_coef(c: f64) -> String {
    if c == c.trunc() && c.abs() < 1e15 {
        return format!("{}", c as i64);
    }
    let close = |s: &str| {
        s.parse::<f64>()
            .is_ok_and(|v| (v - c).abs() <= 4.0 * f64::EPSILON * c.abs())
    };
    let sci = (0..17)
        .map(|p| format!("{c:.p$e}"))
        .find(|s| close(s))
        .unwrap_or_else(|| format!("{c:e}"));
    if (1e-4..1e15).contains(&c.abs()) {
        // The same digits, positional.
        let v: f64 = sci.parse().unwrap_or(c);
        format!("{v}")
    } else {
        let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.')
        } else {
            mantissa
        };
        format!("{mantissa}e{exponent}")
    }
}

/// Prints `c0 + c1 x + c2 x^2 + ...` highest degree first, as a person writes it:
/// `192x^2 + 416x + 176`, `-8x`, `x^3 - 1`, `0`.
///
/// ```
/// assert_eq!(chainrule::verify::check::format_polynomial(&[176.0, 416.0, 192.0], "x"), "192x^2 + 416x + 176");
/// assert_eq!(chainrule::verify::check::format_polynomial(&[-1.0, 0.0, 0.0, 1.0], "t"), "t^3 - 1");
/// assert_eq!(chainrule::verify::check::format_polynomial(&[0.0, -0.5], "x"), "-0.5x");
/// assert_eq!(chainrule::verify::check::format_polynomial(&[5e-324], "x"), "5e-324");
/// ```
pub fn format_polynomial(coefficients: &[f64], var: &str) -> String {
    let mut out = String::new();
    for (k, &c) in coefficients.iter().enumerate().rev() {
        if c == 0.0 {
            continue;
        }
        let mag = c.abs();
        if out.is_empty() {
            if c < 0.0 {
                out.push('-');
            }
        } else {
            out.push_str(if c < 0.0 { " - " } else { " + " });
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

/// The polynomial through `(nodes[i], values[i])` (Newton's divided differences), as
/// coefficients lowest degree first.
pub(crate) fn interpolate(nodes: &[f64], values: &[f64]) -> Vec<f64> {
    let n = nodes.len();
    let mut newton = values.to_vec();
    for j in 1..n {
        for i in (j..n).rev() {
            newton[i] = (newton[i] - newton[i - 1]) / (nodes[i] - nodes[i - j]);
        }
    }
    // Horner on the Newton form: poly = poly * (x - nodes[i]) + newton[i].
    let mut poly = vec![0.0; n];
    for i in (0..n).rev() {
        for k in (0..n).rev() {
            let shifted = if k > 0 { poly[k - 1] } else { 0.0 };
            poly[k] = shifted - nodes[i] * poly[k];
        }
        poly[0] += newton[i];
    }
    poly
}

/// `p(x)` and `sum |c_k| |x|^k` (the size of its terms, which scales its rounding).
fn evaluate(c: &[f64], x: f64) -> (f64, f64) {
    c.iter()
        .rev()
        .fold((0.0, 0.0), |(p, s), &a| (p * x + a, s * x.abs() + a.abs()))
}

/// Whether `c` equals the engine to within [`EXACT_ULPS`] at every sample, and every nonzero
/// coefficient matters somewhere (a coefficient whose term stays below that noise at every
/// sample cannot be told from 0 and is refused, not rounded).
fn proven(c: &[f64], samples: &[(f64, f64)]) -> bool {
    let mut matters = vec![false; c.len()];
    for &(x, engine) in samples {
        if !engine.is_finite() {
            return false;
        }
        let (p, size) = evaluate(c, x);
        let tol = EXACT_ULPS * f64::EPSILON * size;
        if (p - engine).abs() > tol || !p.is_finite() {
            return false;
        }
        for (k, &a) in c.iter().enumerate() {
            matters[k] |= (a * x.powi(k as i32)).abs() > tol;
        }
    }
    c.iter().zip(&matters).all(|(&a, &m)| a == 0.0 || m)
}

/// Denominators tried when snapping coefficients: interpolation divides by the nodes'
/// distances, so even `x^2/2` or `x^3/3` comes back a few units in the last place off.
const DENOMINATORS: [f64; 12] = [1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0, 64.0, 120.0];

/// Candidates from one interpolant: coefficients within 1e-6 (relative) of a multiple of
/// `1/q` snapped to it, for each denominator `q`; then those tiny next to the others set to
/// 0; then the interpolant as it is. Candidates only: [`proven`] accepts or refuses each.
fn candidates(raw: &[f64]) -> Vec<Vec<f64>> {
    let snap = |q: f64| -> Vec<f64> {
        raw.iter()
            .map(|&a| {
                let r = (a * q).round();
                if (a * q - r).abs() <= 1e-6 * r.abs().max(1.0) {
                    r / q
                } else {
                    a
                }
            })
            .collect()
    };
    let scale = raw
        .iter()
        .enumerate()
        .map(|(k, a)| a.abs() * 4f64.powi(k as i32))
        .fold(0.0, f64::max);
    let zeroed: Vec<f64> = raw
        .iter()
        .enumerate()
        .map(|(k, &a)| {
            if a.abs() * 4f64.powi(k as i32) <= 1e-9 * scale {
                0.0
            } else {
                a
            }
        })
        .collect();
    let mut out: Vec<Vec<f64>> = DENOMINATORS.iter().map(|&q| snap(q)).collect();
    out.push(zeroed);
    out.push(raw.to_vec());
    out.dedup();
    out
}

fn trimmed(mut c: Vec<f64>) -> Vec<f64> {
    while c.len() > 1 && c.last() == Some(&0.0) {
        c.pop();
    }
    c
}

/// Recovers the derivative of `var` as a polynomial from its values: `known` are values
/// already computed (`(x, derivative)`), and `engine` computes it anywhere else.
pub(crate) fn recover(
    var: &str,
    known: &[(f64, f64)],
    engine: &mut dyn FnMut(f64) -> Result<f64, CheckError>,
) -> Result<Polynomial, CheckError> {
    let mut samples: Vec<(f64, f64)> = known.to_vec();
    for x in NODES.iter().chain(&FRESH) {
        if !samples.iter().any(|s| s.0 == *x) {
            samples.push((*x, engine(*x)?));
        }
    }
    let value = |x: f64| samples.iter().find(|s| s.0 == x).map_or(f64::NAN, |s| s.1);
    let values: Vec<f64> = NODES.iter().map(|&x| value(x)).collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Ok(Polynomial::NotLowDegree);
    }
    let interpolants: Vec<Vec<f64>> = (0..=MAX_DEGREE)
        .map(|d| interpolate(&NODES[..=d], &values[..=d]))
        .collect();
    for raw in &interpolants {
        for c in &candidates(raw) {
            if proven(c, &samples) {
                return Ok(Polynomial::Exact {
                    var: var.to_string(),
                    coefficients: trimmed(c.clone()),
                });
            }
        }
    }
    let near = |c: &[f64]| {
        samples.iter().filter(|s| s.0.abs() <= 4.0).all(|&(x, e)| {
            e.is_finite() && (evaluate(c, x).0 - e).abs() <= APPROXIMATE_RTOL * (1.0 + e.abs())
        })
    };
    Ok(match interpolants.into_iter().find(|c| near(c)) {
        Some(c) => Polynomial::Approximate {
            var: var.to_string(),
            coefficients: trimmed(c),
        },
        None => Polynomial::NotLowDegree,
    })
}
