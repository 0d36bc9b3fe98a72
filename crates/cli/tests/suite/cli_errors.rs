//! Every subcommand of `chainrule` on bad input (issue 6): unknown options, missing values,
//! out-of-range numbers, missing or unreadable data, a directory where a file is expected.
//! Each gives one line on stderr starting with `error:`, a usage hint (`(see --help)`) and
//! exit code 2; never a panic, a stack trace or a hang. Files that can be read but hold the
//! wrong bytes (a truncated checkpoint, malformed IDX data) are not usage errors: one line and
//! exit code 1. Syntax errors in definitions show the line and a caret under the column
//! (three lines, exit code 2) by design.
//!
//! `tests/suite/cli.rs` has the first cases of each kind; this file goes through every option.

use nn::checkpoint::{self, Metadata};
use std::ffi::OsStr;
use std::fs;
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

#[test]
fn unknown_options_and_surplus_arguments_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    for &(cmd, _) in VALUED {
        let mut args = vec![cmd];
        args.extend(required(cmd));
        for (extra, want) in [
            (&["--bogus"][..], "unexpected argument '--bogus'"),
            (&["--bogus=3"], "unexpected argument '--bogus'"),
            (&["-x"], "unexpected argument '-x'"),
            (&["--"], ""),
        ] {
            let mut a = args.clone();
            a.extend(extra);
            if extra == ["--"] {
                // `--` alone is harmless; it ends the options.
                continue;
            }
            usage(&a, dir.path(), want);
        }
    }
    // Surplus positional arguments where none (or one) is taken.
    usage(&["train", "surplus"], dir.path(), "unexpected argument 'surplus'");
    usage(&["notes", "surplus"], dir.path(), "unexpected argument 'surplus'");
    usage(
        &["eval", "--model", "m", "surplus"],
        dir.path(),
        "unexpected argument 'surplus'",
    );
    usage(
        &["graph", "y = x", "z = x"],
        dir.path(),
        "unexpected argument 'z = x'",
    );
    // Near misses get a suggestion.
    usage(
        &["train", "--epoch", "3"],
        dir.path(),
        "tip: a similar argument exists: '--epochs'",
    );
    usage(
        &["train", "--learning-rate", "0.1"],
        dir.path(),
        "unexpected argument",
    );
    usage(&["fly"], dir.path(), "unrecognized subcommand 'fly'");
    usage(
        &["trian"],
        dir.path(),
        "tip: some similar subcommands exist: 'trace', 'train'",
    );
    // No subcommand: the help, on stderr, with exit code 2.
    let out = run::<&str>(&[], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Usage: chainrule [OPTIONS] <COMMAND>"));
    assert!(!dir.path().join("runs").exists(), "nothing was written");
}

#[test]
fn a_missing_value_is_a_usage_error_for_every_option() {
    let dir = tempfile::tempdir().unwrap();
    for &(cmd, options) in VALUED {
        for &opt in options {
            // At the end of the line, and followed by another option.
            // The required arguments without `opt` and its value, then `opt` last.
            let mut args = vec![cmd];
            let req = required(cmd);
            let mut i = 0;
            while i < req.len() {
                if req[i] == opt {
                    i += 2;
                } else {
                    args.push(req[i]);
                    i += 1;
                }
            }
            args.push(opt);
            usage(&args, dir.path(), &format!("a value is required for '{opt}"));
            if cmd == "train" {
                let next = if opt == "--seed" { "--epochs" } else { "--seed" };
                usage(
                    &[cmd, opt, next, "1"],
                    dir.path(),
                    &format!("a value is required for '{opt}"),
                );
            }
        }
    }
    usage(
        &["eval"],
        dir.path(),
        "required arguments were not provided: --model",
    );
    usage(
        &["check"],
        dir.path(),
        "required arguments were not provided: <SYSTEM>",
    );
    usage(
        &["graph"],
        dir.path(),
        "required arguments were not provided: <SYSTEM>",
    );
    usage(
        &["train", "--epochs", "1", "--epochs", "2"],
        dir.path(),
        "cannot be used multiple times",
    );
    assert!(!dir.path().join("runs").exists(), "nothing was written");
}

