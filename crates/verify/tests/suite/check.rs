//! `check`: claims compared with the engine's derivative, judged against derivatives this
//! file derives by hand in plain Rust; exact polynomials; and every kind of error.

use rand::{RngExt, SeedableRng};
use verify::check::{
    check, default_points, format_polynomial, CheckError, CheckOptions, ClaimReport, Polynomial, MAX_DEGREE,
};
use verify::{OutputError, System};

type Point = Vec<(String, f64)>;
/// A function of a point, in plain Rust.
type Fx<'a> = &'a dyn Fn(&Point) -> f64;

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

/// A polynomial as an expression: `3 + -2*x^1 + 5*x^2` (every coefficient, zeros too).
fn poly_src(coefficients: &[i64], var: &str) -> String {
    coefficients
        .iter()
        .enumerate()
        .map(|(k, c)| format!("({c})*{var}^{k}"))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The `order`-th derivative's coefficients, lowest degree first, without trailing zeros
/// (at least one coefficient).
fn derivative_coefficients(coefficients: &[i64], order: usize) -> Vec<f64> {
    let mut c: Vec<i64> = coefficients.to_vec();
    for _ in 0..order {
        c = c.iter().enumerate().skip(1).map(|(k, a)| k as i64 * a).collect();
    }
    while c.len() > 1 && c.last() == Some(&0) {
        c.pop();
    }
    if c.is_empty() {
        c.push(0);
    }
    c.into_iter().map(|a| a as f64).collect()
}

#[test]
fn prints_the_derivative_of_random_polynomials_exactly() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(20240611);
    for degree in 0..=5usize {
        for trial in 0..6 {
            let mut coefficients: Vec<i64> = (0..=degree).map(|_| rng.random_range(-9..=9)).collect();
            if coefficients[degree] == 0 {
                coefficients[degree] = if trial % 2 == 0 { 1 } else { -1 };
            }
            for order in 1..=3usize {
                let var = if trial % 3 == 0 { "t" } else { "x" };
                let src = format!("p = {}", poly_src(&coefficients, var));
                let expected = derivative_coefficients(&coefficients, order);
                let claim = poly_src(&expected.iter().map(|&c| c as i64).collect::<Vec<_>>(), var);
                let r = run(
                    &src,
                    &[var],
                    &[&claim],
                    CheckOptions {
                        order,
                        ..Default::default()
                    },
                )
                .remove(0);
                assert!(r.agrees(), "{src}, order {order}: {r:?}");
                let exact = Polynomial::Exact {
                    var: var.to_string(),
                    coefficients: expected.clone(),
                };
                assert_eq!(r.polynomial.as_ref(), Some(&exact), "{src}, order {order}");
                assert_eq!(exact.to_string(), format_polynomial(&expected, var));
                // A claim off by one in one coefficient is caught.
                let mut off: Vec<i64> = expected.iter().map(|&c| c as i64).collect();
                let k = rng.random_range(0..off.len());
                off[k] += 1;
                let r = run(
                    &src,
                    &[var],
                    &[&poly_src(&off, var)],
                    CheckOptions {
                        order,
                        ..Default::default()
                    },
                );
                assert!(
                    !r[0].agrees(),
                    "{src}, order {order}, claim {:?}",
                    poly_src(&off, var)
                );
            }
        }
    }
}

#[test]
fn polynomials_up_to_the_maximum_degree_and_no_further() {
    // d/dx x^(D+1) = (D+1) x^D is recovered; d/dx x^(D+2) has degree D+1: too high.
    let top = MAX_DEGREE as i64 + 1;
    let r = run(
        &format!("f = x^{top}"),
        &["x"],
        &[&format!("{top}*x^{}", top - 1)],
        CheckOptions::default(),
    );
    let mut expected = vec![0.0; MAX_DEGREE + 1];
    expected[MAX_DEGREE] = top as f64;
    assert_eq!(
        r[0].polynomial,
        Some(Polynomial::Exact {
            var: "x".into(),
            coefficients: expected
        })
    );
    let r = run(
        &format!("f = x^{}", top + 1),
        &["x"],
        &[&format!("{}*x^{top}", top + 1)],
        CheckOptions::default(),
    );
    assert!(r[0].agrees());
    assert_eq!(r[0].polynomial, Some(Polynomial::NotLowDegree));
}

