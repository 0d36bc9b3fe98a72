//! Fuzzing the IDX reader (issue 6): random and mutated bytes into `nn::data::parse_idx`,
//! `Dataset::from_idx`, `Dataset::from_idx_with_classes` and `Dataset::from_idx_dir`. Every
//! case must end in a value or an error naming the file, never a panic, and no case may make
//! an allocation larger than a small multiple of its input (a header declaring a huge array
//! must be rejected before anything is allocated for it). A dataset that loads is then used
//! (batches, split, select, class counts) to show an `Ok` is really usable.
//!
//! Mutations start from valid files: small generated pairs (so that many mutants still load)
//! and the embedded digits. They flip bits, truncate, extend, insert and delete bytes, and
//! rewrite the header's fields (type, rank, dimensions up to `u32::MAX`).
//!
//! 256 cases per property by default; `CHAINRULE_FUZZ_CASES=100000` for the long run (see
//! `docs/reliability.md`). `tests/data.rs` has the first, smaller IDX properties.

use nn::data::{digits, parse_idx, DataError, Dataset};
use proptest::prelude::*;

mod common;
use common::{count_loaded, fuzz, largest_allocation, scratch_dir};

#[global_allocator]
static ALLOCATOR: common::LargestAllocation = common::LargestAllocation;

/// An IDX file of unsigned bytes.
fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        b.extend(d.to_be_bytes());
    }
    b.extend_from_slice(data);
    b
}

/// A valid image/label pair: `n` images of `dims` (0 to 5 each), labels below 12.
fn valid_pair() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    (0..6u32, proptest::collection::vec(0..6u32, 1..4)).prop_flat_map(|(n, dims)| {
        let count = n as usize * dims.iter().map(|&d| d as usize).product::<usize>();
        (
            proptest::collection::vec(any::<u8>(), count),
            proptest::collection::vec(0..12u8, n as usize),
        )
            .prop_map(move |(pixels, labels)| {
                let mut image_dims = vec![n];
                image_dims.extend(&dims);
                (idx(&image_dims, &pixels), idx(&[n], &labels))
            })
    })
}

#[derive(Clone, Debug)]
enum Mutation {
    /// XOR the byte at this (wrapped) position with a non-zero mask.
    Flip(usize, u8),
    /// Keep this many (wrapped) bytes.
    Truncate(usize),
    /// Append bytes.
    Extend(Vec<u8>),
    /// Insert bytes at a (wrapped) position.
    Insert(usize, Vec<u8>),
    /// Delete up to this many bytes at a (wrapped) position.
    Delete(usize, usize),
    /// Set the type code (offset 2).
    Type(u8),
    /// Set the rank (offset 3).
    Rank(u8),
    /// Set the big-endian dimension in this slot (if the file is long enough).
    Dim(usize, u32),
    /// Set every dimension word to this value.
    AllDims(u32),
}

/// Dimensions a header may claim: small, exact, off by one, and huge.
fn dim_value() -> impl Strategy<Value = u32> {
    prop_oneof![
        0..10u32,
        Just(297),
        Just(1500),
        Just(65_536),
        Just(1 << 24),
        Just(u32::MAX),
        Just(u32::MAX - 1),
        any::<u32>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, m)| Mutation::Flip(i, m)),
        any::<usize>().prop_map(Mutation::Truncate),
        proptest::collection::vec(any::<u8>(), 1..20).prop_map(Mutation::Extend),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1..16usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        prop_oneof![Just(8u8), Just(9), Just(0x0d), any::<u8>()].prop_map(Mutation::Type),
        prop_oneof![0..6u8, Just(255), any::<u8>()].prop_map(Mutation::Rank),
        (0..5usize, dim_value()).prop_map(|(s, d)| Mutation::Dim(s, d)),
        dim_value().prop_map(Mutation::AllDims),
    ]
}

