//! Optimisers (SGD with momentum/Nesterov/weight decay, Adam, AdamW), learning-rate schedules
//! and gradient clipping. They update parameter tensors in the store from gradients the
//! engine computed; state is kept per parameter name. The arithmetic follows PyTorch's
//! `torch.optim` step by step, so results match it to rounding.

use crate::param::ParamStore;
use autograd::{Float, Tensor};
use std::collections::HashMap;

/// Errors of an optimiser step: gradients that do not fit the parameters, or a setting out of
/// range. A step that fails changes nothing (neither the parameters nor the optimiser's state).
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum OptimError {
    /// Not one gradient slot per parameter of the store.
    #[error("{got} gradients for {expected} parameters (one per parameter, in store order; None skips one)")]
    Count {
        /// The number of parameters in the store.
        expected: usize,
        /// The number of gradients given.
        got: usize,
    },
    /// A gradient whose shape is not its parameter's.
    #[error("the gradient of parameter {name:?} has shape {got:?}, the parameter {expected:?}")]
    Shape {
        /// The parameter.
        name: String,
        /// The parameter's shape.
        expected: Vec<usize>,
        /// The gradient's shape.
        got: Vec<usize>,
    },
    /// A setting outside its range (as `torch.optim` rejects it).
    #[error("invalid {setting} {value}: {expected}")]
    Setting {
        /// The setting (`lr`, `momentum`, `beta1`, ...).
        setting: &'static str,
        /// The value given.
        value: f64,
        /// What it must be.
        expected: &'static str,
    },
}

/// Checks that `grads` has one slot per parameter of `params` and that every gradient given
/// has its parameter's shape: what every [`Optimizer::try_step`] checks before it changes
/// anything (an optimiser written outside this crate can call it too).
///
/// ```
/// use chainrule::Tensor;
/// use chainrule::nn::{optim::check_grads, ParamStore};
/// let mut ps = ParamStore::<f64>::new();
/// ps.add("w", Tensor::zeros(&[2])).unwrap();
/// assert!(check_grads(&ps, &[Some(Tensor::from(vec![1.0, 2.0]))]).is_ok());
/// let err = check_grads(&ps, &[Some(Tensor::from(vec![1.0]))]).unwrap_err();
/// assert_eq!(err.to_string(), r#"the gradient of parameter "w" has shape [1], the parameter [2]"#);
/// ```
pub fn check_grads<T: Float>(params: &ParamStore<T>, grads: &[Option<Tensor<T>>]) -> Result<(), OptimError> {
    if grads.len() != params.len() {
        return Err(OptimError::Count {
            expected: params.len(),
            got: grads.len(),
        });
    }
    for ((_, name, p), g) in params.iter().zip(grads) {
        if let Some(g) = g
            && g.shape() != p.value().shape()
        {
            return Err(OptimError::Shape {
                name: name.to_string(),
                expected: p.value().shape().to_vec(),
                got: g.shape().to_vec(),
            });
        }
    }
    Ok(())
}

/// What every optimiser's step checks first (the gradients against the parameters, a
/// non-negative rate and weight decay), then the parameters it updates: each one not frozen
/// that has a gradient, as its name, its values and its gradient.
fn trainable<'a, T: Float>(
    params: &'a mut ParamStore<T>,
    grads: &'a [Option<Tensor<T>>],
    lr: f64,
    weight_decay: f64,
) -> Result<impl Iterator<Item = (&'a str, &'a mut [T], &'a Tensor<T>)>, OptimError> {
    check_grads(params, grads)?;
    non_negative("lr", lr)?;
    non_negative("weight_decay", weight_decay)?;
    Ok(params
        .iter_mut()
        .zip(grads)
        .filter(|((_, p), _)| !p.frozen())
        .filter_map(|((name, p), g)| Some((name, p.value_mut(), g.as_ref()?))))
}

/// `Ok` if `ok`, else the [`OptimError::Setting`] for `setting`.
fn setting(setting: &'static str, value: f64, ok: bool, expected: &'static str) -> Result<(), OptimError> {
    if ok {
        Ok(())
    } else {
        Err(OptimError::Setting {
            setting,
            value,
            expected,
        })
    }
}

/// A learning rate or weight decay: finite and `>= 0`.
fn non_negative(name: &'static str, value: f64) -> Result<(), OptimError> {
    setting(
        name,
        value,
        value.is_finite() && value >= 0.0,
        "a finite number >= 0",
    )
}

