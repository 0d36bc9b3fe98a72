//! Fuzzing the safetensors loader (issue 6): random and mutated bytes into
//! `nn::checkpoint::load_bytes` (f32 and f64 stores, matching and not), `read_header` and
//! `read_metadata` (through a file), and `MlpSpec::from_metadata` on whatever metadata was read.
//!
//! Every case must end in a value or an error that names the file on one line, never a panic;
//! a failed load leaves the store unchanged; a successful load holds exactly the file's bytes
//! (checked against the `safetensors` crate's own reader); and no allocation may exceed a
//! small multiple of the input (a header declaring huge shapes or a huge header length must
//! not allocate).
//!
//! Mutations start from valid checkpoints written by `checkpoint::to_bytes` and edit the bytes
//! (flip, truncate, extend, the 8-byte header length) or the JSON header's text (numbers in
//! shapes and offsets set to 0, off by one, 2^32, 2^64 - 1, 2^64, negative or fractional;
//! dtypes swapped for others or for nonsense; names duplicated; extra entries; punctuation
//! inserted or deleted), with the header length fixed up or not.
//!
//! 256 cases per property by default; `CHAINRULE_FUZZ_CASES=100000` for the long run (see
//! `docs/reliability.md`). `tests/suite/checkpoint.rs` has the fixed corruption cases.

use autograd::{Float, Tensor};
use nn::checkpoint::{self, CheckpointError, Metadata, MlpSpec};
use nn::ParamStore;
use proptest::prelude::*;
use std::path::Path;

mod common;
use common::{count_loaded, fuzz, largest_allocation, scratch_dir};

#[global_allocator]
static ALLOCATOR: common::LargestAllocation = common::LargestAllocation;

/// The stores the base files are written from: a matrix, a vector and a scalar; an MLP with
/// its spec in the metadata; empty tensors.
fn base_store<T: Float>(which: usize) -> (ParamStore<T>, Metadata) {
    let mut ps = ParamStore::<T>::new();
    let v = |n: usize, k: f64| -> Vec<T> { (0..n).map(|i| T::from_f64((i as f64 - 2.5) * k)).collect() };
    let mut meta = Metadata::new();
    match which {
        0 => {
            ps.add("layers.0.weight", Tensor::from_vec(v(12, 0.5), &[3, 4]).unwrap())
                .unwrap();
            ps.add("layers.0.bias", Tensor::from_vec(v(3, 0.1), &[3]).unwrap())
                .unwrap();
            ps.add("scale", Tensor::scalar(T::from_f64(2.0))).unwrap();
        }
        1 => {
            let spec = MlpSpec::new(
                vec![4, 3, 2],
                vec![nn::Activation::Relu, nn::Activation::Identity],
            )
            .unwrap();
            meta = spec.to_metadata();
            meta.insert("note".into(), "fuzz \"base\" \u{e9}".into());
            ps.add("layers.0.weight", Tensor::from_vec(v(12, 0.25), &[3, 4]).unwrap())
                .unwrap();
            ps.add("layers.0.bias", Tensor::from_vec(v(3, 1.0), &[3]).unwrap())
                .unwrap();
            ps.add("layers.1.weight", Tensor::from_vec(v(6, -0.5), &[2, 3]).unwrap())
                .unwrap();
            ps.add("layers.1.bias", Tensor::from_vec(v(2, 2.0), &[2]).unwrap())
                .unwrap();
        }
        _ => {
            ps.add("empty", Tensor::zeros(&[0, 3])).unwrap();
            ps.add("also.empty", Tensor::zeros(&[2, 0, 5])).unwrap();
            ps.add("one", Tensor::scalar(T::from_f64(-1.0))).unwrap();
        }
    }
    (ps, meta)
}

/// The base file's bytes: `which` store, `f64` or `f32`.
fn base_bytes(which: usize, double: bool) -> Vec<u8> {
    if double {
        let (ps, meta) = base_store::<f64>(which);
        checkpoint::to_bytes(&ps, &meta).unwrap()
    } else {
        let (ps, meta) = base_store::<f32>(which);
        checkpoint::to_bytes(&ps, &meta).unwrap()
    }
}

