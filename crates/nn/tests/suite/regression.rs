//! The training loop on a regression task against a closed form: data from a known linear
//! function plus noise; a model with no hidden layer (one `Dense`, identity) trained by
//! `fit` with the mean squared error reaches the least-squares R², computed here from the
//! normal equations.

use autograd::Tensor;
use nn::data::{Dataset, Task};
use nn::optim::Sgd;
use nn::train::{self, TrainConfig};
use nn::{Activation, Dense, ParamStore};

/// A deterministic stream in [-1, 1) (splitmix64), so the data needs no generator crate.
fn stream(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// `n` rows of 3 features and `y = 2 x0 - 3 x1 + 0.5 x2 + 1 + noise`.
fn linear_data(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut next = stream(7);
    let mut x = Vec::with_capacity(3 * n);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let row = [next(), next(), next()];
        x.extend(row);
        y.push(2.0 * row[0] - 3.0 * row[1] + 0.5 * row[2] + 1.0 + 0.8 * next());
    }
    (x, y)
}

/// The least-squares fit with an intercept, by the normal equations `(A'A) w = A'y` solved
/// with Gaussian elimination (partial pivoting); returns its predictions.
fn least_squares(x: &[f64], y: &[f64], features: usize) -> Vec<f64> {
    let k = features + 1;
    let row = |i: usize| {
        let mut r = x[i * features..(i + 1) * features].to_vec();
        r.push(1.0);
        r
    };
    let mut m = vec![vec![0.0; k + 1]; k];
    for (i, &yi) in y.iter().enumerate() {
        let r = row(i);
        for a in 0..k {
            for b in 0..k {
                m[a][b] += r[a] * r[b];
            }
            m[a][k] += r[a] * yi;
        }
    }
    for c in 0..k {
        let p = (c..k)
            .max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs()))
            .unwrap();
        m.swap(c, p);
        let pivot = m[c].clone();
        for (r, row) in m.iter_mut().enumerate() {
            if r != c {
                let f = row[c] / pivot[c];
                row.iter_mut().zip(&pivot).skip(c).for_each(|(a, b)| *a -= f * b);
            }
        }
    }
    let w: Vec<f64> = (0..k).map(|a| m[a][k] / m[a][a]).collect();
    (0..y.len())
        .map(|i| row(i).iter().zip(&w).map(|(a, b)| a * b).sum())
        .collect()
}

#[test]
fn a_linear_model_reaches_the_least_squares_r2() {
    let n = 300;
    let (x, y) = linear_data(n);
    let best = least_squares(&x, &y, 3);
    let r2_ls = nn::metrics::r2(&y, &best).unwrap();
    assert!(
        (0.8..0.99).contains(&r2_ls),
        "the noise leaves something to miss: {r2_ls}"
    );

    let data = Dataset::regression(Tensor::from_vec(x, &[n, 3]).unwrap(), Tensor::from(y.clone())).unwrap();
    let mut ps = ParamStore::<f64>::new();
    let model = Dense::new(&mut ps, "fc", 3, 1, Activation::Identity, 0).unwrap();
    let untrained = train::evaluate(&model, &ps, &data, 64);
    let config = TrainConfig {
        epochs: 300,
        batch_size: n,
        ..TrainConfig::default()
    };
    let history = train::fit(
        &model,
        &mut ps,
        &mut Sgd::new(0.1).momentum(0.9),
        &data,
        Some(&data),
        &config,
        |_| {},
    );
    // In batches of 512 as the loop evaluates, so that the sums round alike.
    let e = train::evaluate(&model, &ps, &data, 512);
    let r2 = e.r2.unwrap();
    assert!(
        (r2 - r2_ls).abs() < 1e-3,
        "R² {r2}, least squares {r2_ls}, untrained {:?}",
        untrained.r2
    );
    // Least squares is the best a linear model can do on its own data.
    assert!(r2 <= r2_ls + 1e-12);
    assert!(untrained.r2.unwrap() < 0.5);
    // The loop reports the same figures per epoch, and the metrics agree with each other.
    let last = history.last().unwrap();
    assert_eq!(
        (last.test_r2, last.test_loss, last.test_accuracy),
        (Some(r2), Some(e.loss), None)
    );
    assert!(last.train_r2.is_some() && last.train_accuracy.is_none());
    assert!((e.rmse.unwrap().powi(2) - e.loss).abs() < 1e-12);
    // predict gives the values the metrics were computed from.
    let pred = train::predict(&model, &ps, &data.x, Task::Regression).unwrap();
    assert_eq!(pred.shape(), &[n, 1]);
    assert_eq!(nn::metrics::r2(&y, pred.as_slice()).unwrap(), r2);
}

#[test]
fn regression_outputs_must_have_the_targets_shape() {
    let x = Tensor::from_vec(vec![0.0, 1.0, 2.0, 3.0], &[2, 2]).unwrap();
    let data = Dataset::regression(x, Tensor::from(vec![1.0, 2.0])).unwrap();
    let mut ps = ParamStore::<f64>::new();
    let two = Dense::new(&mut ps, "fc", 2, 2, Activation::Identity, 0).unwrap();
    let err = train::try_evaluate(&two, &ps, &data, 8).unwrap_err().to_string();
    assert_eq!(
        err,
        "evaluation, batch 0: mse: shapes [2, 2] and [2, 1] are incompatible: the model's outputs \
         must have the targets' shape [batch, outputs]"
    );
    let bad = Dataset::regression(Tensor::zeros(&[2, 2]), Tensor::from(vec![1.0, f64::NAN]));
    assert_eq!(
        bad.unwrap_err().to_string(),
        "target NaN of example 1 is not finite"
    );
    let short = Dataset::<f64>::regression(Tensor::zeros(&[2, 2]), Tensor::from(vec![1.0]));
    assert!(short
        .unwrap_err()
        .to_string()
        .contains("do not fit inputs of shape [2, 2]"));
}