#[test]
fn non_polynomials_are_not_of_low_degree() {
    for (src, claim) in [
        ("f = sin(x)", "cos(x)"),
        ("f = exp(x)", "exp(x)"),
        ("f = ln(x)", "1/x"),
        ("f = x^3 + exp(2*x)", "3*x^2 + 2*exp(2*x)"),
        ("f = abs(x)", "abs(x)/x"),
        ("f = sigmoid(x)", "sigmoid(x)*(1 - sigmoid(x))"),
        ("f = 1/(1 + x^2)", "-2*x/(1 + x^2)^2"),
    ] {
        let r = run(src, &["x"], &[claim], CheckOptions::default()).remove(0);
        assert_eq!(r.polynomial, Some(Polynomial::NotLowDegree), "{src}");
        assert_eq!(
            r.polynomial.as_ref().map(|p| p.to_string()),
            Some(format!("not a polynomial of degree <= {MAX_DEGREE}"))
        );
    }
}

#[test]
fn format_polynomial_writes_what_a_person_writes() {
    for (c, var, s) in [
        (vec![176.0, 416.0, 192.0], "x", "192x^2 + 416x + 176"),
        (vec![-16.0, 32.0], "x", "32x - 16"),
        (vec![0.0, -8.0], "u", "-8u"),
        (vec![-1.0, 0.0, 0.0, 1.0], "t", "t^3 - 1"),
        (vec![0.0, 0.0, -1.0], "x", "-x^2"),
        (vec![5.0], "x", "5"),
        (vec![0.0], "x", "0"),
        (vec![], "x", "0"),
        (vec![1.0, 1.0], "x", "x + 1"),
        (vec![0.25, -1.5], "y", "-1.5y + 0.25"),
        (vec![-4.0, 0.0, 0.0, 0.0, 0.0, 3.0], "x", "3x^5 - 4"),
    ] {
        assert_eq!(format_polynomial(&c, var), s, "{c:?}");
    }
}

/// The line of `render` with the caret, and the column it points at.
fn caret_column(rendered: &str) -> usize {
    let caret = rendered.lines().last().expect("a caret line");
    assert!(caret.ends_with('^'), "{rendered}");
    caret.chars().count() - 1 - 2
}

fn system_error(src: &str) -> verify::expr::ParseError {
    match System::parse(src) {
        Err(e) => e,
        Ok(s) => s.order().expect_err(src),
    }
}

#[test]
fn syntax_errors_point_at_the_column_and_say_what_was_expected() {
    // (source, where the error is, words the message must contain)
    let end = |s: &str| s.chars().count();
    let cases: Vec<(&str, usize, &[&str])> = vec![
        (
            "z = 2 * (x + ",
            end("z = 2 * (x + "),
            &["expected a number, a name, '(' or '-'", "end of the input"],
        ),
        ("z = u^2 +* v", "z = u^2 +".len(), &["expected", "'*'"]),
        (
            "z = (x + 1",
            end("z = (x + 1"),
            &["')' to close the '(' at column 5"],
        ),
        ("z = x y", "z = x ".len(), &["expected an operator or the end"]),
        ("z = 2 $ x", "z = 2 ".len(), &["unexpected character '$'"]),
        ("z x + 1", "z ".len(), &["expected '=' after 'z'"]),
        ("= x", 0, &["expected a definition 'name = expression'"]),
        ("sin = x", 0, &["expected a definition"]),
        (
            "z = sin x",
            "z = sin ".len(),
            &["expected '(' after the function name 'sin'"],
        ),
        ("z = 1.2.3", "z = ".len(), &["'1.2.3' is not a number"]),
        ("a = 1; é = 2 +", end("a = 1; é = 2 +"), &["expected"]),
        ("a = 1\nb = )", "a = 1\nb = ".len(), &["expected"]),
        ("", 0, &["at least one definition"]),
        ("  ;\n ; ", 0, &["at least one definition"]),
    ];
    for (src, column, words) in cases {
        let err = System::parse(src).expect_err(src);
        assert_eq!(err.column, column, "{src:?}: {err}");
        for w in words {
            assert!(err.message.contains(w), "{src:?}: {} lacks {w:?}", err.message);
        }
        let rendered = err.render(src);
        assert!(
            rendered.starts_with(&format!("error: column {}: ", column + 1)),
            "{rendered}"
        );
        assert_eq!(caret_column(&rendered), column, "{rendered}");
        // The source line is shown above the caret, newlines as spaces.
        let line = rendered.lines().nth(1).unwrap();
        assert_eq!(line, format!("  {}", src.replace('\n', " ")));
    }
}

