//! Deep chains on a small stack: building, the reverse sweep and dropping must not recurse.
//!
//! Everything runs on a thread with a 2 MiB stack. The gradients are checked against a
//! hand-written forward-mode loop that carries the derivative (the product of the local
//! derivatives, and for the second order the second derivative too) alongside the value.

use chainrule::{grad, Tape};
use std::time::{Duration, Instant};

const SMALL_STACK: usize = 2 * 1024 * 1024;

fn on_small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .name("small-stack".into())
        .stack_size(SMALL_STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the deep chain panicked (or overflowed the stack)")
}

fn rel_err(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// The multiplier of the chain, a variable used at every third op.
const W: f64 = 1.0000001;
const SHIFT: f64 = 1e-7;
const X0: f64 = 0.8;

#[test]
fn million_op_chain_backward_on_a_small_stack() {
    const OPS: usize = 1_000_000;
    let (report, (value, dx0, dw), (want_value, want_dx0, want_dw)) = on_small_stack(|| {
        let t0 = Instant::now();
        let tape = Tape::<f64>::new();
        let x0 = tape.scalar_var(X0);
        let w = tape.scalar_var(W);
        let mut x = x0;
        // Cycle of three ops: x * w (a binary node), + 1e-7 (a scalar op), tanh.
        for i in 0..OPS {
            x = match i % 3 {
                0 => x * w,
                1 => x + SHIFT,
                _ => x.tanh(),
            };
        }
        let nodes = tape.len();
        let t_build = t0.elapsed();

        let t1 = Instant::now();
        let g = x.backward();
        let t_backward = t1.elapsed();
        let got = (x.item(), g[x0].item(), g[w].item());

        let t2 = Instant::now();
        drop(g);
        drop(tape);
        let t_drop = t2.elapsed();

        // Forward mode by hand: (value, dvalue/dx0, dvalue/dw) through the same ops.
        let (mut v, mut dv_dx0, mut dv_dw) = (X0, 1.0f64, 0.0f64);
        for i in 0..OPS {
            match i % 3 {
                0 => {
                    dv_dw = dv_dw * W + v; // d(v w)/dw = (dv/dw) w + v
                    dv_dx0 *= W;
                    v *= W;
                }
                1 => v += SHIFT,
                _ => {
                    v = chainrule::math::tanh(v); // the engine's tanh
                    let local = 1.0 - v * v;
                    dv_dx0 *= local;
                    dv_dw *= local;
                }
            }
        }
        let report =
            format!("{OPS} ops ({nodes} nodes): build {t_build:?}, backward {t_backward:?}, drop {t_drop:?}");
        (report, got, (v, dv_dx0, dv_dw))
    });
    println!("{report}");
    println!(
        "value {value}, dy/dx0 {dx0:e} (forward mode {want_dx0:e}), dy/dw {dw} (forward mode {want_dw})"
    );

    // The recorded forward pass does the same floating-point operations as the loop.
    assert_eq!(value, want_value);
    // Non-trivial, finite gradients. The iterates of tanh shrink like sqrt(3 / 2n), so the
    // product of the local derivatives decays like n^(-3/2): about 4e-13 after 333,333
    // tanh steps, still far above underflow. dy/dw sums over the 333,334 uses of w.
    assert!(dx0.is_finite() && dx0 > 1e-15, "{dx0}");
    assert!(dw.is_finite() && dw > 1e-6, "{dw}");
    assert!(rel_err(dx0, want_dx0) < 1e-9, "dy/dx0 {dx0} vs {want_dx0}");
    assert!(rel_err(dw, want_dw) < 1e-9, "dy/dw {dw} vs {want_dw}");
}

#[test]
fn grad_of_grad_on_a_100k_chain_on_a_small_stack() {
    const OPS: usize = 100_000;
    let (report, (d1, d2), (want_d1, want_d2)) = on_small_stack(|| {
        let t0 = Instant::now();
        let tape = Tape::<f64>::new();
        let x0 = tape.scalar_var(X0);
        let mut x = x0;
        for i in 0..OPS {
            x = match i % 3 {
                0 => x * W,
                1 => x + SHIFT,
                _ => x.tanh(),
            };
        }
        let first = grad(x, &[x0]).unwrap()[0];
        let second = grad(first, &[x0]).unwrap()[0];
        let got = (first.item(), second.item());
        let nodes = tape.len();
        drop(tape);
        let elapsed: Duration = t0.elapsed();

        // Forward mode by hand, to second order: for v -> f(v),
        // v' -> f'(v) v' and v'' -> f''(v) v'^2 + f'(v) v''.
        let (mut v, mut d1, mut d2) = (X0, 1.0f64, 0.0f64);
        for i in 0..OPS {
            match i % 3 {
                0 => {
                    v *= W;
                    d1 *= W;
                    d2 *= W;
                }
                1 => v += SHIFT,
                _ => {
                    v = chainrule::math::tanh(v); // the engine's tanh
                    let f1 = 1.0 - v * v;
                    let f2 = -2.0 * v * f1;
                    d2 = f2 * d1 * d1 + f1 * d2;
                    d1 *= f1;
                }
            }
        }
        let report = format!("{OPS} ops, grad twice: {nodes} nodes in all, {elapsed:?}");
        (report, got, (d1, d2))
    });
    println!("{report}");
    println!("d1 {d1:e} (forward mode {want_d1:e}), d2 {d2:e} (forward mode {want_d2:e})");
    assert!(d1.is_finite() && d1 > 0.0 && d2.is_finite() && d2 != 0.0);
    assert!(rel_err(d1, want_d1) < 1e-9, "d1 {d1} vs {want_d1}");
    assert!(rel_err(d2, want_d2) < 1e-9, "d2 {d2} vs {want_d2}");
}
