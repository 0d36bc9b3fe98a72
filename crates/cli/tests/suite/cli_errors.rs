//! Every subcommand of `chainrule` on bad input (issue 6): unknown options, missing values,
//! out-of-range numbers, missing or unreadable data, a directory where a file is expected.
//! Each gives one line on stderr starting with `error:`, a usage hint (`(see --help)`) and
//! exit code 2; never a panic, a stack trace or a hang. Files that can be read but hold the
//! wrong bytes (a truncated checkpoint, malformed IDX data) are not usage errors: one line and
//! exit code 1. Syntax errors in definitions show the line and a caret under the column
//! (three lines, exit code 2) by design.
//!
//! `tests/suite/cli.rs` has the first cases of each kind; this file goes through every option.

mod files;
mod options;
mod train_start;
mod values;

use std::ffi::OsStr;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs the binary in `cwd` with a deadline; a run that takes longer is killed and fails the
/// test (a hang). Its output is drained while it runs, so a long output cannot block it.
fn run<S: AsRef<OsStr>>(args: &[S], cwd: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(args)
        .current_dir(cwd)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let args: Vec<_> = args
                .iter()
                .map(|a| a.as_ref().to_string_lossy().into_owned())
                .collect();
            panic!("chainrule {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// No panic message and no stack trace, whatever the exit code.
fn assert_no_panic(args: &str, err: &str) {
    for bad in ["panicked", "stack backtrace", "RUST_BACKTRACE", "note: run with"] {
        assert!(!err.contains(bad), "chainrule {args}: {bad:?} on stderr:\n{err}");
    }
}

/// Fails with exit code `code` and exactly one line on stderr, `error: ...` containing `want`
/// (and the usage hint for code 2); nothing on stdout.
fn fails_with<S: AsRef<OsStr>>(args: &[S], cwd: &Path, code: i32, want: &str) {
    let out = run(args, cwd);
    let shown: Vec<_> = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    let shown = format!("{shown:?}");
    let err = text(&out.stderr);
    assert_no_panic(&shown, &err);
    assert_eq!(out.status.code(), Some(code), "chainrule {shown}: stderr {err}");
    assert_eq!(
        err.lines().count(),
        1,
        "chainrule {shown}: one line expected, got:\n{err}"
    );
    assert!(err.starts_with("error: "), "chainrule {shown}: {err}");
    assert!(
        err.contains(want),
        "chainrule {shown}: expected {want:?} in {err}"
    );
    if code == 2 {
        assert!(
            err.trim_end().ends_with("(see --help)"),
            "chainrule {shown}: no usage hint in {err}"
        );
    }
    assert!(
        out.stdout.is_empty() || code == 1,
        "chainrule {shown}: a usage error printed on stdout: {}",
        text(&out.stdout)
    );
}

fn usage(args: &[&str], cwd: &Path, want: &str) {
    fails_with(args, cwd, 2, want);
}

/// The options of each subcommand that take a value, with a valid value, for the
/// "missing value" cases.
const VALUED: &[(&str, &[&str])] = &[
    (
        "train",
        &[
            "--data",
            "--pixel-max",
            "--hidden",
            "--activation",
            "--epochs",
            "--batch-size",
            "--optimizer",
            "--lr",
            "--momentum",
            "--weight-decay",
            "--schedule",
            "--step-size",
            "--gamma",
            "--seed",
            "--dtype",
            "--out",
            "--save",
        ],
    ),
    ("eval", &["--model", "--data", "--pixel-max", "--batch-size"]),
    (
        "check",
        &[
            "--wrt", "--claim", "--order", "--of", "--at", "--rtol", "--atol", "--format",
        ],
    ),
    ("notes", &["--format", "--lang"]),
    (
        "trace",
        &[
            "--wrt",
            "--set",
            "--lr",
            "--layers",
            "--activation",
            "--seed",
            "--of",
            "--format",
        ],
    ),
    ("graph", &["--at", "--of"]),
];

/// Arguments every subcommand needs to get past its required ones.
fn required(cmd: &str) -> Vec<&'static str> {
    match cmd {
        "eval" => vec!["--model", "m.safetensors"],
        "check" => vec!["y = x^2", "--wrt", "x", "--claim", "2*x"],
        "graph" => vec!["y = x^2"],
        _ => vec![],
    }
}
