//! Derivatives of any order: `grad` records the derivative rules as ordinary ops, so its result
//! is a graph that `grad` can differentiate again.
//!
//! 1. f(x) = e^{2x} sin x, orders 1..4. Since f = Im e^{(2+i)x} and 2 + i = sqrt(5) e^{i theta}
//!    with theta = atan(1/2), the closed form is f^(n)(x) = 5^{n/2} e^{2x} sin(x + n theta).
//! 2. tanh, orders 1..4, with t = tanh x:
//!    t' = 1 - t^2, t'' = -2t(1 - t^2), t''' = -2(1 - t^2)(1 - 3t^2), t'''' = 8t(2 - 3t^2)(1 - t^2).
//!    Each order is taken at many points at once: for an elementwise f, the gradient of
//!    `sum(f(x))` is f' at every element.
//! 3. `hessian` of logsumexp: diag(p) - p p^T with p = softmax(x).
//!
//! Run with `cargo run --release --example 03_higher_order`.

use chainrule::{grad, hessian, Tape, Tensor};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

fn main() {
    // 1. One point, four orders.
    let x0 = 0.7;
    let theta = 0.5f64.atan();
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(x0);
    let mut d = (x * 2.0).exp() * x.sin();
    println!("f(x) = e^(2x) sin x at x = {x0}");
    println!(
        "{:>5} {:>20} {:>20} {:>10}",
        "order", "engine", "closed form", "tape len"
    );
    for n in 1..=4 {
        d = grad(d, &[x]).unwrap()[0];
        let exact = 5f64.powf(n as f64 / 2.0) * (2.0 * x0).exp() * (x0 + n as f64 * theta).sin();
        println!("{n:>5} {:>20.15} {exact:>20.15} {:>10}", d.item(), tape.len());
        assert!(
            close(d.item(), exact, 1e-13),
            "order {n}: {} vs {exact}",
            d.item()
        );
    }

    // 2. Many points, four orders of tanh.
    let points = Tensor::linspace(-2.0, 2.0, 9);
    let tape = Tape::<f64>::new();
    let x = tape.var_from(&points);
    let t = points.map(|v| v.tanh());
    let closed: [Box<dyn Fn(f64) -> f64>; 4] = [
        Box::new(|t| 1.0 - t * t),
        Box::new(|t| -2.0 * t * (1.0 - t * t)),
        Box::new(|t| -2.0 * (1.0 - t * t) * (1.0 - 3.0 * t * t)),
        Box::new(|t| 8.0 * t * (2.0 - 3.0 * t * t) * (1.0 - t * t)),
    ];
    println!("\ntanh^(n) at {:?}", points.as_slice());
    let mut d = x.tanh();
    for (n, exact) in closed.iter().enumerate() {
        d = grad(d.sum(), &[x]).unwrap()[0];
        let got = d.value();
        let want = t.map(exact);
        println!("order {}: {got}", n + 1);
        let err = got.max_abs_diff(&want).unwrap();
        assert!(err < 1e-13, "order {}: max error {err:e}", n + 1);
    }

    // 3. The Hessian of logsumexp (a composite: its max shift is detached, yet second order
    //    is exact because the shift's contributions cancel).
    let v = Tensor::from(vec![0.5, -1.0, 2.0]);
    let h = hessian(|x| x.logsumexp(), &v).unwrap();
    let p = {
        let tape = Tape::<f64>::new();
        tape.constant_from(&v).softmax(0).value()
    };
    println!("\nHessian of logsumexp at {:?}:\n{h}", v.as_slice());
    assert_eq!(h.shape(), &[3, 3]);
    for i in 0..3 {
        for j in 0..3 {
            let exact = if i == j { p[[i]] } else { 0.0 } - p[[i]] * p[[j]];
            assert!(
                close(h[[i, j]], exact, 1e-14),
                "H[{i}, {j}] = {} vs {exact}",
                h[[i, j]]
            );
        }
    }
    // Each row sums to 0: logsumexp(x + c) = logsumexp(x) + c is linear along (1, 1, 1).
    for i in 0..3 {
        let row: f64 = (0..3).map(|j| h[[i, j]]).sum();
        assert!(row.abs() < 1e-15);
    }
    println!("matches diag(p) - p p^T with p = softmax(x)");
}
