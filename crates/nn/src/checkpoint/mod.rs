//! Checkpoints: a [`ParamStore`](crate::ParamStore) saved as a [safetensors] file, readable by PyTorch's
//! `safetensors.torch.load_file`, and loaded back with every name, shape and dtype checked.
//!
//! - Tensor names are the parameter names (`layers.0.weight`, ...), shapes are the tensors'
//!   shapes (a scalar is shape `[]`), the dtype is `F32` or `F64` after the store's element type,
//!   and the data is little-endian, row-major: exactly what PyTorch writes for a `state_dict`.
//! - Optional string metadata goes into the header's `__metadata__`. [`save_sequential`] stores
//!   any [`Sequential`](crate::Sequential)'s description there ([`SEQUENTIAL_KEY`], versioned)
//!   and [`load_sequential`] rebuilds the model from the file alone; [`MlpSpec`] stores an
//!   MLP's layer sizes and activations (`chainrule.sizes = "64,64,10"`,
//!   `chainrule.activations = "relu,identity"`), which [`rebuild`] still reads.
//! - The file's bytes depend only on the store and the metadata: header keys are sorted and
//!   the data is laid out in store order, so saving the same model twice gives the same file.
//! - [`save`] writes atomically ([`atomic`], the module every output of the CLI goes through):
//!   a temporary file in the target's directory, written, flushed and synced, then renamed over
//!   the target. On any error the temporary file is removed and an existing file at the target
//!   is left as it was. Only a regular file or a missing path is replaced; symlinks are
//!   followed; the replaced file's permissions are kept.
//! - [`load`] and [`read_header`] validate the header from the file's first bytes before
//!   reading anything else, and [`load`] checks everything before changing anything: on error
//!   the store is unchanged. Malformed, truncated or random files are errors, never panics.
//!
//! The module's parts: `format` (the bytes), [`atomic`] (writing files), `diagnose` (saying
//! where a rejected header goes wrong), [`MlpSpec`] (an MLP's description in the metadata) and
//! `sequential` (any `Sequential`'s).
//!
//! ```
//! use chainrule::Tensor;
//! use chainrule::nn::{checkpoint, ParamStore};
//! let dir = std::env::temp_dir().join(format!("chainrule-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("model.safetensors");
//!
//! let mut ps = ParamStore::<f32>::new();
//! ps.add("fc.weight", Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap()).unwrap();
//! ps.add("fc.bias", Tensor::from(vec![0.5, -0.5])).unwrap();
//! let meta = [("note".to_string(), "hello".to_string())].into_iter().collect();
//! checkpoint::save(&ps, &path, &meta).unwrap();
//!
//! let mut fresh = ParamStore::<f32>::new();
//! fresh.add("fc.weight", Tensor::zeros(&[2, 3])).unwrap();
//! fresh.add("fc.bias", Tensor::zeros(&[2])).unwrap();
//! checkpoint::load(&mut fresh, &path).unwrap();
//! assert_eq!(fresh, ps);
//! assert_eq!(checkpoint::read_metadata(&path).unwrap()["note"], "hello");
//!
//! let mut wrong = ParamStore::<f32>::new();
//! wrong.add("fc.weight", Tensor::zeros(&[3, 2])).unwrap();
//! wrong.add("fc.bias", Tensor::zeros(&[2])).unwrap();
//! let err = checkpoint::load(&mut wrong, &path).unwrap_err();
//! assert!(err.to_string().contains("fc.weight has shape [2, 3] in the file, the model expects [3, 2]"));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
//!
//! [safetensors]: https://github.com/huggingface/safetensors

pub mod atomic;
mod diagnose;
mod format;
mod sequential;
mod spec;

pub use atomic::{write_atomic, write_atomic_through};
pub use format::{dtype_of, load, load_bytes, read_header, read_metadata, save, to_bytes};
pub use sequential::{
    load_sequential, load_sequential_with, rebuild, rebuild_with, save_sequential, sequential_metadata,
    RebuildError, Resolver, SEQUENTIAL_KEY, SEQUENTIAL_VERSION,
};
pub use spec::{MlpSpec, SpecError};

