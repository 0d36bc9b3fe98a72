//! The outputs of `chainrule train` (model, curve.csv, curve.svg) and their contract:
//!
//! 1. **Checked before any work**: every output path is resolved and checked before the data
//!    is read (a usage error, exit code 2): a path with no file name (`x/..`), a directory, a
//!    FIFO, a socket or a device node, an unwritable directory, `--save` naming a curve file.
//!    Symlinks are followed (the target is replaced, the link kept); see
//!    `nn::checkpoint::atomic`, which writes every output.
//! 2. **One run per `--out` at a time**: `OUT/.chainrule.lock` is locked (`flock`) for the
//!    whole run; a second run on the same directory fails at once (exit 1). The lock goes with
//!    the process, so a killed run never leaves a stale lock. A run that fails before saving
//!    a model removes `--out` again if it created it and it holds nothing but the lock.
//! 3. **Never mixed, the model first**: after training, the model and both curve files are
//!    staged (written in full and synced beside their targets), then renamed into place. If
//!    the model cannot be staged, nothing is replaced. If only the curves cannot, the model is
//!    still saved, the previous curve files of `--out` are removed (so that no curve of another
//!    run sits beside the new model), and the run exits 1 naming what failed.
//! 4. **A diverged model is never written**: if training ends with a non-finite parameter or
//!    loss, nothing is written (the previous outputs stay) and the run exits 1 naming the first
//!    epoch whose loss was not finite.

use crate::usage;
use anyhow::{anyhow, Context, Result};
use nn::checkpoint::atomic::{check_output, stage, Staged};
use std::fs;
use std::path::{Path, PathBuf};

/// The lock file of an output directory.
pub const LOCK: &str = ".chainrule.lock";

/// The directory part of `p`, if it has one.
fn parent(p: &Path) -> Option<PathBuf> {
    p.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
}

/// Checks an output file given as `flag` before any work (a usage error, exit code 2): not a
/// directory (the message suggests `example`), not below a file, a regular file or a missing path (links followed). Returns the
/// path a write will replace. Creates nothing.
pub fn check_file(path: &Path, flag: &str, example: &str) -> Result<PathBuf> {
    if path.is_dir() {
        return Err(usage(format!(
            "{flag} {} is a directory; give a file name such as {example}",
            path.display()
        )));
    }
    let not_a_dir = |dir: &Path| {
        usage(format!(
            "cannot save to {}: {} is not a directory",
            path.display(),
            dir.display()
        ))
    };
    if let Some(dir) = parent(path).filter(|d| d.exists() && !d.is_dir()) {
        return Err(not_a_dir(&dir));
    }
    let target = check_output(path).map_err(|e| usage(format!("{flag}: {e}")))?;
    if let Some(dir) = parent(&target).filter(|d| d.exists() && !d.is_dir()) {
        return Err(not_a_dir(&dir));
    }
    Ok(target)
}

/// Creates the directory `target` (from [`check_file`]) goes in and sees that it takes files
/// (a usage error naming `flag` if not).
pub fn create_parent(target: &Path, flag: &str) -> Result<()> {
    if let Some(dir) = parent(target) {
        fs::create_dir_all(&dir).map_err(|e| {
            usage(format!(
                "cannot create directory {} for {flag}: {e}",
                dir.display()
            ))
        })?;
        probe(&dir).map_err(|e| usage(format!("cannot write in {} ({flag}): {e}", dir.display())))?;
    }
    Ok(())
}

/// The checked output paths of a run, and the lock on its output directory.
#[derive(Debug)]
pub struct Outputs {
    /// Where the model goes, as given (`--save`, or `OUT/model.safetensors`).
    pub model: PathBuf,
    /// `OUT/curve.csv`.
    pub csv: PathBuf,
    /// `OUT/curve.svg`.
    pub svg: PathBuf,
    /// Held (locked) until the run ends.
    _lock: fs::File,
    /// `out`, if this run created it: removed again (with the lock file) if the run ends
    /// without saving a model, so that a failed run leaves no empty directory behind.
    created: Option<PathBuf>,
    /// Whether the model was saved.
    saved: std::cell::Cell<bool>,
}

impl Drop for Outputs {
    fn drop(&mut self) {
        if let Some(out) = self.created.as_ref().filter(|_| !self.saved.get()) {
            // `remove_dir` removes only an empty directory: anything else put there stays.
            let _ = fs::remove_file(out.join(LOCK));
            let _ = fs::remove_dir(out);
        }
    }
}

