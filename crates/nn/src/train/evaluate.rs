//! Evaluation of a model on a dataset, without recording gradients.

use super::TrainError;
use crate::data::Dataset;
use crate::loss::cross_entropy;
use crate::module::Module;
use crate::param::ParamStore;
use autograd::{Float, Tape, Tensor};

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

/// Evaluates a classifier (a model producing logits) batch by batch, without recording
/// gradients.
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
            let bound = params.bind(&tape);
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
