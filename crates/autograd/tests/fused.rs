//! Fusion in a replayed step (`plan/fuse.rs`): a linear layer's `matmul`, broadcast bias and
//! `add` run as one GEMM with the bias added in its store, and give bit for bit what the three
//! unfused kernels give: the outputs, the loss and every gradient (computed by the recorded
//! rules of the primitives), against the captured step's own results and against recording
//! the step again, for `f32` and `f64`, random shapes on both sides of the GEMM's parallel
//! threshold (48 * 48 * 256 = 589,824 `m k n`), on 1 and 2 threads; NaN, infinities and
//! signed zeros pass through as in the unfused ops (relu keeps NaN, where gemmkit's own fused
//! relu would give 0). Layers of fewer than 64 outputs are not fused (their plain kernels are
//! faster): the random shapes have both.

use chainrule::{set_num_threads, Float, Plan, PlanSpec, Tape, Tensor, Var};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Elements as `f64` bits; every NaN as one value (its sign and payload are not specified).
fn bits<T: Float>(v: &[T]) -> Vec<u64> {
    v.iter()
        .map(|x| {
            if x.is_nan() {
                f64::NAN.to_bits()
            } else {
                x.as_f64().to_bits()
            }
        })
        .collect()
}

/// How the product is written: `x.linear(w, b)` (`w` read transposed in place), or
/// `x.matmul(w.t()) + b` (a permute, then the plain product).
#[derive(Clone, Copy, Debug)]
enum Form {
    Linear,
    MatmulT,
}

/// The activations a dense layer applies after the sum.
#[derive(Clone, Copy, Debug)]
enum Act {
    Identity,
    Relu,
    Tanh,
    Sigmoid,
}

/// The layer `act(x W^T + b)` and its loss `sum(y * c)` (`c` fixed, so every gradient element
/// differs).
fn layer<'t, T: Float>(form: Form, act: Act, v: &[Var<'t, T>]) -> (Var<'t, T>, Var<'t, T>) {
    let (x, w, b, c) = (v[0], v[1], v[2], v[3]);
    let z = match form {
        Form::Linear => x.linear(w, Some(b)),
        Form::MatmulT => x.matmul(w.t()) + b,
    };
    let y = match act {
        Act::Identity => z,
        Act::Relu => z.relu(),
        Act::Tanh => z.tanh(),
        Act::Sigmoid => z.sigmoid(),
    };
    (y, (y * c).sum())
}

/// The step's values as bits: output, loss, and the gradients of x, W and b.
type Results = Vec<Vec<u64>>;

fn of_plan<T: Float>(plan: &Plan<T>) -> Results {
    let mut r = vec![bits(plan.output(0)), bits(plan.output(1))];
    r.extend((0..3).map(|k| bits(plan.grad(k))));
    r
}

/// Records the step on a plain tape (every kernel unfused) and runs its backward.
fn recorded<T: Float>(form: Form, act: Act, data: &[Tensor<T>]) -> Results {
    let tape = Tape::<T>::new();
    let mut v: Vec<_> = data[..3].iter().map(|d| tape.var_from(d)).collect();
    v.push(tape.constant_from(&data[3]));
    let (y, loss) = layer(form, act, &v);
    let g = loss.backward();
    let mut r = vec![bits(&y.value().to_vec()), bits(&loss.value().to_vec())];
    r.extend(v[..3].iter().map(|&p| bits(&g[p].to_vec())));
    r
}

/// Captures the step on `data`, checks that its linear group is fused, and asserts that a
/// replay (on 1 and on 2 threads) gives the captured (unfused) results; then runs it on `next`
/// and compares with recording the step again on `next`.
fn assert_fused_equals_unfused<T: Float>(form: Form, act: Act, data: &[Tensor<T>], next: &[Tensor<T>]) {
    let mut plan = Tape::<T>::capture(|tape| {
        let mut v: Vec<_> = data[..3].iter().map(|d| tape.var_from(d)).collect();
        v.push(tape.constant_from(&data[3]));
        let (y, loss) = layer(form, act, &v);
        PlanSpec::new()
            .input(v[0])
            .input(v[3])
            .output(y)
            .output(loss)
            .grads(loss, &v[..3])
    });
    let n = data[1].shape()[0];
    let fused = usize::from(n >= 64);
    assert_eq!(plan.num_fused_linears(), fused, "{form:?} {act:?}, {n} columns");
    let captured = of_plan(&plan);
    assert_eq!(captured, recorded(form, act, data), "capture records unfused");
    for threads in [1, 2] {
        set_num_threads(threads);
        plan.replay();
        assert_eq!(of_plan(&plan), captured, "{form:?} {act:?}, {threads} threads");
    }
    plan.run(&[&next[0], &next[3]], &[]);
    let mut again = next[..3].to_vec();
    again[1] = data[1].clone();
    again[2] = data[2].clone();
    again.push(next[3].clone());
    assert_eq!(
        of_plan(&plan),
        recorded(form, act, &again),
        "{form:?} {act:?}, new inputs"
    );
}

