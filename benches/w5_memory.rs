//! W5, memory (issue 5). Criterion measures time, so this benchmark prints its figures:
//!
//! - bytes per recorded scalar node: `tape.memory_bytes() / tape.len()` on a tape created with
//!   exactly the capacity it needs (`Tape::with_capacity`), for a chain of scalar
//!   multiplications (binary nodes) and for a whole W1 scalar-graph step (forward and
//!   backward);
//! - peak RSS (`VmHWM`) of a process that runs 100 W2 steps on 1 thread, on the engine and on
//!   the hand-written limit, each in a fresh child process;
//! - RSS (`VmRSS`) after 100 and after 10,000 W1 steps (tensor path; scalar graph on an
//!   exactly sized tape), each in a fresh child process: flat memory means equal figures.
//!
//! Run with `cargo bench --bench w5_memory` (without `--bench`, as under `cargo test
//! --benches`, the step counts are cut down to a smoke test).

mod common;

use autograd::Tape;
use common::{status_kib, W1Scalar, W1Tensor, W2Engine, W2Limit};
use std::hint::black_box;
use std::process::Command;

const CHILD_VAR: &str = "CHAINRULE_W5_CHILD";

fn kib(field: &str) -> u64 {
    status_kib(field).unwrap_or(0)
}

/// Bytes per node of a chain of `n` scalar products on an exactly sized tape.
fn scalar_chain_bytes(n: usize) {
    let tape = Tape::<f64>::with_capacity(n + 2, n + 2);
    let before = tape.memory_bytes();
    let x = tape.scalar_var(1.0);
    let c = tape.scalar_var(1.000001);
    let mut y = x;
    for _ in 0..n {
        y = y * c;
    }
    black_box(y.item());
    let (len, bytes) = (tape.len(), tape.memory_bytes());
    println!(
        "w5/bytes_per_node/scalar_mul_chain: {:.1} bytes per node ({bytes} bytes for {len} nodes; \
         capacity {} by recording)",
        bytes as f64 / len as f64,
        if before == bytes { "unchanged" } else { "grew" },
    );
}

/// Bytes per node of a W1 scalar-graph step (forward and backward) on an exactly sized tape.
fn w1_step_bytes() {
    let mut w = W1Scalar::new();
    w.step();
    let nodes = w.tape_len();
    // Scalars: one value per node.
    w.presize_tape(nodes, nodes);
    let before = w.tape_bytes();
    w.step();
    let bytes = w.tape_bytes();
    println!(
        "w5/bytes_per_node/w1_scalar_step: {:.1} bytes per node ({bytes} bytes for {} nodes, {} of \
         them forward; capacity {} by the step)",
        bytes as f64 / w.tape_len() as f64,
        w.tape_len(),
        w.forward_nodes(),
        if before == bytes { "unchanged" } else { "grown" },
    );
}

/// Runs in a child: the measurement `which`.
fn child(which: &str, smoke: bool) {
    let mib = |k: u64| k as f64 / 1024.0;
    match which {
        "w2_engine" | "w2_limit" => {
            let steps = if smoke { 3 } else { 100 };
            let base = kib("VmHWM");
            let mut run: Box<dyn FnMut() -> f64> = if which == "w2_engine" {
                let mut e = W2Engine::<f32>::new();
                Box::new(move || e.step())
            } else {
                let mut l = W2Limit::<f32>::new();
                Box::new(move || l.step())
            };
            let setup = kib("VmHWM");
            for _ in 0..steps {
                black_box(run());
            }
            println!(
                "w5/peak_rss/{which}: VmHWM {:.1} MiB after {steps} W2 steps (process before set-up \
                 {:.1} MiB, after set-up {:.1} MiB)",
                mib(kib("VmHWM")),
                mib(base),
                mib(setup)
            );
        }
        "w1_scalar" | "w1_tensor" => {
            let (first, total) = if smoke { (10, 100) } else { (100, 10_000) };
            let mut run: Box<dyn FnMut() -> f64> = if which == "w1_scalar" {
                // On an exactly sized tape (`Tape::with_capacity`), the faster way to run the
                // scalar graph today (see docs/performance.md); the memory behaviour is the same.
                let mut w = W1Scalar::new();
                w.step();
                w.presize_tape(w.tape_len(), w.tape_len());
                Box::new(move || w.step())
            } else {
                let mut w = W1Tensor::new();
                Box::new(move || w.step())
            };
            // VmRSS after `first` steps, after 10 times as many, and after `total`.
            let mut rss = Vec::new();
            let mut done = 0;
            for stop in [first, 10 * first, total] {
                for _ in done..stop {
                    black_box(run());
                }
                done = stop;
                rss.push((stop, kib("VmRSS")));
            }
            let (early, late) = (rss[0].1, rss[2].1);
            let list: Vec<String> = rss.iter().map(|(n, k)| format!("{k} KiB after {n}")).collect();
            println!(
                "w5/flat_rss/{which}: VmRSS {} steps ({:+} KiB from the first to the last; VmHWM {} KiB)",
                list.join(", "),
                late as i64 - early as i64,
                kib("VmHWM")
            );
        }
        other => panic!("unknown measurement {other}"),
    }
}

fn main() {
    let smoke = !common::benchmarking();
    if let Ok(which) = std::env::var(CHILD_VAR) {
        child(&which, smoke);
        return;
    }
    if smoke {
        println!("w5: smoke run (pass --bench, as `cargo bench` does, for the real step counts)");
    }
    scalar_chain_bytes(if smoke { 1_000 } else { 100_000 });
    w1_step_bytes();
    let exe = std::env::current_exe().expect("the benchmark's path");
    for which in ["w2_engine", "w2_limit", "w1_tensor", "w1_scalar"] {
        let status = Command::new(&exe)
            .args(std::env::args_os().skip(1))
            .env(CHILD_VAR, which)
            .env(chainrule::NUM_THREADS_VAR, "1")
            .status()
            .expect("the benchmark runs itself");
        assert!(status.success(), "{which} failed: {status}");
    }
}
