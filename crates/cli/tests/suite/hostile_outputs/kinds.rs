//! Outputs of every kind: FIFOs, devices, directories, symlinks and read-only files.

use super::{assert_fails, assert_ok, quick, run};
use nn::checkpoint;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};

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