#[derive(Clone, Debug)]
enum Edit {
    /// XOR a byte anywhere.
    Flip(usize, u8),
    /// Keep this many (wrapped) bytes.
    Truncate(usize),
    /// Append bytes.
    Extend(Vec<u8>),
    /// Set the 8-byte header length.
    Length(u64),
    /// Replace the k-th (wrapped) number of the header text.
    Number(usize, &'static str),
    /// Replace the k-th (wrapped) string of the header text (without its quotes).
    Text(usize, &'static str),
    /// Delete the header character at this (wrapped) position.
    Delete(usize),
    /// Insert a character into the header at this (wrapped) position.
    Insert(usize, char),
    /// Add a tensor entry at the start of the header.
    Entry(&'static str),
}

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "4",
    "8",
    "12",
    "47",
    "48",
    "49",
    "60",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "9223372036854775808",
    "-1",
    "1.5",
    "1e3",
    "1e400",
    "99999999999999999999999999999",
    "0x10",
    "null",
    "[]",
    "\"3\"",
];

const TEXTS: &[&str] = &[
    "F32",
    "F64",
    "F16",
    "BF16",
    "I8",
    "U8",
    "I64",
    "BOOL",
    "F8_E4M3",
    "F4",
    "C64",
    "f32",
    "",
    "scale",
    "layers.0.weight",
    "layers.0.bias",
    "__metadata__",
    "dtype",
    "shape",
    "data_offsets",
    "chainrule.sizes",
    "4,3,2",
    "4,100000,2",
    "0,0",
    "relu",
    "nonsense(",
    "\\u0000",
    "\u{1F600}",
];

const ENTRIES: &[&str] = &[
    r#""extra":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#,
    r#""extra":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]},"#,
    r#""extra":{"dtype":"F32","shape":[],"data_offsets":[18446744073709551615,0]},"#,
    r#""extra":{"dtype":"F64","shape":[0],"data_offsets":[0,0]},"#,
    r#""__metadata__":{"chainrule.sizes":5},"#,
    r#""__metadata__":{"a":"b"},"#,
    r#""x":{},"#,
    r#""x":[],"#,
];

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (any::<usize>(), 1..=255u8).prop_map(|(i, m)| Edit::Flip(i, m)),
        2 => any::<usize>().prop_map(Edit::Truncate),
        1 => proptest::collection::vec(any::<u8>(), 1..16).prop_map(Edit::Extend),
        2 => prop_oneof![
            Just(0u64),
            Just(7),
            Just(8),
            Just(u64::MAX),
            Just(u64::MAX - 7),
            Just(100_000_001),
            Just(1 << 32),
            any::<u64>(),
            0..400u64,
        ]
        .prop_map(Edit::Length),
        4 => (any::<usize>(), proptest::sample::select(NUMBERS)).prop_map(|(k, n)| Edit::Number(k, n)),
        3 => (any::<usize>(), proptest::sample::select(TEXTS)).prop_map(|(k, t)| Edit::Text(k, t)),
        1 => any::<usize>().prop_map(Edit::Delete),
        1 => (any::<usize>(), proptest::sample::select(vec!['{', '}', '[', ']', ',', ':', '"', '\\', ' ', '\0', 'é', '1']))
            .prop_map(|(i, c)| Edit::Insert(i, c)),
        1 => proptest::sample::select(ENTRIES).prop_map(Edit::Entry),
    ]
}

/// Byte ranges of the numbers (runs of digits) and of the strings (between quotes) of `text`.
/// A byte range `start..end`.
type Range = (usize, usize);

fn tokens(text: &str) -> (Vec<Range>, Vec<Range>) {
    let b = text.as_bytes();
    let (mut numbers, mut strings) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' {
            let start = i + 1;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            strings.push((start, i.min(b.len())));
            i += 1;
        } else if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            numbers.push((start, i));
        } else {
            i += 1;
        }
    }
    (numbers, strings)
}