fn apply(b: &mut Vec<u8>, m: &Mutation) {
    match *m {
        Mutation::Flip(i, mask) => {
            if !b.is_empty() {
                let i = i % b.len();
                b[i] ^= mask;
            }
        }
        Mutation::Truncate(n) => b.truncate(n % (b.len() + 1)),
        Mutation::Extend(ref extra) => b.extend(extra),
        Mutation::Insert(i, ref bytes) => {
            let i = i % (b.len() + 1);
            b.splice(i..i, bytes.iter().copied());
        }
        Mutation::Delete(i, n) => {
            if !b.is_empty() {
                let i = i % b.len();
                let end = (i + n).min(b.len());
                b.drain(i..end);
            }
        }
        Mutation::Type(t) => {
            if b.len() > 2 {
                b[2] = t;
            }
        }
        Mutation::Rank(r) => {
            if b.len() > 3 {
                b[3] = r;
            }
        }
        Mutation::Dim(slot, d) => {
            let at = 4 + 4 * slot;
            if at + 4 <= b.len() {
                b[at..at + 4].copy_from_slice(&d.to_be_bytes());
            }
        }
        Mutation::AllDims(d) => {
            let rank = b.get(3).copied().unwrap_or(0) as usize;
            for slot in 0..rank {
                let at = 4 + 4 * slot;
                if at + 4 <= b.len() {
                    b[at..at + 4].copy_from_slice(&d.to_be_bytes());
                }
            }
        }
    }
}

/// Scales, including ones that must be refused.
fn pixel_max() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => Just(16.0),
        2 => Just(255.0),
        1 => Just(1.0),
        1 => Just(1e-300),
        1 => Just(f64::MAX),
        1 => Just(0.0),
        1 => Just(-1.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
    ]
}

/// What a successful parse promises, and that an error names its file.
fn check_parse(bytes: &[u8], file: &str) -> Result<(), TestCaseError> {
    match parse_idx(bytes, file) {
        Ok(i) => {
            prop_assert!(!i.dims.is_empty());
            prop_assert_eq!(i.dims.iter().product::<usize>(), i.data.len());
            prop_assert_eq!(bytes.len(), 4 + 4 * i.dims.len() + i.data.len());
            prop_assert_eq!(&bytes[bytes.len() - i.data.len()..], &i.data[..]);
        }
        Err(e) => {
            prop_assert!(matches!(e, DataError::Malformed { .. }), "{:?}", e);
            let msg = e.to_string();
            prop_assert!(msg.starts_with(&format!("{file}: ")), "{}", msg);
            prop_assert!(!msg.contains('\n'), "{}", msg);
        }
    }
    Ok(())
}

/// Uses a dataset that loaded: its shape, every label in range, batches covering every
/// example once, a split, a selection.
fn use_dataset(d: &Dataset<f32>, seed: u64) -> Result<(), TestCaseError> {
    prop_assert_eq!(d.x.shape(), &[d.len(), d.features()][..]);
    prop_assert!(d.labels.iter().all(|&l| l < d.classes));
    prop_assert!(d.x.as_slice().iter().all(|v| v.is_finite() && *v >= 0.0));
    prop_assert_eq!(d.class_counts().iter().sum::<usize>(), d.len());
    let size = 1 + (seed % 4) as usize;
    let seen: usize = d.batches(size, Some(seed)).map(|b| b.len()).sum();
    prop_assert_eq!(seen, d.len());
    let (a, b) = d.split(0.3, seed);
    prop_assert_eq!(a.len() + b.len(), d.len());
    if !d.is_empty() {
        let picked = d.select(&[d.len() - 1, 0]);
        prop_assert_eq!(picked.len(), 2);
    }
    Ok(())
}

/// Loads a pair every way; no allocation may exceed a small multiple of the input.
fn load_pair(images: &[u8], labels: &[u8], pixel_max: f64, seed: u64) -> Result<(), TestCaseError> {
    let input = images.len() + labels.len();
    let (r, largest) = largest_allocation(|| -> Result<(), TestCaseError> {
        check_parse(images, "images")?;
        check_parse(labels, "labels")?;
        match Dataset::<f32>::from_idx(images, labels, pixel_max, "fuzz") {
            Ok(d) => {
                prop_assert!(
                    pixel_max.is_finite() && pixel_max > 0.0 && (255.0 / pixel_max) < f32::MAX as f64
                );
                count_loaded();
                use_dataset(&d, seed)?;
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(
                    msg.starts_with("fuzz ") || msg.contains("fuzz images") || msg.contains("fuzz labels"),
                    "{}",
                    msg
                );
                prop_assert!(!msg.contains('\n'), "{}", msg);
            }
        }
        for classes in [1, 10, 256] {
            if let Ok(d) = Dataset::<f64>::from_idx_with_classes(images, labels, pixel_max, classes, "fuzz") {
                prop_assert_eq!(d.classes, classes);
                prop_assert!(d.labels.iter().all(|&l| l < classes));
            }
        }
        Ok(())
    });
    r?;
    // Each input byte can become a usize label (8 bytes) or an f64 pixel (8 bytes); the
    // rest is small bookkeeping and messages.
    prop_assert!(
        largest <= 8 * input + (64 << 10),
        "an allocation of {} bytes for {} input bytes",
        largest,
        input
    );
    Ok(())
}

