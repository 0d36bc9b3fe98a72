//! [`derive()`]: a system's derivatives, written out, simplified and verified by the engine at
//! the check's points before they are returned; the report as text and JSON.

use super::chain::{Chain, Model};
use super::diff::diff;
use super::tree::Sym;
use super::TooLarge;
use crate::check::{name_derivative, partial_at, prepare, CheckError, CheckOptions};
use crate::expr::{BinOp, Expr};
use crate::system::System;
use crate::verdict::fmt;
use autograd::Tape;
use indexmap::IndexMap;
use std::collections::HashMap;

/// One derivative, derived: for a first derivative the chain rule written out, then the
/// result in the intermediate names and in the inputs, and the engine's values.
#[derive(Clone, Debug, PartialEq)]
pub struct Derivation {
    /// `dz/dx`, `d^2z/dx^2`, `d^2f/dxdy`.
    pub derivative: String,
    /// The variables differentiated by, in turn (`[x, y]` for `d^2f/dxdy`).
    pub wrt: Vec<String>,
    /// For a first derivative: the chain rule's paths and local derivatives.
    pub chain: Option<Chain>,
    /// For a higher one: the derivative it differentiates, `d/dx(-8*u + 12*v^2)`.
    pub from: Option<String>,
    /// The result in the intermediate names (as far as they shorten it).
    pub in_names: String,
    /// The result in the inputs.
    pub expression: String,
    /// Points where the engine confirmed both forms.
    pub verified: usize,
    /// Points where the engine's value or derivative is not finite (outside the domain).
    pub undefined: usize,
    /// Points not compared because the formula need not give the engine's value there: a
    /// part of it overflows, or the engine follows its convention for a power with a
    /// non-constant exponent at a zero base or exponent (see [`Formula::eval_checked`]).
    ///
    /// [`Formula::eval_checked`]: super::Formula::eval_checked
    pub conventions: usize,
    /// The engine's value at every `--at` point (NaN where the derivative or the function's
    /// value is not finite: undefined).
    pub values: Vec<(Vec<(String, f64)>, f64)>,
}

