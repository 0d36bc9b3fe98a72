//! Evaluation of a model on a dataset, and predictions, without recording gradients.

use super::comm::Communicator;
use super::distributed::{exchange, shard};
use super::scores::{batch_loss, Tally};
use super::TrainError;
use crate::data::{Dataset, Task};
use crate::metrics::Confusion;
use crate::module::Module;
use crate::param::ParamStore;
use autograd::{Float, Tape, Tensor};

/// A model's loss and metrics on a dataset: accuracy and confusion matrix for classification,
/// RMSE, MAE and R² for regression (the other task's fields are `None`).
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean loss: softmax cross-entropy, or the mean squared error.
    pub loss: f64,
    /// Classification: the fraction classified correctly.
    pub accuracy: Option<f64>,
    /// Classification: counts by (true, predicted) class, sparse.
    pub confusion: Option<Confusion>,
    /// Regression: root mean squared error.
    pub rmse: Option<f64>,
    /// Regression: mean absolute error.
    pub mae: Option<f64>,
    /// Regression: the coefficient of determination (all outputs pooled).
    pub r2: Option<f64>,
}

impl Evaluation {
    /// A regression evaluation of standardised targets in the targets' own units: RMSE and
    /// MAE times `scale` (the targets' standard deviation), the loss (a mean square) times
    /// `scale²`; R² and the classification fields do not change.
    ///
    /// ```
    /// use chainrule::nn::train::Evaluation;
    /// let e = Evaluation { loss: 0.25, accuracy: None, confusion: None, rmse: Some(0.5), mae: Some(0.4), r2: Some(0.75) };
    /// let u = e.in_units(10.0);
    /// assert_eq!((u.loss, u.rmse, u.mae, u.r2), (25.0, Some(5.0), Some(4.0), Some(0.75)));
    /// ```
    pub fn in_units(self, scale: f64) -> Self {
        if self.accuracy.is_some() {
            return self;
        }
        Self {
            loss: self.loss * scale * scale,
            rmse: self.rmse.map(|x| x * scale),
            mae: self.mae.map(|x| x * scale),
            ..self
        }
    }
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

/// Evaluates a model batch by batch, in evaluation mode (dropout off, batch norms on their
/// running statistics), without recording gradients: a classifier (a model
/// producing logits) on a classification dataset, a regressor on a regression one (see
/// [`Dataset::is_regression`]).
///
/// ```
/// use chainrule::nn::{data::Dataset, train, Bound, Module, ParamId, ParamStore};
/// use chainrule::{Tensor, Var};
/// struct Zero; // predicts 0 for every output
/// impl Module<f64> for Zero {
///     fn forward<'t>(&self, _: &Bound<'t, f64>, x: Var<'t, f64>) -> Var<'t, f64> { x.mul_scalar(0.0) }
///     fn parameters(&self) -> Vec<ParamId> { Vec::new() }
/// }
/// let x = Tensor::from_vec(vec![0.0, 1.0, 2.0], &[3, 1]).unwrap();
/// let data = Dataset::regression(x, Tensor::from(vec![1.0, 2.0, 3.0])).unwrap();
/// let e = train::evaluate(&Zero, &ParamStore::new(), &data, 2);
/// assert_eq!((e.loss, e.mae, e.accuracy), (14.0 / 3.0, Some(2.0), None));
/// assert!((e.r2.unwrap() - (1.0 - 14.0 / 2.0)).abs() < 1e-12);
/// ```
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

/// [`evaluate`], returning an error when the batch size is 0, the data's labels do not fit
/// the model's outputs, or the model's outputs do not have the regression targets' shape.
pub fn try_evaluate<T: Float, M: Module<T>>(
    model: &M,
    params: &ParamStore<T>,
    data: &Dataset<T>,
    batch_size: usize,
) -> Result<Evaluation, TrainError> {
    let (loss_sum, tally) = tally(model, params, data, batch_size)?;
    Ok(tally.into_evaluation(loss_sum / data.len().max(1) as f64))
}

/// [`try_evaluate`] over the processes of a data-parallel run: each process evaluates its
/// [`shard`] of the rows, and every process gets the evaluation of all of them (the same
/// counts, targets and predictions as one process; the loss is the same sum taken in another
/// order). Every process must call it, with the same data. On one process it is
/// [`try_evaluate`].
///
/// ```
/// use chainrule::nn::train::{try_evaluate, try_evaluate_distributed, SingleProcess};
/// use chainrule::nn::{Activation, Mlp, ParamStore};
/// let data = chainrule::nn::data::two_moons::<f64>(20, 0.1, 0);
/// let mut ps = ParamStore::new();
/// let mlp = Mlp::new(&mut ps, "layers", &[2, 4, 2], &[Activation::Tanh, Activation::Identity], 0).unwrap();
/// let one = try_evaluate(&mlp, &ps, &data, 8).unwrap();
/// assert_eq!(try_evaluate_distributed(&SingleProcess, &mlp, &ps, &data, 8).unwrap(), one);
/// ```
pub fn try_evaluate_distributed<T: Float, M: Module<T>, C: Communicator>(
    comm: &C,
    model: &M,
    params: &ParamStore<T>,
    data: &Dataset<T>,
    batch_size: usize,
) -> Result<Evaluation, TrainError> {
    if comm.size() <= 1 {
        return try_evaluate(model, params, data, batch_size);
    }
    let rows: Vec<usize> = shard(data.len(), comm.rank(), comm.size()).collect();
    let mine = tally(model, params, &data.select(&rows), batch_size);
    let record = match &mine {
        Ok((loss_sum, tally)) => Ok([loss_sum.to_le_bytes().as_slice(), &tally.to_bytes()].concat()),
        Err(e) => Err(e.to_string()),
    };
    let all = match exchange(comm, record)? {
        Ok(all) => all,
        Err((rank, message)) => {
            return Err(match mine {
                Err(e) if rank == comm.rank() => e,
                _ => TrainError::Process {
                    rank,
                    size: comm.size(),
                    message,
                },
            })
        }
    };
    let mut merged = Tally::new(data, true);
    let mut loss_sum = 0.0;
    for record in &all {
        let (loss, tally) = record.split_at(8);
        loss_sum += f64::from_le_bytes(loss.try_into().expect("8 bytes"));
        merged.merge_bytes(tally);
    }
    Ok(merged.into_evaluation(loss_sum / data.len().max(1) as f64))
}

/// The loss summed over the rows of `data` and the tally of its predictions, batch by batch.
pub(super) fn tally<T: Float, M: Module<T>>(
    model: &M,
    params: &ParamStore<T>,
    data: &Dataset<T>,
    batch_size: usize,
) -> Result<(f64, Tally), TrainError> {
    if batch_size == 0 {
        return Err(TrainError::BatchSize);
    }
    let mut tape = Tape::<T>::new();
    let mut tally = Tally::new(data, true);
    let mut loss_sum = 0.0;
    for (b, batch) in data.batches(batch_size, None).enumerate() {
        tape.reset();
        let (loss, outputs) = tape.no_grad(|| {
            let bound = params.bind_eval(&tape);
            let outputs = model.forward(&bound, tape.constant_from(&batch.x));
            let loss = batch_loss(outputs, &batch).map_err(|source| TrainError::Loss {
                at: format!("evaluation, batch {b}"),
                source: Box::new(source),
            })?;
            Ok::<_, TrainError>((loss.item().as_f64(), outputs.value()))
        })?;
        loss_sum += loss * batch.len() as f64;
        tally.add(&batch, &outputs);
    }
    Ok((loss_sum, tally))
}

/// The rows per forward pass of [`predict`], so that memory does not grow with the input.
const PREDICT_BATCH: usize = 512;

/// A model's predictions for the rows of `x` `[n, features]`, without recording gradients,
/// in batches of 512 rows: for [`Task::Classification`], the softmax probabilities
/// `[n, classes]` of its logits; otherwise (regression) its outputs `[n, outputs]` as they are.
///
/// ```
/// use chainrule::nn::{data::Task, train, Bound, Module, ParamId, ParamStore};
/// use chainrule::{Tensor, Var};
/// struct Id; // the inputs are the logits, or the values
/// impl Module<f64> for Id {
///     fn forward<'t>(&self, _: &Bound<'t, f64>, x: Var<'t, f64>) -> Var<'t, f64> { x }
///     fn parameters(&self) -> Vec<ParamId> { Vec::new() }
/// }
/// let x = Tensor::from_vec(vec![0.0, 0.0, 2.0, 2.0f64.ln() + 2.0], &[2, 2]).unwrap();
/// let p = train::predict(&Id, &ParamStore::new(), &x, Task::Classification).unwrap();
/// let expected = [0.5, 0.5, 1.0 / 3.0, 2.0 / 3.0];
/// assert!(p.as_slice().iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-15));
/// let v = train::predict(&Id, &ParamStore::new(), &x, Task::Regression).unwrap();
/// assert_eq!(v, x);
/// ```
///
/// Errors when `x` is not a matrix or the model refuses it.
pub fn predict<T: Float, M: Module<T>>(
    model: &M,
    params: &ParamStore<T>,
    x: &Tensor<T>,
    task: Task,
) -> Result<Tensor<T>, TrainError> {
    let wrong = |message: String| TrainError::Loss {
        at: "prediction".into(),
        source: Box::new(autograd::Error::InvalidArgument {
            op: "predict",
            message,
            shape: x.shape().into(),
        }),
    };
    let [n, features] = *x.shape() else {
        return Err(wrong("the inputs must be a matrix [rows, features]".into()));
    };
    let mut tape = Tape::<T>::new();
    let mut out = Vec::new();
    let mut width = 0;
    for start in (0..n).step_by(PREDICT_BATCH) {
        let rows = PREDICT_BATCH.min(n - start);
        let chunk = Tensor::from_vec(
            x.as_slice()[start * features..(start + rows) * features].to_vec(),
            &[rows, features],
        )
        .map_err(|e| wrong(e.to_string()))?;
        tape.reset();
        let y = tape.no_grad(|| {
            let z = model.forward(&params.bind_eval(&tape), tape.constant_from(&chunk));
            match task {
                Task::Classification => z.softmax(-1).value(),
                _ => z.value(),
            }
        });
        width = y.shape().last().copied().unwrap_or(1);
        out.extend_from_slice(y.as_slice());
    }
    Tensor::from_vec(out, &[n, width]).map_err(|e| wrong(e.to_string()))
}
