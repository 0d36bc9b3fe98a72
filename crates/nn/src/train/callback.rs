//! Hooks called by the training loop: logging, stopping conditions, early stopping.

use super::{BatchInfo, EpochMetrics};
use crate::param::ParamStore;
use autograd::Float;
use std::ops::ControlFlow;

/// Hooks called by [`fit_with`](super::fit_with). Both methods do nothing by default, so an implementation
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

/// Early stopping on the evaluation loss (the training loss if [`fit_with`](super::fit_with) has no test
/// set), keeping a copy of the best parameters, like Keras' `EarlyStopping` with
/// `restore_best_weights`: training stops after `patience` epochs in a row without an
/// improvement of more than `min_delta`.
#[derive(Clone, Debug)]
pub struct EarlyStopping<T: Float = f64> {
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
