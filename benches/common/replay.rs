//! W1 and W2 replayed: each step captured once as a `Plan` (`Tape::capture`) and run again
//! with the parameters updated in place by the same SGD as the recorded workloads, so each
//! gives bit for bit the losses and parameters of [`W1Scalar`](super::W1Scalar) and
//! [`W2Engine`](super::W2Engine) (checked by `tests/suite/plan_replay.rs`).

use super::{mlp, w2_batch, W1Scalar, LR, W1_MODEL_SEED, W1_SIZES, W2_MODEL_SEED, W2_SIZES};
use autograd::{Float, Plan, PlanSpec, Tape, Tensor};
use nn::{loss, Module};

/// Plain SGD in place, as `nn::optim::Sgd` without momentum or weight decay: split over the
/// engine's threads as it splits, so each thread updates the rows of a weight it computed the
/// gradient of (`Plan::update_params`).
fn sgd<T: Float>(plan: &mut Plan<T>, lr: T) {
    plan.update_params(|_, w, g| {
        autograd::for_each_chunk_mut(w, |start, w| {
            w.iter_mut().zip(&g[start..]).for_each(|(w, &g)| *w -= lr * g)
        })
    });
}

/// W1(a) replayed: micrograd's scalar graph captured once; each step replays it (the data is
/// the same 100 points every step, as in micrograd's demo).
pub struct W1ScalarReplay {
    /// The captured step.
    pub plan: Plan<f64>,
    /// Whether the plan still holds the captured step's results (the first step reads them).
    fresh: bool,
}

impl Default for W1ScalarReplay {
    fn default() -> Self {
        Self::new()
    }
}

impl W1ScalarReplay {
    /// The same seeded parameters and data as [`W1Scalar::new`].
    pub fn new() -> Self {
        let s = W1Scalar::new();
        let plan = Tape::capture(|tape| {
            let (total, flat) = W1Scalar::forward(tape, &s.params, &s.x, &s.y);
            PlanSpec::new().output(total).grads(total, &flat)
        });
        Self { plan, fresh: true }
    }

    /// One training step (replay, SGD in place); returns the loss.
    pub fn step(&mut self) -> f64 {
        if !std::mem::take(&mut self.fresh) {
            self.plan.replay();
        }
        let loss = self.plan.output(0)[0];
        sgd(&mut self.plan, LR);
        loss
    }

    /// The parameters in [`W1Scalar::params`]' layout.
    pub fn params(&self) -> Vec<Vec<f64>> {
        let (_, ps) = mlp::<f64>(&W1_SIZES, W1_MODEL_SEED);
        let mut k = 0;
        ps.iter()
            .map(|(_, _, p)| {
                (0..p.value().numel())
                    .map(|_| {
                        k += 1;
                        self.plan.param(k - 1)[0]
                    })
                    .collect()
            })
            .collect()
    }
}

/// W2 replayed: `nn`'s `Mlp` and `nn::loss::cross_entropy` captured once with the batch as
/// the plan's input and the labels as its index input; each step runs the plan on the batch.
pub struct W2EngineReplay<T: Float = f32> {
    /// The captured step.
    pub plan: Plan<T>,
    x: Tensor<T>,
    labels: Vec<usize>,
}

impl<T: Float> Default for W2EngineReplay<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> W2EngineReplay<T> {
    /// The seeded model and batch of [`W2Engine::new`](super::W2Engine::new).
    pub fn new() -> Self {
        let (x, labels) = w2_batch();
        let (model, params) = mlp(&W2_SIZES, W2_MODEL_SEED);
        let plan = Tape::capture(|tape| {
            let bound = params.bind(tape);
            let input = tape.constant_from(&x);
            let logits = model.forward(&bound, input);
            let loss = loss::cross_entropy(logits, &labels).expect("labels");
            PlanSpec::new()
                .input(input)
                .indices(loss)
                .output(loss)
                .grads(loss, bound.vars())
        });
        Self { plan, x, labels }
    }

    /// One training step (the batch and labels written in, replay, SGD in place); returns the
    /// loss before the update.
    pub fn step(&mut self) -> f64 {
        self.plan.run(&[&self.x], &[&self.labels]);
        let loss = self.plan.output(0)[0].as_f64();
        sgd(&mut self.plan, T::from_f64(LR));
        loss
    }
}
