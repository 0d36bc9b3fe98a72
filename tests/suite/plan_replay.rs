//! A captured step replayed (`Tape::capture`, `Plan`) gives bit for bit what recording the
//! step again gives: W1's scalar graph over several SGD steps, W2's MLP step (its hidden
//! linear layers fused, `plan/fuse.rs`), and an MLP trained on a new batch with new labels
//! every step (`nn::loss::cross_entropy`'s targets rebound as the plan's index input), the
//! parameters updated in place inside the plan.

use crate::common;

use chainrule::nn::optim::{Optimizer, Sgd};
use chainrule::nn::{loss, Module};
use chainrule::{Float, PlanSpec, Tape, Tensor};
use common::replay::{W1ScalarReplay, W2EngineReplay};
use common::{mlp, param_vecs, W1Scalar, W2Engine};

fn bits<T: Float>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.as_f64().to_bits()).collect()
}

fn all_bits<T: Float>(v: &[Vec<T>]) -> Vec<Vec<u64>> {
    v.iter().map(|p| bits(p)).collect()
}

#[test]
fn w1_scalar_graph_replays_bit_for_bit() {
    let (mut recorded, mut replayed) = (W1Scalar::new(), W1ScalarReplay::new());
    // W1's ~65,000 forward nodes and ~2x that in backward, mostly chains of `add`s over
    // products: one fused sum per neuron forward, per weight's gradient and per activation's.
    assert!(replayed.plan.num_fused_sums() > 5_000, "{:?}", replayed.plan);
    assert!(replayed.plan.len() < 20_000, "{:?}", replayed.plan);
    for step in 0..4 {
        let (a, b) = (recorded.step(), replayed.step());
        assert_eq!(a.to_bits(), b.to_bits(), "loss at step {step}: {a} vs {b}");
        assert_eq!(
            all_bits(&recorded.params),
            all_bits(&replayed.params()),
            "step {step}"
        );
    }
}

#[test]
fn w2_step_replays_bit_for_bit() {
    let (mut recorded, mut replayed) = (W2Engine::<f32>::new(), W2EngineReplay::<f32>::new());
    // Its two hidden layers (256 outputs) replay fused, the 10-output one unfused.
    assert_eq!(replayed.plan.num_fused_linears(), 2, "{:?}", replayed.plan);
    for step in 0..3 {
        let (a, b) = (recorded.step(), replayed.step());
        assert_eq!(a.to_bits(), b.to_bits(), "loss at step {step}: {a} vs {b}");
        let params = param_vecs(&recorded.params);
        for (k, p) in params.iter().enumerate() {
            assert_eq!(
                bits(p),
                bits(replayed.plan.param(k)),
                "parameter {k} after step {step}"
            );
        }
    }
}

#[test]
fn an_mlp_trains_on_new_batches_and_labels_bit_for_bit() {
    const SIZES: [usize; 4] = [12, 16, 16, 5];
    const BATCH: usize = 8;
    const LR: f64 = 0.1;
    let batch = |step: u64| {
        let x = Tensor::<f32>::rand_normal(&[BATCH, SIZES[0]], 0.0, 1.0, 10 + step);
        let u = Tensor::<f64>::rand_uniform(&[BATCH], 0.0, 5.0, 20 + step);
        let labels: Vec<usize> = u.as_slice().iter().map(|&v| (v as usize).min(4)).collect();
        (x, labels)
    };
    let (model, mut params) = mlp::<f32>(&SIZES, 3);
    let (x0, labels0) = batch(0);
    let mut plan = Tape::capture(|tape| {
        let bound = params.bind(tape);
        let x = tape.constant_from(&x0);
        let j = loss::cross_entropy(model.forward(&bound, x), &labels0).unwrap();
        PlanSpec::new()
            .input(x)
            .indices(j)
            .output(j)
            .grads(j, bound.vars())
    });
    let mut opt = Sgd::new(LR);
    let mut tape = Tape::new();
    for step in 0..5u64 {
        let (x, labels) = batch(step);
        plan.run(&[&x], &[&labels]);
        tape.reset();
        let bound = params.bind(&tape);
        let j = loss::cross_entropy(model.forward(&bound, tape.constant_from(&x)), &labels).unwrap();
        let grads = bound.grads(j.backward());
        assert_eq!(bits(plan.output(0)), bits(&[j.item()]), "loss at step {step}");
        for (k, g) in grads.iter().enumerate() {
            assert_eq!(
                bits(plan.grad(k)),
                bits(g.as_ref().unwrap().as_slice()),
                "gradient {k}, step {step}"
            );
        }
        opt.step(&mut params, &grads);
        let lr = f32::from_f64(LR);
        plan.update_params(|_, w, g| w.iter_mut().zip(g).for_each(|(w, &g)| *w -= lr * g));
        for (k, p) in param_vecs(&params).iter().enumerate() {
            assert_eq!(bits(p), bits(plan.param(k)), "parameter {k} after step {step}");
        }
    }
    // The labels did change the loss: the plan did not keep the captured ones.
    let (x, labels) = batch(1);
    plan.run(&[&x], &[&labels]);
    let first = plan.output(0)[0];
    let other: Vec<usize> = labels.iter().map(|&l| (l + 1) % 5).collect();
    plan.run(&[&x], &[&other]);
    assert_ne!(first, plan.output(0)[0]);
}
