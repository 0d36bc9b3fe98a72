//! `chainrule train`: an MLP classifier trained with `nn::train::fit`, its learning curve
//! written as CSV and SVG, its weights as a safetensors checkpoint.

use crate::{args, data, outln, plot, usage};
use anyhow::{Context, Result};
use autograd::{Float, Tensor};
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nn::checkpoint::{self, Metadata, MlpSpec};
use nn::optim::{Adam, LrSchedule, OptimError, Optimizer, Sgd};
use nn::train::{try_fit_with, BatchInfo, Callback, EpochMetrics, TrainConfig, TrainError};
use nn::{Activation, ParamStore};
use rand::SeedableRng;
use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Instant;

/// The prefix of the MLP's parameter names (`layers.0.weight`, ...).
pub const PREFIX: &str = "layers";

/// The largest model `train` builds (1 GiB of f32 parameters before the optimiser's state).
const MAX_PARAMS: usize = 1 << 28;

/// Options of `chainrule train`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory with MNIST-format IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
    /// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte) [default: the embedded UCI digits]
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Divide pixel values by this [default: 16 for the embedded digits, 255 for --data]
    #[arg(long, value_name = "X", value_parser = args::positive, allow_negative_numbers = true)]
    pixel_max: Option<f64>,
    /// Hidden layer sizes, comma-separated; "" or 0 for none (softmax regression)
    #[arg(long, value_name = "SIZES", default_value = "64", value_parser = args::hidden)]
    hidden: args::Hidden,
    /// Activation of the hidden layers: relu, tanh, sigmoid, leaky_relu, leaky_relu(A), identity
    #[arg(long, value_name = "NAME", default_value = "relu")]
    activation: Activation,
    /// Passes over the training set
    #[arg(long, value_name = "N", default_value = "20", value_parser = args::count, allow_negative_numbers = true)]
    epochs: usize,
    /// Examples per mini-batch
    #[arg(long, value_name = "N", default_value = "32", value_parser = args::count, allow_negative_numbers = true)]
    batch_size: usize,
    /// Optimiser
    #[arg(long, value_enum, default_value_t = OptimizerKind::Adam)]
    optimizer: OptimizerKind,
    /// Learning rate [default: 0.003 for adam and adamw, 0.05 for sgd]
    #[arg(long, value_name = "LR", value_parser = args::positive, allow_negative_numbers = true)]
    lr: Option<f64>,
    /// Momentum of sgd, in [0, 1) [default: 0.9]
    #[arg(long, value_name = "MU", value_parser = args::momentum, allow_negative_numbers = true)]
    momentum: Option<f64>,
    /// Weight decay (L2 for sgd and adam, decoupled for adamw) [default: 0, 0.01 for adamw]
    #[arg(long, value_name = "WD", value_parser = args::non_negative, allow_negative_numbers = true)]
    weight_decay: Option<f64>,
    /// Learning-rate schedule over epochs: constant, step (x gamma every --step-size epochs) or
    /// cosine (half a cosine from the rate towards 0 over the epochs)
    #[arg(long, value_enum, default_value_t = ScheduleKind::Constant)]
    schedule: ScheduleKind,
    /// Epochs between decays of the step schedule [default: a third of the epochs]
    #[arg(long, value_name = "N", value_parser = args::count, allow_negative_numbers = true)]
    step_size: Option<usize>,
    /// Decay factor of the step schedule [default: 0.1]
    #[arg(long, value_name = "G", value_parser = args::positive, allow_negative_numbers = true)]
    gamma: Option<f64>,
    /// Seed of the initialisation and of the batch order
    #[arg(long, value_name = "N", default_value_t = 0, allow_negative_numbers = true)]
    seed: u64,
    /// Check every value of every step for NaN and infinity and stop at the first, naming the
    /// op that produced it (slower)
    #[arg(long)]
    detect_anomaly: bool,
    /// Element type of the parameters and data
    #[arg(long, value_enum, default_value_t = DType::F32)]
    dtype: DType,
    /// Directory for curve.csv, curve.svg and (unless --save says otherwise) model.safetensors
    #[arg(long, value_name = "DIR", default_value = "runs/latest")]
    out: PathBuf,
    /// Where to save the trained model [default: OUT/model.safetensors]
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
}

/// The optimisers of `--optimizer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OptimizerKind {
    /// Stochastic gradient descent with momentum (`torch.optim.SGD`).
    Sgd,
    /// Adam (`torch.optim.Adam`).
    Adam,
    /// AdamW, decoupled weight decay (`torch.optim.AdamW`).
    Adamw,
}