/// `x: [m, k]`, `W: [n, k]`, `b: [n]`, `c: [m, n]`, normal from `seed`; with `specials`, some
/// elements of `x` and `b` replaced by NaN, infinities and signed zeros.
fn data<T: Float>([m, k, n]: [usize; 3], seed: u64, specials: bool) -> Vec<Tensor<T>> {
    let normal = |shape: &[usize], s: u64| Tensor::<T>::rand_normal(shape, T::zero(), T::one(), seed * 4 + s);
    let mut x = normal(&[m, k], 0).to_vec();
    let mut b = normal(&[n], 1).to_vec();
    if specials {
        let odd = [T::nan(), T::infinity(), T::neg_infinity(), -T::zero(), T::zero()];
        for (i, v) in x.iter_mut().enumerate().filter(|(i, _)| i % 7 == 3) {
            *v = odd[i % odd.len()];
        }
        for (i, v) in b.iter_mut().enumerate().filter(|(i, _)| i % 3 == 1) {
            *v = odd[(i / 3) % odd.len()];
        }
    }
    vec![
        Tensor::from_vec(x, &[m, k]).unwrap(),
        normal(&[n, k], 2),
        Tensor::from_vec(b, &[n]).unwrap(),
        normal(&[m, n], 3),
    ]
}

fn acts() -> impl Strategy<Value = Act> {
    prop_oneof![
        Just(Act::Identity),
        Just(Act::Relu),
        Just(Act::Tanh),
        Just(Act::Sigmoid)
    ]
}

fn forms() -> impl Strategy<Value = Form> {
    prop_oneof![Just(Form::Linear), Just(Form::MatmulT)]
}

