//! Claims compared with the engine's derivative: agreement, first counterexamples, undefined points, higher orders, several variables.

use super::{assert_consistent, multi_truth, opts, run, sys, value, Point, MULTI};
use verify::check::{check, default_points, CheckOptions, Polynomial};

/// A function of a point, in plain Rust.
type Fx<'a> = &'a dyn Fn(&Point) -> f64;

#[test]
fn agrees_with_a_correct_claim_in_intermediate_names_or_in_the_variable() {
    let points = default_points(&["x".to_string()]);
    let by_names = |p: &Point| {
        let x = value(p, "x");
        let (u, v) = (2.0 - 4.0 * x, 4.0 + 4.0 * x);
        -8.0 * u + 12.0 * v * v
    };
    let in_x = |p: &Point| {
        let x = value(p, "x");
        192.0 * x * x + 416.0 * x + 176.0
    };
    for (claim, f) in [
        ("-8*u + 12*v^2", &by_names as &dyn Fn(&Point) -> f64),
        ("192*x^2 + 416*x + 176", &in_x),
    ] {
        let r = run(MULTI, &["x"], &[claim], CheckOptions::default()).remove(0);
        assert_consistent(&r, &points, f, &multi_truth);
        assert_eq!(r.derivative, "dz/dx");
        assert_eq!(r.claim, verify::expr::parse(claim).unwrap().to_string());
        // Definitions in another order are the same system.
        let shuffled = "y = 4*x; v = 4 + y\nz = u^2 + v^3; u = 2 - y";
        let again = run(shuffled, &["x"], &[claim], CheckOptions::default()).remove(0);
        assert_eq!(again, r);
    }
}

#[test]
fn reports_the_first_counterexample_of_a_wrong_claim() {
    let points = default_points(&["x".to_string()]);
    let claims: [(&str, Fx); 4] = [
        // The note's own result for this system.
        ("192*x^2 + 542*x + 176", &|p| {
            let x = value(p, "x");
            192.0 * x * x + 542.0 * x + 176.0
        }),
        ("-8*u + 12*v", &|p| {
            let x = value(p, "x");
            -8.0 * (2.0 - 4.0 * x) + 12.0 * (4.0 + 4.0 * x)
        }),
        ("2*u + 3*v^2", &|p| {
            let x = value(p, "x");
            2.0 * (2.0 - 4.0 * x) + 3.0 * (4.0 + 4.0 * x).powi(2)
        }),
        // Right for x <= 1 only.
        ("192*x^2 + 416*x + 176 + relu(x - 1)", &|p| {
            let x = value(p, "x");
            192.0 * x * x + 416.0 * x + 176.0 + (x - 1.0).max(0.0)
        }),
    ];
    for (claim, f) in claims {
        let r = run(MULTI, &["x"], &[claim], CheckOptions::default()).remove(0);
        assert_consistent(&r, &points, f, &multi_truth);
    }
}

#[test]
fn extra_points_are_checked_too() {
    let mut points = default_points(&["x".to_string()]);
    let at = vec![vec![("x".to_string(), 0.5)], vec![("x".to_string(), 12.25)]];
    points.extend(at.clone());
    let options = CheckOptions {
        at,
        ..Default::default()
    };
    // A claim equal to the derivative on [-3, 3] but not at 12.25.
    let claim = "192*x^2 + 416*x + 176 + relu(x - 4)";
    let r = run(MULTI, &["x"], &[claim], options).remove(0);
    let f = |p: &Point| {
        let x = value(p, "x");
        192.0 * x * x + 416.0 * x + 176.0 + (x - 4.0).max(0.0)
    };
    assert_consistent(&r, &points, &f, &multi_truth);
    assert_eq!(
        r.counterexample.as_ref().map(|c| c.point.clone()),
        Some(vec![("x".to_string(), 12.25)])
    );
}

