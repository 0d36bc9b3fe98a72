//! CSV tables for `train`, `eval` and `predict`: reading within the memory there is (a file's
//! errors exit with 2, naming file, row and column), the task and why, standardisation, and
//! what the checkpoint's metadata keeps so that `eval` and `predict` apply the same transform.
//!
//! Metadata keys (beside the MLP's): `data.features`, `data.target`, `data.classes` (the
//! [`Schema`]), `data.task`, `scaler.features.*` and, for regression, `scaler.target.*` (the
//! [`StandardScaler`]s).

use crate::{memory, Reported};
use anyhow::{bail, Result};
use autograd::{Float, Tensor};
use nn::checkpoint::Metadata;
use nn::data::{CsvError, CsvOptions, Dataset, Schema, StandardScaler, Table, Target, Task};
use std::path::Path;

/// How a model was fed: the table's columns and classes, and the transforms.
pub struct Prep {
    /// Feature and target columns, class names.
    pub schema: Schema,
    /// The features' standardisation (fitted on the training rows).
    pub features: StandardScaler,
    /// The target's standardisation (regression only).
    pub target: Option<StandardScaler>,
}

impl Prep {
    /// Fitted on the training table.
    pub fn fit<T: Float>(train: &Table<T>) -> Result<Self> {
        let target = match &train.target {
            Target::Values(v) => Some(StandardScaler::fit(&Tensor::from_vec(v.clone(), &[v.len(), 1])?)?),
            Target::Classes { .. } => None,
        };
        Ok(Self {
            schema: Schema::of(train),
            features: StandardScaler::fit(&train.x)?,
            target,
        })
    }

    /// The task the model was trained for.
    pub fn task(&self) -> Task {
        match self.schema.classes {
            Some(_) => Task::Classification,
            None => Task::Regression,
        }
    }

    /// The target's standard deviation (1 for classification): figures of standardised
    /// targets times this are in the target's units.
    pub fn target_scale(&self) -> f64 {
        self.target.as_ref().map_or(1.0, |s| s.scale[0])
    }

    /// Writes the keys listed in the module's documentation.
    pub fn to_metadata(&self, meta: &mut Metadata) {
        self.schema.to_metadata(meta, "data");
        let task = if self.schema.classes.is_some() {
            "classification"
        } else {
            "regression"
        };
        meta.insert("data.task".into(), task.into());
        self.features.to_metadata(meta, "scaler.features");
        if let Some(t) = &self.target {
            t.to_metadata(meta, "scaler.target");
        }
    }

    /// Reads what [`Prep::to_metadata`] wrote; `None` for a model trained on images.
    pub fn from_metadata(meta: &Metadata) -> Result<Option<Self>> {
        if !meta.contains_key("data.features") {
            return Ok(None);
        }
        let schema = Schema::from_metadata(meta, "data")?;
        let features = StandardScaler::from_metadata(meta, "scaler.features")?;
        let target = match schema.classes {
            Some(_) => None,
            None => Some(StandardScaler::from_metadata(meta, "scaler.target")?),
        };
        if target.as_ref().is_some_and(|t| t.columns() != 1) {
            bail!("the metadata's target scaler must have one column");
        }
        if features.columns() != schema.features.len() {
            bail!(
                "the metadata's scaler has {} columns but the model has {} feature columns",
                features.columns(),
                schema.features.len()
            );
        }
        Ok(Some(Self {
            schema,
            features,
            target,
        }))
    }

    /// Reading options for a file of this model's rows: its target and task.
    pub fn options(&self, drop_missing: bool, ignore_target: bool) -> CsvOptions {
        CsvOptions {
            target: self.schema.target.clone(),
            task: self.task(),
            drop_missing,
            ignore_target,
            features: Some(self.schema.features.clone()),
            ..CsvOptions::default()
        }
    }

    /// The standardised inputs of `table`, checked to have the model's feature columns.
    pub fn inputs<T: Float>(&self, table: &Table<T>, file: &Path) -> Result<Tensor<T>> {
        self.schema
            .check(table)
            .map_err(|e| data_error(format!("{}: {e}", file.display())))?;
        Ok(self.features.transform(&table.x)?)
    }

    /// `table` as the model sees it: standardised inputs, the classes numbered as in training
    /// (a class the model does not know is an error naming it), or the standardised target.
    pub fn dataset<T: Float>(&self, table: &Table<T>, file: &Path) -> Result<Dataset<T>> {
        let x = self.inputs(table, file)?;
        match (&table.target, &self.schema.classes, &self.target) {
            (Target::Classes { labels, names }, Some(known), _) => {
                let mut map = Vec::with_capacity(names.len());
                for n in names {
                    match known.iter().position(|k| k == n) {
                        Some(i) => map.push(i),
                        None => {
                            return Err(data_error(format!(
                                "{}: column {}: class {n:?} is not one the model knows ({})",
                                file.display(),
                                self.schema.target,
                                known.join(", ")
                            )))
                        }
                    }
                }
                let labels = labels.iter().map(|&l| map[l]).collect();
                Ok(Dataset::new(x, labels, known.len())?)
            }
            (Target::Values(v), None, Some(scaler)) => {
                let y = Tensor::from_vec(v.iter().map(|&y| T::from_f64(y)).collect(), &[v.len(), 1])?;
                Ok(Dataset::regression(x, scaler.transform(&y)?)?)
            }
            _ => bail!("{}: the target does not fit the model's task", file.display()),
        }
    }
}

/// Why the task was chosen, for `train` to print.
pub fn task_reason<T: Float>(table: &Table<T>, given: Task) -> String {
    let kind = match &table.target {
        Target::Classes { names, .. } => format!("classification, {} classes", names.len()),
        Target::Values(_) => "regression".to_string(),
    };
    let why = match (given, &table.target) {
        (Task::Auto, Target::Classes { names, .. }) if names.iter().any(|n| n.parse::<f64>().is_err()) => {
            "the target holds text".to_string()
        }
        (Task::Auto, Target::Classes { names, .. }) => format!(
            "the target holds {} distinct whole numbers (at most {} make classes)",
            names.len(),
            nn::data::AUTO_MAX_CLASSES
        ),
        (Task::Auto, Target::Values(_)) => format!(
            "the target holds numbers with fractions or more than {} distinct values",
            nn::data::AUTO_MAX_CLASSES
        ),
        _ => "as --task says".to_string(),
    };
    format!("task: {kind} ({why}; --task overrides)")
}

/// Reads a CSV file, refused beforehand if the table could not fit in memory (at most one
/// number per two bytes of the file, held about three times: the table, the standardised
/// copy and the dataset's).
pub fn read<T: Float>(path: &Path, flag: &str, options: &CsvOptions) -> Result<Table<T>> {
    crate::data::input_file(path, flag)?;
    let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
    let need = (bytes / 2 + 1)
        .saturating_mul(3 * std::mem::size_of::<T>() as u64 + 8)
        .saturating_add(16 << 20);
    memory::Room::of_this_process().check(&format!("reading {}", path.display()), need)?;
    Table::from_path(path, options).map_err(|e: CsvError| data_error(e))
}

/// A problem with an input file: printed as one line, exit code 2 (as a usage error: the
/// input, not the program, is at fault).
pub fn data_error(e: impl std::fmt::Display) -> anyhow::Error {
    eprintln!(
        "error: {}",
        e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
    );
    Reported(2).into()
}
