//! # verify: checking hand-derived calculus with the engine
//!
//! A [`System`] is a set of definitions `name = expression` (in any order) over inputs; the
//! engine records it on a tape and differentiates it exactly, to any order. [`check::check`]
//! compares a hand-derived derivative with the engine's at many points, and
//! [`check::derivative_at`] gives the engine's value at one point. `chainrule check`, `trace`
//! and `graph` are built on these, and [`notes`] on all of them.
//!
//! ## A system of definitions
//!
//! ```
//! use chainrule::verify::{OutputError, System};
//!
//! let s = System::parse("z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x").unwrap();
//! assert_eq!(s.inputs(), ["x"]);
//! assert_eq!(s.order().unwrap(), ["y", "u", "v", "z"]); // each after what it uses
//! assert_eq!(s.output(), Ok("z")); // the one name nothing else uses
//! // With a leftover definition the output is the caller's choice, never a silent guess.
//! let s = System::parse("q = 7; z = x^2").unwrap();
//! assert_eq!(s.output(), Err(OutputError::Ambiguous(vec!["q".into(), "z".into()])));
//! ```
//!
//! ## Checking a claimed derivative
//!
//! ```
//! use chainrule::verify::check::{check, CheckOptions};
//! use chainrule::verify::System;
//!
//! let s = System::parse("z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x").unwrap();
//! let options = CheckOptions { wrt: vec!["x".into()], ..CheckOptions::default() };
//! // Right (in the intermediate names), and wrong by 126x:
//! let claims = ["-8*u + 12*v^2".to_string()];
//! let report = &check(&s, &claims, &options).unwrap()[0];
//! assert!(report.agrees());
//! assert_eq!(report.checked, 19);
//! let wrong = check(&s, &["192*x^2 + 542*x + 176".to_string()], &options).unwrap();
//! let c = wrong[0].counterexample.as_ref().unwrap();
//! assert_eq!((c.point[0].1, c.claim, c.engine), (-3.0, 278.0, 656.0));
//! // Where the derivative is undefined (ln at x <= 0), points are set apart, never agreeing.
//! let s = System::parse("f = x*ln(x) - x").unwrap();
//! let report = &check(&s, &["ln(x)".to_string()], &options).unwrap()[0];
//! assert_eq!((report.checked, report.undefined.len()), (10, 9));
//! ```
//!
//! ## The engine's derivative at a point
//!
//! ```
//! use chainrule::verify::check::derivative_at;
//! use chainrule::verify::System;
//!
//! let s = System::parse("s = sigmoid(z)").unwrap();
//! let point = [("z".to_string(), 0.0)];
//! assert_eq!(derivative_at(&s, "s", "z", 1, &point), Ok(0.25)); // s (1 - s)
//! assert_eq!(derivative_at(&s, "s", "z", 2, &point), Ok(0.0)); // s (1 - s)(1 - 2s)
//! ```
//!
//! ## Deriving, shown and verified
//!
//! [`symbolic::derive()`] writes the chain rule out for a system of definitions and simplifies
//! the derivative, each result confirmed by the engine at the check points before it is
//! returned.
//!
//! ```
//! use chainrule::verify::{check::CheckOptions, symbolic::derive, System};
//!
//! let s = System::parse("s = sigmoid(z)").unwrap();
//! let opts = CheckOptions { wrt: vec!["z".into()], ..Default::default() };
//! let d = &derive(&s, &opts).unwrap()[0];
//! assert_eq!((d.in_names.as_str(), d.expression.as_str()), ("s*(1 - s)", "sigmoid(z)*(1 - sigmoid(z))"));
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod check;
pub mod expr;
pub mod graph;
mod layout;
pub mod notes;
mod poly;
pub mod symbolic;
mod system;
pub mod trace;
pub mod verdict;

pub use system::{eval, Definition, OutputError, System};
