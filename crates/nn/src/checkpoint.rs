//! Checkpoints: a [`ParamStore`] saved as a [safetensors] file, readable by PyTorch's
//! `safetensors.torch.load_file`, and loaded back with every name, shape and dtype checked.
//!
//! - Tensor names are the parameter names (`layers.0.weight`, ...), shapes are the tensors'
//!   shapes (a scalar is shape `[]`), the dtype is `F32` or `F64` after the store's element type,
//!   and the data is little-endian, row-major: exactly what PyTorch writes for a `state_dict`.
//! - Optional string metadata goes into the header's `__metadata__`; [`MlpSpec`] stores an
//!   MLP's layer sizes and activations there (`chainrule.sizes = "64,64,10"`,
//!   `chainrule.activations = "relu,identity"`) so a model can be rebuilt from the file alone.
//! - The file's bytes depend only on the store and the metadata: header keys are sorted and
//!   the data is laid out in store order, so saving the same model twice gives the same file.
//! - [`save`] writes atomically: a temporary file in the target's directory, written, flushed
//!   and synced, then renamed over the target. On any error the temporary file is removed and
//!   an existing file at the target is left as it was.
//! - [`load`] checks everything before changing anything: on error the store is unchanged.
//!   Malformed, truncated or random files are errors, never panics.
//!
//! ```
//! use autograd::Tensor;
//! use nn::{checkpoint, ParamStore};
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

use crate::activation::Activation;
use crate::layers::Mlp;
use crate::param::ParamStore;
use autograd::{Float, Tensor};
use rand::Rng;
use safetensors::tensor::TensorInfo;
use safetensors::{Dtype, SafeTensorError, SafeTensors};
use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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

/// `s` with control characters escaped (`\n`, `\u{1b}`): names read from a file go into
/// one-line messages, and must neither break them nor drive the terminal.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
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

/// The safetensors dtype of the element type `T`.
pub fn dtype_of<T: Float>() -> Dtype {
    if std::mem::size_of::<T>() == 4 {
        Dtype::F32
    } else {
        Dtype::F64
    }
}

fn dtype_name(d: Dtype) -> String {
    format!("{d:?}")
}

fn encode<T: Float>(t: &Tensor<T>, out: &mut Vec<u8>) {
    match dtype_of::<T>() {
        Dtype::F32 => t
            .as_slice()
            .iter()
            .for_each(|&x| out.extend_from_slice(&(x.as_f64() as f32).to_le_bytes())),
        _ => t
            .as_slice()
            .iter()
            .for_each(|&x| out.extend_from_slice(&x.as_f64().to_le_bytes())),
    }
}

fn decode<T: Float>(bytes: &[u8], shape: &[usize]) -> Tensor<T> {
    let data: Vec<T> = match dtype_of::<T>() {
        Dtype::F32 => bytes
            .chunks_exact(4)
            .map(|c| T::from_f64(f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64))
            .collect(),
        _ => bytes
            .chunks_exact(8)
            .map(|c| T::from_f64(f64::from_le_bytes(c.try_into().expect("8 bytes"))))
            .collect(),
    };
    Tensor::from_vec(data, shape).expect("safetensors validated the data length against the shape")
}