/// The schedules of `--schedule`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScheduleKind {
    /// The same rate every epoch.
    Constant,
    /// Multiply by gamma every step-size epochs.
    Step,
    /// Half a cosine from the base rate towards 0 over the run.
    Cosine,
}

/// The element types of `--dtype`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DType {
    /// 32-bit floats: fast.
    F32,
    /// 64-bit floats.
    F64,
}

/// The chosen optimiser (`fit` is generic over one).
enum AnyOptimizer<T: Float> {
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

/// Runs `chainrule train`.
pub fn run(args: Args) -> Result<()> {
    match args.dtype {
        DType::F32 => run_typed::<f32>(&args),
        DType::F64 => run_typed::<f64>(&args),
    }
}

/// The optimiser and a description of it, from the options (checked to fit together).
fn optimizer<T: Float>(args: &Args) -> Result<(AnyOptimizer<T>, String)> {
    if args.momentum.is_some() && args.optimizer != OptimizerKind::Sgd {
        return Err(usage(
            "--momentum applies to --optimizer sgd only (adam and adamw keep their own moments)",
        ));
    }
    Ok(match args.optimizer {
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
            let (lr, wd) = (args.lr.unwrap_or(0.003), args.weight_decay.unwrap_or(0.01));
            (
                AnyOptimizer::Adam(Adam::adamw(lr).weight_decay(wd)),
                format!("adamw (lr {lr}, weight decay {wd})"),
            )
        }
    })
}

fn schedule(args: &Args) -> Result<(LrSchedule, String)> {
    if args.schedule != ScheduleKind::Step && (args.step_size.is_some() || args.gamma.is_some()) {
        return Err(usage("--step-size and --gamma apply to --schedule step only"));
    }
    Ok(match args.schedule {
        ScheduleKind::Constant => (LrSchedule::Constant, "constant".into()),
        ScheduleKind::Step => {
            let step_size = args.step_size.unwrap_or(args.epochs.div_ceil(3).max(1));
            let gamma = args.gamma.unwrap_or(0.1);
            (
                LrSchedule::Step { step_size, gamma },
                format!("step (x{gamma} every {step_size} epochs)"),
            )
        }
        ScheduleKind::Cosine => (
            LrSchedule::Cosine {
                t_max: args.epochs,
                eta_min: 0.0,
            },
            format!("cosine (towards 0 over {} epochs)", args.epochs),
        ),
    })
}

