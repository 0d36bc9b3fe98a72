//! Tests of `nn::data`: the embedded digits against every check figure in
//! `crates/nn/data/digits/README.md` (and the SHA-256 values listed there), the IDX reader on
//! malformed input (errors with clear messages, never a panic, never a huge allocation),
//! `from_idx_dir`, seeded batching and splitting, and the synthetic problems.

use autograd::Tensor;
use nn::data::{self, digits, parse_idx, DataError, Dataset};
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::PathBuf;

mod common;
use common::largest_allocation;

#[global_allocator]
static ALLOCATOR: common::LargestAllocation = common::LargestAllocation;

// ---------------------------------------------------------------------------------------------
// The digits: every figure of the README's "Facts to check a loader against" table.

/// One column of the README's table.
struct Facts {
    n: usize,
    counts: [usize; 10],
    label_sum: usize,
    pixel_sum: u64,
    nonzero: usize,
    sixteens: usize,
    first_label: usize,
    first_pixel_sum: u64,
    first_labels: [usize; 10],
    first_image: [[u8; 8]; 8],
}

const TRAIN: Facts = Facts {
    n: 1500,
    counts: [149, 152, 148, 153, 151, 152, 151, 149, 145, 150],
    label_sum: 6730,
    pixel_sum: 469_355,
    nonzero: 49_077,
    sixteens: 8_746,
    first_label: 7,
    first_pixel_sum: 292,
    first_labels: [7, 6, 8, 4, 9, 5, 4, 4, 2, 0],
    first_image: [
        [0, 0, 5, 9, 13, 16, 6, 0],
        [0, 0, 12, 12, 7, 16, 5, 0],
        [0, 0, 0, 0, 6, 16, 3, 0],
        [0, 0, 3, 12, 15, 16, 14, 0],
        [0, 0, 7, 16, 15, 5, 1, 0],
        [0, 0, 0, 10, 10, 0, 0, 0],
        [0, 0, 2, 15, 5, 0, 0, 0],
        [0, 0, 6, 14, 0, 0, 0, 0],
    ],
};

const TEST: Facts = Facts {
    n: 297,
    counts: [29, 30, 29, 30, 30, 30, 30, 30, 29, 30],
    label_sum: 1340,
    pixel_sum: 92_363,
    nonzero: 9_659,
    sixteens: 1_710,
    first_label: 6,
    first_pixel_sum: 269,
    first_labels: [6, 4, 0, 8, 5, 1, 4, 4, 7, 7],
    first_image: [
        [0, 0, 6, 15, 4, 0, 0, 0],
        [0, 1, 14, 7, 0, 0, 0, 0],
        [0, 4, 15, 1, 0, 0, 0, 0],
        [0, 5, 11, 0, 2, 1, 0, 0],
        [0, 4, 13, 12, 16, 13, 3, 0],
        [0, 1, 16, 2, 1, 8, 10, 0],
        [0, 0, 12, 4, 0, 11, 12, 0],
        [0, 0, 4, 13, 12, 14, 2, 0],
    ],
};

/// The pixel bytes back from the f32 inputs: `x * 16` must be an integer in 0..=16 exactly
/// (pixel / 16 is exact in binary floating point, so nothing may be lost on the way).
fn pixel_bytes(d: &Dataset<f32>) -> Vec<u8> {
    d.x.as_slice()
        .iter()
        .map(|&v| {
            let p = v * 16.0;
            assert!(
                p == p.trunc() && (0.0..=16.0).contains(&p),
                "input {v} is not a pixel / 16"
            );
            p as u8
        })
        .collect()
}

fn check_facts(d: &Dataset<f32>, facts: &Facts) {
    assert_eq!(d.len(), facts.n, "N");
    assert_eq!(
        d.x.shape(),
        &[facts.n, 64],
        "one row of 8 x 8 = 64 inputs per image"
    );
    assert_eq!(d.features(), 64);
    assert_eq!(d.classes, 10);
    assert_eq!(d.class_counts(), facts.counts, "count per class 0..9");
    assert_eq!(
        d.labels.iter().sum::<usize>(),
        facts.label_sum,
        "sum of all label bytes"
    );
    let px = pixel_bytes(d);
    assert_eq!(px.len(), facts.n * 64);
    assert_eq!(
        px.iter().map(|&p| u64::from(p)).sum::<u64>(),
        facts.pixel_sum,
        "sum of all pixel bytes"
    );
    assert_eq!(px.iter().min(), Some(&0), "min pixel");
    assert_eq!(px.iter().max(), Some(&16), "max pixel");
    assert_eq!(
        px.iter().filter(|&&p| p != 0).count(),
        facts.nonzero,
        "non-zero pixels"
    );
    assert_eq!(
        px.iter().filter(|&&p| p == 16).count(),
        facts.sixteens,
        "pixels equal to 16"
    );
    assert_eq!(d.labels[0], facts.first_label, "first image: label");
    assert_eq!(
        px[..64].iter().map(|&p| u64::from(p)).sum::<u64>(),
        facts.first_pixel_sum,
        "first image: pixel sum"
    );
    assert_eq!(d.labels[..10], facts.first_labels, "first 10 labels");
    let first: Vec<u8> = facts.first_image.iter().flatten().copied().collect();
    assert_eq!(px[..64], first[..], "first image, row-major from the top row");
    // And the values as inputs: pixel / 16, in [0, 1].
    let want: Vec<f32> = first.iter().map(|&p| f32::from(p) / 16.0).collect();
    assert_eq!(d.x.as_slice()[..64], want[..]);
}

