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

use nn::checkpoint::{self, Metadata};
use nn::data::digits;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
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

/// Names that are not UTF-8: a lone continuation byte, an invalid start, a truncated sequence,
/// an overlong encoding, a surrogate, 0xFF, mixed with valid text.
fn non_utf8_names() -> Vec<OsString> {
    [
        &b"o\xff"[..],
        b"\x80",
        b"caf\xc3",
        b"\xc0\xafx",
        b"\xed\xa0\x80d",
        b"m\xfe\xff.safetensors",
        b"\xe2\x82",
    ]
    .iter()
    .map(|b| OsString::from_vec(b.to_vec()))
    .collect()
}

#[test]
fn non_utf8_paths_work_for_every_path_option() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (i, name) in non_utf8_names().into_iter().enumerate() {
        // --out: the outputs land in the directory of that name.
        let out = run(d, &quick(&[OsStr::new("--out"), &name]));
        assert_ok(&out, &format!("--out {name:?}"));
        let model = d.join(&name).join("model.safetensors");
        let meta = checkpoint::read_metadata(&model).unwrap();
        assert!(meta["chainrule.command"].contains('\u{FFFD}'), "{meta:?}");
        assert!(d.join(&name).join("curve.svg").is_file());
        // --save: the model has that name.
        let mut file = name.clone();
        file.push(format!("-{i}.safetensors"));
        let out = run(
            d,
            &quick(&[OsStr::new("--out"), OsStr::new("o"), OsStr::new("--save"), &file]),
        );
        assert_ok(&out, &format!("--save {file:?}"));
        assert!(d.join(&file).is_file());
        // eval --model reads it.
        let out = run(d, &[OsStr::new("eval"), OsStr::new("--model"), &file]);
        assert_ok(&out, &format!("eval --model {file:?}"));
        // --data: a directory of that name holding the digits, and a missing one.
        let mut data = OsString::from("data-");
        data.push(&name);
        digits_dir(&d.join(&data));
        let out = run(
            d,
            &quick(&[OsStr::new("--out"), OsStr::new("o"), OsStr::new("--data"), &data]),
        );
        assert_ok(&out, &format!("--data {data:?}"));
        let out = run(
            d,
            &[
                OsStr::new("eval"),
                OsStr::new("--model"),
                &file,
                OsStr::new("--data"),
                &data,
            ],
        );
        assert_ok(&out, &format!("eval --data {data:?}"));
        let mut missing = OsString::from("missing-");
        missing.push(&name);
        let out = run(d, &quick(&[OsStr::new("--data"), &missing]));
        assert_fails(&out, 2, &["does not exist", "\u{FFFD}"], "missing --data");
    }
}

/// A FIFO, made with mkfifo(1).
fn mkfifo(p: &Path) {
    assert!(Command::new("mkfifo").arg(p).status().unwrap().success());
}

