//! `chainrule train --detect-anomaly`: a diverging run stops at the first non-finite value
//! with one line naming the op, and a healthy run is unaffected.

use std::process::Command;

fn train(extra: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().expect("a temp dir");
    let out = dir.path().to_str().expect("UTF-8 path").to_string();
    let mut args = vec!["train", "--epochs", "2", "--out", &out, "--detect-anomaly"];
    args.extend_from_slice(extra);
    Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(&args)
        .output()
        .expect("the binary runs")
}

#[test]
fn a_diverging_run_stops_at_the_first_anomaly() {
    let out = train(&["--optimizer", "sgd", "--lr", "1e30"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    assert!(
        lines[0].starts_with("error: anomaly detected: epoch 1, batch "),
        "{err}"
    );
    assert!(
        lines[0].contains("produced") && lines[0].contains("recorded at"),
        "{err}"
    );
}

#[test]
fn a_healthy_run_is_unaffected() {
    let out = train(&[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("final test accuracy"));
}