#[test]
fn digits_train_matches_every_check_figure() {
    check_facts(&digits::train::<f32>().unwrap(), &TRAIN);
}

#[test]
fn digits_test_matches_every_check_figure() {
    check_facts(&digits::test::<f32>().unwrap(), &TEST);
}

#[test]
fn digits_f64_equal_the_f32_values() {
    for (a, b) in [
        (digits::train::<f32>().unwrap(), digits::train::<f64>().unwrap()),
        (digits::test::<f32>().unwrap(), digits::test::<f64>().unwrap()),
    ] {
        assert_eq!(a.labels, b.labels);
        assert!(a
            .x
            .as_slice()
            .iter()
            .zip(b.x.as_slice())
            .all(|(&x, &y)| f64::from(x) == y));
    }
}

#[test]
fn digits_files_have_the_documented_sizes_and_headers() {
    let h = |b: &[u8], n: usize| b[..n].to_vec();
    assert_eq!(digits::TRAIN_IMAGES.len(), 96_016);
    assert_eq!(digits::TRAIN_LABELS.len(), 1_508);
    assert_eq!(digits::TEST_IMAGES.len(), 19_024);
    assert_eq!(digits::TEST_LABELS.len(), 305);
    assert_eq!(
        h(digits::TRAIN_IMAGES, 16),
        [0, 0, 8, 3, 0, 0, 0x05, 0xdc, 0, 0, 0, 8, 0, 0, 0, 8]
    );
    assert_eq!(h(digits::TRAIN_LABELS, 8), [0, 0, 8, 1, 0, 0, 0x05, 0xdc]);
    assert_eq!(
        h(digits::TEST_IMAGES, 16),
        [0, 0, 8, 3, 0, 0, 0x01, 0x29, 0, 0, 0, 8, 0, 0, 0, 8]
    );
    assert_eq!(h(digits::TEST_LABELS, 8), [0, 0, 8, 1, 0, 0, 0x01, 0x29]);
    assert_eq!(digits::PIXEL_MAX, 16.0);
    let img = parse_idx(digits::TRAIN_IMAGES, "train images").unwrap();
    assert_eq!(img.dims, [1500, 8, 8]);
    assert_eq!(img.data[..], digits::TRAIN_IMAGES[16..]);
    let lab = parse_idx(digits::TEST_LABELS, "test labels").unwrap();
    assert_eq!(lab.dims, [297]);
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn embedded_bytes_have_the_readme_sha256() {
    let cases = [
        (
            "6e5e54e17a177e275f6b677f1d2c5178c2e3ed01ad6b76949e9e90dbe32b18ab",
            digits::TRAIN_IMAGES,
        ),
        (
            "41f0766cfb7bd24e18e4db2b7e57cf08013522a94a7bf075e54771d6cc443ea7",
            digits::TRAIN_LABELS,
        ),
        (
            "7312a89cea19ad8890294d93b40a5f8b929751d77b89efb7b1f4bc425cea9a15",
            digits::TEST_IMAGES,
        ),
        (
            "e51932c1928d826b9dc2280a4bb855e93eb6d0c1b421117f2fc496b3df9fcbc4",
            digits::TEST_LABELS,
        ),
    ];
    for (want, bytes) in cases {
        assert_eq!(sha256_hex(bytes), want);
    }
    // The hash itself, on FIPS 180-2's "abc" example.
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn readme_lists_the_same_sha256_as_the_test() {
    // The README beside the files is the source of the figures above; keep the two in step.
    let readme = include_str!("../data/digits/README.md");
    for (file, bytes) in [
        ("train-images-idx3-ubyte", digits::TRAIN_IMAGES),
        ("train-labels-idx1-ubyte", digits::TRAIN_LABELS),
        ("t10k-images-idx3-ubyte", digits::TEST_IMAGES),
        ("t10k-labels-idx1-ubyte", digits::TEST_LABELS),
    ] {
        let line = format!("{}  {file}", sha256_hex(bytes));
        assert!(readme.contains(&line), "README.md lacks the line `{line}`");
    }
}

// ---------------------------------------------------------------------------------------------
// Malformed IDX: each case is an error with a message that says what is wrong.

/// An IDX header of unsigned bytes with the given dimensions, followed by `data`.
fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(data);
    v
}

/// The error message of a malformed buffer, checking it names the file.
fn malformed(bytes: &[u8]) -> String {
    match parse_idx(bytes, "the-file") {
        Err(e @ DataError::Malformed { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with("the-file: "),
                "message does not name the file: {msg}"
            );
            msg
        }
        other => panic!("expected a Malformed error, got {other:?}"),
    }
}

fn assert_contains(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} does not contain {p:?}");
    }
}

