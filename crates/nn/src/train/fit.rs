//! The training loop: epochs of shuffled mini-batches, one optimiser step per batch.

use super::replay::Replayer;
use super::scores::{batch_loss, Tally};
use super::{
    on_batch, try_evaluate, AnomalyError, BatchInfo, Callback, EpochMetrics, TrainConfig, TrainError,
};
use crate::data::Dataset;
use crate::module::Module;
use crate::optim::Optimizer;
use crate::param::ParamStore;
use autograd::{Float, Tape};
use std::time::Instant;

/// Trains a model on `train` (a classifier with softmax cross-entropy from its logits, or a
/// regressor with the mean squared error, as [`Dataset::is_regression`] says), evaluating on `test` after each
/// epoch if given. Calls `on_batch` after every step. The tape is reset between steps, so
/// memory does not grow. The same as [`fit_with`] with the callback [`on_batch`]`(on_batch)`.
///
/// # Panics
/// Where [`try_fit_with`] fails.
#[track_caller]
pub fn fit<T: Float, M: Module<T>, O: Optimizer<T>>(
    model: &M,
    params: &mut ParamStore<T>,
    opt: &mut O,
    train: &Dataset<T>,
    test: Option<&Dataset<T>>,
    config: &TrainConfig,
    on_batch: impl FnMut(&BatchInfo),
) -> Vec<EpochMetrics> {
    fit_with(
        model,
        params,
        opt,
        train,
        test,
        config,
        &mut self::on_batch(on_batch),
    )
}

/// Trains a model on `train` (a classifier with softmax cross-entropy from its logits, or a
/// regressor with the mean squared error, as [`Dataset::is_regression`] says), evaluating on `test` after each
/// epoch if given, as [`fit`], reporting to `callback` after every step and every epoch. Stops
/// early when the callback's [`Callback::on_epoch`] returns [`ControlFlow::Break`](std::ops::ControlFlow::Break); the
/// history then ends with that epoch. The optimiser's learning rate is restored to its initial
/// value on return.
///
/// One step is: reset the tape, bind the parameters (training mode), `forward`,
/// `cross_entropy` (or `mse`), `backward`, read the parameters' gradients, clip them if
/// configured, `opt.step`, write the buffers the forward pass updated (batch norms' running
/// statistics). For a model whose steps can be replayed ([`Module::replayable`], and
/// anomaly detection off), the first full batch of each epoch is captured
/// ([`Tape::capture`](autograd::Tape::capture)) and the epoch's other full batches replay it,
/// with the same results, bit for bit, as recording each step.
///
/// # Panics
/// Where [`try_fit_with`] fails.
#[track_caller]
pub fn fit_with<T: Float, M: Module<T>, O: Optimizer<T>>(
    model: &M,
    params: &mut ParamStore<T>,
    opt: &mut O,
    train: &Dataset<T>,
    test: Option<&Dataset<T>>,
    config: &TrainConfig,
    callback: &mut impl Callback<T>,
) -> Vec<EpochMetrics> {
    match try_fit_with(model, params, opt, train, test, config, callback) {
        Ok(history) => history,
        Err(e) => panic!("{e}"),
    }
}

/// [`fit_with`], returning an error instead of panicking: when [`TrainConfig::detect_anomaly`]
/// finds a NaN or an infinity (the parameters are left as they were before that step), when
/// the batch size is 0, when a label does not fit the model's outputs, or when the optimiser
/// refuses a step ([`OptimError`](crate::optim::OptimError)). Nothing is changed by the step that fails.
pub fn try_fit_with<T: Float, M: Module<T>, O: Optimizer<T>>(
    model: &M,
    params: &mut ParamStore<T>,
    opt: &mut O,
    train: &Dataset<T>,
    test: Option<&Dataset<T>>,
    config: &TrainConfig,
    callback: &mut impl Callback<T>,
) -> Result<Vec<EpochMetrics>, TrainError> {
    if config.batch_size == 0 {
        return Err(TrainError::BatchSize);
    }
    if config.drop_last && train.len() < config.batch_size {
        return Err(TrainError::NoFullBatch {
            rows: train.len(),
            batch_size: config.batch_size,
        });
    }
    let base_lr = opt.lr();
    let result = run_epochs(model, params, opt, train, test, config, callback, base_lr);
    opt.set_lr(base_lr);
    result
}

