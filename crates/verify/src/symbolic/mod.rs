//! Symbolic derivatives: what `chainrule check` prints without `--claim`.
//!
//! A system's expressions become trees ([`Formula`]), differentiated by one rule per function
//! of the language and kept simplified as they are built: constants folded, 0 terms and 1
//! factors dropped, like terms and like factors collected, polynomials multiplied out. The
//! chain rule is written out path by path with each local derivative, and the derivative is
//! given in the inputs and in the intermediate names. Every result is compared with the
//! engine before it is returned ([`derive()`]): a symbolic result the engine does not confirm
//! is an error ([`DeriveError::Disagrees`]), never an answer.
//!
//! ```
//! use chainrule::verify::symbolic::Formula;
//!
//! let d = Formula::parse("sigmoid(x)").unwrap().derivative("x").unwrap();
//! assert_eq!(d.to_string(), "sigmoid(x)*(1 - sigmoid(x))");
//! assert_eq!(d.eval(&[("x".into(), 0.0)]), 0.25);
//! ```

mod chain;
mod diff;
mod print;
mod report;
mod simplify;
mod tree;

pub use chain::{Chain, Local};
pub use diff::{MAX_DEPTH, MAX_NODES};
pub use report::{derive, Derivation, DeriveError};

use crate::expr::{parse, Expr, ParseError};
use std::fmt;
use tree::Sym;

/// Why a symbolic derivative was not built: it would pass a bound.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TooLarge {
    /// More than [`MAX_NODES`] nodes built.
    #[error("the symbolic derivative would need more than {limit} nodes (expressions can grow quickly with the order and with nested products); use a lower --order, or check a claim with --claim")]
    Nodes {
        /// [`MAX_NODES`].
        limit: usize,
    },
    /// Nested deeper than [`MAX_DEPTH`] levels.
    #[error("the expression in the inputs would nest more than {limit} levels deep (a long chain of definitions); check a claim with --claim instead")]
    Depth {
        /// [`MAX_DEPTH`].
        limit: usize,
    },
}

/// An expression in symbolic form, simplified.
#[derive(Clone, Debug, PartialEq)]
pub struct Formula {
    sym: Sym,
}

impl Formula {
    /// The formula of a parsed expression, simplified.
    ///
    /// ```
    /// use chainrule::verify::{expr::parse, symbolic::Formula};
    ///
    /// let f = Formula::from_expr(&parse("-8*(2 - 4*x) + 12*(4 + 4*x)^2").unwrap());
    /// assert_eq!(f.to_string(), "192*x^2 + 416*x + 176");
    /// ```
    pub fn from_expr(e: &Expr) -> Self {
        Self {
            sym: tree::from_expr(e, &|_| false),
        }
    }

    /// Parses and simplifies an expression of `check`'s language.
    ///
    /// ```
    /// use chainrule::verify::symbolic::Formula;
    ///
    /// assert_eq!(Formula::parse("x*x + 3*x - x").unwrap().to_string(), "x^2 + 2*x");
    /// assert!(Formula::parse("x +").is_err());
    /// ```
    pub fn parse(src: &str) -> Result<Self, ParseError> {
        Ok(Self::from_expr(&parse(src)?))
    }

    /// The derivative in `wrt` (every other name is a constant), simplified.
    ///
    /// ```
    /// use chainrule::verify::symbolic::Formula;
    ///
    /// let t = Formula::parse("tanh(x)").unwrap();
    /// assert_eq!(t.derivative("x").unwrap().to_string(), "1 - tanh(x)^2");
    /// let q = Formula::parse("x^2*y").unwrap();
    /// assert_eq!(q.derivative("y").unwrap().to_string(), "x^2");
    /// ```
    pub fn derivative(&self, wrt: &str) -> Result<Self, TooLarge> {
        let budget = diff::Budget::new();
        let d = diff::diff(&self.sym, wrt, &budget)?;
        Ok(Self {
            sym: budget.admit(d)?,
        })
    }

    /// The value with the names given (a name not given is NaN), computed with the engine's
    /// formulas for each function.
    ///
    /// ```
    /// use chainrule::verify::symbolic::Formula;
    ///
    /// let f = Formula::parse("x^2*y + 1").unwrap();
    /// assert_eq!(f.eval(&[("x".into(), 3.0), ("y".into(), 2.0)]), 19.0);
    /// ```
    pub fn eval(&self, values: &[(String, f64)]) -> f64 {
        self.evaluate(values).0
    }

    /// The value as [`eval`](Formula::eval) with the size of the terms it adds up (about
    /// `sum |c_k x^k|` for a polynomial: its rounding is relative to them, not to the value,
    /// and a power counts how it magnifies its base's rounding), or `None`
    /// where the value need not be the engine's though the formula is right: where a part
    /// overflows (`exp(x^6)^2` at `x = 3`, which the engine's order of operations may keep
    /// finite), and where a power with a non-constant exponent has a base of at most 0 or a
    /// whole exponent of at most 0 (there the engine, as PyTorch, defines the derivative's
    /// terms of `a^b` as 0: `d/da` where `b = 0`, `d/db` where `a = 0`; derivatives have the
    /// powers `a^(b - 1)`, `a^(b - 2)`).
    ///
    /// ```
    /// use chainrule::verify::symbolic::Formula;
    ///
    /// let p = Formula::parse("2*x - 2").unwrap();
    /// assert_eq!(p.eval_checked(&[("x".into(), 1.0)]), Some((0.0, 4.0))); // |2| + |-2|
    /// let d = Formula::parse("x^y").unwrap().derivative("y").unwrap(); // ln(x)*x^y
    /// assert_eq!(d.eval_checked(&[("x".into(), 0.0), ("y".into(), 2.0)]), None);
    /// ```
    pub fn eval_checked(&self, values: &[(String, f64)]) -> Option<(f64, f64)> {
        let (v, size, unsure) = self.evaluate(values);
        (!unsure).then_some((v, size))
    }

    fn evaluate(&self, values: &[(String, f64)]) -> (f64, f64, bool) {
        let lookup = |n: &str| values.iter().find(|(m, _)| m == n).map_or(f64::NAN, |v| v.1);
        self.sym.eval(&lookup)
    }

    /// The number of nodes of the tree.
    ///
    /// ```
    /// use chainrule::verify::symbolic::Formula;
    ///
    /// assert_eq!(Formula::parse("2*x + 1").unwrap().size(), 5); // +(*(2, x), 1)
    /// ```
    pub fn size(&self) -> usize {
        self.sym.size()
    }
}

/// Prints as a student writes it: `192*x^2 + 416*x + 176`, `1/(2*sqrt(x))`. Terms are ordered
/// by falling degree in the names; the derivatives of `abs` and `relu` print as `sign(x)` and
/// `step(x)` (1 for x > 0, else 0), functions outside the language.
impl fmt::Display for Formula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.sym.names().into_iter().map(str::to_string).collect();
        f.write_str(&print::print(&self.sym, &names))
    }
}
