//! Losses, each an expression of autograd ops (their gradients come from the engine).
//!
//! Reductions: every loss returns the mean over the batch (the first axis) unless its name
//! says otherwise; see each function.

use autograd::{Error, Float, Result, Var};

/// The study note's mean squared error, `J = 1/(2m) sum_i (f(x_i) - y_i)^2`, with `m` the
/// number of samples (the first axis; 1 for a scalar). The 1/2 makes `dJ/df = (f - y)/m`.
/// Not the same as [`mse`]: with `k` outputs per sample, `mse_half = k mse / 2` (so
/// `mse / 2` for single-output models). In PyTorch: `0.5 * MSELoss(reduction='sum')(f, y) / m`.
///
/// ```
/// use chainrule::{Tape, Tensor};
/// let t = Tape::<f64>::new();
/// let f = t.var(Tensor::from(vec![1.731]));
/// let y = t.constant(Tensor::from(vec![2.0]));
/// let j = chainrule::nn::loss::mse_half(f, y).unwrap();
/// assert!((j.item() - 0.5 * 0.269f64.powi(2)).abs() < 1e-15);
/// ```
pub fn mse_half<'t, T: Float>(pred: Var<'t, T>, target: Var<'t, T>) -> Result<Var<'t, T>> {
    let shape = pred.shape();
    let m = shape.first().copied().unwrap_or(1).max(1);
    Ok(pred.try_sub(target)?.powf(2.0).sum().mul_scalar(0.5 / m as f64))
}

/// Mean squared error over all elements, `mean((f - y)^2)` (PyTorch's `MSELoss()`).
///
/// ```
/// use chainrule::{Tape, Tensor};
/// let t = Tape::<f64>::new();
/// let f = t.var(Tensor::from(vec![1.0, 3.0]));
/// let y = t.constant(Tensor::from(vec![0.0, 0.0]));
/// assert_eq!(chainrule::nn::loss::mse(f, y).unwrap().item(), 5.0);
/// ```
pub fn mse<'t, T: Float>(pred: Var<'t, T>, target: Var<'t, T>) -> Result<Var<'t, T>> {
    Ok(pred.try_sub(target)?.powf(2.0).mean())
}

/// Binary cross-entropy on probabilities `p` in [0, 1]:
/// `mean(-(y ln p + (1 - y) ln(1 - p)))`, with each log clamped at -100 as PyTorch's
/// `BCELoss` does, so `p = 0` or `1` gives a finite loss (100 per element at most).
///
/// The gradient is the engine's derivative of that expression,
/// `(-y / p + (1 - y) / (1 - p)) / n` (PyTorch's `(p - y) / (p (1 - p) n)` up to rounding),
/// and 0 through a log that is clamped. Before the log, `p` and `1 - p` are raised to at least
/// 2^-149 (whose log is below -100), so a saturated `p` of exactly 0 or 1 gives a finite
/// gradient instead of `0 / 0`.
///
/// Differences from PyTorch's backward, which divides by `max(p (1 - p), 1e-12)` (a cap that
/// is not the derivative of its forward): where `p (1 - p) < 1e-12` PyTorch's gradient is
/// smaller in size than the true derivative; at `p = y = 0` and `p = y = 1` it is 0, where
/// this one is `1 / n` and `-1 / n`; and where a log is clamped (`p < e^-100`) it is about
/// `-y 1e12 / n`, where this one is 0. In `f32`, for `p` between `e^-100` and
/// `y / (n f32::MAX)` (at most 3e-39) the true derivative `-y / (n p)` overflows to
/// infinity. For probabilities that come from a sigmoid, use [`bce_with_logits`], which is
/// accurate for any logit.
///
/// ```
/// use chainrule::{Tape, Tensor};
/// let t = Tape::<f64>::new();
/// let p = t.var(Tensor::from(vec![0.5, 0.0]));
/// let y = t.constant(Tensor::from(vec![1.0, 1.0]));
/// let l = chainrule::nn::loss::bce(p, y).unwrap().item();
/// assert!((l - (2f64.ln() + 100.0) / 2.0).abs() < 1e-12);
/// ```
pub fn bce<'t, T: Float>(p: Var<'t, T>, target: Var<'t, T>) -> Result<Var<'t, T>> {
    // 2^-149, the least positive f32 (and an f64): ln(TINY) = -103.3 is clamped to -100.
    const TINY: f64 = 1.401298464324817e-45;
    let log = |x: Var<'t, T>| x.clamp(TINY, f64::INFINITY).ln().clamp(-100.0, f64::INFINITY);
    let log_p = log(p);
    let log_q = log((-p).add_scalar(1.0));
    let not_y = (-target).add_scalar(1.0);
    Ok(-(target.try_mul(log_p)?.try_add(not_y.try_mul(log_q)?)?).mean())
}