/// Applies `e` to `bytes`; header edits keep the header length right if `fix`.
fn apply(bytes: &mut Vec<u8>, e: &Edit, fix: bool) {
    let header = || -> Option<(usize, String)> {
        let n = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
        let text = std::str::from_utf8(bytes.get(8..8usize.checked_add(n)?)?).ok()?;
        Some((n, text.to_string()))
    };
    let rebuild = |bytes: &mut Vec<u8>, n: usize, text: String| {
        let data = bytes[8 + n..].to_vec();
        let len = if fix { text.len() as u64 } else { n as u64 };
        bytes.clear();
        bytes.extend(len.to_le_bytes());
        bytes.extend(text.as_bytes());
        bytes.extend(data);
    };
    match *e {
        Edit::Flip(i, m) => {
            if !bytes.is_empty() {
                let i = i % bytes.len();
                bytes[i] ^= m;
            }
        }
        Edit::Truncate(n) => bytes.truncate(n % (bytes.len() + 1)),
        Edit::Extend(ref extra) => bytes.extend(extra),
        Edit::Length(n) => {
            if bytes.len() >= 8 {
                bytes[..8].copy_from_slice(&n.to_le_bytes());
            }
        }
        Edit::Number(k, new) => {
            if let Some((n, mut text)) = header() {
                let (numbers, _) = tokens(&text);
                if !numbers.is_empty() {
                    let (s, e) = numbers[k % numbers.len()];
                    text.replace_range(s..e, new);
                    rebuild(bytes, n, text);
                }
            }
        }
        Edit::Text(k, new) => {
            if let Some((n, mut text)) = header() {
                let (_, strings) = tokens(&text);
                if !strings.is_empty() {
                    let (s, e) = strings[k % strings.len()];
                    if text.is_char_boundary(s) && text.is_char_boundary(e) && e <= text.len() {
                        text.replace_range(s..e, new);
                        rebuild(bytes, n, text);
                    }
                }
            }
        }
        Edit::Delete(i) => {
            if let Some((n, mut text)) = header() {
                let chars: Vec<(usize, char)> = text.char_indices().collect();
                if !chars.is_empty() {
                    let (at, _) = chars[i % chars.len()];
                    text.remove(at);
                    rebuild(bytes, n, text);
                }
            }
        }
        Edit::Insert(i, c) => {
            if let Some((n, mut text)) = header() {
                let mut at = i % (text.len() + 1);
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                text.insert(at, c);
                rebuild(bytes, n, text);
            }
        }
        Edit::Entry(entry) => {
            if let Some((n, mut text)) = header()
                && text.starts_with('{')
            {
                text.insert_str(1, entry);
                rebuild(bytes, n, text);
            }
        }
    }
}