#[test]
fn well_formed_small_files_parse() {
    assert_eq!(
        parse_idx(&idx(&[2, 3], &[1, 2, 3, 4, 5, 6]), "f").unwrap().dims,
        [2, 3]
    );
    let empty = parse_idx(&idx(&[0, 8, 8], &[]), "f").unwrap();
    assert_eq!((empty.dims, empty.data), (vec![0, 8, 8], vec![]));
    let d = Dataset::<f32>::from_idx(&idx(&[0, 8, 8], &[]), &idx(&[0], &[]), 16.0, "empty").unwrap();
    assert!(d.is_empty());
    assert_eq!((d.x.shape(), d.classes), (&[0, 64][..], 10));
}

#[test]
fn wrong_magic_is_an_error() {
    let msg = malformed(&[0x12, 0x34, 8, 1, 0, 0, 0, 0]);
    assert_contains(&msg, &["bad magic number", "12 34 08 01", "offset 0"]);
    // A gzip file (the usual MNIST download) is a wrong magic too.
    assert_contains(&malformed(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), &["bad magic number"]);
    let mut bytes = digits::TEST_LABELS.to_vec();
    bytes[1] = 1;
    assert_contains(&malformed(&bytes), &["bad magic number"]);
}

#[test]
fn unsupported_type_code_is_an_error() {
    for ty in [0x09u8, 0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0xff] {
        let msg = malformed(&[0, 0, ty, 1, 0, 0, 0, 0]);
        assert_contains(
            &msg,
            &[&format!("element type 0x{ty:02x}"), "not supported", "0x08"],
        );
    }
}

#[test]
fn rank_zero_is_an_error() {
    assert_contains(&malformed(&[0, 0, 8, 0]), &["rank 0"]);
    assert_contains(&malformed(&[0, 0, 8, 0, 1, 2, 3]), &["rank 0"]);
}

#[test]
fn truncated_header_is_an_error() {
    for len in 0..4 {
        assert_contains(
            &malformed(&[0, 0, 8, 3][..len]),
            &["truncated header", "at least 4"],
        );
    }
    for len in 4..16 {
        let msg = malformed(&digits::TRAIN_IMAGES[..len]);
        assert_contains(
            &msg,
            &["truncated header", "rank 3 needs 16 bytes", &format!("has {len}")],
        );
    }
    // Rank 255 declares a 1024-byte header.
    assert_contains(
        &malformed(&[0, 0, 8, 255, 0, 0, 0, 1]),
        &["truncated header", "1024"],
    );
}

#[test]
fn truncated_data_is_an_error() {
    let msg = malformed(&digits::TRAIN_IMAGES[..digits::TRAIN_IMAGES.len() - 1]);
    assert_contains(&msg, &["truncated data", "[1500, 8, 8]", "96000", "found 95999"]);
    assert_contains(
        &malformed(&idx(&[3], &[1, 2])),
        &["truncated data", "need 3", "found 2"],
    );
    assert_contains(
        &malformed(&idx(&[1500, 8, 8], &[])),
        &["truncated data", "found 0"],
    );
}

#[test]
fn trailing_bytes_are_an_error() {
    let mut bytes = digits::TEST_LABELS.to_vec();
    bytes.extend([0, 0, 0]);
    assert_contains(&malformed(&bytes), &["3 trailing bytes", "offset 305", "[297]"]);
    assert_contains(&malformed(&idx(&[0], &[9])), &["1 trailing bytes"]);
}

#[test]
fn overflowing_dimensions_are_an_error_without_allocating() {
    // The tracker sees a large allocation when there is one.
    let (_, big) = largest_allocation(|| std::hint::black_box(vec![1u8; 1 << 20]));
    assert!(big >= 1 << 20, "the allocation tracker saw only {big} bytes");
    let huge = idx(&[u32::MAX; 3], &[]);
    let (r, largest) = largest_allocation(|| parse_idx(&huge, "the-file"));
    assert_contains(
        &r.unwrap_err().to_string(),
        &["overflow", "[4294967295, 4294967295, 4294967295]"],
    );
    assert!(
        largest < 1 << 16,
        "allocated {largest} bytes for an overflowing header"
    );
    // Rank 255 of 2s overflows a 64-bit usize too (2^255).
    let big_rank = idx(&[2; 255], &[]);
    let (r, largest) = largest_allocation(|| parse_idx(&big_rank, "the-file"));
    assert_contains(&r.unwrap_err().to_string(), &["overflow"]);
    assert!(largest < 1 << 16, "allocated {largest} bytes");
}

