//! The engine's semantics, through the `chainrule` facade: what a gradient is (no
//! accumulation across calls, sums over uses, stopped by detach and no_grad), what a tape
//! keeps (reset reuses memory), and what errors look like (tape mismatches, shape errors,
//! non-scalar backward), plus derivatives of third order and f32 tapes.

use chainrule::{grad, Error, Tape, Tensor, Var};
use std::panic::{catch_unwind, AssertUnwindSafe};

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1.0)
}

/// The message of a panic raised by `f`.
fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    if let Some(s) = err.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = err.downcast_ref::<&str>() {
        s.to_string()
    } else {
        panic!("panic payload is not a string")
    }
}

#[test]
fn backward_twice_gives_the_same_result() {
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(1.5);
    let w = tape.var(Tensor::from(vec![0.5, -2.0, 3.0]));
    let y = (w * x).sin().sum() + x * x * x;
    let g1 = y.backward();
    let g2 = y.backward();
    let g3 = y.backward();
    // dy/dx = sum_i w_i cos(w_i x) + 3x^2, dy/dw_i = x cos(w_i x).
    let wv = [0.5, -2.0, 3.0];
    let dx: f64 = wv.iter().map(|w| w * (w * 1.5f64).cos()).sum::<f64>() + 3.0 * 1.5 * 1.5;
    for g in [&g1, &g2, &g3] {
        assert!(close(g[x].item(), dx, 1e-14), "{} vs {dx}", g[x].item());
        for (i, wi) in wv.iter().enumerate() {
            let e = 1.5 * (wi * 1.5f64).cos();
            assert!(close(g[w].to_vec()[i], e, 1e-14));
        }
    }
    assert_eq!(g1[x].item(), g3[x].item());
    assert_eq!(g1[w].to_vec(), g3[w].to_vec());
    // grad (first order) agrees too, and calling it twice does not double either.
    let d1 = grad(y, &[x]).unwrap()[0].item();
    let d2 = grad(y, &[x]).unwrap()[0].item();
    assert_eq!(d1, d2);
    assert!(close(d1, dx, 1e-14));
}

#[test]
fn fan_out_sums_over_uses() {
    let tape = Tape::<f64>::new();
    let a = tape.scalar_var(3.0);
    let b = a + a;
    let c = b + b;
    assert_eq!(c.item(), 12.0);
    assert_eq!(c.backward()[a].item(), 4.0);

    // A value used n times: s = a + a + ... + a (n terms) has ds/da = n.
    for n in [1usize, 2, 7, 100] {
        let mut s = a;
        for _ in 1..n {
            s = s + a;
        }
        assert_eq!(s.backward()[a].item(), n as f64, "n = {n}");
    }

    // Uses through different ops: y = a*a*a + 5a - a/2 has dy/da = 3a^2 + 4.5.
    let y = a * a * a + 5.0 * a - a / 2.0;
    assert_eq!(y.backward()[a].item(), 3.0 * 9.0 + 4.5);

    // A diamond: d = sin(a) * exp(a) has d' = (cos a + sin a) exp(a).
    let d = a.sin() * a.exp();
    let e = (3f64.cos() + 3f64.sin()) * 3f64.exp();
    assert!(close(d.backward()[a].item(), e, 1e-14));

    // Broadcasting is a fan-out too: a scalar added to every element of a [4] tensor.
    let v = tape.var(Tensor::from(vec![1.0, 2.0, 3.0, 4.0]));
    let s = (v * a).sum(); // ds/da = sum(v) = 10
    assert_eq!(s.backward()[a].item(), 10.0);
}