/// The epochs of [`try_fit_with`] (which restores the learning rate however they end).
#[allow(clippy::too_many_arguments)]
fn run_epochs<T: Float, M: Module<T>, O: Optimizer<T>>(
    model: &M,
    params: &mut ParamStore<T>,
    opt: &mut O,
    train: &Dataset<T>,
    test: Option<&Dataset<T>>,
    config: &TrainConfig,
    callback: &mut impl Callback<T>,
    base_lr: f64,
) -> Result<Vec<EpochMetrics>, TrainError> {
    let batches = match config.drop_last {
        true => train.len() / config.batch_size,
        false => train.len().div_ceil(config.batch_size),
    };
    let mut tape = Tape::<T>::new();
    tape.set_detect_anomaly(config.detect_anomaly);
    // Not `with_capacity(epochs)`: a huge epoch count (a run meant to be stopped by a callback)
    // must not allocate, or abort, up front.
    let mut history = Vec::with_capacity(config.epochs.min(1024));
    let mut replayer = Replayer::new(model, config);
    for epoch in 0..config.epochs {
        let lr = config.schedule.lr(base_lr, epoch);
        opt.set_lr(lr);
        let start = Instant::now();
        let (mut loss_sum, mut seen) = (0.0, 0usize);
        let mut tally = Tally::new(train, false);
        let order = Some(config.seed.wrapping_add(epoch as u64));
        replayer.new_epoch();
        for (b, batch) in train.batches(config.batch_size, order).take(batches).enumerate() {
            // The recorded step's binding, for the buffers it updates (none when replayed).
            let mut bound = None;
            let (loss, mut grads, pred) = match replayer.step(model, params, &batch) {
                Some(step) => step,
                None => {
                    tape.reset();
                    let bound = bound.insert(params.bind(&tape));
                    let logits = model.forward(bound, tape.constant_from(&batch.x));
                    let step = batch_loss(logits, &batch).map(|loss| {
                        let g = loss.backward();
                        (loss.item().as_f64(), bound.grads(g), logits.value())
                    });
                    match step {
                        Ok(step) => step,
                        Err(source) => {
                            return Err(TrainError::Loss {
                                at: format!("epoch {}, batch {b}", epoch + 1),
                                source: Box::new(source),
                            });
                        }
                    }
                }
            };
            if let Some(anomaly) = tape.anomaly() {
                return Err(Box::new(AnomalyError {
                    epoch: epoch + 1,
                    batch: b,
                    anomaly: Box::new(anomaly),
                    history,
                })
                .into());
            }
            if let Some(max) = config.clip_grad_norm {
                crate::optim::clip_grad_norm(&mut grads, max);
            }
            if let Err(source) = opt.try_step(params, &grads) {
                return Err(TrainError::Optim {
                    epoch: epoch + 1,
                    batch: b,
                    source,
                });
            }
            if let Some(bound) = &bound {
                params.update_buffers(bound);
            }
            loss_sum += loss * batch.len() as f64;
            seen += batch.len();
            tally.add(&batch, &pred);
            let running_loss = loss_sum / seen as f64;
            callback.on_batch(&BatchInfo {
                epoch,
                batch: b,
                batches,
                loss,
                running_loss,
            });
        }
        let seconds = start.elapsed().as_secs_f64();
        let eval = test.map(|t| try_evaluate(model, params, t, 512)).transpose()?;
        history.push(EpochMetrics {
            epoch: epoch + 1,
            train_loss: loss_sum / seen.max(1) as f64,
            train_accuracy: tally.accuracy(),
            train_r2: tally.r2(),
            test_loss: eval.as_ref().map(|e| e.loss),
            test_accuracy: eval.as_ref().and_then(|e| e.accuracy),
            test_r2: eval.as_ref().and_then(|e| e.r2),
            lr,
            seconds,
        });
        let last = history.last().expect("just pushed");
        if callback.on_epoch(last, params).is_break() {
            break;
        }
    }
    Ok(history)
}
