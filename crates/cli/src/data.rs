//! Data sources: the UCI digits embedded in the binary, or a directory of MNIST IDX files.

use crate::usage;
use anyhow::{bail, Result};
use autograd::Float;
use nn::data::{digits, Dataset};
use std::path::Path;

/// The largest pixel value of MNIST-format files, the default scale for `--data`.
pub const IDX_PIXEL_MAX: f64 = 255.0;

/// Which pixel scale to use: the one given, else the source's default.
pub fn pixel_max(dir: Option<&Path>, given: Option<f64>) -> f64 {
    given.unwrap_or(if dir.is_some() {
        IDX_PIXEL_MAX
    } else {
        digits::PIXEL_MAX
    })
}

/// A human-readable name of the source.
pub fn describe(dir: Option<&Path>) -> String {
    match dir {
        Some(d) => format!("IDX files in {}", d.display()),
        None => "embedded UCI digits (8x8)".to_string(),
    }
}

/// A path given on the command line that cannot serve is a usage error (exit code 2), found
/// before anything is read: a missing data directory, a file where it should be, and missing
/// or unreadable data files.
fn check_dir(dir: &Path, prefix: &str) -> Result<()> {
    if !dir.exists() {
        return Err(usage(format!("data directory {} does not exist", dir.display())));
    }
    if !dir.is_dir() {
        return Err(usage(format!(
            "--data {} is not a directory (expected one holding train-*-ubyte and t10k-*-ubyte files)",
            dir.display()
        )));
    }
    for kind in ["images-idx3", "labels-idx1"] {
        input_file(&dir.join(format!("{prefix}-{kind}-ubyte")), "--data")?;
    }
    Ok(())
}

/// Checks that `path` (given with the option `flag`, or found in its directory) is a regular
/// file that can be opened; anything else is a usage error saying what is wrong. Not a regular
/// file covers directories and also devices and pipes, which could be read forever.
pub fn input_file(path: &Path, flag: &str) -> Result<()> {
    let why = match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => "no such file".to_string(),
        Err(e) => e.to_string(),
        Ok(m) if m.is_dir() => "it is a directory, not a file".to_string(),
        Ok(m) if !m.is_file() => "not a regular file".to_string(),
        Ok(_) => match std::fs::File::open(path) {
            Ok(_) => return Ok(()),
            Err(e) => e.to_string(),
        },
    };
    Err(usage(format!("cannot read {} ({flag}): {why}", path.display())))
}

/// Checks the data paths (see `check_dir`) without reading them, so that a run with a
/// missing data directory fails before it creates its outputs.
pub fn check_source(dir: Option<&Path>) -> Result<()> {
    match dir {
        Some(d) => check_dir(d, "train").and_then(|()| check_dir(d, "t10k")),
        None => Ok(()),
    }
}

/// The test set (`t10k-*` files in `dir`, or the embedded digits' 297 test images).
pub fn test_set<T: Float>(dir: Option<&Path>, pixel_max: f64) -> Result<Dataset<T>> {
    let data = match dir {
        Some(d) => {
            check_dir(d, "t10k")?;
            Dataset::from_idx_dir(d, "t10k", pixel_max)?
        }
        None => Dataset::from_idx(
            digits::TEST_IMAGES,
            digits::TEST_LABELS,
            pixel_max,
            "embedded digits test",
        )?,
    };
    if data.is_empty() {
        bail!("the test set of {} is empty", describe(dir));
    }
    no_pixels(&data, dir, "t10k")?;
    Ok(data)
}

/// Images of 0 pixels (dimensions such as `[n, 0, 0]`) load, but no model takes them: say so,
/// naming the file, instead of letting the model report layer sizes.
fn no_pixels<T: Float>(data: &Dataset<T>, dir: Option<&Path>, prefix: &str) -> Result<()> {
    if data.features() > 0 {
        return Ok(());
    }
    let file = dir.map_or_else(
        || format!("the embedded {prefix} images"),
        |d| {
            d.join(format!("{prefix}-images-idx3-ubyte"))
                .display()
                .to_string()
        },
    );
    bail!("{file}: the images have 0 pixels (a dimension is 0), so there is nothing to learn from")
}

/// The training and test sets, checked to agree on the number of features; both get the larger
/// number of classes.
pub fn train_and_test<T: Float>(dir: Option<&Path>, pixel_max: f64) -> Result<(Dataset<T>, Dataset<T>)> {
    let mut train = match dir {
        Some(d) => {
            check_dir(d, "train")?;
            check_dir(d, "t10k")?;
            Dataset::from_idx_dir(d, "train", pixel_max)?
        }
        None => Dataset::from_idx(
            digits::TRAIN_IMAGES,
            digits::TRAIN_LABELS,
            pixel_max,
            "embedded digits train",
        )?,
    };
    if train.is_empty() {
        bail!("the training set of {} is empty", describe(dir));
    }
    no_pixels(&train, dir, "train")?;
    let mut test = test_set::<T>(dir, pixel_max)?;
    if train.features() != test.features() {
        bail!(
            "the training images have {} pixels but the test images {}: they do not belong together",
            train.features(),
            test.features()
        );
    }
    let classes = train.classes.max(test.classes);
    train.classes = classes;
    test.classes = classes;
    Ok((train, test))
}
