//! `train`, `eval` and `predict` on CSV tables the tests write: string labels and a float
//! target; predict's rows agree with eval's figures; a model refuses other columns; hostile
//! files exit with 2 and a message naming file, row and column.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn chainrule(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

fn ok(args: &[&str], cwd: &Path) -> String {
    let out = chainrule(args, cwd);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "chainrule {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Fails with exit code 2; returns stderr.
fn refused(args: &[&str], cwd: &Path) -> String {
    let out = chainrule(args, cwd);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "chainrule {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// The number after `prefix` in `s`, up to a space, `%` or `,`.
fn number_after(s: &str, prefix: &str) -> f64 {
    let rest = &s[s.find(prefix).unwrap_or_else(|| panic!("no {prefix:?} in:\n{s}")) + prefix.len()..];
    let end = rest.find([' ', '%', ',', '\n']).unwrap_or(rest.len());
    rest[..end].trim().parse().expect("a number")
}

/// A deterministic value in [0, 1) for row `i`, column `j`.
fn u(i: usize, j: usize) -> f64 {
    ((i * 7919 + j * 104_729 + 13) % 1000) as f64 / 1000.0
}

/// Rows `from..to` of a table: features `width,height`, target `size` (small/medium/large by
/// area), or with `regression` a float target `price = 3 width - 2 height + 100 + noise`.
fn table(from: usize, to: usize, regression: bool) -> String {
    let mut s = String::from(if regression {
        "width,height,price\n"
    } else {
        "width,height,size\n"
    });
    for i in from..to {
        let (w, h) = (10.0 * u(i, 0), 10.0 * u(i, 1));
        if regression {
            let y = 3.0 * w - 2.0 * h + 100.0 + (u(i, 2) - 0.5);
            s.push_str(&format!("{w},{h},{y}\n"));
        } else {
            let class = match w * h {
                a if a < 15.0 => "small",
                a if a < 40.0 => "medium",
                _ => "large",
            };
            s.push_str(&format!("{w},{h},{class}\n"));
        }
    }
    s
}

#[test]
fn string_labels_train_eval_and_predict_agree() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("train.csv"), table(0, 300, false)).unwrap();
    fs::write(d.join("test.csv"), table(300, 400, false)).unwrap();
    let out = ok(
        &[
            "train",
            "--data",
            "train.csv",
            "--target",
            "size",
            "--test",
            "test.csv",
            "--out",
            "run",
        ],
        d,
    );
    assert!(
        out.contains("task: classification, 3 classes (the target holds text; --task overrides)"),
        "{out}"
    );
    let accuracy = number_after(&out, "final test accuracy: ");
    assert!(accuracy >= 85.0, "{out}");

    let eval = ok(
        &["eval", "--model", "run/model.safetensors", "--data", "test.csv"],
        d,
    );
    assert_eq!(number_after(&eval, "accuracy "), accuracy, "{eval}");
    assert!(
        eval.contains(" true\\pred  large medium  small   recall\n     large "),
        "{eval}"
    );

    let preds = ok(
        &[
            "predict",
            "--model",
            "run/model.safetensors",
            "--data",
            "test.csv",
        ],
        d,
    );
    let mut lines = preds.lines();
    assert_eq!(lines.next(), Some("size,p(large),p(medium),p(small)"));
    let truth: Vec<String> = table(300, 400, false)
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().to_string())
        .collect();
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), truth.len());
    // Each row: the most probable class's name, and probabilities summing to 1.
    let mut correct = 0;
    for (row, t) in rows.iter().zip(&truth) {
        let f: Vec<&str> = row.split(',').collect();
        let p: Vec<f64> = f[1..].iter().map(|x| x.parse().unwrap()).collect();
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-5, "{row}");
        let best = (0..3).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
        assert_eq!(f[0], ["large", "medium", "small"][best]);
        correct += usize::from(f[0] == t);
    }
    assert!(
        eval.contains(&format!("({correct}/100 correct)")),
        "{correct}: {eval}"
    );
    // The same rows without the target column give the same predictions.
    let features: String = table(300, 400, false)
        .lines()
        .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
        .collect();
    fs::write(d.join("rows.csv"), features).unwrap();
    ok(
        &[
            "predict",
            "--model",
            "run/model.safetensors",
            "--data",
            "rows.csv",
            "--out",
            "p.csv",
        ],
        d,
    );
    assert_eq!(
        fs::read_to_string(d.join("p.csv")).unwrap().trim_end(),
        preds.trim_end()
    );

    // A few rows with the target column (here of one class: not read, so no error).
    let few: String = table(300, 400, false)
        .lines()
        .take(3)
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(d.join("few.csv"), few).unwrap();
    let some = ok(
        &["predict", "--model", "run/model.safetensors", "--data", "few.csv"],
        d,
    );
    assert_eq!(
        some.lines().collect::<Vec<_>>(),
        preds.lines().take(3).collect::<Vec<_>>()
    );

    // Other columns are refused, naming them, before any row is read.
    fs::write(d.join("other.csv"), "width,depth,size\n1,2,small\n").unwrap();
    for cmd in ["eval", "predict"] {
        let err = refused(
            &[cmd, "--model", "run/model.safetensors", "--data", "other.csv"],
            d,
        );
        assert_eq!(
            err.trim_end(),
            r#"error: other.csv: row 1: the model was trained on columns ["width", "height"]; missing: ["height"], extra: ["depth"]"#
        );
    }
    // A class the model never saw.
    fs::write(d.join("new.csv"), "width,height,size\n1,2,huge\n3,4,small\n").unwrap();
    let err = refused(
        &["eval", "--model", "run/model.safetensors", "--data", "new.csv"],
        d,
    );
    assert!(
        err.contains(
            "new.csv: column size: class \"huge\" is not one the model knows (large, medium, small)"
        ),
        "{err}"
    );
}

