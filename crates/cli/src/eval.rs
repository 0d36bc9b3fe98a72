//! `chainrule eval`: rebuilds an MLP from a checkpoint's metadata, loads its weights and
//! reports its loss, accuracy and confusion matrix on a test set.

use crate::confusion::Confusion;
use crate::memory;
use crate::{args, data, outln, train::PREFIX};
use anyhow::{bail, Result};
use autograd::Float;
use autograd::Tape;
use nn::checkpoint::{self, CheckpointError, Header, Mismatch, MlpSpec};
use nn::data::Dataset;
use nn::loss::cross_entropy;
use nn::train::argmax_rows;
use nn::{Module, ParamStore, Sequential};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Options of `chainrule eval`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The checkpoint written by `chainrule train` (a .safetensors file)
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// Directory with MNIST-format IDX files (t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte)
    /// [default: the embedded UCI digits' test set]
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Divide pixel values by this [default: 16 for the embedded digits, 255 for --data]
    #[arg(long, value_name = "X", value_parser = args::positive, allow_negative_numbers = true)]
    pixel_max: Option<f64>,
    /// Examples per evaluation batch (does not change the result beyond rounding)
    #[arg(long, value_name = "N", default_value = "512", value_parser = args::count, allow_negative_numbers = true)]
    batch_size: usize,
}

/// Runs `chainrule eval`.
pub fn run(args: Args) -> Result<()> {
    data::input_file(&args.model, "--model")?;
    let header = checkpoint::read_header(&args.model)?;
    let spec = MlpSpec::from_metadata(&header.metadata).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (was it written by `chainrule train`?)",
            args.model.display()
        )
    })?;
    // The model is built from the metadata before the weights are loaded, so the metadata
    // must not be trusted with its size: a small file declaring a huge MLP would make us
    // allocate it. Its shapes are checked against the file's tensors first.
    check_shapes(&header, &spec, &args.model)?;
    let dtypes: Vec<&str> = header.tensors.iter().map(|t| t.dtype.as_str()).collect();
    match dtypes.first() {
        Some(&"F32") if dtypes.iter().all(|&d| d == "F32") => run_typed::<f32>(&args, &header, &spec),
        Some(&"F64") if dtypes.iter().all(|&d| d == "F64") => run_typed::<f64>(&args, &header, &spec),
        _ => bail!(
            "{}: expected all tensors to be F32 or all F64, found {}",
            args.model.display(),
            if dtypes.is_empty() {
                "no tensor".to_string()
            } else {
                dtypes.join(", ")
            }
        ),
    }
}

fn run_typed<T: Float>(args: &Args, header: &Header, spec: &MlpSpec) -> Result<()> {
    check_memory::<T>(args, spec)?;
    let mut params = ParamStore::<T>::new();
    // The initial values are overwritten by the checkpoint's; the seed does not matter.
    let mlp = spec.build(&mut params, PREFIX, 0)?;
    checkpoint::load(&mut params, &args.model)?;

    let dir = args.data.as_deref();
    let pixel_max = data::pixel_max(dir, args.pixel_max);
    let test = data::test_set::<T>(dir, pixel_max)?;
    let test = fit_to_model(test, spec, &args.model)?;

    outln!(
        "model: {}: mlp {spec}, {} parameters, {}",
        args.model.display(),
        params.num_params(),
        T::NAME
    );
    if let Some(trained) = header
        .metadata
        .get("chainrule.pixel_max")
        .and_then(|p| p.parse::<f64>().ok())
    {
        if trained != pixel_max {
            outln!(
                "note: the model was trained with pixels / {trained}, evaluating with pixels / {pixel_max}"
            );
        }
    }
    outln!(
        "data: {} test set, {} examples, pixels / {pixel_max}",
        data::describe(dir),
        test.len()
    );
    let (loss, confusion) = evaluate(&mlp, &params, &test, args.batch_size);
    let correct = confusion.correct();
    outln!(
        "test loss {:.4}, accuracy {:.2}% ({correct}/{} correct)",
        loss,
        100.0 * correct as f64 / test.len().max(1) as f64,
        test.len()
    );
    outln!();
    outln!("{}", confusion.render());
    Ok(())
}

