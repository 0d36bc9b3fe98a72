//! A small training loop for classifiers: epochs of shuffled mini-batches, softmax
//! cross-entropy from logits, an optimiser, a schedule, metrics, and callbacks after every
//! batch and every epoch (logging, early stopping). Deterministic under a seed.
//!
//! [`fit`] takes a per-batch closure; [`fit_with`] takes a [`Callback`], which also sees each
//! epoch's metrics and the parameters, and can stop training:
//!
//! ```
//! use chainrule::nn::train::{self, fit_with, Callback, EarlyStopping, TrainConfig};
//! use chainrule::nn::{optim::Adam, Activation, Mlp, ParamStore};
//! let data = chainrule::nn::data::spirals::<f32>(30, 3, 0.1, 0);
//! let (train_set, val) = data.split(0.2, 0);
//! let mut ps = ParamStore::<f32>::new();
//! let mlp = Mlp::new(&mut ps, "layers", &[2, 16, 3], &[Activation::Relu, Activation::Identity], 0).unwrap();
//! let config = TrainConfig { epochs: 50, batch_size: 8, ..TrainConfig::default() };
//! let mut stop = EarlyStopping::new(3);
//! let mut log = Vec::new();
//! let mut callbacks = (train::on_epoch(|m| log.push(m.test_accuracy)), &mut stop);
//! let history = fit_with(&mlp, &mut ps, &mut Adam::new(0.01), &train_set, Some(&val), &config, &mut callbacks);
//! assert_eq!(history.len(), log.len());
//! stop.restore_best(&mut ps); // the parameters of the epoch with the lowest validation loss
//! ```

use crate::data::Dataset;
use crate::loss::cross_entropy;
use crate::module::Module;
use crate::optim::{LrSchedule, OptimError, Optimizer};
use crate::param::ParamStore;
use autograd::{Float, Tape, Tensor};
use std::ops::ControlFlow;
use std::time::Instant;

/// Settings of [`fit`].
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Examples per mini-batch.
    pub batch_size: usize,
    /// Seed of the batch order (epoch `e` shuffles with `seed + e`).
    pub seed: u64,
    /// Learning-rate schedule over epochs, applied to the optimiser's initial rate.
    pub schedule: LrSchedule,
    /// Clip the gradients' joint norm to this value, if set.
    pub clip_grad_norm: Option<f64>,
    /// Check every value of every step for NaN and infinity (the tape's anomaly mode) and stop
    /// at the first, reporting the op that produced it (see [`try_fit_with`]).
    pub detect_anomaly: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 10,
            batch_size: 32,
            seed: 0,
            schedule: LrSchedule::Constant,
            clip_grad_norm: None,
            detect_anomaly: false,
        }
    }
}

/// Why [`try_fit_with`] or [`try_evaluate`] stopped.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// A batch size of 0.
    #[error("the batch size must be at least 1")]
    BatchSize,
    /// The loss could not be formed: a label outside the model's outputs, or logits that are
    /// not `[batch, classes]`.
    #[error("{at}: {source}")]
    Loss {
        /// Where (`epoch 2, batch 7` or `evaluation, batch 0`).
        at: String,
        /// What the loss reported.
        #[source]
        source: Box<autograd::Error>,
    },
    /// The optimiser refused the step (gradients that do not fit, a setting out of range).
    #[error("epoch {epoch}, batch {batch}: {source}")]
    Optim {
        /// The epoch (from 1).
        epoch: usize,
        /// The batch within the epoch (from 0).
        batch: usize,
        /// What the optimiser reported.
        #[source]
        source: OptimError,
    },
    /// Anomaly mode found a NaN or an infinity.
    #[error(transparent)]
    Anomaly(#[from] Box<AnomalyError>),
}

/// Training stopped because anomaly mode found a NaN or an infinity.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("epoch {epoch}, batch {batch}: {anomaly}")]
pub struct AnomalyError {
    /// The epoch (from 1).
    pub epoch: usize,
    /// The batch within the epoch (from 0).
    pub batch: usize,
    /// What the tape found.
    pub anomaly: Box<autograd::Anomaly>,
    /// The metrics of the epochs completed before it.
    pub history: Vec<EpochMetrics>,
}