#[test]
fn huge_declared_sizes_are_an_error_without_allocating() {
    // 4 billion 8x8 images (256 GiB) declared by a 16-byte header, and an images/labels pair
    // that agree on the huge count.
    let images = idx(&[u32::MAX, 8, 8], &[0; 64]);
    let labels = idx(&[u32::MAX], &[0; 10]);
    let (r, largest) = largest_allocation(|| parse_idx(&images, "the-file"));
    assert_contains(
        &r.unwrap_err().to_string(),
        &["truncated data", "274877906880", "found 64"],
    );
    assert!(
        largest < 1 << 16,
        "allocated {largest} bytes for a 16-byte header"
    );
    let (r, largest) = largest_allocation(|| Dataset::<f32>::from_idx(&images, &labels, 16.0, "huge"));
    assert_contains(&r.unwrap_err().to_string(), &["huge images: truncated data"]);
    assert!(largest < 1 << 16, "allocated {largest} bytes");
    let (r, largest) =
        largest_allocation(|| Dataset::<f32>::from_idx(&idx(&[1, 1, 1], &[0]), &labels, 16.0, "h"));
    assert_contains(&r.unwrap_err().to_string(), &["h labels: truncated data"]);
    assert!(largest < 1 << 16, "allocated {largest} bytes");
}

