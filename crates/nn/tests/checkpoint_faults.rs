//! Faults around checkpoints (issue 6): a save interrupted at any point (a writer that fails
//! after any number of bytes, fails on flush, writes short, or panics part-way as a crash
//! would; a full disk; a read-only file system) leaves the previous file intact and loadable,
//! and loading truncated or corrupted files gives errors that name the tensor and the problem.
//!
//! The full-disk and read-only cases mount a small tmpfs, which needs root (as in the CI
//! container); elsewhere they print why they are skipped and pass. `tests/suite/checkpoint.rs` has
//! the mismatch cases and the read-only directory case for ordinary users.

use autograd::Tensor;
use nn::checkpoint::{self, CheckpointError, Metadata};
use nn::ParamStore;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A store of a `[rows, 4]` weight and a `[rows]` bias, values depending on `seed`.
fn store(seed: u32, rows: usize) -> ParamStore<f32> {
    let w: Vec<f32> = (0..rows * 4)
        .map(|i| (i as f32 + 0.25) * (seed as f32 + 1.0))
        .collect();
    let b: Vec<f32> = (0..rows).map(|i| -(i as f32) - seed as f32).collect();
    let mut ps = ParamStore::new();
    ps.add("fc.weight", Tensor::from_vec(w, &[rows, 4]).unwrap())
        .unwrap();
    ps.add("fc.bias", Tensor::from_vec(b, &[rows]).unwrap()).unwrap();
    ps
}

/// Loads `path` into a store shaped like `want` and checks it equals `want`.
fn assert_loads_as(path: &Path, want: &ParamStore<f32>) {
    let mut ps = ParamStore::new();
    for (_, name, p) in want.iter() {
        ps.add(name, Tensor::zeros(p.value().shape())).unwrap();
    }
    checkpoint::load(&mut ps, path).unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()));
    assert_eq!(&ps, want, "{} holds other values", path.display());
}

/// Temporary files a save left in `dir`.
fn temp_files(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

/// How an injected writer fails once its budget of bytes is spent.
#[derive(Clone, Copy, Debug)]
enum Failure {
    /// An I/O error (`EIO`-like).
    Error,
    /// A full disk (`ENOSPC`).
    NoSpace,
    /// `Ok(0)`: the device takes nothing more (`write_all` turns it into `WriteZero`).
    Zero,
}

/// Passes at most `budget` bytes to `inner`, then fails as `how` says.
struct FailAfter<'a> {
    inner: &'a mut dyn Write,
    budget: usize,
    how: Failure,
}

impl Write for FailAfter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.budget == 0 && !buf.is_empty() {
            return match self.how {
                Failure::Error => Err(io::Error::other("injected I/O error")),
                Failure::NoSpace => Err(io::Error::new(io::ErrorKind::StorageFull, "injected: disk full")),
                Failure::Zero => Ok(0),
            };
        }
        let n = buf.len().min(self.budget);
        let n = self.inner.write(&buf[..n])?;
        self.budget -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A directory holding a saved checkpoint of `old`, and the bytes of `new` to save over it.
fn setup() -> (tempfile::TempDir, PathBuf, ParamStore<f32>, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    let old = store(1, 3);
    checkpoint::save(&old, &path, &Metadata::new()).unwrap();
    let new = checkpoint::to_bytes(&store(2, 5), &Metadata::new()).unwrap();
    (dir, path, old, new)
}

