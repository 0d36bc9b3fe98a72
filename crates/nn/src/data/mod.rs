//! Data: an IDX (MNIST format) reader, the embedded UCI digits, batching, splits and
//! synthetic problems (xor, two moons, spirals).

use autograd::{Float, Tensor};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::path::{Path, PathBuf};

/// What can go wrong reading data. Every message names the file and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file is not a well-formed IDX file.
    #[error("{file}: {message}")]
    Malformed {
        /// The file (or a description of the buffer).
        file: String,
        /// What is wrong, with the byte offset where it applies.
        message: String,
    },
    /// Images and labels do not belong together, or something else about the pair is off.
    #[error("{0}")]
    Mismatch(String),
}

mod csv;
mod csv_error;
pub mod digits;
mod idx;
mod scaler;
mod schema;
mod synthetic;

pub use self::csv::{
    CsvError, CsvOptions, Table, Target, Task, AUTO_MAX_CLASSES, MAX_COLUMNS, MAX_LINE_BYTES,
};
pub use idx::{parse_idx, read_idx, Idx};
pub use scaler::{ScalerError, StandardScaler};
pub use schema::{Schema, SchemaError};
pub use synthetic::{spirals, two_moons, xor};

/// Examples: inputs `x` of shape `[n, features]` and, for classification, one class per
/// example, or, for regression, float targets `values` `[n, outputs]` (then `labels` is empty
/// and `classes` 0). The training loop reads the task from the targets: see
/// [`Dataset::is_regression`].
///
/// The element type defaults to `f64`, as [`Tensor`], `Tape` and `ParamStore` do, so that
/// code that names none of them gets one type throughout; pass `f32` for speed.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset<T: Float = f64> {
    /// Inputs, one row per example.
    pub x: Tensor<T>,
    /// Class labels, one per example (empty for regression).
    pub labels: Vec<usize>,
    /// The number of classes (0 for regression).
    pub classes: usize,
    /// Regression targets `[n, outputs]`, `None` for classification.
    pub values: Option<Tensor<T>>,
}

impl<T: Float> Dataset<T> {
    /// A dataset from inputs `[n, features]` and labels (checked to agree, and every label
    /// checked to be below `classes`).
    pub fn new(x: Tensor<T>, labels: Vec<usize>, classes: usize) -> Result<Self, DataError> {
        if x.ndim() != 2 || x.shape()[0] != labels.len() {
            return Err(DataError::Mismatch(format!(
                "inputs of shape {:?} and {} labels do not agree: expected [{}, features]",
                x.shape(),
                labels.len(),
                labels.len()
            )));
        }
        if let Some((i, &l)) = labels.iter().enumerate().find(|&(_, &l)| l >= classes) {
            return Err(DataError::Mismatch(format!(
                "label {l} of example {i} is out of range for {classes} classes (0..={})",
                classes.saturating_sub(1)
            )));
        }
        Ok(Self {
            x,
            labels,
            classes,
            values: None,
        })
    }

    /// A regression dataset: inputs `[n, features]` and targets `[n]` (one output) or
    /// `[n, outputs]`, checked to agree and to be finite.
    ///
    /// ```
    /// use chainrule::{nn::data::Dataset, Tensor};
    /// let x = Tensor::from_vec(vec![0.0, 1.0, 2.0], &[3, 1]).unwrap();
    /// let d = Dataset::regression(x, Tensor::from(vec![1.0, 3.0, 5.0])).unwrap();
    /// assert_eq!((d.len(), d.is_regression(), d.values.unwrap().shape()), (3, true, &[3, 1][..]));
    /// ```
    pub fn regression(x: Tensor<T>, values: Tensor<T>) -> Result<Self, DataError> {
        let n = x.shape().first().copied().unwrap_or(0);
        let outputs = match values.shape() {
            [m] if *m == n => 1,
            [m, k] if *m == n => *k,
            other => {
                return Err(DataError::Mismatch(format!(
                    "targets of shape {other:?} do not fit inputs of shape {:?}: expected [{n}] or [{n}, outputs]",
                    x.shape()
                )))
            }
        };
        if x.ndim() != 2 {
            return Err(DataError::Mismatch(format!(
                "inputs of shape {:?} are not a matrix [examples, features]",
                x.shape()
            )));
        }
        if let Some(i) = values.as_slice().iter().position(|v| !v.is_finite()) {
            return Err(DataError::Mismatch(format!(
                "target {} of example {} is not finite",
                values.as_slice()[i],
                i / outputs.max(1)
            )));
        }
        let values = values
            .reshape(&[n, outputs])
            .map_err(|e| DataError::Mismatch(e.to_string()))?;
        Ok(Self {
            x,
            labels: Vec::new(),
            classes: 0,
            values: Some(values),
        })
    }