/// Something that updates parameters from their gradients.
///
/// Implementors write [`Optimizer::try_step`]; [`Optimizer::step`] is its panicking twin.
pub trait Optimizer<T: Float> {
    /// One update. `grads[i]` is the gradient of the store's `i`-th parameter (`None`: skip it,
    /// as PyTorch skips parameters whose `.grad` is `None`). Fails, changing nothing, when the
    /// gradients do not fit the parameters ([`check_grads`]) or a setting is out of range.
    fn try_step(&mut self, params: &mut ParamStore<T>, grads: &[Option<Tensor<T>>])
        -> Result<(), OptimError>;
    /// [`Optimizer::try_step`], panicking with its error's message.
    ///
    /// # Panics
    /// Where `try_step` fails.
    #[track_caller]
    fn step(&mut self, params: &mut ParamStore<T>, grads: &[Option<Tensor<T>>]) {
        if let Err(e) = self.try_step(params, grads) {
            panic!("{e}")
        }
    }
    /// The current learning rate.
    fn lr(&self) -> f64;
    /// Sets the learning rate (used by schedules).
    fn set_lr(&mut self, lr: f64);
}

/// Stochastic gradient descent, as `torch.optim.SGD`:
/// `g = grad + wd p`; with momentum `b = mu b + (1 - dampening) g` (`b = g` on the first
/// step) and `g = b` (or `g + mu b` with Nesterov); then `p = p - lr g`.
/// Nesterov has no effect without momentum. (PyTorch rejects Nesterov without momentum or
/// with dampening; here the formulas above apply as written.)
///
/// ```
/// use chainrule::Tensor;
/// use chainrule::nn::{ParamStore, optim::{Optimizer, Sgd}};
/// let mut ps = ParamStore::<f64>::new();
/// ps.add("w", Tensor::from(vec![1.0])).unwrap();
/// let mut opt = Sgd::new(0.1);
/// opt.step(&mut ps, &[Some(Tensor::from(vec![2.0]))]);
/// assert!((ps.value("w").unwrap().item() - 0.8).abs() < 1e-15);
/// ```
#[derive(Clone, Debug)]
pub struct Sgd<T: Float = f64> {
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor `mu` (0 = none).
    pub momentum: f64,
    /// Dampening of the momentum's new term.
    pub dampening: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
    /// L2 weight decay added to the gradient.
    pub weight_decay: f64,
    buffers: HashMap<String, Vec<T>>,
}

impl<T: Float> Sgd<T> {
    /// Plain SGD with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            nesterov: false,
            weight_decay: 0.0,
            buffers: HashMap::new(),
        }
    }

    /// Sets the momentum factor.
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.momentum = momentum;
        self
    }

    /// Switches Nesterov momentum on or off.
    pub fn nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self
    }

    /// Sets the dampening.
    pub fn dampening(mut self, dampening: f64) -> Self {
        self.dampening = dampening;
        self
    }

    /// Sets the weight decay.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl<T: Float> Optimizer<T> for Sgd<T> {
    fn try_step(
        &mut self,
        params: &mut ParamStore<T>,
        grads: &[Option<Tensor<T>>],
    ) -> Result<(), OptimError> {
        let trainable = trainable(params, grads, self.lr, self.weight_decay)?;
        non_negative("momentum", self.momentum)?;
        setting(
            "dampening",
            self.dampening,
            self.dampening.is_finite(),
            "a finite number",
        )?;
        // Coefficients are formed in f64 (as PyTorch forms them in Python) and then converted.
        let (lr, mu, undamped, wd) = (
            T::from_f64(self.lr),
            T::from_f64(self.momentum),
            T::from_f64(1.0 - self.dampening),
            T::from_f64(self.weight_decay),
        );
        for (name, w, g) in trainable {
            if self.weight_decay == 0.0 && self.momentum == 0.0 {
                // Plain SGD reads the gradient in place: no copy of it; split over threads.
                let g = g.as_slice();
                autograd::for_each_chunk_mut(w, |start, w| {
                    w.iter_mut().zip(&g[start..]).for_each(|(w, &g)| *w -= lr * g)
                });
                continue;
            }
            let mut d: Vec<T> = g.as_slice().to_vec();
            if self.weight_decay != 0.0 {
                d.iter_mut().zip(w.iter()).for_each(|(d, &w)| *d += wd * w);
            }
            if self.momentum != 0.0 {
                match self.buffers.get_mut(name) {
                    None => {
                        self.buffers.insert(name.to_string(), d.clone());
                    }
                    Some(b) => b
                        .iter_mut()
                        .zip(&d)
                        .for_each(|(b, &d)| *b = *b * mu + undamped * d),
                }
                let b = &self.buffers[name];
                if self.nesterov {
                    d.iter_mut().zip(b).for_each(|(d, &b)| *d += mu * b);
                } else {
                    d.copy_from_slice(b);
                }
            }
            w.iter_mut().zip(&d).for_each(|(w, &d)| *w -= lr * d);
        }
        Ok(())
    }
    fn lr(&self) -> f64 {
        self.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
}