/// Mean loss and the (sparse) confusion matrix over `test`, in batches: as
/// `nn::train::evaluate`, without its `classes x classes` matrix.
fn evaluate<T: Float>(
    mlp: &Sequential<T>,
    params: &ParamStore<T>,
    test: &Dataset<T>,
    batch: usize,
) -> (f64, Confusion) {
    let mut tape = Tape::<T>::new();
    let mut confusion = Confusion::new(test.classes);
    let mut loss_sum = 0.0;
    for b in test.batches(batch, None) {
        tape.reset();
        let (loss, pred) = tape.no_grad(|| {
            let logits = mlp.forward(&params.bind_eval(&tape), tape.constant_from(&b.x));
            let loss = cross_entropy(logits, &b.labels).expect("labels fit the model's outputs");
            (loss.item().as_f64(), argmax_rows(&logits.value()))
        });
        loss_sum += loss * b.len() as f64;
        for (&t, &p) in b.labels.iter().zip(&pred) {
            confusion.add(t, p);
        }
    }
    (loss_sum / test.len().max(1) as f64, confusion)
}

/// Refuses a model whose evaluation does not fit in memory (see [`memory`]): the parameters,
/// the file's bytes and the batches' activations.
fn check_memory<T: Float>(args: &Args, spec: &MlpSpec) -> Result<()> {
    let params = spec.num_params().unwrap_or(usize::MAX) as u64;
    let outputs: u64 = spec.sizes()[1..].iter().map(|&s| s as u64).sum();
    let footprint = memory::Footprint {
        per_param: 3,
        per_activation: 4,
    };
    let need = memory::estimate(
        &footprint,
        params,
        args.batch_size as u64,
        outputs,
        0,
        std::mem::size_of::<T>() as u64,
    );
    memory::Room::of_this_process().check(&format!("evaluating mlp {spec}"), need)
}

/// The parameters `spec.build` makes, compared with the file's tensors by name and shape
/// before anything is allocated: the same mismatches as [`checkpoint::load`] reports.
fn check_shapes(header: &Header, spec: &MlpSpec, model: &Path) -> Result<()> {
    let expected: Vec<(String, Vec<usize>)> = spec
        .sizes()
        .windows(2)
        .enumerate()
        .flat_map(|(i, w)| {
            [
                (format!("{PREFIX}.{i}.weight"), vec![w[1], w[0]]),
                (format!("{PREFIX}.{i}.bias"), vec![w[1]]),
            ]
        })
        .collect();
    // By name, so a file of many tensors and many layers takes linear time.
    let in_file: HashMap<&str, &[usize]> = header
        .tensors
        .iter()
        .map(|t| (t.name.as_str(), t.shape.as_slice()))
        .collect();
    let wanted: HashSet<&str> = expected.iter().map(|(name, _)| name.as_str()).collect();
    let mut mismatches = Vec::new();
    for (name, shape) in &expected {
        match in_file.get(name.as_str()) {
            None => mismatches.push(Mismatch::Missing {
                name: name.clone(),
                shape: shape.clone(),
            }),
            Some(&found) if found != shape.as_slice() => mismatches.push(Mismatch::Shape {
                name: name.clone(),
                expected: shape.clone(),
                found: found.to_vec(),
            }),
            Some(_) => {}
        }
    }
    for t in &header.tensors {
        if !wanted.contains(t.name.as_str()) {
            mismatches.push(Mismatch::Unexpected {
                name: t.name.clone(),
                shape: t.shape.clone(),
            });
        }
    }
    if mismatches.is_empty() {
        Ok(())
    } else {
        Err(CheckpointError::Mismatch {
            path: model.to_path_buf(),
            mismatches,
        }
        .into())
    }
}

/// Checks the test set against the model (inputs, classes) and sizes its confusion matrix to
/// the model's outputs.
fn fit_to_model<T: Float>(test: Dataset<T>, spec: &MlpSpec, model: &Path) -> Result<Dataset<T>> {
    if test.features() != spec.inputs() {
        bail!(
            "{} takes {} inputs but the test images have {} pixels: it was trained on other data",
            model.display(),
            spec.inputs(),
            test.features()
        );
    }
    if let Some(&l) = test.labels.iter().find(|&&l| l >= spec.outputs()) {
        bail!(
            "the test set has label {l}, but {} has only {} outputs (classes)",
            model.display(),
            spec.outputs()
        );
    }
    Ok(Dataset::new(test.x, test.labels, spec.outputs())?)
}
