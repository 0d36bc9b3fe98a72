//! `chainrule train`: an MLP classifier trained with `nn::train::fit`, its learning curve
//! written as CSV and SVG, its weights as a safetensors checkpoint.

mod load;
mod processes;
mod progress;
mod setup;

use progress::Progress;
pub use progress::{curve_csv, significant};
use setup::{setup, Setup};

use crate::tabular::Prep;
use crate::{args, memory, outln, plot, usage};
use anyhow::Result;
use autograd::Float;
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nn::checkpoint::{self, Metadata, MlpSpec};
use nn::train::{try_evaluate_distributed, try_fit_distributed, Communicator, SingleProcess};
use nn::train::{EarlyStopping, EpochMetrics, TrainConfig, TrainError};
use nn::{Activation, ParamStore};
use std::path::PathBuf;
use std::time::Instant;
use verify::verdict::plural;

/// The prefix of the MLP's parameter names (`layers.0.weight`, ...).
pub const PREFIX: &str = "layers";

/// The largest model `train` builds (1 GiB of f32 parameters before the optimiser's state).
const MAX_PARAMS: usize = 1 << 28;

/// The batch size of the evaluation after each epoch (`nn::train::try_fit_with`'s).
const EVAL_BATCH: usize = 512;

/// Options of `chainrule train`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A CSV file with a header row (with --target), or a directory with MNIST-format IDX files
    /// (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
    /// t10k-labels-idx1-ubyte) [default: the embedded UCI digits]
    #[arg(long, value_name = "DIR|FILE")]
    data: Option<PathBuf>,
    /// The CSV column to predict; every other column is a numeric feature
    #[arg(long, value_name = "COLUMN")]
    target: Option<String>,
    /// A CSV test file with the training file's columns [default: --split of the training rows]
    #[arg(long, value_name = "FILE", conflicts_with = "split")]
    test: Option<PathBuf>,
    /// The fraction of the CSV rows held out as the test set (seeded, stratified by class)
    /// [default: 0.2]
    #[arg(long, value_name = "F", value_parser = args::fraction)]
    split: Option<f64>,
    /// classification or regression [default: from the target column, printed with the reason]
    #[arg(long, value_enum)]
    task: Option<TaskKind>,
    /// Stop after this many epochs without a lower loss on a validation split (a tenth of the
    /// training rows) and keep the best epoch's weights
    #[arg(long, value_name = "PATIENCE", value_parser = args::count, allow_negative_numbers = true)]
    early_stop: Option<usize>,
    /// Skip CSV rows with a missing value (empty, NA, nan) and say how many
    #[arg(long)]
    drop_missing: bool,
    /// Divide pixel values by this [default: 16 for the embedded digits, 255 for --data]
    #[arg(long, value_name = "X", value_parser = args::positive, allow_negative_numbers = true)]
    pixel_max: Option<f64>,
    /// Hidden layer sizes, comma-separated; "" or 0 for none (a linear model) [default: 64,
    /// 16 for a CSV table]
    #[arg(long, value_name = "SIZES", value_parser = args::hidden)]
    hidden: Option<args::Hidden>,
    /// Activation of the hidden layers: relu, tanh, sigmoid, leaky_relu, leaky_relu(A), identity
    #[arg(long, value_name = "NAME", default_value = "relu")]
    activation: Activation,
    /// Passes over the training set [default: 20, 200 for a CSV table]
    #[arg(long, value_name = "N", value_parser = args::count, allow_negative_numbers = true)]
    epochs: Option<usize>,
    /// Examples per mini-batch
    #[arg(long, value_name = "N", default_value = "32", value_parser = args::count, allow_negative_numbers = true)]
    batch_size: usize,
    /// Optimiser [default: adam, adamw for a CSV table]
    #[arg(long, value_enum)]
    optimizer: Option<OptimizerKind>,
    /// Learning rate [default: 0.003 for adam and adamw, 0.05 for sgd]
    #[arg(long, value_name = "LR", value_parser = args::positive, allow_negative_numbers = true)]
    lr: Option<f64>,
    /// Momentum of sgd, in [0, 1) [default: 0.9]
    #[arg(long, value_name = "MU", value_parser = args::momentum, allow_negative_numbers = true)]
    momentum: Option<f64>,
    /// Weight decay (L2 for sgd and adam, decoupled for adamw) [default: 0, 0.01 for adamw,
    /// 0.3 for adamw on a CSV table]
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

/// The tasks of `--task`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TaskKind {
    /// Each distinct target value is a class.
    Classification,
    /// The target is a number.
    Regression,
}

/// The element types of `--dtype`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DType {
    /// 32-bit floats: fast.
    F32,
    /// 64-bit floats.
    F64,
}

