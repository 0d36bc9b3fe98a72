//! Record once, replay: a `Plan` run on new inputs gives bit for bit what recording the step
//! again gives (outputs and gradients, `to_bits` compared), for every op family, over several
//! steps with the parameters updated in place between runs; and inputs of another shape,
//! count or range are refused with typed errors that name the input.

use chainrule::{concat, stack, Error, Plan, PlanSpec, Tape, Tensor, Var};
use proptest::prelude::*;

/// Elements as bits, so that `assert_eq!` means bit for bit. NaN counts as one value: Rust
/// leaves the sign and payload of a NaN result unspecified (two inlined copies of a kernel
/// may differ there), so they are not compared.
pub(super) fn bits(v: &[f64]) -> Vec<u64> {
    v.iter()
        .map(|x| {
            if x.is_nan() {
                f64::NAN.to_bits()
            } else {
                x.to_bits()
            }
        })
        .collect()
}

/// A step of a test: the output from the inputs and the parameters.
type Step<'a> = dyn for<'t> Fn(&[Var<'t, f64>], &[Var<'t, f64>]) -> Var<'t, f64> + 'a;

const LR: f64 = 1.0 / 64.0;

/// The loss of a step's output `y`: `sum(y * y)`, so the backward sweep starts from `2y`.
fn loss_of(y: Var<'_, f64>) -> Var<'_, f64> {
    (y * y).sum()
}

/// Captures `f` on `batches[0]`, then for every batch: runs the plan (after the first) and
/// records the step again on a plain tape, and asserts equal bits of the output, the loss and
/// every gradient; then takes an SGD step on both copies of the parameters.
fn assert_replays(f: &Step<'_>, params: &[Tensor<f64>], batches: &[Vec<Tensor<f64>>]) -> Plan<f64> {
    let mut plan = Tape::capture(|tape| {
        let xs: Vec<_> = batches[0].iter().map(|x| tape.constant_from(x)).collect();
        let ps: Vec<_> = params.iter().map(|p| tape.var_from(p)).collect();
        let y = f(&xs, &ps);
        let loss = loss_of(y);
        let spec = xs.iter().fold(PlanSpec::new(), |s, &x| s.input(x));
        spec.output(y).output(loss).grads(loss, &ps)
    });
    let mut reference: Vec<Tensor<f64>> = params.to_vec();
    for (step, batch) in batches.iter().enumerate() {
        if step > 0 {
            plan.run(&batch.iter().collect::<Vec<_>>(), &[]);
        }
        let t = Tape::new();
        let xs: Vec<_> = batch.iter().map(|x| t.constant_from(x)).collect();
        let ps: Vec<_> = reference.iter().map(|p| t.var_from(p)).collect();
        let y = f(&xs, &ps);
        let loss = loss_of(y);
        let g = loss.backward();
        assert_eq!(
            bits(plan.output(0)),
            bits(&y.value().to_vec()),
            "output, step {step}"
        );
        assert_eq!(bits(plan.output(1)), bits(&[loss.item()]), "loss, step {step}");
        for (k, &p) in ps.iter().enumerate() {
            assert_eq!(
                bits(plan.grad(k)),
                bits(&g[p].to_vec()),
                "gradient {k}, step {step}"
            );
        }
        plan.update_params(|_, w, d| w.iter_mut().zip(d).for_each(|(w, d)| *w -= LR * d));
        for (r, &p) in reference.iter_mut().zip(&ps) {
            let next: Vec<f64> = r
                .as_slice()
                .iter()
                .zip(g[p].as_slice())
                .map(|(w, d)| w - LR * d)
                .collect();
            *r = Tensor::from_vec(next, r.shape()).unwrap();
        }
        for (k, r) in reference.iter().enumerate() {
            assert_eq!(
                bits(plan.param(k)),
                bits(r.as_slice()),
                "parameter {k} after step {step}"
            );
        }
    }
    plan
}

fn normal(shape: &[usize], seed: u64) -> Tensor<f64> {
    Tensor::rand_normal(shape, 0.0, 1.0, seed)
}

/// Three batches of inputs of the given shapes.
fn batches(shapes: &[&[usize]]) -> Vec<Vec<Tensor<f64>>> {
    (0..3u64)
        .map(|b| {
            shapes
                .iter()
                .enumerate()
                .map(|(i, s)| normal(s, 100 * b + i as u64))
                .collect()
        })
        .collect()
}

#[test]
fn unary_ops_replay_bit_for_bit() {
    let f: &Step<'_> = &|x, p| {
        let h = x[0] * p[0];
        let pos = h.abs().add_scalar(0.5);
        h.exp()
            + pos.ln()
            + h.tanh()
            + h.sigmoid()
            + h.relu()
            + h.clamp(-0.5, 0.7)
            + pos.powf(1.5)
            + pos.sqrt()
            + h.leaky_relu(0.1)
            + h.softplus()
            + h.sin()
            + h.cos()
            + (-h).expm1()
            + pos.log1p()
            + pos.recip()
            + h.mul_scalar(3.0)
    };
    assert_replays(f, &[normal(&[2, 3], 7)], &batches(&[&[2, 3]]));
}