#[test]
fn fuzz_random_bytes() {
    let bytes = || proptest::collection::vec(any::<u8>(), 0..96);
    // Random bytes, and random bytes behind a valid magic number and a plausible rank.
    let strategy = (bytes(), bytes(), 0..4u8, any::<bool>(), pixel_max(), any::<u64>());
    fuzz(
        "random bytes",
        "loaded a dataset",
        strategy,
        |(mut a, mut b, rank, magic, pm, seed)| {
            if magic {
                a.splice(0..0, [0, 0, 8, rank + 1]);
                b.splice(0..0, [0, 0, 8, 1]);
            }
            load_pair(&a, &b, pm, seed)
        },
    );
}

#[test]
fn fuzz_mutated_small_files() {
    let strategy = (
        valid_pair(),
        proptest::collection::vec(mutation(), 0..4),
        proptest::collection::vec(mutation(), 0..3),
        pixel_max(),
        any::<u64>(),
        proptest::bool::weighted(0.125),
    );
    fuzz(
        "mutated small files",
        "loaded a dataset",
        strategy,
        |((mut images, mut labels), im, lm, pm, seed, swap)| {
            for m in &im {
                apply(&mut images, m);
            }
            for m in &lm {
                apply(&mut labels, m);
            }
            if swap {
                std::mem::swap(&mut images, &mut labels);
            }
            load_pair(&images, &labels, pm, seed)
        },
    );
}

#[test]
fn fuzz_mutated_digits() {
    let strategy = (
        prop_oneof![4 => Just(false), 1 => Just(true)],
        proptest::collection::vec(mutation(), 1..4),
        proptest::collection::vec(mutation(), 0..3),
        any::<u64>(),
    );
    fuzz(
        "mutated digits",
        "loaded a dataset",
        strategy,
        |(train, im, lm, seed)| {
            let (images, labels) = if train {
                (digits::TRAIN_IMAGES, digits::TRAIN_LABELS)
            } else {
                (digits::TEST_IMAGES, digits::TEST_LABELS)
            };
            let (mut images, mut labels) = (images.to_vec(), labels.to_vec());
            for m in &im {
                apply(&mut images, m);
            }
            for m in &lm {
                apply(&mut labels, m);
            }
            load_pair(&images, &labels, digits::PIXEL_MAX, seed)
        },
    );
}

#[test]
fn fuzz_mutated_files_in_a_directory() {
    // The same through the file system: `from_idx_dir` reads `{prefix}-images-idx3-ubyte` and
    // `{prefix}-labels-idx1-ubyte`, and its errors name the file's path. Some cases leave a
    // file out or put a directory in its place.
    let dir = scratch_dir();
    let root = dir.path().to_path_buf();
    let strategy = (
        valid_pair(),
        proptest::collection::vec(mutation(), 0..3),
        proptest::collection::vec(mutation(), 0..2),
        0..8u8,
    );
    fuzz(
        "mutated files in a directory",
        "loaded a dataset",
        strategy,
        |((mut images, mut labels), im, lm, what)| {
            for m in &im {
                apply(&mut images, m);
            }
            for m in &lm {
                apply(&mut labels, m);
            }
            let images_path = root.join("t10k-images-idx3-ubyte");
            let labels_path = root.join("t10k-labels-idx1-ubyte");
            for p in [&images_path, &labels_path] {
                let _ = std::fs::remove_file(p);
                let _ = std::fs::remove_dir(p);
            }
            match what {
                0 => std::fs::write(&labels_path, &labels).unwrap(),
                1 => {
                    std::fs::write(&images_path, &images).unwrap();
                    std::fs::create_dir(&labels_path).unwrap();
                }
                _ => {
                    std::fs::write(&images_path, &images).unwrap();
                    std::fs::write(&labels_path, &labels).unwrap();
                }
            }
            match Dataset::<f32>::from_idx_dir(&root, "t10k", 255.0) {
                Ok(d) => {
                    count_loaded();
                    use_dataset(&d, 7)?
                }
                Err(e) => {
                    let msg = e.to_string();
                    let named = msg.contains(&images_path.display().to_string())
                        || msg.contains(&labels_path.display().to_string());
                    prop_assert!(named, "the error names neither file: {}", msg);
                    if what < 2 {
                        prop_assert!(matches!(e, DataError::Io { .. }), "{:?}", e);
                    }
                }
            }
            Ok(())
        },
    );
}