/// Runs `chainrule train`: as one of the processes `mpirun` started (with the `mpi` feature),
/// or alone. `threads_given`: whether `--threads` was.
pub fn run(args: Args, threads_given: bool) -> Result<()> {
    #[cfg(feature = "mpi")]
    if processes::launched_by_mpirun() {
        let world = nn::train::MpiWorld::init()?;
        processes::share_cores(&world, threads_given);
        // Reported while MPI runs: MPI_Finalize (the world's drop) waits for every process, so
        // none exits (and has mpirun stop the rest) before each has said why it stops.
        return run_on(&world, &args).map_err(|e| crate::report_now(e).into());
    }
    #[cfg(not(feature = "mpi"))]
    processes::refuse_mpirun()?;
    let _ = threads_given;
    run_on(&SingleProcess, &args)
}

fn run_on<C: Communicator>(comm: &C, args: &Args) -> Result<()> {
    if comm.rank() > 0 {
        crate::QUIET.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let result = match args.dtype {
        DType::F32 => run_typed::<f32, C>(comm, args),
        DType::F64 => run_typed::<f64, C>(comm, args),
    };
    processes::name_process(comm, result)
}

fn run_typed<T: Float, C: Communicator>(comm: &C, args: &Args) -> Result<()> {
    let start = Instant::now();
    let Setup {
        epochs,
        mut opt,
        opt_desc,
        sched,
        sched_desc,
        outputs,
        loaded,
        spec,
        mut params,
        mlp,
    } = processes::agree(comm, setup::<T>(args, comm.rank()))?;
    let (train, test) = (&loaded.train, &loaded.test);

    outln!("{}", loaded.line);
    outln!(
        "model: mlp {spec}, {} parameters, {}, {}",
        params.num_params(),
        T::NAME,
        plural(autograd::get_num_threads(), "thread")
    );
    outln!(
        "training: {opt_desc}, {sched_desc} schedule, {}, batch size {}, seed {}{}",
        plural(epochs, "epoch"),
        processes::describe_batch(comm, args.batch_size),
        args.seed,
        args.early_stop.map_or(String::new(), |p| format!(
            ", early stopping (patience {p}, on a tenth of the training rows)"
        ))
    );

    // Early stopping watches a validation split of the training rows, never the test set.
    let (fit_set, val) = match args.early_stop {
        Some(_) => {
            let (fit, val) = train.split_stratified(0.1, args.seed);
            if fit.is_empty() || val.is_empty() {
                return Err(usage(format!(
                    "--early-stop needs a validation tenth of the {} training rows: too few rows",
                    train.len()
                )));
            }
            (fit, Some(val))
        }
        None => (train.clone(), None),
    };
    let batches = fit_set
        .len()
        .div_ceil(args.batch_size.saturating_mul(comm.size()));
    let bar = ProgressBar::with_draw_target(
        Some(epochs.saturating_mul(batches) as u64),
        match comm.rank() {
            0 => ProgressDrawTarget::stderr(),
            _ => ProgressDrawTarget::hidden(),
        },
    );
    if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} batches, {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    let config = TrainConfig {
        epochs,
        batch_size: args.batch_size,
        seed: args.seed,
        schedule: sched,
        detect_anomaly: args.detect_anomaly,
        ..TrainConfig::default()
    };
    let train_start = Instant::now();
    let mut progress = Progress {
        bar: &bar,
        epochs,
        held_out: if val.is_some() { "val" } else { "test" },
    };
    let mut stop = EarlyStopping::<T>::new(args.early_stop.unwrap_or(1));
    // With --early-stop the per-epoch figures are the validation split's: it drives the
    // stopping, and the test set stays unseen until the end.
    let history = match &val {
        Some(val) => try_fit_distributed(
            comm,
            &mlp,
            &mut params,
            &mut opt,
            &fit_set,
            Some(val),
            &config,
            &mut (&mut progress, &mut stop),
        ),
        None => try_fit_distributed(
            comm,
            &mlp,
            &mut params,
            &mut opt,
            &fit_set,
            Some(test),
            &config,
            &mut progress,
        ),
    };
    bar.finish_and_clear();
    let history = history.map_err(|e| match e {
        TrainError::Anomaly(e) => anyhow::anyhow!("anomaly detected: {e}"),
        e => anyhow::anyhow!(e),
    })?;
    if val.is_some()
        && let Some((best, _)) = stop.best()
    {
        stop.restore_best(&mut params);
        outln!(
            "early stopping: {} epochs run, the weights of epoch {best} (lowest validation loss) kept",
            history.len()
        );
    }
    let train_seconds = train_start.elapsed().as_secs_f64();
    if let Some(why) = diverged(&history, &params) {
        return Err(anyhow::anyhow!(
            "training diverged: {why}; nothing was written (the previous outputs are kept): \
             try a smaller --lr or --weight-decay"
        ));
    }
    let eval = try_evaluate_distributed(comm, &mlp, &params, test, EVAL_BATCH)?;
    let scale = loaded.prep.as_ref().map_or(1.0, Prep::target_scale);
    let eval = eval.in_units(scale);
    let sizes: Vec<String> = spec.sizes().iter().map(|s| s.to_string()).collect();
    let figure = match (eval.accuracy, eval.r2) {
        (Some(a), _) => format!("test accuracy {:.2}%", 100.0 * a),
        (None, r2) => format!("test R² {:.4}", r2.unwrap_or(f64::NAN)),
    };
    let title = format!(
        "mlp {} on {}: {figure} after {}",
        sizes.join("-"),
        loaded.name,
        plural(history.len(), "epoch")
    );
    let curves = plot::curve_svg(&history, &title).map(|svg| (curve_csv(&history), svg));
    let mut meta: Metadata = spec.to_metadata();
    meta.extend(loaded.meta.clone());
    match (eval.accuracy, eval.r2) {
        (Some(a), _) => meta.insert("chainrule.test_accuracy".into(), format!("{a:.6}")),
        (None, r2) => meta.insert(
            "chainrule.test_r2".into(),
            format!("{:.6}", r2.unwrap_or(f64::NAN)),
        ),
    };
    meta.insert("chainrule.command".into(), command_line());
    let model = checkpoint::to_bytes(&params, &meta)?;
    // Every process has trained to the end before the one that writes does, and every process
    // learns whether it could.
    processes::agree(comm, Ok(()))?;
    let written = processes::agree(comm, outputs.map_or(Ok(Vec::new()), |o| o.write(&model, curves)))?;

    match (eval.accuracy, eval.confusion.as_ref()) {
        (Some(a), Some(c)) => outln!(
            "final test accuracy: {:.2}% ({}/{} correct)",
            100.0 * a,
            c.correct(),
            test.len()
        ),
        _ => outln!(
            "final test R²: {:.4} (RMSE {}, MAE {} in the target's units)",
            eval.r2.unwrap_or(f64::NAN),
            significant(eval.rmse.unwrap_or(f64::NAN)),
            significant(eval.mae.unwrap_or(f64::NAN))
        ),
    }
    for path in &written {
        outln!("wrote {}", path.display());
    }
    outln!(
        "total time: {:.2} s (training {:.2} s)",
        start.elapsed().as_secs_f64(),
        train_seconds
    );
    Ok(())
}

/// The command line as given, for the checkpoint's metadata; arguments that are not UTF-8
/// (paths may be any bytes) are kept with U+FFFD in place of the bytes that are not.
fn command_line() -> String {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    format!("chainrule {}", args.join(" "))
}

fn too_big(hidden: &args::Hidden) -> anyhow::Error {
    usage(format!(
        "--hidden {hidden}: the model would have over {MAX_PARAMS} parameters"
    ))
}

/// Refuses a run whose estimated memory does not fit (see [`memory`]).
fn check_memory<T: Float>(args: &Args, spec: &MlpSpec, params: usize, test: usize) -> Result<()> {
    let footprint = memory::Footprint {
        per_param: if args.optimizer == Some(OptimizerKind::Sgd) {
            7
        } else {
            8
        },
        per_activation: 8,
    };
    // Evaluation runs in batches of up to 512 test examples.
    let batch = args.batch_size.max(test.min(EVAL_BATCH));
    let outputs: usize = spec.sizes()[1..].iter().sum();
    let need = memory::estimate(
        &footprint,
        params as u64,
        batch as u64,
        outputs as u64,
        0,
        std::mem::size_of::<T>() as u64,
    );
    memory::Room::of_this_process().check(
        &format!("training mlp {} with batch size {}", spec, args.batch_size),
        need,
    )
}

/// Why a finished run is not worth saving: the first epoch whose loss is not finite, or a
/// parameter that is not finite after the last step.
fn diverged<T: Float>(history: &[EpochMetrics], params: &ParamStore<T>) -> Option<String> {
    let finite = |x: Option<f64>| x.is_none_or(f64::is_finite);
    if let Some(m) = history
        .iter()
        .find(|m| !m.train_loss.is_finite() || !finite(m.test_loss))
    {
        return Some(format!(
            "the loss is not finite at epoch {} (train loss {}, test loss {})",
            m.epoch,
            m.train_loss,
            m.test_loss.map_or("-".into(), |l| l.to_string())
        ));
    }
    let bad = params
        .iter()
        .find(|(_, _, p)| p.value().as_slice().iter().any(|v| !v.is_finite()))?;
    Some(format!(
        "{} is not finite after the last step of epoch {}",
        bad.1,
        history.len()
    ))
}
