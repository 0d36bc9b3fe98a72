//! Metrics with scikit-learn's definitions and argument order (`truth`, then `predicted`):
//! accuracy and a sparse confusion matrix for classification; RMSE, MAE and R² for regression.

use std::collections::BTreeMap;

/// Why a metric could not be computed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetricError {
    /// The two sequences differ in length.
    #[error("{truth} true values but {predicted} predictions")]
    Length {
        /// The number of true values.
        truth: usize,
        /// The number of predictions.
        predicted: usize,
    },
    /// No values at all: the metric is undefined.
    #[error("no values: the metric is undefined")]
    Empty,
}

fn check<A, B>(truth: &[A], predicted: &[B]) -> Result<usize, MetricError> {
    match (truth.len(), predicted.len()) {
        (t, p) if t != p => Err(MetricError::Length {
            truth: t,
            predicted: p,
        }),
        (0, _) => Err(MetricError::Empty),
        (n, _) => Ok(n),
    }
}

/// The fraction of predictions equal to the truth (scikit-learn's `accuracy_score`).
///
/// ```
/// assert_eq!(chainrule::nn::metrics::accuracy(&[0, 1, 2, 2], &[0, 2, 2, 2]).unwrap(), 0.75);
/// ```
pub fn accuracy(truth: &[usize], predicted: &[usize]) -> Result<f64, MetricError> {
    let n = check(truth, predicted)?;
    let hits = truth.iter().zip(predicted).filter(|(t, p)| t == p).count();
    Ok(hits as f64 / n as f64)
}

/// Root mean squared error, `sqrt(mean((t - p)^2))`.
///
/// ```
/// assert_eq!(chainrule::nn::metrics::rmse(&[1.0, 2.0], &[1.0, 4.0]).unwrap(), 2f64.sqrt());
/// ```
pub fn rmse(truth: &[f64], predicted: &[f64]) -> Result<f64, MetricError> {
    let n = check(truth, predicted)?;
    let sse: f64 = truth.iter().zip(predicted).map(|(t, p)| (t - p) * (t - p)).sum();
    Ok((sse / n as f64).sqrt())
}

/// Mean absolute error, `mean(|t - p|)`.
///
/// ```
/// assert_eq!(chainrule::nn::metrics::mae(&[1.0, 2.0, 3.0], &[2.0, 2.0, 1.0]).unwrap(), 1.0);
/// ```
pub fn mae(truth: &[f64], predicted: &[f64]) -> Result<f64, MetricError> {
    let n = check(truth, predicted)?;
    Ok(truth
        .iter()
        .zip(predicted)
        .map(|(t, p)| (t - p).abs())
        .sum::<f64>()
        / n as f64)
}

/// The coefficient of determination, `1 - SS_res / SS_tot` (scikit-learn's `r2_score`). For a
/// constant truth (`SS_tot = 0`) it is 1 for perfect predictions and 0 otherwise, as
/// scikit-learn's default `force_finite=True`.
///
/// ```
/// let r2 = chainrule::nn::metrics::r2(&[1.0, 2.0, 3.0], &[1.0, 2.5, 3.0]).unwrap();
/// assert!((r2 - 0.875).abs() < 1e-15);
/// ```
pub fn r2(truth: &[f64], predicted: &[f64]) -> Result<f64, MetricError> {
    let n = check(truth, predicted)?;
    let mean = truth.iter().sum::<f64>() / n as f64;
    let ss_tot: f64 = truth.iter().map(|t| (t - mean) * (t - mean)).sum();
    let ss_res: f64 = truth.iter().zip(predicted).map(|(t, p)| (t - p) * (t - p)).sum();
    Ok(if ss_tot > 0.0 {
        1.0 - ss_res / ss_tot
    } else if ss_res == 0.0 {
        1.0
    } else {
        0.0
    })
}

/// A confusion matrix stored sparsely: counts by `(true, predicted)` class, only the pairs that
/// occur, so memory grows with the distinct pairs seen (at most the number of examples), never
/// with `classes²`: 30,000 classes cost nothing more than 10.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Confusion {
    counts: BTreeMap<(usize, usize), usize>,
}

impl Confusion {
    /// Counts each `(truth[i], predicted[i])` pair.
    ///
    /// ```
    /// use chainrule::nn::metrics::Confusion;
    /// let c = Confusion::new(&[0, 0, 1, 29_999], &[0, 1, 1, 29_999]).unwrap();
    /// assert_eq!((c.get(0, 0), c.get(0, 1), c.get(1, 0), c.get(29_999, 29_999)), (1, 1, 0, 1));
    /// assert_eq!(c.iter().collect::<Vec<_>>(), [((0, 0), 1), ((0, 1), 1), ((1, 1), 1), ((29_999, 29_999), 1)]);
    /// assert_eq!((c.total(), c.correct(), c.accuracy()), (4, 3, Some(0.75)));
    /// ```
    pub fn new(truth: &[usize], predicted: &[usize]) -> Result<Self, MetricError> {
        if truth.len() != predicted.len() {
            return Err(MetricError::Length {
                truth: truth.len(),
                predicted: predicted.len(),
            });
        }
        let mut c = Self::default();
        truth.iter().zip(predicted).for_each(|(&t, &p)| c.add(t, p));
        Ok(c)
    }

    /// Counts one example of class `truth` predicted as `predicted`.
    pub fn add(&mut self, truth: usize, predicted: usize) {
        self.add_count(truth, predicted, 1);
    }

    /// Counts `n` more examples of class `truth` predicted as `predicted`.
    pub(crate) fn add_count(&mut self, truth: usize, predicted: usize, n: usize) {
        if n > 0 {
            *self.counts.entry((truth, predicted)).or_insert(0) += n;
        }
    }

    /// How many examples of class `truth` were predicted as `predicted`.
    pub fn get(&self, truth: usize, predicted: usize) -> usize {
        self.counts.get(&(truth, predicted)).copied().unwrap_or(0)
    }

    /// The non-zero counts `((true, predicted), count)`, sorted by true then predicted class.
    pub fn iter(&self) -> impl Iterator<Item = ((usize, usize), usize)> + '_ {
        self.counts.iter().map(|(&k, &v)| (k, v))
    }

    /// The number of examples counted.
    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }

    /// The number of examples predicted correctly (the diagonal).
    pub fn correct(&self) -> usize {
        self.iter().filter(|((t, p), _)| t == p).map(|(_, n)| n).sum()
    }

    /// `correct / total`, or `None` for an empty matrix.
    pub fn accuracy(&self) -> Option<f64> {
        let total = self.total();
        (total > 0).then(|| self.correct() as f64 / total as f64)
    }

    /// One more than the largest class seen, true or predicted (0 when empty).
    ///
    /// ```
    /// let c = chainrule::nn::metrics::Confusion::new(&[3, 1], &[1, 7]).unwrap();
    /// assert_eq!(c.classes(), 8);
    /// ```
    pub fn classes(&self) -> usize {
        self.counts.keys().map(|&(t, p)| t.max(p) + 1).max().unwrap_or(0)
    }
}