#[test]
fn binary_ops_with_broadcasting_replay_bit_for_bit() {
    let f: &Step<'_> = &|x, p| {
        let (a, b) = (x[0], p[0]); // [3, 4] and [4]
        let pos = b.abs().add_scalar(1.0);
        a * b + a / pos - b + a.abs().add_scalar(0.5).pow(pos) + a.maximum(b) + a.minimum(b * 0.5)
    };
    assert_replays(f, &[normal(&[4], 8)], &batches(&[&[3, 4]]));
}

#[test]
fn compare_and_where_replay_bit_for_bit() {
    let f: &Step<'_> = &|x, p| {
        let h = x[0] + p[0];
        let mask = h.gt(x[0] * 0.5);
        mask.where_(h * 2.0, h * h) + h.le_scalar(0.1).where_(h, p[0])
    };
    assert_replays(f, &[normal(&[5], 9)], &batches(&[&[2, 5]]));
}

#[test]
fn reductions_and_softmax_replay_bit_for_bit() {
    let f: &Step<'_> = &|x, p| {
        let h = x[0] * p[0]; // [3, 4]
        let r = h.sum_axes(&[0], true) + h.max_axes(&[0], true) + h.min_axes(&[0], true);
        let s = h.log_softmax(-1) + h.softmax(0) + h.logsumexp_axes(&[1], true) + h.mean_axes(&[1], true);
        s + r + h.sum() + h.max()
    };
    assert_replays(f, &[normal(&[3, 4], 10)], &batches(&[&[3, 4]]));
}

#[test]
fn movement_ops_replay_bit_for_bit() {
    let f: &Step<'_> = &|x, p| {
        let h = x[0] * p[0]; // [2, 3, 4]
        let a = h.permute(&[2, 0, 1]).reshape(&[4, 6]).transpose(0, 1); // [6, 4]
        let b = h.narrow(-1, 1, 2).flatten().unsqueeze(0).broadcast_to(&[3, 12]); // [3, 12]
        let c = concat(&[a, a.narrow(0, 0, 2)], 0).unwrap(); // [8, 4]
        let s = stack(&[c, c * 2.0], 0).unwrap(); // [2, 8, 4]
        s.sum() + b.sum_axes(&[0], false).reshape(&[3, 4]).sum() + c.narrow(1, 1, 3).sum()
    };
    assert_replays(f, &[normal(&[2, 3, 4], 11)], &batches(&[&[2, 3, 4]]));
}