/// Loads `bytes` into the base store's shapes (in `T`), checks what a result promises.
fn check_load<T: Float>(which: usize, bytes: &[u8]) -> Result<bool, TestCaseError> {
    let (fresh, _) = base_store::<T>(which);
    let mut zeros = ParamStore::<T>::new();
    for (_, name, p) in fresh.iter() {
        zeros.add(name, Tensor::zeros(p.value().shape())).unwrap();
    }
    let mut ps = zeros.clone();
    match checkpoint::load_bytes(&mut ps, bytes, "fuzz.safetensors") {
        Ok(()) => {
            // Exactly the file's bytes, read independently.
            let st = safetensors::SafeTensors::deserialize(bytes).expect("loaded, so valid");
            for (_, name, p) in ps.iter() {
                let view = st.tensor(name).expect("loaded, so present");
                prop_assert_eq!(view.shape(), p.value().shape());
                let width = std::mem::size_of::<T>();
                for (i, x) in p.value().as_slice().iter().enumerate() {
                    let raw = &view.data()[i * width..(i + 1) * width];
                    let want = if width == 4 {
                        f32::from_le_bytes(raw.try_into().unwrap()) as f64
                    } else {
                        f64::from_le_bytes(raw.try_into().unwrap())
                    };
                    prop_assert!(x.as_f64().to_bits() == want.to_bits() || (x.is_nan() && want.is_nan()));
                }
            }
            prop_assert_eq!(st.len(), ps.len(), "no tensor beyond the store's");
            Ok(true)
        }
        Err(e) => {
            prop_assert_eq!(&ps, &zeros, "a failed load changed the store");
            let msg = e.to_string();
            prop_assert!(msg.starts_with("fuzz.safetensors "), "{}", msg);
            prop_assert!(!msg.contains('\n'), "{}", msg);
            if let CheckpointError::Mismatch { mismatches, .. } = &e {
                prop_assert!(!mismatches.is_empty());
                for m in mismatches {
                    // Names from the file are shown with control characters escaped.
                    let shown: String = m
                        .name()
                        .chars()
                        .map(|c| {
                            if c.is_control() {
                                c.escape_default().to_string()
                            } else {
                                c.to_string()
                            }
                        })
                        .collect();
                    prop_assert!(msg.contains(&shown), "{}", msg);
                }
            }
            Ok(false)
        }
    }
}

/// Every reader on `bytes`; no allocation beyond a small multiple of the input.
fn exercise(bytes: &[u8], file: &Path) -> Result<(), TestCaseError> {
    let (r, largest) = largest_allocation(|| -> Result<(), TestCaseError> {
        let mut loaded = false;
        for which in 0..3 {
            loaded |= check_load::<f32>(which, bytes)?;
            loaded |= check_load::<f64>(which, bytes)?;
        }
        if loaded {
            count_loaded();
        }
        std::fs::write(file, bytes).unwrap();
        match checkpoint::read_header(file) {
            Ok(h) => {
                prop_assert!(h.tensors.windows(2).all(|w| w[0].name < w[1].name));
                prop_assert_eq!(checkpoint::read_metadata(file).unwrap(), h.metadata.clone());
                if let Ok(spec) = MlpSpec::from_metadata(&h.metadata) {
                    prop_assert!(spec.sizes().len() >= 2 && !spec.sizes().contains(&0));
                    prop_assert_eq!(spec.activations().len() + 1, spec.sizes().len());
                    prop_assert_eq!(MlpSpec::from_metadata(&spec.to_metadata()).unwrap(), spec);
                }
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.starts_with(&file.display().to_string()), "{}", msg);
                prop_assert!(!msg.contains('\n'), "{}", msg);
                prop_assert!(checkpoint::read_metadata(file).is_err());
            }
        }
        Ok(())
    });
    r?;
    prop_assert!(
        largest <= 16 * bytes.len() + (64 << 10),
        "an allocation of {} bytes for a file of {} bytes",
        largest,
        bytes.len()
    );
    Ok(())
}

#[test]
fn fuzz_random_bytes() {
    let dir = scratch_dir();
    let file = dir.path().join("random.safetensors");
    // Random bytes; random bytes after a header length that fits the file; a random JSON-ish
    // header over random data.
    let strategy = (
        proptest::collection::vec(any::<u8>(), 0..200),
        0..3u8,
        proptest::collection::vec(proptest::sample::select(ENTRIES.to_vec()), 0..3),
    );
    fuzz(
        "random bytes",
        "still loaded",
        strategy,
        |(mut bytes, kind, entries)| {
            match kind {
                0 => {}
                1 => {
                    let n = (bytes.len() as u64).saturating_sub(8) / 2;
                    if bytes.len() >= 8 {
                        bytes[..8].copy_from_slice(&n.to_le_bytes());
                    }
                }
                _ => {
                    let header = format!("{{{}}}", entries.concat().trim_end_matches(','));
                    let mut b = (header.len() as u64).to_le_bytes().to_vec();
                    b.extend(header.as_bytes());
                    b.extend(&bytes[..bytes.len() % 9]);
                    bytes = b;
                }
            }
            exercise(&bytes, &file)
        },
    );
}