#[test]
fn detach_stops_gradients() {
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(3.0);
    let xd = x.detach();
    assert!(!xd.requires_grad());
    assert_eq!(xd.item(), 3.0);

    // y = x * detach(x): the detached factor is the constant 3, so dy/dx = 3 (not 2x = 6).
    let y = x * xd;
    assert_eq!(y.item(), 9.0);
    assert_eq!(y.backward()[x].item(), 3.0);

    // Everything downstream of the detached value only is constant.
    let z = (xd * 2.0).exp() + xd.sin();
    assert!(!z.requires_grad());
    // A detached intermediate cuts the path through it, but not the other paths:
    // w = detach(x^2) * x + x^3 has dw/dx = x^2 + 3x^2 = 4x^2 = 36.
    let w = (x * x).detach() * x + x.powf(3.0);
    assert_eq!(w.backward()[x].item(), 36.0);
    // And higher order: d2w/dx2 = 6x = 18 (the detached factor stays constant).
    let d1 = grad(w, &[x]).unwrap()[0];
    let d2 = grad(d1, &[x]).unwrap()[0];
    assert_eq!(d2.item(), 18.0);
}

#[test]
fn no_grad_results_are_constants() {
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(2.0);
    assert!(tape.is_grad_enabled());
    let y = tape.no_grad(|| {
        assert!(!tape.is_grad_enabled());
        let inner = tape.no_grad(|| x.exp());
        assert!(!tape.is_grad_enabled(), "nesting must not re-enable recording");
        x * x * 3.0 + inner
    });
    assert!(tape.is_grad_enabled(), "recording is restored after no_grad");
    assert!(!y.requires_grad());
    assert!(close(y.item(), 12.0 + 2f64.exp(), 1e-15));

    // Gradients are unaffected by the no_grad value: z = x^2 + y has dz/dx = 2x = 4.
    let z = x * x + y;
    assert_eq!(z.backward()[x].item(), 4.0);
    // Using a no_grad value as a factor: z = x * y has dz/dx = y.
    let z2 = x * y;
    assert_eq!(z2.backward()[x].item(), y.item());

    // Restored even if the closure panics.
    let _ = catch_unwind(AssertUnwindSafe(|| tape.no_grad(|| panic!("inside no_grad"))));
    assert!(tape.is_grad_enabled());
    assert!((x * x).requires_grad());
}

#[test]
fn values_computed_only_from_constants_do_not_require_grad() {
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(1.0);
    let c = tape.constant(Tensor::from(vec![1.0, 2.0]));
    let k = tape.scalar(4.0);
    assert!(!c.requires_grad() && !k.requires_grad());
    let d = (c * k).exp().sum() + k.sqrt();
    assert!(!d.requires_grad());
    assert!(close(d.item(), 4f64.exp() + 8f64.exp() + 2.0, 1e-14));
    // Mixed with a variable it requires grad, and its derivative is the constant's value.
    let y = x * d;
    assert!(y.requires_grad());
    assert_eq!(y.backward()[x].item(), d.item());
    // The backward of a constant-only value gives every variable a zero gradient.
    let g = d.backward();
    assert_eq!(g[x].item(), 0.0);
    assert!(g.get(c).is_none(), "constants have no gradient entry");
}

#[test]
fn reset_keeps_capacity_and_memory_does_not_grow() {
    let mut tape = Tape::<f64>::new();
    let w = Tensor::from_vec(vec![0.1, -0.2, 0.3, 0.4, -0.5, 0.6], &[2, 3]).unwrap();
    let xs = Tensor::from_vec(vec![1.0, 2.0, 3.0, -1.0, 0.5, 2.0], &[3, 2]).unwrap();
    let mut first = None;
    let mut after_10 = 0;
    for step in 1..=1000 {
        tape.reset();
        assert_eq!(tape.len(), 0);
        let before = tape.memory_bytes();
        let wv = tape.var_from(&w);
        let x = tape.constant_from(&xs);
        let loss = wv.matmul(x).tanh().powf(2.0).mean() + wv.sum().sigmoid();
        let g = loss.backward();
        let d2 = grad(grad(loss, &[wv]).unwrap()[0].sum(), &[wv]).unwrap()[0].sum();
        let v = (loss.item(), g[wv].to_vec(), d2.item());
        // The same computation gives the same numbers every step.
        match &first {
            None => first = Some(v),
            Some(f) => assert_eq!(f, &v, "step {step}"),
        }
        if step > 1 {
            assert_eq!(tape.memory_bytes(), before, "step {step} grew the tape's buffers");
        }
        if step == 10 {
            after_10 = tape.memory_bytes();
        }
    }
    assert!(after_10 > 0);
    assert_eq!(
        tape.memory_bytes(),
        after_10,
        "memory after step 1000 vs after step 10"
    );

    // Reset itself keeps the capacity.
    let held = tape.memory_bytes();
    tape.reset();
    assert!(tape.is_empty());
    assert_eq!(tape.memory_bytes(), held);
}

