//! W4, per-op overhead (issue 5): a chain of 1000 steps alternating `x = x * 1.0001 + 0.5` and
//! `x = tanh(x)` (500 of each: 1500 recorded ops), then the backward sweep of `x.sum()`; on a
//! scalar and on a 16-element tensor, in `f64`. The tape is reset (keeping its memory) every
//! iteration, as in a training loop. `w4/scalar_presized` runs the scalar chain on a tape made
//! by `Tape::with_capacity`.
//!
//! The number of recorded nodes (`tape.len()`: before the backward sweep, the forward ops; after
//! it, everything) is printed, so the time per recorded op is criterion's median divided by it.
//! Run with `cargo bench --bench w4_overhead`.

mod common;

use autograd::{Tape, Tensor};
use criterion::Criterion;
use std::hint::black_box;
use std::time::Duration;

/// The chain's length in steps.
const STEPS: usize = 1000;

/// Records the chain on `x0` and sweeps it back; returns the forward and total node counts.
fn chain(tape: &mut Tape<f64>, x0: &Tensor<f64>) -> (usize, usize) {
    tape.reset();
    let x = tape.var_from(x0);
    let mut y = x;
    for i in 0..STEPS {
        y = if i % 2 == 0 { y * 1.0001 + 0.5 } else { y.tanh() };
    }
    let s = y.sum();
    let forward = tape.len();
    let g = s.backward();
    black_box(g[x].as_slice()[0]);
    (forward, tape.len())
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("w4");
    g.sample_size(30).measurement_time(Duration::from_secs(3));
    for (name, x0, presized) in [
        ("scalar", Tensor::scalar(0.3), false),
        ("scalar_presized", Tensor::scalar(0.3), true),
        ("tensor16", Tensor::linspace(-1.0, 1.0, 16), false),
    ] {
        let mut tape = Tape::new();
        let (forward, total) = chain(&mut tape, &x0);
        if presized {
            // Every list of the tape allocated up front (see docs/performance.md).
            tape = Tape::with_capacity(total, total * x0.numel());
        }
        println!("w4/{name}: {forward} nodes recorded before backward, {total} with backward");
        g.bench_function(name, |b| b.iter(|| chain(&mut tape, &x0)));
    }
    g.finish();
}

fn main() {
    common::per_thread_count(&[1], |_| {
        let mut c = Criterion::default().configure_from_args();
        bench(&mut c);
        c.final_summary();
    });
}