/// Serialises a store (and optional metadata) to the bytes of a safetensors file.
///
/// The layout follows the format's specification: an 8-byte little-endian header length, a
/// JSON header (`__metadata__` first if any, then one entry per tensor, keys sorted, padded
/// with spaces to a multiple of 8 bytes), then the tensors' data in store order. The result
/// is checked with the `safetensors` crate's own parser before it is returned.
pub fn to_bytes<T: Float>(params: &ParamStore<T>, metadata: &Metadata) -> Result<Vec<u8>, CheckpointError> {
    let invalid = |e: SafeTensorError| CheckpointError::Format {
        path: PathBuf::from("<serialised checkpoint>"),
        source: e,
        detail: String::new(),
    };
    let json = |e: serde_json::Error| invalid(SafeTensorError::JsonError(e));
    let dtype = dtype_of::<T>();
    let mut entries: Vec<(String, String)> = Vec::with_capacity(params.len() + 1);
    let mut data = Vec::with_capacity(params.num_params() * std::mem::size_of::<T>());
    for (_, name, p) in params.iter() {
        let start = data.len();
        encode(p.value(), &mut data);
        let info = TensorInfo {
            dtype,
            shape: p.value().shape().to_vec(),
            data_offsets: (start, data.len()),
        };
        entries.push((name.to_string(), serde_json::to_string(&info).map_err(json)?));
    }
    // Keys sorted (the store's names are unique), the metadata first: deterministic bytes.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    if !metadata.is_empty() {
        entries.insert(
            0,
            (
                "__metadata__".into(),
                serde_json::to_string(metadata).map_err(json)?,
            ),
        );
    }
    let mut text = String::from("{");
    for (i, (k, v)) in entries.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&serde_json::to_string(k).map_err(json)?);
        text.push(':');
        text.push_str(v);
    }
    text.push('}');
    let mut head = text.into_bytes();
    head.resize(head.len().next_multiple_of(8), b' ');
    let mut bytes = Vec::with_capacity(8 + head.len() + data.len());
    bytes.extend_from_slice(&(head.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&head);
    bytes.extend_from_slice(&data);
    SafeTensors::deserialize(&bytes).map_err(invalid)?;
    Ok(bytes)
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Saves a store as a safetensors file at `path`, with optional string `metadata` (pass an
/// empty map for none), atomically.
///
/// The bytes go to a new temporary file beside `path` (`.{name}.tmp-{pid}-{n}`), which is
/// flushed and synced to disk and then renamed over `path`, so a reader sees either the old
/// file or the complete new one. On any error (a missing directory, no permission, a full disk,
/// `path` being a directory) the temporary file is removed and an existing file at `path` is
/// untouched.
pub fn save<T: Float>(
    params: &ParamStore<T>,
    path: impl AsRef<Path>,
    metadata: &Metadata,
) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let bytes = to_bytes(params, metadata)?;
    write_atomic(path, &bytes)
}

/// Writes `bytes` to `path` atomically (temporary file, sync, rename), as [`save`] does.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    write_atomic_through(path, bytes, |file, bytes| file.write_all(bytes))
}

/// [`write_atomic`] with the bytes written to the temporary file by `write(file, bytes)`
/// instead of `file.write_all(bytes)`: a test can pass the file through a writer that fails,
/// writes short or panics part-way, to check that an interrupted save leaves the previous file
/// intact. Everything else (the temporary file, flush, sync, rename, removal on error) is
/// exactly [`write_atomic`].
#[doc(hidden)]
pub fn write_atomic_through(
    path: &Path,
    bytes: &[u8],
    write: impl FnOnce(&mut dyn Write, &[u8]) -> io::Result<()>,
) -> Result<(), CheckpointError> {
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| CheckpointError::Io { action, path, source }
    };
    let file_name = path.file_name().ok_or_else(|| {
        io("write", path)(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path has no file name",
        ))
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // A new, unique temporary file in the same directory (so the rename stays on one file system).
    let mut attempts = 0;
    let (tmp, mut file) = loop {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut name = std::ffi::OsString::from(".");
        name.push(file_name);
        name.push(format!(".tmp-{}-{n}", std::process::id()));
        let tmp = dir.join(name);
        match fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempts < 100 => attempts += 1,
            Err(e) => return Err(io("create a temporary file in", &dir)(e)),
        }
    };
    let written = write(&mut file, bytes)
        .and_then(|()| file.flush())
        .and_then(|()| file.sync_all())
        .map_err(io("write", &tmp))
        .and_then(|()| {
            drop(file);
            fs::rename(&tmp, path).map_err(io("replace", path))
        });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    // Make the rename itself durable where directories can be synced (best effort).
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn read_file(path: &Path) -> Result<Vec<u8>, CheckpointError> {
    fs::read(path).map_err(|source| CheckpointError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })
}

fn parse<'a>(bytes: &'a [u8], path: &Path) -> Result<SafeTensors<'a>, CheckpointError> {
    SafeTensors::deserialize(bytes).map_err(|source| format_error(path, bytes, source))
}

fn format_error(path: &Path, bytes: &[u8], source: SafeTensorError) -> CheckpointError {
    CheckpointError::Format {
        path: path.to_path_buf(),
        detail: diagnose(bytes).map_or(String::new(), |d| format!("; {d}")),
        source,
    }
}