#[test]
fn points_outside_the_domain_are_undefined() {
    let points = default_points(&["x".to_string()]);
    let truth = |p: &Point| 1.0 / (2.0 * value(p, "x").sqrt());
    let r = run("f = sqrt(x)", &["x"], &["0.5/sqrt(x)"], CheckOptions::default()).remove(0);
    assert_consistent(&r, &points, &truth, &truth);
    // x <= 0: -3 ... -0.25 and 0 (where the derivative is infinite).
    assert_eq!((r.checked, r.undefined.len()), (10, 9));
    let text = r.to_text();
    assert!(
        text.contains("  agrees at 10 points\n  undefined at x = -3; x = -2.37; x = -2; x = -1.5; x = -1; x = -0.73; x = -0.5; x = -0.25; and 1 more point (9 points: the engine's value or derivative is not finite there)\n"),
        "{text}"
    );
    assert_eq!(r.to_json()["undefined"][8], serde_json::json!({"x": 0.0}));
}

#[test]
fn a_claim_never_agrees_where_both_are_nan() {
    // d/dx (x ln x - x) = ln x: NaN for x < 0 in the claim and the engine alike. Those points
    // are undefined, not agreeing: only the 9 positive points are compared.
    let r = run("f = x*ln(x) - x", &["x"], &["ln(x)"], CheckOptions::default()).remove(0);
    assert!(r.agrees());
    assert_eq!((r.checked, r.undefined.len()), (10, 9));
    assert!(r.undefined.iter().all(|p| p[0].1 <= 0.0), "{:?}", r.undefined);
    // y = ln(x): the derivative 1/x is finite at x < 0 but the value is not: undefined too.
    let r = run("y = ln(x)", &["x"], &["1/x"], CheckOptions::default()).remove(0);
    assert_eq!((r.checked, r.undefined.len()), (10, 9));
    // Defined nowhere: never "agrees", whatever the claim.
    for claim in ["0", "1/x", "ln(x)"] {
        let r = run("y = ln(-x^2 - 1)", &["x"], &[claim], CheckOptions::default()).remove(0);
        assert!(!r.agrees(), "{claim}");
        assert_eq!((r.checked, r.undefined.len()), (0, 19));
        let text = r.to_text();
        assert!(
            text.contains("no point where the derivative is defined was found"),
            "{text}"
        );
        assert!(text.contains("and 11 more points (19 points:"), "{text}");
    }
    // One undefined point is "1 point", one agreeing point "1 point".
    let opts = CheckOptions {
        at: vec![vec![("x".to_string(), 4.0)]],
        ..CheckOptions::default()
    };
    let r = run(
        "y = sqrt(x - 3.5) + ln(x - 3.5)",
        &["x"],
        &["0.5/sqrt(x - 3.5) + 1/(x - 3.5)"],
        opts,
    )
    .remove(0);
    assert!(r.to_text().contains("  agrees at 1 point\n"), "{}", r.to_text());
}

#[test]
fn higher_orders() {
    // f = x^5 - 3x^2 + sin(x): f'' = 20x^3 - 6 - sin x, f''' = 60x^2 - cos x, f'''' = 120x + sin x.
    let src = "f = x^5 - 3*x^2 + sin(x)";
    let points = default_points(&["x".to_string()]);
    let x = |p: &Point| value(p, "x");
    let truths: [(usize, Fx); 3] = [
        (2, &|p| 20.0 * x(p).powi(3) - 6.0 - x(p).sin()),
        (3, &|p| 60.0 * x(p).powi(2) - x(p).cos()),
        (4, &|p| 120.0 * x(p) + x(p).sin()),
    ];
    for (order, truth) in truths {
        let claims: [(&str, Fx); 4] = [
            ("20*x^3 - 6 - sin(x)", &|p| 20.0 * x(p).powi(3) - 6.0 - x(p).sin()),
            ("60*x^2 - cos(x)", &|p| 60.0 * x(p).powi(2) - x(p).cos()),
            ("120*x + sin(x)", &|p| 120.0 * x(p) + x(p).sin()),
            ("120*x - sin(x)", &|p| 120.0 * x(p) - x(p).sin()),
        ];
        for (claim, f) in claims {
            let r = run(
                src,
                &["x"],
                &[claim],
                CheckOptions {
                    order,
                    ..Default::default()
                },
            )
            .remove(0);
            assert_eq!(r.derivative, format!("d^{order}f/dx^{order}"));
            assert_consistent(&r, &points, f, truth);
        }
    }
    // A polynomial's higher derivatives are printed exactly: x^5 - 3x^2 -> 60x^2 at order 3.
    let r = run(
        "f = x^5 - 3*x^2",
        &["x"],
        &["60*x^2"],
        CheckOptions {
            order: 3,
            ..Default::default()
        },
    )
    .remove(0);
    assert!(r.agrees());
    assert_eq!(
        r.polynomial,
        Some(Polynomial::Exact {
            var: "x".into(),
            coefficients: vec![0.0, 0.0, 60.0]
        })
    );
}

