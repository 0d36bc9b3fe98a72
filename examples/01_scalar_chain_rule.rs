//! The chain rule on scalars, with no network: the study note's several-variable example
//!
//!   z = u^2 + v^3,   u = 2 - y,   v = 4 + y,   y = 4x.
//!
//! `x` reaches `z` along two paths (through `u` and through `v`), so by the multivariable chain
//! rule
//!
//!   dz/dx = dz/du du/dy dy/dx + dz/dv dv/dy dy/dx = 2u (-1) 4 + 3v^2 (1) 4 = -8u + 12v^2.
//!
//! Substituting u = 2 - 4x and v = 4 + 4x and expanding (derived here, not copied from the
//! note):
//!
//!   -8(2 - 4x) + 12(4 + 4x)^2 = -16 + 32x + 12(16 + 32x + 16x^2)
//!                             = 192x^2 + 416x + 176,
//!
//! and once more, d2z/dx2 = 384x + 416.
//!
//! The engine's reverse sweep does exactly this sum of paths: the gradient arriving at `y` from
//! `u` and the one arriving from `v` are added. The note prints the expansion as
//! `192x^2 + 542x + 176`; its middle coefficient disagrees with both the engine and the
//! expansion above (its intermediate form `-8u + 12v^2` is right).
//!
//! Run with `cargo run --release --example 01_scalar_chain_rule`.

use chainrule::{grad, Tape};

/// dz/dx in closed form, expanded by hand.
fn dz_dx(x: f64) -> f64 {
    192.0 * x * x + 416.0 * x + 176.0
}

/// d2z/dx2 in closed form.
fn d2z_dx2(x: f64) -> f64 {
    384.0 * x + 416.0
}

/// The expansion as the note prints it (for comparison only).
fn note_expansion(x: f64) -> f64 {
    192.0 * x * x + 542.0 * x + 176.0
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

fn main() {
    println!("z = u^2 + v^3, u = 2 - y, v = 4 + y, y = 4x");
    println!("closed form: dz/dx = 192x^2 + 416x + 176, d2z/dx2 = 384x + 416\n");
    println!(
        "{:>6} {:>12} {:>14} {:>14} {:>14} {:>12} {:>14}",
        "x", "z", "dz/dx engine", "-8u + 12v^2", "closed form", "d2z/dx2", "note's 542x"
    );
    for x0 in [-2.0, -1.0, -0.5, 0.0, 0.25, 1.0, 3.0] {
        let tape = Tape::<f64>::new();
        let x = tape.scalar_var(x0);
        let y = x * 4.0;
        let u = 2.0 - y;
        let v = 4.0 + y;
        let z = u.powf(2.0) + v.powf(3.0);

        // First order by `backward` (one reverse sweep, values only).
        let g = z.backward();
        let d1 = g[x].item();
        // The same derivative by `grad`, which records the rules, so it can be differentiated again.
        let d1_graph = grad(z, &[x]).unwrap()[0];
        let d2 = grad(d1_graph, &[x]).unwrap()[0].item();

        let (uv, vv) = (u.item(), v.item());
        let by_paths = -8.0 * uv + 12.0 * vv * vv;
        println!(
            "{x0:>6} {:>12} {d1:>14} {by_paths:>14} {:>14} {d2:>12} {:>14}",
            z.item(),
            dz_dx(x0),
            note_expansion(x0)
        );

        assert!(close(z.item(), uv * uv + vv * vv * vv));
        assert!(close(d1, by_paths), "engine {d1} vs -8u + 12v^2 = {by_paths}");
        assert!(close(d1, dz_dx(x0)), "engine {d1} vs closed form {}", dz_dx(x0));
        assert_eq!(d1, d1_graph.item(), "backward and grad run the same rules");
        assert!(
            close(d2, d2z_dx2(x0)),
            "second derivative {d2} vs {}",
            d2z_dx2(x0)
        );
        // The engine agrees with the note's expansion exactly where our closed form does.
        assert_eq!(
            close(d1, note_expansion(x0)),
            close(dz_dx(x0), note_expansion(x0))
        );
    }
    let differs: Vec<f64> = [-2.0, -1.0, 0.5, 1.0, 3.0]
        .into_iter()
        .filter(|&x| !close(dz_dx(x), note_expansion(x)))
        .collect();
    println!("\nThe engine agrees with -8u + 12v^2 and with the closed form at every x;");
    println!("the note's printed expansion differs from it at x = {differs:?}.");
}