#[test]
fn cycles_are_errors_that_name_the_cycle() {
    for (src, members) in [
        ("z = a; a = b + 1; b = c*2; c = a - x", &["a", "b", "c"][..]),
        ("a = a + x", &["a"][..]),
        ("z = p + q; p = q; q = p*x", &["p", "q"][..]),
    ] {
        let s = sys(src);
        let err = s.order().expect_err(src);
        let cycle = err.message.split(": ").last().unwrap();
        let names: Vec<&str> = cycle.split(" -> ").collect();
        assert!(err.message.contains("cycle"), "{}", err.message);
        assert_eq!(names.first(), names.last(), "{}", err.message);
        let mut found: Vec<&str> = names[1..].to_vec();
        found.sort_unstable();
        assert_eq!(found, members, "{}", err.message);
        // Each name uses the next one.
        for w in names.windows(2) {
            let uses: Vec<&str> = s
                .get(w[0])
                .unwrap()
                .expr
                .names()
                .into_iter()
                .map(|(n, _)| n)
                .collect();
            assert!(uses.contains(&w[1]), "{} does not use {}", w[0], w[1]);
        }
        // The column is where a member of the cycle is defined.
        let at = src
            .chars()
            .skip(err.column)
            .take_while(|c| c.is_alphanumeric())
            .collect::<String>();
        assert!(
            members.contains(&at.as_str()),
            "column {} is at {at:?}",
            err.column
        );
        // check reports it as an error in the definitions.
        match check(&s, &["0".to_string()], &opts(&["x"])) {
            Err(CheckError::System(e)) => assert_eq!(e, err),
            other => panic!("{src}: {other:?}"),
        }
    }
}

