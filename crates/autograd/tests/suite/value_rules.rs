//! `backward` applies the rules of scalar elementwise nodes to plain numbers (nothing
//! recorded), `grad` records the same rules as ops. Both run one generic rule per primitive, so
//! on random scalar expressions over every elementwise op their gradients must agree bit for
//! bit, NaN and infinity included; and both must agree with the tensor path. On tensors of up
//! to 65,535 elements (below the threads' split) `backward` applies unary rules to values too, element by element
//! (`ops/rule_values.rs`): the same bits as the recorded rules, on either side of that size.

use autograd::{grad, vjp, Tape, Tensor, Var};
use proptest::prelude::*;

/// One step of a random expression: an op applied to earlier values (by position).
#[derive(Clone, Debug)]
enum Step {
    Unary(u8, usize),
    Binary(u8, usize, usize),
}

const UNARY: u8 = 22;
const BINARY: u8 = 7;

fn unary<'t>(k: u8, x: Var<'t, f64>) -> Var<'t, f64> {
    match k % UNARY {
        0 => -x,
        1 => x.exp(),
        2 => x.ln(),
        3 => x.sqrt(),
        4 => x.powf(2.0),
        5 => x.powf(3.0),
        6 => x.powf(0.5),
        7 => x.abs(),
        8 => x.sin(),
        9 => x.cos(),
        10 => x.tanh(),
        11 => x.sigmoid(),
        12 => x.relu(),
        13 => x.leaky_relu(0.1),
        14 => x.softplus(),
        15 => x.recip(),
        16 => x.clamp(-0.5, 0.5),
        17 => x.add_scalar(0.25),
        18 => x.mul_scalar(-1.5),
        19 => x.log1p(),
        20 => x.expm1(),
        _ => x.powf(0.0),
    }
}

fn binary<'t>(k: u8, a: Var<'t, f64>, b: Var<'t, f64>) -> Var<'t, f64> {
    match k % BINARY {
        0 => a + b,
        1 => a - b,
        2 => a * b,
        3 => a / b,
        4 => a.pow(b),
        5 => a.maximum(b),
        _ => a.minimum(b),
    }
}

/// Builds the expression on `tape` from the variables `xs`; returns the last value.
fn build<'t>(xs: &[Var<'t, f64>], steps: &[Step]) -> Var<'t, f64> {
    let mut vals: Vec<Var<'t, f64>> = xs.to_vec();
    for s in steps {
        let v = match *s {
            Step::Unary(k, i) => unary(k, vals[i % vals.len()]),
            Step::Binary(k, i, j) => binary(k, vals[i % vals.len()], vals[j % vals.len()]),
        };
        vals.push(v);
    }
    // Sum everything, so every intermediate value reaches the output (and is used twice).
    vals.iter().skip(1).fold(vals[0], |acc, &v| acc + v)
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..UNARY, 0usize..64).prop_map(|(k, i)| Step::Unary(k, i)),
        (0..BINARY, 0usize..64, 0usize..64).prop_map(|(k, i, j)| Step::Binary(k, i, j)),
    ]
}

/// Values where ties and kinks happen (0, equal inputs) as well as generic ones.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), Just(-1.0), Just(0.5), -3.0f64..3.0]
}

