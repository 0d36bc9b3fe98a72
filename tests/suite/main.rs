//! The workspace's cross-crate tests in one binary: each file is a module, so the engine's
//! generic code is compiled and linked once for all of them, not once per file.
//! `recording_alloc` and `training` install allocators that count every allocation of the
//! process, so they stay binaries of their own.

mod bench_limits;
mod deep_chain;
mod micrograd;
mod note_chain_rule;
mod plan_replay;
mod semantics;

#[path = "../../benches/common/mod.rs"]
mod common;