/// Progress after one mini-batch, passed to the callback of [`fit`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchInfo {
    /// Epoch (from 0).
    pub epoch: usize,
    /// Batch within the epoch (from 0).
    pub batch: usize,
    /// Batches per epoch.
    pub batches: usize,
    /// This batch's loss.
    pub loss: f64,
    /// Mean loss over the epoch so far.
    pub running_loss: f64,
}

/// Metrics at the end of an epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochMetrics {
    /// Epoch (from 1).
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (weighted by batch size).
    pub train_loss: f64,
    /// Training accuracy over the epoch's batches (computed during training).
    pub train_accuracy: f64,
    /// Loss on the evaluation set, if one was given.
    pub test_loss: Option<f64>,
    /// Accuracy on the evaluation set, if one was given.
    pub test_accuracy: Option<f64>,
    /// The learning rate used in this epoch.
    pub lr: f64,
    /// Wall time of the epoch's training, in seconds.
    pub seconds: f64,
}

/// Loss, accuracy and confusion matrix of a classifier on a dataset.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean softmax cross-entropy.
    pub loss: f64,
    /// Fraction classified correctly.
    pub accuracy: f64,
    /// `confusion[true][predicted]` counts.
    pub confusion: Vec<Vec<usize>>,
}

/// The index of the largest value in each row of a `[n, classes]` tensor.
pub fn argmax_rows<T: Float>(scores: &Tensor<T>) -> Vec<usize> {
    let c = *scores.shape().last().unwrap_or(&1);
    scores
        .as_slice()
        .chunks(c.max(1))
        .map(|row| {
            let mut best = 0;
            for (i, &v) in row.iter().enumerate() {
                if v > row[best] {
                    best = i;
                }
            }
            best
        })
        .collect()
}

/// Evaluates a classifier (a model producing logits) batch by batch, in evaluation mode
/// (dropout off, batch norms on their running statistics), without recording gradients.
///
/// # Panics
/// Where [`try_evaluate`] fails.
#[track_caller]
pub fn evaluate<T: Float, M: Module<T>>(
    model: &M,
    params: &ParamStore<T>,
    data: &Dataset<T>,
    batch_size: usize,
) -> Evaluation {
    try_evaluate(model, params, data, batch_size).unwrap_or_else(|e| panic!("{e}"))
}

/// [`evaluate`], returning an error when the batch size is 0 or the data's labels do not fit
/// the model's outputs. The confusion matrix is `n x n` with `n` the larger of the data's
/// classes and the model's outputs (a test set may lack the last classes).
pub fn try_evaluate<T: Float, M: Module<T>>(
    model: &M,
    params: &ParamStore<T>,
    data: &Dataset<T>,
    batch_size: usize,
) -> Result<Evaluation, TrainError> {
    if batch_size == 0 {
        return Err(TrainError::BatchSize);
    }
    let mut tape = Tape::<T>::new();
    let mut confusion = vec![vec![0; data.classes]; data.classes];
    let (mut loss_sum, mut correct) = (0.0, 0);
    for (b, batch) in data.batches(batch_size, None).enumerate() {
        tape.reset();
        let (loss, pred, outputs) = tape.no_grad(|| {
            let bound = params.bind_eval(&tape);
            let logits = model.forward(&bound, tape.constant_from(&batch.x));
            let loss = cross_entropy(logits, &batch.labels).map_err(|source| TrainError::Loss {
                at: format!("evaluation, batch {b}"),
                source: Box::new(source),
            })?;
            let outputs = logits.shape().last().copied().unwrap_or(1);
            Ok::<_, TrainError>((loss.item().as_f64(), argmax_rows(&logits.value()), outputs))
        })?;
        if outputs > confusion.len() {
            confusion.iter_mut().for_each(|row| row.resize(outputs, 0));
            confusion.resize(outputs, vec![0; outputs]);
        }
        loss_sum += loss * batch.len() as f64;
        for (&t, &p) in batch.labels.iter().zip(&pred) {
            confusion[t][p] += 1;
            correct += (t == p) as usize;
        }
    }
    let n = data.len().max(1) as f64;
    Ok(Evaluation {
        loss: loss_sum / n,
        accuracy: correct as f64 / n,
        confusion,
    })
}

/// Trains a classifier with softmax cross-entropy on `train`, evaluating on `test` after each
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