#[test]
fn a_write_failing_after_any_number_of_bytes_keeps_the_old_file() {
    let (dir, path, old, new) = setup();
    let old_bytes = fs::read(&path).unwrap();
    for how in [Failure::Error, Failure::NoSpace, Failure::Zero] {
        // Every cut, including before the first byte; a budget of the full length succeeds.
        for budget in 0..new.len() {
            let err = checkpoint::write_atomic_through(&path, &new, |file, bytes| {
                FailAfter {
                    inner: file,
                    budget,
                    how,
                }
                .write_all(bytes)
            })
            .expect_err("the injected failure is reported");
            let msg = err.to_string();
            assert!(
                matches!(&err, CheckpointError::Io { action: "write", .. }),
                "{how:?} after {budget} bytes: {err:?}"
            );
            assert!(
                msg.starts_with("cannot write ") && msg.contains(".model.safetensors.tmp-"),
                "{msg}"
            );
            assert_eq!(
                fs::read(&path).unwrap(),
                old_bytes,
                "{how:?} after {budget} bytes"
            );
            assert!(temp_files(dir.path()).is_empty(), "{how:?} after {budget} bytes");
        }
    }
    assert_loads_as(&path, &old);
    // The same call with enough budget replaces the file.
    checkpoint::write_atomic_through(&path, &new, |file, bytes| {
        FailAfter {
            inner: file,
            budget: new.len(),
            how: Failure::Error,
        }
        .write_all(bytes)
    })
    .unwrap();
    assert_loads_as(&path, &store(2, 5));
}

#[test]
fn a_flush_that_fails_keeps_the_old_file() {
    let (dir, path, old, new) = setup();
    struct FailingFlush<'a>(&'a mut dyn Write);
    impl Write for FailingFlush<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::other("injected: flush failed"))
        }
    }
    let err = checkpoint::write_atomic_through(&path, &new, |file, bytes| {
        let mut w = FailingFlush(file);
        w.write_all(bytes)?;
        w.flush()
    })
    .unwrap_err();
    assert!(err.to_string().contains("flush failed"), "{err}");
    assert_loads_as(&path, &old);
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
fn short_and_interrupted_writes_still_save_the_whole_file() {
    // A writer that takes 1 to 7 bytes per call and is interrupted (EINTR) every third call:
    // legal behaviour of a real file, which `write_all` must ride out.
    struct Dribble<'a> {
        inner: &'a mut dyn Write,
        calls: usize,
    }
    impl Write for Dribble<'_> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls.is_multiple_of(3) {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "EINTR"));
            }
            let n = buf.len().min(1 + self.calls % 7);
            self.inner.write(&buf[..n])
        }
        fn flush(&mut self) -> io::Result<()> {
            self.inner.flush()
        }
    }
    let (dir, path, _, new) = setup();
    checkpoint::write_atomic_through(&path, &new, |file, bytes| {
        Dribble {
            inner: file,
            calls: 0,
        }
        .write_all(bytes)
    })
    .unwrap();
    assert_eq!(fs::read(&path).unwrap(), new);
    assert_loads_as(&path, &store(2, 5));
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
fn a_crash_part_way_through_a_save_never_damages_the_target() {
    // A panic inside the write stands for the process dying there (kill -9, power loss before
    // the rename): nothing after it runs, not even the clean-up.
    let (dir, path, old, new) = setup();
    let old_bytes = fs::read(&path).unwrap();
    let cuts = [0, 1, 7, 8, new.len() / 2, new.len() - 1, new.len()];
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {})); // the panics below are expected
    for &cut in &cuts {
        let crashed = std::panic::catch_unwind(|| {
            checkpoint::write_atomic_through(&path, &new, |file, bytes| {
                file.write_all(&bytes[..cut])?;
                panic!("crash after {cut} bytes");
            })
        });
        assert!(crashed.is_err());
        assert_eq!(fs::read(&path).unwrap(), old_bytes, "crash after {cut} bytes");
    }
    std::panic::set_hook(hook);
    assert_loads_as(&path, &old);
    // The crashes left their temporary files (hidden, never loaded, never renamed) ...
    assert_eq!(temp_files(dir.path()).len(), cuts.len());
    // ... and they do not stop the next save.
    checkpoint::save(&store(3, 2), &path, &Metadata::new()).unwrap();
    assert_loads_as(&path, &store(3, 2));
    assert_eq!(
        temp_files(dir.path()).len(),
        cuts.len(),
        "only the crashed saves' files remain"
    );
}

