//! Shuffling, batches, split and select.

use autograd::Tensor;
use nn::data::{self, digits, Dataset};
use std::collections::BTreeSet;

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
