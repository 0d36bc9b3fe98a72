//! Deep and big graphs (issue 6), everything on threads with a 2 MiB stack (dropping on an
//! even smaller one), so any recursion over the graph would overflow and abort the test:
//!
//! - a chain 10^6 ops deep: build, backward, grad of grad (second derivative), and drop;
//! - 10^7 scalar nodes on an exactly sized tape: at most 40 bytes per node plus its value, by
//!   `Tape::memory_bytes()`; then backward through all of them and drop;
//! - a value used 10^6 times (a million gradient contributions to accumulate), and a tensor
//!   chain with broadcasting 10^5 deep.
//!
//! `tests/suite/deep_chain.rs` at the workspace root has the first million-op chain (backward and
//! drop) and grad of grad on 10^5 ops; this file goes further.

use autograd::{grad, Tape, Tensor};
use std::time::Instant;

const SMALL_STACK: usize = 2 * 1024 * 1024;

fn on_stack<R: Send + 'static>(stack: usize, f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the graph test panicked (or overflowed its stack)")
}

fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}

#[test]
fn grad_of_grad_of_a_million_op_chain_on_a_small_stack() {
    const OPS: usize = 1_000_000;
    const W: f64 = 1.0000001;
    let (report, got, want) = on_stack(SMALL_STACK, || {
        let t0 = Instant::now();
        let tape = Tape::<f64>::new();
        let x0 = tape.scalar_var(0.8);
        let mut x = x0;
        for i in 0..OPS {
            x = match i % 3 {
                0 => x * W,
                1 => x + 1e-7,
                _ => x.tanh(),
            };
        }
        let built = tape.len();
        let d1 = grad(x, &[x0]).unwrap()[0];
        let after_first = tape.len();
        let d2 = grad(d1, &[x0]).unwrap()[0];
        let got = (d1.item(), d2.item());
        let nodes = tape.len();
        let t_drop = Instant::now();
        drop(tape);
        let report = format!(
            "{OPS} ops: {built} nodes, {after_first} after grad, {nodes} after grad of grad, {:?} in all, drop {:?}",
            t0.elapsed(),
            t_drop.elapsed()
        );
        // Forward mode to second order by hand: v' -> f'(v) v', v'' -> f''(v) v'^2 + f'(v) v''.
        let (mut v, mut a, mut b) = (0.8f64, 1.0f64, 0.0f64);
        for i in 0..OPS {
            match i % 3 {
                0 => {
                    v *= W;
                    a *= W;
                    b *= W;
                }
                1 => v += 1e-7,
                _ => {
                    v = autograd::math::tanh(v);
                    let f1 = 1.0 - v * v;
                    let f2 = -2.0 * v * f1;
                    b = f2 * a * a + f1 * b;
                    a *= f1;
                }
            }
        }
        (report, got, (a, b))
    });
    println!("{report}");
    assert!(got.0.is_finite() && got.1.is_finite() && got.1 != 0.0, "{got:?}");
    assert!(rel_err(got.0, want.0) < 1e-9, "d1 {} vs {}", got.0, want.0);
    assert!(rel_err(got.1, want.1) < 1e-8, "d2 {} vs {}", got.1, want.1);
}

#[test]
fn a_million_op_chain_in_f32_with_every_kind_of_unary_op() {
    // sin, exp, ln, sqrt, sigmoid, softplus and scalar ops in turn, in f32; the derivative is
    // checked against forward mode in f64 through the same f32 values.
    const OPS: usize = 1_000_000;
    let (got, want) = on_stack(SMALL_STACK, || {
        let tape = Tape::<f32>::new();
        let x0 = tape.scalar_var(0.5);
        let mut x = x0;
        let mut values = Vec::with_capacity(OPS);
        for i in 0..OPS {
            values.push(x.item());
            x = match i % 6 {
                0 => x.sin() + 0.5,
                1 => (x * 0.5).exp(),
                2 => x.ln() + 1.0,
                3 => x.sqrt(),
                4 => x.sigmoid() + 0.3,
                _ => x.softplus(),
            };
        }
        let g = x.backward()[x0].item();
        // d/dx of each step at the recorded value.
        let mut d = 1.0f64;
        for (i, &v) in values.iter().enumerate() {
            let v = v as f64;
            d *= match i % 6 {
                0 => v.cos(),
                1 => 0.5 * (0.5 * v).exp(),
                2 => 1.0 / v,
                3 => 0.5 / v.sqrt(),
                4 => {
                    let s = 1.0 / (1.0 + (-v).exp());
                    s * (1.0 - s)
                }
                _ => 1.0 / (1.0 + (-v).exp()),
            };
        }
        (g as f64, d)
    });
    assert!(got.is_finite(), "{got}");
    // Products of 10^6 f32 local derivatives: agreement to a relative 1e-2 is what f32
    // rounding allows (each factor carries ~6e-8).
    assert!(
        rel_err(got, want) < 1e-2 || (got.abs() < 1e-30 && want.abs() < 1e-30),
        "{got} vs {want}"
    );
}

