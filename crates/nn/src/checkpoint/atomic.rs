//! Atomic file output, shared by every file chainrule writes (checkpoints, and the CLI's
//! learning curves): where an output may go, and how it gets there.
//!
//! - **What may be replaced**: a regular file or a missing path. A directory, a FIFO, a socket
//!   or a device node is refused before anything is written ([`check_output`]): replacing
//!   `/dev/null` or a pipe with a file is never what was meant.
//! - **Symlinks are followed**: the link stays and its final target is replaced (the temporary
//!   file goes in the target's directory, so the rename stays on one file system). A dangling
//!   link creates its target. More than 40 links in a chain is refused, as the kernel does.
//! - **Permissions are kept**: a replaced file keeps its mode (a 0400 file stays 0400) and, where
//!   the process may set them, its owner and group. A new file gets the usual `0666 & !umask`.
//! - **Atomic**: the bytes go to a new temporary file beside the target (`.{name}.tmp-{pid}-{n}`),
//!   which is flushed and synced, then renamed over the target, so a reader sees the old file or
//!   the complete new one. On error the temporary file is removed and the target is untouched.
//! - **Staged**: [`stage`] does everything but the rename, so several outputs can be written
//!   completely before any of them replaces its old version ([`Staged::commit`]); a staged file
//!   that is dropped uncommitted is removed.
//!
//! Checks and rename are separate system calls: a path swapped for a FIFO between them is not
//! caught (no output is opened through the path itself, so nothing blocks or is written into
//! the FIFO; the rename then replaces it).

use super::CheckpointError;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Symlinks followed in a chain before giving up (Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> CheckpointError + use<> {
    let path = path.to_path_buf();
    move |source| CheckpointError::Io { action, path, source }
}

fn refused(path: &Path, kind: io::ErrorKind, why: &str) -> CheckpointError {
    io_error("write", path)(io::Error::new(kind, why.to_string()))
}

/// Whether the path ends in a file name: not empty, not ending in `/`, `.` or `..` (`x/..`
/// names a directory, and `Path::file_name` would quietly read `x/.` as `x`).
fn has_file_name(path: &Path) -> bool {
    let b = path.as_os_str().as_encoded_bytes();
    let last = b.rsplit(|&c| c == b'/').next().unwrap_or(b);
    !(last.is_empty() || last == b"." || last == b"..")
}

/// Where an output at `path` would be written: `path` itself, or the final target of the
/// symlinks it goes through. Refused (a [`CheckpointError::Io`] naming `path` and saying why)
/// when the path has no file name (`x/..`, `dir/`), is a directory, a FIFO, a socket or a device
/// node, or is a chain of more than 40 links. A missing path is fine; its directory is not
/// checked here (the write reports a missing one).
///
/// ```
/// use chainrule::nn::checkpoint::atomic::check_output;
/// let dir = std::env::temp_dir();
/// assert!(check_output(&dir).unwrap_err().to_string().contains("is a directory"));
/// assert!(check_output(&dir.join("x/..")).unwrap_err().to_string().contains("no file name"));
/// let new = dir.join(format!("chainrule-doc-{}.csv", std::process::id()));
/// assert_eq!(check_output(&new).unwrap(), new);
/// ```
pub fn check_output(path: &Path) -> Result<PathBuf, CheckpointError> {
    if !has_file_name(path) {
        return Err(refused(
            path,
            io::ErrorKind::InvalidInput,
            "the path has no file name (it ends in /, . or ..)",
        ));
    }
    let mut target = path.to_path_buf();
    for _ in 0..=MAX_LINKS {
        let meta = match fs::symlink_metadata(&target) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(target),
            Err(e) => return Err(io_error("write", path)(e)),
        };
        let kind = meta.file_type();
        if kind.is_symlink() {
            let link = fs::read_link(&target).map_err(io_error("read the link", &target))?;
            target = match target.parent() {
                Some(dir) if link.is_relative() => dir.join(link),
                _ => link,
            };
            if !has_file_name(&target) {
                return Err(refused(
                    path,
                    io::ErrorKind::InvalidInput,
                    &format!("it is a link to {}, which is not a file name", target.display()),
                ));
            }
        } else if kind.is_file() {
            return Ok(target);
        } else if kind.is_dir() {
            return Err(refused(
                path,
                io::ErrorKind::IsADirectory,
                &if target == path {
                    "it is a directory, not a file".to_string()
                } else {
                    format!("it links to {}, a directory", target.display())
                },
            ));
        } else {
            return Err(refused(
                path,
                io::ErrorKind::InvalidInput,
                "it is not a regular file (a FIFO, socket or device node), which an output must \
                 never replace",
            ));
        }
    }
    Err(refused(
        path,
        io::ErrorKind::InvalidInput,
        &format!("more than {MAX_LINKS} symbolic links in a chain"),
    ))
}

