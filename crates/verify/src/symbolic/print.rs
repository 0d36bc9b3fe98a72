//! Printing as a student writes: `192*x^2 + 416*x + 176` (terms by falling degree in the
//! inputs, a number before the other terms of its degree: `1 - tanh(x)^2`),
//! `sigmoid(x)*(1 - sigmoid(x))`, `-e1/s^2`, `1/(2*sqrt(x))`. What is printed parses back
//! (with `sign` and `step` the only names the language lacks).

use super::tree::Sym;
use crate::expr::finite_number as fmt_coef;
use std::cmp::Reverse;

/// Prints `s`; `inputs` are the names whose powers order the terms of a sum.
pub(crate) fn print(s: &Sym, inputs: &[String]) -> String {
    match s {
        Sym::Num(v) => fmt_coef(*v),
        Sym::Name(n) | Sym::Def(n) => n.clone(),
        Sym::Call(f, args) => {
            let args: Vec<String> = args.iter().map(|a| print(a, inputs)).collect();
            format!("{}({})", f.name(), args.join(", "))
        }
        Sym::Add(terms) => sum(terms, inputs),
        Sym::Mul(_) | Sym::Pow(..) => product(s, inputs),
    }
}

/// Prints `s` as one factor of a product: in parentheses if it is a sum, negative, or a
/// quotient.
pub(crate) fn factor(s: &Sym, inputs: &[String]) -> String {
    let text = print(s, inputs);
    if matches!(s, Sym::Add(_)) || text.starts_with('-') || text.contains('/') {
        format!("({text})")
    } else {
        text
    }
}

/// Whether a term's coefficient is negative.
fn negative(t: &Sym) -> bool {
    match t {
        Sym::Num(v) => *v < 0.0,
        Sym::Mul(f) => matches!(f[0], Sym::Num(v) if v < 0.0),
        _ => false,
    }
}

/// A term's degree in the inputs.
fn degree(t: &Sym, inputs: &[String]) -> f64 {
    let one = |f: &Sym| match f.base_exponent() {
        (Sym::Name(n), None) if inputs.contains(n) => 1.0,
        (Sym::Name(n), Some(Sym::Num(e))) if inputs.contains(n) && *e >= 0.0 => *e,
        _ => 0.0,
    };
    match t {
        Sym::Mul(f) => f.iter().map(one).sum(),
        t => one(t),
    }
}

fn sum(terms: &[Sym], inputs: &[String]) -> String {
    let mut order: Vec<&Sym> = terms.iter().collect();
    order.sort_by(|a, b| {
        let key = |t: &Sym| (Reverse(degree(t, inputs).to_bits()), !matches!(t, Sym::Num(_)));
        key(a).cmp(&key(b)).then_with(|| a.cmp(b))
    });
    // `-a + b` reads `b - a` (`y - label`, `1 - sigmoid(x)`); `-8*u + 12*v^2` and polynomials
    // in the inputs (by falling degree) stay as they are.
    let polynomial = terms.iter().all(Sym::is_polynomial);
    let minus_one = |t: &Sym| {
        matches!(t, Sym::Num(v) if *v == -1.0)
            || matches!(t, Sym::Mul(f) if matches!(f[0], Sym::Num(v) if v == -1.0))
    };
    let first_positive = order.iter().position(|t| !negative(t));
    if let (true, Some(i)) = (
        !polynomial && order.first().is_some_and(|t| minus_one(t)),
        first_positive,
    ) {
        let t = order.remove(i);
        order.insert(0, t);
    }
    let mut out = String::new();
    for (i, t) in order.into_iter().enumerate() {
        let text = print(t, inputs);
        if i == 0 {
            out.push_str(&text);
        } else if negative(t) {
            out.push_str(" - ");
            out.push_str(text.strip_prefix('-').unwrap_or(&text));
        } else {
            out.push_str(" + ");
            out.push_str(&text);
        }
    }
    out
}

/// Prints a base or an exponent: bare if it is a name, a call or a number that is not
/// negative, else in parentheses.
fn atom(s: &Sym, inputs: &[String]) -> String {
    match s {
        Sym::Name(_) | Sym::Def(_) | Sym::Call(..) => print(s, inputs),
        Sym::Num(v) if *v >= 0.0 => print(s, inputs),
        _ => format!("({})", print(s, inputs)),
    }
}

/// `b^e` with a positive `e` (1 prints as `b`).
fn power(b: &Sym, e: Option<&Sym>, inputs: &[String]) -> String {
    match e {
        None => factor(b, inputs),
        Some(Sym::Num(v)) if *v == 1.0 => factor(b, inputs),
        Some(e) => format!("{}^{}", atom(b, inputs), atom(e, inputs)),
    }
}

/// A product or a power: coefficient, numerator factors, then `/` and the factors with a
/// negative numeric exponent.
fn product(s: &Sym, inputs: &[String]) -> String {
    let factors: Vec<&Sym> = match s {
        Sym::Mul(f) => f.iter().collect(),
        s => vec![s],
    };
    let (mut c, rest) = match factors[0] {
        Sym::Num(c) => (*c, &factors[1..]),
        _ => (1.0, &factors[..]),
    };
    let sign = if c < 0.0 { "-" } else { "" };
    c = c.abs();
    let mut top: Vec<String> = Vec::new();
    let mut bottom: Vec<String> = Vec::new();
    // A coefficient 1/n goes below the line as n: `x/2`, `1/(2*sqrt(x))`.
    let inverse = (1.0 / c).round();
    if c < 1.0 && (2.0..1e15).contains(&inverse) && 1.0 / inverse == c {
        bottom.push(fmt_coef(inverse));
    } else if c != 1.0 {
        top.push(fmt_coef(c));
    }
    for f in rest {
        match f.base_exponent() {
            (b, Some(Sym::Num(e))) if *e < 0.0 => {
                let e = crate::symbolic::simplify::num(-e);
                bottom.push(power(b, Some(&e), inputs));
            }
            (b, e) => top.push(power(b, e, inputs)),
        }
    }
    let numerator = if top.is_empty() {
        "1".to_string()
    } else {
        top.join("*")
    };
    let text = match bottom.len() {
        0 => numerator,
        // One factor binds tighter than `/` as printed (`a/(x + 1)^2`, `a/sqrt(x)`).
        1 => format!("{numerator}/{}", bottom[0]),
        _ => format!("{numerator}/({})", bottom.join("*")),
    };
    format!("{sign}{text}")
}
