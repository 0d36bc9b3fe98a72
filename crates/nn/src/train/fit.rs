//! The training loop: epochs of shuffled mini-batches, one optimiser step per batch.

use super::comm::{Communicator, SingleProcess};
use super::distributed::{broadcast_buffers, broadcast_params, check_same, fingerprint, merge_tallies};
use super::distributed::{shard, Combined, GradSync};
use super::replay::{Replayer, Step};
use super::scores::{batch_loss, Tally};
use super::{
    on_batch, try_evaluate_distributed, AnomalyError, BatchInfo, Callback, EpochMetrics, TrainConfig,
    TrainError,
};
use crate::data::Dataset;
use crate::module::Module;
use crate::optim::Optimizer;
use crate::param::{ParamId, ParamStore};
use autograd::{Float, Tape, Tensor};
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
    try_fit_distributed(&SingleProcess, model, params, opt, train, test, config, callback)
}

/// [`try_fit_with`] as one of `comm.size()` processes of a data-parallel run (PyTorch's
/// `DistributedDataParallel`), each calling it with the same data, model and settings:
///
/// - process 0's initial parameters (and buffers) are copied to every process, after checking
///   that every process has the same training rows and the same parameter names and shapes;
/// - every epoch's batches are those of one process with batch size
///   `comm.size() * config.batch_size` (the global batch), in the same shuffled order, and
///   each process takes its [`shard`] of each;
/// - the gradients are summed over the processes with one all-reduce per step, weighted by
///   the rows each process took, and divided by the global batch's rows; then every process
///   takes the same optimiser step, so the parameters stay equal on every process;
/// - the evaluation after each epoch is sharded too ([`try_evaluate_distributed`]), and the
///   metrics and callbacks are the same on every process.
///
/// So `N` processes give, to float tolerance, the parameters of one process with the global
/// batch (`docs/scale.md`, "Equivalence"). A batch norm normalises each process's shard, and
/// its running statistics are process 0's, copied to the others after every step (as
/// `broadcast_buffers` does in PyTorch). If a process fails (an error of its step, an
/// anomaly, an evaluation error), every process stops at the same step: that process with its
/// own error, the others with [`TrainError::Process`] naming it. On one process this is
/// [`try_fit_with`], bit for bit.
///
/// ```
/// use chainrule::nn::train::{try_fit_distributed, SingleProcess, TrainConfig};
/// use chainrule::nn::{optim::Sgd, Activation, Mlp, ParamStore};
/// let data = chainrule::nn::data::two_moons::<f64>(40, 0.1, 0);
/// let mut ps = ParamStore::new();
/// let mlp = Mlp::new(&mut ps, "layers", &[2, 8, 2], &[Activation::Tanh, Activation::Identity], 0).unwrap();
/// let config = TrainConfig { epochs: 3, batch_size: 8, ..TrainConfig::default() };
/// let history = try_fit_distributed(&SingleProcess, &mlp, &mut ps, &mut Sgd::new(0.1), &data, None, &config, &mut ())
///     .unwrap();
/// assert_eq!(history.len(), 3);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn try_fit_distributed<T: Float, M: Module<T>, O: Optimizer<T>, C: Communicator>(
    comm: &C,
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
    let global_batch = config.batch_size.saturating_mul(comm.size().max(1));
    if config.drop_last && train.len() < global_batch {
        return Err(TrainError::NoFullBatch {
            rows: train.len(),
            batch_size: global_batch,
        });
    }
    if comm.size() > 1 {
        let rows = train.x.as_slice().iter().copied();
        let targets = train.labels.iter().map(|&l| T::from_f64(l as f64));
        let values = train.values.iter().flat_map(|v| v.as_slice().iter().copied());
        check_same(
            comm,
            "training rows",
            fingerprint(rows.chain(targets).chain(values)),
        )?;
        broadcast_params(comm, params)?;
    }
    let base_lr = opt.lr();
    let result = run_epochs(comm, model, params, opt, train, test, config, callback, base_lr);
    opt.set_lr(base_lr);
    result
}

/// The buffer values a recorded step computed (batch norms' running statistics), written to
/// the store after the optimiser's step.
type BufferUpdates<T> = Vec<(ParamId, Tensor<T>)>;

/// A step on this process's rows and its buffer updates (`None`: no rows).
type LocalStep<T> = Option<(Step<T>, BufferUpdates<T>)>;

