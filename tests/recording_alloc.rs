//! Recording scalar ops on a tape with enough capacity performs no heap allocation, a
//! recorded scalar binary node costs at most 64 bytes of tape memory plus its 8-byte value, and
//! replaying a captured step (`Plan`, W1's scalar graph and W2's MLP step) allocates nothing.
//!
//! A counting global allocator wraps the system allocator. Only allocations made by a thread
//! while it measures are counted, and measurements take a lock, so neither the test harness's
//! own threads nor the other tests of this file (run in parallel) can disturb a count.

#[path = "../benches/common/mod.rs"]
mod common;

use chainrule::Tape;
use common::replay::{W1ScalarReplay, W2EngineReplay};
use common::W2Engine;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // `const` and without a destructor: reading it never allocates, so the allocator may use it.
    static MEASURING: Cell<bool> = const { Cell::new(false) };
}

fn note_allocation() {
    if MEASURING.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged; counting
// touches only an atomic and a const-initialised thread-local `Cell<bool>`.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: the caller upholds `alloc`'s contract, passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: `ptr` was allocated by `System` (through this wrapper) with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` (through this wrapper) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// One measurement at a time.
static MEASUREMENT: Mutex<()> = Mutex::new(());

/// The number of allocations (including reallocations) `f` makes on this thread.
fn allocations_in<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let _one_at_a_time = MEASUREMENT.lock().unwrap_or_else(|e| e.into_inner());
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    MEASURING.with(|m| m.set(true));
    let r = f();
    MEASURING.with(|m| m.set(false));
    // Only a measuring thread adds to the counter and we hold the lock: the difference is ours.
    (ALLOCATIONS.load(Ordering::SeqCst) - before, r)
}

#[test]
fn the_counter_sees_allocations() {
    // The measurement itself works: a Vec allocation is counted, a stack value is not.
    let (n, v) = allocations_in(|| vec![1u8; 100]);
    assert_eq!(n, 1);
    drop(v);
    let (n, _) = allocations_in(|| [0u8; 100]);
    assert_eq!(n, 0);
    // So is the tape growing past its capacity.
    let tape = Tape::<f64>::with_capacity(4, 4);
    let x = tape.scalar_var(1.0);
    let (n, _) = allocations_in(|| {
        let mut y = x;
        for _ in 0..100 {
            y = y * x;
        }
        y
    });
    assert!(n > 0, "recording past the capacity must reallocate");
}

#[test]
fn recording_scalar_ops_does_not_allocate() {
    const STEPS: usize = 2_000;
    // Per step: 19 op nodes + 2 scalar-constant leaves (the two divisions involving a plain
    // f64 record the f64 as a constant and then a true division).
    const NODES_PER_STEP: usize = 21;
    let nodes = 2 + STEPS * NODES_PER_STEP;
    let tape = Tape::<f64>::with_capacity(nodes, nodes);
    let a = tape.scalar_var(0.3);
    let b = tape.scalar_var(1.7);
    let mem_before = tape.memory_bytes();

    let (allocs, result) = allocations_in(|| {
        let mut x = a;
        for _ in 0..STEPS {
            // Binary ops between variables.
            let p = x * b + a - b / x;
            // Unary ops.
            let q = p.tanh().sin().exp().sigmoid();
            // Ops with plain scalars on either side (the divisions record a constant leaf).
            let r = 2.0 * q - 0.5 + q / 4.0 + 1.0 / (q + 3.0);
            x = (r * 0.25).relu() + -q;
        }
        x.item()
    });

    assert_eq!(
        tape.len(),
        nodes,
        "the node count per step is not what the test assumes"
    );
    assert_eq!(
        allocs, 0,
        "recording {nodes} nodes made {allocs} heap allocations"
    );
    assert_eq!(tape.memory_bytes(), mem_before, "the tape's buffers grew");

    // The recorded values are right: the same arithmetic in plain f64.
    let (av, bv) = (0.3f64, 1.7f64);
    let mut x = av;
    for _ in 0..STEPS {
        let p = x * bv + av - bv / x;
        let q = p.tanh().sin().exp();
        let q = 1.0 / (1.0 + (-q).exp());
        let r = 2.0 * q - 0.5 + q / 4.0 + 1.0 / (q + 3.0);
        x = (r * 0.25).max(0.0) + -q;
    }
    assert!((result - x).abs() <= 1e-12 * x.abs().max(1.0), "{result} vs {x}");
}

