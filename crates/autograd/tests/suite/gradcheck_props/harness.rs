//! The harness itself: it catches wrong derivatives, and the value domains keep away from kinks.

use autograd::{gradcheck, gradgradcheck, GradcheckOptions, Tensor, Var};

use super::{realize, Dom, OFF_ZERO};

/// The harness can fail: a derivative that is wrong (the detached factor is treated as a
/// constant) fails `gradcheck`, and a first derivative that is right but not differentiable
/// further fails `gradgradcheck` while passing `gradcheck`.
#[test]
fn wrong_derivatives_are_caught() {
    let x = Tensor::from(vec![0.3, -1.2, 0.8]);
    let opts = GradcheckOptions::default();

    let wrong_first = gradcheck(|v| v[0] * v[0].detach(), std::slice::from_ref(&x), &opts);
    assert!(!wrong_first.passed, "{wrong_first}");
    let worst = wrong_first.worst.as_ref().expect("a worst entry");
    // analytical x, numerical 2x
    assert!(
        (worst.numerical - 2.0 * worst.analytical).abs() < 1e-6,
        "{wrong_first}"
    );

    // e^x whose gradient is the constant e^x: right first derivative, zero second derivative.
    fn frozen<'t>(v: &[Var<'t, f64>]) -> Var<'t, f64> {
        let e = v[0].detach().exp();
        (v[0] - v[0].detach()) * e + e
    }
    let first = gradcheck(frozen, std::slice::from_ref(&x), &opts);
    assert!(first.passed, "{first}");
    let second = gradgradcheck(frozen, &[x], &opts);
    assert!(!second.passed, "{second}");
}

/// The value domains keep their promises (the kink-avoidance the properties rely on).
#[test]
fn domains_keep_away_from_kinks() {
    let u = Tensor::rand_uniform(&[4000], 0.0, 1.0, 7);
    let away = realize(Dom::AwayFrom(&[-0.5, 1.0]), &u);
    assert!(away
        .as_slice()
        .iter()
        .all(|&v| (v + 0.5).abs() >= 0.1 - 1e-12 && (v - 1.0).abs() >= 0.1 - 1e-12));
    assert!(realize(OFF_ZERO, &u).as_slice().iter().all(|v| v.abs() >= 0.1));
    let lo = realize(Dom::Lattice(0.0), &u);
    let hi = realize(Dom::Lattice(0.5), &Tensor::rand_uniform(&[4000], 0.0, 1.0, 8));
    for &a in lo.as_slice() {
        for &b in &hi.as_slice()[..200] {
            assert!((a - b).abs() >= 0.2 - 1e-12, "{a} {b}");
        }
    }
    let mut d = realize(Dom::Distinct, &u).to_vec();
    d.sort_by(f64::total_cmp);
    assert!(d.windows(2).all(|w| w[1] - w[0] >= 0.15 - 1e-12));
}
