//! `verify`'s tests in one binary: each file is a module, so the crate's generic code is
//! compiled and linked once for all of them, not once per file. The fuzzing tests
//! (`fuzz_check`, `fuzz_deep`) stay binaries of their own, for their long runs.

mod check;
mod expr_props;
mod hostile_check;
mod notes;
mod study_note;
mod symbolic;
mod symbolic_props;
mod trace;