#[test]
fn mixing_tapes_is_an_error() {
    let t1 = Tape::<f64>::new();
    let t2 = Tape::<f64>::new();
    assert_ne!(t1.id(), t2.id());
    let a = t1.scalar_var(1.0);
    let b = t2.scalar_var(2.0);
    assert_eq!(a.try_add(b).unwrap_err(), Error::TapeMismatch { op: "add" });
    assert_eq!(a.try_mul(b).unwrap_err(), Error::TapeMismatch { op: "mul" });
    assert_eq!(a.try_matmul(b).unwrap_err(), Error::TapeMismatch { op: "matmul" });
    assert!(matches!(grad(a * 2.0, &[b]), Err(Error::TapeMismatch { .. })));

    let msg = panic_message(|| {
        let _ = a + b;
    });
    assert!(msg.contains("add"), "panic message does not name the op: {msg}");
    assert!(msg.contains("different tapes"), "{msg}");
    let msg = panic_message(|| {
        let _ = a / b;
    });
    assert!(msg.starts_with("div"), "{msg}");
    // Both tapes still work after the failed ops.
    assert_eq!((a + a).item(), 2.0);
    assert_eq!((b * b).backward()[b].item(), 4.0);
}

#[test]
fn shape_errors_name_the_op_and_both_shapes() {
    let tape = Tape::<f64>::new();
    let m23 = tape.var(Tensor::zeros(&[2, 3]));
    let m45 = tape.var(Tensor::zeros(&[4, 5]));
    let v2 = tape.var(Tensor::zeros(&[2]));
    let v3 = tape.var(Tensor::zeros(&[3]));

    let e = m23.try_matmul(m45).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { op: "matmul", .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("matmul") && msg.contains("[2, 3]") && msg.contains("[4, 5]"),
        "{msg}"
    );

    // linear: x [2, 3] against a weight [4, 5] (needs [out, 3]), and a bias of the wrong size.
    let e = m23.try_linear(m45, None).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { op: "linear", .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("[2, 3]") && msg.contains("[4, 5]"), "{msg}");
    let w23 = tape.var(Tensor::zeros(&[2, 3]));
    let msg = m23.try_linear(w23, Some(v3)).unwrap_err().to_string();
    assert!(
        msg.contains("linear") && msg.contains("[2, 3]") && msg.contains("[3]"),
        "{msg}"
    );
    assert_eq!(m23.try_linear(w23, Some(v2)).unwrap().shape().as_slice(), &[2, 2]);
    let other = Tape::<f64>::new();
    let foreign_bias = other.var(Tensor::zeros(&[2]));
    assert_eq!(
        m23.try_linear(w23, Some(foreign_bias)).unwrap_err(),
        Error::TapeMismatch { op: "linear" }
    );

    let e = v2.try_add(v3).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::ShapeMismatch { op: "add", .. }), "{e:?}");
    assert!(
        msg.contains("add") && msg.contains("[2]") && msg.contains("[3]"),
        "{msg}"
    );
    // [2, 3] + [2] does not broadcast either (trailing axes 3 vs 2).
    let msg = m23.try_add(v2).unwrap_err().to_string();
    assert!(
        msg.contains("add") && msg.contains("[2, 3]") && msg.contains("[2]"),
        "{msg}"
    );

    let e = m23.try_reshape(&[4]).unwrap_err();
    assert!(matches!(e, Error::ShapeMismatch { op: "reshape", .. }), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("reshape") && msg.contains("[2, 3]") && msg.contains("[4]"),
        "{msg}"
    );

    // The panicking forms carry the same message.
    let msg = panic_message(|| {
        let _ = m23.matmul(m45);
    });
    assert!(
        msg.contains("matmul") && msg.contains("[2, 3]") && msg.contains("[4, 5]"),
        "{msg}"
    );
    let msg = panic_message(|| {
        let _ = v2 * v3;
    });
    assert!(
        msg.contains("mul") && msg.contains("[2]") && msg.contains("[3]"),
        "{msg}"
    );
}