#[test]
fn a_float_target_is_regression_in_the_targets_units() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let csv = table(0, 400, true);
    fs::write(d.join("houses.csv"), &csv).unwrap();
    let out = ok(
        &[
            "train",
            "--data",
            "houses.csv",
            "--target",
            "price",
            "--split",
            "0.25",
            "--out",
            "run",
        ],
        d,
    );
    assert!(
        out.contains("task: regression (the target holds numbers with fractions"),
        "{out}"
    );
    assert!(out.contains("100 test rows"), "{out}");
    let r2 = number_after(&out, "final test R²: ");
    assert!(r2 > 0.95, "{out}");
    let rmse = number_after(&out, "(RMSE ");
    // In the target's units: the noise is uniform on [-0.5, 0.5], the target spans about 50.
    assert!(rmse > 0.1 && rmse < 3.0, "{out}");
    let svg = fs::read_to_string(d.join("run/curve.svg")).unwrap();
    assert!(svg.contains("R²"));
    assert!(fs::read_to_string(d.join("run/curve.csv"))
        .unwrap()
        .starts_with("epoch,train_loss,train_r2,test_loss,test_r2"));

    // eval on every row, and predict's values give the same R², RMSE and MAE.
    let eval = ok(
        &["eval", "--model", "run/model.safetensors", "--data", "houses.csv"],
        d,
    );
    let preds = ok(
        &[
            "predict",
            "--model",
            "run/model.safetensors",
            "--data",
            "houses.csv",
        ],
        d,
    );
    let mut lines = preds.lines();
    assert_eq!(lines.next(), Some("price"));
    let p: Vec<f64> = lines.map(|l| l.parse().unwrap()).collect();
    let t: Vec<f64> = csv
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(p.len(), 400);
    let r2 = nn::metrics::r2(&t, &p).unwrap();
    let mae = nn::metrics::mae(&t, &p).unwrap();
    assert_eq!(
        eval.lines().last().unwrap(),
        eval.lines().find(|l| l.starts_with("test R²")).unwrap()
    );
    assert!(
        (number_after(&eval, "test R² ") - r2).abs() < 1e-4,
        "{r2}: {eval}"
    );
    let shown = number_after(&eval, "MAE ");
    assert!((shown - mae).abs() <= 5e-3 * mae.max(1.0), "{mae}: {eval}");
    // A row far outside the training rows overflows the float32 model (the price would be
    // about 1e39): it is still a row of the output, and a warning counts it.
    fs::write(d.join("far.csv"), "width,height\n3.4e38,-3.4e38\n5,5\n").unwrap();
    let out = chainrule(
        &["predict", "--model", "run/model.safetensors", "--data", "far.csv"],
        d,
    );
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = stdout.lines().collect();
    assert_eq!(rows.len(), 3, "{stdout}");
    assert!(rows[1].parse::<f32>().is_ok_and(|v| !v.is_finite()), "{stdout}");
    let near: f32 = rows[2].parse().unwrap();
    assert!((near - 105.0).abs() < 2.0, "{stdout}");
    // The shortest form of the float32 value: no digits beyond its precision.
    assert_eq!(rows[2], near.to_string());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "warning: 1 of 2 predictions are not finite (rows far outside the range of the training \
         rows overflow the model's float32)"
    );
}

