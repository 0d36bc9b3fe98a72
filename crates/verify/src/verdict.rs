//! Verdicts on a note's claims, and how numbers are judged against the rounding the note used.

use crate::expr::parse;
use crate::system::eval;
use autograd::{grad, Tape, Var};
use std::collections::HashMap;
use std::fmt;

/// What the engine found about one claim.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The claim is right (exactly, or to every digit the note printed).
    Holds,
    /// Right up to the rounding of the intermediate values the note itself used.
    HoldsWithinRounding,
    /// Right for some entries or inputs and wrong for others (the detail says which).
    HoldsPartly,
    /// Wrong (the detail says by how much and what is right).
    DoesNotHold,
}

impl Verdict {
    /// A short label: `holds`, `holds within rounding`, `holds partly`, `does not hold`.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::HoldsWithinRounding => "holds within rounding",
            Verdict::HoldsPartly => "holds partly",
            Verdict::DoesNotHold => "does not hold",
        }
    }

    /// Whether the claim counts as held in the summary (fully or within rounding).
    pub fn held(&self) -> bool {
        matches!(self, Verdict::Holds | Verdict::HoldsWithinRounding)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A count with its noun, singular for one: `1 point`, `2 points`, `0 points`.
///
/// ```
/// use chainrule::verify::verdict::plural;
/// assert_eq!(plural(1, "point"), "1 point");
/// assert_eq!(plural(19, "point"), "19 points");
/// assert_eq!(plural(0, "path"), "0 paths");
/// ```
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A number as the note prints it: its value and how many decimals it shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Printed {
    /// The text, as in the note.
    pub text: String,
    /// Its value.
    pub value: f64,
    /// Decimals shown.
    pub decimals: usize,
}

impl Printed {
    /// Reads a number as printed (`-0.196639`, `1.020`, `10`).
    pub fn new(text: &str) -> Self {
        let value = text.parse().unwrap_or(f64::NAN);
        let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
        Self {
            text: text.to_string(),
            value,
            decimals,
        }
    }
}

/// Rounds to `decimals` places.
pub fn round_to(x: f64, decimals: usize) -> f64 {
    let s = 10f64.powi(decimals as i32);
    (x * s).round() / s
}

/// The note's own arithmetic for a number: an expression over given values and over
/// intermediate values the note rounded.
#[derive(Clone, Debug, PartialEq)]
pub struct NoteArithmetic {
    /// The expression, in `check`'s language (e.g. `(y - 2) * a11`).
    pub formula: String,
    /// The values the note used, as printed (e.g. `y = 1.731`), and whether each is a rounded
    /// intermediate (`true`) or an exact given (`false`, like `x1 = 1`).
    pub inputs: Vec<(String, String, bool)>,
}

/// The judgement of one number, with the figures behind it.
#[derive(Clone, Debug, PartialEq)]
pub struct NumberJudgement {
    /// The verdict.
    pub verdict: Verdict,
    /// The engine's exact value.
    pub engine: f64,
    /// The note's arithmetic redone with its own rounded intermediates, if given.
    pub note_arithmetic: Option<f64>,
    /// How far rounding the intermediates can move the result (first-order bound from the
    /// engine's gradient of the note's formula), if the arithmetic was given.
    pub rounding_bound: Option<f64>,
    /// A sentence explaining the verdict.
    pub detail: String,
}

/// Judges a printed number against the engine's exact value:
/// 1. it holds if the exact value rounds to it at the decimals printed;
/// 2. it holds within rounding if it is within the first-order bound of how much rounding the
///    note's intermediates (to the decimals they were printed with) can move the result;
/// 3. otherwise it does not hold, by `note - engine`.
pub fn judge_number(note: &Printed, engine: f64, arithmetic: Option<&NoteArithmetic>) -> NumberJudgement {
    let (redone, bound) = match arithmetic.and_then(|a| redo(a).ok()) {
        Some((v, b)) => (Some(v), Some(b)),
        None => (None, None),
    };
    let diff = note.value - engine;
    let (verdict, detail) = if round_to(engine, note.decimals) == note.value {
        (
            Verdict::Holds,
            format!(
                "the exact value {} rounds to {} at {} decimals",
                fmt(engine),
                note.text,
                note.decimals
            ),
        )
    } else if bound.is_some_and(|b| diff.abs() <= b + 0.5 * 10f64.powi(-(note.decimals as i32))) {
        (
            Verdict::HoldsWithinRounding,
            format!(
                "the exact value is {}; the note's {} differs by {:+.3e}, within what rounding its intermediates allows (+-{:.1e}; its own arithmetic gives {})",
                fmt(engine),
                note.text,
                diff,
                bound.unwrap_or(0.0),
                fmt(redone.unwrap_or(f64::NAN))
            ),
        )
    } else {
        (
            Verdict::DoesNotHold,
            format!(
                "off by {} ({:+.3e}); the right value is {}",
                signed(diff),
                diff,
                fmt(engine)
            ),
        )
    };
    NumberJudgement {
        verdict,
        engine,
        note_arithmetic: redone,
        rounding_bound: bound,
        detail,
    }
}

/// `diff` with its sign and six decimals, as the verdicts print it, or in scientific notation
/// where six decimals would print hundreds of digits or none.
fn signed(diff: f64) -> String {
    if diff != 0.0 && !(1e-6..1e16).contains(&diff.abs()) {
        format!("{diff:+.6e}")
    } else {
        format!("{diff:+.6}")
    }
}

/// Evaluates the note's arithmetic with its rounded inputs, and the first-order bound of the
/// error from rounding each input by half a unit in its last printed place.
fn redo(a: &NoteArithmetic) -> Result<(f64, f64), String> {
    let expr = parse(&a.formula).map_err(|e| e.to_string())?;
    let tape = Tape::<f64>::new();
    let printed: Vec<(String, Printed, bool)> = a
        .inputs
        .iter()
        .map(|(n, t, r)| (n.clone(), Printed::new(t), *r))
        .collect();
    let vars: HashMap<String, Var<'_, f64>> = printed
        .iter()
        .map(|(n, p, _)| (n.clone(), tape.scalar_var(p.value)))
        .collect();
    let y = eval(&expr, &tape, &|n| vars.get(n).copied()).map_err(|e| e.to_string())?;
    let xs: Vec<Var<'_, f64>> = printed.iter().map(|(n, _, _)| vars[n]).collect();
    let gs = grad(y, &xs).map_err(|e| e.to_string())?;
    // Only rounded intermediates contribute: half a unit in their last printed place.
    let bound = gs
        .iter()
        .zip(&printed)
        .filter(|(_, (_, _, rounded))| *rounded)
        .map(|(g, (_, p, _))| g.item().abs() * 0.5 * 10f64.powi(-(p.decimals as i32)))
        .sum();
    Ok((y.item(), bound))
}

/// Formats a value with up to 10 significant decimals, trimmed; in scientific notation with
/// up to 10 significant digits from 1e16 up and below 1e-5 (never 300 digits, never a tiny
/// value shown as 0).
///
/// ```
/// use chainrule::verify::verdict::fmt;
/// assert_eq!(fmt(0.1966119332), "0.1966119332");
/// assert_eq!(fmt(-378.0), "-378");
/// assert_eq!(fmt(1e10), "10000000000");
/// assert_eq!(fmt(-6e300), "-6e300");
/// assert_eq!(fmt(1.5e-12), "1.5e-12");
/// assert_eq!(fmt(0.0), "0");
/// ```
pub fn fmt(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if x != 0.0 && !(1e-5..1e16).contains(&x.abs()) {
        let s = format!("{x:.9e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        return format!(
            "{}e{exponent}",
            mantissa.trim_end_matches('0').trim_end_matches('.')
        );
    }
    // Ten significant digits at most (and at most ten decimals), trailing zeros trimmed.
    let int_digits = if x.abs() >= 1.0 {
        x.abs().log10().floor() as usize + 1
    } else {
        0
    };
    let s = format!("{x:.*}", 10usize.saturating_sub(int_digits));
    // Only a fraction's zeros: 1e10 has no decimals, and its zeros are digits.
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}
