//! # verify: checking hand-derived calculus with the engine
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod check;
pub mod expr;
pub mod graph;
pub mod notes;
mod poly;
mod system;
pub mod trace;
pub mod verdict;

pub use system::{eval, Definition, OutputError, System};

/// The snippets of `docs/notes.md` (the study note walked through) run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/notes.md")]
pub struct NotesWalkthrough;
