//! Random bytes and mutations of the real files: `parse_idx` and `from_idx` never panic.

use nn::data::{digits, parse_idx, Dataset};
use proptest::prelude::*;

use super::idx;

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