#[test]
fn backward_of_a_non_scalar_is_an_error() {
    let tape = Tape::<f64>::new();
    let v = tape.var(Tensor::from(vec![1.0, 2.0, 3.0]));
    let y = v * v;
    match y.try_backward() {
        Err(Error::NotScalar { op, shape }) => {
            assert_eq!(op, "backward");
            assert_eq!(shape.as_slice(), &[3]);
        }
        other => panic!("expected NotScalar, got {other:?}"),
    }
    assert!(matches!(grad(y, &[v]), Err(Error::NotScalar { .. })));
    // A one-element tensor of any rank is fine.
    let s = y.sum_axes(&[0], true); // shape [1]
    assert_eq!(s.try_backward().unwrap()[v].to_vec(), vec![2.0, 4.0, 6.0]);
}

/// f, f', f'', f''' of a scalar function, through `grad` three times.
fn third_order(x0: f64, f: impl for<'t> Fn(Var<'t>) -> Var<'t>) -> [f64; 4] {
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(x0);
    let y = f(x);
    let d1 = grad(y, &[x]).unwrap()[0];
    let d2 = grad(d1, &[x]).unwrap()[0];
    let d3 = grad(d2, &[x]).unwrap()[0];
    [y.item(), d1.item(), d2.item(), d3.item()]
}

#[test]
fn third_order_derivatives_match_closed_forms() {
    type Function = for<'t> fn(Var<'t>) -> Var<'t>;
    type Closed = fn(f64) -> [f64; 4];
    let cases: [(&str, Function, Closed); 6] = [
        (
            "x^5",
            |x| x.powf(5.0),
            |x| [x.powi(5), 5.0 * x.powi(4), 20.0 * x.powi(3), 60.0 * x * x],
        ),
        (
            "x*x*x*x*x",
            |x| x * x * x * x * x,
            |x| [x.powi(5), 5.0 * x.powi(4), 20.0 * x.powi(3), 60.0 * x * x],
        ),
        ("sin", |x| x.sin(), |x| [x.sin(), x.cos(), -x.sin(), -x.cos()]),
        (
            "exp(2x)",
            |x| (x * 2.0).exp(),
            |x| {
                let e = (2.0 * x).exp();
                [e, 2.0 * e, 4.0 * e, 8.0 * e]
            },
        ),
        (
            "sigmoid",
            |x| x.sigmoid(),
            |x| {
                let s = 1.0 / (1.0 + (-x).exp());
                let d1 = s * (1.0 - s);
                [s, d1, d1 * (1.0 - 2.0 * s), d1 * (1.0 - 6.0 * s + 6.0 * s * s)]
            },
        ),
        (
            "tanh",
            |x| x.tanh(),
            |x| {
                let t = x.tanh();
                let d1 = 1.0 - t * t;
                [t, d1, -2.0 * t * d1, d1 * (6.0 * t * t - 2.0)]
            },
        ),
    ];
    for (name, f, closed) in cases {
        for x0 in [-1.7, -0.4, 0.3, 0.9, 2.2] {
            let got = third_order(x0, f);
            let want = closed(x0);
            for k in 0..4 {
                assert!(
                    close(got[k], want[k], 1e-12),
                    "{name}: derivative {k} at x = {x0}: engine {} vs closed form {}",
                    got[k],
                    want[k]
                );
            }
        }
    }
}

