//! The study note's worked network, forward and back, with `nn`'s neurons and the engine's
//! gradients, printed beside the numbers the note states.
//!
//! The network (note, sections 3 and 6): one input `x1 = 1`; a hidden neuron
//! `a11 = sigmoid(w11 x1 + b1)` with `w11 = 0.5`, `b1 = 0.5`; an output neuron
//! `y = a21 = relu(w21 a11 + b2)` with `w21 = 1`, `b2 = 1`; the loss `J = 1/2 (y - 2)^2` for the
//! label 2 (`nn::loss::mse_half` with one sample). Both neurons are `nn::Neuron`s, expressions
//! of the engine's ops; the gradients come from one reverse sweep (`J.backward()`), and the
//! update is one step of `nn::optim::Sgd` with learning rate 0.1.
//!
//! Each of the note's numbers is compared at the precision the note prints it (agreement means
//! the engine's value rounds to the note's). Where they differ, the example recomputes the
//! note's arithmetic the way the note did it (three-decimal intermediates) to show where the
//! difference comes from. Nothing is decided in advance: every verdict is computed.
//!
//! Run with `cargo run --release --example 05_note_neuron`.

use chainrule::nn::optim::{Optimizer, Sgd};
use chainrule::nn::{loss, Activation, Module, Neuron, ParamStore};
use chainrule::{Tape, Tensor};

/// Engine values of one forward and backward pass.
struct Pass {
    a11: f64,
    y: f64,
    j: f64,
    /// dJ/dw11, dJ/db1, dJ/dw21, dJ/db2, in the store's order.
    grads: [f64; 4],
}

struct Net {
    hidden: Neuron,
    output: Neuron,
}

impl Net {
    fn new(ps: &mut ParamStore<f64>) -> Self {
        let hidden = Neuron::new(ps, "hidden", 1, Activation::Sigmoid).unwrap();
        let output = Neuron::new(ps, "output", 1, Activation::Relu).unwrap();
        Self { hidden, output }
    }

