//! `chainrule eval`: rebuilds an MLP from a checkpoint's metadata, loads its weights and
//! reports its loss and metrics on a test set: accuracy and the confusion matrix (with the
//! class names of a CSV model), or R², RMSE and MAE in the target's units.

use crate::confusion::Render;
use crate::tabular::{self, Prep};
use crate::train::significant;
use crate::{args, data, memory, outln, train::PREFIX, usage};
use anyhow::{bail, Result};
use autograd::Float;
use nn::checkpoint::{self, CheckpointError, Header, Mismatch, MlpSpec};
use nn::data::Dataset;
use nn::train::try_evaluate;
use nn::{ParamStore, Sequential};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Options of `chainrule eval`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The checkpoint written by `chainrule train` (a .safetensors file)
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// A CSV file with the model's columns (for a model trained on a CSV table), or a
    /// directory with MNIST-format IDX files (t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte)
    /// [default: the embedded UCI digits' test set]
    #[arg(long, value_name = "DIR|FILE")]
    data: Option<PathBuf>,
    /// Skip CSV rows with a missing value (empty, NA, nan) and say how many
    #[arg(long)]
    drop_missing: bool,
    /// Divide pixel values by this [default: 16 for the embedded digits, 255 for --data]
    #[arg(long, value_name = "X", value_parser = args::positive, allow_negative_numbers = true)]
    pixel_max: Option<f64>,
    /// Examples per evaluation batch (does not change the result beyond rounding)
    #[arg(long, value_name = "N", default_value = "512", value_parser = args::count, allow_negative_numbers = true)]
    batch_size: usize,
}

/// The element type of a checkpoint's tensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// All F32.
    F32,
    /// All F64.
    F64,
}

/// A checkpoint read as far as its header: the MLP it holds, checked against its tensors.
pub struct Model {
    /// The file.
    pub path: PathBuf,
    /// Its header.
    pub header: Header,
    /// The MLP its metadata describes.
    pub spec: MlpSpec,
    /// Its tensors' element type.
    pub dtype: Dtype,
}

/// Reads a checkpoint's header and checks that its tensors are the MLP its metadata says.
pub fn load_model(path: &Path) -> Result<Model> {
    data::input_file(path, "--model")?;
    let header = checkpoint::read_header(path)?;
    let spec = MlpSpec::from_metadata(&header.metadata)
        .map_err(|e| anyhow::anyhow!("{}: {e} (was it written by `chainrule train`?)", path.display()))?;
    // The model is built from the metadata before the weights are loaded, so the metadata
    // must not be trusted with its size: a small file declaring a huge MLP would make us
    // allocate it. Its shapes are checked against the file's tensors first.
    check_shapes(&header, &spec, path)?;
    let dtypes: Vec<&str> = header.tensors.iter().map(|t| t.dtype.as_str()).collect();
    let dtype = match dtypes.first() {
        Some(&"F32") if dtypes.iter().all(|&d| d == "F32") => Dtype::F32,
        Some(&"F64") if dtypes.iter().all(|&d| d == "F64") => Dtype::F64,
        _ => bail!(
            "{}: expected all tensors to be F32 or all F64, found {}",
            path.display(),
            if dtypes.is_empty() {
                "no tensor".to_string()
            } else {
                dtypes.join(", ")
            }
        ),
    };
    Ok(Model {
        path: path.to_path_buf(),
        header,
        spec,
        dtype,
    })
}

impl Model {
    /// The CSV preprocessing in the metadata (None for a model trained on images).
    pub fn prep(&self) -> Result<Option<Prep>> {
        let prep = Prep::from_metadata(&self.header.metadata)
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.path.display()))?;
        if let Some(p) = &prep {
            // A file whose metadata disagrees with its tensors is refused before any forward
            // pass (which would not fit the inputs).
            let outputs = p.schema.classes.as_ref().map_or(1, Vec::len);
            if p.schema.features.len() != self.spec.inputs() || outputs != self.spec.outputs() {
                bail!(
                    "{}: the metadata names {} feature columns and {outputs} outputs but the MLP takes {} inputs and gives {} outputs",
                    self.path.display(),
                    p.schema.features.len(),
                    self.spec.inputs(),
                    self.spec.outputs()
                );
            }
        }
        Ok(prep)
    }

    /// The MLP with the file's weights, if its evaluation fits in memory.
    pub fn build<T: Float>(&self) -> Result<(Sequential<T>, ParamStore<T>)> {
        check_memory::<T>(&self.spec, 512)?;
        let mut params = ParamStore::<T>::new();
        // The initial values are overwritten by the checkpoint's; the seed does not matter.
        let mlp = self.spec.build(&mut params, PREFIX, 0)?;
        checkpoint::load(&mut params, &self.path)?;
        Ok((mlp, params))
    }
}