#[test]
fn out_of_range_numbers_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: &[(&[&str], &str)] = &[
        // train: counts.
        (&["train", "--epochs", "0"], "must be at least 1, got 0"),
        (&["train", "--epochs", "-3"], "must be at least 1, got -3"),
        (&["train", "--epochs", "1.5"], "whole number"),
        (&["train", "--epochs", ""], "whole number"),
        (&["train", "--epochs", "1e3"], "whole number"),
        (
            &["train", "--epochs", "18446744073709551616"],
            "must be at most 18446744073709551615",
        ),
        (
            &["train", "--epochs", "-99999999999999999999999999999999999999999"],
            "must be at least 1",
        ),
        (&["train", "--batch-size", "0"], "must be at least 1, got 0"),
        (&["train", "--batch-size", "-1"], "must be at least 1, got -1"),
        (&["train", "--step-size", "0"], "--step-size"),
        // train: rates and scales.
        (&["train", "--lr", "NaN"], "finite number greater than 0, got NaN"),
        (&["train", "--lr", "nan"], "finite number greater than 0, got NaN"),
        (&["train", "--lr", "inf"], "got inf"),
        (&["train", "--lr=-inf"], "got -inf"),
        (&["train", "--lr", "-inf"], "unexpected argument '-i'"),
        (&["train", "--lr", "1e400"], "got inf"),
        (&["train", "--lr", "0"], "greater than 0, got 0"),
        (&["train", "--lr", "-0.1"], "greater than 0, got -0.1"),
        (&["train", "--lr", "fast"], "expected a number, got \"fast\""),
        (&["train", "--pixel-max", "0"], "--pixel-max"),
        (&["train", "--pixel-max", "NaN"], "--pixel-max"),
        (&["train", "--gamma", "0", "--schedule", "step"], "--gamma"),
        (&["train", "--gamma", "NaN", "--schedule", "step"], "--gamma"),
        (&["train", "--weight-decay", "-1"], "at least 0, got -1"),
        (&["train", "--weight-decay", "NaN"], "--weight-decay"),
        (&["train", "--weight-decay", "inf"], "--weight-decay"),
        (
            &["train", "--optimizer", "sgd", "--momentum", "1"],
            "below 1, got 1",
        ),
        (
            &["train", "--optimizer", "sgd", "--momentum", "-0.5"],
            "--momentum",
        ),
        (
            &["train", "--optimizer", "sgd", "--momentum", "NaN"],
            "--momentum",
        ),
        (&["train", "--seed", "-1"], "--seed"),
        (&["train", "--seed", "18446744073709551616"], "--seed"),
        (&["train", "--seed", "1.5"], "--seed"),
        // train: words and lists.
        (&["train", "--hidden", "64,0"], "only allowed alone"),
        (&["train", "--hidden", "-64"], "unexpected argument '-6'"),
        (&["train", "--hidden", "64,,3"], "--hidden"),
        (&["train", "--hidden", "2000000"], "too large"),
        (&["train", "--hidden", "1000000,1000000"], "would have over"),
        (&["train", "--activation", "swish"], "unknown activation"),
        (&["train", "--activation", "leaky_relu(x)"], "--activation"),
        (
            &["train", "--optimizer", "rmsprop"],
            "possible values: sgd, adam, adamw",
        ),
        (
            &["train", "--schedule", "linear"],
            "possible values: constant, step, cosine",
        ),
        (&["train", "--dtype", "f16"], "possible values: f32, f64"),
        // train: options that do not go together.
        (&["train", "--momentum", "0.5"], "--optimizer sgd only"),
        (&["train", "--gamma", "0.5"], "--schedule step only"),
        (&["train", "--step-size", "2"], "--schedule step only"),
        // eval.
        (&["eval", "--model", "m", "--batch-size", "0"], "--batch-size"),
        (&["eval", "--model", "m", "--pixel-max", "-1"], "--pixel-max"),
        (&["eval", "--model", "m", "--pixel-max", "inf"], "--pixel-max"),
        // check.
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--order", "0"],
            "--order",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--order", "-1"],
            "must be at least 1, got -1",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--atol", "-0.001"],
            "at least 0, got -0.001",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--order", "11"],
            "must be at most 10",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--rtol", "0"],
            "--rtol",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--rtol", "NaN"],
            "--rtol",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--atol", "-1"],
            "--atol",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--at", "x=NaN"],
            "must be finite",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--at", "x=1e999"],
            "must be finite",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--at", "x"],
            "expected name=value",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--at", "=1"],
            "is not a name",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--at", "y=1"],
            "no value for the input 'x'",
        ),
        (
            &["check", "y = x", "--wrt", "", "--claim", "1"],
            "one or more comma-separated names",
        ),
        (
            &["check", "y = x", "--wrt", "x y", "--claim", "1"],
            "is not a name",
        ),
        (
            &["check", "y = x", "--wrt", "z", "--claim", "1"],
            "'z' is not an input",
        ),
        // (With no --claim at all, check derives: tests/suite/derive_cli.rs.)
        (
            &["check", "y = x + z", "--wrt", "x,z", "--claim", "1"],
            "need as many --claim, got 1",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--claim", "2"],
            "need as many --claim, got 2",
        ),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--of", "q"],
            "'q' is not defined",
        ),
        (&["check", "y = x", "--claim", "1"], "with --wrt"),
        (
            &["check", "y = x", "--wrt", "x", "--claim", "1", "--format", "xml"],
            "possible values: text, json",
        ),
        // notes.
        (&["notes", "--format", "yaml"], "possible values: text, json"),
        // trace.
        (&["trace", "--lr", "0"], "--lr"),
        (&["trace", "--lr", "NaN"], "--lr"),
        (&["trace", "--lr", "-1"], "greater than 0, got -1"),
        (&["trace", "--layers", "0,1"], "--layers"),
        (&["trace", "--layers", "65,1"], "from 1 to 64"),
        (&["trace", "--layers", "2,2"], "ending in 1"),
        (&["trace", "--layers", "2"], "at least two sizes"),
        (&["trace", "--layers", ""], "--layers"),
        (
            &["trace", "--layers", "64,64,64,64,64,64,64,64,64,64,64,1"],
            "too big to trace",
        ),
        (&["trace", "--layers", "64,64,64,1"], "too big to trace"),
        (
            &["trace", "--activation", "swish", "--layers", "2,1"],
            "possible values",
        ),
        (&["trace", "--seed", "-1"], "invalid value '-1' for '--seed"),
        (&["trace", "--set", "w11"], "expected name=value"),
        (&["trace", "--set", "w11=inf"], "must be finite"),
        (&["trace", "--wrt", "zz"], "'zz' is not an input"),
        (&["trace", "--wrt", ""], "one or more comma-separated names"),
        (&["trace", "--of", "nope"], "'nope' is not defined"),
        // The older name of --of still works.
        (&["trace", "--loss", "nope"], "'nope' is not defined"),
        (&["trace", "--layers", "2,1", "y = x"], "cannot be used with"),
        (&["trace", "y = x"], "--wrt"),
        (&["trace", "--format", "xml"], "possible values: text, json"),
        // graph.
        (&["graph", "y = x", "--at", "x=NaN"], "must be finite"),
        (&["graph", "y = x", "--at", "x=1"], ""),
        (&["graph", "y = x", "--of", "q"], "'q' is not defined"),
    ];
    for (args, want) in cases {
        if args == &["graph", "y = x", "--at", "x=1"] {
            assert!(run(args, d).status.success());
            continue;
        }
        usage(args, d, want);
    }
    // 64 sizes of 1 are fine; 65 are too many (a chain of 400 layers prints megabytes).
    let many = vec!["1"; 65].join(",");
    usage(&["trace", "--layers", &many], d, "at most 64 layer sizes");
    assert!(run(&["trace", "--layers", &vec!["1"; 64].join(",")], d)
        .status
        .success());
    assert!(!d.join("runs").exists(), "nothing was written");
}

