//! The IDX format (MNIST's): parsed from bytes, or read from a file header first.

use super::DataError;
use std::path::Path;

/// A parsed IDX array of unsigned bytes: its dimensions and its elements, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Idx {
    /// The dimensions (`[n, rows, cols]` for images, `[n]` for labels).
    pub dims: Vec<usize>,
    /// The elements.
    pub data: Vec<u8>,
}

/// Parses an IDX file of unsigned bytes (type code 0x08), the format of MNIST. Checks the
/// magic number, the type, the rank, that the dimensions do not overflow, and that the size is
/// exactly header + data. `file` names the source in error messages.
///
/// Never panics, whatever the bytes: every problem is a [`DataError::Malformed`] naming `file`,
/// what is wrong and the byte offset. The declared dimensions are checked against the buffer
/// before anything is allocated for them, so a header that declares a huge array costs nothing.
///
/// ```
/// let bytes = [0, 0, 8, 1, 0, 0, 0, 2, 7, 3];
/// let idx = chainrule::nn::data::parse_idx(&bytes, "labels").unwrap();
/// assert_eq!((idx.dims, idx.data), (vec![2], vec![7, 3]));
/// let err = chainrule::nn::data::parse_idx(&bytes[..9], "labels").unwrap_err();
/// assert!(err.to_string().contains("truncated"));
/// ```
pub fn parse_idx(bytes: &[u8], file: &str) -> Result<Idx, DataError> {
    let (dims, header) = idx_header(bytes, bytes.len() as u64, file)?;
    Ok(Idx {
        dims,
        data: bytes[header..].to_vec(),
    })
}

/// Reads an IDX file as [`parse_idx`] parses one, with the same checks and messages, but the
/// header first: at most 4 + 4 x 255 bytes are read and checked against the file's length
/// before the data is read, so a file with bad first bytes, or a header that does not describe
/// the file's size, is rejected after reading at most about a kilobyte, whatever its size.
/// `file` names the source in error messages.
///
/// ```
/// let path = std::env::temp_dir().join(format!("chainrule-doc-idx-{}", std::process::id()));
/// std::fs::write(&path, [0, 0, 8, 1, 0, 0, 0, 2, 7, 3]).unwrap();
/// let idx = chainrule::nn::data::read_idx(&path, "labels").unwrap();
/// assert_eq!((idx.dims, idx.data), (vec![2], vec![7, 3]));
/// std::fs::write(&path, [1, 2, 3, 4]).unwrap();
/// let err = chainrule::nn::data::read_idx(&path, "labels").unwrap_err();
/// assert!(err.to_string().contains("bad magic number"));
/// # std::fs::remove_file(&path).unwrap();
/// ```
pub fn read_idx(path: &Path, file: &str) -> Result<Idx, DataError> {
    read_idx_from(open_idx(path)?, path, file)
}

/// Opens a file to read as IDX: it must be a regular file (a directory, a FIFO or a device is
/// a [`DataError::Io`] too, so nothing blocks or reads forever).
pub(super) fn open_idx(path: &Path) -> Result<std::fs::File, DataError> {
    let io = |source| DataError::Io {
        path: path.into(),
        source,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let meta = f.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "it is a directory",
        )));
    }
    if !meta.is_file() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    Ok(f)
}

/// [`read_idx`] from a file opened with [`open_idx`].
pub(super) fn read_idx_from(mut f: std::fs::File, path: &Path, file: &str) -> Result<Idx, DataError> {
    use std::io::Read;
    let io = |source| DataError::Io {
        path: path.into(),
        source,
    };
    let len = f.metadata().map_err(io)?.len();
    let mut head = Vec::new();
    Read::take(&mut f, 4).read_to_end(&mut head).map_err(io)?;
    if let [0, 0, 0x08, rank] = head[..] {
        Read::take(&mut f, 4 * u64::from(rank))
            .read_to_end(&mut head)
            .map_err(io)?;
    }
    let (dims, header) = idx_header(&head, len, file)?;
    // The header says how many bytes follow, and the file's length agrees.
    let count = (len - header as u64) as usize;
    let mut data = Vec::with_capacity(count);
    Read::take(&mut f, count as u64)
        .read_to_end(&mut data)
        .map_err(io)?;
    if data.len() != count {
        return Err(DataError::Malformed {
            file: file.to_string(),
            message: format!(
                "the file shrank while it was read: {} of {count} data bytes",
                data.len()
            ),
        });
    }
    Ok(Idx { dims, data })
}

/// Checks the header of an IDX file of `len` bytes whose first bytes are `head` (at least the
/// header, when the file is that long) and returns the dimensions and the header's length. The
/// data must be exactly the product of the dimensions.
fn idx_header(head: &[u8], len: u64, file: &str) -> Result<(Vec<usize>, usize), DataError> {
    let bad = |message: String| DataError::Malformed {
        file: file.to_string(),
        message,
    };
    let [z0, z1, ty, rank, ..] = *head else {
        return Err(bad(format!(
            "truncated header: {len} bytes, an IDX header needs at least 4 (magic number)"
        )));
    };
    if z0 != 0 || z1 != 0 {
        return Err(bad(format!(
            "bad magic number {z0:02x} {z1:02x} {ty:02x} {rank:02x} at offset 0: an IDX file starts with 00 00"
        )));
    }
    if ty != 0x08 {
        return Err(bad(format!(
            "element type 0x{ty:02x} at offset 2 is not supported: expected 0x08 (unsigned byte)"
        )));
    }
    let rank = usize::from(rank);
    if rank == 0 {
        return Err(bad("rank 0 at offset 3: expected at least one dimension".into()));
    }
    let header = 4 + 4 * rank;
    let Some(dims) = head.get(4..header).filter(|_| len >= header as u64) else {
        return Err(bad(format!(
            "truncated header: rank {rank} needs {header} bytes, the file has {len}"
        )));
    };
    let dims: Vec<usize> = dims
        .chunks_exact(4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
        .collect();
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| {
            bad(format!(
                "dimensions {dims:?} at offset 4 overflow: their product does not fit in usize"
            ))
        })?;
    let have = len - header as u64;
    if have < count as u64 {
        return Err(bad(format!(
            "truncated data: dimensions {dims:?} need {count} data bytes after the {header}-byte header, \
             found {have}"
        )));
    }
    if have > count as u64 {
        return Err(bad(format!(
            "{} trailing bytes at offset {}, after the {count} data bytes that dimensions {dims:?} describe",
            have - count as u64,
            header + count
        )));
    }
    Ok((dims, header))
}
