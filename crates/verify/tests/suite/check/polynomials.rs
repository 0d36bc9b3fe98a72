//! Exact polynomials: derivatives of random polynomials printed exactly, the degree limit, and `format_polynomial`.

use super::run;
use rand::{RngExt, SeedableRng};
use verify::check::{format_polynomial, CheckOptions, Polynomial, MAX_DEGREE};

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
