//! Header diagnostics: where a safetensors file the parser rejected goes wrong, naming the
//! tensor to blame, and the escaping of names read from a file for one-line messages.

use safetensors::tensor::TensorInfo;

/// `s` with control characters escaped (`\n`, `\u{1b}`): names read from a file go into
/// one-line messages, and must neither break them nor drive the terminal.
pub(crate) fn printable(s: &str) -> String {
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

/// Says which part of a file the safetensors parser rejected, naming the tensor where one is
/// to blame: an entry whose dtype, shape and offsets disagree, data that runs past the end of
/// a truncated file, a gap between tensors, bytes after the last one. `head` is the file's
/// first bytes (the length field and as much of the header as was read), `file_len` the whole
/// file's length. Only called on files already known to be invalid; `None` if nothing more
/// specific can be said.
pub(super) fn diagnose(head: &[u8], file_len: u64) -> Option<String> {
    let n = u64::from_le_bytes(head.get(..8)?.try_into().ok()?);
    let have = file_len.checked_sub(8)?;
    if n > have {
        return Some(format!(
            "the header length field says {n} bytes but only {have} follow it (truncated, or not a safetensors file)"
        ));
    }
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(head.get(8..8 + n as usize)?).ok()?;
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