    fn pass(&self, ps: &ParamStore<f64>) -> Pass {
        let tape = Tape::new();
        let p = ps.bind(&tape);
        let x1 = tape.constant(Tensor::from(vec![1.0]));
        let a11 = self.hidden.forward(&p, x1); // sigmoid(x1 w11 + b1), a scalar
        let y = self.output.forward(&p, a11.reshape(&[1])); // relu(a11 w21 + b2)
        let j = loss::mse_half(y, tape.scalar(2.0)).unwrap(); // 1/2 (y - 2)^2
        let g = p.grads(j.backward());
        let g = |i: usize| g[i].as_ref().expect("every parameter gets a gradient").item();
        Pass {
            a11: a11.item(),
            y: y.item(),
            j: j.item(),
            grads: [g(0), g(1), g(2), g(3)],
        }
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let s = 10f64.powi(decimals);
    (x * s).round() / s
}

/// The number of decimals a number is printed with.
fn decimals(printed: &str) -> i32 {
    printed.split('.').nth(1).map_or(0, |d| d.len() as i32)
}

/// One comparison row: the note's printed value against the engine's.
struct Check {
    agreed: usize,
    differed: Vec<String>,
}

impl Check {
    /// Prints a row and returns whether the engine's value, rounded to the note's printed
    /// precision, is the note's value.
    fn row(&mut self, what: &str, note: &str, engine: f64) -> bool {
        let n: f64 = note.parse().unwrap();
        let d = decimals(note);
        let agrees =
            round_to(engine, d) == round_to(n, d) || (engine - n).abs() <= 0.5 * 10f64.powi(-d) + 1e-12;
        let verdict = if agrees {
            self.agreed += 1;
            "agrees".to_string()
        } else {
            self.differed.push(what.to_string());
            format!("DIFFERS by {:.2e}", engine - n)
        };
        println!("  {what:<34} {note:>10} {engine:>14.6}   {verdict}");
        agrees
    }
}

fn main() {
    let mut ps = ParamStore::<f64>::new();
    let net = Net::new(&mut ps);
    for (name, v) in [
        ("hidden.weight", 0.5),
        ("hidden.bias", 0.5),
        ("output.weight", 1.0),
        ("output.bias", 1.0),
    ] {
        let t = if name.ends_with("weight") {
            Tensor::from(vec![v])
        } else {
            Tensor::scalar(v)
        };
        ps.set(name, t).unwrap();
    }
    let mut check = Check {
        agreed: 0,
        differed: Vec::new(),
    };
    let header = || println!("  {:<34} {:>10} {:>14}   verdict", "quantity", "note", "engine");

    // Forward (section 3).
    let before = net.pass(&ps);
    println!("Forward pass: x1 = 1, w11 = 0.5, b1 = 0.5, w21 = 1, b2 = 1 (section 3)");
    header();
    check.row("a11 = sigmoid(x1 w11 + b1)", "0.731", before.a11);
    check.row("a21 = relu(a11 w21 + b2)", "1.731", before.y);
    println!("  {:<34} {:>10} {:>14.6}", "J = 1/2 (y - 2)^2", "-", before.j);
    assert_eq!(before.a11, sigmoid(1.0));
    assert_eq!(before.y, sigmoid(1.0) + 1.0);

    // Backward (section 6).
    let [g_w11, g_b1, g_w21, g_b2] = before.grads;
    println!("\nGradients from the engine's reverse sweep (section 6)");
    header();
    let rows = [
        ("dJ/dw21 = (y - 2) a11", "-0.196639", g_w21),
        ("dJ/db2  = (y - 2)", "-0.269", g_b2),
        ("dJ/dw11 = (y-2) w21 a11(1-a11) x1", "-0.052895", g_w11),
        ("dJ/db1", "-0.052895", g_b1),
    ];
    let mut grad_differs = Vec::new();
    for (what, note, engine) in rows {
        if !check.row(what, note, engine) {
            grad_differs.push((what, note.parse::<f64>().unwrap(), engine));
        }
    }
    // The engine agrees with the closed forms of the chain rule to rounding.
    let (a, y) = (before.a11, before.y);
    assert!((g_w21 - (y - 2.0) * a).abs() < 1e-15);
    assert!((g_b2 - (y - 2.0)).abs() < 1e-15);
    assert!((g_w11 - (y - 2.0) * a * (1.0 - a)).abs() < 1e-15);
    assert_eq!(g_w11, g_b1, "x1 = 1, so dJ/dw11 = dJ/db1");
    if !grad_differs.is_empty() {
        // The note multiplies three-decimal intermediates: y - 2 = -0.269, a11 = 0.731.
        let (e3, a3) = (round_to(y - 2.0, 3), round_to(a, 3));
        let note_arith = [
            ("dJ/dw21", e3 * a3),
            ("dJ/dw11", e3 * a3 * (1.0 - a3)),
            ("dJ/db1", e3 * a3 * (1.0 - a3)),
        ];
        println!("  The note's arithmetic, with y - 2 = {e3} and a11 = {a3} rounded to three decimals:");
        for (what, v) in note_arith {
            let matches = grad_differs
                .iter()
                .any(|(w, n, _)| w.starts_with(what) && (n - v).abs() < 1e-6);
            println!(
                "    {what} = {v:.9}: {}",
                if matches {
                    "matches the note's value within 1e-6, so the difference is the note's rounding"
                } else {
                    "does not reproduce the note's value"
                }
            );
        }
    }

    // One SGD step, lr 0.1.
    let mut opt = Sgd::new(0.1);
    let grads: Vec<Option<Tensor<f64>>> = before
        .grads
        .iter()
        .enumerate()
        .map(|(i, &g)| {
            Some(if i % 2 == 0 {
                Tensor::from(vec![g])
            } else {
                Tensor::scalar(g)
            })
        })
        .collect();
    opt.step(&mut ps, &grads);
    let w = |name: &str| ps.value(name).unwrap().as_slice()[0];
    let (w11, b1, w21, b2) = (
        w("hidden.weight"),
        w("hidden.bias"),
        w("output.weight"),
        w("output.bias"),
    );
    assert!((w11 - (0.5 - 0.1 * g_w11)).abs() < 1e-15 && (b2 - (1.0 - 0.1 * g_b2)).abs() < 1e-15);
    println!("\nOne SGD step, learning rate 0.1 (the engine's exact gradients; the note rounds them to three decimals first)");
    header();
    check.row("w11 = 0.5 - 0.1 dJ/dw11", "0.505", w11);
    check.row("w21 = 1 - 0.1 dJ/dw21", "1.020", w21);
    check.row("b1  = 0.5 - 0.1 dJ/db1", "0.505", b1);
    check.row("b2  = 1 - 0.1 dJ/db2", "1.027", b2);

    // The second forward pass.
    let after = net.pass(&ps);
    println!("\nSecond forward pass with the updated parameters");
    header();
    check.row("a11", "0.733", after.a11);
    let note_y2 = "1.775";
    let y_ok = check.row("a21 = y", note_y2, after.y);
    if !y_ok {
        // Redo the note's second pass from the parameters as it prints them (three decimals).
        let (p11, pb1, p21, pb2) = (
            round_to(w11, 3),
            round_to(b1, 3),
            round_to(w21, 3),
            round_to(b2, 3),
        );
        let a_note = round_to(sigmoid(p11 + pb1), 3);
        let y_note = (a_note * p21 + pb2).max(0.0);
        // The note's procedure exactly: gradients rounded to three decimals, then the update.
        let g3 = |g: f64| round_to(g, 3);
        let (q11, qb1, q21, qb2) = (
            0.5 - 0.1 * g3(g_w11),
            0.5 - 0.1 * g3(g_b1),
            1.0 - 0.1 * g3(g_w21),
            1.0 - 0.1 * g3(g_b2),
        );
        let y_rounded_grads = (sigmoid(q11 + qb1) * q21 + qb2).max(0.0);
        println!(
            "  From the parameters as the note prints them ({p11}, {pb1}, {p21}, {pb2}) and a11 = {a_note}: y = {y_note:.5}, which rounds to {:.3}.",
            y_note
        );
        println!(
            "  With the note's rounded gradients but unrounded parameters: y = {y_rounded_grads:.5}; with the engine's: {:.5}.",
            after.y
        );
        let reproduced = round_to(y_note, 3) == note_y2.parse::<f64>().unwrap();
        println!(
            "  So the note's {note_y2} {} from rounding the updated parameters to three decimals before the second pass.",
            if reproduced { "comes" } else { "does NOT come" }
        );
    }
    let closing: f64 = "0.1775".parse().unwrap();
    let closing_ok = check.row("the closing sentence's y", "0.1775", after.y);
    if !closing_ok {
        let factor = after.y / closing;
        println!(
            "  The engine's y is {factor:.3} times the closing sentence's 0.1775: {}",
            if (factor - 10.0).abs() < 0.05 {
                "the decimal point is one place off (1.775 was meant)"
            } else {
                "not a simple slip of the decimal point"
            }
        );
    }
    let closer = (after.y - 2.0).abs() < (before.y - 2.0).abs();
    println!(
        "  Is the new y closer to the label 2 than 1.731 was? note: yes; engine: {} (|y - 2| {:.4} -> {:.4}; J {:.6} -> {:.6})",
        if closer { "yes" } else { "no" },
        (before.y - 2.0).abs(),
        (after.y - 2.0).abs(),
        before.j,
        after.j
    );
    assert!(
        after.j < before.j,
        "one SGD step with a small learning rate lowers the loss"
    );

    println!(
        "\n{} of the note's {} printed numbers agree with the engine at the note's precision; differing: {}.",
        check.agreed,
        check.agreed + check.differed.len(),
        if check.differed.is_empty() {
            "none".to_string()
        } else {
            check.differed.join("; ")
        }
    );
}
