//! The study note's two chain-rule examples (docs/study-note/README.md, section 5), checked
//! with the engine.
//!
//! Closed forms, derived here by expanding in x (y = 4x, u = 2 - y = 2 - 4x, v = 4 + y = 4 + 4x):
//!
//! (a) z = u^2 = (2 - 4x)^2 = 16x^2 - 16x + 4
//!     dz/dx = 32x - 16,  d2z/dx2 = 32.
//!
//! (b) z = u^2 + v^3 = (2 - 4x)^2 + (4 + 4x)^3
//!     dz/dx = -8(2 - 4x) + 12(4 + 4x)^2 = (32x - 16) + (192x^2 + 384x + 192)
//!           = 192x^2 + 416x + 176,
//!     d2z/dx2 = 384x + 416.
//!
//! The first tests assert the engine's first and second derivatives (the second through
//! `grad` applied twice) against these. The last test asks the engine whether each result the
//! note states holds, and asserts the verdict the engine gives.

use chainrule::{grad, Tape, Var};

/// Values and derivatives of one example at one point, all from the engine.
#[derive(Debug, Clone, Copy)]
struct Eval {
    u: f64,
    v: f64,
    dz: f64,
    d2z: f64,
}

/// dz/dx and d2z/dx2 through `grad` (a differentiable gradient, differentiated again).
fn derivatives<'t>(z: Var<'t>, x: Var<'t>) -> (f64, f64) {
    let d1 = grad(z, &[x]).unwrap()[0];
    let d2 = grad(d1, &[x]).unwrap()[0];
    // `backward` must agree with the first-order `grad`.
    let g = z.backward();
    assert_eq!(g[x].item(), d1.item(), "backward and grad disagree");
    (d1.item(), d2.item())
}

/// Example (a): z = u^2, u = 2 - y, y = 4x.
fn example_a(x0: f64) -> Eval {
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(x0);
    let y = 4.0 * x;
    let u = 2.0 - y;
    let z = u.powf(2.0);
    let (dz, d2z) = derivatives(z, x);
    Eval {
        u: u.item(),
        v: f64::NAN,
        dz,
        d2z,
    }
}

/// Example (b): z = u^2 + v^3, u = 2 - y, v = 4 + y, y = 4x.
fn example_b(x0: f64) -> Eval {
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(x0);
    let y = 4.0 * x;
    let u = 2.0 - y;
    let v = 4.0 + y;
    let z = u.powf(2.0) + v.powf(3.0);
    let (dz, d2z) = derivatives(z, x);
    Eval {
        u: u.item(),
        v: v.item(),
        dz,
        d2z,
    }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1.0)
}

const POINTS: [f64; 5] = [-2.0, 0.0, 0.5, 1.0, 3.0];

#[test]
fn example_a_first_and_second_derivatives() {
    for x in POINTS {
        let e = example_a(x);
        let (d1, d2) = (32.0 * x - 16.0, 32.0);
        assert!(
            close(e.dz, d1, 1e-9),
            "x = {x}: dz/dx engine {} vs closed form {d1}",
            e.dz
        );
        assert!(
            close(e.d2z, d2, 1e-9),
            "x = {x}: d2z/dx2 engine {} vs closed form {d2}",
            e.d2z
        );
    }
}

#[test]
fn example_b_first_and_second_derivatives() {
    for x in POINTS {
        let e = example_b(x);
        let d1 = 192.0 * x * x + 416.0 * x + 176.0;
        let d2 = 384.0 * x + 416.0;
        assert!(
            close(e.dz, d1, 1e-9),
            "x = {x}: dz/dx engine {} vs closed form {d1}",
            e.dz
        );
        assert!(
            close(e.d2z, d2, 1e-9),
            "x = {x}: d2z/dx2 engine {} vs closed form {d2}",
            e.d2z
        );
    }
}

/// The evaluation points of the verdicts: the five above, then a grid over [-10, 10] in steps
/// of 1/8, then a few points that are not dyadic.
fn verdict_points() -> Vec<f64> {
    let mut p = POINTS.to_vec();
    p.extend((-80..=80).map(|i| i as f64 / 8.0));
    p.extend([
        0.1,
        -0.3,
        std::f64::consts::PI,
        -std::f64::consts::E,
        1.0 / 3.0,
        7.77,
    ]);
    p
}

/// Whether `claim` equals the engine's dz/dx at every point; prints the first counterexample.
fn verdict(name: &str, example: fn(f64) -> Eval, claim: impl Fn(f64, &Eval) -> f64) -> bool {
    for x in verdict_points() {
        let e = example(x);
        let c = claim(x, &e);
        if !close(c, e.dz, 1e-9) {
            println!(
                "{name}: does NOT hold; first counterexample x = {x}: claim = {c}, engine dz/dx = {}, \
                 difference = {}",
                e.dz,
                c - e.dz
            );
            return false;
        }
    }
    println!("{name}: holds at all {} points", verdict_points().len());
    true
}

#[test]
fn the_notes_stated_results_as_the_engine_judges_them() {
    let a_local = verdict("(a) dz/dx = -8u", example_a, |_, e| -8.0 * e.u);
    let a_expanded = verdict("(a) dz/dx = 32x - 16", example_a, |x, _| 32.0 * x - 16.0);
    let b_local = verdict("(b) dz/dx = -8u + 12v^2", example_b, |_, e| {
        -8.0 * e.u + 12.0 * e.v * e.v
    });
    let b_expanded = verdict("(b) dz/dx = 192x^2 + 542x + 176", example_b, |x, _| {
        192.0 * x * x + 542.0 * x + 176.0
    });

    // Each verdict must be what our own hand-derived closed forms say (dz/dx = 32x - 16 for
    // (a), 192x^2 + 416x + 176 for (b)): the test decides nothing by being told.
    let a_closed = |x: f64| 32.0 * x - 16.0;
    let b_closed = |x: f64| 192.0 * x * x + 416.0 * x + 176.0;
    let agrees_with = |closed: &dyn Fn(f64) -> f64, claim: &dyn Fn(f64) -> f64| {
        verdict_points()
            .into_iter()
            .all(|x| close(claim(x), closed(x), 1e-9))
    };
    assert_eq!(
        a_local,
        agrees_with(&a_closed, &|x| -8.0 * (2.0 - 4.0 * x)),
        "(a) -8u"
    );
    assert_eq!(
        a_expanded,
        agrees_with(&a_closed, &|x| 32.0 * x - 16.0),
        "(a) 32x - 16"
    );
    assert_eq!(
        b_local,
        agrees_with(&b_closed, &|x| -8.0 * (2.0 - 4.0 * x)
            + 12.0 * (4.0 + 4.0 * x).powi(2)),
        "(b) -8u + 12v^2"
    );
    let b_claim = |x: f64| 192.0 * x * x + 542.0 * x + 176.0;
    assert_eq!(
        b_expanded,
        agrees_with(&b_closed, &b_claim),
        "(b) 192x^2 + 542x + 176"
    );

    // How far off the stated expansion is, at every point: the engine's claim - dz/dx equals
    // the claim minus our closed form.
    for x in verdict_points() {
        let off = b_claim(x) - example_b(x).dz;
        assert!(
            close(off, b_claim(x) - b_closed(x), 1e-9),
            "x = {x}: claim - engine = {off}"
        );
    }
}
