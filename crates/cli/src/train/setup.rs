//! `train`'s set-up: the optimiser and schedule from the options, the outputs checked, the
//! data read and the model built, before any training.

use super::load::{load_images, load_table, Loaded};
use super::{check_memory, too_big, Args, OptimizerKind, ScheduleKind, MAX_PARAMS, PREFIX};
use crate::outputs::Outputs;
use crate::{args, data, usage};
use anyhow::Result;
use autograd::{Float, Tensor};
use nn::checkpoint::MlpSpec;
use nn::optim::{Adam, LrSchedule, OptimError, Optimizer, Sgd};
use nn::{Activation, ParamStore, Sequential};

/// The chosen optimiser (`fit` is generic over one).
pub(super) enum AnyOptimizer<T: Float> {
    Sgd(Sgd<T>),
    Adam(Adam<T>),
}

impl<T: Float> Optimizer<T> for AnyOptimizer<T> {
    fn try_step(
        &mut self,
        params: &mut ParamStore<T>,
        grads: &[Option<Tensor<T>>],
    ) -> Result<(), OptimError> {
        match self {
            AnyOptimizer::Sgd(o) => o.try_step(params, grads),
            AnyOptimizer::Adam(o) => o.try_step(params, grads),
        }
    }
    fn lr(&self) -> f64 {
        match self {
            AnyOptimizer::Sgd(o) => o.lr(),
            AnyOptimizer::Adam(o) => o.lr(),
        }
    }
    fn set_lr(&mut self, lr: f64) {
        match self {
            AnyOptimizer::Sgd(o) => o.set_lr(lr),
            AnyOptimizer::Adam(o) => o.set_lr(lr),
        }
    }
}

/// Everything a run needs before training, each option checked against the others.
pub(super) struct Setup<T: Float> {
    pub(super) epochs: usize,
    pub(super) opt: AnyOptimizer<T>,
    pub(super) opt_desc: String,
    pub(super) sched: LrSchedule,
    pub(super) sched_desc: String,
    /// The checked outputs, held (and `--out` locked) by the process that writes them.
    pub(super) outputs: Option<Outputs>,
    pub(super) loaded: Loaded<T>,
    pub(super) spec: MlpSpec,
    pub(super) params: ParamStore<T>,
    pub(super) mlp: Sequential<T>,
}

/// Checks the options, the outputs (on process `rank` 0) and the memory, reads the data and
/// builds the model.
pub(super) fn setup<T: Float>(args: &Args, rank: usize) -> Result<Setup<T>> {
    let dir = args.data.as_deref();
    let csv = match (dir, &args.target) {
        (Some(d), Some(t)) if !d.is_dir() => Some((d, t.as_str())),
        (Some(d), Some(_)) => {
            return Err(usage(format!(
                "--target applies to a CSV file, but --data {} is a directory",
                d.display()
            )))
        }
        (_, None)
            if args.test.is_some() || args.split.is_some() || args.task.is_some() || args.drop_missing =>
        {
            return Err(usage(
                "--test, --split, --task and --drop-missing apply to a CSV file with --target",
            ))
        }
        (None, Some(_)) => return Err(usage("--target needs --data FILE.csv")),
        _ => None,
    };
    let epochs = args.epochs.unwrap_or(if csv.is_some() { 200 } else { 20 });
    let hidden = args
        .hidden
        .clone()
        .unwrap_or_else(|| args::Hidden(vec![if csv.is_some() { 16 } else { 64 }]));
    let (opt, opt_desc) = optimizer::<T>(args, csv.is_some())?;
    let (sched, sched_desc) = schedule(args, epochs)?;
    // The hidden layers alone may already be too many parameters.
    let between_hidden = MlpSpec::new(
        hidden.0.clone(),
        vec![Activation::Identity; hidden.0.len().saturating_sub(1)],
    )
    .map_or(Some(0), |s| s.num_params());
    if between_hidden.is_none_or(|n| n > MAX_PARAMS) {
        return Err(too_big(&hidden));
    }
    if csv.is_none() {
        data::check_source(dir)?;
    }
    // Every output path is checked (and --out locked) before any work, by the process that
    // writes them.
    let outputs = match rank {
        0 => Some(Outputs::prepare(&args.out, args.save.as_deref())?),
        _ => None,
    };
    let loaded = match csv {
        Some((file, target)) => load_table::<T>(args, file, target)?,
        None => load_images::<T>(args, dir)?,
    };
    let (train, test) = (&loaded.train, &loaded.test);
    let regression = train.is_regression();

    let mut sizes = vec![train.features()];
    sizes.extend(&hidden.0);
    sizes.push(if regression { 1 } else { train.classes });
    let mut activations = vec![args.activation; hidden.0.len()];
    activations.push(Activation::Identity);
    let spec = MlpSpec::new(sizes, activations)?;
    let Some(count) = spec.num_params().filter(|&n| n <= MAX_PARAMS) else {
        return Err(too_big(&hidden));
    };
    check_memory::<T>(args, &spec, count, test.len())?;
    let mut params = ParamStore::<T>::new();
    let mlp = spec.build(&mut params, PREFIX, args.seed)?;
    Ok(Setup {
        epochs,
        opt,
        opt_desc,
        sched,
        sched_desc,
        outputs,
        loaded,
        spec,
        params,
        mlp,
    })
}

