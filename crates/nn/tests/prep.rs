//! Preparing tabular data: the stratified split (seeded, disjoint, proportions kept) and the
//! standard scaler (moments after fitting, the inverse round trip, the metadata round trip).

mod common;

use autograd::Tensor;
use nn::checkpoint::Metadata;
use nn::data::{CsvOptions, Dataset, ScalerError, StandardScaler, Table, Target};
use proptest::prelude::*;

fn dataset(labels: Vec<usize>, classes: usize) -> Dataset<f64> {
    let n = labels.len();
    // Feature = original index, so a split can be traced back.
    let x = Tensor::from_vec((0..n).map(|i| i as f64).collect(), &[n, 1]).unwrap();
    Dataset::new(x, labels, classes).unwrap()
}

fn indices(d: &Dataset<f64>) -> Vec<usize> {
    d.x.as_slice().iter().map(|&v| v as usize).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(common::cases()))]

    #[test]
    fn the_stratified_split_is_disjoint_seeded_and_keeps_each_class_count(
        labels in prop::collection::vec(0usize..5, 0..120),
        fraction in 0.0f64..=1.0,
        seed in any::<u64>(),
    ) {
        let d = dataset(labels.clone(), 5);
        let (train, val) = d.split_stratified(fraction, seed);
        let (ti, vi) = (indices(&train), indices(&val));
        let mut all: Vec<usize> = ti.iter().chain(&vi).copied().collect();
        all.sort_unstable();
        prop_assert_eq!(all, (0..labels.len()).collect::<Vec<_>>());
        for (c, (&n, &v)) in d.class_counts().iter().zip(&val.class_counts()).enumerate() {
            prop_assert_eq!(v, ((n as f64) * fraction).round() as usize, "class {}", c);
        }
        // Labels travel with their rows.
        for (set, idx) in [(&train, &ti), (&val, &vi)] {
            for (k, &i) in idx.iter().enumerate() {
                prop_assert_eq!(set.labels[k], labels[i]);
            }
        }
        let (train2, val2) = d.split_stratified(fraction, seed);
        prop_assert_eq!((train2, val2), (train, val));
    }

    #[test]
    fn the_scaler_standardises_and_inverts(
        rows in 2usize..30,
        cols in 1usize..5,
        seed in any::<u64>(),
        offset in -1e6f64..1e6,
    ) {
        let x = Tensor::<f64>::rand_normal(&[rows, cols], offset, 3.0, seed);
        let s = StandardScaler::fit(&x).unwrap();
        let z = s.transform(&x).unwrap();
        for j in 0..cols {
            let col: Vec<f64> = (0..rows).map(|i| z.as_slice()[i * cols + j]).collect();
            let mean = col.iter().sum::<f64>() / rows as f64;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / rows as f64;
            prop_assert!(mean.abs() < 1e-9, "column {} mean {}", j, mean);
            prop_assert!((var - 1.0).abs() < 1e-9, "column {} variance {}", j, var);
        }
        let back = s.inverse_transform(&z).unwrap();
        prop_assert!(back.max_abs_diff(&x).unwrap() <= 1e-9 * (1.0 + offset.abs()));
        let mut meta = Metadata::new();
        s.to_metadata(&mut meta, "features");
        prop_assert_eq!(StandardScaler::from_metadata(&meta, "features").unwrap(), s);
    }
}

#[test]
fn the_scaler_matches_scikit_learn_and_reports_constant_columns() {
    // sklearn 1.x: StandardScaler().fit([[1, 7, 0], [2, 7, 10], [6, 7, 20]])
    //   mean_  = [3., 7., 10.]; scale_ = [2.160246899469287, 1., 8.16496580927726]
    //   (the generating Python is in tests/metrics_reference.py)
    let x = Tensor::from_vec(vec![1.0, 7.0, 0.0, 2.0, 7.0, 10.0, 6.0, 7.0, 20.0], &[3, 3]).unwrap();
    let s = StandardScaler::fit(&x).unwrap();
    assert_eq!(s.mean, vec![3.0, 7.0, 10.0]);
    approx::assert_relative_eq!(s.scale[0], 2.160246899469287, max_relative = 1e-15);
    approx::assert_relative_eq!(s.scale[2], 8.16496580927726, max_relative = 1e-15);
    assert_eq!((s.scale[1], s.constant.clone()), (1.0, vec![1]));
    // sklearn: StandardScaler().fit_transform(...)[1] = [-0.4629100498862757, 0., 0.]
    let z = s.transform(&x).unwrap();
    approx::assert_relative_eq!(z.as_slice()[3], -0.4629100498862757, max_relative = 1e-15);
    assert_eq!(&z.as_slice()[4..6], &[0.0, 0.0]);
}