/// Bytes per scalar node that `memory_bytes` may report: a 32-byte node, two 4-byte edges, the value.
fn budget<T>() -> usize {
    40 + std::mem::size_of::<T>()
}

#[test]
fn ten_million_scalar_nodes_within_the_memory_budget() {
    // 10^7 binary scalar nodes, recorded on a tape sized exactly for them, then a backward
    // sweep through all of them and the drop, on a small stack. About 1 GB at the peak;
    // a few seconds in release.
    const NODES: usize = 10_000_000;
    let report = on_stack(SMALL_STACK, || {
        let t0 = Instant::now();
        let tape = Tape::<f64>::with_capacity(NODES + 2, NODES + 2);
        let before = tape.memory_bytes();
        let x0 = tape.scalar_var(1.0);
        let c = tape.scalar_var(1.0 + 1e-9);
        let mut x = x0;
        for i in 0..NODES {
            // Binary nodes only (two recorded inputs each), value kept near 1.
            x = if i % 2 == 0 { x * c } else { x - c };
            if i % 2 == 1 {
                x = x + c;
            }
            if tape.len() >= NODES + 2 {
                break;
            }
        }
        let t_build = t0.elapsed();
        let nodes = tape.len();
        let bytes = tape.memory_bytes();
        assert_eq!(nodes, NODES + 2);
        assert_eq!(bytes, before, "recording within the capacity did not reallocate");
        assert!(
            bytes <= nodes * budget::<f64>(),
            "{bytes} bytes for {nodes} nodes: {:.1} per node, the budget is {}",
            bytes as f64 / nodes as f64,
            budget::<f64>()
        );
        let per_node = bytes as f64 / nodes as f64;

        let t1 = Instant::now();
        let g = x.backward();
        let (gx, gc) = (g[x0].item(), g[c].item());
        let t_backward = t1.elapsed();
        // x = x0 * c^k after the k = 1 + 3 (nodes - 1) / ... multiplications: check against
        // the value itself, dx/dx0 = x / x0 and dx/dc ~ k x / c.
        assert!(
            (gx - x.item() / x0.item()).abs() < 1e-6 * gx.abs(),
            "{gx} vs {}",
            x.item()
        );
        assert!(gc.is_finite() && gc > 0.0, "{gc}");
        let total = tape.len();
        let t2 = Instant::now();
        drop(g);
        drop(tape);
        let t_drop = t2.elapsed();
        format!(
            "{nodes} nodes, {bytes} bytes ({per_node:.1} per node, budget {}): build {t_build:?}, \
             backward {t_backward:?} ({total} nodes after it), drop {t_drop:?}",
            budget::<f64>()
        )
    });
    println!("{report}");
}

#[test]
fn the_budget_holds_for_f32_and_for_unary_nodes() {
    fn check<T: autograd::Float>() {
        const NODES: usize = 1_000_000;
        let tape = Tape::<T>::with_capacity(NODES + 1, NODES + 1);
        let x0 = tape.scalar_var(T::from_f64(0.5));
        let mut x = x0;
        while tape.len() < NODES + 1 {
            x = x.sin();
        }
        let bytes = tape.memory_bytes();
        assert!(
            bytes <= tape.len() * budget::<T>(),
            "{} bytes for {} nodes",
            bytes,
            tape.len()
        );
        assert!(x.item().is_finite());
    }
    check::<f32>();
    check::<f64>();
}

