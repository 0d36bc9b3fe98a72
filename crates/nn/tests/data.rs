//! Tests of `nn::data`: the embedded digits against every check figure in
//! `crates/nn/data/digits/README.md` (and the SHA-256 values listed there), the IDX reader on
//! malformed input (errors with clear messages, never a panic, never a huge allocation),
//! `from_idx_dir`, seeded batching and splitting, and the synthetic problems.
//!
//! This file is the root of the `data` test binary: it holds the helpers its parts share; the
//! parts are the modules in `tests/data/` (named by `#[path]`, since a crate root's `mod`
//! looks beside it, in `tests/`, where cargo would take each file for a test binary).

use nn::data::Dataset;

mod common;

#[global_allocator]
static ALLOCATOR: common::LargestAllocation = common::LargestAllocation;

#[path = "data/batching.rs"]
mod batching;
#[path = "data/embedded.rs"]
mod embedded;
#[path = "data/fuzz.rs"]
mod fuzz;
#[path = "data/idx_dir.rs"]
mod idx_dir;
#[path = "data/load_errors.rs"]
mod load_errors;
#[path = "data/parse_errors.rs"]
mod parse_errors;
#[path = "data/synthetic.rs"]
mod synthetic;

// ---------------------------------------------------------------------------------------------
// The digits: every figure of the README's "Facts to check a loader against" table (checked
// by `embedded` and `idx_dir`).

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

// ---------------------------------------------------------------------------------------------
// IDX buffers and error messages (for `parse_errors`, `load_errors` and `fuzz`).

/// An IDX header of unsigned bytes with the given dimensions, followed by `data`.
fn idx(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        v.extend(d.to_be_bytes());
    }
    v.extend(data);
    v
}

fn assert_contains(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} does not contain {p:?}");
    }
}
