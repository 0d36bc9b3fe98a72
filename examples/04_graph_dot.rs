//! The recorded graph in Graphviz DOT, with every node's value and gradient.
//!
//! y = sigmoid(0.5 x + 0.5) at x = 1 is the study note's hidden neuron (w11 = 0.5, b1 = 0.5,
//! x1 = 1): y = sigmoid(1) = 0.731059, dy/dx = 0.5 y (1 - y) = 0.098306. Then the same neuron
//! with the weight and bias as variables, so the graph shows `mul`, `add` and their gradients.
//!
//! Run with `cargo run --release --example 04_graph_dot`, and render with e.g.
//! `cargo run --release --example 04_graph_dot | sed -n '/^digraph/,/^}/p' | dot -Tsvg > y.svg`
//! (that keeps the first graph).

use chainrule::Tape;

fn main() {
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(1.0).named("x");
    let y = (0.5 * x + 0.5).sigmoid().named("y");
    let dot = y.to_dot_with_gradients().unwrap();
    print!("{dot}");

    let s = 1.0 / (1.0 + (-1.0f64).exp());
    let g = y.backward();
    println!(
        "// y = {:.6}, dy/dx = {:.6} (closed form 0.5 s (1 - s) = {:.6})\n",
        y.item(),
        g[x].item(),
        0.5 * s * (1.0 - s)
    );
    assert!((y.item() - s).abs() < 1e-15);
    assert!((g[x].item() - 0.5 * s * (1.0 - s)).abs() < 1e-15);

    // One box per recorded node, three arrows, values and gradients in the labels.
    assert!(dot.starts_with("digraph chainrule {"));
    assert_eq!(
        dot.matches("[label=").count(),
        4,
        "x, mul_scalar, add_scalar, sigmoid"
    );
    assert_eq!(dot.matches(" -> ").count(), 3, "a chain of three ops");
    for expected in [
        "\"x\\nvalue 1\\ngrad 0.098306\"", // the variable, highlighted
        "\"mul_scalar *0.5\\nvalue 0.5\\ngrad 0.196612\"", // dy/d(0.5x) = s (1 - s)
        "\"add_scalar +0.5\\nvalue 1\\ngrad 0.196612\"", // adding a constant passes it on
        "\"y = sigmoid\\nvalue 0.731059\\ngrad 1\"", // the seed dy/dy = 1
        "fillcolor=\"#dbeafe\"",           // variables are filled
    ] {
        assert!(dot.contains(expected), "missing {expected} in\n{dot}");
    }

    // The same neuron with the weight and bias as variables. The constant input is grey and gets
    // no gradient (the sweep visits only what leads to a variable); the weight's gradient is
    // x1 y (1 - y), the bias's y (1 - y).
    let w = tape.scalar_var(0.5).named("w11");
    let b = tape.scalar_var(0.5).named("b1");
    let x1 = tape.scalar(1.0).named("x1");
    let a = (w * x1 + b).sigmoid().named("a11");
    let dot = a.to_dot_with_gradients().unwrap();
    print!("{dot}");
    for expected in [
        "\"w11\\nvalue 0.5\\ngrad 0.196612\"",
        "\"b1\\nvalue 0.5\\ngrad 0.196612\"",
        "\"x1\\nvalue 1\", color=\"#9ca3af\"", // a constant: grey, and no gradient is computed for it
        "\"a11 = sigmoid\\nvalue 0.731059\\ngrad 1\"",
        "mul\\n",
        "add\\n",
    ] {
        assert!(dot.contains(expected), "missing {expected} in\n{dot}");
    }
}
