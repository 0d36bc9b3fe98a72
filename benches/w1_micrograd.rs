//! W1, micrograd's demo step (issue 5): 100 two-moons points, an MLP 2-16-16-1, hinge loss plus
//! `1e-4` L2, backward, SGD lr 0.01, in `f64`.
//!
//! - `w1/scalar_graph`: one node per scalar op, as micrograd (about 65,000 nodes a step; the
//!   count is printed, with the time per node derived from criterion's median);
//! - `w1/scalar_graph_presized`: the same on a tape made by `Tape::with_capacity`;
//! - `w1/scalar_graph_replay`: the same step captured once (`Tape::capture`) and replayed, the
//!   SGD step done in place inside the plan (the number of recomputed nodes is printed);
//! - `w1/tensor_path`: the batch of 100 through `nn::Mlp`;
//! - `w1/limit`: the hand-written step (analytic gradients, no tape, the same GEMM).
//!
//! Run with `cargo bench --bench w1_micrograd`.

mod common;

use common::replay::W1ScalarReplay;
use common::{W1Limit, W1Scalar, W1Tensor};
use criterion::{Criterion, SamplingMode};
use std::hint::black_box;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let mut scalar = W1Scalar::new();
    scalar.step();
    println!(
        "w1/scalar_graph: {} forward nodes a step (leaves, constants, ops), {} with the backward sweep's",
        scalar.forward_nodes(),
        scalar.tape_len()
    );
    let mut tensor = W1Tensor::new();
    tensor.step();
    println!("w1/tensor_path: {} nodes a step with backward", tensor.tape_len());

    let mut g = c.benchmark_group("w1");
    g.sample_size(20).measurement_time(Duration::from_secs(4));
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("scalar_graph", |b| b.iter(|| black_box(scalar.step())));
    // The same on a tape made with `Tape::with_capacity` (every list allocated up front), to
    // show what the lists' initial state costs (see docs/performance.md).
    let mut presized = W1Scalar::new();
    presized.presize_tape(scalar.tape_len(), scalar.tape_len());
    g.bench_function("scalar_graph_presized", |b| b.iter(|| black_box(presized.step())));
    let mut replay = W1ScalarReplay::new();
    println!(
        "w1/scalar_graph_replay: {} values written a step (Plan::len)",
        replay.plan.len()
    );
    g.bench_function("scalar_graph_replay", |b| b.iter(|| black_box(replay.step())));
    g.sampling_mode(SamplingMode::Auto);
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("tensor_path", |b| b.iter(|| black_box(tensor.step())));
    let mut limit = W1Limit::new();
    g.bench_function("limit", |b| b.iter(|| black_box(limit.step())));
    g.finish();
}

fn main() {
    // One thread, as micrograd: W1's matrices are far too small for a threaded GEMM anyway.
    common::per_thread_count(&[1], |_| {
        let mut c = Criterion::default().configure_from_args();
        bench(&mut c);
        c.final_summary();
    });
}
