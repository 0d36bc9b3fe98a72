//! The all-reduce share of a W2-sized data-parallel step (feature `mpi`; docs/scale.md):
//! `cargo bench --features mpi --bench mpi_step` runs itself under `mpirun -n 1` and `-n 2`,
//! one thread per process. Each process computes W2's loss and gradients on its own batch of
//! 128 (`W2Engine::loss_and_grads`: forward and backward of the 784-256-256-10 MLP), copies
//! them into one flat buffer, and sums it over the processes with `MpiWorld::all_reduce_sum`
//! after a barrier (so that the time is the all-reduce's, not a wait for the slower process).
//! Process 0 prints the medians of both parts over 200 steps.

mod common;

use chainrule::nn::train::{Communicator, MpiWorld};
use common::W2Engine;
use std::process::Command;
use std::time::Instant;

const CHILD: &str = "CHAINRULE_MPI_BENCH_CHILD";
const WARMUP: usize = 20;
const STEPS: usize = 200;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    if std::env::var_os(CHILD).is_none() {
        for n in ["1", "2"] {
            let status = Command::new("mpirun")
                .args(["--oversubscribe", "-n", n])
                .arg(std::env::current_exe().expect("this benchmark's path"))
                .env(CHILD, "1")
                .env("CHAINRULE_NUM_THREADS", "1")
                .env("OMPI_ALLOW_RUN_AS_ROOT", "1")
                .env("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
                .status()
                .expect("mpirun runs (Open MPI: docs/scale.md)");
            assert!(status.success(), "mpirun -n {n} failed");
        }
        return;
    }
    let world = MpiWorld::init().expect("MPI starts");
    let mut w2 = W2Engine::<f32>::new();
    let len: usize = w2.params.iter().map(|(_, _, p)| p.value().numel()).sum();
    let mut flat = vec![0f32; len];
    let (mut compute, mut reduce) = (Vec::new(), Vec::new());
    for step in 0..WARMUP + STEPS {
        let start = Instant::now();
        let (_, grads) = w2.loss_and_grads();
        let mut at = 0;
        for g in &grads {
            flat[at..at + g.len()].copy_from_slice(g);
            at += g.len();
        }
        let computed = start.elapsed().as_secs_f64();
        world.barrier().expect("barrier");
        let start = Instant::now();
        world.all_reduce_sum(&mut flat).expect("all-reduce");
        let reduced = start.elapsed().as_secs_f64();
        if step >= WARMUP {
            compute.push(computed);
            reduce.push(reduced);
        }
    }
    if world.rank() == 0 {
        let (c, r) = (median(compute), median(reduce));
        println!(
            "mpi_step: {} process(es), 1 thread each: compute {:.3} ms, all-reduce of {} f32 ({:.2} MB) {:.3} ms, {:.1}% of the step (medians of {STEPS} steps)",
            world.size(),
            c * 1e3,
            len,
            len as f64 * 4.0 / 1e6,
            r * 1e3,
            100.0 * r / (c + r)
        );
    }
}