/// Runs `chainrule eval`.
pub fn run(args: Args) -> Result<()> {
    let model = load_model(&args.model)?;
    match model.dtype {
        Dtype::F32 => run_typed::<f32>(&args, &model),
        Dtype::F64 => run_typed::<f64>(&args, &model),
    }
}

fn run_typed<T: Float>(args: &Args, model: &Model) -> Result<()> {
    check_memory::<T>(&model.spec, args.batch_size)?;
    let (mlp, params) = model.build::<T>()?;
    let spec = &model.spec;
    let (test, names, scale) = match model.prep()? {
        Some(prep) => {
            let Some(file) = args.data.as_deref() else {
                return Err(usage(format!(
                    "{} was trained on a CSV table: give the test rows with --data FILE.csv",
                    args.model.display()
                )));
            };
            let table = tabular::read::<T>(file, "--data", &prep.options(args.drop_missing, false))?;
            let test = prep.dataset(&table, file)?;
            outln!(
                "model: {}: mlp {spec}, {} parameters, {}, target {} ({})",
                args.model.display(),
                params.num_params(),
                T::NAME,
                prep.schema.target,
                if test.is_regression() {
                    "regression"
                } else {
                    "classification"
                }
            );
            let mut line = format!("data: {}, {} rows", file.display(), test.len());
            if args.drop_missing {
                line.push_str(&format!(", {} rows with missing values dropped", table.dropped));
            }
            outln!("{line}");
            (test, prep.schema.classes.clone(), prep.target_scale())
        }
        None => {
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
            if let Some(trained) = model
                .header
                .metadata
                .get("chainrule.pixel_max")
                .and_then(|p| p.parse::<f64>().ok())
                && trained != pixel_max
            {
                outln!(
                    "note: the model was trained with pixels / {trained}, evaluating with pixels / {pixel_max}"
                );
            }
            outln!(
                "data: {} test set, {} examples, pixels / {pixel_max}",
                data::describe(dir),
                test.len()
            );
            (test, None, 1.0)
        }
    };
    let eval = try_evaluate(&mlp, &params, &test, args.batch_size)?.in_units(scale);
    match &eval.confusion {
        Some(confusion) => {
            let correct = confusion.correct();
            outln!(
                "test loss {:.4}, accuracy {:.2}% ({correct}/{} correct)",
                eval.loss,
                100.0 * correct as f64 / test.len().max(1) as f64,
                test.len()
            );
            outln!();
            outln!(
                "{}",
                Render::new(confusion, spec.outputs(), names.as_deref()).render()
            );
        }
        None => outln!(
            "test R² {:.4}, RMSE {}, MAE {} (in the target's units)",
            eval.r2.unwrap_or(f64::NAN),
            significant(eval.rmse.unwrap_or(f64::NAN)),
            significant(eval.mae.unwrap_or(f64::NAN))
        ),
    }
    Ok(())
}

/// Refuses a model whose evaluation does not fit in memory (see [`memory`]): the parameters,
/// the file's bytes and the batches' activations.
fn check_memory<T: Float>(spec: &MlpSpec, batch_size: usize) -> Result<()> {
    let params = spec.num_params().unwrap_or(usize::MAX) as u64;
    let outputs: u64 = spec.sizes()[1..].iter().map(|&s| s as u64).sum();
    let footprint = memory::Footprint {
        per_param: 3,
        per_activation: 4,
    };
    let need = memory::estimate(
        &footprint,
        params,
        batch_size as u64,
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