#[test]
fn a_pixel_scale_that_overflows_the_element_type_is_refused() {
    // Found by this suite: 1e-300 is finite and positive, but pixel 255 / 1e-300 is inf in
    // f32 (and f64 overflows below about 1.4e-306).
    let images = idx(&[1, 1, 1], &[255]);
    let labels = idx(&[1], &[0]);
    let err = Dataset::<f32>::from_idx(&images, &labels, 1e-300, "tiny").unwrap_err();
    assert!(err.to_string().contains("pixel_max 1e-300 is too small"), "{err}");
    assert!(Dataset::<f64>::from_idx(&images, &labels, 1e-300, "tiny").is_ok());
    assert!(Dataset::<f64>::from_idx(&images, &labels, 1e-307, "tiny").is_err());
    assert!(Dataset::<f32>::from_idx(&images, &labels, 1e-35, "tiny").is_ok());
}

#[cfg(unix)]
#[test]
fn fuzz_huge_sparse_files() {
    // IDX files of 4 GiB and more (sparse) whose first bytes are random, a valid header of
    // random dimensions (never exactly the file's size), or a valid header with a byte
    // flipped: `read_idx` and `from_idx_dir` must reject them from the header, allocating no
    // more than 64 KiB at once (reading the file would take gigabytes).
    let dir = scratch_dir();
    let root = dir.path().to_path_buf();
    let images = root.join("train-images-idx3-ubyte");
    std::fs::write(root.join("train-labels-idx1-ubyte"), idx(&[3], &[0, 1, 2])).unwrap();
    let strategy = (
        0..3u8,
        proptest::collection::vec(any::<u32>(), 1..5),
        proptest::collection::vec(any::<u8>(), 0..32),
        any::<usize>(),
        0u64..(1 << 20),
    );
    fuzz(
        "huge sparse files",
        "loaded a dataset",
        strategy,
        |(how, dims, random, at, extra)| {
            let mut len = (1u64 << 32) + extra;
            let valid = idx(&dims, &[]);
            let head = match how {
                0 => random,
                1 => valid.clone(),
                _ => {
                    let mut h = valid.clone();
                    let i = at % h.len();
                    h[i] ^= 1 << (at % 8);
                    h
                }
            };
            // Never a file the header describes exactly (that one would be read, by design).
            let count = dims.iter().try_fold(1u64, |a, &d| a.checked_mul(u64::from(d)));
            if count == Some(len - valid.len() as u64) {
                len += 1;
            }
            let f = std::fs::File::create(&images).unwrap();
            f.set_len(len).unwrap();
            std::os::unix::fs::FileExt::write_all_at(&f, &head, 0).unwrap();
            drop(f);
            let (read, largest) = largest_allocation(|| nn::data::read_idx(&images, "huge"));
            prop_assert!(read.is_err(), "a 4 GiB file read as valid");
            prop_assert!(largest <= 64 << 10, "read_idx allocated {} bytes", largest);
            let (set, largest) = largest_allocation(|| Dataset::<f32>::from_idx_dir(&root, "train", 255.0));
            let err = set.expect_err("the header was rejected").to_string();
            prop_assert!(largest <= 64 << 10, "from_idx_dir allocated {} bytes", largest);
            prop_assert!(err.contains(&images.display().to_string()), "{}", err);
            Ok(())
        },
    );
}