#[test]
fn fused_linear_gives_the_unfused_bits_on_random_shapes() {
    set_num_threads(2);
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    // Up to 200^3 = 8,000,000 `m k n`: about half the cases split the GEMM over threads.
    let dim = || 1usize..200;
    let case = (
        dim(),
        dim(),
        dim(),
        0u64..1000,
        forms(),
        acts(),
        any::<bool>(),
        any::<bool>(),
    );
    runner
        .run(&case, |(m, k, n, seed, form, act, specials, double)| {
            let dims = [m, k, n];
            if double {
                let next = data::<f64>(dims, seed + 1, specials);
                assert_fused_equals_unfused(form, act, &data::<f64>(dims, seed, specials), &next);
            } else {
                let next = data::<f32>(dims, seed + 1, specials);
                assert_fused_equals_unfused(form, act, &data::<f32>(dims, seed, specials), &next);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn nan_infinities_and_signed_zeros_pass_through_as_unfused() {
    set_num_threads(2);
    // Row 0 holds a NaN, rows 1 and 2 an infinity, row 3 only zeros; W is all ones (64
    // outputs, so that the layer is fused), the bias -0.0 in even columns and 1 in odd ones.
    let x: Vec<f32> = vec![
        f32::NAN,
        1.0,
        f32::INFINITY,
        1.0,
        f32::NEG_INFINITY,
        1.0,
        0.0,
        0.0,
    ];
    let x = Tensor::from_vec(x, &[4, 2]).unwrap();
    let w = Tensor::<f32>::ones(&[64, 2]);
    let b = Tensor::from(
        (0..64)
            .map(|j| if j % 2 == 0 { -0.0f32 } else { 1.0 })
            .collect::<Vec<_>>(),
    );
    let c = Tensor::<f32>::ones(&[4, 64]);
    for act in [Act::Identity, Act::Relu, Act::Tanh, Act::Sigmoid] {
        let d = [x.clone(), w.clone(), b.clone(), c.clone()];
        assert_fused_equals_unfused(Form::Linear, act, &d, &d);
    }
    let mut plan = Tape::<f32>::capture(|tape| {
        let v = [
            tape.var_from(&x),
            tape.var_from(&w),
            tape.var_from(&b),
            tape.constant_from(&c),
        ];
        let (y, loss) = layer(Form::Linear, Act::Relu, &v);
        PlanSpec::new().output(y).grads(loss, &v[..3])
    });
    assert_eq!(plan.num_fused_linears(), 1);
    plan.replay();
    let y = plan.output(0);
    let row = |i: usize| &y[i * 64..(i + 1) * 64];
    // relu(NaN) is NaN (PyTorch's); relu(+inf) = +inf, relu(-inf) = +0; 0 + -0 = +0.
    assert!(row(0).iter().all(|v| v.is_nan()), "{:?}", row(0));
    assert!(row(1).iter().all(|&v| v == f32::INFINITY));
    assert!(row(2).iter().all(|&v| v.to_bits() == 0));
    let zeros = row(3).iter().step_by(2).all(|&v| v.to_bits() == 0);
    assert!(zeros && row(3).iter().skip(1).step_by(2).all(|&v| v == 1.0));
    // relu's recorded rule masks with `z > 0`, false for NaN: of the 4 rows only row 1 (+inf)
    // passes the cotangent 1 to the bias of column 0 (rows 1 and 3 to column 1's).
    assert_eq!(&plan.grad(2)[..2], &[1.0, 2.0]);
    // Products of -0.0 and a bias of -0.0 and +0.0: the signs of the unfused sums.
    let mut plan = Tape::<f32>::capture(|tape| {
        let x = tape.constant(Tensor::from_vec(vec![-0.0f32, -0.0], &[1, 2]).unwrap());
        let w = tape.var(Tensor::ones(&[64, 2]));
        let b = tape.var(Tensor::from(
            (0..64)
                .map(|j| if j % 2 == 0 { -0.0f32 } else { 0.0 })
                .collect::<Vec<_>>(),
        ));
        let y = x.linear(w, Some(b));
        PlanSpec::new().output(y).grads(y.sum(), &[w, b])
    });
    let unfused = bits(plan.output(0));
    plan.replay();
    assert_eq!(plan.num_fused_linears(), 1);
    assert_eq!(bits(plan.output(0)), unfused);
}

#[test]
fn a_product_read_elsewhere_is_not_fused_and_still_right() {
    let x = Tensor::<f64>::rand_normal(&[5, 64], 0.0, 1.0, 1);
    let w = Tensor::<f64>::rand_normal(&[64, 64], 0.0, 1.0, 2);
    let b = Tensor::<f64>::rand_normal(&[64], 0.0, 1.0, 3);
    // The product is an output of the plan; then the bias is added first (`b + xW^T`: the
    // `add` reads the broadcast bias first); then both layers of a two-layer net, fused.
    type Pair = for<'t> fn(Var<'t, f64>, Var<'t, f64>, Var<'t, f64>) -> [Var<'t, f64>; 2];
    let cases: [(usize, Pair); 3] = [
        (0, |x, w, b| {
            let p = x.matmul(w.t());
            [p, (p + b).relu()]
        }),
        (0, |x, w, b| [x, (b + x.matmul(w.t())).relu()]),
        (2, |x, w, b| {
            let h = x.linear(w, Some(b)).tanh();
            [h, h.linear(w.matmul(w.t()), Some(b)).sum_axes(&[1], false)]
        }),
    ];
    for (k, (fused, f)) in cases.into_iter().enumerate() {
        let mut plan = Tape::capture(|tape| {
            let (x, w, b) = (tape.var_from(&x), tape.var_from(&w), tape.var_from(&b));
            let [p, y] = f(x, w, b);
            let loss = (y * y).sum();
            PlanSpec::new().output(p).output(loss).grads(loss, &[x, w, b])
        });
        assert_eq!(plan.num_fused_linears(), fused, "case {k}");
        let captured: Vec<_> = (0..2).map(|i| bits(plan.output(i))).collect();
        let grads: Vec<_> = (0..3).map(|i| bits(plan.grad(i))).collect();
        plan.replay();
        assert_eq!((0..2).map(|i| bits(plan.output(i))).collect::<Vec<_>>(), captured);
        assert_eq!((0..3).map(|i| bits(plan.grad(i))).collect::<Vec<_>>(), grads);
    }
}
