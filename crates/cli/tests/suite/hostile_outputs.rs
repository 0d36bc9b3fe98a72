//! Hostile input, round two (issue 10), the CLI and file side: each class of the issue with
//! generated inputs, the exit code, the message and the bound.
//!
//! - non-UTF-8 path arguments: every path option;
//! - outputs of every kind (FIFO, device, directory, symlinks, read-only files);
//! - the output contract (lock, staged writes, model first, diverged runs);
//! - memory: runs that cannot fit are refused under `RLIMIT_AS` (`prlimit`), a run that fits
//!   under a limit above its estimate completes; `eval` of a model with many classes;
//! - bounded header reads of huge sparse files; unusable output paths before any work; images of
//!   0 pixels.

#![cfg(unix)]

mod contract;
mod inputs;
mod kinds;
mod memory;
mod paths;

use nn::checkpoint::{self, Metadata};
use nn::data::digits;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn run_in<S: AsRef<OsStr>>(cwd: &Path, prefix: &[&str], args: &[S]) -> Output {
    let (program, before) = match prefix.split_first() {
        Some((p, rest)) => (OsString::from(p), rest.iter().map(OsString::from).collect()),
        None => (OsString::from(env!("CARGO_BIN_EXE_chainrule")), Vec::new()),
    };
    let mut cmd = Command::new(program);
    cmd.args(before);
    if !prefix.is_empty() {
        cmd.arg(env!("CARGO_BIN_EXE_chainrule"));
    }
    cmd.args(args)
        .current_dir(cwd)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn run<S: AsRef<OsStr>>(cwd: &Path, args: &[S]) -> Output {
    run_in(cwd, &[], args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit `code`, one `error:` line containing every `want`, no panic.
fn assert_fails(o: &Output, code: i32, wants: &[&str], what: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{what}: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{what}: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{what}: {err}");
    assert!(err.starts_with("error: "), "{what}: {err}");
    for w in wants {
        assert!(err.contains(w), "{what}: expected {w:?} in {err}");
    }
}

fn assert_ok(o: &Output, what: &str) {
    assert_eq!(o.status.code(), Some(0), "{what}: {}", stderr(o));
}

const QUICK: [&str; 3] = ["train", "--hidden", "8"];

fn quick(extra: &[&OsStr]) -> Vec<OsString> {
    QUICK
        .iter()
        .map(OsString::from)
        .chain(extra.iter().map(|s| s.to_os_string()))
        .collect()
}

/// The digits as an IDX directory.
fn digits_dir(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    for (name, bytes) in [
        ("train-images-idx3-ubyte", digits::TRAIN_IMAGES),
        ("train-labels-idx1-ubyte", digits::TRAIN_LABELS),
        ("t10k-images-idx3-ubyte", digits::TEST_IMAGES),
        ("t10k-labels-idx1-ubyte", digits::TEST_LABELS),
    ] {
        fs::write(dir.join(name), bytes).unwrap();
    }
}

/// Runs `chainrule` under an address-space limit of `bytes`.
fn limited(cwd: &Path, bytes: u64, args: &[&str]) -> Output {
    run_in(cwd, &["prlimit", &format!("--as={bytes}")], args)
}

/// A checkpoint of a one-layer MLP with `classes` outputs for the digits (64 inputs).
fn wide_checkpoint(path: &Path, classes: usize) {
    use autograd::Tensor;
    let mut ps = nn::ParamStore::<f32>::new();
    let w: Vec<f32> = (0..classes * 64)
        .map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5)
        .collect();
    ps.add("layers.0.weight", Tensor::from_vec(w, &[classes, 64]).unwrap())
        .unwrap();
    ps.add("layers.0.bias", Tensor::zeros(&[classes])).unwrap();
    let meta: Metadata = [
        ("chainrule.sizes".to_string(), format!("64,{classes}")),
        ("chainrule.activations".to_string(), "identity".to_string()),
    ]
    .into_iter()
    .collect();
    checkpoint::save(&ps, path, &meta).unwrap();
}
