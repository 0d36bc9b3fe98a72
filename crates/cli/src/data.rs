//! Data sources: the UCI digits embedded in the binary, or a directory of MNIST IDX files.

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

fn check_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        bail!("data directory {} does not exist", dir.display());
    }
    if !dir.is_dir() {
        bail!(
            "--data {} is not a directory (expected one holding train-*-ubyte and t10k-*-ubyte files)",
            dir.display()
        );
    }
    Ok(())
}

/// The test set (`t10k-*` files in `dir`, or the embedded digits' 297 test images).
pub fn test_set<T: Float>(dir: Option<&Path>, pixel_max: f64) -> Result<Dataset<T>> {
    let data = match dir {
        Some(d) => {
            check_dir(d)?;
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
    Ok(data)
}

/// The training and test sets, checked to agree on the number of features; both get the larger
/// number of classes.
pub fn train_and_test<T: Float>(dir: Option<&Path>, pixel_max: f64) -> Result<(Dataset<T>, Dataset<T>)> {
    let mut train = match dir {
        Some(d) => {
            check_dir(d)?;
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
