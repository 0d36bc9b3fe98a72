//! The settings of a run, what it reports, and why it stops.

use super::comm::CommError;
use crate::optim::{LrSchedule, OptimError};

/// Settings of [`fit`](super::fit).
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
    /// at the first, reporting the op that produced it (see [`try_fit_with`](super::try_fit_with)).
    pub detect_anomaly: bool,
    /// Skip the last batch of each epoch when it is smaller than `batch_size` (PyTorch's
    /// `DataLoader(drop_last=True)`): models with [`BatchNorm1d`](crate::BatchNorm1d) cannot
    /// train on a last batch of one row.
    pub drop_last: bool,
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
            drop_last: false,
        }
    }
}

/// Why [`try_fit_with`](super::try_fit_with) or [`try_evaluate`](super::try_evaluate) stopped.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// A batch size of 0.
    #[error("the batch size must be at least 1")]
    BatchSize,
    /// `drop_last` with fewer training rows than one batch: no step would be taken.
    #[error("drop_last leaves no batch: {rows} training rows, batch size {batch_size}")]
    NoFullBatch {
        /// The training rows.
        rows: usize,
        /// The batch size asked for.
        batch_size: usize,
    },
    /// The loss could not be formed: a label outside the model's outputs, logits that are
    /// not `[batch, classes]`, or regression outputs not of the targets' shape.
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
    /// Another process of a data-parallel run failed (every process stops with its message),
    /// or the processes do not hold the same data or model.
    #[error("process {rank} of {size} failed: {message}")]
    Process {
        /// The process (its rank, from 0).
        rank: usize,
        /// The number of processes.
        size: usize,
        /// What it reported.
        message: String,
    },
    /// A collective refused its buffers.
    #[error(transparent)]
    Comm(#[from] CommError),
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

/// Progress after one mini-batch, passed to the callback of [`fit`](super::fit).
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
    /// Classification: training accuracy over the epoch's batches (computed during training).
    pub train_accuracy: Option<f64>,
    /// Regression: R² over the epoch's batches (computed during training).
    pub train_r2: Option<f64>,
    /// Loss on the evaluation set, if one was given.
    pub test_loss: Option<f64>,
    /// Classification: accuracy on the evaluation set, if one was given.
    pub test_accuracy: Option<f64>,
    /// Regression: R² on the evaluation set, if one was given.
    pub test_r2: Option<f64>,
    /// The learning rate used in this epoch.
    pub lr: f64,
    /// Wall time of the epoch's training, in seconds.
    pub seconds: f64,
}