#[cfg(unix)]
#[test]
fn arguments_that_are_not_utf8_are_usage_errors() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let bad = OsStr::from_bytes(b"\xff\xfe1");
    for args in [
        vec![OsStr::new("train"), OsStr::new("--epochs"), bad],
        vec![OsStr::new("check"), bad, OsStr::new("--wrt"), OsStr::new("x")],
        vec![OsStr::new("trace"), OsStr::new("--set"), bad],
    ] {
        fails_with(&args, dir.path(), 2, "invalid UTF-8");
    }
    // Values checked against a list just do not match it.
    fails_with(
        &[OsStr::new("notes"), OsStr::new("--format"), bad],
        dir.path(),
        2,
        "possible values: text, json",
    );
    fails_with(&[bad], dir.path(), 2, "unrecognized subcommand");
}

#[test]
fn syntax_errors_point_at_the_column_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["check", "z = (u^2 + 3", "--wrt", "u", "--claim", "2*u"][..],
        &["check", "z = u^2", "--wrt", "u", "--claim", "2*"],
        &["check", "z = u; u = z", "--wrt", "x", "--claim", "1"],
        &["graph", "y = (x"],
        &["graph", "y = x; y = 2"],
        &["trace", "J = ", "--wrt", "x"],
        &["check", "", "--wrt", "x", "--claim", "1"],
        &["check", ";;;", "--wrt", "x", "--claim", "1"],
    ] {
        let out = run(args, dir.path());
        let err = text(&out.stderr);
        assert_no_panic(&format!("{args:?}"), &err);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        let first = err.lines().next().unwrap_or("");
        assert!(first.starts_with("error: "), "{args:?}: {err}");
        assert!(
            err.lines().count() <= 3,
            "the message, the source and a caret: {err}"
        );
    }
}