#[test]
fn gradients_wrt_unrelated_variables_are_zeros() {
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(2.0);
    let w = tape.var(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap());
    let y = x * x;
    let g = y.backward();
    assert_eq!(g[x].item(), 4.0);
    assert_eq!(g[w].shape(), &[2, 3]);
    assert_eq!(g[w].to_vec(), vec![0.0; 6]);

    let gs = grad(y, &[w, x]).unwrap();
    assert_eq!(gs[0].shape().as_slice(), &[2, 3]);
    assert_eq!(gs[0].value().to_vec(), vec![0.0; 6]);
    assert_eq!(gs[1].item(), 4.0);
    // Second order through a variable that does not appear: d/dx of (dy/dw = 0) is 0.
    let z = grad(gs[0].sum(), &[x]).unwrap()[0];
    assert_eq!(z.item(), 0.0);
    // A variable made after the output is unrelated too.
    let late = tape.scalar_var(7.0);
    assert_eq!(y.backward()[late].item(), 0.0);
}

#[test]
fn f32_tapes_work() {
    let tape = Tape::<f32>::new();
    let x = tape.scalar_var(0.5f32);
    let y = x * x * 3.0f32 + x.sin() - 1.0f32 / x;
    let x0 = 0.5f32;
    assert!((y.item() - (0.75 + x0.sin() - 2.0)).abs() < 1e-6);
    let g = y.backward();
    // dy/dx = 6x + cos x + 1/x^2.
    let want = 6.0 * x0 + x0.cos() + 4.0;
    assert!((g[x].item() - want).abs() < 1e-5, "{} vs {want}", g[x].item());
    let d1 = grad(y, &[x]).unwrap()[0];
    let d2 = grad(d1, &[x]).unwrap()[0];
    // d2y/dx2 = 6 - sin x - 2/x^3.
    let want2 = 6.0 - x0.sin() - 16.0;
    assert!((d2.item() - want2).abs() < 1e-4, "{} vs {want2}", d2.item());

    let w = tape.var(Tensor::<f32>::from(vec![1.0, -1.0, 2.0]));
    let loss = (w * w).sum().sqrt(); // |w|, gradient w / |w|
    let gw = loss.backward()[w].to_vec();
    let n = 6f32.sqrt();
    for (a, b) in gw.iter().zip([1.0 / n, -1.0 / n, 2.0 / n]) {
        assert!((a - b).abs() < 1e-6);
    }
}

#[test]
fn gradients_with_respect_to_intermediate_values() {
    // y = 2h + h^2 with h = x * x: dy/dh = 2 + 2h, as PyTorch's autograd.grad(y, h).
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(3.0);
    let h = x * x;
    let y = h * 2.0 + h * h;
    let g = grad(y, &[h, x]).unwrap();
    assert_eq!(g[0].item(), 2.0 + 2.0 * 9.0);
    assert_eq!(g[1].item(), (2.0 + 2.0 * 9.0) * 6.0);
    let v = chainrule::vjp(y, &Tensor::scalar(1.0), &[h]).unwrap();
    assert_eq!(v[0].item(), 20.0);
}

#[test]
fn gradients_from_before_a_reset_do_not_match_new_handles() {
    let mut tape = Tape::<f64>::new();
    let old = {
        let x = tape.scalar_var(1.0);
        (x * 2.0).backward()
    };
    tape.reset();
    let x = tape.scalar_var(5.0);
    assert!(
        old.get(x).is_none(),
        "a stale gradient was returned for a new handle"
    );
    assert_eq!((x * 3.0).backward()[x].item(), 3.0);
}