// ---------------------------------------------------------------------------------------------
// A real full disk and a real read-only file system, on a small tmpfs.

/// A tmpfs mounted on a fresh directory, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (such as `64k`), or says why it cannot.
    fn mount(size: &str) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0755"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed (needs root): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Remounts read-only (`ro`) or read-write (`rw`).
    fn remount(&self, mode: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(status.success(), "remount,{mode}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Mounts a tmpfs or prints why the test is skipped.
fn tmpfs_or_skip(test: &str, size: &str) -> Option<Tmpfs> {
    match Tmpfs::mount(size) {
        Ok(t) => Some(t),
        Err(why) => {
            println!("skipping {test}: {why}");
            None
        }
    }
}

/// Saves `store` to `path` on a tmpfs where a failed save has just removed its temporary file.
/// The kernel may count the removed file's pages for a moment longer (seen once in CI, on the
/// 40 KB save below, right after the 100 KB one failed), so a full disk is retried for up to a
/// second; space that stays taken (a file left open) still fails.
fn save_once_space_is_back(store: &ParamStore<f32>, path: &Path) {
    for _ in 0..20 {
        match checkpoint::save(store, path, &Metadata::new()) {
            Err(CheckpointError::Io { source, .. }) if source.kind() == io::ErrorKind::StorageFull => {
                std::thread::sleep(std::time::Duration::from_millis(50))
            }
            other => return other.unwrap(),
        }
    }
    checkpoint::save(store, path, &Metadata::new()).unwrap();
}

#[test]
fn a_full_disk_keeps_the_old_file() {
    let Some(fs_) = tmpfs_or_skip("a_full_disk_keeps_the_old_file", "64k") else {
        return;
    };
    let path = fs_.path().join("model.safetensors");
    let old = store(1, 3);
    checkpoint::save(&old, &path, &Metadata::new()).unwrap();
    let old_bytes = fs::read(&path).unwrap();

    // 100 KB of weights cannot fit in 64 KiB.
    let big = store(2, 6400);
    let err = checkpoint::save(&big, &path, &Metadata::new()).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(&err, CheckpointError::Io { source, .. } if source.kind() == io::ErrorKind::StorageFull),
        "{err:?}"
    );
    assert!(msg.contains("No space left on device"), "{msg}");
    assert_eq!(fs::read(&path).unwrap(), old_bytes);
    assert_loads_as(&path, &old);
    assert!(
        temp_files(fs_.path()).is_empty(),
        "the partial temporary file is removed"
    );

    // 40 KB would fit in place of a 40 KB file, but not beside it: the price of never
    // overwriting in place. The save fails and the old file stays.
    let forty = store(3, 2500);
    save_once_space_is_back(&forty, &path);
    let err = checkpoint::save(&store(4, 2500), &path, &Metadata::new()).unwrap_err();
    assert!(err.to_string().contains("No space left on device"), "{err}");
    assert_loads_as(&path, &forty);
    assert!(temp_files(fs_.path()).is_empty());

    // The space of the failed attempts was given back: a small save succeeds.
    save_once_space_is_back(&store(5, 3), &path);
    assert_loads_as(&path, &store(5, 3));
}

#[test]
fn a_read_only_file_system_keeps_the_old_file_even_for_root() {
    let Some(fs_) = tmpfs_or_skip("a_read_only_file_system_keeps_the_old_file_even_for_root", "1m") else {
        return;
    };
    let path = fs_.path().join("model.safetensors");
    let old = store(1, 3);
    checkpoint::save(&old, &path, &Metadata::new()).unwrap();
    let old_bytes = fs::read(&path).unwrap();
    fs_.remount("ro");
    let err = checkpoint::save(&store(2, 3), &path, &Metadata::new()).unwrap_err();
    let msg = err.to_string();
    fs_.remount("rw");
    assert!(
        matches!(
            &err,
            CheckpointError::Io {
                action: "create a temporary file in",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(msg.contains("Read-only file system"), "{msg}");
    assert!(
        msg.contains(&fs_.path().display().to_string()),
        "names the directory: {msg}"
    );
    assert_eq!(fs::read(&path).unwrap(), old_bytes);
    assert_loads_as(&path, &old);
    assert!(temp_files(fs_.path()).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Loading damaged files: the error names the file, the tensor and what is wrong.

fn load_error(bytes: &[u8]) -> String {
    let mut ps = store(0, 3);
    let before = ps.clone();
    let err = checkpoint::load_bytes(&mut ps, bytes, "damaged.safetensors").unwrap_err();
    assert_eq!(ps, before, "a failed load changes nothing");
    let msg = err.to_string();
    assert!(msg.starts_with("damaged.safetensors "), "{msg}");
    assert!(!msg.contains('\n'), "one line: {msg}");
    msg
}

/// The bytes of `store(1, 3)` and where each tensor's data lies in the file.
/// A tensor's name and the byte range of its data in the file.
type Span = (&'static str, usize, usize);

fn layout() -> (Vec<u8>, usize, Vec<Span>) {
    let bytes = checkpoint::to_bytes(&store(1, 3), &Metadata::new()).unwrap();
    let data = 8 + u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    // Store order: fc.weight (12 floats), then fc.bias (3 floats).
    let spans = vec![("fc.weight", data, data + 48), ("fc.bias", data + 48, data + 60)];
    assert_eq!(bytes.len(), data + 60);
    (bytes, data, spans)
}

#[test]
fn a_file_cut_anywhere_is_an_error_naming_what_is_missing() {
    let (bytes, data, spans) = layout();
    for cut in 0..bytes.len() {
        let msg = load_error(&bytes[..cut]);
        let want = if cut < 8 {
            "header too small".to_string()
        } else if cut < data {
            format!("but only {} follow it", cut - 8)
        } else {
            // The first tensor whose data does not fully fit.
            let (name, ..) = spans.iter().find(|&&(_, _, end)| end > cut).unwrap();
            format!("tensor {name}: its data (bytes")
        };
        assert!(msg.contains(&want), "cut at {cut}: {msg}");
        if cut >= data {
            assert!(msg.contains("runs past the end of the file"), "{msg}");
            assert!(
                msg.contains(&format!("which has {} data bytes (truncated?)", cut - data)),
                "{msg}"
            );
        }
    }
}

/// `bytes` with its JSON header's text replaced (`from` must occur once); the header length
/// is updated to the new text's length.
fn edit_header(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + n]).unwrap();
    assert_eq!(header.matches(from).count(), 1, "{from} in {header}");
    let header = header.replacen(from, to, 1);
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&bytes[8 + n..]);
    out
}

#[test]
fn corrupted_headers_name_the_tensor_and_the_problem() {
    let (bytes, ..) = layout();
    let cases: &[(&str, &str, &[&str])] = &[
        (
            r#""shape":[3,4]"#,
            r#""shape":[4,4]"#,
            &["tensor fc.weight: F32 [4, 4] takes 64 bytes but its data_offsets [0, 48] give 48"],
        ),
        (
            r#""dtype":"F32","shape":[3]"#,
            r#""dtype":"F64","shape":[3]"#,
            &["tensor fc.bias: F64 [3] takes 24 bytes but its data_offsets [48, 60] give 12"],
        ),
        (
            r#""shape":[3,4]"#,
            r#""shape":[4294967296,4294967296,4294967296]"#,
            &["tensor fc.weight", "too large (its size overflows)"],
        ),
        (
            r#""data_offsets":[48,60]"#,
            r#""data_offsets":[52,64]"#,
            &["fc.bias"],
        ),
        (
            r#""data_offsets":[48,60]"#,
            r#""data_offsets":[60,48]"#,
            &["fc.bias"],
        ),
        (
            r#""dtype":"F32","shape":[3]"#,
            r#""dtype":"Q7","shape":[3]"#,
            &["invalid JSON in header"],
        ),
        // A duplicated name: the JSON reader keeps the last entry, so fc.weight's 48 bytes
        // are left over.
        (
            r#""fc.bias""#,
            r#""fc.weight""#,
            &["12 bytes after the end of the last tensor's data (fc.weight)"],
        ),
    ];
    for (from, to, wants) in cases {
        let msg = load_error(&edit_header(&bytes, from, to));
        for want in *wants {
            assert!(msg.contains(want), "{from} -> {to}: {msg}");
        }
        assert!(msg.contains("is not a valid safetensors file"), "{msg}");
    }
    // Bytes after the last tensor.
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0; 5]);
    let msg = load_error(&longer);
    assert!(
        msg.contains("5 bytes after the end of the last tensor's data (fc.bias)"),
        "{msg}"
    );
    // A header length that points past the end of the file.
    let mut long_header = bytes.clone();
    long_header[..8].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
    let msg = load_error(&long_header);
    assert!(
        msg.contains(&format!(
            "says {} bytes but only {} follow it",
            bytes.len(),
            bytes.len() - 8
        )),
        "{msg}"
    );
}

#[test]
fn metadata_readers_name_the_tensor_too() {
    let (bytes, data, _) = layout();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.safetensors");
    fs::write(&path, &bytes[..data + 50]).unwrap();
    let err = checkpoint::read_header(&path).unwrap_err().to_string();
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    assert!(err.contains("tensor fc.bias: its data (bytes 48..60"), "{err}");
}

#[test]
fn damaged_tensor_data_is_not_detectable_and_loads_as_other_values() {
    // safetensors has no checksum: a flipped bit in the data region gives a valid file with a
    // different value. Loading must not panic; what it can catch is a non-finite value, which
    // `chainrule eval` would then show as a NaN loss. This test pins the limitation down.
    let (bytes, data, _) = layout();
    let mut flipped = bytes.clone();
    flipped[data + 3] ^= 0x7f; // the exponent bits of the first weight
    let mut ps = store(0, 3);
    checkpoint::load_bytes(&mut ps, &flipped, "flipped.safetensors").unwrap();
    let got = ps.value("fc.weight").unwrap().as_slice()[0];
    assert_ne!(got, store(1, 3).value("fc.weight").unwrap().as_slice()[0]);
    let same: Vec<f32> = ps.value("fc.weight").unwrap().as_slice()[1..].to_vec();
    assert_eq!(same, store(1, 3).value("fc.weight").unwrap().as_slice()[1..]);
}

#[test]
fn names_with_control_characters_are_escaped_in_messages() {
    // Found by the fuzzer: a tensor name with a newline (or an escape sequence) broke the
    // one-line messages. Names are shown with control characters escaped.
    let mut odd = ParamStore::<f32>::new();
    odd.add("fc\nweight", Tensor::zeros(&[2])).unwrap();
    odd.add("\u{1b}[31mred", Tensor::zeros(&[1])).unwrap();
    let bytes = checkpoint::to_bytes(&odd, &Metadata::new()).unwrap();
    let mut ps = store(0, 3);
    let msg = checkpoint::load_bytes(&mut ps, &bytes, "odd.safetensors")
        .unwrap_err()
        .to_string();
    assert!(!msg.contains('\n') && !msg.contains('\u{1b}'), "{msg:?}");
    assert!(msg.contains("unexpected tensor fc\\nweight"), "{msg}");
    assert!(msg.contains("unexpected tensor \\u{1b}[31mred"), "{msg}");
    // And in a damaged file's diagnosis.
    let msg = load_error(&bytes[..bytes.len() - 1]);
    assert!(!msg.contains('\n') && !msg.contains('\u{1b}'), "{msg:?}");
}