#[test]
fn matmul_with_transposes_replays_bit_for_bit() {
    let f: &Step<'_> = &|x, p| {
        let (a, w, b) = (x[0], p[0], p[1]); // [5, 3], [4, 3], [3, 2, 4]
        let h = a.matmul(w.t()).relu(); // [5, 4]
        let k = w.t().matmul(h.t()); // [3, 5]
        let batched = b.matmul(b.transpose(1, 2)); // [3, 2, 2]
        h.sum_axes(&[1], false) + k.sum_axes(&[0], false) + batched.sum()
    };
    let params = [normal(&[4, 3], 12), normal(&[3, 2, 4], 13)];
    assert_replays(f, &params, &batches(&[&[5, 3]]));
}

#[test]
fn index_lists_rebind_on_every_run() {
    let w0 = normal(&[4, 3], 14);
    let rows = [vec![0, 3, 3, 1], vec![2, 2, 0, 1], vec![1, 0, 3, 2]];
    let targets = [vec![0, 2, 1, 1], vec![2, 2, 0, 1], vec![1, 0, 2, 0]];
    fn record<'t>(
        t: &'t Tape<f64>,
        w: &Tensor<f64>,
        x: &Tensor<f64>,
        r: &[usize],
        c: &[usize],
    ) -> [Var<'t, f64>; 4] {
        let w = t.var_from(w);
        let x = t.constant_from(x);
        let sel = (w * x).index_select(0, r); // [4, 3]
        let picked = sel.log_softmax(-1).gather(-1, c);
        [w, sel, picked, -picked.mean()]
    }
    let xs = batches(&[&[4, 3]]);
    let mut plan = Tape::capture(|tape| {
        let [w, sel, picked, loss] = record(tape, &w0, &xs[0][0], &rows[0], &targets[0]);
        PlanSpec::new()
            .indices(sel)
            .indices(picked)
            .output(loss)
            .output(picked)
            .grads(loss, &[w])
    });
    let mut w_ref = w0.clone();
    for step in 0..3 {
        if step > 0 {
            plan.run(&[], &[&rows[step], &targets[step]]);
        }
        let t = Tape::new();
        let [w, _, picked, loss] = record(&t, &w_ref, &xs[0][0], &rows[step], &targets[step]);
        let g = loss.backward();
        assert_eq!(bits(plan.output(0)), bits(&[loss.item()]), "step {step}");
        assert_eq!(
            bits(plan.output(1)),
            bits(&picked.value().to_vec()),
            "step {step}"
        );
        assert_eq!(bits(plan.grad(0)), bits(&g[w].to_vec()), "step {step}");
        plan.update_params(|_, p, d| p.iter_mut().zip(d).for_each(|(p, d)| *p -= LR * d));
        let next: Vec<f64> = w_ref
            .as_slice()
            .iter()
            .zip(g[w].as_slice())
            .map(|(p, d)| p - LR * d)
            .collect();
        w_ref = Tensor::from_vec(next, &[4, 3]).unwrap();
    }
}

#[test]
fn a_scalar_graph_replays_bit_for_bit() {
    // W1's kind of graph: one node per scalar op, with relu, constants and a division.
    let f: &Step<'_> = &|x, p| {
        let mut acc = p[2];
        for i in 0..4 {
            let xi = x[0].narrow(0, i, 1).reshape(&[]);
            let h = (p[0] * xi + p[1]).relu();
            acc = acc + (1.0 - h * 0.5).relu() / 4.0 + h.maximum(p[1]);
        }
        acc + 1e-3 * (p[0] * p[0] + p[1].powf(2.0))
    };
    let params = [Tensor::scalar(0.7), Tensor::scalar(-0.2), Tensor::scalar(0.1)];
    let plan = assert_replays(f, &params, &batches(&[&[4]]));
    assert!(plan.len() > 40, "{plan:?}");
}

