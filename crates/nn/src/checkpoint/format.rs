//! The safetensors format: a store to bytes and back, and the header read from a bounded
//! prefix of the file before anything else is read.

use super::diagnose::diagnose;
use super::{atomic, CheckpointError, Header, Metadata, Mismatch, TensorEntry};
use crate::param::ParamStore;
use autograd::{Float, Tensor};
use safetensors::tensor::{Metadata as StMetadata, TensorInfo};
use safetensors::{Dtype, SafeTensorError, SafeTensors};
use std::fs;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};

/// The largest header the `safetensors` crate accepts (its `MAX_HEADER_SIZE`).
pub(super) const MAX_HEADER_LEN: u64 = 100_000_000;

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

/// Saves a store as a safetensors file at `path`, with optional string `metadata` (pass an
/// empty map for none), atomically: see [`atomic`] for what may be replaced (a regular file or
/// a missing path; symlinks are followed), the permissions kept, and the guarantee that on any
/// error an existing file at `path` is untouched and no temporary file is left.
pub fn save<T: Float>(
    params: &ParamStore<T>,
    path: impl AsRef<Path>,
    metadata: &Metadata,
) -> Result<(), CheckpointError> {
    atomic::write_atomic(path.as_ref(), &to_bytes(params, metadata)?)
}

/// A file opened for reading, checked to be a regular file, and its length.
fn open(path: &Path) -> Result<(fs::File, u64), CheckpointError> {
    let err = |source| CheckpointError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    let file = fs::File::open(path).map_err(err)?;
    let meta = file.metadata().map_err(err)?;
    if !meta.is_file() {
        return Err(err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    Ok((file, meta.len()))
}

/// Reads and validates the header of a safetensors file of `file_len` bytes from `reader`,
/// which is at the file's start: at most 8 + the header length bytes are read (never more than
/// the format's 100 MB limit, and nothing past the first bytes when they are wrong), and the
/// declared data must end exactly at `file_len`. The same files are accepted as by
/// `SafeTensors::deserialize`. Returns the header bytes read (length field included).
fn read_head(
    reader: &mut impl Read,
    file_len: u64,
    path: &Path,
) -> Result<(Vec<u8>, StMetadata), CheckpointError> {
    let io_err = |source| CheckpointError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    let format = |head: &[u8], source| CheckpointError::Format {
        path: path.to_path_buf(),
        detail: diagnose(head, file_len).map_or(String::new(), |d| format!("; {d}")),
        source,
    };
    let mut head = Vec::new();
    Read::take(&mut *reader, 8)
        .read_to_end(&mut head)
        .map_err(io_err)?;
    if head.len() < 8 {
        return Err(format(&head, SafeTensorError::HeaderTooSmall));
    }
    let n = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
    if n > MAX_HEADER_LEN {
        return Err(format(&head, SafeTensorError::HeaderTooLarge));
    }
    if n > file_len - 8 {
        return Err(format(&head, SafeTensorError::InvalidHeaderLength));
    }
    // Streamed: a header of garbage fails on its first bytes, whatever length it declares.
    // A valid header is read to its end (the parser checks that only padding follows).
    let mut json = io::BufReader::new(Read::take(&mut *reader, n));
    let mut tee = Tee {
        inner: &mut json,
        copy: &mut head,
    };
    let metadata: StMetadata = match serde_json::from_reader(&mut tee) {
        Ok(m) => m,
        Err(e) if e.is_io() => return Err(io_err(io::Error::other(e))),
        Err(e) => {
            // The diagnosis wants the whole header; it is only worth reading when the JSON was
            // well formed (a `Data` error: an entry the format rejects).
            if e.classify() == serde_json::error::Category::Data {
                io::copy(&mut tee, &mut io::sink()).map_err(io_err)?;
            }
            return Err(format(&head, SafeTensorError::InvalidHeaderDeserialization(e)));
        }
    };
    if (metadata.data_len() as u64).checked_add(8 + n) != Some(file_len) {
        return Err(format(&head, SafeTensorError::MetadataIncompleteBuffer));
    }
    Ok((head, metadata))
}

/// A reader that keeps a copy of what it hands out.
struct Tee<'a, R> {
    inner: R,
    copy: &'a mut Vec<u8>,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

/// Loads the safetensors file at `path` into an existing store: every parameter must be in the
/// file with the store's shape and dtype, and the file must have no other tensor (except
/// PyTorch's `num_batches_tracked` beside a batch norm's running mean, which is skipped).
///
/// The header is read and validated first, from the file's first bytes (a file whose first
/// bytes are wrong is rejected after reading at most a few, whatever its size); the rest is
/// read only when the header describes the file exactly. Nothing is changed unless everything
/// matches; otherwise the error lists every tensor that disagrees
/// ([`CheckpointError::Mismatch`]). Frozen flags are kept.
pub fn load<T: Float>(params: &mut ParamStore<T>, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    let (mut file, len) = open(path)?;
    read_head(&mut file, len, path)?;
    // The header describes the file exactly: read it whole (its length was checked).
    let mut bytes = Vec::new();
    file.seek(io::SeekFrom::Start(0))
        .and_then(|_| file.take(len).read_to_end(&mut bytes))
        .map_err(|source| CheckpointError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
    load_bytes(params, &bytes, path)
}

/// [`load`] from the bytes of a file; `path` only names the source in errors.
pub fn load_bytes<T: Float>(
    params: &mut ParamStore<T>,
    bytes: &[u8],
    path: impl AsRef<Path>,
) -> Result<(), CheckpointError> {
    let path = path.as_ref();
    read_head(&mut &bytes[..], bytes.len() as u64, path)?;
    let st = SafeTensors::deserialize(bytes).map_err(|source| CheckpointError::Format {
        path: path.to_path_buf(),
        detail: String::new(),
        source,
    })?;
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
        .filter(|(n, _)| params.id(n).is_none() && !batches_tracked(params, n))
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

/// Whether `name` is PyTorch's `{prefix}.num_batches_tracked` counter of a batch norm whose
/// running mean the store has: PyTorch writes it in every `state_dict`, chainrule does not keep
/// it (it only matters when PyTorch's `momentum` is `None`), so it is skipped on loading.
fn batches_tracked<T: Float>(params: &ParamStore<T>, name: &str) -> bool {
    name.strip_suffix("num_batches_tracked")
        .is_some_and(|prefix| params.id(&format!("{prefix}running_mean")).is_some())
}

/// Reads a checkpoint's header: its metadata and the name, dtype and shape of every tensor.
/// Only the header is read (at most 8 bytes more than its declared length, and nothing past
/// bad first bytes); it is validated against the file's length, so a truncated or extended file
/// is an error, but the tensors' bytes are not read.
pub fn read_header(path: impl AsRef<Path>) -> Result<Header, CheckpointError> {
    let path = path.as_ref();
    let (mut file, len) = open(path)?;
    let (_, meta) = read_head(&mut file, len, path)?;
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

/// Reads a checkpoint's string metadata (empty if it has none), as [`read_header`] does.
pub fn read_metadata(path: impl AsRef<Path>) -> Result<Metadata, CheckpointError> {
    read_header(path).map(|h| h.metadata)
}