/// Why a derivation could not be given.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DeriveError {
    /// The system or the options are wrong, as for a check.
    #[error(transparent)]
    Check(#[from] CheckError),
    /// The symbolic derivative would be too large.
    #[error(transparent)]
    TooLarge(#[from] TooLarge),
    /// The engine's derivative is not finite at any point, so nothing confirms the result.
    #[error("{derivative} is not finite at any of the {points} points, so the engine cannot confirm a symbolic result; give a point inside the domain with --at")]
    NoPoint {
        /// The derivative.
        derivative: String,
        /// The points tried.
        points: usize,
    },
    /// The symbolic result and the engine disagree: a bug in the simplifier or a rule.
    #[error("internal error: the symbolic {derivative} = {expression} gives {symbolic} at {point}, but the engine gives {engine}; this is a bug in chainrule's symbolic differentiation, please report it")]
    Disagrees {
        /// The derivative.
        derivative: String,
        /// The symbolic result that failed.
        expression: String,
        /// Where, as `x = 1, y = 2`.
        point: String,
        /// The symbolic result's value there.
        symbolic: f64,
        /// The engine's.
        engine: f64,
    },
}

/// Each derivative of `options`: every `--wrt` variable at `--order` (with `--order 2` and
/// several variables, every entry of the Hessian, mixed partials included), each verified
/// by the engine at the check's points (the defaults and every `--at`). Errors: as
/// [`check`](crate::check::check) for the system and options; [`DeriveError::Disagrees`] if
/// the engine does not confirm a result.
///
/// ```
/// use chainrule::verify::{check::CheckOptions, symbolic::derive, System};
///
/// let s = System::parse("z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x").unwrap();
/// let opts = CheckOptions { wrt: vec!["x".into()], at: vec![vec![("x".into(), 1.0)]], ..Default::default() };
/// let d = &derive(&s, &opts).unwrap()[0];
/// assert_eq!(d.expression, "192*x^2 + 416*x + 176");
/// assert_eq!(d.in_names, "-8*u + 12*v^2");
/// assert_eq!(d.values[0].1, 784.0);
/// ```
pub fn derive(system: &System, options: &CheckOptions) -> Result<Vec<Derivation>, DeriveError> {
    let prepared = prepare(system, options)?;
    let of = prepared.of.as_str();
    let model = Model::new(system, of)?;
    let in_inputs = model.in_inputs(of)?;
    let forward: Vec<HashMap<String, f64>> = prepared
        .points
        .iter()
        .map(|p| forward_values(system, p))
        .collect::<Result<_, _>>()?;
    let mut firsts: HashMap<&str, IndexMap<String, Sym>> = HashMap::new();
    for w in &options.wrt {
        firsts.insert(w, model.first(w)?);
    }
    let mut out = Vec::new();
    for seq in sequences(&options.wrt, options.order) {
        let first = &firsts[seq[0].as_str()];
        let mut names = first[of].clone();
        let mut inputs = model.budget.admit(diff(&in_inputs, &seq[0], &model.budget)?)?;
        let mut from = None;
        for w in &seq[1..] {
            from = Some(format!(
                "d/d{w}({})",
                shorter(&model.print(&names), &model.print(&inputs))
            ));
            names = model.total(&names, w, &firsts[w.as_str()])?;
            inputs = model.budget.admit(diff(&inputs, w, &model.budget)?)?;
        }
        let derivative = name(of, &seq);
        let mut d = Derivation {
            chain: (seq.len() == 1).then(|| model.chain(of, &seq[0])).transpose()?,
            from,
            in_names: model.print(&names),
            expression: model.print(&inputs),
            verified: 0,
            undefined: 0,
            conventions: 0,
            values: Vec::new(),
            derivative,
            wrt: seq.clone(),
        };
        let extra = prepared.points.len() - options.at.len();
        for (i, (p, env)) in prepared.points.iter().zip(&forward).enumerate() {
            let (_, engine, scale) = partial_at(system, of, &seq, p, true)?;
            let undefined = !engine.is_finite() || !env[of].is_finite();
            if i >= extra {
                d.values
                    .push((p.clone(), if undefined { f64::NAN } else { engine }));
            }
            if undefined {
                d.undefined += 1;
                continue;
            }
            let lookup = |n: &str| env.get(n).copied().unwrap_or(f64::NAN);
            let evaluated = [inputs.eval(&lookup), names.eval(&lookup)];
            if evaluated.iter().any(|e| e.2) || pow_convention(system, env) {
                d.conventions += 1;
                continue;
            }
            for ((v, size, _), text) in evaluated.into_iter().zip([&d.expression, &d.in_names]) {
                // Rounding is relative to the size of the terms a sum adds (`size`), not to
                // the sum: a polynomial multiplied out cancels where the engine's form does
                // not; and the engine's grows with the values it computed from (`scale`, their
                // sum), which the simplified form may have cancelled exactly (`x*d/d`).
                let tol = options.atol + options.rtol * engine.abs() + 1e-9 * size + 1e-10 * scale;
                let within = (v - engine).abs() <= tol;
                if v != engine && !within {
                    return Err(DeriveError::Disagrees {
                        derivative: d.derivative.clone(),
                        expression: text.clone(),
                        point: show_point(p),
                        symbolic: v,
                        engine,
                    });
                }
            }
            d.verified += 1;
        }
        if d.verified == 0 {
            return Err(DeriveError::NoPoint {
                derivative: d.derivative,
                points: prepared.points.len(),
            });
        }
        out.push(d);
    }
    Ok(out)
}

/// The variables of each derivative: `[w; order]` for each `w`, and with order 2 and several
/// variables every pair `[wi, wj]`, `i <= j` (the Hessian's upper triangle, by rows).
fn sequences(wrt: &[String], order: usize) -> Vec<Vec<String>> {
    if order == 2 && wrt.len() > 1 {
        let mut out = Vec::new();
        for (i, a) in wrt.iter().enumerate() {
            for b in &wrt[i..] {
                out.push(vec![a.clone(), b.clone()]);
            }
        }
        return out;
    }
    wrt.iter().map(|w| vec![w.clone(); order]).collect()
}

/// `dz/dx`, `d^2z/dx^2`, or a mixed partial `d^2f/dxdy`.
fn name(of: &str, seq: &[String]) -> String {
    if seq.iter().all(|w| *w == seq[0]) {
        return name_derivative(of, &seq[0], seq.len());
    }
    let by: String = seq.iter().map(|w| format!("d{w}")).collect();
    format!("d^{}{of}/{by}", seq.len())
}

fn shorter<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.len() < b.len() {
        a
    } else {
        b
    }
}

