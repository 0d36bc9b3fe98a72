//! A small training loop for classifiers and regressors: epochs of shuffled mini-batches,
//! softmax cross-entropy from logits (classes) or the mean squared error (values), an
//! optimiser, a schedule, metrics, and callbacks after every batch and every epoch (logging,
//! early stopping). Deterministic under a seed. [`predict`] gives probabilities or values.
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

mod callback;
mod comm;
mod config;
mod distributed;
mod evaluate;
mod fit;
#[cfg(feature = "mpi")]
mod mpi;
mod replay;
mod scores;

pub use callback::{on_batch, on_epoch, stop_when, Callback, EarlyStopping, OnBatch, OnEpoch, StopWhen};
pub use comm::{CommError, Communicator, SingleProcess};
pub use config::{AnomalyError, BatchInfo, EpochMetrics, TrainConfig, TrainError};
pub use distributed::{all_ok, shard};
pub use evaluate::{argmax_rows, evaluate, predict, try_evaluate, try_evaluate_distributed, Evaluation};
pub use fit::{fit, fit_with, try_fit_distributed, try_fit_with};
#[cfg(feature = "mpi")]
pub use mpi::MpiWorld;