fn same_bits(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn backward_on_values_equals_the_recorded_rules(
        x0 in value(), x1 in value(), x2 in value(),
        steps in proptest::collection::vec(step(), 1..24),
    ) {
        let inputs = [x0, x1, x2];

        // backward: scalar rules on values.
        let tape = Tape::<f64>::new();
        let xs: Vec<_> = inputs.iter().map(|&v| tape.scalar_var(v)).collect();
        let y = build(&xs, &steps);
        let nodes_before = tape.len();
        let by_value = y.backward();
        // Only the seed and the gradients it had to materialise are recorded, not the rules.
        prop_assert!(tape.len() <= nodes_before + 2 + xs.len(), "{} -> {}", nodes_before, tape.len());

        // grad: the same rules, recorded.
        let recorded = grad(y, &xs).unwrap();

        // vjp with respect to one variable: rules on values over only the nodes on a path from
        // it (the other variables' branches are passed over).
        let one = Tensor::scalar(1.0);
        let alone: Vec<f64> = xs.iter().map(|&x| vjp(y, &one, &[x]).unwrap()[0].item()).collect();

        // The tensor path: the same expression on [1]-shaped values, where rules always record.
        let tape1 = Tape::<f64>::new();
        let vs: Vec<_> = inputs.iter().map(|&v| tape1.var(Tensor::from(vec![v]))).collect();
        let y1 = build(&vs, &steps).sum();
        let on_tensors = y1.backward();

        for (k, (&x, &v)) in xs.iter().zip(&vs).enumerate() {
            let (a, b, c) = (by_value[x].item(), recorded[k].item(), on_tensors[v].to_vec()[0]);
            prop_assert!(same_bits(a, b), "x{}: backward {} vs grad {} for {:?} at {:?}", k, a, b, steps, inputs);
            prop_assert!(same_bits(a, c), "x{}: backward {} vs tensor path {} for {:?} at {:?}", k, a, c, steps, inputs);
            prop_assert!(same_bits(a, alone[k]), "x{}: backward {} vs vjp {} for {:?} at {:?}", k, a, alone[k], steps, inputs);
        }
    }
}

/// Element `e` of input `k`: the values of [`value`] (ties, kinks) and generic ones, NaN and
/// infinities among them, picked by a hash of `(seed, k, e)`.
fn element(seed: u64, k: usize, e: usize) -> f64 {
    let mut h = seed ^ ((k as u64) << 32) ^ e as u64;
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    match h % 16 {
        0 => 0.0,
        1 => 1.0,
        2 => -1.0,
        3 => 0.5,
        4 if h % 64 == 4 => f64::NAN,
        5 if h % 64 == 5 => f64::INFINITY,
        _ => (h >> 11) as f64 / (1u64 << 53) as f64 * 6.0 - 3.0,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn backward_on_tensors_equals_the_recorded_rules(
        seed in any::<u64>(),
        n in prop_oneof![3 => 1usize..40, 1 => 65530usize..65540],
        steps in proptest::collection::vec(step(), 1..16),
    ) {
        let tape = Tape::<f64>::new();
        let xs: Vec<_> = (0..3)
            .map(|k| tape.var(Tensor::from((0..n).map(|e| element(seed, k, e)).collect::<Vec<_>>())))
            .collect();
        let y = build(&xs, &steps).sum();
        let by_value = y.backward();
        let recorded = grad(y, &xs).unwrap();
        for (k, &x) in xs.iter().enumerate() {
            for (e, (&a, &b)) in by_value[x].to_vec().iter().zip(&recorded[k].value().to_vec()).enumerate() {
                prop_assert!(same_bits(a, b), "x{}[{}] of {}: backward {} vs grad {} for {:?}", k, e, n, a, b, steps);
            }
        }
    }
}

#[test]
fn second_order_still_records_after_a_value_backward() {
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(0.7);
    let y = x.sin() * x.exp();
    let first = y.backward()[x].item();
    let [d1] = grad(y, &[x]).unwrap()[..] else {
        panic!("one gradient")
    };
    let [d2] = grad(d1, &[x]).unwrap()[..] else {
        panic!("one gradient")
    };
    let (s, c, e) = (0.7f64.sin(), 0.7f64.cos(), 0.7f64.exp());
    assert!((first - (c + s) * e).abs() < 1e-15);
    assert_eq!(d1.item(), first);
    // (sin x e^x)'' = 2 cos x e^x
    assert!((d2.item() - 2.0 * c * e).abs() < 1e-14, "{}", d2.item());
}
