//! Malformed IDX: `parse_idx` errors with a message that says what is wrong, no huge allocation.

use nn::data::{digits, parse_idx, DataError, Dataset};

use super::{assert_contains, idx};
use crate::common::largest_allocation;

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
