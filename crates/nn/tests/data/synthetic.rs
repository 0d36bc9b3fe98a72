//! The synthetic problems: xor, two moons and spirals.

use nn::data;

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