#[test]
fn fuzz_mutated_checkpoints() {
    let dir = scratch_dir();
    let file = dir.path().join("mutated.safetensors");
    let bases: Vec<Vec<u8>> = (0..6).map(|i| base_bytes(i / 2, i % 2 == 1)).collect();
    let strategy = (
        0..bases.len(),
        proptest::collection::vec(edit(), 1..4),
        proptest::bool::weighted(0.8),
    );
    fuzz(
        "mutated checkpoints",
        "still loaded",
        strategy,
        |(base, edits, fix)| {
            let mut bytes = bases[base].clone();
            for e in &edits {
                apply(&mut bytes, e, fix);
            }
            exercise(&bytes, &file)
        },
    );
}

#[test]
fn the_base_files_load() {
    // The unmutated files are valid: the mutants start from real checkpoints.
    let dir = tempfile::tempdir().unwrap();
    for i in 0..6 {
        let bytes = base_bytes(i / 2, i % 2 == 1);
        let (f32_ok, f64_ok) = (
            check_load::<f32>(i / 2, &bytes).unwrap(),
            check_load::<f64>(i / 2, &bytes).unwrap(),
        );
        assert_eq!((f32_ok, f64_ok), (i % 2 == 0, i % 2 == 1));
        exercise(&bytes, &dir.path().join("base.safetensors")).unwrap();
    }
}

/// A sparse file of `len` bytes that starts with `head` (no disk or memory for the rest).
fn sparse_file(path: &Path, head: &[u8], len: u64) {
    let f = std::fs::File::create(path).unwrap();
    f.set_len(len).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, head, 0).unwrap();
}

#[cfg(unix)]
#[test]
fn fuzz_huge_sparse_files() {
    // Files of 4 GiB and more whose first bytes are random, a valid header (describing far
    // less data than the file has), a valid header with a byte flipped, or any header length
    // followed by random bytes: `read_header` and `load` must reject them from their first
    // bytes, allocating no more than 64 KiB at once (reading the file would take gigabytes).
    let dir = scratch_dir();
    let path = dir.path().join("huge.safetensors");
    let bases: Vec<Vec<u8>> = (0..3)
        .flat_map(|w| [base_bytes(w, false), base_bytes(w, true)])
        .collect();
    let strategy = (
        0..bases.len(),
        0..4u8,
        any::<u64>(),
        proptest::collection::vec(any::<u8>(), 0..64),
        any::<usize>(),
        0u64..(1 << 20),
    );
    fuzz(
        "huge sparse files",
        "still loaded",
        strategy,
        |(b, how, n_field, random, at, extra)| {
            let base = &bases[b];
            let header_end = 8 + u64::from_le_bytes(base[..8].try_into().unwrap()) as usize;
            let head = match how {
                0 => random,
                1 => base[..header_end].to_vec(),
                2 => {
                    let mut h = base[..header_end].to_vec();
                    h[at % header_end] ^= 1 << (at % 8);
                    h
                }
                _ => [&n_field.to_le_bytes()[..], &random].concat(),
            };
            let len = (1u64 << 32) + extra;
            sparse_file(&path, &head, len);
            let (header, largest) = largest_allocation(|| checkpoint::read_header(&path));
            prop_assert!(header.is_err(), "a 4 GiB file read as valid: {:?}", header);
            prop_assert!(largest <= 64 << 10, "read_header allocated {} bytes", largest);
            let mut ps = base_store::<f32>(b / 2).0;
            let (loaded, largest) = largest_allocation(|| checkpoint::load(&mut ps, &path));
            let err = loaded.expect_err("the header was rejected").to_string();
            prop_assert!(largest <= 64 << 10, "load allocated {} bytes", largest);
            prop_assert!(err.starts_with(&path.display().to_string()), "{}", err);
            Ok(())
        },
    );
}