/// Adam (`torch.optim.Adam`), or AdamW (`torch.optim.AdamW`) with decoupled weight decay.
///
/// Adam: `g = grad + wd p`; `m = lerp(m, g, 1 - b1)`; `v = b2 v + (1 - b2) g^2`;
/// `p = p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`, with `t` the step
/// number from 1. `lerp` is PyTorch's: `m + w (g - m)` for a weight `w < 0.5`, else
/// `g - (g - m)(1 - w)`. AdamW: `p = p (1 - lr wd)` first, and no decay term in `g`.
///
/// ```
/// use chainrule::Tensor;
/// use chainrule::nn::{ParamStore, optim::{Adam, Optimizer}};
/// let mut ps = ParamStore::<f64>::new();
/// ps.add("w", Tensor::from(vec![1.0])).unwrap();
/// let mut opt = Adam::new(0.1);
/// opt.step(&mut ps, &[Some(Tensor::from(vec![5.0]))]);
/// // The first Adam step moves each weight by about lr, whatever the gradient's size.
/// assert!((ps.value("w").unwrap().item() - 0.9).abs() < 1e-7);
/// ```
#[derive(Clone, Debug)]
pub struct Adam<T: Float = f64> {
    /// Learning rate.
    pub lr: f64,
    /// Decay of the first moment.
    pub beta1: f64,
    /// Decay of the second moment.
    pub beta2: f64,
    /// Added to the denominator.
    pub eps: f64,
    /// Weight decay: L2 in the gradient (Adam) or decoupled (AdamW).
    pub weight_decay: f64,
    /// Decoupled weight decay (AdamW).
    pub decoupled: bool,
    state: HashMap<String, AdamState<T>>,
}

#[derive(Clone, Debug)]
struct AdamState<T> {
    step: i32,
    m: Vec<T>,
    v: Vec<T>,
}

impl<T: Float> Adam<T> {
    /// Adam with PyTorch's defaults (betas 0.9, 0.999; eps 1e-8; no weight decay).
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled: false,
            state: HashMap::new(),
        }
    }

    /// AdamW with PyTorch's defaults (weight decay 0.01).
    pub fn adamw(lr: f64) -> Self {
        Self {
            weight_decay: 0.01,
            decoupled: true,
            ..Self::new(lr)
        }
    }

    /// Sets the betas.
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Sets eps.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Sets the weight decay.
    pub fn weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }
}

impl<T: Float> Optimizer<T> for Adam<T> {
    fn try_step(
        &mut self,
        params: &mut ParamStore<T>,
        grads: &[Option<Tensor<T>>],
    ) -> Result<(), OptimError> {
        let trainable = trainable(params, grads, self.lr, self.weight_decay)?;
        non_negative("eps", self.eps)?;
        let beta = |b: f64| (0.0..1.0).contains(&b);
        setting("beta1", self.beta1, beta(self.beta1), "in [0, 1)")?;
        setting("beta2", self.beta2, beta(self.beta2), "in [0, 1)")?;
        let c = |x: f64| T::from_f64(x);
        let (b1, b2, eps, wd, lr) = (self.beta1, self.beta2, self.eps, self.weight_decay, self.lr);
        for (name, w, g) in trainable {
            let st = self.state.entry(name.to_string()).or_insert_with(|| AdamState {
                step: 0,
                m: vec![T::zero(); w.len()],
                v: vec![T::zero(); w.len()],
            });
            st.step += 1;
            if self.decoupled {
                w.iter_mut().for_each(|w| *w *= c(1.0 - lr * wd));
            }
            // `powf`, not `powi`: Python's `beta ** step` is the C library's `pow`.
            let bc1 = 1.0 - b1.powf(st.step as f64);
            let bc2_sqrt = c((1.0 - b2.powf(st.step as f64)).sqrt());
            let step_size = c(lr / bc1);
            // PyTorch's `lerp_(g, weight)`, whose formula depends on the weight's size.
            let weight = 1.0 - b1;
            let (small, wt, one_minus_wt) = (weight.abs() < 0.5, c(weight), c(1.0 - weight));
            let moments = st.m.iter_mut().zip(st.v.iter_mut());
            for ((w, &g), (m, v)) in w.iter_mut().zip(g.as_slice()).zip(moments) {
                let g = if !self.decoupled && wd != 0.0 {
                    g + c(wd) * *w
                } else {
                    g
                };
                *m = if small {
                    *m + wt * (g - *m)
                } else {
                    g - (g - *m) * one_minus_wt
                };
                *v = *v * c(b2) + c(1.0 - b2) * g * g;
                let denom = v.sqrt() / bc2_sqrt + c(eps);
                *w -= step_size * *m / denom;
            }
        }
        Ok(())
    }
    fn lr(&self) -> f64 {
        self.lr
    }
    fn set_lr(&mut self, lr: f64) {
        self.lr = lr;
    }
}

