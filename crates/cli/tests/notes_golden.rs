//! `chainrule notes`' whole output, byte for byte, in every format, against golden files in
//! `tests/golden/` captured from the binary. The report is deterministic (fixed seeds, fixed
//! sample points), so any change to a verdict, a number or a sentence shows up here; when a
//! change is intended, regenerate the files with the command in each assertion.

use std::process::Command;

fn chainrule(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn golden(name: &str) -> String {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn assert_golden(args: &[&str], file: &str) {
    let out = chainrule(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "chainrule {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "chainrule {args:?} wrote to stderr");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    let want = golden(file);
    if stdout != want {
        let line = stdout
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(stdout.lines().count().min(want.lines().count()));
        panic!(
            "chainrule {} differs from tests/golden/{file} at line {}:\n  now:    {:?}\n  golden: {:?}\n\
             (if intended: chainrule {} > crates/cli/tests/golden/{file})",
            args.join(" "),
            line + 1,
            stdout.lines().nth(line),
            want.lines().nth(line),
            args.join(" ")
        );
    }
}

#[test]
fn notes_text_is_the_golden_text() {
    assert_golden(&["notes"], "notes.en.txt");
    assert_golden(&["notes", "--format", "text"], "notes.en.txt");
}

#[test]
fn notes_json_is_the_golden_json() {
    assert_golden(&["notes", "--format", "json"], "notes.en.json");
}