/// Creates the output directory and decides where the model goes, before any training.
fn prepare_outputs(args: &Args) -> Result<PathBuf> {
    if args.out.exists() && !args.out.is_dir() {
        return Err(usage(format!("--out {} is not a directory", args.out.display())));
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create output directory {}", args.out.display()))?;
    let save = args
        .save
        .clone()
        .unwrap_or_else(|| args.out.join("model.safetensors"));
    if save.is_dir() {
        return Err(usage(format!(
            "--save {} is a directory; give a file name such as model.safetensors",
            save.display()
        )));
    }
    if let Some(parent) = save.parent().filter(|p| !p.as_os_str().is_empty()) {
        if parent.exists() && !parent.is_dir() {
            return Err(usage(format!(
                "cannot save to {}: {} is not a directory",
                save.display(),
                parent.display()
            )));
        }
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create directory {}", parent.display()))?;
    }
    Ok(save)
}

fn run_typed<T: Float>(args: &Args) -> Result<()> {
    let start = Instant::now();
    let (mut opt, opt_desc) = optimizer::<T>(args)?;
    let (sched, sched_desc) = schedule(args)?;
    let dir = args.data.as_deref();
    let pixel_max = data::pixel_max(dir, args.pixel_max);
    let (train, test) = data::train_and_test::<T>(dir, pixel_max)?;

    let hidden = &args.hidden.0;
    let mut sizes = vec![train.features()];
    sizes.extend(hidden);
    sizes.push(train.classes);
    let mut activations = vec![args.activation; hidden.len()];
    activations.push(Activation::Identity);
    let count = sizes
        .windows(2)
        .try_fold(0usize, |n, w| n.checked_add(w[1].checked_mul(w[0] + 1)?));
    match count {
        Some(n) if n <= MAX_PARAMS => {}
        _ => {
            return Err(usage(format!(
                "--hidden {}: the model would have over {MAX_PARAMS} parameters",
                args.hidden
            )))
        }
    }
    let spec = MlpSpec::new(sizes, activations).map_err(anyhow::Error::msg)?;
    let mut params = ParamStore::<T>::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(args.seed);
    let mlp = spec.build(&mut params, PREFIX, &mut rng)?;
    let save = prepare_outputs(args)?;

    outln!(
        "data: {}, {} training and {} test examples, {} features, {} classes, pixels / {pixel_max}",
        data::describe(dir),
        train.len(),
        test.len(),
        train.features(),
        train.classes
    );
    outln!(
        "model: mlp {spec}, {} parameters, {}",
        params.num_params(),
        T::NAME
    );
    outln!(
        "training: {opt_desc}, {sched_desc} schedule, {} epochs, batch size {}, seed {}",
        args.epochs,
        args.batch_size,
        args.seed
    );

    let batches = train.len().div_ceil(args.batch_size);
    let bar = ProgressBar::with_draw_target(
        Some(args.epochs.saturating_mul(batches) as u64),
        ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} batches, {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    let config = TrainConfig {
        epochs: args.epochs,
        batch_size: args.batch_size,
        seed: args.seed,
        schedule: sched,
        detect_anomaly: args.detect_anomaly,
        ..TrainConfig::default()
    };
    let train_start = Instant::now();
    let history = try_fit_with(
        &mlp,
        &mut params,
        &mut opt,
        &train,
        Some(&test),
        &config,
        &mut Progress {
            bar: &bar,
            epochs: args.epochs,
        },
    );
    bar.finish_and_clear();
    let history = history.map_err(|e| match e {
        TrainError::Anomaly(e) => anyhow::anyhow!("anomaly detected: {e}"),
        e => anyhow::anyhow!(e),
    })?;
    let train_seconds = train_start.elapsed().as_secs_f64();

    let last = history.last().context("no epoch was run")?;
    let accuracy = last.test_accuracy.unwrap_or(0.0);
    let csv = args.out.join("curve.csv");
    checkpoint::write_atomic(&csv, curve_csv(&history).as_bytes())?;
    let svg = args.out.join("curve.svg");
    let sizes: Vec<String> = spec.sizes().iter().map(|s| s.to_string()).collect();
    let title = format!(
        "mlp {} on {}: test accuracy {:.2}% after {} epochs",
        sizes.join("-"),
        data::describe(dir),
        100.0 * accuracy,
        history.len()
    );
    checkpoint::write_atomic(&svg, plot::curve_svg(&history, &title)?.as_bytes())?;
    let mut meta: Metadata = spec.to_metadata();
    meta.insert("chainrule.pixel_max".into(), pixel_max.to_string());
    meta.insert(
        "chainrule.data".into(),
        dir.map_or("digits".into(), |d| d.display().to_string()),
    );
    meta.insert("chainrule.test_accuracy".into(), format!("{accuracy:.6}"));
    meta.insert("chainrule.command".into(), command_line());
    checkpoint::save(&params, &save, &meta)?;

    let correct = (accuracy * test.len() as f64).round() as usize;
    outln!(
        "final test accuracy: {:.2}% ({correct}/{} correct)",
        100.0 * accuracy,
        test.len()
    );
    for path in [&csv, &svg, &save] {
        outln!("wrote {}", path.display());
    }
    outln!(
        "total time: {:.2} s (training {:.2} s)",
        start.elapsed().as_secs_f64(),
        train_seconds
    );
    Ok(())
}

/// Reports training as it goes: the progress bar after each batch (with the running loss), a
/// line of metrics after each epoch.
struct Progress<'a> {
    bar: &'a ProgressBar,
    epochs: usize,
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
        self.bar.suspend(|| {
            outln!(
                "epoch {:>w$}/{}  train loss {:.4}  acc {:6.2}%  test loss {:.4}  acc {:6.2}%  lr {}  {:.0} ms",
                m.epoch,
                self.epochs,
                m.train_loss,
                100.0 * m.train_accuracy,
                m.test_loss.unwrap_or(f64::NAN),
                100.0 * m.test_accuracy.unwrap_or(f64::NAN),
                short(m.lr),
                1e3 * m.seconds,
                w = self.epochs.to_string().len()
            )
        });
        ControlFlow::Continue(())
    }
}

/// The learning curve as CSV, one row per epoch.
pub fn curve_csv(history: &[EpochMetrics]) -> String {
    let mut s = String::from("epoch,train_loss,train_accuracy,test_loss,test_accuracy,lr,seconds\n");
    let opt = |x: Option<f64>| x.map_or(String::new(), |x| x.to_string());
    for m in history {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{}",
            m.epoch,
            m.train_loss,
            m.train_accuracy,
            opt(m.test_loss),
            opt(m.test_accuracy),
            m.lr,
            m.seconds
        );
    }
    s
}

/// A learning rate in few characters: `0.003`, `1.85e-5`.
fn short(x: f64) -> String {
    if x == 0.0 || (1e-3..1e4).contains(&x.abs()) {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{x:.2e}")
    }
}

fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("chainrule {}", args.join(" "))
}
