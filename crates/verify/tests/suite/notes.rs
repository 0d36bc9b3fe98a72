//! `notes::run()`: the note's sections in the note's order, a complete and consistent report,
//! and, for every worked number and formula, a verdict consistent with values and derivatives
//! this file computes on its own in plain Rust (no verdict is written down here: each
//! expectation follows from the independent computation).

mod activations;
mod chain_rule;
mod network;
mod whole;

use verify::notes::{run, Item, NotesReport};

fn report() -> NotesReport {
    run()
}

/// The item whose claim is `claim` in the section whose title contains `section`.
fn item<'a>(r: &'a NotesReport, section: &str, claim: &str) -> &'a Item {
    let s = r
        .sections
        .iter()
        .find(|s| s.title.to_lowercase().contains(section))
        .unwrap_or_else(|| panic!("no section {section:?}"));
    s.items.iter().find(|i| i.claim == claim).unwrap_or_else(|| {
        let claims: Vec<&str> = s.items.iter().map(|i| i.claim.as_str()).collect();
        panic!("no claim {claim:?} in {:?}; it has {claims:?}", s.title)
    })
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

// ---- The note's network, by hand -------------------------------------------------------

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        z.exp() / (1.0 + z.exp())
    }
}

/// d sigmoid / dz = e^-z / (1 + e^-z)^2 (symmetric in z).
fn sigmoid_slope(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    e / ((1.0 + e) * (1.0 + e))
}

fn relu(z: f64) -> f64 {
    z.max(0.0)
}

/// One forward and backward pass of a11 = sigmoid(x1 w11 + b1), y = a21 = relu(a11 w21 + b2),
/// J = 1/2 (y - label)^2, with the gradients derived by hand.
#[derive(Debug)]
struct Pass {
    a11: f64,
    z21: f64,
    y: f64,
    loss: f64,
    /// dJ/dw11, dJ/db1, dJ/dw21, dJ/db2.
    grads: [f64; 4],
}

fn pass(w11: f64, b1: f64, w21: f64, b2: f64, x1: f64, label: f64) -> Pass {
    let z11 = x1 * w11 + b1;
    let a11 = sigmoid(z11);
    let z21 = a11 * w21 + b2;
    let y = relu(z21);
    let dj_dy = y - label;
    let relu_slope = if z21 > 0.0 { 1.0 } else { 0.0 };
    let dj_dz21 = dj_dy * relu_slope;
    let dj_dz11 = dj_dz21 * w21 * sigmoid_slope(z11);
    Pass {
        a11,
        z21,
        y,
        loss: 0.5 * dj_dy * dj_dy,
        grads: [dj_dz11 * x1, dj_dz11, dj_dz21 * a11, dj_dz21],
    }
}

/// The note's values: w11 = 0.5, b1 = 0.5, w21 = 1, b2 = 1, x1 = 1, label 2, and lr 0.1.
struct Note {
    first: Pass,
    /// w11, b1, w21, b2 after one SGD step.
    updated: [f64; 4],
    second: Pass,
}

fn note() -> Note {
    let first = pass(0.5, 0.5, 1.0, 1.0, 1.0, 2.0);
    let old = [0.5, 0.5, 1.0, 1.0];
    let updated: [f64; 4] = std::array::from_fn(|i| old[i] - 0.1 * first.grads[i]);
    let second = pass(updated[0], updated[1], updated[2], updated[3], 1.0, 2.0);
    Note {
        first,
        updated,
        second,
    }
}
