//! The `chainrule` binary, run as a user would: outputs, accuracy, and every kind of bad input.

use nn::checkpoint::{self, Metadata};
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn chainrule(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(args)
        .current_dir(cwd)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(args: &[&str], cwd: &Path) -> String {
    let out = chainrule(args, cwd);
    assert!(
        out.status.success(),
        "chainrule {args:?} failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The number after `prefix` in `s`, up to a `%`.
fn percent_after(s: &str, prefix: &str) -> f64 {
    let rest = &s[s.find(prefix).unwrap_or_else(|| panic!("no {prefix:?} in:\n{s}")) + prefix.len()..];
    rest[..rest.find('%').expect("a percentage")]
        .trim()
        .parse()
        .expect("a number")
}

#[test]
fn short_training_writes_curve_svg_and_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(
        &["train", "--epochs", "3", "--out", "run", "--seed", "4"],
        dir.path(),
    );
    assert!(out.contains("pixels / 16"), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("epoch ")).count(),
        3,
        "{out}"
    );
    assert!(out.contains("epoch 3/3  train loss"), "{out}");
    assert!(out.contains("total time: "), "{out}");
    for f in ["run/curve.csv", "run/curve.svg", "run/model.safetensors"] {
        assert!(out.contains(&format!("wrote {f}")), "{out}");
    }

    let csv = fs::read_to_string(dir.path().join("run/curve.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("epoch,train_loss,train_accuracy,test_loss,test_accuracy,lr,seconds")
    );
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 3);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.len(), 7);
        assert_eq!(r[0], (i + 1) as f64);
        assert!(
            r[1] > 0.0 && r[1] < 3.0 && r[3] > 0.0 && r[3] < 3.0,
            "losses {r:?}"
        );
        assert!(
            (0.0..=1.0).contains(&r[2]) && (0.0..=1.0).contains(&r[4]),
            "accuracies {r:?}"
        );
        assert_eq!(r[5], 0.003);
        assert!(r[6] >= 0.0 && r[6] < 60.0);
    }
    assert!(rows[2][1] < rows[0][1], "the training loss falls: {rows:?}");
    let last_acc = rows[2][4];
    assert!((percent_after(&out, "final test accuracy:") - 100.0 * last_acc).abs() < 0.006);

    let svg = fs::read_to_string(dir.path().join("run/curve.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(
        svg.matches("<polyline").count() >= 4,
        "train and test loss and accuracy lines"
    );
    assert!(svg.contains("loss") && svg.contains("accuracy"));

    let model = dir.path().join("run/model.safetensors");
    let meta = checkpoint::read_metadata(&model).unwrap();
    assert_eq!(meta["chainrule.sizes"], "64,64,10");
    assert_eq!(meta["chainrule.activations"], "relu,identity");
    assert_eq!(meta["chainrule.pixel_max"], "16");
    let header = checkpoint::read_header(&model).unwrap();
    let names: Vec<&str> = header.tensors.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "layers.0.bias",
            "layers.0.weight",
            "layers.1.bias",
            "layers.1.weight"
        ]
    );
    assert!(header.tensors.iter().all(|t| t.dtype == "F32"));
}

#[test]
fn default_training_reaches_97_percent_and_eval_reproduces_it() {
    let dir = tempfile::tempdir().unwrap();
    // The defaults exactly (only the output directory is a temporary one).
    let out = ok(&["train", "--out", "out"], dir.path());
    let acc = percent_after(&out, "final test accuracy:");
    assert!(acc >= 97.0, "default training reached only {acc}%:\n{out}");
    assert!(
        out.contains("model: mlp 64-64-10 (relu, identity), 4810 parameters, float32"),
        "{out}"
    );

    let eval = ok(&["eval", "--model", "out/model.safetensors"], dir.path());
    assert_eq!(percent_after(&eval, "accuracy"), acc, "{eval}");
    assert!(eval.contains("confusion matrix"), "{eval}");
    // Ten rows of ten counts, adding up to the 297 test images.
    let total: usize = eval
        .lines()
        .skip_while(|l| !l.contains("true\\pred"))
        .skip(1)
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .take(10)
                .map(|c| c.parse::<usize>().unwrap())
                .sum::<usize>()
        })
        .sum();
    assert_eq!(total, 297, "{eval}");
}