/// A directory with the files the data and model cases need.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        use nn::data::digits;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir(d.join("adir")).unwrap();
        fs::write(d.join("afile"), b"not a directory").unwrap();
        let write_idx = |name: &str, files: &[(&str, &[u8])]| {
            fs::create_dir_all(d.join(name)).unwrap();
            for (f, bytes) in files {
                fs::write(d.join(name).join(f), bytes).unwrap();
            }
        };
        let all: [(&str, &[u8]); 4] = [
            ("train-images-idx3-ubyte", digits::TRAIN_IMAGES),
            ("train-labels-idx1-ubyte", digits::TRAIN_LABELS),
            ("t10k-images-idx3-ubyte", digits::TEST_IMAGES),
            ("t10k-labels-idx1-ubyte", digits::TEST_LABELS),
        ];
        write_idx("idx", &all);
        write_idx("train_only", &all[..2]);
        write_idx("truncated", &all);
        fs::write(
            d.join("truncated/t10k-images-idx3-ubyte"),
            &digits::TEST_IMAGES[..100],
        )
        .unwrap();
        write_idx("dir_inside", &all);
        fs::remove_file(d.join("dir_inside/train-labels-idx1-ubyte")).unwrap();
        fs::create_dir(d.join("dir_inside/train-labels-idx1-ubyte")).unwrap();
        write_idx("swapped", &all);
        fs::write(d.join("swapped/t10k-labels-idx1-ubyte"), digits::TEST_IMAGES).unwrap();
        #[cfg(unix)]
        {
            write_idx("device", &all);
            fs::remove_file(d.join("device/t10k-images-idx3-ubyte")).unwrap();
            std::os::unix::fs::symlink("/dev/zero", d.join("device/t10k-images-idx3-ubyte")).unwrap();
            std::os::unix::fs::symlink("/dev/zero", d.join("zero.safetensors")).unwrap();
        }

        // A real model, then damaged ones.
        let out = run(&["train", "--epochs", "1", "--out", "run"], d);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let good = fs::read(d.join("run/model.safetensors")).unwrap();
        fs::write(d.join("truncated.safetensors"), &good[..good.len() - 7]).unwrap();
        fs::write(d.join("empty.safetensors"), b"").unwrap();
        let mut ps = nn::ParamStore::<f32>::new();
        ps.add("layers.0.weight", autograd::Tensor::zeros(&[2, 2]))
            .unwrap();
        ps.add("layers.0.bias", autograd::Tensor::zeros(&[2])).unwrap();
        let meta = |sizes: &str| -> Metadata {
            [
                ("chainrule.sizes", sizes),
                ("chainrule.activations", "relu,identity"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
        };
        // Metadata that declares a huge MLP over six tiny tensors: must be refused before the
        // MLP is built (100000 x 100000 f32 weights would be 40 GB).
        checkpoint::save(&ps, d.join("huge.safetensors"), &meta("100000,100000,10")).unwrap();
        checkpoint::save(
            &ps,
            d.join("overflow.safetensors"),
            &meta("4294967296,4294967296,10"),
        )
        .unwrap();
        checkpoint::save(&ps, d.join("nometa.safetensors"), &Metadata::new()).unwrap();
        Self { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

#[test]
fn missing_unreadable_and_misplaced_files_are_usage_errors() {
    let f = Fixture::new();
    let d = f.path();
    let m = "run/model.safetensors";
    let cases: &[(&[&str], &str)] = &[
        // A checkpoint that is not there, a directory, a device.
        (
            &["eval", "--model", "nope.safetensors"],
            "cannot read nope.safetensors (--model): no such file",
        ),
        (
            &["eval", "--model", "adir"],
            "cannot read adir (--model): it is a directory, not a file",
        ),
        (&["eval", "--model", "run"], "it is a directory"),
        (&["eval", "--model", "afile/x"], "cannot read afile/x (--model)"),
        (&["eval", "--model", ""], "a value is required for '--model"),
        // Data directories: missing, a file, empty, half there, a directory or a device
        // where a data file should be.
        (
            &["train", "--data", "nowhere"],
            "data directory nowhere does not exist",
        ),
        (&["train", "--data", "afile"], "--data afile is not a directory"),
        (
            &["train", "--data", "adir"],
            "cannot read adir/train-images-idx3-ubyte (--data): no such file",
        ),
        (
            &["train", "--data", "train_only"],
            "cannot read train_only/t10k-images-idx3-ubyte (--data): no such file",
        ),
        (
            &["train", "--data", "dir_inside"],
            "dir_inside/train-labels-idx1-ubyte (--data): it is a directory",
        ),
        (
            &["eval", "--model", m, "--data", "nowhere"],
            "data directory nowhere does not exist",
        ),
        (
            &["eval", "--model", m, "--data", "afile"],
            "--data afile is not a directory",
        ),
        (
            &["eval", "--model", m, "--data", "adir"],
            "cannot read adir/t10k-images-idx3-ubyte (--data)",
        ),
        // Outputs: a file where a directory is expected and the other way round.
        (&["train", "--out", "afile"], "--out afile is not a directory"),
        (&["train", "--save", "adir"], "--save adir is a directory"),
        (
            &["train", "--save", "afile/m.safetensors"],
            "afile is not a directory",
        ),
    ];
    for (args, want) in cases {
        usage(args, d, want);
    }
    #[cfg(unix)]
    {
        // Reading these would never end: refused before reading.
        usage(
            &["eval", "--model", "zero.safetensors"],
            d,
            "zero.safetensors (--model): not a regular file",
        );
        usage(
            &["train", "--data", "device"],
            d,
            "device/t10k-images-idx3-ubyte (--data): not a regular file",
        );
        let fifo = d.join("fifo.safetensors");
        if Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success())
        {
            usage(&["eval", "--model", "fifo.safetensors"], d, "not a regular file");
        }
    }
    assert_eq!(fs::read(d.join("afile")).unwrap(), b"not a directory");
    assert!(
        fs::read_dir(d.join("adir")).unwrap().next().is_none(),
        "nothing was written into adir"
    );
}

#[cfg(unix)]
#[test]
fn files_without_read_permission_are_usage_errors() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let d = f.path();
    let model = d.join("run/model.safetensors");
    fs::set_permissions(&model, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&model).is_ok() {
        println!(
            "skipping files_without_read_permission_are_usage_errors: running as root, which reads anything"
        );
        return;
    }
    usage(
        &["eval", "--model", "run/model.safetensors"],
        d,
        "Permission denied",
    );
    let images = d.join("idx/t10k-images-idx3-ubyte");
    fs::set_permissions(&images, fs::Permissions::from_mode(0o000)).unwrap();
    usage(&["train", "--data", "idx"], d, "Permission denied");
}

#[test]
fn files_with_wrong_contents_are_errors_with_exit_code_1() {
    let f = Fixture::new();
    let d = f.path();
    let m = "run/model.safetensors";
    let cases: &[(&[&str], &str)] = &[
        (
            &["eval", "--model", "afile"],
            "afile is not a valid safetensors file: header too large; the header length field says",
        ),
        (
            &["eval", "--model", "empty.safetensors"],
            "empty.safetensors is not a valid safetensors file",
        ),
        (
            &["eval", "--model", "truncated.safetensors"],
            "tensor layers.1.bias: its data (bytes 19200..19240",
        ),
        (
            &["eval", "--model", "nometa.safetensors"],
            "no \"chainrule.sizes\" entry",
        ),
        (
            &["eval", "--model", "huge.safetensors"],
            "layers.0.weight has shape [2, 2] in the file, the model expects [100000, 100000]",
        ),
        (
            &["eval", "--model", "overflow.safetensors"],
            "the model expects [4294967296, 4294967296]",
        ),
        (&["train", "--data", "truncated", "--out", "o"], "truncated data"),
        (&["eval", "--model", m, "--data", "truncated"], "truncated data"),
        (&["train", "--data", "swapped", "--out", "o"], "not a label file"),
    ];
    for (args, want) in cases {
        fails_with(args, d, 1, want);
    }
    // The store order of layers.*: weight before bias (the full mismatch list is one line).
    let out = run(&["eval", "--model", "huge.safetensors"], d);
    let err = text(&out.stderr);
    assert!(
        err.contains("missing tensor layers.1.weight (the model expects shape [10, 100000])"),
        "{err}"
    );
}

#[test]
fn help_and_version_are_not_errors() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["--help"][..], &["--version"], &["-V"], &["-h"]] {
        let out = run(args, dir.path());
        assert!(out.status.success(), "{args:?}");
    }
    for &(cmd, _) in VALUED {
        let out = run(&[cmd, "--help"], dir.path());
        assert!(out.status.success(), "{cmd} --help");
        assert!(text(&out.stdout).contains("Usage: chainrule"), "{cmd}");
    }
}