/// Binary cross-entropy from logits `z` (PyTorch's `BCEWithLogitsLoss`), computed stably as
/// `mean(y softplus(-z) + (1 - y) softplus(z))`, which equals
/// `-(y ln sigmoid(z) + (1 - y) ln(1 - sigmoid(z)))` and stays finite and accurate for any
/// `z`. Its gradient is `(sigmoid(z) - y) / n`.
///
/// ```
/// use chainrule::{Tape, Tensor};
/// let t = Tape::<f64>::new();
/// let z = t.var(Tensor::from(vec![1e4, -1e4]));
/// let y = t.constant(Tensor::from(vec![1.0, 0.0]));
/// assert_eq!(chainrule::nn::loss::bce_with_logits(z, y).unwrap().item(), 0.0);
/// ```
pub fn bce_with_logits<'t, T: Float>(z: Var<'t, T>, target: Var<'t, T>) -> Result<Var<'t, T>> {
    let not_y = (-target).add_scalar(1.0);
    let l = target
        .try_mul((-z).softplus())?
        .try_add(not_y.try_mul(z.softplus())?)?;
    Ok(l.mean())
}

/// Softmax cross-entropy from logits with integer class targets (PyTorch's
/// `CrossEntropyLoss`): `mean_i(-log_softmax(z_i)[y_i])` for logits `[batch, classes]`, or
/// `-log_softmax(z)[y]` for a single `[classes]` row. Stable for any logits.
///
/// ```
/// use chainrule::{Tape, Tensor};
/// let t = Tape::<f64>::new();
/// let z = t.var(Tensor::from_vec(vec![0.0, 0.0, 1e4, 0.0], &[2, 2]).unwrap());
/// let l = chainrule::nn::loss::cross_entropy(z, &[0, 0]).unwrap();
/// assert!((l.item() - 2f64.ln() / 2.0).abs() < 1e-15);
/// ```
pub fn cross_entropy<'t, T: Float>(logits: Var<'t, T>, targets: &[usize]) -> Result<Var<'t, T>> {
    let picked = logits.try_log_softmax(-1)?.try_gather(-1, targets)?;
    Ok(-picked.mean())
}

/// Softmax cross-entropy from logits with probability targets `p` of the same shape:
/// `mean_i(-sum_c p_ic log_softmax(z_i)_c)` (PyTorch's `CrossEntropyLoss` with soft labels).
///
/// ```
/// use chainrule::{Tape, Tensor};
/// let t = Tape::<f64>::new();
/// let z = t.var(Tensor::from_vec(vec![0.0, 0.0], &[1, 2]).unwrap());
/// let p = t.constant(Tensor::from_vec(vec![0.25, 0.75], &[1, 2]).unwrap());
/// assert!((chainrule::nn::loss::cross_entropy_probs(z, p).unwrap().item() - 2f64.ln()).abs() < 1e-15);
/// ```
pub fn cross_entropy_probs<'t, T: Float>(logits: Var<'t, T>, probs: Var<'t, T>) -> Result<Var<'t, T>> {
    if logits.shape() != probs.shape() {
        return Err(Error::ShapeMismatch {
            op: "cross_entropy_probs",
            lhs: logits.shape(),
            rhs: probs.shape(),
            expected: "targets of the logits' shape".into(),
        });
    }
    let per_row = probs
        .try_mul(logits.try_log_softmax(-1)?)?
        .try_sum_axes(&[-1], false)?;
    Ok(-per_row.mean())
}

/// The max-margin (hinge) loss of micrograd's demo: `mean(relu(1 - y * score))` with labels
/// `y` in {-1, +1}.
///
/// ```
/// use chainrule::{Tape, Tensor};
/// let t = Tape::<f64>::new();
/// let s = t.var(Tensor::from(vec![2.0, 0.5]));
/// let y = t.constant(Tensor::from(vec![1.0, 1.0]));
/// assert_eq!(chainrule::nn::loss::hinge(s, y).unwrap().item(), 0.25);
/// ```
pub fn hinge<'t, T: Float>(scores: Var<'t, T>, labels: Var<'t, T>) -> Result<Var<'t, T>> {
    Ok((-labels.try_mul(scores)?).add_scalar(1.0).relu().mean())
}

/// The L2 penalty `sum over params of sum(w^2)` (multiply by your `alpha`).
///
/// ```
/// use chainrule::{Tape, Tensor};
/// let t = Tape::<f64>::new();
/// let w = t.var(Tensor::from(vec![1.0, 2.0]));
/// let b = t.var(Tensor::scalar(3.0));
/// assert_eq!(chainrule::nn::loss::l2_penalty(&[w, b]).unwrap().item(), 14.0);
/// ```
pub fn l2_penalty<'t, T: Float>(params: &[Var<'t, T>]) -> Result<Var<'t, T>> {
    let mut terms = params.iter().map(|w| w.powf(2.0).sum());
    let first = terms.next().ok_or_else(|| Error::InvalidArgument {
        op: "l2_penalty",
        shape: Default::default(),
        message: "needs at least one parameter".into(),
    })?;
    terms.try_fold(first, |acc, t| acc.try_add(t))
}
