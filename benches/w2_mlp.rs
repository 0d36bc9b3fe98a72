//! W2, an MLP training step (issue 5): 784-256-256-10, relu, softmax cross-entropy from logits,
//! batch 128, `f32`, SGD lr 0.01, seeded normal inputs and random labels; on 1 and 2 threads.
//!
//! - `w2/threads=N/engine`: `nn::Mlp`, `nn::loss::cross_entropy`, the engine's backward, `Sgd`;
//! - `w2/threads=N/engine_replay`: the same step captured once (`Tape::capture`) and replayed
//!   on the batch and labels, the SGD step done in place inside the plan;
//! - `w2/threads=N/limit`: the hand-written step (analytic gradients, no tape, the same GEMM).
//!
//! Each thread count runs in its own process (`CHAINRULE_NUM_THREADS`: a pool of its size),
//! with glibc's allocator warmed (`common::warm_allocator`): in a fresh process the engine's
//! step can pay page faults for the gradients it allocates and frees every step (run with
//! `CHAINRULE_BENCH_FRESH_MALLOC=1` to see it; docs/performance.md has the figures).
//! Run with `cargo bench --bench w2_mlp`.

mod common;

use common::replay::W2EngineReplay;
use common::{W2Engine, W2Limit};
use criterion::Criterion;
use std::hint::black_box;
use std::time::Duration;

fn bench(c: &mut Criterion, threads: usize) {
    let mut engine = W2Engine::<f32>::new();
    engine.step();
    println!(
        "w2/threads={threads}: {} nodes a step with backward, tape {} KiB",
        engine.tape_len(),
        engine.tape_bytes() / 1024
    );
    let mut limit = W2Limit::<f32>::new();
    let mut g = c.benchmark_group(format!("w2/threads={threads}"));
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    g.bench_function("engine", |b| b.iter(|| black_box(engine.step())));
    let mut replay = W2EngineReplay::<f32>::new();
    g.bench_function("engine_replay", |b| b.iter(|| black_box(replay.step())));
    g.bench_function("limit", |b| b.iter(|| black_box(limit.step())));
    g.finish();
}

fn main() {
    common::per_thread_count(&[1, 2], |threads| {
        let mut c = Criterion::default().configure_from_args();
        bench(&mut c, threads);
        c.final_summary();
    });
}