/// Trains a classifier with softmax cross-entropy on `train`, evaluating on `test` after each
/// epoch if given, as [`fit`], reporting to `callback` after every step and every epoch. Stops
/// early when the callback's [`Callback::on_epoch`] returns [`ControlFlow::Break`]; the
/// history then ends with that epoch. The optimiser's learning rate is restored to its initial
/// value on return.
///
/// One step is: reset the tape, bind the parameters (training mode), `forward`,
/// `cross_entropy`, `backward`, read the parameters' gradients, clip them if configured,
/// `opt.step`, write the buffers the forward pass updated (batch norms' running statistics).
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
/// refuses a step ([`OptimError`]). Nothing is changed by the step that fails.
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
    let batches = train.len().div_ceil(config.batch_size.max(1));
    let mut tape = Tape::<T>::new();
    tape.set_detect_anomaly(config.detect_anomaly);
    // Not `with_capacity(epochs)`: a huge epoch count (a run meant to be stopped by a callback)
    // must not allocate, or abort, up front.
    let mut history = Vec::with_capacity(config.epochs.min(1024));
    for epoch in 0..config.epochs {
        let lr = config.schedule.lr(base_lr, epoch);
        opt.set_lr(lr);
        let start = Instant::now();
        let (mut loss_sum, mut seen, mut correct) = (0.0, 0usize, 0usize);
        let order = Some(config.seed.wrapping_add(epoch as u64));
        for (b, batch) in train.batches(config.batch_size, order).enumerate() {
            tape.reset();
            let bound = params.bind(&tape);
            let step = {
                let logits = model.forward(&bound, tape.constant_from(&batch.x));
                cross_entropy(logits, &batch.labels).map(|loss| {
                    let g = loss.backward();
                    (loss.item().as_f64(), bound.grads(g), argmax_rows(&logits.value()))
                })
            };
            let (loss, mut grads, pred) = match step {
                Ok(step) => step,
                Err(source) => {
                    return Err(TrainError::Loss {
                        at: format!("epoch {}, batch {b}", epoch + 1),
                        source: Box::new(source),
                    });
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
            params.update_buffers(&bound);
            loss_sum += loss * batch.len() as f64;
            seen += batch.len();
            correct += pred.iter().zip(&batch.labels).filter(|(p, t)| p == t).count();
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
            train_accuracy: correct as f64 / seen.max(1) as f64,
            test_loss: eval.as_ref().map(|e| e.loss),
            test_accuracy: eval.as_ref().map(|e| e.accuracy),
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

/// Hooks called by [`fit_with`]. Both methods do nothing by default, so an implementation
/// overrides only what it needs.
///
/// Implemented by `()` (no hooks), by [`on_batch`], [`on_epoch`], [`stop_when`] and
/// [`EarlyStopping`], by `&mut C` for any callback `C` (so a callback can be inspected after
/// training), and by pairs `(A, B)`, which call `A` then `B` and stop if either says so.
pub trait Callback<T: Float> {
    /// After every optimiser step.
    fn on_batch(&mut self, info: &BatchInfo) {
        let _ = info;
    }

    /// After every epoch (after evaluation on the test set, if any), with that epoch's metrics
    /// and the parameters at its end. Returning [`ControlFlow::Break`] ends training.
    fn on_epoch(&mut self, metrics: &EpochMetrics, params: &ParamStore<T>) -> ControlFlow<()> {
        let _ = (metrics, params);
        ControlFlow::Continue(())
    }
}

impl<T: Float> Callback<T> for () {}

impl<T: Float, C: Callback<T> + ?Sized> Callback<T> for &mut C {
    fn on_batch(&mut self, info: &BatchInfo) {
        (**self).on_batch(info);
    }
    fn on_epoch(&mut self, metrics: &EpochMetrics, params: &ParamStore<T>) -> ControlFlow<()> {
        (**self).on_epoch(metrics, params)
    }
}

impl<T: Float, A: Callback<T>, B: Callback<T>> Callback<T> for (A, B) {
    fn on_batch(&mut self, info: &BatchInfo) {
        self.0.on_batch(info);
        self.1.on_batch(info);
    }
    fn on_epoch(&mut self, metrics: &EpochMetrics, params: &ParamStore<T>) -> ControlFlow<()> {
        let a = self.0.on_epoch(metrics, params);
        let b = self.1.on_epoch(metrics, params);
        if a.is_break() || b.is_break() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// The callback of [`on_batch`].
#[derive(Clone, Debug)]
pub struct OnBatch<F>(F);

/// A callback that calls `f` after every step (progress bars, loss curves).
pub fn on_batch<F: FnMut(&BatchInfo)>(f: F) -> OnBatch<F> {
    OnBatch(f)
}

impl<T: Float, F: FnMut(&BatchInfo)> Callback<T> for OnBatch<F> {
    fn on_batch(&mut self, info: &BatchInfo) {
        (self.0)(info)
    }
}

/// The callback of [`on_epoch`].
#[derive(Clone, Debug)]
pub struct OnEpoch<F>(F);

/// A callback that calls `f` with each epoch's metrics (logging); it never stops training.
pub fn on_epoch<F: FnMut(&EpochMetrics)>(f: F) -> OnEpoch<F> {
    OnEpoch(f)
}

impl<T: Float, F: FnMut(&EpochMetrics)> Callback<T> for OnEpoch<F> {
    fn on_epoch(&mut self, metrics: &EpochMetrics, _: &ParamStore<T>) -> ControlFlow<()> {
        (self.0)(metrics);
        ControlFlow::Continue(())
    }
}

/// The callback of [`stop_when`].
#[derive(Clone, Debug)]
pub struct StopWhen<F>(F);

/// A callback that ends training after the first epoch for which `done` returns true (say,
/// `|m| m.test_accuracy >= Some(0.99)`).
pub fn stop_when<F: FnMut(&EpochMetrics) -> bool>(done: F) -> StopWhen<F> {
    StopWhen(done)
}

impl<T: Float, F: FnMut(&EpochMetrics) -> bool> Callback<T> for StopWhen<F> {
    fn on_epoch(&mut self, metrics: &EpochMetrics, _: &ParamStore<T>) -> ControlFlow<()> {
        if (self.0)(metrics) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// Early stopping on the evaluation loss (the training loss if [`fit_with`] has no test
/// set), keeping a copy of the best parameters, like Keras' `EarlyStopping` with
/// `restore_best_weights`: training stops after `patience` epochs in a row without an
/// improvement of more than `min_delta`.
#[derive(Clone, Debug)]
pub struct EarlyStopping<T: Float = f32> {
    /// Epochs without improvement before stopping (at least 1).
    pub patience: usize,
    /// The smallest decrease of the loss that counts as an improvement.
    pub min_delta: f64,
    best: Option<(usize, f64, ParamStore<T>)>,
    waited: usize,
}

impl<T: Float> EarlyStopping<T> {
    /// Stops after `patience` epochs without improvement (`min_delta` 0).
    pub fn new(patience: usize) -> Self {
        Self {
            patience: patience.max(1),
            min_delta: 0.0,
            best: None,
            waited: 0,
        }
    }

    /// Sets the smallest decrease of the loss that counts as an improvement.
    pub fn min_delta(mut self, min_delta: f64) -> Self {
        self.min_delta = min_delta;
        self
    }

    /// The epoch (from 1) with the lowest monitored loss so far, and that loss.
    pub fn best(&self) -> Option<(usize, f64)> {
        self.best.as_ref().map(|(e, l, _)| (*e, *l))
    }

    /// The parameters at the end of the best epoch.
    pub fn best_params(&self) -> Option<&ParamStore<T>> {
        self.best.as_ref().map(|(_, _, p)| p)
    }

    /// Copies the best parameters into `params`; false (and `params` unchanged) if no epoch
    /// has been seen.
    pub fn restore_best(&self, params: &mut ParamStore<T>) -> bool {
        match &self.best {
            Some((_, _, best)) => {
                params.clone_from(best);
                true
            }
            None => false,
        }
    }
}

impl<T: Float> Callback<T> for EarlyStopping<T> {
    fn on_epoch(&mut self, metrics: &EpochMetrics, params: &ParamStore<T>) -> ControlFlow<()> {
        let loss = metrics.test_loss.unwrap_or(metrics.train_loss);
        let improved = match &self.best {
            None => true,
            Some((_, best, _)) => loss < best - self.min_delta,
        };
        if improved {
            self.best = Some((metrics.epoch, loss, params.clone()));
            self.waited = 0;
            ControlFlow::Continue(())
        } else {
            self.waited += 1;
            if self.waited >= self.patience {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }
}