#[test]
fn options_change_the_model_and_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(
        &[
            "train",
            "--hidden",
            "32,16",
            "--activation",
            "tanh",
            "--optimizer",
            "sgd",
            "--momentum",
            "0.8",
            "--lr",
            "0.1",
            "--schedule",
            "step",
            "--step-size",
            "1",
            "--gamma",
            "0.5",
            "--epochs",
            "2",
            "--batch-size",
            "64",
            "--dtype",
            "f64",
            "--out",
            "o",
            "--save",
            "nested/dir/m.safetensors",
        ],
        dir.path(),
    );
    assert!(out.contains("mlp 64-32-16-10 (tanh, tanh, identity)"), "{out}");
    assert!(out.contains("sgd (lr 0.1, momentum 0.8"), "{out}");
    assert!(
        out.contains("lr 0.05 "),
        "the step schedule halves the rate: {out}"
    );
    assert!(out.contains("float64"), "{out}");
    let model = dir.path().join("nested/dir/m.safetensors");
    assert!(checkpoint::read_header(&model)
        .unwrap()
        .tensors
        .iter()
        .all(|t| t.dtype == "F64"));
    let eval = ok(&["eval", "--model", "nested/dir/m.safetensors"], dir.path());
    assert_eq!(
        percent_after(&eval, "accuracy"),
        percent_after(&out, "final test accuracy:")
    );

    // No hidden layer: softmax regression.
    for none in ["", "0"] {
        let out = ok(
            &["train", "--hidden", none, "--epochs", "1", "--out", "o2"],
            dir.path(),
        );
        assert!(out.contains("mlp 64-10 (identity), 650 parameters"), "{out}");
    }
}

fn write_idx(dir: &Path) {
    use nn::data::digits;
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("train-images-idx3-ubyte"), digits::TRAIN_IMAGES).unwrap();
    fs::write(dir.join("train-labels-idx1-ubyte"), digits::TRAIN_LABELS).unwrap();
    fs::write(dir.join("t10k-images-idx3-ubyte"), digits::TEST_IMAGES).unwrap();
    fs::write(dir.join("t10k-labels-idx1-ubyte"), digits::TEST_LABELS).unwrap();
}

#[test]
fn idx_directory_as_data() {
    let dir = tempfile::tempdir().unwrap();
    write_idx(&dir.path().join("idx"));
    let out = ok(
        &["train", "--data", "idx", "--epochs", "2", "--out", "o"],
        dir.path(),
    );
    assert!(
        out.contains("IDX files in idx") && out.contains("pixels / 255"),
        "the default scale of --data is 255: {out}"
    );
    let out = ok(
        &[
            "train",
            "--data",
            "idx",
            "--pixel-max",
            "16",
            "--epochs",
            "2",
            "--out",
            "o",
        ],
        dir.path(),
    );
    assert!(out.contains("pixels / 16"), "{out}");
    let eval = ok(
        &[
            "eval",
            "--model",
            "o/model.safetensors",
            "--data",
            "idx",
            "--pixel-max",
            "16",
        ],
        dir.path(),
    );
    assert_eq!(
        percent_after(&eval, "accuracy"),
        percent_after(&out, "final test accuracy:")
    );
    let eval = ok(
        &["eval", "--model", "o/model.safetensors", "--data", "idx"],
        dir.path(),
    );
    assert!(
        eval.contains("note: the model was trained with pixels / 16, evaluating with pixels / 255"),
        "{eval}"
    );
}