fn show_point(p: &[(String, f64)]) -> String {
    p.iter()
        .map(|(n, v)| format!("{n} = {}", fmt(*v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether a power of the system with a non-constant exponent (the engine's `pow`, whose
/// derivative PyTorch's convention sets to 0 where `b = 0` or `a = 0`) has a base of at most 0
/// or an exponent of 0 at the point whose values `env` holds. The symbolic form may have merged such a power with
/// another (`d1^d2*d1^1.25 = d1^(d2 + 1.25)`), so the definitions as written are searched.
fn pow_convention(system: &System, env: &HashMap<String, f64>) -> bool {
    let tape = Tape::<f64>::new();
    let value = |e: &Expr| {
        crate::system::eval(e, &tape, &|n| env.get(n).map(|v| tape.scalar(*v))).map_or(f64::NAN, |v| v.item())
    };
    system.defs.iter().any(|d| {
        let mut stack = vec![&d.expr];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Bin(BinOp::Pow, a, b) if !matches!(**b, Expr::Num(_)) => {
                    if value(a) <= 0.0 || value(b) == 0.0 {
                        return true;
                    }
                    stack.extend([&**a, &**b]);
                }
                Expr::Bin(_, a, b) => stack.extend([&**a, &**b]),
                Expr::Neg(a) => stack.push(a),
                Expr::Call(_, args) => stack.extend(args),
                Expr::Num(_) | Expr::Name(..) => {}
            }
        }
        false
    })
}

/// The inputs and every defined value at `point`, by the engine's forward pass.
fn forward_values(system: &System, point: &[(String, f64)]) -> Result<HashMap<String, f64>, CheckError> {
    let tape = Tape::<f64>::new();
    let inputs = point.iter().map(|(n, v)| (n.clone(), tape.scalar(*v))).collect();
    let env = system.build(&tape, &inputs).map_err(CheckError::System)?;
    let mut values: HashMap<String, f64> = point.iter().cloned().collect();
    values.extend(env.iter().map(|(n, v)| (n.clone(), v.item())));
    Ok(values)
}

impl Derivation {
    /// The derivation as text: the chain (or what is differentiated), the local derivatives,
    /// the result in the names (where shorter) and in the inputs, the verification, and the
    /// value at each `--at` point.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let lhs = &self.derivative;
        let pad = " ".repeat(lhs.chars().count());
        let mut lines: Vec<String> = Vec::new();
        if let Some(c) = &self.chain {
            let w = &self.wrt[0];
            let paths: Vec<String> = c
                .paths
                .iter()
                .map(|p| {
                    p.iter()
                        .map(|&i| format!("d{}/d{}", c.locals[i].from, c.locals[i].to))
                        .collect::<Vec<_>>()
                        .join("*")
                })
                .collect();
            // A definition of the variable itself: its chain is its one local derivative.
            let direct = c.paths.len() == c.path_count && c.paths.iter().all(|p| p.len() == 1);
            if c.path_count == 0 {
                s.push_str(&format!("{lhs}: no path of definitions leads down to {w}\n"));
            } else if !direct {
                let more = c.path_count - c.paths.len();
                let tail = match more {
                    0 => String::new(),
                    _ if c.path_count == usize::MAX => {
                        format!(" + ... (at least {} paths in all)", usize::MAX)
                    }
                    _ => format!(" + ... ({more} more paths)"),
                };
                s.push_str(&format!("{lhs} = {}{tail}\n", paths.join(" + ")));
                for l in &c.locals {
                    s.push_str(&format!("  d{}/d{} = {}\n", l.from, l.to, l.derivative));
                }
            }
            lines.extend(c.substituted.clone());
        }
        lines.extend(self.from.clone());
        if self.in_names.len() < self.expression.len() {
            lines.push(self.in_names.clone());
        }
        lines.push(self.expression.clone());
        lines.dedup();
        for (i, l) in lines.iter().enumerate() {
            s.push_str(&format!("{} = {l}\n", if i == 0 { lhs } else { &pad }));
        }
        s.push_str(&format!(
            "verified by the engine at {} point{}",
            self.verified,
            if self.verified == 1 { "" } else { "s" }
        ));
        if self.undefined > 0 {
            s.push_str(&format!("; undefined at {} (not finite there)", self.undefined));
        }
        if self.conventions > 0 {
            s.push_str(&format!(
                "; not compared at {} (the formula overflows there, or the engine takes the terms of a^b as 0 where a = 0 or b = 0)",
                self.conventions
            ));
        }
        s.push('\n');
        for (p, v) in &self.values {
            if v.is_finite() {
                s.push_str(&format!("at {}: {}\n", show_point(p), fmt(*v)));
            } else {
                s.push_str(&format!("undefined at {}\n", show_point(p)));
            }
        }
        s
    }

    /// The derivation as JSON: `derivative`, `wrt`, `chain` (`paths`, `path_count`, `locals`,
    /// `substituted`; null beyond the first order), `from`, `in_names`, `expression`,
    /// `verified`, `undefined`, and `at`: one field per `--at` point (`"x=0.5"`), its value at
    /// full precision (null where undefined).
    pub fn to_json(&self) -> serde_json::Value {
        let chain = self.chain.as_ref().map(|c| {
            serde_json::json!({
                "paths": c.paths.iter().map(|p| p.iter().map(|&i| format!("d{}/d{}", c.locals[i].from, c.locals[i].to)).collect::<Vec<_>>().join("*")).collect::<Vec<_>>(),
                "path_count": c.path_count,
                "locals": c.locals.iter().map(|l| serde_json::json!({"from": l.from, "to": l.to, "derivative": l.derivative})).collect::<Vec<_>>(),
                "substituted": c.substituted,
            })
        });
        let at: serde_json::Map<String, serde_json::Value> = self
            .values
            .iter()
            .map(|(p, v)| {
                let key = p
                    .iter()
                    .map(|(n, x)| format!("{n}={x}"))
                    .collect::<Vec<_>>()
                    .join(",");
                (
                    key,
                    if v.is_finite() {
                        serde_json::json!(v)
                    } else {
                        serde_json::Value::Null
                    },
                )
            })
            .collect();
        serde_json::json!({
            "derivative": self.derivative,
            "wrt": self.wrt,
            "chain": chain,
            "from": self.from,
            "in_names": self.in_names,
            "expression": self.expression,
            "verified": self.verified,
            "undefined": self.undefined,
            "conventions": self.conventions,
            "at": at,
        })
    }
}
