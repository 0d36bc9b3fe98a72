//! Time to accuracy (issue 5): `chainrule train`'s defaults on the embedded digits until the
//! test accuracy reaches 97%, on 1 and 2 threads, wall time from loading the data to the stop. The run
//! itself (the configuration, the stop) is `common/to_accuracy.rs`, which the comparison
//! harness's chainrule worker times too.
//! Run with `cargo bench --bench time_to_accuracy`.

mod common;
#[path = "common/to_accuracy.rs"]
mod to_accuracy;

use criterion::{Criterion, SamplingMode};
use std::hint::black_box;
use std::time::Duration;
use to_accuracy::{train_to_target, TARGET};

fn bench(c: &mut Criterion, threads: usize) {
    let (epochs, accuracy) = train_to_target();
    println!(
        "digits: {:.2}% test accuracy after {epochs} epoch(s) of 47 batches",
        accuracy * 100.0
    );
    assert!(accuracy >= TARGET, "the defaults do not reach 97% in 20 epochs");
    let mut g = c.benchmark_group(format!("digits/threads={threads}"));
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("to_97_percent", |b| b.iter(|| black_box(train_to_target())));
    g.finish();
}

fn main() {
    common::per_thread_count(&[1, 2], |threads| {
        let mut c = Criterion::default().configure_from_args();
        bench(&mut c, threads);
        c.final_summary();
    });
}