pub(crate) use diagnose::printable;
use safetensors::SafeTensorError;
use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::PathBuf;

/// The metadata key of an MLP's layer sizes, inputs first (`"64,64,10"`).
pub const SIZES_KEY: &str = "chainrule.sizes";
/// The metadata key of an MLP's activations, one per layer (`"relu,identity"`).
pub const ACTIVATIONS_KEY: &str = "chainrule.activations";

/// String metadata of a checkpoint (the header's `__metadata__`), sorted by key.
pub type Metadata = BTreeMap<String, String>;

/// What can go wrong saving or loading a checkpoint. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The operating system refused an operation on a file.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `create`, `write`, `rename to` ...).
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The bytes are not a well-formed safetensors file (truncated, corrupted, not one at all).
    #[error("{} is not a valid safetensors file: {}{}", .path.display(), printable(&.source.to_string()), .detail)]
    Format {
        /// The file.
        path: PathBuf,
        /// What the safetensors parser found wrong.
        source: SafeTensorError,
        /// Where the parser's complaint comes from when it can be told (`"; tensor fc.bias:
        /// ..."`, naming the tensor whose entry or data is wrong), or empty.
        detail: String,
    },
    /// The file is well formed but its tensors do not fit the parameter store.
    #[error("{} does not match the model: {}", path.display(), list(mismatches))]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// Every disagreement, in the store's order (missing and mismatched tensors), then the
        /// file's extra tensors. Never empty.
        mismatches: Vec<Mismatch>,
    },
    /// The metadata lacks a key or has a value that cannot be parsed.
    #[error("{}: {message}", path.display())]
    Metadata {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn list(m: &[Mismatch]) -> String {
    m.iter().map(Mismatch::to_string).collect::<Vec<_>>().join("; ")
}

/// One disagreement between a checkpoint and a parameter store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// The store has a parameter the file lacks.
    Missing {
        /// The parameter's name.
        name: String,
        /// Its shape in the store.
        shape: Vec<usize>,
    },
    /// The file has a tensor the store lacks.
    Unexpected {
        /// The tensor's name.
        name: String,
        /// Its shape in the file.
        shape: Vec<usize>,
    },
    /// The shapes differ.
    Shape {
        /// The parameter's name.
        name: String,
        /// The shape in the store.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// The element types differ.
    Dtype {
        /// The parameter's name.
        name: String,
        /// The store's dtype (`F32` or `F64`).
        expected: String,
        /// The file's dtype (`F32`, `F64`, `F16`, `I64`, ...).
        found: String,
    },
}

impl Mismatch {
    /// The name of the tensor that disagrees.
    pub fn name(&self) -> &str {
        match self {
            Mismatch::Missing { name, .. }
            | Mismatch::Unexpected { name, .. }
            | Mismatch::Shape { name, .. }
            | Mismatch::Dtype { name, .. } => name,
        }
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = printable(self.name());
        match self {
            Mismatch::Missing { shape, .. } => {
                write!(f, "missing tensor {name} (the model expects shape {shape:?})")
            }
            Mismatch::Unexpected { shape, .. } => {
                write!(
                    f,
                    "unexpected tensor {name} (shape {shape:?}) is not a parameter of the model"
                )
            }
            Mismatch::Shape { expected, found, .. } => {
                write!(
                    f,
                    "{name} has shape {found:?} in the file, the model expects {expected:?}"
                )
            }
            Mismatch::Dtype { expected, found, .. } => {
                write!(
                    f,
                    "{name} has dtype {found} in the file, the model expects {expected}"
                )
            }
        }
    }
}

/// One tensor's entry in a checkpoint's header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorEntry {
    /// The tensor's name.
    pub name: String,
    /// Its dtype as safetensors spells it (`F32`, `F64`, ...).
    pub dtype: String,
    /// Its shape.
    pub shape: Vec<usize>,
}

/// A checkpoint's header: its metadata and its tensors (sorted by name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The string metadata (empty if the file has none).
    pub metadata: Metadata,
    /// The tensors, sorted by name.
    pub tensors: Vec<TensorEntry>,
}