fn from_idx_err(images: &[u8], labels: &[u8]) -> String {
    match Dataset::<f32>::from_idx(images, labels, 16.0, "pair") {
        Ok(d) => panic!("expected an error, got a dataset of {} examples", d.len()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn count_mismatch_between_images_and_labels_is_an_error() {
    let msg = from_idx_err(digits::TRAIN_IMAGES, digits::TEST_LABELS);
    assert_contains(
        &msg,
        &["pair images has 1500 images but pair labels has 297 labels"],
    );
    let msg = from_idx_err(&idx(&[2, 1, 1], &[1, 2]), &idx(&[3], &[0, 1, 2]));
    assert_contains(&msg, &["2 images", "3 labels"]);
}

#[test]
fn label_file_of_rank_2_is_an_error() {
    let msg = from_idx_err(&idx(&[2, 1, 1], &[1, 2]), &idx(&[2, 1], &[0, 1]));
    assert_contains(&msg, &["pair labels: rank 2", "not a label file"]);
    // The images file given as labels, and vice versa.
    assert_contains(
        &from_idx_err(digits::TEST_IMAGES, digits::TEST_IMAGES),
        &["pair labels: rank 3"],
    );
}

#[test]
fn image_file_of_rank_1_is_an_error() {
    let msg = from_idx_err(&idx(&[2], &[1, 2]), &idx(&[2], &[0, 1]));
    assert_contains(&msg, &["pair images: rank 1", "not an image file"]);
    assert_contains(
        &from_idx_err(digits::TEST_LABELS, digits::TEST_LABELS),
        &["pair images: rank 1"],
    );
}

#[test]
fn errors_in_either_file_name_that_file() {
    let mut labels = digits::TEST_LABELS.to_vec();
    labels.pop();
    assert_contains(
        &from_idx_err(digits::TEST_IMAGES, &labels),
        &["pair labels: truncated data"],
    );
    let images = &digits::TEST_IMAGES[..100];
    assert_contains(
        &from_idx_err(images, digits::TEST_LABELS),
        &["pair images: truncated data"],
    );
}

#[test]
fn label_out_of_range_is_an_error() {
    let mut labels = digits::TEST_LABELS.to_vec();
    labels[8 + 5] = 10;
    let r = Dataset::<f32>::from_idx_with_classes(digits::TEST_IMAGES, &labels, 16.0, 10, "digits test");
    let msg = r.unwrap_err().to_string();
    assert_contains(
        &msg,
        &[
            "digits test labels",
            "label 10 of example 5",
            "offset 13",
            "out of range for 10 classes",
        ],
    );
    labels[8 + 5] = 255;
    let r = Dataset::<f32>::from_idx_with_classes(digits::TEST_IMAGES, &labels, 16.0, 10, "d");
    assert_contains(&r.unwrap_err().to_string(), &["label 255"]);
    // From inputs and labels directly.
    let x = Tensor::<f32>::zeros(&[3, 2]);
    let msg = Dataset::new(x, vec![0, 1, 2], 2).unwrap_err().to_string();
    assert_contains(&msg, &["label 2 of example 2", "out of range for 2 classes"]);
}

#[test]
fn from_idx_guesses_the_number_of_classes() {
    // max(10, largest label + 1), as documented: IDX does not store it.
    let images = idx(&[2, 1, 1], &[0, 16]);
    let d = Dataset::<f32>::from_idx(&images, &idx(&[2], &[0, 3]), 16.0, "x").unwrap();
    assert_eq!(d.classes, 10);
    let d = Dataset::<f32>::from_idx(&images, &idx(&[2], &[0, 41]), 16.0, "x").unwrap();
    assert_eq!(d.classes, 42);
    assert_eq!(d.x.as_slice(), [0.0, 1.0]);
    let d = Dataset::<f32>::from_idx_with_classes(&images, &idx(&[2], &[0, 1]), 16.0, 2, "x").unwrap();
    assert_eq!((d.classes, d.class_counts()), (2, vec![1, 1]));
}

#[test]
fn bad_pixel_max_is_an_error() {
    for pm in [0.0, -16.0, f64::NAN, f64::INFINITY] {
        let r = Dataset::<f32>::from_idx(digits::TEST_IMAGES, digits::TEST_LABELS, pm, "digits test");
        assert_contains(
            &r.unwrap_err().to_string(),
            &["pixel_max must be finite and positive"],
        );
    }
}

#[test]
fn inputs_are_pixels_over_pixel_max() {
    let images = idx(&[1, 1, 3], &[0, 128, 255]);
    let d = Dataset::<f64>::from_idx(&images, &idx(&[1], &[0]), 255.0, "x").unwrap();
    assert_eq!(d.x.as_slice(), [0.0, 128.0 / 255.0, 1.0]);
}

#[test]
fn dataset_new_checks_shapes() {
    let msg = Dataset::new(Tensor::<f32>::zeros(&[3, 2]), vec![0, 1], 2)
        .unwrap_err()
        .to_string();
    assert_contains(&msg, &["[3, 2]", "2 labels"]);
    assert!(Dataset::new(Tensor::<f32>::zeros(&[6]), vec![0; 6], 2).is_err());
}

// ---------------------------------------------------------------------------------------------
// Random bytes and mutations of the real files: parse_idx and from_idx never panic.

#[derive(Clone, Debug)]
enum Mutation {
    /// XOR the byte at this (wrapped) position with a non-zero mask.
    Flip(usize, u8),
    /// Keep only this many (wrapped) bytes.
    Truncate(usize),
    /// Append bytes.
    Extend(Vec<u8>),
    /// Overwrite a header byte (offset wrapped into the first 16).
    HeaderByte(usize, u8),
    /// Overwrite the big-endian u32 at this header slot (0..4: magic, then dimensions).
    HeaderWord(usize, u32),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, m)| Mutation::Flip(i, m)),
        any::<usize>().prop_map(Mutation::Truncate),
        proptest::collection::vec(any::<u8>(), 1..40).prop_map(Mutation::Extend),
        (0..16usize, any::<u8>()).prop_map(|(i, b)| Mutation::HeaderByte(i, b)),
        (
            0..4usize,
            prop_oneof![
                Just(0u32),
                Just(1),
                Just(8),
                Just(297),
                Just(1500),
                Just(u32::MAX),
                any::<u32>()
            ]
        )
            .prop_map(|(i, w)| Mutation::HeaderWord(i, w)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    match *m {
        Mutation::Flip(i, mask) => {
            if !bytes.is_empty() {
                let i = i % bytes.len();
                bytes[i] ^= mask;
            }
        }
        Mutation::Truncate(n) => bytes.truncate(n % (bytes.len() + 1)),
        Mutation::Extend(ref extra) => bytes.extend(extra),
        Mutation::HeaderByte(i, b) => {
            if i < bytes.len() {
                bytes[i] = b;
            }
        }
        Mutation::HeaderWord(slot, w) => {
            let at = 4 * slot;
            if at + 4 <= bytes.len() {
                bytes[at..at + 4].copy_from_slice(&w.to_be_bytes());
            }
        }
    }
}

/// Parses and checks what an `Ok` promises: the dimensions describe the data exactly.
fn parse_consistently(bytes: &[u8]) {
    match parse_idx(bytes, "fuzz") {
        Ok(idx) => {
            assert!(!idx.dims.is_empty());
            assert_eq!(idx.dims.iter().product::<usize>(), idx.data.len());
            assert_eq!(bytes.len(), 4 + 4 * idx.dims.len() + idx.data.len());
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz: ")),
    }
}

fn load_consistently(images: &[u8], labels: &[u8]) {
    if let Ok(d) = Dataset::<f32>::from_idx(images, labels, 16.0, "fuzz") {
        assert_eq!(d.x.shape(), &[d.len(), d.features()]);
        assert!(d.labels.iter().all(|&l| l < d.classes));
        assert_eq!(d.class_counts().iter().sum::<usize>(), d.len());
    }
    let _ = Dataset::<f64>::from_idx_with_classes(images, labels, 255.0, 10, "fuzz");
}

fn proptest_config() -> ProptestConfig {
    // Modest by default; PROPTEST_CASES raises it for a longer run.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(128);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn random_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
        other in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        parse_consistently(&bytes);
        load_consistently(&bytes, &other);
    }

    #[test]
    fn random_bytes_behind_a_valid_prefix_never_panic(
        rank in 0..5u8,
        dims in proptest::collection::vec(0..6u32, 0..5),
        data in proptest::collection::vec(any::<u8>(), 0..200),
        label_data in proptest::collection::vec(0..12u8, 0..8),
    ) {
        let mut bytes = vec![0, 0, 8, rank];
        for d in &dims {
            bytes.extend(d.to_be_bytes());
        }
        bytes.extend(&data);
        parse_consistently(&bytes);
        let labels = idx(&[label_data.len() as u32], &label_data);
        load_consistently(&bytes, &labels);
    }

    #[test]
    fn mutated_real_files_never_panic(
        which in 0..2usize,
        image_mutations in proptest::collection::vec(mutation(), 0..3),
        label_mutations in proptest::collection::vec(mutation(), 0..3),
    ) {
        let (images, labels) = if which == 0 {
            (digits::TEST_IMAGES, digits::TEST_LABELS)
        } else {
            (digits::TRAIN_IMAGES, digits::TRAIN_LABELS)
        };
        let (mut images, mut labels) = (images.to_vec(), labels.to_vec());
        for m in &image_mutations {
            apply(&mut images, m);
        }
        for m in &label_mutations {
            apply(&mut labels, m);
        }
        parse_consistently(&images);
        parse_consistently(&labels);
        load_consistently(&images, &labels);
        load_consistently(&labels, &images);
    }
}

// ---------------------------------------------------------------------------------------------
// from_idx_dir.

/// A fresh, empty directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("chainrule-nn-data-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.0.join(name), bytes).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn io_error_path(r: Result<Dataset<f32>, DataError>) -> (PathBuf, String) {
    match r {
        Err(e @ DataError::Io { .. }) => {
            let msg = e.to_string();
            let DataError::Io { path, .. } = e else {
                unreachable!()
            };
            (path, msg)
        }
        other => panic!("expected an Io error, got {other:?}"),
    }
}

#[test]
fn from_idx_dir_reads_the_digits_files() {
    let dir = TempDir::new("ok");
    dir.write("train-images-idx3-ubyte", digits::TRAIN_IMAGES);
    dir.write("train-labels-idx1-ubyte", digits::TRAIN_LABELS);
    dir.write("t10k-images-idx3-ubyte", digits::TEST_IMAGES);
    dir.write("t10k-labels-idx1-ubyte", digits::TEST_LABELS);
    let train = Dataset::<f32>::from_idx_dir(&dir.0, "train", 16.0).unwrap();
    check_facts(&train, &TRAIN);
    assert_eq!(train, digits::train().unwrap());
    let test = Dataset::<f32>::from_idx_dir(&dir.0, "t10k", 16.0).unwrap();
    check_facts(&test, &TEST);
}

#[test]
fn from_idx_dir_on_a_missing_directory_is_an_io_error_naming_the_path() {
    let missing = std::env::temp_dir()
        .join("chainrule-nn-data-no-such-dir")
        .join("mnist");
    let (path, msg) = io_error_path(Dataset::from_idx_dir(&missing, "train", 255.0));
    assert_eq!(path, missing.join("train-images-idx3-ubyte"));
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.starts_with("cannot read "), "{msg}");
}

