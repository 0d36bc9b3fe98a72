//! `w2_scaling`: the second core's speed-up on the replayed W2 step, paired in one process, and
//! what this machine's second core gives work that shares nothing, in the same blocks.
//!
//! Separate processes for 1 and 2 threads (the table's W2 rows) are minutes apart in a
//! round-robin run, and a shared or virtual machine's speed moves by 20 to 50% in that time, so
//! their ratio is a draw. Here one block runs, back to back within about 50 ms:
//! - `one`: `STEPS` replayed steps on 1 thread;
//! - `two`: `STEPS` replayed steps on 2 threads (a second plan from the same start);
//! - `side_by_side`: `STEPS` replayed 1-thread steps on each of two OS threads at once, two
//!   plans that share nothing: the speed-up the machine gives perfectly parallel work of this
//!   kind is `2 one / side_by_side` (2 on two idle physical cores; less where the two vCPUs
//!   share a core's vector units, or the host takes cycles).
//!
//! `run.py` reports the median over blocks of `one / two` (the second core's speed-up) and of
//! `2 one / side_by_side` (the machine's own), paired block by block.

use crate::{W2Replay, Workload};
use serde_json::{json, Value};
use std::time::Instant;

/// Replayed steps per phase of a block.
const STEPS: usize = 10;

pub(crate) struct W2Scaling {
    one: W2Replay,
    two: W2Replay,
    /// The second of the two plans run side by side (`one` is the first).
    other: W2Replay,
    /// Per block: seconds per step on 1 thread, on 2 threads, and side by side.
    blocks: Vec<[f64; 3]>,
}

impl W2Scaling {
    pub(crate) fn new() -> Self {
        Self {
            one: W2Replay::new(),
            two: W2Replay::new(),
            other: W2Replay::new(),
            blocks: Vec::new(),
        }
    }
}

/// Seconds per step of `STEPS` steps of `w`.
fn per_step(w: &mut W2Replay) -> f64 {
    let t = Instant::now();
    for _ in 0..STEPS {
        std::hint::black_box(w.step());
    }
    t.elapsed().as_secs_f64() / STEPS as f64
}

impl Workload for W2Scaling {
    fn step(&mut self) -> f64 {
        let threads = autograd::get_num_threads();
        autograd::set_num_threads(1);
        let one = per_step(&mut self.one);
        // Both plans at once, each on its own OS thread with the engine at 1 thread; the block's
        // time is the slower one's (the wall time of the pair).
        let (a, b) = (&mut self.one, &mut self.other);
        let t = Instant::now();
        std::thread::scope(|s| {
            s.spawn(|| per_step(b));
            per_step(a);
        });
        let side_by_side = t.elapsed().as_secs_f64() / STEPS as f64;
        // The worker's own count: 2 or more (`make` refuses a 1-thread worker).
        autograd::set_num_threads(threads);
        let two = per_step(&mut self.two);
        self.blocks.push([one, two, side_by_side]);
        one / two
    }
    fn inner_time(&self) -> Option<f64> {
        self.blocks.last().map(|b| b[1])
    }
    fn extra(&mut self) -> Option<Value> {
        let blocks = std::mem::take(&mut self.blocks);
        Some(json!({ "blocks": blocks }))
    }
}