/// The optimiser and a description of it, from the options (checked to fit together).
fn optimizer<T: Float>(args: &Args, table: bool) -> Result<(AnyOptimizer<T>, String)> {
    // Small tables overfit: there the default is AdamW with a strong decoupled decay
    // (measured against scikit-learn in docs/cli.md).
    let kind = args.optimizer.unwrap_or(if table {
        OptimizerKind::Adamw
    } else {
        OptimizerKind::Adam
    });
    if args.momentum.is_some() && kind != OptimizerKind::Sgd {
        return Err(usage(
            "--momentum applies to --optimizer sgd only (adam and adamw keep their own moments)",
        ));
    }
    Ok(match kind {
        OptimizerKind::Sgd => {
            let (lr, mu, wd) = (
                args.lr.unwrap_or(0.05),
                args.momentum.unwrap_or(0.9),
                args.weight_decay.unwrap_or(0.0),
            );
            let o = Sgd::new(lr).momentum(mu).weight_decay(wd);
            (
                AnyOptimizer::Sgd(o),
                format!("sgd (lr {lr}, momentum {mu}, weight decay {wd})"),
            )
        }
        OptimizerKind::Adam => {
            let (lr, wd) = (args.lr.unwrap_or(0.003), args.weight_decay.unwrap_or(0.0));
            (
                AnyOptimizer::Adam(Adam::new(lr).weight_decay(wd)),
                format!("adam (lr {lr}, weight decay {wd})"),
            )
        }
        OptimizerKind::Adamw => {
            let (lr, wd) = (
                args.lr.unwrap_or(0.003),
                args.weight_decay.unwrap_or(if table { 0.3 } else { 0.01 }),
            );
            (
                AnyOptimizer::Adam(Adam::adamw(lr).weight_decay(wd)),
                format!("adamw (lr {lr}, weight decay {wd})"),
            )
        }
    })
}

fn schedule(args: &Args, epochs: usize) -> Result<(LrSchedule, String)> {
    if args.schedule != ScheduleKind::Step && (args.step_size.is_some() || args.gamma.is_some()) {
        return Err(usage("--step-size and --gamma apply to --schedule step only"));
    }
    Ok(match args.schedule {
        ScheduleKind::Constant => (LrSchedule::Constant, "constant".into()),
        ScheduleKind::Step => {
            let step_size = args.step_size.unwrap_or(epochs.div_ceil(3).max(1));
            let gamma = args.gamma.unwrap_or(0.1);
            (
                LrSchedule::Step { step_size, gamma },
                format!("step (x{gamma} every {step_size} epochs)"),
            )
        }
        ScheduleKind::Cosine => (
            LrSchedule::Cosine {
                t_max: epochs,
                eta_min: 0.0,
            },
            format!("cosine (towards 0 over {epochs} epochs)"),
        ),
    })
}