/// A learning-rate schedule: the rate for a given epoch (or step) from the base rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LrSchedule {
    /// The base rate throughout.
    Constant,
    /// `base * gamma^floor(t / step_size)` (PyTorch's `StepLR`).
    Step {
        /// Epochs between decays.
        step_size: usize,
        /// Multiplicative decay.
        gamma: f64,
    },
    /// `eta_min + (base - eta_min) (1 + cos(pi t / t_max)) / 2`, the closed form of PyTorch's
    /// `CosineAnnealingLR`. Like PyTorch's, it is not held at `eta_min` after `t_max`: the
    /// cosine goes on, back up to `base` at `2 t_max` (a `t_max` of 0 counts as 1).
    Cosine {
        /// Epochs of one half cosine.
        t_max: usize,
        /// The rate at `t = t_max`.
        eta_min: f64,
    },
}

impl LrSchedule {
    /// The learning rate at epoch `t` for base rate `base`.
    ///
    /// ```
    /// use chainrule::nn::optim::LrSchedule;
    /// assert_eq!(LrSchedule::Step { step_size: 2, gamma: 0.5 }.lr(1.0, 5), 0.25);
    /// let cosine = LrSchedule::Cosine { t_max: 10, eta_min: 0.0 };
    /// assert!((cosine.lr(1.0, 5) - 0.5).abs() < 1e-15);
    /// assert_eq!(cosine.lr(1.0, 10), 0.0);
    /// assert!((cosine.lr(1.0, 15) - 0.5).abs() < 1e-15); // past t_max it rises again, as PyTorch's
    /// ```
    pub fn lr(&self, base: f64, t: usize) -> f64 {
        match *self {
            LrSchedule::Constant => base,
            LrSchedule::Step { step_size, gamma } => base * gamma.powi((t / step_size.max(1)) as i32),
            LrSchedule::Cosine { t_max, eta_min } => {
                let (t, t_max) = (t as f64, t_max.max(1) as f64);
                eta_min + (base - eta_min) * (1.0 + (std::f64::consts::PI * t / t_max).cos()) / 2.0
            }
        }
    }
}

/// Scales all gradients together so their joint L2 norm is at most `max_norm`, as PyTorch's
/// `clip_grad_norm_`: the norm is that of the per-tensor norms, the coefficient
/// `max_norm / (norm + 1e-6)` capped at 1 multiplies every gradient (`None`s are skipped).
/// Returns the norm before clipping, computed in `f64` whatever `T`.
///
/// ```
/// use chainrule::Tensor;
/// let mut g = vec![Some(Tensor::<f64>::from(vec![3.0, 4.0]))];
/// let norm = chainrule::nn::optim::clip_grad_norm(&mut g, 1.0);
/// assert_eq!(norm, 5.0);
/// assert!((g[0].as_ref().unwrap().as_slice()[0] - 0.6).abs() < 1e-6);
/// ```
pub fn clip_grad_norm<T: Float>(grads: &mut [Option<Tensor<T>>], max_norm: f64) -> f64 {
    let norm = |xs: &mut dyn Iterator<Item = f64>| xs.map(|x| x * x).sum::<f64>().sqrt();
    let total = norm(
        &mut grads
            .iter()
            .flatten()
            .map(|g| norm(&mut g.as_slice().iter().map(|x| x.as_f64()))),
    );
    let coef = (max_norm / (total + 1e-6)).min(1.0);
    for g in grads.iter_mut().flatten() {
        g.as_mut_slice().iter_mut().for_each(|x| *x *= T::from_f64(coef));
    }
    total
}
