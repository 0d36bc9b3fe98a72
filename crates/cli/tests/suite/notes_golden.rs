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
    assert_golden(&["notes", "--lang", "en"], "notes.en.txt");
}

#[test]
fn notes_text_in_chinese_is_the_golden_chinese_text() {
    assert_golden(&["notes", "--lang", "zh"], "notes.zh.txt");
    assert_golden(&["notes", "--lang", "zh", "--format", "text"], "notes.zh.txt");
}

#[test]
fn notes_json_is_the_golden_json_in_either_language() {
    // JSON carries both languages' words, so --lang does not change it.
    assert_golden(&["notes", "--format", "json"], "notes.en.json");
    assert_golden(&["notes", "--format", "json", "--lang", "zh"], "notes.en.json");
}

#[test]
fn the_two_languages_differ_only_in_words_not_in_figures() {
    let (en, zh) = (golden("notes.en.txt"), golden("notes.zh.txt"));
    let (en, zh): (Vec<&str>, Vec<&str>) = (en.lines().collect(), zh.lines().collect());
    assert_eq!(en.len(), zh.len());
    for (e, z) in en.iter().zip(&zh) {
        // The note's value, the engine's values and the explanation are the same lines.
        if let Some(rest) = e.strip_prefix("    note:   ") {
            assert_eq!(z.strip_prefix("    笔记: "), Some(rest));
        } else if let Some(rest) = e.strip_prefix("    engine: ") {
            assert_eq!(z.strip_prefix("    引擎: "), Some(rest));
        } else if e.starts_with("    ") {
            assert_eq!(e, z);
        }
    }
}

#[test]
fn an_unknown_language_is_a_usage_error() {
    for bad in ["xx", "EN", "中文"] {
        let out = chainrule(&["notes", "--lang", bad]);
        assert_eq!(out.status.code(), Some(2), "--lang {bad:?}");
        assert!(out.stdout.is_empty(), "--lang {bad:?} printed a report");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(
            err,
            format!(
                "error: invalid value '{bad}' for '--lang <LANG>' [possible values: en, zh] (see --help)\n"
            ),
            "--lang {bad:?}"
        );
    }
    let out = chainrule(&["notes", "--lang", "zh-CN"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: invalid value 'zh-CN' for '--lang <LANG>' [possible values: en, zh]; tip: a similar value exists: 'zh' (see --help)\n"
    );
    let out = chainrule(&["notes", "--lang", ""]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: a value is required for '--lang <LANG>' but none was supplied [possible values: en, zh] (see --help)\n"
    );
}