#[test]
fn hostile_csv_files_exit_2_naming_file_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut huge = b"a,y\n1,".to_vec();
    huge.extend(std::iter::repeat_n(b'7', 2 << 20));
    huge.extend(b"\n");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "ragged.csv",
            b"a,y\n1,x\n2,y,3\n".to_vec(),
            "ragged.csv: row 3: 3 fields but the header has 2 (column 3 is beyond the header)",
        ),
        (
            "utf8.csv",
            b"a,y\n1,x\n\xff\xfe,y\n".to_vec(),
            "utf8.csv: row 3, column a: not valid UTF-8",
        ),
        (
            "huge.csv",
            huge,
            "huge.csv: row 2, column y: line longer than 1048576 bytes",
        ),
        (
            "empty.csv",
            Vec::new(),
            "empty.csv: the file is empty (expected a header row naming the columns)",
        ),
        (
            "na.csv",
            b"a,y\n1,x\nNA,y\n".to_vec(),
            "na.csv: row 3, column a: missing value \"NA\"",
        ),
        (
            "text.csv",
            b"a,y\n1,x\nabc,y\n".to_vec(),
            "text.csv: row 3, column a: \"abc\" is not a finite number",
        ),
        (
            "target.csv",
            b"a,b\n1,2\n".to_vec(),
            "target.csv: row 1: no column named \"y\"",
        ),
    ];
    for (name, bytes, message) in cases {
        fs::write(d.join(name), bytes).unwrap();
        let err = refused(&["train", "--data", name, "--target", "y", "--out", "run"], d);
        assert!(err.starts_with(&format!("error: {message}")), "{name}: {err}");
    }
    // --drop-missing skips the NA row and says so.
    fs::write(
        d.join("na2.csv"),
        "a,y\n1,x\nNA,y\n2,y\n3,x\n4,y\n5,x\n6,y\n7,x\n8,y\n9,x\n10,y\n",
    )
    .unwrap();
    let out = ok(
        &[
            "train",
            "--data",
            "na2.csv",
            "--target",
            "y",
            "--drop-missing",
            "--epochs",
            "2",
            "--out",
            "run",
        ],
        d,
    );
    assert!(out.contains("1 rows with missing values dropped"), "{out}");
}

#[test]
fn a_checkpoint_whose_metadata_disagrees_with_its_tensors_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("t.csv"), table(0, 60, false)).unwrap();
    ok(
        &[
            "train", "--data", "t.csv", "--target", "size", "--epochs", "2", "--out", "run",
        ],
        d,
    );
    let path = d.join("run/model.safetensors");
    let mut ps = nn::ParamStore::<f32>::new();
    let mut meta = nn::checkpoint::read_header(&path).unwrap().metadata;
    for (name, shape) in [("layers.0.weight", [16, 2]), ("layers.1.weight", [3, 16])] {
        ps.add(name, autograd::Tensor::zeros(&shape)).unwrap();
    }
    ps.add("layers.0.bias", autograd::Tensor::zeros(&[16])).unwrap();
    ps.add("layers.1.bias", autograd::Tensor::zeros(&[3])).unwrap();
    meta.insert("data.features".into(), r#"["width","height","depth"]"#.into());
    meta.insert("scaler.features.mean".into(), "[0.0,0.0,0.0]".into());
    meta.insert("scaler.features.scale".into(), "[1.0,1.0,1.0]".into());
    fs::write(&path, nn::checkpoint::to_bytes(&ps, &meta).unwrap()).unwrap();
    fs::write(d.join("rows.csv"), "width,height,depth\n1,2,3\n").unwrap();
    let out = chainrule(
        &[
            "predict",
            "--model",
            "run/model.safetensors",
            "--data",
            "rows.csv",
        ],
        d,
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("the metadata names 3 feature columns and 3 outputs but the MLP takes 2 inputs and gives 3 outputs"), "{err}");
}

