//! Two products side by side in a replayed step (`plan/pair.rs`): a linear layer's input and
//! weight gradients, adjacent, independent and of equal size, run whole on a thread each on 2
//! threads or more, and give the bits of the recorded step on 1 to 4 threads (on 4, each of the
//! two products splits again over its half of the threads); products that depend on each
//! other, or differ too much in size, or are too small, are not paired.
//!
//! One test function: the thread count is the process's.

use chainrule::{set_num_threads, Float, Plan, PlanSpec, Tape, Tensor, Var};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// gemmkit's parallel threshold (`m k n`), below which products are not paired.
const THRESHOLD: usize = 48 * 48 * 256;

fn bits<T: Float>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.as_f64().to_bits()).collect()
}

/// Two layers, `relu(x W1^T) W2^T`, and the loss `sum(y * c)`; its backward records
/// `dH = G W2` and `dW2 = G^T h` one after the other (a pair if large enough), then `dX` and
/// `dW1` (another).
fn step<'t, T: Float>(v: &[Var<'t, T>]) -> Var<'t, T> {
    let (x, w1, w2, c) = (v[0], v[1], v[2], v[3]);
    let y = x.matmul(w1.t()).relu().matmul(w2.t());
    (y * c).sum()
}

/// `x: [m, k]`, `W1: [n, k]`, `W2: [n, n]`, `c: [m, n]`.
fn data<T: Float>([m, k, n]: [usize; 3], seed: u64) -> Vec<Tensor<T>> {
    let normal = |shape: &[usize], s: u64| Tensor::<T>::rand_normal(shape, T::zero(), T::one(), seed * 4 + s);
    vec![
        normal(&[m, k], 0),
        normal(&[n, k], 1),
        normal(&[n, n], 2),
        normal(&[m, n], 3),
    ]
}

/// The loss and the gradients of `x`, `W1` and `W2`, recorded on a plain tape.
fn recorded<T: Float>(data: &[Tensor<T>]) -> Vec<Vec<u64>> {
    let tape = Tape::<T>::new();
    let mut v: Vec<_> = data[..3].iter().map(|d| tape.var_from(d)).collect();
    v.push(tape.constant_from(&data[3]));
    let loss = step(&v);
    let g = loss.backward();
    let mut r = vec![bits(&loss.value().to_vec())];
    r.extend(v[..3].iter().map(|&p| bits(&g[p].to_vec())));
    r
}

fn of_plan<T: Float>(plan: &Plan<T>) -> Vec<Vec<u64>> {
    let mut r = vec![bits(plan.output(0))];
    r.extend((0..3).map(|k| bits(plan.grad(k))));
    r
}

fn capture<T: Float>(data: &[Tensor<T>]) -> Plan<T> {
    Tape::<T>::capture(|tape| {
        let mut v: Vec<_> = data[..3].iter().map(|d| tape.var_from(d)).collect();
        v.push(tape.constant_from(&data[3]));
        let loss = step(&v);
        PlanSpec::new()
            .input(v[0])
            .input(v[3])
            .output(loss)
            .grads(loss, &v[..3])
    })
}

/// Captures the step, checks how many pairs it has, and that replays on 1 to 4 threads, and a
/// run on new data, give the recorded bits.
fn assert_pairs_give_the_recorded_bits<T: Float>(dims: [usize; 3], seed: u64) {
    let [m, k, n] = dims;
    let first = data::<T>(dims, seed);
    set_num_threads(1);
    let mut plan = capture(&first);
    // Each layer's two gradient products have the same `m k n`: the second layer's `m n n`,
    // the first's `m k n`.
    let want = usize::from(m * n * n >= THRESHOLD) + usize::from(m * k * n >= THRESHOLD);
    assert_eq!(plan.num_product_pairs(), want, "{dims:?}");
    let captured = of_plan(&plan);
    assert_eq!(captured, recorded(&first), "{dims:?}: capture");
    for threads in [1, 2, 3, 4] {
        set_num_threads(threads);
        plan.replay();
        assert_eq!(of_plan(&plan), captured, "{dims:?}: {threads} threads");
    }
    let next = data::<T>(dims, seed + 1);
    let mut again = next.clone();
    again[1] = first[1].clone();
    again[2] = first[2].clone();
    for threads in [1, 2, 4] {
        set_num_threads(threads);
        plan.run(&[&next[0], &next[3]], &[]);
        assert_eq!(
            of_plan(&plan),
            recorded(&again),
            "{dims:?}: new data, {threads} threads"
        );
    }
}