    /// Whether the targets are float values (regression) rather than classes.
    pub fn is_regression(&self) -> bool {
        self.values.is_some()
    }

    /// Images and labels in IDX format; pixels are divided by `pixel_max` (16 for the digits,
    /// 255 for MNIST) so inputs lie in [0, 1]; each image is flattened row-major. `name`
    /// prefixes the error messages (`"{name} images: ..."`).
    ///
    /// The number of classes is not stored in IDX, so it is **guessed** as
    /// `max(10, largest label + 1)`: 10 for MNIST-style data even if a digit is missing, more if
    /// the labels go higher. A label byte can therefore never be out of range here; use
    /// [`Dataset::from_idx_with_classes`] to insist on a known number of classes.
    ///
    /// Errors (never panics): either file is malformed (see [`parse_idx`]), the image file has
    /// rank below 2, the label file is not of rank 1, the numbers of images and labels differ,
    /// or `pixel_max` is not finite and positive.
    pub fn from_idx(images: &[u8], labels: &[u8], pixel_max: f64, name: &str) -> Result<Self, DataError> {
        let (images_file, labels_file) = (format!("{name} images"), format!("{name} labels"));
        Self::from_idx_files(
            || parse_idx(images, &images_file),
            || parse_idx(labels, &labels_file),
            pixel_max,
            None,
            &images_file,
            &labels_file,
        )
    }

    /// As [`Dataset::from_idx`] with a known number of classes: a label `>= classes` is an
    /// error naming the label file, the example and the byte offset.
    ///
    /// ```
    /// let images = [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 16];
    /// let labels = [0, 0, 8, 1, 0, 0, 0, 1, 10];
    /// let err = chainrule::nn::data::Dataset::<f32>::from_idx_with_classes(&images, &labels, 16.0, 10, "x");
    /// assert!(err.unwrap_err().to_string().contains("out of range"));
    /// ```
    pub fn from_idx_with_classes(
        images: &[u8],
        labels: &[u8],
        pixel_max: f64,
        classes: usize,
        name: &str,
    ) -> Result<Self, DataError> {
        let (images_file, labels_file) = (format!("{name} images"), format!("{name} labels"));
        Self::from_idx_files(
            || parse_idx(images, &images_file),
            || parse_idx(labels, &labels_file),
            pixel_max,
            Some(classes),
            &images_file,
            &labels_file,
        )
    }

