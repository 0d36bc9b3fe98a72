//! Synthetic problems: xor, two moons (as scikit-learn's `make_moons`) and spirals.

use super::Dataset;
use autograd::{Float, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

/// The four XOR points with labels 0/1: `(0,0) -> 0, (0,1) -> 1, (1,0) -> 1, (1,1) -> 0`.
///
/// ```
/// let d = chainrule::nn::data::xor::<f64>();
/// assert_eq!(d.labels, vec![0, 1, 1, 0]);
/// ```
pub fn xor<T: Float>() -> Dataset<T> {
    plane(vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0], vec![0, 1, 1, 0], 2)
}

/// Two interleaving half circles, as scikit-learn's `make_moons` (not shuffled): `n` points,
/// first the outer moon (class 0, `(cos t, sin t)` for `t` evenly spaced over [0, pi]) then the
/// inner moon (class 1, `(1 - cos t, 0.5 - sin t)`), plus Gaussian noise of standard deviation
/// `noise` (0 for none), seeded. For odd `n` the outer moon gets the extra point
/// (scikit-learn gives it to the inner one).
///
/// # Panics
/// If `noise` is negative, infinite or NaN.
///
/// ```
/// let d = chainrule::nn::data::two_moons::<f64>(100, 0.1, 1);
/// assert_eq!(d.class_counts(), vec![50, 50]);
/// ```
#[track_caller]
pub fn two_moons<T: Float>(n: usize, noise: f64, seed: u64) -> Dataset<T> {
    check_noise(noise);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let n_out = n.div_ceil(2);
    let n_in = n - n_out;
    let step = |k: usize, i: usize| {
        if k > 1 {
            std::f64::consts::PI * i as f64 / (k - 1) as f64
        } else {
            0.0
        }
    };
    let mut pts = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n_out {
        let t = step(n_out, i);
        pts.extend([t.cos(), t.sin()]);
        labels.push(0);
    }
    for i in 0..n_in {
        let t = step(n_in, i);
        pts.extend([1.0 - t.cos(), 1.0 - t.sin() - 0.5]);
        labels.push(1);
    }
    add_noise(&mut pts, noise, &mut rng);
    plane(pts, labels, 2)
}

/// `classes` interleaved spiral arms of `per_class` points each (the CS231n toy problem):
/// class `c`, point `i` has radius `r = i / (per_class - 1)` and angle
/// `t = 4c + 4r + N(0, noise)`, at `(r sin t, r cos t)`; seeded.
///
/// # Panics
/// If `noise` is negative, infinite or NaN.
///
/// ```
/// let d = chainrule::nn::data::spirals::<f32>(50, 3, 0.2, 0);
/// assert_eq!((d.len(), d.classes), (150, 3));
/// ```
#[track_caller]
pub fn spirals<T: Float>(per_class: usize, classes: usize, noise: f64, seed: u64) -> Dataset<T> {
    check_noise(noise);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let normal = Normal::new(0.0, noise).expect("finite noise");
    let mut pts = Vec::with_capacity(2 * per_class * classes);
    let mut labels = Vec::with_capacity(per_class * classes);
    for c in 0..classes {
        for i in 0..per_class {
            let r = if per_class > 1 {
                i as f64 / (per_class - 1) as f64
            } else {
                0.0
            };
            let t = c as f64 * 4.0 + 4.0 * r + normal.sample(&mut rng);
            pts.extend([r * t.sin(), r * t.cos()]);
            labels.push(c);
        }
    }
    plane(pts, labels, classes)
}

/// Points of the plane (`x, y` pairs, one per label) as a classification dataset.
fn plane<T: Float>(pts: Vec<f64>, labels: Vec<usize>, classes: usize) -> Dataset<T> {
    let n = labels.len();
    Dataset {
        x: Tensor::from_vec(pts.into_iter().map(T::from_f64).collect(), &[n, 2]).expect("n x 2"),
        labels,
        classes,
        values: None,
    }
}

#[track_caller]
fn check_noise(noise: f64) {
    assert!(
        noise.is_finite() && noise >= 0.0,
        "noise is a standard deviation: it must be finite and >= 0, got {noise}"
    );
}

fn add_noise(v: &mut [f64], noise: f64, rng: &mut StdRng) {
    if noise > 0.0 {
        let d = Normal::new(0.0, noise).expect("finite noise");
        v.iter_mut().for_each(|x| *x += d.sample(rng));
    }
}