/// A character device like /dev/null, if this process may make one (root).
fn mknod_null(p: &Path) -> bool {
    Command::new("mknod")
        .arg(p)
        .args(["c", "1", "3"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn outputs_that_are_not_regular_files_are_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    mkfifo(&d.join("fifo"));
    let device = mknod_null(&d.join("null"));
    fs::create_dir(d.join("adir")).unwrap();
    std::os::unix::fs::symlink("fifo", d.join("to_fifo")).unwrap();
    std::os::unix::fs::symlink("adir", d.join("to_dir")).unwrap();
    std::os::unix::fs::symlink("loop_b", d.join("loop_a")).unwrap();
    std::os::unix::fs::symlink("loop_a", d.join("loop_b")).unwrap();
    let mut cases: Vec<(&str, &str)> = vec![
        ("fifo", "not a regular file"),
        ("to_fifo", "not a regular file"),
        ("adir", "is a directory"),
        ("to_dir", "a directory"),
        ("loop_a", "more than 40 symbolic links"),
        ("x/..", "no file name"),
        ("adir/.", "is a directory"),
        ("adir/", "is a directory"),
        ("..", "is a directory"),
        ("missing/.", "no file name"),
        ("missing/", "no file name"),
    ];
    if device {
        cases.push(("null", "not a regular file"));
    }
    for (save, want) in &cases {
        let out = run(
            d,
            &quick(&[
                OsStr::new("--out"),
                OsStr::new("o"),
                OsStr::new("--save"),
                OsStr::new(save),
            ]),
        );
        assert_fails(&out, 2, &[want], &format!("--save {save}"));
        assert!(
            out.stdout.is_empty(),
            "--save {save}: no training before the check"
        );
        assert!(!d.join("o").exists(), "--save {save}: nothing created");
    }
    // The curves: curve.csv or curve.svg of --out of the wrong kind.
    for (kind, want) in [("fifo", "not a regular file"), ("dir", "is a directory")] {
        for curve in ["curve.csv", "curve.svg"] {
            let out_dir = d.join(format!("out-{kind}-{curve}"));
            fs::create_dir(&out_dir).unwrap();
            match kind {
                "fifo" => mkfifo(&out_dir.join(curve)),
                _ => fs::create_dir(out_dir.join(curve)).unwrap(),
            }
            let out = run(d, &quick(&[OsStr::new("--out"), out_dir.as_os_str()]));
            assert_fails(&out, 2, &["--out", want, curve], &format!("{kind} {curve}"));
            assert!(!out_dir.join("model.safetensors").exists());
        }
    }
    // Nothing was replaced.
    assert!(fs::symlink_metadata(d.join("fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
    if device {
        assert!(fs::symlink_metadata(d.join("null"))
            .unwrap()
            .file_type()
            .is_char_device());
    }
    assert!(fs::symlink_metadata(d.join("to_fifo"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn symlinks_are_followed_and_permissions_kept() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("real")).unwrap();
    for (i, mode) in [0o400u32, 0o600, 0o640, 0o444, 0o755].into_iter().enumerate() {
        // A file of this mode, reached through a chain of 0 to 3 links.
        let target = d.join("real").join(format!("m{i}.safetensors"));
        fs::write(&target, b"old").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(mode)).unwrap();
        let mut path = target.clone();
        for k in 0..i % 4 {
            let link = d.join(format!("link{i}-{k}"));
            std::os::unix::fs::symlink(&path, &link).unwrap();
            path = link;
        }
        let out = run(
            d,
            &quick(&[
                OsStr::new("--out"),
                OsStr::new("o"),
                OsStr::new("--save"),
                path.as_os_str(),
            ]),
        );
        assert_ok(&out, &format!("mode {mode:o} through {} links", i % 4));
        let meta = fs::metadata(&target).unwrap();
        assert_eq!(meta.permissions().mode() & 0o7777, mode, "the mode is kept");
        assert!(
            checkpoint::read_metadata(&target).is_ok(),
            "the target was replaced"
        );
        if path != target {
            assert!(
                fs::symlink_metadata(&path).unwrap().file_type().is_symlink(),
                "the link stays"
            );
        }
        let temps: Vec<_> = fs::read_dir(d.join("real"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains(".tmp-")
            })
            .collect();
        assert!(temps.is_empty(), "no temporary file left");
    }
    // A dangling link creates its target.
    std::os::unix::fs::symlink("real/new.safetensors", d.join("dangling")).unwrap();
    assert_ok(
        &run(
            d,
            &quick(&[
                OsStr::new("--out"),
                OsStr::new("o"),
                OsStr::new("--save"),
                OsStr::new("dangling"),
            ]),
        ),
        "a dangling link",
    );
    assert!(checkpoint::read_metadata(d.join("real/new.safetensors")).is_ok());
}

#[test]
fn a_second_run_on_a_locked_out_fails_at_once() {
    // flock(1) holds the lock while it runs chainrule, as a first run would (the lock is held
    // by another process, never by this test's, whose descriptors concurrent spawns share).
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("o")).unwrap();
    for extra in [&[][..], &["--save", "elsewhere.safetensors"][..]] {
        let mut args: Vec<&str> = QUICK.to_vec();
        args.extend(["--out", "o"]);
        args.extend(extra);
        let out = run_in(d, &["flock", "--nonblock", "o/.chainrule.lock"], &args);
        assert_fails(
            &out,
            1,
            &["another `chainrule train` is writing to --out o"],
            "locked",
        );
        assert!(out.stdout.is_empty());
        assert!(!d.join("o/model.safetensors").exists() && !d.join("elsewhere.safetensors").exists());
    }
    assert_ok(&run(d, &[QUICK.as_slice(), &["--out", "o"]].concat()), "unlocked");
}

#[test]
fn a_failed_run_leaves_no_out_directory_it_created() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let missing = ["--data", "missing.csv", "--target", "y"];
    // Unreadable data (after --out was prepared), and a diverged run (after training).
    for (extra, code, want) in [
        (&missing[..], 2, "cannot read missing.csv"),
        (&["--lr", "1e30", "--epochs", "3"][..], 1, "not finite"),
    ] {
        let args = [&QUICK[..], &["--out", "new"], extra].concat();
        assert_fails(&run(d, &args), code, &[want], want);
        assert!(!d.join("new").exists(), "{want}: left new/ behind");
        // A directory that was there stays, with what it held (the lock file included).
        fs::create_dir(d.join("old")).unwrap();
        fs::write(d.join("old/notes.txt"), "mine").unwrap();
        let args = [&QUICK[..], &["--out", "old"], extra].concat();
        assert_fails(&run(d, &args), code, &[want], want);
        assert_eq!(fs::read_to_string(d.join("old/notes.txt")).unwrap(), "mine");
        assert!(d.join("old").join(".chainrule.lock").exists());
        fs::remove_dir_all(d.join("old")).unwrap();
    }
    // Nested: only the directory the run created goes, not its parents that it created too.
    let args = [&QUICK[..], &["--out", "a/b"], &missing[..]].concat();
    assert_fails(&run(d, &args), 2, &["cannot read missing.csv"], "nested");
    assert!(d.join("a").is_dir() && !d.join("a/b").exists());
    // A run that saves keeps its directory.
    assert_ok(
        &run(d, &[&QUICK[..], &["--out", "new", "--epochs", "1"]].concat()),
        "saves",
    );
    assert!(d.join("new/model.safetensors").is_file());
}

fn bytes_of(p: &Path) -> Vec<u8> {
    fs::read(p).unwrap()
}

#[test]
fn a_diverged_run_never_replaces_the_previous_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_ok(
        &run(d, &[QUICK.as_slice(), &["--out", "o", "--epochs", "2"]].concat()),
        "a good run",
    );
    let before: Vec<Vec<u8>> = ["model.safetensors", "curve.csv", "curve.svg"]
        .iter()
        .map(|f| bytes_of(&d.join("o").join(f)))
        .collect();
    let diverging: &[&[&str]] = &[
        &["--lr", "1e300"],
        &["--optimizer", "sgd", "--lr", "1e30"],
        &["--optimizer", "sgd", "--lr", "1e20"],
        &["--optimizer", "adamw", "--weight-decay", "1e300"],
        &["--optimizer", "sgd", "--weight-decay", "1e300"],
        &["--optimizer", "adam", "--lr", "1e200", "--dtype", "f64"],
    ];
    for extra in diverging {
        let out = run(
            d,
            &[QUICK.as_slice(), &["--out", "o", "--epochs", "3"], extra].concat(),
        );
        assert_fails(
            &out,
            1,
            &["training diverged", "at epoch 1", "nothing was written"],
            &format!("{extra:?}"),
        );
        for (f, old) in ["model.safetensors", "curve.csv", "curve.svg"]
            .iter()
            .zip(&before)
        {
            assert_eq!(&bytes_of(&d.join("o").join(f)), old, "{extra:?}: {f} unchanged");
        }
    }
}

/// A tmpfs of `size` on a fresh directory (unmounted when dropped), or `None` when this
/// process may not mount (not root).
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            println!("skipping: mount -t tmpfs needs root");
        }
        ok.then_some(Self(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

/// `train --epochs 1` plus `extra`, then `--out`/`--save` (`flag`) with `path`.
fn with_path(extra: &[&str], flag: &str, path: &Path) -> Vec<OsString> {
    ["train", "--epochs", "1"]
        .iter()
        .chain(extra)
        .chain([&flag])
        .map(OsString::from)
        .chain([path.as_os_str().to_os_string()])
        .collect()
}

#[test]
fn a_full_disk_for_the_curves_still_saves_the_model_and_never_mixes_runs() {
    let Some(small) = Tmpfs::mount("64k") else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = small.0.path().join("o");
    // A previous run's curves on the small disk, then the disk filled up to 4 KiB, less than
    // curve.svg needs.
    assert_ok(
        &run(d, &with_path(&["--save", "m.safetensors"], "--out", &out)),
        "first run",
    );
    let mut k = 0;
    while fs::write(small.0.path().join(format!("fill{k}")), [1u8; 4096]).is_ok() {
        k += 1;
    }
    fs::remove_file(small.0.path().join(format!("fill{}", k - 1))).unwrap();
    let old_model = bytes_of(&d.join("m.safetensors"));
    let o = run(
        d,
        &with_path(&["--seed", "2", "--save", "m.safetensors"], "--out", &out),
    );
    assert_fails(
        &o,
        1,
        &[
            "saved the model to m.safetensors, but the learning curve could not be written",
            "No space left on device",
            "removed the previous",
        ],
        "curves on a full disk",
    );
    assert_ne!(
        bytes_of(&d.join("m.safetensors")),
        old_model,
        "the new model is saved"
    );
    assert!(checkpoint::read_metadata(d.join("m.safetensors")).is_ok());
    assert!(
        !out.join("curve.csv").exists() && !out.join("curve.svg").exists(),
        "no curve of the previous run beside the new model"
    );
    // The model on the full disk, the curves elsewhere: nothing is replaced.
    assert_ok(&run(d, &["train", "--epochs", "1", "--out", "o2"]), "o2");
    let old = ["o2/curve.csv", "o2/curve.svg"].map(|f| bytes_of(&d.join(f)));
    let big = small.0.path().join("big.safetensors");
    let o = run(
        d,
        &with_path(&["--hidden", "1024", "--out", "o2"], "--save", &big),
    );
    assert_fails(
        &o,
        1,
        &[
            "cannot save the model; nothing was replaced",
            "No space left on device",
        ],
        "the model on a full disk",
    );
    assert_eq!(
        ["o2/curve.csv", "o2/curve.svg"].map(|f| bytes_of(&d.join(f))),
        old
    );
    assert!(!big.exists());
}

/// Runs `chainrule` under an address-space limit of `bytes`.
fn limited(cwd: &Path, bytes: u64, args: &[&str]) -> Output {
    run_in(cwd, &["prlimit", &format!("--as={bytes}")], args)
}

/// The estimate a refusal names, in bytes (`needs about 7.96 GiB`).
fn estimate_in(err: &str) -> f64 {
    let rest = err.split("needs about ").nth(1).expect("an estimate");
    let mut it = rest.split_whitespace();
    let x: f64 = it.next().unwrap().parse().unwrap();
    let unit = match it.next().unwrap() {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024f64.powi(4),
        u => panic!("unit {u}"),
    };
    x * unit
}

#[test]
fn runs_that_cannot_fit_are_refused_with_the_estimate_and_the_room() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let limit: u64 = 1 << 30;
    for hidden in ["16000,16000", "1048576", "8192,8192,8192", "4096,4096,4096,4096"] {
        for dtype in ["f32", "f64"] {
            let out = limited(
                d,
                limit,
                &["train", "--epochs", "1", "--hidden", hidden, "--dtype", dtype],
            );
            let err = stderr(&out);
            assert_fails(
                &out,
                1,
                &["needs about", "address-space limit (ulimit -v) leaves"],
                &format!("--hidden {hidden} {dtype}"),
            );
            assert!(estimate_in(&err) > limit as f64, "{err}");
            assert!(out.stdout.is_empty(), "refused before training");
        }
    }
    // A run under a limit of twice its estimate (plus what its threads reserve, as
    // `memory::THREAD_RESERVE` says) completes: the estimate bounds the run.
    // The matrix-multiplication threads and the progress bar's, 136 MiB each.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u64) + 1;
    for hidden in ["512,512", "2048"] {
        let refused = limited(d, 40 << 20, &["train", "--epochs", "1", "--hidden", hidden]);
        let estimate = estimate_in(&stderr(&refused));
        let fits = limited(
            d,
            (2.0 * estimate) as u64 + (64 << 20) + threads * (136 << 20),
            &["train", "--epochs", "1", "--hidden", hidden, "--out", "fits"],
        );
        assert_ok(&fits, &format!("--hidden {hidden} under twice its estimate"));
    }
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

#[test]
fn eval_output_and_memory_stay_bounded_with_many_classes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for classes in [10, 20, 21, 1000, 30_000] {
        let model = d.join(format!("wide{classes}.safetensors"));
        wide_checkpoint(&model, classes);
        // 30,000 classes made a 900-million-cell matrix (5.9 GB); 1 GiB is plenty now.
        let out = limited(d, 1 << 30, &["eval", "--model", model.to_str().unwrap()]);
        assert_ok(&out, &format!("{classes} classes"));
        let text = String::from_utf8(out.stdout).unwrap();
        let lines = text.lines().count();
        if classes <= 20 {
            assert_eq!(lines, 4 + 2 + classes, "{text}");
        } else {
            assert!(
                lines <= 4 + 4 + 2 * 10,
                "{classes} classes: {lines} lines\n{text}"
            );
            assert!(text.contains(&format!("confusion matrix: {classes} classes, too many to print")));
        }
    }
}

/// A sparse file of `len` bytes starting with `head`.
fn sparse(path: &Path, head: &[u8], len: u64) {
    let f = fs::File::create(path).unwrap();
    f.set_len(len).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, head, 0).unwrap();
}

#[test]
fn huge_sparse_files_are_rejected_from_their_first_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let big = 3u64 << 30;
    // Checkpoints: a zero header length, garbage, a length past the limit, a valid header
    // followed by 3 GiB.
    let good = {
        let p = d.join("good.safetensors");
        wide_checkpoint(&p, 10);
        fs::read(&p).unwrap()
    };
    let header_len = 8 + u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![0; 8], "invalid JSON in header"),
        (b"XXXXXXXXXXXX".to_vec(), "header too large"),
        (
            [&99_999_999u64.to_le_bytes()[..], b"garbage"].concat(),
            "invalid JSON in header",
        ),
        (
            good[..header_len].to_vec(),
            "bytes after the end of the last tensor's data",
        ),
    ];
    for (i, (head, want)) in cases.iter().enumerate() {
        let p = d.join(format!("sparse{i}.safetensors"));
        sparse(&p, head, big);
        // 200 MiB of address space: reading the file would need 3 GiB.
        let out = limited(d, 200 << 20, &["eval", "--model", p.to_str().unwrap()]);
        assert_fails(
            &out,
            1,
            &["is not a valid safetensors file", want],
            &format!("checkpoint {i}"),
        );
    }
    // IDX: bad magic, a header that does not describe the size.
    let idx_cases: Vec<(Vec<u8>, &str)> = vec![
        (b"XXXX".to_vec(), "bad magic number"),
        (
            vec![0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 8, 0, 0, 0, 8],
            "trailing bytes",
        ),
        (vec![0, 0, 9, 3], "element type 0x09"),
    ];
    for (i, (head, want)) in idx_cases.iter().enumerate() {
        let data = d.join(format!("idx{i}"));
        digits_dir(&data);
        sparse(&data.join("train-images-idx3-ubyte"), head, big);
        let out = limited(
            d,
            200 << 20,
            &["train", "--epochs", "1", "--data", data.to_str().unwrap()],
        );
        assert_fails(&out, 1, &["train-images-idx3-ubyte", want], &format!("idx {i}"));
    }
}