#[test]
fn wrong_inputs_are_refused_with_the_input_and_shapes() {
    let mut plan = Tape::<f64>::capture(|tape| {
        let x = tape.constant(Tensor::zeros(&[2, 3])).named("batch");
        let z = tape.constant(Tensor::zeros(&[2, 3]));
        let picked = (x + z).gather(-1, &[0, 2]);
        PlanSpec::new().input(x).input(z).indices(picked).output(picked)
    });
    let (good, transposed) = (Tensor::<f64>::ones(&[2, 3]), Tensor::ones(&[3, 2]));
    type Case<'a> = (Vec<&'a Tensor<f64>>, Vec<&'a [usize]>, Error, &'static str);
    let cases: [Case<'_>; 5] = [
        (
            vec![&good],
            vec![&[0, 1]],
            Error::PlanInputCount {
                kind: "value",
                expected: 2,
                got: 1,
            },
            "plan: expected 2 value input(s), got 1",
        ),
        (
            vec![&good, &good],
            vec![],
            Error::PlanInputCount {
                kind: "index",
                expected: 1,
                got: 0,
            },
            "plan: expected 1 index input(s), got 0",
        ),
        (
            vec![&good, &good],
            vec![&[0, 1, 2]],
            Error::PlanIndexCount {
                input: "index input 0".into(),
                expected: 2,
                got: 3,
            },
            "plan: index input 0 has 3 indices, but the plan was captured with 2",
        ),
        (
            vec![&good, &good],
            vec![&[0, 3]],
            Error::PlanIndexRange {
                input: "index input 0".into(),
                index: 3,
                size: 3,
            },
            "plan: index input 0 holds index 3, out of range for an axis of size 3",
        ),
        (
            vec![&good, &transposed],
            vec![&[0, 1]],
            Error::PlanInputShape {
                input: "input 1".into(),
                expected: [2, 3][..].into(),
                got: [3, 2][..].into(),
            },
            "plan: input 1 has shape [3, 2], but the plan was captured with shape [2, 3]",
        ),
    ];
    for (values, indices, error, message) in cases {
        let e = plan.try_run(&values, &indices).unwrap_err();
        assert_eq!((e.clone(), e.to_string()), (error, message.to_string()));
        // Nothing was written: the recorded step's output is still there.
        assert_eq!(plan.output(0), &[0.0, 0.0]);
    }
    let e = plan
        .try_run(&[&Tensor::ones(&[6]), &good], &[&[0, 1]])
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "plan: input 0 ('batch') has shape [6], but the plan was captured with shape [2, 3]"
    );
    plan.run(
        &[
            &good,
            &Tensor::from_vec(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0], &[2, 3]).unwrap(),
        ],
        &[&[2, 1]],
    );
    assert_eq!(plan.output(0), &[3.0, 5.0]);
}

#[test]
fn plans_that_cannot_be_made_are_errors() {
    fn message(f: impl for<'t> FnOnce(&'t Tape<f64>) -> PlanSpec) -> String {
        Tape::try_capture(|t| Ok::<_, Error>(f(t)))
            .unwrap_err()
            .to_string()
    }
    assert_eq!(
        message(|t| PlanSpec::new().input(t.scalar_var(1.0).exp())),
        "plan: input 0 is not a leaf (made by Tape::constant_from, Tape::var, ...)"
    );
    assert_eq!(
        message(|t| PlanSpec::new().indices(t.scalar_var(1.0).exp())),
        "plan: index input 0 depends on no gather or index_select"
    );
    assert_eq!(
        message(|t| {
            let x = t.var(Tensor::zeros(&[2, 2]));
            PlanSpec::new().indices(x.gather(-1, &[0, 1]).sum() + x.gather(0, &[1, 1]).sum())
        }),
        "plan: index input 0 depends on 2 gathers or index_selects: name the one to rebind"
    );
    assert_eq!(
        message(|t| {
            let x = t.var(Tensor::zeros(&[2]));
            PlanSpec::new().grads(x.exp(), &[x])
        }),
        "plan: expected a scalar (one element), got shape [2]"
    );
    assert_eq!(
        message(|t| {
            let y = t.var(Tensor::zeros(&[2])).exp().sum();
            PlanSpec::new().grads(y, &[y])
        }),
        "plan: parameter 0 is not a variable (a leaf made by Tape::var)"
    );
    let other = Tape::<f64>::new();
    assert_eq!(
        message(|t| PlanSpec::new().input(t.scalar(1.0)).input(other.scalar(2.0))),
        "plan: the operands belong to different tapes"
    );
    assert_eq!(
        message(|_| PlanSpec::new().input(other.scalar(2.0))),
        "plan: the operands belong to different tapes"
    );
    assert!(message(|t| {
        t.set_detect_anomaly(true);
        PlanSpec::new().input(t.scalar(1.0))
    })
    .starts_with("plan: anomaly mode is on"));
}

