//! `chainrule check` without `--claim`: it derives. The chain rule written out and the
//! simplified derivative as text, one field per `--at` point at full precision in JSON, the
//! Hessian with `--order 2`, undefined points, and the bound on symbolic work (exit code 2).

use serde_json::Value;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

const MULTI: &str = "z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x";

#[test]
fn check_without_a_claim_writes_the_chain_rule_out_and_simplifies() {
    assert_eq!(
        stdout(&["check", MULTI, "--wrt", "x", "--at", "x=0.5"]),
        "dz/dx = dz/du*du/dy*dy/dx + dz/dv*dv/dy*dy/dx
  dz/du = 2*u
  du/dy = -1
  dy/dx = 4
  dz/dv = 3*v^2
  dv/dy = 1
dz/dx = 2*u*(-1)*4 + 3*v^2*1*4
      = -8*u + 12*v^2
      = 192*x^2 + 416*x + 176
verified by the engine at 20 points
at x = 0.5: 432
"
    );
}

#[test]
fn json_gives_one_field_per_point_at_full_precision() {
    let out = stdout(&[
        "check",
        "s = sigmoid(z)",
        "--wrt",
        "z",
        "--at",
        "z=0.5",
        "--at",
        "z=-1",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let d = &v["derivatives"][0];
    assert_eq!(d["derivative"], "ds/dz");
    assert_eq!(d["expression"], "sigmoid(z)*(1 - sigmoid(z))");
    assert_eq!(d["in_names"], "s*(1 - s)");
    assert_eq!(d["verified"], 21);
    let s = |z: f64| 1.0 / (1.0 + (-z).exp());
    // Full precision: the engine's value, not a rounded print (within the engine's rounding).
    for (key, z) in [("z=0.5", 0.5), ("z=-1", -1.0)] {
        let got = d["at"][key].as_f64().unwrap();
        assert!((got - s(z) * (1.0 - s(z))).abs() <= 1e-16, "{key}: {got}");
    }
    assert_eq!(d["at"]["z=0.5"].as_f64().unwrap(), 0.2350037122015945);
}

#[test]
fn order_two_with_several_variables_gives_the_hessian() {
    let out = stdout(&[
        "check",
        "f = x^2 * y",
        "--wrt",
        "x,y",
        "--order",
        "2",
        "--at",
        "x=3,y=2",
    ]);
    assert_eq!(
        out,
        "d^2f/dx^2 = d/dx(2*x*y)
          = 2*y
verified by the engine at 25 points
at x = 3, y = 2: 4

d^2f/dxdy = d/dy(2*x*y)
          = 2*x
verified by the engine at 25 points
at x = 3, y = 2: 6

d^2f/dy^2 = d/dy(x^2)
          = 0
verified by the engine at 25 points
at x = 3, y = 2: 0
"
    );
}

#[test]
fn undefined_points_are_reported_as_such() {
    let out = stdout(&[
        "check",
        "f = ln(x)",
        "--wrt",
        "x",
        "--at",
        "x=-1",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["derivatives"][0]["at"]["x=-1"], Value::Null);
    assert_eq!(v["derivatives"][0]["undefined"], 10);
    let text = stdout(&["check", "f = ln(x)", "--wrt", "x", "--at", "x=-1"]);
    assert!(
        text.ends_with(
            "verified by the engine at 10 points; undefined at 10 (not finite there)\nundefined at x = -1\n"
        ),
        "{text}"
    );
}

#[test]
fn too_much_symbolic_work_is_a_usage_error() {
    let out = run(&[
        "check",
        "f = tanh(tanh(tanh(x)*sin(x))*exp(x))",
        "--wrt",
        "x",
        "--order",
        "8",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: the symbolic derivative would need more than 200000 nodes")
            && err.ends_with("(see --help)\n"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing is printed as a result");
}

#[test]
fn errors_in_the_system_point_at_the_column_as_with_a_claim() {
    let out = run(&["check", "z = (u^2 + 3", "--wrt", "u"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: column 13: expected ')' to close the '(' at column 5, found the end of the input\n  z = (u^2 + 3\n              ^\n"
    );
    let out = run(&["check", MULTI, "--wrt", "y"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: --wrt y: 'y' is not an input of the system (inputs: x) (see --help)\n"
    );
}
