//! Results do not depend on the number of threads: every kernel that splits its work (GEMM,
//! elementwise, comparisons, `where`, reductions, broadcasts, permutes), alone and in a whole
//! training step with backward, gives the same bits on 1, 2, 3 and 4 threads; and the split
//! kernels still compute the right values (against plain loops in `f64`).
//!
//! One test function: the thread count is the process's, so the cases run one after another.

use chainrule::{get_num_threads, set_num_threads, try_set_num_threads, PlanSpec, Tape, Tensor, Var};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Every value a graph computes, as bits: the outputs and the gradients of all its inputs.
fn run(shapes: &[Vec<usize>], seed: u64, build: Build) -> Vec<Vec<u32>> {
    let tape = Tape::<f32>::new();
    let vars: Vec<_> = shapes
        .iter()
        .enumerate()
        .map(|(k, s)| tape.var(Tensor::rand_normal(s, 0.0, 1.0, seed + k as u64)))
        .collect();
    let y = build(&vars);
    let mut out = vec![y.value().to_vec()];
    let g = y.sum().backward();
    out.extend(vars.iter().map(|&v| g[v].to_vec()));
    out.into_iter()
        .map(|v| v.iter().map(|x| x.to_bits()).collect())
        .collect()
}

/// Ten replays of a captured two-layer step large enough to split (SGD in place), as bits of
/// the losses and the final weights. Its second layer's gradient products run side by side
/// (`plan/pair.rs`) and its relu masks are fused (`plan/mask.rs`).
fn replayed(seed: u64) -> Vec<u32> {
    let x = Tensor::<f32>::rand_normal(&[128, 784], 0.0, 1.0, seed);
    let w = Tensor::<f32>::rand_normal(&[256, 784], 0.0, 0.05, seed + 1);
    let w2 = Tensor::<f32>::rand_normal(&[256, 256], 0.0, 0.05, seed + 2);
    let mut plan = Tape::<f32>::capture(|tape| {
        let xi = tape.constant_from(&x);
        let (wv, w2v) = (tape.var_from(&w), tape.var_from(&w2));
        let h = xi.matmul(wv.t()).relu().matmul(w2v.t()).relu();
        let loss = (h * h).mean();
        PlanSpec::new().input(xi).output(loss).grads(loss, &[wv, w2v])
    });
    assert_eq!(plan.num_product_pairs(), 1);
    let mut bits = Vec::new();
    for _ in 0..10 {
        plan.run(&[&x], &[]);
        bits.push(plan.output(0)[0].to_bits());
        plan.update_params(|_, w, g| w.iter_mut().zip(g).for_each(|(w, &g)| *w -= 0.1 * g));
    }
    bits.extend(plan.param(0).iter().chain(plan.param(1)).map(|v| v.to_bits()));
    bits
}

/// `chainrule::gemm` on 1 to 4 threads: the same bits, and right at a few elements.
fn gemm_case(
    (m, k, n, (ta, tb), seed): (usize, usize, usize, (bool, bool), u64),
) -> Result<(), TestCaseError> {
    let a = Tensor::<f32>::rand_normal(&[m * k], 0.0, 1.0, seed).to_vec();
    let b = Tensor::<f32>::rand_normal(&[k * n], 0.0, 1.0, seed + 1).to_vec();
    let product = |threads| {
        set_num_threads(threads);
        let mut c = vec![f32::NAN; m * n];
        chainrule::gemm(ta, tb, m, k, n, &a, &b, 0.0, &mut c);
        c.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    };
    let serial = product(1);
    for threads in [2, 3, 4] {
        prop_assert!(
            product(threads) == serial,
            "{m} {k} {n} ta {ta} tb {tb}: {threads} threads"
        );
    }
    let at = |i: usize, p: usize| f64::from(if ta { a[p * m + i] } else { a[i * k + p] });
    let bt = |p: usize, j: usize| f64::from(if tb { b[j * k + p] } else { b[p * n + j] });
    for (i, j) in [(0, 0), (m - 1, n - 1), (m / 2, n / 3), (m - 1, 0), (0, n - 1)] {
        let want: f64 = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
        let got = f64::from(f32::from_bits(serial[i * n + j]));
        let tol = 1e-5 * (k as f64) * (1.0 + want.abs());
        prop_assert!(
            (got - want).abs() <= tol,
            "[{i}, {j}] of {m} {k} {n}: {got} against {want}"
        );
    }
    Ok(())
}

/// A graph over the inputs.
type Build = for<'t, 'v> fn(&'v [Var<'t, f32>]) -> Var<'t, f32>;

