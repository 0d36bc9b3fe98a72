//! The embedded digits: the README's check figures, the files' sizes, headers and SHA-256.

use nn::data::{digits, parse_idx};
use sha2::{Digest, Sha256};

use super::{check_facts, TEST, TRAIN};

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
    let readme = include_str!("../../data/digits/README.md");
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
