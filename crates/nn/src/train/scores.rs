//! The task's loss of a batch, and its metrics gathered batch by batch: one piece for the
//! training loop and for evaluation.

use crate::data::Dataset;
use crate::loss::{cross_entropy, mse};
use crate::metrics::{self, Confusion};
use autograd::{Float, Tensor, Var};

use super::{argmax_rows, Evaluation};

/// The loss of `outputs` against the batch's targets: softmax cross-entropy from logits for
/// classes, the mean squared error for values (whose shape must be the outputs').
pub(super) fn batch_loss<'t, T: Float>(
    outputs: Var<'t, T>,
    batch: &Dataset<T>,
) -> autograd::Result<Var<'t, T>> {
    batch_loss_parts(outputs, batch).map(|(loss, _)| loss)
}

/// [`batch_loss`] and, for values, the leaf that holds the targets.
pub(super) fn batch_loss_parts<'t, T: Float>(
    outputs: Var<'t, T>,
    batch: &Dataset<T>,
) -> autograd::Result<(Var<'t, T>, Option<Var<'t, T>>)> {
    match &batch.values {
        None => cross_entropy(outputs, &batch.labels).map(|loss| (loss, None)),
        Some(values) => {
            // Checked here: `mse` broadcasts, and `[b, 1]` against `[b, 2]` would not fail.
            if outputs.shape().as_slice() != values.shape() {
                return Err(autograd::Error::ShapeMismatch {
                    op: "mse",
                    lhs: outputs.shape(),
                    rhs: values.shape().into(),
                    expected: "the model's outputs must have the targets' shape [batch, outputs]".into(),
                });
            }
            let target = outputs.tape().constant_from(values);
            Ok((mse(outputs, target)?, Some(target)))
        }
    }
}

/// Predictions against the truth, gathered over batches.
pub(super) enum Tally {
    /// Classes: the examples seen and classified correctly, and for evaluation the counts by
    /// (true, predicted) class. The training loop keeps no matrix, so that its heap is the
    /// same after every batch of every epoch.
    Classes {
        seen: usize,
        correct: usize,
        confusion: Option<Confusion>,
    },
    /// Every target and prediction (all outputs pooled), for RMSE, MAE and R²; reserved up
    /// front.
    Values { truth: Vec<f64>, predicted: Vec<f64> },
}

impl Tally {
    /// An empty tally for the task of `data`, with a confusion matrix if `confusion`.
    pub(super) fn new<T: Float>(data: &Dataset<T>, confusion: bool) -> Self {
        match &data.values {
            Some(v) => Tally::Values {
                truth: Vec::with_capacity(v.numel()),
                predicted: Vec::with_capacity(v.numel()),
            },
            None => Tally::Classes {
                seen: 0,
                correct: 0,
                confusion: confusion.then(Confusion::default),
            },
        }
    }

    /// Adds a batch and the model's outputs for it.
    pub(super) fn add<T: Float>(&mut self, batch: &Dataset<T>, outputs: &Tensor<T>) {
        match (self, &batch.values) {
            (
                Tally::Classes {
                    seen,
                    correct,
                    confusion,
                },
                _,
            ) => {
                for (&t, p) in batch.labels.iter().zip(argmax_rows(outputs)) {
                    *seen += 1;
                    *correct += usize::from(t == p);
                    if let Some(c) = confusion {
                        c.add(t, p);
                    }
                }
            }
            (Tally::Values { truth, predicted }, Some(v)) => {
                truth.extend(v.as_slice().iter().map(|x| x.as_f64()));
                predicted.extend(outputs.as_slice().iter().map(|x| x.as_f64()));
            }
            (Tally::Values { .. }, None) => {}
        }
    }

    /// The tally as bytes, for [`Tally::merge_bytes`] on another process: classes as `seen`,
    /// `correct` and the confusion's `(true, predicted, count)` triples, values as the targets
    /// and then the predictions (little-endian `u64` and `f64`).
    pub(super) fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut put = |x: u64| out.extend_from_slice(&x.to_le_bytes());
        match self {
            Tally::Classes {
                seen,
                correct,
                confusion,
            } => {
                put(*seen as u64);
                put(*correct as u64);
                for ((t, p), c) in confusion.iter().flat_map(Confusion::iter) {
                    [t, p, c].into_iter().for_each(|x| put(x as u64));
                }
            }
            Tally::Values { truth, predicted } => {
                truth.iter().chain(predicted).for_each(|x| put(x.to_bits()));
            }
        }
        out
    }

    /// Adds another process's tally ([`Tally::to_bytes`] of a tally of the same task) after
    /// this one's: the result is the tally of both processes' rows, in that order.
    pub(super) fn merge_bytes(&mut self, bytes: &[u8]) {
        let mut words = bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")));
        match self {
            Tally::Classes {
                seen,
                correct,
                confusion,
            } => {
                *seen += words.next().unwrap_or(0) as usize;
                *correct += words.next().unwrap_or(0) as usize;
                let rest: Vec<u64> = words.collect();
                if let Some(confusion) = confusion {
                    for t in rest.chunks_exact(3) {
                        confusion.add_count(t[0] as usize, t[1] as usize, t[2] as usize);
                    }
                }
            }
            Tally::Values { truth, predicted } => {
                let values: Vec<f64> = words.map(f64::from_bits).collect();
                let (t, p) = values.split_at(values.len() / 2);
                truth.extend_from_slice(t);
                predicted.extend_from_slice(p);
            }
        }
    }

    /// The fraction classified correctly (classification).
    pub(super) fn accuracy(&self) -> Option<f64> {
        match self {
            Tally::Classes { seen, correct, .. } => Some(*correct as f64 / (*seen).max(1) as f64),
            Tally::Values { .. } => None,
        }
    }

    /// R² (regression, at least one value).
    pub(super) fn r2(&self) -> Option<f64> {
        match self {
            Tally::Classes { .. } => None,
            Tally::Values { truth, predicted } => metrics::r2(truth, predicted).ok(),
        }
    }

    /// The evaluation with mean loss `loss`.
    pub(super) fn into_evaluation(self, loss: f64) -> Evaluation {
        let accuracy = self.accuracy();
        let r2 = self.r2();
        match self {
            Tally::Classes { confusion, .. } => Evaluation {
                loss,
                accuracy,
                confusion,
                rmse: None,
                mae: None,
                r2: None,
            },
            Tally::Values { truth, predicted } => Evaluation {
                loss,
                accuracy: None,
                confusion: None,
                rmse: metrics::rmse(&truth, &predicted).ok(),
                mae: metrics::mae(&truth, &predicted).ok(),
                r2,
            },
        }
    }
}
