//! `from_idx_dir`: the files read from a directory, and I/O errors that name the path.

use nn::data::{digits, DataError, Dataset};
use std::path::PathBuf;

use super::{check_facts, TEST, TRAIN};

/// A fresh, empty directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("chainrule-nn-data-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.0.join(name), bytes).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn io_error_path(r: Result<Dataset<f32>, DataError>) -> (PathBuf, String) {
    match r {
        Err(e @ DataError::Io { .. }) => {
            let msg = e.to_string();
            let DataError::Io { path, .. } = e else {
                unreachable!()
            };
            (path, msg)
        }
        other => panic!("expected an Io error, got {other:?}"),
    }
}

#[test]
fn from_idx_dir_reads_the_digits_files() {
    let dir = TempDir::new("ok");
    dir.write("train-images-idx3-ubyte", digits::TRAIN_IMAGES);
    dir.write("train-labels-idx1-ubyte", digits::TRAIN_LABELS);
    dir.write("t10k-images-idx3-ubyte", digits::TEST_IMAGES);
    dir.write("t10k-labels-idx1-ubyte", digits::TEST_LABELS);
    let train = Dataset::<f32>::from_idx_dir(&dir.0, "train", 16.0).unwrap();
    check_facts(&train, &TRAIN);
    assert_eq!(train, digits::train().unwrap());
    let test = Dataset::<f32>::from_idx_dir(&dir.0, "t10k", 16.0).unwrap();
    check_facts(&test, &TEST);
}

#[test]
fn from_idx_dir_on_a_missing_directory_is_an_io_error_naming_the_path() {
    let missing = std::env::temp_dir()
        .join("chainrule-nn-data-no-such-dir")
        .join("mnist");
    let (path, msg) = io_error_path(Dataset::from_idx_dir(&missing, "train", 255.0));
    assert_eq!(path, missing.join("train-images-idx3-ubyte"));
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.starts_with("cannot read "), "{msg}");
}

#[test]
fn from_idx_dir_on_a_missing_file_is_an_io_error_naming_the_path() {
    let dir = TempDir::new("missing-labels");
    dir.write("train-images-idx3-ubyte", digits::TRAIN_IMAGES);
    let (path, msg) = io_error_path(Dataset::from_idx_dir(&dir.0, "train", 16.0));
    assert_eq!(path, dir.0.join("train-labels-idx1-ubyte"));
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    // Wrong prefix: the images file is the first one looked for.
    let (path, _) = io_error_path(Dataset::from_idx_dir(&dir.0, "test", 16.0));
    assert_eq!(path, dir.0.join("test-images-idx3-ubyte"));
}

#[test]
fn from_idx_dir_names_the_malformed_file_by_its_path() {
    let dir = TempDir::new("malformed");
    dir.write("t10k-images-idx3-ubyte", digits::TEST_IMAGES);
    dir.write("t10k-labels-idx1-ubyte", &digits::TEST_LABELS[..300]);
    let msg = Dataset::<f32>::from_idx_dir(&dir.0, "t10k", 16.0)
        .unwrap_err()
        .to_string();
    let path = dir.0.join("t10k-labels-idx1-ubyte");
    assert!(
        msg.starts_with(&format!("{}: truncated data", path.display())),
        "{msg}"
    );
}