#[test]
fn a_huge_epoch_count_starts_training_instead_of_failing() {
    // `--epochs 18446744073709551615` used to panic (capacity overflow) and 10^12 to abort:
    // the history was reserved for every epoch up front. Now the first epoch runs; the test
    // stops the run there.
    let dir = tempfile::tempdir().unwrap();
    for epochs in ["18446744073709551615", "1000000000000"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chainrule"))
            .args(["train", "--hidden", "0", "--out", "o", "--epochs", epochs])
            .current_dir(dir.path())
            .env("RUST_BACKTRACE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut seen = String::new();
        let mut line = String::new();
        while std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0 {
            seen.push_str(&line);
            if line.starts_with("epoch ") {
                break;
            }
            line.clear();
        }
        let still_running = child.try_wait().unwrap().is_none();
        let _ = child.kill();
        let _ = child.wait();
        // The epoch number is right-aligned to the width of the count.
        let first = format!(" 1/{epochs} ");
        assert!(
            seen.lines()
                .any(|l| l.starts_with("epoch ") && l.contains(&first)),
            "--epochs {epochs}: {seen}"
        );
        assert!(still_running, "--epochs {epochs}: the run ended after one epoch");
    }
}

/// A build without the `mpi` feature, started by `mpirun` as one of several processes, refuses
/// rather than train alone on every row in each process (and write over the others' outputs).
#[cfg(not(feature = "mpi"))]
#[test]
fn a_build_without_mpi_refuses_to_be_one_of_several_processes() {
    let dir = tempfile::tempdir().unwrap();
    for var in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] {
        let out = Command::new(env!("CARGO_BIN_EXE_chainrule"))
            .args(["train", "--epochs", "1"])
            .current_dir(dir.path())
            .env(var, "2")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = text(&out.stderr);
        assert!(err.starts_with("error: mpirun started this chainrule as one of 2 processes, but it was built without the mpi feature"), "{err}");
        assert!(!dir.path().join("runs").exists());
    }
    // One process under mpirun is a plain run.
    let out = Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(["train", "--epochs", "1"])
        .current_dir(dir.path())
        .env("OMPI_COMM_WORLD_SIZE", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}