#[test]
fn zero_pixel_images_name_the_data_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let idx = |dims: &[u32], data: &[u8]| {
        let mut b = vec![0, 0, 8, dims.len() as u8];
        dims.iter().for_each(|x| b.extend(x.to_be_bytes()));
        b.extend_from_slice(data);
        b
    };
    for dims in [[5u32, 0, 0], [5, 0, 7], [5, 7, 0]] {
        for prefix in ["train", "t10k"] {
            let data = d.join(format!("zero-{}-{}-{prefix}", dims[1], dims[2]));
            digits_dir(&data);
            fs::write(data.join(format!("{prefix}-images-idx3-ubyte")), idx(&dims, &[])).unwrap();
            fs::write(
                data.join(format!("{prefix}-labels-idx1-ubyte")),
                idx(&[5], &[0, 1, 2, 3, 4]),
            )
            .unwrap();
            let out = run(d, &["train", "--epochs", "1", "--data", data.to_str().unwrap()]);
            let file = data.join(format!("{prefix}-images-idx3-ubyte"));
            let want = if prefix == "train" {
                "the images have 0 pixels"
            } else {
                "0 pixels"
            };
            assert_fails(&out, 1, &[want], &format!("{dims:?} {prefix}"));
            assert!(
                stderr(&out).contains(file.to_str().unwrap()) || prefix == "t10k",
                "{}",
                stderr(&out)
            );
        }
    }
}
