//! Missing, unreadable and misplaced files (usage errors) and files with the wrong contents (exit code 1).

use super::{fails_with, run, text, usage};
use nn::checkpoint::{self, Metadata};
use std::fs;
use std::path::Path;
#[cfg(unix)]
use std::process::Command;

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
