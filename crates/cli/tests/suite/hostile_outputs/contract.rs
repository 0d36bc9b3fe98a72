//! The output contract: the lock, staged writes with the model first, failed and diverged runs.

use super::{assert_fails, assert_ok, run, run_in, QUICK};
use nn::checkpoint;
use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

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
