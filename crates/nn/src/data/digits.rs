//! The UCI optical-recognition digits (8x8, pixels 0..16), embedded in the binary: 1500
//! training and 297 test images, pixels divided by 16.
//!
//! "Optical Recognition of Handwritten Digits" by E. Alpaydin and C. Kaynak (1998), UCI Machine
//! Learning Repository, DOI 10.24432/C50P49, licensed CC BY 4.0. Changes: scikit-learn's copy
//! (1797 images) converted to IDX and split 1500/297, pixel values unchanged; see
//! `crates/nn/data/digits/README.md`.

use super::{DataError, Dataset};
use autograd::Float;

/// The training images file (IDX).
pub const TRAIN_IMAGES: &[u8] = include_bytes!("../../data/digits/train-images-idx3-ubyte");
/// The training labels file (IDX).
pub const TRAIN_LABELS: &[u8] = include_bytes!("../../data/digits/train-labels-idx1-ubyte");
/// The test images file (IDX).
pub const TEST_IMAGES: &[u8] = include_bytes!("../../data/digits/t10k-images-idx3-ubyte");
/// The test labels file (IDX).
pub const TEST_LABELS: &[u8] = include_bytes!("../../data/digits/t10k-labels-idx1-ubyte");
/// The largest pixel value: inputs are pixels / 16.
pub const PIXEL_MAX: f64 = 16.0;

/// The 1500 training examples, 64 features in [0, 1], 10 classes.
///
/// ```
/// let train = chainrule::nn::data::digits::train::<f32>().unwrap();
/// assert_eq!((train.len(), train.features()), (1500, 64));
/// assert_eq!(train.labels[..3], [7, 6, 8]);
/// ```
pub fn train<T: Float>() -> Result<Dataset<T>, DataError> {
    Dataset::from_idx_with_classes(TRAIN_IMAGES, TRAIN_LABELS, PIXEL_MAX, 10, "digits train")
}

/// The 297 test examples, 64 features in [0, 1], 10 classes.
pub fn test<T: Float>() -> Result<Dataset<T>, DataError> {
    Dataset::from_idx_with_classes(TEST_IMAGES, TEST_LABELS, PIXEL_MAX, 10, "digits test")
}