/// Says which part of a file the safetensors parser rejected, naming the tensor where one is
/// to blame: an entry whose dtype, shape and offsets disagree, data that runs past the end of
/// a truncated file, a gap between tensors, bytes after the last one. Only called on files
/// already known to be invalid; `None` if nothing more specific can be said.
fn diagnose(bytes: &[u8]) -> Option<String> {
    let n = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
    let have = bytes.len() as u64 - 8;
    if n > have {
        return Some(format!(
            "the header length field says {n} bytes but only {have} follow it (truncated, or not a safetensors file)"
        ));
    }
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&bytes[8..8 + n as usize]).ok()?;
    let data_len = have - n;
    // (start, end, name) of every tensor entry, checked one by one.
    let mut spans = Vec::new();
    for (raw, entry) in header.iter().filter(|(k, _)| *k != "__metadata__") {
        let name = printable(raw);
        let info: TensorInfo = match serde_json::from_value(entry.clone()) {
            Ok(info) => info,
            Err(e) => return Some(format!("tensor {name}: bad entry ({e})")),
        };
        let (s, e) = info.data_offsets;
        let size = info
            .shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .and_then(|count| count.checked_mul(info.dtype.bitsize()))
            .map(|bits| bits.div_ceil(8));
        let Some(size) = size else {
            return Some(format!(
                "tensor {name}: shape {:?} of {:?} is too large (its size overflows)",
                info.shape, info.dtype
            ));
        };
        if e < s || e - s != size {
            return Some(format!(
                "tensor {name}: {:?} {:?} takes {size} bytes but its data_offsets [{s}, {e}] give {}",
                info.dtype,
                info.shape,
                if e < s {
                    "a negative length".to_string()
                } else {
                    format!("{}", e - s)
                }
            ));
        }
        spans.push((s, e, name.clone()));
    }
    spans.sort();
    let mut end = 0;
    for (s, e, name) in &spans {
        let (s, e) = (*s, *e);
        if s != end {
            return Some(format!(
                "tensor {name}: its data starts at byte {s} of the data section, expected {end} (tensors must be contiguous)"
            ));
        }
        if e as u64 > data_len {
            return Some(format!(
                "tensor {name}: its data (bytes {s}..{e} of the data section) runs past the end of the file, \
                 which has {data_len} data bytes (truncated?)"
            ));
        }
        end = e;
    }
    if (end as u64) < data_len {
        return Some(format!(
            "{} bytes after the end of the last tensor's data{}",
            data_len - end as u64,
            spans
                .last()
                .map_or(String::new(), |(_, _, name)| format!(" ({name})"))
        ));
    }
    None
}

/// Loads the safetensors file at `path` into an existing store: every parameter must be in the
/// file with the store's shape and dtype, and the file must have no other tensor.
///
/// Nothing is changed unless everything matches; otherwise the error lists every tensor that
/// disagrees ([`CheckpointError::Mismatch`]). Frozen flags are kept.
pub fn load<T: Float>(params: &mut ParamStore<T>, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let bytes = read_file(path)?;
    load_bytes(params, &bytes, path)
}

/// [`load`] from the bytes of a file; `path` only names the source in errors.
pub fn load_bytes<T: Float>(
    params: &mut ParamStore<T>,
    bytes: &[u8],
    path: impl AsRef<Path>,
) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let st = parse(bytes, path)?;
    let dtype = dtype_of::<T>();
    let mut mismatches = Vec::new();
    let mut values = Vec::with_capacity(params.len());
    for (_, name, p) in params.iter() {
        let expected = p.value().shape();
        match st.tensor(name) {
            Err(_) => mismatches.push(Mismatch::Missing {
                name: name.into(),
                shape: expected.to_vec(),
            }),
            Ok(view) => {
                if view.dtype() != dtype {
                    mismatches.push(Mismatch::Dtype {
                        name: name.into(),
                        expected: dtype_name(dtype),
                        found: dtype_name(view.dtype()),
                    });
                } else if view.shape() != expected {
                    mismatches.push(Mismatch::Shape {
                        name: name.into(),
                        expected: expected.to_vec(),
                        found: view.shape().to_vec(),
                    });
                } else {
                    values.push((name.to_string(), decode::<T>(view.data(), view.shape())));
                }
            }
        }
    }
    let mut extra: Vec<(String, Vec<usize>)> = st
        .iter()
        .filter(|(n, _)| params.id(n).is_none())
        .map(|(n, v)| (n.to_string(), v.shape().to_vec()))
        .collect();
    extra.sort();
    mismatches.extend(
        extra
            .into_iter()
            .map(|(name, shape)| Mismatch::Unexpected { name, shape }),
    );
    if !mismatches.is_empty() {
        return Err(CheckpointError::Mismatch {
            path: path.to_path_buf(),
            mismatches,
        });
    }
    for (name, value) in values {
        params.set(&name, value).expect("names and shapes were checked");
    }
    Ok(())
}

/// Reads a checkpoint's header: its metadata and the name, dtype and shape of every tensor.
/// The whole file is validated.
pub fn read_header(path: impl AsRef<Path>) -> Result<Header, CheckpointError> {
    let path = path.as_ref();
    let bytes = read_file(path)?;
    let (_, meta) =
        SafeTensors::read_metadata(&bytes).map_err(|source| format_error(path, &bytes, source))?;
    let metadata = meta.metadata().clone().unwrap_or_default().into_iter().collect();
    let mut tensors: Vec<TensorEntry> = meta
        .tensors()
        .into_iter()
        .map(|(name, info)| TensorEntry {
            name,
            dtype: dtype_name(info.dtype),
            shape: info.shape.clone(),
        })
        .collect();
    tensors.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Header { metadata, tensors })
}