#[test]
fn from_idx_dir_on_a_missing_file_is_an_io_error_naming_the_path() {
    let dir = TempDir::new("missing-labels");
    dir.write("train-images-idx3-ubyte", digits::TRAIN_IMAGES);
    let (path, msg) = io_error_path(Dataset::from_idx_dir(&dir.0, "train", 16.0));
    assert_eq!(path, dir.0.join("train-labels-idx1-ubyte"));
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    // Wrong prefix: the images file is the first one looked for.
    let (path, _) = io_error_path(Dataset::from_idx_dir(&dir.0, "test", 16.0));
    assert_eq!(path, dir.0.join("test-images-idx3-ubyte"));
}

#[test]
fn from_idx_dir_names_the_malformed_file_by_its_path() {
    let dir = TempDir::new("malformed");
    dir.write("t10k-images-idx3-ubyte", digits::TEST_IMAGES);
    dir.write("t10k-labels-idx1-ubyte", &digits::TEST_LABELS[..300]);
    let msg = Dataset::<f32>::from_idx_dir(&dir.0, "t10k", 16.0)
        .unwrap_err()
        .to_string();
    let path = dir.0.join("t10k-labels-idx1-ubyte");
    assert!(
        msg.starts_with(&format!("{}: truncated data", path.display())),
        "{msg}"
    );
}

// ---------------------------------------------------------------------------------------------
// Shuffling, batches, split.

/// `n` examples whose single input is their index, so batches and splits can be traced back.
fn indexed(n: usize) -> Dataset<f64> {
    let x = Tensor::from_vec((0..n).map(|i| i as f64).collect(), &[n, 1]).unwrap();
    Dataset::new(x, (0..n).map(|i| i % 3).collect(), 3).unwrap()
}