/// Fails with the given exit code and one line on stderr, `error: ...` containing `want`.
fn fails(args: &[&str], cwd: &Path, code: i32, want: &str) {
    let out = chainrule(args, cwd);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "chainrule {args:?}: stderr {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "chainrule {args:?} panicked: {err}"
    );
    assert_eq!(
        err.lines().count(),
        1,
        "chainrule {args:?}: one line expected, got {err}"
    );
    assert!(err.starts_with("error: "), "chainrule {args:?}: {err}");
    assert!(
        err.contains(want),
        "chainrule {args:?}: expected {want:?} in {err}"
    );
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: &[(&[&str], &str)] = &[
        (&["train", "--epochs", "0"], "--epochs"),
        (&["train", "--epochs", "-3"], "must be at least 1, got -3"),
        (&["train", "--epochs", "1.5"], "whole number"),
        (&["train", "--batch-size", "0"], "--batch-size"),
        (&["train", "--lr", "NaN"], "finite number greater than 0, got NaN"),
        (&["train", "--lr", "-0.1"], "greater than 0"),
        (&["train", "--lr", "inf"], "--lr"),
        (&["train", "--lr", "0"], "--lr"),
        (&["train", "--pixel-max", "0"], "--pixel-max"),
        (&["train", "--weight-decay", "-1"], "--weight-decay"),
        (&["train", "--optimizer", "sgd", "--momentum", "1"], "--momentum"),
        (&["train", "--momentum", "0.5"], "--optimizer sgd only"),
        (&["train", "--gamma", "0.5"], "--schedule step only"),
        (
            &["train", "--optimizer", "rmsprop"],
            "possible values: sgd, adam, adamw",
        ),
        (&["train", "--schedule", "linear"], "--schedule"),
        (&["train", "--dtype", "f16"], "--dtype"),
        (&["train", "--hidden", "64,0"], "only allowed alone"),
        (&["train", "--hidden", "big"], "--hidden"),
        (&["train", "--hidden", "1000000,1000000"], "would have over"),
        (&["train", "--activation", "swish"], "unknown activation"),
        (&["train", "--seed", "-1"], "--seed"),
        (&["train", "--epoch", "3"], "--epochs"),
        (&["train", "surplus"], "unexpected argument"),
        (&["eval"], "--model"),
        (&["eval", "--model"], "--model"),
        (&["eval", "--model", "m", "--batch-size", "0"], "--batch-size"),
        (&["fly"], "unrecognized subcommand"),
    ];
    for (args, want) in cases {
        fails(args, d, 2, want);
    }
    assert!(!d.join("runs").exists(), "nothing was written");
    // Help and version are not errors.
    for args in [
        &["--help"][..],
        &["train", "--help"],
        &["eval", "--help"],
        &["--version"],
    ] {
        let out = chainrule(args, d);
        assert!(out.status.success(), "{args:?}");
    }
}