impl Outputs {
    /// Checks every output path, creates the directories and takes the lock on `out`.
    pub fn prepare(out: &Path, save: Option<&Path>) -> Result<Self> {
        if out.exists() && !out.is_dir() {
            return Err(usage(format!("--out {} is not a directory", out.display())));
        }
        let model = save.map_or_else(|| out.join("model.safetensors"), Path::to_path_buf);
        let flag = if save.is_some() { "--save" } else { "--out" };
        let target = check_file(&model, flag, "model.safetensors")?;
        let (csv, svg) = (out.join("curve.csv"), out.join("curve.svg"));
        for curve in [&csv, &svg] {
            check_output(curve).map_err(|e| usage(format!("--out: {e}")))?;
        }
        // The paths can serve: create the directories, and see that they take files.
        let created = (!out.exists()).then(|| out.to_path_buf());
        fs::create_dir_all(out)
            .map_err(|e| usage(format!("cannot create --out directory {}: {e}", out.display())))?;
        let lock = lock(out).inspect_err(|_| {
            // Not locked by this run: remove only what it created, if still empty.
            if created.is_some() {
                let _ = fs::remove_dir(out);
            }
        })?;
        // From here an error drops `outputs`, which removes what this run created.
        let outputs = Self {
            model,
            csv,
            svg,
            _lock: lock,
            created,
            saved: std::cell::Cell::new(false),
        };
        create_parent(&target, flag)?;
        for curve in [&outputs.csv, &outputs.svg] {
            if same_file(curve, &target) {
                return Err(usage(format!(
                    "--save {} is the learning curve's file {}: give the model another name",
                    outputs.model.display(),
                    curve.display()
                )));
            }
        }
        Ok(outputs)
    }

    /// Writes the run's outputs under the contract above: `model` the checkpoint's bytes,
    /// `curves` the CSV and SVG (or why they could not be made). Returns the paths written.
    pub fn write(&self, model: &[u8], curves: Result<(String, String)>) -> Result<Vec<PathBuf>> {
        let staged_model = stage(&self.model, model)
            .with_context(|| "cannot save the model; nothing was replaced".to_string())?;
        let staged_curves: Result<Vec<Staged>> = curves.and_then(|(csv, svg)| {
            Ok(vec![
                stage(&self.csv, csv.as_bytes())?,
                stage(&self.svg, svg.as_bytes())?,
            ])
        });
        staged_model
            .commit()
            .context("cannot save the model; nothing was replaced")?;
        self.saved.set(true);
        let committed = staged_curves.and_then(|staged| {
            staged
                .into_iter()
                .map(|s| s.commit().map_err(anyhow::Error::from))
                .collect::<Result<Vec<_>>>()
        });
        match committed {
            Ok(_) => Ok(vec![self.csv.clone(), self.svg.clone(), self.model.clone()]),
            Err(e) => {
                // No curve of another run may stay beside the new model.
                let removed: Vec<String> = [&self.csv, &self.svg]
                    .into_iter()
                    .filter(|p| fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
                    .filter(|p| fs::remove_file(p).is_ok())
                    .map(|p| p.display().to_string())
                    .collect();
                Err(anyhow!(
                    "saved the model to {}, but the learning curve could not be written: {}{}",
                    self.model.display(),
                    crate::chain(&e),
                    if removed.is_empty() {
                        String::new()
                    } else {
                        format!(" (removed the previous {})", removed.join(" and "))
                    }
                ))
            }
        }
    }
}

/// Takes `OUT/.chainrule.lock`, failing at once if another run holds it.
fn lock(out: &Path) -> Result<fs::File> {
    let path = out.join(LOCK);
    if let Ok(m) = fs::symlink_metadata(&path)
        && !m.is_file()
    {
        return Err(usage(format!(
            "{} is not a regular file; remove it (it is chainrule's lock for --out)",
            path.display()
        )));
    }
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| usage(format!("cannot write in --out {}: {e}", out.display())))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(anyhow!(
            "another `chainrule train` is writing to --out {} (it holds {}): wait for it to finish, \
             or choose another --out",
            out.display(),
            path.display()
        )),
        Err(fs::TryLockError::Error(e)) => Err(anyhow!("cannot lock {}: {e}", path.display())),
    }
}

/// Creates and removes a file in `dir`: whether an output can be written there at all.
fn probe(dir: &Path) -> std::io::Result<()> {
    let path = dir.join(format!(".chainrule-probe-{}", std::process::id()));
    fs::OpenOptions::new().write(true).create_new(true).open(&path)?;
    fs::remove_file(&path)
}

/// Whether two output paths name the same file (their directories resolved).
fn same_file(a: &Path, b: &Path) -> bool {
    let key = |p: &Path| {
        let dir = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        (fs::canonicalize(dir).ok(), p.file_name().map(|n| n.to_owned()))
    };
    let (ka, kb) = (key(a), key(b));
    ka.0.is_some() && ka == kb
}