#[test]
fn a_parameter_with_no_path_to_the_loss_gets_zeros() {
    let mut plan = Tape::<f64>::capture(|t| {
        let (a, b) = (
            t.var(Tensor::from(vec![1.0, 2.0])),
            t.var(Tensor::from(vec![3.0])),
        );
        let y = (a * a).sum();
        PlanSpec::new().output(y).grads(y, &[a, b])
    });
    plan.param_mut(0).copy_from_slice(&[3.0, 4.0]);
    plan.replay();
    assert_eq!(
        (plan.output(0), plan.grad(0), plan.grad(1)),
        (&[25.0][..], &[6.0, 8.0][..], &[0.0][..])
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A small elementwise, reduction and matmul graph on random shapes and values.
    #[test]
    fn replay_equals_recording(
        m in 1usize..5, k in 1usize..5, n in 1usize..5,
        seed in 0u64..1000, scale in 0.1f64..10.0,
    ) {
        let f: &Step<'_> = &|x, p| {
            let h = (x[0].mul_scalar(scale).matmul(p[0]) + p[1]).tanh(); // [m, n]
            let r = h.max_axes(&[1], true) - h.mean_axes(&[0], true); // [m, n]
            (r * h).exp().sum_axes(&[1], false) + h.log_softmax(0).min_axes(&[1], false)
        };
        let params = [normal(&[k, n], seed), normal(&[n], seed + 1)];
        let xs: Vec<Vec<Tensor<f64>>> = (0..3).map(|b| vec![normal(&[m, k], seed + 10 + b)]).collect();
        assert_replays(f, &params, &xs);
    }
}

/// A plan's tensors of a cache line or more (64 bytes: 16 `f32`, 8 `f64`) start on a line in
/// memory, so that the parts of a split kernel share no line and vector loads straddle none;
/// a scalar does not need to. Odd sizes before them would misalign them in a plain tape.
#[test]
fn a_plans_tensors_start_on_a_cache_line() {
    fn check<T: chainrule::Float>() {
        let mut plan = Tape::<T>::capture(|tape| {
            let odd = tape.var(Tensor::ones(&[3]));
            let x = tape.constant(Tensor::ones(&[5, 7]));
            let w = tape.var(Tensor::ones(&[9, 7]));
            let h = (x.linear(w, None) * odd.sum()).tanh(); // [5, 9]
            let loss = h.sum() + odd.sum();
            PlanSpec::new()
                .input(x)
                .output(h)
                .output(loss)
                .grads(loss, &[odd, w])
        });
        plan.replay();
        let line = |v: &[T]| (v.as_ptr() as usize).is_multiple_of(64);
        assert!(line(plan.output(0)), "output [5, 9] of {}", T::NAME);
        assert!(
            line(plan.grad(1)) && line(plan.param(1)),
            "W [9, 7] of {}",
            T::NAME
        );
        assert!(line(plan.input_mut(0)), "input [5, 7] of {}", T::NAME);
        let tanh_45: f64 = (7.0f64 * 3.0).tanh() * 45.0 + 3.0;
        assert!((plan.output(1)[0].as_f64() - tanh_45).abs() < 1e-5);
    }
    check::<f32>();
    check::<f64>();
}