type Case = (&'static str, Vec<Vec<usize>>, Build);

fn cases() -> Vec<Case> {
    vec![
        ("unary", vec![vec![400, 300]], |v| v[0].tanh().exp().relu()),
        ("binary", vec![vec![400, 300], vec![400, 300]], |v| {
            v[0] * v[1] - v[0] / (v[1].abs() + 1.0)
        }),
        ("broadcast bias + relu", vec![vec![256, 300], vec![300]], |v| {
            (v[0] + v[1]).relu()
        }),
        ("compare and where", vec![vec![400, 300], vec![400, 300]], |v| {
            v[0].gt(v[1]).where_(v[0], v[1] * 2.0)
        }),
        ("sum of all", vec![vec![700, 300]], |v| v[0].sum() * 1.0),
        ("sum over batch", vec![vec![500, 300]], |v| {
            v[0].sum_axes(&[0], false)
        }),
        ("sum over rows", vec![vec![500, 300]], |v| {
            v[0].sum_axes(&[1], true)
        }),
        ("sum over a middle axis", vec![vec![40, 60, 50]], |v| {
            v[0].sum_axes(&[1], false)
        }),
        ("max and min", vec![vec![400, 300]], |v| {
            v[0].max_axes(&[0], true) + v[0].min_axes(&[1], true)
        }),
        ("permute", vec![vec![60, 70, 80]], |v| {
            v[0].permute(&[2, 0, 1]) * 3.0
        }),
        (
            "matmul, both transposes",
            vec![vec![128, 300], vec![256, 300]],
            |v| v[0].matmul(v[1].t()),
        ),
        (
            "mlp step",
            vec![vec![128, 784], vec![256, 784], vec![256], vec![10, 256], vec![10]],
            |v| {
                let h = (v[0].matmul(v[1].t()) + v[2]).relu();
                let z = h.matmul(v[3].t()) + v[4];
                -z.log_softmax(-1).gather(-1, &[3; 128]).mean()
            },
        ),
    ]
}

#[test]
fn results_are_the_same_bits_on_any_number_of_threads_and_right() {
    // Before the first op: the pool starts with 4 threads whatever the machine has.
    set_num_threads(4);
    assert_eq!(get_num_threads(), 4);
    for (name, shapes, build) in cases() {
        set_num_threads(1);
        let serial = run(&shapes, 7, build);
        for n in [2, 3, 4] {
            set_num_threads(n);
            assert!(
                run(&shapes, 7, build) == serial,
                "{name}: {n} threads differ from 1"
            );
        }
    }

    // Random shapes around the split thresholds (65,536 elements; sum blocks of 4,096).
    let mut runner = TestRunner::new(Config {
        cases: 24,
        ..Config::default()
    });
    runner
        .run(&(1usize..500, 1usize..500, 0u64..1000), |(r, c, seed)| {
            let build: Build = |v| {
                let y = (v[0] * v[1]).sigmoid() + v[2];
                y.sum_axes(&[0], true) + y.sum_axes(&[1], true) + y.sum() + y.max_axes(&[1], true)
            };
            let shapes = [vec![r, c], vec![r, c], vec![c]];
            set_num_threads(1);
            let serial = run(&shapes, seed, build);
            set_num_threads(2);
            prop_assert!(run(&shapes, seed, build) == serial, "[{r}, {c}] seed {seed}");
            Ok(())
        })
        .unwrap();

    // The GEMM, split by gemmkit, by columns of C (`x W^T` from 65 rows on) or by rows of C
    // (`dY^T x` from 65 columns on: dtype.rs): the same bits on any number of threads, and
    // right (against a plain loop in f64). Any shape and transposes, and then shapes of the
    // column and the row split, around the parallel threshold (589,824 m k n), the part blocks
    // (64) and gemmkit's small-matrix sizes.
    runner
        .run(
            &(
                1usize..260,
                1usize..700,
                1usize..520,
                any::<(bool, bool)>(),
                0u64..1000,
            ),
            gemm_case,
        )
        .unwrap();
    runner
        .run(
            &(
                60usize..260,
                20usize..700,
                120usize..520,
                Just((false, true)),
                0u64..1000,
            ),
            gemm_case,
        )
        .unwrap();
    runner
        .run(
            &(
                120usize..520,
                20usize..700,
                60usize..260,
                Just((true, false)),
                0u64..1000,
            ),
            gemm_case,
        )
        .unwrap();

    // The split kernels are right, not only repeatable: against plain loops in f64.
    set_num_threads(4);
    let tape = Tape::<f64>::new();
    let x = Tensor::<f64>::rand_normal(&[500, 300], 0.0, 1.0, 3);
    let xs = x.to_vec();
    let v = tape.constant(x);
    let total: f64 = xs.iter().sum();
    assert!((v.sum().item() - total).abs() < 1e-9);
    let cols = v.sum_axes(&[0], false).value().to_vec();
    let rows = v.sum_axes(&[1], false).value().to_vec();
    for (j, &c) in cols.iter().enumerate() {
        let want: f64 = (0..500).map(|i| xs[i * 300 + j]).sum();
        assert!((c - want).abs() < 1e-12, "column {j}");
    }
    for (i, &r) in rows.iter().enumerate() {
        let want: f64 = xs[i * 300..(i + 1) * 300].iter().sum();
        assert!((r - want).abs() < 1e-12, "row {i}");
    }
    let t = v.permute(&[1, 0]).value().to_vec();
    assert!((0..500).all(|i| (0..300).all(|j| t[j * 500 + i] == xs[i * 300 + j])));

    // A replayed step that splits (its workers kept awake) gives the recorded bits on 4
    // threads, also with several threads replaying at once (a spinner once deadlocked there).
    set_num_threads(1);
    let serial: Vec<Vec<u32>> = (0..4).map(replayed).collect();
    set_num_threads(4);
    for _ in 0..3 {
        let all: Vec<Vec<u32>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4).map(|k| s.spawn(move || replayed(k))).collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(all == serial, "replayed concurrently on 4 threads");
        assert!((0..4).map(replayed).collect::<Vec<_>>() == serial);
    }

    // The pool started with 4: more is refused with a message that says why; 0 always is.
    let err = try_set_num_threads(5).unwrap_err().to_string();
    assert!(
        err.contains("5 threads asked for, but the pool started with 4"),
        "{err}"
    );
    assert_eq!(
        try_set_num_threads(0).unwrap_err().to_string(),
        "set_num_threads: the number of threads must be at least 1"
    );
    let err = try_set_num_threads(chainrule::MAX_THREADS + 1)
        .unwrap_err()
        .to_string();
    assert_eq!(err, "set_num_threads: 1025 threads asked for; at most 1024");
    assert_eq!(get_num_threads(), 4);
}