    fn from_idx_files(
        images: impl FnOnce() -> Result<Idx, DataError>,
        labels: impl FnOnce() -> Result<Idx, DataError>,
        pixel_max: f64,
        classes: Option<usize>,
        images_file: &str,
        labels_file: &str,
    ) -> Result<Self, DataError> {
        if !(pixel_max.is_finite() && pixel_max > 0.0) {
            return Err(DataError::Mismatch(format!(
                "{images_file}: pixel_max must be finite and positive (16 for the digits, 255 for MNIST), \
                 got {pixel_max}"
            )));
        }
        // A tiny scale would turn bright pixels into infinities (255 / 1e-300 overflows f32).
        if !T::from_f64(255.0 / pixel_max).is_finite() {
            return Err(DataError::Mismatch(format!(
                "{images_file}: pixel_max {pixel_max:e} is too small: pixel 255 / {pixel_max:e} overflows {}",
                T::NAME
            )));
        }
        let img = images()?;
        let lab = labels()?;
        if img.dims.len() < 2 {
            return Err(DataError::Malformed {
                file: images_file.to_string(),
                message: format!(
                    "rank {} at offset 3 is not an image file (expected at least 2: [n, rows, cols])",
                    img.dims.len()
                ),
            });
        }
        if lab.dims.len() != 1 {
            return Err(DataError::Malformed {
                file: labels_file.to_string(),
                message: format!(
                    "rank {} at offset 3 is not a label file (expected 1: [n])",
                    lab.dims.len()
                ),
            });
        }
        if img.dims[0] != lab.dims[0] {
            return Err(DataError::Mismatch(format!(
                "{images_file} has {} images but {labels_file} has {} labels",
                img.dims[0], lab.dims[0]
            )));
        }
        let n = img.dims[0];
        // Cannot overflow: parse_idx checked the product of all the dimensions.
        let features: usize = img.dims[1..].iter().product();
        let labels: Vec<usize> = lab.data.iter().map(|&b| usize::from(b)).collect();
        let classes = match classes {
            Some(c) => {
                if let Some((i, &l)) = labels.iter().enumerate().find(|&(_, &l)| l >= c) {
                    return Err(DataError::Malformed {
                        file: labels_file.to_string(),
                        message: format!(
                            "label {l} of example {i} (offset {}) is out of range for {c} classes",
                            8 + i
                        ),
                    });
                }
                c
            }
            None => labels.iter().max().map_or(0, |&m| m + 1).max(10),
        };
        let x: Vec<T> = img
            .data
            .iter()
            .map(|&p| T::from_f64(f64::from(p) / pixel_max))
            .collect();
        let x = Tensor::from_vec(x, &[n, features])
            .map_err(|e| DataError::Mismatch(format!("{images_file}: {e}")))?;
        Self::new(x, labels, classes)
    }

    /// Reads `{prefix}-images-idx3-ubyte` and `{prefix}-labels-idx1-ubyte` from `dir`
    /// (`prefix` is `train` or `t10k`, MNIST's names). A missing or unreadable file is a
    /// [`DataError::Io`] with its path; other errors name the file's path. The number of
    /// classes is guessed as in [`Dataset::from_idx`].
    pub fn from_idx_dir(dir: &Path, prefix: &str, pixel_max: f64) -> Result<Self, DataError> {
        let images_path = dir.join(format!("{prefix}-images-idx3-ubyte"));
        let labels_path = dir.join(format!("{prefix}-labels-idx1-ubyte"));
        let (images_file, labels_file) = (
            images_path.display().to_string(),
            labels_path.display().to_string(),
        );
        // Both opened first: a missing file is reported as such even if the other is malformed.
        let images = idx::open_idx(&images_path)?;
        let labels = idx::open_idx(&labels_path)?;
        Self::from_idx_files(
            || idx::read_idx_from(images, &images_path, &images_file),
            || idx::read_idx_from(labels, &labels_path, &labels_file),
            pixel_max,
            None,
            &images_file,
            &labels_file,
        )
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.x.shape().first().copied().unwrap_or(0)
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of input features.
    pub fn features(&self) -> usize {
        self.x.shape()[1]
    }

    /// The examples at `indices`, in that order (repeats allowed).
    ///
    /// # Panics
    /// If an index is `>= self.len()`: that is a bug in the caller, not bad data.
    #[track_caller]
    pub fn select(&self, indices: &[usize]) -> Self {
        let n = self.len();
        if let Some(&i) = indices.iter().find(|&&i| i >= n) {
            panic!("Dataset::select: index {i} is out of range for a dataset of {n} examples");
        }
        Self {
            x: gather_rows(&self.x, indices),
            labels: if self.labels.is_empty() {
                Vec::new()
            } else {
                indices.iter().map(|&i| self.labels[i]).collect()
            },
            classes: self.classes,
            values: self.values.as_ref().map(|v| gather_rows(v, indices)),
        }
    }

    /// Splits off the last `fraction` of a seeded shuffle as a validation set:
    /// `(train, validation)`. The validation set has `round(len * fraction)` examples;
    /// `fraction` is clamped to [0, 1] and NaN counts as 0. Every example lands in exactly one
    /// of the two.
    ///
    /// ```
    /// let (train, val) = chainrule::nn::data::two_moons::<f32>(10, 0.0, 0).split(0.3, 7);
    /// assert_eq!((train.len(), val.len()), (7, 3));
    /// ```
    pub fn split(&self, fraction: f64, seed: u64) -> (Self, Self) {
        let (train, val) = split_indices(self.len(), fraction, seed);
        (self.select(&train), self.select(&val))
    }

    /// As [`Dataset::split`], stratified by class: each class is shuffled (seeded) and
    /// `round(count * fraction)` of its examples go to the validation set, so both sets keep
    /// the class proportions. Disjoint, every example in exactly one set; both sets list the
    /// examples in ascending original order. `fraction` is clamped to [0, 1], NaN counts as 0.
    /// A regression dataset has no classes: it is split as by [`Dataset::split`].
    ///
    /// ```
    /// let d = chainrule::nn::data::two_moons::<f32>(20, 0.1, 0); // 10 of each class
    /// let (train, val) = d.split_stratified(0.3, 7);
    /// assert_eq!(val.class_counts(), vec![3, 3]);
    /// assert_eq!(train.class_counts(), vec![7, 7]);
    /// ```
    pub fn split_stratified(&self, fraction: f64, seed: u64) -> (Self, Self) {
        if self.is_regression() {
            return self.split(fraction, seed);
        }
        let (train, val) = stratified_indices(&self.labels, fraction, seed);
        (self.select(&train), self.select(&val))
    }

    /// Mini-batches `(inputs [b, features], labels)` in a seeded shuffled order (or in order
    /// for `seed = None`): every example exactly once, in `ceil(len / batch_size)` batches of
    /// `batch_size`, the last one smaller if `batch_size` does not divide `len`. The order
    /// depends only on `seed` and `len`. A `batch_size` of 0 is treated as 1.
    pub fn batches(&self, batch_size: usize, seed: Option<u64>) -> impl Iterator<Item = Self> + '_ {
        let order = match seed {
            Some(s) => shuffled(self.len(), s),
            None => (0..self.len()).collect(),
        };
        let size = batch_size.max(1);
        let chunks: Vec<Vec<usize>> = order.chunks(size).map(|c| c.to_vec()).collect();
        chunks.into_iter().map(move |c| self.select(&c))
    }