fn ids(d: &Dataset<f64>) -> Vec<usize> {
    let ids: Vec<usize> = d.x.as_slice().iter().map(|&v| v as usize).collect();
    // Labels travel with their inputs.
    assert!(ids.iter().zip(&d.labels).all(|(&i, &l)| l == i % 3));
    ids
}

fn epoch(d: &Dataset<f64>, batch: usize, seed: Option<u64>) -> Vec<Vec<usize>> {
    d.batches(batch, seed).map(|b| ids(&b)).collect()
}

#[test]
fn shuffled_is_a_seeded_permutation() {
    let a = data::shuffled(100, 3);
    assert_eq!(a, data::shuffled(100, 3));
    assert_ne!(a, data::shuffled(100, 4));
    assert_ne!(a, (0..100).collect::<Vec<_>>());
    let mut sorted = a.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    assert!(data::shuffled(0, 1).is_empty());
}

#[test]
fn batches_have_the_right_sizes_and_a_partial_last_batch() {
    let d = indexed(103);
    let sizes: Vec<usize> = d.batches(10, Some(0)).map(|b| b.len()).collect();
    assert_eq!(sizes, [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
    let sizes: Vec<usize> = d.batches(103, Some(0)).map(|b| b.len()).collect();
    assert_eq!(sizes, [103]);
    let sizes: Vec<usize> = d.batches(1000, None).map(|b| b.len()).collect();
    assert_eq!(sizes, [103]);
    assert_eq!(indexed(100).batches(25, Some(1)).count(), 4);
    assert_eq!(indexed(0).batches(8, Some(1)).count(), 0);
    // A batch size of 0 is treated as 1.
    assert_eq!(
        indexed(5).batches(0, None).map(|b| b.len()).collect::<Vec<_>>(),
        [1; 5]
    );
    // The batches are datasets of the same kind.
    let b = d.batches(10, Some(0)).next().unwrap();
    assert_eq!((b.x.shape(), b.classes), (&[10, 1][..], 3));
    let digits = digits::train::<f32>().unwrap();
    let sizes: Vec<usize> = digits.batches(64, Some(9)).map(|b| b.len()).collect();
    assert_eq!(
        (sizes.len(), sizes[..23].iter().all(|&s| s == 64), sizes[23]),
        (24, true, 28)
    );
}

#[test]
fn batches_visit_every_example_exactly_once_per_epoch() {
    let d = indexed(103);
    for seed in [None, Some(0), Some(1), Some(u64::MAX)] {
        for size in [1, 7, 10, 103, 200] {
            let mut all: Vec<usize> = epoch(&d, size, seed).concat();
            all.sort_unstable();
            assert_eq!(all, (0..103).collect::<Vec<_>>(), "seed {seed:?}, batch {size}");
        }
    }
}

#[test]
fn batch_order_is_deterministic_per_seed_and_differs_between_seeds() {
    let d = indexed(103);
    assert_eq!(epoch(&d, 10, Some(5)), epoch(&d, 10, Some(5)));
    assert_ne!(epoch(&d, 10, Some(5)), epoch(&d, 10, Some(6)));
    // The order is the seed's permutation, cut into batches.
    assert_eq!(epoch(&d, 10, Some(5)).concat(), data::shuffled(103, 5));
    assert_eq!(epoch(&d, 10, None).concat(), (0..103).collect::<Vec<_>>());
    assert_ne!(epoch(&d, 10, Some(5)).concat(), (0..103).collect::<Vec<_>>());
}

#[test]
fn split_sizes_are_disjoint_and_cover_everything() {
    let d = indexed(103);
    for (fraction, n_val) in [
        (0.2, 21),
        (0.0, 0),
        (1.0, 103),
        (0.5, 52),
        (-1.0, 0),
        (2.0, 103),
        (f64::NAN, 0),
    ] {
        let (train, val) = d.split(fraction, 11);
        assert_eq!(
            (train.len(), val.len()),
            (103 - n_val, n_val),
            "fraction {fraction}"
        );
        let (t, v): (BTreeSet<usize>, BTreeSet<usize>) =
            (ids(&train).into_iter().collect(), ids(&val).into_iter().collect());
        assert_eq!(t.len() + v.len(), 103, "no example twice");
        assert!(t.is_disjoint(&v));
        assert_eq!(
            t.union(&v).copied().collect::<Vec<_>>(),
            (0..103).collect::<Vec<_>>()
        );
        assert_eq!((train.classes, val.classes), (3, 3));
    }
    let (a, b) = d.split(0.3, 1);
    assert_eq!((ids(&a), ids(&b)), {
        let (c, e) = d.split(0.3, 1);
        (ids(&c), ids(&e))
    });
    assert_ne!(ids(&d.split(0.3, 1).1), ids(&d.split(0.3, 2).1));
    let (train, val) = digits::train::<f32>().unwrap().split(0.2, 0);
    assert_eq!((train.len(), val.len()), (1200, 300));
}

#[test]
fn select_picks_rows_in_order_with_repeats() {
    let d = indexed(10);
    assert_eq!(ids(&d.select(&[9, 0, 9, 4])), [9, 0, 9, 4]);
    assert!(d.select(&[]).is_empty());
}

#[test]
#[should_panic(expected = "index 10 is out of range for a dataset of 10 examples")]
fn select_out_of_range_panics_clearly() {
    indexed(10).select(&[1, 10]);
}

// ---------------------------------------------------------------------------------------------
// Synthetic data.

#[test]
fn xor_is_the_four_points() {
    let d = data::xor::<f32>();
    assert_eq!(d.x.shape(), &[4, 2]);
    assert_eq!(d.x.as_slice(), [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]);
    assert_eq!((d.labels, d.classes), (vec![0, 1, 1, 0], 2));
}

#[test]
fn two_moons_counts_per_class() {
    for (n, counts) in [
        (100, [50, 50]),
        (101, [51, 50]),
        (1, [1, 0]),
        (2, [1, 1]),
        (0, [0, 0]),
    ] {
        let d = data::two_moons::<f64>(n, 0.1, 3);
        assert_eq!((d.len(), d.x.shape(), d.classes), (n, &[n, 2][..], 2));
        assert_eq!(d.class_counts(), counts, "n = {n}");
    }
}

#[test]
fn two_moons_without_noise_lie_on_the_half_circles() {
    let d = data::two_moons::<f64>(201, 0.0, 0);
    let p = d.x.as_slice();
    for (i, &l) in d.labels.iter().enumerate() {
        let (x, y) = (p[2 * i], p[2 * i + 1]);
        let (r, upper) = if l == 0 {
            (x.hypot(y), y >= -1e-12)
        } else {
            ((x - 1.0).hypot(y - 0.5), y <= 0.5 + 1e-12)
        };
        assert!(
            (r - 1.0).abs() < 1e-12,
            "point {i} ({x}, {y}) of class {l} is off its circle"
        );
        assert!(upper, "point {i} ({x}, {y}) of class {l} is on the wrong half");
    }
    // Ends of the arcs: the outer moon from (1, 0) to (-1, 0), the inner from (0, 0.5) to (2, 0.5).
    let close = |i: usize, want: [f64; 2]| {
        assert!(
            (p[2 * i] - want[0]).abs() < 1e-12 && (p[2 * i + 1] - want[1]).abs() < 1e-12,
            "point {i}"
        );
    };
    close(0, [1.0, 0.0]);
    close(100, [-1.0, 0.0]);
    close(101, [0.0, 0.5]);
    close(200, [2.0, 0.5]);
    // Noise 0 does not depend on the seed.
    assert_eq!(d.x, data::two_moons::<f64>(201, 0.0, 9).x);
}

#[test]
fn two_moons_noise_is_seeded() {
    let a = data::two_moons::<f64>(50, 0.1, 1);
    assert_eq!(a, data::two_moons::<f64>(50, 0.1, 1));
    assert_ne!(a.x, data::two_moons::<f64>(50, 0.1, 2).x);
    assert_ne!(a.x, data::two_moons::<f64>(50, 0.0, 1).x);
}

#[test]
#[should_panic(expected = "noise is a standard deviation")]
fn two_moons_rejects_negative_noise() {
    data::two_moons::<f64>(10, -0.1, 0);
}

#[test]
fn spirals_counts_and_radii() {
    let d = data::spirals::<f64>(50, 3, 0.0, 0);
    assert_eq!((d.len(), d.x.shape(), d.classes), (150, &[150, 2][..], 3));
    assert_eq!(d.class_counts(), [50, 50, 50]);
    let p = d.x.as_slice();
    for i in 0..150 {
        let r = p[2 * i].hypot(p[2 * i + 1]);
        let want = (i % 50) as f64 / 49.0;
        assert!((r - want).abs() < 1e-12, "point {i}: radius {r}, expected {want}");
        assert_eq!(d.labels[i], i / 50);
    }
    let d = data::spirals::<f32>(7, 5, 0.2, 4);
    assert_eq!((d.len(), d.class_counts()), (35, vec![7; 5]));
    assert_eq!(d, data::spirals::<f32>(7, 5, 0.2, 4));
    assert_ne!(d.x, data::spirals::<f32>(7, 5, 0.2, 5).x);
    assert_eq!(data::spirals::<f32>(1, 2, 0.0, 0).x.as_slice(), [0.0; 4]);
}

#[test]
#[should_panic(expected = "noise is a standard deviation")]
fn spirals_reject_nan_noise() {
    data::spirals::<f64>(10, 2, f64::NAN, 0);
}