#[test]
fn a_value_used_a_million_times_on_a_small_stack() {
    // One variable feeding 10^6 nodes: the backward sweep accumulates 10^6 contributions into
    // it, and grad of grad goes through all of them again.
    const USES: usize = 1_000_000;
    let (d1, d2) = on_stack(SMALL_STACK, || {
        let tape = Tape::<f64>::new();
        let x = tape.scalar_var(0.5);
        let mut acc = tape.scalar(0.0);
        for i in 0..USES {
            let k = (i % 7) as f64 * 0.125;
            acc = acc + x * k;
        }
        let y = acc * x; // y = K x^2 with K = sum of the k
        let d1 = grad(y, &[x]).unwrap()[0];
        let d2 = grad(d1, &[x]).unwrap()[0];
        (d1.item(), d2.item())
    });
    let k: f64 = (0..USES).map(|i| (i % 7) as f64 * 0.125).sum();
    assert!(rel_err(d1, 2.0 * k * 0.5) < 1e-12, "{d1} vs {}", k);
    assert!(rel_err(d2, 2.0 * k) < 1e-12, "{d2} vs {}", 2.0 * k);
}

#[test]
fn a_deep_tensor_chain_with_broadcasting_on_a_small_stack() {
    // [4, 3] tensors through 10^5 ops that broadcast a [3] bias and reduce: the gradient
    // reaches the bias through 10^5 unbroadcasting sums.
    const OPS: usize = 100_000;
    let (gb, n) = on_stack(SMALL_STACK, || {
        let tape = Tape::<f64>::new();
        let x0 = tape.var(Tensor::from_vec((0..12).map(|i| i as f64 * 0.01).collect(), &[4, 3]).unwrap());
        let b = tape.var(Tensor::from(vec![1e-6, 2e-6, 3e-6]));
        let mut x = x0;
        for i in 0..OPS {
            x = match i % 2 {
                0 => x + b,
                _ => (x * 0.999999).tanh(),
            };
        }
        let loss = x.sum();
        let g = loss.backward();
        let gb = g[b].to_vec();
        let n = tape.len();
        drop(g);
        drop(tape);
        (gb, n)
    });
    assert!(n > 2 * OPS);
    assert!(gb.iter().all(|v| v.is_finite() && *v > 0.0), "{gb:?}");
}

#[test]
fn dropping_huge_graphs_needs_no_stack() {
    // Build big graphs on a normal thread, then drop the tape (and gradients, and tensors
    // read from it) on a thread with a 64 KiB stack: a recursive drop would overflow.
    const OPS: usize = 2_000_000;
    let tape = std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(|| {
            let tape = Tape::<f64>::new();
            {
                let x0 = tape.scalar_var(0.1);
                let mut x = x0;
                for _ in 0..OPS {
                    x = (x * 1.0000001).sin();
                }
                let _ = grad(x, &[x0]).unwrap();
            }
            tape
        })
        .unwrap()
        .join()
        .unwrap();
    let nodes = tape.len();
    assert!(nodes > 2 * OPS);
    let elapsed = on_stack(64 * 1024, move || {
        let t = Instant::now();
        drop(tape);
        t.elapsed()
    });
    println!("dropped {nodes} nodes on a 64 KiB stack in {elapsed:?}");
}

#[test]
fn a_reset_tape_records_a_deep_chain_again_without_growing() {
    // Reuse after reset: the second million-op chain fits in the first one's memory.
    on_stack(SMALL_STACK, || {
        let mut tape = Tape::<f32>::new();
        let mut sizes = Vec::new();
        for _ in 0..3 {
            {
                let x0 = tape.scalar_var(0.3);
                let mut x = x0;
                for _ in 0..1_000_000 {
                    x = x.tanh() + 0.01;
                }
                let g = x.backward();
                assert!(g[x0].item().is_finite());
            }
            sizes.push(tape.memory_bytes());
            tape.reset();
        }
        assert_eq!(sizes[1], sizes[2], "{sizes:?}");
        assert!(sizes[1] <= sizes[0], "{sizes:?}");
    });
}