#[test]
fn partial_derivatives_in_several_variables() {
    // f = x^2 y + sin(x y): df/dx = 2xy + y cos(xy), df/dy = x^2 + x cos(xy).
    let src = "f = x^2*y + sin(x*y)";
    let inputs = vec!["x".to_string(), "y".to_string()];
    let points = default_points(&inputs);
    assert!(points.len() >= 10 && points.iter().all(|p| p.len() == 2));
    let (x, y) = (|p: &Point| value(p, "x"), |p: &Point| value(p, "y"));
    let dx = |p: &Point| 2.0 * x(p) * y(p) + y(p) * (x(p) * y(p)).cos();
    let dy = |p: &Point| x(p) * x(p) + x(p) * (x(p) * y(p)).cos();
    let wrong_dy = |p: &Point| x(p) * x(p) + (x(p) * y(p)).cos();
    for (claim_y, fy) in [
        ("x^2 + x*cos(x*y)", &dy as &dyn Fn(&Point) -> f64),
        ("x^2 + cos(x*y)", &wrong_dy),
    ] {
        let reports = run(
            src,
            &["x", "y"],
            &["2*x*y + y*cos(x*y)", claim_y],
            CheckOptions::default(),
        );
        assert_eq!(reports.len(), 2);
        assert_eq!(
            (reports[0].derivative.as_str(), reports[1].derivative.as_str()),
            ("df/dx", "df/dy")
        );
        assert_consistent(&reports[0], &points, &dx, &dx);
        assert_consistent(&reports[1], &points, fy, &dy);
        // No polynomial in one variable when there are several inputs.
        assert!(reports.iter().all(|r| r.polynomial.is_none()));
    }
    // The order of --wrt decides which claim is which.
    let swapped = run(
        src,
        &["y", "x"],
        &["x^2 + x*cos(x*y)", "2*x*y + y*cos(x*y)"],
        CheckOptions::default(),
    );
    assert!(swapped.iter().all(|r| r.agrees()));
    let crossed = run(
        src,
        &["x", "y"],
        &["x^2 + x*cos(x*y)", "2*x*y + y*cos(x*y)"],
        CheckOptions::default(),
    );
    assert_consistent(&crossed[0], &points, &dy, &dx);
    assert_consistent(&crossed[1], &points, &dx, &dy);
}

#[test]
fn differentiating_an_intermediate_name() {
    // --of u: du/dx = -4 for u = 2 - 4x.
    let options = CheckOptions {
        of: Some("u".into()),
        ..opts(&["x"])
    };
    let r = check(&sys(MULTI), &["-4".to_string()], &options)
        .unwrap()
        .remove(0);
    assert_eq!(r.derivative, "du/dx");
    let points = default_points(&["x".to_string()]);
    assert_consistent(&r, &points, &|_| -4.0, &|_| -4.0);
    assert_eq!(
        r.polynomial,
        Some(Polynomial::Exact {
            var: "x".into(),
            coefficients: vec![-4.0]
        })
    );
}