#[test]
fn undefined_names_in_a_claim_are_errors_at_their_column() {
    let claim = "2*u + w";
    match check(&sys(MULTI), &[claim.to_string()], &opts(&["x"])) {
        Err(CheckError::Claim(c, e)) => {
            assert_eq!(c, claim);
            assert_eq!(e.column, claim.find('w').unwrap());
            assert!(e.message.contains("'w' is not defined"), "{}", e.message);
        }
        other => panic!("{other:?}"),
    }
    // A syntax error in a claim is reported in the claim, with its column.
    match check(&sys(MULTI), &["2 * ".to_string()], &opts(&["x"])) {
        Err(CheckError::Claim(_, e)) => assert_eq!(e.column, 4),
        other => panic!("{other:?}"),
    }
    // Names the system uses but does not define are its inputs; building without a value
    // for one is an error at that name.
    let s = sys("z = u + x; u = 2*w");
    assert_eq!(s.inputs(), vec!["x".to_string(), "w".to_string()]);
    let tape = autograd::Tape::<f64>::new();
    let inputs = [("x".to_string(), tape.scalar(1.0))].into_iter().collect();
    let err = s.build(&tape, &inputs).expect_err("w has no value");
    assert_eq!(err.column, "z = u + x; u = 2*".len());
    assert!(err.message.contains("'w' is not defined"));
    // --at must give every input.
    let options = CheckOptions {
        at: vec![vec![("x".into(), 1.0)]],
        ..opts(&["x"])
    };
    match check(&s, &["1".to_string()], &options) {
        Err(CheckError::Usage(m)) => assert!(m.contains("no value for the input 'w'"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn duplicate_definitions_are_errors_at_the_second() {
    let src = "z = x; y = 2; z = 2*x";
    let err = System::parse(src).expect_err(src);
    assert_eq!(err.column, src.rfind('z').unwrap());
    assert!(
        err.message.contains("'z' is defined twice (first at column 1)"),
        "{}",
        err.message
    );
    let src = "a = 1\n  b = a\na = 3";
    let err = System::parse(src).expect_err(src);
    assert_eq!(err.column, src.rfind('a').unwrap(), "{src:?}");
    assert!(err.message.contains("(first at column 1)"), "{}", err.message);
}

#[test]
fn usage_errors() {
    let s = sys(MULTI);
    let usage = |claims: &[&str], options: CheckOptions| -> String {
        let claims: Vec<String> = claims.iter().map(|c| c.to_string()).collect();
        match check(&s, &claims, &options) {
            Err(CheckError::Usage(m)) => m,
            other => panic!("{other:?}"),
        }
    };
    // wrt names something other than an input.
    for w in ["u", "q", "z"] {
        let m = usage(&["1"], opts(&[w]));
        assert!(
            m.contains(&format!("'{w}' is not an input")) && m.contains("inputs: x"),
            "{m}"
        );
    }
    assert!(usage(&[], opts(&[])).contains("--wrt"));
    // One claim per variable.
    let m = usage(&["1"], opts(&["x", "x"]));
    assert!(
        m.contains("2 variable(s) in --wrt need as many --claim, got 1"),
        "{m}"
    );
    let m = usage(&["1", "2"], opts(&["x"]));
    assert!(m.contains("got 2"), "{m}");
    assert!(usage(
        &["1"],
        CheckOptions {
            order: 0,
            ..opts(&["x"])
        }
    )
    .contains("--order"));
    let options = CheckOptions {
        of: Some("nope".into()),
        ..opts(&["x"])
    };
    match check(&s, &["1".to_string()], &options) {
        Err(e @ CheckError::Output(OutputError::Undefined(_))) => {
            assert!(e.to_string().contains("'nope' is not defined"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    // A system without inputs has nothing to differentiate.
    let constant = sys("z = 2");
    match check(&constant, &["0".to_string()], &opts(&["x"])) {
        Err(CheckError::Usage(m)) => assert!(m.contains("inputs: none"), "{m}"),
        other => panic!("{other:?}"),
    }
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

#[test]
fn unknown_functions_wrong_argument_counts_and_huge_numbers() {
    let huge = format!("z = 0.5 * {}", "9".repeat(400));
    let cases: [(&str, &str, &[&str]); 8] = [
        (
            "z = foo(x)",
            "foo",
            &["unknown function 'foo'", "expected one of exp, ln, log"],
        ),
        ("z = 1 + Sin(x)", "Sin", &["unknown function 'Sin'"]),
        (
            "z = leaky_relu(x)",
            "leaky_relu",
            &["leaky_relu() takes 2 arguments, got 1"],
        ),
        ("z = sin(x, 2)", "sin", &["sin() takes 1 argument, got 2"]),
        ("z = exp(x, 1, 2)", "exp", &["exp() takes 1 argument, got 3"]),
        ("z = 2*1e400", "1e400", &["the number '1e400' is too large"]),
        ("z = x + 1.5E309", "1.5E309", &["too large"]),
        (&huge, "999", &["too large"]),
    ];
    for (src, at, words) in cases {
        let err = System::parse(src).expect_err(src);
        assert_eq!(err.column, src.find(at).unwrap(), "{src}: {err}");
        for w in words {
            assert!(err.message.contains(w), "{src}: {}", err.message);
        }
        assert_eq!(caret_column(&err.render(src)), err.column);
    }
    // The largest double is still a number.
    assert!(System::parse("z = 1.7976931348623157e308*x").is_ok());
    // An error in the definitions stops check before any claim is looked at.
    assert!(system_error("z = a; a = z").message.contains("cycle"));
}

#[test]
fn several_outputs_are_an_error_naming_them() {
    // `q` is a leftover helper: checking dq/dx silently would be a wrong answer.
    let s = sys("q = 7; z = x^2; w = z + 1; r = x");
    let expected = OutputError::Ambiguous(vec!["q".into(), "w".into(), "r".into()]);
    assert_eq!(s.output(), Err(expected.clone()));
    let message = expected.to_string();
    assert_eq!(
        message,
        "several definitions are used by no other: q, w, r; name the one to use with --of (e.g. --of r)"
    );
    match check(&s, &["2*x".to_string()], &opts(&["x"])) {
        Err(CheckError::Output(e)) => assert_eq!(e, expected),
        other => panic!("{other:?}"),
    }
    let point = [("x".to_string(), 3.0)];
    match verify::graph::dot(&s, None, &point) {
        Err(CheckError::Output(e)) => assert_eq!(e, expected),
        other => panic!("{other:?}"),
    }
    match verify::trace::trace(&s, None, &["x".to_string()], &point, 0.1) {
        Err(verify::trace::TraceError::Output(e)) => assert_eq!(e, expected),
        other => panic!("{other:?}"),
    }
    // Naming one resolves it: dw/dx = 2x = 6 at x = 3.
    let options = CheckOptions {
        of: Some("w".into()),
        at: vec![point.to_vec()],
        ..opts(&["x"])
    };
    assert!(check(&s, &["2*x".to_string()], &options).unwrap()[0].agrees());
    assert_eq!(verify::check::derivative_at(&s, "w", "x", 1, &point), Ok(6.0));
    // A cycle has no output at all (and check reports the cycle itself first).
    assert_eq!(sys("a = b; b = a").output(), Err(OutputError::NoOutput));
}