/// Reads a checkpoint's string metadata (empty if it has none). The whole file is validated.
pub fn read_metadata(path: impl AsRef<Path>) -> Result<Metadata, CheckpointError> {
    read_header(path).map(|h| h.metadata)
}

/// The architecture of an [`Mlp`]: layer sizes (inputs first) and one activation per layer,
/// as stored in a checkpoint's metadata under [`SIZES_KEY`] and [`ACTIVATIONS_KEY`].
///
/// ```
/// use nn::{Activation, checkpoint::MlpSpec};
/// let spec = MlpSpec::new(vec![64, 32, 10], vec![Activation::Relu, Activation::Identity]).unwrap();
/// let meta = spec.to_metadata();
/// assert_eq!(meta["chainrule.sizes"], "64,32,10");
/// assert_eq!(meta["chainrule.activations"], "relu,identity");
/// assert_eq!(MlpSpec::from_metadata(&meta).unwrap(), spec);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct MlpSpec {
    sizes: Vec<usize>,
    activations: Vec<Activation>,
}

impl MlpSpec {
    /// A spec, checked: at least two sizes, none zero, one activation per layer.
    pub fn new(sizes: Vec<usize>, activations: Vec<Activation>) -> Result<Self, String> {
        if sizes.len() < 2 {
            return Err(format!(
                "an MLP needs at least 2 layer sizes (inputs and outputs), got {sizes:?}"
            ));
        }
        if sizes.contains(&0) {
            return Err(format!("layer sizes must be positive, got {sizes:?}"));
        }
        if activations.len() + 1 != sizes.len() {
            return Err(format!(
                "{} layer sizes need {} activations, got {}",
                sizes.len(),
                sizes.len() - 1,
                activations.len()
            ));
        }
        Ok(Self { sizes, activations })
    }

    /// The spec as checkpoint metadata (the two keys).
    pub fn to_metadata(&self) -> Metadata {
        let join = |v: Vec<String>| v.join(",");
        Metadata::from([
            (
                SIZES_KEY.to_string(),
                join(self.sizes.iter().map(|s| s.to_string()).collect()),
            ),
            (
                ACTIVATIONS_KEY.to_string(),
                join(self.activations.iter().map(|a| a.to_string()).collect()),
            ),
        ])
    }

    /// Parses the spec from checkpoint metadata; the error says which key is missing or bad.
    pub fn from_metadata<'a>(meta: &'a Metadata) -> Result<Self, String> {
        let get = |k: &str| {
            meta.get(k)
                .ok_or_else(|| format!("the metadata has no {k:?} entry, so the model cannot be rebuilt"))
        };
        // An empty value is an empty list (a model with no layers is then rejected by `new`).
        let items = |v: &'a String| v.split(',').filter(move |_| !v.trim().is_empty());
        let sizes = items(get(SIZES_KEY)?)
            .map(|s| {
                s.trim()
                    .parse::<usize>()
                    .map_err(|_| format!("{SIZES_KEY}: {s:?} is not a layer size"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let activations = items(get(ACTIVATIONS_KEY)?)
            .map(|s| {
                s.parse::<Activation>()
                    .map_err(|e| format!("{ACTIVATIONS_KEY}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(sizes, activations)
    }

    /// Builds the MLP (layers `{prefix}.0`, `{prefix}.1`, ...) with fresh random parameters in
    /// `ps`; [`load`] then fills them from the checkpoint.
    pub fn build<T: Float>(
        &self,
        ps: &mut ParamStore<T>,
        prefix: &str,
        rng: &mut impl Rng,
    ) -> Result<Mlp, crate::LayerError> {
        Mlp::new(ps, prefix, &self.sizes, &self.activations, rng)
    }

    /// Layer sizes, inputs first: at least two, none zero.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// One activation per layer.
    pub fn activations(&self) -> &[Activation] {
        &self.activations
    }

    /// The number of inputs.
    pub fn inputs(&self) -> usize {
        self.sizes[0]
    }

    /// The number of outputs (classes for a classifier).
    pub fn outputs(&self) -> usize {
        *self.sizes.last().expect("at least two sizes")
    }
}

impl fmt::Display for MlpSpec {
    /// `64-32-10 (relu, identity)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sizes: Vec<String> = self.sizes.iter().map(|s| s.to_string()).collect();
        let acts: Vec<String> = self.activations.iter().map(|a| a.to_string()).collect();
        write!(f, "{} ({})", sizes.join("-"), acts.join(", "))
    }
}