/// Writes `bytes` to `path` atomically (see the module documentation): checked with
/// [`check_output`], staged beside the final target, then renamed over it.
///
/// ```
/// use chainrule::nn::checkpoint::atomic::write_atomic;
/// let path = std::env::temp_dir().join(format!("chainrule-doc-atomic-{}.txt", std::process::id()));
/// write_atomic(&path, b"new").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"new");
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    stage(path, bytes)?.commit().map(|_| ())
}

/// [`write_atomic`] with the bytes written to the temporary file by `write(file, bytes)`
/// instead of `file.write_all(bytes)`: a test can pass the file through a writer that fails,
/// writes short or panics part-way, to check that an interrupted save leaves the previous file
/// intact. Everything else (the checks, the temporary file, flush, sync, rename, removal on
/// error) is exactly [`write_atomic`].
#[doc(hidden)]
pub fn write_atomic_through(
    path: &Path,
    bytes: &[u8],
    write: impl FnOnce(&mut dyn Write, &[u8]) -> io::Result<()>,
) -> Result<(), CheckpointError> {
    stage_through(path, bytes, write)?.commit().map(|_| ())
}

/// An output written in full to a temporary file beside its target, not yet in place. Dropping
/// it uncommitted removes the temporary file.
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    target: PathBuf,
    committed: bool,
}

/// Writes `bytes` to a synced temporary file beside `path`'s final target, with the replaced
/// file's permissions; [`Staged::commit`] then renames it into place.
///
/// ```
/// use chainrule::nn::checkpoint::atomic::stage;
/// let dir = std::env::temp_dir();
/// let (a, b) = (dir.join(format!("chainrule-doc-a-{}", std::process::id())), dir.join(format!("chainrule-doc-b-{}", std::process::id())));
/// let (sa, sb) = (stage(&a, b"1").unwrap(), stage(&b, b"2").unwrap());
/// assert!(!a.exists() && !b.exists()); // both written, neither in place yet
/// sa.commit().unwrap();
/// sb.commit().unwrap();
/// assert_eq!((std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap()), (b"1".to_vec(), b"2".to_vec()));
/// # std::fs::remove_file(&a).unwrap(); std::fs::remove_file(&b).unwrap();
/// ```
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged, CheckpointError> {
    stage_through(path, bytes, |file, bytes| file.write_all(bytes))
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn stage_through(
    path: &Path,
    bytes: &[u8],
    write: impl FnOnce(&mut dyn Write, &[u8]) -> io::Result<()>,
) -> Result<Staged, CheckpointError> {
    let target = check_output(path)?;
    let file_name = target.file_name().unwrap_or(target.as_os_str()).to_owned();
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let old = fs::metadata(&target).ok();
    // A new, unique temporary file in the target's directory (the rename stays on one file system).
    let mut attempts = 0;
    let (tmp, mut file) = loop {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut name = std::ffi::OsString::from(".");
        name.push(&file_name);
        name.push(format!(".tmp-{}-{n}", std::process::id()));
        let tmp = dir.join(name);
        match fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 100 => attempts += 1,
            Err(e) => return Err(io_error("create a temporary file in", &dir)(e)),
        }
    };
    // Removed on error; not on a panic inside `write`, which stands for a crash in the tests.
    let written = write(&mut file, bytes)
        .and_then(|()| file.flush())
        .and_then(|()| keep_permissions(&file, old.as_ref()))
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(io_error("write", &tmp)(e));
    }
    Ok(Staged {
        tmp,
        target,
        committed: false,
    })
}

/// Gives the new file the replaced file's mode, and (best effort: only a privileged process may
/// give a file away) its owner and group.
fn keep_permissions(file: &fs::File, old: Option<&fs::Metadata>) -> io::Result<()> {
    let Some(old) = old else { return Ok(()) };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()));
    }
    file.set_permissions(old.permissions())
}

impl Staged {
    /// Where the file goes: the final target of the path given (symlinks followed).
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Renames the temporary file over the target and syncs the directory (best effort);
    /// returns the target.
    pub fn commit(mut self) -> Result<PathBuf, CheckpointError> {
        fs::rename(&self.tmp, &self.target).map_err(io_error("replace", &self.target))?;
        self.committed = true;
        if let Some(dir) = self.tmp.parent() {
            // Makes the rename itself durable where directories can be synced.
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(self.target.clone())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}
