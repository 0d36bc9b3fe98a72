//! # verify: checking hand-derived calculus with the engine
//!
//! Derivations, shown and verified: [`symbolic::derive`] writes the chain rule out for a
//! system of definitions and simplifies the derivative, each result confirmed by the engine
//! at the check points before it is returned.
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
pub mod notes;
mod poly;
pub mod symbolic;
mod system;
pub mod trace;
pub mod verdict;

pub use system::{eval, Definition, System};

/// The snippets of `docs/notes.md` (the study note walked through) run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/notes.md")]
pub struct NotesWalkthrough;