/// Files that cannot be used as given (missing, a directory where a file is expected, a file
/// where a directory is) are usage errors (2); files that are read but are wrong are errors (1).
#[test]
fn bad_files_exit_1_and_unusable_paths_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("adir")).unwrap();
    fs::write(d.join("afile"), b"not a directory").unwrap();
    fs::write(
        d.join("random.safetensors"),
        (0..200u32).map(|i| (i * 37 % 251) as u8).collect::<Vec<_>>(),
    )
    .unwrap();
    // A real checkpoint, then damaged copies of it.
    ok(&["train", "--epochs", "1", "--out", "run"], d);
    let good = fs::read(d.join("run/model.safetensors")).unwrap();
    fs::write(d.join("truncated.safetensors"), &good[..good.len() / 2]).unwrap();
    fs::write(d.join("empty.safetensors"), b"").unwrap();
    let mut ps = nn::ParamStore::<f32>::new();
    ps.add("w", autograd::Tensor::zeros(&[2])).unwrap();
    checkpoint::save(&ps, d.join("nometa.safetensors"), &Metadata::new()).unwrap();
    let wrong: Metadata = [
        ("chainrule.sizes", "64,32,10"),
        ("chainrule.activations", "relu,identity"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    checkpoint::save(&ps, d.join("wrong.safetensors"), &wrong).unwrap();
    write_idx(&d.join("idx"));
    fs::write(
        d.join("idx/t10k-labels-idx1-ubyte"),
        &nn::data::digits::TEST_LABELS[..20],
    )
    .unwrap();

    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["eval", "--model", "missing.safetensors"],
            2,
            "cannot read missing.safetensors",
        ),
        (&["eval", "--model", "adir"], 2, "cannot read adir"),
        (
            &["eval", "--model", "random.safetensors"],
            1,
            "random.safetensors is not a valid safetensors file",
        ),
        (
            &["eval", "--model", "truncated.safetensors"],
            1,
            "truncated.safetensors is not a valid safetensors file",
        ),
        (
            &["eval", "--model", "empty.safetensors"],
            1,
            "empty.safetensors is not a valid safetensors file",
        ),
        (
            &["eval", "--model", "nometa.safetensors"],
            1,
            "no \"chainrule.sizes\" entry",
        ),
        (
            &["eval", "--model", "wrong.safetensors"],
            1,
            "missing tensor layers.0.weight",
        ),
        (
            &["eval", "--model", "run/model.safetensors", "--data", "nowhere"],
            2,
            "nowhere does not exist",
        ),
        (
            &["eval", "--model", "run/model.safetensors", "--data", "afile"],
            2,
            "not a directory",
        ),
        (
            &["eval", "--model", "run/model.safetensors", "--data", "adir"],
            2,
            "cannot read adir/t10k-images-idx3-ubyte",
        ),
        (
            &["eval", "--model", "run/model.safetensors", "--data", "idx"],
            1,
            "truncated",
        ),
        (&["train", "--data", "nowhere"], 2, "nowhere does not exist"),
        (&["train", "--data", "afile"], 2, "not a directory"),
        (
            &["train", "--data", "adir", "--out", "o"],
            2,
            "cannot read adir/train-images-idx3-ubyte",
        ),
        (&["train", "--data", "idx", "--out", "o"], 1, "truncated"),
        (&["train", "--out", "afile"], 2, "--out afile is not a directory"),
        (&["train", "--save", "adir"], 2, "--save adir is a directory"),
        (
            &["train", "--save", "afile/m.safetensors"],
            2,
            "afile is not a directory",
        ),
    ];
    for (args, code, want) in cases {
        fails(args, d, *code, want);
    }
    assert_eq!(fs::read(d.join("afile")).unwrap(), b"not a directory");
    assert!(
        fs::read_dir(d.join("adir")).unwrap().next().is_none(),
        "nothing was written into adir"
    );
}

/// The tensors of a safetensors file: everything after its header (whose metadata holds the
/// command line, which differs between the runs compared).
fn tensor_bytes(path: &Path) -> Vec<u8> {
    let bytes = fs::read(path).unwrap();
    let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    bytes[8 + header..].to_vec()
}

#[test]
fn the_model_is_the_same_bits_on_one_thread_and_on_three() {
    let dir = tempfile::tempdir().unwrap();
    // Layers of 128 x 256 and a test set of 297 x 256: above the size where kernels split.
    let common = ["train", "--hidden", "256", "--batch-size", "128", "--epochs", "2"];
    let one = ok(
        &[&common[..], &["--threads", "1", "--out", "one"]].concat(),
        dir.path(),
    );
    let three = ok(
        &[&common[..], &["--out", "three", "--threads", "3"]].concat(),
        dir.path(),
    );
    assert!(one.contains("float32, 1 thread\n"), "{one}");
    assert!(three.contains("float32, 3 threads\n"), "{three}");
    let (a, b) = (dir.path().join("one"), dir.path().join("three"));
    assert!(tensor_bytes(&a.join("model.safetensors")) == tensor_bytes(&b.join("model.safetensors")));
    // The curves agree in every column but the seconds.
    let columns = |p: &Path| -> Vec<String> {
        let text = fs::read_to_string(p.join("curve.csv")).unwrap();
        text.lines()
            .map(|l| l.rsplit_once(',').unwrap().0.to_string())
            .collect()
    };
    assert_eq!(columns(&a), columns(&b));
    assert_eq!(
        percent_after(&one, "final test accuracy:"),
        percent_after(&three, "final test accuracy:")
    );
}