#[test]
fn scaler_errors_name_the_shape_or_the_metadata_key() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]).unwrap();
    let s = StandardScaler::fit(&x).unwrap();
    let wrong = Tensor::from_vec(vec![1.0f32; 3], &[1, 3]).unwrap();
    assert_eq!(
        s.transform(&wrong).unwrap_err().to_string(),
        "standard scaler: transform needs [rows, 2], got shape [1, 3]"
    );
    let empty = Tensor::<f32>::from_vec(vec![], &[0, 2]).unwrap();
    assert!(matches!(StandardScaler::fit(&empty), Err(ScalerError::Shape(_))));
    let mut meta = Metadata::new();
    s.to_metadata(&mut meta, "f");
    let mut broken = meta.clone();
    broken.insert("f.scale".into(), "[1.0,-2.0]".into());
    assert_eq!(
        StandardScaler::from_metadata(&broken, "f")
            .unwrap_err()
            .to_string(),
        "standard scaler: metadata key \"f.scale\": -2 is not a finite, positive number"
    );
    broken.insert("f.scale".into(), "[1.0]".into());
    assert_eq!(
        StandardScaler::from_metadata(&broken, "f")
            .unwrap_err()
            .to_string(),
        "standard scaler: metadata key \"f.scale\": 1 scales for 2 means"
    );
    broken.insert("f.constant".into(), "[7]".into());
    broken.insert("f.scale".into(), "[1.0,1.0]".into());
    assert_eq!(
        StandardScaler::from_metadata(&broken, "f")
            .unwrap_err()
            .to_string(),
        "standard scaler: metadata key \"f.constant\": column 7 is out of range for 2 columns"
    );
    meta.remove("f.mean");
    assert_eq!(
        StandardScaler::from_metadata(&meta, "f").unwrap_err().to_string(),
        "standard scaler: metadata key \"f.mean\": missing"
    );
}

#[test]
fn a_table_splits_stratified_for_classes_and_shuffled_for_values() {
    let rows: String = (0..40)
        .map(|i| format!("{i},{}\n", ["a", "b", "b", "b"][i % 4]))
        .collect();
    let t = Table::<f32>::from_reader(format!("x,y\n{rows}").as_bytes(), "t", &CsvOptions::new("y")).unwrap();
    let (train, test) = t.split(0.25, 9);
    let count = |t: &Table<f32>, c: usize| match &t.target {
        Target::Classes { labels, .. } => labels.iter().filter(|&&l| l == c).count(),
        Target::Values(_) => unreachable!("a classification table"),
    };
    assert_eq!(
        (
            count(&test, 0),
            count(&test, 1),
            count(&train, 0),
            count(&train, 1)
        ),
        (3, 8, 7, 22)
    );
    let rows: String = (0..40).map(|i| format!("{i},{}.5\n", i * 3)).collect();
    let t = Table::<f32>::from_reader(format!("x,y\n{rows}").as_bytes(), "t", &CsvOptions::new("y")).unwrap();
    let (train, test) = t.split(0.25, 9);
    assert_eq!((train.len(), test.len()), (30, 10));
    let Target::Values(v) = &test.target else {
        unreachable!("a regression table")
    };
    // Each row keeps its own target: y = 3x + 0.5.
    for (k, &y) in v.iter().enumerate() {
        assert_eq!(y, f64::from(test.x.as_slice()[k]) * 3.0 + 0.5);
    }
}