#[test]
fn a_scalar_binary_node_costs_at_most_64_bytes_plus_its_value() {
    const NODES: usize = 65_000;
    let tape = Tape::<f64>::with_capacity(NODES, NODES);
    let mem_empty = tape.memory_bytes();
    let a = tape.scalar_var(0.5);
    let b = tape.scalar_var(0.999);
    let (allocs, last) = allocations_in(|| {
        let mut x = a;
        for i in 0..NODES - 2 {
            x = match i % 4 {
                0 => x + b,
                1 => x * b,
                2 => x - b,
                _ => x / b,
            };
        }
        x
    });
    assert_eq!(tape.len(), NODES);
    assert_eq!(allocs, 0);
    assert_eq!(
        tape.memory_bytes(),
        mem_empty,
        "recording within capacity must not grow the tape"
    );
    let per_node = tape.memory_bytes() as f64 / NODES as f64;
    println!("tape memory per recorded scalar binary node: {per_node} bytes (value included)");
    // A 32-byte node, two 4-byte edges, the 8-byte value.
    assert!(per_node <= (32 + 8 + 8) as f64, "{per_node} bytes per node");

    // The values, against plain f64.
    let mut x = 0.5f64;
    for i in 0..NODES - 2 {
        x = match i % 4 {
            0 => x + 0.999,
            1 => x * 0.999,
            2 => x - 0.999,
            _ => x / 0.999,
        };
    }
    assert_eq!(last.item(), x);

    // The same growth measured on a tape that starts empty and grows by itself: the buffers
    // hold at most twice what is used, so at most 2 * 48 bytes per node.
    let grown = Tape::<f64>::new();
    let a = grown.scalar_var(0.5);
    let b = grown.scalar_var(0.999);
    let mut x = a;
    for _ in 0..NODES - 2 {
        x = x * b;
    }
    assert_eq!(grown.len(), NODES);
    assert!(
        grown.memory_bytes() <= 2 * 48 * NODES,
        "{} bytes",
        grown.memory_bytes()
    );
}

#[test]
fn replaying_a_plan_does_not_allocate() {
    // W1's scalar graph: about 200,000 nodes replayed, and the SGD step in place.
    let mut w1 = W1ScalarReplay::new();
    w1.step();
    w1.step();
    let (allocs, loss) = allocations_in(|| (0..3).map(|_| w1.step()).sum::<f64>());
    assert_eq!(allocs, 0, "3 replayed W1 steps made {allocs} heap allocations");
    assert!(loss.is_finite() && loss > 0.0, "{loss}");

    // W2's MLP step: the batch and labels written in, replayed, SGD in place.
    let mut w2 = W2EngineReplay::<f32>::new();
    w2.step();
    let (allocs, loss) = allocations_in(|| w2.step());
    assert_eq!(allocs, 0, "a replayed W2 step made {allocs} heap allocations");
    assert!(loss.is_finite() && loss > 0.0, "{loss}");
    // The recorded step, measured the same way, allocates (its gradients are new tensors).
    let mut recorded = W2Engine::<f32>::new();
    recorded.step();
    let (allocs, _) = allocations_in(|| recorded.step());
    assert!(allocs > 0);

    replaying_a_sum_over_many_blocks_does_not_allocate();
}

/// Part of [`replaying_a_plan_does_not_allocate`]: one test thread does every measurement that
/// splits work, so that it is the pool's own worker (a thread outside the pool hands work over
/// through rayon's shared queue, which allocates a block per 63 hand-offs).
fn replaying_a_sum_over_many_blocks_does_not_allocate() {
    // An L2 penalty over a 256 x 392 weight: 100,352 elements, 25 blocks of the full sum, on
    // one thread and split.
    let w = chainrule::Tensor::<f64>::rand_normal(&[256, 392], 0.0, 1.0, 1);
    let x = chainrule::Tensor::<f64>::ones(&[256, 392]);
    let mut plan = Tape::capture(|tape| {
        let x = tape.constant_from(&x);
        let v = tape.var_from(&w);
        let loss = (v * v * x).sum();
        chainrule::PlanSpec::new().input(x).output(loss).grads(loss, &[v])
    });
    plan.run(&[&x], &[]);
    let (allocs, ()) = allocations_in(|| plan.run(&[&x], &[]));
    assert_eq!(
        allocs, 0,
        "a replayed sum of 25 blocks made {allocs} heap allocations"
    );
    let expected: f64 = w.as_slice().iter().map(|v| v * v).sum();
    assert!(
        (plan.output(0)[0] - expected).abs() < 1e-9 * expected,
        "{} against {expected}",
        plan.output(0)[0]
    );
}
