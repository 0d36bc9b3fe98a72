//! W3, GEMM (issue 5): `f32` square matrix products through the engine's `matmul` (forward
//! only), n = 128, 256, 512, 1024, on 1 and 2 threads. Criterion's throughput is `2 n^3`
//! elements per iteration, so its "elem/s" figure is FLOP/s.
//!
//! - `w3/threads=N/engine/n`: reset a tape, bind A and B as constants (a copy of `2 n^2`
//!   values), record `A.matmul(B)`;
//! - `w3/threads=N/sgemm/n`: the engine's GEMM (`autograd::gemm`, gemmkit's) called
//!   directly into a preallocated C (the limit).
//!
//! Each thread count runs in its own process (`CHAINRULE_NUM_THREADS`: a pool of its size).
//! Run with `cargo bench --bench w3_gemm`.

mod common;

use autograd::{Tape, Tensor};
use common::limit::matmul;
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use std::hint::black_box;
use std::time::Duration;

fn bench(c: &mut Criterion, threads: usize) {
    let mut g = c.benchmark_group(format!("w3/threads={threads}"));
    g.sample_size(20).measurement_time(Duration::from_secs(2));
    for n in [128usize, 256, 512, 1024] {
        let a = Tensor::<f32>::rand_normal(&[n, n], 0.0, 1.0, 1);
        let b = Tensor::<f32>::rand_normal(&[n, n], 0.0, 1.0, 2);
        g.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
        if n >= 512 {
            g.sampling_mode(SamplingMode::Flat);
        }
        let mut tape = Tape::<f32>::with_capacity(4, 3 * n * n);
        g.bench_with_input(BenchmarkId::new("engine", n), &n, |bench, _| {
            bench.iter(|| {
                tape.reset();
                let c = tape.constant_from(&a).matmul(tape.constant_from(&b));
                black_box(c.index())
            })
        });
        let mut out = vec![0f32; n * n];
        g.bench_with_input(BenchmarkId::new("sgemm", n), &n, |bench, &n| {
            bench.iter(|| {
                matmul(false, false, n, n, n, a.as_slice(), b.as_slice(), 0.0, &mut out);
                black_box(out[0])
            })
        });
    }
    g.finish();
}

fn main() {
    common::per_thread_count(&[1, 2], |threads| {
        let mut c = Criterion::default().configure_from_args();
        bench(&mut c, threads);
        c.final_summary();
    });
}
