//! What `train` reports as it goes and keeps: the progress bar and a line per epoch, the
//! learning curve as CSV, figures in few characters.

use crate::outln;
use autograd::Float;
use indicatif::ProgressBar;
use nn::train::{BatchInfo, Callback, EpochMetrics};
use nn::ParamStore;
use std::fmt::Write as _;
use std::ops::ControlFlow;

/// A figure with 4 significant digits, in the target's units (which may be large or small).
pub fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let digits = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    format!("{x:.digits$}")
}

/// Reports training as it goes: the progress bar after each batch (with the running loss), a
/// line of metrics after each epoch.
pub(super) struct Progress<'a> {
    pub(super) bar: &'a ProgressBar,
    pub(super) epochs: usize,
    /// What the per-epoch evaluation set is: `test`, or `val` with early stopping.
    pub(super) held_out: &'static str,
}

impl<T: Float> Callback<T> for Progress<'_> {
    fn on_batch(&mut self, b: &BatchInfo) {
        if b.batch == 0 {
            self.bar
                .set_prefix(format!("epoch {}/{}", b.epoch + 1, self.epochs));
        }
        self.bar.inc(1);
        if b.batch.is_multiple_of(4) || b.batch + 1 == b.batches {
            self.bar.set_message(format!("loss {:.4}", b.running_loss));
        }
    }

    fn on_epoch(&mut self, m: &EpochMetrics, _: &ParamStore<T>) -> ControlFlow<()> {
        let w = self.epochs.to_string().len();
        let scores = match (m.train_r2, m.test_r2) {
            (None, None) => format!(
                "acc {:6.2}%  {} loss {:.4}  acc {:6.2}%",
                100.0 * m.train_accuracy.unwrap_or(f64::NAN),
                self.held_out,
                m.test_loss.unwrap_or(f64::NAN),
                100.0 * m.test_accuracy.unwrap_or(f64::NAN)
            ),
            (train, test) => format!(
                "R² {:7.4}  {} loss {:.4}  R² {:7.4}",
                train.unwrap_or(f64::NAN),
                self.held_out,
                m.test_loss.unwrap_or(f64::NAN),
                test.unwrap_or(f64::NAN)
            ),
        };
        self.bar.suspend(|| {
            outln!(
                "epoch {:>w$}/{}  train loss {:.4}  {scores}  lr {}  {:.0} ms",
                m.epoch,
                self.epochs,
                m.train_loss,
                short(m.lr),
                1e3 * m.seconds,
            )
        });
        ControlFlow::Continue(())
    }
}

/// The learning curve as CSV, one row per epoch: accuracy columns for classification, R²
/// columns for regression.
pub fn curve_csv(history: &[EpochMetrics]) -> String {
    let regression = history.iter().any(|m| m.train_r2.is_some());
    let score = if regression { "r2" } else { "accuracy" };
    let mut s = format!("epoch,train_loss,train_{score},test_loss,test_{score},lr,seconds\n");
    let opt = |x: Option<f64>| x.map_or(String::new(), |x| x.to_string());
    for m in history {
        let (train, test) = if regression {
            (m.train_r2, m.test_r2)
        } else {
            (m.train_accuracy, m.test_accuracy)
        };
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{}",
            m.epoch,
            m.train_loss,
            opt(train),
            opt(m.test_loss),
            opt(test),
            m.lr,
            m.seconds
        );
    }
    s
}

/// A learning rate in few characters: `0.003`, `1.85e-5`.
pub(super) fn short(x: f64) -> String {
    if x == 0.0 || (1e-3..1e4).contains(&x.abs()) {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{x:.2e}")
    }
}