    /// The number of examples of each class (a vector of length `classes`).
    ///
    /// # Panics
    /// If a label is `>= classes`, which [`Dataset::new`] and the loaders rule out (the fields
    /// are public, so code that edits them can break it).
    #[track_caller]
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &l in &self.labels {
            match counts.get_mut(l) {
                Some(c) => *c += 1,
                None => panic!(
                    "Dataset::class_counts: label {l} is out of range for {} classes",
                    self.classes
                ),
            }
        }
        counts
    }
}

/// The rows `indices` of a matrix `[n, f]` (indices checked by the caller).
fn gather_rows<T: Float>(x: &Tensor<T>, indices: &[usize]) -> Tensor<T> {
    let f = x.shape()[1];
    let src = x.as_slice();
    let mut out = Vec::with_capacity(indices.len() * f);
    for &i in indices {
        out.extend_from_slice(&src[i * f..(i + 1) * f]);
    }
    Tensor::from_vec(out, &[indices.len(), f]).expect("rows of f features")
}

fn clamp_fraction(fraction: f64) -> f64 {
    if fraction.is_nan() {
        0.0
    } else {
        fraction.clamp(0.0, 1.0)
    }
}

/// `(train, validation)` indices: the last `round(n * fraction)` of a seeded shuffle.
fn split_indices(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let order = shuffled(n, seed);
    let n_val = ((n as f64) * clamp_fraction(fraction)).round() as usize;
    let (train, val) = order.split_at(n - n_val.min(n));
    (train.to_vec(), val.to_vec())
}

/// `(train, validation)` indices, stratified: per class, `round(count * fraction)` examples
/// drawn by a seeded shuffle (each class with its own stream, derived from `seed` and the
/// class) go to validation. Both lists ascending.
fn stratified_indices(labels: &[usize], fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let fraction = clamp_fraction(fraction);
    let mut by_class: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, &l) in labels.iter().enumerate() {
        by_class.entry(l).or_default().push(i);
    }
    let mut in_val = vec![false; labels.len()];
    for (&class, members) in &by_class {
        let n_val = ((members.len() as f64) * fraction).round() as usize;
        let order = shuffled(
            members.len(),
            seed ^ (class as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        for &k in &order[..n_val.min(members.len())] {
            in_val[members[k]] = true;
        }
    }
    (0..labels.len()).partition(|&i| !in_val[i])
}

/// `0..n` in a seeded random order.
pub fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    order
}
