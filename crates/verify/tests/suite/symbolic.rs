//! Golden tests of `check` without a claim (`verify::symbolic::derive`): the study note's two
//! chain-rule examples (docs/study-note/README.md, section 5; the systems as
//! `crates/verify/src/notes/table_concepts.rs` encodes them), sigmoid, tanh and a
//! softmax-style system, each written out and simplified exactly as printed; the bounds on
//! the symbolic work; and the points where the derivative is undefined.

use verify::check::{CheckError, CheckOptions};
use verify::symbolic::{derive, Derivation, DeriveError, Formula, TooLarge, MAX_DEPTH};
use verify::System;

/// The note's examples, as `table_concepts.rs` has them (SINGLE and MULTI).
const SINGLE: &str = "z = u^2; u = 2 - y; y = 4*x";
const MULTI: &str = "z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x";

fn derived(system: &str, wrt: &[&str], order: usize, at: &[&[(&str, f64)]]) -> Vec<Derivation> {
    let s = System::parse(system).unwrap();
    let options = CheckOptions {
        wrt: wrt.iter().map(|w| w.to_string()).collect(),
        order,
        at: at
            .iter()
            .map(|p| p.iter().map(|(n, v)| (n.to_string(), *v)).collect())
            .collect(),
        ..Default::default()
    };
    derive(&s, &options).unwrap()
}

#[test]
fn the_notes_single_variable_example_is_written_out_and_simplified() {
    let d = &derived(SINGLE, &["x"], 1, &[&[("x", 1.0)]])[0];
    assert_eq!(
        d.to_text(),
        "dz/dx = dz/du*du/dy*dy/dx
  dz/du = 2*u
  du/dy = -1
  dy/dx = 4
dz/dx = 2*u*(-1)*4
      = -8*u
      = 32*x - 16
verified by the engine at 20 points
at x = 1: 16
"
    );
    assert_eq!(d.values, vec![(vec![("x".to_string(), 1.0)], 16.0)]);
}

#[test]
fn the_notes_several_variable_example_prints_the_exact_polynomial() {
    let d = &derived(MULTI, &["x"], 1, &[])[0];
    // The note has 192x^2 + 542x + 176: the engine and the symbolic result agree on 416.
    assert_eq!(d.expression, "192*x^2 + 416*x + 176");
    assert_eq!(d.in_names, "-8*u + 12*v^2");
    assert_eq!(
        d.to_text(),
        "dz/dx = dz/du*du/dy*dy/dx + dz/dv*dv/dy*dy/dx
  dz/du = 2*u
  du/dy = -1
  dy/dx = 4
  dz/dv = 3*v^2
  dv/dy = 1
dz/dx = 2*u*(-1)*4 + 3*v^2*1*4
      = -8*u + 12*v^2
      = 192*x^2 + 416*x + 176
verified by the engine at 19 points
"
    );
    let chain = d.chain.as_ref().unwrap();
    assert_eq!(
        (chain.path_count, chain.paths.len(), chain.locals.len()),
        (2, 2, 5)
    );
    // The second derivative: d/dx(-8u + 12v^2) = -8(-4) + 24v*4.
    let d2 = &derived(MULTI, &["x"], 2, &[])[0];
    assert_eq!(
        d2.to_text(),
        "d^2z/dx^2 = d/dx(-8*u + 12*v^2)
          = 32 + 96*v
          = 384*x + 416
verified by the engine at 19 points
"
    );
}

#[test]
fn sigmoid_and_tanh_derivatives_print_as_a_student_writes_them() {
    let sigmoid = Formula::parse("sigmoid(x)").unwrap().derivative("x").unwrap();
    assert_eq!(sigmoid.to_string(), "sigmoid(x)*(1 - sigmoid(x))");
    let tanh = Formula::parse("tanh(x)").unwrap().derivative("x").unwrap();
    assert_eq!(tanh.to_string(), "1 - tanh(x)^2");
    assert_eq!(
        tanh.derivative("x").unwrap().to_string(),
        "-2*tanh(x)*(1 - tanh(x)^2)"
    );
    let d = &derived("s = sigmoid(z)", &["z"], 1, &[&[("z", 0.0)]])[0];
    assert_eq!(
        d.to_text(),
        "ds/dz = s*(1 - s)
      = sigmoid(z)*(1 - sigmoid(z))
verified by the engine at 20 points
at z = 0: 0.25
"
    );
    // s(1 - s)(1 - 2s), the note's second derivative, in the names.
    let d2 = &derived("s = sigmoid(z)", &["z"], 2, &[])[0];
    assert_eq!(d2.in_names, "s*(1 - 2*s)*(1 - s)");
    let t = &derived("t = tanh(a); a = 2*x", &["x"], 1, &[])[0];
    assert_eq!(
        (t.in_names.as_str(), t.expression.as_str()),
        ("2*(1 - t^2)", "2*(1 - tanh(2*x)^2)")
    );
}

