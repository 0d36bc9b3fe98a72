//! Training steps replayed: for a model whose steps can be ([`Module::replayable`]), `fit`
//! captures the step once per epoch on its first full batch ([`Tape::capture`]) and replays it
//! for the epoch's other full batches, with the same results, bit for bit, as recording each.
//! Everything else records: a model that is not replayable, anomaly detection (a plan runs no
//! checks), a last batch of another size, and any batch the plan refuses (recording then
//! reports the error as it always has).

use super::scores::batch_loss_parts;
use super::TrainConfig;
use crate::data::Dataset;
use crate::module::Module;
use crate::param::{ParamId, ParamStore};
use autograd::{Float, Plan, PlanSpec, Tape, Tensor};

/// One step's loss, gradients (store order, `None` for frozen parameters) and outputs.
pub(super) type Step<T> = (f64, Vec<Option<Tensor<T>>>, Tensor<T>);

/// The captured step of the current epoch, if any.
pub(super) struct Replayer<T: Float> {
    enabled: bool,
    plan: Option<Plan<T>>,
    /// The rows of the captured batch.
    rows: usize,
    /// The plan's parameters (the trainable ones), in store order.
    trainable: Vec<ParamId>,
}

impl<T: Float> Replayer<T> {
    pub(super) fn new(model: &impl Module<T>, config: &TrainConfig) -> Self {
        Self {
            enabled: model.replayable() && !config.detect_anomaly,
            plan: None,
            rows: 0,
            trainable: Vec::new(),
        }
    }

    /// Forgets the plan: each epoch captures again, since a callback may have changed what a
    /// plan holds as constants (frozen parameters, which are bound as constants).
    pub(super) fn new_epoch(&mut self) {
        self.plan = None;
    }

    /// One training step on `batch` with the store's current parameters, replayed (or
    /// captured), or `None` where it must be recorded instead.
    pub(super) fn step(
        &mut self,
        model: &impl Module<T>,
        params: &ParamStore<T>,
        batch: &Dataset<T>,
    ) -> Option<Step<T>> {
        if !self.enabled {
            return None;
        }
        match self.plan.as_mut() {
            None => {
                self.trainable = params
                    .iter()
                    .filter(|(_, _, p)| !p.frozen())
                    .map(|(id, _, _)| id)
                    .collect();
                let trainable = &self.trainable;
                let captured = Tape::try_capture(|tape| {
                    let bound = params.bind(tape);
                    let x = tape.constant_from(&batch.x);
                    let outputs = model.forward(&bound, x);
                    let (loss, target) = batch_loss_parts(outputs, batch)?;
                    let vars: Vec<_> = trainable.iter().map(|id| bound.vars()[id.index()]).collect();
                    let spec = match target {
                        Some(y) => PlanSpec::new().input(x).input(y),
                        None => PlanSpec::new().input(x).indices(loss),
                    };
                    Ok::<_, autograd::Error>(spec.output(loss).output(outputs).grads(loss, &vars))
                });
                match captured {
                    Ok(plan) => self.plan = Some(plan),
                    Err(_) => {
                        // Recording reports the error, and later steps record too.
                        self.enabled = false;
                        return None;
                    }
                }
                self.rows = batch.len();
            }
            Some(plan) => {
                if batch.len() != self.rows {
                    return None;
                }
                for (k, &id) in self.trainable.iter().enumerate() {
                    // Split as the step's kernels and the optimisers split a weight, so that
                    // each thread writes the rows it then computes with (docs/threads.md, "A
                    // thread keeps its rows").
                    autograd::copy_split(plan.param_mut(k), params.get(id).value().as_slice());
                }
                let ran = match &batch.values {
                    Some(y) => plan.try_run(&[&batch.x, y], &[]),
                    None => plan.try_run(&[&batch.x], &[&batch.labels]),
                };
                ran.ok()?;
            }
        }
        let plan = self.plan.as_ref()?;
        let outputs = Tensor::from_vec(plan.output(1).to_vec(), plan.output_shape(1)).ok()?;
        let mut grads = vec![None; params.len()];
        for (k, &id) in self.trainable.iter().enumerate() {
            let shape = params.get(id).value().shape();
            let mut grad = vec![T::zero(); plan.grad(k).len()];
            autograd::copy_split(&mut grad, plan.grad(k));
            grads[id.index()] = Some(Tensor::from_vec(grad, shape).ok()?);
        }
        Some((plan.output(0)[0].as_f64(), grads, outputs))
    }
}