/// One step on this process's rows: the loss, gradients and outputs (`None` for no rows).
fn local_step<T: Float, M: Module<T>>(
    model: &M,
    params: &ParamStore<T>,
    tape: &mut Tape<T>,
    replayer: &mut Replayer<T>,
    batch: &Dataset<T>,
    at: (usize, usize),
) -> Result<LocalStep<T>, TrainError> {
    if batch.is_empty() {
        return Ok(None);
    }
    if let Some(step) = replayer.step(model, params, batch) {
        return Ok(Some((step, Vec::new())));
    }
    tape.reset();
    let bound = params.bind(tape);
    let logits = model.forward(&bound, tape.constant_from(&batch.x));
    let step = batch_loss(logits, batch).map(|loss| {
        let g = loss.backward();
        (loss.item().as_f64(), bound.grads(g), logits.value())
    });
    let step = step.map_err(|source| TrainError::Loss {
        at: format!("epoch {}, batch {}", at.0 + 1, at.1),
        source: Box::new(source),
    })?;
    if let Some(anomaly) = tape.anomaly() {
        return Err(Box::new(AnomalyError {
            epoch: at.0 + 1,
            batch: at.1,
            anomaly: Box::new(anomaly),
            history: Vec::new(),
        })
        .into());
    }
    Ok(Some((step, bound.take_buffer_updates())))
}

/// The epochs of [`try_fit_distributed`] (which restores the learning rate however they end).
#[allow(clippy::too_many_arguments)]
fn run_epochs<T: Float, M: Module<T>, O: Optimizer<T>, C: Communicator>(
    comm: &C,
    model: &M,
    params: &mut ParamStore<T>,
    opt: &mut O,
    train: &Dataset<T>,
    test: Option<&Dataset<T>>,
    config: &TrainConfig,
    callback: &mut impl Callback<T>,
    base_lr: f64,
) -> Result<Vec<EpochMetrics>, TrainError> {
    let (rank, size) = (comm.rank(), comm.size().max(1));
    let global_batch = config.batch_size * size;
    let batches = match config.drop_last {
        true => train.len() / global_batch,
        false => train.len().div_ceil(global_batch),
    };
    let mut tape = Tape::<T>::new();
    tape.set_detect_anomaly(config.detect_anomaly);
    // Not `with_capacity(epochs)`: a huge epoch count (a run meant to be stopped by a callback)
    // must not allocate, or abort, up front.
    let mut history = Vec::with_capacity(config.epochs.min(1024));
    let mut replayer = Replayer::new(model, config);
    let mut sync = (size > 1).then(|| GradSync::new(params));
    let has_buffers = params.num_buffers() > 0;
    for epoch in 0..config.epochs {
        let lr = config.schedule.lr(base_lr, epoch);
        opt.set_lr(lr);
        let start = Instant::now();
        let (mut loss_sum, mut seen) = (0.0, 0usize);
        let mut tally = Tally::new(train, false);
        let order = Some(config.seed.wrapping_add(epoch as u64));
        replayer.new_epoch();
        for (b, batch) in train.batches(global_batch, order).take(batches).enumerate() {
            let rows = batch.len();
            let local = match size {
                1 => batch,
                _ => batch.select(&shard(rows, rank, size).collect::<Vec<_>>()),
            };
            let step = local_step(model, params, &mut tape, &mut replayer, &local, (epoch, b));
            let ((loss, mut grads, pred), updates) = match (&mut sync, step) {
                (None, step) => {
                    let ((loss, grads, pred), updates) = step
                        .map_err(|e| with_history(e, &history))?
                        .expect("one process takes every row of a batch");
                    ((loss, grads, Some(pred)), updates)
                }
                (Some(sync), step) => {
                    let mine = match &step {
                        Ok(s) => Ok(s.as_ref().map(|(s, _)| s)),
                        Err(e) => Err(e.to_string()),
                    };
                    match sync.combine(comm, params.len(), mine, local.len(), rows)? {
                        Combined::Step(loss, grads) => {
                            let (pred, updates) = match step {
                                Ok(Some(((_, _, pred), updates))) => (Some(pred), updates),
                                _ => (None, Vec::new()),
                            };
                            ((loss, grads, pred), updates)
                        }
                        Combined::Failed(failed, message) => {
                            return Err(match step {
                                Err(e) if failed == rank => with_history(e, &history),
                                _ => TrainError::Process {
                                    rank: failed,
                                    size,
                                    message,
                                },
                            })
                        }
                    }
                }
            };
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
            for (id, value) in updates {
                params
                    .set_by_id(id, value)
                    .expect("a buffer update of the buffer's shape");
            }
            if size > 1 && has_buffers {
                broadcast_buffers(comm, params)?;
            }
            loss_sum += loss * rows as f64;
            seen += rows;
            if let Some(pred) = &pred {
                tally.add(&local, pred);
            }
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
        if size > 1 {
            tally = merge_tallies(comm, train, &tally, params)?;
        }
        let eval = test
            .map(|t| try_evaluate_distributed(comm, model, params, t, 512))
            .transpose()?;
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

/// An anomaly's error with the epochs completed before it.
fn with_history(e: TrainError, history: &[EpochMetrics]) -> TrainError {
    match e {
        TrainError::Anomaly(mut a) => {
            a.history = history.to_vec();
            TrainError::Anomaly(a)
        }
        e => e,
    }
}
