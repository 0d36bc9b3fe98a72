//! `chainrule predict`: a CSV model's predictions for the rows of a CSV file, one output row
//! per input row in order: the predicted class and one probability column per class, or the
//! predicted value in the target's units.

use crate::eval::load_model;
use crate::tabular::{self, Prep};
use crate::{data, outln};
use anyhow::{bail, Result};
use autograd::{Float, Tensor};
use nn::data::Task;
use nn::train::{argmax_rows, predict};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Options of `chainrule predict`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The checkpoint written by `chainrule train --data FILE.csv`
    #[arg(long, value_name = "FILE")]
    model: PathBuf,
    /// A CSV file with the model's feature columns (the target column may be there or not)
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Write the predictions here (atomically) instead of to stdout
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Runs `chainrule predict`.
pub fn run(args: Args) -> Result<()> {
    // The output is checked before any work, as train's are (a usage error, exit code 2).
    if let Some(out) = &args.out {
        let target = crate::outputs::check_file(out, "--out", "predictions.csv")?;
        crate::outputs::create_parent(&target, "--out")?;
    }
    let model = load_model(&args.model)?;
    let Some(prep) = model.prep()? else {
        bail!(
            "{} was trained on images, not a CSV table: `chainrule predict` needs a model from \
             `chainrule train --data FILE.csv --target COLUMN`",
            args.model.display()
        );
    };
    data::input_file(&args.data, "--data")?;
    match model.dtype {
        crate::eval::Dtype::F32 => run_typed::<f32>(&args, &model, &prep),
        crate::eval::Dtype::F64 => run_typed::<f64>(&args, &model, &prep),
    }
}

fn run_typed<T: Float>(args: &Args, model: &crate::eval::Model, prep: &Prep) -> Result<()> {
    let (mlp, params) = model.build::<T>()?;
    let table = tabular::read::<T>(&args.data, "--data", &prep.options(false, true))?;
    let x = prep.inputs(&table, &args.data)?;
    let out = predict(&mlp, &params, &x, prep.task())?;
    let (text, bad) = render(prep, &out)?;
    if bad > 0 {
        // Still written, one row per input row; the count says where to look.
        eprintln!(
            "warning: {bad} of {} predictions are not finite (rows far outside the range of \
             the training rows overflow the model's {})",
            table.len(),
            T::NAME
        );
    }
    match &args.out {
        Some(path) => {
            nn::checkpoint::atomic::write_atomic(path, text.as_bytes())?;
            eprintln!("wrote {} predictions to {}", table.len(), path.display());
        }
        None => outln!("{}", text.trim_end()),
    }
    Ok(())
}

/// The predictions as CSV: `target,p(class)...` for classification, `target` for regression;
/// and how many rows hold a value that is not finite.
pub fn render<T: Float>(prep: &Prep, out: &Tensor<T>) -> Result<(String, usize)> {
    let mut bad = 0;
    let target = &prep.schema.target;
    let mut s = String::new();
    match (&prep.schema.classes, prep.task()) {
        (Some(names), Task::Classification) => {
            let _ = write!(s, "{}", quote(target));
            for n in names {
                let _ = write!(s, ",{}", quote(&format!("p({n})")));
            }
            s.push('\n');
            let k = names.len();
            for (row, best) in out.as_slice().chunks(k.max(1)).zip(argmax_rows(out)) {
                let _ = write!(s, "{}", quote(&names[best]));
                bad += usize::from(row.iter().any(|p| !p.is_finite()));
                for &p in row {
                    let _ = write!(s, ",{}", number(p));
                }
                s.push('\n');
            }
        }
        _ => {
            let scaler = prep
                .target
                .as_ref()
                .expect("a regression model has a target scaler");
            let values = scaler.inverse_transform(out)?;
            let _ = writeln!(s, "{}", quote(target));
            for &v in values.as_slice() {
                bad += usize::from(!v.is_finite());
                let _ = writeln!(s, "{}", number(v));
            }
        }
    }
    Ok((s, bad))
}

/// A value in the shortest form that reads back to the same number of the model's type (so
/// an `f32` model's `0.9979462`, not the `f64` digits of that `f32`); in scientific notation
/// from 1e16 up and below 1e-5, never 39 digits.
fn number<T: Float>(v: T) -> String {
    let a = v.abs().as_f64();
    if a == 0.0 || !a.is_finite() || (1e-5..1e16).contains(&a) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}