#[test]
fn pairs_give_the_recorded_bits_and_only_independent_products_pair() {
    // Before the first op: the pool starts with 4 threads whatever the machine has.
    set_num_threads(4);

    // W2's shapes: both layers' gradient products pair.
    assert_pairs_give_the_recorded_bits::<f32>([128, 784, 256], 1);
    assert_pairs_give_the_recorded_bits::<f64>([128, 300, 256], 2);

    // Random shapes on both sides of the threshold.
    let mut runner = TestRunner::new(Config {
        cases: 24,
        ..Config::default()
    });
    runner
        .run(
            &(1usize..200, 1usize..400, 1usize..200, 0u64..1000, any::<bool>()),
            |(m, k, n, seed, double)| {
                if double {
                    assert_pairs_give_the_recorded_bits::<f64>([m, k, n], seed);
                } else {
                    assert_pairs_give_the_recorded_bits::<f32>([m, k, n], seed);
                }
                Ok(())
            },
        )
        .unwrap();

    // Batched products: each batch's GEMM whole on its thread, the same bits.
    let (x, w) = (
        Tensor::<f32>::rand_normal(&[4, 64, 128], 0.0, 1.0, 5),
        Tensor::<f32>::rand_normal(&[4, 128, 256], 0.0, 1.0, 6),
    );
    fn batched<'t>(tape: &'t Tape<f32>, x: &Tensor<f32>, w: &Tensor<f32>) -> [Var<'t, f32>; 3] {
        let (xv, wv) = (tape.var_from(x), tape.var_from(w));
        [xv, wv, xv.matmul(wv).sum()]
    }
    set_num_threads(1);
    let mut plan = Tape::<f32>::capture(|tape| {
        let [xv, wv, y] = batched(tape, &x, &w);
        PlanSpec::new().output(y).grads(y, &[xv, wv])
    });
    assert_eq!(plan.num_product_pairs(), 1, "batched");
    let tape = Tape::<f32>::new();
    let [xv, wv, y] = batched(&tape, &x, &w);
    let g = y.backward();
    let want = [bits(&g[xv].to_vec()), bits(&g[wv].to_vec())];
    for threads in [1, 2, 3, 4] {
        set_num_threads(threads);
        plan.replay();
        assert_eq!(
            [bits(plan.grad(0)), bits(plan.grad(1))],
            want,
            "batched, {threads} threads"
        );
    }

    // Not paired: a product that reads the one before it (a forward chain), products more than
    // twice apart in size, and products below the threshold.
    set_num_threads(2);
    let plan = Tape::<f32>::capture(|tape| {
        let x = tape.constant(Tensor::ones(&[128, 256]));
        let w = tape.constant(Tensor::ones(&[256, 256]));
        let y = x.matmul(w).matmul(w).sum();
        PlanSpec::new().output(y)
    });
    assert_eq!(plan.num_product_pairs(), 0, "a chain");
    assert_eq!(plan.output(0), &[128.0 * 256.0 * 256.0 * 256.0]);
    let plan = Tape::<f32>::capture(|tape| {
        let x = tape.constant(Tensor::ones(&[128, 256]));
        let (a, b) = (
            tape.constant(Tensor::ones(&[256, 64])),
            tape.constant(Tensor::ones(&[256, 256])),
        );
        // Adjacent and independent, but 128 * 256 * 64 against 4 times that.
        let (p, q) = (x.matmul(a), x.matmul(b));
        let y = p.sum() + q.sum();
        PlanSpec::new().output(y)
    });
    assert_eq!(plan.num_product_pairs(), 0, "unequal");
    let plan = Tape::<f32>::capture(|tape| {
        let x = tape.var(Tensor::ones(&[32, 64]));
        let w = tape.var(Tensor::ones(&[64, 64]));
        let y = x.matmul(w.t()).sum();
        PlanSpec::new().output(y).grads(y, &[x, w])
    });
    assert_eq!(plan.num_product_pairs(), 0, "small");
}