#[test]
fn a_softmax_style_system_has_its_gradient_and_hessian() {
    let system = "e1 = exp(a); e2 = exp(b); s = e1 + e2; p = e1/s";
    let ds = derived(system, &["a", "b"], 1, &[&[("a", 0.0), ("b", 0.0)]]);
    assert_eq!(
        ds[0].to_text(),
        "dp/da = dp/de1*de1/da + dp/ds*ds/de1*de1/da
  dp/de1 = 1/s
  de1/da = e1
  dp/ds = -e1/s^2
  ds/de1 = 1
dp/da = (1/s)*e1 + (-e1/s^2)*1*e1
      = p - e1^2/s^2
      = exp(a)/(exp(a) + exp(b)) - exp(a)^2/(exp(a) + exp(b))^2
verified by the engine at 25 points
at a = 0, b = 0: 0.25
"
    );
    assert_eq!(ds[1].in_names, "-e1*e2/s^2");
    assert_eq!(ds[1].values[0].1, -0.25); // -p(a) p(b)
                                          // With --order 2, the Hessian's three entries, the mixed partial included.
    let h = derived(system, &["a", "b"], 2, &[&[("a", 0.0), ("b", 0.0)]]);
    let names: Vec<&str> = h.iter().map(|d| d.derivative.as_str()).collect();
    assert_eq!(names, ["d^2p/da^2", "d^2p/dadb", "d^2p/db^2"]);
    assert_eq!(h[1].in_names, "2*e1^2*e2/s^3 - e1*e2/s^2");
    // At a = b = 0, p = 1/2: d2p/da2 = p(1-p)(1-2p) = 0, d2p/dadb = -p(1-p)(1-2p) = 0.
    assert_eq!(h[0].values[0].1, 0.0);
    assert_eq!(h[1].values[0].1, 0.0);
}

#[test]
fn a_gradient_and_a_hessian_of_a_polynomial_in_two_variables() {
    let ds = derived("f = x^2 * y", &["x", "y"], 2, &[&[("x", 3.0), ("y", 2.0)]]);
    let got: Vec<(&str, &str, f64)> = ds
        .iter()
        .map(|d| (d.derivative.as_str(), d.expression.as_str(), d.values[0].1))
        .collect();
    assert_eq!(
        got,
        [
            ("d^2f/dx^2", "2*y", 4.0),
            ("d^2f/dxdy", "2*x", 6.0),
            ("d^2f/dy^2", "0", 0.0)
        ]
    );
}

#[test]
fn undefined_points_are_counted_apart_and_shown() {
    let d = &derived("f = ln(x)", &["x"], 1, &[&[("x", -1.0)], &[("x", 2.0)]])[0];
    // ln is not defined at x <= 0: 9 of the 19 default points and the first --at.
    assert_eq!((d.verified, d.undefined), (11, 10));
    assert!(
        d.to_text().contains("undefined at x = -1\nat x = 2: 0.5\n"),
        "{}",
        d.to_text()
    );
    let json = d.to_json();
    assert_eq!(json["at"]["x=-1"], serde_json::Value::Null);
    assert_eq!(json["at"]["x=2"], 0.5);
}

#[test]
fn a_derivative_defined_nowhere_is_an_error_not_a_result() {
    let s = System::parse("f = sqrt(-1 - x^2)").unwrap();
    let options = CheckOptions {
        wrt: vec!["x".into()],
        ..Default::default()
    };
    let err = derive(&s, &options).unwrap_err();
    assert!(matches!(err, DeriveError::NoPoint { points: 19, .. }), "{err}");
}

#[test]
fn blow_up_is_refused_with_a_clear_error() {
    // Nested products grow with the order: tanh of tanh, eight times differentiated.
    let s = System::parse("f = tanh(tanh(tanh(x)*sin(x))*exp(x))").unwrap();
    let options = CheckOptions {
        wrt: vec!["x".into()],
        order: 8,
        ..Default::default()
    };
    let err = derive(&s, &options).unwrap_err();
    assert!(
        matches!(err, DeriveError::TooLarge(TooLarge::Nodes { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("use a lower --order"), "{err}");
    // A long chain nests too deep in the inputs: refused before anything recurses that far.
    let chain: Vec<String> = (1..=500).map(|i| format!("a{i} = sin(a{})", i - 1)).collect();
    let s = System::parse(&format!("a0 = x; {}", chain.join("; "))).unwrap();
    let options = CheckOptions {
        wrt: vec!["x".into()],
        ..Default::default()
    };
    let err = derive(&s, &options).unwrap_err();
    assert_eq!(err, DeriveError::TooLarge(TooLarge::Depth { limit: MAX_DEPTH }));
}

#[test]
fn options_are_checked_as_for_a_claim() {
    let s = System::parse(MULTI).unwrap();
    let options = CheckOptions {
        wrt: vec!["u".into()],
        ..Default::default()
    };
    let err = derive(&s, &options).unwrap_err();
    assert_eq!(
        err,
        DeriveError::Check(CheckError::Usage(
            "--wrt u: 'u' is not an input of the system (inputs: x)".into()
        ))
    );
}

#[test]
fn many_paths_are_counted_and_the_listing_bounded() {
    // Each level uses both names of the one below: 2^70 paths from a70 down to x (the count
    // saturates; paths of 71 steps are listed up to 4,096 steps, as trace lists them), while
    // the derivative itself stays linear in x.
    let defs: Vec<String> = (1..=70)
        .map(|i| format!("a{i} = a{j} + b{j}; b{i} = a{j} - b{j}", j = i - 1))
        .collect();
    let s = System::parse(&format!("a0 = x; b0 = 2*x; {}", defs.join("; "))).unwrap();
    let options = CheckOptions {
        of: Some("a70".into()),
        wrt: vec!["x".into()],
        ..Default::default()
    };
    let d = &derive(&s, &options).unwrap()[0];
    let chain = d.chain.as_ref().unwrap();
    assert_eq!(chain.path_count, usize::MAX);
    assert!(chain.paths.iter().all(|p| p.len() == 71));
    assert_eq!(chain.paths.len(), verify::trace::MAX_LISTED_STEPS / 71);
    assert_eq!(chain.substituted, None, "not every path is listed");
    assert!(d
        .to_text()
        .contains(" + ... (at least 18446744073709551615 paths in all)\n"));
    // (a, b) -> (a + b, a - b) twice is (2a, 2b): a70 = 2^35 a0 = 2^35 x.
    assert_eq!(d.expression, "34359738368");
}
