//! `check`: claims compared with the engine's derivative, judged against derivatives this
//! file derives by hand in plain Rust; exact polynomials; and every kind of error.

mod claims;
mod errors;
mod polynomials;

use verify::check::{check, CheckOptions, ClaimReport};
use verify::System;

type Point = Vec<(String, f64)>;

fn sys(src: &str) -> System {
    System::parse(src).unwrap_or_else(|e| panic!("{}", e.render(src)))
}

fn opts(wrt: &[&str]) -> CheckOptions {
    CheckOptions {
        wrt: wrt.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn run(src: &str, wrt: &[&str], claims: &[&str], options: CheckOptions) -> Vec<ClaimReport> {
    let options = CheckOptions {
        wrt: wrt.iter().map(|s| s.to_string()).collect(),
        ..options
    };
    let claims: Vec<String> = claims.iter().map(|s| s.to_string()).collect();
    check(&sys(src), &claims, &options).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn value(p: &Point, name: &str) -> f64 {
    p.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in {p:?}"))
        .1
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

/// What `check` must report, from a claim and the true derivative (both in plain Rust) at the
/// points it uses: agreement exactly when they are equal at every point, and otherwise the
/// first point where they are not, with both values and their difference.
fn assert_consistent(
    report: &ClaimReport,
    points: &[Point],
    claim: &dyn Fn(&Point) -> f64,
    truth: &dyn Fn(&Point) -> f64,
) {
    let defined: Vec<&Point> = points.iter().filter(|p| truth(p).is_finite()).collect();
    assert_eq!(report.checked, defined.len(), "{report:?}");
    let undefined: Vec<Point> = points.iter().filter(|p| !truth(p).is_finite()).cloned().collect();
    assert_eq!(report.undefined, undefined, "{report:?}");
    let first_wrong = defined.iter().find(|p| !close(claim(p), truth(p)));
    assert_eq!(report.agrees(), first_wrong.is_none(), "{report:?}");
    match (first_wrong, &report.counterexample) {
        (None, None) => {}
        (Some(p), Some(c)) => {
            assert_eq!(&c.point, *p, "{report:?}");
            assert!(
                close(c.claim, claim(p)),
                "{report:?}: claim there is {}",
                claim(p)
            );
            assert!(
                close(c.engine, truth(p)),
                "{report:?}: derivative there is {}",
                truth(p)
            );
            assert!(close(c.difference, claim(p) - truth(p)), "{report:?}");
        }
        (mine, theirs) => panic!("first disagreement: mine {mine:?}, reported {theirs:?}"),
    }
}

/// The note's chain-rule example: z = u^2 + v^3, u = 2 - y, v = 4 + y, y = 4x, so
/// dz/dx = 2u (-1) 4 + 3 v^2 (1) 4.
const MULTI: &str = "z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x";

fn multi_truth(p: &Point) -> f64 {
    let x = value(p, "x");
    let (u, v) = (2.0 - 4.0 * x, 4.0 + 4.0 * x);
    let (du_dy, dv_dy, dy_dx) = (-1.0, 1.0, 4.0);
    2.0 * u * du_dy * dy_dx + 3.0 * v * v * dv_dy * dy_dx
}