#[cfg(unix)]
#[test]
fn predict_checks_its_output_before_any_work_as_train_does() {
    // Found by fuzz_cli: predict's --out of the wrong kind was an error with exit code 1 and
    // was checked only after the model was read, and a missing directory was found only when
    // the predictions were written. Now: exit 2 before the model is opened (here it does not
    // exist), a missing directory is created, links are followed and kept.
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("t.csv"), table(0, 60, false)).unwrap();
    ok(
        &[
            "train", "--data", "t.csv", "--target", "size", "--epochs", "1", "--out", "run",
        ],
        d,
    );
    let rows: String = table(60, 63, false).lines().map(|l| format!("{l}\n")).collect();
    fs::write(d.join("rows.csv"), rows).unwrap();
    assert!(Command::new("mkfifo")
        .arg(d.join("fifo"))
        .status()
        .unwrap()
        .success());
    fs::create_dir(d.join("adir")).unwrap();
    fs::write(d.join("afile"), "x").unwrap();
    for (out, message) in [
        ("/dev/null", "error: --out: cannot write /dev/null: it is not a regular file (a FIFO, socket or device node), which an output must never replace (see --help)"),
        ("fifo", "error: --out: cannot write fifo: it is not a regular file (a FIFO, socket or device node), which an output must never replace (see --help)"),
        ("adir", "error: --out adir is a directory; give a file name such as predictions.csv (see --help)"),
        ("afile/p.csv", "error: cannot save to afile/p.csv: afile is not a directory (see --help)"),
        ("x/..", "error: --out: cannot write x/..: the path has no file name (it ends in /, . or ..) (see --help)"),
    ] {
        let err = refused(&["predict", "--model", "missing.safetensors", "--data", "rows.csv", "--out", out], d);
        assert_eq!(err.trim_end(), message);
    }
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(
        &fs::metadata("/dev/null").unwrap().file_type()
    ));
    // Where the output can serve, the same command goes on to the model (exit 2, not found).
    let err = refused(
        &[
            "predict",
            "--model",
            "missing.safetensors",
            "--data",
            "rows.csv",
            "--out",
            "new/p.csv",
        ],
        d,
    );
    assert!(err.contains("missing.safetensors"), "{err}");
    // A missing directory is created; a link is written through and kept.
    let preds = ok(
        &[
            "predict",
            "--model",
            "run/model.safetensors",
            "--data",
            "rows.csv",
        ],
        d,
    );
    ok(
        &[
            "predict",
            "--model",
            "run/model.safetensors",
            "--data",
            "rows.csv",
            "--out",
            "deep/er/p.csv",
        ],
        d,
    );
    assert_eq!(
        fs::read_to_string(d.join("deep/er/p.csv")).unwrap().trim_end(),
        preds.trim_end()
    );
    fs::write(d.join("target.csv"), "old").unwrap();
    symlink("target.csv", d.join("link.csv")).unwrap();
    ok(
        &[
            "predict",
            "--model",
            "run/model.safetensors",
            "--data",
            "rows.csv",
            "--out",
            "link.csv",
        ],
        d,
    );
    assert!(fs::symlink_metadata(d.join("link.csv"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_to_string(d.join("target.csv")).unwrap().trim_end(),
        preds.trim_end()
    );
}
